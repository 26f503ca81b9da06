//! Component clients and reference counts, as Windows Installer keeps them: a product
//! installed twice is still removed whole; a component two products share
//! (`tests/packages/shared-a.msi` and `shared-b.msi`, one ComponentId) stays until its
//! last client goes; Permanent components and components without a ComponentId are never
//! removed; a SharedDllRefCount component counts its clients under `SharedDLLs`.

use std::path::{Path, PathBuf};

use engine::{
    InstallRequest, Layout, NoUi, UiLevel, UninstallRequest, UninstallTarget, install, uninstall,
};
use winreg::{Root, SqliteStore, Value, View};

fn package(name: &str) -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    if name == "hello.msi" {
        return here.join("../../examples/hello/hello.msi");
    }
    here.join("tests/packages").join(name)
}

fn quiet() -> Vec<(String, String)> {
    vec![("MSIRESTARTMANAGERCONTROL".into(), "Disable".into())]
}

fn install_into(root: &Path, name: &str, props: &[(&str, &str)]) {
    let log = root.with_extension("log");
    let mut properties = quiet();
    properties.extend(props.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let report = install(
        &InstallRequest {
            package: package(name),
            root: root.to_path_buf(),
            layout: Layout::Fhs,
            ui_level: UiLevel::None,
            log: Some(log.clone()),
            log_append: false,
            properties,
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

fn uninstall_from(root: &Path, name: &str) {
    let log = root.with_extension("log");
    let report = uninstall(
        &UninstallRequest {
            target: UninstallTarget::Package(package(name)),
            root: root.to_path_buf(),
            layout: Layout::Fhs,
            ui_level: UiLevel::None,
            log: Some(log.clone()),
            log_append: false,
            properties: quiet(),
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

fn shared_dll_count(root: &Path, file: &Path) -> Option<Value> {
    let db = root.join("var/lib/rmsi/products.db");
    if !db.exists() {
        return None;
    }
    let conn = rusqlite::Connection::open(db).expect("open");
    let reg = winreg::Registry::new(SqliteStore::new(&conn), winreg::DEFAULT_USER_SID);
    reg.get(
        View::Native64,
        Root::LocalMachine,
        r"Software\Microsoft\Windows\CurrentVersion\SharedDLLs",
        Some(&file.display().to_string()),
    )
    .expect("read")
}

#[test]
fn a_product_installed_twice_is_still_removed_whole() {
    for again in [vec![], vec![("ADDLOCAL", "ALL")]] {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().join("root");
        install_into(&root, "hello.msi", &[]);
        install_into(&root, "hello.msi", &again);
        assert!(root.join("opt/rmsi-hello/hello.txt").is_file());
        uninstall_from(&root, "hello.msi");
        let left: Vec<_> = fs_err::read_dir(&root)
            .expect("root")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(left.is_empty(), "{again:?}: left behind: {left:?}");
    }
}

#[test]
fn a_shared_component_stays_until_its_last_client_goes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("root");
    let dir = root.join("opt/rmsi-shared");
    install_into(&root, "shared-a.msi", &[]);
    install_into(&root, "shared-b.msi", &[]);
    let shared = dir.join("shared.txt");
    assert_eq!(shared_dll_count(&root, &shared), Some(Value::Dword(2)));

    // A goes: its own file with it; the shared one stays for B, one count less; the
    // permanent and unmanaged ones stay for ever.
    uninstall_from(&root, "shared-a.msi");
    assert!(!dir.join("a.txt").exists());
    assert!(
        shared.is_file(),
        "the shared file went with its first client"
    );
    assert!(dir.join("b.txt").is_file());
    assert!(dir.join("permanent.txt").is_file());
    assert!(dir.join("unmanaged.txt").is_file());
    assert_eq!(shared_dll_count(&root, &shared), Some(Value::Dword(1)));

    // B goes, the last client: the shared file with it.
    uninstall_from(&root, "shared-b.msi");
    assert!(!shared.exists());
    assert!(!dir.join("b.txt").exists());
    assert!(dir.join("permanent.txt").is_file());
    assert!(dir.join("unmanaged.txt").is_file());
    assert_eq!(shared_dll_count(&root, &shared), None);
}

#[test]
fn the_other_order_leaves_the_shared_file_to_the_first_installer() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("root");
    let shared = root.join("opt/rmsi-shared/shared.txt");
    install_into(&root, "shared-a.msi", &[]);
    install_into(&root, "shared-b.msi", &[]);
    uninstall_from(&root, "shared-b.msi");
    assert!(shared.is_file());
    uninstall_from(&root, "shared-a.msi");
    assert!(!shared.exists());
}
