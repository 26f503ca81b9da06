//! `.reg` export and `reg query --json` of a registry built through the public API,
//! against golden text.

use rusqlite::Connection;
use winreg::{
    DEFAULT_USER_SID, LineEnding, QueryResult, Registry, Root, SqliteStore, Value, View, export_reg,
};

fn vendor(reg: &mut Registry<SqliteStore<'_>>) {
    let n = View::Native64;
    let k = "Software\\Vendor";
    let set = |reg: &mut Registry<SqliteStore<'_>>, key: &str, name: Option<&str>, v: Value| {
        reg.set(n, Root::LocalMachine, key, name, &v).unwrap()
    };
    set(reg, k, None, Value::Sz("Default \"quoted\"".into()));
    set(
        reg,
        k,
        Some("Path"),
        Value::Sz("C:\\Program Files\\Vendor".into()),
    );
    set(reg, k, Some("Count"), Value::Dword(42));
    set(reg, k, Some("Env"), Value::ExpandSz("%PATH%;x".into()));
    set(
        reg,
        k,
        Some("List"),
        Value::MultiSz(vec!["a".into(), "b c".into()]),
    );
    set(reg, k, Some("Big"), Value::Qword(0x0102_0304_0506_0708));
    set(reg, k, Some("Blob"), Value::Binary((0..40).collect()));
    reg.create_key(n, Root::LocalMachine, "Software\\Vendor\\Sub")
        .unwrap();
    set(
        reg,
        "Software\\Vendor\\a",
        Some("x"),
        Value::Sz(String::new()),
    );
}

const GOLDEN: &str = r#"Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\Software\Vendor]
@="Default \"quoted\""
"Path"="C:\\Program Files\\Vendor"
"Count"=dword:0000002a
"Env"=hex(2):25,00,50,00,41,00,54,00,48,00,25,00,3b,00,78,00,00,00
"List"=hex(7):61,00,00,00,62,00,20,00,63,00,00,00,00,00
"Big"=hex(b):08,07,06,05,04,03,02,01
"Blob"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,\
  16,17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,26,27

[HKEY_LOCAL_MACHINE\Software\Vendor\a]
"x"=""

[HKEY_LOCAL_MACHINE\Software\Vendor\Sub]

"#;

#[test]
fn export_matches_regedit_text() {
    let mut conn = Connection::open_in_memory().unwrap();
    let tx = conn.transaction().unwrap();
    winreg::schema(&tx).unwrap();
    let mut reg = Registry::new(SqliteStore::new(&tx), DEFAULT_USER_SID);
    vendor(&mut reg);
    let lf = export_reg(
        &reg,
        &[(Root::LocalMachine, "Software\\Vendor")],
        LineEnding::Lf,
    )
    .unwrap();
    assert_eq!(lf, GOLDEN);
    let crlf = export_reg(
        &reg,
        &[(Root::LocalMachine, "Software\\Vendor")],
        LineEnding::Crlf,
    )
    .unwrap();
    assert_eq!(crlf, GOLDEN.replace('\n', "\r\n"));
    // The whole registry starts at the hives.
    let all = export_reg(&reg, &[], LineEnding::Lf).unwrap();
    assert!(all.starts_with(
        "Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE]\n\n[HKEY_LOCAL_MACHINE\\Software]\n\n[HKEY_LOCAL_MACHINE\\Software\\Vendor]\n"
    ));
    assert!(all.ends_with("[HKEY_USERS]\n\n"));
    assert!(matches!(
        export_reg(&reg, &[(Root::LocalMachine, "Software\\Nope")], LineEnding::Lf),
        Err(winreg::Error::KeyNotFound(k)) if k == "HKEY_LOCAL_MACHINE\\Software\\Nope"
    ));
}

#[test]
fn query_json_has_the_cli_shape() {
    let mut conn = Connection::open_in_memory().unwrap();
    let tx = conn.transaction().unwrap();
    winreg::schema(&tx).unwrap();
    let mut reg = Registry::new(SqliteStore::new(&tx), DEFAULT_USER_SID);
    vendor(&mut reg);
    let q = QueryResult::query(
        &reg,
        View::Native64,
        Root::LocalMachine,
        "software\\vendor",
        None,
    )
    .unwrap()
    .unwrap();
    let json = serde_json::to_value(&q).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "key": "HKEY_LOCAL_MACHINE\\software\\vendor",
            "values": [
                {"name": null, "type": "REG_SZ", "data": "Default \"quoted\""},
                {"name": "Path", "type": "REG_SZ", "data": "C:\\Program Files\\Vendor"},
                {"name": "Count", "type": "REG_DWORD", "data": 42},
                {"name": "Env", "type": "REG_EXPAND_SZ", "data": "%PATH%;x"},
                {"name": "List", "type": "REG_MULTI_SZ", "data": ["a", "b c"]},
                {"name": "Big", "type": "REG_QWORD", "data": 0x0102_0304_0506_0708u64},
                {"name": "Blob", "type": "REG_BINARY",
                 "data": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627"},
            ],
            "subkeys": ["a", "Sub"],
        })
    );
    // It reads back through serde with unknown fields refused.
    let back: QueryResult = serde_json::from_value(json).unwrap();
    assert_eq!(back, q);
    let one = QueryResult::query(
        &reg,
        View::Native64,
        Root::LocalMachine,
        "Software\\Vendor",
        Some(Some("count")),
    )
    .unwrap()
    .unwrap();
    assert_eq!(one.values.len(), 1);
    assert!(one.subkeys.is_empty());
    let default = QueryResult::query(
        &reg,
        View::Native64,
        Root::LocalMachine,
        "Software\\Vendor",
        Some(None),
    )
    .unwrap()
    .unwrap();
    assert_eq!(default.values[0].name, None);
    assert!(
        QueryResult::query(
            &reg,
            View::Native64,
            Root::LocalMachine,
            "Software\\Vendor",
            Some(Some("nope"))
        )
        .unwrap()
        .is_none()
    );
    assert!(
        QueryResult::query(
            &reg,
            View::Native64,
            Root::LocalMachine,
            "Software\\Nope",
            None
        )
        .unwrap()
        .is_none()
    );
}
