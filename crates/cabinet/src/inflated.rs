//! A cabinet's files inflated into memory ahead of their use, then handed to a [`Sink`] as
//! [`extract_to`] would hand them.
//!
//! Inflating is most of a small package's installation, and it needs nothing but the
//! cabinet: a caller with a core to spare inflates while it does other work (an installer
//! costing its features), and replays the files into their destination when it gets
//! there. Memory is bounded by the caller's limit on the files' total size; a cabinet of a
//! set (its folders continued from or into another cabinet) is not inflated ahead, since
//! its files need the other cabinets.

use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{CabinetEntry, CabinetError, Sink, extract_to, header};

/// A cabinet's files, inflated and verified as [`extract_to`] verifies them, in the order
/// it finishes them (for any cabinet but a crafted one, whose files overlap, also the order
/// it begins them).
#[derive(Debug)]
pub struct Inflated {
    files: Vec<(CabinetEntry, Vec<u8>)>,
}

impl Inflated {
    /// Inflates every file of the cabinet read from `reader` into memory. `Ok(None)` when
    /// the files' declared sizes add up to more than `limit` bytes, or the cabinet is part
    /// of a set; an error is what [`extract_to`] would return. Setting `stop` (from another
    /// thread) ends the inflating within a data block, with a [`CabinetError::Write`] whose
    /// source says "stopped".
    pub fn read<R: Read + Seek>(
        mut reader: R,
        limit: u64,
        stop: &AtomicBool,
    ) -> Result<Option<Inflated>, CabinetError> {
        let start = reader.stream_position().map_err(CabinetError::Io)?;
        let head = header::read(&mut BufReader::with_capacity(8 * 1024, &mut reader))?;
        let total = head
            .files
            .iter()
            .try_fold(0u64, |sum, f| sum.checked_add(f.size));
        if head.continues_previous() || head.continues_in_next() || total.is_none_or(|t| t > limit)
        {
            return Ok(None);
        }
        reader
            .seek(SeekFrom::Start(start))
            .map_err(CabinetError::Io)?;
        let mut recorder = Recorder {
            files: Vec::new(),
            stop,
        };
        extract_to(reader, &mut recorder)?;
        Ok(Some(Inflated {
            files: recorder.files,
        }))
    }

    /// Hands every file to `sink` — [`Sink::open`], the file's bytes through
    /// [`Sink::write_owned`], [`Sink::finish`] — in the order [`extract_to`] finished them;
    /// the sink's errors are returned as `extract_to` returns them.
    pub fn replay<S: Sink>(self, sink: &mut S) -> Result<(), CabinetError> {
        for (entry, bytes) in self.files {
            let failed = |source| CabinetError::Write {
                file: entry.name.clone(),
                source,
            };
            let Some(mut writer) = sink.open(&entry).map_err(failed)? else {
                continue;
            };
            sink.write_owned(&mut writer, bytes).map_err(failed)?;
            sink.finish(&entry, writer).map_err(failed)?;
        }
        Ok(())
    }

    /// The files' total size in bytes.
    pub fn len(&self) -> u64 {
        self.files.iter().map(|(_, b)| b.len() as u64).sum()
    }

    /// Whether the cabinet holds no byte of file data.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Keeps every file's bytes, in finishing order.
struct Recorder<'s> {
    files: Vec<(CabinetEntry, Vec<u8>)>,
    stop: &'s AtomicBool,
}

impl<'s> Sink for Recorder<'s> {
    type Writer = Kept<'s>;

    fn open(&mut self, entry: &CabinetEntry) -> io::Result<Option<Kept<'s>>> {
        stopped(self.stop)?;
        // The declared sizes were checked against the caller's limit, and extraction never
        // gives a file more bytes than its entry declares.
        let size = usize::try_from(entry.size).unwrap_or(0);
        Ok(Some(Kept {
            bytes: Vec::with_capacity(size),
            stop: self.stop,
        }))
    }

    fn finish(&mut self, entry: &CabinetEntry, writer: Kept<'s>) -> io::Result<()> {
        self.files.push((entry.clone(), writer.bytes));
        Ok(())
    }
}

/// One file's bytes, as they are inflated.
struct Kept<'s> {
    bytes: Vec<u8>,
    stop: &'s AtomicBool,
}

impl Write for Kept<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        stopped(self.stop)?;
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The error that ends an inflating once `stop` is set (for a [`Sink`]'s writer to return,
/// as [`Inflated::read`]'s do). Not of kind `Interrupted`, which `write_all` takes as "try
/// again": the inflating would never end.
pub fn stopped(stop: &AtomicBool) -> io::Result<()> {
    if stop.load(Ordering::Relaxed) {
        return Err(io::Error::other("stopped"));
    }
    Ok(())
}
