//! The Condition table: conditional feature levels.

use super::{Table, read_all};
use crate::error::Result;

/// A Condition row: when `condition` is true at CostFinalize, the feature's
/// level becomes `level`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionRow {
    /// The Feature key.
    pub feature: String,
    /// The new level.
    pub level: i32,
    /// The condition (null never applies).
    pub condition: Option<String>,
}

/// Reads the Condition table.
pub fn read(table: Option<&Table>) -> Result<Vec<ConditionRow>> {
    read_all(table, |row| {
        Ok(ConditionRow {
            feature: row.str("Feature_")?,
            level: row.int("Level")?,
            condition: row.opt_str("Condition"),
        })
    })
}
