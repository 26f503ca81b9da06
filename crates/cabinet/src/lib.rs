//! Cabinet (`.cab`) extraction: the files of a package's embedded or external cabinets,
//! streamed out in one sequential pass and verified on the way.
//!
//! This crate knows cabinets only: nothing of Windows Installer packages, databases or the
//! engine that installs them. [`extract_to`] hands each file's bytes to a [`Sink`];
//! [`extract`] is the same with a callback; [`list`] reads the file table alone; every
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
//! history and the block being decoded, for LZX its window of at most 2 MiB. The one test of
//! this (`tests/memory.rs`) sees the peak resident set unchanged after a 48 MiB
//! cabinet.
//!
//! What is verified: every data block's checksum (when the cabinet stores one: 0 means none),
//! that every block decodes to exactly the size its header declares, and that every file gets
//! all the bytes its entry declares ([`CabinetError::SizeMismatch`] otherwise). Headers that
//! declare more than the data holds fail with [`CabinetError::Truncated`] or
//! [`CabinetError::Malformed`]; nothing from the cabinet can make this module panic or
//! allocate beyond the bounds above.
//!
//! Supported: stored, MSZIP (inflated with `flate2`'s zlib-rs backend, the block's preset
//! dictionary being the previous 32 KiB of output) and LZX (through `lzxd`, the decoder the
//! `cab` crate uses). Not supported, each a clear [`CabinetError`]: Quantum compression and
//! cabinet sets (files continued from or into another cabinet).
//!
//! Order: folders are processed in index order, and within a folder files are handed out by
//! increasing offset (ties in entry order) — the cabinet's physical order, which is also
//! Windows Installer's File `Sequence` order.

#![warn(missing_docs)]

mod checksum;
mod codec;
mod error;
mod header;
mod stream;

use std::io::{self, BufReader, Read, Seek, Write};

pub use error::{CabinetError, Compression};
pub use header::CabinetEntry;

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
}

/// Extracts every file of the cabinet read from `reader` into `sink`, in one sequential pass
/// per folder (see the module documentation for what is verified).
pub fn extract_to<R: Read + Seek, S: Sink>(reader: R, sink: &mut S) -> Result<(), CabinetError> {
    // Block headers are 8 bytes and names are read byte by byte: buffer the reader. A block's
    // data (up to 64 KiB) is copied out of the buffer, or read straight into place when the
    // buffer is empty and the block at least as large as it.
    let mut r = BufReader::with_capacity(128 * 1024, reader);
    let header = header::read(&mut r)?;
    let mut by_folder: Vec<Vec<&CabinetEntry>> = vec![Vec::new(); header.folders.len()];
    for entry in &header.files {
        // `header::read` checked that every folder index is in range.
        if let Some(list) = by_folder.get_mut(usize::from(entry.folder)) {
            list.push(entry);
        }
    }
    for (index, (folder, files)) in header.folders.iter().zip(&mut by_folder).enumerate() {
        if files.is_empty() {
            continue;
        }
        files.sort_by_key(|f| (f.offset, f.index));
        // At most 65,535 folders (a 16-bit count), so the index fits.
        let index = u16::try_from(index).unwrap_or(u16::MAX);
        stream::extract_folder(&mut r, index, folder, header.data_reserve, files, sink)?;
    }
    Ok(())
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
