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
    Stream(PathBuf),
}

/// The package reopened for a copy.
type Input = cfb::CompoundFile<Box<dyn crate::package::Source>>;

impl Package {
    /// The bytes of the streams [`Package::write_without_cabinets`] copies (every stream but
    /// the embedded cabinets, storages' included): what a copy made in memory would hold.
    pub fn size_without_cabinets(&self) -> Result<u64> {
        let cabinets = self.embedded_cabinet_entries()?;
        let input = self.reopen("to size its copy")?;
        Ok(stream_bytes(&input, &cabinets))
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
        let cabinets = self.embedded_cabinet_entries()?;
        let start = self.copy_start("to cache it", out)?;
        self.copy_without_cabinets_into(start, &cabinets).map(drop)
    }

    /// What [`Package::write_without_cabinets`] writes, made in memory and checked, when its
    /// streams hold at most `limit` bytes (`None` when they hold more: the caller then
    /// writes the copy to its file). The copy, opened again, must hold every stream and
    /// storage of the package but the embedded cabinets, each stream byte for byte as the
    /// package file holds it (what a cached package must be to remove or repair the
    /// product later).
    pub fn copy_without_cabinets(&self, limit: u64) -> Result<Option<Vec<u8>>> {
        let cabinets = self.embedded_cabinet_entries()?;
        let input = self.reopen("to cache it")?;
        let size = stream_bytes(&input, &cabinets);
        if size > limit {
            return Ok(None);
        }
        // Room for the whole copy from the start: grown by doubling, the buffer was written
        // to three times its size in fresh memory, a page fault each 4 KiB.
        let entries = input.walk().count() as u64;
        let room = size + size / 64 + (entries + 8) * (4096 + 128);
        let out = Cursor::new(Vec::with_capacity(usize::try_from(room).unwrap_or(0)));
        let start = self.copy_onto(input, out)?;
        let (out, mut input, kept) = self.copy_without_cabinets_into(start, &cabinets)?;
        let bytes = out.into_inner();
        self.check_copy(&bytes, &mut input, &kept)?;
        Ok(Some(bytes))
    }

    /// Checks `bytes`, the copy of `input` without cabinets that holds `kept`: it opens, has
    /// as many storages and streams, each storage its class id and each stream the bytes
    /// `input` holds (read again).
    fn check_copy(&self, bytes: &[u8], input: &mut Input, kept: &[Kept]) -> Result<()> {
        let differs = |what: String| Error::PackageInvalid {
            path: self.path().to_path_buf(),
            reason: format!("its copy without cabinets differs from it: {what}"),
        };
        let mut copy = cfb::CompoundFile::open(Cursor::new(bytes))
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
        for entry in kept {
            match entry {
                Kept::Storage(path, clsid) => {
                    let same = copy
                        .entry(path)
                        .is_ok_and(|e| e.is_storage() && e.clsid() == clsid);
                    if !same {
                        return Err(differs(format!("storage {}", path.display())));
                    }
                }
                Kept::Stream(path) => {
                    let same = copy
                        .open_stream(path)
                        .and_then(|ours| Ok((ours, input.open_stream(path)?)))
                        .and_then(|(mut ours, mut theirs)| {
                            Ok(ours.len() == theirs.len() && same_bytes(&mut ours, &mut theirs)?)
                        });
                    if !same.unwrap_or(false) {
                        return Err(differs(format!("stream {}", path.display())));
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes the package without its embedded cabinets to `start`'s output, returned once
    /// flushed with the package as reopened and each storage and stream copied.
    fn copy_without_cabinets_into<F: Read + io::Write + Seek>(
        &self,
        start: crate::write::CopyStart<F>,
        cabinets: &HashSet<String>,
    ) -> Result<(F, Input, Vec<Kept>)> {
        let invalid = |reason: String| Error::PackageInvalid {
            path: self.path().to_path_buf(),
            reason,
        };
        let write_err = |e: io::Error| Error::io(self.path(), e);
        let crate::write::CopyStart {
            mut input,
            mut output,
            entries,
        } = start;
        let mut kept = Vec::with_capacity(entries.len());
        let mut chunk = vec![0u8; CHUNK];
        for (path, is_storage, clsid) in entries {
            if is_storage {
                output.create_storage(&path).map_err(write_err)?;
                output.set_storage_clsid(&path, clsid).map_err(write_err)?;
                kept.push(Kept::Storage(path, clsid));
                continue;
            }
            if is_cabinet(&path, cabinets) {
                continue;
            }
            let mut from = input
                .open_stream(&path)
                .map_err(|e| invalid(format!("stream {}: {e}", path.display())))?;
            let mut to = output.create_stream(&path).map_err(write_err)?;
            loop {
                let n = fill(&mut from, &mut chunk)
                    .map_err(|e| invalid(format!("stream {}: {e}", path.display())))?;
                if n == 0 {
                    break;
                }
                io::Write::write_all(&mut to, &chunk[..n]).map_err(write_err)?;
            }
            kept.push(Kept::Stream(path));
        }
        output.flush().map_err(write_err)?;
        Ok((output.into_inner(), input, kept))
    }
}

/// Bytes read and written at a time when a copy is made and checked: at 64 KiB and more
/// `cfb` reads and writes a stream's sectors directly, where smaller pieces go through a
/// buffer of its own that grows (in fresh memory, a page fault each 4 KiB) with the stream.
const CHUNK: usize = 64 * 1024;

/// Whether two readers give the same bytes to their ends, compared [`CHUNK`] bytes at a time
/// (the package cache's copies are checked with it).
pub fn same_bytes(a: &mut dyn Read, b: &mut dyn Read) -> io::Result<bool> {
    let mut buf_a = vec![0u8; CHUNK];
    let mut buf_b = vec![0u8; CHUNK];
    loop {
        let n = fill(a, &mut buf_a)?;
        let m = fill(b, &mut buf_b)?;
        if n != m || buf_a[..n] != buf_b[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// Reads until `buf` is full or the reader ends; the bytes read.
fn fill(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The bytes of `input`'s streams but `cabinets`.
fn stream_bytes(input: &Input, cabinets: &HashSet<String>) -> u64 {
    input
        .walk()
        .filter(|e| e.is_stream() && !is_cabinet(e.path(), cabinets))
        .map(|e| e.len())
        .sum()
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
