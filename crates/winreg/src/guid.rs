//! Packed GUIDs: how Windows Installer names products, features' parents, components and
//! patches under `Installer\Products`, `Installer\Features`, `Installer\UserData\…\Components`
//! and `Installer\UpgradeCodes`.
//!
//! The packed form is the GUID's 32 hexadecimal digits without braces or hyphens, each of
//! the first three groups reversed digit by digit and each byte of the last two groups with
//! its two digits swapped: `{12345678-ABCD-EF01-2345-6789ABCDEF01}` packs to
//! `87654321DCBA10FE32547698BADCFE10`. Windows writes it in upper case.

use crate::error::{Error, Result};

/// The hexadecimal digits of each group of a registry-format GUID.
const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];

/// Packs a GUID in registry format (`{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`, any case).
pub fn pack_guid(guid: &str) -> Result<String> {
    let bad = || Error::InvalidGuid(guid.to_string());
    let inner = guid
        .strip_prefix('{')
        .and_then(|g| g.strip_suffix('}'))
        .ok_or_else(bad)?;
    let groups: Vec<&str> = inner.split('-').collect();
    if groups.len() != GROUPS.len()
        || groups
            .iter()
            .zip(GROUPS)
            .any(|(g, n)| g.len() != n || !g.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(bad());
    }
    let mut out = String::with_capacity(32);
    for g in &groups[..3] {
        out.extend(g.chars().rev());
    }
    for g in &groups[3..] {
        let b = g.as_bytes();
        for pair in b.chunks(2) {
            out.push(char::from(pair[1]));
            out.push(char::from(pair[0]));
        }
    }
    Ok(out.to_ascii_uppercase())
}

/// Unpacks a packed GUID (32 hexadecimal digits) into registry format, upper case.
pub fn unpack_guid(packed: &str) -> Result<String> {
    let bad = || Error::InvalidPackedGuid(packed.to_string());
    if packed.len() != 32 || !packed.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let p = packed.to_ascii_uppercase();
    let mut out = String::from("{");
    let mut at = 0;
    for (i, n) in GROUPS.into_iter().enumerate() {
        let g = &p[at..at + n];
        if i < 3 {
            out.extend(g.chars().rev());
        } else {
            for pair in g.as_bytes().chunks(2) {
                out.push(char::from(pair[1]));
                out.push(char::from(pair[0]));
            }
        }
        at += n;
        out.push(if i == 4 { '}' } else { '-' });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_as_installer_products_does() {
        assert_eq!(
            pack_guid("{12345678-ABCD-EF01-2345-6789ABCDEF01}").unwrap(),
            "87654321DCBA10FE32547698BADCFE10"
        );
        // Packing twice gives the GUID back.
        let g = "{000021A8-D002-0000-0000-0000000FF1CE}";
        assert_eq!(unpack_guid(&pack_guid(g).unwrap()).unwrap(), g);
        assert_eq!(
            unpack_guid("87654321dcba10fe32547698badcfe10").unwrap(),
            "{12345678-ABCD-EF01-2345-6789ABCDEF01}"
        );
        for bad in [
            "",
            "{}",
            "12345678-ABCD-EF01-2345-6789ABCDEF01",
            "{12345678-ABCD-EF01-2345-6789ABCDEF0G}",
        ] {
            assert!(pack_guid(bad).is_err(), "{bad}");
        }
        assert!(unpack_guid("87654321DCBA10FE32547698BADCFE1").is_err());
    }
}
