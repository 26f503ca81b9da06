//! A cabinet's files inflated into memory ahead of their use, then handed to a [`Sink`] as
//! [`extract_to`] would hand them.
//!
//! Inflating is most of a small package's installation, and it needs nothing but the
//! cabinet: a caller with a core to spare inflates while it does other work (an installer
//! costing its features), and replays the files into their destination when it gets
//! there. Memory is bounded by the caller's limit on the files' total size; a cabinet of a
//! set (its folders continued from or into another cabinet) is not inflated ahead, since
//! its files need the other cabinets.
//!
//! A caller may give files of their own to keep the larger files in
//! ([`Inflated::read_spilling`]): an anonymous file on the file system the files will be
//! installed on can then be given its name there ([`Sink::adopt`]) instead of being
//! written a second time.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{CabinetEntry, CabinetError, Sink, extract_to, header};

/// A cabinet's files, inflated and verified as [`extract_to`] verifies them, in the order
/// it finishes them (for any cabinet but a crafted one, whose files overlap, also the order
/// it begins them).
#[derive(Debug)]
pub struct Inflated {
    files: Vec<(CabinetEntry, Content)>,
}

/// Where an inflated file's bytes are kept.
#[derive(Debug)]
enum Content {
    Memory(Vec<u8>),
    /// A file of the caller's ([`Inflated::read_spilling`]), written from its start.
    File(File),
}

impl Inflated {
    /// Inflates every file of the cabinet read from `reader` into memory. `Ok(None)` when
    /// the files' declared sizes add up to more than `limit` bytes, or the cabinet is part
    /// of a set; an error is what [`extract_to`] would return. Setting `stop` (from another
    /// thread) ends the inflating within a data block, with an
    /// [`io::ErrorKind::Interrupted`] [`CabinetError::Write`].
    pub fn read<R: Read + Seek>(
        reader: R,
        limit: u64,
        stop: &AtomicBool,
    ) -> Result<Option<Inflated>, CabinetError> {
        Inflated::read_spilling(reader, limit, stop, &mut |_| None)
    }

    /// [`Inflated::read`], keeping each file for which `spill` gives a file (empty, open for
    /// writing) in that file instead of in memory.
    pub fn read_spilling<R: Read + Seek>(
        mut reader: R,
        limit: u64,
        stop: &AtomicBool,
        spill: &mut dyn FnMut(&CabinetEntry) -> Option<File>,
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
            spill,
        };
        extract_to(reader, &mut recorder)?;
        Ok(Some(Inflated {
            files: recorder.files,
        }))
    }

    /// Hands every file to `sink` — [`Sink::open`], the file's bytes through
    /// [`Sink::write_owned`], [`Sink::finish`] — in the order [`extract_to`] finished them;
    /// a file kept in a file of the caller's is first offered to [`Sink::adopt`], and read
    /// through the writer only when the sink gives it back. The sink's errors are returned
    /// as `extract_to` returns them.
    pub fn replay<S: Sink>(self, sink: &mut S) -> Result<(), CabinetError> {
        for (entry, content) in self.files {
            let failed = |source| CabinetError::Write {
                file: entry.name.clone(),
                source,
            };
            match content {
                Content::Memory(bytes) => {
                    let Some(mut writer) = sink.open(&entry).map_err(failed)? else {
                        continue;
                    };
                    sink.write_owned(&mut writer, bytes).map_err(failed)?;
                    sink.finish(&entry, writer).map_err(failed)?;
                }
                Content::File(file) => {
                    let Some(mut file) = sink.adopt(&entry, file).map_err(failed)? else {
                        continue;
                    };
                    file.seek(SeekFrom::Start(0)).map_err(failed)?;
                    let Some(mut writer) = sink.open(&entry).map_err(failed)? else {
                        continue;
                    };
                    io::copy(&mut file, &mut writer).map_err(failed)?;
                    sink.finish(&entry, writer).map_err(failed)?;
                }
            }
        }
        Ok(())
    }

    /// The files' total size in bytes.
    pub fn len(&self) -> u64 {
        self.files.iter().map(|(entry, _)| entry.size).sum()
    }

    /// Whether the cabinet holds no byte of file data.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Keeps every file's bytes, in finishing order.
struct Recorder<'s> {
    files: Vec<(CabinetEntry, Content)>,
    stop: &'s AtomicBool,
    spill: &'s mut dyn FnMut(&CabinetEntry) -> Option<File>,
}

impl<'s> Sink for Recorder<'s> {
    type Writer = Kept<'s>;

    fn open(&mut self, entry: &CabinetEntry) -> io::Result<Option<Kept<'s>>> {
        stopped(self.stop)?;
        let content = match (self.spill)(entry) {
            Some(file) => Content::File(file),
            // The declared sizes were checked against the caller's limit, and extraction
            // never gives a file more bytes than its entry declares.
            None => Content::Memory(Vec::with_capacity(usize::try_from(entry.size).unwrap_or(0))),
        };
        Ok(Some(Kept {
            content,
            stop: self.stop,
        }))
    }

    fn finish(&mut self, entry: &CabinetEntry, writer: Kept<'s>) -> io::Result<()> {
        self.files.push((entry.clone(), writer.content));
        Ok(())
    }
}

/// One file's bytes, as they are inflated.
struct Kept<'s> {
    content: Content,
    stop: &'s AtomicBool,
}

impl Write for Kept<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        stopped(self.stop)?;
        match &mut self.content {
            Content::Memory(bytes) => bytes.extend_from_slice(buf),
            Content::File(file) => file.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The error that ends the inflating once `stop` is set.
fn stopped(stop: &AtomicBool) -> io::Result<()> {
    if stop.load(Ordering::Relaxed) {
        return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
    }
    Ok(())
}
