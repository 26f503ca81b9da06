//! What actions leave the session to do later: the rollback and commit custom actions the
//! script reached, the asynchronous custom actions the end of the sequence waits for, the
//! product to register, the restart the end requires, and what follows the commit (related products to remove, services
//! to start).

use super::{DeferredAction, PendingAsync, Session};

impl Session<'_, '_> {
    /// A rollback custom action the script reached: it runs if the install fails.
    pub(crate) fn reach_rollback_action(&mut self, action: DeferredAction) {
        self.rollback_actions.push(action);
    }

    /// A commit custom action the script reached: it runs once the install succeeded.
    pub(crate) fn reach_commit_action(&mut self, action: DeferredAction) {
        self.commit_actions.push(action);
    }

    /// After the script ran: every stage operation scheduled so far is applied, none is
    /// left for a later `ScriptOp::Stage`.
    pub(crate) fn script_ran(&mut self) {
        self.staged_marked = self.stage.as_ref().map_or(0, |st| st.pending());
    }

    /// An asynchronous custom action whose exit code the end of the sequence checks.
    pub(crate) fn wait_at_sequence_end(&mut self, pending: PendingAsync) {
        self.pending_async.push(pending);
    }

    /// RegisterProduct ran: the product is recorded in the registry once the install
    /// succeeded.
    pub(crate) fn register_product_at_commit(&mut self) {
        self.register_product = true;
    }

    /// A restart is required at the end (3010): ScheduleReboot, or a removal that needs one.
    pub(crate) fn require_restart(&mut self) {
        self.reboot_required = true;
    }

    /// Related products RemoveExistingProducts removes once this install is committed.
    pub(crate) fn remove_after_commit(
        &mut self,
        removals: impl IntoIterator<Item = crate::actions::Removal>,
    ) {
        self.later_removals.extend(removals);
    }

    /// A service StartServices starts once the installation is committed.
    pub(crate) fn start_after_commit(&mut self, service: crate::actions::services::ServiceStart) {
        self.services_to_start.push(service);
    }

    /// The services to start now that the installation is committed (once).
    pub(crate) fn take_services_to_start(&mut self) -> Vec<crate::actions::services::ServiceStart> {
        std::mem::take(&mut self.services_to_start)
    }
}
