//! Patches at install: the `.msp` patches applied to the package in memory right after its
//! transforms, before anything reads its tables ("Patching and Upgrades", "PATCH
//! property", "MSIPATCHREMOVE property", "Sequencing Patches", "Removing Patches").
//!
//! The patches of a run are those the product was patched with before (kept in the
//! product registry with a cached copy of each `.msp`), plus those `PATCH` names (`;`-
//! separated paths), less those `MSIPATCHREMOVE` names (patch codes or paths). They are
//! sequenced again from the original package at every run ([`package::patch::sequence`]:
//! minor-update patches that target the original product first, then by patch family),
//! and each is applied when sequencing keeps it: its transform pairs validated against
//! the product as patched so far, its cabinets added to the package as streams. A patch
//! `PATCH` names that does not apply ends the run with 1642
//! (`ERROR_PATCH_TARGET_NOT_FOUND`) before anything changed; one applied earlier that no
//! longer validates stays recorded as `inapplicable`.
//!
//! After a successful run the patches are recorded with the product ([`record`]), unless
//! the run removed the product.

use std::path::{Path, PathBuf};

use package::{Package, Patch, PatchState};

use crate::error::Result;
use crate::log::Log;
use crate::registry::Registry;
use crate::request::InstallRequest;

/// The patches of a run, to record with the product when it succeeds.
#[derive(Debug, Clone)]
pub(crate) struct PatchSet {
    product_code: String,
    /// In sequence order: each patch and its state (`inapplicable` when it no longer
    /// validates).
    patches: Vec<(Patch, &'static str)>,
}

impl PatchSet {
    /// The patches as PublishProduct registers them.
    pub(crate) fn registrations(&self) -> Vec<crate::actions::register::PatchRegistration> {
        self.patches
            .iter()
            .map(|(patch, state)| crate::actions::register::PatchRegistration::of(patch, state))
            .collect()
    }
}

fn prop(request: &InstallRequest, name: &str) -> Option<String> {
    request
        .property(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn list(value: &str) -> Vec<String> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Applies the run's patches to `package` (see the module documentation). `None` when the
/// product has no patches and the run asks for none.
pub(crate) fn apply(
    package: &mut Package,
    request: &InstallRequest,
    root: &Path,
    log: &mut Log,
) -> Result<Option<PatchSet>> {
    let asked = prop(request, "PATCH").map(|v| list(&v)).unwrap_or_default();
    let removed = prop(request, "MSIPATCHREMOVE")
        .map(|v| list(&v))
        .unwrap_or_default();
    let code = package.property("ProductCode").unwrap_or_default();
    let registry = Registry::for_root(root, request.layout)?;
    let kept = registry.patches(&code)?;
    if asked.is_empty() && removed.is_empty() && kept.is_empty() {
        return Ok(None);
    }
    let mut patches: Vec<(Patch, bool)> = Vec::new();
    for record in &kept {
        match Patch::open(&record.cached) {
            Ok(patch) => patches.push((patch, false)),
            // A cached copy that went missing or broke must not block the product's
            // maintenance and removal: the patch is no longer applied (nor recorded).
            Err(e) => log.engine(&format!(
                "Patch {} ({}) is not applied: its cached copy cannot be read: {e}",
                record.patch_code, record.name
            )),
        }
    }
    // MSIPATCHREMOVE: patch codes, or paths of .msp files whose code is taken.
    for r in &removed {
        let code_of = if r.starts_with('{') {
            r.to_ascii_uppercase()
        } else {
            Patch::open(PathBuf::from(r))?.code().to_string()
        };
        let Some(at) = patches
            .iter()
            .position(|(p, _)| p.code().eq_ignore_ascii_case(&code_of))
        else {
            return Err(package::Error::UnknownPatch {
                patch: r.clone(),
                product: code.clone(),
            }
            .into());
        };
        if !patches[at].0.allows_removal() {
            return Err(package::Error::PatchRemovalUnsupported { patch: code_of }.into());
        }
        log.engine(&format!(
            "Removing patch {code_of} ({}) from product {code}",
            patches[at].0.display_name()
        ));
        patches.remove(at);
    }
    for path in &asked {
        let patch = Patch::open(path)?;
        if !patch.targets(&code) {
            return Err(package::Error::PatchTargetNotFound {
                patch: path.clone(),
                target: code.clone(),
                reason: format!("it targets {}", patch.summary().targets.join(";")),
            }
            .into());
        }
        // Applying a patch again replaces its earlier copy.
        patches.retain(|(p, _)| !p.code().eq_ignore_ascii_case(patch.code()));
        patches.push((patch, true));
    }
    let refs: Vec<&Patch> = patches.iter().map(|(p, _)| p).collect();
    let order = package::patch::sequence(&refs, &code);
    let mut out = Vec::new();
    for (i, state) in order {
        let (patch, new) = &patches[i];
        let name = patch.display_name();
        let state = match state {
            PatchState::Applied => match patch.apply_to(package) {
                Ok(pairs) => {
                    log.engine(&format!(
                        "Applying patch {} ({name}, {}): transforms {}",
                        patch.code(),
                        patch.path().display(),
                        pairs.join(", ")
                    ));
                    PatchState::Applied.as_str()
                }
                Err(e @ package::Error::PatchTargetNotFound { .. }) if *new => {
                    log.engine(&format!("Patch {} does not apply: {e}", patch.code()));
                    return Err(e.into());
                }
                Err(package::Error::PatchTargetNotFound { reason, .. }) => {
                    log.engine(&format!(
                        "Patch {} ({name}) no longer applies: {reason}",
                        patch.code()
                    ));
                    "inapplicable"
                }
                Err(e) => return Err(e.into()),
            },
            other => {
                log.engine(&format!(
                    "Patch {} ({name}) is {}: not applied",
                    patch.code(),
                    other.as_str()
                ));
                other.as_str()
            }
        };
        out.push((patch.clone(), state));
    }
    if let Some(v) = package.property("ProductVersion") {
        log.engine(&format!(
            "Patches sequenced for product {code}; its version is now {v}"
        ));
    }
    Ok(Some(PatchSet {
        product_code: code,
        patches: out,
    }))
}

/// Records the run's patches with the product, when it is still installed.
pub(crate) fn record(root: &Path, request: &InstallRequest, set: &PatchSet) -> Result<()> {
    let mut registry = Registry::for_root(root, request.layout)?;
    if !registry.is_installed(&set.product_code)? {
        return Ok(());
    }
    let rows: Vec<(String, String, String, &[u8])> = set
        .patches
        .iter()
        .map(|(p, state)| {
            (
                p.code().to_string(),
                p.display_name(),
                state.to_string(),
                p.bytes(),
            )
        })
        .collect();
    registry.cache_patches(&set.product_code, &rows)
}
