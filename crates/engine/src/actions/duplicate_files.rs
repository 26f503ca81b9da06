//! DuplicateFiles: copies of installed files under other names or folders ("DuplicateFiles
//! action"), as the cost plan selected them (components installed locally; `DestFolder` resolving
//! to a full path under the root).
//!
//! The copy is made from the staged original, so it is checked content, and it is placed by
//! the script like every other file. RemoveDuplicateFiles removes the copies of components
//! being removed.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::sequence::ActionResult;
use crate::session::Session;

/// DuplicateFiles: the copies of components being installed.
pub(crate) fn run(s: &mut Session<'_, '_>) -> ActionResult {
    let plans = s
        .ctx
        .plan()
        .map(|p| p.duplicate_files.clone())
        .unwrap_or_default();
    // A duplicate whose path is its original's own is no copy: nothing to make, and
    // nothing for RemoveDuplicateFiles to take away (the file is the original's).
    for d in plans.iter().filter(|d| d.install && d.to != d.from) {
        if let Err(e) = duplicate(s, &d.original, &d.from, &d.to) {
            return s.fail(e);
        }
    }
    ActionResult::Success
}

/// RemoveDuplicateFiles: the copies of components being removed.
pub(crate) fn remove(s: &mut Session<'_, '_>) -> ActionResult {
    let plans = s
        .ctx
        .plan()
        .map(|p| p.duplicate_files.clone())
        .unwrap_or_default();
    for d in plans.iter().filter(|d| !d.install && d.to != d.from) {
        // A copy a major upgrade puts or keeps at this path is the new product's.
        if s.is_protected(&d.to) {
            continue;
        }
        let r = s
            .rel(&d.to)
            .and_then(|rel| s.stage().and_then(|st| Ok(st.remove(rel)?)));
        if let Err(e) = r {
            return s.fail(e);
        }
    }
    ActionResult::Success
}

fn duplicate(s: &mut Session<'_, '_>, original: &str, from: &Path, to: &Path) -> Result<(), Error> {
    let rel = s.rel(to)?;
    let name = match s.staged_file(original) {
        Some(staged) => s.stage()?.duplicate(&staged)?,
        None => {
            // Not staged by this install (kept as it was on disk): copy the file in place,
            // found without following a symlink in the root.
            let from_rel = s.rel(from)?;
            let Some(st) = s.lock.lstat(&from_rel) else {
                return Ok(());
            };
            if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile
            {
                return Ok(());
            }
            let mut f = fs_err::File::open(from).map_err(|e| Error::io(from, e))?;
            s.stage()?.copy_in(&mut f)?.0
        }
    };
    s.log.engine(&format!(
        "Executing op: FileCopy(SourceName={},DestName={})",
        from.display(),
        to.display()
    ));
    s.stage()?.place(name, rel)?;
    Ok(())
}

/// The duplicates' target paths (for InstallValidate).
pub(crate) fn targets(s: &Session<'_, '_>) -> Vec<PathBuf> {
    s.ctx
        .plan()
        .map(|p| p.duplicate_files.iter().map(|d| d.to.clone()).collect())
        .unwrap_or_default()
}
