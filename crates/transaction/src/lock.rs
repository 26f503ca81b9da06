//! One install at a time per target root.
//!
//! Windows serialises installations with the global `_MSIExecute` mutex: a second attempt
//! while one runs gets `ERROR_INSTALL_ALREADY_RUNNING` (1618). Here the unit is a target
//! root, and the lock is an exclusive `flock` on the root folder itself, taken without
//! waiting. Locking the folder rather than a lock file matters: an install that fails must
//! leave the root exactly as it was, and a lock file would be one more thing to create and
//! to remove (and removing a lock file that another process may have just opened is a race).
//! The lock belongs to the open file description, so it goes away with the process however
//! it ends; the descriptor is close-on-exec, so a custom action left running never holds it.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, Mode, OFlags};

use crate::StateFiles;
use crate::error::{Error, Result};

/// A symbolic link in the root that walks may go through: a Wine prefix's shell folders
/// (`drive_c/users/<user>/Desktop`, `Documents`, …), which Wine links to the user's own
/// folders, so that what Windows puts on the user's desktop lands on it. The folder it names
/// must be inside `within` (the user's home folder), owned by this process's user, and
/// writable by no one else; checked every time a walk goes through it, on the folder
/// actually opened. Every other link in the root is still never followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedLink {
    /// The link, relative to the root.
    pub rel: PathBuf,
    /// The folder its target must be in (absolute).
    pub within: PathBuf,
}

/// The held install lock of a root; released on drop. Also the root's open folder, which
/// the staging code walks from (so that a root renamed or replaced by a symlink meanwhile
/// is not followed).
#[derive(Debug)]
pub struct RootLock {
    fd: OwnedFd,
    root: PathBuf,
    /// The links walks may go through.
    links: Vec<TrustedLink>,
    /// The caller's state folders and files (where journals are, what they protect).
    state: StateFiles,
    /// Log lines of the rollbacks of interrupted installs done when the lock was taken.
    recovered: Vec<String>,
}

impl RootLock {
    /// Takes the lock of `root` (an existing folder), or fails with 1618 when another
    /// install holds it. An install journal found then in one of `state`'s folders was
    /// left by a process that died (it would hold the lock otherwise): the root is rolled
    /// back to what it was before that install (the journal's recovery) before the
    /// lock is handed out, so every entry point that takes the lock sees a consistent
    /// root. A journal that cannot be rolled back safely (unreadable, not ours) fails the
    /// acquisition.
    pub fn acquire(root: &Path, state: StateFiles) -> Result<RootLock> {
        RootLock::acquire_trusting(root, state, Vec::new())
    }

    /// [`RootLock::acquire`], with walks (the recovery's too) going through `links`.
    pub fn acquire_trusting(
        root: &Path,
        state: StateFiles,
        links: Vec<TrustedLink>,
    ) -> Result<RootLock> {
        let mut lock = RootLock::acquire_only(root, state)?;
        lock.links = links;
        lock.recovered = crate::journal::recover(&lock)?;
        Ok(lock)
    }

    /// The trusted link at `rel`, if it is one.
    pub(crate) fn trusted_link(&self, rel: &Path) -> Option<&TrustedLink> {
        self.links.iter().find(|l| l.rel == rel)
    }

    /// The log lines of the rollbacks done when the lock was taken (`Rollback of an
    /// interrupted installation ...`), none in the usual case.
    pub fn recovered(&self) -> &[String] {
        &self.recovered
    }

    fn acquire_only(root: &Path, state: StateFiles) -> Result<RootLock> {
        let fd = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::io(root, e.into()))?;
        // A lock just released can still be held for a moment by a child that another
        // thread of this process forked and has not yet exec'd (the child shares the open
        // file description until exec closes it): try a few times over a quarter second
        // before concluding that another install runs.
        let mut tries = 0;
        loop {
            match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {
                    return Ok(RootLock {
                        fd,
                        root: root.to_path_buf(),
                        links: Vec::new(),
                        state,
                        recovered: Vec::new(),
                    });
                }
                Err(rustix::io::Errno::WOULDBLOCK) if tries < 25 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(rustix::io::Errno::WOULDBLOCK) => {
                    return Err(Error::AlreadyRunning {
                        root: root.to_path_buf(),
                    });
                }
                Err(e) => return Err(Error::io(root, e.into())),
            }
        }
    }

    /// The locked root's open folder.
    pub fn dir(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The root's path as given.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The state folders and files this lock was taken with.
    pub(crate) fn state(&self) -> &StateFiles {
        &self.state
    }

    /// Opens the folder `rel` (relative to the root) without following a symbolic link on
    /// the way; a missing folder is an error, never created.
    pub fn open_dir(&self, rel: &Path) -> Result<OwnedFd> {
        crate::confined::walk(self, rel, false, None, rustix::fs::Mode::empty())
    }

    /// `lstat` of `rel` (relative to the root) without following a symbolic link on the
    /// way; `None` when it is missing or cannot be reached.
    pub fn lstat(&self, rel: &Path) -> Option<rustix::fs::Stat> {
        crate::confined::lstat_in_root(self, rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> StateFiles {
        StateFiles::new(["var/lib/rmsi"], "products.db", "packages")
    }

    #[test]
    fn second_lock_is_1618_and_release_frees_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = RootLock::acquire(dir.path(), state()).expect("first lock");
        let second = RootLock::acquire(dir.path(), state()).expect_err("second lock must fail");
        assert_eq!(second.code(), 1618);
        assert_eq!(second.name(), "ERROR_INSTALL_ALREADY_RUNNING");
        drop(first);
        RootLock::acquire(dir.path(), state()).expect("lock after release");
        // Nothing was written into the root.
        assert_eq!(fs_err::read_dir(dir.path()).expect("list").count(), 0);
    }

    #[test]
    fn lock_is_held_against_another_process() {
        let dir = tempfile::tempdir().expect("temp dir");
        let _held = RootLock::acquire(dir.path(), state()).expect("lock");
        // flock(1) from util-linux sees the lock from another process.
        let status = std::process::Command::new("flock")
            .args(["--nonblock", "--exclusive"])
            .arg(dir.path())
            .arg("true")
            .status()
            .expect("run flock(1)");
        assert_eq!(status.code(), Some(1), "another process got the lock");
    }
}
