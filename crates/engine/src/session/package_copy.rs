//! The package cache's copy of the package ([`Registry::package_copy`]: the package without
//! its embedded cabinets, checked against it), made on a thread of its own from
//! InstallInitialize on, while the files are extracted and written, and taken at the
//! registration. It needs nothing of the session but the package: for a small package it
//! was a quarter of an install's time, spent after the files.

use std::sync::Arc;

use super::Session;
use crate::error::Result;
use crate::registry::Registry;

impl Session<'_, '_> {
    /// Starts making the copy when this run will register the product: not a removal,
    /// RegisterProduct in the execute sequence. The thread makes it when it is small enough
    /// to be held in memory (finding out reads the package's directory again, off this
    /// thread); the registration makes it itself otherwise, through its file.
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
            .spawn(move || {
                Registry::copy_fits_in_memory(&package).then(|| Registry::package_copy(&package))
            })
            .ok();
    }

    /// The copy, once made (`None` when no thread made it, the package was too large for
    /// one in memory, or the thread failed to end).
    pub(super) fn take_package_copy(&mut self) -> Option<Result<Vec<u8>>> {
        self.package_copy.take()?.join().ok().flatten()
    }
}
