//! The crate's one error type, with the Windows name and code of every error the
//! Restart Manager documents (the return values of each page of "Restart Manager Functions").
//!
//! Every variant maps to exactly one Windows error through [`Error::code`] and
//! [`Error::name`]; several Linux-specific causes (an unsafe state folder, a failed
//! `/proc` read) are folded into the documented code that fits them best, and the
//! message says which case it was.

use std::io;
use std::path::PathBuf;

/// A Restart Manager error.
///
/// Invariant: `code()` and `name()` are the documented Windows pair for the variant
/// ("Restart Manager Functions"); the `Display` text is plain language and names the key, pid, path
/// or service involved where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A filter to remove does not exist (`RmRemoveFilter`).
    #[error("no filter for {target}")]
    FileNotFound {
        /// The filter target, as the user named it.
        target: String,
    },

    /// A path asked about does not exist (`rstmgr who`).
    #[error("{}: no such file or directory", path.display())]
    PathNotFound {
        /// The path that was given.
        path: PathBuf,
    },

    /// A registered path is a directory (`RmGetList`).
    #[error("{}: a registered path is a directory", path.display())]
    AccessDenied {
        /// The directory that was registered.
        path: PathBuf,
    },

    /// The state folder cannot be trusted: wrong owner, a symlink, group or world
    /// writable, or not a folder. Reported as `ERROR_ACCESS_DENIED`.
    #[error("unsafe state directory {}: {reason}", path.display())]
    UnsafeStateDir {
        /// The state folder that was refused.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },

    /// No session exists for this key, or it has ended, or its primary has died.
    #[error("no session with this key")]
    InvalidHandle,

    /// Memory ran out.
    #[error("out of memory")]
    OutOfMemory,

    /// The session state could not be read or written.
    #[error("cannot read or write session state {}: {source}", path.display())]
    WriteFault {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: io::Error,
    },

    /// Another I/O failure, with what was being done. Reported as `ERROR_WRITE_FAULT`.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, in plain words.
        context: String,
        /// The underlying failure.
        #[source]
        source: io::Error,
    },

    /// The session lock was not obtained in time.
    #[error("timed out waiting for the session lock {}", path.display())]
    SemTimeout {
        /// The lock file.
        path: PathBuf,
    },

    /// An argument is missing, malformed or contradictory.
    #[error("{0}")]
    BadArguments(String),

    /// A parameter is invalid (for example a session key that is not 32 hex digits).
    #[error("{0}")]
    InvalidParameter(String),

    /// The caller's buffer is too small; `needed` entries (or bytes) are needed.
    #[error("more data is available: {needed} needed")]
    MoreData {
        /// How many entries (or bytes) the full answer needs.
        needed: usize,
    },

    /// A system restart is required; nothing was shut down.
    #[error("a system restart is required to free the resources; nothing was shut down")]
    FailNoactionReboot,

    /// Some applications could not be shut down.
    #[error("some applications could not be shut down{}", detail_suffix(.0))]
    FailShutdown(String),

    /// One or more applications could not be restarted.
    #[error("one or more applications could not be restarted{}", detail_suffix(.0))]
    FailRestart(String),

    /// The per-user limit of open sessions (64) is reached.
    #[error("too many open sessions ({limit} per user)")]
    MaxSessionsReached {
        /// The limit that was hit.
        limit: usize,
    },

    /// Restart was asked for before any shutdown in this session.
    #[error("restart called before shutdown in this session")]
    RequestOutOfSequence,

    /// The caller is not the session's primary, or the key cannot be validated.
    #[error("{0}")]
    SessionCredentialConflict(String),

    /// The operation was cancelled.
    #[error("the operation was cancelled")]
    Cancelled,

    /// The process no longer exists (or its pid now belongs to another process).
    #[error("no process with pid {pid}")]
    NoSuchProcess {
        /// The pid asked for.
        pid: u32,
    },

    /// The service is not known to the service manager.
    #[error("no service named {name}")]
    ServiceDoesNotExist {
        /// The service short name.
        name: String,
    },

    /// The service manager failed to stop or start a service.
    #[error("service {name}: {message}")]
    ServiceFailed {
        /// The service short name.
        name: String,
        /// What went wrong.
        message: String,
    },
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

impl Error {
    /// The Windows error code (a `winerror.h` value).
    pub fn code(&self) -> u32 {
        match self {
            Error::FileNotFound { .. } | Error::PathNotFound { .. } => 2,
            Error::AccessDenied { .. } | Error::UnsafeStateDir { .. } => 5,
            Error::InvalidHandle => 6,
            Error::OutOfMemory => 14,
            Error::WriteFault { .. } | Error::Io { .. } => 29,
            Error::InvalidParameter(_) | Error::NoSuchProcess { .. } => 87,
            Error::SemTimeout { .. } => 121,
            Error::BadArguments(_) => 160,
            Error::MoreData { .. } => 234,
            Error::FailNoactionReboot => 350,
            Error::FailShutdown(_) => 351,
            Error::FailRestart(_) => 352,
            Error::MaxSessionsReached { .. } => 353,
            Error::RequestOutOfSequence => 776,
            Error::ServiceDoesNotExist { .. } => 1060,
            Error::ServiceFailed { .. } => 1066,
            Error::SessionCredentialConflict(_) => 1219,
            Error::Cancelled => 1223,
        }
    }

    /// The Windows error name (`ERROR_…`).
    pub fn name(&self) -> &'static str {
        match self {
            Error::FileNotFound { .. } | Error::PathNotFound { .. } => "ERROR_FILE_NOT_FOUND",
            Error::AccessDenied { .. } | Error::UnsafeStateDir { .. } => "ERROR_ACCESS_DENIED",
            Error::InvalidHandle => "ERROR_INVALID_HANDLE",
            Error::OutOfMemory => "ERROR_OUTOFMEMORY",
            Error::WriteFault { .. } | Error::Io { .. } => "ERROR_WRITE_FAULT",
            Error::InvalidParameter(_) | Error::NoSuchProcess { .. } => "ERROR_INVALID_PARAMETER",
            Error::SemTimeout { .. } => "ERROR_SEM_TIMEOUT",
            Error::BadArguments(_) => "ERROR_BAD_ARGUMENTS",
            Error::MoreData { .. } => "ERROR_MORE_DATA",
            Error::FailNoactionReboot => "ERROR_FAIL_NOACTION_REBOOT",
            Error::FailShutdown(_) => "ERROR_FAIL_SHUTDOWN",
            Error::FailRestart(_) => "ERROR_FAIL_RESTART",
            Error::MaxSessionsReached { .. } => "ERROR_MAX_SESSIONS_REACHED",
            Error::RequestOutOfSequence => "ERROR_REQUEST_OUT_OF_SEQUENCE",
            Error::ServiceDoesNotExist { .. } => "ERROR_SERVICE_DOES_NOT_EXIST",
            Error::ServiceFailed { .. } => "ERROR_SERVICE_SPECIFIC_ERROR",
            Error::SessionCredentialConflict(_) => "ERROR_SESSION_CREDENTIAL_CONFLICT",
            Error::Cancelled => "ERROR_CANCELLED",
        }
    }

    /// Wraps an I/O failure on a session-state path as `ERROR_WRITE_FAULT`.
    pub fn write_fault(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::WriteFault {
            path: path.into(),
            source,
        }
    }

    /// Wraps another I/O failure with a plain-language context.
    pub fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (name, code) pair the "Restart Manager Functions" pages document (plus the few Win32
    /// codes used for Linux-only causes), checked against the variants.
    #[test]
    fn names_and_codes_match_the_spec_table() {
        let io = || io::Error::other("x");
        let cases: Vec<(Error, &str, u32)> = vec![
            (
                Error::FileNotFound { target: "x".into() },
                "ERROR_FILE_NOT_FOUND",
                2,
            ),
            (
                Error::PathNotFound { path: "/x".into() },
                "ERROR_FILE_NOT_FOUND",
                2,
            ),
            (
                Error::AccessDenied { path: "/".into() },
                "ERROR_ACCESS_DENIED",
                5,
            ),
            (
                Error::UnsafeStateDir {
                    path: "/".into(),
                    reason: "x".into(),
                },
                "ERROR_ACCESS_DENIED",
                5,
            ),
            (Error::InvalidHandle, "ERROR_INVALID_HANDLE", 6),
            (Error::OutOfMemory, "ERROR_OUTOFMEMORY", 14),
            (Error::write_fault("/", io()), "ERROR_WRITE_FAULT", 29),
            (Error::io("x", io()), "ERROR_WRITE_FAULT", 29),
            (
                Error::InvalidParameter("x".into()),
                "ERROR_INVALID_PARAMETER",
                87,
            ),
            (
                Error::NoSuchProcess { pid: 1 },
                "ERROR_INVALID_PARAMETER",
                87,
            ),
            (
                Error::SemTimeout { path: "/".into() },
                "ERROR_SEM_TIMEOUT",
                121,
            ),
            (Error::BadArguments("x".into()), "ERROR_BAD_ARGUMENTS", 160),
            (Error::MoreData { needed: 3 }, "ERROR_MORE_DATA", 234),
            (Error::FailNoactionReboot, "ERROR_FAIL_NOACTION_REBOOT", 350),
            (
                Error::FailShutdown(String::new()),
                "ERROR_FAIL_SHUTDOWN",
                351,
            ),
            (Error::FailRestart(String::new()), "ERROR_FAIL_RESTART", 352),
            (
                Error::MaxSessionsReached { limit: 64 },
                "ERROR_MAX_SESSIONS_REACHED",
                353,
            ),
            (
                Error::RequestOutOfSequence,
                "ERROR_REQUEST_OUT_OF_SEQUENCE",
                776,
            ),
            (
                Error::ServiceDoesNotExist { name: "x".into() },
                "ERROR_SERVICE_DOES_NOT_EXIST",
                1060,
            ),
            (
                Error::ServiceFailed {
                    name: "x".into(),
                    message: "y".into(),
                },
                "ERROR_SERVICE_SPECIFIC_ERROR",
                1066,
            ),
            (
                Error::SessionCredentialConflict("x".into()),
                "ERROR_SESSION_CREDENTIAL_CONFLICT",
                1219,
            ),
            (Error::Cancelled, "ERROR_CANCELLED", 1223),
        ];
        for (err, name, code) in cases {
            assert_eq!((err.name(), err.code()), (name, code), "{err:?}");
        }
    }

    #[test]
    fn messages_name_what_is_involved() {
        assert_eq!(Error::InvalidHandle.to_string(), "no session with this key");
        assert_eq!(
            Error::AccessDenied {
                path: "/etc".into()
            }
            .to_string(),
            "/etc: a registered path is a directory"
        );
        assert_eq!(
            Error::NoSuchProcess { pid: 42 }.to_string(),
            "no process with pid 42"
        );
        assert_eq!(
            Error::FailShutdown("pid 7 still running".into()).to_string(),
            "some applications could not be shut down: pid 7 still running"
        );
    }
}
