//! The text a hive was read from: its file mapped into memory, or read into a string.
//!
//! A booted prefix's `system.reg` is 1.6 MB. Read into a buffer, each of its 400 pages was
//! a page fault on fresh memory (the kernel allocates, clears and fills a page for each),
//! a tenth of an install's time into the prefix; mapped, the hive reads the page cache's
//! own pages, a fault for every sixteen of them. The hive only ever reads the text: the
//! keys an install changes are rendered anew, and the file is replaced by renaming.
//!
//! A mapping shows the file as it is now, not as it was when it was mapped: a process that
//! wrote the file in place while the hive is held would change (or, truncating it, take
//! away) text the hive reads. Only a file nothing writes in place is mapped: a regular
//! file with one link, which is how `wineserver` saves the registry (it writes a temporary
//! file and renames it over the old one, writing in place only into a file of several
//! links or one that is not regular), as rmsi does; and the engine edits a prefix only
//! while no `wineserver` serves it. Anything else is read into memory as before.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Deref;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Below this size a file is read: a mapping costs more system calls than it saves faults.
const MAP_FROM: u64 = 64 * 1024;

/// A hive's text (see the module documentation). It always ends with a line end.
#[derive(Debug)]
pub(super) enum Source {
    /// The file mapped, checked to be UTF-8 ending with a line end.
    Mapped(memmap2::Mmap),
    /// Text read or given (with a final line end added when it had none).
    Owned(String),
}

impl Source {
    /// The text of the file at `path`, and whether the file ended with a line end. Text that
    /// is not UTF-8 is read with U+FFFD for what cannot be decoded.
    // std's errors on purpose: the caller's Error::Io names the path (fs_err's would name it
    // twice).
    #[allow(clippy::disallowed_methods)]
    pub(super) fn load(path: &Path) -> io::Result<(Source, bool)> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_file() && meta.nlink() == 1 && meta.len() >= MAP_FROM {
            // SAFETY: the file is mapped read-only and only ever read through the mapping;
            // it is a regular file with one link, which Wine and rmsi replace by renaming
            // rather than write in place (see the module documentation).
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::Mmap::map(&file)? };
            if std::str::from_utf8(&map).is_ok() && map.ends_with(b"\n") {
                return Ok((Source::Mapped(map), true));
            }
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(Source::owned(text))
    }

    /// `text` as a hive's text, and whether it ended with a line end.
    pub(super) fn owned(mut text: String) -> (Source, bool) {
        let final_newline = text.is_empty() || text.ends_with('\n');
        if !final_newline {
            text.push('\n');
        }
        (Source::Owned(text), final_newline)
    }
}

impl Default for Source {
    fn default() -> Source {
        Source::Owned(String::new())
    }
}

impl Deref for Source {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            // SAFETY: checked to be UTF-8 when mapped, and never written (module doc).
            #[allow(unsafe_code)]
            Source::Mapped(map) => unsafe { std::str::from_utf8_unchecked(map) },
            Source::Owned(text) => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(line: &str) -> String {
        line.repeat(usize::try_from(MAP_FROM).unwrap() / line.len() + 1)
    }

    #[test]
    fn a_large_file_of_one_link_is_mapped_and_anything_else_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("system.reg");
        let text = big("\"Name\"=\"Value\"\n");
        fs_err::write(&path, &text).unwrap();
        let (source, final_newline) = Source::load(&path).unwrap();
        assert!(matches!(source, Source::Mapped(_)));
        assert!(final_newline);
        assert_eq!(&*source, text);

        // A second link: wineserver would write into the file in place.
        fs_err::hard_link(&path, dir.path().join("link.reg")).unwrap();
        let (source, _) = Source::load(&path).unwrap();
        assert!(matches!(source, Source::Owned(_)));
        assert_eq!(&*source, text);
        fs_err::remove_file(dir.path().join("link.reg")).unwrap();

        // Small files are read.
        fs_err::write(&path, "WINE REGISTRY Version 2\n").unwrap();
        assert!(matches!(Source::load(&path).unwrap().0, Source::Owned(_)));
    }

    #[test]
    fn text_the_mapping_cannot_hold_as_it_is_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("user.reg");
        // No final line end: one is added, and the caller told.
        let text = big("\"Name\"=\"Value\"\n") + "[Last]";
        fs_err::write(&path, &text).unwrap();
        let (source, final_newline) = Source::load(&path).unwrap();
        assert!(matches!(source, Source::Owned(_)));
        assert!(!final_newline);
        assert_eq!(&*source, format!("{text}\n"));
        // Not UTF-8: U+FFFD for the byte that cannot be decoded.
        let mut bytes = big("\"Name\"=\"Value\"\n").into_bytes();
        bytes[3] = 0xff;
        fs_err::write(&path, &bytes).unwrap();
        let (source, _) = Source::load(&path).unwrap();
        assert!(matches!(source, Source::Owned(_)));
        assert!(source.starts_with("\"Na\u{fffd}e\""));
    }
}
