//! What an installation into a Wine prefix writes through the transaction besides the
//! payload: the local package Wine's msi opens (`C:\windows\Installer`, a second name for
//! the package cache's checked copy), and the prefix's registry files the registration
//! changed.

use std::path::{Path, PathBuf};

use super::Session;
use crate::error::{Error, Result};
use crate::layout::Layout;

impl Session<'_, '_> {
    /// In a Wine prefix: the path of the package copy Wine's msi opens to remove or repair
    /// the product, `C:\windows\Installer\<random hex>.msi` as Windows names its copies
    /// ("Windows Installer cache"), noted for the registration's `LocalPackage`. The copy
    /// an earlier run placed goes.
    pub(super) fn choose_local_package(&mut self) -> Result<Option<PathBuf>> {
        if self.request.layout != Layout::Wine {
            return Ok(None);
        }
        self.remove_local_package()?;
        let folder = self.root.join("windows/Installer");
        let local = loop {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u32(std::process::id());
            let name = format!("{:x}.msi", h.finish() as u32);
            let path = folder.join(name);
            if self.lock.lstat(&self.rel(&path)?).is_none() {
                break path;
            }
        };
        self.ctx.set_local_package(Some(local.clone()));
        Ok(Some(local))
    }

    /// Places the product's cached package at `local` too (see
    /// [`Session::choose_local_package`]), through the transaction.
    pub(super) fn place_local_package(&mut self, local: &Path) -> Result<()> {
        let code = self.prop("ProductCode").unwrap_or_default();
        let Some(cached) = self.ctx.cached_package(&code)? else {
            return Ok(());
        };
        let rel = self.rel(local)?;
        let stage = self.stage()?;
        // The package cache's copy holds the very bytes, checked: the local package is a
        // second name for it (a hard link; a copy where the two are on different file
        // systems), as both are only ever replaced by a new file, never written in place.
        // It keeps the cache's owner-only mode: Wine's msi, run as the prefix's owner,
        // reads it; nobody else needs to.
        let file = fs_err::File::open(&cached)
            .map_err(|e| Error::io(&cached, e))?
            .into_file();
        let name = stage.reserve();
        let staged = stage
            .writer_dir()
            .map_err(|e| Error::io(local, e))?
            .adopt(name, file)?;
        stage.place(staged, rel)?;
        let pending = stage.pending();
        stage.apply_next(pending)?;
        self.log.engine(&format!(
            "Executing op: CacheLocalPackage(Path={})",
            self.ctx.path_text(local)
        ));
        Ok(())
    }

    /// In a Wine prefix: removes the package copy the product's registration names as
    /// `LocalPackage` (when it is in `C:\windows\Installer`), through the transaction.
    pub(super) fn remove_local_package(&mut self) -> Result<()> {
        if self.request.layout != Layout::Wine {
            return Ok(());
        }
        let code = self.prop("ProductCode").unwrap_or_default();
        let Some(local) = self.ctx.registered_local_package(&code)? else {
            return Ok(());
        };
        if !local.starts_with(self.root.join("windows/Installer")) {
            return Ok(());
        }
        let rel = self.rel(&local)?;
        let stage = self.stage()?;
        stage.remove(rel)?;
        let pending = stage.pending();
        stage.apply_next(pending)?;
        Ok(())
    }

    /// Writes a Wine prefix's registry files that the registration changed, through the
    /// transaction (journaled: a failure or a kill before the commit puts them back).
    pub(super) fn write_wine_registry(&mut self) -> Result<()> {
        let files = self.ctx.wine_files();
        if files.is_empty() {
            return Ok(());
        }
        for (path, text) in files {
            let rel = path
                .strip_prefix(self.lock.root())
                .map_err(|_| Error::OutsideRoot {
                    root: self.lock.root().to_path_buf(),
                    path: path.clone(),
                })?
                .to_path_buf();
            let stage = self.stage()?;
            let staged = stage.write_in_with(|out| text.write_to(out))?;
            stage.place(staged, rel)?;
        }
        let stage = self.stage()?;
        let pending = stage.pending();
        stage.apply_next(pending)?;
        self.ctx.wine_files_written();
        if let Some(prefix) = self.wine_prefix() {
            let line = format!(
                "Executing op: WineRegistryWrite(Prefix={})",
                prefix.display()
            );
            self.log.engine(&line);
        }
        Ok(())
    }

    /// A custom action started a Windows program with Wine: its `wineserver` saves the
    /// prefix's registry when it ends, so the install waits for that before it reads and
    /// writes the registry files ([`Session::wait_for_wine_programs`]).
    pub(crate) fn note_wine_program(&mut self) {
        self.wine_programs = true;
    }

    /// Waits, at most [`WINE_WAIT`], for the `wineserver` of the Windows programs custom
    /// actions ran to end; the registry files it saved are then read again (what the
    /// programs wrote there stays, with this install's own changes added).
    pub(super) fn wait_for_wine_programs(&mut self) -> Result<()> {
        if !std::mem::take(&mut self.wine_programs) {
            return Ok(());
        }
        let Some(prefix) = self.wine_prefix().map(Path::to_path_buf) else {
            return Ok(());
        };
        self.log.engine(
            "Waiting for the Wine programs custom actions started to end (their wineserver saves the prefix's registry).",
        );
        crate::wine::wait_for_wineserver_within(&prefix, WINE_WAIT)
    }
}

/// How long the end of an install waits for the `wineserver` of its custom actions'
/// programs (a program left running, an asynchronous action not waited for, keeps it).
const WINE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);
