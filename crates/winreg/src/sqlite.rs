//! The registry in SQLite, on a connection (or transaction) the caller owns, so that one
//! transaction covers the caller's own records and the registry.
//!
//! # Layout
//!
//! A key is a row named by its whole physical path, upper-cased as Windows compares names
//! (`fold`), beside the path in the case it was created with and its parent's `fold`.
//! Rows with parent ids would need one query per path element to find a key and a
//! recursive walk to delete a tree; with whole paths a key is one primary-key lookup, its
//! subkeys one indexed lookup on `parent`, and a tree one range on the primary key
//! (`fold = K OR fold >= 'K\' AND fold < 'K]'`: `]` follows `\` in every collation
//! SQLite's BINARY order uses). Keys cannot be renamed, so the stored paths never go stale.
//!
//! Values are rows keyed by their key's `fold` and their own upper-cased name, with the type
//! number and the bytes exactly as Windows stores them, and a sequence number that keeps
//! `RegEnumValue`'s order (the order values were first set).
//!
//! The tables are prefixed `winreg_` so that they can live in another program's database;
//! the schema version is in `winreg_schema` (not `PRAGMA user_version`, which belongs to
//! the database's owner).

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};
use crate::path::{fold, join};
use crate::store::Store;
use crate::value::Value;

/// The schema version [`schema`] creates.
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS winreg_schema (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS winreg_keys (
    fold     TEXT PRIMARY KEY,
    parent   TEXT,
    path     TEXT NOT NULL,
    modified INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS winreg_keys_parent ON winreg_keys(parent);
CREATE TABLE IF NOT EXISTS winreg_values (
    key  TEXT NOT NULL,
    fold TEXT NOT NULL,
    name TEXT NOT NULL,
    seq  INTEGER NOT NULL,
    type INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (key, fold)
) WITHOUT ROWID;
";

/// Creates the registry's tables in `conn` when missing and returns the schema version.
/// A database written by a newer version is refused ([`Error::SchemaTooNew`]). Run it
/// inside the caller's transaction to make the creation part of it.
pub fn schema(conn: &Connection) -> Result<i64> {
    // An existing registry is only read, so that a read-only connection can check it.
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'winreg_schema')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        conn.execute_batch(SCHEMA)?;
    }
    let found: Option<i64> = conn
        .query_row("SELECT MAX(version) FROM winreg_schema", [], |r| r.get(0))
        .optional()?
        .flatten();
    match found {
        None => {
            conn.execute(
                "INSERT INTO winreg_schema (version) VALUES (?1)",
                [SCHEMA_VERSION],
            )?;
            Ok(SCHEMA_VERSION)
        }
        Some(v) if v > SCHEMA_VERSION => Err(Error::SchemaTooNew {
            found: v,
            supported: SCHEMA_VERSION,
        }),
        Some(v) => Ok(v),
    }
}

/// A [`Store`] over SQLite tables that [`schema`] created. Give it a
/// [`rusqlite::Transaction`] (it derefs to a connection) to make its changes part of the
/// caller's transaction.
#[derive(Debug, Clone, Copy)]
pub struct SqliteStore<'c> {
    conn: &'c Connection,
}

impl<'c> SqliteStore<'c> {
    /// The store in `conn`; the tables must exist ([`schema`]).
    pub fn new(conn: &'c Connection) -> SqliteStore<'c> {
        SqliteStore { conn }
    }

    fn stored_path(&self, key_fold: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT path FROM winreg_keys WHERE fold = ?1")?
            .query_row([key_fold], |r| r.get(0))
            .optional()?)
    }

    fn touch(&self, key_fold: &str) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE winreg_keys SET modified = ?2 WHERE fold = ?1")?
            .execute(params![key_fold, now()])?;
        Ok(())
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The bounds of the strict descendants of `key_fold`.
fn below(key_fold: &str) -> (String, String) {
    (format!("{key_fold}\\"), format!("{key_fold}]"))
}

fn split_stored(path: &str) -> Vec<String> {
    path.split('\\').map(str::to_string).collect()
}

fn value_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Value)> {
    let name: String = r.get(0)?;
    let kind: i64 = r.get(1)?;
    let data: Vec<u8> = r.get(2)?;
    Ok((name, Value::from_raw(kind as u32, &data)))
}

impl Store for SqliteStore<'_> {
    fn key(&self, path: &[String]) -> Result<Option<Vec<String>>> {
        Ok(self
            .stored_path(&fold(&join(path)))?
            .map(|p| split_stored(&p)))
    }

    fn create_key(&mut self, path: &[String]) -> Result<()> {
        if path.is_empty() || self.stored_path(&fold(&join(path)))?.is_some() {
            return Ok(());
        }
        let mut stored = String::new();
        let mut parent: Option<String> = None;
        for name in path {
            let candidate = if stored.is_empty() {
                name.clone()
            } else {
                format!("{stored}\\{name}")
            };
            let key_fold = fold(&candidate);
            stored = match self.stored_path(&key_fold)? {
                Some(existing) => existing,
                None => {
                    self.conn
                        .prepare_cached(
                            "INSERT INTO winreg_keys (fold, parent, path, modified)
                             VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![key_fold, parent, candidate, now()])?;
                    candidate
                }
            };
            parent = Some(key_fold);
        }
        Ok(())
    }

    fn delete_key(&mut self, path: &[String], recursive: bool) -> Result<bool> {
        let key_fold = fold(&join(path));
        if self.stored_path(&key_fold)?.is_none() {
            return Ok(false);
        }
        let (lo, hi) = below(&key_fold);
        if recursive {
            self.conn
                .prepare_cached("DELETE FROM winreg_values WHERE key >= ?1 AND key < ?2")?
                .execute([&lo, &hi])?;
            self.conn
                .prepare_cached("DELETE FROM winreg_keys WHERE fold >= ?1 AND fold < ?2")?
                .execute([&lo, &hi])?;
        } else {
            let has_subkeys: bool = self
                .conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM winreg_keys WHERE parent = ?1)")?
                .query_row([&key_fold], |r| r.get(0))?;
            if has_subkeys {
                return Err(Error::HasSubkeys(join(path)));
            }
        }
        self.conn
            .prepare_cached("DELETE FROM winreg_values WHERE key = ?1")?
            .execute([&key_fold])?;
        self.conn
            .prepare_cached("DELETE FROM winreg_keys WHERE fold = ?1")?
            .execute([&key_fold])?;
        Ok(true)
    }

    fn subkeys(&self, path: &[String]) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT path FROM winreg_keys WHERE parent = ?1 ORDER BY fold")?;
        let rows = stmt.query_map([fold(&join(path))], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            let p = row?;
            out.push(p.rsplit('\\').next().unwrap_or(&p).to_string());
        }
        Ok(out)
    }

    fn value(&self, path: &[String], name: &str) -> Result<Option<(String, Value)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT name, type, data FROM winreg_values WHERE key = ?1 AND fold = ?2",
            )?
            .query_row([fold(&join(path)), fold(name)], value_from_row)
            .optional()?)
    }

    fn set_value(&mut self, path: &[String], name: &str, value: &Value) -> Result<()> {
        self.create_key(path)?;
        let key_fold = fold(&join(path));
        self.conn
            .prepare_cached(
                "INSERT INTO winreg_values (key, fold, name, seq, type, data)
                 VALUES (?1, ?2, ?3,
                         (SELECT COALESCE(MAX(seq) + 1, 0) FROM winreg_values WHERE key = ?1),
                         ?4, ?5)
                 ON CONFLICT (key, fold) DO UPDATE SET type = excluded.type, data = excluded.data",
            )?
            .execute(params![
                key_fold,
                fold(name),
                name,
                i64::from(value.kind()),
                value.to_bytes()
            ])?;
        self.touch(&key_fold)
    }

    fn delete_value(&mut self, path: &[String], name: &str) -> Result<bool> {
        let key_fold = fold(&join(path));
        let n = self
            .conn
            .prepare_cached("DELETE FROM winreg_values WHERE key = ?1 AND fold = ?2")?
            .execute([&key_fold, &fold(name)])?;
        if n > 0 {
            self.touch(&key_fold)?;
        }
        Ok(n > 0)
    }

    fn values(&self, path: &[String]) -> Result<Vec<(String, Value)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, type, data FROM winreg_values WHERE key = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([fold(&join(path))], value_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split('\\').map(String::from).collect()
    }

    #[test]
    fn keys_keep_their_first_case() {
        let conn = Connection::open_in_memory().unwrap();
        schema(&conn).unwrap();
        let mut s = SqliteStore::new(&conn);
        s.create_key(&p("HKEY_LOCAL_MACHINE\\Software\\Vendor"))
            .unwrap();
        s.create_key(&p("HKEY_LOCAL_MACHINE\\SOFTWARE\\vendor\\App"))
            .unwrap();
        assert_eq!(
            s.key(&p("hkey_local_machine\\software\\VENDOR\\app"))
                .unwrap()
                .unwrap(),
            p("HKEY_LOCAL_MACHINE\\Software\\Vendor\\App")
        );
        assert_eq!(
            s.subkeys(&p("HKEY_LOCAL_MACHINE\\software")).unwrap(),
            ["Vendor"]
        );
    }

    #[test]
    fn schema_is_versioned() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(schema(&conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(schema(&conn).unwrap(), SCHEMA_VERSION);
        conn.execute("UPDATE winreg_schema SET version = 99", [])
            .unwrap();
        assert!(matches!(
            schema(&conn),
            Err(Error::SchemaTooNew { found: 99, .. })
        ));
    }

    #[test]
    fn a_tree_delete_leaves_neighbours() {
        let conn = Connection::open_in_memory().unwrap();
        schema(&conn).unwrap();
        let mut s = SqliteStore::new(&conn);
        for k in [
            "HKEY_USERS\\A\\B",
            "HKEY_USERS\\A\\B\\C",
            "HKEY_USERS\\A]",
            "HKEY_USERS\\AB",
        ] {
            s.set_value(&p(k), "", &Value::Dword(1)).unwrap();
        }
        assert!(matches!(
            s.delete_key(&p("HKEY_USERS\\A"), false),
            Err(Error::HasSubkeys(_))
        ));
        assert!(s.delete_key(&p("HKEY_USERS\\A"), true).unwrap());
        assert_eq!(s.subkeys(&p("HKEY_USERS")).unwrap(), ["AB", "A]"]);
        assert!(s.values(&p("HKEY_USERS\\A\\B")).unwrap().is_empty());
        assert_eq!(s.values(&p("HKEY_USERS\\A]")).unwrap().len(), 1);
    }
}
