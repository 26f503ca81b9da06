//! Rules over components and what they install: media (ICE04, ICE71), key
//! paths (ICE02, ICE18,
//! ICE38, ICE43, ICE54), identity (ICE08, ICE21, ICE22, ICE59), where things
//! go (ICE09, ICE30, ICE57, ICE64, ICE90, ICE91), cross-component
//! references (ICE69) and registry rows that belong in the advertising
//! tables (ICE33).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::context::{Ctx, Row};
use crate::finding::{Finding, Severity};
use crate::formatted::{self, RefKind};

/// `msidbComponentAttributesRegistryKeyPath`.
const REGISTRY_KEY_PATH: i32 = 0x4;
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

fn component_rows<'p>(ctx: &Ctx<'p>) -> Vec<Row<'p>> {
    ctx.rows("Component")
}

/// ICE02: a component's key path file or registry entry belongs to it.
pub(crate) fn ice02(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let files: HashMap<&str, &str> = ctx
        .rows("File")
        .iter()
        .filter_map(|r| Some((r.str("File")?, r.str("Component_")?)))
        .collect();
    let regs: HashMap<&str, &str> = ctx
        .rows("Registry")
        .iter()
        .filter_map(|r| Some((r.str("Registry")?, r.str("Component_")?)))
        .collect();
    for c in component_rows(ctx) {
        let (Some(name), Some(key)) = (c.str("Component"), c.str("KeyPath")) else {
            continue;
        };
        let attrs = c.int("Attributes").unwrap_or(0);
        if attrs & 0x20 != 0 {
            continue; // an ODBC data source key path
        }
        let message = if attrs & REGISTRY_KEY_PATH != 0 {
            match regs.get(key) {
                None => Some(format!(
                    "Registry key: '{key}' not found in Registry table."
                )),
                Some(&owner) if owner != name => Some(format!(
                    "Registry: '{key}' cannot be the key registry key for Component: '{name}'. The RegKey belongs to Component: '{owner}'"
                )),
                _ => None,
            }
        } else {
            match files.get(key) {
                None => Some(format!("File: '{key}' not found in File table.")),
                Some(&owner) if owner != name => Some(format!(
                    "File: '{key}' cannot be the key file for Component: '{name}'. The file belongs to Component: '{owner}'"
                )),
                _ => None,
            }
        };
        if let Some(m) = message {
            out.push(
                Finding::new("ICE02", Severity::Error, m)
                    .row("Component", c.key())
                    .column("KeyPath"),
            );
        }
    }
}

/// ICE04: every file's sequence number is covered by the Media table.
pub(crate) fn ice04(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(max) = ctx
        .rows("Media")
        .iter()
        .filter_map(|m| m.int("LastSequence"))
        .max()
    else {
        return;
    };
    for f in ctx.rows("File") {
        let (Some(name), Some(seq)) = (f.str("File"), f.int("Sequence")) else {
            continue;
        };
        if seq > max {
            out.push(
                Finding::new(
                    "ICE04",
                    Severity::Error,
                    format!(
                        "File: {name}, Sequence: {seq} Greater Than Max Allowed by Media Table."
                    ),
                )
                .row("File", f.key())
                .column("Sequence"),
            );
        }
    }
}

/// ICE71: the Media table has a row with DiskId 1 (the package's own disk).
pub(crate) fn ice71(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(media) = ctx.table("Media") else {
        return;
    };
    let first = ctx
        .rows("Media")
        .iter()
        .filter_map(|m| m.int("DiskId"))
        .min();
    if first != Some(1) {
        let first = first.map(|d| d.to_string()).unwrap_or_default();
        out.push(
            Finding::new(
                "ICE71",
                Severity::Error,
                format!(
                    "The Media table requires an entry with DiskId=1. First DiskId is '{first}'."
                ),
            )
            .table(&media.name)
            .column("DiskId"),
        );
    }
}

/// ICE08: no two components share a ComponentId.
pub(crate) fn ice08(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut rows: Vec<(&str, &str, Vec<String>)> = component_rows(ctx)
        .iter()
        .filter_map(|r| Some((r.str("ComponentId")?, r.str("Component")?, r.key())))
        .collect();
    // As the evaluator does: ordered by ComponentId, each row equal to the
    // one before it is a duplicate.
    rows.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(b.1)));
    for pair in rows.windows(2) {
        if pair[0].0 == pair[1].0 {
            out.push(
                Finding::new(
                    "ICE08",
                    Severity::Error,
                    format!(
                        "Component: {} has a duplicate GUID: {}",
                        pair[1].1, pair[1].0
                    ),
                )
                .row("Component", pair[1].2.clone())
                .column("ComponentId"),
            );
        }
    }
}

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

/// ICE18: a component whose key path is its (empty) directory lists that
/// directory in CreateFolder.
pub(crate) fn ice18(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let with_files: HashSet<&str> = ctx
        .rows("File")
        .iter()
        .filter_map(|r| r.str("Component_"))
        .collect();
    let pairs = |table: &str, dir_col: &str| -> HashSet<(String, String)> {
        ctx.rows(table)
            .iter()
            .filter_map(|r| {
                Some((
                    r.str("Component_")?.to_string(),
                    r.str(dir_col)?.to_string(),
                ))
            })
            .collect()
    };
    let removes = pairs("RemoveFile", "DirProperty");
    let dups = pairs("DuplicateFile", "DestFolder");
    let moves = pairs("MoveFile", "DestFolder");
    let creates = pairs("CreateFolder", "Directory_");
    for c in component_rows(ctx) {
        if c.str("KeyPath").is_some() {
            continue;
        }
        let (Some(name), Some(dir)) = (c.str("Component"), c.str("Directory_")) else {
            continue;
        };
        let pair = (name.to_string(), dir.to_string());
        if with_files.contains(name)
            || removes.contains(&pair)
            || dups.contains(&pair)
            || moves.contains(&pair)
            || creates.contains(&pair)
        {
            continue;
        }
        out.push(
            Finding::new(
                "ICE18",
                Severity::Error,
                format!(
                    "KeyPath for Component: {name} is Directory: {dir}. The Directory/Component pair must be listed in the CreateFolder table."
                ),
            )
            .row("Component", c.key())
            .column("Directory_"),
        );
    }
}

/// The features of each component (FeatureComponents).
fn features_of(ctx: &Ctx<'_>) -> HashMap<String, HashSet<String>> {
    let mut map: HashMap<String, HashSet<String>> = HashMap::new();
    for r in ctx.rows("FeatureComponents") {
        if let (Some(f), Some(c)) = (r.str("Feature_"), r.str("Component_")) {
            map.entry(c.to_string()).or_default().insert(f.to_string());
        }
    }
    map
}

/// ICE21: every component belongs to a feature.
pub(crate) fn ice21(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let features = features_of(ctx);
    for c in component_rows(ctx) {
        let Some(name) = c.str("Component") else {
            continue;
        };
        if !features.contains_key(name) {
            out.push(
                Finding::new(
                    "ICE21",
                    Severity::Error,
                    format!("Component: '{name}' does not belong to any Feature."),
                )
                .row("Component", c.key())
                .column("Component"),
            );
        }
    }
}

/// ICE22: a PublishComponent row's feature installs its component.
pub(crate) fn ice22(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let features = features_of(ctx);
    for r in ctx.rows("PublishComponent") {
        let (Some(f), Some(c)) = (r.str("Feature_"), r.str("Component_")) else {
            continue;
        };
        if !features.get(c).is_some_and(|s| s.contains(f)) {
            out.push(
                Finding::new(
                    "ICE22",
                    Severity::Error,
                    // The wording of "ICE22" (Microsoft gives no message text).
                    format!(
                        "{} does not have the correct mapping for the Feature_ and Component_ columns: Feature '{f}' does not install Component '{c}' in the FeatureComponents table.",
                        r.str("ComponentId").unwrap_or("")
                    ),
                )
                .row("PublishComponent", r.key())
                .column("Feature_"),
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

/// The key path checks ICE38 and ICE43 share; `what` is "installs to user
/// profile" or "has non-advertised shortcuts".
fn hkcu_key_path(
    ctx: &Ctx<'_>,
    rule: &'static str,
    c: &Row<'_>,
    what: &str,
    null_word: &str,
    its: &str,
    out: &mut Vec<Finding>,
) {
    let name = c.str("Component").unwrap_or("");
    let attrs = c.int("Attributes").unwrap_or(0);
    let finding = |m: String| {
        Finding::new(rule, Severity::Error, m)
            .row("Component", c.key())
            .column("KeyPath")
    };
    if attrs & REGISTRY_KEY_PATH == 0 {
        out.push(finding(format!(
            "Component {name} {what}. It must use a registry key under HKCU as its KeyPath, not a file."
        )));
        return;
    }
    let Some(key) = c.str("KeyPath") else {
        out.push(finding(format!(
            "Component {name} {what}. It must use a registry key under HKCU as its KeyPath. The KeyPath is currently {null_word}."
        )));
        return;
    };
    let reg = ctx
        .rows("Registry")
        .into_iter()
        .find(|r| r.str("Registry") == Some(key));
    let Some(reg) = reg else {
        out.push(finding(format!(
            "The KeyPath registry entry for component {name} does not exist."
        )));
        return;
    };
    if reg.int("Root") != Some(1) && reg.int("Root") != Some(-1) {
        out.push(finding(format!(
            "Component {name} {what}. {its} KeyPath registry key must fall under HKCU."
        )));
        return;
    }
    if reg.str("Component_") != Some(name) {
        out.push(finding(format!(
            "The Registry Entry {key} is set as the KeyPath for component {name}, but that registry entry does not belong to {name}."
        )));
    }
}

/// ICE33: Registry rows that register what the advertising tables
/// (Class, Extension, ProgId, Verb, AppId, TypeLib, MIME) should. Microsoft
/// calls these warnings obsolete ("ICE33"); they are kept because an
/// advertised entry and a Registry row for the same key overwrite each
/// other.
pub(crate) fn ice33(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.rows("Registry") {
        let (Some(name), Some(root), Some(key)) = (r.str("Registry"), r.int("Root"), r.str("Key"))
        else {
            continue;
        };
        // HKCR, or HKLM/HKCU/HKMU\Software\Classes.
        let classes = match root {
            0 => Some(key),
            -1..=2 => {
                let lower = key.to_ascii_lowercase();
                lower
                    .strip_prefix("software\\classes\\")
                    .and_then(|_| key.get("software\\classes\\".len()..))
            }
            _ => None,
        };
        let Some(sub) = classes else { continue };
        let lower = sub.to_ascii_lowercase();
        let first = lower.split('\\').next().unwrap_or("");
        let (kind, table) = if first == "clsid" {
            ("CLSID", "Class")
        } else if first == "appid" {
            ("AppId", "AppId")
        } else if first == "typelib" {
            ("TypeLib", "TypeLib")
        } else if lower.starts_with("mime\\database\\content type") {
            ("MIME", "MIME")
        } else if first.starts_with('.') {
            ("Extension", "Extension")
        } else if lower.split('\\').nth(1) == Some("shell") {
            ("Verb", "Verb")
        } else if !first.is_empty() && first.contains('.') {
            ("ProgId", "ProgId")
        } else {
            continue;
        };
        out.push(
            Finding::new(
                "ICE33",
                Severity::Warning,
                format!(
                    "Reg Key {name} is used in an unsupported way. {kind} should be registered via the {table} table. This entry may overwrite a value created through that table."
                ),
            )
            .row("Registry", r.key())
            .column("Key"),
        );
    }
}

/// ICE38: a component installed under the user's profile has an HKCU
/// registry key path.
pub(crate) fn ice38(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for c in component_rows(ctx) {
        let Some(dir) = c.str("Directory_") else {
            continue;
        };
        if ctx.is_under(dir, PROFILE_FOLDERS) {
            hkcu_key_path(
                ctx,
                "ICE38",
                &c,
                "installs to user profile",
                "NULL",
                "It's",
                out,
            );
        }
    }
}

/// Whether a shortcut is advertised: its Target names a feature.
fn advertised(ctx: &Ctx<'_>, target: &str) -> bool {
    ctx.rows("Feature")
        .iter()
        .any(|f| f.str("Feature") == Some(target))
}

/// ICE43: a component with non-advertised shortcuts (in the user's
/// profile) has an HKCU registry key path.
pub(crate) fn ice43(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut done = HashSet::new();
    let features: HashSet<&str> = ctx
        .rows("Feature")
        .iter()
        .filter_map(|f| f.str("Feature"))
        .collect();
    for s in ctx.rows("Shortcut") {
        let (Some(comp), Some(dir)) = (s.str("Component_"), s.str("Directory_")) else {
            continue;
        };
        let target = s.str("Target").unwrap_or("");
        if features.contains(target) || !ctx.is_under(dir, PROFILE_FOLDERS) || !done.insert(comp) {
            continue;
        }
        if let Some(c) = component_rows(ctx)
            .into_iter()
            .find(|c| c.str("Component") == Some(comp))
        {
            hkcu_key_path(
                ctx,
                "ICE43",
                &c,
                "has non-advertised shortcuts",
                "null",
                "Its",
                out,
            );
        }
    }
}

/// ICE54: a component's key path file does not take its version from a
/// companion file.
pub(crate) fn ice54(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let files: HashMap<&str, Option<&str>> = ctx
        .rows("File")
        .iter()
        .filter_map(|r| Some((r.str("File")?, r.str("Version"))))
        .collect();
    for c in component_rows(ctx) {
        if c.int("Attributes").unwrap_or(0) & REGISTRY_KEY_PATH != 0 {
            continue;
        }
        let (Some(name), Some(key)) = (c.str("Component"), c.str("KeyPath")) else {
            continue;
        };
        if let Some(Some(version)) = files.get(key)
            && files.contains_key(version)
        {
            out.push(
                Finding::new(
                    "ICE54",
                    Severity::Warning,
                    format!(
                        "Component '{name}' uses file '{key}' as its KeyPath, but the file's version is provided by the file '{version}'."
                    ),
                )
                .row("Component", c.key())
                .column("KeyPath"),
            );
        }
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

/// ICE59: an advertised shortcut's feature installs the shortcut's component.
pub(crate) fn ice59(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let features = features_of(ctx);
    for s in ctx.rows("Shortcut") {
        let (Some(name), Some(target), Some(comp)) =
            (s.str("Shortcut"), s.str("Target"), s.str("Component_"))
        else {
            continue;
        };
        if !advertised(ctx, target) {
            continue;
        }
        if !features.get(comp).is_some_and(|f| f.contains(target)) {
            out.push(
                Finding::new(
                    "ICE59",
                    Severity::Error,
                    format!(
                        "The shortcut {name} activates component {comp} and advertises feature {target}, but there is no mapping between {target} and {comp} in the FeatureComponents table."
                    ),
                )
                .row("Shortcut", s.key())
                .column("Target"),
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

/// The tables whose formatted columns ICE69 checks against the row's
/// Component_ ("ICE69": tables used during execution, the Verb, Extension
/// and AppId special cases aside).
const ICE69_TABLES: &[&str] = &[
    "IniFile",
    "RemoveIniFile",
    "Registry",
    "RemoveRegistry",
    "ServiceControl",
    "ServiceInstall",
    "Shortcut",
    "Class",
    "Environment",
];

/// ICE69: `[$component]` and `[#file]` in a row's formatted columns name
/// the row's own component.
pub(crate) fn ice69(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let features = features_of(ctx);
    let file_comp: HashMap<&str, &str> = ctx
        .rows("File")
        .iter()
        .filter_map(|r| Some((r.str("File")?, r.str("Component_")?)))
        .collect();
    let same_feature = |a: &str, b: &str| match (features.get(a), features.get(b)) {
        (Some(x), Some(y)) => !x.is_disjoint(y),
        _ => false,
    };
    for &t in ICE69_TABLES {
        let Some(table) = ctx.table(t) else { continue };
        let columns: Vec<&str> = table
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|c| {
                ctx.schema
                    .spec(t, c)
                    .and_then(|s| s.category.as_deref())
                    .is_some_and(|cat| matches!(cat, "Formatted" | "RegPath" | "Shortcut"))
            })
            .collect();
        for row in ctx.rows(t) {
            let Some(comp) = row.str("Component_") else {
                continue;
            };
            let entry = row.key().first().cloned().unwrap_or_default();
            for col in &columns {
                let Some(text) = row.str(col) else { continue };
                for r in formatted::references(text) {
                    let (other, what) = match r.kind {
                        RefKind::Component => (r.name, format!("component '{}'", r.name)),
                        RefKind::File => match file_comp.get(r.name) {
                            Some(&c) => (
                                c,
                                format!("file '{}' which belongs to component '{c}'", r.name),
                            ),
                            None => continue,
                        },
                        _ => continue,
                    };
                    if other == comp {
                        continue;
                    }
                    let (severity, tail) = if same_feature(comp, other) {
                        (Severity::Warning, "Components are in the same feature.")
                    } else {
                        (Severity::Error, "Components are not in the same feature.")
                    };
                    out.push(
                        Finding::new(
                            "ICE69",
                            severity,
                            format!(
                                "Mismatched component reference. Entry '{entry}' of the {t} table belongs to component '{comp}'. However, the formatted string in column '{col}' references {what}. {tail}"
                            ),
                        )
                        .row(t, row.key())
                        .column(col),
                    );
                }
            }
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
