//! Reading a Windows Installer package: its database read once into memory, typed rows for
//! each table family, the summary information, versions, and streams read on demand.
//!
//! [`Package::open`] (or [`Package::from_bytes`]) reads every table into a [`Table`] of
//! [`Value`]s; the [`tables`] modules turn them into typed rows (`tables::file::FileRow`,
//! `tables::media::MediaRow`, …) that check what their users rely on, a broken row being
//! [`Error::BadRow`], never a panic. [`Summary`] is the summary information stream,
//! [`StreamReader`] an embedded cabinet or Binary row read on demand, [`Version`] the
//! Version data type (and [`file_version`] a PE file's version resource).
//!
//! This crate reads packages and knows nothing of installing them: no target root, no
//! product registry, no SQLite. It is what `rmsi info` and a package validator need, and
//! where transforms are applied to the in-memory database ([`transform`]: read, checked,
//! applied, generated and written), a changed database written back ([`Package::write`])
//! and two packages compared ([`diff`]). Failures carry
//! the Windows Installer code `msiexec` gives them: a missing or unreadable file is 1619
//! (`ERROR_INSTALL_PACKAGE_OPEN_FAILED`), anything not a valid installer database 1620
//! (`ERROR_INSTALL_PACKAGE_INVALID`).
//!
//! # Example
//!
//! ```
//! let package = package::Package::open("../../examples/hello/hello.msi").unwrap();
//! assert_eq!(package.property("ProductName").as_deref(), Some("rmsi hello"));
//! assert!(!package.files().unwrap().is_empty());
//! ```
#![warn(missing_docs)]

mod admin;
pub mod cabinets;
mod cache_copy;
pub mod diff;
mod error;
mod package;
pub mod patch;
mod seekbuf;
mod streamname;
pub mod tables;
pub mod transform;
mod version;
mod write;

pub use admin::ADMIN_PROPERTIES_STREAM;
pub use cache_copy::same_bytes;
pub use error::{Error, Result};
pub use package::{Package, StreamReader, Summary, table_kind_name};
pub use patch::{Patch, PatchState, PatchSummary};
pub use tables::{Column, ColumnKind, Table, Value};
pub use transform::{ErrorConditions, Transform, TransformSummary, Validation};
pub use version::{Version, file_version};
