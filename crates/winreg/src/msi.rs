//! What Windows Installer's tables say about the registry: the Registry table's Value
//! grammar and special Name values, the Root column, what uninstall and the RemoveRegistry
//! table remove, and how AppSearch renders a value it read (RegLocator type 2).
//!
//! Everything here works on *formatted* text: the caller expands the column with
//! `MsiFormatRecord`'s rules first, which turns each `[~]` into a NUL character (as
//! `msi_expr::format_string` does). The prefixes are then read from the result, which is
//! why ICE70 accepts `#[Property]` (the property may hold `#12` or `##text`).

use crate::error::{Error, Result};
use crate::path::Root;
use crate::path::View;
use crate::registry::Registry;
use crate::store::Store;
use crate::value::Value;

/// How a multi-string row combines with the value already in the registry ("Registry
/// table", Value column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiSzOp {
    /// `[~]a[~]b`: the strings go after the existing ones; an existing copy of one of them
    /// is removed first.
    Append,
    /// `a[~]b[~]`: the strings go before the existing ones; an existing copy of one of them
    /// is removed first.
    Prepend,
    /// `a[~]b` or `[~]a[~]b[~]`: the strings replace the value.
    Replace,
}

/// The data a Registry row's Value column describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryData {
    /// A value written as it is.
    Value(Value),
    /// A `REG_MULTI_SZ` combined with the existing value by `op`.
    MultiSz {
        /// How the strings combine with the existing value.
        op: MultiSzOp,
        /// The strings, in order (never empty ones).
        strings: Vec<String>,
    },
}

/// A Registry table row's meaning, from its Name and Value columns (both formatted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryRow {
    /// Name `+` (create the key on install) or `*` (also delete it, with everything in it,
    /// on uninstall), Value null.
    CreateKey {
        /// `*`: the key is deleted with all its values and subkeys on uninstall.
        delete_on_uninstall: bool,
    },
    /// Name `-`, Value null: nothing on install; the key is deleted with all its values and
    /// subkeys on uninstall.
    DeleteKeyOnUninstall,
    /// A value to write (`name` `None` for the default value).
    Value {
        /// The value's name, `None` for the key's default value.
        name: Option<String>,
        /// What to write.
        data: RegistryData,
    },
}

impl RegistryRow {
    /// Reads a row's Name and Value columns (formatted; `None` for null). The special
    /// names mean something only when Value is null; otherwise `+`, `-` and `*` are
    /// ordinary value names. An empty Name is the default value, as a null one is.
    pub fn parse(name: Option<&str>, value: Option<&str>) -> RegistryRow {
        match (name, value) {
            (Some("+"), None) => RegistryRow::CreateKey {
                delete_on_uninstall: false,
            },
            (Some("*"), None) => RegistryRow::CreateKey {
                delete_on_uninstall: true,
            },
            (Some("-"), None) => RegistryRow::DeleteKeyOnUninstall,
            (name, value) => RegistryRow::Value {
                name: name.filter(|n| !n.is_empty()).map(str::to_string),
                data: parse_value(value),
            },
        }
    }
}

/// Reads a Registry row's formatted Value column (`None` for null) as "Registry table"
/// defines it:
///
/// * `#x` (or `#X`, which ICE70 accepts) then hexadecimal digits: `REG_BINARY`; an odd
///   count of digits is padded with a leading zero digit; a pair that is not hexadecimal
///   reads as far as it is (Windows Installer reads each pair as C's `strtol` does).
/// * `#%`: `REG_EXPAND_SZ` of the rest.
/// * `##`: `REG_SZ` of the text after the first `#`.
/// * `#` then an integer (`#12`, `#-1`, `#+5`): `REG_DWORD`; negative numbers wrap to
///   32 bits (`#-1` is `0xffffffff`). Reading stops at the first character that is not a
///   digit, so `#12xz34` (which ICE70 flags) is 12 and `#abc` is 0.
/// * Text holding a NUL (each `[~]` of the column): `REG_MULTI_SZ`, combined with the
///   existing value by the position of the NULs (see [`MultiSzOp`]); a single NUL alone
///   replaces the value with an empty list. Empty strings between two NULs are dropped: a
///   `REG_MULTI_SZ` ends at its first empty string ("Registry Value Types"). After `##` or
///   `#%` the text is still a multi-string if it holds a NUL, as on Windows.
/// * Anything else, and a null Value: `REG_SZ` (null is the empty string).
pub fn parse_value(formatted: Option<&str>) -> RegistryData {
    let Some(text) = formatted else {
        return RegistryData::Value(Value::Sz(String::new()));
    };
    let mut chars = text.chars();
    let first = chars.next();
    let second = chars.next();
    if first == Some('#') && second != Some('#') && second != Some('%') {
        let rest = &text[1..];
        if let Some(hex) = rest.strip_prefix('x').or_else(|| rest.strip_prefix('X')) {
            return RegistryData::Value(Value::Binary(parse_hex(hex)));
        }
        return RegistryData::Value(Value::Dword(parse_dword(rest)));
    }
    let (body, expand) = match (first, second) {
        (Some('#'), Some('%')) => (&text[2..], true),
        (Some('#'), _) => (&text[1..], false),
        _ => (text, false),
    };
    if body.contains('\0') {
        return multi_sz(body);
    }
    RegistryData::Value(if expand {
        Value::ExpandSz(body.to_string())
    } else {
        Value::Sz(body.to_string())
    })
}

fn parse_dword(text: &str) -> u32 {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut n: u32 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.wrapping_mul(10).wrapping_add(u32::from(b - b'0'));
    }
    if negative { n.wrapping_neg() } else { n }
}

fn parse_hex(text: &str) -> Vec<u8> {
    let digits: Vec<char> = text.chars().collect();
    let mut pairs: Vec<[Option<char>; 2]> = Vec::new();
    let mut rest = &digits[..];
    if !digits.len().is_multiple_of(2) {
        pairs.push([Some('0'), digits.first().copied()]);
        rest = &digits[1..];
    }
    for pair in rest.chunks(2) {
        pairs.push([pair.first().copied(), pair.get(1).copied()]);
    }
    pairs
        .into_iter()
        .map(|[hi, lo]| {
            // strtol on "0x" + pair: the hexadecimal digits before the first other character.
            let mut v: u8 = 0;
            for c in [hi, lo] {
                match c.and_then(|c| c.to_digit(16)) {
                    Some(d) => v = v.wrapping_mul(16).wrapping_add(d as u8),
                    None => break,
                }
            }
            v
        })
        .collect()
}

fn multi_sz(body: &str) -> RegistryData {
    let chars: Vec<char> = body.chars().collect();
    let len = chars.len();
    let first_nul = chars.first() == Some(&'\0');
    let last_nul = chars.last() == Some(&'\0');
    let (op, inner): (MultiSzOp, &[char]) = if len <= 1 {
        (MultiSzOp::Replace, &[])
    } else if first_nul && !last_nul {
        (MultiSzOp::Append, &chars[1..])
    } else if !first_nul && last_nul {
        (MultiSzOp::Prepend, &chars[..len - 1])
    } else if len > 2 && first_nul && last_nul {
        (MultiSzOp::Replace, &chars[1..len - 1])
    } else {
        (MultiSzOp::Replace, &chars[..])
    };
    let strings = inner
        .split(|c| *c == '\0')
        .filter(|s| !s.is_empty())
        .map(|s| s.iter().collect())
        .collect();
    RegistryData::MultiSz { op, strings }
}

impl RegistryData {
    /// The value WriteRegistryValues writes when `existing` is in the registry: a
    /// multi-string combined with an existing `REG_MULTI_SZ` (another type is replaced),
    /// anything else as it is.
    pub fn value_to_write(&self, existing: Option<&Value>) -> Value {
        match self {
            RegistryData::Value(v) => v.clone(),
            RegistryData::MultiSz { op, strings } => {
                let old: Vec<String> = match existing {
                    Some(Value::MultiSz(old)) => old.clone(),
                    _ => Vec::new(),
                };
                let kept = || old.iter().filter(|s| !strings.contains(s)).cloned();
                Value::MultiSz(match op {
                    MultiSzOp::Append => kept().chain(strings.iter().cloned()).collect(),
                    MultiSzOp::Prepend => strings.iter().cloned().chain(kept()).collect(),
                    MultiSzOp::Replace => strings.clone(),
                })
            }
        }
    }

    /// What RemoveRegistryValues leaves of `existing` when the row's component is
    /// uninstalled: `None` deletes the value. Strings a row appended or prepended are taken
    /// out of the multi-string and the rest stays ("RemoveRegistryValues Action": only the
    /// attached strings are removed); the value goes when nothing is left. Any other row's
    /// value is deleted.
    pub fn value_after_removal(&self, existing: Option<&Value>) -> Option<Value> {
        match (self, existing) {
            (
                RegistryData::MultiSz {
                    op: MultiSzOp::Append | MultiSzOp::Prepend,
                    strings,
                },
                Some(Value::MultiSz(old)),
            ) => {
                let rest: Vec<String> = old
                    .iter()
                    .filter(|s| !strings.contains(s))
                    .cloned()
                    .collect();
                (!rest.is_empty()).then_some(Value::MultiSz(rest))
            }
            _ => None,
        }
    }
}

/// Which table a Root column comes from: the `-1` and `0` roots mean different keys in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootTable {
    /// The Registry table (WriteRegistryValues, RemoveRegistryValues on uninstall).
    Registry,
    /// The RemoveRegistry table.
    RemoveRegistry,
    /// RegLocator (AppSearch), which reads.
    RegLocator,
}

/// A Root column resolved for an installation: the predefined key and the path to put in
/// front of the row's Key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedRoot {
    /// The predefined key.
    pub root: Root,
    /// `Software\Classes` when a `0` root is written through a user's or the machine's
    /// Classes key, else empty.
    pub prefix: &'static str,
}

impl ResolvedRoot {
    /// The full key path below [`root`](ResolvedRoot::root) for a row's Key.
    pub fn key(&self, key: &str) -> String {
        let key = key.trim_start_matches('\\');
        match (self.prefix, key) {
            ("", k) => k.to_string(),
            (p, "") => p.to_string(),
            (p, k) => format!("{p}\\{k}"),
        }
    }
}

/// Resolves a Root column for an installation that is per-machine (`ALLUSERS=1`) or not:
///
/// * `-1`: `HKEY_LOCAL_MACHINE` per-machine, `HKEY_CURRENT_USER` per-user ("Registry
///   table", "RemoveRegistry table").
/// * `0` in the Registry table: `HKLM\Software\Classes` per-machine,
///   `HKCU\Software\Classes` per-user. In the RemoveRegistry table: `HKCU\Software\Classes`
///   in both contexts, as that page says. In RegLocator: `HKEY_CLASSES_ROOT`, the merged
///   view.
/// * `1`, `2`, `3`: `HKEY_CURRENT_USER`, `HKEY_LOCAL_MACHINE`, `HKEY_USERS`.
///
/// RegLocator has no `-1` root; it is refused there.
pub fn resolve_root(column: i32, per_machine: bool, table: RootTable) -> Result<ResolvedRoot> {
    const CLASSES: &str = "Software\\Classes";
    let plain = |root| ResolvedRoot { root, prefix: "" };
    Ok(match (column, table) {
        (-1, RootTable::Registry | RootTable::RemoveRegistry) => plain(if per_machine {
            Root::LocalMachine
        } else {
            Root::CurrentUser
        }),
        (0, RootTable::Registry) => ResolvedRoot {
            root: if per_machine {
                Root::LocalMachine
            } else {
                Root::CurrentUser
            },
            prefix: CLASSES,
        },
        (0, RootTable::RemoveRegistry) => ResolvedRoot {
            root: Root::CurrentUser,
            prefix: CLASSES,
        },
        (0, RootTable::RegLocator) => plain(Root::ClassesRoot),
        (1, _) => plain(Root::CurrentUser),
        (2, _) => plain(Root::LocalMachine),
        (3, _) => plain(Root::Users),
        (other, _) => return Err(Error::InvalidRootColumn(other)),
    })
}

/// WriteRegistryValues for one row whose component is being installed: `+` and `*` create
/// the key, `-` does nothing, a value is written (a multi-string merged with the existing
/// value). Returns the value written, if any.
pub fn write_row<S: Store>(
    registry: &mut Registry<S>,
    view: View,
    root: Root,
    key: &str,
    row: &RegistryRow,
) -> Result<Option<Value>> {
    match row {
        RegistryRow::CreateKey { .. } => {
            registry.create_key(view, root, key)?;
            Ok(None)
        }
        RegistryRow::DeleteKeyOnUninstall => Ok(None),
        RegistryRow::Value { name, data } => {
            let existing = registry.get(view, root, key, name.as_deref())?;
            let value = data.value_to_write(existing.as_ref());
            registry.set(view, root, key, name.as_deref(), &value)?;
            Ok(Some(value))
        }
    }
}

/// RemoveRegistryValues for one Registry row whose component is being uninstalled: `-` and
/// `*` delete the key with everything in it, `+` leaves it, a value is deleted (or loses
/// the strings its row attached); then the key, and each parent in turn, is deleted when
/// left empty, as Windows Installer does.
pub fn remove_row<S: Store>(
    registry: &mut Registry<S>,
    view: View,
    root: Root,
    key: &str,
    row: &RegistryRow,
) -> Result<()> {
    match row {
        RegistryRow::CreateKey {
            delete_on_uninstall: false,
        } => return Ok(()),
        RegistryRow::CreateKey {
            delete_on_uninstall: true,
        }
        | RegistryRow::DeleteKeyOnUninstall => {
            registry.delete_key(view, root, key, true)?;
        }
        RegistryRow::Value { name, data } => {
            let existing = registry.get(view, root, key, name.as_deref())?;
            if existing.is_some() {
                match data.value_after_removal(existing.as_ref()) {
                    Some(rest) => registry.set(view, root, key, name.as_deref(), &rest)?,
                    None => {
                        registry.delete_value(view, root, key, name.as_deref())?;
                    }
                }
            }
        }
    }
    registry.delete_empty_keys(view, root, key)?;
    Ok(())
}

/// A RemoveRegistry table row for a component being installed: Name `-` deletes the key
/// with its values and subkeys; any other name (null for the default value) deletes that
/// value.
pub fn remove_registry_row<S: Store>(
    registry: &mut Registry<S>,
    view: View,
    root: Root,
    key: &str,
    name: Option<&str>,
) -> Result<()> {
    if name == Some("-") {
        registry.delete_key(view, root, key, true)?;
    } else {
        registry.delete_value(view, root, key, name.filter(|n| !n.is_empty()))?;
    }
    Ok(())
}

/// The property value AppSearch sets from a registry value with RegLocator type
/// `msidbLocatorTypeRawValue` ("RegLocator table"): a `REG_SZ` as it is, with a leading
/// `#` doubled; a `REG_DWORD` as `#` and its signed decimal value; a `REG_EXPAND_SZ` as
/// `#%` and the unexpanded text; a `REG_BINARY` as `#x` and two upper-case hexadecimal
/// digits per byte; a `REG_MULTI_SZ` as its strings each preceded by a NUL and the last
/// followed by one (the page: "beginning with a null and ending with a null"; a NUL is what
/// `[~]` formats to). Other types, and empty data, set nothing (`None`).
pub fn reglocator_raw(value: &Value) -> Option<String> {
    match value {
        Value::Sz(s) if s.starts_with('#') => Some(format!("#{s}")),
        Value::Sz(s) => Some(s.clone()),
        Value::Dword(d) => Some(format!("#{}", *d as i32)),
        Value::ExpandSz(s) => Some(format!("#%{s}")),
        Value::Binary(b) if b.is_empty() => None,
        Value::Binary(b) => {
            let mut out = String::from("#x");
            for byte in b {
                out.push_str(&format!("{byte:02X}"));
            }
            Some(out)
        }
        Value::MultiSz(list) => {
            let mut out = String::from("\0");
            for s in list {
                out.push_str(s);
                out.push('\0');
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> RegistryData {
        parse_value(Some(&text.replace("[~]", "\0")))
    }

    fn multi(op: MultiSzOp, strings: &[&str]) -> RegistryData {
        RegistryData::MultiSz {
            op,
            strings: strings.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn prefixes() {
        use RegistryData::Value as V;
        assert_eq!(v("#123"), V(Value::Dword(123)));
        assert_eq!(v("#-1"), V(Value::Dword(u32::MAX)));
        assert_eq!(v("#+5"), V(Value::Dword(5)));
        assert_eq!(v("#12xz34"), V(Value::Dword(12)));
        assert_eq!(v("#abc"), V(Value::Dword(0)));
        assert_eq!(v("#"), V(Value::Dword(0)));
        assert_eq!(v("#4294967296"), V(Value::Dword(0)));
        assert_eq!(v("#x0A0b"), V(Value::Binary(vec![0x0a, 0x0b])));
        assert_eq!(v("#XfF"), V(Value::Binary(vec![0xff])));
        assert_eq!(v("#xABC"), V(Value::Binary(vec![0x0a, 0xbc])));
        assert_eq!(v("#x"), V(Value::Binary(vec![])));
        assert_eq!(v("#xz3"), V(Value::Binary(vec![0x00])));
        assert_eq!(v("#x1z3"), V(Value::Binary(vec![0x01, 0x00])));
        assert_eq!(v("#x3z"), V(Value::Binary(vec![0x03])));
        assert_eq!(v("#%PATH%;x"), V(Value::ExpandSz("PATH%;x".into())));
        assert_eq!(v("#%%PATH%"), V(Value::ExpandSz("%PATH%".into())));
        assert_eq!(v("##1"), V(Value::Sz("#1".into())));
        assert_eq!(v("###"), V(Value::Sz("##".into())));
        assert_eq!(v("plain"), V(Value::Sz("plain".into())));
        assert_eq!(v(""), V(Value::Sz(String::new())));
        assert_eq!(parse_value(None), V(Value::Sz(String::new())));
    }

    #[test]
    fn multi_strings() {
        use MultiSzOp::*;
        // "Registry table": to specify a list containing the three strings a, b and c,
        // use "a[~]b[~]c".
        assert_eq!(v("a[~]b[~]c"), multi(Replace, &["a", "b", "c"]));
        assert_eq!(v("[~]a[~]b"), multi(Append, &["a", "b"]));
        assert_eq!(v("a[~]b[~]"), multi(Prepend, &["a", "b"]));
        assert_eq!(v("[~]a[~]b[~]"), multi(Replace, &["a", "b"]));
        assert_eq!(v("[~]"), multi(Replace, &[]));
        assert_eq!(v("[~][~]"), multi(Replace, &[]));
        assert_eq!(v("a[~][~]b"), multi(Replace, &["a", "b"]));
        assert_eq!(v("[~]a"), multi(Append, &["a"]));
        assert_eq!(v("#%a[~]b"), multi(Replace, &["a", "b"]));
        assert_eq!(v("##a[~]b"), multi(Replace, &["#a", "b"]));
    }

    #[test]
    fn merging_with_the_existing_value() {
        let old = Value::MultiSz(vec!["x".into(), "a".into(), "y".into()]);
        let s = |l: &[&str]| Value::MultiSz(l.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            v("[~]a[~]b").value_to_write(Some(&old)),
            s(&["x", "y", "a", "b"])
        );
        assert_eq!(
            v("a[~]b[~]").value_to_write(Some(&old)),
            s(&["a", "b", "x", "y"])
        );
        assert_eq!(v("a[~]b").value_to_write(Some(&old)), s(&["a", "b"]));
        assert_eq!(
            v("[~]a").value_to_write(Some(&Value::Sz("x".into()))),
            s(&["a"])
        );
        assert_eq!(v("[~]a").value_to_write(None), s(&["a"]));
        // Uninstall takes the attached strings out again.
        let merged = v("[~]a[~]b").value_to_write(Some(&old));
        assert_eq!(
            v("[~]a[~]b").value_after_removal(Some(&merged)),
            Some(s(&["x", "y"]))
        );
        assert_eq!(v("[~]a[~]b").value_after_removal(Some(&s(&["a"]))), None);
        assert_eq!(v("a[~]b").value_after_removal(Some(&merged)), None);
    }

    #[test]
    fn special_names_need_a_null_value() {
        assert_eq!(
            RegistryRow::parse(Some("*"), None),
            RegistryRow::CreateKey {
                delete_on_uninstall: true
            }
        );
        assert_eq!(
            RegistryRow::parse(Some("+"), None),
            RegistryRow::CreateKey {
                delete_on_uninstall: false
            }
        );
        assert_eq!(
            RegistryRow::parse(Some("-"), None),
            RegistryRow::DeleteKeyOnUninstall
        );
        assert_eq!(
            RegistryRow::parse(Some("-"), Some("#1")),
            RegistryRow::Value {
                name: Some("-".into()),
                data: RegistryData::Value(Value::Dword(1))
            }
        );
        assert_eq!(
            RegistryRow::parse(None, Some("x")),
            RegistryRow::Value {
                name: None,
                data: RegistryData::Value(Value::Sz("x".into()))
            }
        );
    }

    #[test]
    fn roots() {
        let r = |c, m, t| resolve_root(c, m, t).unwrap();
        assert_eq!(r(-1, true, RootTable::Registry).root, Root::LocalMachine);
        assert_eq!(r(-1, false, RootTable::Registry).root, Root::CurrentUser);
        let classes = r(0, true, RootTable::Registry);
        assert_eq!(
            (classes.root, classes.key(".ppk")),
            (Root::LocalMachine, "Software\\Classes\\.ppk".to_string())
        );
        assert_eq!(r(0, false, RootTable::Registry).root, Root::CurrentUser);
        assert_eq!(
            r(0, true, RootTable::RemoveRegistry).root,
            Root::CurrentUser
        );
        assert_eq!(r(0, true, RootTable::RegLocator).root, Root::ClassesRoot);
        assert!(resolve_root(-1, true, RootTable::RegLocator).is_err());
        assert!(resolve_root(4, true, RootTable::Registry).is_err());
    }

    #[test]
    fn reglocator_rendering() {
        assert_eq!(reglocator_raw(&Value::Dword(123)).unwrap(), "#123");
        assert_eq!(reglocator_raw(&Value::Dword(u32::MAX)).unwrap(), "#-1");
        assert_eq!(
            reglocator_raw(&Value::Binary(vec![0xaa, 0x0b])).unwrap(),
            "#xAA0B"
        );
        assert_eq!(
            reglocator_raw(&Value::ExpandSz("%SystemRoot%".into())).unwrap(),
            "#%%SystemRoot%"
        );
        assert_eq!(reglocator_raw(&Value::Sz("#5".into())).unwrap(), "##5");
        assert_eq!(
            reglocator_raw(&Value::MultiSz(vec!["a".into(), "b".into()])).unwrap(),
            "\0a\0b\0"
        );
        assert_eq!(reglocator_raw(&Value::Qword(1)), None);
        // What AppSearch returns reads back, through the Registry table grammar, as the
        // same value.
        for value in [
            Value::Dword(7),
            Value::Dword(u32::MAX),
            Value::Binary(vec![1, 2, 0xfe]),
            Value::ExpandSz("%TEMP%\\x".into()),
            Value::Sz("#not a number".into()),
            Value::Sz("text".into()),
            Value::MultiSz(vec!["a".into(), "b".into()]),
        ] {
            let raw = reglocator_raw(&value).unwrap();
            assert_eq!(
                parse_value(Some(&raw)).value_to_write(None),
                value,
                "{raw:?}"
            );
        }
    }
}
