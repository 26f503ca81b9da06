//! The product registry of a root: which products are installed there, and
//! what each one put in place, so `Installed` and FindRelatedProducts work
//! and an uninstall knows what to remove.
//!
//! One SQLite database, `products.db`, in the engine's state folder
//! ([`Layout::state_dir`](crate::Layout::state_dir)). It is created lazily —
//! only [`Registry::record`] creates it, and only after an installation
//! succeeded — so a failed install leaves no state file behind. Each write
//! is one transaction.
//!
//! The same database holds the root's Windows registry (the `winreg` crate's `winreg_`
//! tables, written by `crate::winstate` in the transaction that records or forgets a
//! product) and the values each product's Registry rows wrote (`product_values`, for
//! `rmsi verify`); the last product's removal deletes the database only when no registry
//! value is left in it.
//!
//! The state folder is refused when it is a symbolic link, is owned by
//! another user, or is writable by group or others; it is created owner-only
//! (0700), the database 0600, and the database is opened without following
//! symbolic links.
//!
//! Uninstall needs two more things from it. Each product's package is cached
//! in `packages/` of the state folder ([`Registry::cache_package`]), so a
//! product code alone finds the package to run, as Windows caches packages
//! under `%WINDIR%\Installer`. And the root must end as it was before the
//! first install: the folders leading to the state folder that did not exist
//! when the registry was first opened are remembered (`state_folders`), and
//! when the last product goes, [`Registry::remove_if_empty`] deletes the
//! database, the cache folder and those folders (each only if empty).
//!
//! Its modules: `schema` (the database's tables, opening, migrating and the private
//! permissions), `records` (the product, component and patch records), `read` (the
//! products installed and FindRelatedProducts' matching), `write` (recording and
//! forgetting products), `cache` (the cached packages, transforms and patches) and
//! `windows_registry` (the root's Windows registry: the database's tables or a Wine
//! prefix's files).

mod cache;
mod read;
mod records;
mod schema;
#[cfg(test)]
mod tests;
mod windows_registry;
mod write;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::{Error, Result};

pub use read::upgrade_matches;
pub use records::{ComponentRecord, PatchRecord, ProductRecord};
use schema::{check_private, open_db};
use windows_registry::LazyPrefix;
pub(crate) use windows_registry::preload_prefix;

/// The database file's name in the state folder.
pub const DATABASE_NAME: &str = "products.db";

/// The product registry of one root.
///
/// Invariant: `conn` is `None` until the database exists (reading a root
/// with no database sees no products and creates nothing).
#[derive(Debug)]
pub struct Registry {
    dir: PathBuf,
    conn: Option<Connection>,
    /// A Wine prefix's registry files, when the root is a prefix's `drive_c`: the Windows
    /// registry is kept there instead of in the database (see `crate::wine`).
    wine: Option<LazyPrefix>,
    /// The state folder and its ancestors below the root that did not exist when the
    /// registry was opened (outermost first): recorded when the database is created, so
    /// that removing the last product removes them again.
    missing: Vec<PathBuf>,
    /// The database being created on a thread of its own ([`Registry::open_db_ahead`]),
    /// taken by the next [`Registry::ensure_db`].
    pending: Option<std::thread::JoinHandle<Result<Connection>>>,
}

impl Drop for Registry {
    /// A database still being created is waited for: nothing may write the state after
    /// the registry is gone (a rollback that follows would miss it).
    fn drop(&mut self) {
        self.settle();
    }
}

/// The cache folder's name in the state folder.
const CACHE_DIR: &str = "packages";

/// What a transaction on a root must know of the registry's state: the state folders of
/// both layouts (where a dead install's journal may be), the database with the files
/// SQLite keeps beside it while writing, and the package cache.
pub(crate) fn state_files() -> transaction::StateFiles {
    let mut dirs: Vec<PathBuf> = [crate::layout::Layout::Fhs, crate::layout::Layout::Windows]
        .map(|layout| layout.state_dir(Path::new("")))
        .into();
    // A Wine prefix is locked as a whole; its state folder is in its drive_c.
    dirs.push(Path::new(crate::wine::DRIVE).join(crate::wine::STATE_DIR));
    transaction::StateFiles {
        companions: ["-journal", "-wal", "-shm"]
            .iter()
            .map(|side| format!("{DATABASE_NAME}{side}"))
            .collect(),
        ..transaction::StateFiles::new(dirs, DATABASE_NAME, CACHE_DIR)
    }
}

impl Registry {
    /// Opens the registry in `state_dir` (the folder need not exist). An
    /// existing folder or database that is unsafe is refused.
    pub fn open(state_dir: &Path) -> Result<Registry> {
        let mut registry = Registry {
            dir: state_dir.to_path_buf(),
            conn: None,
            wine: None,
            missing: Vec::new(),
            pending: None,
        };
        if fs_err::symlink_metadata(state_dir).is_ok() {
            check_private(state_dir, true)?;
            let db = registry.db_path();
            if fs_err::symlink_metadata(&db).is_ok() {
                check_private(&db, false)?;
                registry.conn = Some(open_db(&db)?);
            }
        }
        Ok(registry)
    }

    /// Opens the registry of `root` in `layout`: the database in
    /// [`Layout::state_dir`](crate::Layout::state_dir).
    pub fn for_root(root: &Path, layout: crate::layout::Layout) -> Result<Registry> {
        let dir = layout.state_dir(root);
        let mut registry = Registry::open(&dir)?;
        if layout == crate::layout::Layout::Wine {
            registry.wine = Some(LazyPrefix::new(root.parent().unwrap_or(root)));
        }
        let mut cur = Some(dir.as_path());
        while let Some(p) = cur {
            if p == root || !p.starts_with(root) || fs_err::symlink_metadata(p).is_ok() {
                break;
            }
            registry.missing.push(p.to_path_buf());
            cur = p.parent();
        }
        registry.missing.reverse();
        Ok(registry)
    }

    /// The database file's path.
    pub fn db_path(&self) -> PathBuf {
        self.dir.join(DATABASE_NAME)
    }

    /// Whether the database exists.
    pub fn exists(&self) -> bool {
        self.conn.is_some()
    }

    fn sql_err(&self, source: rusqlite::Error) -> Error {
        Error::Registry {
            path: self.db_path(),
            source,
        }
    }

    /// The database connection, when the database exists (for the CLI's registry reads).
    pub fn connection(&self) -> Option<&Connection> {
        self.conn.as_ref()
    }
}

/// The layout a root was installed with: the one whose state folder holds a product
/// database (`None` for a root nothing was installed into). A root remembers its layout,
/// so that later commands need not repeat it.
pub fn remembered_layout(root: &Path) -> Option<crate::layout::Layout> {
    [crate::layout::Layout::Fhs, crate::layout::Layout::Windows]
        .into_iter()
        .find(|l| {
            fs_err::symlink_metadata(l.state_dir(root).join(DATABASE_NAME))
                .is_ok_and(|m| m.is_file())
        })
}
