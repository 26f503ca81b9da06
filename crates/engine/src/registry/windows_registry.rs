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

/// A prefix's registry files being read on a thread of their own, from the moment the run
/// holds the prefix's lock ([`preload_prefix`]) until the session first needs them.
type Preload = (
    PathBuf,
    std::thread::JoinHandle<Option<(winreg::WinePrefix, FileIds)>>,
);

static PRELOAD: std::sync::Mutex<Option<Preload>> = std::sync::Mutex::new(None);

/// Starts reading the registry files of the prefix `dir` on a thread of their own: the run
/// holds the prefix's lock, and the session needs them once it has read the package's
/// tables, which the reading (1.5 ms for a booted prefix) then no longer waits for. What
/// is read is used only if the files are still the same ones when it is taken
/// ([`LazyPrefix::get`]).
pub(crate) fn preload_prefix(dir: &Path) {
    let owned = dir.to_path_buf();
    let thread = std::thread::Builder::new()
        .name("rmsi-prefix".into())
        .spawn(move || {
            let identity = identity_of(&owned);
            winreg::WinePrefix::open(&owned)
                .ok()
                .map(|prefix| (prefix, identity))
        });
    if let Ok(thread) = thread {
        let mut slot = PRELOAD
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *slot = Some((dir.to_path_buf(), thread));
    }
}

/// What [`preload_prefix`] read of `dir`, if it read that prefix (what it read of another
/// is dropped: only the run that started it takes it, first thing).
fn take_preloaded(dir: &Path) -> Option<(winreg::WinePrefix, FileIds)> {
    let taken = PRELOAD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    match taken {
        Some((of, thread)) if of == dir => thread.join().ok().flatten(),
        _ => None,
    }
}

/// The (device, inode) of each registry file of the prefix `dir` now: a file replaced by a
/// rename has a new inode.
fn identity_of(dir: &Path) -> FileIds {
    ["system.reg", "user.reg", "userdef.reg"]
        .iter()
        .map(|f| {
            fs_err::symlink_metadata(dir.join(f))
                .map(|m| (m.dev(), m.ino()))
                .unwrap_or((0, 0))
        })
        .collect()
}

impl LazyPrefix {
    pub(super) fn new(dir: &Path) -> LazyPrefix {
        LazyPrefix {
            dir: dir.to_path_buf(),
            loaded: std::cell::RefCell::new(None),
        }
    }

    /// The identity of the registry files now (see [`identity_of`]).
    fn identity(&self) -> FileIds {
        identity_of(&self.dir)
    }

    pub(super) fn get(&self) -> Result<std::cell::RefMut<'_, winreg::WinePrefix>> {
        let mut loaded = self.loaded.borrow_mut();
        let stale = match loaded.as_ref() {
            None => true,
            Some((prefix, identity)) => !prefix.is_changed() && *identity != self.identity(),
        };
        if stale
            && loaded.is_none()
            && let Some((prefix, identity)) = take_preloaded(&self.dir)
            && identity == self.identity()
        {
            *loaded = Some((prefix, identity));
        } else if stale {
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

#[cfg(test)]
mod tests {
    use super::*;
    use winreg::Store;

    fn write_prefix(dir: &Path, value: &str) {
        let system = format!(
            "WINE REGISTRY Version 2\n;; All keys relative to \\\\Machine\n\n[Software\\\\Rmsi] 1\n\"Value\"=\"{value}\"\n"
        );
        let user =
            "WINE REGISTRY Version 2\n;; All keys relative to \\\\User\\\\S-1-5-21-0-0-0-1000\n";
        // Replaced by renames, as wineserver and rmsi write them (a new inode each time).
        for (name, text) in [("system.reg", system.as_str()), ("user.reg", user)] {
            let temp = dir.join(format!("{name}.tmp"));
            fs_err::write(&temp, text).unwrap();
            fs_err::rename(&temp, dir.join(name)).unwrap();
        }
    }

    fn value(prefix: &LazyPrefix) -> Option<String> {
        let path = ["HKEY_LOCAL_MACHINE", "Software", "Rmsi"].map(String::from);
        match prefix.get().unwrap().value(&path, "Value").unwrap() {
            Some((_, winreg::Value::Sz(s))) => Some(s),
            _ => None,
        }
    }

    /// What was read ahead is used when the files are the ones it read, and read again
    /// when they were replaced since.
    #[test]
    fn a_prefix_read_ahead_is_used_only_while_its_files_are_the_same() {
        let dir = tempfile::tempdir().unwrap();
        write_prefix(dir.path(), "first");
        preload_prefix(dir.path());
        write_prefix(dir.path(), "second");
        assert_eq!(
            value(&LazyPrefix::new(dir.path())).as_deref(),
            Some("second")
        );

        preload_prefix(dir.path());
        // Taken, while the files are unchanged: a second reading would find the same.
        assert!(take_preloaded(dir.path()).is_some());
        assert!(take_preloaded(dir.path()).is_none());
        preload_prefix(dir.path());
        assert_eq!(
            value(&LazyPrefix::new(dir.path())).as_deref(),
            Some("second")
        );
        assert!(
            take_preloaded(dir.path()).is_none(),
            "taken by the first get"
        );
    }
}
