//! Reading a transform from a file, from bytes, or from a storage inside a compound file
//! (an embedded transform of a package, or one of a patch's transforms).

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Transform;
use super::stringpool::StringPool;
use super::summary::TransformSummary;
use crate::error::{Error, Result};
use crate::streamname::{self, SUMMARY_STREAM};

/// The class ids a package and a patch's root storage carry ("Windows Installer file
/// name extensions"): a transform is neither.
const INSTALLER_CLSID: &str = "000c1084-0000-0000-c000-000000000046";
const PATCH_CLSID: &str = "000c1086-0000-0000-c000-000000000046";

impl Transform {
    /// Reads the transform file at `path`. Unreadable, not a compound file, or not a
    /// transform: [`Error::TransformFailure`] (1624).
    pub fn open(path: impl AsRef<Path>) -> Result<Transform> {
        let path = path.as_ref();
        let name = path.display().to_string();
        // std, not fs_err: the error names the transform already.
        #[allow(clippy::disallowed_methods)]
        let bytes = std::fs::read(path).map_err(|e| Error::transform(&name, e.to_string()))?;
        Transform::from_bytes(&name, bytes)
    }

    /// Reads a transform held in memory; `name` names it in messages.
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Result<Transform> {
        let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
            .map_err(|e| Error::transform(name, format!("not a compound file: {e}")))?;
        Transform::from_storage(&mut file, "/", name)
    }

    /// Reads the transform held in the storage `storage` of `file` (`/` for a `.mst`, or a
    /// package's or patch's substorage such as `/Instance1`); `name` names it in messages.
    pub fn from_storage<F: Read + Seek>(
        file: &mut cfb::CompoundFile<F>,
        storage: impl AsRef<Path>,
        name: &str,
    ) -> Result<Transform> {
        let storage = storage.as_ref();
        let fail = |reason: String| Error::transform(name, reason);
        let root = file
            .entry(storage)
            .map_err(|e| fail(format!("no storage {}: {e}", storage.display())))?;
        if !root.is_storage() {
            return Err(fail(format!("{} is not a storage", storage.display())));
        }
        let clsid = root.clsid().hyphenated().to_string();
        if clsid == INSTALLER_CLSID || clsid == PATCH_CLSID {
            return Err(fail(
                "this is an installer package or a patch, not a transform".into(),
            ));
        }
        let entries: Vec<(String, PathBuf, bool)> = file
            .read_storage(storage)
            .map_err(|e| fail(e.to_string()))?
            .map(|e| (e.name().to_string(), e.path().to_path_buf(), e.is_storage()))
            .collect();
        let mut summary = None;
        let mut pool_bytes = Vec::new();
        let mut data_bytes = Vec::new();
        let mut tables = Vec::new();
        let mut streams = BTreeMap::new();
        let mut storages = BTreeMap::new();
        for (stored, path, is_storage) in entries {
            if is_storage {
                let bytes = copy_storage(file, &path)
                    .map_err(|e| fail(format!("substorage {}: {e}", path.display())))?;
                storages.insert(stored, Arc::from(bytes));
                continue;
            }
            let mut bytes = Vec::new();
            file.open_stream(&path)
                .and_then(|mut s| s.read_to_end(&mut bytes))
                .map_err(|e| fail(format!("stream {}: {e}", path.display())))?;
            if stored == SUMMARY_STREAM {
                summary = Some(TransformSummary::read(&bytes).map_err(|e| fail(e.to_string()))?);
                continue;
            }
            let (decoded, is_table) = streamname::decode(&stored);
            match (is_table, decoded.as_str()) {
                (true, "_StringPool") => pool_bytes = bytes,
                (true, "_StringData") => data_bytes = bytes,
                (true, _) => tables.push((decoded, bytes)),
                (false, _) if stored.starts_with('\u{5}') => {}
                (false, _) => {
                    streams.insert(decoded, Arc::from(bytes));
                }
            }
        }
        let pool = StringPool::read(&pool_bytes, &data_bytes).map_err(fail)?;
        Ok(Transform {
            name: name.to_string(),
            summary: summary.unwrap_or_default(),
            pool,
            tables,
            streams,
            storages,
            patch: None,
        })
    }
}

/// Copies the storage at `path` of `file` into a compound file of its own (its class id,
/// streams and nested storages), returned as bytes.
pub(crate) fn copy_storage<F: Read + Seek>(
    file: &mut cfb::CompoundFile<F>,
    path: &Path,
) -> std::io::Result<Vec<u8>> {
    let clsid = *file.entry(path)?.clsid();
    let entries: Vec<(PathBuf, bool, uuid::Uuid)> = file
        .walk_storage(path)?
        .filter(|e| e.path() != path)
        .map(|e| (e.path().to_path_buf(), e.is_storage(), *e.clsid()))
        .collect();
    let mut out = cfb::CompoundFile::create(Cursor::new(Vec::new()))?;
    out.set_storage_clsid("/", clsid)?;
    for (inner, is_storage, clsid) in entries {
        let rel = Path::new("/").join(inner.strip_prefix(path).unwrap_or(&inner));
        if is_storage {
            out.create_storage(&rel)?;
            out.set_storage_clsid(&rel, clsid)?;
        } else {
            let mut data = Vec::new();
            file.open_stream(&inner)?.read_to_end(&mut data)?;
            out.create_stream(&rel)?.write_all(&data)?;
        }
    }
    out.flush()?;
    Ok(out.into_inner().into_inner())
}
