//! Uninstall through the library (`engine::uninstall`): a package built with `wixl` at
//! test time is installed into a root that already holds things of its own, then removed,
//! by product code and by package, in both layouts. The root must end exactly as it was
//! before the install; a user's file in an installed folder survives with its folders; a
//! product that is not installed is 1605; a failing `REMOVE~="ALL"` custom action rolls
//! the removal back.

use crate::exec_util;

use std::path::{Path, PathBuf};

use crate::exec_util::Scratch;
use engine::{
    InstallReport, Layout, NoUi, Registry, UiLevel, UninstallRequest, UninstallTarget, uninstall,
};

const PRODUCT_CODE: &str = "{5A2E8C10-6B7D-4E8F-9A0B-1C2D3E4F5061}";

/// Three files in three folders (two under ProgramFilesFolder, one under
/// CommonAppDataFolder), an empty CreateFolder folder, and a deferred custom action after
/// RemoveFiles, conditioned `REMOVE~="ALL" AND MARKFILE`, that writes to MARKFILE whether
/// main.txt is still there and exits UNEXIT.
const WXS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{5A2E8C10-6B7D-4E8F-9A0B-1C2D3E4F5061}" Name="uninstall test" Language="1033"
           Version="1.0.0" Manufacturer="rmsi tests" UpgradeCode="{5A2E8C10-6B7D-4E8F-9A0B-1C2D3E4F5060}">
    <Package InstallerVersion="500" Compressed="yes"/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
    <Property Id="SH_EXE" Value="/bin/sh"/>
    <Property Id="UNEXIT" Value="0"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="uninstall-test">
          <Component Id="Main" Guid="{5A2E8C10-6B7D-4E8F-9A0B-1C2D3E4F5070}">
            <File Id="MainFile" Name="main.txt" Source="main.txt" KeyPath="yes"/>
          </Component>
          <Directory Id="BinDir" Name="bin">
            <Component Id="Bin" Guid="{5A2E8C10-6B7D-4E8F-9A0B-1C2D3E4F5071}">
              <File Id="ToolFile" Name="tool.sh" Source="tool.sh" KeyPath="yes"/>
            </Component>
          </Directory>
          <Directory Id="EmptyDir" Name="empty">
            <Component Id="Empty" Guid="{5A2E8C10-6B7D-4E8F-9A0B-1C2D3E4F5072}">
              <CreateFolder/>
            </Component>
          </Directory>
        </Directory>
      </Directory>
      <Directory Id="CommonAppDataFolder">
        <Directory Id="ConfDir" Name="uninstall-test">
          <Component Id="Conf" Guid="{5A2E8C10-6B7D-4E8F-9A0B-1C2D3E4F5073}">
            <File Id="ConfFile" Name="conf.txt" Source="conf.txt" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1">
      <ComponentRef Id="Main"/><ComponentRef Id="Bin"/><ComponentRef Id="Empty"/><ComponentRef Id="Conf"/>
    </Feature>
    <CustomAction Id="OnRemove" Property="SH_EXE" Return="check" Execute="deferred"
                  ExeCommand="-c &quot;if test -e '[INSTALLDIR]main.txt'; then printf present; else printf gone; fi &gt; '[MARKFILE]'; exit [UNEXIT]&quot;"/>
    <InstallExecuteSequence>
      <Custom Action="OnRemove" After="RemoveFiles">REMOVE~="ALL" AND MARKFILE</Custom>
    </InstallExecuteSequence>
  </Product>
</Wix>
"#;

fn build(s: &Scratch) -> PathBuf {
    s.build(
        "uninstall",
        WXS,
        &[
            ("main.txt", "main\n"),
            ("tool.sh", "echo tool\n"),
            ("conf.txt", "conf\n"),
        ],
        &[],
    )
}

fn props(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = vec![(
        "MSIRESTARTMANAGERCONTROL".to_string(),
        "Disable".to_string(),
    )];
    out.extend(list.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    out
}

fn install_in(s: &Scratch, package: &Path, layout: Layout) -> InstallReport {
    let request = engine::InstallRequest {
        package: package.to_path_buf(),
        root: s.root(),
        layout,
        ui_level: UiLevel::None,
        log: Some(s.path("install.log")),
        log_append: false,
        properties: props(&[]),
        custom_actions: true,
    };
    engine::install(&request, &mut NoUi)
}

fn uninstall_in(
    s: &Scratch,
    target: UninstallTarget,
    layout: Layout,
    extra: &[(&str, &str)],
) -> (InstallReport, String) {
    let log = s.path("uninstall.log");
    let request = UninstallRequest {
        target,
        root: s.root(),
        layout,
        ui_level: UiLevel::None,
        log: Some(log.clone()),
        log_append: false,
        properties: props(extra),
        custom_actions: true,
    };
    let report = uninstall(&request, &mut NoUi);
    (report, fs_err::read_to_string(&log).unwrap_or_default())
}

/// Things of the root's own, there before the install: an empty `opt/` (the fhs
/// ProgramFilesFolder, which the install must not take for its own) and a file in `etc/`.
fn seed_root(s: &Scratch) {
    fs_err::create_dir_all(s.root().join("opt")).expect("mkdir opt");
    fs_err::create_dir_all(s.root().join("etc")).expect("mkdir etc");
    fs_err::write(s.root().join("etc/keep.conf"), "mine\n").expect("write keep.conf");
}

fn program_files(layout: Layout) -> &'static str {
    match layout {
        Layout::Windows => "Program Files (x86)",
        _ => "opt",
    }
}

fn check_round_trip(layout: Layout, by_code: bool) {
    let s = Scratch::new();
    let msi = build(&s);
    seed_root(&s);
    let before = s.tree();
    let report = install_in(&s, &msi, layout);
    assert_eq!(report.code(), 0, "{:?}", report.result);
    let app = format!("{}/uninstall-test", program_files(layout));
    let after_install = s.tree();
    for p in ["main.txt", "bin/tool.sh", "empty/"] {
        assert!(
            after_install.contains(&format!("{app}/{p}")),
            "{p} not installed: {after_install:?}"
        );
    }
    let target = if by_code {
        UninstallTarget::ProductCode(PRODUCT_CODE.to_ascii_lowercase())
    } else {
        UninstallTarget::Package(msi.clone())
    };
    let (report, log) = uninstall_in(&s, target, layout, &[]);
    assert_eq!(report.code(), 0, "{:?}\n{log}", report.result);
    assert_eq!(
        s.tree(),
        before,
        "the root is not as before the install\n{log}"
    );
    assert_eq!(
        fs_err::read_to_string(s.root().join("etc/keep.conf")).ok(),
        Some("mine\n".to_string())
    );
    assert!(log.contains("Product: uninstall test -- Removal completed successfully."));
    assert!(log.contains("PROPERTY CHANGE: Adding REMOVE property. Its value is 'ALL'."));
    assert!(log.contains("Component: Main; Installed: Local;   Request: Absent;   Action: Absent"));
    assert!(log.contains("MainEngineThread is returning 0"));
    // Removed for good: a second uninstall knows nothing of it.
    let (report, _) = uninstall_in(
        &s,
        UninstallTarget::ProductCode(PRODUCT_CODE.into()),
        layout,
        &[],
    );
    assert_eq!(
        (report.code(), report.name()),
        (1605, "ERROR_UNKNOWN_PRODUCT")
    );
}

#[test]
fn removal_by_product_code_restores_the_root_fhs() {
    check_round_trip(Layout::Fhs, true);
}

#[test]
fn removal_by_package_restores_the_root_windows() {
    check_round_trip(Layout::Windows, false);
}

#[test]
fn removal_by_product_code_restores_the_root_windows() {
    check_round_trip(Layout::Windows, true);
}

#[test]
fn removal_by_package_restores_the_root_fhs() {
    check_round_trip(Layout::Fhs, false);
}

#[test]
fn the_package_is_cached_owner_only_and_removal_needs_no_original() {
    use std::os::unix::fs::PermissionsExt;
    let s = Scratch::new();
    let msi = build(&s);
    let copy = s.path("moved-away.msi");
    fs_err::copy(&msi, &copy).expect("copy the package");
    let report = install_in(&s, &copy, Layout::Fhs);
    assert_eq!(report.code(), 0, "{:?}", report.result);
    let registry = Registry::for_root(&s.root(), Layout::Fhs).expect("registry");
    let product = registry
        .product(PRODUCT_CODE)
        .expect("read the registry")
        .expect("the product is registered");
    let cached = product.cached_package.expect("a cached package");
    let state = s.root().canonicalize().expect("root").join("var/lib/rmsi");
    assert!(cached.starts_with(&state), "{}", cached.display());
    let mode = fs_err::metadata(&cached)
        .expect("cached")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    // As Windows caches it: the package's tables, without its embedded cabinets.
    let original = engine::Package::open(&msi).expect("the package");
    let kept = engine::Package::open(&cached).expect("the cached copy opens");
    assert_eq!(
        kept.table("File").map(|t| &t.rows),
        original.table("File").map(|t| &t.rows)
    );
    let cabinets: Vec<String> = original
        .media()
        .expect("media")
        .iter()
        .filter_map(|m| m.embedded_stream().map(str::to_string))
        .collect();
    assert!(!cabinets.is_empty());
    for cab in &cabinets {
        assert!(original.has_stream(cab) && !kept.has_stream(cab), "{cab}");
    }
    drop(registry);
    // The package the product came from is gone: the cached copy runs the removal.
    fs_err::remove_file(&copy).expect("remove the original");
    let (report, log) = uninstall_in(
        &s,
        UninstallTarget::ProductCode(PRODUCT_CODE.into()),
        Layout::Fhs,
        &[],
    );
    assert_eq!(report.code(), 0, "{:?}\n{log}", report.result);
    assert!(s.tree().is_empty(), "{:?}", s.tree());
}

#[test]
fn a_user_file_in_an_installed_folder_survives_with_its_folders() {
    let s = Scratch::new();
    let msi = build(&s);
    let report = install_in(&s, &msi, Layout::Fhs);
    assert_eq!(report.code(), 0, "{:?}", report.result);
    fs_err::write(s.root().join("opt/uninstall-test/bin/notes.txt"), "user\n").expect("write");
    let (report, log) = uninstall_in(&s, UninstallTarget::Package(msi), Layout::Fhs, &[]);
    assert_eq!(report.code(), 0, "{:?}\n{log}", report.result);
    assert_eq!(
        s.tree(),
        vec![
            "opt/".to_string(),
            "opt/uninstall-test/".to_string(),
            "opt/uninstall-test/bin/".to_string(),
            "opt/uninstall-test/bin/notes.txt".to_string(),
        ],
        "{log}"
    );
}

#[test]
fn a_file_that_was_there_and_kept_at_install_is_not_removed() {
    let s = Scratch::new();
    let msi = build(&s);
    // The user's main.txt, modified after it was created: costing keeps it ("File Versioning
    // Rules").
    let dir = s.root().join("opt/uninstall-test");
    fs_err::create_dir_all(&dir).expect("mkdir");
    let file = fs_err::File::create(dir.join("main.txt")).expect("create");
    std::io::Write::write_all(&mut &file, b"the user's\n").expect("write");
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(86_400);
    file.set_modified(later).expect("set mtime");
    drop(file);
    let before = s.tree();
    let report = install_in(&s, &msi, Layout::Fhs);
    assert_eq!(report.code(), 0, "{:?}", report.result);
    let kept = fs_err::read_to_string(dir.join("main.txt")).expect("main.txt");
    if kept != "the user's\n" {
        // No birth time on this file system: the file counts as unmodified and is
        // replaced (cost/versioning.rs), so there is nothing of the user's left to keep.
        return;
    }
    let (report, log) = uninstall_in(&s, UninstallTarget::Package(msi), Layout::Fhs, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert_eq!(s.tree(), before, "{log}");
    assert_eq!(
        fs_err::read_to_string(dir.join("main.txt")).ok().as_deref(),
        Some("the user's\n")
    );
}

#[test]
fn a_product_that_is_not_installed_is_1605() {
    let s = Scratch::new();
    let msi = build(&s);
    seed_root(&s);
    let before = s.tree();
    for target in [
        UninstallTarget::Package(msi.clone()),
        UninstallTarget::ProductCode(PRODUCT_CODE.into()),
    ] {
        let (report, log) = uninstall_in(&s, target, Layout::Fhs, &[]);
        assert_eq!(
            (report.code(), report.name()),
            (1605, "ERROR_UNKNOWN_PRODUCT")
        );
        assert!(log.contains("MainEngineThread is returning 1605"), "{log}");
        assert_eq!(s.tree(), before);
    }
    // Another product installed in the root does not make this one known.
    let other = s.build(
        "other",
        &exec_util::wxs("", ""),
        &[("payload.txt", "x")],
        &[],
    );
    assert_eq!(install_in(&s, &other, Layout::Fhs).code(), 0);
    let (report, _) = uninstall_in(&s, UninstallTarget::Package(msi), Layout::Fhs, &[]);
    assert_eq!(report.code(), 1605);
    // A missing package is still 1619, as for an install.
    let (report, _) = uninstall_in(
        &s,
        UninstallTarget::Package(s.path("absent.msi")),
        Layout::Fhs,
        &[],
    );
    assert_eq!(report.code(), 1619);
}

#[test]
fn a_failing_removal_custom_action_rolls_everything_back() {
    let s = Scratch::new();
    let msi = build(&s);
    let mark = s.path("mark");
    let report = install_in(&s, &msi, Layout::Fhs);
    assert_eq!(report.code(), 0, "{:?}", report.result);
    assert!(!mark.exists(), "the REMOVE~=\"ALL\" action ran at install");
    let installed = s.tree();
    let mark_arg = mark.display().to_string();
    let (report, log) = uninstall_in(
        &s,
        UninstallTarget::ProductCode(PRODUCT_CODE.into()),
        Layout::Fhs,
        &[("MARKFILE", &mark_arg), ("UNEXIT", "3")],
    );
    assert_eq!(report.code(), 1603, "{log}");
    // The action ran after RemoveFiles' removals took place...
    assert_eq!(fs_err::read_to_string(&mark).ok().as_deref(), Some("gone"));
    // ...and the rollback put every file and folder back, and the product stays.
    assert_eq!(s.tree(), installed, "{log}");
    assert_eq!(
        fs_err::read_to_string(s.root().join("opt/uninstall-test/main.txt")).ok(),
        Some("main\n".to_string())
    );
    assert!(
        log.contains("Product: uninstall test -- Removal failed."),
        "{log}"
    );
    let registry = Registry::for_root(&s.root(), Layout::Fhs).expect("registry");
    assert!(registry.is_installed(PRODUCT_CODE).expect("read"));
    drop(registry);
    // The same removal with the action succeeding.
    fs_err::remove_file(&mark).expect("rm mark");
    let (report, log) = uninstall_in(
        &s,
        UninstallTarget::ProductCode(PRODUCT_CODE.into()),
        Layout::Fhs,
        &[("MARKFILE", &mark_arg)],
    );
    assert_eq!(report.code(), 0, "{log}");
    assert_eq!(fs_err::read_to_string(&mark).ok().as_deref(), Some("gone"));
    assert!(s.tree().is_empty(), "{:?}", s.tree());
}

#[test]
fn removing_one_of_two_products_keeps_the_other_and_the_registry() {
    let s = Scratch::new();
    let msi = build(&s);
    let other = s.build(
        "other",
        &exec_util::wxs("", ""),
        &[("payload.txt", "x")],
        &[],
    );
    assert_eq!(install_in(&s, &other, Layout::Fhs).code(), 0);
    let with_other = s.tree();
    assert_eq!(install_in(&s, &msi, Layout::Fhs).code(), 0);
    let (report, log) = uninstall_in(&s, UninstallTarget::Package(msi), Layout::Fhs, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert_eq!(s.tree(), with_other, "{log}");
    let (report, log) = uninstall_in(&s, UninstallTarget::Package(other), Layout::Fhs, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert!(s.tree().is_empty(), "{:?}", s.tree());
}
