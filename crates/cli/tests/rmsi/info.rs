//! `rmsi info` on real packages: the overview, one table, `--json`, and the
//! exit codes of packages that cannot be opened.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;

fn rmsi() -> Command {
    test_support::rmsi()
}

fn corpus(id: &str, file: &str) -> PathBuf {
    let dir = std::env::var_os("RMSI_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"));
    let path = dir.join(id).join(file);
    assert!(
        path.exists(),
        "the shared corpus is missing: {} (set RMSI_CORPUS)",
        path.display()
    );
    path
}

fn run(args: &[&str]) -> Output {
    rmsi().args(args).output().expect("run rmsi")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn overview_lists_summary_tables_and_sequences() {
    let pkg = corpus("relic-dummy", "dummy.msi");
    let out = run(&["info", pkg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Subject: Install dummy\n"), "{text}");
    assert!(text.contains("Template: Intel;1033\n"), "{text}");
    assert!(
        text.contains("Revision number (package code): {71978EBD-79FE-450E-A2E6-1FC75128A33D}\n"),
        "{text}"
    );
    assert!(text.contains("Word count (source type): 2 (long names, compressed)\n"));
    assert!(text.contains("Tables (13):\n"), "{text}");
    assert!(text.contains("\n  File                    1\n"), "{text}");
    assert!(text.contains("\nInstallExecuteSequence:\n"), "{text}");
    assert!(text.contains("\n    4000  InstallFiles\n"), "{text}");
}

#[test]
fn table_dump_in_idt_layout() {
    let pkg = corpus("relic-dummy", "dummy.msi");
    let out = run(&["info", pkg.to_str().unwrap(), "--table", "File"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        "File\tComponent_\tFileName\tFileSize\tVersion\tLanguage\tAttributes\tSequence\n\
         s72\ts72\ts255\ti4\tS72\tS20\tI2\ti4\n\
         File\tFile\n\
         EXE\tMainExecutable\tcb0qscio.dll|ClassLibrary1.dll\t4608\t1.0.0.0\t0\t512\t1\n"
    );
    let out = run(&["info", pkg.to_str().unwrap(), "--table", "NoSuchTable"]);
    assert_eq!(out.status.code(), Some(1628 % 256));
    assert!(stderr(&out).starts_with("rmsi: 1628 ERROR_INVALID_TABLE: "));
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Overview {
    package: PathBuf,
    product: std::collections::BTreeMap<String, Option<String>>,
    summary: Summary,
    tables: Vec<TableCount>,
    sequences: std::collections::BTreeMap<String, Vec<SequenceRow>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Summary {
    title: Option<String>,
    subject: Option<String>,
    author: Option<String>,
    keywords: Vec<String>,
    comments: Option<String>,
    template: String,
    platform: Option<String>,
    languages: Vec<u16>,
    revision: Option<String>,
    page_count: Option<i32>,
    word_count: i32,
    security: Option<i32>,
    codepage: i32,
    database_codepage: i32,
    creating_application: Option<String>,
    signed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableCount {
    name: String,
    rows: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SequenceRow {
    action: String,
    condition: Option<String>,
    sequence: Option<i32>,
}

#[test]
fn json_overview_is_one_object() {
    let pkg = corpus("lessmsi-putty-0.68", "putty-0.68-installer.msi");
    let out = run(&["info", pkg.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let o: Overview = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(o.package, pkg);
    assert_eq!(
        o.product["ProductCode"].as_deref(),
        Some("{55717628-7AE6-4BCF-A046-FA2768945E76}")
    );
    assert_eq!(o.product.len(), 5);
    assert_eq!(o.summary.platform.as_deref(), Some("Intel"));
    assert_eq!(o.summary.languages, vec![1033]);
    assert!(o.summary.signed);
    assert_eq!(o.summary.word_count, 2);
    let file = o.tables.iter().find(|t| t.name == "File").unwrap();
    assert_eq!(file.rows, 10);
    let exec = &o.sequences["InstallExecuteSequence"];
    let pos = |a: &str| exec.iter().position(|r| r.action == a).unwrap();
    assert!(pos("CostInitialize") < pos("InstallFiles"));
    assert_eq!(exec[0].action, "FindRelatedProducts");
    assert_eq!(exec[0].sequence, Some(25));
    assert_eq!(exec[0].condition, None);
    assert!(exec.iter().all(|r| r.sequence.is_some()));
}

#[test]
fn json_table_rows_keep_types() {
    let pkg = corpus("relic-dummy", "dummy.msi");
    let out = run(&["info", pkg.to_str().unwrap(), "--table", "Media", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["table"]["name"], "Media");
    assert_eq!(v["table"]["columns"][0]["kind"], "i2");
    assert_eq!(v["table"]["columns"][0]["primary_key"], true);
    assert_eq!(
        v["table"]["rows"],
        serde_json::json!([[1, 1, null, "#product.cab", null, null]])
    );
}

#[test]
fn unopenable_packages_exit_with_their_code() {
    let dir = tempfile::tempdir().unwrap();
    // Missing: 1619.
    let missing = dir.path().join("missing.msi");
    let out = run(&["info", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1619 % 256));
    assert!(
        stderr(&out).starts_with("rmsi: 1619 ERROR_INSTALL_PACKAGE_OPEN_FAILED: "),
        "{}",
        stderr(&out)
    );
    // A folder is not a package file: 1619.
    let out = run(&["info", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1619 % 256));
    // Not a compound file: 1620.
    let junk = dir.path().join("junk.msi");
    std::fs::write(&junk, b"this is not a compound file at all, not even close").unwrap();
    let out = run(&["info", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1620 % 256));
    assert!(stderr(&out).starts_with("rmsi: 1620 ERROR_INSTALL_PACKAGE_INVALID: "));
    // The corpus's one invalid package.
    let bad = corpus("wix3-MultipleFragments", "expected.msi");
    let out = run(&["info", bad.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(84));
    assert!(out.stdout.is_empty());
}

/// The overview opens with the product's identity; `--streams` lists the streams with
/// their sizes and the substorages (here an embedded transform added to a real package).
#[test]
fn overview_opens_with_the_product_and_lists_streams_and_storages() {
    let pkg = corpus("lessmsi-putty-0.68", "putty-0.68-installer.msi");
    let out = run(&["info", pkg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let head: Vec<&str> = text.lines().take(6).collect();
    assert_eq!(
        head,
        [
            "ProductCode: {55717628-7AE6-4BCF-A046-FA2768945E76}",
            "ProductVersion: 0.68.0.0",
            "UpgradeCode: {DCE70C63-8808-4646-B16B-A677BD298385}",
            "ProductName: PuTTY release 0.68",
            "Manufacturer: Simon Tatham",
            &format!("Package: {}", pkg.display()),
        ]
    );
    assert!(!text.contains("Streams ("));
    let out = run(&["info", "--streams", pkg.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(text.contains("\nStreams (11):\n"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["putty.cab", "1901866"]),
        "{text}"
    );
    assert!(text.ends_with("\nStorages (0):\n"), "{text}");

    // A package with an embedded transform: a substorage.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../package/tests/transforms");
    let base = package::Package::open(dir.join("site-base.msi")).unwrap();
    let changed = package::Package::open(dir.join("site-changed.msi")).unwrap();
    let t = package::Transform::generate(&base, &changed).unwrap();
    let mut with = base.clone();
    with.add_storage("Site", t.to_bytes().unwrap().into());
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("embedded.msi");
    std::fs::write(&path, with.to_bytes().unwrap()).unwrap();
    let out = run(&["info", "--streams", "--json", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["storages"], serde_json::json!(["Site"]));
    assert_eq!(
        v["product"]["ProductName"].as_str(),
        base.property("ProductName").as_deref()
    );
    assert!(
        v["streams"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["size"].is_u64())
    );
}
