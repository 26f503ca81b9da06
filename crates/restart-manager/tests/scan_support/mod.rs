//! Real child processes for the scan tests, each killed (exactly it, by its own handle)
//! when its guard is dropped.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use restart_manager::{FileUse, ScanOptions, ScanReport, UniqueProcess};

/// A child process that is killed and reaped when the guard goes away.
pub(crate) struct Guard {
    child: Child,
}

impl Guard {
    pub(crate) fn spawn(cmd: &mut Command) -> Guard {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // A program this test just wrote can be "busy" for a moment: another test's
        // thread may fork while the file is still open for writing here, and the child
        // holds that descriptor until it execs (ETXTBSY, rust-lang/rust#114554).
        let mut tries = 0;
        let child = loop {
            match cmd.spawn() {
                Ok(child) => break child,
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 100 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("cannot spawn {cmd:?}: {e}"),
            }
        };
        Guard { child }
    }

    /// Like [`Guard::spawn`], with the child's standard input given.
    pub(crate) fn spawn_with_stdin(cmd: &mut Command, stdin: Stdio) -> Guard {
        let child = cmd
            .stdin(stdin)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {cmd:?}: {e}"));
        Guard { child }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn unique(&self) -> UniqueProcess {
        UniqueProcess::of(self.pid()).expect("the child is alive until its guard is dropped")
    }

    /// Waits until the child runs `exe` (it has exec'ed past its shell prelude).
    pub(crate) fn wait_exe(&self, exe: &Path) {
        let link = format!("/proc/{}/exe", self.pid());
        wait_for(
            &format!("pid {} to run {}", self.pid(), exe.display()),
            || std::fs::read_link(&link).is_ok_and(|p| p == exe),
        );
    }

    /// Waits until the `maps` text of the child names `needle`.
    pub(crate) fn wait_mapped(&self, needle: &Path) {
        let maps = format!("/proc/{}/maps", self.pid());
        let needle = needle.to_string_lossy().into_owned();
        wait_for(&format!("pid {} to map {needle}", self.pid()), || {
            std::fs::read_to_string(&maps).is_ok_and(|t| t.contains(&needle))
        });
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // `Child::kill` signals this child's own pid, which cannot be reused before the
        // `wait` below reaps it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `cond` every 5 ms for up to 5 s.
pub(crate) fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The real `sleep` binary (not a symlink), so it can be copied and compared with
/// `/proc/PID/exe`.
pub(crate) fn sleep_bin() -> PathBuf {
    std::fs::canonicalize("/bin/sleep").expect("coreutils sleep exists")
}

/// `sh -c 'exec 3<"$0"; exec sleep 30' FILE`: a process holding `file` open on fd 3.
pub(crate) fn hold_open(file: &Path) -> Guard {
    let g = Guard::spawn(
        Command::new("sh")
            .arg("-c")
            .arg("exec 3<\"$0\"; exec sleep 30")
            .arg(file),
    );
    g.wait_exe(&sleep_bin());
    g
}

/// A plain `sleep 30` that uses nothing of the test's files.
pub(crate) fn bystander() -> Guard {
    let g = Guard::spawn(Command::new(sleep_bin()).arg("30"));
    g.wait_exe(&sleep_bin());
    g
}

/// Scans with the default options.
pub(crate) fn scan(paths: &[&Path]) -> ScanReport {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    restart_manager::who_uses(&paths, &ScanOptions::default()).expect("scan succeeds")
}

/// The use of `path` by `pid` in a report, if any.
pub(crate) fn use_of<'r>(report: &'r ScanReport, pid: u32, path: &Path) -> Option<&'r FileUse> {
    report
        .uses
        .iter()
        .find(|u| u.process.pid == pid && u.path == path)
}

pub(crate) fn lists(report: &ScanReport, pid: u32) -> bool {
    report.processes.iter().any(|p| p.process.pid == pid)
}

/// A file with some content in a fresh temporary folder.
pub(crate) fn temp_file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, b"in use\n").expect("write test file");
    path
}
