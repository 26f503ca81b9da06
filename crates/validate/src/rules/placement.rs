//! Rules over where components put things: the system folder (ICE09), two components'
//! files at one place (ICE30), per-user and per-machine data apart (ICE57), folders made
//! in the user's profile (ICE64, ICE90), and per-user-only folders (ICE91).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::context::Ctx;
use crate::finding::{Finding, Severity};

use super::components::{REGISTRY_KEY_PATH, component_rows};

/// `msidbComponentAttributesPermanent`.
const PERMANENT: i32 = 0x10;

/// The folders of the user's profile ("ICE38", "ICE64": "System Folder
/// Properties" that resolve under the profile).
pub(crate) const PROFILE_FOLDERS: &[&str] = &[
    "AdminToolsFolder",
    "AppDataFolder",
    "DesktopFolder",
    "FavoritesFolder",
    "LocalAppDataFolder",
    "MyPicturesFolder",
    "NetHoodFolder",
    "PersonalFolder",
    "PrintHoodFolder",
    "ProgramMenuFolder",
    "RecentFolder",
    "SendToFolder",
    "StartMenuFolder",
    "StartupFolder",
    "TemplateFolder",
];

/// The per-user-only folders, as "ICE91" lists them: they do not follow
/// ALLUSERS.
pub(crate) const PER_USER_ONLY: &[&str] = &[
    "AppDataFolder",
    "FavoritesFolder",
    "NetHoodFolder",
    "PersonalFolder",
    "PrintHoodFolder",
    "RecentFolder",
    "SendToFolder",
    "MyPicturesFolder",
    "LocalAppDataFolder",
];

/// ICE09: components installed to the system folder are permanent.
pub(crate) fn ice09(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for c in component_rows(ctx) {
        let dir = c.str("Directory_").unwrap_or("");
        if matches!(dir, "SystemFolder" | "System16Folder" | "System64Folder")
            && c.int("Attributes").unwrap_or(0) & PERMANENT == 0
        {
            out.push(
                Finding::new(
                    "ICE09",
                    Severity::Warning,
                    format!(
                        "Component: {} is a non-permanent system component",
                        c.str("Component").unwrap_or("")
                    ),
                )
                .row("Component", c.key())
                .column("Component"),
            );
        }
    }
}

/// ICE30: two components never install the same file name into the same
/// folder, on a long-name or a short-name system.
pub(crate) fn ice30(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    struct Comp<'a> {
        dir: &'a str,
        conditional: bool,
    }
    let comps: HashMap<&str, Comp<'_>> = component_rows(ctx)
        .iter()
        .filter_map(|r| {
            Some((
                r.str("Component")?,
                Comp {
                    dir: r.str("Directory_")?,
                    conditional: r.str("Condition").is_some(),
                },
            ))
        })
        .collect();
    /// A file placed in a folder: its component, its name, its row key.
    type Placed<'a> = (&'a str, String, Vec<String>);
    let mut paths: HashMap<(&str, bool), String> = HashMap::new();
    for lfn in [false, true] {
        // (folder path, NAME) → [(component, file key, file name, row key)]
        let mut seen: BTreeMap<(String, String), Vec<Placed<'_>>> = BTreeMap::new();
        for f in ctx.rows("File") {
            let (Some(comp), Some(name)) = (f.str("Component_"), f.str("FileName")) else {
                continue;
            };
            let Some(c) = comps.get(comp) else { continue };
            let name = match name.split_once('|') {
                Some((s, l)) => {
                    if lfn {
                        l
                    } else {
                        s
                    }
                }
                None => name,
            };
            let path = paths
                .entry((c.dir, lfn))
                .or_insert_with(|| ctx.directory_path(c.dir, !lfn).to_uppercase())
                .clone();
            seen.entry((path, name.to_uppercase())).or_default().push((
                comp,
                name.to_string(),
                f.key(),
            ));
        }
        let system = if lfn { "LFN" } else { "SFN" };
        for ((path, _), files) in seen {
            for (i, a) in files.iter().enumerate() {
                for b in files.iter().skip(i + 1) {
                    if a.0 == b.0 {
                        continue;
                    }
                    let conditional = |c: &str| comps.get(c).is_some_and(|x| x.conditional);
                    let (ca, cb) = (conditional(a.0), conditional(b.0));
                    let (severity, message) = match (ca, cb) {
                        (false, false) => (
                            Severity::Error,
                            format!(
                                "The target file '{}' is installed in '{path}' by two different components on an {system} system: '{}' and '{}'. This breaks component reference counting.",
                                a.1, a.0, b.0
                            ),
                        ),
                        (true, true) => (
                            Severity::Warning,
                            format!(
                                "The target file '{}' might be installed in '{path}' by two different conditionalized components on an {system} system: '{}' and '{}'. If the conditions are not mutually exclusive, this will break the component reference counting system.",
                                a.1, a.0, b.0
                            ),
                        ),
                        _ => (
                            Severity::Error,
                            format!(
                                "Installation of a conditionalized component would cause the target file '{}' to be installed in '{path}' by two different components on an {system} system: '{}' and '{}'. This would break component reference counting.",
                                a.1, a.0, b.0
                            ),
                        ),
                    };
                    // One finding at each file's row, as the evaluator does.
                    for key in [&a.2, &b.2] {
                        out.push(
                            Finding::new("ICE30", severity, message.clone())
                                .row("File", key.clone())
                                .column("FileName"),
                        );
                    }
                }
            }
        }
    }
}

/// Where a component's data goes: per user, per machine, or either
/// (HKMU, root -1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    User,
    Machine,
    Either,
}

fn registry_scope(root: i32) -> Scope {
    match root {
        1 => Scope::User,
        -1 => Scope::Either,
        _ => Scope::Machine,
    }
}

/// ICE57: a component does not mix per-user and per-machine data.
pub(crate) fn ice57(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut data: HashMap<&str, HashSet<Scope>> = HashMap::new();
    let mut reg_root: HashMap<&str, i32> = HashMap::new();
    for r in ctx.rows("Registry") {
        let (Some(comp), Some(root)) = (r.str("Component_"), r.int("Root")) else {
            continue;
        };
        data.entry(comp).or_default().insert(registry_scope(root));
        if let Some(k) = r.str("Registry") {
            reg_root.insert(k, root);
        }
    }
    let comp_dir: HashMap<&str, &str> = component_rows(ctx)
        .iter()
        .filter_map(|c| Some((c.str("Component")?, c.str("Directory_")?)))
        .collect();
    let dir_scope = |dir: &str| {
        if ctx.is_under(dir, PER_USER_ONLY) {
            Scope::User
        } else {
            Scope::Machine
        }
    };
    let mut file_dir: HashMap<&str, &str> = HashMap::new();
    for f in ctx.rows("File") {
        let (Some(key), Some(comp)) = (f.str("File"), f.str("Component_")) else {
            continue;
        };
        if let Some(dir) = comp_dir.get(comp) {
            data.entry(comp).or_default().insert(dir_scope(dir));
            file_dir.insert(key, dir);
        }
    }
    for c in component_rows(ctx) {
        let Some(name) = c.str("Component") else {
            continue;
        };
        let attrs = c.int("Attributes").unwrap_or(0);
        let key_scope = match c.str("KeyPath") {
            Some(k) if attrs & REGISTRY_KEY_PATH != 0 => {
                reg_root.get(k).map(|&r| registry_scope(r))
            }
            Some(k) => file_dir.get(k).map(|d| dir_scope(d)),
            None => c.str("Directory_").map(dir_scope),
        };
        let Some(key_scope) = key_scope else { continue };
        let set = data.get(name).cloned().unwrap_or_default();
        let (user, machine, either) = (
            set.contains(&Scope::User),
            set.contains(&Scope::Machine),
            set.contains(&Scope::Either),
        );
        let result = if user && machine && key_scope == Scope::Machine {
            Some((
                Severity::Error,
                format!(
                    "Component '{name}' has both per-user and per-machine data with a per-machine KeyPath."
                ),
            ))
        } else if user && machine && key_scope == Scope::User && attrs & REGISTRY_KEY_PATH != 0 {
            Some((
                Severity::Warning,
                format!(
                    "Component '{name}' has both per-user and per-machine data with an HKCU Registry KeyPath."
                ),
            ))
        } else if either && key_scope == Scope::Machine {
            Some((
                Severity::Error,
                format!(
                    "Component '{name}' has a registry entry that can be either per-user or per-machine and a per-machine KeyPath."
                ),
            ))
        } else if user && key_scope == Scope::Either {
            Some((
                Severity::Error,
                format!(
                    "Component '{name}' has both per-user data and a keypath that can be either per-user or per-machine."
                ),
            ))
        } else {
            None
        };
        if let Some((severity, m)) = result {
            out.push(
                Finding::new("ICE57", severity, m)
                    .row("Component", c.key())
                    .column("Component"),
            );
        }
    }
}

/// ICE64: a new folder in the user's profile is removed (RemoveFile row
/// with a null FileName).
pub(crate) fn ice64(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let removed: HashSet<&str> = ctx
        .rows("RemoveFile")
        .iter()
        .filter(|r| r.str("FileName").is_none())
        .filter_map(|r| r.str("DirProperty"))
        .collect();
    for d in ctx.rows("Directory") {
        let Some(name) = d.str("Directory") else {
            continue;
        };
        if PROFILE_FOLDERS.contains(&name) || removed.contains(name) {
            continue;
        }
        let target = d
            .str("DefaultDir")
            .unwrap_or(".")
            .split(':')
            .next()
            .unwrap_or(".");
        if target == "." {
            continue;
        }
        if ctx.is_under(name, PROFILE_FOLDERS) {
            out.push(
                Finding::new(
                    "ICE64",
                    Severity::Error,
                    format!(
                        "The directory '{name}' is in the user profile but is not listed in the RemoveFile table."
                    ),
                )
                .row("Directory", d.key())
                .column("Directory"),
            );
        }
    }
}

/// ICE90: a shortcut's folder under the profile is not a public property.
pub(crate) fn ice90(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if ctx.table("Directory").is_none() {
        return;
    }
    for s in ctx.rows("Shortcut") {
        let (Some(name), Some(dir)) = (s.str("Shortcut"), s.str("Directory_")) else {
            continue;
        };
        let public =
            dir.chars().any(|c| c.is_ascii_uppercase()) && !dir.chars().any(|c| c.is_lowercase());
        if public && ctx.is_under(dir, PROFILE_FOLDERS) {
            out.push(
                Finding::new(
                    "ICE90",
                    Severity::Warning,
                    format!(
                        "The shortcut '{name}' has a directory that is a public property (ALL CAPS) and is under user profile directory. This results in a problem if the value of the ALLUSERS property changes in the UI sequence."
                    ),
                )
                .row("Shortcut", s.key())
                .column("Directory_"),
            );
        }
    }
}

/// ICE91: files, .ini files and shortcuts in a per-user-only folder.
pub(crate) fn ice91(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let comp_dir: HashMap<&str, &str> = component_rows(ctx)
        .iter()
        .filter_map(|c| Some((c.str("Component")?, c.str("Directory_")?)))
        .collect();
    let mut report = |what: &str,
                      table: &str,
                      key: Vec<String>,
                      name: &str,
                      dir: &str,
                      column: &str| {
        if ctx.is_under(dir, PER_USER_ONLY) {
            out.push(
                Finding::new(
                    "ICE91",
                    Severity::Warning,
                    format!(
                        "The {what} '{name}' will be installed to the per user directory '{dir}' that does not vary based on ALLUSERS value. This file won't be copied to each user's profile even if a per machine installation is desired."
                    ),
                )
                .row(table, key)
                .column(column),
            );
        }
    };
    for f in ctx.rows("File") {
        if let (Some(name), Some(dir)) = (
            f.str("File"),
            f.str("Component_").and_then(|c| comp_dir.get(c)),
        ) {
            report("file", "File", f.key(), name, dir, "Component_");
        }
    }
    for i in ctx.rows("IniFile") {
        if let (Some(name), Some(dir)) = (i.str("IniFile"), i.str("DirProperty")) {
            report("IniFile", "IniFile", i.key(), name, dir, "DirProperty");
        }
    }
    for s in ctx.rows("Shortcut") {
        if let (Some(name), Some(dir)) = (s.str("Shortcut"), s.str("Directory_")) {
            report("shortcut", "Shortcut", s.key(), name, dir, "Directory_");
        }
    }
}
