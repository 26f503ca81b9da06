//! Parsing of the CFHEADER, CFFOLDER and CFFILE structures (MS-CAB sections 2.1–2.4).
//!
//! Everything is read through `Read` in small fixed-size pieces, so a header that declares
//! huge counts or offsets past the end fails with [`CabinetError::Truncated`] as soon as the
//! data runs out, before anything proportional to the declared counts is allocated (the
//! counts are 16-bit, which bounds the tables to 65,535 entries anyway).

use std::io::{Read, Seek, SeekFrom};

use super::error::{CabinetError, Compression};

/// `flags` bits of CFHEADER.
const FLAG_PREV_CABINET: u16 = 0x0001;
const FLAG_NEXT_CABINET: u16 = 0x0002;
const FLAG_RESERVE_PRESENT: u16 = 0x0004;

/// `iFolder` values that mark a file continued from or into another cabinet of a set
/// (MS-CAB, CFFILE): from the previous cabinet (the file is in this cabinet's first folder),
/// into the next one (its last folder), or both (its only folder).
const IFOLD_CONTINUED_FROM_PREV: u16 = 0xfffd;
const IFOLD_CONTINUED_TO_NEXT: u16 = 0xfffe;
const IFOLD_CONTINUED_PREV_AND_NEXT: u16 = 0xffff;

/// `attribs` bit: the name is UTF-8 rather than in the cabinet's code page.
const ATTR_NAME_IS_UTF: u16 = 0x0080;

/// The longest name or string field the format allows, without its terminating NUL
/// (`CB_MAX_FILENAME`, `CB_MAX_CABINET_NAME`, `CB_MAX_DISK_NAME` are all 255/256).
const MAX_STRING: usize = 256;

/// The most reserved bytes a header may declare (MS-CAB: `cbCFHeader` at most 60,000).
const MAX_HEADER_RESERVE: u16 = 60_000;

/// One file stored in a cabinet, as its CFFILE entry describes it.
///
/// Invariant: `folder` is the index of a folder of the same cabinet (for a file continued
/// from or into another cabinet of a set, the first or last folder its `iFolder` marker
/// designates), and `offset` is where the file's bytes start in that folder's uncompressed
/// data (for a folder continued across cabinets, the whole folder's data, from its start in
/// the first cabinet). Several entries may carry the same name.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CabinetEntry {
    /// The stored name. In a Windows Installer package it is the File table key. UTF-8 names
    /// are taken as they are; names in a code page are read as Latin-1 (identical for the
    /// ASCII names installers use, and reversible for the rest).
    pub name: String,
    /// The uncompressed size in bytes (`cbFile`).
    pub size: u64,
    /// The index of the folder holding the file (`iFolder`).
    pub folder: u16,
    /// The offset of the file's first byte in the folder's uncompressed data (`uoffFolderStart`).
    pub offset: u64,
    /// The file's position among the cabinet's CFFILE entries (0-based), which tells apart
    /// entries that share a name.
    pub index: usize,
    /// The `attribs` field (read-only 0x01, hidden 0x02, system 0x04, archive 0x20,
    /// executable 0x40, UTF-8 name 0x80).
    pub attributes: u16,
    /// Whether the file begins in the previous cabinet of a set (its entry there is the one
    /// extraction uses).
    pub continued_from_previous: bool,
    /// Whether the file goes on in the next cabinet of a set.
    pub continued_to_next: bool,
}

/// One folder: where its data blocks start, how many there are and how they are compressed.
#[derive(Debug, Clone)]
pub(super) struct Folder {
    pub(super) first_block: u64,
    pub(super) blocks: u16,
    pub(super) compression: Compression,
}

/// Everything the cabinet's header region declares.
#[derive(Debug)]
pub(super) struct Header {
    pub(super) folders: Vec<Folder>,
    pub(super) files: Vec<CabinetEntry>,
    /// Reserved bytes at the start of every CFDATA block.
    pub(super) data_reserve: usize,
    /// `setID`: every cabinet of a set carries the same.
    pub(super) set_id: u16,
    /// `iCabinet`: this cabinet's number in its set, from 0.
    pub(super) index: u16,
    /// The previous cabinet's and disk's names, when the header declares them.
    pub(super) prev: Option<(String, String)>,
    /// The next cabinet's and disk's names, when the header declares them.
    pub(super) next: Option<(String, String)>,
}

impl Header {
    /// Whether the first folder continues a folder of the previous cabinet (a file of it is
    /// marked continued from there).
    pub(super) fn continues_previous(&self) -> bool {
        self.files.iter().any(|f| f.continued_from_previous)
    }

    /// Whether the last folder goes on in the next cabinet (a file of it is marked
    /// continued there).
    pub(super) fn continues_in_next(&self) -> bool {
        self.files.iter().any(|f| f.continued_to_next)
    }
}

/// Reads and checks the header, folder and file tables. A file marked continued from or
/// into another cabinet must be where the marker says: the header must declare that
/// cabinet, and the folder must be the first or the last one.
pub(super) fn read<R: Read + Seek>(r: &mut R) -> Result<Header, CabinetError> {
    let truncated = |what: &'static str| move |e| CabinetError::reading(e, || what.to_owned());
    let mut fixed = [0u8; 36];
    r.read_exact(&mut fixed[..4])
        .map_err(truncated("the header"))?;
    if &fixed[..4] != b"MSCF" {
        let mut found = [0u8; 4];
        found.copy_from_slice(&fixed[..4]);
        return Err(CabinetError::NotACabinet { found });
    }
    r.read_exact(&mut fixed[4..])
        .map_err(truncated("the header"))?;
    let coff_files = u32_at(&fixed, 16);
    let (minor, major) = (fixed[24], fixed[25]);
    let folder_count = u16_at(&fixed, 26);
    let file_count = u16_at(&fixed, 28);
    let flags = u16_at(&fixed, 30);
    let set_id = u16_at(&fixed, 32);
    let cabinet_index = u16_at(&fixed, 34);
    // FDI refuses any major version but 1 (FDIERROR_UNKNOWN_CABINET_VERSION); minor
    // versions other than 3 are read as cabextract and libgcab read them.
    if major != 1 {
        return Err(CabinetError::UnsupportedVersion { major, minor });
    }

    let (mut folder_reserve, mut data_reserve) = (0usize, 0usize);
    if flags & FLAG_RESERVE_PRESENT != 0 {
        let mut sizes = [0u8; 4];
        r.read_exact(&mut sizes)
            .map_err(truncated("the header's reserve sizes"))?;
        let header_reserve = u16_at(&sizes, 0);
        if header_reserve > MAX_HEADER_RESERVE {
            return Err(CabinetError::malformed(format!(
                "the header reserves {header_reserve} bytes (at most {MAX_HEADER_RESERVE})"
            )));
        }
        folder_reserve = usize::from(sizes[2]);
        data_reserve = usize::from(sizes[3]);
        skip(r, u64::from(header_reserve), "the header's reserved area")?;
    }
    let mut names = |what: [&'static str; 2]| -> Result<(String, String), CabinetError> {
        let cabinet = latin1(&read_string(r, what[0])?);
        let disk = latin1(&read_string(r, what[1])?);
        Ok((cabinet, disk))
    };
    let prev = if flags & FLAG_PREV_CABINET != 0 {
        Some(names([
            "the previous cabinet's name",
            "the previous disk's name",
        ])?)
    } else {
        None
    };
    let next = if flags & FLAG_NEXT_CABINET != 0 {
        Some(names(["the next cabinet's name", "the next disk's name"])?)
    } else {
        None
    };

    let mut folders = Vec::new();
    for index in 0..folder_count {
        let mut entry = [0u8; 8];
        r.read_exact(&mut entry)
            .map_err(|e| CabinetError::reading(e, || format!("folder entry {index}")))?;
        skip(r, folder_reserve as u64, "a folder entry's reserved area")?;
        folders.push(Folder {
            first_block: u64::from(u32_at(&entry, 0)),
            blocks: u16_at(&entry, 4),
            compression: Compression::from_bits(u16_at(&entry, 6)),
        });
    }

    r.seek(SeekFrom::Start(u64::from(coff_files)))
        .map_err(CabinetError::Io)?;
    let mut files = Vec::new();
    for index in 0..usize::from(file_count) {
        let mut entry = [0u8; 16];
        r.read_exact(&mut entry)
            .map_err(|e| CabinetError::reading(e, || format!("file entry {index}")))?;
        let attributes = u16_at(&entry, 14);
        let raw = read_string(r, "a file name")?;
        let name = decode_name(&raw, attributes & ATTR_NAME_IS_UTF != 0).ok_or_else(|| {
            CabinetError::malformed(format!("file entry {index}'s name is not UTF-8"))
        })?;
        let marker = u16_at(&entry, 8);
        let from_previous = matches!(
            marker,
            IFOLD_CONTINUED_FROM_PREV | IFOLD_CONTINUED_PREV_AND_NEXT
        );
        let to_next = matches!(
            marker,
            IFOLD_CONTINUED_TO_NEXT | IFOLD_CONTINUED_PREV_AND_NEXT
        );
        if (from_previous && prev.is_none()) || (to_next && next.is_none()) {
            // Marked continued, but the header names no cabinet to continue with.
            return Err(CabinetError::Spanning { file: name });
        }
        let last = u16::try_from(folders.len().saturating_sub(1)).unwrap_or(u16::MAX);
        let folder = match marker {
            IFOLD_CONTINUED_FROM_PREV => 0,
            IFOLD_CONTINUED_TO_NEXT => last,
            IFOLD_CONTINUED_PREV_AND_NEXT if last == 0 => 0,
            IFOLD_CONTINUED_PREV_AND_NEXT => {
                return Err(CabinetError::malformed(format!(
                    "file {name:?} continues from the previous cabinet into the next, but \
                     the cabinet has {} folders",
                    folders.len()
                )));
            }
            other => other,
        };
        if usize::from(folder) >= folders.len() {
            return Err(CabinetError::malformed(format!(
                "file {name:?} is in folder {folder}, but the cabinet has {} folder(s)",
                folders.len()
            )));
        }
        files.push(CabinetEntry {
            name,
            size: u64::from(u32_at(&entry, 0)),
            folder,
            offset: u64::from(u32_at(&entry, 4)),
            index,
            attributes,
            continued_from_previous: from_previous,
            continued_to_next: to_next,
        });
    }
    Ok(Header {
        folders,
        files,
        data_reserve,
        set_id,
        index: cabinet_index,
        prev,
        next,
    })
}

/// A cabinet or disk name of the header, in the cabinet's code page (read as Latin-1, as
/// file names are).
fn latin1(raw: &[u8]) -> String {
    raw.iter().map(|&b| char::from(b)).collect()
}

/// Reads a NUL-terminated string of at most [`MAX_STRING`] bytes.
fn read_string<R: Read>(r: &mut R, what: &'static str) -> Result<Vec<u8>, CabinetError> {
    let mut out = Vec::with_capacity(32);
    loop {
        let mut byte = [0u8; 1];
        r.read_exact(&mut byte)
            .map_err(|e| CabinetError::reading(e, || what.to_owned()))?;
        if byte[0] == 0 {
            return Ok(out);
        }
        if out.len() == MAX_STRING {
            return Err(CabinetError::malformed(format!(
                "{what} is longer than {MAX_STRING} bytes"
            )));
        }
        out.push(byte[0]);
    }
}

fn decode_name(raw: &[u8], utf8: bool) -> Option<String> {
    if utf8 {
        String::from_utf8(raw.to_vec()).ok()
    } else {
        Some(raw.iter().map(|&b| char::from(b)).collect())
    }
}

/// Skips `n` bytes by reading them, so that a short cabinet is reported as truncated.
fn skip<R: Read>(r: &mut R, n: u64, what: &'static str) -> Result<(), CabinetError> {
    let copied =
        std::io::copy(&mut r.by_ref().take(n), &mut std::io::sink()).map_err(CabinetError::Io)?;
    if copied < n {
        return Err(CabinetError::Truncated {
            what: what.to_owned(),
        });
    }
    Ok(())
}

pub(super) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
