//! The package cache's copy of the package ([`Registry::package_copy`]: the package without
//! its embedded cabinets, checked against it), made on a thread of its own while the run
//! initialises, costs and writes the files, and taken at the registration. It needs nothing
//! of the session but the package: for a small package it was a quarter of an install's
//! time, spent after the files. It starts with the run unless REMOVE is on the command
//! line ([`Session::start_package_copy_early`]), else at InstallInitialize once costing
//! has said whether the product stays.

use std::sync::Arc;

use super::Session;
use crate::error::Result;
use crate::registry::Registry;

impl Session<'_, '_> {
    /// Starts making the copy when this run will register the product: not a removal,
    /// RegisterProduct in the execute sequence. The thread makes it when it is small enough
    /// to be held in memory; the registration makes it itself otherwise, through its file.
    pub(crate) fn start_package_copy(&mut self) {
        if self.package_copy.is_some()
            || self.ctx.product_removed()
            || !self
                .execute_rows
                .iter()
                .any(|r| r.action == "RegisterProduct")
        {
            return;
        }
        let package = Arc::clone(&self.package);
        self.package_copy = std::thread::Builder::new()
            .name("rmsi-package-copy".into())
            .spawn(move || Registry::package_copy(&package).transpose())
            .ok();
    }

    /// Starts the copy before anything else runs, unless the command line asks for a
    /// removal: its thread then works while the prefix's registry is read and the
    /// package's tables are costed (started at InstallInitialize, it left the registration
    /// waiting for it). A run whose costing then removes the product without being asked
    /// has made a copy it does not use.
    pub(crate) fn start_package_copy_early(&mut self) {
        let removal = self
            .request
            .property("REMOVE")
            .is_some_and(|v| !v.trim().is_empty());
        if !removal {
            self.start_package_copy();
        }
    }

    /// The copy, once made (`None` when no thread made it, the package was too large for
    /// one in memory, or the thread failed to end).
    pub(super) fn take_package_copy(&mut self) -> Option<Result<Vec<u8>>> {
        self.package_copy.take()?.join().ok().flatten()
    }
}
