//! Block decoders: stored, MSZIP and LZX. Each turns one CFDATA block's bytes into exactly the
//! number of bytes its header declares, keeping whatever state the method carries from one
//! block to the next within a folder.
//!
//! MSZIP is decoded here rather than through the `cab` crate: `cab` 0.6 re-primes a
//! miniz_oxide inflater per block and measured 2.2× slower than zlib, and it does not let a
//! caller read a folder sequentially (see `../shared/dependencies.md`). Each block goes first
//! to `libdeflate` (through `libdeflater`), which inflated PuTTY's 3.2 MB folder in three
//! quarters of zlib-rs's time; it has no preset dictionary, so the history is handed to it as
//! a stored block in front of the block's stream. A block it refuses is decoded again by
//! `flate2`'s zlib-rs, whose verdict (and error message) stands: zlib accepts a block that
//! fills its size without the final flag, as libmspack does, and names what is wrong.
//! LZX goes to `lzxd`, the decoder `cab` itself uses.

use std::panic::{AssertUnwindSafe, catch_unwind};

use flate2::{Decompress, FlushDecompress, Status};

use super::error::Compression;

/// The most uncompressed bytes one CFDATA block may hold (MS-CAB: 32 KiB), which is also
/// the MSZIP history window.
pub(super) const MAX_BLOCK: usize = 32 * 1024;

/// A folder's decoder, created fresh for each folder (state never crosses folders).
pub(super) enum Codec {
    Stored,
    MsZip(Box<MsZip>),
    Lzx(Lzx),
}

impl Codec {
    /// The decoder for a folder's method, or `None` when the method is not supported.
    pub(super) fn new(compression: Compression) -> Option<Codec> {
        match compression {
            Compression::None => Some(Codec::Stored),
            Compression::MsZip => Some(Codec::MsZip(Box::new(MsZip::new()))),
            Compression::Lzx { window_bits } => Lzx::new(window_bits).map(Codec::Lzx),
            Compression::Quantum { .. } | Compression::Unknown(_) => None,
        }
    }

    /// Decodes one block into `expected` bytes (1..=[`MAX_BLOCK`], checked by the caller).
    /// The error is the reason, for [`super::CabinetError::Corrupt`].
    pub(super) fn decode<'a>(
        &'a mut self,
        data: &'a [u8],
        expected: usize,
    ) -> Result<&'a [u8], String> {
        match self {
            Codec::Stored => {
                if data.len() == expected {
                    Ok(data)
                } else {
                    Err(format!(
                        "a stored block holds {} bytes but declares {expected}",
                        data.len()
                    ))
                }
            }
            Codec::MsZip(m) => m.decode(data, expected),
            Codec::Lzx(l) => l.decode(data, expected),
        }
    }
}

/// MSZIP: every block is `CK` followed by a complete raw deflate stream whose back
/// references may reach into the previous 32 KiB of the folder's output.
pub(super) struct MsZip {
    fast: libdeflater::Decompressor,
    /// The input `fast` is given: a stored block holding the history, then the block's stream.
    input: Vec<u8>,
    inflate: Decompress,
    /// The output so far: `buf[start..end]` is its tail (at most [`MAX_BLOCK`] bytes), the
    /// history the next block may refer to, and the next block decodes at `end`. The buffer
    /// holds several blocks so that the history moves back to the front only once every few
    /// blocks rather than being copied after each one.
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

/// A stored block's header in a deflate stream: one byte (not final, type 00, padding), then
/// LEN and its complement (RFC 1951, 3.2.4).
const STORED_HEADER: usize = 5;

/// Blocks of room in [`MsZip::buf`]: 8 × 32 KiB, so the history moves every 7th block.
const MSZIP_BUFFER_BLOCKS: usize = 8;

impl MsZip {
    fn new() -> MsZip {
        MsZip {
            fast: libdeflater::Decompressor::new(),
            input: Vec::with_capacity(STORED_HEADER + 2 * MAX_BLOCK),
            inflate: Decompress::new(false),
            // One spare byte past the last block's room lets a stream that would produce too
            // much be caught rather than cut.
            buf: vec![0u8; MSZIP_BUFFER_BLOCKS * MAX_BLOCK + 1].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    fn decode(&mut self, data: &[u8], expected: usize) -> Result<&[u8], String> {
        let Some(body) = data.strip_prefix(b"CK") else {
            return Err("an MSZIP block lacks its \"CK\" signature".to_owned());
        };
        if self.end + expected + 1 > self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.decode_fast(body, expected) {
            return Ok(self.commit(expected));
        }
        // Each block is a separate deflate stream: reset, then hand the history over as the
        // preset dictionary (a raw inflater accepts one at any point).
        self.inflate.reset(false);
        if self.end > self.start {
            self.inflate
                .set_dictionary(&self.buf[self.start..self.end])
                .map_err(|e| format!("inflate refused the history: {e}"))?;
        }
        let at = self.end;
        let out = &mut self.buf[at..at + expected + 1];
        let status = self
            .inflate
            .decompress(body, out, FlushDecompress::Finish)
            .map_err(|e| format!("inflate failed: {e}"))?;
        let produced = usize::try_from(self.inflate.total_out()).unwrap_or(usize::MAX);
        let consumed = usize::try_from(self.inflate.total_in()).unwrap_or(usize::MAX);
        // A well-formed block ends its deflate stream (BFINAL) exactly at `expected` bytes;
        // a stream that fills the block and uses all its input without the final flag is
        // accepted too, as libmspack does.
        let complete = status == Status::StreamEnd || consumed == body.len();
        if produced != expected || !complete {
            return Err(if produced > expected {
                format!("inflates to more than the {expected} bytes it declares")
            } else if produced < expected && status != Status::StreamEnd {
                format!("deflate data ends after {produced} of {expected} bytes")
            } else {
                format!("inflates to {produced} bytes but declares {expected}")
            });
        }
        Ok(self.commit(expected))
    }

    /// Decodes the block with libdeflate, into `buf` at `end`: its input is the history as a
    /// stored block followed by `body`, and its output starts at the history, which it writes
    /// over with the same bytes. False when libdeflate refuses the block or it does not make
    /// exactly `expected` bytes (the caller then decodes it with zlib).
    fn decode_fast(&mut self, body: &[u8], expected: usize) -> bool {
        let history = &self.buf[self.start..self.end];
        self.input.clear();
        if !history.is_empty() {
            // The history is at most MAX_BLOCK bytes, below a stored block's 65,535.
            let Ok(len) = u16::try_from(history.len()) else {
                return false;
            };
            self.input.push(0);
            self.input.extend_from_slice(&len.to_le_bytes());
            self.input.extend_from_slice(&(!len).to_le_bytes());
            self.input.extend_from_slice(history);
        }
        self.input.extend_from_slice(body);
        let whole = self.end - self.start + expected;
        let out = &mut self.buf[self.start..self.end + expected];
        matches!(self.fast.deflate_decompress(&self.input, out), Ok(n) if n == whole)
    }

    /// Takes the `expected` bytes decoded at `end` as output: they become part of the history.
    fn commit(&mut self, expected: usize) -> &[u8] {
        let at = self.end;
        self.end = at + expected;
        self.start = self.start.max(self.end.saturating_sub(MAX_BLOCK));
        &self.buf[at..self.end]
    }
}

/// LZX through `lzxd`, whose state (window, trees, E8 translation) spans the whole folder.
pub(super) struct Lzx {
    inner: Box<lzxd::Lzxd>,
    /// Set once the decoder panicked: its state is unknown, so every later block fails.
    poisoned: bool,
}

impl Lzx {
    fn new(window_bits: u8) -> Option<Lzx> {
        use lzxd::WindowSize as W;
        // MS-CAB allows windows of 2^15 to 2^21 bytes in a cabinet.
        let size = match window_bits {
            15 => W::KB32,
            16 => W::KB64,
            17 => W::KB128,
            18 => W::KB256,
            19 => W::KB512,
            20 => W::MB1,
            21 => W::MB2,
            _ => return None,
        };
        Some(Lzx {
            inner: Box::new(lzxd::Lzxd::new(size)),
            poisoned: false,
        })
    }

    fn decode(&mut self, data: &[u8], expected: usize) -> Result<&[u8], String> {
        if self.poisoned {
            return Err("the LZX decoder failed on an earlier block".to_owned());
        }
        let inner = &mut *self.inner;
        // `lzxd` is a third-party decoder fed with package data; a panic inside it on hostile
        // input must become a clean error, not abort the installer. (This relies on the
        // default `panic = "unwind"`, which the workspace keeps.)
        // (Rebinding `inner` inside makes the closure FnOnce, so the output may borrow it.)
        let run = move || {
            let inner = inner;
            inner.decompress_next(data, expected)
        };
        match catch_unwind(AssertUnwindSafe(run)) {
            Ok(Ok(out)) if out.len() == expected => Ok(out),
            Ok(Ok(out)) => Err(format!(
                "decodes to {} bytes but declares {expected}",
                out.len()
            )),
            Ok(Err(e)) => Err(format!("LZX: {e}")),
            Err(_) => {
                self.poisoned = true;
                Err("the LZX decoder failed on malformed data".to_owned())
            }
        }
    }
}
