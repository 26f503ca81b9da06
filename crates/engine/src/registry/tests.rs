//! The registry's unit tests: schema migration, records round-tripped, the package cache,
//! unsafe state folders and Upgrade rows.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;

use rusqlite::Connection;

use super::schema::{SCHEMA, SCHEMA_VERSION};
use super::*;
use crate::tables::upgrade::UpgradeRow;

fn product(code: &str, version: &str) -> ProductRecord {
    ProductRecord {
        product_code: code.into(),
        upgrade_code: Some("{UP}".into()),
        version: version.into(),
        name: "P".into(),
        manufacturer: None,
        language: Some("1033".into()),
        package_path: "/pkg/p.msi".into(),
        cached_package: None,
        features: vec!["F".into()],
        components: vec![ComponentRecord {
            component: "C".into(),
            component_id: Some("{C}".into()),
            key_path: Some("/r/opt/a".into()),
        }],
        files: vec![("C".into(), "/r/opt/a".into())],
        folders: vec!["/r/opt".into()],
    }
}

#[test]
fn a_version_1_database_is_regrouped_per_component() {
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join(DATABASE_NAME);
    {
        let conn = Connection::open(&db).unwrap();
        // The version 1 schema: today's, with a row per file.
        let v1 = SCHEMA
            .replace(
                "paths        BLOB NOT NULL,\n    PRIMARY KEY (product_code, component)",
                "path BLOB NOT NULL,\n    PRIMARY KEY (product_code, path)",
            )
            .replace("user_version = 2", "user_version = 1");
        assert_ne!(v1, SCHEMA);
        conn.execute_batch(&v1).unwrap();
        conn.execute_batch(
            "INSERT INTO products VALUES ('{A}', NULL, '1.0', 'A', NULL, NULL, X'2f', NULL, 0);
             INSERT INTO products VALUES ('{B}', NULL, '1.0', 'B', NULL, NULL, X'2f', NULL, 0);
             INSERT INTO files VALUES ('{A}', 'C2', CAST('/r/b' AS BLOB));
             INSERT INTO files VALUES ('{A}', 'C1', CAST('/r/a' AS BLOB));
             INSERT INTO files VALUES ('{A}', 'C1', CAST('/r/c' AS BLOB));
             INSERT INTO files VALUES ('{B}', 'C1', CAST('/r/d' AS BLOB));",
        )
        .unwrap();
    }
    fs_err::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    fs_err::set_permissions(root.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut reg = Registry::open(root.path()).unwrap();
    let a = reg.product("{A}").unwrap().unwrap();
    assert_eq!(
        a.files,
        [
            ("C1".to_string(), PathBuf::from("/r/a")),
            ("C2".to_string(), PathBuf::from("/r/b")),
            ("C1".to_string(), PathBuf::from("/r/c")),
        ]
    );
    assert_eq!(reg.product("{B}").unwrap().unwrap().files.len(), 1);
    // A registry from before transforms were kept gains their table.
    assert!(reg.transforms("{A}").unwrap().is_empty());
    // Written back in the new form, and read again as it was.
    reg.record(&product("{C}", "2.0")).unwrap();
    let conn = Connection::open(&db).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(
        Registry::open(root.path())
            .unwrap()
            .product("{A}")
            .unwrap()
            .unwrap(),
        a
    );
    // A database from a newer rmsi is refused, not misread.
    conn.execute_batch("PRAGMA user_version = 99;").unwrap();
    drop(conn);
    assert!(Registry::open(root.path()).is_err());
}

#[test]
fn patches_are_kept_in_order_and_go_with_the_product() {
    let root = tempfile::tempdir().unwrap();
    let mut reg = Registry::for_root(root.path(), crate::layout::Layout::Fhs).unwrap();
    reg.record(&product("{A}", "1.0.0")).unwrap();
    let two: [(String, String, String, &[u8]); 2] = [
        ("{P1}".into(), "One".into(), "applied".into(), b"first"),
        ("{P2}".into(), "Two".into(), "superseded".into(), b"second"),
    ];
    reg.cache_patches("{A}", &two).unwrap();
    let kept = reg.patches("{A}").unwrap();
    let rows: Vec<(&str, &str, &str)> = kept
        .iter()
        .map(|p| (p.patch_code.as_str(), p.name.as_str(), p.state.as_str()))
        .collect();
    assert_eq!(
        rows,
        [("{P1}", "One", "applied"), ("{P2}", "Two", "superseded")]
    );
    assert_eq!(fs_err::read(&kept[1].cached).unwrap(), b"second");
    let mode = fs_err::metadata(&kept[0].cached).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Recorded again (its rows go), then kept with one: the other copy goes too.
    reg.record(&product("{A}", "1.0.1")).unwrap();
    assert!(reg.patches("{A}").unwrap().is_empty());
    reg.cache_patches("{A}", &two[..1]).unwrap();
    assert_eq!(reg.patches("{A}").unwrap().len(), 1);
    assert!(kept[0].cached.exists());
    assert!(!kept[1].cached.exists());
    // Another product's copies are not touched; unregistering takes the product's.
    reg.record(&product("{B}", "1.0.0")).unwrap();
    reg.cache_patches("{B}", &two[1..]).unwrap();
    let b = reg.patches("{B}").unwrap();
    reg.unregister("{A}").unwrap();
    assert!(!kept[0].cached.exists());
    assert!(b[0].cached.exists());
    assert_eq!(reg.patches("{B}").unwrap(), b);
}

#[test]
fn transforms_are_kept_in_order_and_go_with_the_product() {
    let root = tempfile::tempdir().unwrap();
    let mut reg = Registry::for_root(root.path(), crate::layout::Layout::Fhs).unwrap();
    reg.record(&product("{A}", "1.0.0")).unwrap();
    let two = [
        ("a.mst".to_string(), b"first".to_vec()),
        (":Embedded".to_string(), b"second".to_vec()),
    ];
    reg.cache_transforms("{A}", &two).unwrap();
    let kept = reg.transforms("{A}").unwrap();
    let names: Vec<&str> = kept.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a.mst", ":Embedded"]);
    assert_eq!(fs_err::read(&kept[1].1).unwrap(), b"second");
    let mode = fs_err::metadata(&kept[0].1).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Kept again with one transform: the other copy goes.
    reg.cache_transforms("{A}", &two[..1]).unwrap();
    assert_eq!(reg.transforms("{A}").unwrap().len(), 1);
    assert!(!kept[1].1.exists());
    // Recorded again (its rows go) and kept with none: no copy is left behind.
    reg.cache_transforms("{A}", &two).unwrap();
    reg.record(&product("{A}", "1.0.0")).unwrap();
    reg.cache_transforms("{A}", &[]).unwrap();
    assert!(!kept[0].1.exists() && !kept[1].1.exists());
    reg.cache_transforms("{A}", &two).unwrap();
    // Forgetting the product deletes its copies.
    reg.unregister("{A}").unwrap();
    assert!(reg.transforms("{A}").unwrap().is_empty());
    assert!(!kept[0].1.exists());
}

#[test]
fn created_lazily_and_round_trips() {
    let root = tempfile::tempdir().unwrap();
    let state = root.path().join("var/lib/rmsi");
    let mut reg = Registry::for_root(root.path(), crate::layout::Layout::Fhs).unwrap();
    assert_eq!(reg.db_path(), state.join("products.db"));
    assert!(!reg.exists());
    assert!(reg.products().unwrap().is_empty());
    assert!(!state.exists(), "reading creates nothing");
    reg.record(&product("{A}", "1.0.0")).unwrap();
    let mode = fs_err::metadata(&state).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let db_mode = fs_err::metadata(reg.db_path()).unwrap().mode() & 0o777;
    assert_eq!(db_mode, 0o600);
    let reg = Registry::open(&state).unwrap();
    assert_eq!(
        reg.product("{A}").unwrap().unwrap(),
        product("{A}", "1.0.0")
    );
    assert!(reg.is_installed("{A}").unwrap());
    assert_eq!(reg.related("{up}").unwrap().len(), 1);
    let mut reg = reg;
    reg.remove("{A}").unwrap();
    assert!(!reg.is_installed("{A}").unwrap());
}

#[test]
fn cache_unregister_and_the_last_product_takes_the_state_folders() {
    let root = tempfile::tempdir().unwrap();
    fs_err::create_dir(root.path().join("var")).unwrap();
    let pkg = root.path().join("p.msi");
    fs_err::write(&pkg, b"package bytes").unwrap();
    let mut reg = Registry::for_root(root.path(), crate::layout::Layout::Fhs).unwrap();
    let copy = |out: &mut std::fs::File| {
        std::io::Write::write_all(out, &fs_err::read(&pkg).unwrap()).map_err(|e| Error::io(&pkg, e))
    };
    let cached = reg.cache_package("{a-1}", copy).unwrap();
    assert_eq!(cached, reg.dir.join("packages/{A-1}.msi"));
    assert_eq!(fs_err::read(&cached).unwrap(), b"package bytes");
    assert_eq!(
        fs_err::metadata(&cached).unwrap().mode() & 0o777,
        0o600,
        "the cached package is owner-only"
    );
    let odd = reg.cache_package("../../escape", copy).unwrap();
    assert_eq!(
        odd.parent(),
        cached.parent(),
        "a hostile code picks no path"
    );
    let mut a = product("{A}", "1.0.0");
    a.cached_package = Some(cached.clone());
    reg.record(&a).unwrap();
    reg.record(&product("{B}", "1.0.0")).unwrap();
    reg.unregister("{A}").unwrap();
    assert!(!cached.exists(), "the cached package goes with the product");
    assert!(!reg.remove_if_empty().unwrap(), "{{B}} is still installed");
    fs_err::remove_file(&odd).unwrap();
    reg.unregister("{B}").unwrap();
    assert!(reg.remove_if_empty().unwrap());
    // var/lib and var/lib/rmsi were made by the registry; var was there before.
    let left: Vec<_> = fs_err::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(left, ["p.msi", "var"]);
    assert_eq!(
        fs_err::read_dir(root.path().join("var")).unwrap().count(),
        0
    );
}

#[test]
fn unsafe_state_folders_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let real = root.path().join("real");
    fs_err::create_dir(&real).unwrap();
    fs_err::set_permissions(&real, std::fs::Permissions::from_mode(0o700)).unwrap();
    let link = root.path().join("link");
    fs_err::os::unix::fs::symlink(&real, &link).unwrap();
    assert!(matches!(
        Registry::open(&link),
        Err(Error::UnsafeState { .. })
    ));
    fs_err::set_permissions(&real, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = Registry::open(&real).unwrap_err();
    assert!(matches!(err, Error::UnsafeState { .. }), "{err}");
    assert_eq!(err.code(), 1603);
}

#[test]
fn upgrade_rows_match_by_version_and_language() {
    let p = product("{A}", "1.2.3");
    let row = |min: Option<&str>, max: Option<&str>, attrs: i32, lang: Option<&str>| UpgradeRow {
        upgrade_code: "{UP}".into(),
        version_min: min.map(Into::into),
        version_max: max.map(Into::into),
        language: lang.map(Into::into),
        attributes: attrs,
        remove: None,
        action_property: "OLD".into(),
    };
    assert!(upgrade_matches(&row(Some("1.0.0"), None, 0, None), &p));
    assert!(!upgrade_matches(&row(Some("1.2.3"), None, 0, None), &p));
    assert!(upgrade_matches(&row(Some("1.2.3"), None, 0x100, None), &p));
    assert!(!upgrade_matches(&row(None, Some("1.2.3"), 0, None), &p));
    assert!(upgrade_matches(
        &row(None, Some("1.2.3.9"), 0x200, None),
        &p
    ));
    assert!(upgrade_matches(
        &row(None, Some("2.0"), 0, Some("1033")),
        &p
    ));
    assert!(!upgrade_matches(
        &row(None, Some("2.0"), 0, Some("1031")),
        &p
    ));
    assert!(!upgrade_matches(
        &row(None, Some("2.0"), 0x400, Some("1033")),
        &p
    ));
}

/// Both ways of keeping the package cache's copy (in memory for a small one, through its
/// file for one past `IN_MEMORY_COPY`) keep the package without its cabinets, readable as
/// a package with the same tables and streams.
#[test]
fn the_cached_copy_is_the_same_in_memory_and_through_its_file() {
    let pkg = test_support::package("ca.msi");
    let package = package::Package::open(&pkg).unwrap();
    assert!(package.size_without_cabinets().unwrap() < fs_err::metadata(&pkg).unwrap().len());
    let root = tempfile::tempdir().unwrap();
    let mut reg = Registry::for_root(root.path(), crate::layout::Layout::Fhs).unwrap();
    let streamed = reg.cache_package_streamed("{A}", &package).unwrap();
    let from_file = fs_err::read(&streamed).unwrap();
    let copy = Registry::package_copy(&package)
        .unwrap()
        .expect("small enough");
    let in_memory = reg.cache_package_copy("{B}", &copy).unwrap();
    for cached in [&streamed, &in_memory] {
        Registry::verify_cached_package(cached, &pkg).unwrap();
    }
    assert_eq!(from_file.len(), copy.len());
}
