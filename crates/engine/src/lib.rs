//! The Windows Installer execution engine (being built: see issue 6).
//!
//! Module ownership while the crate is being built in parallel:
//! model = error, package, tables, properties, layout, directory, cost, version, registry;
//! execution = session, sequence, actions, custom_action, cmdline, log, rm, stage, lock;
//! cabinets = cabinet.

// --- model ---
mod cost;
mod directory;
mod error;
mod layout;
mod package;
mod properties;
mod registry;
pub mod tables;
mod version;

// --- execution ---
mod actions;
mod cmdline;
mod custom_action;
mod lock;
mod log;
mod rm;
mod sequence;
mod session;
mod stage;

// --- cabinets ---
mod cabinet;

// --- re-exports: model ---
pub use error::{Error, Outcome, Result, exit_status};
pub use layout::{Account, Layout, folder_value};
pub use package::{Package, StreamReader, Summary, table_kind_name};
pub use version::{Version, file_version};
pub use properties::{
    ChangeHook, InitOptions, Properties, PropertyChange, STATE_REQUEST_PROPERTIES, StateView,
    initialize, is_public,
};
pub use directory::{
    Directories, NameChoice, ResolvedDirectory, confine, normalise, place_under_root,
    resolve as resolve_directories,
};
pub use cost::{
    CabinetLocation, ComponentPlan, CostPlan, CostTables, DuplicatePlan, FeaturePlan, FileAction,
    FilePlan, FileSource, InstalledState, MovePlan, ReinstallMode, RemoveFilePlan, SkipReason,
    find_case_insensitive, plan, state_word, wildcard_match,
};
pub use registry::{ComponentRecord, DATABASE_NAME, ProductRecord, Registry, upgrade_matches};

// --- re-exports: execution ---
pub use rm::{AppInUse, FilesInUseChoice};
pub use session::{InstallReport, InstallRequest, InstallUi, NoUi, UiLevel, install};

// --- re-exports: cabinets ---
pub use cabinet::{
    CabinetEntry, CabinetError, Compression, FileWriter, Sink, extract, extract_to, list,
};
