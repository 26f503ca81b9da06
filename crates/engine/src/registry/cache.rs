//! The package cache of the state folder: each product's package, transforms and patches
//! kept as private copies, so that a product code alone finds what to run again, as Windows
//! caches packages under `%WINDIR%\Installer`.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use rusqlite::params;

use super::records::PatchRecord;
use super::schema::{blob_path, check_private, path_blob};
use super::{CACHE_DIR, Registry};
use crate::error::{Error, Result};
use package::Package;

/// The largest package copy made in memory ([`Registry::package_copy`]).
pub(crate) const IN_MEMORY_COPY: u64 = 64 * 1024 * 1024;

impl Registry {
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

    /// Where [`Registry::cache_package`] keeps the package of `product_code`.
    pub fn cached_package_path(&self, product_code: &str) -> PathBuf {
        self.dir.join(CACHE_DIR).join(cache_name(product_code))
    }

    /// Where [`Registry::cache_patches`] keeps the `.msp` of `patch_code` applied to
    /// `product_code`.
    pub fn cached_patch_path(&self, product_code: &str, patch_code: &str) -> PathBuf {
        self.dir
            .join(CACHE_DIR)
            .join(cached_patch_name(product_code, patch_code))
    }

    /// Checks the package copy `cached` (just written by [`Registry::cache_package`]) against
    /// the package file it was made from, read again: it must open as a package, and hold
    /// the same tables and the same streams (embedded cabinets left out, as the copy leaves
    /// them), each with the same bytes. A copy that does not — a write lost or cut
    /// short, a source that changed meanwhile — fails the install: a product whose cached
    /// package cannot be opened could never be removed by its product code.
    pub fn verify_cached_package(cached: &Path, source: &Path) -> Result<()> {
        let copy = Package::open(cached).map_err(|e| differs(cached, source, e.to_string()))?;
        same_package(&copy, cached, source, None)
    }

    /// The copy of `package` the cache keeps, made in memory and checked
    /// ([`Package::copy_without_cabinets`]: every stream but the embedded cabinets, byte for
    /// byte as the file the install opened holds it; a package file replaced or written
    /// since is refused), or `None` when it would be over [`IN_MEMORY_COPY`] bytes (a
    /// package whose Binary rows carry large programs is copied through its file instead,
    /// [`Registry::cache_package_streamed`]). Needs nothing of the session: the install makes
    /// it on a thread of its own while the files are written, and
    /// [`Registry::cache_package_copy`] writes it.
    pub fn package_copy(package: &Package) -> Result<Option<Vec<u8>>> {
        Ok(package.copy_without_cabinets(IN_MEMORY_COPY)?)
    }

    /// Keeps the copy of `package` as the cached package of `product_code` written straight
    /// to its file, then opened from there and checked as [`Registry::verify_cached_package`]
    /// checks it (against `package` itself when nothing changed it in memory).
    pub fn cache_package_streamed(
        &mut self,
        product_code: &str,
        package: &Package,
    ) -> Result<PathBuf> {
        let cached =
            self.cache_package(product_code, |out| Ok(package.write_without_cabinets(out)?))?;
        let copy =
            Package::open(&cached).map_err(|e| differs(&cached, package.path(), e.to_string()))?;
        same_package(&copy, &cached, package.path(), Some(package))?;
        Ok(cached)
    }

    /// Keeps `copy` (from [`Registry::package_copy`], checked against the package already)
    /// as the cached package of `product_code`, as [`Registry::cache_package`] does; the
    /// file must then hold as many bytes as were written. It is not read back: the file is
    /// new, created by this process alone in a folder only its owner may write, and a read
    /// after a write that succeeded returns what was written (POSIX `write`), from the same
    /// page cache a read-back would have compared.
    pub fn cache_package_copy(&mut self, product_code: &str, copy: &[u8]) -> Result<PathBuf> {
        let cached = self.cache_package(product_code, |out| {
            std::io::Write::write_all(out, copy).map_err(|e| Error::io(product_code, e))?;
            let len = out
                .metadata()
                .map_err(|e| Error::io(product_code, e))?
                .len();
            if len != copy.len() as u64 {
                return Err(Error::io(
                    product_code,
                    std::io::Error::other(format!(
                        "the cached copy of the package differs from what was written to it: \
                         it holds {len} bytes, not {}",
                        copy.len()
                    )),
                ));
            }
            Ok(())
        })?;
        Ok(cached)
    }

    /// Writes `name` in the cache folder as [`Registry::cache_package`] describes.
    fn cache_file(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut std::fs::File) -> Result<()>,
    ) -> Result<PathBuf> {
        self.ensure_dir()?;
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
        if !kept.is_empty() {
            // Their files were written with the state folder alone (see `cache_file`).
            self.ensure_db()?;
        }
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
        let mut kept = Vec::new();
        for (code, name, state, bytes) in patches {
            let file = cached_patch_name(product_code, code);
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
        if !kept.is_empty() {
            // Their files were written with the state folder alone (see `cache_file`).
            self.ensure_db()?;
        }
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
        let base = cache_name(product_code);
        let prefix = format!("{}.", base.strip_suffix(".msi").unwrap_or(&base));
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
    pub(super) fn remove_cached(&self, path: &Path) {
        if path.parent() == Some(self.dir.join(CACHE_DIR).as_path())
            && fs_err::symlink_metadata(path).is_ok_and(|m| m.is_file())
        {
            let _ = fs_err::remove_file(path);
        }
    }
}

/// The cached package's file name: the product code when it is GUID-shaped, else a hash of
/// it (a product code comes from the package and must not choose a path).
/// The cached `.msp` of `patch_code` for `product_code`: `<product>.<patch>.msp`.
fn cached_patch_name(product_code: &str, patch_code: &str) -> String {
    let base = cache_name(product_code);
    let stem = base.strip_suffix(".msi").unwrap_or(&base);
    format!(
        "{stem}.{}.msp",
        cache_name(patch_code).trim_end_matches(".msi")
    )
}

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

/// The error of a cached copy (`cached`) unlike the package at `source`.
fn differs(cached: &Path, source: &Path, what: String) -> Error {
    Error::io(
        cached,
        std::io::Error::other(format!(
            "the cached copy of the package differs from {}: {what}",
            source.display()
        )),
    )
}

/// Checks that `copy` (the cache's copy, `cached` in errors) holds what the package at
/// `source` holds, as [`Registry::verify_cached_package`] describes; `opened` is that package
/// as the session holds it, used when nothing changed it in memory.
fn same_package(
    copy: &Package,
    cached: &Path,
    source: &Path,
    opened: Option<&Package>,
) -> Result<()> {
    let differs_ = |what: String| differs(cached, source, what);
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
        return Err(differs_("its tables".into()));
    }
    let cabinets: std::collections::HashSet<String> = original
        .media()?
        .iter()
        .filter_map(|m| m.embedded_stream().map(str::to_string))
        .collect();
    let names: Vec<&str> = original
        .stream_names()
        .iter()
        .map(String::as_str)
        .filter(|name| !cabinets.contains(*name))
        .collect();
    if let Some(name) = names.iter().find(|name| !copy.has_stream(name)) {
        return Err(differs_(format!("stream {name:?} is missing")));
    }
    // Compared byte for byte, one stream of each package at a time.
    let mut theirs = original.stream_set();
    let mut ours = copy.stream_set();
    for name in names {
        let (len, mut original_stream) = theirs.open(name)?;
        let (copy_len, mut copy_stream) = ours.open(name).map_err(|e| differs_(e.to_string()))?;
        let same = copy_len == len
            && package::same_bytes(&mut original_stream, &mut copy_stream)
                .map_err(|e| Error::io(cached, e))?;
        if !same {
            return Err(differs_(format!("stream {name:?}")));
        }
    }
    Ok(())
}
