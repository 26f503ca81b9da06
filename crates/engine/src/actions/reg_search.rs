//! AppSearch's registry searches: the RegLocator table ("RegLocator table", "Searching for
//! Existing Applications, Files, Registry Entries or .ini File Entries") read against the
//! root's registry.
//!
//! The Type column's low bits say what the value is: `0` a folder (the property gets the
//! folder, when it exists), `1` a file (the property gets the file, when it exists and
//! matches the signature's file name and sizes), `2` a raw value (the property gets the
//! value as [`reglocator_raw`](winreg::msi::reglocator_raw) renders it, with its `#`
//! prefixes). `msidbLocatorType64bit` (16) reads the 64-bit view; without it a search reads
//! the 32-bit view on the `windows` layout, as a 32-bit search does on 64-bit Windows.

use std::path::{Path, PathBuf};

use winreg::msi::{RootTable, reglocator_raw, resolve_root};
use winreg::{Value, View};

use crate::layout::Layout;
use crate::session::Session;
use crate::tables::Value as Cell;
use crate::tables::appsearch::SignatureRow;

/// `msidbLocatorType64bit`.
const TYPE_64BIT: i32 = 16;

/// A RegLocator row.
struct Locator {
    root: i32,
    key: String,
    name: Option<String>,
    kind: i32,
}

fn locators(s: &Session<'_, '_>, signature: &str) -> Vec<Locator> {
    let Some(t) = s.package.table("RegLocator") else {
        return Vec::new();
    };
    let col = |n: &str| t.column_index(n);
    let (Some(si), Some(ri), Some(ki), Some(ni)) =
        (col("Signature_"), col("Root"), col("Key"), col("Name"))
    else {
        return Vec::new();
    };
    let ti = col("Type");
    let text = |c: Option<&Cell>| match c {
        Some(Cell::Str(s)) => Some(s.clone()),
        Some(Cell::Int(i)) => Some(i.to_string()),
        _ => None,
    };
    t.rows
        .iter()
        .filter(|r| text(r.get(si)).as_deref() == Some(signature))
        .filter_map(|r| {
            Some(Locator {
                root: match r.get(ri) {
                    Some(Cell::Int(i)) => *i,
                    _ => return None,
                },
                key: text(r.get(ki))?,
                name: text(r.get(ni)),
                kind: match ti.and_then(|i| r.get(i)) {
                    Some(Cell::Int(i)) => *i,
                    _ => 0,
                },
            })
        })
        .collect()
}

/// Whether the package has a RegLocator row for `signature`.
pub(crate) fn has_locator(s: &Session<'_, '_>, signature: &str) -> bool {
    !locators(s, signature).is_empty()
}

/// The value AppSearch sets for `signature` from the registry, if its RegLocator row finds
/// one.
pub(crate) fn find(
    s: &mut Session<'_, '_>,
    signature: &str,
    sig: Option<&SignatureRow>,
) -> Option<String> {
    for loc in locators(s, signature) {
        let Ok(resolved) = resolve_root(loc.root, s.ctx.per_machine(), RootTable::RegLocator)
        else {
            continue;
        };
        let key = resolved.key(&s.format(&loc.key));
        let name = loc.name.as_deref().map(|n| s.format(n));
        let view = if loc.kind & TYPE_64BIT != 0 || s.request.layout == Layout::Fhs {
            View::Native64
        } else {
            View::Wow32
        };
        let value = match s.ctx.read_registry(|reg| {
            reg.get(
                view,
                resolved.root,
                &key,
                name.as_deref().filter(|n| !n.is_empty()),
            )
        }) {
            Ok(Some(Some(v))) => v,
            Ok(_) => continue,
            Err(e) => {
                s.log
                    .engine(&format!("AppSearch: the registry cannot be read: {e}"));
                continue;
            }
        };
        let found = match loc.kind & 0x0f {
            2 => reglocator_raw(&value),
            kind => {
                let text = match &value {
                    Value::Sz(t) | Value::ExpandSz(t) => t.trim().trim_matches('"').to_string(),
                    _ => continue,
                };
                let path = host_path(&s.root, &text);
                if kind == 1 {
                    file_match(&path, sig).map(|p| p.display().to_string())
                } else {
                    folder(&path)
                }
            }
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// A path read from the registry, as a path under the root: a path already under it is
/// kept; a Windows path (`C:\…`) or another absolute path is taken below the root.
fn host_path(root: &Path, text: &str) -> PathBuf {
    let unix = text.replace('\\', "/");
    let p = PathBuf::from(&unix);
    if p.starts_with(root) {
        return p;
    }
    let rest = unix
        .split_once(":/")
        .map_or(unix.as_str(), |(_, rest)| rest)
        .trim_start_matches('/');
    root.join(rest)
}

/// A folder search: the folder (the file's folder, for a path naming a file) with a
/// trailing separator, when it exists.
fn folder(path: &Path) -> Option<String> {
    let meta = fs_err::symlink_metadata(path).ok()?;
    let dir = if meta.is_dir() {
        path.to_path_buf()
    } else {
        path.parent()?.to_path_buf()
    };
    let mut text = dir.display().to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    Some(text)
}

/// A file search: the file, when it exists and its name and size match the signature
/// (`short|long` names; either may match).
fn file_match(path: &Path, sig: Option<&SignatureRow>) -> Option<PathBuf> {
    let meta = fs_err::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    if let Some(sig) = sig {
        let name = path.file_name()?.to_string_lossy().to_string();
        if !sig
            .file_name
            .split('|')
            .any(|n| n.eq_ignore_ascii_case(&name))
        {
            return None;
        }
        let size = i64::try_from(meta.len()).unwrap_or(i64::MAX);
        if sig.min_size.is_some_and(|m| size < i64::from(m))
            || sig.max_size.is_some_and(|m| size > i64::from(m))
        {
            return None;
        }
    }
    Some(path.to_path_buf())
}
