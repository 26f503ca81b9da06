//! The registry in SQLite through the public API: every value type round trips, the
//! caller's transaction covers the registry, views and roots land where Windows puts them.

use rusqlite::Connection;
use winreg::msi::{self, RegistryRow};
use winreg::{DEFAULT_USER_SID, Registry, Root, SqliteStore, Value, View};

const SID: &str = DEFAULT_USER_SID;

fn all_kinds() -> Vec<(&'static str, Value)> {
    vec![
        (
            "sz",
            Value::Sz("C:\\Program Files\\PuTTY\\putty.exe".into()),
        ),
        ("expand", Value::ExpandSz("%SystemRoot%\\x".into())),
        ("multi", Value::MultiSz(vec!["a".into(), "b c".into()])),
        ("dword", Value::Dword(0xdead_beef)),
        ("qword", Value::Qword(u64::MAX - 1)),
        ("binary", Value::Binary(vec![0, 1, 0xfe, 0xff])),
        ("none", Value::None(vec![7])),
        (
            "odd",
            Value::Other {
                kind: 0x4242,
                data: vec![1, 2, 3],
            },
        ),
        ("unicode ä€😀", Value::Sz("ä€😀\0inner".into())),
    ]
}

#[test]
fn every_type_round_trips_and_rollback_forgets_everything() {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE products (code TEXT PRIMARY KEY)")
        .unwrap();
    {
        let tx = conn.transaction().unwrap();
        winreg::schema(&tx).unwrap();
        tx.execute("INSERT INTO products VALUES ('{P}')", [])
            .unwrap();
        let mut reg = Registry::new(SqliteStore::new(&tx), SID);
        for (name, value) in all_kinds() {
            reg.set(
                View::Native64,
                Root::LocalMachine,
                "Software\\T",
                Some(name),
                &value,
            )
            .unwrap();
        }
        reg.set(
            View::Native64,
            Root::LocalMachine,
            "Software\\T",
            None,
            &Value::Sz("def".into()),
        )
        .unwrap();
        for (name, value) in all_kinds() {
            assert_eq!(
                reg.get(
                    View::Native64,
                    Root::LocalMachine,
                    "software\\t",
                    Some(&name.to_uppercase())
                )
                .unwrap()
                .as_ref(),
                Some(&value),
                "{name}"
            );
        }
        // Enumeration keeps the order values were first set; rewriting keeps the place.
        reg.set(
            View::Native64,
            Root::LocalMachine,
            "Software\\T",
            Some("SZ"),
            &Value::Dword(1),
        )
        .unwrap();
        let values = reg
            .values(View::Native64, Root::LocalMachine, "Software\\T")
            .unwrap()
            .unwrap();
        let names: Vec<Option<&str>> = values.iter().map(|v| v.name.as_deref()).collect();
        let mut expected: Vec<Option<&str>> = all_kinds().iter().map(|(n, _)| Some(*n)).collect();
        expected.push(None);
        assert_eq!(names, expected);
        assert_eq!(values[0].value, Value::Dword(1));
        drop(reg);
        tx.rollback().unwrap();
    }
    // One rollback took the caller's row, the registry and its schema.
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'winreg%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
    let products: i64 = conn
        .query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0))
        .unwrap();
    assert_eq!(products, 0);
}

#[test]
fn committed_changes_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("products.db");
    {
        let mut conn = Connection::open(&db).unwrap();
        let tx = conn.transaction().unwrap();
        winreg::schema(&tx).unwrap();
        let mut reg = Registry::new(SqliteStore::new(&tx), SID);
        reg.set(
            View::Native64,
            Root::CurrentUser,
            "Software\\SimonTatham\\PuTTY",
            Some("x"),
            &Value::Dword(5),
        )
        .unwrap();
        drop(reg);
        tx.commit().unwrap();
    }
    // A read-only connection reads it (`rmsi reg query` needs no write access).
    let conn =
        Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    assert_eq!(winreg::schema(&conn).unwrap(), winreg::SCHEMA_VERSION);
    let reg = Registry::new(SqliteStore::new(&conn), SID);
    // HKEY_CURRENT_USER is the user's key under HKEY_USERS.
    assert_eq!(
        reg.get(
            View::Native64,
            Root::Users,
            &format!("{SID}\\Software\\SimonTatham\\PuTTY"),
            Some("x")
        )
        .unwrap(),
        Some(Value::Dword(5))
    );
    assert_eq!(
        reg.subkeys(View::Native64, Root::Users, "")
            .unwrap()
            .unwrap(),
        [SID]
    );
}

fn with_registry(f: impl FnOnce(&mut Registry<SqliteStore<'_>>)) {
    let mut conn = Connection::open_in_memory().unwrap();
    let tx = conn.transaction().unwrap();
    winreg::schema(&tx).unwrap();
    let mut reg = Registry::new(SqliteStore::new(&tx), SID);
    f(&mut reg);
}

#[test]
fn keys_are_case_insensitive_and_case_preserving() {
    with_registry(|reg| {
        reg.create_key(
            View::Native64,
            Root::LocalMachine,
            "Software\\SimonTatham\\PuTTY",
        )
        .unwrap();
        reg.create_key(
            View::Native64,
            Root::LocalMachine,
            "SOFTWARE\\SIMONTATHAM\\Other",
        )
        .unwrap();
        assert_eq!(
            reg.subkeys(View::Native64, Root::LocalMachine, "software\\simontatham")
                .unwrap()
                .unwrap(),
            ["Other", "PuTTY"]
        );
        assert_eq!(
            reg.subkeys(View::Native64, Root::LocalMachine, "")
                .unwrap()
                .unwrap(),
            ["Software"]
        );
        assert_eq!(
            reg.subkeys(View::Native64, Root::LocalMachine, "Nope")
                .unwrap(),
            None
        );
        assert!(
            reg.delete_key(View::Native64, Root::LocalMachine, "", true)
                .is_err()
        );
        assert!(
            reg.delete_key(
                View::Native64,
                Root::LocalMachine,
                "software\\SimonTatham",
                false
            )
            .is_err()
        );
        assert!(
            reg.delete_key(
                View::Native64,
                Root::LocalMachine,
                "software\\SimonTatham",
                true
            )
            .unwrap()
        );
        assert!(
            !reg.key_exists(
                View::Native64,
                Root::LocalMachine,
                "Software\\SimonTatham\\PuTTY"
            )
            .unwrap()
        );
    });
}

#[test]
fn classes_root_merges_user_over_machine() {
    with_registry(|reg| {
        let n = View::Native64;
        reg.set(
            n,
            Root::LocalMachine,
            "Software\\Classes\\.ppk",
            None,
            &Value::Sz("machine".into()),
        )
        .unwrap();
        reg.set(
            n,
            Root::LocalMachine,
            "Software\\Classes\\.ppk\\ShellNew",
            None,
            &Value::Sz("m".into()),
        )
        .unwrap();
        reg.set(
            n,
            Root::LocalMachine,
            "Software\\Classes\\.txt",
            None,
            &Value::Sz("txtfile".into()),
        )
        .unwrap();
        assert_eq!(
            reg.get(n, Root::ClassesRoot, ".ppk", None).unwrap(),
            Some(Value::Sz("machine".into()))
        );
        // A write through HKCR goes to the machine's half while the user has no such key.
        reg.set(n, Root::ClassesRoot, ".new", None, &Value::Sz("x".into()))
            .unwrap();
        assert!(
            reg.key_exists(n, Root::LocalMachine, "Software\\Classes\\.new")
                .unwrap()
        );
        // Once the user has the key, reads (values and all) and writes use the user's.
        reg.set(
            n,
            Root::CurrentUser,
            "Software\\Classes\\.ppk",
            Some("Content Type"),
            &Value::Sz("u".into()),
        )
        .unwrap();
        assert_eq!(reg.get(n, Root::ClassesRoot, ".ppk", None).unwrap(), None);
        assert_eq!(
            reg.get(n, Root::ClassesRoot, ".ppk", Some("content type"))
                .unwrap(),
            Some(Value::Sz("u".into()))
        );
        reg.set(
            n,
            Root::ClassesRoot,
            ".ppk",
            None,
            &Value::Sz("user".into()),
        )
        .unwrap();
        assert_eq!(
            reg.get(n, Root::CurrentUser, "Software\\Classes\\.ppk", None)
                .unwrap(),
            Some(Value::Sz("user".into()))
        );
        assert_eq!(
            reg.get(n, Root::LocalMachine, "Software\\Classes\\.ppk", None)
                .unwrap(),
            Some(Value::Sz("machine".into()))
        );
        // Keys created through HKCR go to the machine's half, even next to a user's key.
        reg.create_key(n, Root::ClassesRoot, ".ppk\\ShellEx")
            .unwrap();
        assert!(
            reg.key_exists(n, Root::LocalMachine, "Software\\Classes\\.ppk\\ShellEx")
                .unwrap()
        );
        reg.delete_key(
            n,
            Root::LocalMachine,
            "Software\\Classes\\.ppk\\ShellEx",
            false,
        )
        .unwrap();
        // Subkeys: the union of both halves.
        reg.create_key(
            n,
            Root::CurrentUser,
            "Software\\Classes\\.PPK\\OpenWithProgids",
        )
        .unwrap();
        assert_eq!(
            reg.subkeys(n, Root::ClassesRoot, ".ppk").unwrap().unwrap(),
            ["OpenWithProgids", "ShellNew"]
        );
        assert_eq!(
            reg.subkeys(n, Root::ClassesRoot, "").unwrap().unwrap(),
            [".new", ".ppk", ".txt"]
        );
    });
}

#[test]
fn wow64_places_keys_as_windows_7_does() {
    with_registry(|reg| {
        let (w, n) = (View::Wow32, View::Native64);
        let uninstall = "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{P}";
        reg.set(
            w,
            Root::LocalMachine,
            uninstall,
            Some("DisplayName"),
            &Value::Sz("x86".into()),
        )
        .unwrap();
        // "Registry Keys Affected by WOW64": SOFTWARE is redirected...
        assert_eq!(
            reg.get(
                n,
                Root::LocalMachine,
                &format!("Software\\Wow6432Node\\{}", &uninstall[9..]),
                Some("DisplayName")
            )
            .unwrap(),
            Some(Value::Sz("x86".into()))
        );
        assert_eq!(
            reg.get(n, Root::LocalMachine, uninstall, Some("DisplayName"))
                .unwrap(),
            None
        );
        // ...Classes is shared, but its CLSID is redirected...
        reg.set(
            w,
            Root::ClassesRoot,
            ".ppk",
            None,
            &Value::Sz("PuTTYPrivateKey".into()),
        )
        .unwrap();
        assert!(
            reg.key_exists(n, Root::LocalMachine, "Software\\Classes\\.ppk")
                .unwrap()
        );
        reg.set(
            w,
            Root::ClassesRoot,
            "CLSID\\{C}\\InprocServer32",
            None,
            &Value::Sz("x.dll".into()),
        )
        .unwrap();
        assert!(
            reg.key_exists(
                n,
                Root::LocalMachine,
                "Software\\Classes\\Wow6432Node\\CLSID\\{C}"
            )
            .unwrap()
        );
        // ...reachable also through the Wow6432Node\Classes link...
        assert!(
            reg.key_exists(
                n,
                Root::LocalMachine,
                "Software\\Wow6432Node\\Classes\\CLSID\\{C}"
            )
            .unwrap()
        );
        assert!(
            reg.key_exists(n, Root::ClassesRoot, "Wow6432Node\\CLSID\\{C}")
                .unwrap()
        );
        assert!(!reg.key_exists(n, Root::ClassesRoot, "CLSID\\{C}").unwrap());
        // ...App Paths and Fonts are shared...
        let app_paths = "Software\\Microsoft\\Windows\\CurrentVersion\\App Paths\\putty.exe";
        reg.set(
            w,
            Root::LocalMachine,
            app_paths,
            None,
            &Value::Sz("p".into()),
        )
        .unwrap();
        assert!(reg.key_exists(n, Root::LocalMachine, app_paths).unwrap());
        // ...and HKCU\Software is shared, its Classes\Interface redirected.
        reg.set(
            w,
            Root::CurrentUser,
            "Software\\Vendor",
            Some("v"),
            &Value::Dword(1),
        )
        .unwrap();
        assert!(
            reg.key_exists(n, Root::CurrentUser, "Software\\Vendor")
                .unwrap()
        );
        reg.create_key(w, Root::CurrentUser, "Software\\Classes\\Interface\\{I}")
            .unwrap();
        assert!(
            reg.key_exists(
                n,
                Root::CurrentUser,
                "Software\\Classes\\Wow6432Node\\Interface\\{I}"
            )
            .unwrap()
        );
        // Machine keys outside SOFTWARE are shared.
        reg.create_key(
            w,
            Root::LocalMachine,
            "SYSTEM\\CurrentControlSet\\Services\\x",
        )
        .unwrap();
        assert!(
            reg.key_exists(
                n,
                Root::LocalMachine,
                "SYSTEM\\CurrentControlSet\\Services\\x"
            )
            .unwrap()
        );
    });
}

#[test]
fn install_then_uninstall_rows_leaves_the_registry_as_it_was() {
    with_registry(|reg| {
        let n = View::Native64;
        let env = "SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment";
        // Something else's values, before the product.
        reg.set(
            n,
            Root::LocalMachine,
            env,
            Some("List"),
            &Value::MultiSz(vec!["x".into(), "a".into()]),
        )
        .unwrap();
        let rows = [
            ("Software\\Vendor\\App", Some("Version"), Some("#x0102")),
            ("Software\\Vendor\\App", Some("Count"), Some("#42")),
            ("Software\\Vendor\\App", None, Some("##hash")),
            ("Software\\Vendor\\App\\Sub", Some("+"), None),
            ("Software\\Vendor\\Keep", Some("*"), None),
            ("Software\\Vendor\\Gone", Some("-"), None),
            (env, Some("List"), Some("[~]a[~]b")),
        ];
        for (key, name, value) in rows {
            let row = RegistryRow::parse(name, value.map(|v| v.replace("[~]", "\0")).as_deref());
            msi::write_row(reg, n, Root::LocalMachine, key, &row).unwrap();
        }
        assert_eq!(
            reg.get(n, Root::LocalMachine, env, Some("List")).unwrap(),
            Some(Value::MultiSz(vec!["x".into(), "a".into(), "b".into()]))
        );
        assert_eq!(
            reg.get(n, Root::LocalMachine, "Software\\Vendor\\App", None)
                .unwrap(),
            Some(Value::Sz("#hash".into()))
        );
        assert!(
            !reg.key_exists(n, Root::LocalMachine, "Software\\Vendor\\Gone")
                .unwrap()
        );
        // Something the user added below a `-` key later, and to a `*` key.
        reg.set(
            n,
            Root::LocalMachine,
            "Software\\Vendor\\Gone\\Later",
            Some("u"),
            &Value::Dword(1),
        )
        .unwrap();
        reg.set(
            n,
            Root::LocalMachine,
            "Software\\Vendor\\Keep\\Later",
            Some("u"),
            &Value::Dword(1),
        )
        .unwrap();
        for (key, name, value) in rows.iter().rev() {
            let row = RegistryRow::parse(*name, value.map(|v| v.replace("[~]", "\0")).as_deref());
            msi::remove_row(reg, n, Root::LocalMachine, key, &row).unwrap();
        }
        // The `+` key stays until its parent is emptied; `-` and `*` keys go whole.
        assert!(
            !reg.key_exists(n, Root::LocalMachine, "Software\\Vendor\\Gone")
                .unwrap()
        );
        assert!(
            !reg.key_exists(n, Root::LocalMachine, "Software\\Vendor\\Keep")
                .unwrap()
        );
        assert!(
            reg.key_exists(n, Root::LocalMachine, "Software\\Vendor\\App\\Sub")
                .unwrap()
        );
        reg.delete_key(n, Root::LocalMachine, "Software\\Vendor\\App\\Sub", false)
            .unwrap();
        reg.delete_empty_keys(n, Root::LocalMachine, "Software\\Vendor\\App")
            .unwrap();
        assert_eq!(
            reg.subkeys(n, Root::LocalMachine, "").unwrap().unwrap(),
            ["SYSTEM"]
        );
        assert_eq!(
            reg.get(n, Root::LocalMachine, env, Some("List")).unwrap(),
            Some(Value::MultiSz(vec!["x".into()]))
        );
    });
}

#[test]
fn remove_registry_rows_delete_at_install() {
    with_registry(|reg| {
        let n = View::Native64;
        reg.set(
            n,
            Root::CurrentUser,
            "Software\\Old\\Sub",
            Some("a"),
            &Value::Dword(1),
        )
        .unwrap();
        reg.set(
            n,
            Root::CurrentUser,
            "Software\\Old2",
            Some("a"),
            &Value::Dword(1),
        )
        .unwrap();
        reg.set(
            n,
            Root::CurrentUser,
            "Software\\Old2",
            Some("b"),
            &Value::Dword(1),
        )
        .unwrap();
        msi::remove_registry_row(reg, n, Root::CurrentUser, "Software\\Old", Some("-")).unwrap();
        msi::remove_registry_row(reg, n, Root::CurrentUser, "Software\\Old2", Some("a")).unwrap();
        assert!(
            !reg.key_exists(n, Root::CurrentUser, "Software\\Old")
                .unwrap()
        );
        let left = reg
            .values(n, Root::CurrentUser, "Software\\Old2")
            .unwrap()
            .unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].name.as_deref(), Some("b"));
    });
}

#[test]
fn a_store_chosen_at_run_time() {
    let conn = Connection::open_in_memory().unwrap();
    winreg::schema(&conn).unwrap();
    let store: Box<dyn winreg::Store + '_> = Box::new(SqliteStore::new(&conn));
    let mut reg = Registry::new(store, SID);
    reg.set(
        View::Native64,
        Root::LocalMachine,
        "Software\\X",
        None,
        &Value::Dword(1),
    )
    .unwrap();
    // A second registry over the same connection sees the change.
    let again = Registry::new(SqliteStore::new(&conn), SID);
    assert_eq!(
        again
            .get(View::Native64, Root::LocalMachine, "Software\\X", None)
            .unwrap(),
        Some(Value::Dword(1))
    );
}
