//! InstallValidate: the Restart Manager step ("InstallValidate action", "Using Windows Installer
//! with Restart Manager").
//!
//! Registers with the session every existing regular file inside the root that the install
//! will overwrite or remove — found with `lstat` through the root's open folder, so a
//! symbolic link in the root is never followed to register what it points at — lists the
//! affected applications (custom actions' registrations included), handles them by
//! `MSIRESTARTMANAGERCONTROL`, `MSIRMSHUTDOWN` and the UI level, then clears
//! `MsiRestartManagerSessionKey`: a custom action after InstallValidate sees it empty.
//!
//! Before that, the disk-space check ("InstallValidate action"): the files to install, each rounded
//! up to the file system's block size, must fit in the space available on the root's file system
//! (where they are staged); otherwise `OutOfDiskSpace` is set and the install ends with 1603
//! before any application is shut down.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::rm::{ValidateInput, Validated};
use crate::sequence::ActionResult;
use crate::session::{KEY_PROPERTY, Session};

/// InstallValidate.
pub(crate) fn run(s: &mut Session<'_, '_>) -> ActionResult {
    if let Err(e) = disk_space(s) {
        s.set_prop(KEY_PROPERTY, "");
        return s.fail(e);
    }
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
    if s.validate_files_in_use(&input) == Some(Validated::Cancel) {
        result = s.fail(Error::UserExit);
    }
    s.set_prop(KEY_PROPERTY, "");
    result
}

/// The root's file system: bytes available, and bytes the planned files need on it.
/// `None` when the file system cannot say (Windows skips volumes it cannot cost).
pub(super) fn volume_space(s: &Session<'_, '_>) -> Option<(u64, u64)> {
    let st = rustix::fs::fstatvfs(s.lock.dir()).ok()?;
    let block = st.f_frsize.max(1);
    let sizes: Vec<u64> = s
        .ctx
        .plan()
        .map(|p| {
            p.files_to_install()
                .filter(|f| f.source.is_some())
                .map(|f| u64::try_from(f.size).unwrap_or(0))
                .collect()
        })
        .unwrap_or_default();
    Some((
        st.f_bavail.saturating_mul(block),
        space_needed(&sizes, block),
    ))
}

/// Checks that the files to install fit on the root's file system; sets `OutOfDiskSpace`.
fn disk_space(s: &mut Session<'_, '_>) -> Result<(), Error> {
    let Some((available, needed)) = volume_space(s) else {
        return Ok(());
    };
    let short = needed > available;
    s.set_prop("OutOfDiskSpace", if short { "1" } else { "0" });
    if short {
        s.log.line(&format!(
            "Disk full: the installation needs {needed} bytes on {}, {available} are available.",
            s.root.display()
        ));
        return Err(Error::failure(format!(
            "out of disk space: the installation needs {needed} bytes on {}, only {available} are available",
            s.root.display()
        )));
    }
    Ok(())
}

/// Bytes `sizes` take on a file system of `block`-byte blocks.
fn space_needed(sizes: &[u64], block: u64) -> u64 {
    sizes
        .iter()
        .map(|&n| n.div_ceil(block).saturating_mul(block))
        .fold(0u64, u64::saturating_add)
}

/// The existing regular files (absolute paths) the install will overwrite or remove.
fn existing_targets(s: &Session<'_, '_>) -> Vec<PathBuf> {
    let extra: Vec<PathBuf> = [
        super::remove_files::targets(s),
        super::duplicate_files::targets(s),
        super::move_files::targets(s),
    ]
    .concat();
    let mut targets: Vec<&Path> = s
        .ctx
        .plan()
        .map(|p| {
            p.files_to_install()
                .filter(|f| f.source.is_some())
                .map(|f| f.target.as_path())
                .collect()
        })
        .unwrap_or_default();
    targets.extend(extra.iter().map(PathBuf::as_path));
    // Sorted by their bytes (cheaper than by components, and it still keeps a folder's
    // files together): open each folder once, without following a symlink, and `lstat`
    // its entries through it; a missing folder answers for all its files.
    targets.sort_unstable_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    targets.dedup();
    let mut out = Vec::new();
    let mut current: Option<(&Path, Option<std::os::fd::OwnedFd>)> = None;
    for t in targets {
        let Some(rel) = t.strip_prefix(&s.root).ok().filter(|r| {
            r.components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
        }) else {
            continue;
        };
        let (Some(parent), Some(name)) = (rel.parent(), rel.file_name()) else {
            continue;
        };
        if current.as_ref().is_none_or(|(p, _)| *p != parent) {
            let fd = s.lock.open_dir(parent).ok();
            current = Some((parent, fd));
        }
        let Some((_, Some(dir))) = &current else {
            continue;
        };
        let regular = rustix::fs::statat(dir, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| {
                rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile
            });
        if regular {
            out.push(t.to_path_buf());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::space_needed;

    #[test]
    fn sizes_round_up_to_whole_blocks() {
        assert_eq!(space_needed(&[], 4096), 0);
        assert_eq!(space_needed(&[0, 1, 4096, 4097], 4096), 4096 + 4096 + 8192);
        assert_eq!(space_needed(&[u64::MAX, 10], 4096), u64::MAX);
    }
}
