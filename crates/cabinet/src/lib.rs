//! Cabinet (`.cab`) extraction: the files of a package's embedded or external cabinets,
//! streamed out in one sequential pass and verified on the way.
//!
//! This crate knows cabinets only: nothing of Windows Installer packages, databases or the
//! engine that installs them. [`extract_to`] hands each file's bytes to a [`Sink`];
//! [`extract`] is the same with a callback; [`Inflated`] inflates a cabinet into memory
//! ahead of its use and replays it into a sink later; [`list`] reads the file table alone; every
//! failure is a [`CabinetError`] naming the folder, block or file involved.
//!
//! A cabinet holds *folders*, each a single compressed stream cut into data blocks (CFDATA)
//! of at most 32 KiB of output; *files* are ranges of a folder's uncompressed stream. Packages
//! built by `wixl` put every file in one MSZIP folder, so decoding file by file (restarting
//! the folder for each, as `cab` 0.6's `read_file` does) is quadratic. [`extract`] instead
//! reads each folder once, from its first block to the end of its last file, and hands every
//! file's bytes to a writer as they are decoded. Memory stays bounded whatever the cabinet's
//! size: a 128 KiB read buffer (blocks are verified and decoded in place in it), one spare
//! compressed block, and the decoder's state — for MSZIP a 256 KiB buffer holding the 32 KiB
//! history and the block being decoded and a 64 KiB one for libdeflate's input, for LZX its
//! window of at most 2 MiB. The one test of this (`tests/memory.rs`) sees the peak resident
//! set unchanged after a 48 MiB cabinet.
//!
//! What is verified: every data block's checksum (when the cabinet stores one: 0 means none),
//! that every block decodes to exactly the size its header declares, and that every file gets
//! all the bytes its entry declares ([`CabinetError::SizeMismatch`] otherwise). Headers that
//! declare more than the data holds fail with [`CabinetError::Truncated`] or
//! [`CabinetError::Malformed`]; nothing from the cabinet can make this module panic or
//! allocate beyond the bounds above.
//!
//! Supported: stored, MSZIP (inflated with `libdeflate`, and with `flate2`'s zlib-rs backend
//! for a block libdeflate refuses; the block's preset dictionary is the previous 32 KiB of
//! output) and LZX (through `lzxd`, the decoder the `cab` crate uses). Not supported, a
//! clear [`CabinetError`]: Quantum compression.
//!
//! Cabinet sets ("spanning" or continuous cabinets): a folder whose last file goes on in the
//! next cabinet of a set (CFFILE `iFolder` 0xFFFE or 0xFFFF) is continued there, where its
//! first folder carries on the same compressed stream (a data block may be split between
//! the two, each part with its own checksum). [`Sink::next_cabinet`] is asked for that
//! cabinet when the pass reaches the end of this one; it must be the set's next (same
//! `setID`, `iCabinet` one more, a first folder continued from this one and compressed the
//! same way), else [`CabinetError::WrongCabinet`]. The pass then goes on through the next
//! cabinet's other folders, as FDI's `FDICopy` does. Starting at a cabinet whose first folder
//! continues an earlier one, that folder's files are skipped: their data begins elsewhere.
//!
//! Order: folders are processed in index order, and within a folder files are handed out by
//! increasing offset (ties in entry order) — the cabinet's physical order, which is also
//! Windows Installer's File `Sequence` order.

#![warn(missing_docs)]

mod checksum;
mod codec;
mod error;
mod header;
mod inflated;
mod stream;

use std::io::{self, BufReader, Read, Seek, Write};

pub use error::{CabinetError, Compression};
pub use header::CabinetEntry;
pub use inflated::{Inflated, stopped};

/// A cabinet source [`Sink::next_cabinet`] hands back: a file or a package's stream.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// The cabinet a set continues in, as the cabinet being read declares it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextCabinet {
    /// The next cabinet's name (`szCabinetNext`).
    pub name: String,
    /// The next disk's name (`szDiskNext`).
    pub disk: String,
    /// The set's `setID`, which the next cabinet must carry too.
    pub set_id: u16,
    /// The `iCabinet` the next cabinet must have (this one's plus one).
    pub index: u16,
    /// The file that goes on in it.
    pub file: String,
}

/// Receives the files of a cabinet during [`extract_to`].
///
/// For each file, in extraction order, [`Sink::open`] is called when the file's first byte is
/// about to arrive (at once for an empty file); the writer it returns gets the file's bytes in
/// order, and [`Sink::finish`] is called once all of them were written. Writers of ordinary
/// cabinets are open one at a time; only entries whose ranges overlap (a crafted cabinet) are
/// open together. When extraction fails, the writer of the file being extracted is dropped
/// without `finish`.
pub trait Sink {
    /// Where one file's bytes go.
    type Writer: Write;

    /// Called once per file; `None` skips the file (its bytes are still decoded, since later
    /// files depend on them, but dropped).
    fn open(&mut self, entry: &CabinetEntry) -> io::Result<Option<Self::Writer>>;

    /// Called once the file's every byte was written. The default flushes the writer, so that
    /// a buffered writer's late error is not lost on drop.
    fn finish(&mut self, entry: &CabinetEntry, mut writer: Self::Writer) -> io::Result<()> {
        let _ = entry;
        writer.flush()
    }

    /// Called by [`Inflated::replay`] with a file's whole content, which it hands over: a
    /// sink that keeps or queues bytes can take them without a copy. The default writes
    /// them to the writer.
    fn write_owned(&mut self, writer: &mut Self::Writer, bytes: Vec<u8>) -> io::Result<()> {
        writer.write_all(&bytes)
    }

    /// Called when a file goes on in the next cabinet of a set: the reader of that cabinet,
    /// or `None` when there is none to give ([`CabinetError::Spanning`] then). The default
    /// gives none.
    fn next_cabinet(&mut self, next: &NextCabinet) -> io::Result<Option<Box<dyn ReadSeek>>> {
        let _ = next;
        Ok(None)
    }
}

/// The reader of the cabinet being read: the caller's first one, then the set's next ones.
enum Current<R> {
    First(R),
    Next(Box<dyn ReadSeek>),
}

impl<R: Read> Read for Current<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Current::First(r) => r.read(buf),
            Current::Next(r) => r.read(buf),
        }
    }
}

impl<R: Seek> Seek for Current<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        match self {
            Current::First(r) => r.seek(pos),
            Current::Next(r) => r.seek(pos),
        }
    }
}

/// Extracts every file of the cabinet read from `reader` into `sink`, in one sequential pass
/// per folder (see the module documentation for what is verified), and on through the next
/// cabinets of its set while a file goes on in them ([`Sink::next_cabinet`]).
pub fn extract_to<R: Read + Seek, S: Sink>(reader: R, sink: &mut S) -> Result<(), CabinetError> {
    // Block headers are 8 bytes and names are read byte by byte: buffer the reader. A block's
    // data (up to 64 KiB) is copied out of the buffer, or read straight into place when the
    // buffer is empty and the block at least as large as it.
    const BUFFER: usize = 128 * 1024;
    let mut r = BufReader::with_capacity(BUFFER, Current::First(reader));
    let mut header = header::read(&mut r)?;
    // A folder going on in the next cabinet, with the state it carries there.
    let mut carried: Option<stream::FolderState<S::Writer>> = None;
    // Whether this cabinet's first folder continues one this pass began.
    let mut continuing = false;
    loop {
        let count = header.folders.len();
        let mut by_folder: Vec<Vec<CabinetEntry>> = vec![Vec::new(); count];
        for entry in &header.files {
            // Entries continued from the previous cabinet repeat that cabinet's entry.
            if entry.continued_from_previous {
                continue;
            }
            // `header::read` checked that every folder index is in range.
            if let Some(list) = by_folder.get_mut(usize::from(entry.folder)) {
                list.push(entry.clone());
            }
        }
        let goes_on = header.continues_in_next();
        for (index, (folder, files)) in header.folders.iter().zip(by_folder).enumerate() {
            let first = index == 0;
            let last = index + 1 == count;
            if first && header.continues_previous() && !continuing {
                // Its data begins in a cabinet this pass did not read.
                continue;
            }
            // At most 65,535 folders (a 16-bit count), so the index fits.
            let index = u16::try_from(index).unwrap_or(u16::MAX);
            let mut state = match carried.take() {
                Some(state) if first && continuing => state,
                _ => stream::FolderState::new(index, folder),
            };
            state.add_files(files);
            let continues = last && goes_on;
            state.extract(&mut r, folder, header.data_reserve, continues, sink)?;
            if continues {
                carried = Some(state);
            }
        }
        let Some(state) = carried.as_ref() else {
            return Ok(());
        };
        // The last folder goes on in the next cabinet of the set.
        let file = state.open_file().unwrap_or_default().to_owned();
        let (name, disk) = header.next.clone().unwrap_or_default();
        let next = NextCabinet {
            name,
            disk,
            set_id: header.set_id,
            index: header.index.wrapping_add(1),
            file,
        };
        let reader = sink
            .next_cabinet(&next)
            .map_err(|source| CabinetError::NextCabinet {
                name: next.name.clone(),
                source,
            })?
            .ok_or_else(|| CabinetError::Spanning {
                file: next.file.clone(),
            })?;
        r = BufReader::with_capacity(BUFFER, Current::Next(reader));
        let wrong = |reason: String| CabinetError::WrongCabinet {
            name: next.name.clone(),
            reason,
        };
        header = match header::read(&mut r) {
            Ok(h) => h,
            Err(e) if e.is_bad_cabinet() => return Err(wrong(e.to_string())),
            Err(e) => return Err(e),
        };
        if header.set_id != next.set_id || header.index != next.index {
            return Err(wrong(format!(
                "it is cabinet {} of set {:#06x}, not cabinet {} of set {:#06x}",
                header.index, header.set_id, next.index, next.set_id
            )));
        }
        if header.prev.is_none() || !header.continues_previous() {
            return Err(wrong(format!(
                "its first folder does not continue the previous cabinet's, where {:?} goes on",
                next.file
            )));
        }
        let compression = header.folders.first().map(|f| f.compression);
        if compression != Some(state.compression()) {
            return Err(wrong(format!(
                "its first folder is not compressed as the folder it continues ({})",
                state.compression()
            )));
        }
        continuing = true;
    }
}

/// The writer [`extract`]'s callback returns for a file.
pub type FileWriter<'w> = Box<dyn Write + 'w>;

/// Extracts every file of the cabinet read from `reader`, asking `sink` for each file (in
/// extraction order) where its bytes go: `Ok(None)` skips the file. Each writer is flushed
/// once its file is complete, then dropped. This is [`extract_to`] with a callback.
pub fn extract<'w, R: Read + Seek>(
    reader: R,
    sink: &mut (dyn FnMut(&CabinetEntry) -> io::Result<Option<FileWriter<'w>>> + 'w),
) -> Result<(), CabinetError> {
    struct FnSink<'s, 'w>(
        &'s mut (dyn FnMut(&CabinetEntry) -> io::Result<Option<FileWriter<'w>>> + 'w),
    );
    impl<'w> Sink for FnSink<'_, 'w> {
        type Writer = FileWriter<'w>;
        fn open(&mut self, entry: &CabinetEntry) -> io::Result<Option<FileWriter<'w>>> {
            (self.0)(entry)
        }
    }
    extract_to(reader, &mut FnSink(sink))
}

/// Lists the cabinet's files in the order of its file table (CFFILE entries), without
/// decoding any data.
pub fn list<R: Read + Seek>(reader: R) -> Result<Vec<CabinetEntry>, CabinetError> {
    let mut r = BufReader::with_capacity(8 * 1024, reader);
    Ok(header::read(&mut r)?.files)
}
