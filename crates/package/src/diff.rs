//! The differences between two packages' databases: tables added or removed, columns
//! added, rows added, deleted or changed (by primary key), and streams added, removed or
//! changed — what `rmsi diff` shows and what a transform between them would hold.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::package::Package;
use crate::tables::{Table, Value};

/// How a table or stream differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Only the second package has it.
    Added,
    /// Only the first package has it.
    Removed,
    /// Both have it, differently.
    Changed,
}

/// One changed row: its key and each changed column's two values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowChange {
    /// The primary key's cells.
    pub key: Vec<Value>,
    /// Column name → (value in the first package, value in the second).
    pub columns: BTreeMap<String, (Value, Value)>,
}

/// How one table differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDiff {
    /// The table's name.
    pub name: String,
    /// Added, removed or changed.
    pub status: Status,
    /// Columns the second package's table has past the first's.
    pub columns_added: Vec<String>,
    /// Columns the first package's table has that the second's lacks (or types changed).
    pub columns_removed: Vec<String>,
    /// Rows only the second package has.
    pub rows_added: Vec<Vec<Value>>,
    /// Rows only the first package has.
    pub rows_deleted: Vec<Vec<Value>>,
    /// Rows both have, with different cells.
    pub rows_changed: Vec<RowChange>,
}

/// How one stream differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamDiff {
    /// The stream's name.
    pub name: String,
    /// Added, removed or changed.
    pub status: Status,
    /// Its size in the first package.
    pub size_a: Option<u64>,
    /// Its size in the second package.
    pub size_b: Option<u64>,
}

/// All differences between two packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Diff {
    /// Tables that differ, by name.
    pub tables: Vec<TableDiff>,
    /// Streams that differ, by name.
    pub streams: Vec<StreamDiff>,
}

impl Diff {
    /// Whether the packages' databases are the same.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.streams.is_empty()
    }
}

fn read_all(p: &Package, name: &str) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    p.read_stream(name)?
        .read_to_end(&mut data)
        .map_err(|e| Error::io(p.path(), e))?;
    Ok(data)
}

fn table_diff(a: Option<&Table>, b: Option<&Table>) -> Option<TableDiff> {
    let (name, status) = match (a, b) {
        (None, None) => return None,
        (None, Some(t)) => (t.name.clone(), Status::Added),
        (Some(t), None) => (t.name.clone(), Status::Removed),
        (Some(t), Some(_)) => (t.name.clone(), Status::Changed),
    };
    let empty = Table {
        name: name.clone(),
        columns: Vec::new(),
        rows: Vec::new(),
    };
    let (ta, tb) = (a.unwrap_or(&empty), b.unwrap_or(&empty));
    let mut d = TableDiff {
        name,
        status,
        columns_added: Vec::new(),
        columns_removed: Vec::new(),
        rows_added: Vec::new(),
        rows_deleted: Vec::new(),
        rows_changed: Vec::new(),
    };
    if status == Status::Changed {
        for c in &tb.columns {
            if !ta
                .columns
                .iter()
                .any(|x| x.name == c.name && x.kind == c.kind)
            {
                d.columns_added.push(c.name.clone());
            }
        }
        for c in &ta.columns {
            if !tb
                .columns
                .iter()
                .any(|x| x.name == c.name && x.kind == c.kind)
            {
                d.columns_removed.push(c.name.clone());
            }
        }
    }
    let key = |t: &Table, row: &[Value]| -> Vec<Value> {
        t.columns
            .iter()
            .zip(row)
            .filter(|(c, _)| c.primary_key)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let rows_a: HashMap<Vec<Value>, &Vec<Value>> =
        ta.rows.iter().map(|r| (key(ta, r), r)).collect();
    let rows_b: HashMap<Vec<Value>, &Vec<Value>> =
        tb.rows.iter().map(|r| (key(tb, r), r)).collect();
    for row in &tb.rows {
        match rows_a.get(&key(tb, row)) {
            None => d.rows_added.push(row.clone()),
            Some(before) => {
                let mut columns = BTreeMap::new();
                for (i, c) in tb.columns.iter().enumerate() {
                    let old = ta
                        .column_index(&c.name)
                        .and_then(|j| before.get(j))
                        .cloned()
                        .unwrap_or(Value::Null);
                    if old != row[i] {
                        columns.insert(c.name.clone(), (old, row[i].clone()));
                    }
                }
                if !columns.is_empty() {
                    d.rows_changed.push(RowChange {
                        key: key(tb, row),
                        columns,
                    });
                }
            }
        }
    }
    for row in &ta.rows {
        if !rows_b.contains_key(&key(ta, row)) {
            d.rows_deleted.push(row.clone());
        }
    }
    d.rows_added.sort();
    d.rows_deleted.sort();
    d.rows_changed.sort_by(|x, y| x.key.cmp(&y.key));
    let same = d.columns_added.is_empty()
        && d.columns_removed.is_empty()
        && d.rows_added.is_empty()
        && d.rows_deleted.is_empty()
        && d.rows_changed.is_empty();
    (status != Status::Changed || !same).then_some(d)
}

impl Package {
    /// The differences from this package to `other` (binary cells compare by their
    /// streams, listed with the streams).
    pub fn diff(&self, other: &Package) -> Result<Diff> {
        let mut names: Vec<&str> = self
            .tables()
            .chain(other.tables())
            .map(|t| t.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        let tables = names
            .into_iter()
            .filter_map(|n| table_diff(self.table(n), other.table(n)))
            .collect();
        let mut stream_names: Vec<&String> = self
            .stream_names()
            .iter()
            .chain(other.stream_names())
            .collect();
        stream_names.sort_unstable();
        stream_names.dedup();
        let mut streams = Vec::new();
        for name in stream_names {
            let a = self
                .has_stream(name)
                .then(|| read_all(self, name))
                .transpose()?;
            let b = other
                .has_stream(name)
                .then(|| read_all(other, name))
                .transpose()?;
            let status = match (&a, &b) {
                (None, Some(_)) => Status::Added,
                (Some(_), None) => Status::Removed,
                (Some(x), Some(y)) if x != y => Status::Changed,
                _ => continue,
            };
            streams.push(StreamDiff {
                name: name.clone(),
                status,
                size_a: a.map(|d| d.len() as u64),
                size_b: b.map(|d| d.len() as u64),
            });
        }
        Ok(Diff { tables, streams })
    }
}
