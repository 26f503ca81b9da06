//! The Feature table.

use super::{Table, read_all};
use crate::error::Result;

/// `msidbFeatureAttributesFavorSource`.
pub const ATTR_FAVOR_SOURCE: i32 = 0x01;
/// `msidbFeatureAttributesFollowParent`.
pub const ATTR_FOLLOW_PARENT: i32 = 0x02;
/// `msidbFeatureAttributesFavorAdvertise`.
pub const ATTR_FAVOR_ADVERTISE: i32 = 0x04;
/// `msidbFeatureAttributesDisallowAdvertise`.
pub const ATTR_DISALLOW_ADVERTISE: i32 = 0x08;
/// `msidbFeatureAttributesUIDisallowAbsent`.
pub const ATTR_UI_DISALLOW_ABSENT: i32 = 0x10;

/// A Feature row.
///
/// Invariant: `parent` is never equal to `feature` (such a parent reads as
/// `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRow {
    /// The key (case-sensitive; what ADDLOCAL/REMOVE list).
    pub feature: String,
    /// The parent feature.
    pub parent: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// Display order and expansion.
    pub display: Option<i32>,
    /// The install level (0 = disabled).
    pub level: i32,
    /// The configurable directory.
    pub directory: Option<String>,
    /// `msidbFeatureAttributes*` bits.
    pub attributes: i32,
}

/// Reads the Feature table.
pub fn read(table: Option<&Table>) -> Result<Vec<FeatureRow>> {
    read_all(table, |row| {
        let feature = row.str("Feature")?;
        Ok(FeatureRow {
            parent: row.opt_str("Feature_Parent").filter(|p| *p != feature),
            title: row.opt_str("Title"),
            description: row.opt_str("Description"),
            display: row.opt_int("Display")?,
            level: row.opt_int("Level")?.unwrap_or(0),
            directory: row.opt_str("Directory_"),
            attributes: row.opt_int("Attributes")?.unwrap_or(0),
            feature,
        })
    })
}
