//! Return processing of executable custom actions ("Custom Action Return Values") through the
//! library: asynchronous actions are checked at the end of the sequence, asynchronous no-wait ones
//! are not waited for, DLL and script actions fail with the Windows error that names them,
//! and the Windows-only standard actions are logged as not executed.

use std::time::{Duration, Instant};

use crate::exec_util::{Scratch, sh_action, wxs};

#[test]
fn async_action_exit_code_is_checked_at_the_end_of_the_sequence() {
    let s = Scratch::new();
    // Async (0x80): its failure is found once the sequence is over, and the install
    // still fails and leaves nothing.
    let custom = sh_action("Later", "sleep 0.2; exit 5", r#"Return="asyncWait""#);
    let pkg = s.build(
        "async",
        &wxs(&custom, r#"<Custom Action="Later" Sequence="1300"/>"#),
        &[("payload.txt", "x")],
        &["UPDATE `CustomAction` SET `Type` = 178 WHERE `Action` = 'Later'"],
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 1603, "{log}");
    assert_eq!(
        log.lines()
            .filter(|l| l.starts_with("Action ended") && l.contains(": Later."))
            .count(),
        1
    );
    assert!(
        log.contains("Action ended") && log.contains(": Later. Return value 1."),
        "{log}"
    );
    assert!(
        log.contains("CustomAction Later returned actual error code 5"),
        "{log}"
    );
    assert!(s.tree().is_empty(), "left behind: {:?}", s.tree());
}

#[test]
fn async_no_wait_action_is_not_waited_for() {
    let s = Scratch::new();
    let custom = sh_action("Detached", "sleep 3; exit 9", r#"Return="asyncNoWait""#);
    let pkg = s.build(
        "nowait",
        &wxs(&custom, r#"<Custom Action="Detached" Sequence="1300"/>"#),
        &[("payload.txt", "x")],
        &[],
    );
    let start = Instant::now();
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "waited for a no-wait action"
    );
}

#[test]
fn dll_and_script_actions_fail_with_their_windows_errors() {
    for (ty, error) in [(1, "Error 1723."), (37, "Error 1720.")] {
        let s = Scratch::new();
        let custom = sh_action("Native", "true", "");
        let pkg = s.build(
            "native",
            &wxs(&custom, r#"<Custom Action="Native" Sequence="1300"/>"#),
            &[("payload.txt", "x")],
            &[&format!(
                "UPDATE `CustomAction` SET `Type` = {ty}, `Source` = 'Bin', `Target` = 'Entry' WHERE `Action` = 'Native'"
            )],
        );
        let (report, log) = s.install(&pkg, &[]);
        assert_eq!(report.code(), 1603, "type {ty}: {log}");
        assert!(log.contains(error), "type {ty}: no {error}\n{log}");
        assert!(s.tree().is_empty(), "left behind: {:?}", s.tree());
    }
}

#[test]
fn windows_exe_custom_action_fails_with_1721() {
    let s = Scratch::new();
    let fake = s.path("setup.exe");
    fs_err::write(&fake, b"MZ\x90\x00 not a Linux program").expect("write");
    let custom = r#"<CustomAction Id="WinExe" Property="WINEXE" Return="check" ExeCommand="/S"/>"#;
    let pkg = s.build(
        "winexe",
        &wxs(custom, r#"<Custom Action="WinExe" Sequence="1300"/>"#),
        &[("payload.txt", "x")],
        &[],
    );
    let (report, log) = s.install(&pkg, &[("WINEXE", &fake.display().to_string())]);
    assert_eq!(report.code(), 1603, "{log}");
    assert!(log.contains("Error 1721."), "{log}");
    assert!(s.tree().is_empty(), "left behind: {:?}", s.tree());
}

#[test]
fn windows_only_actions_are_logged_as_not_executed() {
    let s = Scratch::new();
    let pkg = s.build(
        "plain",
        &wxs("", ""),
        &[("payload.txt", "x")],
        &["INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('InstallODBC', 4500)"],
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
    // ODBC is Windows-only here.
    assert!(
        log.lines()
            .any(|l| l.starts_with("Action ended")
                && l.ends_with(": InstallODBC. Return value 0.")),
        "InstallODBC not logged as not executed\n{log}"
    );
    // The registration actions write the root's registry (wixl's default sequence has them).
    for name in [
        "RegisterUser",
        "RegisterProduct",
        "PublishFeatures",
        "PublishProduct",
        "CostFinalize",
        "InstallValidate",
        "InstallFiles",
        "InstallFinalize",
        "INSTALL",
    ] {
        assert!(
            log.lines().any(|l| l.starts_with("Action ended")
                && l.ends_with(&format!(": {name}. Return value 1."))),
            "{name}\n{log}"
        );
    }
}

#[test]
fn execute_action_in_the_execute_sequence_does_not_recurse() {
    let s = Scratch::new();
    let pkg = s.build(
        "recurse",
        &wxs("", ""),
        &[("payload.txt", "x")],
        &["INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('ExecuteAction', 1300)"],
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert!(
        log.lines()
            .any(|l| l.starts_with("Action ended")
                && l.ends_with(": ExecuteAction. Return value 0.")),
        "{log}"
    );
}
