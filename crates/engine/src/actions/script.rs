//! InstallInitialize, InstallExecute, InstallExecuteAgain and InstallFinalize: the
//! transaction and its script ("InstallExecute action", "InstallFinalize action").
//!
//! Between InstallInitialize and InstallFinalize, actions that change the system only add
//! to the script: staged file operations (see [`transaction::Transaction`]) and deferred custom actions,
//! in sequence order. A standard action that cannot do its part (InstallFiles without its
//! source) still returns 1 and adds a failing operation: the script fails there, and the
//! error is InstallFinalize's ("InstallFinalize action", "Execution Phase"). InstallExecute(Again)
//! runs the script so far; InstallFinalize runs the rest and ends the transaction. Rollback and
//! commit actions are collected as the script reaches them; the session runs them when the
//! install fails or succeeds.

use crate::sequence::ActionResult;
use crate::session::{ScriptOp, Session};

/// InstallInitialize: the transaction starts.
pub(crate) fn install_initialize(s: &mut Session<'_, '_>) -> ActionResult {
    s.set_in_transaction(true);
    s.start_package_copy();
    ActionResult::Success
}

/// Notes, once, before the script first changes the root, which folders it will create
/// (those missing now, up to the root), so the product's record lists them and its removal
/// takes them away again when it leaves them empty ("CreateFolder table": folders the
/// installer created are removed when they become empty). A folder there already that the
/// installer created for another product is listed too: the last of the products to go
/// removes it.
fn note_created_folders(s: &mut Session<'_, '_>) {
    if s.ctx.created_folders_noted() {
        return;
    }
    let (starts, create_folder_rows) = s.ctx.folders_to_create();
    let shared = s.ctx.installer_folders();
    let mut created = Vec::new();
    for dir in starts {
        let mut cur = Some(dir.as_path());
        while let Some(p) = cur {
            let Ok(rel) = s.rel(p) else { break };
            if rel.as_os_str().is_empty() {
                break;
            }
            if s.lock.lstat(&rel).is_some() && !shared.contains(p) {
                break;
            }
            created.push(p.to_path_buf());
            cur = p.parent();
        }
    }
    created.retain(|d| !create_folder_rows.contains(d));
    created.sort();
    created.dedup();
    s.ctx.set_created_folders(created);
}

/// On the product's removal: the folders its installs created, removed if empty, deepest
/// first, after every file removal of the script (Windows removes a removed component's
/// empty folders; a folder holding a file the user put there stays, with its parents).
fn remove_created_folders(s: &mut Session<'_, '_>) -> ActionResult {
    if !s.ctx.product_removed() {
        return ActionResult::Success;
    }
    let mut dirs = s.ctx.recorded_folders();
    // A CreateFolder folder RemoveFolders found holding a subfolder the removal empties
    // (files in INSTALLDIR\bin, a CreateFolder row on INSTALLDIR) is tried again after it.
    dirs.extend(s.ctx.folders_to_remove().iter().cloned());
    dirs.sort();
    dirs.dedup();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for dir in dirs {
        let Ok(rel) = s.rel(&dir) else { continue };
        if rel.as_os_str().is_empty() {
            continue;
        }
        s.log.engine(&format!(
            "Executing op: FolderRemove(Folder={},Foreign=0)",
            dir.display()
        ));
        if let Err(e) = s.stage().and_then(|st| Ok(st.remove_dir(rel)?)) {
            return s.fail(e);
        }
    }
    ActionResult::Success
}

/// InstallExecute / InstallExecuteAgain: run the script so far, keep the transaction.
pub(crate) fn install_execute(s: &mut Session<'_, '_>) -> ActionResult {
    run_script(s)
}

/// InstallFinalize: run the rest of the script and end the transaction.
pub(crate) fn install_finalize(s: &mut Session<'_, '_>) -> ActionResult {
    let r = remove_created_folders(s);
    if r.stops() {
        return r;
    }
    let mut r = run_script(s);
    if !r.stops()
        && s.registers_at_script_end()
        && let Err(e) = s.register()
    {
        s.log.engine(&format!("Error: {e}"));
        r = s.fail(e);
    }
    // Files InstallFiles took early are whole when the script ends.
    if !r.stops()
        && let Err(e) = s.settle_ahead(false)
    {
        r = script_failed(s, "InstallFiles", e);
    }
    s.set_in_transaction(false);
    r
}

/// A script operation written by `action` failed: logged as Windows logs it, and the
/// script stops there.
fn script_failed(
    s: &mut Session<'_, '_>,
    action: &str,
    error: crate::error::Error,
) -> ActionResult {
    s.log.engine(&format!("Executing op: {action} failed"));
    if let Some(message) = error.installer_message() {
        s.log.engine(&message);
    }
    s.fail(error)
}

fn run_script(s: &mut Session<'_, '_>) -> ActionResult {
    note_created_folders(s);
    s.mark_staged();
    let ops = s.take_script();
    if ops.is_empty() {
        return ActionResult::Success;
    }
    s.log.engine("Running Script: (in memory)");
    for op in ops {
        match op {
            ScriptOp::Stage(n) => {
                let result = match s.stage.as_mut() {
                    Some(stage) => stage.apply_next(n),
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
                // A program the package installs may run: its files are whole first.
                if let Err(e) = s.settle_ahead(false) {
                    return script_failed(s, "InstallFiles", e);
                }
                let r = super::custom::run_deferred(s, &action, "deferred");
                if r.stops() {
                    return r;
                }
            }
            ScriptOp::Fail { action, error } => return script_failed(s, action, error),
            ScriptOp::Rollback(action) => s.reach_rollback_action(action),
            ScriptOp::Commit(action) => s.reach_commit_action(action),
        }
    }
    s.script_ran();
    ActionResult::Success
}
