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

/// A product `name` with one file in `ProgramFilesFolder/rmsi-fold-NAME` (`opt/…` on
/// `fhs`); `extra` is more WiX inside that folder, `sql` more rows.
fn product(s: &Scratch, name: &str, guid_tail: u32, extra: &str, sql: &[&str]) -> PathBuf {
    let wxs = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{{6C2E0B14-3A5D-4C7E-8F90-1A2B3C4D{guid_tail:04X}}}" Name="fold {name}" Language="1033"
           Version="1.0.0" Manufacturer="rmsi tests" UpgradeCode="{{6C2E0B14-3A5D-4C7E-8F90-1A2B3C4E{guid_tail:04X}}}">
    <Package InstallerVersion="500" Compressed="yes"/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="rmsi-fold-{name}">
          <Component Id="Main" Guid="{{6C2E0B14-3A5D-4C7E-8F90-1A2B3C4F{guid_tail:04X}}}">
            <File Id="MainFile" Name="{name}.txt" Source="main.txt" KeyPath="yes"/>
          </Component>
          {extra}
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Main"/>{refs}</Feature>
  </Product>
</Wix>
"#,
        refs = if extra.contains("Id=\"Unmanaged\"") {
            r#"<ComponentRef Id="Unmanaged"/><ComponentRef Id="Made"/>"#
        } else {
            ""
        }
    );
    s.build(
        name,
        &wxs,
        &[("main.txt", name), ("unmanaged.txt", "u")],
        sql,
    )
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
        let p = product(&s, "p", 1, "", &[]);
        let q = product(&s, "q", 2, "", &[]);
        for pkg in [&p, &q] {
            let (report, log) = s.install(pkg, &[]);
            assert_eq!(report.code(), 0, "{log}");
        }
        // P's install created opt/; Q's found it there.
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
    // Unmanaged: no ComponentId, a file, a CreateFolder folder `kept`, RemoveFile rows of
    // every mode; Made: registered, a CreateFolder folder `made`, a RemoveFile row for
    // removal. RemoveFolders is in the sequence (wixl puts it there with CreateFolder).
    let extra = r#"
          <Component Id="Unmanaged" Guid="{6C2E0B14-3A5D-4C7E-8F90-1A2B3C4A0001}">
            <File Id="UnmanagedFile" Name="unmanaged.txt" Source="unmanaged.txt" KeyPath="yes"/>
          </Component>
          <Directory Id="KeptDir" Name="kept">
            <Component Id="Made" Guid="{6C2E0B14-3A5D-4C7E-8F90-1A2B3C4A0002}"><CreateFolder/></Component>
          </Directory>
          <Directory Id="MadeDir" Name="made"/>"#;
    let pkg = product(
        &s,
        "u",
        3,
        extra,
        &[
            // An empty string is a null in a package.
            // An empty string is a null in a package.
            "UPDATE `Component` SET `ComponentId` = '' WHERE `Component` = 'Unmanaged'",
            // `kept` is the unregistered component's CreateFolder folder, `made` Made's.
            "DELETE FROM `CreateFolder` WHERE `Directory_` = 'KeptDir'",
            "INSERT INTO `CreateFolder` (`Directory_`, `Component_`) VALUES ('KeptDir', 'Unmanaged')",
            "INSERT INTO `CreateFolder` (`Directory_`, `Component_`) VALUES ('MadeDir', 'Made')",
            "INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `FileName`, `DirProperty`, `InstallMode`) VALUES ('OnInstall', 'Unmanaged', 'on-install.txt', 'INSTALLDIR', 1)",
            "INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `FileName`, `DirProperty`, `InstallMode`) VALUES ('OnRemove', 'Unmanaged', 'on-remove.txt', 'INSTALLDIR', 2)",
            "INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `FileName`, `DirProperty`, `InstallMode`) VALUES ('OnBoth', 'Unmanaged', 'on-both.txt', 'INSTALLDIR', 3)",
            "INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `FileName`, `DirProperty`, `InstallMode`) VALUES ('MadeOnRemove', 'Made', 'made-remove.txt', 'INSTALLDIR', 2)",
        ],
    );
    let dir = s.root().join("opt/rmsi-fold-u");
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
