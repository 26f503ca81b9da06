//! AppSearch and its locator tables: Signature, DrLocator, CompLocator,
//! RegLocator, IniLocator.

use super::{Table, read_all};
use crate::error::Result;

/// An AppSearch row: set `property` from what `signature` finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSearchRow {
    /// The property to set.
    pub property: String,
    /// The Signature key (or a locator key naming a directory).
    pub signature: String,
}

/// Reads the AppSearch table.
pub fn read(table: Option<&Table>) -> Result<Vec<AppSearchRow>> {
    read_all(table, |row| {
        Ok(AppSearchRow {
            property: row.str("Property")?,
            signature: row.str("Signature_")?,
        })
    })
}

/// A Signature row: a file to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRow {
    /// The key.
    pub signature: String,
    /// The file name (`short|long`).
    pub file_name: String,
    /// Minimum version.
    pub min_version: Option<String>,
    /// Maximum version.
    pub max_version: Option<String>,
    /// Minimum size.
    pub min_size: Option<i32>,
    /// Maximum size.
    pub max_size: Option<i32>,
    /// Minimum date (DOS date-time).
    pub min_date: Option<i32>,
    /// Maximum date (DOS date-time).
    pub max_date: Option<i32>,
    /// Languages.
    pub languages: Option<String>,
}

/// Reads the Signature table.
pub fn read_signatures(table: Option<&Table>) -> Result<Vec<SignatureRow>> {
    read_all(table, |row| {
        Ok(SignatureRow {
            signature: row.str("Signature")?,
            file_name: row.str("FileName")?,
            min_version: row.opt_str("MinVersion"),
            max_version: row.opt_str("MaxVersion"),
            min_size: row.opt_int("MinSize")?,
            max_size: row.opt_int("MaxSize")?,
            min_date: row.opt_int("MinDate")?,
            max_date: row.opt_int("MaxDate")?,
            languages: row.opt_str("Languages"),
        })
    })
}

/// A DrLocator row: a folder search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrLocatorRow {
    /// The Signature key.
    pub signature: String,
    /// The parent search's signature (`None` = search from `path`).
    pub parent: Option<String>,
    /// The path (formatted; may be relative to the parent's result).
    pub path: Option<String>,
    /// Subfolder depth to search.
    pub depth: Option<i32>,
}

/// Reads the DrLocator table.
pub fn read_dr_locators(table: Option<&Table>) -> Result<Vec<DrLocatorRow>> {
    read_all(table, |row| {
        Ok(DrLocatorRow {
            signature: row.str("Signature_")?,
            parent: row.opt_str("Parent"),
            path: row.opt_str("Path"),
            depth: row.opt_int("Depth")?,
        })
    })
}

/// A CompLocator, RegLocator or IniLocator row: searches whose sources
/// (installed components, the registry, .ini files) do not exist on this
/// platform, read so the engine can log them and report not found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherLocatorRow {
    /// The Signature key.
    pub signature: String,
    /// The locator table it comes from.
    pub table: &'static str,
}

/// Reads a CompLocator, RegLocator or IniLocator table.
pub fn read_other_locators(
    table: Option<&Table>,
    name: &'static str,
) -> Result<Vec<OtherLocatorRow>> {
    read_all(table, |row| {
        Ok(OtherLocatorRow {
            signature: row.str("Signature_")?,
            table: name,
        })
    })
}
