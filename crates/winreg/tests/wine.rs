//! A real Wine prefix: keys written into its registry files with this crate are what
//! `wine reg query` and `wine reg export` see, and keys `wine reg add` writes are read back.
//!
//! Needs Debian's `wine` (`apt-get install wine`). Without it the test says so on stderr and
//! passes, unless `RMSI_REQUIRE_WINE=1` makes a missing Wine a failure. One prefix is booted
//! (`wineboot -i`, several seconds) for the whole file and removed at the end.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use winreg::{LineEnding, Registry, Root, Store, Value, View, WineHive, WinePrefix, export_reg};

fn wine(prefix: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(args[0])
        .args(&args[1..])
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env_remove("DISPLAY")
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Waits until the prefix's wineserver has saved the registry and exited.
fn settle(prefix: &Path) {
    wine(prefix, &["wineserver", "-w"]);
}

fn reg_query(prefix: &Path, key: &str) -> String {
    let out = wine(prefix, &["wine", "reg", "query", key]);
    String::from_utf8_lossy(&out.stdout).replace('\r', "")
}

/// `wine reg export` of a key, as UTF-8 text.
fn reg_export(prefix: &Path, key: &str) -> String {
    let file = prefix.join("drive_c").join("export.reg");
    wine(
        prefix,
        &["wine", "reg", "export", key, "C:\\export.reg", "/y"],
    );
    let bytes = fs_err::read(&file).unwrap();
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).unwrap();
    fs_err::remove_file(&file).unwrap();
    text.trim_start_matches('\u{feff}').to_string()
}

fn section<'a>(text: &'a str, header: &str) -> &'a str {
    let start = text
        .find(header)
        .unwrap_or_else(|| panic!("{header} missing"));
    let rest = &text[start..];
    let end = rest[1..].find("\n[").map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

#[test]
fn wine_prefix_round_trip() {
    if Command::new("wine").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("RMSI_REQUIRE_WINE").is_none(),
            "wine is required (RMSI_REQUIRE_WINE is set) but not installed"
        );
        eprintln!("wine is not installed: the Wine prefix test did not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("prefix");
    let started = Instant::now();
    wine(&prefix, &["wineboot", "-i"]);
    settle(&prefix);
    eprintln!("wineboot -i and wineserver -w took {:?}", started.elapsed());

    // Read unchanged, the files render byte for byte.
    let system_text = fs_err::read_to_string(prefix.join("system.reg")).unwrap();
    let user_text = fs_err::read_to_string(prefix.join("user.reg")).unwrap();
    let parse = Instant::now();
    let hive = WineHive::parse(&prefix.join("system.reg"), &system_text).unwrap();
    eprintln!(
        "system.reg ({} bytes) parsed in {:?}",
        system_text.len(),
        parse.elapsed()
    );
    assert_eq!(hive.render(), system_text);
    assert_eq!(
        WineHive::parse(&prefix.join("user.reg"), &user_text)
            .unwrap()
            .render(),
        user_text
    );

    // Write with this crate while no wineserver runs.
    let store = WinePrefix::open(&prefix).unwrap();
    let sid = store.user_sid().to_string();
    assert!(sid.starts_with("S-1-5-21-"), "{sid}");
    let mut reg = Registry::new(store, sid.clone());
    let n = View::Native64;
    assert!(
        reg.get(
            n,
            Root::LocalMachine,
            "Software\\Microsoft\\Windows NT\\CurrentVersion",
            Some("CurrentVersion")
        )
        .unwrap()
        .is_some()
    );
    let key = "Software\\Rmsi\\Test";
    let values = [
        ("sz", Value::Sz("C:\\Program Files\\x \"q\" ä€".into())),
        ("expand", Value::ExpandSz("%SystemRoot%\\x".into())),
        ("multi", Value::MultiSz(vec!["a".into(), "b c".into()])),
        ("dword", Value::Dword(0xdead_beef)),
        ("qword", Value::Qword(0x0102_0304_0506_0708)),
        ("binary", Value::Binary((0..40).collect())),
        ("", Value::Sz("default".into())),
    ];
    for (name, value) in &values {
        reg.set(n, Root::LocalMachine, key, Some(name), value)
            .unwrap();
    }
    reg.set(
        n,
        Root::CurrentUser,
        "Software\\Rmsi",
        Some("user"),
        &Value::Dword(5),
    )
    .unwrap();
    reg.set(
        n,
        Root::ClassesRoot,
        ".rmsitest",
        None,
        &Value::Sz("Rmsi.Test".into()),
    )
    .unwrap();
    reg.set(
        View::Wow32,
        Root::LocalMachine,
        "Software\\Rmsi32",
        Some("bits"),
        &Value::Dword(32),
    )
    .unwrap();
    // A 32-bit COM class is redirected, a 32-bit App Paths entry shared ("Registry Keys
    // Affected by WOW64"), and Wine's 32-bit view agrees.
    let clsid = "CLSID\\{7B1B0A2C-0000-4000-8000-000000000032}";
    reg.set(
        View::Wow32,
        Root::ClassesRoot,
        clsid,
        None,
        &Value::Sz("x86".into()),
    )
    .unwrap();
    let app_paths = "Software\\Microsoft\\Windows\\CurrentVersion\\App Paths\\rmsi32.exe";
    reg.set(
        View::Wow32,
        Root::LocalMachine,
        app_paths,
        None,
        &Value::Sz("p".into()),
    )
    .unwrap();
    let ours = export_reg(&reg, &[(Root::LocalMachine, key)], LineEnding::Crlf).unwrap();
    let mut store = reg.into_store();
    store.save().unwrap();

    // The keys nobody touched are still as they were.
    let after = fs_err::read_to_string(prefix.join("system.reg")).unwrap();
    for header in [
        "[Software\\\\Microsoft\\\\Windows NT\\\\CurrentVersion]",
        "[Software\\\\Classes\\\\.txt]",
    ] {
        assert_eq!(section(&after, header), section(&system_text, header));
    }

    // Wine sees them: `reg export` writes the same text as this crate's export.
    assert_eq!(reg_export(&prefix, "HKLM\\Software\\Rmsi\\Test"), ours);
    let q = reg_query(&prefix, "HKCU\\Software\\Rmsi");
    assert!(q.contains("user    REG_DWORD    0x5"), "{q}");
    let q = reg_query(&prefix, "HKCR\\.rmsitest");
    assert!(q.contains("(Default)    REG_SZ    Rmsi.Test"), "{q}");
    let q = reg_query(&prefix, "HKLM\\Software\\Wow6432Node\\Rmsi32");
    assert!(q.contains("bits    REG_DWORD    0x20"), "{q}");
    let q32 = |key: &str| {
        let out = Command::new("wine")
            .args(["reg", "query", key, "/reg:32"])
            .env("WINEPREFIX", &prefix)
            .env("WINEDEBUG", "-all")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).replace('\r', ""),
        )
    };
    let (found, q) = q32("HKLM\\Software\\Rmsi32");
    assert!(found && q.contains("bits    REG_DWORD    0x20"), "{q}");
    let (found, q) = q32(&format!("HKCR\\{clsid}"));
    assert!(found && q.contains("REG_SZ    x86"), "{q}");
    let (found, q) = q32(&format!("HKLM\\{app_paths}"));
    assert!(found && q.contains("REG_SZ    p"), "{q}");
    let native = Command::new("wine")
        .args(["reg", "query", &format!("HKCR\\{clsid}")])
        .env("WINEPREFIX", &prefix)
        .env("WINEDEBUG", "-all")
        .output()
        .unwrap();
    assert!(
        !native.status.success(),
        "the 32-bit class is not in the 64-bit view"
    );
    reg_query(&prefix, &format!("HKLM\\{app_paths}"));

    // Keys and values that Wine writes are read back.
    wine(
        &prefix,
        &[
            "wine",
            "reg",
            "add",
            "HKLM\\Software\\Rmsi\\FromWine",
            "/v",
            "s",
            "/d",
            "wine [x] \\ \"y\" é€",
            "/f",
        ],
    );
    // The other types in one batch file: one Wine start instead of seven.
    let batch = [
        r"reg add HKLM\Software\Rmsi\FromWine /v d /t REG_DWORD /d 4294967295 /f",
        r"reg add HKLM\Software\Rmsi\FromWine /v m /t REG_MULTI_SZ /d one\0two /f",
        r"reg add HKLM\Software\Rmsi\FromWine /v e /t REG_EXPAND_SZ /d %%TEMP%% /f",
        r"reg add HKLM\Software\Rmsi\FromWine /v b /t REG_BINARY /d 00ff10 /f",
        r"reg add HKLM\Software\Rmsi\FromWine /v q /t REG_QWORD /d 0x10 /f",
        r"reg add HKLM\Software\Rmsi\FromWine\Sub[1] /ve /d x /f",
        r"reg delete HKLM\Software\Rmsi\Test /v dword /f",
    ];
    fs_err::write(
        prefix.join("drive_c").join("add.bat"),
        batch.join("\r\n") + "\r\n",
    )
    .unwrap();
    wine(&prefix, &["wine", "cmd", "/c", "C:\\add.bat"]);
    settle(&prefix);

    let reg = Registry::new(WinePrefix::open(&prefix).unwrap(), sid);
    let w = "Software\\Rmsi\\FromWine";
    let get = |name: &str| reg.get(n, Root::LocalMachine, w, Some(name)).unwrap();
    assert_eq!(get("s"), Some(Value::Sz("wine [x] \\ \"y\" é€".into())));
    assert_eq!(get("d"), Some(Value::Dword(u32::MAX)));
    assert_eq!(
        get("m"),
        Some(Value::MultiSz(vec!["one".into(), "two".into()]))
    );
    assert_eq!(get("e"), Some(Value::ExpandSz("%TEMP%".into())));
    assert_eq!(get("b"), Some(Value::Binary(vec![0, 0xff, 0x10])));
    assert_eq!(get("q"), Some(Value::Qword(16)));
    assert_eq!(
        reg.get(
            n,
            Root::LocalMachine,
            "software\\rmsi\\fromwine\\SUB[1]",
            None
        )
        .unwrap(),
        Some(Value::Sz("x".into()))
    );
    assert_eq!(
        reg.get(n, Root::LocalMachine, key, Some("dword")).unwrap(),
        None
    );
    assert_eq!(
        reg.get(n, Root::LocalMachine, key, Some("qword")).unwrap(),
        Some(Value::Qword(0x0102_0304_0506_0708))
    );
    assert_eq!(
        reg.subkeys(n, Root::LocalMachine, "Software\\Rmsi")
            .unwrap()
            .unwrap(),
        ["FromWine", "Test"]
    );
    // HKEY_USERS lists the prefix's users.
    assert!(
        reg.store()
            .subkeys(&["HKEY_USERS".to_string()])
            .unwrap()
            .contains(&reg.user_sid().to_string())
    );

    // Deleting through this crate is seen by Wine too.
    let mut reg = reg;
    reg.delete_key(n, Root::LocalMachine, "Software\\Rmsi", true)
        .unwrap();
    reg.store_mut().save().unwrap();
    let out = Command::new("wine")
        .args(["reg", "query", "HKLM\\Software\\Rmsi"])
        .env("WINEPREFIX", &prefix)
        .env("WINEDEBUG", "-all")
        .output()
        .unwrap();
    assert!(!out.status.success());
    settle(&prefix);
}
