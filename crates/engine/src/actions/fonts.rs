//! RegisterFonts and UnregisterFonts: the Font table ("Font table", "RegisterFonts
//! action", "UnregisterFonts action").
//!
//! Each font of a component being installed is entered under
//! `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Fonts`: the value's
//! name is the row's FontTitle or, when it is null, the title read from the font file's
//! `name` table ([`shell::font::font_title`]); its data is the font file's name. The entry
//! goes when the component is removed. The changes are applied at commit with the
//! product's record ([`RegChange`]).

use std::path::Path;

use winreg::{Root, Value, View};

use crate::sequence::ActionResult;
use crate::session::Session;
use crate::tables::Value as Cell;
use crate::winstate::RegChange;

use super::registry_values::{components, installing, removing};

/// The Fonts key under `HKEY_LOCAL_MACHINE`.
pub(crate) const FONTS_KEY: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\Fonts";

/// A Font row: the File key and the FontTitle.
fn rows(s: &Session<'_, '_>) -> Vec<(String, Option<String>)> {
    let Some(t) = s.package.table("Font") else {
        return Vec::new();
    };
    let Some(fi) = t.column_index("File_") else {
        return Vec::new();
    };
    let ti = t.column_index("FontTitle");
    t.rows
        .iter()
        .filter_map(|cells| {
            let Some(Cell::Str(file)) = cells.get(fi) else {
                return None;
            };
            let title = match ti.and_then(|i| cells.get(i)) {
                Some(Cell::Str(t)) if !t.is_empty() => Some(t.clone()),
                _ => None,
            };
            Some((file.clone(), title))
        })
        .collect()
}

/// The font file's bytes: the copy this installation staged, else the file in place (a
/// regular file only: a symlink in the root is not followed).
fn font_bytes(s: &mut Session<'_, '_>, file: &str, target: &Path) -> Option<Vec<u8>> {
    if let Some(staged) = s.staged_file(file) {
        let dir = s.stage().ok()?.dir_path();
        return fs_err::read(dir.join(staged)).ok();
    }
    let rel = s.rel(target).ok()?;
    let st = s.lock.lstat(&rel)?;
    if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile {
        return None;
    }
    fs_err::read(target).ok()
}

/// The Fonts entries of the rows whose component `selected` picks: (title, file name).
fn entries(
    s: &mut Session<'_, '_>,
    selected: impl Fn(msi_expr::InstallState, msi_expr::InstallState) -> bool,
) -> Vec<(String, String)> {
    let comps = components(s);
    let mut out = Vec::new();
    for (file, title) in rows(s) {
        let Some((component, target)) = s.ctx.plan().and_then(|p| {
            p.files
                .iter()
                .find(|f| f.file == file)
                .map(|f| (f.component.clone(), f.target.clone()))
        }) else {
            continue;
        };
        let Some(&(installed, action, _)) = comps.get(&component) else {
            continue;
        };
        if !selected(installed, action) {
            continue;
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let title = match title {
            Some(t) => t,
            None => {
                let read = font_bytes(s, &file, &target)
                    .ok_or_else(|| "the file cannot be read".to_string())
                    .and_then(|b| shell::font::font_title(&b).map_err(|e| e.to_string()));
                match read {
                    Ok(t) => t,
                    Err(why) => {
                        // No title, no entry: Windows cannot register it either.
                        s.log.engine(&format!(
                            "Font {name}: its title cannot be read ({why}); not registered."
                        ));
                        continue;
                    }
                }
            }
        };
        out.push((title, name));
    }
    out
}

/// RegisterFonts: the fonts of the components being installed.
pub(crate) fn register(s: &mut Session<'_, '_>) -> ActionResult {
    for (title, name) in entries(s, |_, action| installing(action)) {
        s.log.engine(&format!(
            "Executing op: FontRegister(Title={title},FontFile={name})"
        ));
        s.ctx.push_reg(RegChange::Set {
            view: View::Native64,
            root: Root::LocalMachine,
            key: FONTS_KEY.to_string(),
            name: Some(title),
            value: Value::Sz(name),
        });
    }
    ActionResult::Success
}

/// UnregisterFonts: the fonts of the components being removed.
pub(crate) fn unregister(s: &mut Session<'_, '_>) -> ActionResult {
    for (title, name) in entries(s, removing) {
        s.log.engine(&format!(
            "Executing op: FontUnregister(Title={title},FontFile={name})"
        ));
        s.ctx.push_reg(RegChange::DeleteValue {
            view: View::Native64,
            root: Root::LocalMachine,
            key: FONTS_KEY.to_string(),
            name: Some(title),
        });
    }
    ActionResult::Success
}
