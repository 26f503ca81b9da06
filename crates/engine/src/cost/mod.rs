//! Costing: CostInitialize, FileCost and CostFinalize as functions ("CostInitialize
//! action", "FileCost action", "CostFinalize action", "File Versioning Rules").
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
//!
//! Its modules: `plan` (the plan costing returns), `features` (feature states),
//! `components` (component states), `files` (each file's source, target and action),
//! `versioning` (the file versioning rules), `file_operations` (the RemoveFile,
//! DuplicateFile and MoveFile work) and `md5` (MsiFileHash's hash).

mod components;
mod features;
mod file_operations;
mod files;
pub(crate) mod md5;
mod plan;
#[cfg(test)]
mod tests;
mod versioning;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use msi_expr::InstallState;

use crate::directory::{self, NameChoice};
use crate::error::{Error, Result};
use crate::properties::Properties;
use crate::tables::component::{ComponentRow, FeatureComponentsRow};
use crate::tables::condition::ConditionRow;
use crate::tables::directory::DirectoryRow;
use crate::tables::feature::FeatureRow;
use crate::tables::file::{FileHashRow, FileRow};
use crate::tables::folders::{CreateFolderRow, DuplicateFileRow, MoveFileRow, RemoveFileRow};
use crate::tables::media::MediaRow;
use package::Package;

pub use file_operations::wildcard_match;
use files::apply_never_overwrite;
pub use files::find_case_insensitive;
pub use plan::{
    CabinetLocation, ComponentPlan, CostPlan, DuplicatePlan, FeaturePlan, FileAction, FilePlan,
    FileSource, MovePlan, RemoveFilePlan, SkipReason, state_word,
};
pub use versioning::ReinstallMode;

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
        // Components.
        let components = self.component_states(props, root, &dirs, &features, installed_state)?;
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

fn dedup_keep_order(paths: &mut Vec<PathBuf>) {
    let mut seen = HashSet::new();
    paths.retain(|p| seen.insert(p.clone()));
}
