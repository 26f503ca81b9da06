//! The copy of a package the package cache keeps: every storage and stream but the
//! embedded cabinets ("Windows Installer Cache": cabinet streams are stripped from the
//! cached `.msi`), written out or made in memory and checked.

use std::collections::HashSet;
use std::io::{self, Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::package::Package;

/// A storage or a stream [`Package::copy_without_cabinets`] copied, to check the copy by.
enum Kept {
    Storage(PathBuf, uuid::Uuid),
    Stream(PathBuf, Vec<u8>),
}

impl Package {
    /// The bytes of the streams [`Package::write_without_cabinets`] copies (every stream but
    /// the embedded cabinets, storages' included): what a copy made in memory would hold.
    pub fn size_without_cabinets(&self) -> Result<u64> {
        let cabinets = self.embedded_cabinet_entries()?;
        let input = self.reopen("to size its copy")?;
        Ok(input
            .walk()
            .filter(|e| e.is_stream() && !is_cabinet(e.path(), &cabinets))
            .map(|e| e.len())
            .sum())
    }

    /// The compound-file names of the package's embedded cabinets (the Media table's `#`
    /// cabinets, encoded as streams are named in the file).
    fn embedded_cabinet_entries(&self) -> Result<HashSet<String>> {
        Ok(self
            .media()?
            .iter()
            .filter_map(|m| m.embedded_stream())
            .map(|n| crate::streamname::encode(n, false))
            .collect())
    }

    /// Writes this package to `out` without its embedded cabinets: the copy Windows keeps
    /// in its package cache (a removal needs the tables, custom-action binaries and
    /// summary, never the payload), which costs neither the payload's copy nor its room.
    /// Every other storage and stream, and the root's class id, are copied as they are.
    pub fn write_without_cabinets<F: Read + io::Write + Seek>(&self, out: F) -> Result<()> {
        self.copy_without_cabinets_into(out, None).map(drop)
    }

    /// What [`Package::write_without_cabinets`] writes, made in memory and checked: the
    /// copy, opened again, holds every stream and storage of the package but the embedded
    /// cabinets, each stream byte for byte as the package file holds it (what a cached
    /// package must be to remove or repair the product later).
    pub fn copy_without_cabinets(&self) -> Result<Vec<u8>> {
        let mut kept = Vec::new();
        let bytes = self
            .copy_without_cabinets_into(Cursor::new(Vec::new()), Some(&mut kept))?
            .into_inner();
        let differs = |what: String| Error::PackageInvalid {
            path: self.path().to_path_buf(),
            reason: format!("its copy without cabinets differs from it: {what}"),
        };
        let mut copy = cfb::CompoundFile::open(Cursor::new(&bytes[..]))
            .map_err(|e| differs(format!("the copy cannot be read: {e}")))?;
        let (storages, streams) = copy
            .walk()
            .filter(|e| !e.is_root())
            .fold((0, 0), |(a, b), e| {
                if e.is_storage() {
                    (a + 1, b)
                } else {
                    (a, b + 1)
                }
            });
        let expected = kept
            .iter()
            .filter(|k| matches!(k, Kept::Storage(..)))
            .count();
        if storages != expected || streams != kept.len() - expected {
            return Err(differs(format!(
                "{storages} storages and {streams} streams, not {expected} and {}",
                kept.len() - expected
            )));
        }
        let mut read = Vec::new();
        for entry in &kept {
            match entry {
                Kept::Storage(path, clsid) => {
                    let same = copy
                        .entry(path)
                        .is_ok_and(|e| e.is_storage() && e.clsid() == clsid);
                    if !same {
                        return Err(differs(format!("storage {}", path.display())));
                    }
                }
                Kept::Stream(path, data) => {
                    read.clear();
                    let same = copy
                        .open_stream(path)
                        .and_then(|mut s| s.read_to_end(&mut read))
                        .is_ok_and(|_| read == *data);
                    if !same {
                        return Err(differs(format!("stream {}", path.display())));
                    }
                }
            }
        }
        Ok(bytes)
    }

    /// Writes the package without its embedded cabinets to `out`, returned once flushed;
    /// with `kept`, each storage and each stream's bytes copied go there too.
    fn copy_without_cabinets_into<F: Read + io::Write + Seek>(
        &self,
        out: F,
        mut kept: Option<&mut Vec<Kept>>,
    ) -> Result<F> {
        let invalid = |reason: String| Error::PackageInvalid {
            path: self.path().to_path_buf(),
            reason,
        };
        let cabinets = self.embedded_cabinet_entries()?;
        let write_err = |e: io::Error| Error::io(self.path(), e);
        let crate::write::CopyStart {
            mut input,
            mut output,
            entries,
        } = self.copy_start("to cache it", out)?;
        for (path, is_storage, clsid) in entries {
            if is_storage {
                output.create_storage(&path).map_err(write_err)?;
                output.set_storage_clsid(&path, clsid).map_err(write_err)?;
                if let Some(kept) = kept.as_deref_mut() {
                    kept.push(Kept::Storage(path, clsid));
                }
                continue;
            }
            if is_cabinet(&path, &cabinets) {
                continue;
            }
            let mut from = input
                .open_stream(&path)
                .map_err(|e| invalid(format!("stream {}: {e}", path.display())))?;
            let mut to = output.create_stream(&path).map_err(write_err)?;
            match kept.as_deref_mut() {
                Some(kept) => {
                    let mut data = Vec::with_capacity(usize::try_from(from.len()).unwrap_or(0));
                    from.read_to_end(&mut data)
                        .map_err(|e| invalid(format!("stream {}: {e}", path.display())))?;
                    io::Write::write_all(&mut to, &data).map_err(write_err)?;
                    kept.push(Kept::Stream(path, data));
                }
                None => {
                    io::copy(&mut from, &mut to).map_err(write_err)?;
                }
            }
        }
        output.flush().map_err(write_err)?;
        Ok(output.into_inner())
    }
}

/// Whether the compound-file entry at `path` is one of `cabinets` (they are top-level
/// streams).
fn is_cabinet(path: &Path, cabinets: &HashSet<String>) -> bool {
    path.parent() == Some(Path::new("/"))
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| cabinets.contains(n))
}
