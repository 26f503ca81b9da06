//! Rules over components: key paths (ICE02, ICE18, ICE38, ICE43, ICE54) and identity
//! (ICE08, ICE21, ICE22, ICE59), and what the component rules share. Where components put
//! things, the Media table, the registry rows of advertising and the references across
//! components have modules of their own (`placement`, `media`, `advertising`,
//! `references`).

use std::collections::{HashMap, HashSet};

use crate::context::{Ctx, Row};
use crate::finding::{Finding, Severity};

use super::placement::PROFILE_FOLDERS;

/// `msidbComponentAttributesRegistryKeyPath`.
pub(crate) const REGISTRY_KEY_PATH: i32 = 0x4;

pub(crate) fn component_rows<'p>(ctx: &Ctx<'p>) -> Vec<Row<'p>> {
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
pub(crate) fn features_of(ctx: &Ctx<'_>) -> HashMap<String, HashSet<String>> {
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
