//! The `rmsi` end-to-end tests' context: a private root, a Restart Manager state folder and
//! a log per test, the real binaries run with a clean environment, and what they left.
//!
//! Every test gets a [`Ctx`]: a private temporary directory holding an empty target `root`,
//! a Restart Manager state directory (`RSTMGR_STATE_DIR`, mode 0700) and the log file's
//! place, so that tests never share state and can run in parallel. [`Ctx::rmsi`] builds a
//! command for the real `rmsi` binary with a clean environment; [`Run`] is what came back:
//! the exit status (the Windows code modulo 256), stdout, stderr and the verbose log.
//!
//! Packages come from `crates/engine/tests/packages/` (built with wixl by its `build.sh`),
//! `examples/`, and the shared corpus, read in place.

use fs_err as fs;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long one `rmsi` run may take before the test gives up on it.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

pub use crate::{corpus_dir, example, package};

/// The `rstmgr` binary of this build, passed to packages as `RSTMGR_EXE`.
pub fn rstmgr_exe() -> PathBuf {
    crate::bin("rstmgr")
}

/// The two target layouts of `--layout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `--layout fhs`.
    Fhs,
    /// `--layout windows`.
    Windows,
}

impl Layout {
    /// The `--layout` word.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Fhs => "fhs",
            Layout::Windows => "windows",
        }
    }

    /// The engine's own state folder under the root (not payload).
    pub fn state_dir(self) -> &'static str {
        match self {
            Layout::Fhs => "var/lib/rmsi",
            Layout::Windows => "Windows/Installer/rmsi",
        }
    }

    /// `ProgramFilesFolder` under the root.
    pub fn program_files(self) -> &'static str {
        match self {
            Layout::Fhs => "opt",
            Layout::Windows => "Program Files (x86)",
        }
    }

    /// `CommonAppDataFolder` under the root.
    pub fn common_app_data(self) -> &'static str {
        match self {
            Layout::Fhs => "var/lib",
            Layout::Windows => "ProgramData",
        }
    }
}

/// One test's private world: a temporary directory with an empty `root`, a Restart
/// Manager state directory and a log path, all inside `tmp`.
pub struct Ctx {
    /// The test's private folder (removed when the context is dropped).
    pub tmp: tempfile::TempDir,
    /// The target root, empty at first.
    pub root: PathBuf,
    /// The Restart Manager state folder (`RSTMGR_STATE_DIR`, mode 0700).
    pub state: PathBuf,
    /// The runtime folder (`XDG_RUNTIME_DIR`) the runs see.
    pub runtime: PathBuf,
    /// Where the verbose log goes.
    pub log: PathBuf,
}

impl Default for Ctx {
    fn default() -> Ctx {
        Ctx::new()
    }
}

impl Ctx {
    /// A fresh context: an empty root, a private state folder and a log place.
    pub fn new() -> Ctx {
        let tmp = tempfile::Builder::new()
            .prefix("rmsi-e2e-")
            .tempdir()
            .expect("create a temporary directory");
        let root = tmp.path().join("root");
        let state = tmp.path().join("rstmgr-state");
        let runtime = tmp.path().join("xdg-runtime");
        for dir in [&root, &state, &runtime] {
            fs::create_dir(dir).expect("create a test directory");
        }
        for dir in [&state, &runtime] {
            fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("chmod 0700");
        }
        let log = tmp.path().join("install.log");
        Ctx {
            tmp,
            root,
            state,
            runtime,
            log,
        }
    }

    /// A path in the test's temporary directory, outside the root.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `rmsi reg query KEY --json` in this context's root: its exit status and the JSON.
    pub fn reg_query_json(&self, key: &str) -> (Option<i32>, Option<serde_json::Value>) {
        let out = self
            .rmsi()
            .args(["reg", "query", key, "--json", "--root"])
            .arg(&self.root)
            .output()
            .expect("run rmsi reg query --json");
        (out.status.code(), serde_json::from_slice(&out.stdout).ok())
    }

    /// The data of the value `name` of `key` in the root, as `rmsi reg query --json` gives
    /// it (`None`: no such key or value, or data that is not a string).
    pub fn reg_value(&self, key: &str, name: &str) -> Option<String> {
        let json = self.reg_query_json(key).1?;
        json["values"]
            .as_array()?
            .iter()
            .find(|v| v["name"] == name)
            .and_then(|v| v["data"].as_str().map(str::to_string))
    }

    /// `rmsi reg query KEY` in this context's root: its exit status and text output.
    pub fn reg_query(&self, key: &str) -> (Option<i32>, String) {
        let out = self
            .rmsi()
            .args(["reg", "query", key, "--root"])
            .arg(&self.root)
            .output()
            .expect("run rmsi reg query");
        (
            out.status.code(),
            String::from_utf8(out.stdout).expect("utf-8"),
        )
    }

    /// `rmsi` with a clean environment: no `RMSI_*`/`RSTMGR_*` variables from the caller,
    /// a private Restart Manager state directory and runtime directory.
    pub fn rmsi(&self) -> Command {
        let mut cmd = Command::new(crate::bin("rmsi"));
        for (key, _) in std::env::vars_os() {
            let key_str = key.to_string_lossy();
            if key_str.starts_with("RMSI_") || key_str.starts_with("RSTMGR_") {
                cmd.env_remove(&key);
            }
        }
        cmd.env("RSTMGR_STATE_DIR", &self.state)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("RSTMGR_SHUTDOWN_TIMEOUT", "10")
            .stdin(Stdio::null());
        cmd
    }

    /// `rstmgr` with the same environment as [`Ctx::rmsi`].
    pub fn rstmgr(&self) -> Command {
        let mut cmd = Command::new(rstmgr_exe());
        cmd.env("RSTMGR_STATE_DIR", &self.state)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .stdin(Stdio::null());
        cmd
    }

    /// `rmsi install PKG --root ROOT --layout L --ui none --log LOG RSTMGR_EXE=… PROPS…`.
    pub fn install(&self, pkg: &Path, layout: Layout, props: &[&str]) -> Run {
        let mut cmd = self.install_command(pkg, layout, props);
        self.finish(&mut cmd)
    }

    /// The command [`Ctx::install`] runs, for callers that add flags or spawn it.
    pub fn install_command(&self, pkg: &Path, layout: Layout, props: &[&str]) -> Command {
        self.command("install", pkg.as_os_str(), layout, props)
    }

    /// `rmsi uninstall TARGET --root ROOT --layout L --ui none --log LOG RSTMGR_EXE=… PROPS…`.
    pub fn uninstall(&self, target: &str, layout: Layout, props: &[&str]) -> Run {
        let mut cmd = self.command("uninstall", target.as_ref(), layout, props);
        self.finish(&mut cmd)
    }

    /// `rmsi VERB TARGET --root ROOT --layout L --ui none --log LOG RSTMGR_EXE=… PROPS…`.
    fn command(
        &self,
        verb: &str,
        target: &std::ffi::OsStr,
        layout: Layout,
        props: &[&str],
    ) -> Command {
        let mut cmd = self.rmsi();
        cmd.arg(verb)
            .arg(target)
            .arg("--root")
            .arg(&self.root)
            .arg("--layout")
            .arg(layout.as_str())
            .arg("--ui")
            .arg("none")
            .arg("--log")
            .arg(&self.log)
            .arg(format!("RSTMGR_EXE={}", rstmgr_exe().display()))
            .args(props);
        cmd
    }

    /// Runs a prepared `rmsi` command to its end and reads this context's log.
    pub fn finish(&self, cmd: &mut Command) -> Run {
        run_command(cmd, Some(&self.log))
    }

    /// Every entry of the temporary directory outside the root, the state directories
    /// and the log: what an install must not have created.
    pub fn outside_root(&self) -> Vec<PathBuf> {
        let keep = [&self.root, &self.state, &self.runtime, &self.log];
        let mut found = Vec::new();
        for entry in fs::read_dir(self.tmp.path()).expect("read the temporary directory") {
            let path = entry.expect("read a directory entry").path();
            if !keep.contains(&&path) {
                found.push(path);
            }
        }
        found
    }
}

/// What one `rmsi` run gave back.
pub struct Run {
    /// The process exit status: the Windows code modulo 256 (None if killed by a signal).
    pub code: Option<i32>,
    /// Standard output, whole.
    pub stdout: String,
    /// Standard error, whole.
    pub stderr: String,
    /// The verbose log (empty when no log was asked for or none was written).
    pub log: String,
}

impl Run {
    /// Everything about the run, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "exit status: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- log ---\n{}",
            self.code, self.stdout, self.stderr, self.log
        )
    }

    /// The run ended with the Windows code `full`: the exit status is `full % 256`, and
    /// for a failure the full code is on stderr; when a log was written, it ends with
    /// `MainEngineThread is returning FULL`.
    pub fn assert_code(&self, full: u32) {
        assert_eq!(
            self.code,
            Some((full % 256) as i32),
            "expected Windows code {full} (exit status {}):\n{}",
            full % 256,
            self.describe()
        );
        if full != 0 {
            assert!(
                self.stderr.contains(&full.to_string()),
                "stderr does not give the full code {full}:\n{}",
                self.describe()
            );
            if let Some(name) = code_name(full) {
                assert!(
                    self.stderr.contains(name),
                    "stderr does not name the code ({name}):\n{}",
                    self.describe()
                );
            }
        }
    }

    /// Like [`Run::assert_code`], and the verbose log's closing line gives the full code.
    pub fn assert_code_logged(&self, full: u32) {
        self.assert_code(full);
        let line = format!("MainEngineThread is returning {full}");
        assert!(
            self.log.lines().any(|l| l.trim_end().ends_with(&line)),
            "the log lacks `{line}`:\n{}",
            self.describe()
        );
    }
}

/// The Windows names of the codes these tests expect ("MsiExec.exe and InstMsi.exe Error
/// Messages").
pub fn code_name(code: u32) -> Option<&'static str> {
    Some(match code {
        1602 => "ERROR_INSTALL_USEREXIT",
        1603 => "ERROR_INSTALL_FAILURE",
        1604 => "ERROR_INSTALL_SUSPEND",
        1618 => "ERROR_INSTALL_ALREADY_RUNNING",
        1619 => "ERROR_INSTALL_PACKAGE_OPEN_FAILED",
        1620 => "ERROR_INSTALL_PACKAGE_INVALID",
        1624 => "ERROR_INSTALL_TRANSFORM_FAILURE",
        1639 => "ERROR_INVALID_COMMAND_LINE",
        3010 => "ERROR_SUCCESS_REBOOT_REQUIRED",
        _ => return None,
    })
}

/// Runs `cmd` with a timeout, capturing its output; reads `log` afterwards.
pub fn run_command(cmd: &mut Command, log: Option<&Path>) -> Run {
    run_command_within(cmd, log, RUN_TIMEOUT)
}

/// [`run_command`] with its own timeout.
pub fn run_command_within(cmd: &mut Command, log: Option<&Path>, timeout: Duration) -> Run {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rmsi");
    wait_run_within(child, log, timeout)
}

/// Waits (bounded by [`RUN_TIMEOUT`]) for a child spawned with piped stdout/stderr.
pub fn wait_run(child: Child, log: Option<&Path>) -> Run {
    wait_run_within(child, log, RUN_TIMEOUT)
}

/// [`wait_run`] with its own timeout.
pub fn wait_run_within(mut child: Child, log: Option<&Path>, timeout: Duration) -> Run {
    // Read the pipes on threads so that a chatty child never blocks on a full pipe.
    let out = child.stdout.take().map(read_to_string_thread);
    let err = child.stderr.take().map(read_to_string_thread);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for rmsi") {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rmsi did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = out
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    let stderr = err
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    let log = log
        .and_then(|p| fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    Run {
        code: status.code(),
        stdout,
        stderr,
        log,
    }
}

fn read_to_string_thread<R: std::io::Read + Send + 'static>(
    mut r: R,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Relative path (with `/`) of `path` under `root`.
fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .expect("a path under the root")
        .to_string_lossy()
        .into_owned()
}

/// Every entry under `root` (relative paths; directories end in `/`, symlinks in `@`),
/// sorted. Symlinks are listed, never followed.
pub fn tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read a directory of the root") {
            let entry = entry.expect("read a directory entry");
            let path = entry.path();
            let ft = entry.file_type().expect("file type");
            if ft.is_dir() {
                out.push(format!("{}/", rel(root, &path)));
                stack.push(path);
            } else if ft.is_symlink() {
                out.push(format!("{}@", rel(root, &path)));
            } else {
                out.push(rel(root, &path));
            }
        }
    }
    out.sort();
    out
}

/// True for the engine's state folder, its content, and the folders leading to it.
fn is_state(layout: Layout, relpath: &str) -> bool {
    let state = layout.state_dir();
    let p = relpath.trim_end_matches('/');
    p == state || p.starts_with(&format!("{state}/")) || state.starts_with(&format!("{p}/"))
}

/// The payload: regular files under the root outside the engine's state folder, by
/// relative path, with their bytes.
pub fn payload_files(root: &Path, layout: Layout) -> BTreeMap<String, Vec<u8>> {
    tree(root)
        .into_iter()
        .filter(|p| !p.ends_with('/') && !is_state(layout, p))
        .map(|p| {
            let bytes = fs::read(root.join(&p)).expect("read an installed file");
            (p, bytes)
        })
        .collect()
}

/// Folders under the root outside the engine's state folder and the folders leading to it.
pub fn payload_dirs(root: &Path, layout: Layout) -> BTreeSet<String> {
    tree(root)
        .into_iter()
        .filter(|p| p.ends_with('/') && !is_state(layout, p))
        .map(|p| p.trim_end_matches('/').to_string())
        .collect()
}

/// The folders that must exist for `files` (every ancestor of each).
pub fn ancestors(files: &[&str]) -> BTreeSet<String> {
    let mut dirs = BTreeSet::new();
    for f in files {
        let mut p = Path::new(f).parent();
        while let Some(d) = p {
            if d.as_os_str().is_empty() {
                break;
            }
            dirs.insert(d.to_string_lossy().into_owned());
            p = d.parent();
        }
    }
    dirs
}

/// The root holds exactly `expected` (relative path → contents) as payload, and no
/// folder beyond those the files need (plus `extra_dirs`).
pub fn assert_payload(
    root: &Path,
    layout: Layout,
    expected: &[(&str, &[u8])],
    extra_dirs: &[&str],
    run: &Run,
) {
    let got = payload_files(root, layout);
    let got_names: Vec<&String> = got.keys().collect();
    let mut want_names: Vec<&str> = expected.iter().map(|(p, _)| *p).collect();
    want_names.sort();
    assert_eq!(
        got_names,
        want_names,
        "installed files differ (layout {})\n{}",
        layout.as_str(),
        run.describe()
    );
    for (path, bytes) in expected {
        assert_eq!(
            got[*path].as_slice(),
            *bytes,
            "{path} has the wrong contents"
        );
    }
    let mut want_dirs = ancestors(&want_names);
    want_dirs.extend(extra_dirs.iter().map(|d| d.to_string()));
    // Folders shared with the state folder's path (`var/lib`) are not payload.
    want_dirs.retain(|d| !is_state(layout, d));
    assert_eq!(
        payload_dirs(root, layout),
        want_dirs,
        "installed folders differ (layout {})",
        layout.as_str()
    );
}

/// The root is exactly as a failed install must leave it: empty.
pub fn assert_root_empty(root: &Path, run: &Run) {
    let left = tree(root);
    assert!(
        left.is_empty(),
        "a failed install left {left:?} in the root\n{}",
        run.describe()
    );
}

/// A child process that holds `path` open and mapped (python's mmap), started and ready;
/// dropping the guard kills exactly that pid.
pub struct Holder {
    child: Child,
}

impl Holder {
    /// A process that maps `path` into its memory and waits.
    pub fn map(path: &Path) -> Holder {
        let mut cmd = Command::new("python3");
        cmd.arg("-c")
            .arg(
                "import mmap,sys,time; f=open(sys.argv[1],'rb'); \
                 m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ); \
                 print('ready',flush=True); time.sleep(60)",
            )
            .arg(path);
        Holder::spawn(cmd, path)
    }

    /// Like [`Holder::map`], but the holder ignores SIGTERM: only a forced shutdown
    /// (SIGKILL) ends it.
    pub fn map_ignoring_sigterm(path: &Path) -> Holder {
        let mut cmd = Command::new("python3");
        cmd.arg("-c")
            .arg(
                "import mmap,signal,sys,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); \
                 f=open(sys.argv[1],'rb'); m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ); \
                 print('ready',flush=True); time.sleep(60)",
            )
            .arg(path);
        Holder::spawn(cmd, path)
    }

    /// A process that holds no file at all: it only sleeps.
    pub fn sleeper() -> Holder {
        let mut cmd = Command::new("python3");
        cmd.arg("-c")
            .arg("import time; print('ready', flush=True); time.sleep(60)");
        Holder::spawn(cmd, Path::new("(nothing)"))
    }

    /// Like [`Holder::map`], but the holder also registers itself for restart with
    /// `rstmgr register-restart` (in `ctx`'s state directory). Every instance — the first
    /// and any relaunched by the Restart Manager — appends its pid to `pidfile`, and exits
    /// by itself once `stopfile` exists or its folder is gone (or after 30 s), so that a
    /// relaunched instance, which is no child of the test, never outlives it for long.
    pub fn map_restartable(ctx: &Ctx, path: &Path, pidfile: &Path, stopfile: &Path) -> Holder {
        let script = ctx.path("restartable-holder.py");
        fs::write(
            &script,
            "import mmap, os, subprocess, sys, time\n\
             path, pidfile, stopfile, rstmgr = sys.argv[1:5]\n\
             f = open(path, 'rb')\n\
             m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\n\
             subprocess.run([rstmgr, 'register-restart', '--', sys.executable] + sys.argv, check=True)\n\
             with open(pidfile, 'a') as p:\n    p.write(f'{os.getpid()}\\n')\n\
             try:\n    print('ready', flush=True)\nexcept Exception:\n    pass\n\
             end = time.time() + 30\n\
             while time.time() < end and not os.path.exists(stopfile) \\\n\
                    and os.path.isdir(os.path.dirname(stopfile)):\n    time.sleep(0.05)\n",
        )
        .expect("write the holder script");
        let mut cmd = Command::new("python3");
        cmd.arg(&script)
            .arg(path)
            .arg(pidfile)
            .arg(stopfile)
            .arg(rstmgr_exe())
            .env("RSTMGR_STATE_DIR", &ctx.state)
            .env("XDG_RUNTIME_DIR", &ctx.runtime);
        Holder::spawn(cmd, path)
    }

    fn spawn(mut cmd: Command, path: &Path) -> Holder {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python3 to hold a file mapped");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the holder's ready line");
        let holder = Holder { child };
        assert_eq!(
            line.trim(),
            "ready",
            "the holder did not map {}",
            path.display()
        );
        holder
    }

    /// The holder's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `timeout` for the holder to exit; true if it did.
    pub fn exited_within(&mut self, timeout: Duration) -> bool {
        let start = Instant::now();
        loop {
            if self
                .child
                .try_wait()
                .expect("wait for the holder")
                .is_some()
            {
                return true;
            }
            if start.elapsed() > timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the holder still runs.
    pub fn is_running(&mut self) -> bool {
        self.child
            .try_wait()
            .expect("wait for the holder")
            .is_none()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        // Child::kill signals exactly this pid (and only while it is unreaped, so never a
        // reused one); then reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binding log lines ("How To Read A Windows Installer Verbose Log") found in a verbose log.
pub mod log {
    /// `HH:MM:SS`.
    fn is_time(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 8
            && b[2] == b':'
            && b[5] == b':'
            && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit())
    }

    /// Names of the actions started, in log order (`Action start HH:MM:SS: Name.`).
    pub fn starts(log: &str) -> Vec<String> {
        let mut out = Vec::new();
        for line in log.lines() {
            if let Some(rest) = line.strip_prefix("Action start ")
                && let Some((time, name)) = rest.split_once(": ")
                && is_time(time)
                && let Some(name) = name.trim_end().strip_suffix('.')
            {
                out.push(name.to_string());
            }
        }
        out
    }

    /// `(name, return value)` of every `Action ended HH:MM:SS: Name. Return value N.` line.
    pub fn ends(log: &str) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        for line in log.lines() {
            if let Some(rest) = line.strip_prefix("Action ended ")
                && let Some((time, rest)) = rest.split_once(": ")
                && is_time(time)
                && let Some((name, value)) = rest.trim_end().split_once(". Return value ")
                && let Some(n) = value.strip_suffix('.').and_then(|v| v.parse().ok())
            {
                out.push((name.to_string(), n));
            }
        }
        out
    }

    /// The return value logged for `action`, if it ended.
    pub fn ended(log: &str, action: &str) -> Option<u32> {
        ends(log)
            .into_iter()
            .find(|(n, _)| n == action)
            .map(|(_, v)| v)
    }

    /// `Property(S): NAME = value` lines, as a map.
    pub fn server_properties(log: &str) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        for line in log.lines() {
            if let Some(rest) = line.strip_prefix("Property(S): ") {
                if let Some((name, value)) = rest.split_once(" = ") {
                    out.insert(name.to_string(), value.to_string());
                } else if let Some(name) = rest.strip_suffix(" =") {
                    out.insert(name.to_string(), String::new());
                }
            }
        }
        out
    }

    /// Lines containing `RESTART MANAGER: `.
    pub fn restart_manager(log: &str) -> Vec<&str> {
        log.lines()
            .filter(|l| l.contains("RESTART MANAGER: "))
            .collect()
    }

    /// Lines containing `PROPERTY CHANGE: `.
    pub fn property_changes(log: &str) -> Vec<&str> {
        log.lines()
            .filter(|l| l.contains("PROPERTY CHANGE: "))
            .collect()
    }
}

/// A private runit service folder supervised by its own `runsvdir` (runit from Debian: the
/// service manager the Restart Manager uses where systemd does not run), with one service
/// `name` that sleeps. Dropping it kills that `runsvdir` and tells the service's `runsv`
/// to exit, so nothing outlives the test.
pub struct RunitService {
    /// The service folder `runsvdir` watches.
    pub svdir: PathBuf,
    /// The service's name.
    pub name: String,
    runsvdir: Child,
}

impl RunitService {
    /// Starts `runsvdir` over a fresh service folder with one service `name` that sleeps.
    pub fn start(ctx: &Ctx, name: &str) -> RunitService {
        let svdir = ctx.path("sv");
        let dir = svdir.join(name);
        fs::create_dir_all(&dir).expect("mkdir the service folder");
        let run = dir.join("run");
        fs::write(&run, "#!/bin/sh\nexec sleep 60\n").expect("write the run script");
        fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).expect("chmod run");
        let runsvdir = Command::new("runsvdir")
            .arg(&svdir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start runsvdir (Debian's runit)");
        let service = RunitService {
            svdir,
            name: name.to_string(),
            runsvdir,
        };
        let start = Instant::now();
        while service.pid().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "runit never started {name}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        service
    }

    /// `sv status`: the pid when the service runs, None when it is down.
    pub fn pid(&self) -> Option<u32> {
        let out = Command::new("sv")
            .arg("status")
            .arg(self.svdir.join(&self.name))
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let rest = text.strip_prefix("run: ")?;
        let pid = rest.split("(pid ").nth(1)?.split(')').next()?;
        pid.parse().ok()
    }
}

impl Drop for RunitService {
    fn drop(&mut self) {
        // runsvdir first (exactly its pid), so that it cannot start runsv again; then
        // the orphaned runsv stops the service and exits.
        let _ = self.runsvdir.kill();
        let _ = self.runsvdir.wait();
        let _ = Command::new("sv")
            .arg("exit")
            .arg(self.svdir.join(&self.name))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
