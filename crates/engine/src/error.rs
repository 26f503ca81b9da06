//! The engine's errors and success outcomes, each with the Windows Installer
//! code and name `msiexec` returns for it (spec section 5.7).
//!
//! A Linux exit status holds 8 bits: the CLI exits with [`exit_status`] of the
//! code and prints the full code and name on stderr, as `wine msiexec` does.

use std::io;
use std::path::PathBuf;

/// Everything that can make an installation (or opening a package) fail.
///
/// Every variant maps to exactly one Windows Installer exit code through
/// [`Error::code`] and its symbolic name through [`Error::name`]; several
/// variants share `ERROR_INSTALL_FAILURE` (1603) because Windows folds every
/// fatal error during the installation into that code, and keep apart only
/// what the message says.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A fatal error during the installation (any action that failed).
    #[error("{message}")]
    InstallFailure {
        /// What failed, for the log and stderr.
        message: String,
        /// The underlying cause, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A launch condition evaluated false; the row's formatted description.
    #[error("launch condition failed: {description}")]
    LaunchCondition {
        /// The LaunchCondition row's `Description`, formatted.
        description: String,
    },
    /// The user cancelled the installation.
    #[error("the user cancelled the installation")]
    UserExit,
    /// The installation was suspended (a ForceReboot, or a `-4` sequence row).
    #[error("the installation was suspended")]
    Suspended,
    /// The package could not be opened, or a table or stream of it read: the `package`
    /// crate's error, with its own code (1619, 1620, or 1603 for a broken row).
    #[error(transparent)]
    Package(#[from] package::Error),
    /// The root's lock, its journal or a change to it failed: the `transaction` crate's
    /// error, with its own code (1618 when another install holds the root, else 1603).
    #[error(transparent)]
    Transaction(#[from] transaction::Error),
    /// A row of a table breaks the table's documented invariants
    /// (a missing required column, an unknown foreign key, a cycle…).
    /// Windows reports these as internal errors (2xxx) and ends with 1603.
    #[error("table {table}, row {key:?}: {reason}")]
    BadRow {
        /// The table's name.
        table: String,
        /// The row's primary key, joined with `/` for composite keys.
        key: String,
        /// What is wrong with the row.
        reason: String,
    },
    /// A path computed from the package, a property or the command line would
    /// resolve outside the target root (through `..`, an absolute path or a
    /// symbolic link already in the root).
    #[error("refusing path outside the target root {root}: {path}")]
    OutsideRoot {
        /// The target root.
        root: PathBuf,
        /// The offending path (as far as it was resolved).
        path: PathBuf,
    },
    /// An I/O error on a path in the target root or the engine's state.
    #[error("{path}: {source}")]
    Io {
        /// The path the operation was on.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The log file could not be opened (`ERROR_INSTALL_LOG_FAILURE`).
    #[error("cannot open the log file {path}: {source}")]
    LogFailure {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The product registry (an SQLite database in the engine's state folder)
    /// failed.
    #[error("product registry {path}: {source}")]
    Registry {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The engine's state folder is unsafe (a symbolic link, not owned by
    /// the caller, or writable by others).
    #[error("unsafe state folder {path}: {reason}")]
    UnsafeState {
        /// The state folder or file.
        path: PathBuf,
        /// Why it is refused.
        reason: String,
    },
    /// The command line is invalid (a property without `=`, an unknown
    /// option, unbalanced quotes).
    #[error("invalid command line: {message}")]
    InvalidCommandLine {
        /// What is wrong.
        message: String,
    },
    /// A transform of `TRANSFORMS` (or one the product was installed with) could not be
    /// read, does not validate against the package, or does not apply to it.
    #[error("cannot apply the transforms {transforms}: {reason}")]
    TransformFailure {
        /// The `TRANSFORMS` value.
        transforms: String,
        /// Why.
        reason: String,
    },
    /// The package is not supported on this platform (e.g. a Template
    /// summary platform this engine does not recognise).
    #[error("package not supported on this platform: {message}")]
    PlatformUnsupported {
        /// What is not supported.
        message: String,
    },
    /// The installation source (an external cabinet, an uncompressed file)
    /// is not available. `msiexec` still returns 1603 for a missing payload
    /// during InstallFiles; this variant is for callers that need to tell the
    /// two apart, and maps to `ERROR_INSTALL_FAILURE` too.
    #[error("installation source not available: {path}")]
    SourceAbsent {
        /// The missing source.
        path: PathBuf,
    },
    /// The action is valid only for products that are installed.
    #[error("product {product_code} is not installed")]
    UnknownProduct {
        /// The product code asked for.
        product_code: String,
    },
}

impl Error {
    /// The Windows Installer exit code for this error (spec 5.7).
    pub fn code(&self) -> u32 {
        self.windows().0
    }

    /// The symbolic Windows name of [`Error::code`] (spec 5.7).
    pub fn name(&self) -> &'static str {
        self.windows().1
    }

    /// The code and its name, side by side so that the two cannot disagree.
    fn windows(&self) -> (u32, &'static str) {
        match self {
            Error::InstallFailure { .. }
            | Error::LaunchCondition { .. }
            | Error::BadRow { .. }
            | Error::OutsideRoot { .. }
            | Error::Io { .. }
            | Error::Registry { .. }
            | Error::UnsafeState { .. }
            | Error::SourceAbsent { .. } => (1603, "ERROR_INSTALL_FAILURE"),
            Error::UserExit => (1602, "ERROR_INSTALL_USEREXIT"),
            Error::Suspended => (1604, "ERROR_INSTALL_SUSPEND"),
            Error::UnknownProduct { .. } => (1605, "ERROR_UNKNOWN_PRODUCT"),
            Error::Transaction(e) => (e.code(), e.name()),
            Error::LogFailure { .. } => (1622, "ERROR_INSTALL_LOG_FAILURE"),
            Error::Package(e) => (e.code(), e.name()),
            Error::TransformFailure { .. } => (1624, "ERROR_INSTALL_TRANSFORM_FAILURE"),
            Error::PlatformUnsupported { .. } => (1633, "ERROR_INSTALL_PLATFORM_UNSUPPORTED"),
            Error::InvalidCommandLine { .. } => (1639, "ERROR_INVALID_COMMAND_LINE"),
        }
    }

    /// A fatal installation error with a message and no further cause.
    pub fn failure(message: impl Into<String>) -> Self {
        Error::InstallFailure {
            message: message.into(),
            source: None,
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A row that breaks its table's invariants.
    pub fn bad_row(table: &str, key: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::BadRow {
            table: table.to_string(),
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// A successful end of an installation, with its `msiexec` code.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// `ERROR_SUCCESS` (0).
    Success,
    /// `ERROR_SUCCESS_REBOOT_REQUIRED` (3010): a restart is needed to
    /// complete the installation (e.g. apps left running on replaced files).
    RebootRequired,
    /// `ERROR_SUCCESS_REBOOT_INITIATED` (1641): the installer started a
    /// restart.
    RebootInitiated,
}

impl Outcome {
    /// The Windows Installer exit code (spec 5.7).
    pub fn code(&self) -> u32 {
        match self {
            Outcome::Success => 0,
            Outcome::RebootRequired => 3010,
            Outcome::RebootInitiated => 1641,
        }
    }

    /// The symbolic Windows name of [`Outcome::code`].
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Success => "ERROR_SUCCESS",
            Outcome::RebootRequired => "ERROR_SUCCESS_REBOOT_REQUIRED",
            Outcome::RebootInitiated => "ERROR_SUCCESS_REBOOT_INITIATED",
        }
    }
}

/// The 8-bit process exit status for a Windows Installer code: the code
/// modulo 256, as `wine msiexec` exits (1603 → 67, 3010 → 194).
pub fn exit_status(code: u32) -> u8 {
    (code % 256) as u8
}

/// Result type of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn all_errors() -> Vec<Error> {
        vec![
            Error::failure("x"),
            Error::LaunchCondition {
                description: "x".into(),
            },
            Error::UserExit,
            Error::Suspended,
            Error::Transaction(transaction::Error::AlreadyRunning { root: "/".into() }),
            Error::LogFailure {
                path: "l".into(),
                source: io::Error::from(io::ErrorKind::PermissionDenied),
            },
            Error::Package(package::Error::PackageOpenFailed {
                path: "p".into(),
                source: io::Error::from(io::ErrorKind::NotFound),
            }),
            Error::Package(package::Error::PackageInvalid {
                path: "p".into(),
                reason: "x".into(),
            }),
            Error::bad_row("File", "k", "x"),
            Error::OutsideRoot {
                root: "/r".into(),
                path: "/x".into(),
            },
            Error::io("p", io::Error::from(io::ErrorKind::Other)),
            Error::Registry {
                path: "p".into(),
                source: rusqlite::Error::InvalidQuery,
            },
            Error::UnsafeState {
                path: "p".into(),
                reason: "x".into(),
            },
            Error::InvalidCommandLine {
                message: "x".into(),
            },
            Error::PlatformUnsupported {
                message: "x".into(),
            },
            Error::SourceAbsent { path: "p".into() },
            Error::UnknownProduct {
                product_code: "{X}".into(),
            },
        ]
    }

    /// Pins every pair against the table of spec section 5.7.
    #[test]
    fn codes_and_names_match_spec_5_7() {
        let spec: &[(u32, &str)] = &[
            (1602, "ERROR_INSTALL_USEREXIT"),
            (1603, "ERROR_INSTALL_FAILURE"),
            (1604, "ERROR_INSTALL_SUSPEND"),
            (1605, "ERROR_UNKNOWN_PRODUCT"),
            (1618, "ERROR_INSTALL_ALREADY_RUNNING"),
            (1622, "ERROR_INSTALL_LOG_FAILURE"),
            (1619, "ERROR_INSTALL_PACKAGE_OPEN_FAILED"),
            (1620, "ERROR_INSTALL_PACKAGE_INVALID"),
            (1633, "ERROR_INSTALL_PLATFORM_UNSUPPORTED"),
            (1639, "ERROR_INVALID_COMMAND_LINE"),
        ];
        for err in all_errors() {
            let pair = (err.code(), err.name());
            assert!(spec.contains(&pair), "{err:?} maps to {pair:?}");
        }
        assert_eq!(Error::UserExit.code(), 1602);
        assert_eq!(Error::failure("x").code(), 1603);
        assert_eq!(
            Error::Package(package::Error::PackageInvalid {
                path: "p".into(),
                reason: "r".into()
            })
            .name(),
            "ERROR_INSTALL_PACKAGE_INVALID"
        );
    }

    #[test]
    fn outcomes_match_spec_5_7() {
        assert_eq!(
            (Outcome::Success.code(), Outcome::Success.name()),
            (0, "ERROR_SUCCESS")
        );
        assert_eq!(
            (
                Outcome::RebootRequired.code(),
                Outcome::RebootRequired.name()
            ),
            (3010, "ERROR_SUCCESS_REBOOT_REQUIRED")
        );
        assert_eq!(
            (
                Outcome::RebootInitiated.code(),
                Outcome::RebootInitiated.name()
            ),
            (1641, "ERROR_SUCCESS_REBOOT_INITIATED")
        );
    }

    #[test]
    fn exit_status_is_code_modulo_256() {
        assert_eq!(exit_status(0), 0);
        assert_eq!(exit_status(1603), 67);
        assert_eq!(exit_status(1619), 83);
        assert_eq!(exit_status(1620), 84);
        assert_eq!(exit_status(3010), 194);
        assert_eq!(exit_status(1641), 105);
    }
}
