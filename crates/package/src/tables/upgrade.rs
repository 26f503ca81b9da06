//! The Upgrade table (FindRelatedProducts).

use super::{Table, read_all};
use crate::error::Result;

/// `msidbUpgradeAttributesMigrateFeatures`.
pub const ATTR_MIGRATE_FEATURES: i32 = 0x001;
/// `msidbUpgradeAttributesOnlyDetect`.
pub const ATTR_ONLY_DETECT: i32 = 0x002;
/// `msidbUpgradeAttributesIgnoreRemoveFailure`.
pub const ATTR_IGNORE_REMOVE_FAILURE: i32 = 0x004;
/// `msidbUpgradeAttributesVersionMinInclusive`.
pub const ATTR_VERSION_MIN_INCLUSIVE: i32 = 0x100;
/// `msidbUpgradeAttributesVersionMaxInclusive`.
pub const ATTR_VERSION_MAX_INCLUSIVE: i32 = 0x200;
/// `msidbUpgradeAttributesLanguagesExclusive`.
pub const ATTR_LANGUAGES_EXCLUSIVE: i32 = 0x400;

/// An Upgrade row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeRow {
    /// The product family to look for.
    pub upgrade_code: String,
    /// Lower version bound (`None` = unbounded).
    pub version_min: Option<String>,
    /// Upper version bound (`None` = unbounded).
    pub version_max: Option<String>,
    /// Comma-separated LANGIDs (`None` = all).
    pub language: Option<String>,
    /// `msidbUpgradeAttributes*` bits.
    pub attributes: i32,
    /// Features to remove (formatted; `None` ⇒ `ALL`).
    pub remove: Option<String>,
    /// The property receiving the `;`-separated product codes found.
    pub action_property: String,
}

/// Reads the Upgrade table.
pub fn read(table: Option<&Table>) -> Result<Vec<UpgradeRow>> {
    read_all(table, |row| {
        Ok(UpgradeRow {
            upgrade_code: row.str("UpgradeCode")?,
            version_min: row.opt_str("VersionMin"),
            version_max: row.opt_str("VersionMax"),
            language: row.opt_str("Language"),
            attributes: row.opt_int("Attributes")?.unwrap_or(0),
            remove: row.opt_str("Remove"),
            action_property: row.str("ActionProperty")?,
        })
    })
}
