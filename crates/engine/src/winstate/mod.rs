//! The machine state Windows keeps in its registry, for one root: the `winreg` crate's
//! registry, kept in the root's product database (so that one SQLite transaction covers
//! the product records and the registry, and the transaction crate's copy of the database
//! rolls both back together), and the changes an installation makes to it.
//!
//! The actions (WriteRegistryValues, RemoveRegistryValues, RegisterProduct,
//! PublishProduct…) only decide what to change ([`RegChange`]); the changes are applied
//! when the installation commits, in the transaction that records or forgets the product,
//! as Windows Installer's script applies them only once the script runs.

pub(crate) mod environment;
pub(crate) mod services;

use winreg::msi::RegistryRow;
use winreg::{Registry, Root, SqliteStore, Value, View};

use crate::layout::Layout;

/// The user whose `HKEY_CURRENT_USER` a per-user installation writes: the installing user.
pub(crate) const USER_SID: &str = winreg::DEFAULT_USER_SID;

/// The SID of the per-machine context in `Installer\UserData` ("LocalSystem").
pub(crate) const MACHINE_SID: &str = "S-1-5-18";

/// One change to the registry, decided by an action, applied at commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegChange {
    /// A Registry table row of a component being installed (WriteRegistryValues).
    WriteRow {
        /// The view the component writes in.
        view: View,
        /// The predefined key.
        root: Root,
        /// The key below it.
        key: String,
        /// The row's meaning.
        row: RegistryRow,
    },
    /// A Registry table row of a component being removed (RemoveRegistryValues).
    RemoveRow {
        /// The view.
        view: View,
        /// The predefined key.
        root: Root,
        /// The key below it.
        key: String,
        /// The row's meaning.
        row: RegistryRow,
    },
    /// A RemoveRegistry table row of a component being installed.
    RemoveRegistry {
        /// The view.
        view: View,
        /// The predefined key.
        root: Root,
        /// The key below it.
        key: String,
        /// The value's name (`-`: the whole key).
        name: Option<String>,
    },
    /// A value the installer itself writes (product registration, SharedDLLs counts).
    Set {
        /// The view.
        view: View,
        /// The predefined key.
        root: Root,
        /// The key below it.
        key: String,
        /// The value's name (`None`: the default value).
        name: Option<String>,
        /// The data.
        value: Value,
    },
    /// A value the installer itself deletes; the keys left empty go with it.
    DeleteValue {
        /// The view.
        view: View,
        /// The predefined key.
        root: Root,
        /// The key below it.
        key: String,
        /// The value's name.
        name: Option<String>,
    },
    /// A reference count (a SharedDLLs value) changed by `delta`: deleted when it reaches
    /// zero; a missing count is created only when `create` says so.
    Count {
        /// The view.
        view: View,
        /// The predefined key.
        root: Root,
        /// The key below it.
        key: String,
        /// The value's name (the shared file's path).
        name: String,
        /// +1 or -1.
        delta: i32,
        /// Start a count that does not exist yet.
        create: bool,
    },
    /// An Environment table row (WriteEnvironmentStrings, RemoveEnvironmentStrings),
    /// applied against the variable's value at commit.
    Environment {
        /// `HKEY_LOCAL_MACHINE` (system) or `HKEY_CURRENT_USER` (user).
        root: Root,
        /// The environment's key.
        key: String,
        /// The variable.
        name: String,
        /// What the row does.
        change: environment::EnvChange,
    },
    /// A service's key (InstallServices, MsiConfigureServices), applied against the key as
    /// it is at commit.
    Service(services::ServiceChange),
    /// A value a registration wrote (RegisterClassInfo...), deleted by its Unregister action
    /// only while it still holds what was written (another product may have written its own
    /// since); the keys left empty go with it.
    DeleteOwnValue {
        /// The view.
        view: View,
        /// The predefined key.
        root: Root,
        /// The key below it.
        key: String,
        /// The value's name (`None`: the default value).
        name: Option<String>,
        /// What the registration wrote.
        value: Value,
    },
    /// A key the installer itself deletes with everything in it (a product's registration);
    /// in a root's own registry (not a Wine prefix's) the parents left empty go with it.
    DeleteTree {
        /// The view.
        view: View,
        /// The predefined key.
        root: Root,
        /// The key below it.
        key: String,
    },
}

/// The view a component's registry rows are written in: a 64-bit component
/// (`msidbComponentAttributes64bit`) writes the 64-bit view; any other writes the 32-bit
/// view on the `windows` layout and in a Wine prefix (a 64-bit Windows, where 32-bit
/// components are redirected to `Wow6432Node` as "Registry Redirector" describes), and the
/// only view there is on the `fhs` layout.
pub(crate) fn component_view(layout: Layout, attributes: i32) -> View {
    if attributes & package::tables::component::ATTR_64BIT != 0 || !layout.is_windows() {
        View::Native64
    } else {
        View::Wow32
    }
}

/// The view the product's Uninstall entry lands in: the 32-bit one for an Intel package
/// on the `windows` layout, as a 32-bit package's entry lands under `Wow6432Node` on
/// 64-bit Windows.
pub(crate) fn package_view(layout: Layout, template: &str) -> View {
    let platform = template.split(';').next().unwrap_or("");
    let is64 = platform
        .split(',')
        .any(|p| matches!(p.trim(), "x64" | "Intel64" | "Arm64" | "AMD64"));
    if layout.is_windows() && !is64 {
        View::Wow32
    } else {
        View::Native64
    }
}

/// The values each product's Registry rows wrote, as written (what `rmsi verify` compares
/// the registry with): beside the `winreg_` tables, in the engine's own table.
const PRODUCT_VALUES: &str = "
CREATE TABLE IF NOT EXISTS product_values (
    product_code TEXT NOT NULL,
    view         INTEGER NOT NULL,
    root         TEXT NOT NULL,
    key          TEXT NOT NULL,
    name         TEXT NOT NULL,
    type         INTEGER NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (product_code, view, root, key, name)
) WITHOUT ROWID;
";

/// A value a product's Registry row wrote (see [`product_values`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrittenValue {
    /// The view it was written in.
    pub(crate) view: View,
    /// The predefined key.
    pub(crate) root: Root,
    /// The key below it.
    pub(crate) key: String,
    /// The value's name (`None`: the default value).
    pub(crate) name: Option<String>,
    /// What was written.
    pub(crate) value: Value,
}

/// Applies `changes`, in order, on the registry kept in `conn` (the caller's transaction);
/// the tables are created first when missing. The values a Registry row writes are noted
/// for `product` (forgotten first when `forget` says the product goes or is recorded anew).
/// With `wine`, the registry changed is that Wine prefix's (in memory: the caller writes its
/// files), and only the noted values are kept in `conn`.
pub(crate) fn apply(
    conn: &rusqlite::Connection,
    product: Option<&str>,
    forget: bool,
    changes: &[RegChange],
    wine: Option<&mut winreg::WinePrefix>,
) -> winreg::Result<()> {
    conn.execute_batch(PRODUCT_VALUES)?;
    if let (Some(code), true) = (product, forget) {
        conn.execute("DELETE FROM product_values WHERE product_code = ?1", [code])?;
    }
    match wine {
        // A prefix's registry holds the system's own keys (the empty `Uninstall` key Wine
        // makes at boot): there a product's keys go alone, as Windows Installer removes
        // them, and the parents stay.
        Some(prefix) => {
            let sid = prefix.user_sid().to_string();
            apply_to(
                &mut Registry::new(prefix, sid),
                conn,
                product,
                changes,
                false,
            )
        }
        // A root's own registry holds only what installations wrote: the parents left
        // empty go with the product's keys, so that a root ends as it was.
        None => {
            winreg::schema(conn)?;
            apply_to(
                &mut Registry::new(SqliteStore::new(conn), USER_SID),
                conn,
                product,
                changes,
                true,
            )
        }
    }
}

/// Applies `changes` to `reg`; `prune_trees`: whether a [`RegChange::DeleteTree`] takes the
/// parents it leaves empty with it.
fn apply_to<S: winreg::Store>(
    reg: &mut Registry<S>,
    conn: &rusqlite::Connection,
    product: Option<&str>,
    changes: &[RegChange],
    prune_trees: bool,
) -> winreg::Result<()> {
    for change in changes {
        match change {
            RegChange::WriteRow {
                view,
                root,
                key,
                row,
            } => {
                let written = winreg::msi::write_row(reg, *view, *root, key, row)?;
                if let (Some(code), Some(value), RegistryRow::Value { name, .. }) =
                    (product, written, row)
                {
                    conn.prepare_cached(
                        "INSERT OR REPLACE INTO product_values (product_code, view, root, key, name, type, data)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )?
                    .execute(rusqlite::params![
                        code,
                        i32::from(*view == View::Wow32),
                        root.short_name(),
                        key,
                        name.as_deref().unwrap_or(""),
                        value.kind(),
                        value.to_bytes()
                    ])?;
                }
            }
            RegChange::RemoveRow {
                view,
                root,
                key,
                row,
            } => {
                winreg::msi::remove_row(reg, *view, *root, key, row)?;
                if let (Some(code), RegistryRow::Value { name, .. }) = (product, row) {
                    conn.prepare_cached(
                        "DELETE FROM product_values WHERE product_code = ?1 AND view = ?2
                         AND root = ?3 AND key = ?4 AND name = ?5",
                    )?
                    .execute(rusqlite::params![
                        code,
                        i32::from(*view == View::Wow32),
                        root.short_name(),
                        key,
                        name.as_deref().unwrap_or("")
                    ])?;
                }
            }
            RegChange::RemoveRegistry {
                view,
                root,
                key,
                name,
            } => {
                winreg::msi::remove_registry_row(reg, *view, *root, key, name.as_deref())?;
                reg.delete_empty_keys(*view, *root, parent_or_self(key, name.as_deref()))?;
            }
            RegChange::Set {
                view,
                root,
                key,
                name,
                value,
            } => reg.set(*view, *root, key, name.as_deref(), value)?,
            RegChange::DeleteValue {
                view,
                root,
                key,
                name,
            } => {
                reg.delete_value(*view, *root, key, name.as_deref())?;
                reg.delete_empty_keys(*view, *root, key)?;
            }
            RegChange::Count {
                view,
                root,
                key,
                name,
                delta,
                create,
            } => {
                let old = match reg.get(*view, *root, key, Some(name))? {
                    Some(Value::Dword(n)) => Some(i64::from(n)),
                    _ => None,
                };
                match (old, create) {
                    (None, false) => {}
                    (old, _) => {
                        let new = old.unwrap_or(0) + i64::from(*delta);
                        if new > 0 {
                            let n = u32::try_from(new).unwrap_or(u32::MAX);
                            reg.set(*view, *root, key, Some(name), &Value::Dword(n))?;
                        } else if old.is_some() {
                            reg.delete_value(*view, *root, key, Some(name))?;
                            reg.delete_empty_keys(*view, *root, key)?;
                        }
                    }
                }
            }
            RegChange::Environment {
                root,
                key,
                name,
                change,
            } => {
                // The environment keys are shared by both views ("Registry Keys Affected by
                // WOW64").
                let view = View::Native64;
                let old = reg.get(view, *root, key, Some(name))?;
                match environment::apply(old.as_ref(), change) {
                    Some(Some(new)) => reg.set(view, *root, key, Some(name), &new)?,
                    // The keys left empty go with it, as with every value the installer
                    // deletes: a root the product alone wrote to ends empty.
                    Some(None) => {
                        reg.delete_value(view, *root, key, Some(name))?;
                        reg.delete_empty_keys(view, *root, key)?;
                    }
                    None => {}
                }
            }
            RegChange::Service(change) => services::apply(reg, change)?,
            RegChange::DeleteOwnValue {
                view,
                root,
                key,
                name,
                value,
            } => {
                if reg.get(*view, *root, key, name.as_deref())?.as_ref() == Some(value) {
                    reg.delete_value(*view, *root, key, name.as_deref())?;
                    reg.delete_empty_keys(*view, *root, key)?;
                }
            }
            RegChange::DeleteTree { view, root, key } => {
                reg.delete_key(*view, *root, key, true)?;
                if let Some((parent, _)) = key.rsplit_once('\\')
                    && prune_trees
                {
                    reg.delete_empty_keys(*view, *root, parent)?;
                }
            }
        }
    }
    Ok(())
}

/// After a RemoveRegistry row: the key whose emptiness to check (its parent when the row
/// deleted the whole key).
fn parent_or_self<'k>(key: &'k str, name: Option<&str>) -> &'k str {
    if name == Some("-") {
        key.rsplit_once('\\').map_or("", |(p, _)| p)
    } else {
        key
    }
}

/// `RMSI_TEST_CRASH_AFTER_STATE=1`: test-only hook (nothing else reads this variable) that
/// kills the process with `SIGKILL` right after the product database was written, before the
/// transaction commits, so that a crash test can check that the next run puts the database
/// (product records and registry) back as it was.
pub(crate) fn crash_after_state_write() {
    if std::env::var("RMSI_TEST_CRASH_AFTER_STATE").is_ok_and(|v| v.trim() == "1") {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
    }
}

/// The values `product`'s Registry rows wrote, as written.
pub(crate) fn product_values(
    conn: &rusqlite::Connection,
    product: &str,
) -> rusqlite::Result<Vec<WrittenValue>> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'product_values')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT view, root, key, name, type, data FROM product_values
         WHERE product_code = ?1 COLLATE NOCASE ORDER BY root, key, name",
    )?;
    let rows = stmt.query_map([product], |r| {
        let root: String = r.get(1)?;
        let name: String = r.get(3)?;
        let kind: u32 = r.get(4)?;
        let data: Vec<u8> = r.get(5)?;
        Ok(WrittenValue {
            view: if r.get::<_, i32>(0)? == 1 {
                View::Wow32
            } else {
                View::Native64
            },
            root: Root::from_name(&root).unwrap_or(Root::LocalMachine),
            key: r.get(2)?,
            name: (!name.is_empty()).then_some(name),
            value: Value::from_raw(kind, &data),
        })
    })?;
    rows.collect()
}

/// Whether `conn` holds the registry's tables (a database written before the registry
/// existed, or one that never held a value, has none).
pub(crate) fn has_tables(conn: &rusqlite::Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'winreg_schema')",
        [],
        |r| r.get(0),
    )
}

/// Whether the registry in `conn` holds no value at all (every key a product made went
/// with it): then nothing in the database needs keeping.
pub(crate) fn is_empty(conn: &rusqlite::Connection) -> rusqlite::Result<bool> {
    if !has_tables(conn)? {
        return Ok(true);
    }
    let values: i64 = conn.query_row("SELECT COUNT(*) FROM winreg_values", [], |r| r.get(0))?;
    // The hives themselves (and HKEY_USERS\<SID>) are no product's keys.
    let keys: i64 = conn.query_row(
        "SELECT COUNT(*) FROM winreg_keys WHERE parent IS NOT NULL AND parent <> 'HKEY_USERS'",
        [],
        |r| r.get(0),
    )?;
    Ok(values == 0 && keys == 0)
}

/// A GUID in the 20-character form Windows Installer keeps component lists in
/// (`Installer\UserData\…\Features`): the GUID's four 32-bit words (its bytes in memory
/// order), each written as five base-85 digits, least significant first.
///
/// Hand-written: no crate encodes this Windows-private alphabet.
pub(crate) fn base85_guid(guid: &str) -> Option<String> {
    const DIGITS: &[u8; 85] =
        b"!$%&'()*+,-.0123456789=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{}~";
    let hex: String = guid
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .chars()
        .filter(|c| *c != '-')
        .collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let n = |from: usize, len: usize| u32::from_str_radix(&hex[from..from + len], 16).ok();
    let data1 = n(0, 8)?;
    let data2 = n(8, 4)?;
    let data3 = n(12, 4)?;
    let mut data4 = [0u8; 8];
    for (i, b) in data4.iter_mut().enumerate() {
        *b = u8::try_from(n(16 + 2 * i, 2)?).ok()?;
    }
    let words = [
        data1,
        data2 | (data3 << 16),
        u32::from_le_bytes([data4[0], data4[1], data4[2], data4[3]]),
        u32::from_le_bytes([data4[4], data4[5], data4[6], data4[7]]),
    ];
    let mut out = String::with_capacity(20);
    for mut w in words {
        for _ in 0..5 {
            out.push(char::from(DIGITS[(w % 85) as usize]));
            w /= 85;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base85_round_trips_through_the_word_order() {
        // All-zero and all-one GUIDs: each word's digits, least significant first.
        assert_eq!(
            base85_guid("{00000000-0000-0000-0000-000000000000}").as_deref(),
            Some("!!!!!!!!!!!!!!!!!!!!")
        );
        let ones = base85_guid("{FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF}").unwrap();
        // 0xFFFFFFFF = 4294967295 = 85^5 - ... : the digits of each word agree.
        assert_eq!(&ones[0..5], &ones[5..10]);
        assert_eq!(&ones[0..5], &ones[15..20]);
        let mut w: u32 = 0xFFFF_FFFF;
        let mut expect = String::new();
        for _ in 0..5 {
            expect.push(char::from(
                b"!$%&'()*+,-.0123456789=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{}~"
                    [(w % 85) as usize],
            ));
            w /= 85;
        }
        assert_eq!(&ones[0..5], expect);
        // Data1 is the first word: 1 is the second digit of the alphabet first.
        assert_eq!(
            base85_guid("{00000001-0000-0000-0000-000000000000}").as_deref(),
            Some("$!!!!!!!!!!!!!!!!!!!")
        );
        assert_eq!(base85_guid("not a guid"), None);
    }

    #[test]
    fn views_follow_the_layout_and_the_platform() {
        assert_eq!(component_view(Layout::Windows, 0), View::Wow32);
        assert_eq!(component_view(Layout::Windows, 0x100), View::Native64);
        assert_eq!(component_view(Layout::Fhs, 0), View::Native64);
        assert_eq!(package_view(Layout::Windows, "Intel;1033"), View::Wow32);
        assert_eq!(package_view(Layout::Windows, "x64;1033"), View::Native64);
        assert_eq!(package_view(Layout::Fhs, "Intel;1033"), View::Native64);
    }
}
