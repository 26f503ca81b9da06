//! Applying a transform to the in-memory database ("MsiDatabaseApplyTransform"), and the
//! checks the installer makes first ("Transform Validation").
//!
//! `_Tables` and `_Columns` changes are applied first, so that added tables exist and
//! every table's columns are known before its difference stream is decoded; then each
//! table's difference stream in the storage's order; then the streams and substorages the
//! transform carries. The package is changed only when the whole transform applies.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::record::{self, Record};
use super::{ErrorConditions, Transform, Validation};
use crate::error::{Error, Result};
use crate::package::Package;
use crate::tables::{Column, ColumnKind, Table, Value};
use crate::version::Version;

/// The `_Tables` catalogue's one column.
fn tables_columns() -> Vec<Column> {
    vec![Column::new("Name", ColumnKind::Str(64), true, false)]
}

/// The `_Columns` catalogue's columns.
fn columns_columns() -> Vec<Column> {
    vec![
        Column::new("Table", ColumnKind::Str(64), true, false),
        Column::new("Number", ColumnKind::Int16, true, false),
        Column::new("Name", ColumnKind::Str(64), false, false),
        Column::new("Type", ColumnKind::Int16, false, false),
    ]
}

/// The database state a transform is applied to, committed only on success.
struct Work {
    tables: BTreeMap<String, Table>,
    streams: Vec<String>,
    overlay: BTreeMap<String, Arc<[u8]>>,
    storage_overlay: BTreeMap<String, Arc<[u8]>>,
    codepage: i32,
}

impl Transform {
    /// Checks the transform's validation flags against `package` as the installer does
    /// before applying it ("Transform Validation"): the product code, upgrade code,
    /// language and platform of the base package it was made from, and the version
    /// relation. A mismatch is [`Error::TransformFailure`] (1624) naming it.
    pub fn check(&self, package: &Package) -> Result<()> {
        let s = &self.summary;
        let v = s.validation;
        let fail = |reason: String| Err(Error::transform(&self.name, reason));
        let prop = |name: &str| package.property(name).unwrap_or_default();
        if v.has(Validation::PRODUCT)
            && !prop("ProductCode").eq_ignore_ascii_case(&s.base_product_code)
        {
            return fail(format!(
                "it is for product {}, the package is product {}",
                s.base_product_code,
                prop("ProductCode")
            ));
        }
        if v.has(Validation::UPGRADECODE)
            && !prop("UpgradeCode").eq_ignore_ascii_case(&s.upgrade_code)
        {
            return fail(format!(
                "it is for upgrade code {}, the package's is {:?}",
                s.upgrade_code,
                prop("UpgradeCode")
            ));
        }
        if v.has(Validation::LANGUAGE)
            && let Some(&base) = s.base_languages.first()
        {
            let language = prop("ProductLanguage");
            if language.trim().parse::<u16>().ok() != Some(base) {
                return fail(format!(
                    "it is for language {base}, the package's ProductLanguage is {language:?}"
                ));
            }
        }
        if v.has(Validation::PLATFORM) {
            let norm = |p: &str| {
                if p.is_empty() || p.eq_ignore_ascii_case("Intel") {
                    "intel".to_string()
                } else {
                    p.to_ascii_lowercase()
                }
            };
            let platform = package.summary().platform.clone().unwrap_or_default();
            if norm(&platform) != norm(&s.base_platform) {
                return fail(format!(
                    "it is for platform {:?}, the package is for {platform:?}",
                    s.base_platform
                ));
            }
        }
        let relations = Validation::NEWLESSBASEVERSION
            | Validation::NEWLESSEQUALBASEVERSION
            | Validation::NEWEQUALBASEVERSION
            | Validation::NEWGREATEREQUALBASEVERSION
            | Validation::NEWGREATERBASEVERSION;
        let fields = if v.has(Validation::MAJORVERSION) {
            1
        } else if v.has(Validation::MINORVERSION) {
            2
        } else if v.has(Validation::UPDATEVERSION) || v.0 & relations != 0 {
            3
        } else {
            0
        };
        if fields > 0 {
            let installed_text = prop("ProductVersion");
            let (Some(installed), Some(base)) = (
                Version::parse(&installed_text),
                Version::parse(&s.base_version),
            ) else {
                return fail(format!(
                    "it compares versions, and {installed_text:?} or {:?} is not a version",
                    s.base_version
                ));
            };
            let order = installed.0[..fields].cmp(&base.0[..fields]);
            // With no relation given, the versions must be equal.
            let ok = match v.0 & relations {
                0 => order == Ordering::Equal,
                r => {
                    (r & Validation::NEWLESSBASEVERSION != 0 && order == Ordering::Less)
                        || (r & Validation::NEWLESSEQUALBASEVERSION != 0
                            && order != Ordering::Greater)
                        || (r & Validation::NEWEQUALBASEVERSION != 0 && order == Ordering::Equal)
                        || (r & Validation::NEWGREATEREQUALBASEVERSION != 0
                            && order != Ordering::Less)
                        || (r & Validation::NEWGREATERBASEVERSION != 0
                            && order == Ordering::Greater)
                }
            };
            if !ok {
                return fail(format!(
                    "the package's version {installed_text} does not stand as the transform requires to its base version {} (validation {})",
                    s.base_version,
                    v.names().join(",")
                ));
            }
        }
        Ok(())
    }
}

impl Package {
    /// Applies `transform` to the database in memory, as `MsiDatabaseApplyTransform` does:
    /// `suppress` lists the error conditions that are not errors (adding a row or table
    /// that exists replaces it; deleting or updating a missing one does nothing). The
    /// validation flags are not checked here (see [`Transform::check`] and
    /// [`Package::apply_transform_checked`]). On any error the package is unchanged.
    pub fn apply_transform(
        &mut self,
        transform: &Transform,
        suppress: ErrorConditions,
    ) -> Result<()> {
        let mut work = Work {
            tables: self.tables.clone(),
            streams: self.streams.clone(),
            overlay: self.overlay.clone(),
            storage_overlay: self.storage_overlay.clone(),
            codepage: self.summary.database_codepage,
        };
        work.apply(transform, suppress)
            .map_err(|reason| Error::transform(&transform.name, reason))?;
        self.tables = work.tables;
        self.streams = work.streams;
        self.overlay = work.overlay;
        self.storage_overlay = work.storage_overlay;
        self.summary.database_codepage = work.codepage;
        self.transforms.push(transform.clone());
        Ok(())
    }

    /// Checks `transform`'s validation flags against the package, then applies it with
    /// the error conditions its summary suppresses: what the installer does with each
    /// transform of `TRANSFORMS`.
    pub fn apply_transform_checked(&mut self, transform: &Transform) -> Result<()> {
        transform.check(self)?;
        self.apply_transform(transform, transform.summary.error_conditions)
    }
}

fn key_of(row: &[Value], keys: &[usize]) -> Vec<Value> {
    keys.iter().map(|&k| row[k].clone()).collect()
}

fn stream_name(table: &str, row: &[Value], keys: &[usize]) -> String {
    let parts: Vec<String> = keys.iter().map(|&k| row[k].text()).collect();
    format!("{table}.{}", parts.join("."))
}

impl Work {
    fn apply(&mut self, t: &Transform, suppress: ErrorConditions) -> Result<(), String> {
        let cp = t.pool.codepage;
        if cp != 0 && cp != self.codepage {
            if self.codepage != 0 && !suppress.has(ErrorConditions::CHANGECODEPAGE) {
                return Err(format!(
                    "its code page {cp} differs from the database's {}",
                    self.codepage
                ));
            }
            self.codepage = cp;
        }
        let mut dropped = HashSet::new();
        if let Some((_, data)) = t.tables.iter().find(|(n, _)| n == "_Tables") {
            for rec in record::decode(data, &tables_columns(), &t.pool)
                .map_err(|e| format!("_Tables: {e}"))?
            {
                self.table_change(&rec, suppress, &mut dropped)?;
            }
        }
        if let Some((_, data)) = t.tables.iter().find(|(n, _)| n == "_Columns") {
            let records = record::decode(data, &columns_columns(), &t.pool)
                .map_err(|e| format!("_Columns: {e}"))?;
            self.column_changes(&records, suppress)?;
        }
        for (name, data) in &t.tables {
            if name == "_Tables" || name == "_Columns" {
                continue;
            }
            if !self.tables.contains_key(name) {
                if dropped.contains(name) {
                    continue;
                }
                return Err(format!("it changes table {name}, which the database lacks"));
            }
            self.table_rows(t, name, data, suppress)?;
        }
        for (name, data) in &t.streams {
            if !self.streams.contains(name) {
                self.streams.push(name.clone());
            }
            self.overlay.insert(name.clone(), data.clone());
        }
        for (name, data) in &t.storages {
            self.storage_overlay.insert(name.clone(), data.clone());
        }
        Ok(())
    }

    fn table_change(
        &mut self,
        rec: &Record,
        suppress: ErrorConditions,
        dropped: &mut HashSet<String>,
    ) -> Result<(), String> {
        let Some(Some(Value::Str(name))) = rec.cells.first() else {
            return Err("a _Tables record without a table name".into());
        };
        if rec.is_delete() {
            if self.tables.remove(name).is_none() {
                if !suppress.has(ErrorConditions::DELMISSINGTABLE) {
                    return Err(format!("it drops table {name}, which the database lacks"));
                }
            } else {
                let prefix = format!("{name}.");
                self.streams.retain(|s| !s.starts_with(&prefix));
                self.overlay.retain(|s, _| !s.starts_with(&prefix));
                dropped.insert(name.clone());
            }
        } else if self.tables.contains_key(name) {
            if !suppress.has(ErrorConditions::ADDEXISTINGTABLE) {
                return Err(format!("it adds table {name}, which the database has"));
            }
        } else {
            self.tables.insert(
                name.clone(),
                Table {
                    name: name.clone(),
                    columns: Vec::new(),
                    rows: Vec::new(),
                },
            );
        }
        Ok(())
    }

    fn column_changes(
        &mut self,
        records: &[Record],
        suppress: ErrorConditions,
    ) -> Result<(), String> {
        for rec in records {
            let table = match rec.cells.first() {
                Some(Some(Value::Str(t))) => t.clone(),
                _ => return Err("a _Columns record without a table name".into()),
            };
            if rec.is_delete() {
                return Err(format!(
                    "it deletes a column of table {table}, which transforms cannot do"
                ));
            }
            let Some(t) = self.tables.get_mut(&table) else {
                return Err(format!(
                    "it adds columns to table {table}, which the database lacks"
                ));
            };
            // Windows writes a null Number for added columns: they follow the table's
            // last column.
            let number = match rec.cells.get(1) {
                Some(Some(Value::Int(n))) if *n > 0 => *n as usize,
                _ => t.columns.len() + 1,
            };
            let existing = number <= t.columns.len();
            let name = match rec.cells.get(2) {
                Some(Some(Value::Str(n))) => Some(n.clone()),
                _ => None,
            };
            let bits = match rec.cells.get(3) {
                Some(Some(Value::Int(b))) => Some(*b),
                _ => None,
            };
            if existing {
                if rec.is_insert() && !suppress.has(ErrorConditions::ADDEXISTINGROW) {
                    return Err(format!(
                        "it adds column {number} of table {table}, which the database has"
                    ));
                }
                let old = &t.columns[number - 1];
                let name = name.unwrap_or_else(|| old.name.clone());
                let column = match bits {
                    Some(b) => record::column_from_bits(&name, b),
                    None => Column {
                        name,
                        ..old.clone()
                    },
                };
                t.columns[number - 1] = column;
            } else if number == t.columns.len() + 1 && rec.is_insert() {
                let (Some(name), Some(bits)) = (name, bits) else {
                    return Err(format!(
                        "it adds a column to table {table} without a name or type"
                    ));
                };
                t.columns.push(record::column_from_bits(&name, bits));
                for row in &mut t.rows {
                    row.push(Value::Null);
                }
            } else if rec.is_insert() {
                return Err(format!(
                    "it adds column {number} to table {table}, which has {} columns",
                    t.columns.len()
                ));
            } else if !suppress.has(ErrorConditions::UPDATEMISSINGROW) {
                return Err(format!(
                    "it changes column {number} of table {table}, which it lacks"
                ));
            }
        }
        Ok(())
    }

    fn table_rows(
        &mut self,
        t: &Transform,
        name: &str,
        data: &[u8],
        suppress: ErrorConditions,
    ) -> Result<(), String> {
        let Some(table) = self.tables.get_mut(name) else {
            return Ok(());
        };
        let records = record::decode(data, &table.columns, &t.pool)
            .map_err(|e| format!("table {name}: {e}"))?;
        let keys: Vec<usize> = (0..table.columns.len())
            .filter(|&i| table.columns[i].primary_key)
            .collect();
        if keys.is_empty() && !records.is_empty() {
            return Err(format!("table {name} has no primary key"));
        }
        let binary: Vec<usize> = (0..table.columns.len())
            .filter(|&i| table.columns[i].kind == ColumnKind::Binary)
            .collect();
        let mut rows: Vec<Option<Vec<Value>>> = table.rows.drain(..).map(Some).collect();
        let mut index: HashMap<Vec<Value>, usize> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (key_of(r, &keys), i)))
            .collect();
        let ncols = table.columns.len();
        let describe = |key: &[Value]| key.iter().map(Value::text).collect::<Vec<_>>().join("/");
        for rec in records {
            let mut new_row: Vec<Value> = rec
                .cells
                .iter()
                .map(|c| c.clone().unwrap_or(Value::Null))
                .collect();
            new_row.resize(ncols, Value::Null);
            let key = key_of(&new_row, &keys);
            let found = index.get(&key).copied();
            let stream = stream_name(name, &new_row, &keys);
            if rec.is_delete() {
                match found {
                    Some(i) => {
                        rows[i] = None;
                        index.remove(&key);
                        if !binary.is_empty() {
                            self.streams.retain(|s| *s != stream);
                            self.overlay.remove(&stream);
                        }
                    }
                    None if suppress.has(ErrorConditions::DELMISSINGROW) => {}
                    None => {
                        return Err(format!(
                            "it deletes row {} of table {name}, which the database lacks",
                            describe(&key)
                        ));
                    }
                }
                continue;
            }
            // A binary cell's data is the transform's stream `Table.Key`.
            let has_stream = t.streams.contains_key(&stream);
            for &b in &binary {
                if rec.cells[b].is_some() {
                    new_row[b] = match &rec.cells[b] {
                        _ if has_stream => Value::Str(stream.clone()),
                        Some(Value::Int(raw)) if *raw != 0 && self.streams.contains(&stream) => {
                            Value::Str(stream.clone())
                        }
                        _ => Value::Null,
                    };
                }
            }
            if rec.is_insert() {
                match found {
                    Some(_) if !suppress.has(ErrorConditions::ADDEXISTINGROW) => {
                        return Err(format!(
                            "it adds row {} to table {name}, which the database has",
                            describe(&key)
                        ));
                    }
                    Some(i) => rows[i] = Some(new_row),
                    None => {
                        index.insert(key, rows.len());
                        rows.push(Some(new_row));
                    }
                }
            } else {
                match found {
                    Some(i) => {
                        if let Some(row) = rows[i].as_mut() {
                            for (c, cell) in rec.cells.iter().enumerate() {
                                if cell.is_some() && c < row.len() {
                                    row[c] = new_row[c].clone();
                                }
                            }
                        }
                    }
                    None if suppress.has(ErrorConditions::UPDATEMISSINGROW) => {}
                    None => {
                        return Err(format!(
                            "it changes row {} of table {name}, which the database lacks",
                            describe(&key)
                        ));
                    }
                }
            }
        }
        table.rows = rows.into_iter().flatten().collect();
        Ok(())
    }
}
