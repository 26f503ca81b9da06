//! Writing the registry: recording a product after an installation, forgetting it after a
//! removal (each in one transaction, with the Windows registry's changes), and deleting the
//! state files when the last product goes.

use std::path::PathBuf;

use rusqlite::params;

use super::records::ProductRecord;
use super::schema::{blob_path, path_blob, path_lists};
use super::windows_registry::LazyPrefix;
use super::{CACHE_DIR, Registry};
use crate::error::{Error, Result};

impl Registry {
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
            .map_err(|e| crate::error::registry_failure("writing the product's keys", e))?;
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
            .map_err(|e| crate::error::registry_failure("writing registry values", e))?;
        tx.commit().map_err(err)
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
                .map_err(|e| crate::error::registry_failure("removing the product's keys", e))?;
        }
        tx.commit().map_err(err)
    }
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

fn delete_product(tx: &rusqlite::Transaction<'_>, code: &str) -> rusqlite::Result<()> {
    for table in ["features", "components", "files", "folders", "products"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE product_code = ?1"),
            params![code],
        )?;
    }
    Ok(())
}
