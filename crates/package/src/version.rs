//! Version strings as Windows Installer reads them (`major.minor.build.revision`,
//! each field 0–65535), and the file version of an existing PE file on disk.
//!
//! Used by the file versioning rules ("File Versioning Rules"), FindRelatedProducts (Upgrade
//! table: only the first three fields compared) and the product registry.

use std::cmp::Ordering;
use std::fmt;
use std::io::Read;
use std::path::Path;

/// A four-field version. Missing fields are 0, so `1.2` equals `1.2.0.0`.
///
/// Invariant: each field fits the 16 bits the Version data type allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Version(pub [u16; 4]);

impl Version {
    /// Parses a Version column or property value: one to four dot-separated
    /// decimal fields, each 0–65535. Returns `None` for anything else (an
    /// empty string, letters, a fifth field, a field over 65535) — such a
    /// value in the File table's Version column is a companion file key.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let mut fields = [0u16; 4];
        for (count, part) in text.split('.').enumerate() {
            if count == 4 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            fields[count] = part.parse().ok()?;
        }
        Some(Version(fields))
    }

    /// Compares the first three fields only, as FindRelatedProducts and the
    /// `ProductVersion` property do (the fourth field is ignored).
    pub fn cmp3(&self, other: &Version) -> Ordering {
        self.0[..3].cmp(&other.0[..3])
    }

    /// The version packed as Windows' `(MS << 32) | LS` 64-bit file version.
    pub fn as_u64(&self) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, f| (acc << 16) | u64::from(*f))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// Signature of `VS_FIXEDFILEINFO`, little-endian.
const FIXED_FILE_INFO_SIGNATURE: [u8; 4] = [0xBD, 0x04, 0xEF, 0xFE];
/// Upper bound on how much of a file is scanned for its version resource.
const MAX_SCAN: u64 = 64 << 20;

/// The file version of an existing file: the `VS_FIXEDFILEINFO` of a PE
/// image's version resource, or `None` for an unversioned (non-PE, or PE
/// without version resource) or unreadable file.
///
/// Hand-written rather than a PE crate because only one fixed structure is
/// needed: the scan finds the structure's signature (0xFEEF04BD) followed by
/// its structure version 1.0, which is how the resource is laid out in every
/// PE file; it reads at most 64 MiB.
pub fn file_version(path: &Path) -> Option<Version> {
    let file = fs_err::File::open(path).ok()?;
    let mut data = Vec::new();
    file.take(MAX_SCAN).read_to_end(&mut data).ok()?;
    if !data.starts_with(b"MZ") {
        return None;
    }
    let mut at = 0;
    while let Some(pos) = find(&data[at..], &FIXED_FILE_INFO_SIGNATURE) {
        let start = at + pos;
        let field = |i: usize| -> Option<u32> {
            let b = data.get(start + 4 * i..start + 4 * i + 4)?;
            Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        if start % 4 == 0 && field(1) == Some(0x0001_0000) {
            let ms = field(2)?;
            let ls = field(3)?;
            return Some(Version([
                (ms >> 16) as u16,
                ms as u16,
                (ls >> 16) as u16,
                ls as u16,
            ]));
        }
        at = start + 1;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_one_to_four_fields() {
        assert_eq!(Version::parse("1"), Some(Version([1, 0, 0, 0])));
        assert_eq!(Version::parse("1.2.3.4"), Some(Version([1, 2, 3, 4])));
        assert_eq!(Version::parse("65535.0.1"), Some(Version([65535, 0, 1, 0])));
        assert_eq!(Version::parse(""), None);
        assert_eq!(Version::parse("1.2.3.4.5"), None);
        assert_eq!(Version::parse("65536"), None);
        assert_eq!(Version::parse("FileKey"), None);
        assert_eq!(Version::parse("1..2"), None);
        assert_eq!(Version::parse("-1"), None);
    }

    #[test]
    fn orders_numerically_not_textually() {
        let a = Version::parse("1.10").unwrap();
        let b = Version::parse("1.9.9").unwrap();
        assert!(a > b);
        assert_eq!(Version::parse("1.2").unwrap(), Version([1, 2, 0, 0]));
        assert_eq!(
            Version::parse("1.2.3.4")
                .unwrap()
                .cmp3(&Version::parse("1.2.3.9").unwrap()),
            Ordering::Equal
        );
        assert_eq!(Version([1, 2, 3, 4]).to_string(), "1.2.3.4");
        assert_eq!(Version([1, 2, 3, 4]).as_u64(), 0x0001_0002_0003_0004);
    }

    #[test]
    fn reads_fixed_file_info_from_a_pe_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.dll");
        let mut data = b"MZ".to_vec();
        data.resize(64, 0);
        data.extend_from_slice(&FIXED_FILE_INFO_SIGNATURE);
        data.extend_from_slice(&0x0001_0000u32.to_le_bytes());
        data.extend_from_slice(&((2u32 << 16) | 5).to_le_bytes());
        data.extend_from_slice(&((7u32 << 16) | 11).to_le_bytes());
        fs_err::write(&path, &data).unwrap();
        assert_eq!(file_version(&path), Some(Version([2, 5, 7, 11])));
        fs_err::write(&path, b"plain text").unwrap();
        assert_eq!(file_version(&path), None);
        assert_eq!(file_version(&dir.path().join("missing")), None);
    }
}
