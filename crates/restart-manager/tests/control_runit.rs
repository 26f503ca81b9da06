//! Services under a real runit supervisor: a private `runsvdir` per test on a temporary
//! service folder (Debian package `runit`, installed with `--no-install-recommends`).

#[path = "control_util/mod.rs"]
mod util;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use restart_manager::{
    AppStatus, AppType, Filters, ProcessInfo, Runit, ServiceManager, ShutdownOptions, StateDir,
    UniqueProcess, restart_apps, shutdown_apps,
};
use util::{comm, info, wait_for};

/// A private `runsvdir` on `<tmp>/service`, killed with everything it started on drop.
struct Supervisor {
    _dir: tempfile::TempDir,
    root: PathBuf,
    svdir: PathBuf,
    runsvdir: Option<Child>,
    /// Processes a test saw leave the supervision tree (killed on drop too).
    strays: Vec<UniqueProcess>,
}

impl Supervisor {
    /// Creates the service folder with `services` (name, run script), then starts
    /// `runsvdir` on it (which scans the folder at once).
    fn start(services: &[(&str, &str)]) -> Supervisor {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let svdir = root.join("service");
        std::fs::create_dir(&svdir).unwrap();
        for (name, script) in services {
            let sv = svdir.join(name);
            std::fs::create_dir(&sv).unwrap();
            let run = sv.join("run");
            std::fs::write(&run, format!("#!/bin/sh\n{script}\n")).unwrap();
            std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let runsvdir = Command::new("runsvdir")
            .arg(&svdir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("runsvdir (Debian package runit) must be installed");
        Supervisor {
            _dir: dir,
            root,
            svdir,
            runsvdir: Some(runsvdir),
            strays: Vec::new(),
        }
    }

    fn runit(&self) -> Runit {
        Runit::with_dir(&self.svdir)
    }

    /// Waits until `service` runs a process named `sleep`, and returns it.
    fn main_process(&self, service: &str) -> UniqueProcess {
        let pid_file = self.svdir.join(service).join("supervise/pid");
        let mut pid = 0;
        wait_for(Duration::from_secs(5), || {
            pid = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0);
            pid != 0 && comm(pid).as_deref() == Some("sleep")
        });
        UniqueProcess::of(pid).unwrap()
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        let Some(mut runsvdir) = self.runsvdir.take() else {
            return;
        };
        let tree = util::descendants(runsvdir.id());
        // runsvdir first (it would start runsv again), then runsv (it would start the
        // service again), then the services: the snapshot lists parents first.
        let _ = runsvdir.kill();
        let _ = runsvdir.wait();
        for p in tree.iter().chain(&self.strays) {
            util::kill(*p);
        }
    }
}

fn service_info(process: UniqueProcess, service: &str) -> ProcessInfo {
    let mut i = info(process, AppType::Service);
    i.service_name = Some(service.to_owned());
    i.restartable = true;
    i
}

fn holds(pid: u32, file: &Path) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t == file))
}

#[test]
fn runit_names_stops_and_starts_a_service_holding_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("held.txt");
    std::fs::write(&file, "x").unwrap();
    let script = format!("exec 3<'{}'\nsleep 1000 &\nexec sleep 999", file.display());
    let mut sup = Supervisor::start(&[("holder", &script)]);
    let runit = sup.runit();
    let main = sup.main_process("holder");
    let mut child = None;
    wait_for(Duration::from_secs(5), || {
        child = util::descendants(main.pid).first().copied();
        child.is_some_and(|c| comm(c.pid).as_deref() == Some("sleep"))
    });
    let child = child.unwrap();
    sup.strays.push(child);
    assert!(holds(main.pid, &file) && holds(child.pid, &file));

    assert_eq!(runit.name(), "runit");
    assert!(runit.exists("holder"));
    assert!(!runit.exists("nope"));
    assert!(!runit.exists("../service"));
    assert_eq!(runit.service_of(main.pid).as_deref(), Some("holder"));
    // runit's record is the supervised pid alone: a child is not the service, whatever
    // it descends from (issue 11: a service is what its service manager says it is).
    assert_eq!(runit.service_of(child.pid), None);
    assert_eq!(runit.service_of(std::process::id()), None);
    let procs = runit.processes("holder").unwrap();
    assert_eq!(procs, vec![main.pid]);
    assert!(runit.is_running("holder").unwrap());

    runit.stop("holder", Duration::from_secs(2), false).unwrap();
    assert!(!main.is_alive());
    assert!(!runit.is_running("holder").unwrap());
    assert!(runit.processes("holder").unwrap().is_empty());

    runit.start("holder", Duration::from_secs(2)).unwrap();
    assert!(runit.is_running("holder").unwrap());
    let again = sup.main_process("holder");
    assert_ne!(again, main);
    assert!(holds(again.pid, &file));
}

#[test]
fn a_service_ignoring_sigterm_stops_only_when_forced() {
    let sup = Supervisor::start(&[("stubborn", "trap '' TERM\nexec sleep 999")]);
    let runit = sup.runit();
    let main = sup.main_process("stubborn");
    // runsv knows the pid from the fork on; the shell ignores SIGTERM only once it has run
    // `trap`, which it has when it has become `sleep`.
    wait_for(Duration::from_secs(5), || {
        comm(main.pid).as_deref() == Some("sleep")
    });
    let err = runit
        .stop("stubborn", Duration::from_millis(700), false)
        .unwrap_err();
    assert_eq!(err.name(), "ERROR_SERVICE_SPECIFIC_ERROR");
    assert!(main.is_alive());
    runit
        .stop("stubborn", Duration::from_secs(2), true)
        .unwrap();
    assert!(!main.is_alive());
    assert!(!runit.is_running("stubborn").unwrap());
}

#[test]
fn shutdown_stops_the_service_and_its_stray_child_and_restart_starts_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("held.txt");
    std::fs::write(&file, "x").unwrap();
    let script = format!("exec 3<'{}'\nsleep 1000 &\nexec sleep 999", file.display());
    let mut sup = Supervisor::start(&[("holder", &script)]);
    let runit = sup.runit();
    let main = sup.main_process("holder");
    let mut child = None;
    wait_for(Duration::from_secs(5), || {
        child = util::descendants(main.pid).first().copied();
        child.is_some_and(|c| comm(c.pid).as_deref() == Some("sleep"))
    });
    let child = child.unwrap();
    sup.strays.push(child);

    let mut apps = vec![service_info(main, "holder"), service_info(child, "holder")];
    let opts = ShutdownOptions {
        force: false,
        only_registered: true,
        timeout: Duration::from_secs(2),
    };
    shutdown_apps(
        &mut apps,
        &opts,
        &Filters::default(),
        Some(&runit),
        &|| false,
        &mut |_| {},
    )
    .unwrap();
    assert!(
        apps.iter().all(|a| a.status == AppStatus::STOPPED),
        "{apps:?}"
    );
    assert!(
        !main.is_alive() && !child.is_alive(),
        "nobody holds the file"
    );
    assert!(!runit.is_running("holder").unwrap());

    let state = StateDir::open(sup.root.join("state")).unwrap();
    let outcome = restart_apps(
        &mut apps,
        &state,
        &Filters::default(),
        Some(&runit),
        &|| false,
        &mut |_| {},
    );
    outcome.result.unwrap();
    assert!(
        outcome.relaunched.is_empty(),
        "services are started, not relaunched"
    );
    assert!(
        apps.iter()
            .all(|a| a.status == AppStatus::STOPPED | AppStatus::RESTARTED)
    );
    assert!(runit.is_running("holder").unwrap());
    let again = sup.main_process("holder");
    assert_ne!(again, main);
    for p in util::descendants(again.pid) {
        sup.strays.push(p);
    }
}
