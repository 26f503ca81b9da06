//! The package's tables: raw rows as read from the database ([`Table`]), and
//! typed rows for each table family the engine uses, one module per family.
//!
//! The typed readers check what the engine relies on (required columns
//! present and non-null, integers where integers belong) and turn a broken
//! row into [`crate::Error::BadRow`] instead of a panic. An
//! absent table reads as no rows: Windows Installer treats a missing
//! optional table as empty.

use serde::Serialize;

use crate::error::{Error, Result};

pub mod appsearch;
pub mod component;
pub mod condition;
pub mod custom_action;
pub mod directory;
pub mod feature;
pub mod file;
pub mod folders;
pub mod launch_condition;
pub mod media;
pub mod property;
pub mod sequence;
pub mod upgrade;

/// One cell of a table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A null cell (an empty string is stored as null too).
    Null,
    /// An integer cell.
    Int(i32),
    /// A string cell, never empty. For a binary (stream) column, the name of
    /// the stream (`Table.Key`) when the row has one.
    Str(String),
}

impl Value {
    /// The cell as text: integers in decimal, null as "".
    pub fn text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Int(i) => i.to_string(),
            Value::Str(s) => s.clone(),
        }
    }
}

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    /// A 16-bit integer.
    Int16,
    /// A 32-bit integer.
    Int32,
    /// A string of at most the given length (0 = unlimited).
    Str(usize),
    /// A binary stream.
    Binary,
}

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// Its type.
    pub kind: ColumnKind,
    /// Part of the primary key.
    pub primary_key: bool,
    /// May hold null.
    pub nullable: bool,
    /// Localizable (an `l`/`L` string column in `msiinfo export`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub localizable: bool,
}

impl Column {
    /// A column that is not localizable.
    pub fn new(name: &str, kind: ColumnKind, primary_key: bool, nullable: bool) -> Column {
        Column {
            name: name.to_string(),
            kind,
            primary_key,
            nullable,
            localizable: false,
        }
    }
}

/// A table as stored in the package: its columns and all its rows.
///
/// Invariant: every row has exactly `columns.len()` cells, and a cell's
/// variant fits its column's kind (integers in integer columns, strings in
/// string columns; null anywhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// The table's name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<Column>,
    /// Its rows, in the order the package stores them (primary key order).
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// Index of the column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The primary key of `row`, its key cells joined with `/`.
    pub fn key_of(&self, row: &[Value]) -> String {
        let parts: Vec<String> = self
            .columns
            .iter()
            .zip(row)
            .filter(|(c, _)| c.primary_key)
            .map(|(_, v)| v.text())
            .collect();
        parts.join("/")
    }

    /// Rows with named-column access, for the typed readers.
    pub(crate) fn reader(&self) -> Rows<'_> {
        Rows { table: self }
    }
}

/// Named access to a table's rows.
pub(crate) struct Rows<'a> {
    table: &'a Table,
}

impl<'a> Rows<'a> {
    /// Iterates over the rows with accessors; `required` columns must exist.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Row<'a>> + '_ {
        let table = self.table;
        table.rows.iter().map(move |cells| Row { table, cells })
    }
}

/// One row with named, typed access and errors naming table, key and column.
#[derive(Clone, Copy)]
pub(crate) struct Row<'a> {
    table: &'a Table,
    cells: &'a [Value],
}

impl<'a> Row<'a> {
    pub(crate) fn key(&self) -> String {
        self.table.key_of(self.cells)
    }

    fn error(&self, reason: String) -> Error {
        Error::bad_row(&self.table.name, self.key(), reason)
    }

    fn cell(&self, column: &str) -> Option<&'a Value> {
        self.table
            .column_index(column)
            .and_then(|i| self.cells.get(i))
    }

    /// A string column that must be present and non-null.
    pub(crate) fn str(&self, column: &str) -> Result<String> {
        match self.cell(column) {
            Some(Value::Str(s)) => Ok(s.clone()),
            Some(Value::Null) => Err(self.error(format!("column {column} is null"))),
            Some(Value::Int(i)) => Ok(i.to_string()),
            None => Err(self.error(format!("no column {column}"))),
        }
    }

    /// A string column that may be null or absent (null → `None`).
    pub(crate) fn opt_str(&self, column: &str) -> Option<String> {
        match self.cell(column) {
            Some(Value::Str(s)) => Some(s.clone()),
            Some(Value::Int(i)) => Some(i.to_string()),
            _ => None,
        }
    }

    /// An integer column that must be present and non-null.
    pub(crate) fn int(&self, column: &str) -> Result<i32> {
        match self.cell(column) {
            Some(Value::Int(i)) => Ok(*i),
            Some(Value::Str(s)) => s
                .trim()
                .parse()
                .map_err(|_| self.error(format!("column {column} is not an integer: {s:?}"))),
            Some(Value::Null) => Err(self.error(format!("column {column} is null"))),
            None => Err(self.error(format!("no column {column}"))),
        }
    }

    /// An integer column that may be null or absent.
    pub(crate) fn opt_int(&self, column: &str) -> Result<Option<i32>> {
        match self.cell(column) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.int(column).map(Some),
        }
    }

    /// A check on the row's content, as an error naming the row.
    pub(crate) fn ensure(&self, ok: bool, reason: impl FnOnce() -> String) -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(self.error(reason()))
        }
    }
}

/// Reads every row of an optional table with `parse`; an absent table is empty.
pub(crate) fn read_all<T>(
    table: Option<&Table>,
    mut parse: impl FnMut(Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let Some(table) = table else {
        return Ok(Vec::new());
    };
    let rows = table.reader();
    rows.iter().map(&mut parse).collect()
}

/// Whether `name` is a valid Identifier ("Identifier" data type: letter or `_` first;
/// letters, digits, `_` and `.` after).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_identifier("TARGETDIR"));
        assert!(is_identifier("_a.b1"));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("a b"));
        assert!(!is_identifier("../x"));
    }

    #[test]
    fn typed_access_reports_table_key_and_column() {
        let table = Table {
            name: "T".into(),
            columns: vec![
                Column::new("K", ColumnKind::Str(72), true, false),
                Column::new("N", ColumnKind::Int16, false, true),
            ],
            rows: vec![vec![Value::Str("a".into()), Value::Null]],
        };
        let rows = table.reader();
        let row = rows.iter().next().unwrap();
        assert_eq!(row.str("K").unwrap(), "a");
        assert_eq!(row.opt_int("N").unwrap(), None);
        let err = row.int("N").unwrap_err().to_string();
        assert_eq!(err, "table T, row \"a\": column N is null");
        assert!(row.str("Missing").is_err());
    }
}
