//! CreateShortcuts and RemoveShortcuts: the Shortcut table ("Shortcut table",
//! "CreateShortcuts action", "RemoveShortcuts action"), in the form that fits the layout.
//!
//! In the `windows` layout a shortcut is a real Shell Link (`<Name>.lnk`) in the folder its
//! Directory_ names, its paths those of the system drive the layout is (`C:\...`), so
//! Windows and Wine read it as their own. In the `fhs` layout it is a freedesktop desktop
//! entry (`<Name>.desktop`) in that folder, which the layout maps to the root's
//! `share/applications` (the Programs menu) or the user's Desktop: a Windows program
//! (`.exe`, `.com`, `.bat`, `.cmd`, `.msi`) starts through `wine`, a file without an
//! extension runs as it is, any other target (a document, a folder) opens as a `Link`.
//!
//! A shortcut is created when its component is installed (locally or to run from source)
//! and removed when its component is removed. An advertised shortcut (Target names a
//! feature) points at its component's key path, and carries the product's Darwin
//! descriptor in the `.lnk` as Windows writes it. The shortcut's icon (Icon_) is the Icon
//! table's file, put where Windows puts it (`[WindowsFolder]Installer\[ProductCode]\`).
//! Every file goes through the install's stage: placed when the script runs, taken back by
//! a rollback.

use std::path::{Path, PathBuf};

use msi_expr::InstallState;
use shell::desktop::{DesktopEntry, Launch, split_windows_args};
use shell::lnk::{PropValue, ShellLink, ShellProperty};

use super::table_rows::{Row, long_name};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::sequence::ActionResult;
use crate::session::Session;

/// A Shortcut row, its formatted columns formatted.
struct Shortcut {
    key: String,
    folder: PathBuf,
    /// The file name without extension.
    name: String,
    component: String,
    /// The feature of an advertised shortcut.
    feature: Option<String>,
    /// The target's full path (under the root); `None` when it is not a path.
    target: Option<PathBuf>,
    /// The target as formatted, when it is not a path under the root.
    target_text: String,
    target_is_folder: bool,
    target_size: u32,
    arguments: String,
    description: String,
    hotkey: u16,
    icon: Option<String>,
    icon_index: i32,
    show_cmd: u32,
    working_dir: Option<PathBuf>,
    /// MsiShortcutProperty rows: (PropertyKey, PropVariantValue), formatted.
    properties: Vec<(String, String)>,
}

/// The action state of a component: `Some(true)` installed by this run, `Some(false)`
/// removed, `None` left alone.
fn component_change(s: &Session<'_, '_>, component: &str) -> Option<bool> {
    let c = s.ctx.plan()?.component(component)?;
    match c.action {
        InstallState::Local | InstallState::Source => Some(true),
        InstallState::Absent => Some(false),
        _ => None,
    }
}

/// The rows of the Shortcut table whose component this run installs (`install`) or
/// removes.
fn shortcuts(s: &Session<'_, '_>, install: bool) -> Vec<Shortcut> {
    let mut out = Vec::new();
    for row in Row::all(s.package.table("Shortcut")) {
        let (Some(key), Some(dir), Some(name), Some(component)) = (
            row.text("Shortcut"),
            row.text("Directory_"),
            row.text("Name"),
            row.text("Component_"),
        ) else {
            continue;
        };
        if component_change(s, &component) != Some(install) {
            continue;
        }
        let Some(folder) = s.ctx.dir_path(&dir) else {
            continue;
        };
        let raw_target = row.text("Target").unwrap_or_default();
        // "Shortcut table": a Target without '[' is a Feature key (an advertised
        // shortcut), which starts the component's key path.
        let (feature, target_text) = if raw_target.contains('[') {
            (None, s.format(&raw_target))
        } else {
            let path = key_path(s, &component).map(|p| p.display().to_string());
            (Some(raw_target.clone()), path.unwrap_or_default())
        };
        let mut target_is_folder = target_text.ends_with('/') || target_text.ends_with('\\');
        let target = host_path(s, &target_text);
        if let Some(t) = &target
            && s.ctx
                .plan()
                .is_some_and(|p| p.directories.iter().any(|d| d.target == *t))
        {
            target_is_folder = true;
        }
        let target_size = target
            .as_ref()
            .and_then(|t| {
                s.ctx
                    .plan()?
                    .files
                    .iter()
                    .find(|f| &f.target == t)
                    .map(|f| u32::try_from(f.size).unwrap_or(0))
            })
            .unwrap_or(0);
        let working_dir = row.text("WkDir").and_then(|w| s.ctx.dir_path(&w));
        out.push(Shortcut {
            folder,
            name: long_name(&name).to_string(),
            component,
            feature,
            target,
            target_text,
            target_is_folder,
            target_size,
            arguments: row
                .text("Arguments")
                .map(|a| s.format(&a))
                .unwrap_or_default(),
            description: row.text("Description").unwrap_or_default(),
            hotkey: row.int("Hotkey").map_or(0, |h| h as u16),
            icon: row.text("Icon_"),
            icon_index: row.int("IconIndex").unwrap_or(0),
            show_cmd: row.int("ShowCmd").map_or(1, |c| c as u32),
            working_dir,
            properties: Row::all(s.package.table("MsiShortcutProperty"))
                .iter()
                .filter(|p| p.text("Shortcut_").as_deref() == Some(key.as_str()))
                .filter_map(|p| {
                    Some((
                        s.format(&p.text("PropertyKey")?),
                        s.format(&p.text("PropVariantValue").unwrap_or_default()),
                    ))
                })
                .collect(),
            key,
        });
    }
    out
}

/// The AppUserModel property set of the Windows property system (propkey.h).
const APP_USER_MODEL: &str = "{9F4C2855-9F79-4B39-A8D0-E1D42DE1D5F3}";

/// An MsiShortcutProperty row as a property of the `.lnk`'s property store: the key is a
/// canonical name the Windows property system registers (the AppUserModel properties
/// shortcuts carry) or `{GUID} pid` / `{GUID}, pid` (its value then a string), the value
/// converted to the property's type. `None` for a key or value that cannot be set.
fn shell_property(key: &str, value: &str) -> Option<ShellProperty> {
    enum Kind {
        Str,
        Bool,
        U32,
        Clsid,
    }
    let known: &[(&str, u32, Kind)] = &[
        ("System.AppUserModel.RelaunchCommand", 2, Kind::Str),
        ("System.AppUserModel.RelaunchIconResource", 3, Kind::Str),
        (
            "System.AppUserModel.RelaunchDisplayNameResource",
            4,
            Kind::Str,
        ),
        ("System.AppUserModel.ID", 5, Kind::Str),
        (
            "System.AppUserModel.ExcludeFromShowInNewInstall",
            8,
            Kind::Bool,
        ),
        ("System.AppUserModel.PreventPinning", 9, Kind::Bool),
        ("System.AppUserModel.IsDualMode", 11, Kind::Bool),
        ("System.AppUserModel.StartPinOption", 12, Kind::U32),
        ("System.AppUserModel.ToastActivatorCLSID", 26, Kind::Clsid),
    ];
    let key = key.trim();
    let (format_id, id, kind) = match known.iter().find(|(n, ..)| n.eq_ignore_ascii_case(key)) {
        Some((_, id, kind)) => (APP_USER_MODEL.to_string(), *id, kind),
        None => {
            let (guid, pid) = key.split_once('}')?;
            let pid: u32 = pid.trim_start_matches([',', ' ']).trim().parse().ok()?;
            (format!("{guid}}}").to_ascii_uppercase(), pid, &Kind::Str)
        }
    };
    let value = match kind {
        Kind::Str => PropValue::Str(value.to_string()),
        Kind::Bool => PropValue::Bool(match value.trim().to_ascii_lowercase().as_str() {
            "1" | "-1" | "true" => true,
            "0" | "false" => false,
            _ => return None,
        }),
        Kind::U32 => PropValue::U32(value.trim().parse().ok()?),
        Kind::Clsid => {
            shell::lnk::compress_guid(value.trim())?;
            PropValue::Clsid(value.trim().to_string())
        }
    };
    Some(ShellProperty {
        format_id,
        id,
        value,
    })
}

/// The full path of a component's key path (its file, or its folder).
fn key_path(s: &Session<'_, '_>, component: &str) -> Option<PathBuf> {
    let c = s.ctx.plan()?.component(component)?;
    match &c.key_path {
        Some(k) => s.ctx.file_path(k),
        None => Some(c.target_dir.clone()),
    }
}

/// A formatted path as a path under the root: a host path already under it, or a Windows
/// path (`C:\...`) placed under it as the layouts place the system drive.
pub(super) fn host_path(s: &Session<'_, '_>, text: &str) -> Option<PathBuf> {
    if text.is_empty() {
        return None;
    }
    let p = Path::new(text);
    if p.starts_with(&s.root) {
        return s.rel(p).ok().map(|r| s.lock.root().join(r));
    }
    let t = text.replace('\\', "/");
    let rest = t
        .split_once(":/")
        .map(|(d, rest)| (d.len() == 1).then_some(rest))??;
    let full = s.root.join(rest.trim_start_matches('/'));
    s.rel(&full).ok().map(|r| s.lock.root().join(r))
}

/// A path under the root as the system drive the `windows` layout is names it.
pub(crate) fn windows_path(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(format!("C:\\{}", parts.join("\\")))
}

/// Text that may hold paths under the root (formatted arguments), with each such path as
/// the system drive names it.
pub(crate) fn windows_text(root: &Path, text: &str) -> String {
    let mut prefix = root.display().to_string();
    if !prefix.ends_with('/') {
        prefix.push('/');
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(&prefix) {
        out.push_str(&rest[..i]);
        out.push_str("C:\\");
        let quoted = rest[..i].ends_with('"');
        let after = &rest[i + prefix.len()..];
        // The path runs to the closing quote, or unquoted to the next blank.
        let end = after
            .find(|c: char| c == '"' || (!quoted && c.is_whitespace()))
            .unwrap_or(after.len());
        out.push_str(&after[..end].replace('/', "\\"));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Where the installer keeps a product's icons (`[WindowsFolder]Installer\[ProductCode]\`).
pub(crate) fn icon_path(s: &Session<'_, '_>, icon: &str) -> Option<PathBuf> {
    let windows = s.ctx.dir_path("WindowsFolder")?;
    let product = s.prop("ProductCode")?;
    Some(windows.join("Installer").join(product).join(icon))
}

/// The shortcut file's name in this layout.
fn file_name(layout: Layout, name: &str) -> String {
    match layout {
        Layout::Windows | Layout::Wine => format!("{name}.lnk"),
        Layout::Fhs => format!("{name}.desktop"),
    }
}

/// CreateShortcuts.
pub(crate) fn create(s: &mut Session<'_, '_>) -> ActionResult {
    let rows = shortcuts(s, true);
    let mut icons: Vec<String> = Vec::new();
    for sc in rows {
        if let Some(icon) = &sc.icon
            && !icons.contains(icon)
        {
            if let Err(e) = write_icon(s, icon) {
                return s.fail(e);
            }
            icons.push(icon.clone());
        }
        if let Err(e) = create_one(s, &sc) {
            return s.fail(e);
        }
    }
    ActionResult::Success
}

/// The Icon table's file `icon`, placed where the shortcuts find it.
pub(crate) fn write_icon(s: &mut Session<'_, '_>, icon: &str) -> Result<()> {
    let Some(path) = icon_path(s, icon) else {
        return Ok(());
    };
    let stream = format!("Icon.{icon}");
    if !s.package.has_stream(&stream) {
        return Ok(());
    }
    let mut reader = s.package.read_stream(&stream)?;
    let rel = s.rel(&path)?;
    if let Some(parent) = path.parent() {
        s.ctx.note_folders(vec![parent.to_path_buf()]);
    }
    s.ctx.note_shell_target(path.clone());
    let st = s.stage()?;
    let (name, _) = st.copy_in(&mut reader)?;
    st.place(name, rel)?;
    s.log.engine(&format!(
        "Executing op: IconCreate(Icon={icon},Data=BinaryData) [{}]",
        path.display()
    ));
    Ok(())
}

fn create_one(s: &mut Session<'_, '_>, sc: &Shortcut) -> Result<()> {
    let layout = s.request.layout;
    let file = sc.folder.join(file_name(layout, &sc.name));
    let rel = s.rel(&file)?;
    let icon = sc.icon.as_deref().and_then(|i| icon_path(s, i));
    let bytes = match layout {
        Layout::Windows | Layout::Wine => {
            let Some(target) = sc.target.as_deref().and_then(|t| windows_path(&s.root, t)) else {
                s.log.engine(&format!(
                    "CreateShortcuts: shortcut {}: target {:?} is not a path on the system drive; not created.",
                    sc.key, sc.target_text
                ));
                return Ok(());
            };
            let mut link = ShellLink::new(target.trim_end_matches('\\').to_string());
            if link.target.len() < 3 {
                link.target = "C:\\".into();
            }
            link.target_is_folder = sc.target_is_folder;
            link.target_size = sc.target_size;
            link.description = Some(sc.description.clone()).filter(|d| !d.is_empty());
            link.relative_path = windows_path(&s.root, &sc.folder)
                .and_then(|from| shell::lnk::relative_path(&from, &link.target));
            link.working_dir = sc
                .working_dir
                .as_deref()
                .and_then(|w| windows_path(&s.root, w))
                .map(|w| w.trim_end_matches('\\').to_string());
            link.arguments = Some(windows_text(&s.root, &sc.arguments)).filter(|a| !a.is_empty());
            link.icon_location = icon.as_deref().and_then(|i| windows_path(&s.root, i));
            link.icon_index = sc.icon_index;
            link.show_command = sc.show_cmd;
            link.hotkey = sc.hotkey;
            for (key, value) in &sc.properties {
                match shell_property(key, value) {
                    Some(p) => link.properties.push(p),
                    // "MsiShortcutProperty table": a property that cannot be set is
                    // error 1946, a warning; the install goes on.
                    None => s.log.engine(&format!(
                        "Error 1946. Property '{key}' for shortcut '{}' could not be set. (not a property of the Windows property system this engine knows, or a value of the wrong type)",
                        sc.name
                    )),
                }
            }
            if let Some(feature) = &sc.feature {
                let product = s.prop("ProductCode").unwrap_or_default();
                let component = s
                    .ctx
                    .plan()
                    .and_then(|p| p.component(&sc.component))
                    .and_then(|c| c.component_id.clone())
                    .unwrap_or_default();
                link.darwin = shell::lnk::darwin_descriptor(&product, feature, &component);
            }
            link.to_bytes()
                .map_err(|e| Error::failure(format!("shortcut {}: {e}", sc.key)))?
        }
        Layout::Fhs => {
            let Some(target) = sc.target.clone() else {
                s.log.engine(&format!(
                    "CreateShortcuts: shortcut {}: target {:?} is not a path under the root; not created.",
                    sc.key, sc.target_text
                ));
                return Ok(());
            };
            let target_text = target.display().to_string();
            let ext = target
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase());
            let launch = match ext.as_deref() {
                _ if sc.target_is_folder => Launch::Link {
                    target: target_text,
                },
                Some("exe" | "com" | "bat" | "cmd" | "msi") => {
                    let mut argv = vec!["wine".to_string(), target_text];
                    if ext.as_deref() == Some("msi") {
                        argv.splice(1..1, ["msiexec".to_string(), "/i".to_string()]);
                    }
                    argv.extend(split_windows_args(&sc.arguments));
                    Launch::Application {
                        argv,
                        path: sc.working_dir.as_ref().map(|w| w.display().to_string()),
                    }
                }
                None => {
                    let mut argv = vec![target_text];
                    argv.extend(split_windows_args(&sc.arguments));
                    Launch::Application {
                        argv,
                        path: sc.working_dir.as_ref().map(|w| w.display().to_string()),
                    }
                }
                Some(_) => Launch::Link {
                    target: target_text,
                },
            };
            DesktopEntry {
                name: sc.name.clone(),
                comment: Some(sc.description.clone()).filter(|d| !d.is_empty()),
                icon: icon.map(|i| i.display().to_string()),
                launch,
            }
            .to_text()
            .into_bytes()
        }
    };
    s.log.engine(&format!(
        "Executing op: ShortcutCreate(Name={},Feature={},Component={},FileName={},Arguments={},WorkingDir={},Icon={},IconIndex={},Hotkey={},ShowCmd={},Description={})",
        sc.name,
        sc.feature.as_deref().unwrap_or(""),
        sc.component,
        file.display(),
        sc.arguments,
        sc.working_dir.as_deref().map(|w| w.display().to_string()).unwrap_or_default(),
        sc.icon.as_deref().unwrap_or(""),
        sc.icon_index,
        sc.hotkey,
        sc.show_cmd,
        sc.description,
    ));
    s.ctx.note_folders(vec![sc.folder.clone()]);
    s.ctx.note_shell_target(file.clone());
    let st = s.stage()?;
    let name = st.write_in(&bytes)?;
    st.place(name, rel)?;
    Ok(())
}

/// RemoveShortcuts: the shortcuts of components being removed, and, when the product goes,
/// its icons.
pub(crate) fn remove(s: &mut Session<'_, '_>) -> ActionResult {
    let layout = s.request.layout;
    let rows = shortcuts(s, false);
    let mut icons: Vec<String> = Vec::new();
    for sc in rows {
        let file = sc.folder.join(file_name(layout, &sc.name));
        if let Some(icon) = &sc.icon
            && !icons.contains(icon)
        {
            icons.push(icon.clone());
        }
        // A shortcut a major upgrade puts at this path is the new product's.
        if s.is_protected(&file) {
            continue;
        }
        s.log.engine(&format!(
            "Executing op: ShortcutRemove(Name={}) [{}]",
            sc.name,
            file.display()
        ));
        let r = s
            .rel(&file)
            .and_then(|rel| s.stage().and_then(|st| Ok(st.remove(rel)?)));
        if let Err(e) = r {
            return s.fail(e);
        }
    }
    if s.ctx.product_removed() {
        for icon in icons {
            let Some(path) = icon_path(s, &icon).filter(|p| !s.is_protected(p)) else {
                continue;
            };
            let r = s
                .rel(&path)
                .and_then(|rel| s.stage().and_then(|st| Ok(st.remove(rel)?)));
            if let Err(e) = r {
                return s.fail(e);
            }
        }
    }
    ActionResult::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcut_properties_take_their_registered_types() {
        let p = shell_property("System.AppUserModel.ID", "Vendor.App").unwrap();
        assert_eq!((p.format_id.as_str(), p.id), (APP_USER_MODEL, 5));
        assert_eq!(p.value, PropValue::Str("Vendor.App".into()));
        let p = shell_property("system.appusermodel.preventpinning", "true").unwrap();
        assert_eq!((p.id, p.value), (9, PropValue::Bool(true)));
        let p = shell_property("System.AppUserModel.StartPinOption", "1").unwrap();
        assert_eq!((p.id, p.value), (12, PropValue::U32(1)));
        let p = shell_property("{86d40b4d-9069-443c-819a-2a54090dccec}, 12", "x").unwrap();
        assert_eq!(p.format_id, "{86D40B4D-9069-443C-819A-2A54090DCCEC}");
        assert_eq!((p.id, p.value), (12, PropValue::Str("x".into())));
        // Values of the wrong type and unknown names cannot be set (error 1946).
        assert_eq!(
            shell_property("System.AppUserModel.PreventPinning", "maybe"),
            None
        );
        assert_eq!(
            shell_property("System.AppUserModel.ToastActivatorCLSID", "nope"),
            None
        );
        assert_eq!(shell_property("System.Title", "x"), None);
    }

    #[test]
    fn paths_under_the_root_are_the_system_drives() {
        let root = Path::new("/r");
        assert_eq!(
            windows_path(root, Path::new("/r/Program Files/App/a.exe")).as_deref(),
            Some(r"C:\Program Files\App\a.exe")
        );
        assert_eq!(windows_path(root, Path::new("/r")).as_deref(), Some("C:\\"));
        assert_eq!(windows_path(root, Path::new("/elsewhere")), None);
        assert_eq!(
            windows_text(root, r#"--config "/r/Program Files/App/a.ini" /r/x/y -z"#),
            r#"--config "C:\Program Files\App\a.ini" C:\x\y -z"#
        );
    }
}
