//! What can go wrong taking a root's lock, recording or applying a change, or rolling one
//! back, each failure with the Windows Installer code and name `msiexec` returns for it.

use std::io;
use std::path::PathBuf;

/// Why a transaction on a root could not be opened, changed or committed.
///
/// Every variant maps to one Windows Installer code ([`Error::code`]) and its symbolic name
/// ([`Error::name`]), as listed on "MsiExec.exe and InstMsi.exe Error Messages": another
/// install holding the root is 1618, anything else fails the installation (1603).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another installation holds the root's lock (`ERROR_INSTALL_ALREADY_RUNNING`).
    #[error("another installation is already in progress in {root}")]
    AlreadyRunning {
        /// The target root that is locked.
        root: PathBuf,
    },
    /// A path would resolve outside the target root (through `..`, an absolute path or a
    /// symbolic link already in the root).
    #[error("refusing path outside the target root {root}: {path}")]
    OutsideRoot {
        /// The target root.
        root: PathBuf,
        /// The offending path (as far as it was resolved).
        path: PathBuf,
    },
    /// A trusted link ([`crate::TrustedLink`]) names a folder it may not: outside the folder
    /// it must be in, someone else's, or writable by others.
    #[error("refusing to write through the link {link}: {reason}")]
    LinkRefused {
        /// The link.
        link: PathBuf,
        /// Why.
        reason: String,
    },
    /// An I/O error on a path in the root or its state folder.
    #[error("{path}: {source}")]
    Io {
        /// The path the operation was on.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A state folder or file is unsafe (a symbolic link, not owned by the caller, open to
    /// others), or a journal found there cannot be read back safely.
    #[error("unsafe state folder {path}: {reason}")]
    UnsafeState {
        /// The state folder or file.
        path: PathBuf,
        /// Why it is refused.
        reason: String,
    },
    /// A change could not be written to the journal before it was made.
    #[error("cannot write the install journal: {source}")]
    Journal {
        /// The write's error.
        #[source]
        source: io::Error,
    },
    /// A file cannot be placed where a folder of that name exists.
    #[error("cannot install file {path}: a folder of that name exists")]
    FolderInTheWay {
        /// The file's target.
        path: PathBuf,
    },
    /// The commit point could not be passed: the journal could not be removed, so the
    /// changes are not kept (they were rolled back, or the next run rolls them back).
    #[error("cannot commit: the install journal {journal} could not be removed: {source}")]
    CommitFailed {
        /// The journal.
        journal: PathBuf,
        /// The removal's error.
        #[source]
        source: io::Error,
    },
    /// A rollback could not put everything back: the journal and the staging folder (with
    /// the moved-aside originals) are kept, and the next run on the root retries it.
    #[error(
        "the rollback could not finish ({failed} changes could not be undone): the journal {journal} and the staging folder {staging} with the moved-aside originals are kept, and the next run on this root retries the rollback"
    )]
    RollbackIncomplete {
        /// The journal kept.
        journal: PathBuf,
        /// The staging folder kept.
        staging: PathBuf,
        /// How many undo steps failed.
        failed: usize,
    },
}

impl Error {
    /// The Windows Installer exit code for this error.
    pub fn code(&self) -> u32 {
        self.windows().0
    }

    /// The symbolic Windows name of [`Error::code`].
    pub fn name(&self) -> &'static str {
        self.windows().1
    }

    /// The code and its name, side by side so that the two cannot disagree.
    fn windows(&self) -> (u32, &'static str) {
        match self {
            Error::AlreadyRunning { .. } => (1618, "ERROR_INSTALL_ALREADY_RUNNING"),
            Error::OutsideRoot { .. }
            | Error::LinkRefused { .. }
            | Error::Io { .. }
            | Error::UnsafeState { .. }
            | Error::Journal { .. }
            | Error::FolderInTheWay { .. }
            | Error::CommitFailed { .. }
            | Error::RollbackIncomplete { .. } => (1603, "ERROR_INSTALL_FAILURE"),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant against its pair on "MsiExec.exe and InstMsi.exe Error Messages".
    #[test]
    fn every_variant_has_its_windows_code_and_name() {
        let failure = (1603, "ERROR_INSTALL_FAILURE");
        let cases = [
            (
                Error::AlreadyRunning { root: "/r".into() },
                (1618, "ERROR_INSTALL_ALREADY_RUNNING"),
            ),
            (
                Error::OutsideRoot {
                    root: "/r".into(),
                    path: "/x".into(),
                },
                failure,
            ),
            (Error::io("p", io::Error::other("x")), failure),
            (
                Error::LinkRefused {
                    link: "l".into(),
                    reason: "x".into(),
                },
                failure,
            ),
            (
                Error::UnsafeState {
                    path: "p".into(),
                    reason: "x".into(),
                },
                failure,
            ),
            (
                Error::Journal {
                    source: io::Error::other("x"),
                },
                failure,
            ),
            (Error::FolderInTheWay { path: "p".into() }, failure),
            (
                Error::CommitFailed {
                    journal: "j".into(),
                    source: io::Error::other("x"),
                },
                failure,
            ),
            (
                Error::RollbackIncomplete {
                    journal: "j".into(),
                    staging: "s".into(),
                    failed: 1,
                },
                failure,
            ),
        ];
        for (err, pair) in cases {
            assert_eq!((err.code(), err.name()), pair, "{err:?}");
        }
    }
}
