//! The rules over every value and column: ICE03 (each value against its
//! `_Validation` row), ICE06 (each `_Validation` row against the columns)
//! and ICE32 (foreign keys of the same type and size as their keys).

use std::collections::{HashMap, HashSet};

use crate::categories;
use crate::context::Ctx;
use crate::db::{ColumnKind, Table, Value};
use crate::finding::{Finding, Severity};
use crate::schema::{Nullable, Spec};

/// Tables Windows Installer keeps for itself: ICE03 does not check them.
const SYSTEM_TABLES: &[&str] = &[
    "_Validation",
    "_Streams",
    "_Storages",
    "_Tables",
    "_Columns",
];

/// ICE03: data types, ranges, sets, categories and foreign keys.
pub(crate) fn ice03(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut keys = KeyCache::default();
    for table in ctx.package.tables() {
        if SYSTEM_TABLES.contains(&table.name.as_str()) {
            continue;
        }
        for (ci, column) in table.columns.iter().enumerate() {
            let Some(spec) = ctx.schema.spec(&table.name, &column.name) else {
                out.push(
                    Finding::new(
                        "ICE03",
                        Severity::Error,
                        format!(
                            "Missing data in _Validation table or old Database; Table: {}, Column: {}",
                            table.name, column.name
                        ),
                    )
                    .table(&table.name)
                    .column(&column.name),
                );
                continue;
            };
            if let Some(cat) = &spec.category
                && !categories::KNOWN.contains(&cat.as_str())
            {
                out.push(
                    Finding::new(
                        "ICE03",
                        Severity::Error,
                        format!(
                            "_Validation table: Invalid category string; Table: {}, Column: {}",
                            table.name, column.name
                        ),
                    )
                    .table("_Validation")
                    .column("Category"),
                );
                continue;
            }
            if let (Some(min), Some(max)) = (spec.min, spec.max)
                && max < min
            {
                out.push(
                    Finding::new(
                        "ICE03",
                        Severity::Error,
                        format!(
                            "_Validation table: Value in MaxValue column < that in MinValue column; Table: {}, Column: {}",
                            table.name, column.name
                        ),
                    )
                    .table("_Validation")
                    .column("MaxValue"),
                );
            }
            for row in &table.rows {
                let Some(value) = row.get(ci) else { continue };
                if let Some(heading) = check_value(ctx, &mut keys, table, column.kind, spec, value)
                {
                    let key: Vec<String> = table
                        .columns
                        .iter()
                        .zip(row)
                        .filter(|(c, _)| c.primary_key)
                        .map(|(_, v)| v.text())
                        .collect();
                    let (heading, detail) = heading;
                    let mut message = format!(
                        "{heading}; Table: {}, Column: {}, Key(s): {}",
                        table.name,
                        column.name,
                        key.join(".")
                    );
                    if let Some(detail) = detail {
                        message.push_str(&format!(" ({detail})"));
                    }
                    out.push(
                        Finding::new("ICE03", Severity::Error, message)
                            .row(&table.name, key)
                            .column(&column.name),
                    );
                }
            }
        }
    }
}

type Fault = (&'static str, Option<String>);

/// The first fault of one value, as ICE03 names it.
fn check_value(
    ctx: &Ctx<'_>,
    keys: &mut KeyCache,
    table: &Table,
    kind: ColumnKind,
    spec: &Spec,
    value: &Value,
) -> Option<Fault> {
    let text = match value {
        Value::Null => {
            return (spec.nullable == Nullable::No && kind != ColumnKind::Binary)
                .then_some(("Not A Nullable Column", None));
        }
        Value::Int(n) => {
            let n = i64::from(*n);
            if spec.min.is_some_and(|min| n < min) {
                return Some(("Value below MinValue", None));
            }
            if spec.max.is_some_and(|max| n > max) {
                return Some(("Value exceeds MaxValue", None));
            }
            if let Some(set) = &spec.set
                && !set.iter().any(|s| s.trim().parse::<i64>() == Ok(n))
            {
                return Some(("Value not a member of the set", None));
            }
            n.to_string()
        }
        Value::Str(s) => {
            if kind == ColumnKind::Binary {
                return None;
            }
            if let ColumnKind::Str(width) = kind
                && width > 0
                && s.chars().count() > width
            {
                return Some((
                    "String overflow (greater than length permitted in column)",
                    None,
                ));
            }
            if let Some(set) = &spec.set
                && !set.iter().any(|v| v == s)
            {
                return Some(("Value not a member of the set", None));
            }
            s.clone()
        }
    };
    let category = spec.category.as_deref().unwrap_or("");
    let has_key = !spec.key_tables.is_empty() && spec.key_column.is_some();
    // A Version column that is also a foreign key (File.Version: a companion
    // file) holds either a version or the key of a row.
    if category == "Version" && has_key {
        if categories::is_version(&text) || keys.contains(ctx, spec, &text) {
            return None;
        }
        return Some(("Invalid version string", None));
    }
    if matches!(value, Value::Str(_))
        && let Some(fault) = categories::check(category, &text)
    {
        return Some((fault.heading, fault.detail));
    }
    if has_key && !keys.contains(ctx, spec, &text) {
        // A parent key naming its own row is a root (Directory, Feature).
        let _ = table;
        return Some(("Not A Valid Foreign Key", None));
    }
    None
}

/// The values of key columns, read once each.
#[derive(Default)]
struct KeyCache {
    values: HashMap<(String, usize), HashSet<String>>,
}

impl KeyCache {
    fn contains(&mut self, ctx: &Ctx<'_>, spec: &Spec, value: &str) -> bool {
        let Some(col) = spec.key_column.and_then(|c| c.checked_sub(1)) else {
            return true;
        };
        spec.key_tables.iter().any(|t| {
            let set = self.values.entry((t.clone(), col)).or_insert_with(|| {
                ctx.table(t)
                    .map(|table| {
                        table
                            .rows
                            .iter()
                            .filter_map(|r| r.get(col))
                            .map(Value::text)
                            .collect()
                    })
                    .unwrap_or_default()
            });
            set.contains(value)
        })
    }
}

/// ICE06: every row of the package's own `_Validation` table for a table
/// the package has names one of its columns. The built-in rows are not
/// checked: they describe the latest schema, and a package written for an
/// earlier one lacks some of their columns by right.
pub(crate) fn ice06(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (t, c, spec) in ctx.schema.iter() {
        if !spec.from_package {
            continue;
        }
        if let Some(table) = ctx.table(t)
            && table.column_index(c).is_none()
        {
            out.push(
                Finding::new(
                    "ICE06",
                    Severity::Error,
                    format!("Column: {c} of Table: {t} is not defined in database."),
                )
                .table(t)
                .column(c),
            );
        }
    }
}

/// A column's type as `MsiViewGetColumnInfo` spells it: `s72` (`S72` when
/// nullable), `i2`, `i4`, `v0`.
fn type_string(kind: ColumnKind, nullable: bool) -> String {
    let s = match kind {
        ColumnKind::Int16 => "i2".to_string(),
        ColumnKind::Int32 => "i4".to_string(),
        ColumnKind::Str(n) => format!("s{n}"),
        ColumnKind::Binary => "v0".to_string(),
    };
    if nullable { s.to_uppercase() } else { s }
}

/// ICE32: a foreign key column has the type and size of the key it names.
pub(crate) fn ice32(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (t, c, spec) in ctx.schema.iter() {
        let (Some(table), Some(kc)) = (ctx.table(t), spec.key_column) else {
            continue;
        };
        let Some(column) = table.columns.iter().find(|x| x.name == c) else {
            continue;
        };
        for kt in &spec.key_tables {
            let Some(key_table) = ctx.table(kt) else {
                continue;
            };
            let Some(key) = kc.checked_sub(1).and_then(|i| key_table.columns.get(i)) else {
                continue;
            };
            if key.kind != column.kind {
                out.push(
                    Finding::new(
                        "ICE32",
                        Severity::Error,
                        format!(
                            "Possible Mis-Aligned Foreign Keys\n{kt}.{kc} = {}\n{t}.{c} = {}",
                            type_string(key.kind, key.nullable),
                            type_string(column.kind, column.nullable)
                        ),
                    )
                    .table("_Validation")
                    .column(c),
                );
            }
        }
    }
}
