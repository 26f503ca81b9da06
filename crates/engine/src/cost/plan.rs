//! The plan costing returns: what each feature, component and file will do, where each
//! file comes from and goes to, and the folders and RemoveFile, DuplicateFile and MoveFile
//! work; with the costing log lines and the states the property store is given.

use std::path::{Path, PathBuf};

use msi_expr::InstallState;

use crate::directory::Directories;
use crate::layout::folder_value;
use crate::properties::StateView;
use package::Version;

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
    /// The file-name pattern (`*`/`?` wildcards; see [`wildcard_match`](super::wildcard_match));
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

    /// The costing lines of a verbose log ("How To Read A Windows Installer Verbose
    /// Log"): one
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
