//! The title RegisterFonts gives a font when the Font table's FontTitle is null ("Font
//! table": the installer reads it from the font file): the full name (name ID 4) of the
//! font's `name` table, with " (TrueType)" appended, as Windows names its Fonts entries.
//!
//! The name is the Windows platform's (3) Unicode one (encodings 1 and 10, or 0 for symbol
//! fonts) in US English (0x0409), else in another English, else in any language; a font
//! without Windows names falls back to the Unicode platform's (0) and then the Macintosh
//! Roman one (1, 0), as a Windows font loader does. A TrueType collection (`ttcf`) is
//! titled with its fonts' names joined by " & ", as Windows titles one.

use crate::{Cursor, Error, Result};

/// The full name (name ID 4) of the font at `offset` of `data` (an OpenType font, or one
/// font of a collection).
fn full_name(data: &[u8], offset: usize) -> Result<String> {
    let mut c = Cursor::at(data, offset, "OpenType table directory");
    let version = c.be_u32()?;
    if !matches!(version, 0x0001_0000 | 0x4F54_544F | 0x7472_7565) {
        return Err(Error::Malformed {
            what: "OpenType table directory",
            why: format!("unknown sfnt version 0x{version:08X}"),
        });
    }
    let tables = c.be_u16()?;
    c.bytes(6)?;
    let mut name_at = None;
    for _ in 0..tables {
        let tag = c.bytes(4)?;
        c.be_u32()?;
        let at = c.be_u32()? as usize;
        let len = c.be_u32()? as usize;
        if tag == b"name" {
            name_at = Some((at, len));
        }
    }
    let (at, len) = name_at.ok_or(Error::Malformed {
        what: "OpenType font",
        why: "no name table".into(),
    })?;
    let table = Cursor::at(data, at, "name table").bytes(len)?;
    let mut c = Cursor::new(table, "name table");
    c.be_u16()?;
    let count = c.be_u16()?;
    let strings = usize::from(c.be_u16()?);
    // (rank, platform, bytes): the lowest rank wins.
    let mut best: Option<(u8, u16, &[u8])> = None;
    for _ in 0..count {
        let platform = c.be_u16()?;
        let encoding = c.be_u16()?;
        let language = c.be_u16()?;
        let id = c.be_u16()?;
        let length = usize::from(c.be_u16()?);
        let offset = usize::from(c.be_u16()?);
        if id != 4 {
            continue;
        }
        let rank = match (platform, encoding) {
            (3, 0 | 1 | 10) if language == 0x0409 => 0,
            (3, 0 | 1 | 10) if language & 0x3FF == 0x09 => 1,
            (3, 0 | 1 | 10) => 2,
            (0, _) => 3,
            (1, 0) if language == 0 => 4,
            _ => continue,
        };
        if best.is_some_and(|(r, ..)| r <= rank) {
            continue;
        }
        let bytes = Cursor::at(table, strings + offset, "name record").bytes(length)?;
        best = Some((rank, platform, bytes));
    }
    let (_, platform, bytes) = best.ok_or(Error::Malformed {
        what: "name table",
        why: "no full name (name ID 4)".into(),
    })?;
    Ok(if platform == 1 {
        bytes.iter().map(|&b| mac_roman(b)).collect()
    } else {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    })
}

/// A Mac OS Roman byte (the ASCII half as it is; the upper half's letters Western fonts
/// use in names).
fn mac_roman(b: u8) -> char {
    const HIGH: &str = "ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø¿¡¬√ƒ≈∆«»… ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄€‹›ﬁﬂ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\u{F8FF}ÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ";
    if b < 0x80 {
        b as char
    } else {
        HIGH.chars()
            .nth(usize::from(b - 0x80))
            .unwrap_or('\u{FFFD}')
    }
}

/// The full names of the font file's fonts (one, or each of a collection's).
pub fn full_names(data: &[u8]) -> Result<Vec<String>> {
    if data.starts_with(b"ttcf") {
        let mut c = Cursor::at(data, 8, "TTC header");
        let n = c.be_u32()?;
        if n == 0 || n > 0x1_0000 {
            return Err(Error::Malformed {
                what: "TTC header",
                why: format!("{n} fonts"),
            });
        }
        let mut out = Vec::new();
        for _ in 0..n {
            let at = c.be_u32()? as usize;
            out.push(full_name(data, at)?);
        }
        return Ok(out);
    }
    Ok(vec![full_name(data, 0)?])
}

/// The title RegisterFonts registers the font file under: its full names joined by " & ",
/// then " (TrueType)".
pub fn font_title(data: &[u8]) -> Result<String> {
    let mut names = full_names(data)?;
    names.dedup();
    Ok(format!("{} (TrueType)", names.join(" & ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A font holding only a `name` table with `records` (platform, encoding, language,
    /// name id, text).
    fn font(records: &[(u16, u16, u16, u16, &str)]) -> Vec<u8> {
        let mut strings = Vec::new();
        let mut recs = Vec::new();
        for &(p, e, l, id, text) in records {
            let bytes: Vec<u8> = if p == 1 {
                text.bytes().collect()
            } else {
                text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()
            };
            for v in [p, e, l, id, bytes.len() as u16, strings.len() as u16] {
                recs.extend_from_slice(&v.to_be_bytes());
            }
            strings.extend_from_slice(&bytes);
        }
        let mut name = Vec::new();
        name.extend_from_slice(&0u16.to_be_bytes());
        name.extend_from_slice(&(records.len() as u16).to_be_bytes());
        name.extend_from_slice(&(6 + recs.len() as u16).to_be_bytes());
        name.extend_from_slice(&recs);
        name.extend_from_slice(&strings);
        let mut out = Vec::new();
        out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&[0; 6]);
        out.extend_from_slice(b"name");
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&28u32.to_be_bytes());
        out.extend_from_slice(&(name.len() as u32).to_be_bytes());
        out.extend_from_slice(&name);
        out
    }

    #[test]
    fn windows_us_english_wins() {
        let f = font(&[
            (1, 0, 0, 4, "Mac Name"),
            (3, 1, 0x0407, 4, "Deutscher Name"),
            (3, 1, 0x0809, 4, "British Name"),
            (3, 1, 0x0409, 4, "US Name"),
            (3, 1, 0x0409, 1, "Family"),
        ]);
        assert_eq!(font_title(&f).unwrap(), "US Name (TrueType)");
        let f = font(&[(3, 1, 0x0407, 4, "Deutsch"), (3, 1, 0x0809, 4, "British")]);
        assert_eq!(full_names(&f).unwrap(), ["British"]);
        let f = font(&[(1, 0, 0, 4, "Mac Only")]);
        assert_eq!(full_names(&f).unwrap(), ["Mac Only"]);
    }

    #[test]
    fn collections_join_their_names() {
        let a = font(&[(3, 1, 0x0409, 4, "Alpha")]);
        let b = font(&[(3, 1, 0x0409, 4, "Beta")]);
        let mut ttc = Vec::new();
        ttc.extend_from_slice(b"ttcf");
        ttc.extend_from_slice(&0x0001_0000u32.to_be_bytes());
        ttc.extend_from_slice(&2u32.to_be_bytes());
        let first = 20u32;
        let second = first + a.len() as u32;
        ttc.extend_from_slice(&first.to_be_bytes());
        ttc.extend_from_slice(&second.to_be_bytes());
        // Each font's table offsets count from the file's start.
        let mut fix = |mut f: Vec<u8>, base: u32| {
            let at = u32::from_be_bytes(f[20..24].try_into().unwrap()) + base;
            f[20..24].copy_from_slice(&at.to_be_bytes());
            ttc.extend_from_slice(&f);
        };
        fix(a, first);
        fix(b, second);
        assert_eq!(font_title(&ttc).unwrap(), "Alpha & Beta (TrueType)");
    }

    #[test]
    fn broken_fonts_are_errors() {
        let f = font(&[(3, 1, 0x0409, 4, "Name")]);
        for n in [0, 4, 12, 30, f.len() - 1] {
            assert!(full_names(&f[..n]).is_err(), "cut at {n}");
        }
        assert!(full_names(&font(&[(3, 1, 0x0409, 1, "Family only")])).is_err());
        assert!(full_names(b"not a font at all").is_err());
    }

    #[test]
    fn a_real_font_from_debian() {
        let path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
        let data = fs_err::read(path).expect("fonts-dejavu-core is installed by scripts/test.sh");
        assert_eq!(font_title(&data).unwrap(), "DejaVu Sans (TrueType)");
    }
}
