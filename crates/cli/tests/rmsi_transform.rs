//! `rmsi transform create`, `rmsi transform apply` and `rmsi diff` on a wixl-built package
//! pair: the transformed package's tables, exported by msitools' `msiinfo export`, equal
//! the changed package's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rmsi(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rmsi"))
        .args(args)
        .output()
        .expect("run rmsi")
}

fn pair() -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../package/tests/transforms");
    (dir.join("site-base.msi"), dir.join("site-changed.msi"))
}

fn msiinfo(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new("msiinfo")
        .args(args)
        .output()
        .expect("msiinfo");
    assert!(
        out.status.success(),
        "msiinfo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn export_sorted(msi: &Path, table: &str) -> Vec<String> {
    let text = msiinfo(&["export".as_ref(), msi.as_os_str(), table.as_ref()]);
    let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
    // The header (names, types, key line) first, the rows in any order.
    let rows = lines.split_off(3.min(lines.len()));
    let mut rows = rows;
    rows.sort();
    lines.extend(rows);
    lines
}

#[test]
fn create_then_apply_gives_the_changed_packages_tables() {
    let (base, changed) = pair();
    let dir = tempfile::tempdir().unwrap();
    let mst = dir.path().join("site.mst");
    let out = dir.path().join("out.msi");
    let created = rmsi(&[
        "transform".as_ref(),
        "create".as_ref(),
        base.as_os_str(),
        changed.as_os_str(),
        "-o".as_ref(),
        mst.as_os_str(),
        "--validate".as_ref(),
        "product,upgradecode,majorversion".as_ref(),
        "--error-conditions".as_ref(),
        "addexistingrow,delmissingrow".as_ref(),
    ]);
    assert!(created.status.success(), "{created:?}");
    assert!(created.stdout.is_empty());
    // The summary msitools reads: base and changed platform;language, the flags.
    let suminfo = msiinfo(&["suminfo".as_ref(), mst.as_os_str()]);
    assert!(suminfo.contains("Template: Intel;1033"), "{suminfo}");
    let transform = package::Transform::open(&mst).unwrap();
    assert_eq!(
        transform.summary().validation.names(),
        ["product", "majorversion", "upgradecode"]
    );
    assert_eq!(
        transform.summary().error_conditions.names(),
        ["addexistingrow", "delmissingrow"]
    );

    let applied = rmsi(&[
        "transform".as_ref(),
        "apply".as_ref(),
        base.as_os_str(),
        mst.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(applied.status.success(), "{applied:?}");
    let tables = |msi: &Path| {
        let mut t: Vec<String> = msiinfo(&["tables".as_ref(), msi.as_os_str()])
            .lines()
            .map(str::to_string)
            .collect();
        t.sort();
        t
    };
    assert_eq!(tables(&out), tables(&changed));
    let mut compared = 0;
    for table in tables(&changed) {
        // A transform does not change the package's summary information.
        if table == "_SummaryInformation" {
            continue;
        }
        assert_eq!(
            export_sorted(&out, &table),
            export_sorted(&changed, &table),
            "table {table}"
        );
        compared += 1;
    }
    assert!(compared > 20);
    // The files too: msiextract gives the changed package's.
    let x1 = dir.path().join("x1");
    let x2 = dir.path().join("x2");
    for (msi, to) in [(&out, &x1), (&changed, &x2)] {
        let st = Command::new("msiextract")
            .arg("-C")
            .arg(to)
            .arg(msi)
            .output()
            .unwrap();
        assert!(st.status.success(), "{st:?}");
    }
    let readme =
        |d: &Path| std::fs::read_to_string(d.join("Program Files/site/readme.txt")).unwrap();
    assert_eq!(readme(&x1), readme(&x2));
    assert!(x1.join("Program Files/site/extra.txt").exists());

    // No differences left.
    let same = rmsi(&["diff".as_ref(), out.as_os_str(), changed.as_os_str()]);
    assert_eq!(same.status.code(), Some(0), "{same:?}");
    assert!(same.stdout.is_empty());
}

#[test]
fn diff_lists_table_and_stream_differences() {
    let (base, changed) = pair();
    let out = rmsi(&["diff".as_ref(), base.as_os_str(), changed.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "+ table\tRegistry\t1 rows",
        "+ row\tProperty\tEXTRA\t1",
        "~ row\tProperty\tSITE\tValue: \"base\" -> \"changed\"",
        "~ stream\tBinary.Logo\t27 -> 36 bytes",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    let json = rmsi(&[
        "diff".as_ref(),
        base.as_os_str(),
        changed.as_os_str(),
        "--json".as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let registry = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Registry")
        .unwrap();
    assert_eq!(registry["status"], "added");
    assert_eq!(registry["rows_added"].as_array().unwrap().len(), 1);
    let property = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Property")
        .unwrap();
    let site = property["rows_changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"][0] == "SITE")
        .unwrap();
    assert_eq!(
        site["columns"]["Value"],
        serde_json::json!(["base", "changed"])
    );
}

#[test]
fn bad_flags_and_bad_transforms_end_with_their_codes() {
    let (base, changed) = pair();
    let dir = tempfile::tempdir().unwrap();
    let mst = dir.path().join("x.mst");
    let out = rmsi(&[
        "transform".as_ref(),
        "create".as_ref(),
        base.as_os_str(),
        changed.as_os_str(),
        "-o".as_ref(),
        mst.as_os_str(),
        "--validate".as_ref(),
        "productcode".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(103));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown flag \"productcode\""));
    assert!(!mst.exists());
    // A package is not a transform: 1624.
    let out = rmsi(&[
        "transform".as_ref(),
        "apply".as_ref(),
        base.as_os_str(),
        changed.as_os_str(),
        "-o".as_ref(),
        dir.path().join("o.msi").as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(88), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("rmsi: 1624 ERROR_INSTALL_TRANSFORM_FAILURE: ")
    );
    assert!(!dir.path().join("o.msi").exists());
}
