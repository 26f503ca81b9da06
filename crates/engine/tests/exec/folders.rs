//! Folders an install creates, and components without a ComponentId, at install and at
//! removal. "CreateFolder table": folders the installer created are removed when they
//! become empty, a CreateFolder row's folder only by RemoveFolders when its component is
//! removed. "Component table": a component whose ComponentId is null is not registered, so
//! the installer never removes it: its files, its CreateFolder folders and its RemoveFile
//! rows for removal (InstallMode 2 and 3) are left alone at uninstall, while its rows for
//! installation (1 and 3) run when it is installed.

use std::path::{Path, PathBuf};

use engine::{Layout, NoUi, UiLevel, UninstallRequest, UninstallTarget, uninstall};

use crate::exec_util::Scratch;

/// `tests/packages/NAME`.
fn package(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/packages")
        .join(name)
}

fn remove(s: &Scratch, package: &Path) {
    let log = s.path("uninstall.log");
    let report = uninstall(
        &UninstallRequest {
            target: UninstallTarget::Package(package.to_path_buf()),
            root: s.root(),
            layout: Layout::Fhs,
            ui_level: UiLevel::None,
            log: Some(log.clone()),
            log_append: false,
            properties: vec![("MSIRESTARTMANAGERCONTROL".into(), "Disable".into())],
            custom_actions: true,
        },
        &mut NoUi,
    );
    assert_eq!(
        report.code(),
        0,
        "{}",
        fs_err::read_to_string(&log).unwrap_or_default()
    );
}

#[test]
fn a_folder_two_products_share_goes_with_the_last_of_them_in_either_order() {
    for first_out in ["p", "q"] {
        let s = Scratch::new();
        let (p, q) = (package("folders-p.msi"), package("folders-q.msi"));
        for pkg in [&p, &q] {
            let (report, log) = s.install(pkg, &[]);
            assert_eq!(report.code(), 0, "{log}");
        }
        // P's install created opt/; Q's found it there. P's folder is a CreateFolder row's,
        // which RemoveFolders removes once the folder bin in it is gone.
        let (first, last) = if first_out == "p" { (&p, &q) } else { (&q, &p) };
        remove(&s, first);
        assert!(s.root().join("opt").is_dir(), "{:?}", s.tree());
        remove(&s, last);
        assert_eq!(s.tree(), Vec::<String>::new(), "{first_out} removed first");
    }
}

#[test]
fn an_unregistered_component_keeps_what_it_made_and_removes_only_at_install() {
    let s = Scratch::new();
    // Unmanaged: no ComponentId, a file, the CreateFolder folder `kept`, RemoveFile rows
    // of every mode; Made: registered, the CreateFolder folder `made`, a RemoveFile row for
    // removal; RemoveFolders in the sequence (see `unregistered.wxs`).
    let pkg = package("unregistered.msi");
    let dir = s.root().join("opt/rmsi-unregistered");
    fs_err::create_dir_all(&dir).expect("mkdir");
    for f in ["on-install.txt", "on-remove.txt", "on-both.txt"] {
        fs_err::write(dir.join(f), f).expect("write");
    }
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
    // Installing the unregistered component ran its rows for installation.
    assert!(!dir.join("on-install.txt").exists(), "{:?}", s.tree());
    assert!(!dir.join("on-both.txt").exists(), "{:?}", s.tree());
    assert!(dir.join("on-remove.txt").is_file(), "{:?}", s.tree());
    assert!(
        dir.join("kept").is_dir() && dir.join("made").is_dir(),
        "{:?}",
        s.tree()
    );

    // The user makes the files again, and the product goes.
    for f in ["on-install.txt", "on-both.txt", "made-remove.txt"] {
        fs_err::write(dir.join(f), f).expect("write");
    }
    remove(&s, &pkg);
    // The registered component's row for removal ran, and RemoveFolders took its folder.
    assert!(!dir.join("made-remove.txt").exists(), "{:?}", s.tree());
    assert!(!dir.join("made").exists(), "{:?}", s.tree());
    assert!(!dir.join("u.txt").exists(), "{:?}", s.tree());
    // The unregistered one: none of its rows ran, its file and its empty folder stay.
    for f in [
        "on-install.txt",
        "on-remove.txt",
        "on-both.txt",
        "unmanaged.txt",
    ] {
        assert!(dir.join(f).is_file(), "{f}: {:?}", s.tree());
    }
    assert!(dir.join("kept").is_dir(), "{:?}", s.tree());
}
