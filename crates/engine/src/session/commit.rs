//! The end of a successful run — commit custom actions, the product registered or
//! unregistered, the transaction committed, later removals and services started — and of a
//! failed one: rollback custom actions and every staged change undone.

use super::script::action_ignores_exit;
use super::{PendingAsync, Session};
use crate::error::{Error, Result};
use crate::layout::Layout;

impl Session<'_, '_> {
    /// After success: commit custom actions, the product recorded in the registry (when
    /// RegisterProduct ran), then the staging area goes. A registry that cannot be written
    /// fails the install (the root is then rolled back).
    pub(super) fn commit(&mut self) -> Result<()> {
        let mut commit_actions = std::mem::take(&mut self.commit_actions);
        if self.rollback_disabled() && !commit_actions.is_empty() {
            self.log.engine(
                "Rollback is disabled (RollbackDisabled): commit custom actions do not run.",
            );
            commit_actions.clear();
        }
        for action in commit_actions {
            let r = crate::actions::custom::run_deferred(self, &action, "commit");
            if r.stops() && !action_ignores_exit(&action) {
                self.log.engine(&format!(
                    "Commit custom action {} failed; its failure is logged and the installation stands.",
                    action.row.action
                ));
            }
        }
        // Files InstallFiles took early are whole before anything is committed.
        self.settle_ahead(false)?;
        if self.registered {
            // Registered at the end of InstallFinalize's script; programs of commit custom
            // actions end before the commit.
            self.wait_for_wine_programs()?;
        } else {
            self.register()?;
        }
        // The commit point: the journal's removal. Checked, since a journal left behind
        // would make the next run roll this "successful" install back.
        if !self.stage.is_borrowed()
            && let Some(stage) = self.stage.take()
        {
            let started = std::time::Instant::now();
            stage.commit()?;
            tracing::debug!(ms = %crate::log::millis(started.elapsed()), "committed");
        }
        if self.ctx.product_removed() && !self.nested {
            self.tidy_state();
        }
        // Related products RemoveExistingProducts left for after the commit.
        for removal in std::mem::take(&mut self.later_removals) {
            crate::actions::upgrade::remove(
                self,
                &removal,
                crate::actions::upgrade::Placement::AfterCommit,
            )?;
        }
        // Services start once the registry that holds them is committed, and last: in a Wine
        // prefix starting one starts a wineserver, which keeps the registry in its memory and
        // saves it over the files, so no later change may write them.
        crate::actions::services::after_commit(self);
        Ok(())
    }

    /// The product registered or unregistered (when RegisterProduct ran, or the product is
    /// removed), or a package's registry values written, and a Wine prefix's registry files
    /// written: what the end of Windows' script does (its RegisterProduct and PublishProduct
    /// operations). Done once, at the end of InstallFinalize's script or at the commit.
    pub(crate) fn register(&mut self) -> Result<()> {
        // Wine programs of custom actions end before the prefix's registry is read for the
        // registration and written.
        self.wait_for_wine_programs()?;
        // The product's complete removal unregisters it whatever the sequence holds, as
        // InstallFinalize does on Windows ("InstallFinalize Action"); see `crate::uninstall`.
        let removed = self.ctx.product_removed();
        // A Wine prefix's registry files are written through the stage: it must exist.
        if self.request.layout == Layout::Wine {
            self.stage()?;
        }
        if removed {
            if let Some(stage) = self.stage.as_mut() {
                stage.before_state_write()?;
            }
            self.remove_local_package()?;
            let db = self.ctx.unregister_product()?;
            self.log.engine(&format!(
                "Executing op: ProductUnregister(ProductCode={},Registry={})",
                self.prop("ProductCode").unwrap_or_default(),
                db.display()
            ));
        } else if self.register_product {
            if let Some(stage) = self.stage.as_mut() {
                stage.before_state_write()?;
            }
            let started = std::time::Instant::now();
            // The database is made while the cached package is written; whatever fails,
            // it is whole before this returns (a rollback may follow).
            self.ctx.open_registry_ahead()?;
            let db = self.register_product();
            self.ctx.settle_registry();
            let db = db?;
            tracing::debug!(
                ms = %crate::log::millis(started.elapsed()),
                "product registered"
            );
            self.log.engine(&format!(
                "Executing op: ProductRegister(ProductCode={},Registry={})",
                self.prop("ProductCode").unwrap_or_default(),
                db.display()
            ));
        } else if self.ctx.has_registry_changes() {
            // Registry values of a package that registers no product.
            if let Some(stage) = self.stage.as_mut() {
                stage.before_state_write()?;
            }
            self.ctx.apply_registry_changes()?;
        }
        let started = std::time::Instant::now();
        self.write_wine_registry()?;
        tracing::debug!(ms = %crate::log::millis(started.elapsed()), "wine registry written");
        self.registered = true;
        Ok(())
    }

    /// The product recorded in the product registry with its cached package (and, in a
    /// Wine prefix, its local package placed): the registry's database.
    fn register_product(&mut self) -> Result<std::path::PathBuf> {
        let local = self.choose_local_package()?;
        let (copy, failed) = match self.take_package_copy() {
            Some(Ok(bytes)) => (Some(bytes), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
        };
        let made = match (&copy, failed) {
            (Some(bytes), _) => Some(Ok(bytes.as_slice())),
            (None, Some(e)) => Some(Err(e)),
            (None, None) => None,
        };
        let db = self.ctx.record_product(&self.package, made)?;
        if let Some(local) = local {
            self.place_local_package(&local)?;
        }
        Ok(db)
    }

    /// After the product was unregistered and the staging area removed: when no product is
    /// left in the root, the registry's files and the state folders the first install made.
    fn tidy_state(&mut self) {
        match self.ctx.tidy_state() {
            Ok(true) => self.log.engine(
                "No product is installed in this root any more: the product registry and its state folders were removed.",
            ),
            Ok(false) => {}
            Err(e) => self.log.engine(&format!(
                "The product registry could not be removed (the removal stands): {e}"
            )),
        }
    }

    /// After a failure: rollback custom actions in reverse order, then every staged change
    /// undone and the staging area removed. A rollback that cannot finish keeps the
    /// journal and the staging folder for the next run, and says so.
    fn rollback(&mut self) -> std::result::Result<(), transaction::Error> {
        // Files InstallFiles took early are no longer written before they are undone.
        self.stop_ahead();
        let mut actions = std::mem::take(&mut self.rollback_actions);
        if self.rollback_disabled() && !actions.is_empty() {
            // Spec 3.8: rollback custom actions do not run when rollback is disabled. The
            // staged file changes are still undone: a failed install leaves the root as it
            // was, whatever the package asks.
            self.log.engine(
                "Rollback is disabled (RollbackDisabled): rollback custom actions do not run.",
            );
            actions.clear();
        }
        if !actions.is_empty() || self.stage.is_some() {
            self.log.engine("Rolling back the installation.");
        }
        for action in actions.iter().rev() {
            let _ = crate::actions::custom::run_deferred(self, action, "rollback");
        }
        // A Wine program's server saves the registry when it ends: before the run ends.
        if let Err(e) = self.wait_for_wine_programs() {
            self.log.engine(&format!("{e}"));
        }
        let undone = match self.stage.take() {
            Some(stage) => stage.rollback(),
            None => Ok(()),
        };
        for PendingAsync {
            name, mut running, ..
        } in std::mem::take(&mut self.pending_async)
        {
            let _ = running.child.wait();
            let _ = crate::custom_action::read_output(&running.output);
            self.log
                .engine(&format!("Asynchronous custom action {name} ended."));
        }
        undone
    }

    /// Rolls back after `err` ended the install: the result is `err`, unless the rollback
    /// could not finish — then that (the root is not as it was, and the next run must
    /// finish it), with `err` logged.
    pub(super) fn rolled_back(&mut self, err: Error) -> Error {
        match self.rollback() {
            Ok(()) => err,
            Err(kept) => {
                self.log
                    .engine(&format!("The installation failed: {}: {err}", err.code()));
                self.log
                    .engine(&format!("Rollback could not finish: {kept}"));
                Error::from(kept)
            }
        }
    }

    /// Rollback disabled by `DISABLEROLLBACK=1` or the DisableRollback action ("Rollback
    /// Installation").
    fn rollback_disabled(&self) -> bool {
        self.prop("RollbackDisabled").is_some()
            || self
                .prop("DISABLEROLLBACK")
                .is_some_and(|v| v.trim() == "1")
    }
}
