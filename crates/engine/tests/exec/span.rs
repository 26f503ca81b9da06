//! Cabinets that span media ("Media table", continuous cabinets): a package whose file Bravo
//! begins in `span1.cab`, fills `span2.cab` and ends in `span3.cab` (the cabinet crate's
//! `tests/data/span/`, made by Wine's `cabarc`), as three Media rows, external or embedded.
//! The set is read in DiskId order, each next cabinet the next Media row's; a cabinet in
//! the wrong place fails as Windows fails: error 1335 (the cabinet is not usable), or 1311
//! when the cabinet a row names is not there, and nothing is installed.

use std::path::{Path, PathBuf};

use crate::cabinet_util::pseudo_random;
use crate::exec_util::Scratch;

const WXS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{5A0C1E62-7D3B-4F18-9A2E-6C4B8D0F1A31}" Name="span test" Language="1033"
           Version="1.0.0" Manufacturer="rmsi tests" UpgradeCode="{5A0C1E62-7D3B-4F18-9A2E-6C4B8D0F1A30}">
    <Package InstallerVersion="500" Compressed="yes"/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="span-test">
          <Component Id="Files" Guid="{5A0C1E62-7D3B-4F18-9A2E-6C4B8D0F1A40}">
            <File Id="Alpha" Name="alpha.txt" Source="Alpha" KeyPath="yes"/>
            <File Id="Bravo" Name="bravo.bin" Source="Bravo"/>
            <File Id="Charlie" Name="charlie.txt" Source="Charlie"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Files"/></Feature>
  </Product>
</Wix>
"#;

/// The set's cabinets, beside the cabinet crate's tests.
fn span_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cabinet/tests/data/span")
}

/// The package with three Media rows: (DiskId, LastSequence, Cabinet) as given; the
/// cabinets copied beside it (`external`: under the names given) or added as streams.
fn package(
    s: &Scratch,
    name: &str,
    media: &[(i32, i32, &str)],
    external: &[(&str, &str)],
) -> PathBuf {
    let mut sql = vec![
        "DELETE FROM `Media`".to_owned(),
        "UPDATE `File` SET `Sequence` = 1, `FileSize` = 3640 WHERE `File` = 'Alpha'".to_owned(),
        "UPDATE `File` SET `Sequence` = 2, `FileSize` = 110000 WHERE `File` = 'Bravo'".to_owned(),
        "UPDATE `File` SET `Sequence` = 3, `FileSize` = 41240 WHERE `File` = 'Charlie'".to_owned(),
    ];
    for (disk, last, cab) in media {
        sql.push(format!(
            "INSERT INTO `Media` (`DiskId`, `LastSequence`, `Cabinet`) VALUES ({disk}, {last}, '{cab}')"
        ));
    }
    let sql: Vec<&str> = sql.iter().map(String::as_str).collect();
    let files = [("Alpha", "a"), ("Bravo", "b"), ("Charlie", "c")];
    let msi = s.build(name, WXS, &files, &sql);
    for (disk, _, cab) in media {
        if let Some(stream) = cab.strip_prefix('#') {
            let from = span_dir().join(format!("span{disk}.cab"));
            let out = std::process::Command::new("msibuild")
                .arg(&msi)
                .arg("-a")
                .arg(stream)
                .arg(&from)
                .output()
                .expect("run msibuild");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    for (from, to) in external {
        fs_err::copy(span_dir().join(from), msi.with_file_name(to)).expect("copy a cabinet");
    }
    msi
}

const ALL: [(&str, &str); 3] = [
    ("span1.cab", "span1.cab"),
    ("span2.cab", "span2.cab"),
    ("span3.cab", "span3.cab"),
];

fn assert_installed(s: &Scratch, log: &str) {
    let dir = s.root().join("opt/span-test");
    let read = |n: &str| fs_err::read(dir.join(n)).unwrap_or_default();
    assert!(read("alpha.txt") == pseudo_random(3640, 1, true), "{log}");
    assert!(
        read("bravo.bin") == pseudo_random(110_000, 2, false),
        "{log}"
    );
    assert!(
        read("charlie.txt") == pseudo_random(41_240, 3, true),
        "{log}"
    );
}

#[test]
fn files_spanning_three_external_cabinets_install_byte_exact() {
    let s = Scratch::new();
    // Bravo (sequence 2) is counted on the disk it begins on, as tools that span author it.
    let pkg = package(
        &s,
        "span-ext",
        &[
            (1, 2, "span1.cab"),
            (2, 2, "span2.cab"),
            (3, 3, "span3.cab"),
        ],
        &ALL,
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert_installed(&s, &log);
    // Read once, in DiskId order, each next cabinet continuing the pass.
    let media: Vec<&str> = log.lines().filter(|l| l.contains("ChangeMedia(")).collect();
    assert_eq!(media.len(), 3, "{media:#?}");
    assert!(
        media[1].contains("span2.cab") && media[2].contains("span3.cab"),
        "{media:#?}"
    );
}

#[test]
fn files_spanning_three_embedded_cabinets_install_byte_exact() {
    let s = Scratch::new();
    // Here Bravo is counted on the disk after the one it begins on: the pass that begins
    // in span1.cab takes it there, and goes on through span2.cab and span3.cab.
    let pkg = package(
        &s,
        "span-emb",
        &[
            (1, 1, "#span1.cab"),
            (2, 2, "#span2.cab"),
            (3, 3, "#span3.cab"),
        ],
        &[],
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert_installed(&s, &log);
}

#[test]
fn a_misordered_cabinet_fails_with_1335_and_installs_nothing() {
    let s = Scratch::new();
    let before = s.tree();
    // DiskId 2 names span3.cab: the set's next after span1.cab is not it.
    let pkg = package(
        &s,
        "span-order",
        &[
            (1, 2, "span1.cab"),
            (2, 2, "span3.cab"),
            (3, 3, "span2.cab"),
        ],
        &ALL,
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 1603, "{log}");
    assert!(
        log.contains("Error 1335. The cabinet file 'span3.cab' required for this installation is corrupt and cannot be used."),
        "{log}"
    );
    assert_eq!(s.tree(), before, "{log}");
}

#[test]
fn a_misnamed_cabinet_fails_with_1311_and_installs_nothing() {
    let s = Scratch::new();
    let before = s.tree();
    // The second cabinet is on disk as disk2.cab, not as its Media row names it.
    let pkg = package(
        &s,
        "span-name",
        &[
            (1, 2, "span1.cab"),
            (2, 2, "span2.cab"),
            (3, 3, "span3.cab"),
        ],
        &[
            ("span1.cab", "span1.cab"),
            ("span2.cab", "disk2.cab"),
            ("span3.cab", "span3.cab"),
        ],
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 1603, "{log}");
    let missing = pkg.with_file_name("span2.cab");
    assert!(
        log.contains(&format!(
            "Error 1311. Source file not found: {}.",
            missing.display()
        )),
        "{log}"
    );
    assert_eq!(s.tree(), before, "{log}");
}
