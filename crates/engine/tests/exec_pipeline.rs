//! InstallFiles hands extracted content to a writer thread in bounded batches of many small
//! files, a large file split across several batches. Every byte must still land in the
//! right file, in order, with the executable bit for a script, whatever the split.

mod exec_util;

use std::os::unix::fs::PermissionsExt;

use exec_util::Scratch;

fn package_wxs() -> String {
    let mut components = String::new();
    let mut refs = String::new();
    for (i, name) in ["a.txt", "big.sh", "c.txt", "d.txt"].iter().enumerate() {
        components.push_str(&format!(
            r#"<Component Id="C{i}" Guid="{{3B1D7C40-1F2E-4A3B-9C4D-5E6F708193{i:02}}}">
              <File Id="F{i}" Name="{name}" Source="{name}" KeyPath="yes"/>
            </Component>"#
        ));
        refs.push_str(&format!(r#"<ComponentRef Id="C{i}"/>"#));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{{3B1D7C40-1F2E-4A3B-9C4D-5E6F708193A1}}" Name="pipeline test" Language="1033"
           Version="1.0.0" Manufacturer="rmsi tests" UpgradeCode="{{3B1D7C40-1F2E-4A3B-9C4D-5E6F708193A0}}">
    <Package InstallerVersion="500" Compressed="yes"/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="pipeline-test">{components}</Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1">{refs}</Feature>
  </Product>
</Wix>
"#
    )
}

#[test]
fn large_and_small_files_arrive_whole_in_order() {
    let s = Scratch::new();
    // Some 600 KB: split across several of the writer's 64 KiB batches, and across
    // several 32 KiB cabinet data blocks.
    let mut big = String::from("#!/bin/sh\n");
    for i in 0..40_000 {
        big.push_str(&format!("echo line {i}\n"));
    }
    let files = [
        ("a.txt", "first small file\n".to_string()),
        ("big.sh", big),
        ("c.txt", String::new()),
        ("d.txt", "last\n".to_string()),
    ];
    let sources: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let pkg = s.build("pipeline", &package_wxs(), &sources, &[]);
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
    let dir = s.root().join("opt/pipeline-test");
    for (name, text) in &files {
        let got = std::fs::read(dir.join(name)).expect("installed file");
        assert!(got == text.as_bytes(), "{name}: content differs");
    }
    let mode = |n: &str| {
        std::fs::metadata(dir.join(n))
            .expect("stat")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("big.sh"), 0o755);
    assert_eq!(mode("a.txt"), 0o644);
}
