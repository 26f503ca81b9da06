//! WriteIniValues and RemoveIniValues: the IniFile and RemoveIniFile tables ("IniFile
//! table", "RemoveIniFile table", "WriteIniValues action", "RemoveIniValues action"); and
//! AppSearch's IniLocator searches ("IniLocator table").
//!
//! Each row names a file (FileName) in the folder its DirProperty resolves to, the
//! WindowsFolder when it is null. WriteIniValues applies the IniFile rows of components
//! being installed (add line, create line, add tag); RemoveIniValues applies the
//! RemoveIniFile rows of components being installed (remove line, remove tag) and takes
//! back the IniFile rows of components being removed (their line, or for add tag their
//! tag). Files are edited as `WritePrivateProfileString` edits them (see [`shell::ini`]);
//! a section left without entries goes, and a file left empty by a removal is deleted, so
//! that uninstalling a product leaves no INI file it created.
//!
//! Every edit goes through the install's stage: the file's new content is staged and
//! renamed into place when the script runs, the original kept for a rollback. Edits of one
//! install to the same file build on each other (the session keeps the content it staged).

use std::path::{Path, PathBuf};

use shell::ini::{IniAction, IniFile, field};

use super::table_rows::{Row, long_name};
use crate::error::{Error, Result};
use crate::sequence::ActionResult;
use crate::session::Session;

/// One IniFile or RemoveIniFile row to apply.
struct Edit {
    key: String,
    path: PathBuf,
    section: String,
    name: String,
    value: String,
    action: IniAction,
}

/// The component's change in this run: `Some(true)` installed, `Some(false)` removed.
fn component_change(s: &Session<'_, '_>, component: &str) -> Option<bool> {
    use msi_expr::InstallState;
    let c = s.ctx.plan()?.component(component)?;
    match c.action {
        InstallState::Local | InstallState::Source => Some(true),
        InstallState::Absent => Some(false),
        _ => None,
    }
}

/// The rows of `table` whose component's change is `change`, formatted.
fn edits(s: &Session<'_, '_>, table: &str, key_column: &str, change: bool) -> Vec<Edit> {
    let mut out = Vec::new();
    for row in Row::all(s.package.table(table)) {
        let (Some(key), Some(file), Some(component), Some(code)) = (
            row.text(key_column),
            row.text("FileName"),
            row.text("Component_"),
            row.int("Action"),
        ) else {
            continue;
        };
        if component_change(s, &component) != Some(change) {
            continue;
        }
        let Some(action) = IniAction::from_code(code) else {
            continue;
        };
        let folder = match row.text("DirProperty") {
            Some(p) => s.ctx.dir_path(&p),
            None => s.ctx.dir_path("WindowsFolder"),
        };
        let Some(folder) = folder else { continue };
        out.push(Edit {
            key,
            path: folder.join(long_name(&file)),
            section: s.format(&row.text("Section").unwrap_or_default()),
            name: s.format(&row.text("Key").unwrap_or_default()),
            value: s.format(&row.text("Value").unwrap_or_default()),
            action,
        });
    }
    out
}

/// The content of `path` as this install left it so far: what it staged for it, else the
/// file on disk (read without following a symlink in the root), else an empty file.
fn load(s: &Session<'_, '_>, path: &Path) -> Result<(IniFile, bool)> {
    if let Some(f) = s.staged_ini_file(path) {
        return Ok((f.clone(), true));
    }
    let rel = s.rel(path)?;
    match s.lock.lstat(&rel) {
        Some(st)
            if rustix::fs::FileType::from_raw_mode(st.st_mode)
                == rustix::fs::FileType::RegularFile =>
        {
            let bytes = fs_err::read(path).map_err(|e| Error::io(path, e))?;
            Ok((IniFile::parse(&bytes), true))
        }
        Some(_) => Err(Error::failure(format!(
            "{} is not a regular file; its INI entries cannot be written",
            path.display()
        ))),
        None => Ok((IniFile::new(), false)),
    }
}

/// Applies `edits` in order and stages each changed file once.
fn apply(s: &mut Session<'_, '_>, edits: Vec<Edit>, removing: bool) -> Result<()> {
    // Files in the order first touched, with their content and whether they exist.
    let mut files: Vec<(PathBuf, IniFile, bool, bool)> = Vec::new();
    for e in edits {
        let i = match files.iter().position(|(p, ..)| *p == e.path) {
            Some(i) => i,
            None => {
                let (f, exists) = load(s, &e.path)?;
                s.log.engine(&format!(
                    "Executing op: IniFilePath(File={},Folder={})",
                    e.path
                        .file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default(),
                    e.path
                        .parent()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                ));
                files.push((e.path.clone(), f, exists, false));
                files.len() - 1
            }
        };
        let file = &mut files[i].1;
        let changed = file.apply(e.action, &e.section, &e.name, &e.value);
        if removing {
            file.remove_section_if_empty(&e.section);
        }
        files[i].3 |= changed;
        s.log.engine(&format!(
            "Executing op: IniWriteRemoveValue(Section={},Key={},Value={},Mode={}) [{}{}]",
            e.section,
            e.name,
            e.value,
            e.action.code(),
            e.key,
            if changed { "" } else { ": nothing to change" }
        ));
    }
    for (path, file, exists, changed) in files {
        if !removing {
            s.ctx.note_shell_target(path.clone());
        }
        if !changed {
            continue;
        }
        let rel = s.rel(&path)?;
        if removing && file.is_empty() {
            if exists {
                s.stage()?.remove(rel)?;
            }
        } else {
            if let Some(parent) = path.parent() {
                s.ctx.note_folders(vec![parent.to_path_buf()]);
            }
            let bytes = file.to_bytes();
            let st = s.stage()?;
            let name = st.write_in(&bytes)?;
            st.place(name, rel)?;
        }
        s.keep_staged_ini_file(path, file);
    }
    Ok(())
}

/// WriteIniValues.
pub(crate) fn write(s: &mut Session<'_, '_>) -> ActionResult {
    let edits = edits(s, "IniFile", "IniFile", true)
        .into_iter()
        .filter(|e| {
            matches!(
                e.action,
                IniAction::AddLine | IniAction::CreateLine | IniAction::AddTag
            )
        })
        .collect();
    match apply(s, edits, false) {
        Ok(()) => ActionResult::Success,
        Err(e) => s.fail(e),
    }
}

/// RemoveIniValues.
pub(crate) fn remove(s: &mut Session<'_, '_>) -> ActionResult {
    let mut all: Vec<Edit> = edits(s, "RemoveIniFile", "RemoveIniFile", true)
        .into_iter()
        .filter(|e| matches!(e.action, IniAction::RemoveLine | IniAction::RemoveTag))
        .collect();
    // What WriteIniValues wrote for components now removed: the line, or the tag; but not
    // in a file a major upgrade writes (its lines are the new product's now).
    for mut e in edits(s, "IniFile", "IniFile", false) {
        if s.is_protected(&e.path) {
            continue;
        }
        e.action = match e.action {
            IniAction::AddTag => IniAction::RemoveTag,
            _ => IniAction::RemoveLine,
        };
        all.push(e);
    }
    match apply(s, all, true) {
        Ok(()) => ActionResult::Success,
        Err(e) => s.fail(e),
    }
}

/// AppSearch's IniLocator search for `signature`: the value of the row's entry in its file
/// of the WindowsFolder (its Field, when set), as a raw value (Type 2), a folder that
/// exists (Type 0, or a row without Signature) or a file that matches the Signature row
/// (`signature_file`: name, minimum and maximum size). `None` when nothing is found.
pub(crate) fn locate(
    s: &Session<'_, '_>,
    signature: &str,
    signature_file: Option<(&str, Option<i32>, Option<i32>)>,
) -> Option<String> {
    let rows = Row::all(s.package.table("IniLocator"));
    let row = rows
        .iter()
        .find(|r| r.text("Signature_").as_deref() == Some(signature))?;
    let file = long_name(&row.text("FileName")?).to_string();
    let section = row.text("Section")?;
    let key = row.text("Key")?;
    let n = row.int("Field").unwrap_or(0).max(0) as u32;
    let kind = row.int("Type").unwrap_or(1) & 0x0F;
    let folder = s.ctx.dir_path("WindowsFolder")?;
    let path = find_name(s, &folder, &file)?;
    let bytes = fs_err::read(&path).ok()?;
    let value = IniFile::parse(&bytes).get(&section, &key)?;
    let value = field(&value, n)?;
    if value.is_empty() {
        return None;
    }
    if kind == 2 {
        return Some(value);
    }
    let found = host_path(s, &value)?;
    let rel = s.rel(&found).ok()?;
    let st = s.lock.lstat(&rel)?;
    let ft = rustix::fs::FileType::from_raw_mode(st.st_mode);
    match signature_file {
        Some((name, min, max)) => {
            // A file: the value names it, or the folder holding it.
            let file = if ft == rustix::fs::FileType::Directory {
                find_name(s, &found, long_name(name))?
            } else if found
                .file_name()
                .is_some_and(|f| f.to_string_lossy().eq_ignore_ascii_case(long_name(name)))
            {
                found
            } else {
                return None;
            };
            let size = i64::try_from(fs_err::metadata(&file).ok()?.len()).ok()?;
            (min.is_none_or(|m| size >= i64::from(m)) && max.is_none_or(|m| size <= i64::from(m)))
                .then(|| file.display().to_string())
        }
        None => {
            (ft == rustix::fs::FileType::Directory).then(|| crate::layout::folder_value(&found))
        }
    }
}

/// The entry of `folder` named `name` without regard to case (Windows' file names).
fn find_name(s: &Session<'_, '_>, folder: &Path, name: &str) -> Option<PathBuf> {
    s.rel(folder).ok()?;
    let exact = folder.join(name);
    if exact.exists() {
        return Some(exact);
    }
    fs_err::read_dir(folder)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name))
        .map(|e| e.path())
}

/// A path from an INI value under the root: a host path already under it, or a Windows
/// path (`C:\...`) placed under it as the layouts place the system drive.
fn host_path(s: &Session<'_, '_>, text: &str) -> Option<PathBuf> {
    let p = Path::new(text);
    if p.starts_with(&s.root) {
        return Some(p.to_path_buf());
    }
    let t = text.replace('\\', "/");
    let (drive, rest) = t.split_once(":/")?;
    if drive.len() != 1 {
        return None;
    }
    Some(s.root.join(rest.trim_start_matches('/')))
}
