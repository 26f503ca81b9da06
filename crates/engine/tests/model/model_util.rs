//! Shared helpers of the `model` tests: packages built with Debian's
//! `wixl` (and fixed up with `msibuild`, for what `wixl` cannot author) or
//! in memory with the msi crate, and the shared corpus's location.

#![allow(dead_code)]

use std::io::Cursor;
use std::path::PathBuf;

/// A small package: two features (Extra at level 3, raised to 1 by the
/// Condition table when `WANTEXTRA` is set), four components (one with the
/// condition `ENABLECOND`), a subfolder, a CreateFolder row, an embedded
/// cabinet.
pub(crate) const MODEL_WXS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{11111111-2222-3333-4444-555555555555}" Name="Model Test" Language="1033" Version="1.2.3" Manufacturer="rmsi" UpgradeCode="{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="data.cab" EmbedCab="yes"/>
    <Property Id="MYPROP" Value="authored"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="Model App">
          <Directory Id="SubDir" Name="sub">
            <Component Id="CompB" Guid="{00000000-0000-0000-0000-00000000000B}">
              <File Id="FileB" Name="b.txt" Source="b.txt"/>
            </Component>
          </Directory>
          <Component Id="CompA" Guid="{00000000-0000-0000-0000-00000000000A}">
            <File Id="FileA" Name="a.txt" Source="a.txt" KeyPath="yes"/>
            <CreateFolder/>
          </Component>
          <Component Id="CompCond" Guid="{00000000-0000-0000-0000-00000000000D}">
            <File Id="FileD" Name="d.txt" Source="a.txt"/>
          </Component>
          <Component Id="CompC" Guid="{00000000-0000-0000-0000-00000000000C}">
            <File Id="FileC" Name="c.txt" Source="c.txt"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1">
      <ComponentRef Id="CompA"/>
      <ComponentRef Id="CompB"/>
      <ComponentRef Id="CompCond"/>
    </Feature>
    <Feature Id="Extra" Level="3">
      <ComponentRef Id="CompC"/>
    </Feature>
  </Product>
</Wix>
"#;

/// `msibuild` queries adding what `wixl` cannot write to [`MODEL_WXS`]: a
/// component condition and the Condition table.
pub(crate) const MODEL_FIXUPS: &[&str] = &[
    "UPDATE Component SET Condition='ENABLECOND' WHERE Component='CompCond'",
    "CREATE TABLE `Condition` (`Feature_` CHAR(38) NOT NULL, `Level` SHORT NOT NULL, `Condition` CHAR(255) PRIMARY KEY `Feature_`, `Level`)",
    "INSERT INTO `Condition` (`Feature_`, `Level`, `Condition`) VALUES ('Extra', 1, 'WANTEXTRA')",
];

/// A package built from `wxs` with `wixl` in a fresh folder holding
/// `files`, then fixed up with `msibuild -q` queries. Returns the folder
/// (keep it alive) and the package path.
pub(crate) fn build(
    wxs: &str,
    files: &[(&str, &[u8])],
    fixups: &[&str],
) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let msi = test_support::build::wixl_package(dir.path(), "p", wxs, files, fixups);
    (dir, msi)
}

/// The model package of [`MODEL_WXS`] with its fixups.
pub(crate) fn model_package() -> (tempfile::TempDir, PathBuf) {
    build(
        MODEL_WXS,
        &[
            ("a.txt", b"hello\n"),
            ("b.txt", b"world\n"),
            ("c.txt", b"extra\n"),
        ],
        MODEL_FIXUPS,
    )
}

/// A table to create in memory: name, columns, rows.
pub(crate) type TableSpec<'a> = (&'a str, Vec<msi::Column>, Vec<Vec<msi::Value>>);

/// Builds a package in memory with the msi crate: `tables` are (name,
/// columns, rows). Returns its bytes.
pub(crate) fn in_memory(package_type: msi::PackageType, tables: Vec<TableSpec<'_>>) -> Vec<u8> {
    let mut package = msi::Package::create(package_type, Cursor::new(Vec::new())).expect("create");
    for (name, columns, rows) in tables {
        package.create_table(name, columns).expect("create table");
        if !rows.is_empty() {
            package
                .insert_rows(msi::Insert::into(name).rows(rows))
                .expect("insert rows");
        }
    }
    package.into_inner().expect("finish").into_inner()
}

/// The Property table's columns.
pub(crate) fn property_columns() -> Vec<msi::Column> {
    vec![
        msi::Column::build("Property").primary_key().id_string(72),
        msi::Column::build("Value").localizable().text_string(0),
    ]
}

/// A string value.
pub(crate) fn s(v: &str) -> msi::Value {
    msi::Value::Str(v.to_string())
}

/// The shared corpus folder (`RMSI_CORPUS` overrides).
pub(crate) fn corpus_dir() -> PathBuf {
    test_support::corpus_dir()
}
