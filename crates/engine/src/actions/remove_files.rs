//! RemoveFiles: files of components being removed, and the RemoveFile table ("RemoveFiles
//! action", "RemoveFile table"), as the cost plan selected them.
//!
//! A RemoveFile row's pattern may hold `*` and `?` (matched as [`crate::cost::wildcard_match`]
//! does); a row without a pattern removes its folder if it is empty. Removals are staged:
//! they happen when the script runs, and a failed install puts the files back.

use std::path::{Path, PathBuf};

use crate::cost::FileAction;
use crate::sequence::ActionResult;
use crate::session::Session;

/// RemoveFiles.
pub(crate) fn run(s: &mut Session<'_, '_>) -> ActionResult {
    let (files, folders) = plan(s);
    for f in files {
        let r = s
            .rel(&f)
            .and_then(|rel| s.stage().and_then(|st| Ok(st.remove(rel)?)));
        if let Err(e) = r {
            return s.fail(e);
        }
        s.log.engine(&format!(
            "Executing op: FileRemove(,FileName={})",
            f.display()
        ));
    }
    for d in folders {
        let r = s
            .rel(&d)
            .and_then(|rel| s.stage().and_then(|st| Ok(st.remove_dir(rel)?)));
        if let Err(e) = r {
            return s.fail(e);
        }
    }
    ActionResult::Success
}

/// The existing files RemoveFiles will remove (for InstallValidate).
pub(crate) fn targets(s: &Session<'_, '_>) -> Vec<PathBuf> {
    plan(s).0
}

fn plan(s: &Session<'_, '_>) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut files = Vec::new();
    let mut folders = Vec::new();
    let Some(plan) = s.ctx.plan() else {
        return (files, folders);
    };
    // Shared, Permanent and unregistered components keep their files (`Context::
    // components_kept_on_removal`); a registry that cannot be read keeps them all.
    let kept = s.ctx.components_kept_on_removal().unwrap_or_else(|_| {
        plan.components
            .iter()
            .map(|c| c.component.clone())
            .collect()
    });
    for f in &plan.files {
        // A file a major upgrade puts or keeps at this path is the new product's.
        if f.action == FileAction::Remove
            && !s.is_protected(&f.target)
            && !kept.contains(&f.component)
        {
            files.push(f.target.clone());
        }
    }
    for row in &plan.remove_files {
        if s.rel(&row.dir).is_err() {
            continue;
        }
        match row.pattern.as_deref() {
            None => folders.push(row.dir.clone()),
            Some(pattern) => files.extend(matching(s, &row.dir, pattern)),
        }
    }
    (files, folders)
}

/// Regular files and symlinks (never followed) in `dir` whose names match `pattern`,
/// looked up without following a symlink in the root.
pub(crate) fn matching(s: &Session<'_, '_>, dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rel) = s.rel(dir) else {
        return out;
    };
    // The folder itself must be a real folder inside the root.
    let is_dir = s.lock.lstat(&rel).is_some_and(|st| {
        rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory
    });
    if !is_dir && !rel.as_os_str().is_empty() {
        return out;
    }
    let Ok(entries) = fs_err::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Ok(ft) = e.file_type() else { continue };
        if !ft.is_dir() && crate::cost::wildcard_match(pattern, name) {
            out.push(dir.join(name));
        }
    }
    out.sort();
    out
}
