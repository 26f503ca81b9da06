//! `rmsi transform create`, `rmsi transform apply` and `rmsi diff` on a wixl-built package
//! pair: the transformed package's tables, exported by msitools' `msiinfo export`, equal
//! the changed package's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rmsi(args: &[&std::ffi::OsStr]) -> Output {
    test_support::rmsi().args(args).output().expect("run rmsi")
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

// ---- TRANSFORMS at install ----

fn install(root: &Path, pkg: &Path, log: &Path, props: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "install".as_ref(),
        "--ui".as_ref(),
        "none".as_ref(),
        "--root".as_ref(),
        root.as_os_str(),
        "--log".as_ref(),
        log.as_os_str(),
        pkg.as_os_str(),
    ];
    args.extend(props.iter().map(|p| std::ffi::OsStr::new(*p)));
    rmsi(&args)
}

fn uninstall(root: &Path, target: &str, log: &Path) -> Output {
    rmsi(&[
        "uninstall".as_ref(),
        "--ui".as_ref(),
        "none".as_ref(),
        "--root".as_ref(),
        root.as_os_str(),
        "--log".as_ref(),
        log.as_os_str(),
        target.as_ref(),
    ])
}

/// The files under `root`'s `opt/`, relative, with their contents.
fn files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.push((
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root.join("opt"), root, &mut out);
    out.sort();
    out
}

/// The log's final property dump, the root's path replaced by `ROOT`, less what names
/// the package, the log or the time.
fn properties(log: &Path, root: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap();
    let root = root.display().to_string();
    text.lines()
        .filter_map(|l| l.strip_prefix("Property(S): "))
        .filter(|l| {
            ![
                "DATABASE ",
                "OriginalDatabase ",
                // The package's own code (its summary's Revision Number): a transform
                // does not change it.
                "PackageCode ",
                "MsiLogFileLocation ",
                "TRANSFORMS ",
                // The package's own code: a transform does not change the package it is
                // applied to (its summary information stays the base's).
                "PackageCode ",
                "Time ",
                "Date ",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .map(|l| l.replace(&root, "ROOT"))
        .collect()
}

fn make_transform(dir: &Path, base: &Path, changed: &Path, name: &str, validate: &str) -> PathBuf {
    let mst = dir.join(name);
    let out = rmsi(&[
        "transform".as_ref(),
        "create".as_ref(),
        base.as_os_str(),
        changed.as_os_str(),
        "-o".as_ref(),
        mst.as_os_str(),
        "--validate".as_ref(),
        validate.as_ref(),
    ]);
    assert!(out.status.success(), "{out:?}");
    mst
}

#[test]
fn installing_base_with_the_transform_is_installing_the_changed_package() {
    let (base, changed) = pair();
    let dir = tempfile::tempdir().unwrap();
    let mst = make_transform(
        dir.path(),
        &base,
        &changed,
        "site.mst",
        "product,upgradecode",
    );
    let (r1, r2) = (dir.path().join("r1"), dir.path().join("r2"));
    let (l1, l2) = (dir.path().join("1.log"), dir.path().join("2.log"));
    let transforms = format!("TRANSFORMS={}", mst.display());
    let out = install(&r1, &base, &l1, &[&transforms]);
    assert!(out.status.success(), "{out:?}");
    let out = install(&r2, &changed, &l2, &[]);
    assert!(out.status.success(), "{out:?}");
    let f1 = files(&r1);
    assert_eq!(f1, files(&r2));
    assert!(f1.iter().any(|(p, _)| p.ends_with("site/extra.txt")));
    let p1 = properties(&l1, &r1);
    assert_eq!(p1, properties(&l2, &r2));
    assert!(p1.contains(&"SITE = changed".to_string()), "{p1:?}");
    let log = std::fs::read_to_string(&l1).unwrap();
    assert!(
        log.contains(&format!("Applying transform {}", mst.display())),
        "{log}"
    );

    // The product keeps its transform, cached beside its package.
    let registry = engine::Registry::for_root(&r1, engine::Layout::Fhs).unwrap();
    let code = "{5A1E7B30-1F2A-4B3C-9D4E-5F6A7B8C9D01}";
    let kept = registry.transforms(code).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].0, mst.display().to_string());
    assert!(kept[0].1.exists());
    drop(registry);

    // Removed by its product code: the transformed product goes, files and cache.
    let out = uninstall(&r1, code, &dir.path().join("4.log"));
    assert!(out.status.success(), "{out:?}");
    assert!(files(&r1).is_empty());
    assert!(!kept[0].1.exists());

    // Maintenance from the base package alone: the kept transform applies again.
    let r3 = dir.path().join("r3");
    let out = install(&r3, &base, &dir.path().join("5.log"), &[&transforms]);
    assert!(out.status.success(), "{out:?}");
    let l6 = dir.path().join("6.log");
    let out = install(&r3, &base, &l6, &[]);
    assert!(out.status.success(), "{out:?}");
    let log = std::fs::read_to_string(&l6).unwrap();
    assert!(
        log.contains(&format!("Applying transform {}", mst.display())),
        "{log}"
    );
    assert!(log.contains("Property(S): SITE = changed"), "{log}");
    assert_eq!(files(&r3), files(&r2));
}

#[test]
fn an_embedded_transform_applies_by_its_name() {
    let (base, changed) = pair();
    let dir = tempfile::tempdir().unwrap();
    let transform = package::Transform::generate(
        &package::Package::open(&base).unwrap(),
        &package::Package::open(&changed).unwrap(),
    )
    .unwrap();
    let mut with = package::Package::open(&base).unwrap();
    with.add_storage("Site", transform.to_bytes().unwrap().into());
    let embedded = dir.path().join("embedded.msi");
    std::fs::write(&embedded, with.to_bytes().unwrap()).unwrap();
    assert_eq!(
        package::Package::open(&embedded)
            .unwrap()
            .storage_names()
            .unwrap(),
        ["Site"]
    );
    let (r1, r2) = (dir.path().join("r1"), dir.path().join("r2"));
    let out = install(
        &r1,
        &embedded,
        &dir.path().join("1.log"),
        &["TRANSFORMS=:Site"],
    );
    assert!(out.status.success(), "{out:?}");
    let out = install(&r2, &changed, &dir.path().join("2.log"), &[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(files(&r1), files(&r2));
    // A name the package lacks: 1624.
    let r3 = dir.path().join("r3");
    let out = install(
        &r3,
        &embedded,
        &dir.path().join("3.log"),
        &["TRANSFORMS=:Other"],
    );
    assert_eq!(out.status.code(), Some(88), "{out:?}");
}

#[test]
fn an_instance_transform_installs_a_second_instance() {
    let (base, _) = pair();
    let dir = tempfile::tempdir().unwrap();
    // The instance: the base with another product code (as an instance transform is).
    let instance = dir.path().join("instance.msi");
    std::fs::copy(&base, &instance).unwrap();
    let code2 = "{5A1E7B30-1F2A-4B3C-9D4E-5F6A7B8C9D99}";
    let st = Command::new("msibuild")
        .arg(&instance)
        .arg("-q")
        .arg(format!(
            "UPDATE `Property` SET `Value` = '{code2}' WHERE `Property` = 'ProductCode'"
        ))
        .output()
        .unwrap();
    assert!(st.status.success(), "{st:?}");
    let mst = make_transform(dir.path(), &base, &instance, "inst.mst", "product");
    let root = dir.path().join("root");
    let out = install(&root, &base, &dir.path().join("1.log"), &[]);
    assert!(out.status.success(), "{out:?}");
    let transforms = format!("TRANSFORMS={}", mst.display());
    let out = install(
        &root,
        &base,
        &dir.path().join("2.log"),
        &[&transforms, "MSINEWINSTANCE=1"],
    );
    assert!(out.status.success(), "{out:?}");
    let codes = |root: &Path| {
        engine::Registry::for_root(root, engine::Layout::Fhs)
            .unwrap()
            .products()
            .unwrap()
            .into_iter()
            .map(|p| p.product_code)
            .collect::<Vec<_>>()
    };
    let code1 = "{5A1E7B30-1F2A-4B3C-9D4E-5F6A7B8C9D01}";
    assert_eq!(codes(&root), [code1, code2]);
    // MSINEWINSTANCE needs TRANSFORMS (1639), whose first transform changes the product
    // code (1624).
    let out = install(
        &root,
        &base,
        &dir.path().join("x.log"),
        &["MSINEWINSTANCE=1"],
    );
    assert_eq!(out.status.code(), Some(103), "{out:?}");
    let (_, changed) = pair();
    let site = make_transform(dir.path(), &base, &changed, "site.mst", "product");
    let not_instance = format!("TRANSFORMS={}", site.display());
    let out = install(
        &root,
        &base,
        &dir.path().join("y.log"),
        &[&not_instance, "MSINEWINSTANCE=1"],
    );
    assert_eq!(out.status.code(), Some(88), "{out:?}");
    assert_eq!(codes(&root), [code1, code2]);

    // Removing the instance by its product code leaves the first instance and its files.
    let out = uninstall(&root, code2, &dir.path().join("3.log"));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(codes(&root), [code1]);
    assert!(root.join("opt/site/readme.txt").exists());
    let out = uninstall(&root, code1, &dir.path().join("4.log"));
    assert!(out.status.success(), "{out:?}");
    assert!(files(&root).is_empty());
}

#[test]
fn a_transform_whose_validation_rejects_the_product_ends_with_1624() {
    let (base, changed) = pair();
    let dir = tempfile::tempdir().unwrap();
    let mst = make_transform(
        dir.path(),
        &base,
        &changed,
        "site.mst",
        "product,upgradecode",
    );
    let other = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/wix3-PerMachineMsisMsps-prodAv100/prodAv100.msi");
    let root = dir.path().join("root");
    let log = dir.path().join("x.log");
    let transforms = format!("TRANSFORMS={}", mst.display());
    let out = install(&root, &other, &log, &[&transforms]);
    assert_eq!(out.status.code(), Some(88), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1624 ERROR_INSTALL_TRANSFORM_FAILURE"),
        "{out:?}"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("does not apply"), "{text}");
    assert!(
        text.contains("is for product {5A1E7B30-1F2A-4B3C-9D4E-5F6A7B8C9D01}"),
        "{text}"
    );
    assert!(
        text.contains("MainEngineThread is returning 1624"),
        "{text}"
    );
    assert!(files(&root).is_empty());
    // A transform file that is missing: 1624 too.
    let out = install(&root, &base, &log, &["TRANSFORMS=missing.mst"]);
    assert_eq!(out.status.code(), Some(88), "{out:?}");
}
