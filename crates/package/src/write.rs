//! Writing the in-memory database as a package: what `rmsi transform apply` produces.
//!
//! Every table is written from memory (the string pool, `_Tables`, `_Columns` and one
//! column-major stream a table, rows sorted by their stored cells as Windows keeps them);
//! every other stream and storage is copied from the package file, less those a transform
//! removed, plus those transforms added.

use std::io::{self, Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::package::Package;
use crate::streamname::{self, TABLE_PREFIX};
use crate::tables::{ColumnKind, Table, Value};
use crate::transform::{column_type_bits, paste_storage, record, stringpool::PoolBuilder};

/// A stored cell, widened for sorting and writing.
type Cells = Vec<record::Stored>;

fn sort_key(cells: &Cells) -> Vec<u32> {
    cells
        .iter()
        .map(|c| match *c {
            record::Stored::U16(v) => u32::from(v),
            record::Stored::U32(v) | record::Stored::Str(v) => v,
        })
        .collect()
}

/// Encodes `rows` (already in stored form) column-major.
fn column_major(rows: &[Cells], ncols: usize, ref_width: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for c in 0..ncols {
        for row in rows {
            row[c].put(&mut out, ref_width);
        }
    }
    out
}

/// Where a copy of the package file starts: the package reopened, a new compound file on
/// the output with its version and root class id, and its entries below the root (path,
/// whether a storage, class id) in the order they are walked.
pub(crate) struct CopyStart<F> {
    pub(crate) input: cfb::CompoundFile<Box<dyn crate::package::Source>>,
    pub(crate) output: cfb::CompoundFile<F>,
    pub(crate) entries: Vec<(PathBuf, bool, uuid::Uuid)>,
}

impl Package {
    /// Starts a copy of the package file on `out` (see [`CopyStart`]): shared by the
    /// package written anew and the package cache's copy without cabinets. `why` goes into
    /// the error when the package cannot be reopened.
    pub(crate) fn copy_start<F: Read + Write + Seek>(
        &self,
        why: &str,
        out: F,
    ) -> Result<CopyStart<F>> {
        let input = self.reopen(why)?;
        self.copy_onto(input, out)
    }

    /// [`Package::copy_start`] with the package already reopened as `input`.
    pub(crate) fn copy_onto<F: Read + Write + Seek>(
        &self,
        input: cfb::CompoundFile<Box<dyn crate::package::Source>>,
        out: F,
    ) -> Result<CopyStart<F>> {
        let io = |e: io::Error| Error::io(self.path(), e);
        let mut output =
            cfb::CompoundFile::create_with_version(input.version(), out).map_err(io)?;
        output
            .set_storage_clsid("/", *input.root_entry().clsid())
            .map_err(io)?;
        let entries = input
            .walk()
            .filter(|e| !e.is_root())
            .map(|e| (e.path().to_path_buf(), e.is_storage(), *e.clsid()))
            .collect();
        Ok(CopyStart {
            input,
            output,
            entries,
        })
    }

    /// Writes the package, its tables as they are in memory (after transforms), to `out`.
    pub fn write<W: Read + Write + Seek>(&self, out: W) -> Result<()> {
        let path = self.path().to_path_buf();
        let io = |e: io::Error| Error::io(&path, e);
        let CopyStart {
            mut input,
            mut output,
            entries,
        } = self.copy_start("to write it", out)?;

        // Streams and storages of the file, less what is rewritten or was removed.
        let mut skipped_storages: Vec<PathBuf> = Vec::new();
        for (entry, is_storage, clsid) in entries {
            if skipped_storages.iter().any(|s| entry.starts_with(s)) {
                continue;
            }
            let top_level = entry.parent() == Some(Path::new("/"));
            let stored = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if is_storage {
                if top_level && self.storage_overlay.contains_key(stored) {
                    skipped_storages.push(entry);
                    continue;
                }
                output.create_storage(&entry).map_err(io)?;
                output.set_storage_clsid(&entry, clsid).map_err(io)?;
                continue;
            }
            if top_level {
                if stored.starts_with(TABLE_PREFIX) {
                    continue;
                }
                let (name, _) = streamname::decode(stored);
                if !stored.starts_with('\u{5}')
                    && (!self.has_stream(&name) || self.overlay.contains_key(&name))
                {
                    continue;
                }
            }
            // Copied, not read whole: an embedded cabinet can be hundreds of megabytes.
            let mut from = input.open_stream(&entry).map_err(io)?;
            let mut to = output.create_stream(&entry).map_err(io)?;
            io::copy(&mut from, &mut to).map_err(io)?;
        }
        for (name, data) in &self.overlay {
            if self.has_stream(name) {
                let target = Path::new("/").join(streamname::encode(name, false));
                output
                    .create_stream(&target)
                    .and_then(|mut s| s.write_all(data))
                    .map_err(io)?;
            }
        }
        for (name, bytes) in &self.storage_overlay {
            paste_storage(&mut output, name, bytes).map_err(io)?;
        }

        // The tables.
        let mut pool = PoolBuilder::new(self.summary.database_codepage);
        let tables: Vec<&Table> = self.tables.values().collect();
        let mut table_rows: Vec<Cells> = Vec::new();
        let mut column_rows: Vec<Cells> = Vec::new();
        let mut data: Vec<(String, usize, Vec<Cells>)> = Vec::new();
        for table in &tables {
            let id = pool.intern(&table.name);
            table_rows.push(vec![record::Stored::Str(id)]);
            for (i, column) in table.columns.iter().enumerate() {
                let mut intern = |s: &str| pool.intern(s);
                column_rows.push(vec![
                    record::Stored::Str(id),
                    record::store(ColumnKind::Int16, &Value::Int(i as i32 + 1), &mut intern),
                    record::Stored::Str(intern(&column.name)),
                    record::store(
                        ColumnKind::Int16,
                        &Value::Int(column_type_bits(column)),
                        &mut intern,
                    ),
                ]);
            }
            let mut rows: Vec<Cells> = table
                .rows
                .iter()
                .map(|row| {
                    table
                        .columns
                        .iter()
                        .zip(row)
                        .map(|(c, v)| record::store(c.kind, v, &mut |s| pool.intern(s)))
                        .collect()
                })
                .collect();
            let binary: Vec<bool> = table
                .columns
                .iter()
                .map(|c| c.kind == ColumnKind::Binary)
                .collect();
            rows.sort_by_key(|r| {
                sort_key(r)
                    .into_iter()
                    .zip(&binary)
                    .filter(|(_, b)| !**b)
                    .map(|(v, _)| v)
                    .collect::<Vec<u32>>()
            });
            data.push((table.name.clone(), table.columns.len(), rows));
        }
        table_rows.sort_by_key(sort_key);
        column_rows.sort_by_key(sort_key);
        let pool = pool.finish();
        let rw = pool.ref_width();
        let (pool_bytes, string_bytes) = pool.write();
        let mut put = |name: &str, bytes: &[u8]| {
            let target = Path::new("/").join(streamname::encode(name, true));
            output
                .create_stream(&target)
                .and_then(|mut s| s.write_all(bytes))
                .map_err(io)
        };
        put("_StringPool", &pool_bytes)?;
        put("_StringData", &string_bytes)?;
        put("_Tables", &column_major(&table_rows, 1, rw))?;
        put("_Columns", &column_major(&column_rows, 4, rw))?;
        for (name, ncols, rows) in &data {
            if !rows.is_empty() {
                put(name, &column_major(rows, *ncols, rw))?;
            }
        }
        output.flush().map_err(io)
    }

    /// The package as the bytes of a `.msi` file (see [`Package::write`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Cursor::new(Vec::new());
        self.write(&mut out)?;
        Ok(out.into_inner())
    }
}
