//! The sequential pass over one folder: read its CFDATA blocks in order, verify and decode
//! each, and cut the files out of the decoded stream by their offsets.

use std::io::{BufRead, Seek, SeekFrom};

use super::Sink;
use super::checksum;
use super::codec::{Codec, MAX_BLOCK};
use super::error::CabinetError;
use super::header::{CabinetEntry, Folder, u16_at, u32_at};

/// Reads one folder's data blocks in order, checking each block's checksum and sizes.
struct Blocks {
    folder: u16,
    /// Index of the next block to read.
    next: u32,
    count: u32,
    reserve_len: usize,
    /// The current block's reserved bytes and compressed data (reused: bounded by the 16-bit
    /// size fields).
    reserve: Vec<u8>,
    data: Vec<u8>,
}

impl Blocks {
    fn what(&self) -> String {
        format!("data block {} of folder {}", self.next, self.folder)
    }

    /// Reads the next block, verifies its checksum and sizes, and hands its compressed bytes,
    /// declared uncompressed size and index to `use_block`; `Ok(None)` when the folder has no
    /// more blocks. The bytes are used in place in the reader's buffer when the whole block
    /// is there (most blocks), and copied out only when it straddles the buffer's end.
    fn next<R: BufRead, T>(
        &mut self,
        r: &mut R,
        use_block: impl FnOnce(&[u8], usize, u32) -> Result<T, CabinetError>,
    ) -> Result<Option<T>, CabinetError> {
        if self.next == self.count {
            return Ok(None);
        }
        let mut head = [0u8; 8];
        self.reserve.resize(self.reserve_len, 0);
        r.read_exact(&mut head)
            .and_then(|()| r.read_exact(&mut self.reserve))
            .map_err(|e| CabinetError::reading(e, || self.what()))?;
        let stored = u32_at(&head, 0);
        let compressed = usize::from(u16_at(&head, 4));
        let uncompressed = usize::from(u16_at(&head, 6));
        let block = self.next;
        let buffered = r
            .fill_buf()
            .map_err(|e| CabinetError::reading(e, || self.what()))?
            .len();
        let in_place = buffered >= compressed;
        let data: &[u8] = if in_place {
            // Already filled above: this returns the same buffered bytes without reading.
            let avail = r.fill_buf().map_err(CabinetError::Io)?;
            &avail[..compressed]
        } else {
            self.data.resize(compressed, 0);
            let what = format!("data block {} of folder {}", self.next, self.folder);
            r.read_exact(&mut self.data)
                .map_err(|e| CabinetError::reading(e, || what))?;
            &self.data
        };
        if stored != 0 {
            let sizes = [head[4], head[5], head[6], head[7]];
            let computed = checksum::data_block(sizes, &self.reserve, data);
            if computed != stored {
                return Err(CabinetError::ChecksumMismatch {
                    folder: self.folder,
                    block,
                    stored,
                    computed,
                });
            }
        }
        // A block of 0 bytes marks data continued in the next cabinet of a set; more than
        // 32 KiB is outside the format.
        if uncompressed == 0 || uncompressed > MAX_BLOCK {
            return Err(CabinetError::Corrupt {
                folder: self.folder,
                block,
                reason: if uncompressed == 0 {
                    "it declares 0 uncompressed bytes (data continued in another \
                     cabinet, which is not supported)"
                        .to_owned()
                } else {
                    format!("it declares {uncompressed} uncompressed bytes (at most {MAX_BLOCK})")
                },
            });
        }
        let out = use_block(data, uncompressed, block)?;
        if in_place {
            r.consume(compressed);
        }
        self.next += 1;
        Ok(Some(out))
    }
}

/// A file whose bytes are being written.
struct Open<'e, W> {
    entry: &'e CabinetEntry,
    /// `None` when the sink skips the file (its bytes are decoded but dropped).
    writer: Option<W>,
    end: u64,
}

/// Extracts the files of one folder, `files` sorted by offset (then by entry index).
///
/// Blocks are read only while some file still needs bytes: data past the last file's end is
/// never decoded, and a folder whose files are all empty reads no block at all (a zero-length
/// file in a folder declaring a block it does not store is valid, as cabextract and libgcab
/// read it).
pub(super) fn extract_folder<R: BufRead + Seek, S: Sink>(
    r: &mut R,
    index: u16,
    folder: &Folder,
    data_reserve: usize,
    files: &[&CabinetEntry],
    sink: &mut S,
) -> Result<(), CabinetError> {
    let data_end = files
        .iter()
        .filter(|f| f.size > 0)
        .map(|f| f.offset + f.size)
        .max()
        .unwrap_or(0);
    let mut router = Router {
        files,
        next: 0,
        open: Vec::new(),
    };
    if data_end > 0 {
        let mut codec = Codec::new(folder.compression).ok_or(CabinetError::Unsupported {
            folder: index,
            compression: folder.compression,
        })?;
        r.seek(SeekFrom::Start(folder.first_block))
            .map_err(CabinetError::Io)?;
        let mut blocks = Blocks {
            folder: index,
            next: 0,
            count: u32::from(folder.blocks),
            reserve_len: data_reserve,
            reserve: Vec::new(),
            data: Vec::with_capacity(MAX_BLOCK + 64),
        };
        let mut pos = 0u64;
        while pos < data_end {
            let routed = blocks.next(r, |data, expected, block| {
                let chunk =
                    codec
                        .decode(data, expected)
                        .map_err(|reason| CabinetError::Corrupt {
                            folder: index,
                            block,
                            reason,
                        })?;
                router.route(pos, chunk, sink)?;
                Ok(chunk.len() as u64)
            })?;
            let Some(n) = routed else {
                return Err(router.short_of_data(pos));
            };
            pos += n;
        }
    }
    // Only empty files remain: those at or past the end of the data.
    router.open_until(u64::MAX, sink)?;
    router.finish_until(u64::MAX, sink)
}

/// Hands each decoded chunk to the files it belongs to, opening each file when its first
/// byte arrives and finishing it after its last, so that for ordinary (non-overlapping) files
/// at most one writer is open at a time.
struct Router<'e, W> {
    files: &'e [&'e CabinetEntry],
    /// The next file to open.
    next: usize,
    /// Files opened and not yet complete, in opening order. Only overlapping entries (a
    /// crafted cabinet) make it hold more than one.
    open: Vec<Open<'e, W>>,
}

impl<'e, W: std::io::Write> Router<'e, W> {
    fn route<S: Sink<Writer = W>>(
        &mut self,
        pos: u64,
        chunk: &[u8],
        sink: &mut S,
    ) -> Result<(), CabinetError> {
        let chunk_end = pos + chunk.len() as u64;
        let mut at = pos;
        loop {
            self.open_until(at, sink)?;
            if at == chunk_end {
                return Ok(());
            }
            // The next event: the chunk's end, the next file's start or an open file's end.
            let mut until = chunk_end;
            if let Some(f) = self.files.get(self.next) {
                until = until.min(f.offset);
            }
            for o in &self.open {
                until = until.min(o.end);
            }
            // Every file starting at or before `at` is open and every open file ends past
            // it, so `until > at`; the clamp only keeps a broken invariant from slicing
            // backwards (an empty piece, after which `finish_until` makes progress).
            let until = until.max(at);
            let piece = &chunk[(at - pos) as usize..(until - pos) as usize];
            for o in &mut self.open {
                if let Some(w) = o.writer.as_mut() {
                    w.write_all(piece).map_err(|source| CabinetError::Write {
                        file: o.entry.name.clone(),
                        source,
                    })?;
                }
            }
            at = until;
            self.finish_until(at, sink)?;
        }
    }

    /// Opens every file starting at or before `at`; empty ones are finished at once.
    fn open_until<S: Sink<Writer = W>>(
        &mut self,
        at: u64,
        sink: &mut S,
    ) -> Result<(), CabinetError> {
        while let Some(&entry) = self.files.get(self.next) {
            if entry.offset > at {
                break;
            }
            self.next += 1;
            let writer = sink.open(entry).map_err(|source| CabinetError::Write {
                file: entry.name.clone(),
                source,
            })?;
            if entry.size == 0 {
                if let Some(w) = writer {
                    finish(sink, entry, w)?;
                }
            } else {
                self.open.push(Open {
                    entry,
                    writer,
                    end: entry.offset + entry.size,
                });
            }
        }
        Ok(())
    }

    /// Finishes every open file that ends at or before `at`, in opening order.
    fn finish_until<S: Sink<Writer = W>>(
        &mut self,
        at: u64,
        sink: &mut S,
    ) -> Result<(), CabinetError> {
        let mut i = 0;
        while i < self.open.len() {
            if self.open[i].end <= at {
                let done = self.open.remove(i);
                if let Some(w) = done.writer {
                    finish(sink, done.entry, w)?;
                }
            } else {
                i += 1;
            }
        }
        Ok(())
    }

    /// The error for a folder whose blocks ran out at `pos`: the first file left incomplete.
    fn short_of_data(&self, pos: u64) -> CabinetError {
        let entry = self
            .open
            .first()
            .map(|o| o.entry)
            .or_else(|| self.files.get(self.next).copied());
        match entry {
            Some(e) => CabinetError::SizeMismatch {
                file: e.name.clone(),
                expected: e.size,
                got: pos.saturating_sub(e.offset),
            },
            // Unreachable in practice (data_end comes from a file), but never panic on it.
            None => CabinetError::malformed("a folder ran out of data blocks"),
        }
    }
}

fn finish<S: Sink>(sink: &mut S, entry: &CabinetEntry, w: S::Writer) -> Result<(), CabinetError> {
    sink.finish(entry, w).map_err(|source| CabinetError::Write {
        file: entry.name.clone(),
        source,
    })
}
