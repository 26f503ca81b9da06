//! What can go wrong reading a cabinet, each failure naming the folder, block or file
//! involved so that the install log says exactly what was corrupt.

use std::fmt;
use std::io;

/// A folder's compression method, as its CFFOLDER `typeCompress` field declares it.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Stored: each data block holds its bytes as they are.
    None,
    /// MSZIP: each block is a raw deflate stream prefixed by `CK`, whose dictionary is the
    /// previous 32 KiB of the folder's output.
    MsZip,
    /// Quantum, with its level and memory exponent (not supported).
    Quantum {
        /// Compression level (1–7).
        level: u8,
        /// Window size as a power of two (10–21).
        memory: u8,
    },
    /// LZX, with its window size as a power of two (15–21 in a valid cabinet).
    Lzx {
        /// Window size as a power of two.
        window_bits: u8,
    },
    /// A method number the cabinet format does not define.
    Unknown(u16),
}

impl Compression {
    /// Decodes a CFFOLDER `typeCompress` field.
    pub(super) fn from_bits(bits: u16) -> Compression {
        // MS-CAB, CFFOLDER: the method is the low nibble; Quantum and LZX keep parameters above it.
        match bits & 0x000f {
            0 => Compression::None,
            1 => Compression::MsZip,
            2 => Compression::Quantum {
                level: ((bits >> 4) & 0x0f) as u8,
                memory: ((bits >> 8) & 0x1f) as u8,
            },
            3 => Compression::Lzx {
                window_bits: ((bits >> 8) & 0x1f) as u8,
            },
            _ => Compression::Unknown(bits),
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compression::None => f.write_str("no"),
            Compression::MsZip => f.write_str("MSZIP"),
            Compression::Quantum { level, memory } => {
                write!(f, "Quantum (level {level}, window 2^{memory})")
            }
            Compression::Lzx { window_bits } => write!(f, "LZX (window 2^{window_bits})"),
            Compression::Unknown(bits) => write!(f, "unknown (type {bits:#06x})"),
        }
    }
}

/// Why a cabinet could not be read or extracted.
///
/// Every variant that concerns stored data names the folder (0-based index in the cabinet),
/// the data block (0-based within its folder) or the file (its name inside the cabinet, which
/// in a Windows Installer package is the File table key).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum CabinetError {
    /// The data does not start with the `MSCF` signature.
    #[error("not a cabinet: it starts with {found:02x?}, not \"MSCF\"")]
    NotACabinet {
        /// The first four bytes found.
        found: [u8; 4],
    },
    /// The header declares a format version other than 1.x.
    #[error("unsupported cabinet format version {major}.{minor}")]
    UnsupportedVersion {
        /// `versionMajor`.
        major: u8,
        /// `versionMinor`.
        minor: u8,
    },
    /// A header, folder or file entry holds a value the format does not allow.
    #[error("malformed cabinet: {what}")]
    Malformed {
        /// What is wrong, in words.
        what: String,
    },
    /// The cabinet ends before a structure it declares.
    #[error("truncated cabinet: it ends inside {what}")]
    Truncated {
        /// The structure that was cut short ("the header", "data block 3 of folder 0", ...).
        what: String,
    },
    /// A data block's stored checksum differs from the checksum of its bytes.
    #[error(
        "corrupt cabinet: checksum mismatch in data block {block} of folder {folder} \
         (stored {stored:#010x}, computed {computed:#010x})"
    )]
    ChecksumMismatch {
        /// The folder holding the block.
        folder: u16,
        /// The block's index within its folder.
        block: u32,
        /// The checksum stored in the CFDATA header.
        stored: u32,
        /// The checksum of the block as read.
        computed: u32,
    },
    /// A data block does not decompress, or not to the size its header declares.
    #[error("corrupt cabinet: data block {block} of folder {folder} does not decode: {reason}")]
    Corrupt {
        /// The folder holding the block.
        folder: u16,
        /// The block's index within its folder.
        block: u32,
        /// What the decoder found wrong.
        reason: String,
    },
    /// A file needs more bytes than its folder's data blocks hold.
    #[error(
        "corrupt cabinet: file {file:?} should be {expected} bytes long, \
         but its folder holds only {got} of them"
    )]
    SizeMismatch {
        /// The file's name in the cabinet.
        file: String,
        /// The size its CFFILE entry declares.
        expected: u64,
        /// The bytes the folder actually held for it.
        got: u64,
    },
    /// A folder uses a compression method this reader does not decode.
    #[error("folder {folder} uses {compression} compression, which is not supported")]
    Unsupported {
        /// The folder.
        folder: u16,
        /// Its declared method.
        compression: Compression,
    },
    /// A file goes on in another cabinet of a set that the header does not name, or that
    /// the reader was not given ([`crate::Sink::next_cabinet`] gave none).
    #[error("file {file:?} goes on in another cabinet of the set, which is not available")]
    Spanning {
        /// The file's name in the cabinet.
        file: String,
    },
    /// The next cabinet of a set could not be opened.
    #[error("the next cabinet of the set, {name:?}, could not be opened")]
    NextCabinet {
        /// The name the cabinet being read gives its next one.
        name: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The cabinet given as the next of a set is not: another set, another position in
    /// it, or a cabinet whose first folder does not continue the folder being read.
    #[error("the cabinet given as the next of the set ({name:?}) is not: {reason}")]
    WrongCabinet {
        /// The name the cabinet being read gives its next one.
        name: String,
        /// What does not match.
        reason: String,
    },
    /// Reading the cabinet failed.
    #[error("reading the cabinet failed")]
    Io(#[source] io::Error),
    /// The sink could not take a file's bytes (create, write or finish failed).
    #[error("writing {file:?} out of the cabinet failed")]
    Write {
        /// The file's name in the cabinet.
        file: String,
        /// The sink's error.
        #[source]
        source: io::Error,
    },
}

impl CabinetError {
    /// Whether the cabinet's content is at fault (corrupt, truncated, malformed or using an
    /// unsupported format) rather than the reader or the sink.
    pub fn is_bad_cabinet(&self) -> bool {
        !matches!(
            self,
            CabinetError::Io(_) | CabinetError::Write { .. } | CabinetError::NextCabinet { .. }
        )
    }

    /// Maps a read error: running out of bytes means the cabinet is truncated inside `what`.
    pub(super) fn reading(err: io::Error, what: impl FnOnce() -> String) -> CabinetError {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            CabinetError::Truncated { what: what() }
        } else {
            CabinetError::Io(err)
        }
    }

    pub(super) fn malformed(what: impl Into<String>) -> CabinetError {
        CabinetError::Malformed { what: what.into() }
    }
}
