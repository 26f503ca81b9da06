//! The CustomAction and Binary tables.

use super::{Table, read_all};
use crate::error::Result;

/// A CustomAction row (CustomAction table). The type bits are interpreted by the
/// execution side; this is the row as authored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomActionRow {
    /// The key (the name sequence tables use).
    pub action: String,
    /// The type: base type and option flags.
    pub action_type: i32,
    /// The Source column (a Binary key, File key, Directory key or
    /// property, by type).
    pub source: Option<String>,
    /// The Target column (a formatted command line, entry point, value…).
    pub target: Option<String>,
    /// The ExtendedType column (4.5+).
    pub extended_type: Option<i32>,
}

/// Reads the CustomAction table.
pub fn read(table: Option<&Table>) -> Result<Vec<CustomActionRow>> {
    read_all(table, |row| {
        Ok(CustomActionRow {
            action: row.str("Action")?,
            action_type: row.int("Type")?,
            source: row.opt_str("Source"),
            target: row.opt_str("Target"),
            extended_type: row.opt_int("ExtendedType")?,
        })
    })
}

/// The keys of the Binary table (each row's data is the stream
/// `Binary.<Name>`, read with `Package::binary`).
pub fn read_binary_names(table: Option<&Table>) -> Result<Vec<String>> {
    read_all(table, |row| row.str("Name"))
}
