//! Directory table resolution ("Using the Directory Table") and confinement to the root:
//! hostile `..`, absolute paths, properties pointing elsewhere, symbolic
//! links already in the root.

use std::path::{Path, PathBuf};

use engine::tables::directory::{DefaultDir, DirectoryRow};
use engine::{Error, NameChoice, Properties, confine, place_under_root, resolve_directories};

fn row(key: &str, parent: Option<&str>, default_dir: &str) -> DirectoryRow {
    DirectoryRow {
        directory: key.into(),
        parent: parent.map(Into::into),
        default_dir: DefaultDir::parse(default_dir),
        default_dir_text: default_dir.into(),
    }
}

fn props(pairs: &[(&str, &str)]) -> Properties {
    let mut p = Properties::new();
    for (k, v) in pairs {
        p.set(k, v);
    }
    p
}

/// The worked example of "Using the Directory Table".
#[test]
fn worked_example_targets_and_sources() {
    let rows = vec![
        row("TARGETDIR", None, "SourceDir"),
        row("MyAppDir", Some("TARGETDIR"), "MyApp"),
        row("BinDir", Some("MyAppDir"), "Bin"),
        row("Binx86Dir", Some("BinDir"), ".:x86"),
    ];
    let p = props(&[("TARGETDIR", "/r/opt/"), ("SourceDir", "/src/pkg/")]);
    let dirs = resolve_directories(&rows, &p, Path::new("/r"), NameChoice::default()).unwrap();
    assert_eq!(dirs.target("TARGETDIR").unwrap(), Path::new("/r/opt"));
    assert_eq!(dirs.target("MyAppDir").unwrap(), Path::new("/r/opt/MyApp"));
    assert_eq!(
        dirs.target("BinDir").unwrap(),
        Path::new("/r/opt/MyApp/Bin")
    );
    assert_eq!(
        dirs.target("Binx86Dir").unwrap(),
        Path::new("/r/opt/MyApp/Bin")
    );
    assert_eq!(dirs.source("TARGETDIR").unwrap(), Path::new("/src/pkg"));
    assert_eq!(
        dirs.source("Binx86Dir").unwrap(),
        Path::new("/src/pkg/MyApp/Bin/x86")
    );
    // CostFinalize sets every key as a property ending with a separator.
    let mut p = p;
    dirs.apply(&mut p);
    assert_eq!(p.get_str("BinDir"), Some("/r/opt/MyApp/Bin/"));
}

#[test]
fn root_falls_back_to_rootdrive_and_names_pick_short_or_long() {
    let rows = vec![
        row("TARGETDIR", None, "SourceDir"),
        row(
            "App",
            Some("TARGETDIR"),
            "MYAPP~1|My Application:SRC~1|Source Dir",
        ),
    ];
    let p = props(&[("ROOTDRIVE", "/r/"), ("SourceDir", "/s/")]);
    let long = resolve_directories(&rows, &p, Path::new("/r"), NameChoice::default()).unwrap();
    assert_eq!(long.target("App").unwrap(), Path::new("/r/My Application"));
    assert_eq!(long.source("App").unwrap(), Path::new("/s/Source Dir"));
    let short = resolve_directories(
        &rows,
        &p,
        Path::new("/r"),
        NameChoice {
            short_target: true,
            short_source: true,
        },
    )
    .unwrap();
    assert_eq!(short.target("App").unwrap(), Path::new("/r/MYAPP~1"));
    assert_eq!(short.source("App").unwrap(), Path::new("/s/SRC~1"));
    // Neither TARGETDIR nor ROOTDRIVE: the root itself.
    let bare = resolve_directories(
        &rows,
        &Properties::new(),
        Path::new("/r"),
        NameChoice::default(),
    )
    .unwrap();
    assert_eq!(bare.target("TARGETDIR").unwrap(), Path::new("/r"));
}

#[test]
fn property_overrides_are_placed_under_the_root() {
    let rows = vec![
        row("TARGETDIR", None, "SourceDir"),
        row("INSTALLDIR", Some("TARGETDIR"), "App"),
        row("Sub", Some("INSTALLDIR"), "sub"),
    ];
    for (value, expect) in [
        ("/elsewhere", "/r/elsewhere"),
        ("/elsewhere/", "/r/elsewhere"),
        ("C:\\Program Files\\App\\", "/r/Program Files/App"),
        ("/r/opt/App/", "/r/opt/App"),
        ("/../../etc", "/r/etc"),
    ] {
        let p = props(&[("TARGETDIR", "/r/"), ("INSTALLDIR", value)]);
        let dirs = resolve_directories(&rows, &p, Path::new("/r"), NameChoice::default()).unwrap();
        assert_eq!(
            dirs.target("INSTALLDIR").unwrap(),
            Path::new(expect),
            "{value}"
        );
        assert_eq!(
            dirs.target("Sub").unwrap(),
            Path::new(expect).join("sub"),
            "{value}"
        );
    }
    // A relative climb out of the root is refused.
    let p = props(&[("TARGETDIR", "/r/"), ("INSTALLDIR", "../../etc")]);
    let err = resolve_directories(&rows, &p, Path::new("/r"), NameChoice::default()).unwrap_err();
    assert!(matches!(err, Error::OutsideRoot { .. }), "{err}");
    assert_eq!(err.code(), 1603);
    // TARGETDIR itself pointing elsewhere.
    let p = props(&[("TARGETDIR", "/etc/")]);
    let dirs = resolve_directories(&rows, &p, Path::new("/r"), NameChoice::default()).unwrap();
    assert_eq!(dirs.target("TARGETDIR").unwrap(), Path::new("/r/etc"));
}

#[test]
fn hostile_directory_rows_are_refused() {
    let base = || vec![row("TARGETDIR", None, "SourceDir")];
    let p = props(&[("TARGETDIR", "/r/")]);
    for name in ["..", "../../etc", "a/b", "a\\..\\..\\b", "x:..", "x|.."] {
        let mut rows = base();
        rows.push(row("Evil", Some("TARGETDIR"), name));
        let err =
            resolve_directories(&rows, &p, Path::new("/r"), NameChoice::default()).expect_err(name);
        assert!(matches!(err, Error::BadRow { .. }), "{name}: {err}");
    }
    // A parent cycle and an unknown parent.
    let rows = vec![row("A", Some("B"), "a"), row("B", Some("A"), "b")];
    assert!(matches!(
        resolve_directories(&rows, &p, Path::new("/r"), NameChoice::default()),
        Err(Error::BadRow { .. })
    ));
    let rows = vec![row("A", Some("Nowhere"), "a")];
    assert!(matches!(
        resolve_directories(&rows, &p, Path::new("/r"), NameChoice::default()),
        Err(Error::BadRow { .. })
    ));
}

#[test]
fn deep_directory_chains_do_not_overflow() {
    let mut rows = vec![row("TARGETDIR", None, "SourceDir")];
    for i in 0..5000 {
        let parent = if i == 0 {
            "TARGETDIR".to_string()
        } else {
            format!("D{}", i - 1)
        };
        rows.push(row(&format!("D{i}"), Some(&parent), "d"));
    }
    rows.reverse();
    let p = props(&[("TARGETDIR", "/r/")]);
    let dirs = resolve_directories(&rows, &p, Path::new("/r"), NameChoice::default()).unwrap();
    assert_eq!(dirs.target("D4999").unwrap().components().count(), 2 + 5000);
}

#[test]
fn confine_refuses_escapes_and_symlinks() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    fs_err::create_dir_all(r.join("opt/app")).unwrap();
    // Inside, existing or not: fine.
    assert_eq!(
        confine(r, &r.join("opt/app/file")).unwrap(),
        r.join("opt/app/file")
    );
    assert_eq!(
        confine(r, &r.join("new/deep/file")).unwrap(),
        r.join("new/deep/file")
    );
    assert_eq!(
        confine(r, &r.join("opt/../opt/x")).unwrap(),
        r.join("opt/x")
    );
    // `..` out of the root, a sibling, an absolute path elsewhere, a relative path.
    for bad in [
        r.join("../escape"),
        r.join("opt/../../escape"),
        PathBuf::from("/etc/passwd"),
        PathBuf::from("relative/path"),
    ] {
        let err = confine(r, &bad).expect_err(&bad.display().to_string());
        assert!(matches!(err, Error::OutsideRoot { .. }), "{err}");
    }
    // A symbolic link planted in the root, to a folder outside it.
    let outside = tempfile::tempdir().unwrap();
    fs_err::os::unix::fs::symlink(outside.path(), r.join("opt/link")).unwrap();
    let err = confine(r, &r.join("opt/link/payload")).unwrap_err();
    assert!(matches!(err, Error::OutsideRoot { .. }), "{err}");
    // Even a link that points inside the root is refused, not followed.
    fs_err::os::unix::fs::symlink(r.join("opt/app"), r.join("inner")).unwrap();
    assert!(confine(r, &r.join("inner/file")).is_err());
    // A symlink as the final component (a file about to be replaced).
    fs_err::os::unix::fs::symlink("/etc/passwd", r.join("opt/app/victim")).unwrap();
    assert!(confine(r, &r.join("opt/app/victim")).is_err());
    assert_eq!(fs_err::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn place_under_root_keeps_everything_inside() {
    let r = Path::new("/root/of/install");
    for v in [
        "/",
        "/etc/passwd",
        "C:\\Windows\\System32\\",
        "d:/x",
        "a/./b/../c",
        "/root/of/install/x",
    ] {
        let placed = place_under_root(r, v).unwrap();
        assert!(placed.starts_with(r), "{v} -> {}", placed.display());
    }
    assert!(place_under_root(r, "..").is_err());
    assert!(place_under_root(r, "a/../../b").is_err());
}
