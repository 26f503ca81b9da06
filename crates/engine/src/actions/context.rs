//! The installation's model as the actions see it: the property store, the resolved
//! Directory table and the cost plan (built by the model modules `properties`,
//! `directory` and `cost`), behind the few questions the actions ask.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use msi_expr::{ConditionResult, InstallState};

use crate::cost::{CostPlan, CostTables, FileAction, FileSource, InstalledState};
use crate::directory;
use crate::error::{Error, Result};
use crate::layout::folder_value;
use crate::properties::{self, InitOptions, Properties};
use crate::registry::{ProductRecord, Registry};
use crate::request::InstallRequest;
use package::Package;

/// One file InstallFiles must install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileJob {
    /// The File key.
    pub(crate) key: String,
    /// The full target path, under the root.
    pub(crate) target: PathBuf,
    /// The File table's size.
    pub(crate) size: u64,
    /// Where its bytes come from.
    pub(crate) source: FileSource,
}

/// Property changes to log: (name, old, new).
pub(crate) type Changes = Vec<(String, Option<String>, String)>;

/// See the module documentation.
#[derive(Default)]
pub(crate) struct Context {
    props: Properties,
    root: PathBuf,
    tables: Option<CostTables>,
    plan: Option<CostPlan>,
    errors: HashMap<i32, String>,
    /// The root's product registry (read at initialization, written after success).
    registry: Option<Registry>,
    /// What this product has installed in the root already (a maintenance run).
    installed: Option<InstalledState>,
    /// The product's registry record, when it is installed (a maintenance run).
    record: Option<ProductRecord>,
    /// Folders that did not exist when the script started and that it creates (for files
    /// or CreateFolder rows): recorded with the product so an uninstall removes them.
    /// `None` until the script first runs.
    created_folders: Option<Vec<PathBuf>>,
    /// Files of products a major upgrade removed that this install kept in place, and
    /// their folders that still hold something: this product's now.
    adopted_files: std::collections::HashSet<PathBuf>,
    adopted_folders: Vec<PathBuf>,
    /// Registry changes the actions decided, applied when the installation commits.
    reg_changes: Vec<crate::winstate::RegChange>,
    /// The root's layout.
    layout: crate::layout::Layout,
    /// The package's Template summary property (its platform selects the ARP view).
    template: String,
    /// The registration actions that ran (ProcessComponents, RegisterProduct…).
    ran: std::collections::BTreeSet<&'static str>,
    /// Folders shortcuts, icons and INI files go into (created if missing, like files').
    other_folders: Vec<PathBuf>,
    /// CreateFolder folders RemoveFolders scheduled for removal in this run.
    folders_to_remove: Vec<PathBuf>,
    /// Shortcuts, icons and INI files this install writes: a related product removed
    /// inside or after this install leaves them (see `planned_targets`).
    shell_targets: Vec<PathBuf>,
    /// In a Wine prefix: the package copy in `C:\windows\Installer` the registration names
    /// as `LocalPackage` (the session places it).
    local_package: Option<PathBuf>,
    /// The patches this run applies or keeps registered, for PublishProduct.
    patches: Vec<crate::actions::register::PatchRegistration>,
}

impl Context {
    /// A context for `package`, before initialization.
    pub(crate) fn new(package: &Package, request: &InstallRequest, root: &Path) -> Result<Context> {
        let mut errors = HashMap::new();
        if let Some(t) = package.table("Error")
            && let (Some(ki), Some(mi)) = (t.column_index("Error"), t.column_index("Message"))
        {
            for row in &t.rows {
                if let (Some(crate::tables::Value::Int(k)), Some(m)) = (row.get(ki), row.get(mi)) {
                    errors.insert(*k, m.text());
                }
            }
        }
        Ok(Context {
            props: Properties::new(),
            root: root.to_path_buf(),
            tables: None,
            plan: None,
            errors,
            registry: None,
            installed: None,
            record: None,
            created_folders: None,
            adopted_files: Default::default(),
            adopted_folders: Vec::new(),
            reg_changes: Vec::new(),
            layout: request.layout,
            template: package.summary().template.clone(),
            ran: Default::default(),
            other_folders: Vec::new(),
            folders_to_remove: Vec::new(),
            shell_targets: Vec::new(),
            local_package: None,
            patches: Vec::new(),
        })
    }

    /// Sets the properties of initialization ("Property Reference"), the command line's included.
    /// Returns them, for the log's `PROPERTY CHANGE: Adding` lines.
    pub(crate) fn initialize(
        &mut self,
        package: &Package,
        request: &InstallRequest,
        root: &Path,
    ) -> Result<Vec<(String, String)>> {
        let mut opts = InitOptions::new(root, request.layout);
        opts.ui_level = request.ui_level;
        opts.command_line = request.properties.clone();
        let registry = Registry::for_root(root, request.layout)?;
        opts.wine_folders = registry.wine_folders(&opts.account)?;
        if let Some(code) = package.property("ProductCode") {
            let record = registry.product(&code)?;
            opts.installed = record.is_some();
            // A maintenance run keeps the context the product was installed in.
            if record.is_some()
                && request.property("ALLUSERS").is_none()
                && let Some(all_users) = registry.installed_context(&code)?
            {
                opts.command_line
                    .push(("ALLUSERS".into(), all_users.into()));
            }
            self.installed = record.as_ref().map(ProductRecord::installed_state);
            self.record = record;
        }
        self.registry = Some(registry);
        properties::initialize(&mut self.props, package, &opts)?;
        let absent = crate::actions::register::registry_key_paths_absent(self, package)?;
        if let Some(installed) = self.installed.as_mut() {
            for component in absent {
                installed.components.remove(&component);
            }
        }
        if let Some(log) = &request.log {
            self.props
                .set("MsiLogFileLocation", &log.display().to_string());
        }
        Ok(self
            .props
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect())
    }

    /// The patches of this run (see [`crate::patches`]), for their registration.
    pub(crate) fn set_patches(
        &mut self,
        patches: Vec<crate::actions::register::PatchRegistration>,
    ) {
        self.patches = patches;
    }

    /// The patches of this run.
    pub(crate) fn patches(&self) -> &[crate::actions::register::PatchRegistration] {
        &self.patches
    }

    /// Where the engine keeps the `.msp` of `patch` applied to `product` (named by the
    /// patch's `LocalPackage`).
    pub(crate) fn cached_patch_path(&self, product: &str, patch: &str) -> Option<PathBuf> {
        Some(self.registry.as_ref()?.cached_patch_path(product, patch))
    }

    /// Another product than `product` that has `patch` recorded, if any.
    pub(crate) fn patch_used_elsewhere(&self, product: &str, patch: &str) -> Option<String> {
        let registry = self.registry.as_ref()?;
        registry
            .products()
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.product_code)
            .find(|other| {
                !other.eq_ignore_ascii_case(product)
                    && registry
                        .patches(other)
                        .unwrap_or_default()
                        .iter()
                        .any(|r| r.patch_code.eq_ignore_ascii_case(patch))
            })
    }

    /// The patch codes recorded for `product`.
    pub(crate) fn recorded_patches(&self, product: &str) -> Vec<String> {
        self.registry
            .as_ref()
            .and_then(|r| r.patches(product).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.patch_code)
            .collect()
    }

    /// A property's value.
    pub(crate) fn property(&self, name: &str) -> Option<String> {
        self.props.get(name).map(|v| v.into_owned())
    }

    /// Sets a property ("" deletes it).
    pub(crate) fn set_property(&mut self, name: &str, value: &str) {
        self.props.set(name, value);
    }

    /// Every property, by name.
    pub(crate) fn all_properties(&self) -> Vec<(String, String)> {
        self.props
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// Formats a template.
    pub(crate) fn format(&self, text: &str) -> String {
        self.props.format(text)
    }

    /// The product's record before this run, when it is installed.
    pub(crate) fn installed_record(&self) -> Option<&ProductRecord> {
        self.record.as_ref()
    }

    /// The root's layout.
    pub(crate) fn layout(&self) -> crate::layout::Layout {
        self.layout
    }

    /// The package's Template summary property.
    pub(crate) fn template(&self) -> &str {
        &self.template
    }

    /// Notes that a registration action ran (its keys are written at commit).
    pub(crate) fn note_ran(&mut self, action: &'static str) {
        self.ran.insert(action);
    }

    /// Formats a Registry or IniFile table Value column (`[!file]` is the short path).
    pub(crate) fn format_registry(&self, text: &str) -> String {
        msi_expr::format_string_with(text, &self.props, msi_expr::FormatOptions::registry_value())
    }

    /// Whether the installation is per-machine (`ALLUSERS` set, after its resolution).
    pub(crate) fn per_machine(&self) -> bool {
        self.props
            .get_str("ALLUSERS")
            .is_some_and(|v| !v.is_empty())
    }

    /// Adds a registry change, applied when the installation commits.
    pub(crate) fn push_reg(&mut self, change: crate::winstate::RegChange) {
        self.reg_changes.push(change);
    }

    /// Whether an action decided registry changes.
    pub(crate) fn has_registry_changes(&self) -> bool {
        !self.reg_changes.is_empty()
    }

    /// Applies the registry changes of an installation that records no product.
    pub(crate) fn apply_registry_changes(&mut self) -> Result<PathBuf> {
        let changes = std::mem::take(&mut self.reg_changes);
        let registry = self
            .registry
            .as_mut()
            .ok_or_else(|| Error::failure("the product registry is not open"))?;
        registry.apply_changes(&changes)?;
        crate::winstate::crash_after_state_write();
        Ok(registry.db_path())
    }

    /// A path under the root as property values write it (`C:\...` in a Wine prefix).
    pub(crate) fn path_text(&self, path: &Path) -> String {
        self.props.path_style().path_text(path)
    }

    /// A folder under the root as folder properties write it, with its trailing separator.
    pub(crate) fn folder_text(&self, path: &Path) -> String {
        self.props.path_style().folder_text(path)
    }

    /// A host path's text under the root (an AppSearch result) as the target's property
    /// values write it; any other text unchanged.
    pub(crate) fn target_text(&self, text: &str) -> String {
        match self.props.path_style() {
            crate::layout::PathStyle::Drive(drive) if Path::new(text).starts_with(drive) => {
                self.props.path_style().convert_text(text)
            }
            _ => text.to_string(),
        }
    }

    /// The package's source folder (`SourceDir`, a host path) as the target's registry
    /// names it (see [`crate::layout::PathStyle::outside_folder_text`]).
    pub(crate) fn source_text(&self, text: &str) -> String {
        self.props.path_style().outside_folder_text(text)
    }

    /// The package copy the registration names as `LocalPackage`, when it is not the
    /// registry's own cached copy (a Wine prefix's `C:\windows\Installer\<hex>.msi`).
    pub(crate) fn local_package(&self) -> Option<&Path> {
        self.local_package.as_deref()
    }

    /// Sets [`Context::local_package`].
    pub(crate) fn set_local_package(&mut self, path: Option<PathBuf>) {
        self.local_package = path;
    }

    /// The `LocalPackage` the root's registry names for the product `code` (per-machine or
    /// per-user), as a path under the root.
    pub(crate) fn registered_local_package(&self, code: &str) -> Result<Option<PathBuf>> {
        let Ok(packed) = winreg::pack_guid(code) else {
            return Ok(None);
        };
        let user = self.user_sid();
        let found = self.read_registry(|reg| {
            for sid in [crate::winstate::MACHINE_SID, user.as_str()] {
                let key = format!(
                    r"Software\Microsoft\Windows\CurrentVersion\Installer\UserData\{sid}\Products\{packed}\InstallProperties"
                );
                if let Some(winreg::Value::Sz(text)) = reg.get(
                    winreg::View::Native64,
                    winreg::Root::LocalMachine,
                    &key,
                    Some("LocalPackage"),
                )? {
                    return Ok(Some(text));
                }
            }
            Ok(None)
        })?;
        Ok(found
            .flatten()
            .and_then(|text| directory::place_under_root(&self.root, &text).ok()))
    }

    /// The SID of the installing user in the root's registry (a Wine prefix's own user).
    pub(crate) fn user_sid(&self) -> String {
        match &self.registry {
            Some(r) => r.user_sid(),
            None => crate::winstate::USER_SID.to_string(),
        }
    }

    /// The product's cached package in the product registry, once recorded.
    pub(crate) fn cached_package(&self, code: &str) -> Result<Option<PathBuf>> {
        match &self.registry {
            Some(r) => Ok(r.product(code)?.and_then(|p| p.cached_package)),
            None => Ok(None),
        }
    }

    /// A Wine prefix's registry files the installation changed, with their text (see
    /// [`Registry::wine_files`]).
    pub(crate) fn wine_files(&mut self) -> Vec<(PathBuf, winreg::RenderedHive)> {
        self.registry
            .as_mut()
            .map(Registry::wine_files)
            .unwrap_or_default()
    }

    /// After the session wrote the files [`Context::wine_files`] gave.
    pub(crate) fn wine_files_written(&self) {
        if let Some(r) = &self.registry {
            r.wine_files_written();
        }
    }

    /// Reads the root's registry; `None` when it has none yet.
    pub(crate) fn read_registry<T>(
        &self,
        read: impl FnOnce(&winreg::Registry<Box<dyn winreg::Store + '_>>) -> winreg::Result<T>,
    ) -> Result<Option<T>> {
        match &self.registry {
            Some(registry) => registry.read_winreg(read),
            None => Ok(None),
        }
    }

    /// Evaluates a condition.
    pub(crate) fn condition(&self, text: &str) -> ConditionResult {
        self.props.evaluate(text)
    }

    /// The Error table's message `n`.
    pub(crate) fn error_message(&self, n: i32) -> Option<String> {
        self.errors.get(&n).cloned()
    }

    /// The full target path of a Directory key (or a folder property), under the root.
    pub(crate) fn dir_path(&self, key: &str) -> Option<PathBuf> {
        if let Some(p) = self.plan.as_ref().and_then(|p| p.directories.target(key)) {
            return Some(p.to_path_buf());
        }
        let value = self.props.get_str(key)?;
        directory::place_under_root(&self.root, value).ok()
    }

    /// Type 35: sets a Directory's target path (placed under the root) and re-resolves the
    /// folders below it.
    pub(crate) fn set_target_path(&mut self, key: &str, value: &str) -> Result<Changes> {
        let placed = directory::place_under_root(&self.root, value)?;
        let mut changes = Changes::new();
        let new = self.props.path_style().folder_text(&placed);
        let old = self.property(key);
        if old.as_deref() != Some(new.as_str()) {
            self.props.set(key, &new);
            changes.push((key.to_string(), old, new));
        }
        // After CostFinalize the folders below it and every file path follow: cost again.
        if self.plan.is_some()
            && let Some(tables) = &self.tables
        {
            let before: HashMap<String, String> = self
                .props
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            let plan = tables.finalize(&mut self.props, &self.root, self.installed.as_ref())?;
            self.plan = Some(plan);
            for (n, v) in self.props.iter() {
                let old = before.get(n);
                if old.map(String::as_str) != Some(v) {
                    changes.push((n.to_string(), old.cloned(), v.to_string()));
                }
            }
        }
        Ok(changes)
    }

    /// CostInitialize: the costing tables, read and checked once.
    pub(crate) fn cost_initialize(&mut self, package: &Package) -> Result<Changes> {
        self.tables = Some(CostTables::load(package)?);
        Ok(Changes::new())
    }

    /// FileCost: the file costs are computed with the plan at CostFinalize (the folders
    /// must be resolved first); nothing to do on its own.
    pub(crate) fn file_cost(&mut self, package: &Package) -> Result<Changes> {
        if self.tables.is_none() {
            self.tables = Some(CostTables::load(package)?);
        }
        Ok(Changes::new())
    }

    /// CostFinalize: folders resolved into properties, features and components selected,
    /// files costed under the versioning rules.
    pub(crate) fn cost_finalize(&mut self, package: &Package) -> Result<Changes> {
        if self.tables.is_none() {
            self.tables = Some(CostTables::load(package)?);
        }
        let before: HashMap<String, String> = self
            .props
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let tables = self
            .tables
            .as_ref()
            .ok_or_else(|| Error::failure("CostFinalize ran before CostInitialize"))?;
        let plan = tables.finalize(&mut self.props, &self.root, self.installed.as_ref())?;
        self.plan = Some(plan);
        let mut changes = Changes::new();
        for (n, v) in self.props.iter() {
            let old = before.get(n);
            if old.map(String::as_str) != Some(v) {
                changes.push((n.to_string(), old.cloned(), v.to_string()));
            }
        }
        Ok(changes)
    }

    /// Products installed in the root that an Upgrade row of `rows` matches, as
    /// (ActionProperty, ProductCode) pairs (FindRelatedProducts).
    pub(crate) fn related_products(
        &self,
        rows: &[crate::tables::upgrade::UpgradeRow],
    ) -> Result<Vec<(String, String)>> {
        let Some(registry) = &self.registry else {
            return Ok(Vec::new());
        };
        let me = self.property("ProductCode").unwrap_or_default();
        let mut out = Vec::new();
        for row in rows {
            for p in registry.related(&row.upgrade_code)? {
                if !p.product_code.eq_ignore_ascii_case(&me)
                    && crate::registry::upgrade_matches(row, &p)
                {
                    out.push((row.action_property.clone(), p.product_code.clone()));
                }
            }
        }
        Ok(out)
    }

    /// Starts creating the product registry's database on a thread of its own
    /// ([`Registry::open_db_ahead`]); [`Context::settle_registry`] before anything may undo
    /// the state.
    pub(crate) fn open_registry_ahead(&mut self) -> Result<()> {
        match self.registry.as_mut() {
            Some(registry) => registry.open_db_ahead(),
            None => Ok(()),
        }
    }

    /// Waits for a database [`Context::open_registry_ahead`] started.
    pub(crate) fn settle_registry(&mut self) {
        if let Some(registry) = self.registry.as_mut() {
            registry.settle();
        }
    }

    /// Closes the product registry (its database connection).
    pub(crate) fn close_registry(&mut self) {
        self.registry = None;
    }

    /// The registry's record of an installed product (RemoveExistingProducts).
    pub(crate) fn installed_product(&self, product_code: &str) -> Result<Option<ProductRecord>> {
        match &self.registry {
            Some(registry) => registry.product(product_code),
            None => Ok(None),
        }
    }

    /// The transforms `product_code` was installed with (name, cached copy), in order.
    pub(crate) fn kept_transforms(&self, product_code: &str) -> Result<Vec<(String, PathBuf)>> {
        match &self.registry {
            Some(registry) => registry.transforms(product_code),
            None => Ok(Vec::new()),
        }
    }

    /// Every path a file of this install's plan ends at (installed or kept as it is).
    pub(crate) fn planned_targets(&self) -> std::collections::HashSet<PathBuf> {
        self.plan
            .iter()
            .flat_map(|p| p.files.iter())
            .filter(|f| f.action != FileAction::Remove)
            .map(|f| f.target.clone())
            .chain(self.shell_targets.iter().cloned())
            .collect()
    }

    /// Notes a shortcut, icon or INI file this install writes (see `shell_targets`).
    pub(crate) fn note_shell_target(&mut self, path: PathBuf) {
        self.shell_targets.push(path);
    }

    /// Feature states MigrateFeatureStates carries over, for the next costing.
    pub(crate) fn set_migrated(
        &mut self,
        states: std::collections::BTreeMap<String, InstallState>,
    ) {
        if let Some(tables) = self.tables.as_mut() {
            tables.migrated = states;
        }
    }

    /// Takes over files and folders of a product a major upgrade removed.
    pub(crate) fn adopt(&mut self, files: Vec<PathBuf>, folders: Vec<PathBuf>) {
        self.adopted_files.extend(files);
        self.adopted_folders.extend(folders);
    }

    /// Records the product in the root's registry (after a successful install whose
    /// sequence ran RegisterProduct).
    pub(crate) fn record_product(
        &mut self,
        package: &Package,
        copy: Option<Result<&[u8]>>,
    ) -> Result<PathBuf> {
        let package_path = package.path();
        let plan = self
            .plan
            .as_ref()
            .ok_or_else(|| Error::failure("RegisterProduct ran before CostFinalize"))?;
        // Files an earlier run installed stay recorded, even where costing kept them.
        let earlier: std::collections::HashSet<&Path> = self
            .record
            .iter()
            .flat_map(|r| r.files.iter().map(|(_, p)| p.as_path()))
            .collect();
        let adopted = &self.adopted_files;
        let shared = self.shared_files()?;
        let mut record = ProductRecord::from_plan(&self.props, plan, package_path, &|p| {
            earlier.contains(p) || adopted.contains(p) || shared.contains(p)
        });
        if let Some(earlier) = &self.record {
            record.carry_over(earlier, plan);
        }
        // Folders this run created, and those earlier runs of the product created (a
        // maintenance run does not create them again), go when the product goes.
        let mut folders: Vec<PathBuf> = self
            .record
            .as_ref()
            .map(|r| r.folders.clone())
            .unwrap_or_default();
        folders.extend(record.folders.iter().cloned());
        folders.extend(self.created_folders.iter().flatten().cloned());
        folders.extend(self.adopted_folders.iter().cloned());
        folders.sort();
        folders.dedup();
        record.folders = folders;
        let registry = self
            .registry
            .as_mut()
            .ok_or_else(|| Error::failure("the product registry is not open"))?;
        // Windows caches the package at RegisterProduct ("RegisterProduct action") so that a
        // product code alone can remove the product later. The copy is checked before the
        // commit (a cached copy that cannot be used fails the install), made already when
        // the session made it while the files were written.
        let written = match copy {
            Some(copy) => {
                copy.and_then(|copy| registry.cache_package_copy(&record.product_code, copy))
            }
            None => match Registry::package_copy(package) {
                Ok(Some(copy)) => registry.cache_package_copy(&record.product_code, &copy),
                Ok(None) => registry.cache_package_streamed(&record.product_code, package),
                Err(e) => Err(e),
            },
        };
        let cached = match written {
            Ok(cached) => cached,
            Err(e) => {
                let cached = registry.cached_package_path(&record.product_code);
                if self.record.as_ref().and_then(|r| r.cached_package.as_ref()) != Some(&cached) {
                    let _ = fs_err::remove_file(&cached);
                }
                return Err(e);
            }
        };
        record.cached_package = Some(cached.clone());
        let mut changes = std::mem::take(&mut self.reg_changes);
        changes.extend(crate::actions::register::registration(
            self,
            package,
            &record,
            self.record.as_ref(),
            &self.ran,
        ));
        changes.extend(crate::actions::register::shared_dll_counts(
            self,
            Some(&record),
            self.record.as_ref(),
        ));
        let registry = self
            .registry
            .as_mut()
            .ok_or_else(|| Error::failure("the product registry is not open"))?;
        if let Err(e) = registry.record_with(&record, &changes) {
            if self.record.as_ref().and_then(|r| r.cached_package.as_ref()) != Some(&cached) {
                let _ = fs_err::remove_file(&cached);
            }
            return Err(e);
        }
        // The transforms go with it, to be applied again for maintenance and removal.
        let transforms = package
            .applied_transforms()
            .iter()
            // A patch's transforms go with the patch (see `patches`), not with these.
            .filter(|t| t.patch_code().is_none())
            .map(|t| Ok((t.name().to_string(), t.to_bytes()?)))
            .collect::<Result<Vec<_>>>()?;
        registry.cache_transforms(&record.product_code, &transforms)?;
        crate::winstate::crash_after_state_write();
        Ok(registry.db_path())
    }

    /// The paths other products recorded for components that share a ComponentId with this
    /// plan's: this product is a client of them too (a file it found in place is its own as
    /// much as theirs).
    fn shared_files(&self) -> Result<std::collections::HashSet<PathBuf>> {
        let mut out = std::collections::HashSet::new();
        let (Some(registry), Some(plan)) = (&self.registry, &self.plan) else {
            return Ok(out);
        };
        let ids: std::collections::HashSet<String> = plan
            .components
            .iter()
            .filter_map(|c| c.component_id.as_deref())
            .map(str::to_ascii_uppercase)
            .collect();
        if ids.is_empty() {
            return Ok(out);
        }
        let me = self.property("ProductCode").unwrap_or_default();
        for p in registry.products()? {
            if p.product_code.eq_ignore_ascii_case(&me) {
                continue;
            }
            for c in &p.components {
                if c.component_id
                    .as_deref()
                    .is_some_and(|id| ids.contains(&id.to_ascii_uppercase()))
                {
                    out.extend(
                        p.files
                            .iter()
                            .filter(|(component, _)| *component == c.component)
                            .map(|(_, path)| path.clone()),
                    );
                }
            }
        }
        Ok(out)
    }

    /// The components whose resources a removal leaves in place ("Component table",
    /// Attributes and ComponentId; "Sharing Components Between Products"): Permanent ones,
    /// those without a ComponentId (never registered, so never known to be unused), and
    /// those another installed product is still a client of (the same ComponentId).
    pub(crate) fn components_kept_on_removal(&self) -> Result<std::collections::HashSet<String>> {
        let mut out = std::collections::HashSet::new();
        let Some(plan) = &self.plan else {
            return Ok(out);
        };
        let me = self.property("ProductCode").unwrap_or_default();
        let mut others: std::collections::HashSet<String> = Default::default();
        if let Some(registry) = &self.registry {
            for p in registry.products()? {
                if !p.product_code.eq_ignore_ascii_case(&me) {
                    others.extend(
                        p.components
                            .iter()
                            .filter_map(|c| c.component_id.as_deref())
                            .map(str::to_ascii_uppercase),
                    );
                }
            }
        }
        for c in &plan.components {
            let permanent = c.attributes & crate::tables::component::ATTR_PERMANENT != 0;
            let shared = c
                .component_id
                .as_deref()
                .is_some_and(|id| others.contains(&id.to_ascii_uppercase()));
            if permanent || c.component_id.is_none() || shared {
                out.insert(c.component.clone());
            }
        }
        Ok(out)
    }

    /// Whether this run removes the product entirely: it was installed and no feature or
    /// component of it is left installed (REMOVE=ALL, or every feature removed).
    pub(crate) fn product_removed(&self) -> bool {
        let (Some(record), Some(plan)) = (&self.record, &self.plan) else {
            return false;
        };
        let left = ProductRecord::from_plan(&self.props, plan, Path::new(""), &|_| true);
        // A product that installed nothing (no features) is removed only when asked to.
        let asked = self
            .props
            .get_str("REMOVE")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("ALL"));
        left.features.is_empty()
            && left.components.is_empty()
            && (asked || !record.features.is_empty() || !record.components.is_empty())
    }

    /// Whether the product is installed and the run asks to remove it all (`REMOVE=ALL`):
    /// the wording of the log's completion lines.
    pub(crate) fn removal_requested(&self) -> bool {
        self.record.is_some()
            && (self
                .props
                .get_str("REMOVE")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("ALL"))
                || self.product_removed())
    }

    /// The folders the product's installs created (empty when it is not installed).
    pub(crate) fn recorded_folders(&self) -> Vec<PathBuf> {
        self.record
            .as_ref()
            .map(|r| r.folders.clone())
            .unwrap_or_default()
    }

    /// Notes folders that shortcuts, icons or INI files go into (see `folders_to_create`).
    pub(crate) fn note_folders(&mut self, folders: Vec<PathBuf>) {
        self.other_folders.extend(folders);
    }

    /// Notes the CreateFolder folders RemoveFolders scheduled for removal: tried again
    /// once the folders removed after them (their emptied subfolders) are gone.
    pub(crate) fn note_folders_to_remove(&mut self, folders: &[PathBuf]) {
        self.folders_to_remove.extend(folders.iter().cloned());
    }

    /// The CreateFolder folders RemoveFolders scheduled in this run.
    pub(crate) fn folders_to_remove(&self) -> &[PathBuf] {
        &self.folders_to_remove
    }

    /// Notes the folders the script is about to create (see `created_folders`).
    pub(crate) fn set_created_folders(&mut self, folders: Vec<PathBuf>) {
        self.created_folders = Some(folders);
    }

    /// Whether [`Context::set_created_folders`] was called.
    pub(crate) fn created_folders_noted(&self) -> bool {
        self.created_folders.is_some()
    }

    /// Where the folders the script may create begin: the folders of files to install and
    /// duplicates, and the parents of CreateFolder rows' folders (a CreateFolder row's own
    /// folder is RemoveFolders' to remove, not removed when it becomes empty: "CreateFolder
    /// table"). Components without a ComponentId are left out: the installer does not
    /// register them and never removes what they made ("Component table"). The second
    /// list is the CreateFolder folders, never recorded themselves.
    pub(crate) fn folders_to_create(&self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let Some(plan) = &self.plan else {
            return (Vec::new(), Vec::new());
        };
        let unregistered: std::collections::HashSet<&str> = plan
            .components
            .iter()
            .filter(|c| c.component_id.is_none())
            .map(|c| c.component.as_str())
            .collect();
        let mut out: Vec<PathBuf> = plan
            .create_folders
            .iter()
            .filter_map(|d| d.parent().map(Path::to_path_buf))
            .collect();
        out.extend(self.other_folders.iter().cloned());
        for f in &plan.files {
            if matches!(f.action, FileAction::Install { .. })
                && !unregistered.contains(f.component.as_str())
                && let Some(parent) = f.target.parent()
            {
                out.push(parent.to_path_buf());
            }
        }
        for d in &plan.duplicate_files {
            if d.install
                && let Some(parent) = d.to.parent()
            {
                out.push(parent.to_path_buf());
            }
        }
        out.sort();
        out.dedup();
        (out, plan.create_folders.clone())
    }

    /// Folders the installer created for the products installed in the root (their
    /// records'): a folder one product's install found there, another's created, is
    /// removed by whichever removal leaves it empty.
    pub(crate) fn installer_folders(&self) -> std::collections::HashSet<PathBuf> {
        let me = self.property("ProductCode").unwrap_or_default();
        self.registry
            .as_ref()
            .and_then(|r| r.products().ok())
            .into_iter()
            .flatten()
            .filter(|p| !p.product_code.eq_ignore_ascii_case(&me))
            .flat_map(|p| p.folders)
            .collect()
    }

    /// Removes the product from the root's registry (after a successful removal), with its
    /// cached package.
    pub(crate) fn unregister_product(&mut self) -> Result<PathBuf> {
        let code = self.property("ProductCode").unwrap_or_default();
        let mut changes = std::mem::take(&mut self.reg_changes);
        if let Some(record) = &self.record {
            changes.extend(crate::actions::register::unregistration(self, record));
            changes.extend(crate::actions::register::shared_dll_counts(
                self,
                None,
                Some(record),
            ));
        }
        let registry = self
            .registry
            .as_mut()
            .ok_or_else(|| Error::failure("the product registry is not open"))?;
        registry.unregister_with(&code, &changes)?;
        crate::winstate::crash_after_state_write();
        Ok(registry.db_path())
    }

    /// After the last product of the root went: the registry's files and the state folders
    /// the first install made. Returns whether they were removed.
    pub(crate) fn tidy_state(&mut self) -> Result<bool> {
        match self.registry.as_mut() {
            Some(registry) => registry.remove_if_empty(),
            None => Ok(false),
        }
    }

    /// The Media rows' cabinets in DiskId order (none before CostInitialize).
    pub(crate) fn cabinets_by_disk(&self) -> Vec<(i32, crate::cost::CabinetLocation)> {
        self.tables
            .as_ref()
            .map(CostTables::cabinets_by_disk)
            .unwrap_or_default()
    }

    /// The cost plan, once CostFinalize ran.
    pub(crate) fn plan(&self) -> Option<&CostPlan> {
        self.plan.as_ref()
    }

    /// The `Feature:` and `Component:` lines of a verbose log ("How To Read A Windows Installer
    /// Verbose Log").
    pub(crate) fn state_lines(&self) -> Vec<String> {
        let Some(plan) = &self.plan else {
            return Vec::new();
        };
        let name = |s: InstallState| match s {
            InstallState::Absent => "Absent",
            InstallState::Local => "Local",
            InstallState::Source => "Source",
            InstallState::Advertised => "Advertise",
            _ => "Null",
        };
        let mut out = Vec::new();
        for f in &plan.features {
            out.push(format!(
                "Feature: {}; Installed: {};   Request: {};   Action: {}",
                f.feature,
                name(f.installed),
                name(f.request),
                name(f.action)
            ));
        }
        for c in &plan.components {
            out.push(format!(
                "Component: {}; Installed: {};   Request: {};   Action: {}",
                c.component,
                name(c.installed),
                name(c.request),
                name(c.action)
            ));
        }
        out
    }

    /// The components' registrations, for ProcessComponents' log.
    pub(crate) fn component_registrations(&self) -> Vec<String> {
        let Some(plan) = &self.plan else {
            return Vec::new();
        };
        let product = self.property("ProductCode").unwrap_or_default();
        plan.components
            .iter()
            .filter(|c| c.action == InstallState::Local || c.action == InstallState::Source)
            .filter_map(|c| {
                let id = c.component_id.as_ref()?;
                let key_path = match &c.key_path {
                    Some(k) => self.file_path(k).map_or_else(|| k.clone(), |p| p.display().to_string()),
                    None => folder_value(&c.target_dir),
                };
                Some(format!(
                    "Executing op: ComponentRegister(ComponentId={id},KeyPath={key_path},State=3,,Disk=1,SharedDllRefCount=0,BinaryType=0) [product {product}; recorded in the product registry when the install succeeds]"
                ))
            })
            .collect()
    }

    /// The files to install, in File sequence order.
    pub(crate) fn files_to_install(&self) -> Vec<FileJob> {
        let Some(plan) = &self.plan else {
            return Vec::new();
        };
        plan.files
            .iter()
            .filter(|f| matches!(f.action, FileAction::Install { .. }))
            .filter_map(|f| {
                Some(FileJob {
                    key: f.file.clone(),
                    target: f.target.clone(),
                    size: u64::try_from(f.size).unwrap_or(0),
                    source: f.source.clone()?,
                })
            })
            .collect()
    }

    /// The target path of a File key, once costed.
    pub(crate) fn file_path(&self, key: &str) -> Option<PathBuf> {
        self.props.states().file_paths.get(key).map(PathBuf::from)
    }
}
