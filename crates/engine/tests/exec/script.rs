//! The install script ("Deferred Execution Custom Actions") through the library: deferred custom
//! actions run when the script reaches them, after the files staged before them are in place;
//! rollback actions run, newest first, only when the install fails after the script reached them;
//! commit actions run only after success; a failure leaves the root as it was.

use crate::exec_util::{Scratch, sh_action, wxs};

/// Custom actions: a deferred one that records whether the payload is in place, a rollback
/// and a commit one that record themselves, and a deferred one that fails on demand. Each
/// appends a line to `[TRACE]`.
fn script_package(s: &Scratch) -> std::path::PathBuf {
    let custom = [
        sh_action(
            "SeeFile",
            "if test -f '[#Payload]'; then echo deferred-sees-file; else echo deferred-no-file; fi >> '[TRACE]'",
            r#"Execute="deferred""#,
        ),
        sh_action("UndoFirst", "echo rollback-first >> '[TRACE]'", ""),
        sh_action("UndoSecond", "echo rollback-second >> '[TRACE]'", ""),
        sh_action("Committed", "echo commit >> '[TRACE]'", ""),
        sh_action("FailLate", "exit 3", r#"Execute="deferred""#),
        sh_action("Immediate", "echo immediate >> '[TRACE]'", ""),
    ]
    .join("\n");
    let sequence = r#"
      <Custom Action="UndoFirst" Sequence="3990"/>
      <Custom Action="SeeFile" Sequence="4010"/>
      <Custom Action="UndoSecond" Sequence="4020"/>
      <Custom Action="Committed" Sequence="4030"/>
      <Custom Action="FailLate" Sequence="4040">FAILLATE</Custom>
      <Custom Action="Immediate" Sequence="4050"/>
    "#;
    // wixl writes rollback and commit actions as immediate ones: fix their types
    // (50 + InScript 0x400 + Rollback 0x100 / Commit 0x200).
    s.build(
        "script",
        &wxs(&custom, sequence),
        &[("payload.txt", "payload\n")],
        &[
            "UPDATE `CustomAction` SET `Type` = 1330 WHERE `Action` = 'UndoFirst'",
            "UPDATE `CustomAction` SET `Type` = 1330 WHERE `Action` = 'UndoSecond'",
            "UPDATE `CustomAction` SET `Type` = 1586 WHERE `Action` = 'Committed'",
        ],
    )
}

fn trace(s: &Scratch) -> Vec<String> {
    fs_err::read_to_string(s.path("trace"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn deferred_sees_its_files_and_commit_runs_after_success() {
    let s = Scratch::new();
    let pkg = script_package(&s);
    let trace_path = s.path("trace").display().to_string();
    let (report, log) = s.install(&pkg, &[("TRACE", &trace_path)]);
    assert_eq!(report.code(), 0, "{:?}\n{log}", report.result);
    // The immediate action runs during the sequence, before the script; the deferred one
    // at InstallFinalize, once the payload is in place; commit last.
    assert_eq!(
        trace(&s),
        ["immediate", "deferred-sees-file", "commit"],
        "{log}"
    );
    assert_eq!(
        fs_err::read_to_string(s.root().join("opt/exec-test/payload.txt"))
            .ok()
            .as_deref(),
        Some("payload\n")
    );
    assert!(
        log.contains("Executing op: CustomActionSchedule(Action=SeeFile,ActionType="),
        "{log}"
    );
}

#[test]
fn failure_in_the_script_runs_rollback_newest_first_and_restores_the_root() {
    let s = Scratch::new();
    let pkg = script_package(&s);
    let trace_path = s.path("trace").display().to_string();
    let (report, log) = s.install(&pkg, &[("TRACE", &trace_path), ("FAILLATE", "1")]);
    assert_eq!(
        (report.code(), report.name()),
        (1603, "ERROR_INSTALL_FAILURE"),
        "{log}"
    );
    assert_eq!(
        trace(&s),
        [
            "immediate",
            "deferred-sees-file",
            "rollback-second",
            "rollback-first"
        ],
        "{log}"
    );
    assert!(s.tree().is_empty(), "left behind: {:?}", s.tree());
    assert!(
        log.contains("CustomAction FailLate returned actual error code 3"),
        "{log}"
    );
    assert!(log.contains("Action ended"), "{log}");
    assert!(log.contains("MainEngineThread is returning 1603"), "{log}");
}

#[test]
fn failure_before_the_script_runs_no_rollback_action() {
    let s = Scratch::new();
    let custom = [
        sh_action("Undo", "echo rollback >> '[TRACE]'", ""),
        sh_action("Boom", "exit 1", ""),
    ]
    .join("\n");
    let pkg = s.build(
        "early",
        &wxs(
            &custom,
            r#"<Custom Action="Undo" Sequence="3990"/><Custom Action="Boom" Sequence="4050"/>"#,
        ),
        &[("payload.txt", "x")],
        &["UPDATE `CustomAction` SET `Type` = 1330 WHERE `Action` = 'Undo'"],
    );
    let trace_path = s.path("trace").display().to_string();
    let (report, log) = s.install(&pkg, &[("TRACE", &trace_path)]);
    assert_eq!(report.code(), 1603, "{log}");
    assert!(
        trace(&s).is_empty(),
        "a rollback action the script never reached ran: {:?}",
        trace(&s)
    );
    assert!(s.tree().is_empty(), "left behind: {:?}", s.tree());
}

#[test]
fn deferred_action_outside_the_transaction_is_an_error() {
    let s = Scratch::new();
    let custom = sh_action("TooEarly", "true", r#"Execute="deferred""#);
    let pkg = s.build(
        "early-deferred",
        &wxs(&custom, r#"<Custom Action="TooEarly" Sequence="1450"/>"#),
        &[("payload.txt", "x")],
        &[],
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 1603, "{log}");
    assert!(log.contains("2762"), "{log}");
    assert!(s.tree().is_empty(), "left behind: {:?}", s.tree());
}

#[test]
fn disabled_rollback_runs_neither_rollback_nor_commit_actions() {
    let s = Scratch::new();
    let pkg = script_package(&s);
    let trace_path = s.path("trace").display().to_string();
    let (report, log) = s.install(
        &pkg,
        &[
            ("TRACE", &trace_path),
            ("FAILLATE", "1"),
            ("DISABLEROLLBACK", "1"),
        ],
    );
    assert_eq!(report.code(), 1603, "{log}");
    assert_eq!(trace(&s), ["immediate", "deferred-sees-file"], "{log}");
    // The files are put back all the same.
    assert!(s.tree().is_empty(), "left behind: {:?}", s.tree());
    let s = Scratch::new();
    let pkg = script_package(&s);
    let trace_path = s.path("trace").display().to_string();
    let (report, log) = s.install(&pkg, &[("TRACE", &trace_path), ("DISABLEROLLBACK", "1")]);
    assert_eq!(report.code(), 0, "{log}");
    assert_eq!(trace(&s), ["immediate", "deferred-sees-file"], "{log}");
}

#[test]
fn a_sequence_without_install_finalize_still_places_its_files() {
    let s = Scratch::new();
    let pkg = s.build(
        "nofinalize",
        &wxs("", ""),
        &[("payload.txt", "payload\n")],
        &["DELETE FROM `InstallExecuteSequence` WHERE `Action` = 'InstallFinalize'"],
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert_eq!(
        fs_err::read_to_string(s.root().join("opt/exec-test/payload.txt"))
            .ok()
            .as_deref(),
        Some("payload\n"),
        "{log}"
    );
    assert!(log.contains("no InstallFinalize"), "{log}");
}
