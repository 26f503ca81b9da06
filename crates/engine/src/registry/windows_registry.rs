//! The root's Windows registry as the product registry holds it: the `winreg` tables of the
//! database, or a Wine prefix's registry files read when first needed.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::Registry;
use crate::error::{Error, Result};

/// A Wine prefix's registry files, read when first needed (a run that finds nothing to do
/// in the prefix, or only tidies the state folder, never parses them), and read again when
/// another session of the same run (a removal RemoveExistingProducts runs) replaced them
/// while this one had nothing pending: its changes then apply to what that one wrote.
#[derive(Debug)]
pub(super) struct LazyPrefix {
    dir: PathBuf,
    /// The prefix as read, with the identity of the files it was read from.
    loaded: std::cell::RefCell<Option<(winreg::WinePrefix, FileIds)>>,
}

/// The (device, inode) of each registry file of a prefix.
type FileIds = Vec<(u64, u64)>;

impl LazyPrefix {
    pub(super) fn new(dir: &Path) -> LazyPrefix {
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

    pub(super) fn get(&self) -> Result<std::cell::RefMut<'_, winreg::WinePrefix>> {
        let mut loaded = self.loaded.borrow_mut();
        let stale = match loaded.as_ref() {
            None => true,
            Some((prefix, identity)) => !prefix.is_changed() && *identity != self.identity(),
        };
        if stale {
            let identity = self.identity();
            let prefix = winreg::WinePrefix::open(&self.dir).map_err(|e| {
                crate::error::registry_failure("opening the Wine prefix's registry", e)
            })?;
            *loaded = Some((prefix, identity));
        }
        std::cell::RefMut::filter_map(loaded, |l| l.as_mut().map(|(p, _)| p))
            .map_err(|_| Error::failure("the Wine prefix's registry could not be read"))
    }

    /// The changed files' texts (see [`winreg::WinePrefix::commit_files`]); the identity
    /// is taken again once the caller wrote them.
    fn commit_files(&self) -> Vec<(PathBuf, winreg::RenderedHive)> {
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

impl Registry {
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
                .map_err(|e| crate::error::registry_failure("reading", e));
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
            .map_err(|e| crate::error::registry_failure("reading", e))
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
    pub fn wine_files(&mut self) -> Vec<(PathBuf, winreg::RenderedHive)> {
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
}
