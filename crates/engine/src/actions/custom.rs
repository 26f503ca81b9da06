//! Running a CustomAction row in a session: immediate actions now, deferred ones into the
//! script ("Deferred Execution Custom Actions"). What each type does and how a program is started
//! is in [`crate::custom_action`]; this module adds the session's side: formatting, properties,
//! folders, files, the Binary table, the script, and the log lines Windows writes.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::custom_action::{self, Flags, Kind, Program, StartError};
use crate::error::Error;
use crate::sequence::ActionResult;
use crate::session::{DeferredAction, PendingAsync, ScriptOp, Session};
use crate::tables::custom_action::CustomActionRow;

/// Runs a custom action met in a sequence.
pub(crate) fn run(s: &mut Session<'_, '_>, row: &CustomActionRow) -> ActionResult {
    let kind = Kind::of(row.action_type);
    let flags = Flags::of(row.action_type);
    if flags.in_script {
        return schedule(s, row, kind, flags);
    }
    let target = s.format(row.target.as_deref().unwrap_or(""));
    run_kind(s, row, kind, flags, &target, None)
}

/// Writes a deferred, rollback or commit action into the script, its target formatted now
/// (the session's properties are gone when the script runs).
fn schedule(
    s: &mut Session<'_, '_>,
    row: &CustomActionRow,
    kind: Kind,
    flags: Flags,
) -> ActionResult {
    if !s.in_transaction() {
        s.log.engine(&format!(
            "Note: 1: 2762 2: {} (Cannot write script record. Transaction not started.)",
            row.action
        ));
        return s.fail(Error::failure(format!(
            "deferred custom action {} is sequenced outside InstallInitialize..InstallFinalize (error 2762)",
            row.action
        )));
    }
    let target = s.format(row.target.as_deref().unwrap_or(""));
    let mut exe = None;
    let mut cwd = None;
    match kind {
        Kind::ExeFromProperty => {
            exe = row.source.as_deref().and_then(|p| s.prop(p));
        }
        Kind::ExeInDirectory => {
            cwd = row.source.as_deref().and_then(|d| s.ctx.dir_path(d));
        }
        Kind::ExeInstalled => {
            exe = row
                .source
                .as_deref()
                .and_then(|f| s.ctx.file_path(f))
                .map(|p| p.display().to_string());
        }
        _ => {}
    }
    let action = DeferredAction {
        row: row.clone(),
        target,
        exe,
        cwd,
    };
    let what = if flags.rollback {
        s.write_script(ScriptOp::Rollback(action));
        "rollback"
    } else if flags.commit {
        s.write_script(ScriptOp::Commit(action));
        "commit"
    } else {
        s.write_script(ScriptOp::Deferred(action));
        "deferred"
    };
    s.log.engine(&format!(
        "Scheduling {what} custom action {} into the script.",
        row.action
    ));
    ActionResult::Success
}

/// Runs an action the script reached (`mode`: deferred, rollback or commit).
pub(crate) fn run_deferred(
    s: &mut Session<'_, '_>,
    action: &DeferredAction,
    mode: &str,
) -> ActionResult {
    let row = &action.row;
    let flags = Flags::of(row.action_type);
    let shown = if flags.hide_target {
        "**********".to_string()
    } else {
        action.target.clone()
    };
    s.log.engine(&format!(
        "Executing op: CustomActionSchedule(Action={},ActionType={},Source={},Target={},) [{mode}]",
        row.action,
        row.action_type,
        action
            .exe
            .as_deref()
            .or(row.source.as_deref())
            .unwrap_or(""),
        shown
    ));
    let kind = Kind::of(row.action_type);
    run_kind(s, row, kind, flags, &action.target, Some(action))
}

/// The body shared by immediate and deferred actions. `deferred` carries what was resolved
/// at scheduling time.
fn run_kind(
    s: &mut Session<'_, '_>,
    row: &CustomActionRow,
    kind: Kind,
    flags: Flags,
    target: &str,
    deferred: Option<&DeferredAction>,
) -> ActionResult {
    let name = row.action.as_str();
    let source = row.source.as_deref().unwrap_or("");
    match kind {
        Kind::SetProperty => {
            if deferred.is_none() {
                s.set_prop(source, target);
            }
            ActionResult::Success
        }
        Kind::SetDirectory => {
            if deferred.is_some() {
                return ActionResult::Success;
            }
            match s.ctx.set_target_path(source, target) {
                Ok(changes) => {
                    for (prop, old, new) in changes {
                        s.log.property_change(&prop, old.as_deref(), Some(&new));
                    }
                    ActionResult::Success
                }
                Err(e) => s.fail(e),
            }
        }
        Kind::Error => {
            let text = match target.trim().parse::<i32>() {
                Ok(n) => {
                    let t = s.ctx.error_message(n).unwrap_or_default();
                    format!("Error {n}. {}", s.format(&t))
                }
                Err(_) => target.to_string(),
            };
            s.log.engine(&format!("Product: {} -- {text}", s.prop("ProductName").unwrap_or_default()));
            s.log.line(&text);
            s.fail(Error::failure(format!("custom action {name} (type 19): {text}")))
        }
        Kind::Dll => {
            let msg = format!(
                "Error 1723. There is a problem with this Windows Installer package. A DLL required for this install to complete could not be run. Contact your support personnel or package vendor.  Action {name}, entry: {target}, library: {source}"
            );
            s.log.line(&msg);
            s.fail(Error::failure(format!(
                "custom action {name} calls DLL entry point {target:?} of {source}: Windows DLLs cannot run on this platform (error 1723)"
            )))
        }
        Kind::Script => {
            let msg = format!(
                "Error 1720. There is a problem with this Windows Installer package. A script required for this install to complete could not be run. Contact your support personnel or package vendor.  Custom action {name} script error: JScript and VBScript engines do not exist on this platform"
            );
            s.log.line(&msg);
            s.fail(Error::failure(format!(
                "custom action {name} is a JScript/VBScript action, which cannot run on this platform (error 1720)"
            )))
        }
        Kind::Nested => s.fail(Error::failure(format!(
            "custom action {name} is a nested installation (type {}), which this engine does not run (error 2723)",
            row.action_type & 0x3F
        ))),
        Kind::Unknown(t) => s.fail(Error::failure(format!(
            "custom action {name} has unknown type {t} (error 2723)"
        ))),
        Kind::ExeInDirectory | Kind::ExeFromProperty | Kind::ExeInstalled | Kind::ExeFromBinary => {
            run_exe(s, row, kind, flags, target, deferred)
        }
    }
}

/// Types 2, 18, 34, 50.
fn run_exe(
    s: &mut Session<'_, '_>,
    row: &CustomActionRow,
    kind: Kind,
    flags: Flags,
    target: &str,
    deferred: Option<&DeferredAction>,
) -> ActionResult {
    let name = row.action.as_str();
    let source = row.source.as_deref().unwrap_or("");
    if !s.request.custom_actions {
        s.log.engine(&format!(
            "Custom action {name} would run a program; executable custom actions are disabled (--no-custom-actions)."
        ));
        return s.fail(Error::failure(format!(
            "custom action {name} needs to run a program, and executable custom actions are disabled (--no-custom-actions)"
        )));
    }
    // In a Wine prefix, programs named by `C:\` paths are the prefix's, and Windows
    // executables run with Wine.
    let wine_prefix = s.wine_prefix().map(Path::to_path_buf);
    let drive_c = wine_prefix.as_ref().map(|_| s.root.clone());
    let location;
    let program: Result<Program, StartError> = match kind {
        Kind::ExeFromProperty => {
            let exe = deferred
                .and_then(|d| d.exe.clone())
                .or_else(|| s.prop(source))
                .unwrap_or_default();
            location = exe.clone();
            custom_action::program_with_args(&exe, target, None, drive_c.as_deref())
        }
        Kind::ExeInDirectory => {
            let cwd = deferred
                .and_then(|d| d.cwd.clone())
                .or_else(|| s.ctx.dir_path(source));
            location = cwd
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            match cwd {
                Some(dir) if dir.is_dir() => {
                    custom_action::program_from_command_line(target, Some(dir), drive_c.as_deref())
                }
                Some(dir) => Err(StartError::CannotRun(format!(
                    "its working folder {} does not exist",
                    dir.display()
                ))),
                None => Err(StartError::CannotRun(format!(
                    "its working folder {source} is not a folder of the package"
                ))),
            }
        }
        Kind::ExeInstalled => {
            let exe = deferred
                .and_then(|d| d.exe.clone())
                .or_else(|| s.ctx.file_path(source).map(|p| p.display().to_string()))
                .unwrap_or_default();
            location = exe.clone();
            if exe.is_empty() {
                Err(StartError::CannotRun(format!(
                    "{source} is not a file of the package (error 2722)"
                )))
            } else if !PathBuf::from(&exe).is_file() {
                Err(StartError::CannotRun(format!("{exe} is not installed yet")))
            } else {
                custom_action::program_with_args(&exe, target, None, drive_c.as_deref())
            }
        }
        _ => {
            location = source.to_string();
            binary_program(s, source, target)
        }
    };
    let shown_command = if flags.hide_target {
        "**********"
    } else {
        target
    };
    let mut program = match program {
        Ok(p) => p,
        Err(e) => return cannot_run(s, name, &location, shown_command, &e),
    };
    program.wine_prefix = wine_prefix;
    if !flags.hide_target {
        let with_wine =
            program.wine_prefix.is_some() && custom_action::is_windows_exe(&program.exe);
        s.log.engine(&format!(
            "Running custom action {name}{}: {} {}",
            if with_wine { " with Wine" } else { "" },
            program.exe.display(),
            program
                .args
                .iter()
                .map(|a| crate::cmdline::quote(a))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    let output = match s.temp_dir() {
        Ok(dir) => dir.join(format!("ca-{}.out", unique())),
        Err(e) => {
            let e = StartError::CannotRun(e.to_string());
            return cannot_run(s, name, &location, shown_command, &e);
        }
    };
    let running = match custom_action::start(&program, &output) {
        Ok(r) => r,
        Err(e) => return cannot_run(s, name, &location, shown_command, &e),
    };
    if program.wine_prefix.is_some() {
        s.note_wine_program();
    }
    if flags.asynchronous && deferred.is_none() {
        if flags.ignore_exit {
            // Async, no wait: it may outlive the install ("Custom Action Return Processing
            // Options").
            s.log.engine(&format!(
                "Custom action {name} runs on asynchronously; not waiting for it."
            ));
            drop(running);
        } else {
            s.log.engine(&format!(
                "Custom action {name} runs asynchronously; its exit code is checked at the end of the sequence."
            ));
            s.wait_at_sequence_end(PendingAsync {
                name: name.to_string(),
                running,
                location,
                command: shown_command.to_string(),
            });
        }
        return ActionResult::Success;
    }
    finish_with(
        s,
        name,
        running,
        flags.ignore_exit,
        &location,
        shown_command,
    )
}

/// Waits for an asynchronous action at the end of the sequence and checks its exit code.
pub(crate) fn finish(s: &mut Session<'_, '_>, pending: PendingAsync) -> ActionResult {
    finish_with(
        s,
        &pending.name,
        pending.running,
        false,
        &pending.location,
        &pending.command,
    )
}

fn finish_with(
    s: &mut Session<'_, '_>,
    name: &str,
    running: custom_action::Running,
    ignore: bool,
    location: &str,
    command: &str,
) -> ActionResult {
    let (status, output) = custom_action::wait(running);
    for line in output.lines() {
        s.log.line(line);
    }
    if s.ui.cancelled() {
        // Ctrl-C reaches the program too: its failure is the user's cancel.
        s.log.engine(&format!(
            "The user cancelled the installation during {name}."
        ));
        return s.fail(Error::UserExit);
    }
    let code = match status {
        Ok(st) => custom_action::exit_code(&st),
        Err(e) => {
            return cannot_run(
                s,
                name,
                location,
                command,
                &StartError::CannotRun(e.to_string()),
            );
        }
    };
    if code == 0 {
        return ActionResult::Success;
    }
    if ignore {
        s.log.engine(&format!(
            "CustomAction {name} returned actual error code {code} but will be translated to success due to continue marking"
        ));
        return ActionResult::Success;
    }
    s.log.line(&format!(
        "CustomAction {name} returned actual error code {code} (note this may not be 100% accurate if translation happened inside sandbox)"
    ));
    s.log.line(&format!(
        "Error 1722. There is a problem with this Windows Installer package. A program run as part of the setup did not finish as expected. Contact your support personnel or package vendor.  Action {name}, location: {location}, command: {command}"
    ));
    s.fail(Error::failure(format!(
        "custom action {name} exited with code {code} (error 1722)"
    )))
}

fn cannot_run(
    s: &mut Session<'_, '_>,
    name: &str,
    location: &str,
    command: &str,
    e: &StartError,
) -> ActionResult {
    s.log.line(&format!(
        "Error 1721. There is a problem with this Windows Installer package. A program required for this install to complete could not be run. Contact your support personnel or package vendor. Action: {name}, location: {location}, command: {command}"
    ));
    s.fail(Error::failure(format!(
        "custom action {name} could not run: {e} (error 1721)"
    )))
}

/// Type 2: the Binary stream copied to a private file (mode 0700) in the session's temp
/// folder.
fn binary_program(
    s: &mut Session<'_, '_>,
    source: &str,
    target: &str,
) -> Result<Program, StartError> {
    let bytes = s
        .package
        .binary(source)
        .map_err(|e| StartError::CannotRun(format!("Binary row {source}: {e} (error 2721)")))?;
    let path = s
        .temp_dir()
        .map_err(|e| StartError::CannotRun(e.to_string()))?
        .join(format!("bin-{}-{}", unique(), sanitize(source)));
    let write = || -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o700)
            .open(&path)?;
        f.write_all(&bytes)?;
        Ok(())
    };
    write().map_err(|e| StartError::CannotRun(format!("cannot write {}: {e}", path.display())))?;
    custom_action::program_with_args(&path.display().to_string(), target, None, None)
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
