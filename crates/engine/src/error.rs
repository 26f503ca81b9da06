//! The engine's errors and success outcomes, each with the Windows Installer
//! code and name `msiexec` returns for it (listed on "MsiExec.exe and InstMsi.exe Error
//! Messages").
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
    /// A cabinet of the package could not be read or extracted (corrupt, truncated, an
    /// unsupported format, or the staged file could not be written).
    #[error("cabinet {cabinet}: {source}")]
    Cabinet {
        /// The cabinet as the Media table names it.
        cabinet: String,
        /// What the cabinet reader found.
        #[source]
        source: cabinet::CabinetError,
    },
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
    /// The Template summary property has no `;` between platforms and languages.
    #[error("the package's Template summary property {template:?} is not platform;languages")]
    TemplateInvalid {
        /// The Template value.
        template: String,
    },
    /// An x64 package whose schema (Page Count) is below 200, which 64-bit packages need.
    #[error(
        "the package is for x64 ({template:?}) but its schema is {schema}: 64-bit packages need 200 or more"
    )]
    SchemaTooLow {
        /// The Template value.
        template: String,
        /// The Page Count summary property.
        schema: i32,
    },
    /// None of the Template's languages is a locale of this machine.
    #[error(
        "none of the languages of the Template summary property {template:?} is a locale Windows knows"
    )]
    LanguageUnsupported {
        /// The Template value.
        template: String,
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
    /// `--wine-prefix` names no Wine prefix (no folder, or no `system.reg`, `user.reg` or
    /// `drive_c` in it).
    #[error("{} is not a Wine prefix: {reason}", prefix.display())]
    NotWinePrefix {
        /// The folder named.
        prefix: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// A `wineserver` serves the Wine prefix: its registry is in the server's memory, which
    /// would save it over the files the installation writes.
    #[error(
        "a wineserver serves the Wine prefix {} (process {pid}, {name}): its registry would overwrite this installation's; end it (wineserver -k, or wait with --wait-wineserver)",
        prefix.display()
    )]
    WineServerRunning {
        /// The prefix.
        prefix: PathBuf,
        /// The server's process id.
        pid: u32,
        /// Its process name.
        name: String,
    },
    /// The action is valid only for products that are installed.
    #[error("product {product_code} is not installed")]
    UnknownProduct {
        /// The product code asked for.
        product_code: String,
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
            Error::InstallFailure { .. }
            | Error::LaunchCondition { .. }
            | Error::BadRow { .. }
            | Error::OutsideRoot { .. }
            | Error::Io { .. }
            | Error::Registry { .. }
            | Error::UnsafeState { .. }
            | Error::SourceAbsent { .. }
            | Error::Cabinet { .. } => (1603, "ERROR_INSTALL_FAILURE"),
            Error::UserExit => (1602, "ERROR_INSTALL_USEREXIT"),
            Error::Suspended => (1604, "ERROR_INSTALL_SUSPEND"),
            Error::UnknownProduct { .. } => (1605, "ERROR_UNKNOWN_PRODUCT"),
            Error::Transaction(e) => (e.code(), e.name()),
            Error::LogFailure { .. } => (1622, "ERROR_INSTALL_LOG_FAILURE"),
            Error::Package(e) => (e.code(), e.name()),
            Error::TransformFailure { .. } => (1624, "ERROR_INSTALL_TRANSFORM_FAILURE"),
            Error::SchemaTooLow { .. } => (1620, "ERROR_INSTALL_PACKAGE_INVALID"),
            Error::LanguageUnsupported { .. } => (1623, "ERROR_INSTALL_LANGUAGE_UNSUPPORTED"),
            Error::PlatformUnsupported { .. } => (1633, "ERROR_INSTALL_PLATFORM_UNSUPPORTED"),
            Error::TemplateInvalid { .. } => (1636, "ERROR_PATCH_PACKAGE_INVALID"),
            Error::InvalidCommandLine { .. } | Error::NotWinePrefix { .. } => {
                (1639, "ERROR_INVALID_COMMAND_LINE")
            }
            // Another program holds the machine's registry: the same answer as another
            // installation holding the root.
            Error::WineServerRunning { .. } => (1618, "ERROR_INSTALL_ALREADY_RUNNING"),
        }
    }

    /// The line Windows Installer logs for this error where it has a message of its own
    /// ("Windows Installer Error Messages"): 1335 for a cabinet that cannot be used (corrupt,
    /// or not the next of its set), 1311 for a source file or cabinet that is not there.
    pub fn installer_message(&self) -> Option<String> {
        match self {
            Error::Cabinet { cabinet, .. } => {
                // The Media table's name: the stream's, or the file's without its folder.
                let name = match cabinet.strip_prefix('#') {
                    Some(stream) => stream,
                    None => std::path::Path::new(cabinet)
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or(cabinet),
                };
                Some(format!(
                    "Error 1335. The cabinet file '{name}' required for this installation is corrupt and cannot be used. This could indicate a network error, an error reading from the CD-ROM, or a problem with this package."
                ))
            }
            Error::SourceAbsent { path } => Some(format!(
                "Error 1311. Source file not found: {}.  Verify that the file exists and that you can access it.",
                path.display()
            )),
            _ => None,
        }
    }

    /// A fatal installation error with a message and no further cause.
    pub fn failure(message: impl Into<String>) -> Self {
        Error::InstallFailure {
            message: message.into(),
            source: None,
        }
    }

    /// A fatal installation error with a message and the error that caused it (kept as
    /// its source, so that a caller can walk the chain; the message alone is displayed).
    pub fn failure_from(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::InstallFailure {
            message: message.into(),
            source: Some(source.into()),
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
    /// The Windows Installer exit code.
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

/// Wraps a registry error as an installation failure that keeps its cause.
pub(crate) fn registry_failure(what: &str, source: winreg::Error) -> Error {
    Error::InstallFailure {
        message: format!("the registry of the root: {what}: {source}"),
        source: Some(Box::new(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which variant an error is, by an exhaustive match: a new variant does not compile
    /// until it is given a place here, and so a row in the table below.
    fn variant(err: &Error) -> usize {
        match err {
            Error::InstallFailure { .. } => 0,
            Error::LaunchCondition { .. } => 1,
            Error::UserExit => 2,
            Error::Suspended => 3,
            Error::Package(_) => 4,
            Error::Cabinet { .. } => 5,
            Error::Transaction(_) => 6,
            Error::BadRow { .. } => 7,
            Error::OutsideRoot { .. } => 8,
            Error::Io { .. } => 9,
            Error::LogFailure { .. } => 10,
            Error::Registry { .. } => 11,
            Error::UnsafeState { .. } => 12,
            Error::InvalidCommandLine { .. } => 13,
            Error::TransformFailure { .. } => 14,
            Error::PlatformUnsupported { .. } => 15,
            Error::SourceAbsent { .. } => 16,
            Error::UnknownProduct { .. } => 17,
            Error::TemplateInvalid { .. } => 18,
            Error::SchemaTooLow { .. } => 19,
            Error::LanguageUnsupported { .. } => 20,
            Error::NotWinePrefix { .. } => 21,
            Error::WineServerRunning { .. } => 22,
        }
    }
    const VARIANTS: usize = 23;

    fn other() -> io::Error {
        io::Error::other("x")
    }

    /// Every variant (and every variant of the wrapped crates' errors that can reach it)
    /// with the code and name "MsiExec.exe and InstMsi.exe Error Messages" gives it.
    #[test]
    fn every_variant_has_its_windows_code_and_name() {
        const FAILURE: (u32, &str) = (1603, "ERROR_INSTALL_FAILURE");
        let cases: Vec<(Error, (u32, &str))> = vec![
            (Error::failure("x"), FAILURE),
            (Error::failure_from("x", other()), FAILURE),
            (
                Error::LaunchCondition {
                    description: "x".into(),
                },
                FAILURE,
            ),
            (Error::UserExit, (1602, "ERROR_INSTALL_USEREXIT")),
            (Error::Suspended, (1604, "ERROR_INSTALL_SUSPEND")),
            (
                Error::Package(package::Error::PackageOpenFailed {
                    path: "p".into(),
                    source: io::Error::from(io::ErrorKind::NotFound),
                }),
                (1619, "ERROR_INSTALL_PACKAGE_OPEN_FAILED"),
            ),
            (
                Error::Package(package::Error::PackageInvalid {
                    path: "p".into(),
                    reason: "x".into(),
                }),
                (1620, "ERROR_INSTALL_PACKAGE_INVALID"),
            ),
            (
                Error::Package(package::Error::bad_row("File", "k", "x")),
                FAILURE,
            ),
            (Error::Package(package::Error::io("p", other())), FAILURE),
            (
                Error::Cabinet {
                    cabinet: "#c.cab".into(),
                    source: cabinet::CabinetError::Io(other()),
                },
                FAILURE,
            ),
            (
                Error::Transaction(transaction::Error::AlreadyRunning { root: "/".into() }),
                (1618, "ERROR_INSTALL_ALREADY_RUNNING"),
            ),
            (
                Error::Transaction(transaction::Error::Journal { source: other() }),
                FAILURE,
            ),
            (Error::bad_row("File", "k", "x"), FAILURE),
            (
                Error::OutsideRoot {
                    root: "/r".into(),
                    path: "/x".into(),
                },
                FAILURE,
            ),
            (Error::io("p", other()), FAILURE),
            (
                Error::LogFailure {
                    path: "l".into(),
                    source: io::Error::from(io::ErrorKind::PermissionDenied),
                },
                (1622, "ERROR_INSTALL_LOG_FAILURE"),
            ),
            (
                Error::Registry {
                    path: "p".into(),
                    source: rusqlite::Error::InvalidQuery,
                },
                FAILURE,
            ),
            (
                Error::UnsafeState {
                    path: "p".into(),
                    reason: "x".into(),
                },
                FAILURE,
            ),
            (
                Error::InvalidCommandLine {
                    message: "x".into(),
                },
                (1639, "ERROR_INVALID_COMMAND_LINE"),
            ),
            (
                Error::TransformFailure {
                    transforms: "t.mst".into(),
                    reason: "x".into(),
                },
                (1624, "ERROR_INSTALL_TRANSFORM_FAILURE"),
            ),
            (
                Error::PlatformUnsupported {
                    message: "x".into(),
                },
                (1633, "ERROR_INSTALL_PLATFORM_UNSUPPORTED"),
            ),
            (
                Error::TemplateInvalid {
                    template: "x".into(),
                },
                (1636, "ERROR_PATCH_PACKAGE_INVALID"),
            ),
            (
                Error::SchemaTooLow {
                    template: "x64;1033".into(),
                    schema: 100,
                },
                (1620, "ERROR_INSTALL_PACKAGE_INVALID"),
            ),
            (
                Error::LanguageUnsupported {
                    template: "x".into(),
                },
                (1623, "ERROR_INSTALL_LANGUAGE_UNSUPPORTED"),
            ),
            (Error::SourceAbsent { path: "p".into() }, FAILURE),
            (
                Error::NotWinePrefix {
                    prefix: "p".into(),
                    reason: "x".into(),
                },
                (1639, "ERROR_INVALID_COMMAND_LINE"),
            ),
            (
                Error::WineServerRunning {
                    prefix: "p".into(),
                    pid: 1,
                    name: "wineserver".into(),
                },
                (1618, "ERROR_INSTALL_ALREADY_RUNNING"),
            ),
            (
                Error::UnknownProduct {
                    product_code: "{X}".into(),
                },
                (1605, "ERROR_UNKNOWN_PRODUCT"),
            ),
        ];
        let mut seen = [false; VARIANTS];
        for (err, pair) in &cases {
            assert_eq!((err.code(), err.name()), *pair, "{err:?}");
            seen[variant(err)] = true;
        }
        assert!(seen.iter().all(|&s| s), "a variant has no row: {seen:?}");
    }

    /// The wrapped errors keep their cause and their message: the engine's error says
    /// exactly what the package, cabinet or transaction error says.
    #[test]
    fn wrapped_errors_keep_their_message_and_cause() {
        use std::error::Error as _;
        let inner = package::Error::PackageOpenFailed {
            path: "p.msi".into(),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        let text = inner.to_string();
        let err = Error::from(inner);
        assert_eq!(err.to_string(), text);
        let cab = Error::Cabinet {
            cabinet: "#c.cab".into(),
            source: cabinet::CabinetError::Truncated {
                what: "the header".into(),
            },
        };
        assert_eq!(
            cab.to_string(),
            "cabinet #c.cab: truncated cabinet: it ends inside the header"
        );
        assert!(
            cab.source()
                .is_some_and(|s| s.is::<cabinet::CabinetError>())
        );
        let tx = Error::from(transaction::Error::Journal { source: other() });
        assert_eq!(tx.to_string(), "cannot write the install journal: x");
    }

    #[test]
    fn outcomes_have_their_windows_codes() {
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
