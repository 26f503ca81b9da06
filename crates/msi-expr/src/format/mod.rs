//! Formatted strings: what `MsiFormatRecord` expands (spec §2).

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
    let _ = (record, lookup, options);
    String::new()
}

/// Formats a *Formatted*-column value (custom action targets, Registry values, …) with the
/// installation's properties.
pub fn format_string(template: &str, lookup: &dyn Lookup) -> String {
    format_string_with(template, lookup, FormatOptions::default())
}

/// [`format_string`] with explicit [`FormatOptions`].
pub fn format_string_with(template: &str, lookup: &dyn Lookup, options: FormatOptions) -> String {
    let _ = (template, lookup, options);
    String::new()
}
