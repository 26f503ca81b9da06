//! InstallInitialize, InstallExecute, InstallExecuteAgain and InstallFinalize: the
//! transaction and its script (spec 3.9).
//!
//! Between InstallInitialize and InstallFinalize, actions that change the system only add
//! to the script: staged file operations (see [`crate::stage`]) and deferred custom actions,
//! in sequence order. InstallExecute(Again) runs the script so far; InstallFinalize runs the
//! rest and ends the transaction. Rollback and commit actions are collected as the script
//! reaches them; the session runs them when the install fails or succeeds.

use crate::sequence::ActionResult;
use crate::session::{ScriptOp, Session};

/// InstallInitialize: the transaction starts.
pub(crate) fn install_initialize(s: &mut Session<'_>) -> ActionResult {
    s.in_transaction = true;
    ActionResult::Success
}

/// InstallExecute / InstallExecuteAgain: run the script so far, keep the transaction.
pub(crate) fn install_execute(s: &mut Session<'_>) -> ActionResult {
    run_script(s)
}

/// InstallFinalize: run the rest of the script and end the transaction.
pub(crate) fn install_finalize(s: &mut Session<'_>) -> ActionResult {
    let r = run_script(s);
    s.in_transaction = false;
    r
}

fn run_script(s: &mut Session<'_>) -> ActionResult {
    s.mark_staged();
    let ops = std::mem::take(&mut s.script);
    if ops.is_empty() {
        return ActionResult::Success;
    }
    s.log.engine("Running Script: (in memory)");
    for op in ops {
        match op {
            ScriptOp::Stage(n) => {
                let result = match s.stage.as_mut() {
                    Some(stage) => stage.commit_next(n),
                    None => continue,
                };
                match result {
                    Ok(sum) => s.log.engine(&format!(
                        "Executing op: StagedChanges(Placed={},Replaced={},Removed={},FoldersCreated={})",
                        sum.placed, sum.replaced, sum.removed, sum.folders
                    )),
                    Err(e) => return s.fail(e),
                }
            }
            ScriptOp::Deferred(action) => {
                let r = super::custom::run_deferred(s, &action, "deferred");
                if r.stops() {
                    return r;
                }
            }
            ScriptOp::Rollback(action) => s.rollback_actions.push(action),
            ScriptOp::Commit(action) => s.commit_actions.push(action),
        }
    }
    s.staged_marked = s.stage.as_ref().map_or(0, |st| st.pending());
    ActionResult::Success
}
