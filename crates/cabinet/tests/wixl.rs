//! Packages built at test time with Debian's `wixl` (real MSZIP cabinets written by libgcab),
//! extracted by this crate and compared byte for byte with `msiextract`'s output.

mod util;

use fs_err as fs;
use std::fmt::Write as _;

use util::{embedded_cabinet, extract_all, file_names, msiextract, pseudo_random, wixl};

/// Builds a package holding `files` (name, bytes), one component each.
fn package(dir: &std::path::Path, name: &str, files: &[(String, Vec<u8>)]) -> std::path::PathBuf {
    let src = dir.join("src");
    fs::create_dir_all(&src).expect("mkdir");
    let mut components = String::new();
    let mut refs = String::new();
    for (i, (file, data)) in files.iter().enumerate() {
        fs::write(src.join(file), data).expect("write payload");
        let _ = writeln!(
            components,
            "<Component Id=\"C{i}\" Guid=\"{{A3F1C7D2-5B6E-4C8A-9D0F-{i:012X}}}\">\
             <File Id=\"F{i}\" Name=\"{file}\" Source=\"src/{file}\" KeyPath=\"yes\"/></Component>"
        );
        let _ = write!(refs, "<ComponentRef Id=\"C{i}\"/>");
    }
    let wxs = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{{A3F1C7D2-5B6E-4C8A-9D0F-0000000000F1}}" Name="cabinet test" Language="1033"
           Version="1.0.0" Manufacturer="rmsi tests" UpgradeCode="{{A3F1C7D2-5B6E-4C8A-9D0F-0000000000F0}}">
    <Package InstallerVersion="500" Compressed="yes"/>
    <Media Id="1" Cabinet="test.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="cabtest">
{components}        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1">{refs}</Feature>
  </Product>
</Wix>
"#
    );
    wixl(dir, name, &wxs)
}

fn compare_with_msiextract(files: &[(String, Vec<u8>)]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pkg = package(dir.path(), "test", files);
    let cab = embedded_cabinet(&pkg);
    let names = file_names(&pkg).expect("File table");
    let mut ours: Vec<(String, Vec<u8>)> = extract_all(&cab)
        .expect("extract")
        .into_iter()
        .map(|(entry, data)| (names[&entry.name].clone(), data))
        .collect();
    ours.sort();
    let out = dir.path().join("msiextract");
    let (ok, theirs) = msiextract(&pkg, &out);
    assert!(ok, "msiextract failed");
    assert_eq!(ours.len(), files.len());
    assert_eq!(ours.len(), theirs.len());
    for ((a, x), (b, y)) in ours.iter().zip(&theirs) {
        assert_eq!(a, b);
        assert!(
            x == y,
            "{a}: {} bytes from us, {} from msiextract",
            x.len(),
            y.len()
        );
    }
    // And both equal the payload that went in.
    let mut want = files.to_vec();
    want.sort();
    assert!(ours == want, "extracted files differ from the payload");
}

#[test]
fn sizes_around_block_boundaries() {
    let block = 32 * 1024;
    let files: Vec<(String, Vec<u8>)> = [0, 1, block - 1, block, block + 1, 3 * block + 17]
        .into_iter()
        .enumerate()
        .flat_map(|(i, len)| {
            [
                (format!("text{i}.txt"), pseudo_random(len, i as u64, true)),
                (
                    format!("bin{i}.bin"),
                    pseudo_random(len, 100 + i as u64, false),
                ),
            ]
        })
        .collect();
    compare_with_msiextract(&files);
}

#[test]
fn many_small_files_in_one_folder() {
    // 400 files of 0.5–3 KB: many files per MSZIP block, many cut by block boundaries.
    let files: Vec<(String, Vec<u8>)> = (0..400)
        .map(|i| {
            (
                format!("f{i:03}.txt"),
                pseudo_random(500 + (i * 131) % 2600, i as u64, true),
            )
        })
        .collect();
    compare_with_msiextract(&files);
}
