//! InstallValidate: the Restart Manager step of the seed (spec 1.3, 1.4).
//!
//! Registers with the session every existing regular file inside the root that the install
//! will overwrite or remove — found with `lstat` through the root's open folder, so a
//! symbolic link in the root is never followed to register what it points at — lists the
//! affected applications (custom actions' registrations included), handles them by
//! `MSIRESTARTMANAGERCONTROL`, `MSIRMSHUTDOWN` and the UI level, then clears
//! `MsiRestartManagerSessionKey`: a custom action after InstallValidate sees it empty.

use std::path::PathBuf;

use crate::rm::{FilesInUseChoice, ValidateInput, Validated};
use crate::sequence::ActionResult;
use crate::session::{KEY_PROPERTY, Session};

/// InstallValidate.
pub(crate) fn run(s: &mut Session<'_>) -> ActionResult {
    let files = existing_targets(s);
    let shutdown_mode = s
        .prop("MSIRMSHUTDOWN")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(0);
    let input = ValidateInput {
        files: &files,
        shutdown_mode,
        ui_level: s.request.ui_level.value(),
    };
    let mut result = ActionResult::Success;
    if let Some(mut rm) = s.rm.take() {
        let ui = &mut *s.ui;
        let mut prompt =
            |apps: &[crate::rm::AppInUse]| -> Option<FilesInUseChoice> { ui.files_in_use(apps) };
        if rm.validate(&input, &mut prompt, s.log) == Validated::Cancel {
            result = s.fail(crate::error::Error::UserExit);
        }
        s.rm = Some(rm);
    }
    s.set_prop(KEY_PROPERTY, "");
    result
}

/// The existing regular files (absolute paths) the install will overwrite or remove.
fn existing_targets(s: &Session<'_>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut targets: Vec<PathBuf> = s
        .ctx
        .files_to_install()
        .into_iter()
        .map(|j| j.target)
        .collect();
    targets.extend(super::remove_files::targets(s));
    targets.extend(super::duplicate_files::targets(s));
    targets.sort();
    targets.dedup();
    for t in targets {
        let Ok(rel) = s.rel(&t) else { continue };
        if let Some(st) = crate::stage::lstat_in_root(s.lock, &rel)
            && rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile
        {
            out.push(t);
        }
    }
    out
}
