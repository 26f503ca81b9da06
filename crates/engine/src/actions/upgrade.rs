//! RemoveExistingProducts: a major upgrade removes the products FindRelatedProducts found
//! ("RemoveExistingProducts action").
//!
//! For each Upgrade row without `OnlyDetect`, every product code in its `ActionProperty`
//! is removed by an installation of its own, as Windows runs a concurrent one: the
//! product's cached package, `REMOVE` set to the row's formatted `Remove` column (`ALL`
//! when it is null; nothing is removed when it formats to empty) and
//! `UPGRADINGPRODUCTCODE` set to the upgrading product's code (packages condition their
//! uninstall-only custom actions on it). It shares this install's root lock, UI and log.
//!
//! Removed before this install changes anything, the old product goes whole and this
//! install is costed again, so that it puts back what it shares with it (Windows recopies
//! those files too). Removed later, the files this install puts or keeps at the same paths
//! stay: they are the new product's (Windows gets there by component reference counts),
//! which also takes over the old product's folders that still hold something. A removal
//! that fails ends the install with error 1714, unless the row has `IgnoreRemoveFailure`.
//!
//! Where it runs follows the documented placements. Between InstallValidate and
//! InstallInitialize, each removal is a transaction of its own, committed before this install
//! changes anything. Inside this install's transaction (right after InstallInitialize, or
//! after InstallExecute), the removal works in this install's stage: if it fails, or this
//! install fails later, both are rolled back. After InstallFinalize (or wherever this
//! install's script still has operations to run), it runs once this install is committed,
//! and a failure rolls back the removal alone. A row with `IgnoreRemoveFailure` never shares
//! the transaction (its failure must not undo this install).

use std::collections::{BTreeMap, HashSet};

use msi_expr::InstallState;
use std::path::PathBuf;

use crate::error::Error;
use crate::registry::ProductRecord;
use crate::request::InstallRequest;
use crate::sequence::ActionResult;
use crate::session::{Session, Upgrading};
use crate::tables::upgrade::{ATTR_IGNORE_REMOVE_FAILURE, ATTR_MIGRATE_FEATURES, ATTR_ONLY_DETECT};
use package::Package;

/// A related product to remove.
#[derive(Debug, Clone)]
pub(crate) struct Removal {
    /// Its product code.
    pub(crate) product_code: String,
    /// The `REMOVE` value of its removal.
    pub(crate) remove: String,
    /// `IgnoreRemoveFailure`: a failed removal does not fail the install.
    pub(crate) ignore_failure: bool,
}

/// RemoveExistingProducts.
pub(crate) fn run(s: &mut Session<'_, '_>) -> ActionResult {
    if s.prop("Installed").is_some() {
        s.log.engine(
            "RemoveExistingProducts: the product is installed (maintenance or removal); nothing to remove.",
        );
        return ActionResult::Success;
    }
    let rows = match s.package.upgrades() {
        Ok(rows) => rows,
        Err(e) => return s.fail(e),
    };
    let mut removals: Vec<Removal> = Vec::new();
    for row in rows.iter().filter(|r| r.attributes & ATTR_ONLY_DETECT == 0) {
        let Some(found) = s.prop(&row.action_property) else {
            continue;
        };
        let remove = match &row.remove {
            Some(r) => s.format(r),
            None => "ALL".to_string(),
        };
        if remove.is_empty() {
            s.log.engine(&format!(
                "RemoveExistingProducts: the Remove column of the row for {} formats to nothing; {found} stays.",
                row.action_property
            ));
            continue;
        }
        for code in found.split(';').map(str::trim).filter(|c| !c.is_empty()) {
            if !removals
                .iter()
                .any(|r| r.product_code.eq_ignore_ascii_case(code))
            {
                removals.push(Removal {
                    product_code: code.to_string(),
                    remove: remove.clone(),
                    ignore_failure: row.attributes & ATTR_IGNORE_REMOVE_FAILURE != 0,
                });
            }
        }
    }
    if removals.is_empty() {
        return ActionResult::Success;
    }
    // Inside this install's transaction (between InstallInitialize and InstallFinalize),
    // at a point where its script has run (right after InstallInitialize or InstallExecute,
    // the documented places), a removal shares it: if either fails, both are rolled back.
    // A removal whose failure is to be ignored cannot share it (its rollback would take
    // this install's changes with it), nor run on its own while this install has changes
    // staged; nor can any removal where this install's script has operations yet to run:
    // those wait for the commit.
    let script_run = s.script_is_empty() && s.stage.as_ref().is_none_or(|st| st.pending() == 0);
    let shared = s.in_transaction() && script_run;
    let (now, waiting): (Vec<Removal>, Vec<Removal>) = if shared {
        removals.into_iter().partition(|r| !r.ignore_failure)
    } else if s.in_transaction() || s.stage.is_some() {
        (Vec::new(), removals)
    } else {
        (removals, Vec::new())
    };
    let placement = if shared {
        Placement::Shared
    } else {
        Placement::Early
    };
    for r in &now {
        if let Err(e) = remove(s, r, placement) {
            return s.fail(e);
        }
    }
    if placement == Placement::Early && !now.is_empty() {
        // The old product is gone whole, the files this install had found in place with
        // it: cost again, so that they are installed anew (Windows recopies them too).
        let r = super::cost_finalize(s);
        if r.stops() {
            return r;
        }
    }
    if !waiting.is_empty() {
        // The old products go once this install is committed; what this product takes
        // over from them is recorded with it now.
        let protected = s.ctx.planned_targets();
        for r in &waiting {
            s.log.engine(&format!(
                "RemoveExistingProducts: {} is removed once this installation is committed.",
                r.product_code
            ));
            match s.ctx.installed_product(&r.product_code) {
                Ok(Some(record)) => adopt(s, &record, &protected),
                Ok(None) => {}
                Err(e) => return s.fail(e),
            }
        }
        s.remove_after_commit(waiting);
    }
    ActionResult::Success
}

/// Where a removal runs, as RemoveExistingProducts' place in the sequence decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Before this install changes anything: a transaction of its own, removing the old
    /// product whole.
    Early,
    /// Inside this install's transaction, in its stage: the files this install puts or
    /// keeps at the same paths stay (the new product's, as component reference counts keep
    /// them on Windows).
    Shared,
    /// After this install was committed: a transaction of its own; this install's files
    /// stay.
    AfterCommit,
}

/// Removes one related product, with an installation of its own in this root (see
/// [`Placement`]); a failure is an error unless the row ignores it.
pub(crate) fn remove(
    s: &mut Session<'_, '_>,
    removal: &Removal,
    placement: Placement,
) -> Result<(), Error> {
    let shared = placement == Placement::Shared;
    let code = &removal.product_code;
    let record = s.ctx.installed_product(code)?;
    let Some(record) = record else {
        s.log.engine(&format!(
            "RemoveExistingProducts: {code} is not installed in this root any more."
        ));
        return Ok(());
    };
    let package = record
        .cached_package
        .clone()
        .filter(|p| fs_err::symlink_metadata(p).is_ok_and(|m| m.is_file()))
        .unwrap_or_else(|| record.package_path.clone());
    // What this install puts (or keeps) in place stays: it is the new product's. Removed
    // early, the old product goes whole, and this install puts its files back.
    let protected: HashSet<PathBuf> = match placement {
        Placement::Early => HashSet::new(),
        Placement::Shared | Placement::AfterCommit => s.ctx.planned_targets(),
    };
    s.log.engine(&format!(
        "RemoveExistingProducts: removing {code} ({}) with REMOVE={} from {}",
        record.name,
        removal.remove,
        package.display()
    ));
    let mut properties = vec![
        ("REMOVE".to_string(), removal.remove.clone()),
        (
            "UPGRADINGPRODUCTCODE".to_string(),
            s.prop("ProductCode").unwrap_or_default(),
        ),
    ];
    // The removal's own Restart Manager session follows this one's settings.
    for name in [
        "MSIRESTARTMANAGERCONTROL",
        "MSIRMSHUTDOWN",
        "MSIDISABLERMRESTART",
    ] {
        if let Some(v) = s.prop(name) {
            properties.push((name.to_string(), v));
        }
    }
    // The old product as it was installed: with its transforms.
    let kept = s.ctx.kept_transforms(code)?;
    if !kept.is_empty() {
        let list: Vec<String> = kept.iter().map(|(_, p)| p.display().to_string()).collect();
        properties.push(("TRANSFORMS".to_string(), format!("|{}", list.join(";"))));
    }
    let request = InstallRequest {
        package: package.clone(),
        root: s.request.root.clone(),
        layout: s.request.layout,
        ui_level: s.request.ui_level,
        log: None,
        log_append: false,
        properties,
        custom_actions: s.request.custom_actions,
    };
    let opened = Package::open(&package)
        .map_err(Error::from)
        .and_then(|mut pkg| {
            crate::transforms::apply(&mut pkg, &request, &s.root, s.log).map(|()| pkg)
        });
    let outcome = match opened {
        Ok(pkg) => {
            let root = s.root.clone();
            // Inside this install's transaction, the removal works in its stage, which it
            // leaves uncommitted (or gone: rolled back with a failure).
            let upgrading = Upgrading {
                protected: protected.clone(),
                stage: shared.then_some(&mut *s.stage),
            };
            match Session::nested(
                &request,
                &mut *s.ui,
                s.lock,
                root,
                pkg,
                &mut *s.log,
                upgrading,
            ) {
                Ok(mut nested) => nested.run(),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(outcome) => {
            if outcome == crate::error::Outcome::RebootRequired {
                s.require_restart();
            }
            if placement != Placement::Early {
                adopt(s, &record, &protected);
            }
            s.log
                .engine(&format!("RemoveExistingProducts: {code} was removed."));
            Ok(())
        }
        // A cancel (Ctrl-C, SIGTERM, the UI) during the removal cancels the whole install:
        // it is no failure to remove the old version (1714), and it ends with 1602.
        Err(Error::UserExit) => {
            s.log.engine(&format!(
                "RemoveExistingProducts: the removal of {code} was cancelled."
            ));
            Err(Error::UserExit)
        }
        Err(e) if removal.ignore_failure => {
            s.log.engine(&format!(
                "RemoveExistingProducts: {code} could not be removed ({e}); the Upgrade row ignores the failure (IgnoreRemoveFailure)."
            ));
            Ok(())
        }
        Err(e) => {
            s.log.line(&format!(
                "Error 1714. The older version of {} cannot be removed. Contact your technical support group. System Error {}.",
                record.name,
                e.code()
            ));
            Err(Error::failure_from(
                format!(
                    "the older version {code} ({}) could not be removed: {e} (error 1714)",
                    record.name
                ),
                e,
            ))
        }
    }
}

/// The old product's files the upgrade keeps, and its folders that still exist, become the
/// new product's: its uninstall removes them (only empty folders, as always).
fn adopt(s: &mut Session<'_, '_>, record: &ProductRecord, protected: &HashSet<PathBuf>) {
    let kept: Vec<PathBuf> = record
        .files
        .iter()
        .map(|(_, p)| p.clone())
        .filter(|p| protected.contains(p))
        .collect();
    let folders: Vec<PathBuf> = record
        .folders
        .iter()
        .filter(|f| fs_err::symlink_metadata(f).is_ok_and(|m| m.is_dir()))
        .cloned()
        .collect();
    s.ctx.adopt(kept, folders);
}

/// MigrateFeatureStates ("MigrateFeatureStates action"): on a first installation that no feature
/// request preselected, the features this package shares by name with the products its Upgrade
/// rows with `MigrateFeatures` found take their state there: installed (`Local`) or not
/// (`Absent`, for a feature the old package has). `None` when there is nothing to carry
/// over; otherwise the states, for costing again.
pub(crate) fn migrated_states(
    s: &mut Session<'_, '_>,
) -> Result<Option<BTreeMap<String, InstallState>>, Error> {
    let requested = crate::properties::STATE_REQUEST_PROPERTIES
        .iter()
        .any(|p| s.prop(p).is_some());
    if s.prop("Installed").is_some() || s.prop("Preselected").is_some() || requested {
        return Ok(None);
    }
    let rows = s.package.upgrades()?;
    let mine: HashSet<String> = s
        .package
        .features()?
        .into_iter()
        .map(|f| f.feature)
        .collect();
    let mut states: BTreeMap<String, InstallState> = BTreeMap::new();
    for row in rows
        .iter()
        .filter(|r| r.attributes & ATTR_MIGRATE_FEATURES != 0)
    {
        let Some(found) = s.prop(&row.action_property) else {
            continue;
        };
        for code in found.split(';').map(str::trim).filter(|c| !c.is_empty()) {
            let Some(record) = s.ctx.installed_product(code)? else {
                continue;
            };
            // The record lists the features installed; the old package (its cached copy)
            // tells which it had.
            let old_features: Vec<String> = record
                .cached_package
                .as_deref()
                .and_then(|p| Package::open(p).ok())
                .and_then(|p| p.features().ok())
                .map(|fs| fs.into_iter().map(|f| f.feature).collect())
                .unwrap_or_default();
            for f in old_features {
                states.entry(f).or_insert(InstallState::Absent);
            }
            for f in &record.features {
                states.insert(f.clone(), InstallState::Local);
            }
        }
    }
    states.retain(|f, _| mine.contains(f));
    if states.is_empty() {
        return Ok(None);
    }
    for (feature, state) in &states {
        s.log.engine(&format!(
            "MigrateFeatureStates: based on existing product, setting feature '{feature}' to '{}' state.",
            crate::cost::state_word(*state)
        ));
    }
    Ok(Some(states))
}
