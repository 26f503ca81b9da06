//! LaunchConditions and AppSearch through the library: a false launch condition ends the
//! install with its message and changes nothing; AppSearch finds folders and files under
//! the root (never outside it), and a registry search of a value the root's registry does not
//! hold finds nothing (`exec_winreg.rs` has the searches that find).

use crate::exec_util::{Scratch, wxs};

fn dumped<'a>(log: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("Property(S): {name} = ");
    log.lines().find_map(|l| l.strip_prefix(prefix.as_str()))
}

fn search_package(s: &Scratch) -> std::path::PathBuf {
    // wixl cannot write DrLocator rows (nor RegLocator ones): add them with msibuild.
    s.build(
        "search",
        &wxs("", ""),
        &[("payload.txt", "x")],
        &[
            "CREATE TABLE `DrLocator` (`Signature_` CHAR(72) NOT NULL, `Parent` CHAR(72), `Path` CHAR(255), `Depth` SHORT PRIMARY KEY `Signature_`, `Parent`, `Path`)",
            "INSERT INTO `DrLocator` (`Signature_`, `Path`, `Depth`) VALUES ('SearchDir', '[ProgramFilesFolder]existing', 0)",
            "INSERT INTO `Signature` (`Signature`, `FileName`) VALUES ('SearchFile', 'MARKER.TXT')",
            "INSERT INTO `DrLocator` (`Signature_`, `Parent`, `Depth`) VALUES ('SearchFile', 'SearchDir', 2)",
            "INSERT INTO `DrLocator` (`Signature_`, `Path`, `Depth`) VALUES ('Outside', '/etc', 0)",
            "INSERT INTO `RegLocator` (`Signature_`, `Root`, `Key`, `Name`, `Type`) VALUES ('Reg', 2, 'Software\\Rmsi', 'Value', 2)",
            "INSERT INTO `AppSearch` (`Property`, `Signature_`) VALUES ('FOUNDFILE', 'SearchFile')",
            "INSERT INTO `AppSearch` (`Property`, `Signature_`) VALUES ('FOUNDDIR', 'SearchDir')",
            "INSERT INTO `AppSearch` (`Property`, `Signature_`) VALUES ('ETCDIR', 'Outside')",
            "INSERT INTO `AppSearch` (`Property`, `Signature_`) VALUES ('REGVALUE', 'Reg')",
            "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('AppSearch', 400)",
        ],
    )
}

#[test]
fn app_search_finds_folders_and_files_under_the_root_only() {
    let s = Scratch::new();
    let pkg = search_package(&s);
    let marker = s.root().join("opt/existing/a/b/marker.txt");
    fs_err::create_dir_all(marker.parent().expect("parent")).expect("mkdir");
    fs_err::write(&marker, "here").expect("write marker");
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
    let root = s.root().display().to_string();
    assert_eq!(
        dumped(&log, "FOUNDDIR"),
        Some(format!("{root}/opt/existing/").as_str()),
        "{log}"
    );
    assert_eq!(
        dumped(&log, "FOUNDFILE"),
        Some(marker.display().to_string().as_str()),
        "{log}"
    );
    // `/etc` is looked up under the root, where it does not exist.
    assert_eq!(dumped(&log, "ETCDIR"), None, "{log}");
    assert_eq!(dumped(&log, "REGVALUE"), None, "{log}");
    assert!(
        log.contains("AppSearch: Property: REGVALUE, Signature: Reg (not found)"),
        "{log}"
    );
}

#[test]
fn app_search_does_not_override_a_command_line_value() {
    let s = Scratch::new();
    let pkg = search_package(&s);
    fs_err::create_dir_all(s.root().join("opt/existing")).expect("mkdir");
    let (report, log) = s.install(&pkg, &[("FOUNDDIR", "given")]);
    assert_eq!(report.code(), 0, "{log}");
    assert_eq!(dumped(&log, "FOUNDDIR"), Some("given"), "{log}");
}

#[test]
fn false_launch_condition_ends_with_its_message_and_changes_nothing() {
    let s = Scratch::new();
    let pkg = s.build(
        "launch",
        &wxs(
            r#"<Condition Message="Blocked by [BLOCKME] on purpose">NOT BLOCKME</Condition>"#,
            "",
        ),
        &[("payload.txt", "x")],
        // wixl sequences LaunchConditions itself when the package has a condition.
        &[],
    );
    let (report, log) = s.install(&pkg, &[("BLOCKME", "the test")]);
    assert_eq!(
        (report.code(), report.name()),
        (1603, "ERROR_INSTALL_FAILURE"),
        "{log}"
    );
    let err = report.result.expect_err("failed");
    assert!(
        err.to_string().contains("Blocked by the test on purpose"),
        "{err}"
    );
    assert!(log.contains("Blocked by the test on purpose"), "{log}");
    assert!(s.tree().is_empty(), "left behind: {:?}", s.tree());
    // Without the property the condition holds.
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
}
