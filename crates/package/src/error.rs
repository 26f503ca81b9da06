//! What can go wrong opening a package or reading its tables, each failure with the
//! Windows Installer code and name `msiexec` returns for it.

use std::io;
use std::path::PathBuf;

/// Why a package could not be opened, or a table or stream of it read.
///
/// Every variant maps to one Windows Installer code ([`Error::code`]) and its symbolic
/// name ([`Error::name`]), as listed on "MsiExec.exe and InstMsi.exe Error Messages".
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The package file is missing or unreadable (`ERROR_INSTALL_PACKAGE_OPEN_FAILED`).
    #[error("cannot open package {path}: {source}")]
    PackageOpenFailed {
        /// The package path as given.
        path: PathBuf,
        /// The I/O error from opening or reading it.
        #[source]
        source: io::Error,
    },
    /// The package is not a valid Windows Installer database: not a compound file, a
    /// broken string pool or system table, an unreadable table or a missing stream
    /// (`ERROR_INSTALL_PACKAGE_INVALID`).
    #[error("{path} is not a valid installer package: {reason}")]
    PackageInvalid {
        /// The package path as given.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A row of a table breaks the table's documented invariants (a missing required
    /// column, a null key…). Windows reports these as internal errors (2xxx) and ends
    /// with `ERROR_INSTALL_FAILURE`.
    #[error("table {table}, row {key:?}: {reason}")]
    BadRow {
        /// The table's name.
        table: String,
        /// The row's primary key, joined with `/` for composite keys.
        key: String,
        /// What is wrong with the row.
        reason: String,
    },
    /// A transform could not be read, does not validate against the package, or does not
    /// apply to it (`ERROR_INSTALL_TRANSFORM_FAILURE`).
    #[error("cannot apply the transform {transform}: {reason}")]
    TransformFailure {
        /// The transform: its path, or `:Name` for an embedded one.
        transform: String,
        /// Why it does not apply.
        reason: String,
    },
    /// A patch file is missing or unreadable (`ERROR_PATCH_PACKAGE_OPEN_FAILED`).
    #[error("cannot open patch {path}: {source}")]
    PatchOpenFailed {
        /// The patch path as given.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file is not a valid patch package (`ERROR_PATCH_PACKAGE_INVALID`).
    #[error("{path} is not a valid patch package: {reason}")]
    PatchInvalid {
        /// The patch path as given.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The patch applies to no installed product, or to none of its transforms'
    /// validation (`ERROR_PATCH_TARGET_NOT_FOUND`).
    #[error("the patch {patch} does not apply to {target}: {reason}")]
    PatchTargetNotFound {
        /// The patch (its path or code).
        patch: String,
        /// What it was tried on (a product code, or "any installed product").
        target: String,
        /// Why not.
        reason: String,
    },
    /// The patch needs what this installer cannot do: binary deltas (the Patch table)
    /// (`ERROR_PATCH_PACKAGE_UNSUPPORTED`).
    #[error("the patch {patch} cannot be processed: {reason}")]
    PatchUnsupported {
        /// The patch's path.
        patch: String,
        /// What it needs.
        reason: String,
    },
    /// The patch may not be removed: its `MsiPatchMetadata` does not set AllowRemoval
    /// (`ERROR_PATCH_REMOVAL_UNSUPPORTED`).
    #[error("the patch {patch} cannot be removed: its AllowRemoval metadata is not 1")]
    PatchRemovalUnsupported {
        /// The patch code.
        patch: String,
    },
    /// The patch is not applied to the product (`ERROR_UNKNOWN_PATCH`).
    #[error("the patch {patch} is not applied to product {product}")]
    UnknownPatch {
        /// The patch (code or path).
        patch: String,
        /// The product code.
        product: String,
    },
    /// Writing a copy of the package failed ([`crate::Package::write_without_cabinets`]).
    #[error("{path}: {source}")]
    Io {
        /// The package whose copy was being written.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
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
            Error::PackageOpenFailed { .. } => (1619, "ERROR_INSTALL_PACKAGE_OPEN_FAILED"),
            Error::PackageInvalid { .. } => (1620, "ERROR_INSTALL_PACKAGE_INVALID"),
            Error::BadRow { .. } | Error::Io { .. } => (1603, "ERROR_INSTALL_FAILURE"),
            Error::TransformFailure { .. } => (1624, "ERROR_INSTALL_TRANSFORM_FAILURE"),
            Error::PatchOpenFailed { .. } => (1635, "ERROR_PATCH_PACKAGE_OPEN_FAILED"),
            Error::PatchInvalid { .. } => (1636, "ERROR_PATCH_PACKAGE_INVALID"),
            Error::PatchTargetNotFound { .. } => (1642, "ERROR_PATCH_TARGET_NOT_FOUND"),
            Error::PatchUnsupported { .. } => (1637, "ERROR_PATCH_PACKAGE_UNSUPPORTED"),
            Error::PatchRemovalUnsupported { .. } => (1646, "ERROR_PATCH_REMOVAL_UNSUPPORTED"),
            Error::UnknownPatch { .. } => (1647, "ERROR_UNKNOWN_PATCH"),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A transform that does not apply.
    pub fn transform(transform: &str, reason: impl Into<String>) -> Self {
        Error::TransformFailure {
            transform: transform.to_string(),
            reason: reason.into(),
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

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant against its pair on "MsiExec.exe and InstMsi.exe Error Messages".
    #[test]
    fn every_variant_has_its_windows_code_and_name() {
        let cases = [
            (
                Error::PackageOpenFailed {
                    path: "p".into(),
                    source: io::Error::from(io::ErrorKind::NotFound),
                },
                1619,
                "ERROR_INSTALL_PACKAGE_OPEN_FAILED",
            ),
            (
                Error::PackageInvalid {
                    path: "p".into(),
                    reason: "x".into(),
                },
                1620,
                "ERROR_INSTALL_PACKAGE_INVALID",
            ),
            (
                Error::bad_row("File", "k", "x"),
                1603,
                "ERROR_INSTALL_FAILURE",
            ),
            (
                Error::io("p", io::Error::other("x")),
                1603,
                "ERROR_INSTALL_FAILURE",
            ),
            (
                Error::transform("t.mst", "x"),
                1624,
                "ERROR_INSTALL_TRANSFORM_FAILURE",
            ),
            (
                Error::PatchOpenFailed {
                    path: "p".into(),
                    source: io::Error::from(io::ErrorKind::NotFound),
                },
                1635,
                "ERROR_PATCH_PACKAGE_OPEN_FAILED",
            ),
            (
                Error::PatchInvalid {
                    path: "p".into(),
                    reason: "x".into(),
                },
                1636,
                "ERROR_PATCH_PACKAGE_INVALID",
            ),
            (
                Error::PatchTargetNotFound {
                    patch: "p".into(),
                    target: "t".into(),
                    reason: "x".into(),
                },
                1642,
                "ERROR_PATCH_TARGET_NOT_FOUND",
            ),
            (
                Error::PatchUnsupported {
                    patch: "p".into(),
                    reason: "x".into(),
                },
                1637,
                "ERROR_PATCH_PACKAGE_UNSUPPORTED",
            ),
            (
                Error::PatchRemovalUnsupported { patch: "p".into() },
                1646,
                "ERROR_PATCH_REMOVAL_UNSUPPORTED",
            ),
            (
                Error::UnknownPatch {
                    patch: "p".into(),
                    product: "x".into(),
                },
                1647,
                "ERROR_UNKNOWN_PATCH",
            ),
        ];
        for (err, code, name) in cases {
            assert_eq!((err.code(), err.name()), (code, name), "{err:?}");
        }
    }
}
