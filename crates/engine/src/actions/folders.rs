//! CreateFolders and RemoveFolders: the CreateFolder table ("CreateFolders action"), as the cost
//! plan selected it.
//!
//! CreateFolders creates (staged, so a failed install removes them again) the folders of
//! components being installed; RemoveFolders removes, if empty, those of components being
//! removed.

use crate::sequence::ActionResult;
use crate::session::Session;

/// CreateFolders.
pub(crate) fn create_folders(s: &mut Session<'_, '_>) -> ActionResult {
    let dirs = s
        .ctx
        .plan()
        .map(|p| p.create_folders.clone())
        .unwrap_or_default();
    for dir in dirs {
        s.log.engine(&format!(
            "Executing op: FolderCreate(Folder={})",
            dir.display()
        ));
        let r = s
            .rel(&dir)
            .and_then(|rel| s.stage().and_then(|st| Ok(st.create_dir(rel)?)));
        if let Err(e) = r {
            return s.fail(e);
        }
    }
    ActionResult::Success
}

/// RemoveFolders.
pub(crate) fn remove_folders(s: &mut Session<'_, '_>) -> ActionResult {
    let dirs = s
        .ctx
        .plan()
        .map(|p| p.remove_folders.clone())
        .unwrap_or_default();
    s.ctx.note_folders_to_remove(&dirs);
    for dir in dirs {
        s.log.engine(&format!(
            "Executing op: FolderRemove(Folder={})",
            dir.display()
        ));
        let r = s
            .rel(&dir)
            .and_then(|rel| s.stage().and_then(|st| Ok(st.remove_dir(rel)?)));
        if let Err(e) = r {
            return s.fail(e);
        }
    }
    ActionResult::Success
}
