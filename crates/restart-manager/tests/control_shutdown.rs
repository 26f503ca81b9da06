//! Shutdown of real processes: graceful, forced, zombies, pid identity, order, filters,
//! only-registered, cancel and progress.

#[path = "control_util/mod.rs"]
mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use restart_manager::{
    AppStatus, AppType, Error, Filter, FilterAction, FilterTarget, Filters, ShutdownOptions,
    UniqueProcess, shutdown_apps,
};
use util::{info, spawn_holder, spawn_script, spawn_stubborn, spawn_unreaping_parent, state};

fn opts(timeout_ms: u64, force: bool) -> ShutdownOptions {
    ShutdownOptions {
        force,
        only_registered: false,
        timeout: Duration::from_millis(timeout_ms),
    }
}

fn held_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("held.txt");
    std::fs::write(&file, "in use").unwrap();
    (dir, file)
}

fn run(
    apps: &mut [restart_manager::ProcessInfo],
    o: &ShutdownOptions,
    filters: &Filters,
) -> Result<(), Error> {
    shutdown_apps(apps, o, filters, None, &|| false, &mut |_| {})
}

#[test]
fn graceful_shutdown_stops_a_process_holding_a_file() {
    let (_dir, file) = held_file();
    let holder = spawn_holder(&file);
    let mut apps = vec![info(holder.process, AppType::Console)];
    let start = Instant::now();
    run(&mut apps, &opts(2000, false), &Filters::default()).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(apps[0].status, AppStatus::STOPPED);
    assert!(!holder.process.is_alive());
}

#[test]
fn a_process_ignoring_sigterm_fails_graceful_shutdown_and_is_killed_when_forced() {
    let (_dir, file) = held_file();
    let stubborn = spawn_stubborn(&file);
    let mut apps = vec![info(stubborn.process, AppType::Console)];

    let start = Instant::now();
    let err = run(&mut apps, &opts(1000, false), &Filters::default()).unwrap_err();
    let waited = start.elapsed();
    assert_eq!((err.name(), err.code()), ("ERROR_FAIL_SHUTDOWN", 351));
    assert!(
        err.to_string().contains(&stubborn.pid().to_string()),
        "{err}"
    );
    assert!(waited >= Duration::from_millis(1000) && waited < Duration::from_secs(2));
    assert!(apps[0].status.contains(AppStatus::ERROR_ON_STOP));
    assert!(apps[0].status.contains(AppStatus::RUNNING));
    assert!(stubborn.process.is_alive(), "SIGTERM is ignored");

    // The same entry again, forced: the earlier failure does not stick.
    let start = Instant::now();
    run(&mut apps, &opts(500, true), &Filters::default()).unwrap();
    assert!(start.elapsed() < Duration::from_millis(1500));
    assert_eq!(apps[0].status, AppStatus::STOPPED);
    assert!(!stubborn.process.is_alive());
    assert_eq!(state(stubborn.pid()), Some('Z'), "killed, not yet reaped");
}

#[test]
fn an_exited_child_its_parent_never_reaps_counts_as_gone() {
    let (parent, child) = spawn_unreaping_parent("sleep 30");
    let mut apps = vec![info(child, AppType::Unknown)];
    let start = Instant::now();
    run(&mut apps, &opts(2000, false), &Filters::default()).unwrap();
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(apps[0].status, AppStatus::STOPPED);
    assert_eq!(
        state(child.pid),
        Some('Z'),
        "a zombie: its parent does not reap"
    );
    drop(parent);
}

#[test]
fn a_pid_with_another_start_time_is_never_signalled() {
    let (_dir, file) = held_file();
    let holder = spawn_holder(&file);
    let stale = UniqueProcess {
        pid: holder.pid(),
        start_time: holder.process.start_time.wrapping_sub(1),
    };
    let mut apps = vec![info(stale, AppType::Console)];
    run(&mut apps, &opts(1000, true), &Filters::default()).unwrap();
    assert!(apps[0].status.contains(AppStatus::STOPPED_OTHER));
    assert!(!apps[0].status.contains(AppStatus::STOPPED));
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        holder.process.is_alive(),
        "the live process must not be touched"
    );
    assert_eq!(state(holder.pid()), Some('S'));
}

#[test]
fn many_users_of_a_file_are_signalled_together_not_one_by_one() {
    let (_dir, file) = held_file();
    let holders: Vec<_> = (0..60).map(|_| spawn_holder(&file)).collect();
    let mut apps: Vec<_> = holders
        .iter()
        .map(|h| info(h.process, AppType::Console))
        .collect();
    let mut seen = Vec::new();
    let start = Instant::now();
    shutdown_apps(
        &mut apps,
        &opts(2000, false),
        &Filters::default(),
        None,
        &|| false,
        &mut |p| seen.push(p),
    )
    .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert!(apps.iter().all(|a| a.status == AppStatus::STOPPED));
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing: {seen:?}"
    );
    assert_eq!(seen.last(), Some(&100));
}

#[test]
fn gui_applications_go_before_console_ones() {
    let (_dir, file) = held_file();
    let gui = spawn_stubborn(&file);
    let console = spawn_holder(&file);
    let mut apps = vec![
        info(console.process, AppType::Console),
        info(gui.process, AppType::MainWindow),
    ];
    let watcher = {
        let console = console.process;
        std::thread::spawn(move || {
            let start = Instant::now();
            while console.is_alive() {
                std::thread::sleep(Duration::from_millis(5));
            }
            start.elapsed()
        })
    };
    let err = run(&mut apps, &opts(700, false), &Filters::default()).unwrap_err();
    assert_eq!(err.code(), 351);
    let console_gone_after = watcher.join().unwrap();
    assert!(
        console_gone_after >= Duration::from_millis(650),
        "the console app was signalled only after the GUI phase: {console_gone_after:?}"
    );
    assert_eq!(apps[0].status, AppStatus::STOPPED);
    assert!(apps[1].status.contains(AppStatus::ERROR_ON_STOP));
}

#[test]
fn a_no_shutdown_filter_masks_the_application_and_leaves_it_running() {
    let (_dir, file) = held_file();
    let kept = spawn_holder(&file);
    let stopped = spawn_holder(&file);
    let mut filters = Filters::default();
    filters.add(Filter {
        action: FilterAction::NoShutdown,
        target: FilterTarget::Process(kept.process),
    });
    let mut apps = vec![
        info(kept.process, AppType::Console),
        info(stopped.process, AppType::Console),
    ];
    run(&mut apps, &opts(2000, true), &filters).unwrap();
    assert!(
        apps[0]
            .status
            .contains(AppStatus::SHUTDOWN_MASKED | AppStatus::RESTART_MASKED | AppStatus::RUNNING)
    );
    assert!(kept.process.is_alive());
    assert_eq!(apps[1].status, AppStatus::STOPPED);
}

#[test]
fn only_registered_shuts_nothing_down_unless_all_are_restartable() {
    let (_dir, file) = held_file();
    let registered = spawn_holder(&file);
    let unregistered = spawn_holder(&file);
    let mut a = info(registered.process, AppType::Console);
    a.restartable = true;
    let mut apps = vec![a.clone(), info(unregistered.process, AppType::Console)];
    let o = ShutdownOptions {
        only_registered: true,
        ..opts(1000, true)
    };
    let err = run(&mut apps, &o, &Filters::default()).unwrap_err();
    assert_eq!((err.name(), err.code()), ("ERROR_FAIL_SHUTDOWN", 351));
    assert!(err.to_string().contains("nothing was shut down"), "{err}");
    assert!(apps.iter().all(|a| a.status == AppStatus::RUNNING));
    assert!(registered.process.is_alive() && unregistered.process.is_alive());

    // With only restartable applications, it goes ahead.
    let mut apps = vec![a];
    run(&mut apps, &o, &Filters::default()).unwrap();
    assert_eq!(apps[0].status, AppStatus::STOPPED);
}

#[test]
fn a_critical_process_means_a_reboot_and_nothing_is_signalled() {
    let (_dir, file) = held_file();
    let holder = spawn_holder(&file);
    let mut critical = info(holder.process, AppType::Critical);
    critical.app_name = "pretend-init".into();
    let other = spawn_holder(&file);
    let mut apps = vec![critical, info(other.process, AppType::Console)];
    let err = run(&mut apps, &opts(1000, true), &Filters::default()).unwrap_err();
    assert_eq!(
        (err.name(), err.code()),
        ("ERROR_FAIL_NOACTION_REBOOT", 350)
    );
    assert!(holder.process.is_alive() && other.process.is_alive());
}

#[test]
fn cancel_from_another_thread_stops_the_wait() {
    let (_dir, file) = held_file();
    let stubborn = spawn_stubborn(&file);
    let quick = spawn_script("exec sleep 30", &[]);
    // The console app is stopped first; the stubborn unknown one keeps the call waiting.
    let mut apps = vec![
        info(quick.process, AppType::Console),
        info(stubborn.process, AppType::Unknown),
    ];
    let flag = Arc::new(AtomicBool::new(false));
    let setter = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            flag.store(true, Ordering::SeqCst);
        })
    };
    let start = Instant::now();
    let err = shutdown_apps(
        &mut apps,
        &opts(10_000, true),
        &Filters::default(),
        None,
        &|| flag.load(Ordering::SeqCst),
        &mut |_| {},
    )
    .unwrap_err();
    setter.join().unwrap();
    assert_eq!((err.name(), err.code()), ("ERROR_CANCELLED", 1223));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        apps[0].status,
        AppStatus::STOPPED,
        "what was stopped stays stopped"
    );
    assert!(
        stubborn.process.is_alive(),
        "cancelled before the forced kill"
    );
}
