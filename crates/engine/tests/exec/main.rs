//! Installing and removing through the library (`engine::install`, `engine::uninstall`),
//! one binary (`cargo test -p rmsi-engine --test exec script::`): small packages built with
//! `wixl` at test time, installed into private roots.

// Scratch roots and packages built for these tests.
mod exec_util;
// The cabinet builder of the cabinet crate's tests, shared rather than copied.
#[path = "../../../cabinet/tests/util/mod.rs"]
mod cabinet_util;

// InstallFiles' writer threads: every byte in the right file.
mod pipeline;
// Cabinets spanning media: read in DiskId order, Windows' errors when misplaced.
mod span;
// CreateFolders, RemoveFiles, MoveFiles, DuplicateFiles.
mod files;
// Folders an install created, and components without a ComponentId, at removal.
mod folders;
// LaunchConditions and AppSearch.
mod search;
// Return processing of executable custom actions.
mod returns;
// The install script: deferred, rollback and commit custom actions.
mod script;
// The product registry as the session uses it.
mod registry;
// Uninstall: by package or product code, the root as it was.
mod uninstall;
// The service actions: vital failures, existing services, MsiConfigureServices errors.
mod services;
// COM classes and file associations: the Class, ProgId, Extension, Verb, MIME, AppId and
// TypeLib tables.
mod classes;
