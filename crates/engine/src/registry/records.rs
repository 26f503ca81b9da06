//! The records the registry keeps of a product: the product, its components and its
//! patches, and how an installation's plan becomes a product record.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use msi_expr::InstallState;

use crate::cost::{CostPlan, FileAction, InstalledState};
use crate::properties::Properties;
use crate::tables::component;

/// A patch applied to an installed product, as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchRecord {
    /// The patch code, `{GUID}`.
    pub patch_code: String,
    /// Its display name (MsiPatchMetadata's DisplayName, else its title).
    pub name: String,
    /// `applied`, `superseded`, `obsoleted` or `inapplicable`.
    pub state: String,
    /// The cached copy of the `.msp`.
    pub cached: PathBuf,
}

/// A component as registered (ProcessComponents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentRecord {
    /// The Component key.
    pub component: String,
    /// The ComponentId GUID.
    pub component_id: Option<String>,
    /// The resolved key path (a file or folder), if any.
    pub key_path: Option<PathBuf>,
}

/// An installed product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    /// `ProductCode`.
    pub product_code: String,
    /// `UpgradeCode`.
    pub upgrade_code: Option<String>,
    /// `ProductVersion`.
    pub version: String,
    /// `ProductName`.
    pub name: String,
    /// `Manufacturer`.
    pub manufacturer: Option<String>,
    /// `ProductLanguage`.
    pub language: Option<String>,
    /// The package it was installed from.
    pub package_path: PathBuf,
    /// A cached copy of the package, if one was kept.
    pub cached_package: Option<PathBuf>,
    /// Features installed locally.
    pub features: Vec<String>,
    /// Components installed.
    pub components: Vec<ComponentRecord>,
    /// Files put in place: (component, path).
    pub files: Vec<(String, PathBuf)>,
    /// Folders the installer created for the product's files (and those of other
    /// products it shares, created by the installer for another product), removed when a
    /// removal leaves them empty ("CreateFolder table"); CreateFolder rows' own folders
    /// are left to RemoveFolders.
    pub folders: Vec<PathBuf>,
}

impl ProductRecord {
    /// The record of a successful installation of `package` as `plan`
    /// planned it, with `props` as they ended: the features and components
    /// left installed and the files of those components it put in place. A file costing kept as it was (an existing newer
    /// version, say) is the product's only when `owned` says so (an earlier run
    /// installed it): otherwise it stays the user's, and an uninstall leaves it.
    /// `package_path` is where the package came from.
    pub fn from_plan(
        props: &Properties,
        plan: &CostPlan,
        package_path: &Path,
        owned: &dyn Fn(&Path) -> bool,
    ) -> ProductRecord {
        let installed = |installed: InstallState, action: InstallState| match action {
            InstallState::Local | InstallState::Source => true,
            InstallState::Unknown => installed == InstallState::Local,
            _ => false,
        };
        let targets: std::collections::HashMap<&str, &Path> = plan
            .files
            .iter()
            .map(|f| (f.file.as_str(), f.target.as_path()))
            .collect();
        let components: Vec<ComponentRecord> = plan
            .components
            .iter()
            .filter(|c| installed(c.installed, c.action))
            .map(|c| ComponentRecord {
                component: c.component.clone(),
                component_id: c.component_id.clone(),
                key_path: match &c.key_path {
                    Some(key)
                        if c.attributes
                            & (component::ATTR_REGISTRY_KEY_PATH
                                | component::ATTR_ODBC_DATA_SOURCE)
                            == 0 =>
                    {
                        targets.get(key.as_str()).map(|p| p.to_path_buf())
                    }
                    Some(_) => None,
                    None => Some(c.target_dir.clone()),
                },
            })
            .collect();
        let kept: HashSet<&str> = components.iter().map(|c| c.component.as_str()).collect();
        let get = |name: &str| props.get_str(name).map(str::to_string);
        ProductRecord {
            product_code: get("ProductCode").unwrap_or_default(),
            upgrade_code: get("UpgradeCode"),
            version: get("ProductVersion").unwrap_or_default(),
            name: get("ProductName").unwrap_or_default(),
            manufacturer: get("Manufacturer"),
            language: get("ProductLanguage"),
            package_path: package_path.to_path_buf(),
            cached_package: None,
            features: plan
                .features
                .iter()
                .filter(|f| installed(f.installed, f.action))
                .map(|f| f.feature.clone())
                .collect(),
            files: plan
                .files
                .iter()
                .filter(|f| match f.action {
                    FileAction::Install { .. } => true,
                    FileAction::Skip(_) => owned(&f.target),
                    FileAction::Remove => false,
                })
                .filter(|f| kept.contains(f.component.as_str()))
                .map(|f| (f.component.clone(), f.target.clone()))
                .collect(),
            components,
            // The folders the script creates are added by the session
            // (`Context::record_product`); CreateFolder rows' folders are not among them:
            // only RemoveFolders removes those ("CreateFolder table").
            folders: Vec::new(),
        }
    }

    /// Keeps what `earlier` (the product's record before this run) says of the components
    /// this run left as they were (costing plans no file of a component whose action is
    /// none): their files and key paths. Without it a second install of a product emptied
    /// its record, and its uninstall then removed nothing.
    pub fn carry_over(&mut self, earlier: &ProductRecord, plan: &CostPlan) {
        let unchanged: HashSet<&str> = plan
            .components
            .iter()
            .filter(|c| c.action == InstallState::Unknown)
            .map(|c| c.component.as_str())
            .collect();
        let have: HashSet<PathBuf> = self.files.iter().map(|(_, p)| p.clone()).collect();
        let kept: HashSet<String> = self
            .components
            .iter()
            .map(|c| c.component.clone())
            .collect();
        for (component, path) in &earlier.files {
            if unchanged.contains(component.as_str())
                && kept.contains(component)
                && !have.contains(path)
            {
                self.files.push((component.clone(), path.clone()));
            }
        }
        for c in &mut self.components {
            if c.key_path.is_none()
                && unchanged.contains(c.component.as_str())
                && let Some(old) = earlier
                    .components
                    .iter()
                    .find(|o| o.component == c.component)
            {
                c.key_path = old.key_path.clone();
            }
        }
    }

    /// The installed state for costing a maintenance or removal run.
    pub fn installed_state(&self) -> InstalledState {
        InstalledState {
            features: self.features.iter().cloned().collect::<HashSet<_>>(),
            // A component without a ComponentId is not registered ("Component table"): the
            // installer does not know it is installed, so it never removes or repairs it.
            components: self
                .components
                .iter()
                .filter(|c| c.component_id.is_some())
                .map(|c| c.component.clone())
                .collect(),
            files: self.files.clone(),
        }
    }
}
