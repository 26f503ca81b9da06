//! The database file: its schema and version, opening and migrating it, creating it with
//! owner-only permissions, and how paths and file lists are stored in it.

use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, params};

use super::Registry;
use crate::error::{Error, Result};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS products (
    product_code   TEXT PRIMARY KEY,
    upgrade_code   TEXT,
    version        TEXT NOT NULL,
    name           TEXT NOT NULL,
    manufacturer   TEXT,
    language       TEXT,
    package_path   BLOB NOT NULL,
    cached_package BLOB,
    installed_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS features (
    product_code TEXT NOT NULL REFERENCES products(product_code) ON DELETE CASCADE,
    feature      TEXT NOT NULL,
    PRIMARY KEY (product_code, feature)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS components (
    product_code TEXT NOT NULL REFERENCES products(product_code) ON DELETE CASCADE,
    component    TEXT NOT NULL,
    component_id TEXT,
    key_path     BLOB,
    PRIMARY KEY (product_code, component)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    product_code TEXT NOT NULL REFERENCES products(product_code) ON DELETE CASCADE,
    component    TEXT NOT NULL,
    paths        BLOB NOT NULL,
    PRIMARY KEY (product_code, component)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS folders (
    product_code TEXT NOT NULL REFERENCES products(product_code) ON DELETE CASCADE,
    path         BLOB NOT NULL,
    PRIMARY KEY (product_code, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_folders (
    path BLOB PRIMARY KEY
);
PRAGMA user_version = 2;
";

/// The transforms each product was installed with: created with [`SCHEMA`], and added to
/// a registry an earlier rmsi made (it adds nothing else, so the schema version stays).
const TRANSFORMS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS transforms (
    product_code TEXT NOT NULL REFERENCES products(product_code) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    cached       BLOB NOT NULL,
    PRIMARY KEY (product_code, position)
) WITHOUT ROWID;
";

/// The patches applied to each product ("Patching and Upgrades"): in the order they were
/// applied (the installer sequences them again at each run), with the state sequencing
/// gave each and the cached copy of the `.msp`. Added like [`TRANSFORMS_SCHEMA`].
const PATCHES_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS patches (
    product_code TEXT NOT NULL REFERENCES products(product_code) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    patch_code   TEXT NOT NULL,
    name         TEXT NOT NULL,
    state        TEXT NOT NULL,
    cached       BLOB NOT NULL,
    PRIMARY KEY (product_code, position)
) WITHOUT ROWID;
";

/// The schema version [`SCHEMA`] writes. Version 1 kept a row per file; version 2 keeps a
/// row per component, its files' paths in one blob (each path followed by a NUL byte, which
/// no path holds): a 5,000-file product took 5 ms to record as rows, a twentieth of its
/// install, and the registry only ever reads a product's files all together.
pub(super) const SCHEMA_VERSION: i64 = 2;

impl Registry {
    pub(super) fn ensure_db(&mut self) -> Result<()> {
        if self.conn.is_some() {
            return Ok(());
        }
        if let Some(pending) = self.pending.take() {
            let conn = pending
                .join()
                .map_err(|_| Error::failure("creating the product registry failed"))??;
            self.conn = Some(conn);
            return Ok(());
        }
        self.ensure_dir()?;
        self.conn = Some(create_db(&self.db_path(), &self.missing)?);
        Ok(())
    }

    /// Starts creating (or opening) the database on a thread of its own, the state folder
    /// made here first; the next [`Registry::ensure_db`] takes it. The registration starts
    /// it once the stage has recorded the state as it was, and writes the cached package
    /// meanwhile: the database's creation was 0.8 ms of a 15 ms install. The caller must
    /// [`settle`](Registry::settle) it before anything could undo the state.
    pub(crate) fn open_db_ahead(&mut self) -> Result<()> {
        if self.conn.is_some() || self.pending.is_some() {
            return Ok(());
        }
        self.ensure_dir()?;
        let (db, missing) = (self.db_path(), self.missing.clone());
        self.pending = std::thread::Builder::new()
            .name("rmsi-registry".into())
            .spawn(move || create_db(&db, &missing))
            .ok();
        Ok(())
    }

    /// Waits for a database [`Registry::open_db_ahead`] is creating, and keeps it (a
    /// failure is found again, and reported, by the next [`Registry::ensure_db`]).
    pub(crate) fn settle(&mut self) {
        if let Some(pending) = self.pending.take()
            && let Ok(Ok(conn)) = pending.join()
        {
            self.conn = Some(conn);
        }
    }

    /// Creates the state folder (owner-only) when it does not exist, and checks it.
    // std's errors on purpose: Error::Io names the path already (fs_err's would name it twice).
    #[allow(clippy::disallowed_methods)]
    pub(super) fn ensure_dir(&self) -> Result<()> {
        match fs_err::symlink_metadata(&self.dir) {
            Ok(_) => check_private(&self.dir, true),
            Err(_) => {
                if let Some(parent) = self.dir.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                }
                std::fs::DirBuilder::new()
                    .mode(0o700)
                    .create(&self.dir)
                    .map_err(|e| Error::io(&self.dir, e))?;
                check_private(&self.dir, true)
            }
        }
    }
}

/// Opens the database at `db`, creating it (owner-only) with its schema when missing;
/// `missing` are the state folders to record with a new one.
// std's errors on purpose: Error::Io names the path already (fs_err's would name it twice).
#[allow(clippy::disallowed_methods)]
fn create_db(db: &Path, missing: &[PathBuf]) -> Result<Connection> {
    let mut conn = open_db(db)?;
    std::fs::set_permissions(db, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(db, e))?;
    // One transaction for the schema and the state folders: each statement on its own
    // was a transaction of its own, with its rollback journal created and deleted.
    let setup = |conn: &mut Connection| -> rusqlite::Result<()> {
        let tx = conn.transaction()?;
        tx.execute_batch(SCHEMA)?;
        tx.execute_batch(TRANSFORMS_SCHEMA)?;
        tx.execute_batch(PATCHES_SCHEMA)?;
        for dir in missing {
            tx.execute(
                "INSERT OR IGNORE INTO state_folders (path) VALUES (?1)",
                params![path_blob(dir)],
            )?;
        }
        tx.commit()
    };
    setup(&mut conn).map_err(|source| Error::Registry {
        path: db.to_path_buf(),
        source,
    })?;
    Ok(conn)
}

pub(super) fn open_db(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NOFOLLOW
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|source| Error::Registry {
        path: path.to_path_buf(),
        source,
    })?;
    // synchronous = OFF: no fsync (four per transaction, a dozen per install, each
    // milliseconds on a busy disk). SQLite's rollback journal still makes every write
    // atomic against a killed process; power-loss durability is left to the later
    // transactional issue, as for the payload (issue 6).
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = OFF;",
    )
    .map_err(|source| Error::Registry {
        path: path.to_path_buf(),
        source,
    })?;
    match migrate(&conn) {
        Ok(Ok(())) => Ok(conn),
        Ok(Err(version)) => Err(Error::failure(format!(
            "the product registry {} has schema version {version}; this rmsi knows up to {SCHEMA_VERSION}",
            path.display()
        ))),
        Err(source) => Err(Error::Registry {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Refuses a state path that is a symbolic link, of the wrong kind, owned
/// by another user, or writable by group or others.
// std's errors on purpose: Error::Io names the path already (fs_err's would name it twice).
#[allow(clippy::disallowed_methods)]
pub(super) fn check_private(path: &Path, dir: bool) -> Result<()> {
    let unsafe_state = |reason: &str| Error::UnsafeState {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let meta = fs_err::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.file_type().is_symlink() {
        return Err(unsafe_state("is a symbolic link"));
    }
    if dir && !meta.is_dir() {
        return Err(unsafe_state("is not a folder"));
    }
    if !dir && !meta.is_file() {
        return Err(unsafe_state("is not a regular file"));
    }
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(unsafe_state("is owned by another user"));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(unsafe_state("is writable by group or others"));
    }
    Ok(())
}

pub(super) fn path_blob(p: &Path) -> &[u8] {
    p.as_os_str().as_bytes()
}

pub(super) fn blob_path(b: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(b))
}

/// A product's files as the `files` table keeps them: per component, each path followed by a
/// NUL byte. A path recorded twice keeps its first component.
pub(super) fn path_lists(files: &[(String, PathBuf)]) -> std::collections::BTreeMap<&str, Vec<u8>> {
    let mut seen = HashSet::new();
    let mut lists: std::collections::BTreeMap<&str, Vec<u8>> = Default::default();
    for (component, path) in files {
        if seen.insert(path.as_path()) {
            let list = lists.entry(component.as_str()).or_default();
            list.extend_from_slice(path_blob(path));
            list.push(0);
        }
    }
    lists
}

/// The (component, path) pairs of `files` rows, sorted by path.
pub(super) fn files_of(lists: Vec<(String, Vec<u8>)>) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = lists
        .iter()
        .flat_map(|(component, paths)| {
            paths
                .split(|&b| b == 0)
                .filter(|p| !p.is_empty())
                .map(move |p| (component.clone(), blob_path(p.to_vec())))
        })
        .collect();
    files.sort_by(|a, b| path_blob(&a.1).cmp(path_blob(&b.1)));
    files
}

/// Brings an older database to [`SCHEMA_VERSION`]; refuses a newer one.
fn migrate(conn: &Connection) -> rusqlite::Result<std::result::Result<(), i64>> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Ok(Err(version));
    }
    // A new, empty database: `Registry::ensure_db` creates every table in one transaction
    // (the two below, each a transaction of its own, were a third of its creation).
    let empty: bool = conn.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'products')",
        [],
        |r| r.get(0),
    )?;
    if version == 0 && empty {
        return Ok(Ok(()));
    }
    conn.execute_batch(TRANSFORMS_SCHEMA)?;
    conn.execute_batch(PATCHES_SCHEMA)?;
    if version == 1 {
        // Version 1: a row per file. Regrouped per component, in one transaction.
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(
            "ALTER TABLE files RENAME TO files_v1;
             CREATE TABLE files (
                 product_code TEXT NOT NULL REFERENCES products(product_code) ON DELETE CASCADE,
                 component    TEXT NOT NULL,
                 paths        BLOB NOT NULL,
                 PRIMARY KEY (product_code, component)
             ) WITHOUT ROWID;",
        )?;
        let rows: Vec<(String, String, Vec<u8>)> = tx
            .prepare("SELECT product_code, component, path FROM files_v1 ORDER BY path")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut by_product: std::collections::BTreeMap<String, Vec<(String, PathBuf)>> =
            Default::default();
        for (code, component, path) in rows {
            by_product
                .entry(code)
                .or_default()
                .push((component, blob_path(path)));
        }
        {
            let mut insert = tx.prepare(
                "INSERT INTO files (product_code, component, paths) VALUES (?1, ?2, ?3)",
            )?;
            for (code, files) in &by_product {
                for (component, paths) in path_lists(files) {
                    insert.execute(params![code, component, paths])?;
                }
            }
        }
        tx.execute_batch(&format!(
            "DROP TABLE files_v1; PRAGMA user_version = {SCHEMA_VERSION};"
        ))?;
        tx.commit()?;
    }
    Ok(Ok(()))
}
