//! The file actions beside InstallFiles, through the library: CreateFolders, RemoveFiles
//! (wildcards), DuplicateFiles and MoveFiles; then the same install failing late, which
//! must put every removed, moved and created thing back as it was.

use crate::exec_util::{Scratch, sh_action, wxs};

fn ops_package(s: &Scratch) -> std::path::PathBuf {
    let custom = sh_action("FailLate", "exit 3", r#"Execute="deferred""#);
    let directories = r#"<Custom Action="FailLate" Sequence="6500">FAILLATE</Custom>"#;
    s.build(
        "ops",
        &wxs(&custom, directories),
        &[("payload.txt", "payload\n")],
        &[
            "INSERT INTO `Directory` (`Directory`, `Directory_Parent`, `DefaultDir`) VALUES ('EmptyDir', 'INSTALLDIR', 'empty')",
            "INSERT INTO `Directory` (`Directory`, `Directory_Parent`, `DefaultDir`) VALUES ('CopyDir', 'INSTALLDIR', 'copies')",
            "INSERT INTO `CreateFolder` (`Directory_`, `Component_`) VALUES ('EmptyDir', 'Payload')",
            "INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `FileName`, `DirProperty`, `InstallMode`) VALUES ('OldLogs', 'Payload', '*.log', 'INSTALLDIR', 1)",
            "CREATE TABLE `DuplicateFile` (`FileKey` CHAR(72) NOT NULL, `Component_` CHAR(72) NOT NULL, `File_` CHAR(72) NOT NULL, `DestName` CHAR(255), `DestFolder` CHAR(72) PRIMARY KEY `FileKey`)",
            "INSERT INTO `DuplicateFile` (`FileKey`, `Component_`, `File_`, `DestName`, `DestFolder`) VALUES ('Copy', 'Payload', 'Payload', 'payload-copy.txt', 'CopyDir')",
            // A duplicate onto its original's own path: no copy is made.
            "INSERT INTO `DuplicateFile` (`FileKey`, `Component_`, `File_`, `DestName`, `DestFolder`) VALUES ('Self', 'Payload', 'Payload', 'payload.txt', 'INSTALLDIR')",
            "CREATE TABLE `MoveFile` (`FileKey` CHAR(72) NOT NULL, `Component_` CHAR(72) NOT NULL, `SourceName` CHAR(255), `DestName` CHAR(255), `SourceFolder` CHAR(72), `DestFolder` CHAR(72) NOT NULL, `Options` SHORT NOT NULL PRIMARY KEY `FileKey`)",
            "INSERT INTO `MoveFile` (`FileKey`, `Component_`, `SourceName`, `DestName`, `SourceFolder`, `DestFolder`, `Options`) VALUES ('Move', 'Payload', 'move-me.txt', 'moved.txt', 'MOVESRC', 'CopyDir', 1)",
            // A wildcard SourceName with a DestName: every file keeps its own name.
            "INSERT INTO `MoveFile` (`FileKey`, `Component_`, `SourceName`, `DestName`, `SourceFolder`, `DestFolder`, `Options`) VALUES ('Wild', 'Payload', 'w*.dat', 'renamed.dat', 'MOVESRC', 'CopyDir', 0)",
            // wixl sequences these only when its own XML uses them.
            "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('CreateFolders', 3700)",
            "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('MoveFiles', 3800)",
            "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('DuplicateFiles', 4210)",
        ],
    )
}

/// The root before the install: two logs to remove, a file to keep, a file to move.
fn prepare(s: &Scratch) -> String {
    let dir = s.root().join("opt/exec-test");
    fs_err::create_dir_all(&dir).expect("mkdir");
    fs_err::write(dir.join("old1.log"), "1").expect("write");
    fs_err::write(dir.join("OLD2.LOG"), "2").expect("write");
    fs_err::write(dir.join("keep.txt"), "k").expect("write");
    let data = s.root().join("data");
    fs_err::create_dir_all(&data).expect("mkdir");
    fs_err::write(data.join("move-me.txt"), "moving").expect("write");
    fs_err::write(data.join("w1.dat"), "one").expect("write");
    fs_err::write(data.join("w2.dat"), "two").expect("write");
    format!("{}/", data.display())
}

#[test]
fn folders_removals_copies_and_moves() {
    let s = Scratch::new();
    let pkg = ops_package(&s);
    let movesrc = prepare(&s);
    let (report, log) = s.install(&pkg, &[("MOVESRC", &movesrc)]);
    assert_eq!(report.code(), 0, "{log}");
    let read = |p: &str| fs_err::read_to_string(s.root().join(p)).ok();
    assert_eq!(
        read("opt/exec-test/payload.txt").as_deref(),
        Some("payload\n")
    );
    assert_eq!(
        read("opt/exec-test/copies/payload-copy.txt").as_deref(),
        Some("payload\n")
    );
    assert_eq!(
        read("opt/exec-test/copies/moved.txt").as_deref(),
        Some("moving")
    );
    assert_eq!(read("opt/exec-test/keep.txt").as_deref(), Some("k"));
    // Copied by a wildcard row with a DestName: their own names ("MoveFile table").
    assert_eq!(read("opt/exec-test/copies/w1.dat").as_deref(), Some("one"));
    assert_eq!(read("opt/exec-test/copies/w2.dat").as_deref(), Some("two"));
    assert!(
        read("opt/exec-test/copies/renamed.dat").is_none(),
        "{:?}",
        s.tree()
    );
    assert_eq!(
        read("data/w1.dat").as_deref(),
        Some("one"),
        "copied, not moved"
    );
    assert!(
        s.root().join("opt/exec-test/empty").is_dir(),
        "{:?}",
        s.tree()
    );
    assert!(
        !s.root().join("opt/exec-test/old1.log").exists(),
        "{:?}",
        s.tree()
    );
    assert!(
        !s.root().join("opt/exec-test/OLD2.LOG").exists(),
        "{:?}",
        s.tree()
    );
    assert!(
        !s.root().join("data/move-me.txt").exists(),
        "{:?}",
        s.tree()
    );
}

#[test]
fn a_late_failure_puts_everything_back() {
    let s = Scratch::new();
    let pkg = ops_package(&s);
    let movesrc = prepare(&s);
    let before = s.tree();
    let (report, log) = s.install(&pkg, &[("MOVESRC", &movesrc), ("FAILLATE", "1")]);
    assert_eq!(report.code(), 1603, "{log}");
    assert_eq!(s.tree(), before, "{log}");
    let read = |p: &str| fs_err::read_to_string(s.root().join(p)).ok();
    assert_eq!(read("opt/exec-test/old1.log").as_deref(), Some("1"));
    assert_eq!(read("data/move-me.txt").as_deref(), Some("moving"));
}
