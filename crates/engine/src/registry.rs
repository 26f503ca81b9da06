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

use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use msi_expr::InstallState;

use crate::cost::{CostPlan, FileAction, InstalledState};
use crate::error::{Error, Result};
use crate::properties::Properties;
use crate::tables::component;
use crate::tables::upgrade::{self, UpgradeRow};
use package::Package;
use package::Version;

/// The database file's name in the state folder.
pub const DATABASE_NAME: &str = "products.db";

const SCHEMA: &str = "
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

/// A patch applied to an installed product, as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchRecord {
    /// The patch code, `{GUID}`.
    pub patch_code: String,
    /// Its display name (MsiPatchMetadata's DisplayName, else its title).
    pub name: String,
    /// `applied`, `superseded`, `obsoleted` or `inapplicable`.
    pub state: String,
    /// The cached copy of the `.msp`.
    pub cached: PathBuf,
}

/// The schema version [`SCHEMA`] writes. Version 1 kept a row per file; version 2 keeps a
/// row per component, its files' paths in one blob (each path followed by a NUL byte, which
/// no path holds): a 5,000-file product took 5 ms to record as rows, a twentieth of its
/// install, and the registry only ever reads a product's files all together.
const SCHEMA_VERSION: i64 = 2;

/// A component as registered (ProcessComponents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentRecord {
    /// The Component key.
    pub component: String,
    /// The ComponentId GUID.
    pub component_id: Option<String>,
    /// The resolved key path (a file or folder), if any.
    pub key_path: Option<PathBuf>,
}

/// An installed product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    /// `ProductCode`.
    pub product_code: String,
    /// `UpgradeCode`.
    pub upgrade_code: Option<String>,
    /// `ProductVersion`.
    pub version: String,
    /// `ProductName`.
    pub name: String,
    /// `Manufacturer`.
    pub manufacturer: Option<String>,
    /// `ProductLanguage`.
    pub language: Option<String>,
    /// The package it was installed from.
    pub package_path: PathBuf,
    /// A cached copy of the package, if one was kept.
    pub cached_package: Option<PathBuf>,
    /// Features installed locally.
    pub features: Vec<String>,
    /// Components installed.
    pub components: Vec<ComponentRecord>,
    /// Files put in place: (component, path).
    pub files: Vec<(String, PathBuf)>,
    /// Folders the installer created for the product's files (and those of other
    /// products it shares, created by the installer for another product), removed when a
    /// removal leaves them empty ("CreateFolder table"); CreateFolder rows' own folders
    /// are left to RemoveFolders.
    pub folders: Vec<PathBuf>,
}

impl ProductRecord {
    /// The record of a successful installation of `package` as `plan`
    /// planned it, with `props` as they ended: the features and components
    /// left installed and the files of those components it put in place. A file costing kept as it was (an existing newer
    /// version, say) is the product's only when `owned` says so (an earlier run
    /// installed it): otherwise it stays the user's, and an uninstall leaves it.
    /// `package_path` is where the package came from.
    pub fn from_plan(
        props: &Properties,
        plan: &CostPlan,
        package_path: &Path,
        owned: &dyn Fn(&Path) -> bool,
    ) -> ProductRecord {
        let installed = |installed: InstallState, action: InstallState| match action {
            InstallState::Local | InstallState::Source => true,
            InstallState::Unknown => installed == InstallState::Local,
            _ => false,
        };
        let targets: std::collections::HashMap<&str, &Path> = plan
            .files
            .iter()
            .map(|f| (f.file.as_str(), f.target.as_path()))
            .collect();
        let components: Vec<ComponentRecord> = plan
            .components
            .iter()
            .filter(|c| installed(c.installed, c.action))
            .map(|c| ComponentRecord {
                component: c.component.clone(),
                component_id: c.component_id.clone(),
                key_path: match &c.key_path {
                    Some(key)
                        if c.attributes
                            & (component::ATTR_REGISTRY_KEY_PATH
                                | component::ATTR_ODBC_DATA_SOURCE)
                            == 0 =>
                    {
                        targets.get(key.as_str()).map(|p| p.to_path_buf())
                    }
                    Some(_) => None,
                    None => Some(c.target_dir.clone()),
                },
            })
            .collect();
        let kept: HashSet<&str> = components.iter().map(|c| c.component.as_str()).collect();
        let get = |name: &str| props.get_str(name).map(str::to_string);
        ProductRecord {
            product_code: get("ProductCode").unwrap_or_default(),
            upgrade_code: get("UpgradeCode"),
            version: get("ProductVersion").unwrap_or_default(),
            name: get("ProductName").unwrap_or_default(),
            manufacturer: get("Manufacturer"),
            language: get("ProductLanguage"),
            package_path: package_path.to_path_buf(),
            cached_package: None,
            features: plan
                .features
                .iter()
                .filter(|f| installed(f.installed, f.action))
                .map(|f| f.feature.clone())
                .collect(),
            files: plan
                .files
                .iter()
                .filter(|f| match f.action {
                    FileAction::Install { .. } => true,
                    FileAction::Skip(_) => owned(&f.target),
                    FileAction::Remove => false,
                })
                .filter(|f| kept.contains(f.component.as_str()))
                .map(|f| (f.component.clone(), f.target.clone()))
                .collect(),
            components,
            // The folders the script creates are added by the session
            // (`Context::record_product`); CreateFolder rows' folders are not among them:
            // only RemoveFolders removes those ("CreateFolder table").
            folders: Vec::new(),
        }
    }

    /// Keeps what `earlier` (the product's record before this run) says of the components
    /// this run left as they were (costing plans no file of a component whose action is
    /// none): their files and key paths. Without it a second install of a product emptied
    /// its record, and its uninstall then removed nothing.
    pub fn carry_over(&mut self, earlier: &ProductRecord, plan: &CostPlan) {
        let unchanged: HashSet<&str> = plan
            .components
            .iter()
            .filter(|c| c.action == InstallState::Unknown)
            .map(|c| c.component.as_str())
            .collect();
        let have: HashSet<PathBuf> = self.files.iter().map(|(_, p)| p.clone()).collect();
        let kept: HashSet<String> = self
            .components
            .iter()
            .map(|c| c.component.clone())
            .collect();
        for (component, path) in &earlier.files {
            if unchanged.contains(component.as_str())
                && kept.contains(component)
                && !have.contains(path)
            {
                self.files.push((component.clone(), path.clone()));
            }
        }
        for c in &mut self.components {
            if c.key_path.is_none()
                && unchanged.contains(c.component.as_str())
                && let Some(old) = earlier
                    .components
                    .iter()
                    .find(|o| o.component == c.component)
            {
                c.key_path = old.key_path.clone();
            }
        }
    }

    /// The installed state for costing a maintenance or removal run.
    pub fn installed_state(&self) -> InstalledState {
        InstalledState {
            features: self.features.iter().cloned().collect::<HashSet<_>>(),
            // A component without a ComponentId is not registered ("Component table"): the
            // installer does not know it is installed, so it never removes or repairs it.
            components: self
                .components
                .iter()
                .filter(|c| c.component_id.is_some())
                .map(|c| c.component.clone())
                .collect(),
            files: self.files.clone(),
        }
    }
}

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
}

/// A Wine prefix's registry files, read when first needed (a run that finds nothing to do
/// in the prefix, or only tidies the state folder, never parses them), and read again when
/// another session of the same run (a removal RemoveExistingProducts runs) replaced them
/// while this one had nothing pending: its changes then apply to what that one wrote.
#[derive(Debug)]
struct LazyPrefix {
    dir: PathBuf,
    /// The prefix as read, with the identity of the files it was read from.
    loaded: std::cell::RefCell<Option<(winreg::WinePrefix, FileIds)>>,
}

/// The (device, inode) of each registry file of a prefix.
type FileIds = Vec<(u64, u64)>;

impl LazyPrefix {
    fn new(dir: &Path) -> LazyPrefix {
        LazyPrefix {
            dir: dir.to_path_buf(),
            loaded: std::cell::RefCell::new(None),
        }
    }

    /// The identity of the registry files now: a file replaced by a rename has a new inode.
    fn identity(&self) -> FileIds {
        ["system.reg", "user.reg", "userdef.reg"]
            .iter()
            .map(|f| {
                fs_err::symlink_metadata(self.dir.join(f))
                    .map(|m| (m.dev(), m.ino()))
                    .unwrap_or((0, 0))
            })
            .collect()
    }

    fn get(&self) -> Result<std::cell::RefMut<'_, winreg::WinePrefix>> {
        let mut loaded = self.loaded.borrow_mut();
        let stale = match loaded.as_ref() {
            None => true,
            Some((prefix, identity)) => !prefix.is_changed() && *identity != self.identity(),
        };
        if stale {
            let identity = self.identity();
            let prefix = winreg::WinePrefix::open(&self.dir)
                .map_err(|e| crate::winstate::error("opening the Wine prefix's registry", e))?;
            *loaded = Some((prefix, identity));
        }
        std::cell::RefMut::filter_map(loaded, |l| l.as_mut().map(|(p, _)| p))
            .map_err(|_| Error::failure("the Wine prefix's registry could not be read"))
    }

    /// The changed files' texts (see [`winreg::WinePrefix::commit_files`]); the identity
    /// is taken again once the caller wrote them.
    fn commit_files(&self) -> Vec<(PathBuf, String)> {
        match self.loaded.borrow_mut().as_mut() {
            // Never read: nothing changed.
            None => Vec::new(),
            Some((prefix, _)) => prefix.commit_files(),
        }
    }

    /// After the caller wrote the files [`LazyPrefix::commit_files`] gave: they are what
    /// is in memory.
    fn written(&self) {
        let identity = self.identity();
        if let Some((_, id)) = self.loaded.borrow_mut().as_mut() {
            *id = identity;
        }
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

    /// Keeps a private copy of a package for `product_code` in the state folder's
    /// `packages/` (0700; the copy 0600), replacing an earlier one: `write` writes it
    /// (see [`Package::write_without_cabinets`](crate::Package::write_without_cabinets)).
    /// Written to a fresh name and renamed, never through a symbolic link. Returns the
    /// copy's path.
    // std's errors on purpose: Error::Io names the path already (fs_err's would name it twice).
    #[allow(clippy::disallowed_methods)]
    pub fn cache_package(
        &mut self,
        product_code: &str,
        write: impl FnOnce(&mut std::fs::File) -> Result<()>,
    ) -> Result<PathBuf> {
        self.cache_file(&cache_name(product_code), write)
    }

    /// Checks the package copy `cached` (just written by [`Registry::cache_package`]) against
    /// the package file it was made from, read again: it must open as a package, and hold
    /// the same tables and the same streams (embedded cabinets left out, as the copy leaves
    /// them), each of the same size and MD5. A copy that does not — a write lost or cut
    /// short, a source that changed meanwhile — fails the install: a product whose cached
    /// package cannot be opened could never be removed by its product code.
    pub fn verify_cached_package(cached: &Path, source: &Path) -> Result<()> {
        Self::verify_cached_package_against(cached, source, None)
    }

    /// [`Registry::verify_cached_package`], comparing with `opened` — the package as the
    /// session opened it from `source` — when no transform or patch changed it in memory:
    /// opening a large package again costs as much as its first opening (27 ms for 193 MB).
    pub fn verify_cached_package_against(
        cached: &Path,
        source: &Path,
        opened: Option<&Package>,
    ) -> Result<()> {
        let differs = |what: String| {
            Error::io(
                cached,
                std::io::Error::other(format!(
                    "the cached copy of the package differs from {}: {what}",
                    source.display()
                )),
            )
        };
        let copy = Package::open(cached).map_err(|e| differs(e.to_string()))?;
        let reopened;
        let original = match opened {
            Some(p) if p.applied_transforms().is_empty() && p.path() == source => p,
            _ => {
                reopened = Package::open(source)?;
                &reopened
            }
        };
        let tables: Vec<&package::Table> = original.tables().collect();
        if copy.tables().count() != tables.len()
            || tables.iter().any(|t| copy.table(&t.name) != Some(*t))
        {
            return Err(differs("its tables".into()));
        }
        let cabinets: std::collections::HashSet<String> = original
            .media()?
            .iter()
            .filter_map(|m| m.embedded_stream().map(str::to_string))
            .collect();
        let digest = |p: &Package, name: &str| -> Result<(u64, [u8; 16])> {
            let mut reader = p.read_stream(name)?;
            let len = reader.len();
            let hash =
                crate::cost::md5::digest_reader(&mut reader).map_err(|e| Error::io(p.path(), e))?;
            Ok((len, hash))
        };
        for name in original.stream_names() {
            if cabinets.contains(name) {
                continue;
            }
            let theirs = digest(original, name)?;
            let ours = if copy.has_stream(name) {
                digest(&copy, name).map_err(|e| differs(e.to_string()))?
            } else {
                return Err(differs(format!("stream {name:?} is missing")));
            };
            if ours != theirs {
                return Err(differs(format!("stream {name:?}")));
            }
        }
        Ok(())
    }

    /// Writes `name` in the cache folder as [`Registry::cache_package`] describes.
    fn cache_file(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut std::fs::File) -> Result<()>,
    ) -> Result<PathBuf> {
        self.ensure_db()?;
        let cache = self.dir.join(CACHE_DIR);
        match fs_err::symlink_metadata(&cache) {
            Ok(_) => check_private(&cache, true)?,
            Err(_) => {
                std::fs::DirBuilder::new()
                    .mode(0o700)
                    .create(&cache)
                    .map_err(|e| Error::io(&cache, e))?;
                check_private(&cache, true)?;
            }
        }
        let target = cache.join(name);
        let temp = cache.join(format!(".{name}.tmp"));
        let _ = fs_err::remove_file(&temp);
        let copy = || -> Result<()> {
            use std::os::unix::fs::OpenOptionsExt;
            let mut dst = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&temp)
                .map_err(|e| Error::io(&temp, e))?;
            write(&mut dst)?;
            fs_err::rename(&temp, &target).map_err(|e| Error::io(&target, e))
        };
        if let Err(e) = copy() {
            let _ = fs_err::remove_file(&temp);
            return Err(e);
        }
        Ok(target)
    }

    /// Keeps the transforms `product_code` was installed with (name as `TRANSFORMS` gave
    /// it, and the transform's bytes), in order, beside its cached package, replacing
    /// those kept before: they are applied again for maintenance and removal ("Patching
    /// and Upgrades", "Transforms"). Call after [`Registry::record`].
    pub fn cache_transforms(
        &mut self,
        product_code: &str,
        transforms: &[(String, Vec<u8>)],
    ) -> Result<()> {
        let old = self.transforms(product_code)?;
        let base = cache_name(product_code);
        let stem = base.strip_suffix(".msi").unwrap_or(&base).to_string();
        let mut kept = Vec::new();
        for (i, (name, bytes)) in transforms.iter().enumerate() {
            let path = self.cache_file(&format!("{stem}.{}.mst", i + 1), |out| {
                std::io::Write::write_all(out, bytes).map_err(|e| Error::io(name, e))
            })?;
            kept.push((name.clone(), path));
        }
        let path = self.db_path();
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        let err = |source| Error::Registry {
            path: path.clone(),
            source,
        };
        let tx = conn.transaction().map_err(err)?;
        tx.execute(
            "DELETE FROM transforms WHERE product_code = ?1",
            params![product_code],
        )
        .map_err(err)?;
        for (i, (name, cached)) in kept.iter().enumerate() {
            tx.execute(
                "INSERT INTO transforms (product_code, position, name, cached) VALUES (?1, ?2, ?3, ?4)",
                params![product_code, i as i64, name, path_blob(cached)],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        for (_, stale) in old {
            if !kept.iter().any(|(_, p)| *p == stale) {
                self.remove_cached(&stale);
            }
        }
        // Copies past the new list whose rows went with an earlier record of the product.
        let cache = self.dir.join(CACHE_DIR);
        let mut n = kept.len() + 1;
        while let Some(stale) = Some(cache.join(format!("{stem}.{n}.mst")))
            .filter(|p| fs_err::symlink_metadata(p).is_ok())
        {
            self.remove_cached(&stale);
            n += 1;
        }
        Ok(())
    }

    /// The transforms kept for `product_code`, in the order they apply: the name
    /// `TRANSFORMS` gave, and the cached copy.
    pub fn transforms(&self, product_code: &str) -> Result<Vec<(String, PathBuf)>> {
        let Some(conn) = &self.conn else {
            return Ok(Vec::new());
        };
        (|| {
            let mut stmt = conn.prepare(
                "SELECT name, cached FROM transforms WHERE product_code = ?1 ORDER BY position",
            )?;
            let rows = stmt.query_map(params![product_code], |r| {
                Ok((r.get::<_, String>(0)?, blob_path(r.get(1)?)))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })()
        .map_err(|e| self.sql_err(e))
    }

    /// Keeps the patches applied to `product_code` (code, display name, state, and the
    /// `.msp`'s bytes), in order, replacing those kept before; each `.msp` is cached beside
    /// the product's package. Call after [`Registry::record`] (which forgets them).
    pub fn cache_patches(
        &mut self,
        product_code: &str,
        patches: &[(String, String, String, &[u8])],
    ) -> Result<()> {
        let old = self.patches(product_code)?;
        let base = cache_name(product_code);
        let stem = base.strip_suffix(".msi").unwrap_or(&base).to_string();
        let mut kept = Vec::new();
        for (code, name, state, bytes) in patches {
            let file = format!("{stem}.{}.msp", cache_name(code).trim_end_matches(".msi"));
            let path = self.cache_file(&file, |out| {
                std::io::Write::write_all(out, bytes).map_err(|e| Error::io(name, e))
            })?;
            kept.push(PatchRecord {
                patch_code: code.clone(),
                name: name.clone(),
                state: state.clone(),
                cached: path,
            });
        }
        let path = self.db_path();
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        let err = |source| Error::Registry {
            path: path.clone(),
            source,
        };
        let tx = conn.transaction().map_err(err)?;
        tx.execute(
            "DELETE FROM patches WHERE product_code = ?1",
            params![product_code],
        )
        .map_err(err)?;
        for (i, p) in kept.iter().enumerate() {
            tx.execute(
                "INSERT INTO patches (product_code, position, patch_code, name, state, cached) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![product_code, i as i64, p.patch_code, p.name, p.state, path_blob(&p.cached)],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        for stale in old {
            if !kept.iter().any(|p| p.cached == stale.cached) {
                self.remove_cached(&stale.cached);
            }
        }
        // Copies whose rows went with an earlier record of the product (Registry::record
        // replaces the product, and its patch rows with it).
        let cache = self.dir.join(CACHE_DIR);
        let prefix = format!("{stem}.");
        if let Ok(entries) = fs_err::read_dir(&cache) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if name.starts_with(&prefix)
                    && name.ends_with(".msp")
                    && !kept.iter().any(|p| p.cached == path)
                {
                    self.remove_cached(&path);
                }
            }
        }
        Ok(())
    }

    /// The patches kept for `product_code`, in the order they were applied.
    pub fn patches(&self, product_code: &str) -> Result<Vec<PatchRecord>> {
        let Some(conn) = &self.conn else {
            return Ok(Vec::new());
        };
        (|| {
            let mut stmt = conn.prepare(
                "SELECT patch_code, name, state, cached FROM patches WHERE product_code = ?1 ORDER BY position",
            )?;
            let rows = stmt.query_map(params![product_code], |r| {
                Ok(PatchRecord {
                    patch_code: r.get(0)?,
                    name: r.get(1)?,
                    state: r.get(2)?,
                    cached: blob_path(r.get(3)?),
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })()
        .map_err(|e| self.sql_err(e))
    }

    /// Deletes a file of this registry's cache folder (a path elsewhere is never deleted).
    fn remove_cached(&self, path: &Path) {
        if path.parent() == Some(self.dir.join(CACHE_DIR).as_path())
            && fs_err::symlink_metadata(path).is_ok_and(|m| m.is_file())
        {
            let _ = fs_err::remove_file(path);
        }
    }

    /// Forgets a product and deletes its cached package and transforms (copies in this
    /// registry's cache folder only: a path elsewhere is never deleted).
    pub fn unregister(&mut self, product_code: &str) -> Result<()> {
        self.unregister_with(product_code, &[])
    }

    /// [`Registry::unregister`] with registry changes applied in the same transaction.
    pub(crate) fn unregister_with(
        &mut self,
        product_code: &str,
        changes: &[crate::winstate::RegChange],
    ) -> Result<()> {
        let cached = self.product(product_code)?.and_then(|p| p.cached_package);
        let transforms = self.transforms(product_code)?;
        let patches = self.patches(product_code)?;
        self.remove_with(product_code, changes)?;
        for patch in patches {
            self.remove_cached(&patch.cached);
        }
        if let Some(path) = cached {
            self.remove_cached(&path);
        }
        for (_, path) in transforms {
            self.remove_cached(&path);
        }
        Ok(())
    }

    /// When no product is left: deletes the database, the package cache folder and the
    /// folders the first install made for the state folder (each only if empty), leaving
    /// the root as it was before. Returns whether the database was deleted.
    // std's error on purpose: Error::Io names the path already (fs_err's would name it twice).
    #[allow(clippy::disallowed_methods)]
    pub fn remove_if_empty(&mut self) -> Result<bool> {
        if self.conn.is_none() || !self.products()?.is_empty() {
            return Ok(false);
        }
        // Registry values no product owns any more (a `+` key, a permanent component's
        // value, a package without RegisterProduct) keep the database.
        if let Some(conn) = &self.conn
            && !crate::winstate::is_empty(conn).map_err(|e| self.sql_err(e))?
        {
            return Ok(false);
        }
        let made: Vec<PathBuf> = match &self.conn {
            Some(conn) => (|| {
                let mut stmt = conn.prepare("SELECT path FROM state_folders")?;
                let rows = stmt.query_map([], |r| Ok(blob_path(r.get(0)?)))?;
                rows.collect::<rusqlite::Result<Vec<PathBuf>>>()
            })()
            .map_err(|e| self.sql_err(e))?,
            None => Vec::new(),
        };
        if let Some(conn) = self.conn.take() {
            let _ = conn.close();
        }
        let db = self.db_path();
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            match fs_err::remove_file(&name) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(PathBuf::from(name), e)),
            }
        }
        let _ = fs_err::remove_dir(self.dir.join(CACHE_DIR));
        let mut made = made;
        // Deepest first; each only if empty (something else may live there now).
        made.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        for dir in made
            .iter()
            .filter(|d| d.starts_with(&self.dir) || self.dir.starts_with(d))
        {
            let _ = fs_err::remove_dir(dir);
        }
        Ok(true)
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

    /// The product installed with `product_code`, if any.
    ///
    /// In a Wine prefix, the prefix's registry has the last word: a product that Wine's
    /// own `msiexec /x` removed (its `Installer\UserData` registration gone) is not
    /// installed any more, whatever the database still records.
    pub fn product(&self, product_code: &str) -> Result<Option<ProductRecord>> {
        let Some(conn) = &self.conn else {
            return Ok(None);
        };
        let record = read_product(conn, product_code).map_err(|e| self.sql_err(e))?;
        if record.is_some() && self.wine.is_some() && !self.registered_in_prefix(product_code)? {
            return Ok(None);
        }
        Ok(record)
    }

    /// Whether the prefix's registry holds `product_code`'s registration (per-machine or
    /// per-user).
    fn registered_in_prefix(&self, product_code: &str) -> Result<bool> {
        let Ok(packed) = winreg::pack_guid(product_code) else {
            return Ok(true);
        };
        let user = self.user_sid();
        let found = self.read_winreg(|reg| {
            for sid in [crate::winstate::MACHINE_SID, user.as_str()] {
                let key = format!(
                    r"Software\Microsoft\Windows\CurrentVersion\Installer\UserData\{sid}\Products\{packed}"
                );
                if reg.key_exists(winreg::View::Native64, winreg::Root::LocalMachine, &key)? {
                    return Ok(true);
                }
            }
            Ok(false)
        })?;
        Ok(found.unwrap_or(true))
    }

    /// Whether `product_code` is installed (the `Installed` property).
    pub fn is_installed(&self, product_code: &str) -> Result<bool> {
        Ok(self.product(product_code)?.is_some())
    }

    /// Every installed product, by product code.
    pub fn products(&self) -> Result<Vec<ProductRecord>> {
        let Some(conn) = &self.conn else {
            return Ok(Vec::new());
        };
        let codes: Vec<String> = (|| {
            let mut stmt =
                conn.prepare("SELECT product_code FROM products ORDER BY product_code")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
        })()
        .map_err(|e| self.sql_err(e))?;
        let mut out = Vec::new();
        for code in codes {
            if let Some(p) = self.product(&code)? {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Products of the family `upgrade_code` (FindRelatedProducts).
    pub fn related(&self, upgrade_code: &str) -> Result<Vec<ProductRecord>> {
        Ok(self
            .products()?
            .into_iter()
            .filter(|p| {
                p.upgrade_code
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(upgrade_code))
            })
            .collect())
    }

    /// Records (or replaces) a product after a successful installation, in
    /// one transaction; creates the state folder (0700) and the database
    /// (0600) if needed.
    pub fn record(&mut self, product: &ProductRecord) -> Result<()> {
        self.record_with(product, &[])
    }

    /// [`Registry::record`] with registry changes applied in the same transaction.
    pub(crate) fn record_with(
        &mut self,
        product: &ProductRecord,
        changes: &[crate::winstate::RegChange],
    ) -> Result<()> {
        self.ensure_db()?;
        let path = self.db_path();
        let err = |source| Error::Registry {
            path: path.clone(),
            source,
        };
        let Some(conn) = self.conn.as_mut() else {
            return Err(Error::failure("product registry not open"));
        };
        let tx = conn.transaction().map_err(err)?;
        write_product(&tx, product).map_err(err)?;
        if !changes.is_empty() {
            let mut wine = self.wine.as_ref().map(LazyPrefix::get).transpose()?;
            crate::winstate::apply(
                &tx,
                Some(&product.product_code),
                false,
                changes,
                wine.as_deref_mut(),
            )
            .map_err(|e| crate::winstate::error("writing the product's keys", e))?;
        }
        tx.commit().map_err(err)
    }

    /// Applies registry changes of an installation that records no product (a package
    /// without RegisterProduct), in one transaction; creates the database if needed.
    pub(crate) fn apply_changes(&mut self, changes: &[crate::winstate::RegChange]) -> Result<()> {
        self.ensure_db()?;
        let path = self.db_path();
        let err = |source| Error::Registry {
            path: path.clone(),
            source,
        };
        let Some(conn) = self.conn.as_mut() else {
            return Err(Error::failure("product registry not open"));
        };
        let tx = conn.transaction().map_err(err)?;
        let mut wine = self.wine.as_ref().map(LazyPrefix::get).transpose()?;
        crate::winstate::apply(&tx, None, false, changes, wine.as_deref_mut())
            .map_err(|e| crate::winstate::error("writing registry values", e))?;
        tx.commit().map_err(err)
    }

    /// Runs `read` on the root's registry; `None` when the root has no registry yet.
    pub fn read_winreg<T>(
        &self,
        read: impl FnOnce(&winreg::Registry<Box<dyn winreg::Store + '_>>) -> winreg::Result<T>,
    ) -> Result<Option<T>> {
        if let Some(wine) = &self.wine {
            let mut prefix = wine.get()?;
            let sid = prefix.user_sid().to_string();
            let store: Box<dyn winreg::Store + '_> = Box::new(&mut *prefix);
            let reg = winreg::Registry::new(store, sid);
            return read(&reg)
                .map(Some)
                .map_err(|e| crate::winstate::error("reading", e));
        }
        let Some(conn) = &self.conn else {
            return Ok(None);
        };
        if !crate::winstate::has_tables(conn).map_err(|e| self.sql_err(e))? {
            return Ok(None);
        }
        let store: Box<dyn winreg::Store + '_> = Box::new(winreg::SqliteStore::new(conn));
        let reg = winreg::Registry::new(store, crate::winstate::USER_SID);
        read(&reg)
            .map(Some)
            .map_err(|e| crate::winstate::error("reading", e))
    }

    /// Whether the database holds the Windows registry's tables (a root whose products never
    /// wrote a value has none; checking creates nothing).
    pub fn has_winreg(&self) -> bool {
        self.wine.is_some()
            || self
                .conn
                .as_ref()
                .is_some_and(|c| crate::winstate::has_tables(c).unwrap_or(false))
    }

    /// A Wine prefix's registry files changed since they were read, with their new text,
    /// for the caller to write through its transaction (the prefix then counts as saved).
    /// Empty for a root that is no prefix.
    pub fn wine_files(&mut self) -> Vec<(PathBuf, String)> {
        self.wine
            .as_ref()
            .map(LazyPrefix::commit_files)
            .unwrap_or_default()
    }

    /// A Wine prefix's own folders (see [`crate::wine::folders`]); `None` for a root that
    /// is no prefix.
    pub(crate) fn wine_folders(
        &self,
        account: &crate::layout::Account,
    ) -> Result<Option<crate::wine::WineFolders>> {
        match &self.wine {
            Some(wine) => crate::wine::folders(&mut *wine.get()?, account).map(Some),
            None => Ok(None),
        }
    }

    /// The SID of the user whose `HKEY_CURRENT_USER` and per-user `Installer\UserData`
    /// the registry holds: a Wine prefix's user (from its `user.reg`), else the engine's.
    pub(crate) fn user_sid(&self) -> String {
        match self.wine.as_ref().map(LazyPrefix::get) {
            Some(Ok(prefix)) => prefix.user_sid().to_string(),
            // A prefix whose registry cannot be read fails wherever it is read.
            Some(Err(_)) | None => crate::winstate::USER_SID.to_string(),
        }
    }

    /// After the caller wrote the files [`Registry::wine_files`] gave.
    pub(crate) fn wine_files_written(&self) {
        if let Some(wine) = &self.wine {
            wine.written();
        }
    }

    /// Whether the Windows registry is a Wine prefix's files.
    pub fn is_wine(&self) -> bool {
        self.wine.is_some()
    }

    /// The database connection, when the database exists (for the CLI's registry reads).
    pub fn connection(&self) -> Option<&Connection> {
        self.conn.as_ref()
    }

    /// Forgets a product (after it was removed), in one transaction.
    pub fn remove(&mut self, product_code: &str) -> Result<()> {
        self.remove_with(product_code, &[])
    }

    /// [`Registry::remove`] with registry changes applied in the same transaction.
    pub(crate) fn remove_with(
        &mut self,
        product_code: &str,
        changes: &[crate::winstate::RegChange],
    ) -> Result<()> {
        let path = self.db_path();
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        let err = |source| Error::Registry {
            path: path.clone(),
            source,
        };
        let tx = conn.transaction().map_err(err)?;
        delete_product(&tx, product_code).map_err(err)?;
        let mut wine = self.wine.as_ref().map(LazyPrefix::get).transpose()?;
        if !changes.is_empty() || wine.is_some() || crate::winstate::has_tables(&tx).map_err(err)? {
            crate::winstate::apply(&tx, Some(product_code), true, changes, wine.as_deref_mut())
                .map_err(|e| crate::winstate::error("removing the product's keys", e))?;
        }
        tx.commit().map_err(err)
    }

    // std's errors on purpose: Error::Io names the path already (fs_err's would name it twice).
    #[allow(clippy::disallowed_methods)]
    fn ensure_db(&mut self) -> Result<()> {
        if self.conn.is_some() {
            return Ok(());
        }
        match fs_err::symlink_metadata(&self.dir) {
            Ok(_) => check_private(&self.dir, true)?,
            Err(_) => {
                if let Some(parent) = self.dir.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                }
                std::fs::DirBuilder::new()
                    .mode(0o700)
                    .create(&self.dir)
                    .map_err(|e| Error::io(&self.dir, e))?;
                check_private(&self.dir, true)?;
            }
        }
        let db = self.db_path();
        let mut conn = open_db(&db)?;
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(&db, e))?;
        // One transaction for the schema and the state folders: each statement on its own
        // was a transaction of its own, with its rollback journal created and deleted.
        let setup = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute_batch(SCHEMA)?;
            tx.execute_batch(TRANSFORMS_SCHEMA)?;
            tx.execute_batch(PATCHES_SCHEMA)?;
            for dir in &self.missing {
                tx.execute(
                    "INSERT OR IGNORE INTO state_folders (path) VALUES (?1)",
                    params![path_blob(dir)],
                )?;
            }
            tx.commit()
        };
        setup(&mut conn).map_err(|source| Error::Registry {
            path: db.clone(),
            source,
        })?;
        self.conn = Some(conn);
        Ok(())
    }
}

/// The cached package's file name: the product code when it is GUID-shaped, else a hash of
/// it (a product code comes from the package and must not choose a path).
fn cache_name(product_code: &str) -> String {
    let guid_like = !product_code.is_empty()
        && product_code.len() <= 64
        && product_code
            .chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, '{' | '}' | '-'));
    if guid_like {
        format!("{}.msi", product_code.to_ascii_uppercase())
    } else {
        // The name is stored with the product (`cached_package`), so a hash that is not
        // stable across Rust versions is good enough here.
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        product_code.hash(&mut h);
        format!("product-{:016x}.msi", h.finish())
    }
}

fn open_db(path: &Path) -> Result<Connection> {
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
fn check_private(path: &Path, dir: bool) -> Result<()> {
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

fn path_blob(p: &Path) -> &[u8] {
    p.as_os_str().as_bytes()
}

fn blob_path(b: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(b))
}

fn write_product(tx: &rusqlite::Transaction<'_>, p: &ProductRecord) -> rusqlite::Result<()> {
    delete_product(tx, &p.product_code)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    tx.execute(
        "INSERT INTO products (product_code, upgrade_code, version, name, manufacturer, language, package_path, cached_package, installed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            p.product_code,
            p.upgrade_code,
            p.version,
            p.name,
            p.manufacturer,
            p.language,
            path_blob(&p.package_path),
            p.cached_package.as_deref().map(path_blob),
            now
        ],
    )?;
    // One prepared statement per table for all its rows (a package may have a component
    // per file: parsing the SQL per row was a tenth of a 5,000-file install).
    let mut insert_feature = tx
        .prepare_cached("INSERT OR IGNORE INTO features (product_code, feature) VALUES (?1, ?2)")?;
    for f in &p.features {
        insert_feature.execute(params![p.product_code, f])?;
    }
    let mut insert_component = tx.prepare_cached(
        "INSERT OR REPLACE INTO components (product_code, component, component_id, key_path) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for c in &p.components {
        insert_component.execute(params![
            p.product_code,
            c.component,
            c.component_id,
            c.key_path.as_deref().map(path_blob)
        ])?;
    }
    let mut insert_files = tx.prepare_cached(
        "INSERT OR REPLACE INTO files (product_code, component, paths) VALUES (?1, ?2, ?3)",
    )?;
    for (component, paths) in path_lists(&p.files) {
        insert_files.execute(params![p.product_code, component, paths])?;
    }
    let mut insert_folder =
        tx.prepare_cached("INSERT OR IGNORE INTO folders (product_code, path) VALUES (?1, ?2)")?;
    for path in &p.folders {
        insert_folder.execute(params![p.product_code, path_blob(path)])?;
    }
    Ok(())
}

/// A product's files as the `files` table keeps them: per component, each path followed by a
/// NUL byte. A path recorded twice keeps its first component.
fn path_lists(files: &[(String, PathBuf)]) -> std::collections::BTreeMap<&str, Vec<u8>> {
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
fn files_of(lists: Vec<(String, Vec<u8>)>) -> Vec<(String, PathBuf)> {
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

fn delete_product(tx: &rusqlite::Transaction<'_>, code: &str) -> rusqlite::Result<()> {
    for table in ["features", "components", "files", "folders", "products"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE product_code = ?1"),
            params![code],
        )?;
    }
    Ok(())
}

fn read_product(conn: &Connection, code: &str) -> rusqlite::Result<Option<ProductRecord>> {
    let head = conn
        .query_row(
            "SELECT product_code, upgrade_code, version, name, manufacturer, language, package_path, cached_package
             FROM products WHERE product_code = ?1",
            params![code],
            |r| {
                Ok(ProductRecord {
                    product_code: r.get(0)?,
                    upgrade_code: r.get(1)?,
                    version: r.get(2)?,
                    name: r.get(3)?,
                    manufacturer: r.get(4)?,
                    language: r.get(5)?,
                    package_path: blob_path(r.get(6)?),
                    cached_package: r.get::<_, Option<Vec<u8>>>(7)?.map(blob_path),
                    features: Vec::new(),
                    components: Vec::new(),
                    files: Vec::new(),
                    folders: Vec::new(),
                })
            },
        )
        .optional()?;
    let Some(mut p) = head else {
        return Ok(None);
    };
    let mut stmt =
        conn.prepare("SELECT feature FROM features WHERE product_code = ?1 ORDER BY feature")?;
    p.features = stmt
        .query_map(params![code], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(
        "SELECT component, component_id, key_path FROM components WHERE product_code = ?1 ORDER BY component",
    )?;
    p.components = stmt
        .query_map(params![code], |r| {
            Ok(ComponentRecord {
                component: r.get(0)?,
                component_id: r.get(1)?,
                key_path: r.get::<_, Option<Vec<u8>>>(2)?.map(blob_path),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare("SELECT component, paths FROM files WHERE product_code = ?1")?;
    let lists = stmt
        .query_map(params![code], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    p.files = files_of(lists);
    let mut stmt =
        conn.prepare("SELECT path FROM folders WHERE product_code = ?1 ORDER BY path")?;
    p.folders = stmt
        .query_map(params![code], |r| Ok(blob_path(r.get(0)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(p))
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

/// Whether an installed product matches an Upgrade row (FindRelatedProducts,
/// spec 2.5 and 4.2): same upgrade code, version within the row's bounds
/// (first three fields; inclusive per the attribute bits), and language in
/// (or, with LanguagesExclusive, not in) the row's list.
pub fn upgrade_matches(row: &UpgradeRow, product: &ProductRecord) -> bool {
    if !product
        .upgrade_code
        .as_deref()
        .is_some_and(|u| u.eq_ignore_ascii_case(&row.upgrade_code))
    {
        return false;
    }
    let version = Version::parse(&product.version).unwrap_or_default();
    if let Some(min) = row.version_min.as_deref().and_then(Version::parse) {
        let inclusive = row.attributes & upgrade::ATTR_VERSION_MIN_INCLUSIVE != 0;
        match version.cmp3(&min) {
            std::cmp::Ordering::Less => return false,
            std::cmp::Ordering::Equal if !inclusive => return false,
            _ => {}
        }
    }
    if let Some(max) = row.version_max.as_deref().and_then(Version::parse) {
        let inclusive = row.attributes & upgrade::ATTR_VERSION_MAX_INCLUSIVE != 0;
        match version.cmp3(&max) {
            std::cmp::Ordering::Greater => return false,
            std::cmp::Ordering::Equal if !inclusive => return false,
            _ => {}
        }
    }
    let langs: Vec<&str> = row
        .language
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if !langs.is_empty() {
        let lang = product.language.as_deref().unwrap_or("0");
        let listed = langs.contains(&lang);
        let exclusive = row.attributes & upgrade::ATTR_LANGUAGES_EXCLUSIVE != 0;
        if listed == exclusive {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(code: &str, version: &str) -> ProductRecord {
        ProductRecord {
            product_code: code.into(),
            upgrade_code: Some("{UP}".into()),
            version: version.into(),
            name: "P".into(),
            manufacturer: None,
            language: Some("1033".into()),
            package_path: "/pkg/p.msi".into(),
            cached_package: None,
            features: vec!["F".into()],
            components: vec![ComponentRecord {
                component: "C".into(),
                component_id: Some("{C}".into()),
                key_path: Some("/r/opt/a".into()),
            }],
            files: vec![("C".into(), "/r/opt/a".into())],
            folders: vec!["/r/opt".into()],
        }
    }

    #[test]
    fn a_version_1_database_is_regrouped_per_component() {
        let root = tempfile::tempdir().unwrap();
        let db = root.path().join(DATABASE_NAME);
        {
            let conn = Connection::open(&db).unwrap();
            // The version 1 schema: today's, with a row per file.
            let v1 = SCHEMA
                .replace(
                    "paths        BLOB NOT NULL,\n    PRIMARY KEY (product_code, component)",
                    "path BLOB NOT NULL,\n    PRIMARY KEY (product_code, path)",
                )
                .replace("user_version = 2", "user_version = 1");
            assert_ne!(v1, SCHEMA);
            conn.execute_batch(&v1).unwrap();
            conn.execute_batch(
                "INSERT INTO products VALUES ('{A}', NULL, '1.0', 'A', NULL, NULL, X'2f', NULL, 0);
                 INSERT INTO products VALUES ('{B}', NULL, '1.0', 'B', NULL, NULL, X'2f', NULL, 0);
                 INSERT INTO files VALUES ('{A}', 'C2', CAST('/r/b' AS BLOB));
                 INSERT INTO files VALUES ('{A}', 'C1', CAST('/r/a' AS BLOB));
                 INSERT INTO files VALUES ('{A}', 'C1', CAST('/r/c' AS BLOB));
                 INSERT INTO files VALUES ('{B}', 'C1', CAST('/r/d' AS BLOB));",
            )
            .unwrap();
        }
        fs_err::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
        fs_err::set_permissions(root.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let mut reg = Registry::open(root.path()).unwrap();
        let a = reg.product("{A}").unwrap().unwrap();
        assert_eq!(
            a.files,
            [
                ("C1".to_string(), PathBuf::from("/r/a")),
                ("C2".to_string(), PathBuf::from("/r/b")),
                ("C1".to_string(), PathBuf::from("/r/c")),
            ]
        );
        assert_eq!(reg.product("{B}").unwrap().unwrap().files.len(), 1);
        // A registry from before transforms were kept gains their table.
        assert!(reg.transforms("{A}").unwrap().is_empty());
        // Written back in the new form, and read again as it was.
        reg.record(&product("{C}", "2.0")).unwrap();
        let conn = Connection::open(&db).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(
            Registry::open(root.path())
                .unwrap()
                .product("{A}")
                .unwrap()
                .unwrap(),
            a
        );
        // A database from a newer rmsi is refused, not misread.
        conn.execute_batch("PRAGMA user_version = 99;").unwrap();
        drop(conn);
        assert!(Registry::open(root.path()).is_err());
    }

    #[test]
    fn patches_are_kept_in_order_and_go_with_the_product() {
        let root = tempfile::tempdir().unwrap();
        let mut reg = Registry::for_root(root.path(), crate::layout::Layout::Fhs).unwrap();
        reg.record(&product("{A}", "1.0.0")).unwrap();
        let two: [(String, String, String, &[u8]); 2] = [
            ("{P1}".into(), "One".into(), "applied".into(), b"first"),
            ("{P2}".into(), "Two".into(), "superseded".into(), b"second"),
        ];
        reg.cache_patches("{A}", &two).unwrap();
        let kept = reg.patches("{A}").unwrap();
        let rows: Vec<(&str, &str, &str)> = kept
            .iter()
            .map(|p| (p.patch_code.as_str(), p.name.as_str(), p.state.as_str()))
            .collect();
        assert_eq!(
            rows,
            [("{P1}", "One", "applied"), ("{P2}", "Two", "superseded")]
        );
        assert_eq!(fs_err::read(&kept[1].cached).unwrap(), b"second");
        let mode = fs_err::metadata(&kept[0].cached).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Recorded again (its rows go), then kept with one: the other copy goes too.
        reg.record(&product("{A}", "1.0.1")).unwrap();
        assert!(reg.patches("{A}").unwrap().is_empty());
        reg.cache_patches("{A}", &two[..1]).unwrap();
        assert_eq!(reg.patches("{A}").unwrap().len(), 1);
        assert!(kept[0].cached.exists());
        assert!(!kept[1].cached.exists());
        // Another product's copies are not touched; unregistering takes the product's.
        reg.record(&product("{B}", "1.0.0")).unwrap();
        reg.cache_patches("{B}", &two[1..]).unwrap();
        let b = reg.patches("{B}").unwrap();
        reg.unregister("{A}").unwrap();
        assert!(!kept[0].cached.exists());
        assert!(b[0].cached.exists());
        assert_eq!(reg.patches("{B}").unwrap(), b);
    }

    #[test]
    fn transforms_are_kept_in_order_and_go_with_the_product() {
        let root = tempfile::tempdir().unwrap();
        let mut reg = Registry::for_root(root.path(), crate::layout::Layout::Fhs).unwrap();
        reg.record(&product("{A}", "1.0.0")).unwrap();
        let two = [
            ("a.mst".to_string(), b"first".to_vec()),
            (":Embedded".to_string(), b"second".to_vec()),
        ];
        reg.cache_transforms("{A}", &two).unwrap();
        let kept = reg.transforms("{A}").unwrap();
        let names: Vec<&str> = kept.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a.mst", ":Embedded"]);
        assert_eq!(fs_err::read(&kept[1].1).unwrap(), b"second");
        let mode = fs_err::metadata(&kept[0].1).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Kept again with one transform: the other copy goes.
        reg.cache_transforms("{A}", &two[..1]).unwrap();
        assert_eq!(reg.transforms("{A}").unwrap().len(), 1);
        assert!(!kept[1].1.exists());
        // Recorded again (its rows go) and kept with none: no copy is left behind.
        reg.cache_transforms("{A}", &two).unwrap();
        reg.record(&product("{A}", "1.0.0")).unwrap();
        reg.cache_transforms("{A}", &[]).unwrap();
        assert!(!kept[0].1.exists() && !kept[1].1.exists());
        reg.cache_transforms("{A}", &two).unwrap();
        // Forgetting the product deletes its copies.
        reg.unregister("{A}").unwrap();
        assert!(reg.transforms("{A}").unwrap().is_empty());
        assert!(!kept[0].1.exists());
    }

    #[test]
    fn created_lazily_and_round_trips() {
        let root = tempfile::tempdir().unwrap();
        let state = root.path().join("var/lib/rmsi");
        let mut reg = Registry::for_root(root.path(), crate::layout::Layout::Fhs).unwrap();
        assert_eq!(reg.db_path(), state.join("products.db"));
        assert!(!reg.exists());
        assert!(reg.products().unwrap().is_empty());
        assert!(!state.exists(), "reading creates nothing");
        reg.record(&product("{A}", "1.0.0")).unwrap();
        let mode = fs_err::metadata(&state).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let db_mode = fs_err::metadata(reg.db_path()).unwrap().mode() & 0o777;
        assert_eq!(db_mode, 0o600);
        let reg = Registry::open(&state).unwrap();
        assert_eq!(
            reg.product("{A}").unwrap().unwrap(),
            product("{A}", "1.0.0")
        );
        assert!(reg.is_installed("{A}").unwrap());
        assert_eq!(reg.related("{up}").unwrap().len(), 1);
        let mut reg = reg;
        reg.remove("{A}").unwrap();
        assert!(!reg.is_installed("{A}").unwrap());
    }

    #[test]
    fn cache_unregister_and_the_last_product_takes_the_state_folders() {
        let root = tempfile::tempdir().unwrap();
        fs_err::create_dir(root.path().join("var")).unwrap();
        let pkg = root.path().join("p.msi");
        fs_err::write(&pkg, b"package bytes").unwrap();
        let mut reg = Registry::for_root(root.path(), crate::layout::Layout::Fhs).unwrap();
        let copy = |out: &mut std::fs::File| {
            std::io::Write::write_all(out, &fs_err::read(&pkg).unwrap())
                .map_err(|e| Error::io(&pkg, e))
        };
        let cached = reg.cache_package("{a-1}", copy).unwrap();
        assert_eq!(cached, reg.dir.join("packages/{A-1}.msi"));
        assert_eq!(fs_err::read(&cached).unwrap(), b"package bytes");
        assert_eq!(
            fs_err::metadata(&cached).unwrap().mode() & 0o777,
            0o600,
            "the cached package is owner-only"
        );
        let odd = reg.cache_package("../../escape", copy).unwrap();
        assert_eq!(
            odd.parent(),
            cached.parent(),
            "a hostile code picks no path"
        );
        let mut a = product("{A}", "1.0.0");
        a.cached_package = Some(cached.clone());
        reg.record(&a).unwrap();
        reg.record(&product("{B}", "1.0.0")).unwrap();
        reg.unregister("{A}").unwrap();
        assert!(!cached.exists(), "the cached package goes with the product");
        assert!(!reg.remove_if_empty().unwrap(), "{{B}} is still installed");
        fs_err::remove_file(&odd).unwrap();
        reg.unregister("{B}").unwrap();
        assert!(reg.remove_if_empty().unwrap());
        // var/lib and var/lib/rmsi were made by the registry; var was there before.
        let left: Vec<_> = fs_err::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(left, ["p.msi", "var"]);
        assert_eq!(
            fs_err::read_dir(root.path().join("var")).unwrap().count(),
            0
        );
    }

    #[test]
    fn unsafe_state_folders_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("real");
        fs_err::create_dir(&real).unwrap();
        fs_err::set_permissions(&real, std::fs::Permissions::from_mode(0o700)).unwrap();
        let link = root.path().join("link");
        fs_err::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(matches!(
            Registry::open(&link),
            Err(Error::UnsafeState { .. })
        ));
        fs_err::set_permissions(&real, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = Registry::open(&real).unwrap_err();
        assert!(matches!(err, Error::UnsafeState { .. }), "{err}");
        assert_eq!(err.code(), 1603);
    }

    #[test]
    fn upgrade_rows_match_by_version_and_language() {
        let p = product("{A}", "1.2.3");
        let row =
            |min: Option<&str>, max: Option<&str>, attrs: i32, lang: Option<&str>| UpgradeRow {
                upgrade_code: "{UP}".into(),
                version_min: min.map(Into::into),
                version_max: max.map(Into::into),
                language: lang.map(Into::into),
                attributes: attrs,
                remove: None,
                action_property: "OLD".into(),
            };
        assert!(upgrade_matches(&row(Some("1.0.0"), None, 0, None), &p));
        assert!(!upgrade_matches(&row(Some("1.2.3"), None, 0, None), &p));
        assert!(upgrade_matches(&row(Some("1.2.3"), None, 0x100, None), &p));
        assert!(!upgrade_matches(&row(None, Some("1.2.3"), 0, None), &p));
        assert!(upgrade_matches(
            &row(None, Some("1.2.3.9"), 0x200, None),
            &p
        ));
        assert!(upgrade_matches(
            &row(None, Some("2.0"), 0, Some("1033")),
            &p
        ));
        assert!(!upgrade_matches(
            &row(None, Some("2.0"), 0, Some("1031")),
            &p
        ));
        assert!(!upgrade_matches(
            &row(None, Some("2.0"), 0x400, Some("1033")),
            &p
        ));
    }
}
