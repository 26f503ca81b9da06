//! What an installation into a Wine prefix writes through the transaction besides the
//! payload: the local package copy Wine's msi opens (`C:\windows\Installer`), and the
//! prefix's registry files the registration changed.

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

    /// Places a copy of the product's cached package at `local` (see
    /// [`Session::choose_local_package`]), through the transaction.
    pub(super) fn place_local_package(&mut self, local: &Path) -> Result<()> {
        let code = self.prop("ProductCode").unwrap_or_default();
        let Some(cached) = self.ctx.cached_package(&code)? else {
            return Ok(());
        };
        let mut file = fs_err::File::open(&cached).map_err(|e| Error::io(&cached, e))?;
        let rel = self.rel(local)?;
        let stage = self.stage()?;
        let (staged, _) = stage.copy_in(&mut file)?;
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
            let (staged, _) = stage.copy_in(&mut text.as_bytes())?;
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
}
