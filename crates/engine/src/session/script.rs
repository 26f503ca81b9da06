//! The install script's deferred operations, as the actions write them: stage operations,
//! deferred, rollback and commit custom actions, and the asynchronous custom actions the
//! end of the sequence waits for; and the session's side of the transaction and its script.

use std::path::PathBuf;

use super::Session;
use crate::custom_action::Running;
use crate::error::Error;
use crate::tables::custom_action::CustomActionRow;

/// One deferred operation of the install script ("Deferred Execution Custom Actions").
#[derive(Debug)]
pub(crate) enum ScriptOp {
    /// Apply the next `n` staged changes (files placed, folders created, files removed).
    Stage(usize),
    /// A deferred custom action, its target already formatted.
    Deferred(DeferredAction),
    /// A rollback custom action: runs only if the install fails after this point.
    Rollback(DeferredAction),
    /// A commit custom action: runs after the script succeeded.
    Commit(DeferredAction),
    /// What a standard action found it could not do when it wrote its operations (a
    /// missing source, a file that cannot be written): the script fails here, so the
    /// error is InstallFinalize's (or InstallExecute's), as on Windows, while the action
    /// itself returned 1.
    Fail {
        /// The standard action that wrote the operation.
        action: &'static str,
        /// Why it cannot run.
        error: Error,
    },
}

/// An asynchronous custom action whose exit code is checked at the end of the sequence.
pub(crate) struct PendingAsync {
    /// The action.
    pub(crate) name: String,
    /// Its process.
    pub(crate) running: Running,
    /// Where the program is, for error 1722.
    pub(crate) location: String,
    /// Its command line as the log may show it, for error 1722.
    pub(crate) command: String,
}

/// A custom action written into the script.
#[derive(Debug, Clone)]
pub(crate) struct DeferredAction {
    /// The CustomAction row.
    pub(crate) row: CustomActionRow,
    /// The target formatted when the action was scheduled.
    pub(crate) target: String,
    /// The program's path, resolved when the action was scheduled (types 18, 34, 50).
    pub(crate) exe: Option<String>,
    /// The working folder (type 34).
    pub(crate) cwd: Option<PathBuf>,
}

pub(super) fn action_ignores_exit(action: &DeferredAction) -> bool {
    crate::custom_action::Flags::of(action.row.action_type).ignore_exit
}

impl Session<'_, '_> {
    /// Whether the install is between InstallInitialize and InstallFinalize.
    pub(crate) fn in_transaction(&self) -> bool {
        self.in_transaction
    }

    /// InstallInitialize (`true`) or InstallFinalize (`false`).
    pub(crate) fn set_in_transaction(&mut self, inside: bool) {
        self.in_transaction = inside;
    }

    /// Writes `op` into the script, after the stage operations scheduled so far.
    pub(crate) fn write_script(&mut self, op: ScriptOp) {
        self.mark_staged();
        self.script.push(op);
    }

    /// The script written so far, to run now (InstallExecute, InstallFinalize).
    pub(crate) fn take_script(&mut self) -> Vec<ScriptOp> {
        std::mem::take(&mut self.script)
    }

    /// Whether the script holds no operation yet to run.
    pub(crate) fn script_is_empty(&self) -> bool {
        self.script.is_empty()
    }
}
