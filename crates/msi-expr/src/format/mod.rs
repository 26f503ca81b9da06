//! Formatted strings: what `MsiFormatRecord` expands ("Formatted", "MsiFormatRecord
//! function").
//!
//! Two passes over text: pass 1 substitutes record fields `[n]` and leaves every
//! other bracket as text; pass 2 (only with an installation) re-reads the text pass 1
//! produced, including text that came from record fields, and substitutes properties,
//! environment variables, files, components, escapes and `[~]`. Both passes share the same
//! top-level scan (`{{…}}` sections, `{…}` groups, unclosed brackets). This is an
//! inferred algorithm, which reproduces all 179 Windows-verified vectors; Wine's single-pass
//! formatter differs on 29 of them.

mod expand;
mod parse;

use std::borrow::Cow;
use std::fmt::Write as _;

use expand::{Mode, VERBATIM_END, VERBATIM_START, expand};

use crate::lookup::Lookup;
use crate::record::Record;

/// Choices that depend on where a formatted string comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FormatOptions {
    /// `[!filekey]` gives the short (8.3) path. Only the `Value` columns of the Registry and
    /// IniFile tables ask for it; everywhere else `[!filekey]` is treated as `[#filekey]`.
    pub short_file_paths: bool,
}

impl FormatOptions {
    /// Options for the `Value` column of the Registry and IniFile tables.
    pub fn registry_value() -> FormatOptions {
        FormatOptions {
            short_file_paths: true,
        }
    }
}

/// `MsiFormatRecord` with an install handle (`lookup` = `Some`) or without one (`None`).
pub fn format_record(record: &Record, lookup: Option<&dyn Lookup>) -> String {
    format_record_with(record, lookup, FormatOptions::default())
}

/// [`format_record`] with explicit [`FormatOptions`].
pub fn format_record_with(
    record: &Record,
    lookup: Option<&dyn Lookup>,
    options: FormatOptions,
) -> String {
    let field0 = record.template();
    let template_text: Option<Cow<'_, str>> = (!field0.is_null()).then(|| field0.text());
    let default;
    let template: &str = match &template_text {
        Some(t) => t,
        None => {
            default = default_template(record.field_count());
            &default
        }
    };
    let mut pass1 = String::with_capacity(template.len() + 16);
    let mode = Mode::Record {
        record,
        template: template_text.as_deref(),
        mark_field0: lookup.is_some(),
    };
    expand(template, &mode, &mut pass1);
    match lookup {
        None => pass1,
        Some(lookup) => {
            let mut pass2 = String::with_capacity(pass1.len() + 16);
            let mode = Mode::Property { lookup, options };
            // The text `[0]` inserted is copied as it is; the rest is formatted.
            let mut rest = pass1.as_str();
            while let Some(start) = rest.find(VERBATIM_START) {
                expand(&rest[..start], &mode, &mut pass2);
                let inner = &rest[start + VERBATIM_START.len_utf8()..];
                let end = inner.find(VERBATIM_END).unwrap_or(inner.len());
                pass2.push_str(&inner[..end]);
                rest = inner.get(end + VERBATIM_END.len_utf8()..).unwrap_or("");
            }
            expand(rest, &mode, &mut pass2);
            pass2
        }
    }
}

/// The template used when field 0 is null: `1: [1] 2: [2] … N: [N] ` (empty for N = 0).
fn default_template(count: usize) -> String {
    let mut t = String::with_capacity(count * 8);
    for i in 1..=count {
        // Writing to a String cannot fail.
        let _ = write!(t, "{i}: [{i}] ");
    }
    t
}

/// Formats a *Formatted*-column value (custom action targets, Registry values, …) with the
/// installation's properties.
pub fn format_string(template: &str, lookup: &dyn Lookup) -> String {
    format_string_with(template, lookup, FormatOptions::default())
}

/// [`format_string`] with explicit [`FormatOptions`].
pub fn format_string_with(template: &str, lookup: &dyn Lookup, options: FormatOptions) -> String {
    // An empty column value is null, and a null Formatted value formats to nothing.
    if template.is_empty() {
        return String::new();
    }
    // Fast path: nothing to expand.
    if !template.bytes().any(|b| matches!(b, b'[' | b'{')) {
        return template.to_owned();
    }
    // Wine formats a column value as a record with one null field and the value as field 0,
    // so `[0]` is the value itself and `[1]`, `[2]`, … are empty ("Formatted" does not say).
    let record = Record::with_fields(template, [crate::record::Field::Null]);
    format_record_with(&record, Some(lookup), options)
}
