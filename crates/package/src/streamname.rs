//! Stream names as Windows Installer stores them in the compound file.
//!
//! Characters from `[0-9A-Za-z._]` are packed two to a code point in 0x3800–0x47FF, or one
//! into 0x4800–0x483F; a table's stream (and the string pool's) starts with 0x4840. A
//! package and a transform name their streams the same way ("Table Stream Names" in the
//! Windows Installer database reference; `_StringPool`, `Binary.Name`, …).
//!
//! Hand-written because the msi crate keeps its encoder private and its own stream reader
//! borrows the package mutably.

/// The prefix of a table's stream name (and of `_StringPool` / `_StringData`).
pub(crate) const TABLE_PREFIX: char = '\u{4840}';

/// The summary information stream's name (never encoded).
pub(crate) const SUMMARY_STREAM: &str = "\u{5}SummaryInformation";

fn to_b64(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        'A'..='Z' => Some(c as u32 - 'A' as u32 + 10),
        'a'..='z' => Some(c as u32 - 'a' as u32 + 36),
        '.' => Some(62),
        '_' => Some(63),
        _ => None,
    }
}

fn from_b64(v: u32) -> char {
    match v {
        0..=9 => char::from(b'0' + v as u8),
        10..=35 => char::from(b'A' + (v - 10) as u8),
        36..=61 => char::from(b'a' + (v - 36) as u8),
        62 => '.',
        _ => '_',
    }
}

/// Encodes `name`; a table's stream gets the 0x4840 prefix.
pub(crate) fn encode(name: &str, table: bool) -> String {
    let mut out = String::new();
    if table {
        out.push(TABLE_PREFIX);
    }
    let mut chars = name.chars().peekable();
    while let Some(c1) = chars.next() {
        match to_b64(c1) {
            Some(v1) => {
                if let Some(v2) = chars.peek().copied().and_then(to_b64) {
                    chars.next();
                    // 0x3800 + (v2 << 6) + v1 ≤ 0x47FF: always a valid char.
                    out.extend(char::from_u32(0x3800 + (v2 << 6) + v1));
                } else {
                    out.extend(char::from_u32(0x4800 + v1));
                }
            }
            None => out.push(c1),
        }
    }
    out
}

/// Decodes a stored name: the plain name, and whether it is a table's stream.
pub(crate) fn decode(stored: &str) -> (String, bool) {
    let mut chars = stored.chars().peekable();
    let table = chars.peek() == Some(&TABLE_PREFIX);
    if table {
        chars.next();
    }
    let mut out = String::new();
    for c in chars {
        let v = c as u32;
        if (0x3800..0x4800).contains(&v) {
            let v = v - 0x3800;
            out.push(from_b64(v & 0x3f));
            out.push(from_b64(v >> 6));
        } else if (0x4800..0x4840).contains(&v) {
            out.push(from_b64(v - 0x4800));
        } else {
            out.push(c);
        }
    }
    (out, table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_pack_like_msi() {
        for name in [
            "Binary.x",
            "_StringPool",
            "a",
            "a-b",
            "Property",
            "PCW_CAB_1",
        ] {
            assert_eq!(decode(&encode(name, false)), (name.to_string(), false));
            assert_eq!(decode(&encode(name, true)), (name.to_string(), true));
        }
        assert_eq!(encode("ab", false).chars().count(), 1);
        assert_eq!(
            encode("a", false).chars().next(),
            char::from_u32(0x4800 + 36)
        );
        assert_eq!(encode("a-b", false).chars().nth(1), Some('-'));
        assert_eq!(encode("x", true).chars().next(), Some(TABLE_PREFIX));
    }
}
