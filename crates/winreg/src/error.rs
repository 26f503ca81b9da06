//! The crate's error type.

use std::path::PathBuf;

/// What went wrong in a registry operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key path that Windows would refuse (an empty name between two backslashes, a name
    /// longer than 255 characters).
    #[error("invalid registry key {path:?}: {reason}")]
    InvalidKey {
        /// The path as given.
        path: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A key path whose first element is not a predefined key (`HKLM`, `HKEY_CLASSES_ROOT`, …).
    #[error("{0:?} does not start with a registry root (HKLM, HKCU, HKCR, HKU)")]
    UnknownRoot(String),
    /// A `Root` column value outside -1..=3.
    #[error("registry root {0} is not one of -1, 0, 1, 2, 3")]
    InvalidRootColumn(i32),
    /// A non-recursive delete of a key that has subkeys (`RegDeleteKey` refuses it too).
    #[error("registry key {0} has subkeys")]
    HasSubkeys(String),
    /// The key an operation needs does not exist.
    #[error("registry key {0} does not exist")]
    KeyNotFound(String),
    /// The SQLite store failed.
    #[error("registry database")]
    Sqlite(#[from] rusqlite::Error),
    /// The database holds a registry schema newer than this program knows.
    #[error("registry schema version {found} is newer than the supported {supported}")]
    SchemaTooNew {
        /// The version found in the database.
        found: i64,
        /// The newest version this crate reads.
        supported: i64,
    },
    /// A Wine registry file that is not in Wine's format.
    #[error("{}:{line}: {reason}", path.display())]
    WineSyntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong there.
        reason: String,
    },
    /// A folder that is not a Wine prefix (no `system.reg` and `user.reg`: not created, or
    /// never booted with `wineboot`).
    #[error("{} is not a Wine prefix (no system.reg and user.reg)", .0.display())]
    NotWinePrefix(PathBuf),
    /// A key outside the hives a Wine prefix keeps in its files.
    #[error("{0} is not kept in this Wine prefix's registry files")]
    NotInPrefix(String),
    /// Reading or writing a file failed.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Text that is not a GUID in registry format (`{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`).
    #[error("{0:?} is not a GUID in registry format")]
    InvalidGuid(String),
    /// Text that is not a packed GUID (32 hexadecimal digits).
    #[error("{0:?} is not a packed GUID")]
    InvalidPackedGuid(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
