//! MoveFiles: moves or copies existing files per the MoveFile table ("MoveFiles action"), as the
//! cost plan selected them (components installed locally or from source; folders resolving to
//! full paths under the root).
//!
//! `SourceName` may use `*` and `?`; without a pattern the source folder property names the
//! file itself; a null `DestName` keeps the name. A move removes the source (staged, like
//! every change); a copy keeps it. The copies are staged like every installed file.

use std::path::PathBuf;

use crate::error::Error;
use crate::sequence::ActionResult;
use crate::session::Session;

/// MoveFiles.
pub(crate) fn run(s: &mut Session<'_, '_>) -> ActionResult {
    match move_files(s) {
        Ok(()) => ActionResult::Success,
        Err(e) => s.fail(e),
    }
}

fn move_files(s: &mut Session<'_, '_>) -> Result<(), Error> {
    let plans = s
        .ctx
        .plan()
        .map(|p| p.move_files.clone())
        .unwrap_or_default();
    for m in plans {
        let sources: Vec<PathBuf> = match m.pattern.as_deref() {
            None => vec![m.source_dir.clone()],
            Some(pattern) => super::remove_files::matching(s, &m.source_dir, pattern),
        };
        // A SourceName with wildcards keeps every file's own name, whatever DestName says
        // ("MoveFile table", Remarks); a single file takes DestName.
        let single = m.pattern.as_deref().is_none_or(|p| !p.contains(['*', '?']));
        for from in sources {
            let name = match m.dest_name.as_deref() {
                Some(n) if single && !n.contains(['*', '?']) => n.to_string(),
                _ => match from.file_name() {
                    Some(n) => n.to_string_lossy().into_owned(),
                    None => continue,
                },
            };
            if name.is_empty() || name.contains('/') || name == ".." || name == "." {
                continue;
            }
            let target = m.dest_dir.join(&name);
            let rel = s.rel(&target)?;
            // The source: a regular file inside the root, never through a symlink.
            let Ok(from_rel) = s.rel(&from) else { continue };
            let Some(st) = s.lock.lstat(&from_rel) else {
                continue;
            };
            if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile
            {
                continue;
            }
            let mut f = fs_err::File::open(&from).map_err(|e| Error::io(&from, e))?;
            let staged = s.stage()?.copy_in(&mut f)?.0;
            s.stage()?.place(staged, rel)?;
            s.log.engine(&format!(
                "Executing op: FileCopy(SourceName={},DestName={})",
                from.display(),
                target.display()
            ));
            if m.move_file {
                s.stage()?.remove(from_rel)?;
            }
        }
    }
    Ok(())
}

/// The files MoveFiles replaces or removes: its copies' targets, and the sources it moves
/// (for InstallValidate).
pub(crate) fn targets(s: &Session<'_, '_>) -> Vec<PathBuf> {
    let Some(plan) = s.ctx.plan() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in &plan.move_files {
        let sources: Vec<PathBuf> = match m.pattern.as_deref() {
            None => vec![m.source_dir.clone()],
            Some(pattern) => super::remove_files::matching(s, &m.source_dir, pattern),
        };
        for from in sources {
            let name = match m.dest_name.as_deref() {
                Some(n) if m.pattern.is_none() || !n.contains(['*', '?']) => n.to_string(),
                _ => match from.file_name() {
                    Some(n) => n.to_string_lossy().into_owned(),
                    None => continue,
                },
            };
            out.push(m.dest_dir.join(name));
            if m.move_file {
                out.push(from);
            }
        }
    }
    out
}
