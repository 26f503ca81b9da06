//! What several `rstmgr` test modules share, written once: a child killed when dropped, a
//! process's name, a process's entry in a `list --json` answer, and a private runit
//! supervisor. (Helpers every crate's tests may use are in `test_support`; these stay
//! here because they use the `restart_manager` crate to kill exactly the processes they
//! started.)

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use restart_manager::{ProcessHandle, UniqueProcess};
use test_support::wait_for;

/// A child process killed (exactly that pid) and reaped when dropped.
pub(crate) struct Guard(pub(crate) Child);

impl Guard {
    /// The child's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The process's name (`/proc/PID/comm`), or None once it is gone.
pub(crate) fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_owned())
}

/// The entry of `pid` in a `list --json` or `stale --json` answer, if it is there.
pub(crate) fn entry(list: &serde_json::Value, pid: u32) -> Option<serde_json::Value> {
    list["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pid"] == pid)
        .cloned()
}

/// The entry of `pid` in a `list --json` answer; the test fails when it is not listed.
pub(crate) fn listed(list: &serde_json::Value, pid: u32) -> serde_json::Value {
    entry(list, pid).unwrap_or_else(|| panic!("pid {pid} not listed: {list}"))
}

/// Every descendant of `pid`, children before grandchildren.
pub(crate) fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
        else {
            continue;
        };
        for p in text.split_whitespace().filter_map(|p| p.parse().ok()) {
            out.push(p);
            frontier.push(p);
        }
    }
    out
}

/// A private `runsvdir` (Debian package `runit`) on `<root>/service` with one service,
/// killed with everything it started when dropped.
pub(crate) struct Runsvdir {
    /// The folder `runsvdir` watches (what `SVDIR` names for `rstmgr`).
    pub(crate) svdir: PathBuf,
    child: Option<Child>,
}

impl Runsvdir {
    /// Starts `runsvdir` over `<root>/service`, with the service `name` running `script`.
    pub(crate) fn start(root: &Path, name: &str, script: &str) -> Runsvdir {
        let svdir = root.join("service");
        let sv = svdir.join(name);
        std::fs::create_dir_all(&sv).unwrap();
        let run = sv.join("run");
        std::fs::write(&run, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
        let child = Command::new("runsvdir")
            .arg(&svdir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("runsvdir (Debian package runit) must be installed");
        Runsvdir {
            svdir,
            child: Some(child),
        }
    }

    /// The service's supervised process once it runs `sleep`.
    pub(crate) fn main_pid(&self, name: &str) -> u32 {
        self.main_pid_when(name, Duration::from_secs(5), |pid| {
            comm(pid).as_deref() == Some("sleep")
        })
    }

    /// The service's supervised process once `ready` holds for it (within `timeout`).
    pub(crate) fn main_pid_when(
        &self,
        name: &str,
        timeout: Duration,
        mut ready: impl FnMut(u32) -> bool,
    ) -> u32 {
        let pid_file = self.svdir.join(name).join("supervise/pid");
        let mut pid = 0;
        wait_for(&format!("the service {name}"), timeout, || {
            pid = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0);
            pid != 0 && ready(pid)
        });
        pid
    }

    /// What `runsv` says of the service (`supervise/stat`: `run`, `down`, ...).
    pub(crate) fn stat(&self, name: &str) -> String {
        std::fs::read_to_string(self.svdir.join(name).join("supervise/stat"))
            .unwrap_or_default()
            .trim()
            .to_owned()
    }
}

impl Drop for Runsvdir {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // Known before runsvdir dies (its children are orphaned then), and killed after
        // it, so that nothing is started again: runsv first, then the service.
        let procs: Vec<UniqueProcess> = descendants(child.id())
            .into_iter()
            .filter_map(|p| UniqueProcess::of(p).ok())
            .collect();
        let _ = child.kill();
        let _ = child.wait();
        for p in procs {
            if let Ok(Some(h)) = ProcessHandle::open(p) {
                let _ = h.kill();
            }
        }
    }
}
