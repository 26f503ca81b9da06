//! Named access to the cells of tables the engine reads without a typed reader in the
//! package crate (Shortcut, IniFile, RemoveIniFile, IniLocator, Icon).

use package::{Table, Value};

/// One row of a table, its cells by column name.
pub(crate) struct Row<'a> {
    table: &'a Table,
    cells: &'a [Value],
}

impl<'a> Row<'a> {
    /// The rows of `table` (none when the package has no such table).
    pub(crate) fn all(table: Option<&'a Table>) -> Vec<Row<'a>> {
        table
            .map(|t| t.rows.iter().map(|cells| Row { table: t, cells }).collect())
            .unwrap_or_default()
    }

    fn cell(&self, column: &str) -> Option<&'a Value> {
        self.table
            .column_index(column)
            .and_then(|i| self.cells.get(i))
    }

    /// A text cell; `None` when null or missing.
    pub(crate) fn text(&self, column: &str) -> Option<String> {
        match self.cell(column)? {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Null => None,
        }
    }

    /// An integer cell; `None` when null, missing or not an integer.
    pub(crate) fn int(&self, column: &str) -> Option<i32> {
        match self.cell(column)? {
            Value::Int(i) => Some(*i),
            Value::Str(s) => s.trim().parse().ok(),
            Value::Null => None,
        }
    }
}

/// The long name of a `short|long` file name (the FileName column type).
pub(crate) fn long_name(name: &str) -> &str {
    name.rsplit('|').next().unwrap_or(name)
}
