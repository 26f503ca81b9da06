//! Windows Installer's execution engine, running real `.msi` packages on Linux.
//!
//! [`install`] runs one package into one target root, the way `msiexec /i` runs it on
//! Windows: it opens the package, sets the properties an installer sets at initialization,
//! starts a Restart Manager session (the `restart-manager` crate) and publishes its key in
//! `MsiRestartManagerSessionKey`, then runs the sequence tables action by action, each
//! row's condition evaluated by `msi-expr`. The outcome is a Windows Installer code —
//! 0, 3010, 1602, 1603, 1618, 1619, 1620… — and, when asked, a verbose log in the line
//! grammar of Windows' own logs.
//!
//! The parts, and the job each one owns:
//!
//! * **The model** — [`Package`] (the database, its tables and streams), [`Properties`]
//!   (the property store conditions and formatted strings read), [`Layout`] (where the
//!   standard folders point under a root: `fhs` or `windows`), the Directory resolution that
//!   keeps every target under the root ([`place_under_root`], [`confine`]), and costing
//!   ([`CostPlan`]: feature and component selection, file versioning).
//! * **Cabinets** — the `cabinet` crate streams a cabinet's files out in one pass per
//!   folder and verifies every data block's checksum and every file's size.
//! * **Execution** — the session ([`install`], [`InstallRequest`], [`InstallReport`]), the
//!   sequence runner, one module per standard action, custom actions run as host programs
//!   (their command lines split by Windows' rules, never handed to a shell) and the verbose
//!   log. The root's lock, journal and staging area are the `transaction` crate's; the
//!   engine tells it which state folders and files are its own.
//!
//! Two promises shape the execution side. **Nothing is written outside the root** (the log
//! file and private temp files aside): every path is walked from the root's open folder
//! without following symbolic links. **A failed install leaves the root as it was**: files
//! are extracted and checked into a private staging folder first, and only the script
//! (InstallFinalize) renames them into place, undoing every step if one fails.
//!
//! [`uninstall`](fn@uninstall) removes an installed product again, as `msiexec /x` does: the same run with
//! `REMOVE=ALL` on the installed product (found by product code through the package the
//! install cached, or by a package file), leaving the root as it was before the install. A
//! major upgrade runs the same removal for the products its Upgrade table finds
//! (RemoveExistingProducts), in or out of its own transaction as the action's placement
//! says, and carries their feature states over (MigrateFeatureStates).
//!
//! [`patch`] applies `.msp` patches to the installed products they target (a maintenance
//! run with `PATCH=`, `REINSTALL=ALL`, `REINSTALLMODE=omus`; the patches are applied to the
//! package in memory after its transforms, sequenced again from the original package at
//! every run, and recorded with the product) and [`remove_patches`] removes them again.
//! [`admin_install`] makes an administrative image (`msiexec /a`): the package's files
//! uncompressed at their source paths under `TARGETDIR` and a copy of the package marked
//! as an image, nothing written elsewhere.
//!
//! A Wine prefix is a target too ([`Layout::Wine`], the [`wine`] module): the files go
//! under its `drive_c` with the folders its registry names, the folder properties are
//! `C:\` paths, and the registry is its `system.reg` and `user.reg`, written through the
//! same transaction; the product is published where Wine's own `msiexec` finds it.
//!
//! The registry is the root's own: the `winreg` crate's tables in the product database,
//! written by WriteRegistryValues, RemoveRegistryValues and the registration actions
//! (ProcessComponents, RegisterProduct, PublishProduct, PublishFeatures, RegisterUser) in
//! the transaction that records the product, and read by AppSearch; [`verify`] compares a
//! product's files and values with what it installed. Shortcuts and INI files are made in
//! the form the layout takes (`.lnk` Shell Links or `.desktop` entries; INI files as
//! `WritePrivateProfileString` writes them, see the `shell` crate), through the same stage.
//! COM classes, ProgIds, file associations, MIME types and type libraries are registered
//! under `Software\Classes` (the Register…Info actions and RegisterTypeLibraries).
//! Other Windows-only actions (COM+, ODBC, assemblies…) are logged as not executed on this
//! platform; DLL and script custom actions fail cleanly with the Windows Installer error
//! that names them.
//!
//! # Example
//!
//! ```
//! use engine::{InstallRequest, Layout, NoUi, UiLevel, install};
//!
//! let root = tempfile::tempdir().unwrap();
//! let request = InstallRequest {
//!     package: "../../examples/hello/hello.msi".into(),
//!     root: root.path().to_path_buf(),
//!     layout: Layout::Fhs,
//!     ui_level: UiLevel::None,
//!     log: None,
//!     log_append: false,
//!     // Keep the example away from the user's Restart Manager sessions.
//!     properties: vec![("MSIRESTARTMANAGERCONTROL".into(), "Disable".into())],
//!     custom_actions: true,
//! };
//! let report = install(&request, &mut NoUi);
//! assert_eq!((report.code(), report.name()), (0, "ERROR_SUCCESS"));
//! assert!(root.path().join("opt/rmsi-hello/hello.txt").is_file());
//! ```
#![warn(missing_docs)]

// --- model ---
mod cost;
mod directory;
mod error;
mod layout;
mod platform;
mod properties;
mod registry;

// --- execution ---
mod actions;
mod admin;
mod closing;
mod cmdline;
mod custom_action;
mod log;
mod patches;
mod patching;
mod request;
mod rm;
mod sequence;
mod session;
mod transforms;
mod ui;
mod uninstall;
mod verify;
pub mod wine;
mod winstate;

// --- re-exports: model ---
pub use cost::{
    CabinetLocation, ComponentPlan, CostPlan, CostTables, DuplicatePlan, FeaturePlan, FileAction,
    FilePlan, FileSource, InstalledState, MovePlan, ReinstallMode, RemoveFilePlan, SkipReason,
    find_case_insensitive, plan, state_word, wildcard_match,
};
pub use directory::{
    Directories, NameChoice, ResolvedDirectory, confine, normalise, place_under_root,
    resolve as resolve_directories,
};
pub use error::{Error, Outcome, Result, exit_status};
pub use layout::{Account, Layout, PathStyle, folder_value};
pub use properties::{
    ChangeHook, InitOptions, Properties, PropertyChange, STATE_REQUEST_PROPERTIES, StateView,
    UiLevel, initialize, is_public, machine_properties,
};
pub use registry::{
    ComponentRecord, DATABASE_NAME, PatchRecord, ProductRecord, Registry, remembered_layout,
    upgrade_matches,
};

// --- re-exports: the package crate, during the move to it (use `package::` directly) ---
pub use package::{
    Error as PackageError, Package, StreamReader, Summary, Version, file_version, table_kind_name,
    tables,
};

// --- re-exports: execution ---
pub use admin::{AdminRequest, ImageFile, admin_install, extract_image, image_files};
pub use patching::{PatchRemovalRequest, PatchRequest, patch, remove_patches};
pub use request::{InstallReport, InstallRequest};
pub use session::install;
pub use ui::{
    AppInUse, FilesInUseChoice, InstallUi, LegacyFilesInUseChoice, NoUi, cancel_on_signals,
};
pub use uninstall::{UninstallRequest, UninstallTarget, uninstall};
pub use verify::{Difference, DifferenceKind, Problem, VerifyReport, verify};

// --- re-exports: the root's Windows registry (`rmsi reg`) ---
pub use winreg;
