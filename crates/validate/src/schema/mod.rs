//! The `_Validation` rows a package is checked against: the Windows
//! Installer SDK schema's rows for every standard table (`validation.tsv`,
//! see its header for where the facts come from), merged with the package's
//! own `_Validation` table as `MsiDatabaseMerge` merges the validation
//! database into the package in Orca and msival2: where both have a row for
//! the same table and column the package's row wins; the built-in rows fill
//! the gaps ("_Validation Table", "ICE03").

use std::collections::BTreeMap;

use crate::db::{Package, Table, Value};

/// The built-in rows, tab-separated (see the file's header).
const BUILT_IN: &str = include_str!("validation.tsv");

/// The Nullable column of a `_Validation` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nullable {
    /// `Y`: the column may be null.
    Yes,
    /// `N`: it may not.
    No,
    /// `@`: a key column that may be null.
    KeyNull,
}

/// One `_Validation` row: what a column may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    pub(crate) nullable: Nullable,
    pub(crate) min: Option<i64>,
    pub(crate) max: Option<i64>,
    /// The tables a foreign key may point into (`KeyTable`, `;`-separated).
    pub(crate) key_tables: Vec<String>,
    /// The 1-based column of those tables (`KeyColumn`).
    pub(crate) key_column: Option<usize>,
    pub(crate) category: Option<String>,
    /// The accepted values (`Set`, `;`-separated).
    pub(crate) set: Option<Vec<String>>,
    /// Whether the row came from the package's own `_Validation` table.
    pub(crate) from_package: bool,
}

/// The merged rows, by table and column.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schema {
    specs: BTreeMap<(String, String), Spec>,
    /// Whether the package has a `_Validation` table of its own.
    pub(crate) package_has_validation: bool,
}

impl Schema {
    /// The built-in rows merged with `package`'s.
    pub(crate) fn for_package(package: &Package) -> Schema {
        let mut schema = Schema::built_in();
        if let Some(table) = package.table("_Validation") {
            schema.package_has_validation = true;
            for (t, c, spec) in package_rows(table) {
                schema.specs.insert((t, c), spec);
            }
        }
        schema
    }

    fn built_in() -> Schema {
        let mut schema = Schema::default();
        for line in BUILT_IN.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let field = |i: usize| f.get(i).copied().filter(|s| !s.is_empty());
            let (Some(table), Some(column)) = (field(0), field(1)) else {
                continue;
            };
            let spec = Spec {
                nullable: nullable(field(2).unwrap_or("N")),
                min: field(3).and_then(|s| s.parse().ok()),
                max: field(4).and_then(|s| s.parse().ok()),
                key_tables: split_list(field(5)),
                key_column: field(6).and_then(|s| s.parse().ok()),
                category: field(7).map(str::to_string),
                set: field(8).map(|s| s.split(';').map(str::to_string).collect()),
                from_package: false,
            };
            schema
                .specs
                .insert((table.to_string(), column.to_string()), spec);
        }
        schema
    }

    /// The row for `table`.`column`.
    pub(crate) fn spec(&self, table: &str, column: &str) -> Option<&Spec> {
        self.specs.get(&(table.to_string(), column.to_string()))
    }

    /// Every row, by table and column.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str, &Spec)> {
        self.specs
            .iter()
            .map(|((t, c), s)| (t.as_str(), c.as_str(), s))
    }
}

fn nullable(s: &str) -> Nullable {
    match s {
        "Y" => Nullable::Yes,
        "@" => Nullable::KeyNull,
        _ => Nullable::No,
    }
}

fn split_list(s: Option<&str>) -> Vec<String> {
    s.map(|s| {
        s.split(';')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

/// The rows of a package's `_Validation` table.
fn package_rows(table: &Table) -> Vec<(String, String, Spec)> {
    let col = |name: &str| table.column_index(name);
    let (Some(t), Some(c)) = (col("Table"), col("Column")) else {
        return Vec::new();
    };
    let text = |row: &[Value], i: Option<usize>| -> Option<String> {
        match i.and_then(|i| row.get(i)) {
            Some(Value::Str(s)) => Some(s.clone()),
            Some(Value::Int(n)) => Some(n.to_string()),
            _ => None,
        }
    };
    let int = |row: &[Value], i: Option<usize>| -> Option<i64> {
        match i.and_then(|i| row.get(i)) {
            Some(Value::Int(n)) => Some(i64::from(*n)),
            Some(Value::Str(s)) => s.trim().parse().ok(),
            _ => None,
        }
    };
    let mut out = Vec::new();
    for row in &table.rows {
        let (Some(tn), Some(cn)) = (text(row, Some(t)), text(row, Some(c))) else {
            continue;
        };
        let spec = Spec {
            nullable: nullable(text(row, col("Nullable")).as_deref().unwrap_or("N")),
            min: int(row, col("MinValue")),
            max: int(row, col("MaxValue")),
            key_tables: split_list(text(row, col("KeyTable")).as_deref()),
            key_column: int(row, col("KeyColumn")).and_then(|n| usize::try_from(n).ok()),
            category: text(row, col("Category")),
            set: text(row, col("Set")).map(|s| s.split(';').map(str::to_string).collect()),
            from_package: true,
        };
        out.push((tn, cn, spec));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_rows_cover_the_standard_tables() {
        let s = Schema::built_in();
        let file = s.spec("File", "FileName").unwrap();
        assert_eq!(file.category.as_deref(), Some("Filename"));
        assert_eq!(file.nullable, Nullable::No);
        let comp = s.spec("File", "Component_").unwrap();
        assert_eq!(comp.key_tables, vec!["Component".to_string()]);
        assert_eq!(comp.key_column, Some(1));
        let seq = s.spec("InstallExecuteSequence", "Sequence").unwrap();
        assert_eq!((seq.min, seq.max), (Some(-4), Some(32767)));
    }
}
