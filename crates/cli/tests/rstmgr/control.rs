//! `rstmgr shutdown`, `restart`, `cancel` and `register-restart` on real processes, with
//! the test process as the session's owner (it runs `rstmgr start`, so every later
//! `rstmgr` it runs acts as the primary).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use restart_manager::{ProcessHandle, UniqueProcess};
use test_support::{stderr, wait_for};

use super::support::{Runsvdir, comm, listed};

const RSTMGR: &str = env!("CARGO_BIN_EXE_rstmgr");

/// A private state folder and a file for processes to hold.
struct Ctx {
    _dir: tempfile::TempDir,
    root: PathBuf,
    state: PathBuf,
    file: PathBuf,
    /// Processes to kill (by pid and start time, through a pidfd) at the end.
    owned: Vec<UniqueProcess>,
    children: Vec<Child>,
}

impl Ctx {
    fn new() -> Ctx {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let file = root.join("held.txt");
        std::fs::write(&file, "in use").unwrap();
        Ctx {
            state: root.join("state"),
            root,
            file,
            _dir: dir,
            owned: Vec::new(),
            children: Vec::new(),
        }
    }

    fn rstmgr(&self) -> Command {
        let mut cmd = Command::new(RSTMGR);
        cmd.env("RSTMGR_STATE_DIR", &self.state)
            .env_remove("RSTMGR_KEY")
            .env_remove("RSTMGR_SHUTDOWN_TIMEOUT")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.rstmgr().args(args).output().unwrap()
    }

    fn start(&self) -> String {
        let out = self.run(&["start"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let key = String::from_utf8(out.stdout).unwrap();
        key.lines().next().unwrap().to_owned()
    }

    /// Runs `sh -c SCRIPT sh ARGS...` with the state folder in its environment, waiting
    /// until it has exec'd into `sleep`.
    fn spawn(&mut self, script: &str, args: &[&str], cwd: &Path) -> UniqueProcess {
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .args(args)
            .current_dir(cwd)
            .env("RSTMGR_STATE_DIR", &self.state)
            .env("RSTMGR", RSTMGR)
            .env("RM_TEST_MARK", "from-the-original")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        self.children.push(child);
        wait_for("the holder to exec sleep", Duration::from_secs(5), || {
            comm(pid).as_deref() == Some("sleep")
        });
        let p = UniqueProcess::of(pid).unwrap();
        self.owned.push(p);
        p
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        for p in &self.owned {
            if let Ok(Some(h)) = ProcessHandle::open(*p) {
                let _ = h.kill();
            }
        }
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn list_json(ctx: &Ctx, key: &str) -> serde_json::Value {
    let out = ctx.run(&["list", key, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn status(entry: &serde_json::Value) -> Vec<String> {
    entry["status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// The script a registered program runs: it registers for restart through
/// `rstmgr register-restart` (which registers its parent: this shell), then holds the
/// file and sleeps. The restart command records cwd, an argument, the environment and
/// its pid in the marker file.
const REGISTERING_HOLDER: &str = r#"
"$RSTMGR" register-restart -- sh -c 'pwd > "$1"; printf "%s\n" "$2" "$RM_TEST_MARK" "$$" >> "$1"; exec sleep 30' sh "$2" "two words" || exit 1
exec 3<"$1"; exec sleep 30"#;

#[test]
fn shutdown_then_restart_relaunches_a_program_that_registered_itself() {
    let mut ctx = Ctx::new();
    let work = ctx.root.join("work dir");
    std::fs::create_dir(&work).unwrap();
    let marker = ctx.root.join("marker.txt");
    let file = ctx.file.clone();
    let holder = ctx.spawn(
        REGISTERING_HOLDER,
        &[file.to_str().unwrap(), marker.to_str().unwrap()],
        &work,
    );
    let key = ctx.start();
    let out = ctx.run(&["register", &key, "--file", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = listed(&list_json(&ctx, &key), holder.pid);
    assert_eq!(before["restartable"], true, "{before}");

    let out = ctx.run(&["shutdown", &key, "--timeout", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!holder.is_alive());
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains('\r'),
        "no progress bar on a pipe"
    );

    let out = ctx.run(&["restart", &key]);
    assert!(out.status.success(), "{}", stderr(&out));
    wait_for(
        "the restarted holder's marker",
        Duration::from_secs(5),
        || std::fs::read_to_string(&marker).is_ok_and(|t| t.lines().count() >= 4),
    );
    let text = std::fs::read_to_string(&marker).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let new_pid: u32 = lines[3].parse().unwrap();
    if let Ok(p) = UniqueProcess::of(new_pid) {
        ctx.owned.push(p);
    }
    assert_eq!(Path::new(lines[0]), work, "cwd");
    assert_eq!(lines[1], "two words", "argument");
    assert_eq!(lines[2], "from-the-original", "environment");
    wait_for(
        "the restarted holder to exec sleep",
        Duration::from_secs(5),
        || comm(new_pid).as_deref() == Some("sleep"),
    );

    let after = listed(&list_json(&ctx, &key), holder.pid);
    let st = status(&after);
    assert!(
        st.contains(&"stopped".into()) && st.contains(&"restarted".into()),
        "{after}"
    );
    assert!(ctx.run(&["end", &key]).status.success());
}

#[test]
fn graceful_shutdown_fails_on_a_process_ignoring_sigterm_and_force_kills_it() {
    let mut ctx = Ctx::new();
    let file = ctx.file.clone();
    let root = ctx.root.clone();
    let stubborn = ctx.spawn(
        r#"trap "" TERM; exec 3<"$1"; exec sleep 30"#,
        &[file.to_str().unwrap()],
        &root,
    );
    let key = ctx.start();
    assert!(
        ctx.run(&["register", &key, "--file", file.to_str().unwrap()])
            .status
            .success()
    );

    let start = Instant::now();
    let out = ctx
        .rstmgr()
        .args(["shutdown", &key])
        .env("RSTMGR_SHUTDOWN_TIMEOUT", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ERROR_FAIL_SHUTDOWN (351)"),
        "{}",
        stderr(&out)
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(stubborn.is_alive());
    let st = status(&listed(&list_json(&ctx, &key), stubborn.pid));
    assert!(st.contains(&"error_on_stop".into()), "{st:?}");

    let out = ctx.run(&["shutdown", &key, "--force", "--timeout", "0.5"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stubborn.is_alive());
    let st = status(&listed(&list_json(&ctx, &key), stubborn.pid));
    assert!(st.contains(&"stopped".into()), "{st:?}");

    // Restart after a shutdown of an unregistered process: nothing to relaunch, success.
    let out = ctx.run(&["restart", &key]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn only_registered_refuses_when_an_affected_process_is_not_restartable() {
    let mut ctx = Ctx::new();
    let file = ctx.file.clone();
    let root = ctx.root.clone();
    let holder = ctx.spawn(
        r#"exec 3<"$1"; exec sleep 30"#,
        &[file.to_str().unwrap()],
        &root,
    );
    let key = ctx.start();
    assert!(
        ctx.run(&["register", &key, "--file", file.to_str().unwrap()])
            .status
            .success()
    );
    let out = ctx.run(&["shutdown", &key, "--only-registered", "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ERROR_FAIL_SHUTDOWN (351)"),
        "{}",
        stderr(&out)
    );
    assert!(holder.is_alive(), "nothing was shut down");
}

#[test]
fn restart_before_shutdown_is_out_of_sequence() {
    let ctx = Ctx::new();
    let key = ctx.start();
    let out = ctx.run(&["restart", &key]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("ERROR_REQUEST_OUT_OF_SEQUENCE (776)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn cancel_from_another_process_stops_a_running_shutdown() {
    let mut ctx = Ctx::new();
    let file = ctx.file.clone();
    let root = ctx.root.clone();
    let stubborn = ctx.spawn(
        r#"trap "" TERM; exec 3<"$1"; exec sleep 30"#,
        &[file.to_str().unwrap()],
        &root,
    );
    let key = ctx.start();
    assert!(
        ctx.run(&["register", &key, "--file", file.to_str().unwrap()])
            .status
            .success()
    );

    let mut shutdown = ctx
        .rstmgr()
        .args(["shutdown", &key, "--force", "--timeout", "20"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `cancel` is dropped while no operation runs ("RmCancelCurrentTask function" does not say),
    // and the shutdown first scans /proc: ask again until the shutdown ends.
    let start = Instant::now();
    let status = loop {
        let out = ctx.run(&["cancel", &key]);
        assert!(out.status.success(), "{}", stderr(&out));
        if let Some(status) = shutdown.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "not cancelled");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    for line in BufReader::new(shutdown.stderr.take().unwrap()).lines() {
        err.push_str(&line.unwrap());
    }
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("ERROR_CANCELLED (1223)"), "{err}");
    assert!(
        stubborn.is_alive(),
        "cancelled before the forced kill (20 s)"
    );
}

#[test]
fn register_restart_needs_a_command() {
    let ctx = Ctx::new();
    let out = ctx.run(&["register-restart"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_runit_service_holding_a_file_is_stopped_and_started_again() {
    let ctx = Ctx::new();
    let script = format!("exec 3<'{}'\nexec sleep 999", ctx.file.display());
    let sv = Runsvdir::start(&ctx.root, "holder", &script);
    let main = sv.main_pid("holder");
    let key = ctx.start();
    let run = |args: &[&str]| {
        ctx.rstmgr()
            .args(args)
            .env("SVDIR", &sv.svdir)
            .output()
            .unwrap()
    };
    let out = run(&["register", &key, "--file", ctx.file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["list", &key, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = listed(&list, main);
    assert_eq!(e["service"], "holder", "{e}");
    assert_eq!(e["app_type"], "service", "{e}");
    assert_eq!(e["restartable"], true, "{e}");

    let out = run(&["shutdown", &key, "--timeout", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        sv.stat("holder").starts_with("down"),
        "{}",
        sv.stat("holder")
    );
    assert!(comm(main).is_none() || comm(main).as_deref() != Some("sleep"));

    let out = run(&["restart", &key]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        sv.stat("holder").starts_with("run"),
        "{}",
        sv.stat("holder")
    );
    assert_ne!(sv.main_pid("holder"), main);
    assert!(run(&["end", &key]).status.success());
}

/// A shutdown that stops one application and not another says which is which, on the
/// terminal and in `--json`, and fails with ERROR_FAIL_SHUTDOWN.
#[test]
fn a_partial_shutdown_says_what_was_stopped_and_what_was_not() {
    let mut ctx = Ctx::new();
    let file = ctx.file.clone();
    let root = ctx.root.clone();
    let stubborn = ctx.spawn(
        r#"trap "" TERM; exec 3<"$1"; exec sleep 30"#,
        &[file.to_str().unwrap()],
        &root,
    );
    let obedient = ctx.spawn(
        r#"exec 3<"$1"; exec sleep 30"#,
        &[file.to_str().unwrap()],
        &root,
    );
    let key = ctx.start();
    assert!(
        ctx.run(&["register", &key, "--file", file.to_str().unwrap()])
            .status
            .success()
    );
    let out = ctx.run(&["shutdown", &key, "--timeout", "1", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("rstmgr: ERROR_FAIL_SHUTDOWN (351): "),
        "{}",
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let pids = |field: &str| -> Vec<u64> {
        report[field]
            .as_array()
            .unwrap_or_else(|| panic!("{field} in {report}"))
            .iter()
            .filter_map(|p| p["pid"].as_u64())
            .collect()
    };
    assert_eq!(pids("stopped"), [u64::from(obedient.pid)], "{report}");
    assert_eq!(pids("not_stopped"), [u64::from(stubborn.pid)], "{report}");
    assert_eq!(report["error"]["code"], 351, "{report}");
    assert_eq!(report["version"], 1, "{report}");
    assert!(!obedient.is_alive() && stubborn.is_alive());

    // On the terminal: both lists, each under its title.
    let out = ctx.run(&["shutdown", &key, "--timeout", "0.5"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let stopped_at = text.find("Stopped:").unwrap_or_else(|| panic!("{text}"));
    let not_at = text
        .find("Not stopped:")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(stopped_at < not_at, "{text}");
    assert!(text[not_at..].contains(&stubborn.pid.to_string()), "{text}");
}
