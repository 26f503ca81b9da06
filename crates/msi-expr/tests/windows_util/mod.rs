//! Replaying Wine's `MsiFormatRecord` conformance tests step by step.
//!
//! Wine's tests keep one record handle (and one package) alive across many checks and only
//! change the fields each check names, so a field set for one check is still there for the
//! next. [`Replay`] keeps the same state: [`Replay::s`] is `MsiRecordSetString` (the empty
//! string makes the field null, as on Windows), [`Replay::i`] is `MsiRecordSetInteger`,
//! [`Replay::prop`] is `MsiSetProperty`, and [`Replay::check`] formats the record with or
//! without the package and compares the result and its length with what Windows returned.
//! Mismatches are collected, with the line of the check, so one run shows all of them.

use std::panic::Location;

use msi_expr::{Field, Lookup, MapLookup, Record, format_record};

/// One replayed test: a record, a package (properties, environment, files, components) and
/// the checks made so far.
pub(crate) struct Replay {
    record: Record,
    /// The package's properties and tables, as `MsiFormatRecord(hpkg, …)` sees them.
    pub(crate) package: MapLookup,
    with_package: bool,
    checked: usize,
    failures: Vec<String>,
}

impl Replay {
    /// `MsiCreateRecord(fields)`; `with_package` chooses `MsiFormatRecord(hpkg, …)` over
    /// `MsiFormatRecord(0, …)`.
    pub(crate) fn new(fields: usize, with_package: bool) -> Replay {
        let mut package = MapLookup::new();
        // The tests only see variables they set themselves.
        package.isolate_env();
        Replay {
            // Field counts here are all far below MAX_FIELDS.
            record: Record::new(fields).expect("small record"),
            package,
            with_package,
            checked: 0,
            failures: Vec::new(),
        }
    }

    /// `MsiCloseHandle(hrec); hrec = MsiCreateRecord(fields)`: a fresh record, same package.
    pub(crate) fn new_record(&mut self, fields: usize) -> &mut Replay {
        self.record = Record::new(fields).expect("small record");
        self
    }

    /// `MsiRecordSetString(hrec, index, value)`; `""` stands for both `""` and NULL.
    #[track_caller]
    pub(crate) fn s(&mut self, index: usize, value: &str) -> &mut Replay {
        assert!(self.record.set(index, Field::from(value)), "field {index}");
        self
    }

    /// `MsiRecordSetInteger(hrec, index, value)`.
    #[track_caller]
    pub(crate) fn i(&mut self, index: usize, value: i32) -> &mut Replay {
        assert!(self.record.set(index, Field::from(value)), "field {index}");
        self
    }

    /// `MsiSetProperty(hpkg, name, value)`; `""` deletes the property.
    pub(crate) fn prop(&mut self, name: &str, value: &str) -> &mut Replay {
        self.package.set_property(name, value);
        self
    }

    /// `MsiFormatRecord` must give `want`, `size` UTF-16 code units long.
    #[track_caller]
    pub(crate) fn check(&mut self, want: &str, size: usize) -> &mut Replay {
        let line = Location::caller().line();
        // The size Windows returned guards the transcription of the expected text.
        assert_eq!(
            want.encode_utf16().count(),
            size,
            "line {line}: size of {want:?}"
        );
        self.checked += 1;
        let lookup: Option<&dyn Lookup> = self.with_package.then_some(&self.package as _);
        let got = format_record(&self.record, lookup);
        if got != want {
            let template = self.record.template().text().into_owned();
            self.failures.push(format!(
                "line {line}: template {template:?} gave {got:?}, Windows: {want:?}"
            ));
        }
        self
    }

    /// Panics with every mismatch; returns the number of checks otherwise.
    #[track_caller]
    pub(crate) fn finish(&self) -> usize {
        assert!(
            self.failures.is_empty(),
            "{} of {} formats differ from Windows:\n{}",
            self.failures.len(),
            self.checked,
            self.failures.join("\n")
        );
        self.checked
    }
}
