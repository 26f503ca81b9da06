//! The LaunchCondition table.

use super::{Table, read_all};
use crate::error::Result;

/// A LaunchCondition row: `condition` must be true for the installation to
/// go on; otherwise `description` (formatted) is shown and it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchConditionRow {
    /// The condition.
    pub condition: String,
    /// The message (a formatted string).
    pub description: String,
}

/// Reads the LaunchCondition table.
pub fn read(table: Option<&Table>) -> Result<Vec<LaunchConditionRow>> {
    read_all(table, |row| {
        Ok(LaunchConditionRow {
            condition: row.str("Condition")?,
            description: row.opt_str("Description").unwrap_or_default(),
        })
    })
}
