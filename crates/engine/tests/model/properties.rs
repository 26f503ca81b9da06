//! The standard properties set at initialization ("Property Reference") in both
//! layouts: folders, the documented Windows 7 SP1 x64, the package's own
//! properties, the command line's precedence, ALLUSERS, and the change hook.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::model_util::model_package;
use engine::{Account, InitOptions, Layout, Package, Properties, initialize};
use msi_expr::ConditionResult;

fn init(package: &Package, root: &Path, layout: Layout, cmdline: &[(&str, &str)]) -> Properties {
    let mut props = Properties::new();
    let mut opts = InitOptions::new(root, layout);
    opts.account = Account {
        uid: 1000,
        name: "alice".into(),
        home: "home/alice".into(),
    };
    opts.command_line = cmdline
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    initialize(&mut props, package, &opts).unwrap();
    props
}

#[test]
fn windows_layout_folders_and_os() {
    let (_d, msi) = model_package();
    let package = Package::open(&msi).unwrap();
    let p = init(&package, Path::new("/r"), Layout::Windows, &[]);
    let get = |k: &str| {
        p.get_str(k)
            .unwrap_or_else(|| panic!("{k} unset"))
            .to_string()
    };
    assert_eq!(get("ROOTDRIVE"), "/r/");
    assert_eq!(get("WindowsFolder"), "/r/Windows/");
    assert_eq!(get("ProgramFilesFolder"), "/r/Program Files (x86)/");
    assert_eq!(get("ProgramFiles64Folder"), "/r/Program Files/");
    assert_eq!(
        get("CommonFilesFolder"),
        "/r/Program Files (x86)/Common Files/"
    );
    assert_eq!(get("CommonFiles64Folder"), "/r/Program Files/Common Files/");
    assert_eq!(get("SystemFolder"), "/r/Windows/SysWOW64/");
    assert_eq!(get("System64Folder"), "/r/Windows/System32/");
    assert_eq!(get("CommonAppDataFolder"), "/r/ProgramData/");
    assert_eq!(get("AppDataFolder"), "/r/Users/alice/AppData/Roaming/");
    assert_eq!(get("LocalAppDataFolder"), "/r/Users/alice/AppData/Local/");
    assert_eq!(get("TempFolder"), "/r/Users/alice/AppData/Local/Temp/");
    assert_eq!(get("FontsFolder"), "/r/Windows/Fonts/");
    assert_eq!(get("PersonalFolder"), "/r/Users/alice/Documents/");
    // The package is per-machine (ALLUSERS=1): the all-users shell folders.
    assert_eq!(get("ALLUSERS"), "1");
    assert_eq!(get("DesktopFolder"), "/r/Users/Public/Desktop/");
    assert_eq!(
        get("ProgramMenuFolder"),
        "/r/ProgramData/Microsoft/Windows/Start Menu/Programs/"
    );
    // A 64-bit Windows 7 SP1.
    for (k, v) in [
        ("VersionNT", "601"),
        ("VersionNT64", "601"),
        ("WindowsBuild", "7601"),
        ("ServicePackLevel", "1"),
        ("VersionMsi", "5.00"),
        ("Msix64", "6"),
        ("Intel", "6"),
        ("UILevel", "2"),
        ("LogonUser", "alice"),
        ("UserSID", "S-1-22-1-1000"),
        ("ProductState", "-1"),
        ("ACTION", "INSTALL"),
        ("INSTALLLEVEL", "1"),
        ("Privileged", "1"),
        ("AdminUser", "1"),
    ] {
        assert_eq!(get(k), v, "{k}");
    }
    assert!(p.get_str("Installed").is_none());
    assert_eq!(
        p.evaluate("VersionNT >= 601 AND VersionNT64"),
        ConditionResult::True
    );
    assert_eq!(p.evaluate("VersionNT < 600"), ConditionResult::False);
    // The package's own properties and where it came from.
    assert_eq!(get("ProductCode"), "{11111111-2222-3333-4444-555555555555}");
    assert_eq!(get("ProductName"), "Model Test");
    assert_eq!(get("ProductVersion"), "1.2.3");
    assert_eq!(get("Manufacturer"), "rmsi");
    assert_eq!(get("ProductLanguage"), "1033");
    assert_eq!(get("UpgradeCode"), "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}");
    assert_eq!(get("MYPROP"), "authored");
    // SourceDir waits for ResolveSource (or ProcessComponents, InstallFiles).
    assert!(p.get_str("SourceDir").is_none());
    assert!(p.get_str("SOURCEDIR").is_none());
    assert_eq!(Some(get("PackageCode")), package.summary().revision.clone());
    assert_eq!(get("OriginalDatabase"), msi.display().to_string());
    assert_eq!(get("DATABASE"), msi.display().to_string());
    assert!(!get("ComputerName").is_empty());
    let date = p.get("Date").unwrap();
    assert_eq!(date.len(), 10, "{date}");
}

#[test]
fn fhs_layout_folders() {
    let (_d, msi) = model_package();
    let package = Package::open(&msi).unwrap();
    let p = init(
        &package,
        Path::new("/stage"),
        Layout::Fhs,
        &[("ALLUSERS", "")],
    );
    let get = |k: &str| p.get_str(k).unwrap().to_string();
    assert_eq!(get("ROOTDRIVE"), "/stage/opt/");
    assert_eq!(get("ProgramFilesFolder"), "/stage/opt/");
    assert_eq!(get("ProgramFiles64Folder"), "/stage/opt/");
    assert_eq!(get("CommonAppDataFolder"), "/stage/var/lib/");
    assert_eq!(get("AppDataFolder"), "/stage/home/alice/.local/share/");
    assert_eq!(get("LocalAppDataFolder"), "/stage/home/alice/.local/state/");
    assert_eq!(get("FontsFolder"), "/stage/usr/share/fonts/");
    assert_eq!(get("TempFolder"), "/stage/tmp/");
    // ALLUSERS cleared on the command line: per-user shell folders.
    assert!(p.get_str("ALLUSERS").is_none());
    assert_eq!(get("DesktopFolder"), "/stage/home/alice/Desktop/");
    assert_eq!(
        get("ProgramMenuFolder"),
        "/stage/home/alice/.local/share/applications/"
    );
}

#[test]
fn command_line_precedence() {
    let (_d, msi) = model_package();
    let package = Package::open(&msi).unwrap();
    let p = init(
        &package,
        Path::new("/r"),
        Layout::Fhs,
        &[
            ("myprop", "from the command line"),
            ("DATABASE", "/tmp/other.msi"),
            ("ROOTDRIVE", "/mnt/"),
            ("NEWPROP", "x"),
            ("NEWPROP", ""),
            ("ADDLOCAL", "Main"),
        ],
    );
    // Names are uppercased; the command line overrides the Property table…
    assert_eq!(p.get_str("MYPROP"), Some("from the command line"));
    // …but not the environment's own properties.
    assert_eq!(p.get_str("DATABASE"), Some(msi.to_str().unwrap()));
    assert_eq!(p.get_str("ROOTDRIVE"), Some("/mnt/"));
    assert!(p.get_str("NEWPROP").is_none(), "an empty value deletes");
    assert_eq!(p.get_str("Preselected"), Some("1"));
}

#[test]
fn allusers_2_resolves_by_privilege_and_msiinstallperuser() {
    let (_d, msi) = model_package();
    let package = Package::open(&msi).unwrap();
    let p = init(
        &package,
        Path::new("/r"),
        Layout::Windows,
        &[("ALLUSERS", "2")],
    );
    assert_eq!(p.get_str("ALLUSERS"), Some("1"));
    let p = init(
        &package,
        Path::new("/r"),
        Layout::Windows,
        &[("ALLUSERS", "2"), ("MSIINSTALLPERUSER", "1")],
    );
    assert!(p.get_str("ALLUSERS").is_none());
    assert_eq!(p.get_str("DesktopFolder"), Some("/r/Users/alice/Desktop/"));
    // A dual-purpose package installed per user gets the user's program folders
    // (Windows Installer 5, "Single Package Authoring").
    for (name, value) in [
        (
            "ProgramFilesFolder",
            "/r/Users/alice/AppData/Local/Programs/",
        ),
        (
            "ProgramFiles64Folder",
            "/r/Users/alice/AppData/Local/Programs/",
        ),
        (
            "CommonFilesFolder",
            "/r/Users/alice/AppData/Local/Programs/Common/",
        ),
        (
            "CommonFiles64Folder",
            "/r/Users/alice/AppData/Local/Programs/Common/",
        ),
    ] {
        assert_eq!(p.get_str(name), Some(value), "{name}");
    }
    let p = init(
        &package,
        Path::new("/r"),
        Layout::Fhs,
        &[("ALLUSERS", "2"), ("MSIINSTALLPERUSER", "1")],
    );
    assert_eq!(
        p.get_str("ProgramFilesFolder"),
        Some("/r/home/alice/.local/opt/")
    );
    // Per machine, and a per-user package that is not dual-purpose, keep Program Files.
    for cmdline in [&[("ALLUSERS", "2")][..], &[("ALLUSERS", "")][..]] {
        let p = init(&package, Path::new("/r"), Layout::Windows, cmdline);
        assert_eq!(
            p.get_str("ProgramFilesFolder"),
            Some("/r/Program Files (x86)/"),
            "{cmdline:?}"
        );
    }
}

#[test]
fn changes_reach_the_hook_as_log_text() {
    let (_d, msi) = model_package();
    let package = Package::open(&msi).unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let mut props = Properties::new();
    props.set_hook(Box::new(move |c| sink.lock().unwrap().push(c.log_text())));
    let mut opts = InitOptions::new("/r", Layout::Fhs);
    opts.installed = true;
    initialize(&mut props, &package, &opts).unwrap();
    let lines = lines.lock().unwrap();
    assert!(lines.contains(&"Adding MYPROP property. Its value is 'authored'.".to_string()));
    assert!(lines.contains(&"Adding Installed property. Its value is '1'.".to_string()));
    assert!(lines.contains(&"Adding ProductState property. Its value is '5'.".to_string()));
    assert_eq!(lines.len(), props.iter().count());
}
