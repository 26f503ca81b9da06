//! Roots, views and key paths.
//!
//! Key names compare case-insensitively and keep the case they were created with, as
//! Windows' do. Windows compares names by upper-casing each UTF-16 unit with a one-to-one
//! table (no `ß` → `SS`), which [`fold`] follows.

use crate::error::{Error, Result};

/// The predefined keys an application opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Root {
    /// `HKEY_CLASSES_ROOT`: the merged view of `HKLM\Software\Classes` and
    /// `HKCU\Software\Classes` ("Merged View of HKEY_CLASSES_ROOT").
    ClassesRoot,
    /// `HKEY_CURRENT_USER`: the installing user's key under `HKEY_USERS`.
    CurrentUser,
    /// `HKEY_LOCAL_MACHINE`.
    LocalMachine,
    /// `HKEY_USERS`.
    Users,
}

impl Root {
    /// The long name (`HKEY_LOCAL_MACHINE`).
    pub fn long_name(self) -> &'static str {
        match self {
            Root::ClassesRoot => "HKEY_CLASSES_ROOT",
            Root::CurrentUser => "HKEY_CURRENT_USER",
            Root::LocalMachine => "HKEY_LOCAL_MACHINE",
            Root::Users => "HKEY_USERS",
        }
    }

    /// The short name (`HKLM`).
    pub fn short_name(self) -> &'static str {
        match self {
            Root::ClassesRoot => "HKCR",
            Root::CurrentUser => "HKCU",
            Root::LocalMachine => "HKLM",
            Root::Users => "HKU",
        }
    }

    /// The root named `name`, long or short, in any case.
    pub fn from_name(name: &str) -> Option<Root> {
        let upper = name.to_ascii_uppercase();
        [
            Root::ClassesRoot,
            Root::CurrentUser,
            Root::LocalMachine,
            Root::Users,
        ]
        .into_iter()
        .find(|r| upper == r.long_name() || upper == r.short_name())
    }

    /// Splits `HKLM\Software\X` (or `HKEY_LOCAL_MACHINE\...`) into its root and the rest, as
    /// `reg query` reads its KEY argument.
    pub fn split(path: &str) -> Result<(Root, &str)> {
        let (first, rest) = match path.find('\\') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => (path, ""),
        };
        Root::from_name(first)
            .map(|r| (r, rest))
            .ok_or_else(|| Error::UnknownRoot(path.to_string()))
    }
}

/// Which registry view a key is opened in on 64-bit Windows ("Registry Redirector").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum View {
    /// What a 64-bit process sees (`KEY_WOW64_64KEY`).
    #[default]
    Native64,
    /// What a 32-bit process sees (`KEY_WOW64_32KEY`): redirected keys land under
    /// `Wow6432Node`.
    Wow32,
}

/// The longest key name Windows accepts ("Registry Element Size Limits").
pub const MAX_KEY_NAME: usize = 255;

/// Splits a relative key path into its names: leading and trailing backslashes are ignored
/// (as `RegCreateKeyEx` ignores a trailing one); an empty name between two backslashes or a
/// name longer than 255 characters is refused.
pub fn split_key(path: &str) -> Result<Vec<String>> {
    let trimmed = path.trim_matches('\\');
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    trimmed
        .split('\\')
        .map(|name| {
            if name.is_empty() {
                Err(Error::InvalidKey {
                    path: path.to_string(),
                    reason: "empty key name",
                })
            } else if name.encode_utf16().count() > MAX_KEY_NAME {
                Err(Error::InvalidKey {
                    path: path.to_string(),
                    reason: "key name longer than 255 characters",
                })
            } else {
                Ok(name.to_string())
            }
        })
        .collect()
}

/// A name as Windows compares it: each character upper-cased when its upper case is one
/// character.
pub fn fold(name: &str) -> String {
    // Most names are ASCII, where this is the same mapping without the per-character
    // Unicode tables (a prefix's system.reg folds some 12,000 key paths when read).
    if name.is_ascii() {
        return name.to_ascii_uppercase();
    }
    name.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// Whether two names are the same key or value name.
pub fn same_name(a: &str, b: &str) -> bool {
    // ASCII names compare without folding copies of both (the WOW64 rules compare each
    // key written with some fifty table rows).
    if a == b {
        true
    } else if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        fold(a) == fold(b)
    }
}

/// Joins names with backslashes.
pub(crate) fn join(names: &[String]) -> String {
    names.join("\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_parse_long_and_short() {
        assert_eq!(
            Root::split("hklm\\Software\\X").unwrap(),
            (Root::LocalMachine, "Software\\X")
        );
        assert_eq!(
            Root::split("HKEY_CLASSES_ROOT\\.ppk").unwrap(),
            (Root::ClassesRoot, ".ppk")
        );
        assert_eq!(Root::split("HKU").unwrap(), (Root::Users, ""));
        assert!(matches!(Root::split("HKXX\\a"), Err(Error::UnknownRoot(_))));
    }

    #[test]
    fn key_paths_split_like_regcreatekeyex() {
        assert_eq!(split_key("Software\\X\\").unwrap(), ["Software", "X"]);
        assert_eq!(split_key("").unwrap(), Vec::<String>::new());
        assert!(split_key("a\\\\b").is_err());
        assert!(split_key(&"x".repeat(256)).is_err());
        assert!(split_key(&"x".repeat(255)).is_ok());
    }

    #[test]
    fn folding_is_one_to_one() {
        assert_eq!(fold("Software\\ä"), "SOFTWARE\\Ä");
        assert_eq!(fold("straße"), "STRAßE");
        assert!(same_name("CLSID", "ClsId"));
    }
}
