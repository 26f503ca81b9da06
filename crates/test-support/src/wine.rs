//! Wine prefixes for the tests that run Windows programs or Wine's own `msiexec`.
//!
//! A fresh prefix (`wineboot -i`) takes Debian's Wine about twenty seconds and 700 MB, so
//! it is made once per test run, in a temporary folder, and each test gets a copy of its
//! own ([`Prefix::new`]): a copy has its own `wineserver` (Wine keys a server by the
//! prefix folder), and is deleted with the test's [`Prefix`]. One copy exists at a time
//! (the tests that ask for one wait their turn), which bounds the disk a test run takes
//! and keeps Wine's start-up from competing with itself on a small machine. The first prefix is deleted
//! when the test process ends, by a watcher process started with it (a static is never
//! dropped, and a test binary may be killed).
//!
//! Every command runs Wine with a private home (Wine's menu entries go there), no display,
//! no debug channels, and without Wine's .NET and HTML engines (`mscoree`, `mshtml`),
//! whose installers would otherwise be offered at the prefix's creation.
//!
//! When `wine` is not installed, [`Prefix::new`] prints why and returns `None`: the test
//! is skipped. Any other failure of Wine fails the test.

use fs_err as fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long one Wine command may take before the test gives up on it.
pub const WINE_TIMEOUT: Duration = Duration::from_secs(180);

/// A private copy of a fresh Wine prefix, deleted (its `wineserver` stopped first) when
/// dropped.
pub struct Prefix {
    tmp: tempfile::TempDir,
    prefix: PathBuf,
    home: PathBuf,
    /// This test's turn; released after the copy is deleted (fields drop in order).
    _turn: std::sync::MutexGuard<'static, ()>,
}

/// The turn of the one test that holds a copy.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The first prefix of this test run, made by the first test that asks for one.
static FRESH: OnceLock<PathBuf> = OnceLock::new();

impl Prefix {
    /// A copy of a fresh prefix, or `None` (the reason printed) when `wine` is not
    /// installed.
    #[allow(clippy::print_stdout)]
    pub fn new() -> Option<Prefix> {
        if !on_path("wine") {
            println!("skipped: wine is not installed (apt-get install wine; scripts/test.sh does)");
            return None;
        }
        // A test that failed while holding its turn poisons the lock; the next one goes on.
        let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = FRESH.get_or_init(fresh_prefix);
        let tmp = tempfile::Builder::new()
            .prefix("rmsi-wine-")
            .tempdir()
            .expect("create a temporary directory");
        let prefix = tmp.path().join("prefix");
        let home = tmp.path().join("home");
        fs::create_dir(&home).expect("create the home folder");
        // cp -a keeps dosdevices' links (c: -> ../drive_c, z: -> /) as links. A full copy,
        // not hard links: Wine and the installers under test may rewrite a file in place.
        let copied = Command::new("cp")
            .arg("-a")
            .arg(fresh)
            .arg(&prefix)
            .status()
            .expect("run cp");
        assert!(copied.success(), "cp -a {} failed", fresh.display());
        Some(Prefix {
            tmp,
            prefix,
            home,
            _turn: turn,
        })
    }

    /// The prefix folder (`WINEPREFIX`).
    pub fn path(&self) -> &Path {
        &self.prefix
    }

    /// The private home folder Wine runs with (its menu entries go under
    /// `.local/share/applications/wine`).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The prefix's `C:` drive.
    pub fn drive_c(&self) -> PathBuf {
        self.prefix.join("drive_c")
    }

    /// A path in the test's temporary folder, outside the prefix.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `program` (`wine`, `wineserver`, …) with this prefix's environment.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        environment(&mut cmd, &self.prefix, &self.home);
        cmd
    }

    /// Runs `wine ARGS…` to its end (bounded by [`WINE_TIMEOUT`]) and returns what it gave.
    pub fn wine(&self, args: &[&str]) -> Output {
        let mut cmd = self.command("wine");
        cmd.args(args);
        run(&mut cmd)
    }

    /// Ends the prefix's `wineserver` (`wineserver -k`) and waits until it has (its
    /// registry saved to the `.reg` files).
    pub fn stop_server(&self) {
        let _ = self
            .command("wineserver")
            .arg("-k")
            .stdin(Stdio::null())
            .status();
        self.wait_server();
    }

    /// Waits until the prefix's `wineserver` has ended (`wineserver -w`): every Wine process
    /// of the prefix is gone and the registry is saved to its `.reg` files.
    pub fn wait_server(&self) {
        let status = self
            .command("wineserver")
            .arg("-w")
            .stdin(Stdio::null())
            .status()
            .expect("run wineserver -w");
        assert!(status.success(), "wineserver -w: {status}");
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        // Stop whatever still runs in the copy before deleting it (no server: a no-op).
        let _ = self
            .command("wineserver")
            .arg("-k")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Makes the run's fresh prefix (`wineboot -i`, then waits for its server to save it), and
/// starts the watcher that deletes it when this process ends.
fn fresh_prefix() -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix(&format!("rmsi-wine-fresh-{}-", std::process::id()))
        .tempdir()
        .expect("create a temporary directory")
        .keep();
    // The watcher polls this process once a second, so that the 700 MB go even when the
    // test binary is killed. Its output is not the test's (a held pipe would keep Cargo
    // waiting). It is never waited for: it ends after this process, which is the point.
    #[allow(clippy::zombie_processes)]
    let _watcher = Command::new("sh")
        .arg("-c")
        .arg(r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec rm -rf -- "$2""#)
        .arg("rmsi-wine-cleanup")
        .arg(std::process::id().to_string())
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the watcher that deletes the fresh prefix");
    let prefix = dir.join("prefix");
    let home = dir.join("home");
    fs::create_dir(&home).expect("create the home folder");
    let mut boot = Command::new("wineboot");
    environment(&mut boot, &prefix, &home);
    boot.arg("-i");
    let out = run(&mut boot);
    assert!(out.status.success(), "wineboot -i: {}", describe(&out));
    // wineboot returns before its server has written the prefix's registry: wait for it.
    let mut wait = Command::new("wineserver");
    environment(&mut wait, &prefix, &home);
    wait.arg("-w");
    let out = run(&mut wait);
    assert!(out.status.success(), "wineserver -w: {}", describe(&out));
    for file in [
        "system.reg",
        "user.reg",
        "drive_c/windows/system32/kernel32.dll",
    ] {
        assert!(
            prefix.join(file).is_file(),
            "wineboot -i made no {file} in {}",
            prefix.display()
        );
    }
    prefix
}

/// Wine's environment for `prefix`: a private home, no display, no debug output, no .NET
/// or HTML engine.
fn environment(cmd: &mut Command, prefix: &Path, home: &Path) {
    cmd.env("WINEPREFIX", prefix)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
}

/// Runs `cmd` with piped output to its end, bounded by [`WINE_TIMEOUT`]. (A Wine process's
/// pipes stay open until the services it started end, so both are read on threads.)
fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {:?}: {e}", cmd.get_program()));
    let out = reader(child.stdout.take());
    let err = reader(child.stderr.take());
    let status = wait_within(&mut child, cmd);
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}

fn wait_within(child: &mut Child, cmd: &Command) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for a Wine command") {
            return status;
        }
        if start.elapsed() > WINE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{:?} {:?} did not finish within {WINE_TIMEOUT:?}",
                cmd.get_program(),
                cmd.get_args().collect::<Vec<_>>()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A Wine command's status and output, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether `program` is an executable file on `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
