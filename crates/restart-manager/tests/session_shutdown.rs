//! Shutdown through a library session: what the session decides before the control
//! code acts (reboot reasons, filters) and what it records after (status history).

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use restart_manager::{
    AppStatus, FilterAction, FilterTarget, RebootReasons, Resources, Session, ShutdownOptions,
    StateDir, UniqueProcess,
};

/// A child process killed (exactly that pid) when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn holder(file: &Path) -> Guard {
    let child = Command::new("sh")
        .arg("-c")
        .arg("exec 3<\"$0\"; exec sleep 30")
        .arg(file)
        .spawn()
        .unwrap();
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_link(format!("/proc/{pid}/fd/3")).is_err() {
        assert!(Instant::now() < deadline, "holder did not open the file");
        std::thread::sleep(Duration::from_millis(5));
    }
    Guard(child)
}

fn opts() -> ShutdownOptions {
    ShutdownOptions {
        timeout: Duration::from_secs(5),
        ..ShutdownOptions::default()
    }
}

fn setup(name: &str) -> (tempfile::TempDir, Session, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let state = StateDir::open(tmp.path().join("state")).unwrap();
    let file = tmp.path().join(name);
    std::fs::write(&file, "x").unwrap();
    let s = Session::start_in(state).unwrap();
    s.register(&Resources {
        files: vec![file.clone()],
        ..Resources::default()
    })
    .unwrap();
    (tmp, s, file)
}

#[test]
fn a_holder_is_shut_down_and_the_session_remembers_it() {
    let (_tmp, s, file) = setup("held");
    let mut h = holder(&file);
    let pid = h.0.id();
    let mut seen = Vec::new();
    let report = s.shutdown(&opts(), &mut |p| seen.push(p)).unwrap();
    assert_eq!(report.apps.len(), 1);
    assert!(report.apps[0].status.contains(AppStatus::STOPPED));
    assert_eq!(seen.last(), Some(&100));
    h.0.wait().unwrap();

    let list = s.list().unwrap();
    let e = list.apps.iter().find(|a| a.process.pid == pid).unwrap();
    assert!(e.status.contains(AppStatus::STOPPED), "{:?}", e.status);
    assert!(!e.status.contains(AppStatus::RUNNING));
    // Nothing registered for restart: restart succeeds and starts nothing.
    let r = s.restart(&mut |_| {}).unwrap();
    assert!(r.relaunched.is_empty());
    s.end().unwrap();
}

#[test]
fn the_primary_using_a_registered_file_needs_a_reboot_and_nothing_is_stopped() {
    let (_tmp, s, file) = setup("mine");
    let _mine = std::fs::File::open(&file).unwrap();
    let h = holder(&file);
    let list = s.list().unwrap();
    assert!(list.reboot_reasons.contains(RebootReasons::DETECTED_SELF));
    let err = s.shutdown(&opts(), &mut |_| {}).unwrap_err();
    assert_eq!(
        (err.name(), err.code()),
        ("ERROR_FAIL_NOACTION_REBOOT", 350)
    );
    assert!(UniqueProcess::of(h.0.id()).unwrap().is_alive());
    s.end().unwrap();
}

#[test]
fn a_no_shutdown_filter_masks_the_app_and_leaves_it_running() {
    let (_tmp, s, file) = setup("filtered");
    let h = holder(&file);
    let p = UniqueProcess::of(h.0.id()).unwrap();
    s.add_filter(FilterAction::NoShutdown, &FilterTarget::Process(p))
        .unwrap();
    let list = s.list().unwrap();
    let e = list.apps.iter().find(|a| a.process == p).unwrap();
    assert!(
        e.status
            .contains(AppStatus::SHUTDOWN_MASKED | AppStatus::RESTART_MASKED)
    );
    s.shutdown(&opts(), &mut |_| {}).unwrap();
    assert!(p.is_alive());
    s.end().unwrap();
}
