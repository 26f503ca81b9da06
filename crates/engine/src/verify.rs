//! Verification of an installed product: its files and registry values compared with
//! what its installation put in place (`rmsi verify`).
//!
//! * Files: each file the product recorded must exist (else `missing`); its size, and its
//!   MD5 hash when the package's MsiFileHash table has one, must be the package's (else
//!   `changed`). The package is the copy cached at install time (its database holds the
//!   File and MsiFileHash tables).
//! * Registry: each value the product's Registry rows wrote must still be there (else
//!   `missing`) with the type and data written (else `changed`).

use std::path::Path;

use winreg::{Registry as WinReg, SqliteStore};

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::registry::Registry;
use crate::uninstall::UninstallTarget;
use package::Package;

/// What a difference is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DifferenceKind {
    /// A file.
    File,
    /// A registry value.
    Registry,
}

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Not there any more.
    Missing,
    /// There, with other contents.
    Changed,
}

/// One thing that is not as the product installed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// A file or a registry value.
    pub kind: DifferenceKind,
    /// The file's path, or the value's key path (64-bit view, as `reg query` names it) and
    /// name (`(Default)` for the default value).
    pub path: String,
    /// What is wrong.
    pub problem: Problem,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The product verified.
    pub product_code: String,
    /// What differs (empty when all matches).
    pub differences: Vec<Difference>,
}

/// Verifies the product `target` names in `root` (see the module documentation). A
/// product that is not installed is [`Error::UnknownProduct`].
pub fn verify(root: &Path, layout: Layout, target: &UninstallTarget) -> Result<VerifyReport> {
    let asked = match target {
        UninstallTarget::ProductCode(code) => code.trim().to_string(),
        UninstallTarget::Package(path) => Package::open(path)?
            .property("ProductCode")
            .unwrap_or_default(),
    };
    let unknown = || Error::UnknownProduct {
        product_code: asked.clone(),
    };
    let root = layout.files_root(&fs_err::canonicalize(root).map_err(|_| unknown())?);
    let registry = Registry::for_root(&root, layout)?;
    let product = registry
        .products()?
        .into_iter()
        .find(|p| !asked.is_empty() && p.product_code.eq_ignore_ascii_case(&asked))
        .ok_or_else(unknown)?;
    let mut differences = Vec::new();
    // The package's view of each file: size and hash, by component and long name.
    let package = product
        .cached_package
        .as_deref()
        .filter(|p| p.is_file())
        .unwrap_or(&product.package_path);
    let (files, hashes) = match Package::open(package) {
        Ok(p) => (
            p.files().unwrap_or_default(),
            p.file_hashes().unwrap_or_default(),
        ),
        Err(_) => (Vec::new(), Vec::new()),
    };
    for (component, path) in &product.files {
        let shown = path.display().to_string();
        let Ok(meta) = fs_err::symlink_metadata(path) else {
            differences.push(Difference {
                kind: DifferenceKind::File,
                path: shown,
                problem: Problem::Missing,
            });
            continue;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let row = files.iter().find(|f| {
            f.component == *component
                && (f.file_name.pick(false).eq_ignore_ascii_case(&name)
                    || f.file_name.pick(true).eq_ignore_ascii_case(&name))
        });
        let changed = row.is_some_and(|row| {
            !meta.is_file()
                || i64::try_from(meta.len()).ok() != Some(row.file_size)
                || hashes
                    .iter()
                    .find(|h| h.file == row.file)
                    .is_some_and(|h| crate::cost::md5::file_hash(path) != Some(h.hash))
        });
        if changed {
            differences.push(Difference {
                kind: DifferenceKind::File,
                path: shown,
                problem: Problem::Changed,
            });
        }
    }
    if let Some(conn) = registry.connection()
        && crate::winstate::has_tables(conn).map_err(|e| registry_error(&registry, e))?
    {
        let written = crate::winstate::product_values(conn, &product.product_code)
            .map_err(|e| registry_error(&registry, e))?;
        let reg = WinReg::new(SqliteStore::new(conn), crate::winstate::USER_SID);
        for w in written {
            let now = reg
                .get(w.view, w.root, &w.key, w.name.as_deref())
                .map_err(|e| crate::error::registry_failure("reading", e))?;
            let problem = match now {
                None => Problem::Missing,
                Some(v) if v != w.value => Problem::Changed,
                Some(_) => continue,
            };
            let key = reg
                .read_path(w.view, w.root, &w.key)
                .map(|p| p.join("\\"))
                .unwrap_or_else(|_| format!("{}\\{}", w.root.long_name(), w.key));
            differences.push(Difference {
                kind: DifferenceKind::Registry,
                path: format!("{key}\\{}", w.name.as_deref().unwrap_or("(Default)")),
                problem,
            });
        }
    }
    Ok(VerifyReport {
        product_code: product.product_code,
        differences,
    })
}

fn registry_error(registry: &Registry, source: rusqlite::Error) -> Error {
    Error::Registry {
        path: registry.db_path(),
        source,
    }
}
