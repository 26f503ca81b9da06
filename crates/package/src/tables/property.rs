//! The Property table: the package's authored property values.

use super::{Table, read_all};
use crate::error::Result;

/// A Property row. Property table values are literal (never formatted).
///
/// Invariant: `value` is non-empty — a row with a null or empty value is
/// skipped on reading, as Windows treats such a property as not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyRow {
    /// The property name (case-sensitive).
    pub name: String,
    /// Its value.
    pub value: String,
}

/// Reads the Property table.
pub fn read(table: Option<&Table>) -> Result<Vec<PropertyRow>> {
    let rows = read_all(table, |row| {
        Ok(row.opt_str("Value").map(|value| PropertyRow {
            name: row.str("Property").unwrap_or_default(),
            value,
        }))
    })?;
    Ok(rows
        .into_iter()
        .flatten()
        .filter(|r| !r.name.is_empty() && !r.value.is_empty())
        .collect())
}
