//! Windows Installer's package validation, on Linux: the internal
//! consistency evaluators (ICE rules) of Microsoft's "ICE Reference" that
//! Orca, msival2 and `wix msi validate` run on Windows, plus this project's
//! own rules on the Restart Manager session key.
//!
//! [`validate`] reads an opened [`package::Package`] (no installer
//! execution) and returns a [`Report`] of [`Finding`]s: the rule, its
//! [`Severity`], the table, row and column concerned, and Microsoft's
//! message text. [`RULES`] lists every rule with its help text; [`Options`]
//! picks the rules to run.
//!
//! Like Orca and msival2, which merge a validation database's `_Validation`
//! rows into the package before running ICE03, the crate carries the
//! Windows Installer SDK schema's `_Validation` rows for every standard table
//! and merges the package's own rows over them (the package's row wins), so
//! ICE03 runs on packages that carry no `_Validation` table (wixl writes
//! none). Condition columns are parsed with the project's `msi-expr` parser,
//! formatted text with this crate's strict checker, and a syntax error names
//! the column and the position in the text.
//!
//! The crate knows nothing of installing: it reads tables, never streams'
//! contents, and never prints.
//!
//! # Example
//!
//! ```no_run
//! let package = package::Package::open("product.msi")?;
//! let report = validate::validate(&package, &validate::Options::default());
//! for finding in &report.findings {
//!     println!("{finding}");
//! }
//! println!("{} errors, {} warnings", report.errors(), report.warnings());
//! # Ok::<(), package::Error>(())
//! ```

#![warn(missing_docs)]

mod categories;
mod context;
mod db;
mod finding;
mod formatted;
mod report;
mod rules;
mod schema;

pub use finding::{Finding, Severity};
pub use report::{Options, Report, UnknownRule, validate};
pub use rules::{RULES, Rule, rule};
