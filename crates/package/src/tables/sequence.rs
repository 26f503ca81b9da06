//! The six sequence tables ("Sequence Tables").

use super::{Table, read_all};
use crate::error::Result;

/// One of the sequence tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SequenceTable {
    /// `InstallExecuteSequence`.
    InstallExecute,
    /// `InstallUISequence`.
    InstallUI,
    /// `AdminExecuteSequence`.
    AdminExecute,
    /// `AdminUISequence`.
    AdminUI,
    /// `AdvtExecuteSequence`.
    AdvtExecute,
    /// `AdvtUISequence`.
    AdvtUI,
}

impl SequenceTable {
    /// All six, in the order `rmsi info` lists them.
    pub const ALL: [SequenceTable; 6] = [
        SequenceTable::InstallUI,
        SequenceTable::InstallExecute,
        SequenceTable::AdminUI,
        SequenceTable::AdminExecute,
        SequenceTable::AdvtUI,
        SequenceTable::AdvtExecute,
    ];

    /// The table's name.
    pub fn table_name(self) -> &'static str {
        match self {
            SequenceTable::InstallExecute => "InstallExecuteSequence",
            SequenceTable::InstallUI => "InstallUISequence",
            SequenceTable::AdminExecute => "AdminExecuteSequence",
            SequenceTable::AdminUI => "AdminUISequence",
            SequenceTable::AdvtExecute => "AdvtExecuteSequence",
            SequenceTable::AdvtUI => "AdvtUISequence",
        }
    }
}

/// A sequence row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceRow {
    /// The action: standard, custom or dialog.
    pub action: String,
    /// The condition; `None` ⇒ run.
    pub condition: Option<String>,
    /// The sequence number; `None`, 0 and negatives other than -1…-4 never
    /// run; -1…-4 are the termination rows.
    pub sequence: Option<i32>,
}

/// Reads a sequence table in stored order.
pub fn read(table: Option<&Table>) -> Result<Vec<SequenceRow>> {
    read_all(table, |row| {
        Ok(SequenceRow {
            action: row.str("Action")?,
            condition: row.opt_str("Condition"),
            sequence: row.opt_int("Sequence")?,
        })
    })
}

/// The rows that run, in execution order: positive sequence numbers,
/// ascending (equal numbers keep the table's order).
pub fn ordered(rows: &[SequenceRow]) -> Vec<&SequenceRow> {
    let mut run: Vec<&SequenceRow> = rows
        .iter()
        .filter(|r| r.sequence.is_some_and(|s| s > 0))
        .collect();
    run.sort_by_key(|r| r.sequence);
    run
}

/// The termination row for `flag` (-1 success, -2 user exit, -3 failure,
/// -4 suspend), if authored.
pub fn termination(rows: &[SequenceRow], flag: i32) -> Option<&SequenceRow> {
    rows.iter().find(|r| r.sequence == Some(flag))
}
