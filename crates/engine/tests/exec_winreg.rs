//! The registry of a root as installs write it and read it (`tests/packages/registry.msi`
//! and `registry-cleaner.msi`, see the README there): WriteRegistryValues writes every
//! Value form of the Registry table in the view its component selects, per-machine or
//! per-user as `ALLUSERS` says; AppSearch (RegLocator) reads it back; RemoveRegistry rows
//! delete what they name; uninstall removes what each product wrote and the keys left
//! empty, and keeps `+` keys.

use std::path::{Path, PathBuf};

use engine::{
    InstallRequest, Layout, NoUi, UiLevel, UninstallRequest, UninstallTarget, install, uninstall,
};
use winreg::{Root, SqliteStore, Value, View};

fn package(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/packages")
        .join(name)
}

struct Root_ {
    dir: tempfile::TempDir,
    layout: Layout,
}

impl Root_ {
    fn new(layout: Layout) -> Root_ {
        Root_ {
            dir: tempfile::tempdir().expect("temp dir"),
            layout,
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("log.txt")
    }

    fn props(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut v = vec![("MSIRESTARTMANAGERCONTROL".into(), "Disable".into())];
        v.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        v
    }

    fn install(&self, name: &str, extra: &[(&str, &str)]) -> String {
        let report = install(
            &InstallRequest {
                package: package(name),
                root: self.root(),
                layout: self.layout,
                ui_level: UiLevel::None,
                log: Some(self.log()),
                log_append: false,
                properties: Self::props(extra),
                custom_actions: true,
            },
            &mut NoUi,
        );
        let log =
            String::from_utf8_lossy(&fs_err::read(self.log()).unwrap_or_default()).into_owned();
        assert_eq!(report.code(), 0, "{log}");
        log
    }

    fn uninstall(&self, name: &str) {
        self.uninstall_with(name, &[]);
    }

    fn uninstall_with(&self, name: &str, extra: &[(&str, &str)]) {
        let report = uninstall(
            &UninstallRequest {
                target: UninstallTarget::Package(package(name)),
                root: self.root(),
                layout: self.layout,
                ui_level: UiLevel::None,
                log: Some(self.log()),
                log_append: false,
                properties: Self::props(extra),
                custom_actions: true,
            },
            &mut NoUi,
        );
        let log = fs_err::read_to_string(self.log()).unwrap_or_default();
        assert_eq!(report.code(), 0, "{log}");
    }

    fn db(&self) -> PathBuf {
        self.layout.state_dir(&self.root()).join("products.db")
    }

    fn get(&self, view: View, root: Root, key: &str, name: Option<&str>) -> Option<Value> {
        let conn = rusqlite::Connection::open(self.db()).expect("open the database");
        let reg = winreg::Registry::new(SqliteStore::new(&conn), winreg::DEFAULT_USER_SID);
        reg.get(view, root, key, name).expect("read")
    }

    fn exists(&self, view: View, root: Root, key: &str) -> bool {
        let conn = rusqlite::Connection::open(self.db()).expect("open the database");
        let reg = winreg::Registry::new(SqliteStore::new(&conn), winreg::DEFAULT_USER_SID);
        reg.key_exists(view, root, key).expect("read")
    }
}

fn dumped(log: &str, name: &str) -> Option<String> {
    let prefix = format!("Property(S): {name} = ");
    log.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()).map(str::to_string))
}

const KEY: &str = r"Software\rmsi tests\registry";

#[test]
fn every_value_form_is_written_in_its_view_and_removed_with_its_product() {
    let r = Root_::new(Layout::Windows);
    r.install("registry.msi", &[]);
    let dir = format!(
        "{}/",
        r.root().join("Program Files (x86)/rmsi-registry").display()
    );
    let w32 = |name: Option<&str>| r.get(View::Wow32, Root::LocalMachine, KEY, name);
    assert_eq!(w32(Some("Str")), Some(Value::Sz(dir.clone())));
    assert_eq!(w32(Some("Dword")), Some(Value::Dword(42)));
    assert_eq!(
        w32(Some("Expand")),
        Some(Value::ExpandSz(format!("%PATH%;{dir}")))
    );
    assert_eq!(
        w32(Some("Bin")),
        Some(Value::Binary(vec![0x0a, 0x0b, 0x1c]))
    );
    assert_eq!(w32(None), Some(Value::Sz("default".into())));
    assert_eq!(
        w32(Some("Literal")),
        Some(Value::Sz("#not a number".into()))
    );
    assert_eq!(
        w32(Some("Multi")),
        Some(Value::MultiSz(vec!["one".into(), "two".into()]))
    );
    // A 32-bit component's values are under Wow6432Node, seen from the 64-bit view…
    assert_eq!(
        r.get(
            View::Native64,
            Root::LocalMachine,
            r"Software\Wow6432Node\rmsi tests\registry",
            Some("Dword")
        ),
        Some(Value::Dword(42))
    );
    assert_eq!(
        r.get(View::Native64, Root::LocalMachine, KEY, Some("Dword")),
        None
    );
    // …a 64-bit component's in the 64-bit view only.
    assert_eq!(
        r.get(
            View::Native64,
            Root::LocalMachine,
            r"Software\rmsi tests\registry64",
            Some("Level")
        ),
        Some(Value::Dword(64))
    );
    assert!(!r.exists(
        View::Wow32,
        Root::LocalMachine,
        r"Software\rmsi tests\registry64"
    ));
    // Root 0 per-machine: HKLM\Software\Classes, seen through HKCR (shared by both views).
    assert_eq!(
        r.get(View::Native64, Root::ClassesRoot, ".rmsitest", None),
        Some(Value::Sz("RmsiTest.Document".into()))
    );
    // Root -1 per-machine is HKLM.
    assert_eq!(
        r.get(
            View::Wow32,
            Root::LocalMachine,
            r"Software\rmsi tests\context",
            Some("Where")
        ),
        Some(Value::Sz("ALLUSERS=1".into()))
    );
    assert!(r.exists(View::Wow32, Root::LocalMachine, r"Software\rmsi tests\kept"));
    assert!(r.exists(
        View::Wow32,
        Root::LocalMachine,
        r"Software\rmsi tests\tree\sub"
    ));

    r.uninstall("registry.msi");
    assert!(!r.exists(View::Wow32, Root::LocalMachine, KEY));
    assert!(!r.exists(
        View::Native64,
        Root::LocalMachine,
        r"Software\rmsi tests\registry64"
    ));
    assert!(!r.exists(View::Native64, Root::ClassesRoot, ".rmsitest"));
    assert!(!r.exists(View::Wow32, Root::LocalMachine, r"Software\rmsi tests\tree"));
    // `+`: created on install, never removed.
    assert!(r.exists(View::Wow32, Root::LocalMachine, r"Software\rmsi tests\kept"));
}

#[test]
fn a_per_user_install_writes_root_minus_one_and_zero_under_the_user() {
    let r = Root_::new(Layout::Fhs);
    r.install("registry.msi", &[("ALLUSERS", "")]);
    assert_eq!(
        r.get(
            View::Native64,
            Root::CurrentUser,
            r"Software\rmsi tests\context",
            Some("Where")
        ),
        Some(Value::Sz("ALLUSERS=".into()))
    );
    assert_eq!(
        r.get(
            View::Native64,
            Root::CurrentUser,
            r"Software\Classes\.rmsitest",
            None
        ),
        Some(Value::Sz("RmsiTest.Document".into()))
    );
    assert!(!r.exists(
        View::Native64,
        Root::LocalMachine,
        r"Software\Classes\.rmsitest"
    ));
    // The fixed roots stay where they are.
    assert_eq!(
        r.get(View::Native64, Root::LocalMachine, KEY, Some("Dword")),
        Some(Value::Dword(42))
    );
    // A per-user product is registered under the user: its Add/Remove Programs entry and
    // Installer keys in HKCU, its UserData under the user's SID.
    let arp = format!(r"Software\Microsoft\Windows\CurrentVersion\Uninstall\{PRODUCT}");
    assert!(r.exists(View::Native64, Root::CurrentUser, &arp));
    assert!(!r.exists(View::Native64, Root::LocalMachine, &arp));
    assert_eq!(
        r.get(
            View::Native64,
            Root::CurrentUser,
            &format!(r"Software\Microsoft\Installer\Products\{PACKED}"),
            Some("Assignment")
        ),
        Some(Value::Dword(0))
    );
    assert!(r.exists(
        View::Native64,
        Root::LocalMachine,
        &format!(
            r"Software\Microsoft\Windows\CurrentVersion\Installer\UserData\{}\Products\{PACKED}\InstallProperties",
            winreg::DEFAULT_USER_SID
        )
    ));
    // The uninstall keeps the context the product was installed in.
    r.uninstall("registry.msi");
    assert!(!r.exists(View::Native64, Root::CurrentUser, &arp));
    assert!(!r.exists(
        View::Native64,
        Root::CurrentUser,
        r"Software\rmsi tests\context"
    ));
}

#[test]
fn app_search_reads_what_another_product_wrote_and_remove_registry_deletes_it() {
    let r = Root_::new(Layout::Windows);
    r.install("registry.msi", &[]);
    let log = r.install("registry-cleaner.msi", &[]);
    let dir = format!(
        "{}/",
        r.root().join("Program Files (x86)/rmsi-registry").display()
    );
    let prop = |n: &str| dumped(&log, n);
    assert_eq!(prop("FOUNDSTR"), Some(dir.clone()));
    assert_eq!(prop("FOUNDDWORD").as_deref(), Some("#42"));
    assert_eq!(prop("FOUNDBIN").as_deref(), Some("#x0A0B1C"));
    assert_eq!(prop("FOUNDEXPAND"), Some(format!("#%%PATH%;{dir}")));
    assert_eq!(prop("FOUNDLITERAL").as_deref(), Some("##not a number"));
    assert_eq!(prop("FOUNDDEFAULT").as_deref(), Some("default"));
    assert_eq!(prop("FOUNDCLASS").as_deref(), Some("RmsiTest.Document"));
    assert_eq!(prop("FOUNDMULTI").as_deref(), Some("\0one\0two\0"));
    assert_eq!(prop("FOUNDDIR"), Some(dir.clone()));
    assert_eq!(prop("FOUNDFILE"), Some(format!("{dir}app.txt")));
    // The 64-bit flag reads the 64-bit view; without it, the 32-bit view has no such value.
    assert_eq!(prop("FOUND64").as_deref(), Some("#64"));
    assert_eq!(prop("NOT64"), None);
    assert_eq!(prop("MISSING"), None);
    // CCPSearch: its second signature (a RegLocator one) is found.
    assert_eq!(prop("CCP_Success").as_deref(), Some("1"));
    assert!(log.contains("CCPSearch: found signature SDword."), "{log}");
    // A value formatted from a raw DWORD is a DWORD again.
    assert_eq!(
        r.get(
            View::Wow32,
            Root::LocalMachine,
            r"Software\rmsi tests\cleaner",
            Some("Found")
        ),
        Some(Value::Dword(42))
    );
    // RemoveRegistry: a value, and a key with everything in it.
    assert_eq!(
        r.get(View::Wow32, Root::LocalMachine, KEY, Some("Literal")),
        None
    );
    assert!(!r.exists(View::Wow32, Root::LocalMachine, r"Software\rmsi tests\tree"));
    // Both products appended to one multi-string.
    let shared = r"Software\rmsi tests\shared";
    assert_eq!(
        r.get(View::Wow32, Root::LocalMachine, shared, Some("List")),
        Some(Value::MultiSz(vec!["mine".into(), "theirs".into()]))
    );
    // Removing one takes its own string out and leaves the other's.
    r.uninstall("registry.msi");
    assert_eq!(
        r.get(View::Wow32, Root::LocalMachine, shared, Some("List")),
        Some(Value::MultiSz(vec!["theirs".into()]))
    );
    r.uninstall("registry-cleaner.msi");
    assert!(!r.exists(View::Wow32, Root::LocalMachine, shared));
    assert!(!r.exists(
        View::Wow32,
        Root::LocalMachine,
        r"Software\rmsi tests\cleaner"
    ));
}

const PRODUCT: &str = "{6B1D9A20-3C4E-4F50-8A61-7B8C9D0E1F20}";
const PACKED: &str = "02A9D1B6E4C305F4A816B7C8D9E0F102";

#[test]
fn the_product_is_registered_where_windows_tools_look_and_unregistered_with_it() {
    let r = Root_::new(Layout::Windows);
    r.install("registry.msi", &[]);
    // An Intel package's Add/Remove Programs entry is in the 32-bit view.
    let arp = format!(r"Software\Microsoft\Windows\CurrentVersion\Uninstall\{PRODUCT}");
    assert!(!r.exists(View::Native64, Root::LocalMachine, &arp));
    let get = |name: &str| r.get(View::Wow32, Root::LocalMachine, &arp, Some(name));
    let sz = |v: &str| Some(Value::Sz(v.to_string()));
    assert_eq!(get("DisplayName"), sz("rmsi registry test"));
    assert_eq!(get("DisplayVersion"), sz("1.2.3"));
    assert_eq!(get("Publisher"), sz("rmsi tests"));
    assert_eq!(get("Comments"), sz("a test package"));
    assert_eq!(get("HelpLink"), sz("https://example.invalid/help"));
    assert_eq!(get("Contact"), sz(""));
    assert_eq!(get("InstallLocation"), sz(""));
    // ARPNOMODIFY: the uninstall command removes (/X) and NoModify is set.
    assert_eq!(
        get("UninstallString"),
        Some(Value::ExpandSz(format!("MsiExec.exe /X{PRODUCT}")))
    );
    assert_eq!(
        get("ModifyPath"),
        Some(Value::ExpandSz(format!("MsiExec.exe /I{PRODUCT}")))
    );
    assert_eq!(get("NoModify"), Some(Value::Dword(1)));
    assert_eq!(get("NoRemove"), None);
    assert_eq!(get("Version"), Some(Value::Dword(0x0102_0003)));
    assert_eq!(get("VersionMajor"), Some(Value::Dword(1)));
    assert_eq!(get("VersionMinor"), Some(Value::Dword(2)));
    assert_eq!(get("Language"), Some(Value::Dword(1033)));
    assert_eq!(get("WindowsInstaller"), Some(Value::Dword(1)));
    assert_eq!(get("EstimatedSize"), Some(Value::Dword(1)));
    match get("InstallDate") {
        Some(Value::Sz(d)) => assert!(d.len() == 8 && d.chars().all(|c| c.is_ascii_digit()), "{d}"),
        other => panic!("InstallDate {other:?}"),
    }
    let user_data = r"Software\Microsoft\Windows\CurrentVersion\Installer\UserData\S-1-5-18";
    let props = format!(r"{user_data}\Products\{PACKED}\InstallProperties");
    let local = r.get(
        View::Native64,
        Root::LocalMachine,
        &props,
        Some("LocalPackage"),
    );
    assert!(
        matches!(&local, Some(Value::Sz(p)) if p.ends_with(&format!("{PRODUCT}.msi")) && Path::new(p).is_file()),
        "{local:?}"
    );
    let products = format!(r"Software\Classes\Installer\Products\{PACKED}");
    assert_eq!(
        r.get(
            View::Native64,
            Root::LocalMachine,
            &products,
            Some("ProductName")
        ),
        sz("rmsi registry test")
    );
    assert_eq!(
        r.get(
            View::Native64,
            Root::LocalMachine,
            &products,
            Some("Assignment")
        ),
        Some(Value::Dword(1))
    );
    // HKCR shows the per-machine Installer keys.
    assert!(r.exists(
        View::Native64,
        Root::ClassesRoot,
        &format!(r"Installer\Products\{PACKED}")
    ));
    assert_eq!(
        r.get(
            View::Native64,
            Root::ClassesRoot,
            &format!(r"Installer\Features\{PACKED}"),
            Some("Main")
        ),
        sz("")
    );
    // Components: a client value per product, holding the key path (a registry key path for
    // the 64-bit component: 20 + 02, HKLM).
    let app = winreg::pack_guid("{6B1D9A20-3C4E-4F50-8A61-7B8C9D0E1F30}").unwrap();
    let reg64 = winreg::pack_guid("{6B1D9A20-3C4E-4F50-8A61-7B8C9D0E1F31}").unwrap();
    let file = r.root().join("Program Files (x86)/rmsi-registry/app.txt");
    assert_eq!(
        r.get(
            View::Native64,
            Root::LocalMachine,
            &format!(r"{user_data}\Components\{app}"),
            Some(PACKED)
        ),
        sz(&file.display().to_string())
    );
    assert_eq!(
        r.get(
            View::Native64,
            Root::LocalMachine,
            &format!(r"{user_data}\Components\{reg64}"),
            Some(PACKED)
        ),
        sz(r"22:\Software\rmsi tests\registry64\Level")
    );
    // A second run is a maintenance run that keeps all of it.
    r.install("registry.msi", &[]);
    assert_eq!(get("DisplayName"), sz("rmsi registry test"));
    r.uninstall("registry.msi");
    assert!(!r.exists(View::Wow32, Root::LocalMachine, &arp));
    assert!(!r.exists(View::Native64, Root::LocalMachine, &products));
    assert!(!r.exists(View::Native64, Root::LocalMachine, user_data));
    assert!(!r.exists(View::Native64, Root::ClassesRoot, "Installer"));
}

#[test]
fn a_component_whose_registry_key_path_is_gone_is_absent_and_installed_again() {
    let r = Root_::new(Layout::Windows);
    r.install("registry.msi", &[]);
    let key = r"Software\rmsi tests\registry64";
    {
        let conn = rusqlite::Connection::open(r.db()).expect("open");
        let mut reg = winreg::Registry::new(SqliteStore::new(&conn), winreg::DEFAULT_USER_SID);
        assert!(
            reg.delete_value(View::Native64, Root::LocalMachine, key, Some("Level"))
                .expect("delete")
        );
    }
    let log = r.install("registry.msi", &[]);
    assert!(
        log.contains("Component: Reg64; Installed: Absent;   Request: Local;   Action: Local"),
        "{log}"
    );
    // The component with a file key path was left as it was.
    assert!(
        log.contains("Component: App; Installed: Local;   Request: Local;   Action: Null"),
        "{log}"
    );
    assert_eq!(
        r.get(View::Native64, Root::LocalMachine, key, Some("Level")),
        Some(Value::Dword(64))
    );
}
