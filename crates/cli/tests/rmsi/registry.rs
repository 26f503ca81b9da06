//! The CLI over a root's machine state (issue 12's contract): `rmsi list`, `rmsi reg query`
//! (text, `--json`, `--value`, a missing key), `rmsi reg export`, `rmsi verify` (all
//! matching; a changed file, a deleted and a changed registry value), and a root that
//! remembers its layout — with `registry.msi` (see `crates/engine/tests/packages`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use test_support::{package, stdout as text};

const PRODUCT: &str = "{6B1D9A20-3C4E-4F50-8A61-7B8C9D0E1F20}";

fn rmsi(rm: &Path, args: &[&str], root: &Path) -> Output {
    test_support::rmsi()
        .env_remove("RMSI_LOG")
        .env_remove("RMSI_TEST_CRASH_AFTER")
        .env("RSTMGR_STATE_DIR", rm)
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .expect("run rmsi")
}

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let rm = tmp.path().join("rm");
    std::fs::create_dir(&rm).expect("mkdir");
    let root = tmp.path().join("root");
    let pkg = package("registry.msi");
    let out = rmsi(
        &rm,
        &[
            "install",
            pkg.to_str().unwrap(),
            "--layout",
            "windows",
            "--ui",
            "none",
        ],
        &root,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (tmp, rm, root)
}

#[test]
fn list_shows_the_installed_product() {
    let (_tmp, rm, root) = setup();
    let out = rmsi(&rm, &["list"], &root);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out),
        format!("{PRODUCT}\trmsi registry test\t1.2.3\tinstalled\n")
    );
    let out = rmsi(&rm, &["list", "--json"], &root);
    let expected = format!(
        "{{\"products\":[{{\"product_code\":\"{PRODUCT}\",\"name\":\"rmsi registry test\",\"version\":\"1.2.3\",\"package\":{},\"features\":[\"Main\"],\"patches\":[]}}]}}\n",
        serde_json::to_string(package("registry.msi").to_str().unwrap()).unwrap()
    );
    assert_eq!(text(&out), expected);
    // An empty root lists nothing, and is not created.
    let empty = root.with_file_name("empty");
    let out = rmsi(&rm, &["list", "--json"], &empty);
    assert_eq!(text(&out), "{\"products\":[]}\n");
    assert!(!empty.exists());
}

#[test]
fn reg_query_reads_the_64_bit_view_and_fails_like_reg_for_a_missing_key() {
    let (_tmp, rm, root) = setup();
    let key = r"HKLM\Software\Wow6432Node\rmsi tests\registry";
    let out = rmsi(&rm, &["reg", "query", key, "--json"], &root);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v["key"],
        r"HKEY_LOCAL_MACHINE\Software\Wow6432Node\rmsi tests\registry"
    );
    let value = |name: &str| {
        v["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        value("Dword"),
        serde_json::json!({"name": "Dword", "type": "REG_DWORD", "data": 42})
    );
    assert_eq!(value("Bin")["data"], "0a0b1c");
    assert_eq!(value("Multi")["data"], serde_json::json!(["one", "two"]));
    assert_eq!(value("Expand")["type"], "REG_EXPAND_SZ");
    assert!(
        v["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"].is_null() && x["data"] == "default")
    );
    assert_eq!(v["subkeys"], serde_json::json!([]));
    // Subkey names, not paths.
    let out = rmsi(
        &rm,
        &[
            "reg",
            "query",
            r"HKLM\Software\Wow6432Node\rmsi tests",
            "--json",
        ],
        &root,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v["subkeys"],
        serde_json::json!(["context", "kept", "registry", "shared", "tree"])
    );
    // One value, in reg's text form.
    let out = rmsi(&rm, &["reg", "query", key, "--value", "Dword"], &root);
    assert_eq!(
        text(&out),
        format!(
            "\nHKEY_LOCAL_MACHINE\\Software\\Wow6432Node\\rmsi tests\\registry\n    Dword    REG_DWORD    0x2a\n"
        )
    );
    // The merged HKCR, and the product's Uninstall entry of an Intel package.
    let out = rmsi(&rm, &["reg", "query", r"HKCR\.rmsitest", "--json"], &root);
    assert_eq!(
        text(&out),
        "{\"key\":\"HKEY_CLASSES_ROOT\\\\.rmsitest\",\"values\":[{\"name\":null,\"type\":\"REG_SZ\",\"data\":\"RmsiTest.Document\"}],\"subkeys\":[]}\n"
    );
    let arp =
        format!(r"HKLM\Software\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{PRODUCT}");
    let out = rmsi(
        &rm,
        &["reg", "query", &arp, "--value", "DisplayName"],
        &root,
    );
    assert!(
        text(&out).contains("DisplayName    REG_SZ    rmsi registry test"),
        "{}",
        text(&out)
    );
    // The 32-bit key is not in the 64-bit view; a missing key or value fails like reg.
    for args in [
        vec!["reg", "query", r"HKLM\Software\rmsi tests\registry"],
        vec!["reg", "query", key, "--value", "Nope"],
    ] {
        let out = rmsi(&rm, &args, &root);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("ERROR_FILE_NOT_FOUND (2)"),
            "{args:?}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn reg_export_writes_regedit_text() {
    let (_tmp, rm, root) = setup();
    let out = rmsi(
        &rm,
        &[
            "reg",
            "export",
            r"HKLM\Software\Wow6432Node\rmsi tests\kept",
        ],
        &root,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out),
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\Software\\Wow6432Node\\rmsi tests\\kept]\r\n\r\n"
    );
    let out = rmsi(&rm, &["reg", "export"], &root);
    let all = text(&out);
    assert!(all.starts_with("Windows Registry Editor Version 5.00\r\n"));
    assert!(all.contains("\"Dword\"=dword:0000002a\r\n"), "{all}");
    assert!(all.contains("\"Bin\"=hex:0a,0b,1c\r\n"), "{all}");
}

#[test]
fn verify_lists_what_changed_and_exits_1() {
    let (_tmp, rm, root) = setup();
    let out = rmsi(&rm, &["verify", PRODUCT, "--json"], &root);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        text(&out),
        format!("{{\"product_code\":\"{PRODUCT}\",\"ok\":true,\"differences\":[]}}\n")
    );
    let file = root.join("Program Files (x86)/rmsi-registry/app.txt");
    std::fs::write(&file, "other contents\n").expect("write");
    // Change the registry as a program would: through the database's registry tables.
    let db = root.join("Windows/Installer/rmsi/products.db");
    edit_registry(&db);
    let out = rmsi(
        &rm,
        &[
            "verify",
            package("registry.msi").to_str().unwrap(),
            "--json",
        ],
        &root,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["ok"], false);
    let diffs = v["differences"].as_array().unwrap();
    assert!(diffs.contains(&serde_json::json!({"kind": "file", "path": file.display().to_string(), "problem": "changed"})), "{v}");
    let reg = r"HKEY_LOCAL_MACHINE\Software\Wow6432Node\rmsi tests\registry";
    assert!(diffs.contains(&serde_json::json!({"kind": "registry", "path": format!(r"{reg}\Dword"), "problem": "missing"})), "{v}");
    assert!(diffs.contains(&serde_json::json!({"kind": "registry", "path": format!(r"{reg}\Bin"), "problem": "changed"})), "{v}");
    assert_eq!(diffs.len(), 3, "{v}");
    std::fs::remove_file(&file).expect("rm");
    let out = rmsi(&rm, &["verify", PRODUCT], &root);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains(&format!("missing\tfile\t{}\n", file.display())),
        "{}",
        text(&out)
    );
}

/// Deletes the `Dword` value and changes `Bin` in the database's registry tables, with
/// Python's sqlite3 module (the CLI crate has no SQLite of its own).
fn edit_registry(db: &Path) {
    let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.execute(\"DELETE FROM winreg_values WHERE name='Dword'\")\nc.execute(\"UPDATE winreg_values SET data=X'0B' WHERE name='Bin'\")\nc.commit()\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(db)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_root_remembers_its_layout() {
    let (_tmp, rm, root) = setup();
    // Installed with --layout windows: a different layout is a clear usage error…
    let pkg = package("registry.msi");
    let out = rmsi(
        &rm,
        &["uninstall", PRODUCT, "--layout", "fhs", "--ui", "none"],
        &root,
    );
    assert_eq!(out.status.code(), Some(1639 % 256));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("was installed with --layout windows"), "{err}");
    // …and no --layout at all uses the root's, for uninstall by code as for install.
    let out = rmsi(
        &rm,
        &["install", pkg.to_str().unwrap(), "--ui", "none"],
        &root,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!root.join("var").exists(), "installed in the fhs layout");
    let out = rmsi(&rm, &["uninstall", PRODUCT, "--ui", "none"], &root);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = rmsi(&rm, &["list", "--json"], &root);
    assert_eq!(text(&out), "{\"products\":[]}\n");
}

#[test]
fn msiexec_f_repairs_files_and_values_as_its_letters_say() {
    let (_tmp, rm, root) = setup();
    let pkg = package("registry.msi");
    let file = root.join("Program Files (x86)/rmsi-registry/app.txt");
    let db = root.join("Windows/Installer/rmsi/products.db");
    std::fs::write(&file, "other contents\n").expect("write");
    edit_registry(&db);
    let verify = |rm: &Path| {
        let out = rmsi(rm, &["verify", PRODUCT, "--json"], &root);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["differences"].as_array().expect("differences").len()
    };
    assert_eq!(verify(&rm), 3);
    // `p`: only missing files; no registry value is rewritten.
    let out = rmsi(
        &rm,
        &["msiexec", "/fp", pkg.to_str().unwrap(), "/qn"],
        &root,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(verify(&rm), 3);
    // `a` (with `mus`), by product code: every file again, the package from its source.
    let out = rmsi(&rm, &["msiexec", "/famus", PRODUCT, "/qn"], &root);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(verify(&rm), 0);
    assert_eq!(
        std::fs::read_to_string(&file).expect("restored"),
        "registry payload\n"
    );
    // The default letters (omus) put a deleted file back.
    std::fs::remove_file(&file).expect("rm");
    assert_eq!(verify(&rm), 1);
    let out = rmsi(&rm, &["msiexec", "/f", PRODUCT, "/qn"], &root);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(verify(&rm), 0);
    // Not installed: 1605.
    let out = rmsi(
        &rm,
        &[
            "msiexec",
            "/f",
            "{00000000-0000-0000-0000-000000000001}",
            "/qn",
        ],
        &root,
    );
    assert_eq!(out.status.code(), Some(1605 % 256));
}
