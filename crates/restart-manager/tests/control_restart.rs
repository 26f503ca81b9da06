//! Restart registrations and relaunching real processes after a shutdown.

#[path = "control_util/mod.rs"]
mod util;

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use restart_manager::{
    AppStatus, AppType, Filter, FilterAction, FilterTarget, Filters, ProcessInfo, RESTART_NO_PATCH,
    RestartOutcome, ShutdownOptions, StateDir, UniqueProcess, is_restartable, register_restart,
    register_restart_for, registration, restart_apps, shutdown_apps, unregister_restart,
};
use util::{Guard, comm, info, wait_for};

/// The script a restarted instance runs: it records its cwd, its second argument and an
/// environment variable in the marker file named by its first argument, then sleeps.
const RECORDER: &str = r#"pwd > "$1"; printf '%s\n' "$2" "$RM_TEST_MARK" "$(id -u)" "$(id -g)" >> "$1"; exec sleep 30"#;

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    state: StateDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let state = StateDir::open(root.join("state")).unwrap();
    Fixture {
        _dir: dir,
        root,
        state,
    }
}

/// `sleep 30` started in `cwd` with `RM_TEST_MARK=mark`.
fn spawn_in(cwd: &Path, mark: &str, ids: Option<u32>) -> Guard {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "exec sleep 30"])
        .current_dir(cwd)
        .env("RM_TEST_MARK", mark)
        .stdin(Stdio::null());
    if let Some(id) = ids {
        use std::os::unix::process::CommandExt;
        cmd.uid(id).gid(id);
    }
    let child = cmd.spawn().unwrap();
    let pid = child.id();
    wait_for(Duration::from_secs(5), || {
        comm(pid).as_deref() == Some("sleep")
    });
    Guard {
        child,
        process: UniqueProcess::of(pid).unwrap(),
    }
}

fn recorder_command(marker: &Path, arg: &str) -> Vec<OsString> {
    vec![
        "sh".into(),
        "-c".into(),
        RECORDER.into(),
        "sh".into(),
        marker.into(),
        arg.into(),
    ]
}

fn shut_down(apps: &mut [ProcessInfo]) {
    let opts = ShutdownOptions {
        force: true,
        only_registered: false,
        timeout: Duration::from_secs(2),
    };
    shutdown_apps(
        apps,
        &opts,
        &Filters::default(),
        None,
        &|| false,
        &mut |_| {},
    )
    .unwrap();
}

fn restart(apps: &mut [ProcessInfo], state: &StateDir, filters: &Filters) -> RestartOutcome {
    restart_apps(apps, state, filters, None, &|| false, &mut |_| {})
}

/// Kills the relaunched processes when the test ends.
struct Relaunched(Vec<UniqueProcess>);

impl Drop for Relaunched {
    fn drop(&mut self) {
        for p in &self.0 {
            util::kill(*p);
        }
    }
}

fn read_marker(marker: &Path) -> Vec<String> {
    wait_for(Duration::from_secs(5), || {
        std::fs::read_to_string(marker).is_ok_and(|t| t.lines().count() >= 5)
    });
    std::fs::read_to_string(marker)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_registered_process_is_relaunched_with_its_arguments_cwd_and_environment() {
    let f = fixture();
    let work = f.root.join("work dir");
    std::fs::create_dir(&work).unwrap();
    let marker = f.root.join("marker.txt");
    let original = spawn_in(&work, "from-the-original", None);

    let reg = register_restart_for(
        &f.state,
        original.process,
        recorder_command(&marker, "two words"),
        0,
    )
    .unwrap();
    assert_eq!(reg.cwd, work.as_os_str());
    assert!(is_restartable(&f.state, &original.process));
    let file = f.root.join(format!(
        "state/restart/{}-{}.json",
        original.pid(),
        original.process.start_time
    ));
    let mode = std::fs::symlink_metadata(&file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "registration files are owner-only");

    let mut apps = vec![info(original.process, AppType::Console)];
    apps[0].restartable = true;
    shut_down(&mut apps);
    assert!(!original.process.is_alive());

    let mut seen = Vec::new();
    let outcome = restart_apps(
        &mut apps,
        &f.state,
        &Filters::default(),
        None,
        &|| false,
        &mut |p| seen.push(p),
    );
    let _cleanup = Relaunched(outcome.relaunched.iter().map(|r| r.new).collect());
    outcome.result.unwrap();
    assert_eq!(seen, vec![100]);
    assert_eq!(outcome.relaunched.len(), 1);
    assert_eq!(outcome.relaunched[0].old, original.process);
    assert!(
        apps[0]
            .status
            .contains(AppStatus::STOPPED | AppStatus::RESTARTED)
    );

    let lines = read_marker(&marker);
    assert_eq!(Path::new(&lines[0]), work, "cwd");
    assert_eq!(lines[1], "two words", "argument");
    assert_eq!(lines[2], "from-the-original", "environment");

    // Detached: the new instance leads its own session.
    let new = outcome.relaunched[0].new;
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", new.pid)).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    assert_eq!(fields[3], new.pid.to_string(), "session id = its own pid");
    // The used registration is gone: the new instance must register itself.
    assert!(!file.exists());
}

#[test]
fn root_relaunches_another_users_process_as_that_user() {
    if !util::is_root() {
        eprintln!("skipped: needs root to run a process as another user");
        return;
    }
    let f = fixture();
    // The user (nobody, 65534) must be able to enter the folder and write the marker.
    std::fs::set_permissions(&f.root, std::fs::Permissions::from_mode(0o777)).unwrap();
    let work = f.root.join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o777)).unwrap();
    let marker = work.join("marker.txt");
    let original = spawn_in(&work, "nobody's", Some(65534));

    let reg = register_restart_for(
        &f.state,
        original.process,
        recorder_command(&marker, "x"),
        0,
    )
    .unwrap();
    assert_eq!((reg.uid, reg.gid), (65534, 65534));
    let mut apps = vec![info(original.process, AppType::Console)];
    apps[0].restartable = true;
    shut_down(&mut apps);
    let outcome = restart(&mut apps, &f.state, &Filters::default());
    let _cleanup = Relaunched(outcome.relaunched.iter().map(|r| r.new).collect());
    outcome.result.unwrap();
    let lines = read_marker(&marker);
    assert_eq!(&lines[3..5], ["65534", "65534"], "uid and gid dropped");
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", outcome.relaunched[0].new.pid)).unwrap();
    assert!(
        status.contains("Uid:\t65534\t65534\t65534\t65534"),
        "{status}"
    );
    let groups = status
        .lines()
        .find_map(|l| l.strip_prefix("Groups:"))
        .unwrap();
    assert_eq!(groups.trim(), "", "root's supplementary groups are dropped");
}

#[test]
fn root_finds_a_users_own_registration_in_that_users_state_folder() {
    if !util::is_root() {
        eprintln!("skipped: needs root to run a process as another user");
        return;
    }
    use std::os::unix::fs::chown;
    let f = fixture();
    std::fs::set_permissions(&f.root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let work = f.root.join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o777)).unwrap();
    let marker = work.join("marker.txt");
    // The user's own state folder, named by RSTMGR_STATE_DIR in its environment.
    let user_state = f.root.join("user-state");
    // It stays the shell it registers as (`sh`, a word of its command line): a root
    // session refuses a registration whose program the process does not run.
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "sleep 30; true"])
        .current_dir(&work)
        .env("RSTMGR_STATE_DIR", &user_state)
        .env("RM_TEST_MARK", "users")
        .stdin(Stdio::null());
    {
        use std::os::unix::process::CommandExt;
        cmd.uid(65534).gid(65534);
    }
    let child = cmd.spawn().unwrap();
    let pid = child.id();
    wait_for(Duration::from_secs(5), || {
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .is_ok_and(|c| !c.trim().is_empty())
    });
    let original = Guard {
        child,
        process: UniqueProcess::of(pid).unwrap(),
    };
    // Write the registration as the user would have (same content), then hand the folder
    // over to the user.
    let scratch = StateDir::open(f.root.join("scratch")).unwrap();
    register_restart_for(
        &scratch,
        original.process,
        recorder_command(&marker, "y"),
        0,
    )
    .unwrap();
    let name = format!("{}-{}.json", pid, original.process.start_time);
    std::fs::create_dir_all(user_state.join("restart")).unwrap();
    std::fs::copy(
        f.root.join("scratch/restart").join(&name),
        user_state.join("restart").join(&name),
    )
    .unwrap();
    for p in [
        user_state.clone(),
        user_state.join("restart"),
        user_state.join("restart").join(&name),
    ] {
        chown(&p, Some(65534), Some(65534)).unwrap();
        let mode = if p.is_dir() { 0o700 } else { 0o600 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    // A group-writable folder is not trusted.
    std::fs::set_permissions(&user_state, std::fs::Permissions::from_mode(0o770)).unwrap();
    let other = StateDir::open(f.root.join("other")).unwrap();
    assert!(!is_restartable(&other, &original.process));
    std::fs::set_permissions(&user_state, std::fs::Permissions::from_mode(0o700)).unwrap();

    assert!(is_restartable(&f.state, &original.process));
    assert!(
        f.root.join("state/restart").join(&name).exists(),
        "adopted into root's own state folder"
    );
    let mut apps = vec![info(original.process, AppType::Console)];
    apps[0].restartable = true;
    shut_down(&mut apps);
    let outcome = restart(&mut apps, &f.state, &Filters::default());
    let _cleanup = Relaunched(outcome.relaunched.iter().map(|r| r.new).collect());
    outcome.result.unwrap();
    let lines = read_marker(&marker);
    assert_eq!(lines[2], "users");
    assert_eq!(
        &lines[3..5],
        ["65534", "65534"],
        "relaunched as the user, not root"
    );
}

#[test]
fn the_calling_process_can_register_itself_and_unregister() {
    let f = fixture();
    let me = UniqueProcess::current().unwrap();
    let reg = register_restart(&f.state, vec!["--resume".into(), "a b".into()], 0).unwrap();
    assert_eq!(reg.process, me);
    assert_eq!(
        Path::new(&reg.program),
        std::env::current_exe().unwrap().as_path()
    );
    assert_eq!(reg.args, vec![OsString::from("--resume"), "a b".into()]);
    assert_eq!(
        Path::new(&reg.cwd),
        std::env::current_dir().unwrap().as_path()
    );
    assert_eq!(registration(&f.state, &me).unwrap(), Some(reg));
    assert!(unregister_restart(&f.state, &me).unwrap());
    assert!(!unregister_restart(&f.state, &me).unwrap());
    assert_eq!(registration(&f.state, &me).unwrap(), None);

    let long = vec![OsString::from("x".repeat(1025))];
    let err = register_restart(&f.state, long, 0).unwrap_err();
    assert_eq!(err.code(), 87);
}

#[test]
fn restart_no_patch_makes_a_process_not_restartable() {
    let f = fixture();
    let me = UniqueProcess::current().unwrap();
    register_restart(&f.state, vec![], RESTART_NO_PATCH).unwrap();
    assert!(!is_restartable(&f.state, &me));
    register_restart(&f.state, vec![], 0).unwrap();
    assert!(is_restartable(&f.state, &me));
    unregister_restart(&f.state, &me).unwrap();
}

#[test]
fn unregistered_and_no_restart_filtered_processes_are_not_relaunched() {
    let f = fixture();
    let marker = f.root.join("marker.txt");
    let unregistered = spawn_in(&f.root, "u", None);
    let filtered = spawn_in(&f.root, "f", None);
    register_restart_for(
        &f.state,
        filtered.process,
        recorder_command(&marker, "f"),
        0,
    )
    .unwrap();
    let mut apps = vec![
        info(unregistered.process, AppType::Console),
        info(filtered.process, AppType::Console),
    ];
    apps[1].restartable = true;
    shut_down(&mut apps);
    let mut filters = Filters::default();
    filters.add(Filter {
        action: FilterAction::NoRestart,
        target: FilterTarget::Process(filtered.process),
    });
    let outcome = restart(&mut apps, &f.state, &filters);
    let _cleanup = Relaunched(outcome.relaunched.iter().map(|r| r.new).collect());
    outcome.result.unwrap();
    assert!(outcome.relaunched.is_empty());
    assert_eq!(apps[0].status, AppStatus::STOPPED);
    assert_eq!(
        apps[1].status,
        AppStatus::STOPPED | AppStatus::RESTART_MASKED
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(!marker.exists());
}

#[test]
fn a_registration_that_cannot_start_fails_the_restart() {
    let f = fixture();
    let original = spawn_in(&f.root, "x", None);
    register_restart_for(
        &f.state,
        original.process,
        vec!["/nonexistent/program".into()],
        0,
    )
    .unwrap();
    let mut apps = vec![info(original.process, AppType::Console)];
    apps[0].restartable = true;
    shut_down(&mut apps);
    let outcome = restart(&mut apps, &f.state, &Filters::default());
    let err = outcome.result.unwrap_err();
    assert_eq!((err.name(), err.code()), ("ERROR_FAIL_RESTART", 352));
    assert!(apps[0].status.contains(AppStatus::ERROR_ON_RESTART));
    assert!(!apps[0].status.contains(AppStatus::RESTARTED));
}

#[test]
fn a_cancelled_restart_relaunches_nothing() {
    let f = fixture();
    let marker = f.root.join("marker.txt");
    let original = spawn_in(&f.root, "x", None);
    register_restart_for(
        &f.state,
        original.process,
        recorder_command(&marker, "x"),
        0,
    )
    .unwrap();
    let mut apps = vec![info(original.process, AppType::Console)];
    apps[0].restartable = true;
    shut_down(&mut apps);
    let outcome = restart_apps(
        &mut apps,
        &f.state,
        &Filters::default(),
        None,
        &|| true,
        &mut |_| {},
    );
    let err = outcome.result.unwrap_err();
    assert_eq!((err.name(), err.code()), ("ERROR_CANCELLED", 1223));
    assert!(outcome.relaunched.is_empty());
    assert!(
        is_restartable(&f.state, &original.process),
        "still registered"
    );
}

#[test]
fn restart_goes_in_the_reverse_of_the_shutdown_order() {
    let f = fixture();
    let gui = spawn_in(&f.root, "g", None);
    let console = spawn_in(&f.root, "c", None);
    for (p, m) in [(&gui, "gui.txt"), (&console, "console.txt")] {
        register_restart_for(&f.state, p.process, recorder_command(&f.root.join(m), m), 0).unwrap();
    }
    let mut apps = vec![
        info(gui.process, AppType::MainWindow),
        info(console.process, AppType::Console),
    ];
    for a in &mut apps {
        a.restartable = true;
    }
    shut_down(&mut apps);
    let outcome = restart(&mut apps, &f.state, &Filters::default());
    let _cleanup = Relaunched(outcome.relaunched.iter().map(|r| r.new).collect());
    outcome.result.unwrap();
    let order: Vec<UniqueProcess> = outcome.relaunched.iter().map(|r| r.old).collect();
    assert_eq!(
        order,
        vec![console.process, gui.process],
        "GUI apps are shut down first, so they are restarted last"
    );
}
