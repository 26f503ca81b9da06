//! Directory table resolution ("Using the Directory Table") into paths under the target root,
//! and the containment check every write goes through.
//!
//! Every target path the engine computes lies under the root:
//!
//! * a property value used as a folder (`TARGETDIR`, `INSTALLDIR=/elsewhere`,
//!   `C:\Program Files\App`, an AppSearch result) is *placed* under the root
//!   by [`place_under_root`]: a path already under the root stays, any other
//!   absolute path (Windows drive paths included, `\` read as a separator)
//!   is re-rooted, and `..` that would climb above the root is refused;
//! * a `DefaultDir` name holding a separator or `..` is refused;
//! * [`confine`] checks a path just before it is written: lexically under
//!   the root, and no existing component below the root is a symbolic link
//!   (found with `lstat`; the engine refuses rather than follows, so a link
//!   planted in the root cannot redirect a write elsewhere).

use std::collections::{BTreeMap, HashSet};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::properties::Properties;
use crate::tables::directory::DirectoryRow;

/// One resolved Directory row.
///
/// Invariant: `target` is absolute, normalised (no `.`/`..`) and under the
/// root it was resolved for; `source` is absolute and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDirectory {
    /// The Directory key.
    pub key: String,
    /// The target folder.
    pub target: PathBuf,
    /// The source folder (where uncompressed files of its components are).
    pub source: PathBuf,
}

/// The resolved Directory table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directories {
    map: BTreeMap<String, ResolvedDirectory>,
}

impl Directories {
    /// The resolved row for `key`.
    pub fn get(&self, key: &str) -> Option<&ResolvedDirectory> {
        self.map.get(key)
    }

    /// The target folder of `key`.
    pub fn target(&self, key: &str) -> Option<&Path> {
        self.map.get(key).map(|d| d.target.as_path())
    }

    /// The source folder of `key`.
    pub fn source(&self, key: &str) -> Option<&Path> {
        self.map.get(key).map(|d| d.source.as_path())
    }

    /// All resolved rows, by key.
    pub fn iter(&self) -> impl Iterator<Item = &ResolvedDirectory> {
        self.map.values()
    }

    /// Sets every Directory key as a property holding its target path with
    /// a trailing separator, as CostFinalize does (in the properties' path style).
    pub fn apply(&self, props: &mut Properties) {
        let style = props.path_style().clone();
        for dir in self.map.values() {
            props.set(&dir.key, &style.folder_text(&dir.target));
        }
    }
}

/// How target and source names are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NameChoice {
    /// Use short target names (`SHORTFILENAMES` set).
    pub short_target: bool,
    /// Use short source names (Word Count bit 0).
    pub short_source: bool,
}

/// Resolves the Directory table against `props` ("Using the Directory Table") for `root`.
///
/// A root row takes the property of its own key (`TARGETDIR`) if set, else
/// `ROOTDRIVE`, else the root itself; a non-root row whose key is set as a
/// property takes that path; any other row is its parent's path plus its
/// target name (`.` = the parent's). Sources start at `SourceDir`. Every
/// property path is placed under `root`. Rows with an unknown parent, a
/// parent cycle, or a name that is not a plain folder name are refused.
pub fn resolve(
    rows: &[DirectoryRow],
    props: &Properties,
    root: &Path,
    names: NameChoice,
) -> Result<Directories> {
    resolve_with_source(rows, props, root, names, Path::new("/"))
}

/// [`resolve`], with the source root taken from `SourceDir` when it is set and else from
/// `source` (the package's folder: costing runs before ResolveSource sets `SourceDir`).
pub(crate) fn resolve_with_source(
    rows: &[DirectoryRow],
    props: &Properties,
    root: &Path,
    names: NameChoice,
    source: &Path,
) -> Result<Directories> {
    let by_key: BTreeMap<&str, &DirectoryRow> =
        rows.iter().map(|r| (r.directory.as_str(), r)).collect();
    let source_root = props
        .get_str("SourceDir")
        .map(|s| normalise(Path::new(&s.replace('\\', "/"))))
        .unwrap_or_else(|| normalise(source));
    let mut out = Directories::default();
    for row in rows {
        resolve_one(row, &by_key, props, root, names, &source_root, &mut out)?;
    }
    Ok(out)
}

fn resolve_one(
    row: &DirectoryRow,
    by_key: &BTreeMap<&str, &DirectoryRow>,
    props: &Properties,
    root: &Path,
    names: NameChoice,
    source_root: &Path,
    out: &mut Directories,
) -> Result<()> {
    // Walk up to the first resolved ancestor (or a root), then resolve
    // down; iterative so a deep or cyclic table cannot overflow the stack.
    let mut chain: Vec<&DirectoryRow> = Vec::new();
    let mut seen = HashSet::new();
    let mut cur = row;
    loop {
        if out.map.contains_key(&cur.directory) {
            break;
        }
        if !seen.insert(cur.directory.as_str()) {
            return Err(Error::bad_row(
                "Directory",
                &row.directory,
                "parent chain has a cycle",
            ));
        }
        chain.push(cur);
        match &cur.parent {
            None => break,
            Some(parent) => match by_key.get(parent.as_str()) {
                Some(p) => cur = p,
                None => {
                    return Err(Error::bad_row(
                        "Directory",
                        &cur.directory,
                        format!("unknown parent {parent:?}"),
                    ));
                }
            },
        }
    }
    for dir in chain.into_iter().rev() {
        let resolved = match &dir.parent {
            None => {
                let target = match props
                    .get_str(&dir.directory)
                    .or_else(|| props.get_str("ROOTDRIVE"))
                {
                    Some(value) => place_under_root(root, value)?,
                    None => root.to_path_buf(),
                };
                ResolvedDirectory {
                    key: dir.directory.clone(),
                    target,
                    source: source_root.to_path_buf(),
                }
            }
            Some(parent) => {
                let parent = out.map.get(parent).cloned().ok_or_else(|| {
                    Error::bad_row("Directory", &dir.directory, "parent not resolved")
                })?;
                let target_name =
                    checked_name(dir, dir.default_dir.target.pick(names.short_target))?;
                let source_name =
                    checked_name(dir, dir.default_dir.source.pick(names.short_source))?;
                let target = match props.get_str(&dir.directory) {
                    Some(value) => place_under_root(root, value)?,
                    None => join_name(&parent.target, target_name),
                };
                ResolvedDirectory {
                    key: dir.directory.clone(),
                    target,
                    source: join_name(&parent.source, source_name),
                }
            }
        };
        out.map.insert(dir.directory.clone(), resolved);
    }
    Ok(())
}

/// A DefaultDir name checked to be one plain component (or `.`).
fn checked_name<'a>(row: &DirectoryRow, name: &'a str) -> Result<&'a str> {
    if name.is_empty() || name == "." {
        return Ok(".");
    }
    if name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(Error::bad_row(
            "Directory",
            &row.directory,
            format!("DefaultDir name {name:?} is not a plain folder name"),
        ));
    }
    Ok(name)
}

fn join_name(parent: &Path, name: &str) -> PathBuf {
    if name == "." {
        parent.to_path_buf()
    } else {
        parent.join(name)
    }
}

/// Places a folder or file path from a property (or any package data)
/// under `root`.
///
/// `\` is read as a separator; a Windows drive prefix (`C:`) is dropped; a
/// path already under `root` is kept; any other path, absolute or relative,
/// is taken relative to `root`. `.` and `..` are resolved lexically, and a
/// `..` that would climb above the root is refused with
/// [`Error::OutsideRoot`].
pub fn place_under_root(root: &Path, value: &str) -> Result<PathBuf> {
    let mut text = value.replace('\\', "/");
    let bytes = text.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        text.replace_range(..2, "");
    }
    let path = Path::new(&text);
    let root = normalise(root);
    let relative: PathBuf = if path.is_absolute() {
        let norm = normalise(path);
        match norm.strip_prefix(&root) {
            Ok(rest) if root != Path::new("/") => rest.to_path_buf(),
            // Elsewhere: re-rooted. `/..` is `/`, so the normalised path
            // cannot climb.
            _ => norm.strip_prefix("/").unwrap_or(&norm).to_path_buf(),
        }
    } else {
        path.to_path_buf()
    };
    let mut out = root.clone();
    for comp in relative.components() {
        match comp {
            Component::Normal(c) => out.push(c),
            Component::ParentDir => {
                if out == root {
                    return Err(Error::OutsideRoot {
                        root,
                        path: PathBuf::from(value),
                    });
                }
                out.pop();
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Ok(out)
}

/// Lexically normalises an absolute or relative path: drops `.`, resolves
/// `..` (never above the start), keeps a leading `/`.
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::RootDir => out.push("/"),
            Component::Normal(c) => out.push(c),
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// Checks that `path` may be written: it is lexically under `root` (no `..`
/// escaping it), and no existing component of it below the root is a
/// symbolic link (checked with `lstat`). Returns the normalised path.
///
/// Components that do not exist yet end the check (they will be created
/// by the engine, as real folders). The root itself is the caller's choice
/// and is not checked.
// std's error on purpose: Error::Io names the path already (fs_err's would name it twice).
#[allow(clippy::disallowed_methods)]
pub fn confine(root: &Path, path: &Path) -> Result<PathBuf> {
    let root = normalise(&std::path::absolute(root).map_err(|e| Error::io(root, e))?);
    let outside = || Error::OutsideRoot {
        root: root.clone(),
        path: path.to_path_buf(),
    };
    if !path.is_absolute() {
        return Err(outside());
    }
    // Lexical check first: `..` must not climb out.
    let mut lexical = PathBuf::from("/");
    for comp in path.components() {
        match comp {
            Component::Normal(c) => lexical.push(c),
            Component::ParentDir => {
                lexical.pop();
            }
            _ => {}
        }
    }
    let rest = lexical
        .strip_prefix(&root)
        .map_err(|_| outside())?
        .to_path_buf();
    // Then the file system: no symlink below the root.
    let mut cur = root.clone();
    for comp in rest.components() {
        cur.push(comp);
        match std::fs::symlink_metadata(&cur) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::OutsideRoot {
                    root: root.clone(),
                    path: cur,
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(Error::io(&cur, e)),
        }
    }
    Ok(lexical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placing_property_paths_under_the_root() {
        let r = Path::new("/r");
        assert_eq!(
            place_under_root(r, "/elsewhere").unwrap(),
            Path::new("/r/elsewhere")
        );
        assert_eq!(
            place_under_root(r, "/r/opt/App/").unwrap(),
            Path::new("/r/opt/App")
        );
        assert_eq!(
            place_under_root(r, "C:\\Program Files\\App\\").unwrap(),
            Path::new("/r/Program Files/App")
        );
        assert_eq!(
            place_under_root(r, "rel/dir").unwrap(),
            Path::new("/r/rel/dir")
        );
        assert_eq!(place_under_root(r, "/r/a/../b").unwrap(), Path::new("/r/b"));
        assert!(matches!(
            place_under_root(r, "../../etc"),
            Err(Error::OutsideRoot { .. })
        ));
        // "/r/../etc" is "/etc", outside the root: re-rooted, never escaping.
        assert_eq!(
            place_under_root(r, "/r/../etc").unwrap(),
            Path::new("/r/etc")
        );
        assert_eq!(
            place_under_root(Path::new("/"), "/opt/x").unwrap(),
            Path::new("/opt/x")
        );
    }
}
