//! Patching installed products: `msiexec /p PATCH.msp` (or `/update A.msp;B.msp`) and
//! `msiexec /uninstall PATCH|{PATCH-CODE} /package PKG|{PRODUCT}` ("Applying Small Updates
//! by Patching an Installed Product", "Uninstalling Patches", "Command-Line Options").
//!
//! As on Windows, applying a patch is a maintenance install of each installed product the
//! patch targets (its summary's Template): the product's package run again with
//! `PATCH=` the patches, `REINSTALL=ALL` and `REINSTALLMODE=omus`, so the files the patch
//! changes (by their version or hash) are reinstalled from its cabinets; the session
//! applies the patches in memory (see `patches`) and records them with the product. A
//! patch that targets no installed product ends with 1642
//! (`ERROR_PATCH_TARGET_NOT_FOUND`) and changes nothing. Removing one is the same
//! maintenance install with `MSIPATCHREMOVE=` its code: the product is patched again from
//! its original package without it.
//!
//! The product's package is its original source when it is still there (the patch's
//! unchanged files and, on removal, the original files come from it), else the copy
//! cached at install.

use std::path::{Path, PathBuf};

use package::Patch;

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::properties::UiLevel;
use crate::registry::{ProductRecord, Registry};
use crate::request::{InstallReport, InstallRequest};
use crate::session::install;
use crate::ui::InstallUi;
use crate::uninstall::UninstallTarget;

/// Everything `/p` (or `/update`) is asked to do (the fields as in [`InstallRequest`]).
#[derive(Debug, Clone)]
pub struct PatchRequest {
    /// The patches, in the order given.
    pub patches: Vec<PathBuf>,
    /// The target root the products were installed into.
    pub root: PathBuf,
    /// The layout they were installed with.
    pub layout: Layout,
    /// The UI level.
    pub ui_level: UiLevel,
    /// The verbose log file, if any.
    pub log: Option<PathBuf>,
    /// Append to the log instead of replacing it.
    pub log_append: bool,
    /// Command-line properties, in order (`PATCH`, `REINSTALL` and `REINSTALLMODE` are
    /// added after them).
    pub properties: Vec<(String, String)>,
    /// Whether executable custom actions may run.
    pub custom_actions: bool,
}

/// Everything `/uninstall PATCH` is asked to do.
#[derive(Debug, Clone)]
pub struct PatchRemovalRequest {
    /// The patches: `.msp` paths or patch codes.
    pub patches: Vec<String>,
    /// The product to remove them from (`/package`); `None`: every installed product the
    /// patches are applied to.
    pub product: Option<UninstallTarget>,
    /// The target root.
    pub root: PathBuf,
    /// The layout.
    pub layout: Layout,
    /// The UI level.
    pub ui_level: UiLevel,
    /// The verbose log file, if any.
    pub log: Option<PathBuf>,
    /// Append to the log instead of replacing it.
    pub log_append: bool,
    /// Command-line properties, in order.
    pub properties: Vec<(String, String)>,
    /// Whether executable custom actions may run.
    pub custom_actions: bool,
}

/// Applies patches to the installed products they target (see the module documentation).
pub fn patch(request: &PatchRequest, ui: &mut dyn InstallUi) -> InstallReport {
    let target = request
        .patches
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(";");
    let runs = match plan_patch(request) {
        Ok(runs) => runs,
        Err(e) => return early_end(&request.log, request.log_append, &target, request, e),
    };
    let mut patch_props = Vec::new();
    for (product, patches) in runs {
        let list: Vec<String> = patches.iter().map(|p| p.display().to_string()).collect();
        patch_props.push((product, list.join(";")));
    }
    run_each(
        request,
        patch_props,
        |list| vec![("PATCH".to_string(), list.to_string())],
        ui,
    )
}

/// Removes patches from the products they are applied to (see the module documentation).
pub fn remove_patches(request: &PatchRemovalRequest, ui: &mut dyn InstallUi) -> InstallReport {
    let base = PatchRequest {
        patches: Vec::new(),
        root: request.root.clone(),
        layout: request.layout,
        ui_level: request.ui_level,
        log: request.log.clone(),
        log_append: request.log_append,
        properties: request.properties.clone(),
        custom_actions: request.custom_actions,
    };
    let target = request.patches.join(";");
    let runs = match plan_removal(request) {
        Ok(runs) => runs,
        Err(e) => return early_end(&request.log, request.log_append, &target, &base, e),
    };
    run_each(
        &base,
        runs,
        |codes| vec![("MSIPATCHREMOVE".to_string(), codes.to_string())],
        ui,
    )
}

/// Runs the maintenance install of each product in turn; the first failure ends it.
fn run_each(
    request: &PatchRequest,
    runs: Vec<(ProductRecord, String)>,
    props: impl Fn(&str) -> Vec<(String, String)>,
    ui: &mut dyn InstallUi,
) -> InstallReport {
    let mut last = None;
    let mut reboot = false;
    for (i, (product, value)) in runs.into_iter().enumerate() {
        let mut properties = request.properties.clone();
        properties.extend(props(&value));
        properties.push(("REINSTALL".to_string(), "ALL".to_string()));
        properties.push(("REINSTALLMODE".to_string(), "omus".to_string()));
        let install_request = InstallRequest {
            package: source_of(&product),
            root: request.root.clone(),
            layout: request.layout,
            ui_level: request.ui_level,
            log: request.log.clone(),
            log_append: request.log_append || i > 0,
            properties,
            custom_actions: request.custom_actions,
        };
        let report = install(&install_request, ui);
        match report.code() {
            0 => {}
            3010 => reboot = true,
            _ => return report,
        }
        last = Some(report);
    }
    match last {
        Some(mut report) => {
            if reboot && report.code() == 0 {
                report.result = Ok(crate::error::Outcome::RebootRequired);
            }
            report
        }
        None => InstallReport {
            result: Err(Error::failure("no product to run")),
            apps_left_running: Vec::new(),
            log_error: None,
        },
    }
}

/// The product's package: its original source when still there, else the cached copy.
fn source_of(product: &ProductRecord) -> PathBuf {
    let is_file = |p: &Path| fs_err::symlink_metadata(p).is_ok_and(|m| m.is_file());
    if is_file(&product.package_path) {
        product.package_path.clone()
    } else {
        product
            .cached_package
            .clone()
            .filter(|p| is_file(p))
            .unwrap_or_else(|| product.package_path.clone())
    }
}

/// The installed products of `root` (a Wine prefix's are in its `drive_c`), and the root
/// their registry is under.
fn installed(root: &Path, layout: Layout) -> Result<(PathBuf, Vec<ProductRecord>)> {
    // A root that does not exist has nothing installed (and is not created).
    let Ok(root) = fs_err::canonicalize(root) else {
        return Ok((root.to_path_buf(), Vec::new()));
    };
    let root = layout.files_root(&root);
    let registry = Registry::for_root(&root, layout)?;
    let products = registry.products()?;
    Ok((root, products))
}

/// Each installed product a patch targets, with those patches (absolute paths).
fn plan_patch(request: &PatchRequest) -> Result<Vec<(ProductRecord, Vec<PathBuf>)>> {
    if request.patches.is_empty() {
        return Err(Error::InvalidCommandLine {
            message: "no patch given".into(),
        });
    }
    let mut patches = Vec::new();
    for path in &request.patches {
        let patch = Patch::open(path)?;
        patches.push(patch);
    }
    let (_, products) = installed(&request.root, request.layout)?;
    let mut runs = Vec::new();
    for product in products {
        let mine: Vec<PathBuf> = patches
            .iter()
            .filter(|p| p.targets(&product.product_code))
            .map(|p| p.path().to_path_buf())
            .collect();
        if !mine.is_empty() {
            runs.push((product, mine));
        }
    }
    if runs.is_empty() {
        return Err(package::Error::PatchTargetNotFound {
            patch: request
                .patches
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(";"),
            target: "any installed product".into(),
            reason: format!(
                "they target {}",
                patches
                    .iter()
                    .flat_map(|p| p.summary().targets.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(";")
            ),
        }
        .into());
    }
    Ok(runs)
}

/// Each product to remove patches from, with their codes (`;`-separated).
fn plan_removal(request: &PatchRemovalRequest) -> Result<Vec<(ProductRecord, String)>> {
    let mut codes = Vec::new();
    for p in &request.patches {
        if p.trim().starts_with('{') {
            codes.push(p.trim().to_ascii_uppercase());
        } else {
            codes.push(Patch::open(p)?.code().to_string());
        }
    }
    if codes.is_empty() {
        return Err(Error::InvalidCommandLine {
            message: "no patch given".into(),
        });
    }
    let (root, products) = installed(&request.root, request.layout)?;
    let wanted: Option<String> = match &request.product {
        None => None,
        Some(UninstallTarget::ProductCode(code)) => Some(code.trim().to_string()),
        Some(UninstallTarget::Package(path)) => Some(
            package::Package::open(path)?
                .property("ProductCode")
                .unwrap_or_default(),
        ),
    };
    if let Some(code) = &wanted
        && !products
            .iter()
            .any(|p| p.product_code.eq_ignore_ascii_case(code))
    {
        return Err(Error::UnknownProduct {
            product_code: code.clone(),
        });
    }
    let registry = Registry::for_root(&root, request.layout)?;
    let mut runs = Vec::new();
    for product in products {
        if wanted
            .as_ref()
            .is_some_and(|w| !w.eq_ignore_ascii_case(&product.product_code))
        {
            continue;
        }
        let applied = registry.patches(&product.product_code)?;
        let mine: Vec<&String> = codes
            .iter()
            .filter(|c| applied.iter().any(|a| a.patch_code.eq_ignore_ascii_case(c)))
            .collect();
        if wanted.is_some() && mine.len() != codes.len() {
            let missing = codes
                .iter()
                .find(|c| !mine.contains(c))
                .cloned()
                .unwrap_or_default();
            return Err(package::Error::UnknownPatch {
                patch: missing,
                product: product.product_code.clone(),
            }
            .into());
        }
        if !mine.is_empty() {
            let list = mine
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(";");
            runs.push((product, list));
        }
    }
    if runs.is_empty() {
        return Err(package::Error::UnknownPatch {
            patch: codes.join(";"),
            product: wanted.unwrap_or_else(|| "any installed product".into()),
        }
        .into());
    }
    Ok(runs)
}

/// A run that ends before a session starts: the log still says so.
fn early_end(
    log: &Option<PathBuf>,
    append: bool,
    target: &str,
    request: &PatchRequest,
    err: Error,
) -> InstallReport {
    let what = format!(
        "Patch: {target}; Root: {}; Layout: {}; UI level: {}",
        request.root.display(),
        request.layout,
        request.ui_level.value()
    );
    InstallReport::early_logged(log.as_deref(), append, &what, err)
}
