//! LaunchConditions, AppSearch and FindRelatedProducts: the actions that look before they
//! change anything ("LaunchConditions action", "AppSearch action", "FindRelatedProducts
//! action").

use std::path::{Path, PathBuf};

use msi_expr::ConditionResult;

use crate::error::Error;
use crate::sequence::ActionResult;
use crate::session::Session;

/// LaunchConditions: every row must be true; the first false one ends the install with its
/// formatted description.
pub(crate) fn launch_conditions(s: &mut Session<'_, '_>) -> ActionResult {
    let rows = match s.package.launch_conditions() {
        Ok(r) => r,
        Err(e) => return s.fail(e),
    };
    for row in rows {
        match s.ctx.condition(&row.condition) {
            ConditionResult::True | ConditionResult::None => {}
            result => {
                let description = s.format(&row.description);
                s.log.engine(&format!(
                    "Launch condition '{}' is {}: {description}",
                    row.condition,
                    if result == ConditionResult::False {
                        "false"
                    } else {
                        "not a valid condition"
                    }
                ));
                s.log.line(&description);
                return s.fail(Error::LaunchCondition { description });
            }
        }
    }
    ActionResult::Success
}

/// AppSearch: file-system searches (DrLocator, Signature) and registry searches
/// (RegLocator, see `reg_search`). .ini and component searches find nothing on this
/// platform; the log says so for each.
pub(crate) fn app_search(s: &mut Session<'_, '_>) -> ActionResult {
    let (searches, signatures, locators, others) = match (
        s.package.app_search(),
        s.package.signatures(),
        s.package.dr_locators(),
        s.package.other_locators(),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => return s.fail(e),
    };
    for search in searches {
        if s.prop(&search.property).is_some() {
            // A property already set (command line) keeps its value.
            continue;
        }
        let found = find_signature(s, &search.signature, &signatures, &locators, &others);
        s.log.engine(&format!(
            "AppSearch: Property: {}, Signature: {}{}",
            search.property,
            search.signature,
            if found.is_some() { "" } else { " (not found)" }
        ));
        if let Some(value) = found {
            // A file or folder found under the root, as the target names it (`C:\...` in a
            // Wine prefix).
            let value = s.ctx.target_text(&value);
            s.set_prop(&search.property, &value);
        }
    }
    ActionResult::Success
}

/// What AppSearch finds for `signature`: a folder or file (DrLocator, Signature), or a
/// registry value (RegLocator); the other locator tables are logged as finding nothing.
fn find_signature(
    s: &mut Session<'_, '_>,
    signature: &str,
    signatures: &[crate::tables::appsearch::SignatureRow],
    locators: &[crate::tables::appsearch::DrLocatorRow],
    others: &[crate::tables::appsearch::OtherLocatorRow],
) -> Option<String> {
    let sig = signatures.iter().find(|r| r.signature == signature);
    let mut found = None;
    for loc in locators.iter().filter(|l| l.signature == signature) {
        if let Some(dir) = locate_dir(s, locators, loc, 0) {
            found = match sig {
                None => Some(folder_text(&dir)),
                Some(sig) => find_file(
                    &dir,
                    &sig.file_name,
                    loc.depth.unwrap_or(0),
                    sig.min_size,
                    sig.max_size,
                )
                .map(|p| p.display().to_string()),
            };
        }
        if found.is_some() {
            break;
        }
    }
    if found.is_none() && super::reg_search::has_locator(s, signature) {
        found = super::reg_search::find(s, signature, sig);
    }
    if found.is_none() {
        found = super::ini_files::locate(
            s,
            signature,
            sig.map(|g| (g.file_name.as_str(), g.min_size, g.max_size)),
        );
    }
    if found.is_none() {
        for o in others.iter().filter(|o| {
            o.signature == signature && o.table != "RegLocator" && o.table != "IniLocator"
        }) {
            s.log.engine(&format!(
                "AppSearch: {} search for signature {} finds nothing on this platform.",
                o.table, signature
            ));
        }
    }
    found
}

/// CCPSearch ("CCPSearch action", "CCPSearch table"): each signature of the CCPSearch table
/// is searched as AppSearch searches it; the first one found sets `CCP_Success` to 1.
pub(crate) fn ccp_search(s: &mut Session<'_, '_>) -> ActionResult {
    let signatures_to_find: Vec<String> = s
        .package
        .table("CCPSearch")
        .map(|t| {
            let i = t.column_index("Signature_").unwrap_or(0);
            t.rows
                .iter()
                .filter_map(|r| match r.get(i) {
                    Some(crate::tables::Value::Str(v)) => Some(v.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let (signatures, locators, others) = match (
        s.package.signatures(),
        s.package.dr_locators(),
        s.package.other_locators(),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return s.fail(e),
    };
    for signature in signatures_to_find {
        if find_signature(s, &signature, &signatures, &locators, &others).is_some() {
            s.log
                .engine(&format!("CCPSearch: found signature {signature}."));
            s.set_prop("CCP_Success", "1");
            break;
        }
    }
    ActionResult::Success
}

/// The folder a DrLocator row names, under the root, if it exists.
fn locate_dir(
    s: &Session<'_, '_>,
    all: &[crate::tables::appsearch::DrLocatorRow],
    loc: &crate::tables::appsearch::DrLocatorRow,
    depth: usize,
) -> Option<PathBuf> {
    if depth > 16 {
        return None;
    }
    let base = match loc.parent.as_deref() {
        Some(parent) => {
            let p = all.iter().find(|l| l.signature == parent)?;
            Some(locate_dir(s, all, p, depth + 1)?)
        }
        None => None,
    };
    let path = s.format(loc.path.as_deref().unwrap_or(""));
    let path = path.replace('\\', "/");
    let full = match (base, path.is_empty()) {
        (Some(b), true) => b,
        (Some(b), false) => b.join(path.trim_start_matches('/')),
        (None, true) => return None,
        (None, false) => {
            let p = PathBuf::from(&path);
            if p.starts_with(&s.root) {
                p
            } else {
                // A Windows path (C:/...) or a Linux one: looked up under the root.
                let stripped = path
                    .split_once(":/")
                    .map_or(path.as_str(), |(_, rest)| rest)
                    .trim_start_matches('/');
                s.root.join(stripped)
            }
        }
    };
    let rel = s.rel(&full).ok()?;
    let st = s.lock.lstat(&rel)?;
    (rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory)
        .then_some(full)
}

fn folder_text(p: &Path) -> String {
    let mut t = p.display().to_string();
    if !t.ends_with('/') {
        t.push('/');
    }
    t
}

/// Finds `short|long` in `dir` or (down to `depth` levels) below it.
fn find_file(
    dir: &Path,
    name: &str,
    depth: i32,
    min: Option<i32>,
    max: Option<i32>,
) -> Option<PathBuf> {
    let long = name.rsplit('|').next().unwrap_or(name);
    let entries = fs_err::read_dir(dir).ok()?;
    let mut subdirs = Vec::new();
    for e in entries.flatten() {
        let ft = e.file_type().ok()?;
        let n = e.file_name().to_string_lossy().into_owned();
        if ft.is_file() && n.eq_ignore_ascii_case(long) {
            let size = e.metadata().ok()?.len() as i64;
            if min.is_none_or(|m| size >= i64::from(m)) && max.is_none_or(|m| size <= i64::from(m))
            {
                return Some(e.path());
            }
        } else if ft.is_dir() {
            subdirs.push(e.path());
        }
    }
    if depth > 0 {
        subdirs.sort();
        for d in subdirs {
            if let Some(p) = find_file(&d, name, depth - 1, min, max) {
                return Some(p);
            }
        }
    }
    None
}

/// FindRelatedProducts: for each Upgrade row, the products this root's registry holds of
/// that family (version and language within the row's bounds) are appended to the row's
/// `ActionProperty` (`;`-separated). It runs only on a first installation.
pub(crate) fn find_related_products(s: &mut Session<'_, '_>) -> ActionResult {
    if s.prop("Installed").is_some() {
        s.log
            .engine("FindRelatedProducts: the product is installed; nothing to find.");
        return ActionResult::Success;
    }
    let rows = match s.package.upgrades() {
        Ok(r) => r,
        Err(e) => return s.fail(e),
    };
    let found = match s.ctx.related_products(&rows) {
        Ok(f) => f,
        Err(e) => return s.fail(e),
    };
    for (property, product) in found {
        s.log.engine(&format!(
            "FindRelatedProducts: Found application: {product} (into {property})"
        ));
        let value = match s.prop(&property) {
            Some(old) if old.split(';').any(|p| p == product) => continue,
            Some(old) => format!("{old};{product}"),
            None => product,
        };
        s.set_prop(&property, &value);
    }
    ActionResult::Success
}
