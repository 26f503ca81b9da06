//! Registered processes, application types and reboot reasons, with real processes.

mod scan_support;

use std::path::PathBuf;
use std::process::Command;

use restart_manager::{AppType, Caller, RebootReasons, ScanOptions, UniqueProcess};
use scan_support::{Guard, bystander, hold_open, sleep_bin, temp_file};

fn opts() -> ScanOptions {
    ScanOptions::default()
}

#[test]
fn a_registered_process_with_a_wrong_start_time_is_not_taken_for_the_live_one() {
    let p = bystander();
    let real = p.unique();
    let impostor = UniqueProcess {
        pid: real.pid,
        start_time: real.start_time + 1,
    };
    assert!(real.is_alive());
    assert!(!impostor.is_alive());
    assert!(restart_manager::describe(impostor, &opts()).is_none());
    assert_eq!(
        restart_manager::describe(real, &opts()).map(|i| i.process),
        Some(real)
    );

    let report = restart_manager::affected(&[], &[impostor], &opts()).unwrap();
    assert!(report.processes.is_empty(), "{:?}", report.processes);
    let report = restart_manager::affected(&[], &[real, impostor], &opts()).unwrap();
    let listed: Vec<_> = report.processes.iter().map(|i| i.process).collect();
    assert_eq!(listed, vec![real]);
    assert!(report.uses.is_empty(), "registered, not using a file");
}

#[test]
fn a_process_that_exited_is_gone_even_before_it_is_reaped() {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    // Not reaped yet: a zombie, which must count as gone.
    scan_support::wait_for("the child to become a zombie", || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
    });
    let zombie = UniqueProcess::of(pid).unwrap();
    assert!(!zombie.is_alive());
    assert!(restart_manager::describe(zombie, &opts()).is_none());
    child.wait().unwrap();
    assert!(!zombie.is_alive());
    assert!(UniqueProcess::of(pid).is_err());
}

#[test]
fn app_types_follow_the_documented_linux_rules() {
    // No controlling terminal (a new session), a display and a socket (its connection to
    // the display server, here one end of a socket pair on stdin): a graphical program.
    let (display_end, _ours) = std::os::unix::net::UnixStream::pair().unwrap();
    let gui = Guard::spawn_with_stdin(
        Command::new("setsid")
            .arg(sleep_bin())
            .arg("30")
            .env("DISPLAY", ":0"),
        std::process::Stdio::from(std::os::fd::OwnedFd::from(display_end)),
    );
    // A display in the environment but no socket: not talking to any display server.
    let detached = Guard::spawn(
        Command::new("setsid")
            .arg(sleep_bin())
            .arg("30")
            .env("DISPLAY", ":0"),
    );
    // No controlling terminal and no display: unknown.
    let daemon = Guard::spawn(
        Command::new("setsid")
            .arg(sleep_bin())
            .arg("30")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY"),
    );
    for g in [&gui, &detached, &daemon] {
        g.wait_exe(&sleep_bin());
    }
    let type_of = |g: &Guard| {
        restart_manager::describe(g.unique(), &opts())
            .unwrap()
            .app_type
    };
    assert_eq!(type_of(&gui), AppType::MainWindow);
    assert_eq!(type_of(&detached), AppType::Unknown);
    assert_eq!(type_of(&daemon), AppType::Unknown);

    // The scan decides the same way as `describe`.
    let report = restart_manager::who_uses(&[sleep_bin()], &opts()).unwrap();
    let scanned = |g: &Guard| {
        report
            .processes
            .iter()
            .find(|p| p.process.pid == g.pid())
            .map(|p| p.app_type)
    };
    assert_eq!(scanned(&gui), Some(AppType::MainWindow));
    assert_eq!(scanned(&detached), Some(AppType::Unknown));
    assert!(
        !restart_manager::describe(gui.unique(), &opts())
            .unwrap()
            .restartable
    );
}

#[test]
fn a_program_with_a_controlling_terminal_is_a_console_application() {
    // script(1) runs the command on a new pseudo-terminal, as its controlling terminal.
    let dir = tempfile::tempdir().unwrap();
    let marker = temp_file(&dir, "marker");
    let term = Guard::spawn(
        Command::new("script")
            .args(["-qfec"])
            .arg(format!(
                "exec 3<'{}'; exec {} 30",
                marker.display(),
                sleep_bin().display()
            ))
            .arg("/dev/null"),
    );
    let mut found = None;
    scan_support::wait_for("the sleep under script to hold the marker", || {
        let report = restart_manager::who_uses(std::slice::from_ref(&marker), &opts()).unwrap();
        found = report.processes.into_iter().find(|p| p.app_name == "sleep");
        found.is_some()
    });
    let info = found.unwrap();
    assert_ne!(info.process.pid, term.pid(), "the sleep is script's child");
    assert_eq!(info.app_type, AppType::Console);
}

#[test]
fn the_primary_process_using_a_registered_file_is_detected_self() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "mine.txt");
    let _open = std::fs::File::open(&file).unwrap();
    let me = UniqueProcess::current().unwrap();
    let opts = ScanOptions {
        primary: Some(me),
        ..ScanOptions::default()
    };
    let report = restart_manager::who_uses(std::slice::from_ref(&file), &opts).unwrap();
    let info = report
        .processes
        .iter()
        .find(|p| p.process == me)
        .expect("this process holds the file");
    assert_eq!(info.app_type, AppType::Critical);
    assert!(!info.restartable);
    assert_eq!(report.reboot_reasons, RebootReasons::DETECTED_SELF);

    // Without a primary it is an ordinary user of the file.
    let report =
        restart_manager::who_uses(std::slice::from_ref(&file), &ScanOptions::default()).unwrap();
    assert!(report.reboot_reasons.is_empty());
}

#[test]
fn a_caller_that_may_not_signal_a_user_gets_permission_denied() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "shared.txt");
    let holder = hold_open(&file);
    let owner = std::fs::metadata(format!("/proc/{}", holder.pid()))
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap();
    // Someone else, not root: the kernel would refuse their kill(2).
    let stranger = owner.wrapping_add(4242).max(1);
    let me = Caller::current();
    let opts = ScanOptions {
        caller: Caller {
            uid: stranger,
            euid: stranger,
            ..me
        },
        ..ScanOptions::default()
    };
    let report = restart_manager::who_uses(std::slice::from_ref(&file), &opts).unwrap();
    let info = report
        .processes
        .iter()
        .find(|p| p.process.pid == holder.pid())
        .unwrap();
    assert_eq!(info.app_type, AppType::Critical);
    assert_eq!(report.reboot_reasons, RebootReasons::PERMISSION_DENIED);
}

#[test]
fn a_user_in_another_login_session_is_a_session_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "shared.txt");
    let holder = hold_open(&file);
    let theirs = restart_manager::describe(holder.unique(), &opts())
        .unwrap()
        .session_id;
    let me = Caller::current();
    let elsewhere = ScanOptions {
        caller: Caller {
            session_id: theirs.wrapping_add(1),
            ..me
        },
        ..ScanOptions::default()
    };
    let report = restart_manager::who_uses(std::slice::from_ref(&file), &elsewhere).unwrap();
    assert_eq!(report.reboot_reasons, RebootReasons::SESSION_MISMATCH);
    let same = ScanOptions {
        caller: Caller {
            session_id: theirs,
            ..me
        },
        ..ScanOptions::default()
    };
    let report = restart_manager::who_uses(std::slice::from_ref(&file), &same).unwrap();
    assert!(report.reboot_reasons.is_empty());
}

#[test]
fn an_unreadable_pid_1_is_reported_once_as_inaccessible_and_the_scan_succeeds() {
    // PID 1 maps the C library on any machine where it is readable; on machines where
    // even root cannot read it (EACCES), it must show up as inaccessible instead.
    let libc: PathBuf = [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib64/libc.so.6",
        "/lib/aarch64-linux-gnu/libc.so.6",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("a C library");
    let readable = std::fs::metadata("/proc/1/exe").is_ok();
    let report = restart_manager::who_uses(std::slice::from_ref(&libc), &opts()).unwrap();
    let ones = report.inaccessible.iter().filter(|p| **p == 1).count();
    if readable {
        assert_eq!(ones, 0);
    } else {
        assert_eq!(ones, 1, "{:?}", report.inaccessible);
        assert!(!report.processes.iter().any(|p| p.process.pid == 1));
        assert!(
            !report
                .reboot_reasons
                .contains(RebootReasons::CRITICAL_PROCESS),
            "an unreadable process is not a reboot reason"
        );
    }
    // This test's own process maps the C library too.
    assert!(
        report
            .processes
            .iter()
            .any(|p| p.process.pid == std::process::id())
    );
}
