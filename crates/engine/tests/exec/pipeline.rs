//! InstallFiles hands extracted content to writer threads in bounded batches of many small
//! files, a large file split across several batches. Every byte must still land in the
//! right file, in order, with the executable bit for a script, whatever the split — also
//! when two files of a cabinet overlap, so that both are open at once.

use crate::cabinet_util;

use std::os::unix::fs::PermissionsExt;

use crate::exec_util::Scratch;

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
        let got = fs_err::read(dir.join(name)).expect("installed file");
        assert!(got == text.as_bytes(), "{name}: content differs");
    }
    let mode = |n: &str| {
        fs_err::metadata(dir.join(n))
            .expect("stat")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("big.sh"), 0o755);
    assert_eq!(mode("a.txt"), 0o644);
}

#[test]
fn files_that_overlap_in_their_cabinet_both_arrive_whole() {
    let s = Scratch::new();
    // Two 200,000-byte files; in the cabinet the second starts 50,000 bytes into the first,
    // so for 150,000 bytes (several 64 KiB batches) both are being written.
    const LEN: usize = 200_000;
    const B_AT: usize = 50_000;
    let data = cabinet_util::pseudo_random(2 * LEN, 7, true);
    let placeholder = "x".repeat(LEN);
    let wxs = package_wxs().replace(r#"Name="pipeline test""#, r#"Name="overlap test""#);
    let pkg = s.build(
        "overlap",
        &wxs,
        &[
            ("a.txt", placeholder.as_str()),
            ("big.sh", placeholder.as_str()),
            ("c.txt", ""),
            ("d.txt", ""),
        ],
        &[],
    );
    let (mut cab, layout) = cabinet_util::build(&cabinet_util::CabSpec::one(
        cabinet_util::Method::MsZip,
        vec![
            ("F0".to_string(), data[..LEN].to_vec()),
            ("F1".to_string(), data[LEN..].to_vec()),
            ("F2".to_string(), Vec::new()),
            ("F3".to_string(), Vec::new()),
        ],
    ));
    // F1's uoffFolderStart (after its 4-byte size): inside F0.
    let at = layout.file_entries[1] + 4;
    cab[at..at + 4].copy_from_slice(&(B_AT as u32).to_le_bytes());
    let cab_path = s.path("overlap.cab");
    fs_err::write(&cab_path, &cab).expect("write the cabinet");
    let out = std::process::Command::new("msibuild")
        .arg(&pkg)
        .arg("-a")
        .arg("p.cab")
        .arg(&cab_path)
        .output()
        .expect("run msibuild");
    assert!(out.status.success(), "{out:?}");

    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
    let dir = s.root().join("opt/pipeline-test");
    let a = fs_err::read(dir.join("a.txt")).expect("a.txt");
    let b = fs_err::read(dir.join("big.sh")).expect("big.sh");
    assert!(a == data[..LEN], "a.txt differs");
    assert!(
        b == data[B_AT..B_AT + LEN],
        "big.sh (the overlapping file) differs"
    );
}
