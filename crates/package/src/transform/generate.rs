//! Generating a transform from two packages ("MsiDatabaseGenerateTransform" with
//! "MsiCreateTransformSummaryInfo"), and writing a transform as a compound file.

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read, Seek, Write};
use std::path::Path;
use std::sync::Arc;

use super::record::{self, Stored};
use super::stringpool::PoolBuilder;
use super::summary::TransformSummary;
use super::{ErrorConditions, Transform, Validation};
use crate::error::{Error, Result};
use crate::package::Package;
use crate::streamname::{self, SUMMARY_STREAM};
use crate::tables::{Column, ColumnKind, Table, Value};

/// The class id of a transform's root storage ("Windows Installer file name extensions").
const TRANSFORM_CLSID: uuid::Uuid = uuid::uuid!("000C1082-0000-0000-C000-000000000046");

/// A table difference record before its strings have their final width.
struct Pending {
    mask: u16,
    cells: Vec<Stored>,
}

/// Reads a whole stream of `package`.
pub(crate) fn stream_bytes(package: &Package, name: &str) -> Result<Vec<u8>> {
    let mut reader = package.read_stream(name)?;
    let mut data = Vec::new();
    reader
        .read_to_end(&mut data)
        .map_err(|e| Error::io(package.path(), e))?;
    Ok(data)
}

fn same_column(a: &Column, b: &Column) -> bool {
    a.name == b.name && a.kind == b.kind && a.primary_key == b.primary_key
}

impl Transform {
    /// The transform that turns `base` into `changed`: added and dropped tables, added
    /// columns, added, deleted and changed rows, and the streams and substorages
    /// `changed` has that `base` lacks or holds differently. Its summary says what it was
    /// made from and to, with no validation and no error condition suppressed (set them
    /// with [`Transform::summary_mut`]). A table whose columns changed other than by
    /// columns added at its end cannot be expressed: [`Error::TransformFailure`].
    pub fn generate(base: &Package, changed: &Package) -> Result<Transform> {
        let name = "generated transform";
        let fail = |reason: String| Error::transform(name, reason);
        let mut pool = PoolBuilder::new(changed.summary().database_codepage);
        let mut tables: Vec<(String, Vec<Pending>)> = Vec::new();
        let mut table_records = Vec::new();
        let mut column_records = Vec::new();
        let mut streams: BTreeMap<String, Arc<[u8]>> = BTreeMap::new();

        for old in base.tables() {
            if changed.table(&old.name).is_none() {
                let id = pool.intern(&old.name);
                table_records.push(Pending {
                    mask: 0,
                    cells: vec![Stored::Str(id)],
                });
            }
        }
        for new in changed.tables() {
            let old = base.table(&new.name);
            let first_new_column = match old {
                None => {
                    let id = pool.intern(&new.name);
                    table_records.push(Pending {
                        mask: 0x0101,
                        cells: vec![Stored::Str(id)],
                    });
                    0
                }
                Some(old) => {
                    let prefix = old.columns.len() <= new.columns.len()
                        && old
                            .columns
                            .iter()
                            .zip(&new.columns)
                            .all(|(a, b)| same_column(a, b));
                    if !prefix {
                        return Err(fail(format!(
                            "table {} changes its columns other than by adding columns at its end",
                            new.name
                        )));
                    }
                    old.columns.len()
                }
            };
            for (i, column) in new.columns.iter().enumerate().skip(first_new_column) {
                let cells = vec![
                    Stored::Str(pool.intern(&new.name)),
                    record::store(ColumnKind::Int16, &Value::Int(i as i32 + 1), &mut |s| {
                        pool.intern(s)
                    }),
                    Stored::Str(pool.intern(&column.name)),
                    record::store(
                        ColumnKind::Int16,
                        &Value::Int(record::column_type_bits(column)),
                        &mut |s| pool.intern(s),
                    ),
                ];
                column_records.push(Pending {
                    mask: 0x0401,
                    cells,
                });
            }
            let records = diff_rows(base, changed, old, new, &mut pool, &mut streams)?;
            if !records.is_empty() {
                tables.push((new.name.clone(), records));
            }
        }

        // Streams that are not binary cells' (cabinets, and streams of rows unchanged
        // but for their data, caught above): new or different ones.
        for stream in changed.stream_names() {
            if streams.contains_key(stream) {
                continue;
            }
            let new = stream_bytes(changed, stream)?;
            let differs = !base.has_stream(stream) || stream_bytes(base, stream)? != new;
            if differs {
                streams.insert(stream.clone(), Arc::from(new));
            }
        }
        let mut storages = BTreeMap::new();
        let base_storages = base.storage_names()?;
        for storage in changed.storage_names()? {
            let new = changed.read_storage(&storage)?;
            let differs = !base_storages.contains(&storage) || base.read_storage(&storage)? != new;
            if differs {
                storages.insert(storage, Arc::from(new));
            }
        }

        let pool = pool.finish();
        let rw = pool.ref_width();
        let encode = |records: &[Pending]| {
            let mut out = Vec::new();
            for r in records {
                out.extend(r.mask.to_le_bytes());
                for c in &r.cells {
                    c.put(&mut out, rw);
                }
            }
            out
        };
        let mut encoded = Vec::new();
        if !table_records.is_empty() {
            encoded.push(("_Tables".to_string(), encode(&table_records)));
        }
        if !column_records.is_empty() {
            encoded.push(("_Columns".to_string(), encode(&column_records)));
        }
        for (name, records) in &tables {
            encoded.push((name.clone(), encode(records)));
        }
        Ok(Transform {
            name: name.to_string(),
            summary: summary_of(base, changed),
            pool,
            tables: encoded,
            streams,
            storages,
            patch: None,
        })
    }

    /// Writes the transform as a `.mst` compound file.
    pub fn write<W: Read + Write + Seek>(&self, out: W) -> Result<()> {
        let io = |e: std::io::Error| Error::transform(&self.name, format!("writing: {e}"));
        let mut file = cfb::CompoundFile::create(out).map_err(io)?;
        file.set_storage_clsid("/", TRANSFORM_CLSID).map_err(io)?;
        let put = |file: &mut cfb::CompoundFile<W>, name: &str, data: &[u8]| {
            file.create_stream(Path::new("/").join(name))
                .and_then(|mut s| s.write_all(data))
                .map_err(io)
        };
        put(&mut file, SUMMARY_STREAM, &self.summary.write())?;
        let (pool, data) = self.pool.write();
        put(&mut file, &streamname::encode("_StringPool", true), &pool)?;
        put(&mut file, &streamname::encode("_StringData", true), &data)?;
        for (table, data) in &self.tables {
            put(&mut file, &streamname::encode(table, true), data)?;
        }
        for (stream, data) in &self.streams {
            put(&mut file, &streamname::encode(stream, false), data)?;
        }
        for (storage, bytes) in &self.storages {
            paste_storage(&mut file, storage, bytes).map_err(io)?;
        }
        file.flush().map_err(io)
    }

    /// The transform as the bytes of a `.mst` file.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Cursor::new(Vec::new());
        self.write(&mut out)?;
        Ok(out.into_inner())
    }
}

/// Copies the compound file `bytes` into `file` as the storage `/name`.
pub(crate) fn paste_storage<F: Read + Write + Seek>(
    file: &mut cfb::CompoundFile<F>,
    name: &str,
    bytes: &[u8],
) -> std::io::Result<()> {
    let mut inner = cfb::CompoundFile::open(Cursor::new(bytes))?;
    let top = Path::new("/").join(name);
    file.create_storage(&top)?;
    file.set_storage_clsid(&top, *inner.root_entry().clsid())?;
    let entries: Vec<(std::path::PathBuf, bool, uuid::Uuid)> = inner
        .walk()
        .filter(|e| !e.is_root())
        .map(|e| (e.path().to_path_buf(), e.is_storage(), *e.clsid()))
        .collect();
    for (path, is_storage, clsid) in entries {
        let target = top.join(path.strip_prefix("/").unwrap_or(&path));
        if is_storage {
            file.create_storage(&target)?;
            file.set_storage_clsid(&target, clsid)?;
        } else {
            let mut data = Vec::new();
            inner.open_stream(&path)?.read_to_end(&mut data)?;
            file.create_stream(&target)?.write_all(&data)?;
        }
    }
    Ok(())
}

/// The row differences of one table (`old` absent: every row added).
fn diff_rows(
    base: &Package,
    changed: &Package,
    old: Option<&Table>,
    new: &Table,
    pool: &mut PoolBuilder,
    streams: &mut BTreeMap<String, Arc<[u8]>>,
) -> Result<Vec<Pending>> {
    let keys: Vec<usize> = (0..new.columns.len())
        .filter(|&i| new.columns[i].primary_key)
        .collect();
    let key_of = |row: &[Value]| -> Vec<Value> { keys.iter().map(|&k| row[k].clone()).collect() };
    let old_rows: HashMap<Vec<Value>, &Vec<Value>> = old
        .map(|t| t.rows.iter().map(|r| (key_of(r), r)).collect())
        .unwrap_or_default();
    let mut records = Vec::new();
    let store_row = |row: &[Value], which: &dyn Fn(usize) -> bool, pool: &mut PoolBuilder| {
        new.columns
            .iter()
            .enumerate()
            .filter(|(i, _)| which(*i))
            .map(|(i, c)| record::store(c.kind, &row[i], &mut |s| pool.intern(s)))
            .collect::<Vec<Stored>>()
    };
    let binary_differs = |row: &[Value], i: usize| -> Result<Option<Vec<u8>>> {
        match &row[i] {
            Value::Str(stream) if changed.has_stream(stream) => {
                let data = stream_bytes(changed, stream)?;
                let same = base.has_stream(stream) && stream_bytes(base, stream)? == data;
                Ok((!same).then_some(data))
            }
            _ => Ok(None),
        }
    };
    let ncols = new.columns.len();
    let full_mask = 1 | (u16::try_from(ncols).unwrap_or(0xFF) << 8);
    for row in &new.rows {
        let key = key_of(row);
        let mut data_changed = Vec::new();
        for (i, c) in new.columns.iter().enumerate() {
            if c.kind == ColumnKind::Binary
                && let Some(data) = binary_differs(row, i)?
            {
                if let Value::Str(stream) = &row[i] {
                    streams.insert(stream.clone(), Arc::from(data));
                }
                data_changed.push(i);
            }
        }
        match old_rows.get(&key) {
            None => records.push(Pending {
                mask: full_mask,
                cells: store_row(row, &|_| true, pool),
            }),
            Some(before) => {
                let differing: Vec<usize> = (0..ncols)
                    .filter(|&i| !new.columns[i].primary_key)
                    .filter(|&i| {
                        data_changed.contains(&i)
                            || (new.columns[i].kind == ColumnKind::Binary
                                && (before.get(i) == Some(&Value::Null)) != (row[i] == Value::Null))
                            || (new.columns[i].kind != ColumnKind::Binary
                                && before.get(i).unwrap_or(&Value::Null) != &row[i])
                    })
                    .collect();
                if differing.is_empty() {
                    continue;
                }
                if differing.iter().all(|&i| i < 16) {
                    let mask = differing.iter().fold(0u16, |m, &i| m | (1 << i));
                    records.push(Pending {
                        mask,
                        cells: store_row(
                            row,
                            &|i| new.columns[i].primary_key || differing.contains(&i),
                            pool,
                        ),
                    });
                } else {
                    // A column past the mask's 16 bits: delete the row and add it again.
                    records.push(Pending {
                        mask: 0,
                        cells: store_row(row, &|i| new.columns[i].primary_key, pool),
                    });
                    records.push(Pending {
                        mask: full_mask,
                        cells: store_row(row, &|_| true, pool),
                    });
                }
            }
        }
    }
    if let Some(old) = old {
        let new_keys: std::collections::HashSet<Vec<Value>> =
            new.rows.iter().map(|r| key_of(r)).collect();
        for row in &old.rows {
            if !new_keys.contains(&key_of(row)) {
                let mut cells = Vec::new();
                for &k in &keys {
                    cells.push(record::store(new.columns[k].kind, &row[k], &mut |s| {
                        pool.intern(s)
                    }));
                }
                records.push(Pending { mask: 0, cells });
            }
        }
    }
    Ok(records)
}

/// The summary `MsiCreateTransformSummaryInfo` writes for `base` → `changed`.
fn summary_of(base: &Package, changed: &Package) -> TransformSummary {
    let prop = |p: &Package, name: &str| p.property(name).unwrap_or_default();
    let b = base.summary();
    let c = changed.summary();
    let mut text = BTreeMap::new();
    for (name, value) in [
        ("Title", c.title.clone()),
        ("Subject", c.subject.clone()),
        ("Author", c.author.clone()),
        ("Comments", c.comments.clone()),
        (
            "Keywords",
            Some(c.keywords.join(";")).filter(|k| !k.is_empty()),
        ),
        (
            "Creating Application",
            Some(concat!("rmsi ", env!("CARGO_PKG_VERSION")).to_string()),
        ),
    ] {
        if let Some(v) = value {
            text.insert(name.to_string(), v);
        }
    }
    TransformSummary {
        base_platform: b.platform.clone().unwrap_or_default(),
        base_languages: b.languages.clone(),
        new_platform: c.platform.clone().unwrap_or_default(),
        new_languages: c.languages.clone(),
        base_product_code: prop(base, "ProductCode"),
        base_version: prop(base, "ProductVersion"),
        new_product_code: prop(changed, "ProductCode"),
        new_version: prop(changed, "ProductVersion"),
        upgrade_code: prop(base, "UpgradeCode"),
        validation: Validation::default(),
        error_conditions: ErrorConditions::default(),
        page_count: c.page_count,
        codepage: c.codepage,
        text,
    }
}
