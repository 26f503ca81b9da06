//! Packages built at test time from sources the tests hold: Debian's `wixl` writes the
//! package, `msibuild` (msitools) then runs SQL queries on it for what `wixl` cannot author
//! (a component condition, the Condition table, a custom action type it refuses).

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes `files` and `wxs` (as `<name>.wxs`) into the folder `dir`, builds `<name>.msi`
/// there with `wixl`, then runs each of `sql` on it with `msibuild -q`. Returns the
/// package's path.
pub fn wixl_package(
    dir: &Path,
    name: &str,
    wxs: &str,
    files: &[(&str, &[u8])],
    sql: &[&str],
) -> PathBuf {
    for (file, data) in files {
        fs_err::write(dir.join(file), data).expect("write a payload file");
    }
    let src = dir.join(format!("{name}.wxs"));
    let msi = dir.join(format!("{name}.msi"));
    fs_err::write(&src, wxs).expect("write the .wxs");
    let out = Command::new("wixl")
        .arg("-o")
        .arg(&msi)
        .arg(&src)
        .current_dir(dir)
        .output()
        .expect("run wixl (Debian package wixl)");
    assert!(
        out.status.success(),
        "wixl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for query in sql {
        msibuild(&msi, query);
    }
    msi
}

/// Runs one SQL query on the package `msi` with `msibuild -q`.
pub fn msibuild(msi: &Path, query: &str) {
    let out = Command::new("msibuild")
        .arg(msi)
        .arg("-q")
        .arg(query)
        .output()
        .expect("run msibuild (Debian package msitools)");
    assert!(
        out.status.success(),
        "msibuild {query}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A small package: two features (Extra at level 3, raised to 1 by the
/// Condition table when `WANTEXTRA` is set), four components (one with the
/// condition `ENABLECOND`), a subfolder, a CreateFolder row, an embedded
/// cabinet.
pub const MODEL_WXS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
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
pub const MODEL_FIXUPS: &[&str] = &[
    "UPDATE Component SET Condition='ENABLECOND' WHERE Component='CompCond'",
    "CREATE TABLE `Condition` (`Feature_` CHAR(38) NOT NULL, `Level` SHORT NOT NULL, `Condition` CHAR(255) PRIMARY KEY `Feature_`, `Level`)",
    "INSERT INTO `Condition` (`Feature_`, `Level`, `Condition`) VALUES ('Extra', 1, 'WANTEXTRA')",
];

/// The model package of [`MODEL_WXS`] with its fixups, built in a fresh folder. Returns
/// the folder (keep it alive) and the package path.
pub fn model_package() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let files: &[(&str, &[u8])] = &[
        ("a.txt", b"hello\n"),
        ("b.txt", b"world\n"),
        ("c.txt", b"extra\n"),
    ];
    let msi = wixl_package(dir.path(), "p", MODEL_WXS, files, MODEL_FIXUPS);
    (dir, msi)
}

/// A table to create in memory: name, columns, rows.
pub type TableSpec<'a> = (&'a str, Vec<msi::Column>, Vec<Vec<msi::Value>>);

/// Builds a package in memory with the msi crate: `tables` are (name,
/// columns, rows). Returns its bytes.
pub fn in_memory(package_type: msi::PackageType, tables: Vec<TableSpec<'_>>) -> Vec<u8> {
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
pub fn property_columns() -> Vec<msi::Column> {
    vec![
        msi::Column::build("Property").primary_key().id_string(72),
        msi::Column::build("Value").localizable().text_string(0),
    ]
}

/// A string value.
pub fn s(v: &str) -> msi::Value {
    msi::Value::Str(v.to_string())
}
