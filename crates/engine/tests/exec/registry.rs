//! The root's product registry as the session uses it: a successful install whose sequence
//! runs RegisterProduct is recorded; installing the same product again is a maintenance
//! run (`Installed`, `ProductState=5`); FindRelatedProducts finds an installed product of
//! the same family within an Upgrade row's bounds; a failed install records nothing.

use crate::exec_util::Scratch;

const UPGRADE_CODE: &str = "{5A0C2E10-7B8C-4D9E-8F00-112233445560}";

fn package(
    s: &Scratch,
    name: &str,
    product_code: &str,
    version: &str,
    extra: &str,
) -> std::path::PathBuf {
    let wxs = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{product_code}" Name="registry test" Language="1033" Version="{version}"
           Manufacturer="rmsi tests" UpgradeCode="{UPGRADE_CODE}">
    <Package InstallerVersion="500" Compressed="yes"/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
    {extra}
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="registry-test">
          <Component Id="Payload" Guid="{{5A0C2E10-7B8C-4D9E-8F00-112233445570}}">
            <File Id="Payload" Name="payload.txt" Source="payload.txt" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Payload"/></Feature>
  </Product>
</Wix>
"#
    );
    s.build(name, &wxs, &[("payload.txt", version)], &[])
}

fn dumped<'a>(log: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("Property(S): {name} = ");
    log.lines().find_map(|l| l.strip_prefix(prefix.as_str()))
}

#[test]
fn reinstalling_a_recorded_product_is_a_maintenance_run() {
    let s = Scratch::new();
    let v1 = package(
        &s,
        "v1",
        "{5A0C2E10-7B8C-4D9E-8F00-112233445561}",
        "1.0.0",
        "",
    );
    let (report, log) = s.install(&v1, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert!(
        s.root().join("var/lib/rmsi/products.db").is_file(),
        "{:?}",
        s.tree()
    );
    assert_eq!(dumped(&log, "Installed"), None, "{log}");

    let (report, log) = s.install(&v1, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert_eq!(dumped(&log, "Installed"), Some("1"), "{log}");
    assert_eq!(dumped(&log, "ProductState"), Some("5"), "{log}");
    assert_eq!(
        fs_err::read_to_string(s.root().join("opt/registry-test/payload.txt"))
            .ok()
            .as_deref(),
        Some("1.0.0")
    );
}

#[test]
fn find_related_products_finds_an_installed_older_version() {
    let s = Scratch::new();
    let v1 = package(
        &s,
        "v1",
        "{5A0C2E10-7B8C-4D9E-8F00-112233445561}",
        "1.0.0",
        "",
    );
    let (report, log) = s.install(&v1, &[]);
    assert_eq!(report.code(), 0, "{log}");
    let upgrade = format!(
        r#"<Upgrade Id="{UPGRADE_CODE}">
      <UpgradeVersion OnlyDetect="yes" Minimum="1.0.0" IncludeMinimum="yes" Maximum="2.0.0" IncludeMaximum="no" Property="OLDFOUND"/>
      <UpgradeVersion OnlyDetect="yes" Minimum="2.0.0" IncludeMinimum="no" Property="NEWERFOUND"/>
    </Upgrade>"#
    );
    let v2 = package(
        &s,
        "v2",
        "{5A0C2E10-7B8C-4D9E-8F00-112233445562}",
        "2.0.0",
        &upgrade,
    );
    let (report, log) = s.install(&v2, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert_eq!(
        dumped(&log, "OLDFOUND"),
        Some("{5A0C2E10-7B8C-4D9E-8F00-112233445561}"),
        "{log}"
    );
    assert_eq!(dumped(&log, "NEWERFOUND"), None, "{log}");
}

#[test]
fn a_failed_install_records_nothing() {
    let s = Scratch::new();
    let v1 = package(
        &s,
        "v1",
        "{5A0C2E10-7B8C-4D9E-8F00-112233445561}",
        "1.0.0",
        "",
    );
    // A folder climbing out of the root fails the install before anything changed.
    let (report, log) = s.install(&v1, &[("INSTALLDIR", "../../..")]);
    assert_ne!(report.code(), 0, "{log}");
    assert!(s.tree().is_empty(), "left behind: {:?}", s.tree());
}
