//! Helpers of the `exec` tests: small packages built with Debian's `wixl` at test time
//! (fixed with `msibuild` where `wixl` cannot write a row), installed through the library.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use engine::{InstallReport, InstallRequest, Layout, NoUi, UiLevel, install};

/// A scratch folder with a root, a log and a place for packages.
pub(crate) struct Scratch {
    pub(crate) dir: tempfile::TempDir,
}

impl Scratch {
    pub(crate) fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("temp dir");
        fs_err::create_dir(dir.path().join("root")).expect("mkdir root");
        fs_err::create_dir(dir.path().join("rm")).expect("mkdir rm");
        Scratch { dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.path("root")
    }

    /// Builds `wxs` (payload files written beside it first), then runs each SQL query
    /// with msibuild. Returns the package path.
    pub(crate) fn build(
        &self,
        name: &str,
        wxs: &str,
        files: &[(&str, &str)],
        sql: &[&str],
    ) -> PathBuf {
        let src = self.path(&format!("src-{name}"));
        fs_err::create_dir_all(&src).expect("mkdir src");
        let files: Vec<(&str, &[u8])> = files.iter().map(|(f, t)| (*f, t.as_bytes())).collect();
        let msi = test_support::build::wixl_package(&src, "p", wxs, &files, sql);
        let out = self.path(&format!("{name}.msi"));
        fs_err::rename(&msi, &out).expect("move the package beside the root");
        out
    }

    /// Installs `package` into the root, silently, with a log; returns the report and the
    /// log's text.
    pub(crate) fn install(
        &self,
        package: &Path,
        props: &[(&str, &str)],
    ) -> (InstallReport, String) {
        // The Restart Manager session lives in the caller's default state folder.
        let log = self.path("install.log");
        let request = InstallRequest {
            package: package.to_path_buf(),
            root: self.root(),
            layout: Layout::Fhs,
            ui_level: UiLevel::None,
            log: Some(log.clone()),
            log_append: false,
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            custom_actions: true,
        };
        let report = install(&request, &mut NoUi);
        let text = fs_err::read_to_string(&log).unwrap_or_default();
        (report, text)
    }

    /// Every path under the root, relative, folders with a trailing `/`, sorted.
    pub(crate) fn tree(&self) -> Vec<String> {
        fn rec(base: &Path, dir: &Path, out: &mut Vec<String>) {
            for e in fs_err::read_dir(dir).expect("read_dir").flatten() {
                let p = e.path();
                let rel = p
                    .strip_prefix(base)
                    .expect("under base")
                    .display()
                    .to_string();
                if e.file_type().expect("type").is_dir() {
                    out.push(format!("{rel}/"));
                    rec(base, &p, out);
                } else {
                    out.push(rel);
                }
            }
        }
        let mut out = Vec::new();
        rec(&self.root(), &self.root(), &mut out);
        out.sort();
        out
    }
}

/// A package: one file `payload.txt` in `opt/exec-test/`, the custom actions and
/// execute-sequence rows given (WiX XML).
pub(crate) fn wxs(custom: &str, sequence: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{{3B1D7C40-1F2E-4A3B-9C4D-5E6F708192A1}}" Name="exec test" Language="1033"
           Version="1.0.0" Manufacturer="rmsi tests" UpgradeCode="{{3B1D7C40-1F2E-4A3B-9C4D-5E6F708192A0}}">
    <Package InstallerVersion="500" Compressed="yes"/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
    <Property Id="SH_EXE" Value="/bin/sh"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="exec-test">
          <Component Id="Payload" Guid="{{3B1D7C40-1F2E-4A3B-9C4D-5E6F708192B0}}">
            <File Id="Payload" Name="payload.txt" Source="payload.txt" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Payload"/></Feature>
    {custom}
    <InstallExecuteSequence>
      {sequence}
    </InstallExecuteSequence>
  </Product>
</Wix>
"#
    )
}

/// A type-50 custom action running `/bin/sh -c SCRIPT` (the script is a formatted string;
/// `"` must be written `&quot;`).
pub(crate) fn sh_action(id: &str, script: &str, extra: &str) -> String {
    format!(
        r#"<CustomAction Id="{id}" Property="SH_EXE" {ret} {extra} ExeCommand="-c &quot;{script}&quot;"/>"#,
        ret = if extra.contains("Return=") {
            ""
        } else {
            r#"Return="check""#
        }
    )
}
