//! The service actions through the library, with small packages built here: a vital
//! service that cannot be installed fails the install (error 1923) and leaves nothing; a
//! service that exists already is changed as `ChangeServiceConfig` changes it (null columns
//! leave its values); DeleteServices at install removes another product's service;
//! MsiConfigureServices on a service that is neither installed nor being installed is error
//! 1939. The values of `services.msi` are checked one by one by the `rmsi` test `services::`.

use engine::winreg::{self, Root, SqliteStore, Value, View};

use crate::exec_util::Scratch;

const SERVICES: &str = r"SYSTEM\CurrentControlSet\Services";

/// A per-machine package `name` (its own product and component codes from `n`) whose
/// component `Svc` holds `svc.exe` (or, with `registry_key_path`, a registry key path)
/// and `inner` as its children.
fn wxs(n: u32, inner: &str, registry_key_path: bool) -> String {
    let key = if registry_key_path {
        r#"<RegistryValue Root="HKLM" Key="Software\rmsi tests\svc" Name="K" Type="string" Value="1" KeyPath="yes"/>"#
    } else {
        r#"<File Id="SvcExe" Name="svc.exe" Source="svc.exe" KeyPath="yes"/>"#
    };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{{4F6B8D20-3C5E-4A72-9BA4-6D8E0F1A2B{n:02}}}" Name="svc exec {n}" Language="1033"
           Version="1.0.0" Manufacturer="rmsi tests" UpgradeCode="{{4F6B8D20-3C5E-4A72-9BA4-6D8E0F1A2C{n:02}}}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="svc-exec-{n}">
          <Component Id="Svc" Guid="{{4F6B8D20-3C5E-4A72-9BA4-6D8E0F1A2D{n:02}}}">
            {key}
            {inner}
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Svc"/></Feature>
  </Product>
</Wix>
"#
    )
}

fn get(s: &Scratch, key: &str, name: &str) -> Option<Value> {
    let db = s.root().join("var/lib/rmsi/products.db");
    let conn = rusqlite::Connection::open(db).expect("open the product database");
    let reg = winreg::Registry::new(SqliteStore::new(&conn), winreg::DEFAULT_USER_SID);
    reg.get(View::Native64, Root::LocalMachine, key, Some(name))
        .expect("read the registry")
}

fn exists(s: &Scratch, key: &str) -> bool {
    let db = s.root().join("var/lib/rmsi/products.db");
    let conn = rusqlite::Connection::open(db).expect("open the product database");
    let reg = winreg::Registry::new(SqliteStore::new(&conn), winreg::DEFAULT_USER_SID);
    reg.key_exists(View::Native64, Root::LocalMachine, key)
        .expect("read the registry")
}

fn sz(s: &str) -> Option<Value> {
    Some(Value::Sz(s.to_string()))
}

#[test]
fn a_vital_service_without_its_key_file_fails_the_install() {
    let s = Scratch::new();
    let pkg = s.build(
        "vital",
        &wxs(
            1,
            r#"<ServiceInstall Id="V" Name="RmsiVital" Type="ownProcess" Start="demand" ErrorControl="normal"/>"#,
            true,
        ),
        &[],
        &["UPDATE `ServiceInstall` SET `ErrorControl` = 32769 WHERE `ServiceInstall` = 'V'"],
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 1603, "{log}");
    assert!(
        log.contains("Error 1923. Service 'RmsiVital' (RmsiVital) could not be installed."),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.starts_with("Action ended")
                && l.ends_with(": InstallServices. Return value 3.")),
        "{log}"
    );
    assert!(s.tree().is_empty(), "left behind: {:?}", s.tree());
}

#[test]
fn an_existing_service_is_changed_and_another_products_delete_event_removes_it() {
    let s = Scratch::new();
    let first = s.build(
        "first",
        &wxs(
            2,
            r#"<ServiceInstall Id="A" Name="RmsiExec" DisplayName="First" Type="ownProcess" Start="demand"
                              ErrorControl="normal" Account=".\someone" Description="kept" Arguments="-a"/>"#,
            false,
        ),
        &[("svc.exe", "first")],
        &[],
    );
    let (report, log) = s.install(&first, &[]);
    assert_eq!(report.code(), 0, "{log}");
    let key = format!(r"{SERVICES}\RmsiExec");
    assert_eq!(get(&s, &key, "DisplayName"), sz("First"));
    assert_eq!(get(&s, &key, "ObjectName"), sz(r".\someone"));

    // The same service from another product, with null DisplayName, StartName and
    // Description: ChangeServiceConfig leaves those, and changes the rest.
    let second = s.build(
        "second",
        &wxs(
            3,
            r#"<ServiceInstall Id="B" Name="RmsiExec" Type="ownProcess" Start="auto" ErrorControl="ignore"/>"#,
            false,
        ),
        &[("svc.exe", "second")],
        &[],
    );
    let (report, log) = s.install(&second, &[]);
    assert_eq!(report.code(), 0, "{log}");
    let image = format!("{}/opt/svc-exec-3/svc.exe", s.root().display());
    assert_eq!(get(&s, &key, "ImagePath"), Some(Value::ExpandSz(image)));
    assert_eq!(get(&s, &key, "Start"), Some(Value::Dword(2)));
    assert_eq!(get(&s, &key, "ErrorControl"), Some(Value::Dword(0)));
    assert_eq!(get(&s, &key, "DisplayName"), sz("First"));
    assert_eq!(get(&s, &key, "ObjectName"), sz(r".\someone"));
    assert_eq!(get(&s, &key, "Description"), sz("kept"));

    // A third product deletes it at install (msidbServiceControlEventDelete).
    let third = s.build(
        "third",
        &wxs(
            4,
            r#"<ServiceControl Id="D" Name="RmsiExec" Remove="install" Wait="yes"/>"#,
            false,
        ),
        &[("svc.exe", "third")],
        &[],
    );
    let (report, log) = s.install(&third, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert!(
        log.contains("Executing op: ServiceControl(,Name=RmsiExec,Action=8,Wait=1,)"),
        "{log}"
    );
    assert!(!exists(&s, &key));
}

#[test]
fn configuring_a_service_that_does_not_exist_is_error_1939() {
    let s = Scratch::new();
    let pkg = s.build(
        "config",
        &wxs(5, "", false),
        &[("svc.exe", "x")],
        &[
            "CREATE TABLE `MsiServiceConfig` (`MsiServiceConfig` CHAR(72) NOT NULL, `Name` CHAR(255) NOT NULL, `Event` SHORT NOT NULL, `ConfigType` LONG NOT NULL, `Argument` CHAR(255), `Component_` CHAR(72) NOT NULL PRIMARY KEY `MsiServiceConfig`)",
            "INSERT INTO `MsiServiceConfig` (`MsiServiceConfig`, `Name`, `Event`, `ConfigType`, `Argument`, `Component_`) VALUES ('C', 'RmsiNowhere', 1, 3, '1', 'Svc')",
            "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('MsiConfigureServices', 5850)",
        ],
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 1603, "{log}");
    assert!(
        log.contains("Error 1939. Service 'RmsiNowhere' (RmsiNowhere) could not be configured."),
        "{log}"
    );
    assert!(s.tree().is_empty(), "left behind: {:?}", s.tree());
}
