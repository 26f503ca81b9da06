//! Helpers shared by the `control_*` tests: real child processes that hold files, kept in
//! guards that kill exactly them (through a pidfd, never by name) when a test ends.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use restart_manager::{AppStatus, AppType, INVALID_SESSION_ID, ProcessInfo, UniqueProcess};

/// A child process that is killed (SIGKILL through a pidfd) and reaped on drop.
pub(crate) struct Guard {
    pub(crate) child: Child,
    pub(crate) process: UniqueProcess,
}

impl Guard {
    pub(crate) fn pid(&self) -> u32 {
        self.process.pid
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        kill(self.process);
        let _ = self.child.wait();
    }
}

/// Kills one process instance, if it still runs (never a successor with its pid).
pub(crate) fn kill(process: UniqueProcess) {
    if let Ok(Some(handle)) = restart_manager::ProcessHandle::open(process) {
        let _ = handle.kill();
    }
}

/// Spawns `sh -c SCRIPT sh ARGS...` and waits until it has exec'd into `sleep` (so that the
/// script's redirections and traps are in place before the test signals it).
pub(crate) fn spawn_script(script: &str, args: &[&str]) -> Guard {
    let child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .args(args)
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn sh");
    let pid = child.id();
    wait_for(Duration::from_secs(5), || {
        comm(pid).as_deref() == Some("sleep")
    });
    let process = UniqueProcess::of(pid).expect("child start time");
    Guard { child, process }
}

/// A process that holds `file` open on fd 3 and sleeps.
pub(crate) fn spawn_holder(file: &Path) -> Guard {
    spawn_script(
        r#"exec 3<"$1"; exec sleep 30"#,
        &[file.to_str().expect("utf-8 temp path")],
    )
}

/// A process that holds `file` open and ignores SIGTERM (ignored signals stay ignored
/// across exec).
pub(crate) fn spawn_stubborn(file: &Path) -> Guard {
    spawn_script(
        r#"trap "" TERM; exec 3<"$1"; exec sleep 30"#,
        &[file.to_str().expect("utf-8 temp path")],
    )
}

/// Spawns `sh -c 'CMD & echo $!; exec sleep 60'`: a parent (which becomes `sleep 60` and
/// never reaps) and its background child, whose pid is returned.
pub(crate) fn spawn_unreaping_parent(child_cmd: &str) -> (Guard, UniqueProcess) {
    let mut parent = Command::new("sh")
        .arg("-c")
        .arg(format!("{child_cmd} & echo $!; exec sleep 60"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let mut line = String::new();
    BufReader::new(parent.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("read the child pid");
    let child_pid: u32 = line.trim().parse().expect("a pid");
    let pid = parent.id();
    wait_for(Duration::from_secs(5), || {
        comm(pid).as_deref() == Some("sleep")
    });
    wait_for(Duration::from_secs(5), || {
        comm(child_pid).as_deref() == Some("sleep")
    });
    let process = UniqueProcess::of(pid).expect("parent start time");
    let child = UniqueProcess::of(child_pid).expect("child start time");
    (
        Guard {
            child: parent,
            process,
        },
        child,
    )
}

/// `/proc/PID/comm`, without the newline.
pub(crate) fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_owned())
}

/// The state letter of `/proc/PID/stat`.
pub(crate) fn state(pid: u32) -> Option<char> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    text[text.rfind(')')? + 1..].trim_start().chars().next()
}

/// Polls `cond` every 10 ms until it holds; panics after `timeout`.
pub(crate) fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < timeout,
            "condition not met within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The affected-list entry of a live process, as the scan would describe it.
pub(crate) fn info(process: UniqueProcess, app_type: AppType) -> ProcessInfo {
    let exe = std::fs::read_link(format!("/proc/{}/exe", process.pid)).ok();
    ProcessInfo {
        process,
        app_name: comm(process.pid).unwrap_or_default(),
        service_name: None,
        app_type,
        status: AppStatus::RUNNING,
        restartable: false,
        session_id: INVALID_SESSION_ID,
        // As the scan records it: the owner of /proc/PID, the user the process runs as.
        uid: std::os::unix::fs::MetadataExt::uid(
            &std::fs::metadata(format!("/proc/{}", process.pid)).unwrap(),
        ),
        exe,
    }
}

fn rustix_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|u| u.parse().ok())
        .unwrap_or(u32::MAX)
}

/// Whether this test runs as root (some privilege tests need it).
pub(crate) fn is_root() -> bool {
    rustix_uid() == 0
}

/// Every live descendant of `root` (children before grandchildren), from `/proc`.
pub(crate) fn descendants(root: u32) -> Vec<UniqueProcess> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(close) = text.rfind(')') else {
            continue;
        };
        let mut fields = text[close + 1..].split_whitespace();
        let _state = fields.next();
        if let Some(ppid) = fields.next().and_then(|p| p.parse::<u32>().ok()) {
            parent_of.push((pid, ppid));
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &(pid, ppid) in &parent_of {
            if ppid == p {
                if let Ok(u) = UniqueProcess::of(pid) {
                    out.push(u);
                }
                frontier.push(pid);
            }
        }
    }
    out
}
