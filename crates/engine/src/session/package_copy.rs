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
    /// Starts making the copy when this run will register the product: not a removal, and
    /// RegisterProduct in the execute sequence (the registration makes it itself otherwise).
    /// Without a thread, it is made at the registration.
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
            .spawn(move || Registry::package_copy(&package))
            .ok();
    }

    /// The copy, once made (`None` when no thread made it, or the thread failed to end).
    pub(super) fn take_package_copy(&mut self) -> Option<Result<Vec<u8>>> {
        self.package_copy.take()?.join().ok()
    }
}
