//! The files a Windows package makes for the shell, in the forms Windows and Linux desktops
//! read, with no dependence on the install engine:
//!
//! * [`lnk`] — Shell Link (`.lnk`) shortcuts as Microsoft's Shell Link Binary File Format
//!   ([MS-SHLLINK]) defines them, written as Windows writes a shortcut to a local file (an
//!   item ID list *and* a LinkInfo structure, Unicode strings) and read back.
//! * [`desktop`] — freedesktop.org Desktop Entry files (`.desktop`), the shortcut's form in
//!   a Linux layout, with the specification's escaping and `Exec` quoting rules.
//! * [`ini`] — INI files edited exactly as `WritePrivateProfileString` edits them and read
//!   as `GetPrivateProfileString` reads them, with the IniFile, RemoveIniFile and
//!   IniLocator tables' actions and fields.
//! * [`font`] — the title of a TrueType or OpenType font (or collection) from its `name`
//!   table, as RegisterFonts registers it when the Font table leaves the title null.
//!
//! Every reader takes bytes a package controls: malformed input is an [`Error`], never a
//! panic.
#![warn(missing_docs)]

pub mod desktop;
pub mod font;
pub mod ini;
pub mod lnk;

/// What can go wrong reading a shell file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data ends before a structure it declares.
    #[error("{what}: the data ends at byte {at}, before the structure it declares")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// The offset where the data ran out.
        at: usize,
    },
    /// A structure holds a value its format does not allow.
    #[error("{what}: {why}")]
    Malformed {
        /// The structure being read.
        what: &'static str,
        /// What is wrong with it.
        why: String,
    },
}

/// The result of this crate's readers.
pub type Result<T> = std::result::Result<T, Error>;

/// A little-endian reader over bytes that never reads past the end.
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8], what: &'static str) -> Cursor<'a> {
        Cursor { data, pos: 0, what }
    }

    pub(crate) fn at(data: &'a [u8], pos: usize, what: &'static str) -> Cursor<'a> {
        Cursor { data, pos, what }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        match end {
            Some(end) => {
                let out = &self.data[self.pos..end];
                self.pos = end;
                Ok(out)
            }
            None => Err(Error::Truncated {
                what: self.what,
                at: self.data.len(),
            }),
        }
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn be_u16(&mut self) -> Result<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn be_u32(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}
