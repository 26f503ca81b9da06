//! The Registry table's Value grammar, through the public API, with the examples of
//! Microsoft's "Registry table", "ICE70", "RegLocator table" and "RemoveRegistryValues
//! Action" pages. Values are given as formatted text: `[~]` already turned into NUL, as
//! `MsiFormatRecord` turns it.

use rusqlite::Connection;
use winreg::msi::{
    self, MultiSzOp, RegistryData, RegistryRow, RootTable, parse_value, reglocator_raw,
    resolve_root,
};
use winreg::{DEFAULT_USER_SID, Registry, Root, SqliteStore, Value, View};

fn formatted(column: &str) -> String {
    column.replace("[~]", "\0")
}

fn value(column: &str) -> Value {
    match parse_value(Some(&formatted(column))) {
        RegistryData::Value(v) => v,
        other => panic!("{column}: {other:?}"),
    }
}

fn strings(list: &[&str]) -> Value {
    Value::MultiSz(list.iter().map(|s| s.to_string()).collect())
}

#[test]
fn registry_table_prefixes() {
    // "#x: The value is interpreted and stored as a hexadecimal value (REG_BINARY)."
    assert_eq!(value("#x01AbFF"), Value::Binary(vec![0x01, 0xab, 0xff]));
    // "#%: ... an expandable string (REG_EXPAND_SZ)."
    assert_eq!(
        value("#%%ProgramFiles%\\App"),
        Value::ExpandSz("%ProgramFiles%\\App".into())
    );
    // "#: ... an integer (REG_DWORD)."
    assert_eq!(value("#42"), Value::Dword(42));
    // "If the value begins with two or more consecutive number signs (#), the first # is
    // ignored and value is interpreted and stored as a string."
    assert_eq!(value("##42"), Value::Sz("#42".into()));
    assert_eq!(value("###x1"), Value::Sz("##x1".into()));
    // "Otherwise, the value is interpreted and stored as a string (REG_SZ)."
    assert_eq!(value("42"), Value::Sz("42".into()));
}

#[test]
fn ice70_cases() {
    // Valid forms: ##str, #%unexpanded str, #xHex, #XHex, #+int, #-int, #int.
    assert_eq!(value("##str"), Value::Sz("#str".into()));
    assert_eq!(
        value("#%unexpanded str"),
        Value::ExpandSz("unexpanded str".into())
    );
    assert_eq!(value("#xA0"), Value::Binary(vec![0xa0]));
    assert_eq!(value("#XA0"), Value::Binary(vec![0xa0]));
    assert_eq!(value("#+7"), Value::Dword(7));
    assert_eq!(value("#-7"), Value::Dword(7u32.wrapping_neg()));
    assert_eq!(value("#7"), Value::Dword(7));
    // The page's invalid examples are still written by the installer, read as far as they
    // are numbers: "#12xz34" is 12, "#xz34" is the bytes 00 34.
    assert_eq!(value("#12xz34"), Value::Dword(12));
    assert_eq!(value("#xz34"), Value::Binary(vec![0x00, 0x34]));
    // "#[myproperty] is valid": the property may format to "#str", making "##str".
    let property = "#str";
    assert_eq!(value(&format!("#{property}")), Value::Sz("#str".into()));
}

#[test]
fn multi_strings_of_the_registry_table_page() {
    let multi = |column: &str| match parse_value(Some(&formatted(column))) {
        RegistryData::MultiSz { op, strings } => (op, strings),
        other => panic!("{column}: {other:?}"),
    };
    // "to specify a list containing the three strings a, b and c, use a[~]b[~]c".
    assert_eq!(
        multi("a[~]b[~]c"),
        (MultiSzOp::Replace, vec!["a".into(), "b".into(), "c".into()])
    );
    // "If a [~] precedes the string list, the strings are to be appended".
    assert_eq!(multi("[~]a[~]b").0, MultiSzOp::Append);
    // "If a [~] follows the end of the string list, the strings are to be prepended".
    assert_eq!(multi("a[~]b[~]").0, MultiSzOp::Prepend);
    // "at both the beginning and the end or at neither ...: replace".
    assert_eq!(multi("[~]a[~]b[~]").0, MultiSzOp::Replace);
    assert_eq!(multi("a[~]b").0, MultiSzOp::Replace);
}

#[test]
fn writing_and_removing_multi_strings() {
    let mut conn = Connection::open_in_memory().unwrap();
    let tx = conn.transaction().unwrap();
    winreg::schema(&tx).unwrap();
    let mut reg = Registry::new(SqliteStore::new(&tx), DEFAULT_USER_SID);
    let (n, root, key) = (View::Native64, Root::LocalMachine, "Software\\Lists");
    reg.set(n, root, key, Some("L"), &strings(&["x", "b", "y"]))
        .unwrap();
    let append = RegistryRow::parse(Some("L"), Some(&formatted("[~]a[~]b")));
    let prepend = RegistryRow::parse(Some("L"), Some(&formatted("c[~]")));
    // "If an appending string already occurs in the registry value, the original occurrence
    // of the string is removed."
    msi::write_row(&mut reg, n, root, key, &append).unwrap();
    assert_eq!(
        reg.get(n, root, key, Some("L")).unwrap(),
        Some(strings(&["x", "y", "a", "b"]))
    );
    msi::write_row(&mut reg, n, root, key, &prepend).unwrap();
    assert_eq!(
        reg.get(n, root, key, Some("L")).unwrap(),
        Some(strings(&["c", "x", "y", "a", "b"]))
    );
    // "RemoveRegistryValues ... removes only those strings from the registry value."
    msi::remove_row(&mut reg, n, root, key, &append).unwrap();
    msi::remove_row(&mut reg, n, root, key, &prepend).unwrap();
    assert_eq!(
        reg.get(n, root, key, Some("L")).unwrap(),
        Some(strings(&["x", "y"]))
    );
    // A replacing row's value goes whole, and the key with it once empty.
    let replace = RegistryRow::parse(Some("L"), Some(&formatted("p[~]q")));
    msi::write_row(&mut reg, n, root, key, &replace).unwrap();
    assert_eq!(
        reg.get(n, root, key, Some("L")).unwrap(),
        Some(strings(&["p", "q"]))
    );
    msi::remove_row(&mut reg, n, root, key, &replace).unwrap();
    assert!(!reg.key_exists(n, root, key).unwrap());
    assert!(!reg.key_exists(n, root, "Software").unwrap());
}

#[test]
fn roots_by_installation_context() {
    for (per_machine, root) in [(true, Root::LocalMachine), (false, Root::CurrentUser)] {
        let r = resolve_root(-1, per_machine, RootTable::Registry).unwrap();
        assert_eq!((r.root, r.key("Software\\X")), (root, "Software\\X".into()));
        let r = resolve_root(0, per_machine, RootTable::Registry).unwrap();
        assert_eq!(
            (r.root, r.key(".ppk")),
            (root, "Software\\Classes\\.ppk".into())
        );
    }
}

#[test]
fn reglocator_raw_values() {
    // "RegLocator table": REG_SZ as is (a leading # doubled), DWORD "#" and the number,
    // REG_EXPAND_SZ "#%", REG_BINARY "#x" and hex digits, REG_MULTI_SZ between NULs.
    assert_eq!(reglocator_raw(&Value::Sz("C:\\x".into())).unwrap(), "C:\\x");
    assert_eq!(reglocator_raw(&Value::Sz("#1".into())).unwrap(), "##1");
    assert_eq!(reglocator_raw(&Value::Dword(123)).unwrap(), "#123");
    assert_eq!(reglocator_raw(&Value::Dword(u32::MAX)).unwrap(), "#-1");
    assert_eq!(
        reglocator_raw(&Value::ExpandSz("%WINDIR%".into())).unwrap(),
        "#%%WINDIR%"
    );
    assert_eq!(
        reglocator_raw(&Value::Binary(vec![0xaa, 0xbb])).unwrap(),
        "#xAABB"
    );
    assert_eq!(
        reglocator_raw(&strings(&["a", "b"])).unwrap(),
        formatted("[~]a[~]b[~]")
    );
}
