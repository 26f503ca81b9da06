//! Costing: CostInitialize, FileCost and CostFinalize as functions (spec 2.5,
//! 4.3–4.7).
//!
//! [`CostTables::load`] is CostInitialize (the Feature, Component, File, …
//! tables read and checked once). [`CostTables::finalize`] is FileCost and
//! CostFinalize together: it resolves the Directory table into properties,
//! evaluates the Condition table and component conditions, selects features
//! by `INSTALLLEVEL` and the state-request properties, derives component
//! states, applies the file versioning rules to every file that already
//! exists at its target, and returns a [`CostPlan`]: what each feature,
//! component and file will do, where every file comes from (a cabinet and
//! sequence, or an uncompressed source path) and goes to, the folders to
//! create and remove, and the RemoveFile, DuplicateFile and MoveFile work.
//! It also hands the states and paths to the property store, so `&F`, `$C`,
//! `[#file]` and `[$comp]` work from then on.
//!
//! Unversioned files use Linux's birth time (`statx`) for the "Created" date
//! of the versioning rules where the file system records one; where it does
//! not, the file is treated as unmodified (so it is replaced).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use msi_expr::{ConditionResult, InstallState};

use crate::directory::{self, Directories, NameChoice, place_under_root};
use crate::error::{Error, Result};
use crate::layout::folder_value;
use crate::properties::{Properties, STATE_REQUEST_PROPERTIES, StateView};
use crate::tables::component::{self, ComponentRow, FeatureComponentsRow};
use crate::tables::condition::ConditionRow;
use crate::tables::directory::DirectoryRow;
use crate::tables::feature::{self, FeatureRow};
use crate::tables::file::{self, FileHashRow, FileRow};
use crate::tables::folders::{self, CreateFolderRow, DuplicateFileRow, MoveFileRow, RemoveFileRow};
use crate::tables::media::{self, MediaRow};
use package::Package;
use package::{Version, file_version};

/// The tables costing reads, loaded once (CostInitialize).
#[derive(Debug, Clone)]
pub struct CostTables {
    /// Directory rows.
    pub directories: Vec<DirectoryRow>,
    /// Feature rows.
    pub features: Vec<FeatureRow>,
    /// Condition rows.
    pub conditions: Vec<ConditionRow>,
    /// Component rows.
    pub components: Vec<ComponentRow>,
    /// FeatureComponents rows.
    pub feature_components: Vec<FeatureComponentsRow>,
    /// File rows, in sequence order.
    pub files: Vec<FileRow>,
    /// MsiFileHash rows.
    pub file_hashes: Vec<FileHashRow>,
    /// Media rows, by DiskId.
    pub media: Vec<MediaRow>,
    /// CreateFolder rows.
    pub create_folders: Vec<CreateFolderRow>,
    /// RemoveFile rows.
    pub remove_files: Vec<RemoveFileRow>,
    /// DuplicateFile rows.
    pub duplicate_files: Vec<DuplicateFileRow>,
    /// MoveFile rows.
    pub move_files: Vec<MoveFileRow>,
    /// Word Count bits of the summary.
    pub word_count: i32,
    /// The package's folder (default `SourceDir`).
    pub source_dir: PathBuf,
    /// Feature states MigrateFeatureStates carried over from the products a major upgrade
    /// replaces (empty otherwise): a first installation's request for those features, in
    /// place of their level's.
    pub migrated: BTreeMap<String, InstallState>,
}

/// What is installed already (from the product registry), for maintenance
/// and removal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstalledState {
    /// Features installed locally.
    pub features: HashSet<String>,
    /// Components installed locally.
    pub components: HashSet<String>,
    /// Files the installation put in place: (component, path).
    pub files: Vec<(String, PathBuf)>,
}

/// A feature's costing result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeaturePlan {
    /// The Feature key.
    pub feature: String,
    /// The level after the Condition table.
    pub level: i32,
    /// Installed state.
    pub installed: InstallState,
    /// Requested state.
    pub request: InstallState,
    /// Action state (`Unknown` = nothing to do).
    pub action: InstallState,
}

/// A component's costing result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentPlan {
    /// The Component key.
    pub component: String,
    /// The ComponentId GUID.
    pub component_id: Option<String>,
    /// Its Directory key.
    pub directory: String,
    /// Its target folder.
    pub target_dir: PathBuf,
    /// Whether its condition allowed it.
    pub enabled: bool,
    /// Installed state.
    pub installed: InstallState,
    /// Requested state.
    pub request: InstallState,
    /// Action state (`Unknown` = nothing to do).
    pub action: InstallState,
    /// The key path as authored.
    pub key_path: Option<String>,
    /// Attributes.
    pub attributes: i32,
}

/// Where a file's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// Inside a cabinet.
    Cabinet {
        /// The Media row's DiskId.
        disk_id: i32,
        /// The cabinet.
        cabinet: CabinetLocation,
        /// The file's sequence (its order inside the cabinet).
        sequence: i32,
        /// The name of the file inside the cabinet: its File key.
        name: String,
    },
    /// An uncompressed file at the source.
    Uncompressed {
        /// The source file's path.
        path: PathBuf,
    },
}

/// A cabinet's location.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CabinetLocation {
    /// A stream in the package (`#name`).
    Embedded(String),
    /// A file beside the package (the name matched case-insensitively when
    /// the exact name is absent).
    External(PathBuf),
}

/// Why an existing file is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The file on disk has a higher version.
    NewerVersionOnDisk {
        /// On disk.
        disk: Version,
        /// In the package.
        package: Version,
    },
    /// Same version and languages.
    SameVersion(Version),
    /// The file on disk is versioned and the package's is not.
    VersionedOnDisk(Version),
    /// Unversioned and modified since it was created (user data).
    UserModified,
    /// Unversioned and its hash equals MsiFileHash.
    HashMatches,
    /// `REINSTALLMODE` without `o`/`e`/`d`/`a`: only missing files.
    OnlyIfMissing,
    /// The component is NeverOverwrite and its key path exists.
    NeverOverwrite,
    /// The companion parent is kept.
    CompanionKept,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::NewerVersionOnDisk { disk, package } => {
                write!(f, "existing file has a higher version ({disk} > {package})")
            }
            SkipReason::SameVersion(v) => write!(f, "existing file has the same version ({v})"),
            SkipReason::VersionedOnDisk(v) => {
                write!(f, "existing file is versioned ({v}), the package's is not")
            }
            SkipReason::UserModified => f.write_str("existing unversioned file was modified"),
            SkipReason::HashMatches => f.write_str("existing file has the same hash"),
            SkipReason::OnlyIfMissing => f.write_str("REINSTALLMODE replaces only missing files"),
            SkipReason::NeverOverwrite => f.write_str("component is NeverOverwrite"),
            SkipReason::CompanionKept => f.write_str("companion parent is kept"),
        }
    }
}

/// What happens to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileAction {
    /// Copied into place (`overwrite`: a file is already there).
    Install {
        /// Whether an existing file is replaced.
        overwrite: bool,
    },
    /// Kept as it is on disk.
    Skip(SkipReason),
    /// Removed (its component is being removed), if present.
    Remove,
}

/// A file's costing result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePlan {
    /// The File key.
    pub file: String,
    /// The Component key.
    pub component: String,
    /// The target path (under the root).
    pub target: PathBuf,
    /// The size the File table gives.
    pub size: i64,
    /// The sequence.
    pub sequence: i32,
    /// The File attributes.
    pub attributes: i32,
    /// Where the data comes from (`None` when the file is not installed,
    /// or no Media row covers its sequence).
    pub source: Option<FileSource>,
    /// What happens.
    pub action: FileAction,
}

/// A RemoveFile row to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveFilePlan {
    /// The RemoveFile key.
    pub file_key: String,
    /// The folder (under the root).
    pub dir: PathBuf,
    /// The file-name pattern (`*`/`?` wildcards; see [`wildcard_match`]);
    /// `None` removes the folder itself if it is empty.
    pub pattern: Option<String>,
}

/// A DuplicateFile row to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicatePlan {
    /// The DuplicateFile key.
    pub file_key: String,
    /// The original's File key.
    pub original: String,
    /// The original's target path.
    pub from: PathBuf,
    /// The copy's path.
    pub to: PathBuf,
    /// `true`: copy on install; `false`: remove the copy (component removed).
    pub install: bool,
}

/// A MoveFile row to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovePlan {
    /// The MoveFile key.
    pub file_key: String,
    /// The source folder (under the root).
    pub source_dir: PathBuf,
    /// The source name pattern; `None`: `source_dir` is itself the file.
    pub pattern: Option<String>,
    /// The destination folder (under the root).
    pub dest_dir: PathBuf,
    /// The new name (`None`: keep).
    pub dest_name: Option<String>,
    /// Move (`true`) or copy.
    pub move_file: bool,
}

/// The result of costing.
#[derive(Debug, Clone, Default)]
pub struct CostPlan {
    /// Resolved folders.
    pub directories: Directories,
    /// Features, in table order.
    pub features: Vec<FeaturePlan>,
    /// Components, in table order.
    pub components: Vec<ComponentPlan>,
    /// Files, in sequence order.
    pub files: Vec<FilePlan>,
    /// Folders to create (CreateFolder rows of installed components).
    pub create_folders: Vec<PathBuf>,
    /// Folders to remove if empty (CreateFolder rows of removed components).
    pub remove_folders: Vec<PathBuf>,
    /// RemoveFile rows to carry out.
    pub remove_files: Vec<RemoveFilePlan>,
    /// DuplicateFile rows to carry out.
    pub duplicate_files: Vec<DuplicatePlan>,
    /// MoveFile rows to carry out.
    pub move_files: Vec<MovePlan>,
}

impl CostPlan {
    /// A component's plan.
    pub fn component(&self, key: &str) -> Option<&ComponentPlan> {
        self.components.iter().find(|c| c.component == key)
    }

    /// A feature's plan.
    pub fn feature(&self, key: &str) -> Option<&FeaturePlan> {
        self.features.iter().find(|f| f.feature == key)
    }

    /// A file's plan.
    pub fn file(&self, key: &str) -> Option<&FilePlan> {
        self.files.iter().find(|f| f.file == key)
    }

    /// Files to copy into place.
    pub fn files_to_install(&self) -> impl Iterator<Item = &FilePlan> {
        self.files
            .iter()
            .filter(|f| matches!(f.action, FileAction::Install { .. }))
    }

    /// Existing files the installation replaces or removes (what
    /// InstallValidate registers with the Restart Manager).
    pub fn files_replaced_or_removed(&self) -> impl Iterator<Item = &Path> {
        self.files
            .iter()
            .filter(|f| match f.action {
                FileAction::Install { overwrite } => overwrite,
                FileAction::Remove => true,
                FileAction::Skip(_) => false,
            })
            .map(|f| f.target.as_path())
    }

    /// The costing lines of a verbose log (spec 6.2): one
    /// `Feature: F; Installed: Absent;   Request: Local;   Action: Local`
    /// per feature, then one `Component: …` line per component.
    pub fn log_lines(&self) -> Vec<String> {
        let mut lines = Vec::with_capacity(self.features.len() + self.components.len());
        for f in &self.features {
            lines.push(format!(
                "Feature: {}; Installed: {};   Request: {};   Action: {}",
                f.feature,
                state_word(f.installed),
                state_word(f.request),
                state_word(f.action)
            ));
        }
        for c in &self.components {
            lines.push(format!(
                "Component: {}; Installed: {};   Request: {};   Action: {}",
                c.component,
                state_word(c.installed),
                state_word(c.request),
                state_word(c.action)
            ));
        }
        lines
    }

    /// The states and paths conditions and formatted strings see.
    pub fn state_view(&self) -> StateView {
        let mut view = StateView::default();
        for f in &self.features {
            view.features
                .insert(f.feature.clone(), (f.installed, f.action));
        }
        for c in &self.components {
            view.components
                .insert(c.component.clone(), (c.installed, c.action));
            view.component_dirs
                .insert(c.component.clone(), folder_value(&c.target_dir));
        }
        for f in &self.files {
            view.file_paths
                .insert(f.file.clone(), f.target.to_string_lossy().into_owned());
        }
        view
    }
}

impl CostTables {
    /// CostInitialize: reads and checks the tables costing uses.
    pub fn load(package: &Package) -> Result<CostTables> {
        let mut tables = CostTables {
            directories: package.directories()?,
            features: package.features()?,
            conditions: package.conditions()?,
            components: package.components()?,
            feature_components: package.feature_components()?,
            files: package.files()?,
            file_hashes: package.file_hashes()?,
            media: package.media()?,
            create_folders: package.create_folders()?,
            remove_files: package.remove_files()?,
            duplicate_files: package.duplicate_files()?,
            move_files: package.move_files()?,
            word_count: package.summary().word_count,
            source_dir: package.source_dir(),
            migrated: BTreeMap::new(),
        };
        tables.check()?;
        // A File row whose component does not exist belongs to nothing that can be
        // installed: Windows Installer ignores it.
        let components: HashSet<&str> = tables
            .components
            .iter()
            .map(|c| c.component.as_str())
            .collect();
        let orphans: HashSet<String> = tables
            .files
            .iter()
            .filter(|f| !components.contains(f.component.as_str()))
            .map(|f| f.file.clone())
            .collect();
        if !orphans.is_empty() {
            tables.files.retain(|f| !orphans.contains(&f.file));
        }
        Ok(tables)
    }

    /// Cross-table invariants the engine relies on.
    fn check(&self) -> Result<()> {
        let features: HashSet<&str> = self.features.iter().map(|f| f.feature.as_str()).collect();
        for f in &self.features {
            if let Some(parent) = &f.parent
                && !features.contains(parent.as_str())
            {
                return Err(Error::bad_row(
                    "Feature",
                    &f.feature,
                    format!("unknown parent {parent:?}"),
                ));
            }
        }
        // Feature tree depth ≤ 16 and no cycles (error 2701 on Windows).
        let parent: HashMap<&str, &str> = self
            .features
            .iter()
            .filter_map(|f| f.parent.as_deref().map(|p| (f.feature.as_str(), p)))
            .collect();
        for f in &self.features {
            let mut depth = 0;
            let mut cur = f.feature.as_str();
            while let Some(p) = parent.get(cur) {
                depth += 1;
                if depth > 16 {
                    return Err(Error::bad_row(
                        "Feature",
                        &f.feature,
                        "feature tree deeper than 16 levels, or a cycle",
                    ));
                }
                cur = p;
            }
        }
        Ok(())
    }

    /// FileCost and CostFinalize (see the module documentation). Sets every
    /// Directory key as a property and hands the states to `props`.
    pub fn finalize(
        &self,
        props: &mut Properties,
        root: &Path,
        installed: Option<&InstalledState>,
    ) -> Result<CostPlan> {
        // The invariants `load` checked (tables may have been built by hand).
        self.check()?;
        let empty = InstalledState::default();
        let installed_state = installed.unwrap_or(&empty);
        let maintenance = installed.is_some();

        // Directories.
        if !props.contains("TARGETDIR")
            && let Some(rootdrive) = props.get_str("ROOTDRIVE").map(str::to_string)
        {
            props.set("TARGETDIR", &rootdrive);
        }
        let names = NameChoice {
            short_target: props.contains("SHORTFILENAMES"),
            short_source: self.word_count & 1 != 0,
        };
        let dirs = directory::resolve_with_source(
            &self.directories,
            props,
            root,
            names,
            &self.source_dir,
        )?;
        dirs.apply(props);

        // Features.
        let features = self.feature_states(props, installed_state, maintenance);
        let feature_action: HashMap<&str, &FeaturePlan> =
            features.iter().map(|f| (f.feature.as_str(), f)).collect();

        // Components.
        let mut comp_features: HashMap<&str, Vec<&str>> = HashMap::new();
        for fc in &self.feature_components {
            comp_features
                .entry(fc.component.as_str())
                .or_default()
                .push(fc.feature.as_str());
        }
        let reinstall = props.contains("REINSTALL");
        let mut components = Vec::new();
        for c in &self.components {
            let target_dir = match dirs.target(&c.directory) {
                Some(t) => t.to_path_buf(),
                None => match props.get_str(&c.directory) {
                    Some(v) => place_under_root(root, v)?,
                    None => {
                        return Err(Error::bad_row(
                            "Component",
                            &c.component,
                            format!("unknown directory {:?}", c.directory),
                        ));
                    }
                },
            };
            let enabled = match &c.condition {
                None => true,
                Some(cond) => matches!(
                    props.evaluate(cond),
                    ConditionResult::True | ConditionResult::None
                ),
            };
            let installed = if installed_state.components.contains(&c.component) {
                InstallState::Local
            } else {
                InstallState::Absent
            };
            let mut request = InstallState::Absent;
            for f in comp_features
                .get(c.component.as_str())
                .into_iter()
                .flatten()
            {
                let Some(fp) = feature_action.get(f) else {
                    continue;
                };
                let wanted = match fp.request {
                    InstallState::Local => {
                        if c.attributes & 3 == component::ATTR_SOURCE_ONLY {
                            InstallState::Source
                        } else {
                            InstallState::Local
                        }
                    }
                    InstallState::Source => {
                        if c.attributes & 3 == 0 {
                            InstallState::Local
                        } else {
                            InstallState::Source
                        }
                    }
                    other => other,
                };
                request = better(request, wanted);
            }
            if !enabled && installed == InstallState::Absent {
                request = InstallState::Absent;
            }
            if request == InstallState::Absent
                && installed == InstallState::Local
                && c.attributes & component::ATTR_PERMANENT != 0
            {
                request = InstallState::Local;
            }
            let mut action =
                if request != installed || (reinstall && request == InstallState::Local) {
                    request
                } else {
                    InstallState::Unknown
                };
            if action == InstallState::Absent && installed == InstallState::Absent {
                action = InstallState::Unknown;
            }
            components.push(ComponentPlan {
                component: c.component.clone(),
                component_id: c.component_id.clone(),
                directory: c.directory.clone(),
                target_dir,
                enabled,
                installed,
                request,
                action,
                key_path: c.key_path.clone(),
                attributes: c.attributes,
            });
        }
        let comp_by_key: HashMap<&str, &ComponentPlan> = components
            .iter()
            .map(|c| (c.component.as_str(), c))
            .collect();

        // Files.
        let files = self.file_plans(props, &dirs, &comp_by_key, installed_state)?;

        // NeverOverwrite: the whole component is kept when its key file exists.
        let files = apply_never_overwrite(files, &components);

        // Folders.
        let mut create_folders = Vec::new();
        let mut remove_folders = Vec::new();
        for row in &self.create_folders {
            let (Some(c), Some(dir)) = (
                comp_by_key.get(row.component.as_str()),
                dirs.target(&row.directory),
            ) else {
                continue;
            };
            match c.action {
                InstallState::Local | InstallState::Source => {
                    create_folders.push(dir.to_path_buf())
                }
                InstallState::Absent => remove_folders.push(dir.to_path_buf()),
                _ => {}
            }
        }

        dedup_keep_order(&mut create_folders);
        dedup_keep_order(&mut remove_folders);

        let remove_files = self.remove_file_plans(props, root, &comp_by_key)?;
        let duplicate_files = self.duplicate_plans(props, root, &comp_by_key, &files)?;
        let move_files = self.move_plans(props, root, &comp_by_key)?;

        let plan = CostPlan {
            directories: dirs,
            features,
            components,
            files,
            create_folders,
            remove_folders,
            remove_files,
            duplicate_files,
            move_files,
        };
        props.set_states(plan.state_view());
        Ok(plan)
    }

    fn feature_states(
        &self,
        props: &Properties,
        installed: &InstalledState,
        maintenance: bool,
    ) -> Vec<FeaturePlan> {
        let install_level: i32 = props
            .get_str("INSTALLLEVEL")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(1);
        let any_request = STATE_REQUEST_PROPERTIES.iter().any(|p| props.contains(p));
        let preselected = props.get_str("Preselected") == Some("1");
        let mut levels: HashMap<&str, i32> = self
            .features
            .iter()
            .map(|f| (f.feature.as_str(), f.level))
            .collect();
        if !any_request && !preselected {
            for row in &self.conditions {
                if let Some(cond) = &row.condition
                    && props.evaluate(cond) == ConditionResult::True
                    && let Some(level) = levels.get_mut(row.feature.as_str())
                {
                    *level = row.level;
                }
            }
        }
        let installed_of = |f: &str| {
            if installed.features.contains(f) {
                InstallState::Local
            } else {
                InstallState::Absent
            }
        };
        let default_state = |f: &FeatureRow| {
            if f.attributes & feature::ATTR_FAVOR_SOURCE != 0 {
                InstallState::Source
            } else if f.attributes & feature::ATTR_FAVOR_ADVERTISE != 0 {
                InstallState::Advertised
            } else {
                InstallState::Local
            }
        };
        let mut request: BTreeMap<&str, InstallState> = BTreeMap::new();
        let mut explicit: HashSet<&str> = HashSet::new();
        for f in &self.features {
            let level = level_of(&levels, &f.feature);
            let state = if any_request || maintenance {
                installed_of(&f.feature)
            } else if let Some(&migrated) = self.migrated.get(&f.feature) {
                migrated
            } else if level > 0 && level <= install_level {
                default_state(f)
            } else {
                InstallState::Absent
            };
            request.insert(f.feature.as_str(), state);
        }
        if any_request {
            let list = |name: &str| -> Vec<String> {
                props
                    .get_str(name)
                    .map(|v| {
                        v.split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let mut apply = |name: &str, state: &dyn Fn(&FeatureRow) -> Option<InstallState>| {
                let items = list(name);
                let all = items.iter().any(|i| i == "ALL");
                for f in &self.features {
                    if level_of(&levels, &f.feature) <= 0 {
                        continue;
                    }
                    if (all || items.contains(&f.feature))
                        && let Some(s) = state(f)
                    {
                        request.insert(f.feature.as_str(), s);
                        explicit.insert(f.feature.as_str());
                    }
                }
            };
            apply("ADDLOCAL", &|_| Some(InstallState::Local));
            apply("REMOVE", &|_| Some(InstallState::Absent));
            apply("ADDSOURCE", &|_| Some(InstallState::Source));
            apply("ADDDEFAULT", &|f| Some(default_state(f)));
            apply("REINSTALL", &|f| {
                installed
                    .features
                    .contains(&f.feature)
                    .then_some(InstallState::Local)
            });
            apply("ADVERTISE", &|_| Some(InstallState::Advertised));
        }
        // Level 0: never installed.
        for f in &self.features {
            if level_of(&levels, &f.feature) <= 0 && !installed.features.contains(&f.feature) {
                request.insert(f.feature.as_str(), InstallState::Absent);
            }
        }
        // Parents and children, parents first.
        let order = self.parent_first_order();
        let parent_of: HashMap<&str, Option<&str>> = self
            .features
            .iter()
            .map(|f| (f.feature.as_str(), f.parent.as_deref()))
            .collect();
        if any_request {
            // A child installed ⇒ its parents installed too.
            for f in order.iter().rev() {
                let state = state_of(&request, &f.feature);
                if matches!(state, InstallState::Local | InstallState::Source) {
                    let mut cur = parent_of.get(f.feature.as_str()).copied().flatten();
                    while let Some(p) = cur {
                        if state_of(&request, p) == InstallState::Absent && level_of(&levels, p) > 0
                        {
                            request.insert(p, state);
                        }
                        cur = parent_of.get(p).copied().flatten();
                    }
                }
            }
        }
        for f in &order {
            let Some(p) = f.parent.as_deref() else {
                continue;
            };
            let parent_state = state_of(&request, p);
            let own = state_of(&request, &f.feature);
            if f.attributes & feature::ATTR_FOLLOW_PARENT != 0
                && !explicit.contains(f.feature.as_str())
            {
                if level_of(&levels, &f.feature) > 0 {
                    request.insert(f.feature.as_str(), parent_state);
                }
            } else if parent_state == InstallState::Absent
                && own != InstallState::Absent
                && !any_request
            {
                // A child is not installed when its parent is not selected.
                request.insert(f.feature.as_str(), InstallState::Absent);
            }
        }
        self.features
            .iter()
            .map(|f| {
                let installed = installed_of(&f.feature);
                let request = state_of(&request, &f.feature);
                let reinstall = explicit.contains(f.feature.as_str())
                    && props.contains("REINSTALL")
                    && installed == InstallState::Local;
                let action = if request != installed || reinstall {
                    request
                } else {
                    InstallState::Unknown
                };
                FeaturePlan {
                    feature: f.feature.clone(),
                    level: level_of(&levels, &f.feature),
                    installed,
                    request,
                    action,
                }
            })
            .collect()
    }

    /// Features ordered so every parent precedes its children.
    fn parent_first_order(&self) -> Vec<&FeatureRow> {
        let by_key: HashMap<&str, &FeatureRow> = self
            .features
            .iter()
            .map(|f| (f.feature.as_str(), f))
            .collect();
        let depth = |f: &FeatureRow| {
            let mut d = 0;
            let mut cur = f.parent.as_deref();
            while let Some(p) = cur {
                d += 1;
                if d > 16 {
                    break;
                }
                cur = by_key.get(p).and_then(|r| r.parent.as_deref());
            }
            d
        };
        let mut order: Vec<&FeatureRow> = self.features.iter().collect();
        order.sort_by_key(|f| depth(f));
        order
    }

    fn file_plans(
        &self,
        props: &Properties,
        dirs: &Directories,
        comps: &HashMap<&str, &ComponentPlan>,
        installed: &InstalledState,
    ) -> Result<Vec<FilePlan>> {
        let short_target = props.contains("SHORTFILENAMES");
        let mode = ReinstallMode::parse(props.get_str("REINSTALLMODE").unwrap_or("omus"));
        let hashes: HashMap<&str, [i32; 4]> = self
            .file_hashes
            .iter()
            .map(|h| (h.file.as_str(), h.hash))
            .collect();
        // Recorded paths by (component, file name): a removal deletes what
        // the installation put in place, wherever the folders were then.
        let recorded: HashMap<(&str, Option<std::ffi::OsString>), &Path> = installed
            .files
            .iter()
            .map(|(c, p)| {
                (
                    (c.as_str(), p.file_name().map(|n| n.to_os_string())),
                    p.as_path(),
                )
            })
            .collect();
        let mut plans = Vec::with_capacity(self.files.len());
        // Decisions are kept only for the files a companion file follows (usually none:
        // a map of every file's decision was a third of costing a 5,000-file package).
        let parents: HashSet<&str> = self.files.iter().filter_map(|f| f.companion_of()).collect();
        let mut decisions: HashMap<&str, bool> = HashMap::new();
        let mut absent_dirs = AbsentDirs::default();
        // Companion parents decide first.
        let mut order: Vec<&FileRow> = self.files.iter().collect();
        order.sort_by_key(|f| f.companion_of().is_some());
        for f in order {
            // `check` guarantees the component exists.
            let Some(c) = comps.get(f.component.as_str()) else {
                continue;
            };
            let name = f.file_name.pick(short_target);
            let target = c.target_dir.join(name);
            let action = match c.action {
                // Nothing can exist in a folder that does not: a first install into a new
                // tree decides every file without a `statx` of each target.
                InstallState::Local if absent_dirs.absent(&c.target_dir) => {
                    if parents.contains(f.file.as_str()) {
                        decisions.insert(&f.file, true);
                    }
                    FileAction::Install { overwrite: false }
                }
                InstallState::Local => {
                    let decision = if let Some(parent) = f.companion_of() {
                        match decisions.get(parent) {
                            Some(true) => FileAction::Install {
                                overwrite: exists(&target),
                            },
                            Some(false) if !exists(&target) => {
                                FileAction::Install { overwrite: false }
                            }
                            Some(false) => FileAction::Skip(SkipReason::CompanionKept),
                            None => decide(f, &target, mode, hashes.get(f.file.as_str())),
                        }
                    } else {
                        decide(f, &target, mode, hashes.get(f.file.as_str()))
                    };
                    if parents.contains(f.file.as_str()) {
                        decisions.insert(&f.file, matches!(decision, FileAction::Install { .. }));
                    }
                    decision
                }
                // Removed, or moved to run-from-source while installed
                // locally (spec B.22's reading of RemoveFiles).
                InstallState::Absent | InstallState::Source
                    if c.installed == InstallState::Local =>
                {
                    FileAction::Remove
                }
                _ => continue,
            };
            let target = if action == FileAction::Remove {
                let name = target.file_name().map(|n| n.to_os_string());
                match recorded.get(&(f.component.as_str(), name)) {
                    Some(p) => p.to_path_buf(),
                    // Not recorded: the file was there before and costing kept it (a
                    // component is only installed with a record of its files). It is the
                    // user's, never removed.
                    None => continue,
                }
            } else {
                target
            };
            let source = if matches!(action, FileAction::Install { .. }) {
                self.file_source(f, dirs, c)
            } else {
                None
            };
            plans.push(FilePlan {
                file: f.file.clone(),
                component: f.component.clone(),
                target,
                size: f.file_size,
                sequence: f.sequence,
                attributes: f.attributes,
                source,
                action,
            });
        }
        plans.sort_by_key(|p| p.sequence);
        Ok(plans)
    }

    /// Where a Media row's cabinet is: a stream of the package (`#name`) or a file in the
    /// source folder; `None` when the row names no cabinet.
    pub fn cabinet_of(&self, m: &MediaRow) -> Option<CabinetLocation> {
        match m.cabinet.as_deref() {
            Some(c) if c.starts_with('#') => Some(CabinetLocation::Embedded(c[1..].to_string())),
            Some(c) if !c.is_empty() => Some(CabinetLocation::External(find_case_insensitive(
                &self.source_dir,
                c,
            ))),
            _ => None,
        }
    }

    /// The Media rows' cabinets in DiskId order, the order a cabinet set is read in ("Media
    /// table").
    pub fn cabinets_by_disk(&self) -> Vec<(i32, CabinetLocation)> {
        let mut rows: Vec<&MediaRow> = self.media.iter().collect();
        rows.sort_by_key(|m| m.disk_id);
        rows.into_iter()
            .filter_map(|m| Some((m.disk_id, self.cabinet_of(m)?)))
            .collect()
    }

    fn file_source(
        &self,
        f: &FileRow,
        dirs: &Directories,
        c: &ComponentPlan,
    ) -> Option<FileSource> {
        let compressed = if f.attributes & file::ATTR_COMPRESSED != 0 {
            true
        } else if f.attributes & file::ATTR_NONCOMPRESSED != 0 {
            false
        } else {
            self.word_count & 2 != 0
        };
        if compressed {
            let m = media::for_sequence(&self.media, f.sequence)?;
            let cabinet = self.cabinet_of(m)?;
            return Some(FileSource::Cabinet {
                disk_id: m.disk_id,
                cabinet,
                sequence: f.sequence,
                name: f.file.clone(),
            });
        }
        let short_source = self.word_count & 1 != 0;
        let name = f.file_name.pick(short_source);
        // A compressed package keeps its uncompressed files at the source
        // root (spec 4.5.2).
        let dir = if self.word_count & 2 != 0 {
            self.source_dir.clone()
        } else {
            dirs.source(&c.directory)
                .map(Path::to_path_buf)
                .unwrap_or_else(|| self.source_dir.clone())
        };
        Some(FileSource::Uncompressed {
            path: find_case_insensitive(&dir, name),
        })
    }

    fn remove_file_plans(
        &self,
        props: &Properties,
        root: &Path,
        comps: &HashMap<&str, &ComponentPlan>,
    ) -> Result<Vec<RemoveFilePlan>> {
        let mut out = Vec::new();
        for row in &self.remove_files {
            let Some(c) = comps.get(row.component.as_str()) else {
                continue;
            };
            let installing = matches!(c.action, InstallState::Local | InstallState::Source);
            let removing = c.action == InstallState::Absent;
            let wanted = match row.install_mode {
                folders::REMOVE_ON_INSTALL => installing,
                folders::REMOVE_ON_REMOVE => removing,
                folders::REMOVE_ON_BOTH => installing || removing,
                _ => false,
            };
            if !wanted {
                continue;
            }
            let Some(dir) = props.get_str(&row.dir_property) else {
                continue;
            };
            let pattern = row
                .file_name
                .as_deref()
                .map(|n| crate::tables::directory::NamePair::parse(n).long);
            if pattern
                .as_deref()
                .is_some_and(|p| p.contains(['/', '\\']) || p == "..")
            {
                return Err(Error::bad_row(
                    "RemoveFile",
                    &row.file_key,
                    "file name is not a plain name",
                ));
            }
            out.push(RemoveFilePlan {
                file_key: row.file_key.clone(),
                dir: place_under_root(root, dir)?,
                pattern,
            });
        }
        Ok(out)
    }

    fn duplicate_plans(
        &self,
        props: &Properties,
        root: &Path,
        comps: &HashMap<&str, &ComponentPlan>,
        files: &[FilePlan],
    ) -> Result<Vec<DuplicatePlan>> {
        let mut out = Vec::new();
        for row in &self.duplicate_files {
            let Some(c) = comps.get(row.component.as_str()) else {
                continue;
            };
            let install = match c.action {
                InstallState::Local => true,
                InstallState::Absent => false,
                _ => continue,
            };
            let Some(original) = self.files.iter().find(|f| f.file == row.file) else {
                continue;
            };
            let Some(orig_comp) = comps.get(original.component.as_str()) else {
                continue;
            };
            let from = files
                .iter()
                .find(|p| p.file == row.file)
                .map(|p| p.target.clone())
                .unwrap_or_else(|| {
                    orig_comp
                        .target_dir
                        .join(original.file_name.pick(props.contains("SHORTFILENAMES")))
                });
            let dest_dir = match &row.dest_folder {
                None => orig_comp.target_dir.clone(),
                Some(prop) => match props.get_str(prop) {
                    Some(v) => place_under_root(root, v)?,
                    // Not a full path: nothing is done (spec 2.5).
                    None => continue,
                },
            };
            let dest_name = match &row.dest_name {
                Some(n) => crate::tables::directory::NamePair::parse(n).long,
                None => original.file_name.long.clone(),
            };
            if dest_name.contains(['/', '\\']) || dest_name == ".." || dest_name == "." {
                return Err(Error::bad_row(
                    "DuplicateFile",
                    &row.file_key,
                    "destination name is not a plain name",
                ));
            }
            let to = dest_dir.join(&dest_name);
            if to == from {
                continue;
            }
            out.push(DuplicatePlan {
                file_key: row.file_key.clone(),
                original: row.file.clone(),
                from,
                to,
                install,
            });
        }
        Ok(out)
    }

    fn move_plans(
        &self,
        props: &Properties,
        root: &Path,
        comps: &HashMap<&str, &ComponentPlan>,
    ) -> Result<Vec<MovePlan>> {
        let mut out = Vec::new();
        for row in &self.move_files {
            let Some(c) = comps.get(row.component.as_str()) else {
                continue;
            };
            if !matches!(c.action, InstallState::Local | InstallState::Source) {
                continue;
            }
            let (Some(src), Some(dest)) = (
                row.source_folder.as_deref().and_then(|p| props.get_str(p)),
                props.get_str(&row.dest_folder),
            ) else {
                continue;
            };
            let pattern = row
                .source_name
                .as_deref()
                .map(|n| crate::tables::directory::NamePair::parse(n).long);
            let dest_name = row
                .dest_name
                .as_deref()
                .map(|n| crate::tables::directory::NamePair::parse(n).long);
            for name in pattern.iter().chain(dest_name.iter()) {
                if name.contains(['/', '\\']) || name == ".." {
                    return Err(Error::bad_row(
                        "MoveFile",
                        &row.file_key,
                        "file name is not a plain name",
                    ));
                }
            }
            out.push(MovePlan {
                file_key: row.file_key.clone(),
                source_dir: place_under_root(root, src)?,
                pattern,
                dest_dir: place_under_root(root, dest)?,
                dest_name,
                move_file: row.options & folders::MOVE_FILE_OPTION_MOVE != 0,
            });
        }
        Ok(out)
    }
}

/// Runs CostInitialize, FileCost and CostFinalize in one call.
pub fn plan(
    package: &Package,
    props: &mut Properties,
    root: &Path,
    installed: Option<&InstalledState>,
) -> Result<CostPlan> {
    CostTables::load(package)?.finalize(props, root, installed)
}

/// A state as the costing log lines write it: `Absent`, `Local`, `Source`,
/// `Advertise`, or `Null` (no action / unknown).
pub fn state_word(state: InstallState) -> &'static str {
    match state {
        InstallState::Absent => "Absent",
        InstallState::Local => "Local",
        InstallState::Source => "Source",
        InstallState::Advertised => "Advertise",
        _ => "Null",
    }
}

fn level_of(levels: &HashMap<&str, i32>, feature: &str) -> i32 {
    levels.get(feature).copied().unwrap_or(0)
}

fn state_of(request: &BTreeMap<&str, InstallState>, feature: &str) -> InstallState {
    request
        .get(feature)
        .copied()
        .unwrap_or(InstallState::Absent)
}

/// The better of two requested component states: Local > Source >
/// Advertised > Absent.
fn better(a: InstallState, b: InstallState) -> InstallState {
    let rank = |s: InstallState| match s {
        InstallState::Local => 4,
        InstallState::Source => 3,
        InstallState::Advertised => 2,
        InstallState::Absent => 1,
        _ => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

fn apply_never_overwrite(mut files: Vec<FilePlan>, components: &[ComponentPlan]) -> Vec<FilePlan> {
    for c in components {
        if c.attributes & component::ATTR_NEVER_OVERWRITE == 0 || c.action != InstallState::Local {
            continue;
        }
        let Some(key) = &c.key_path else { continue };
        let key_exists = files.iter().any(|f| &f.file == key && exists(&f.target));
        if key_exists {
            for f in files.iter_mut().filter(|f| f.component == c.component) {
                if matches!(f.action, FileAction::Install { .. }) {
                    f.action = FileAction::Skip(SkipReason::NeverOverwrite);
                    f.source = None;
                }
            }
        }
    }
    files
}

fn dedup_keep_order(paths: &mut Vec<PathBuf>) {
    let mut seen = HashSet::new();
    paths.retain(|p| seen.insert(p.clone()));
}

/// Which folders are known to be missing, so that costing asks the file system once per
/// folder rather than once per file. A folder is missing when `lstat` says `ENOENT` (some
/// component of its path does not exist), or when its parent is missing; then no path
/// under it exists either. Anything else (present, a symlink, `ENOTDIR`, no permission)
/// counts as "maybe present" and each file is asked about as before.
#[derive(Default)]
struct AbsentDirs {
    known: HashMap<PathBuf, bool>,
}

impl AbsentDirs {
    fn absent(&mut self, dir: &Path) -> bool {
        if let Some(&absent) = self.known.get(dir) {
            return absent;
        }
        let parent_absent = match dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => self.absent(parent),
            _ => false,
        };
        let absent = parent_absent
            || fs_err::symlink_metadata(dir)
                .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
        self.known.insert(dir.to_path_buf(), absent);
        absent
    }
}

fn exists(path: &Path) -> bool {
    fs_err::symlink_metadata(path).is_ok()
}

/// `dir/name`, or the entry of `dir` whose name matches `name` ignoring
/// ASCII case when the exact name is absent (Windows file names are
/// case-insensitive; cabinets and sources authored on Windows rely on it).
pub fn find_case_insensitive(dir: &Path, name: &str) -> PathBuf {
    let exact = dir.join(name);
    if exists(&exact) {
        return exact;
    }
    fs_err::read_dir(dir)
        .ok()
        .and_then(|entries| {
            entries.flatten().find_map(|e| {
                e.file_name()
                    .to_str()
                    .filter(|n| n.eq_ignore_ascii_case(name))
                    .map(|_| e.path())
            })
        })
        .unwrap_or(exact)
}

/// The file-related letters of `REINSTALLMODE` (spec 4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReinstallMode {
    /// `p`: only missing files.
    pub missing: bool,
    /// `o`: missing or older.
    pub older: bool,
    /// `e`: missing, equal or older.
    pub equal: bool,
    /// `d`: missing or different.
    pub different: bool,
    /// `c`: verify checksums.
    pub verify: bool,
    /// `a`: all files.
    pub all: bool,
}

impl ReinstallMode {
    /// Parses the letters (case-insensitive, any order).
    pub fn parse(text: &str) -> ReinstallMode {
        let has = |c: char| text.chars().any(|x| x.eq_ignore_ascii_case(&c));
        ReinstallMode {
            missing: has('p'),
            older: has('o'),
            equal: has('e'),
            different: has('d'),
            verify: has('c'),
            all: has('a'),
        }
    }
}

/// The file versioning rules (spec 4.7) for one file whose target may
/// exist.
fn decide(f: &FileRow, target: &Path, mode: ReinstallMode, hash: Option<&[i32; 4]>) -> FileAction {
    let Ok(meta) = fs_err::symlink_metadata(target) else {
        return FileAction::Install { overwrite: false };
    };
    let replace = FileAction::Install { overwrite: true };
    if mode.all {
        return replace;
    }
    let version_rules = mode.older || mode.equal || mode.different;
    if !version_rules {
        return FileAction::Skip(SkipReason::OnlyIfMissing);
    }
    let ours = f.own_version();
    let theirs = if meta.is_file() {
        file_version(target)
    } else {
        None
    };
    match (ours, theirs) {
        (Some(a), Some(b)) => {
            let install = if mode.different {
                a != b
            } else if a != b {
                a > b
            } else if mode.equal {
                true
            } else {
                // Equal versions: the languages would decide, but the
                // language of the file on disk is not read (its version
                // resource's translation table), so the file is kept, as
                // for equal languages.
                false
            };
            if install {
                replace
            } else if a < b {
                FileAction::Skip(SkipReason::NewerVersionOnDisk {
                    disk: b,
                    package: a,
                })
            } else {
                FileAction::Skip(SkipReason::SameVersion(a))
            }
        }
        (Some(_), None) => replace,
        (None, Some(b)) => FileAction::Skip(SkipReason::VersionedOnDisk(b)),
        (None, None) => {
            if user_modified(&meta) {
                return FileAction::Skip(SkipReason::UserModified);
            }
            // Only a regular file is hashed (lstat above): opening a FIFO planted at the
            // target would block for ever, and a symlink must not be followed.
            if let Some(expected) = hash
                && meta.is_file()
                && md5::file_hash(target).is_some_and(|h| &h == expected)
            {
                return FileAction::Skip(SkipReason::HashMatches);
            }
            replace
        }
    }
}

/// An unversioned file counts as modified when its modification time is
/// later than its birth time (the spec's reading: replace when Modified ≤
/// Created). Without a birth time it counts as unmodified.
fn user_modified(meta: &std::fs::Metadata) -> bool {
    match (meta.created(), meta.modified()) {
        // A second of slack: writing a file sets both nearly together.
        (Ok(created), Ok(modified)) => modified
            .duration_since(created)
            .is_ok_and(|d| d.as_secs() >= 1),
        _ => false,
    }
}

/// Whether `name` matches `pattern` with `*` (any run) and `?` (one
/// character), ignoring ASCII case as Windows does (RemoveFile, MoveFile).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let n: Vec<char> = name.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The MsiFileHash value of a file: MD5, as four little-endian 32-bit
/// integers.
///
/// MD5 is hand-written (RFC 1321) because the workspace has no MD5 crate
/// and MsiFileHash needs nothing else; it is used only to compare with the
/// package's recorded hash, never for security.
pub(crate) mod md5 {
    use std::io::Read;
    use std::path::Path;

    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];

    fn k(i: usize) -> u32 {
        // floor(abs(sin(i + 1)) * 2^32), as RFC 1321 defines the table.
        ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32
    }

    /// An MD5 computation fed piece by piece: memory stays the same for any input size.
    pub(crate) struct Md5 {
        state: [u32; 4],
        /// Bytes of the current 64-byte block not yet compressed.
        block: [u8; 64],
        filled: usize,
        len: u64,
    }

    impl Md5 {
        pub(crate) fn new() -> Md5 {
            Md5 {
                state: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476],
                block: [0; 64],
                filled: 0,
                len: 0,
            }
        }

        pub(crate) fn update(&mut self, mut data: &[u8]) {
            self.len = self.len.wrapping_add(data.len() as u64);
            while !data.is_empty() {
                let take = (64 - self.filled).min(data.len());
                self.block[self.filled..self.filled + take].copy_from_slice(&data[..take]);
                self.filled += take;
                data = &data[take..];
                if self.filled == 64 {
                    let block = self.block;
                    self.compress(&block);
                    self.filled = 0;
                }
            }
        }

        pub(crate) fn finish(mut self) -> [u8; 16] {
            let bit_len = self.len.wrapping_mul(8);
            self.update(&[0x80]);
            while self.filled != 56 {
                self.update(&[0]);
            }
            self.update(&bit_len.to_le_bytes());
            let mut out = [0u8; 16];
            for (i, s) in self.state.iter().enumerate() {
                out[4 * i..4 * i + 4].copy_from_slice(&s.to_le_bytes());
            }
            out
        }

        fn compress(&mut self, chunk: &[u8; 64]) {
            let mut m = [0u32; 16];
            for (w, bytes) in m.iter_mut().zip(chunk.chunks_exact(4)) {
                *w = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            }
            let [mut a, mut b, mut c, mut d] = self.state;
            for (i, shift) in S.iter().enumerate() {
                let (f, g) = match i / 16 {
                    0 => ((b & c) | (!b & d), i),
                    1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                    2 => (b ^ c ^ d, (3 * i + 5) % 16),
                    _ => (c ^ (b | !d), (7 * i) % 16),
                };
                let f = f.wrapping_add(a).wrapping_add(k(i)).wrapping_add(m[g]);
                a = d;
                d = c;
                c = b;
                b = b.wrapping_add(f.rotate_left(*shift));
            }
            self.state[0] = self.state[0].wrapping_add(a);
            self.state[1] = self.state[1].wrapping_add(b);
            self.state[2] = self.state[2].wrapping_add(c);
            self.state[3] = self.state[3].wrapping_add(d);
        }
    }

    /// The MD5 digest of `data`.
    #[cfg(test)]
    pub(crate) fn digest(data: &[u8]) -> [u8; 16] {
        let mut h = Md5::new();
        h.update(data);
        h.finish()
    }

    /// The MD5 digest of what `reader` yields, read 64 KiB at a time (an installed file
    /// may be of any size: it is never held in memory whole).
    pub(crate) fn digest_reader(reader: &mut dyn Read) -> std::io::Result<[u8; 16]> {
        let mut h = Md5::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return Ok(h.finish()),
                Ok(n) => h.update(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The file's hash as the four MsiFileHash parts, `None` if unreadable.
    pub(crate) fn file_hash(path: &Path) -> Option<[i32; 4]> {
        let d = digest_reader(&mut fs_err::File::open(path).ok()?).ok()?;
        let part =
            |i: usize| i32::from_le_bytes([d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]]);
        Some([part(0), part(1), part(2), part(3)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_rfc_1321() {
        let hex = |d: [u8; 16]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(md5::digest(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            hex(md5::digest(b"The quick brown fox jumps over the lazy dog")),
            "9e107d9d372bb6826bd81d3542a419d6"
        );
        assert_eq!(
            hex(md5::digest(&[b'a'; 200])),
            "887f30b43b2867f4a9accceee7d16e6c"
        );
    }

    #[test]
    fn md5_of_a_file_is_streamed_in_pieces_of_any_size() {
        let hex = |d: [u8; 16]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        // A million 'a's, never in memory whole.
        let mut a = std::io::Read::take(std::io::repeat(b'a'), 1_000_000);
        assert_eq!(
            hex(md5::digest_reader(&mut a).expect("read")),
            "7707d6ae4e027c70eea2a935c2296f21"
        );
        // Fed in uneven pieces, across every block boundary.
        let data: Vec<u8> = (0..200_003u32).map(|i| (i % 251) as u8).collect();
        let mut h = md5::Md5::new();
        for piece in data.chunks(61) {
            h.update(piece);
        }
        assert_eq!(hex(h.finish()), "21f7cf2b00eeb45c5855fc12fe97bfe1");
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("f");
        fs_err::write(&file, &data).expect("write");
        let d = md5::digest(&data);
        let parts = md5::file_hash(&file).expect("hash");
        assert_eq!(parts[0], i32::from_le_bytes([d[0], d[1], d[2], d[3]]));
        assert_eq!(parts[3], i32::from_le_bytes([d[12], d[13], d[14], d[15]]));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*.txt", "A.TXT"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*a*b", "xxaYYb"));
        assert!(!wildcard_match("*.log", "a.txt"));
    }

    #[test]
    fn reinstall_mode_letters() {
        let m = ReinstallMode::parse("omus");
        assert!(m.older && !m.all && !m.equal);
        assert!(ReinstallMode::parse("A").all);
    }
}
