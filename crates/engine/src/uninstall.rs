//! Uninstall: `msiexec /x PKG.msi` or `msiexec /x {ProductCode}` ("Command-Line Options", "REMOVE
//! property").
//!
//! On Windows an uninstall is no separate machine: it is the INSTALL top-level action run
//! again on an installed product with `REMOVE=ALL` (Wine's msiexec appends exactly that
//! property). [`uninstall`] does the same: it finds the product in the root's
//! [registry](crate::Registry) — by its product code, or by the package's `ProductCode` —,
//! picks the package (the copy cached at install time, for a product code), and runs
//! [`crate::install`] with `REMOVE=ALL` after the caller's properties. A product
//! that is not installed in the root is `ERROR_UNKNOWN_PRODUCT` (1605), logged like any
//! other end.
//!
//! The rest happens where an install does its work: costing sees the product installed
//! (`Installed` set) and `REMOVE=ALL` makes every feature and component absent;
//! InstallValidate registers the files to remove with the Restart Manager session;
//! RemoveFiles stages the removal of the files the product recorded (never others);
//! InstallFinalize adds the removal of the folders the product's installs created (each
//! only if empty), then runs the script; the session unregisters the product when the
//! script succeeded, and when no product is left, the registry's own files and state
//! folders go too ([`tidy_state`]). A failure anywhere rolls everything back: removed
//! files and folders come back and the product stays registered.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::properties::UiLevel;
use crate::registry::Registry;
use crate::request::{InstallReport, InstallRequest};
use crate::ui::InstallUi;
use package::Package;

/// What to uninstall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UninstallTarget {
    /// A package file: the product named by its `ProductCode`.
    Package(PathBuf),
    /// A product code (`{GUID}`), matched without regard to case.
    ProductCode(String),
}

/// Everything an uninstall is asked to do (the fields as in [`InstallRequest`]).
#[derive(Debug, Clone)]
pub struct UninstallRequest {
    /// The product to remove.
    pub target: UninstallTarget,
    /// The target root the product was installed into.
    pub root: PathBuf,
    /// The layout it was installed with (it says where the registry is).
    pub layout: Layout,
    /// The UI level.
    pub ui_level: UiLevel,
    /// The verbose log file, if any.
    pub log: Option<PathBuf>,
    /// Append to the log instead of replacing it.
    pub log_append: bool,
    /// Command-line properties, in order (`REMOVE=ALL` is added after them).
    pub properties: Vec<(String, String)>,
    /// Whether executable custom actions may run.
    pub custom_actions: bool,
}

/// Removes an installed product from a root (see the module documentation).
///
/// ```
/// use engine::{InstallRequest, Layout, NoUi, UiLevel, UninstallRequest, UninstallTarget};
///
/// let root = tempfile::tempdir().unwrap();
/// // Keep the example away from the user's Restart Manager sessions.
/// let quiet = vec![("MSIRESTARTMANAGERCONTROL".to_string(), "Disable".to_string())];
/// let install = InstallRequest {
///     package: "../../examples/hello/hello.msi".into(),
///     root: root.path().to_path_buf(),
///     layout: Layout::Fhs,
///     ui_level: UiLevel::None,
///     log: None,
///     log_append: false,
///     properties: quiet.clone(),
///     custom_actions: true,
/// };
/// assert_eq!(engine::install(&install, &mut NoUi).code(), 0);
/// let remove = UninstallRequest {
///     target: UninstallTarget::ProductCode("{0D4F6B50-5E6F-4071-8233-4E5F60718291}".into()),
///     root: root.path().to_path_buf(),
///     layout: Layout::Fhs,
///     ui_level: UiLevel::None,
///     log: None,
///     log_append: false,
///     properties: quiet,
///     custom_actions: true,
/// };
/// assert_eq!(engine::uninstall(&remove, &mut NoUi).code(), 0);
/// assert_eq!(fs_err::read_dir(root.path()).unwrap().count(), 0);
/// // Not installed any more.
/// assert_eq!(engine::uninstall(&remove, &mut NoUi).name(), "ERROR_UNKNOWN_PRODUCT");
/// ```
pub fn uninstall(request: &UninstallRequest, ui: &mut dyn InstallUi) -> InstallReport {
    if let UninstallTarget::Package(path) = &request.target
        && let Err(e) = crate::session::refuse_special_file(path)
    {
        return InstallReport::early(e);
    }
    let asked = match &request.target {
        UninstallTarget::ProductCode(code) => code.clone(),
        UninstallTarget::Package(path) => path.display().to_string(),
    };
    if request.layout == crate::layout::Layout::Wine
        && let Err(e) = crate::wine::check_prefix(&request.root)
    {
        return early_end(request, e);
    }
    // A root that does not exist has nothing installed (and is not created).
    if fs_err::canonicalize(&request.root).is_err() {
        let err = Error::UnknownProduct {
            product_code: asked,
        };
        return early_end(request, err);
    }
    // The registry is read under the root's lock, after the recovery of an interrupted
    // run: read before, it may show what a killed uninstall had half-removed.
    let base = InstallRequest {
        package: PathBuf::from(asked),
        root: request.root.clone(),
        layout: request.layout,
        ui_level: request.ui_level,
        log: request.log.clone(),
        log_append: request.log_append,
        properties: request.properties.clone(),
        custom_actions: request.custom_actions,
    };
    crate::session::run_entry(&base, ui, Some(&|root: &Path| resolve(request, root)))
}

/// The install request that removes the product: its package and `REMOVE=ALL` (`root` is
/// the locked root, made absolute).
fn resolve(request: &UninstallRequest, root: &Path) -> Result<InstallRequest> {
    let unknown = |code: &str| Error::UnknownProduct {
        product_code: code.to_string(),
    };
    let asked = match &request.target {
        UninstallTarget::ProductCode(code) => code.clone(),
        UninstallTarget::Package(path) => Package::open(path)?
            .property("ProductCode")
            .unwrap_or_default(),
    };
    let registry = Registry::for_root(root, request.layout)?;
    let product = registry
        .products()?
        .into_iter()
        .find(|p| !asked.is_empty() && p.product_code.eq_ignore_ascii_case(asked.trim()))
        .ok_or_else(|| unknown(&asked))?;
    let package = match &request.target {
        UninstallTarget::Package(path) => path.clone(),
        UninstallTarget::ProductCode(_) => product
            .cached_package
            .filter(|p| fs_err::symlink_metadata(p).is_ok_and(|m| m.is_file()))
            .unwrap_or(product.package_path),
    };
    let mut properties = request.properties.clone();
    // The transforms the product was installed with (an instance transform's product
    // code is not the cached package's): full paths to the kept copies.
    let kept = registry.transforms(&product.product_code)?;
    if !kept.is_empty() && !properties.iter().any(|(n, _)| n == "TRANSFORMS") {
        let list: Vec<String> = kept
            .iter()
            .map(|(_, path)| path.display().to_string())
            .collect();
        properties.push(("TRANSFORMS".to_string(), format!("|{}", list.join(";"))));
    }
    properties.push(("REMOVE".to_string(), "ALL".to_string()));
    Ok(InstallRequest {
        package,
        root: request.root.clone(),
        layout: request.layout,
        ui_level: request.ui_level,
        log: request.log.clone(),
        log_append: request.log_append,
        properties,
        custom_actions: request.custom_actions,
    })
}

/// An uninstall that ends before a session starts (1605, 1619, 1620, an unsafe state
/// folder): the log still says so and ends with `MainEngineThread is returning N`.
fn early_end(request: &UninstallRequest, err: Error) -> InstallReport {
    let target = match &request.target {
        UninstallTarget::Package(p) => p.display().to_string(),
        UninstallTarget::ProductCode(c) => c.clone(),
    };
    let what = format!(
        "Product: {target}; Root: {}; Layout: {}; UI level: {}",
        request.root.display(),
        request.layout,
        request.ui_level.value()
    );
    InstallReport::early_logged(request.log.as_deref(), request.log_append, &what, err)
}
