//! The sequential pass over one folder: read its CFDATA blocks in order, verify and decode
//! each, and cut the files out of the decoded stream by their offsets.

use std::io::{BufRead, Seek, SeekFrom};

use super::Sink;
use super::checksum;
use super::codec::{Codec, MAX_BLOCK};
use super::error::{CabinetError, Compression};
use super::header::{CabinetEntry, Folder, u16_at, u32_at};

/// What reading the next block of a folder gave.
enum Step<T> {
    /// The folder has no more blocks in this cabinet.
    Done,
    /// The folder's last block here, cut short: its rest opens the folder's continuation in
    /// the next cabinet (its bytes are kept until then).
    Partial,
    /// A whole block, decoded.
    Block(T),
}

/// Reads one folder's data blocks in order, checking each block's checksum and sizes.
struct Blocks<'p> {
    folder: u16,
    /// Index of the next block to read.
    next: u32,
    count: u32,
    reserve_len: usize,
    /// Whether the folder goes on in the next cabinet, so that its last block here may be
    /// the first part of a block split between the two.
    continues: bool,
    /// The current block's reserved bytes and compressed data (reused: bounded by the 16-bit
    /// size fields).
    reserve: Vec<u8>,
    data: Vec<u8>,
    /// The first part of a block split across cabinets (at most 64 KiB), carried with the
    /// folder's state.
    partial: &'p mut Vec<u8>,
}

impl Blocks<'_> {
    fn what(&self) -> String {
        format!("data block {} of folder {}", self.next, self.folder)
    }

    /// Reads the next block, verifies its checksum and sizes, and hands its compressed bytes,
    /// declared uncompressed size and index to `use_block`. The bytes are used in place in
    /// the reader's buffer when the whole block is there (most blocks), and copied out only
    /// when it straddles the buffer's end or continues a block the previous cabinet began.
    fn next<R: BufRead, T>(
        &mut self,
        r: &mut R,
        use_block: impl FnOnce(&[u8], usize, u32) -> Result<T, CabinetError>,
    ) -> Result<Step<T>, CabinetError> {
        if self.next == self.count {
            return Ok(Step::Done);
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
        // Each part of a split block carries its own checksum, over its own bytes and sizes.
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
        // A block of 0 bytes is the first part of one continued in the next cabinet of a
        // set ("CFDATA": its size is the next part's): only the last block of a folder that
        // goes on there may be one. More than 32 KiB is outside the format.
        let last = self.next + 1 == self.count;
        if uncompressed == 0 && last && self.continues && self.partial.is_empty() {
            self.partial.extend_from_slice(data);
            if in_place {
                r.consume(compressed);
            }
            self.next += 1;
            return Ok(Step::Partial);
        }
        if uncompressed == 0 || uncompressed > MAX_BLOCK {
            return Err(CabinetError::Corrupt {
                folder: self.folder,
                block,
                reason: if uncompressed == 0 {
                    "it declares 0 uncompressed bytes, but it does not end a folder \
                     continued in the next cabinet"
                        .to_owned()
                } else {
                    format!("it declares {uncompressed} uncompressed bytes (at most {MAX_BLOCK})")
                },
            });
        }
        let out = if self.partial.is_empty() {
            use_block(data, uncompressed, block)?
        } else {
            // The rest of the block the previous cabinet began: decode the two parts as one.
            self.partial.extend_from_slice(data);
            let joined = std::mem::take(self.partial);
            let out = use_block(&joined, uncompressed, block);
            *self.partial = joined;
            self.partial.clear();
            out?
        };
        if in_place {
            r.consume(compressed);
        }
        self.next += 1;
        Ok(Step::Block(out))
    }
}

/// A file whose bytes are being written.
struct Open<W> {
    entry: CabinetEntry,
    /// `None` when the sink skips the file (its bytes are decoded but dropped).
    writer: Option<W>,
    end: u64,
}

/// One folder being extracted: its decoder, where it is in its uncompressed data and the
/// files it hands out. A folder continued across the cabinets of a set keeps this state from
/// one cabinet to the next (its decoder's history, a block split between them, the file
/// left open).
pub(super) struct FolderState<W> {
    /// The folder's index in the cabinet where it began (for error messages).
    index: u16,
    compression: Compression,
    codec: Option<Codec>,
    router: Router<W>,
    /// Uncompressed bytes decoded so far.
    pos: u64,
    /// The first part of a block split across cabinets.
    partial: Vec<u8>,
}

impl<W: std::io::Write> FolderState<W> {
    /// A folder starting in this cabinet, as its CFFOLDER entry `index` describes it.
    pub(super) fn new(index: u16, folder: &Folder) -> FolderState<W> {
        FolderState {
            index,
            compression: folder.compression,
            codec: None,
            router: Router {
                files: Vec::new(),
                next: 0,
                open: Vec::new(),
                data_end: 0,
            },
            pos: 0,
            partial: Vec::new(),
        }
    }

    /// The folder's compression (a continuation must use the same).
    pub(super) fn compression(&self) -> Compression {
        self.compression
    }

    /// Adds files whose bytes are in this folder (in any order: they are handed out by
    /// offset).
    pub(super) fn add_files(&mut self, files: impl IntoIterator<Item = CabinetEntry>) {
        self.router.add(files);
    }

    /// Extracts the files of the folder's part in this cabinet, whose CFFOLDER entry is
    /// `folder`. When `continues` (the folder goes on in the next cabinet) every block is
    /// read and the state is kept for the next part; otherwise blocks are read only while
    /// some file still needs bytes (data past the last file's end is never decoded, and a
    /// folder whose files are all empty reads no block at all: a zero-length file in a
    /// folder declaring a block it does not store is valid, as cabextract and libgcab read
    /// it), and every file is finished.
    pub(super) fn extract<R: BufRead + Seek, S: Sink<Writer = W>>(
        &mut self,
        r: &mut R,
        folder: &Folder,
        data_reserve: usize,
        continues: bool,
        sink: &mut S,
    ) -> Result<(), CabinetError> {
        if continues || self.pos < self.router.data_end {
            if self.codec.is_none() {
                self.codec = Some(Codec::new(self.compression).ok_or(
                    CabinetError::Unsupported {
                        folder: self.index,
                        compression: self.compression,
                    },
                )?);
            }
            r.seek(SeekFrom::Start(folder.first_block))
                .map_err(CabinetError::Io)?;
            let FolderState {
                index,
                codec,
                router,
                pos,
                partial,
                ..
            } = self;
            let index = *index;
            let Some(codec) = codec.as_mut() else {
                return Err(CabinetError::malformed("a folder lost its decoder"));
            };
            let mut blocks = Blocks {
                folder: index,
                next: 0,
                count: u32::from(folder.blocks),
                reserve_len: data_reserve,
                continues,
                reserve: Vec::new(),
                data: Vec::with_capacity(MAX_BLOCK + 64),
                partial,
            };
            while continues || *pos < router.data_end {
                let at = *pos;
                let step = blocks.next(r, |data, expected, block| {
                    let chunk =
                        codec
                            .decode(data, expected)
                            .map_err(|reason| CabinetError::Corrupt {
                                folder: index,
                                block,
                                reason,
                            })?;
                    router.route(at, chunk, sink)?;
                    Ok(chunk.len() as u64)
                })?;
                match step {
                    Step::Block(n) => *pos += n,
                    Step::Partial => {}
                    Step::Done if continues => return Ok(()),
                    Step::Done => return Err(router.short_of_data(*pos)),
                }
            }
        }
        if continues {
            return Ok(());
        }
        // Only empty files remain: those at or past the end of the data.
        self.router.open_until(u64::MAX, sink)?;
        self.router.finish_until(u64::MAX, sink)
    }

    /// The file left incomplete when the folder's continuation cannot be read.
    pub(super) fn open_file(&self) -> Option<&str> {
        self.router
            .open
            .first()
            .map(|o| o.entry.name.as_str())
            .or_else(|| {
                self.router
                    .files
                    .get(self.router.next)
                    .map(|e| e.name.as_str())
            })
    }
}

/// Hands each decoded chunk to the files it belongs to, opening each file when its first
/// byte arrives and finishing it after its last, so that for ordinary (non-overlapping) files
/// at most one writer is open at a time.
struct Router<W> {
    /// The folder's files, by offset (then entry index); those before `next` were opened.
    files: Vec<CabinetEntry>,
    /// The next file to open.
    next: usize,
    /// Files opened and not yet complete, in opening order. Only overlapping entries (a
    /// crafted cabinet) make it hold more than one.
    open: Vec<Open<W>>,
    /// The end of the last non-empty file's bytes: no block past it is decoded.
    data_end: u64,
}

impl<W: std::io::Write> Router<W> {
    /// Adds files to hand out (a continued folder's next cabinet names more of them).
    fn add(&mut self, files: impl IntoIterator<Item = CabinetEntry>) {
        self.files.drain(..self.next);
        self.next = 0;
        for f in files {
            if f.size > 0 {
                self.data_end = self.data_end.max(f.offset + f.size);
            }
            self.files.push(f);
        }
        self.files.sort_by_key(|f| (f.offset, f.index));
    }

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
        while let Some(entry) = self.files.get(self.next) {
            if entry.offset > at {
                break;
            }
            let entry = entry.clone();
            self.next += 1;
            let writer = sink.open(&entry).map_err(|source| CabinetError::Write {
                file: entry.name.clone(),
                source,
            })?;
            if entry.size == 0 {
                if let Some(w) = writer {
                    finish(sink, &entry, w)?;
                }
            } else {
                let end = entry.offset + entry.size;
                self.open.push(Open { entry, writer, end });
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
                    finish(sink, &done.entry, w)?;
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
            .map(|o| &o.entry)
            .or_else(|| self.files.get(self.next));
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
