//! The File and MsiFileHash tables.

use super::directory::NamePair;
use super::{Table, read_all};
use crate::error::Result;
use crate::version::Version;

/// `msidbFileAttributesReadOnly`.
pub const ATTR_READ_ONLY: i32 = 0x0001;
/// `msidbFileAttributesHidden`.
pub const ATTR_HIDDEN: i32 = 0x0002;
/// `msidbFileAttributesSystem`.
pub const ATTR_SYSTEM: i32 = 0x0004;
/// `msidbFileAttributesVital`.
pub const ATTR_VITAL: i32 = 0x0200;
/// `msidbFileAttributesChecksum`.
pub const ATTR_CHECKSUM: i32 = 0x0400;
/// `msidbFileAttributesPatchAdded`.
pub const ATTR_PATCH_ADDED: i32 = 0x1000;
/// `msidbFileAttributesNoncompressed`.
pub const ATTR_NONCOMPRESSED: i32 = 0x2000;
/// `msidbFileAttributesCompressed`.
pub const ATTR_COMPRESSED: i32 = 0x4000;

/// A File row.
///
/// Invariants: `file_size` ≥ 0; `file_name` has neither `/` nor `\` in either
/// of its names (a path in a file name is refused at reading: it could
/// escape the component's folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    /// The key (also the file's name inside its cabinet).
    pub file: String,
    /// The Component key.
    pub component: String,
    /// The `short|long` file name.
    pub file_name: NamePair,
    /// The size in bytes.
    pub file_size: i64,
    /// The Version column: a version, a companion File key, or `None`.
    pub version: Option<String>,
    /// The comma-separated LANGIDs.
    pub language: Option<String>,
    /// `msidbFileAttributes*` bits (null reads as 0).
    pub attributes: i32,
    /// The sequence: installation order and Media mapping.
    pub sequence: i32,
}

impl FileRow {
    /// The file's own version, when the Version column holds one (not a
    /// companion key, not null).
    pub fn own_version(&self) -> Option<Version> {
        self.version.as_deref().and_then(Version::parse)
    }

    /// The companion parent's File key, when the Version column names one.
    pub fn companion_of(&self) -> Option<&str> {
        self.version
            .as_deref()
            .filter(|v| Version::parse(v).is_none())
    }

    /// The LANGIDs of the Language column (unparseable entries dropped).
    pub fn languages(&self) -> Vec<u16> {
        parse_languages(self.language.as_deref())
    }
}

/// Parses a comma-separated list of decimal LANGIDs.
pub fn parse_languages(text: Option<&str>) -> Vec<u16> {
    text.unwrap_or("")
        .split(',')
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Reads the File table.
pub fn read(table: Option<&Table>) -> Result<Vec<FileRow>> {
    read_all(table, |row| {
        let file_name = NamePair::parse(&row.str("FileName")?);
        row.ensure(
            ![&file_name.short, &file_name.long]
                .iter()
                .any(|n| n.contains(['/', '\\']) || n.is_empty() || *n == ".." || *n == "."),
            || format!("file name {:?} is not a plain name", file_name.long),
        )?;
        let file_size = i64::from(row.opt_int("FileSize")?.unwrap_or(0));
        row.ensure(file_size >= 0, || format!("negative FileSize {file_size}"))?;
        Ok(FileRow {
            file: row.str("File")?,
            component: row.str("Component_")?,
            file_name,
            file_size,
            version: row.opt_str("Version"),
            language: row.opt_str("Language"),
            attributes: row.opt_int("Attributes")?.unwrap_or(0),
            sequence: row.opt_int("Sequence")?.unwrap_or(0),
        })
    })
}

/// An MsiFileHash row: the 128-bit hash of an unversioned file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHashRow {
    /// The File key.
    pub file: String,
    /// The four 32-bit parts of the hash.
    pub hash: [i32; 4],
}

/// Reads the MsiFileHash table.
pub fn read_hashes(table: Option<&Table>) -> Result<Vec<FileHashRow>> {
    read_all(table, |row| {
        Ok(FileHashRow {
            file: row.str("File_")?,
            hash: [
                row.int("HashPart1")?,
                row.int("HashPart2")?,
                row.int("HashPart3")?,
                row.int("HashPart4")?,
            ],
        })
    })
}
