//! `rstmgr` sessions through the real binary, from separate processes: start, join
//! by key (argument, `-` on stdin, `RSTMGR_KEY`), primary and secondary rights, end,
//! the 64-session limit, stale sessions, the state folder's safety, and many
//! processes registering at once. Every test uses a private `RSTMGR_STATE_DIR`.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::support::Guard;

const RSTMGR: &str = env!("CARGO_BIN_EXE_rstmgr");

/// A private state folder and the commands that use it.
struct Ctx {
    tmp: tempfile::TempDir,
}

impl Ctx {
    fn new() -> Ctx {
        Ctx {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn state(&self) -> PathBuf {
        self.tmp.path().join("state")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `rstmgr ARGS`, run directly by this test process (the owner of sessions it
    /// starts, hence their primary).
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(RSTMGR);
        c.args(args)
            .env("RSTMGR_STATE_DIR", self.state())
            .env_remove("RSTMGR_KEY")
            .env_remove("RSTMGR_SHUTDOWN_TIMEOUT")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// `rstmgr ARGS` run by a shell: its parent is not this test process, so it is a
    /// secondary for sessions this process started.
    fn run_secondary(&self, args: &[&str]) -> Output {
        Command::new("sh")
            .arg("-c")
            .arg("\"$0\" \"$@\"; exit $?")
            .arg(RSTMGR)
            .args(args)
            .env("RSTMGR_STATE_DIR", self.state())
            .env_remove("RSTMGR_KEY")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn start(&self) -> String {
        let out = self.run(&["start"]);
        assert_ok(&out);
        let stdout = String::from_utf8(out.stdout).unwrap();
        let key = stdout.lines().next().unwrap().to_owned();
        assert_eq!(key.len(), 32, "{stdout:?}");
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{key}"
        );
        key
    }
}

/// A process that holds `file` open on descriptor 3 (so a scan sees it).
fn holder(file: &Path) -> Guard {
    let child = Command::new("sh")
        .arg("-c")
        .arg("exec 3<\"$0\"; exec sleep 30")
        .arg(file)
        .spawn()
        .unwrap();
    let pid = child.id();
    // Wait until the descriptor is open, so the test never races the shell.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_link(format!("/proc/{pid}/fd/3")).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    Guard(child)
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts exit status 1 and a stderr line `NAME (code): …`.
fn assert_rm_error(out: &Output, name: &str, code: u32) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    // Every error starts with the program's name, then the Windows name and code.
    let prefix = format!("rstmgr: {name} ({code}): ");
    assert!(
        stderr.lines().any(|l| l.starts_with(&prefix)),
        "expected {prefix:?} in stderr: {stderr}"
    );
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert_ok(out);
    let text = stdout(out);
    assert_eq!(
        text.lines().count(),
        1,
        "one JSON object on one line: {text}"
    );
    serde_json::from_str(&text).unwrap()
}

#[test]
fn start_prints_the_key_and_others_join_by_argument_stdin_and_env() {
    let ctx = Ctx::new();
    let key = ctx.start();
    let file = ctx.path("held.txt");
    std::fs::write(&file, "x").unwrap();
    let _h = holder(&file);
    let f = file.to_str().unwrap();

    // Key as argument, from a separate (secondary) process.
    assert_ok(&ctx.run_secondary(&["register", &key, "--file", f]));
    // Key on stdin.
    let mut child = ctx
        .cmd(&["register", "-", "--file", "/etc/hostname"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{key}\n").as_bytes())
        .unwrap();
    assert_ok(&child.wait_with_output().unwrap());
    // Key from RSTMGR_KEY.
    let me = std::process::id().to_string();
    let out = ctx
        .cmd(&["register", "--pid", &me])
        .env("RSTMGR_KEY", &key)
        .output()
        .unwrap();
    assert_ok(&out);

    let v = json(
        &ctx.cmd(&["list", "--json"])
            .env("RSTMGR_KEY", &key)
            .output()
            .unwrap(),
    );
    let pids: Vec<u64> = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pid"].as_u64().unwrap())
        .collect();
    assert!(pids.contains(&u64::from(_h.0.id())), "{v}");
    assert!(pids.contains(&u64::from(std::process::id())), "{v}");

    let table = stdout(&ctx.run(&["list", &key]));
    assert!(table.contains(f), "{table}");
    assert!(table.contains("/etc/hostname"), "{table}");
    assert!(
        table.contains("Registered: 2 file(s), 1 process(es), 0 service(s)"),
        "{table}"
    );
    assert_ok(&ctx.run(&["end", &key]));
}

#[test]
fn list_json_is_exactly_the_documented_object() {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Proc {
        pid: u32,
        start_time: u64,
        app_name: String,
        service: Option<String>,
        app_type: String,
        status: Vec<String>,
        restartable: bool,
        // null for a process in no login session (Windows' INVALID_SESSION_ID).
        session_id: Option<u32>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Registered {
        files: Vec<String>,
        processes: Vec<serde_json::Value>,
        services: Vec<String>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct List {
        processes: Vec<Proc>,
        reboot_reasons: Vec<String>,
        registered: Registered,
        version: u32,
    }
    let ctx = Ctx::new();
    let key = ctx.start();
    let file = ctx.path("held.txt");
    std::fs::write(&file, "x").unwrap();
    let h = holder(&file);
    assert_ok(&ctx.run(&["register", &key, "--file", file.to_str().unwrap()]));
    let out = ctx.run(&["list", &key, "--json"]);
    assert_ok(&out);
    // Byte for byte: the fields in the documented order, one object on one line.
    let raw = stdout(&out);
    let pid = h.0.id();
    let expected_prefix = format!("{{\"processes\":[{{\"pid\":{pid},\"start_time\":");
    assert!(raw.starts_with(&expected_prefix), "{raw}");
    let keys = [
        "\"pid\":",
        ",\"start_time\":",
        ",\"app_name\":\"sleep\",",
        "\"service\":null,",
        "\"app_type\":\"",
        ",\"status\":[\"running\"],",
        "\"restartable\":false,",
        "\"session_id\":",
    ];
    let mut at = 0;
    for k in keys {
        let found = raw[at..]
            .find(k)
            .unwrap_or_else(|| panic!("{k} out of order in {raw}"));
        at += found + k.len();
    }
    let registered = format!(
        "}}],\"reboot_reasons\":[],\"registered\":{{\"files\":[{}],\"processes\":[],\"services\":[]}},\"version\":1}}\n",
        serde_json::to_string(file.to_str().unwrap()).unwrap()
    );
    assert!(raw.ends_with(&registered), "{raw}");
    let list: List = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.processes.len(), 1);
    let p = &list.processes[0];
    assert_eq!(p.pid, h.0.id());
    assert_eq!(p.app_name, "sleep");
    assert_eq!(p.status, vec!["running".to_string()]);
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", p.pid)).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let start: u64 = after.split(' ').nth(19).unwrap().parse().unwrap();
    assert_eq!(p.start_time, start);
    assert!(list.reboot_reasons.is_empty());
    assert_eq!(list.registered.files, [file.to_str().unwrap()]);
    assert_eq!(list.version, 1);
}

#[test]
fn an_unknown_key_is_refused_and_a_missing_key_is_a_usage_error() {
    let ctx = Ctx::new();
    let _key = ctx.start();
    let out = ctx.run(&["list", "0123456789abcdef0123456789abcdef"]);
    assert_rm_error(&out, "ERROR_INVALID_HANDLE", 6);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "rstmgr: ERROR_INVALID_HANDLE (6): no session with this key"
    );
    assert_rm_error(
        &ctx.run(&[
            "register",
            "0123456789abcdef0123456789abcdef",
            "--file",
            "/etc/hostname",
        ]),
        "ERROR_INVALID_HANDLE",
        6,
    );
    assert_rm_error(
        &ctx.run(&["list", "nonsense"]),
        "ERROR_SESSION_CREDENTIAL_CONFLICT",
        1219,
    );
    assert_eq!(ctx.run(&["list"]).status.code(), Some(2));
    assert_eq!(
        ctx.run(&["filter", "--file", "/bin/sh"]).status.code(),
        Some(2)
    );
}

#[test]
fn a_secondary_may_register_and_list_but_primary_only_calls_are_refused() {
    let ctx = Ctx::new();
    let key = ctx.start();
    assert_ok(&ctx.run_secondary(&["register", &key, "--file", "/etc/hostname"]));
    assert_ok(&ctx.run_secondary(&["list", &key, "--json"]));
    for args in [
        vec!["shutdown", key.as_str(), "--timeout", "1"],
        vec!["restart", key.as_str()],
        vec!["filter", key.as_str(), "--no-restart", "--service", "x"],
        vec!["unfilter", key.as_str(), "--service", "x"],
        vec!["filters", key.as_str()],
        vec!["cancel", key.as_str()],
    ] {
        let out = ctx.run_secondary(&args);
        assert_rm_error(&out, "ERROR_SESSION_CREDENTIAL_CONFLICT", 1219);
    }
    // The primary (this process ran `start`) may do all of it.
    assert_ok(&ctx.run(&["filter", &key, "--no-shutdown", "--service", "x"]));
    assert_ok(&ctx.run(&["filter", &key, "--no-restart", "--file", "/bin/sleep"]));
    let v = json(&ctx.run(&["filters", &key, "--json"]));
    assert_eq!(
        v,
        serde_json::json!({"filters": [
            {"action": "no_shutdown", "trigger": "service", "service": "x"},
            {"action": "no_restart", "trigger": "file", "file": "/bin/sleep"},
        ]})
    );
    assert_ok(&ctx.run(&["unfilter", &key, "--service", "x"]));
    assert_rm_error(
        &ctx.run(&["unfilter", &key, "--service", "x"]),
        "ERROR_FILE_NOT_FOUND",
        2,
    );
    assert_rm_error(
        &ctx.run(&["restart", &key]),
        "ERROR_REQUEST_OUT_OF_SEQUENCE",
        776,
    );
    assert_ok(&ctx.run(&["cancel", &key]));
}

#[test]
fn start_with_owner_makes_that_process_the_primary() {
    let ctx = Ctx::new();
    // A shell that starts a session for itself with --owner $$ and filters, then
    // prints what `filters` says.
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            "K=$(\"$0\" start --owner $$) || exit 9; \
             \"$0\" filter \"$K\" --no-restart --service svc || exit 8; \
             \"$0\" filters \"$K\" --json",
        )
        .arg(RSTMGR)
        .env("RSTMGR_STATE_DIR", ctx.state())
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(
        stdout(&out).contains("\"service\":\"svc\""),
        "{}",
        stdout(&out)
    );
}

#[test]
fn end_from_a_secondary_leaves_the_session_running() {
    let ctx = Ctx::new();
    let key = ctx.start();
    assert_ok(&ctx.run_secondary(&["register", &key, "--file", "/etc/hostname"]));
    assert_ok(&ctx.run_secondary(&["end", &key]));
    assert_ok(&ctx.run(&["list", &key]));
    assert_ok(&ctx.run_secondary(&["register", &key, "--file", "/etc/passwd"]));
    assert_ok(&ctx.run(&["end", &key]));
    assert_rm_error(&ctx.run(&["list", &key]), "ERROR_INVALID_HANDLE", 6);
    assert_rm_error(
        &ctx.run_secondary(&["end", &key]),
        "ERROR_INVALID_HANDLE",
        6,
    );
}

#[test]
fn at_most_64_open_sessions() {
    let ctx = Ctx::new();
    let keys: Vec<String> = (0..64).map(|_| ctx.start()).collect();
    assert_rm_error(&ctx.run(&["start"]), "ERROR_MAX_SESSIONS_REACHED", 353);
    assert_ok(&ctx.run(&["end", &keys[0]]));
    let again = ctx.start();
    assert_ok(&ctx.run(&["end", &again]));
}

#[test]
fn a_session_whose_owner_died_is_stale_and_its_unrestarted_apps_are_reported() {
    let ctx = Ctx::new();
    let file = ctx.path("held.txt");
    std::fs::write(&file, "x").unwrap();
    let h = holder(&file);
    let keyfile = ctx.path("key");
    // The owner: a shell that starts a session, registers the file, shuts its user
    // down, and then waits (as `sleep`, the same process) without restarting.
    let owner = Command::new("sh")
        .arg("-c")
        .arg(
            "K=$(\"$0\" start) || exit 9; \"$0\" register \"$K\" --file \"$2\" || exit 8; \
             \"$0\" shutdown \"$K\" --timeout 5 >/dev/null || exit 7; \
             echo \"$K\" > \"$1\"; exec sleep 30",
        )
        .arg(RSTMGR)
        .arg(&keyfile)
        .arg(&file)
        .env("RSTMGR_STATE_DIR", ctx.state())
        .spawn()
        .unwrap();
    let mut owner = Guard(owner);
    let deadline = Instant::now() + Duration::from_secs(10);
    let key = loop {
        if let Ok(text) = std::fs::read_to_string(&keyfile)
            && text.ends_with('\n')
        {
            break text.trim().to_owned();
        }
        assert!(Instant::now() < deadline, "the owner script did not finish");
        std::thread::sleep(Duration::from_millis(10));
    };
    drop(h);
    // While the owner lives, the session is there (this test process is a secondary).
    let v = json(&ctx.run(&["list", &key, "--json"]));
    assert!(
        v["processes"][0]["status"].to_string().contains("stopped"),
        "{v}"
    );

    owner.0.kill().unwrap();
    owner.0.wait().unwrap();
    let out = ctx.run(&["list", &key]);
    assert_rm_error(&out, "ERROR_INVALID_HANDLE", 6);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("never restarted"), "{stderr}");
    // Removed: a second look says nothing more, and it does not count.
    let out = ctx.run(&["list", &key]);
    assert_rm_error(&out, "ERROR_INVALID_HANDLE", 6);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("never restarted"));
    let sessions: Vec<_> = std::fs::read_dir(ctx.state().join("sessions"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().unwrap().is_dir())
        .collect();
    assert!(sessions.is_empty());
}

#[test]
fn unsafe_state_folders_are_refused() {
    let ctx = Ctx::new();
    let run_in = |dir: &Path| {
        Command::new(RSTMGR)
            .arg("start")
            .env("RSTMGR_STATE_DIR", dir)
            .output()
            .unwrap()
    };
    let open = ctx.path("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = run_in(&open);
    assert_rm_error(&out, "ERROR_ACCESS_DENIED", 5);
    assert!(String::from_utf8_lossy(&out.stderr).contains("writable"));

    let group = ctx.path("group");
    std::fs::create_dir(&group).unwrap();
    std::fs::set_permissions(&group, std::fs::Permissions::from_mode(0o770)).unwrap();
    assert_rm_error(&run_in(&group), "ERROR_ACCESS_DENIED", 5);

    let real = ctx.path("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o700)).unwrap();
    let link = ctx.path("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = run_in(&link);
    assert_rm_error(&out, "ERROR_ACCESS_DENIED", 5);
    assert!(String::from_utf8_lossy(&out.stderr).contains("symbolic link"));

    if unsafe_is_root() {
        let foreign = ctx.path("foreign");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::set_permissions(&foreign, std::fs::Permissions::from_mode(0o700)).unwrap();
        let st = Command::new("chown")
            .arg("nobody")
            .arg(&foreign)
            .status()
            .unwrap();
        assert!(st.success());
        let out = run_in(&foreign);
        assert_rm_error(&out, "ERROR_ACCESS_DENIED", 5);
        assert!(String::from_utf8_lossy(&out.stderr).contains("owned by uid"));
    }
    // A missing folder is created owner-only.
    let fresh = ctx.path("fresh");
    assert_ok(&run_in(&fresh));
    assert_eq!(std::fs::metadata(&fresh).unwrap().mode() & 0o777, 0o700);
}

fn unsafe_is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

#[test]
fn everything_in_the_state_folder_is_owner_only_even_with_umask_000() {
    let ctx = Ctx::new();
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            "umask 000; K=$(\"$0\" start) || exit 9; \
             \"$0\" register \"$K\" --file /etc/hostname || exit 8; \
             \"$0\" filter \"$K\" --no-restart --service x || exit 7",
        )
        .arg(RSTMGR)
        .env("RSTMGR_STATE_DIR", ctx.state())
        .output()
        .unwrap();
    assert_ok(&out);
    let mut seen = 0;
    let mut stack = vec![ctx.state()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            assert_eq!(
                meta.mode() & 0o077,
                0,
                "{} has mode {:o}",
                entry.path().display(),
                meta.mode()
            );
            seen += 1;
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    assert!(seen >= 4, "{seen}");
    assert_eq!(
        std::fs::metadata(ctx.state()).unwrap().mode() & 0o777,
        0o700
    );
}

#[test]
fn thirty_two_processes_registering_100_files_each_at_once_lose_nothing() {
    let ctx = Ctx::new();
    let key = ctx.start();
    let dir = ctx.path("files");
    std::fs::create_dir(&dir).unwrap();
    let mut children = Vec::new();
    for p in 0..32 {
        let mut args: Vec<String> = vec!["register".into(), key.clone()];
        for i in 0..100 {
            let f = dir.join(format!("p{p}-f{i}"));
            std::fs::write(&f, "").unwrap();
            args.push("--file".into());
            args.push(f.to_str().unwrap().to_owned());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        children.push(ctx.cmd(&refs).stdout(Stdio::null()).spawn().unwrap());
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let table = stdout(&ctx.run(&["list", &key]));
    assert!(
        table.contains("Registered: 3200 file(s), 0 process(es), 0 service(s)"),
        "{}",
        &table[..table.len().min(2000)]
    );
    let listed: std::collections::HashSet<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("  file     "))
        .collect();
    assert_eq!(listed.len(), 3200);
    for p in 0..32 {
        for i in 0..100 {
            let f = dir.join(format!("p{p}-f{i}"));
            assert!(
                listed.contains(f.to_str().unwrap()),
                "missing {}",
                f.display()
            );
        }
    }
}

#[test]
fn writers_killed_mid_registration_leave_the_session_readable() {
    let ctx = Ctx::new();
    let key = ctx.start();
    let mut args: Vec<String> = vec!["register".into(), key.clone()];
    for i in 0..400 {
        args.push("--file".into());
        args.push(format!("/nonexistent/killed/{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    // Kill writers at staggered moments, some surely while writing.
    for round in 0..20u64 {
        let mut children: Vec<Child> = (0..4).map(|_| ctx.cmd(&refs).spawn().unwrap()).collect();
        std::thread::sleep(Duration::from_micros(500 * round));
        for c in &mut children {
            let _ = c.kill();
        }
        for mut c in children {
            let _ = c.wait();
        }
        let out = ctx.run(&["list", &key, "--json"]);
        assert_ok(&out);
    }
    // And a writer that is left alone still gets everything in.
    assert_ok(&ctx.run(&refs));
    let table = stdout(&ctx.run(&["list", &key]));
    assert!(
        table.contains("Registered: 400 file(s)"),
        "{}",
        &table[..300.min(table.len())]
    );
}

/// The C library this test process maps (every dynamically linked process does).
fn libc_path() -> PathBuf {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .find(|p| p.contains("/libc.so") || p.contains("/libc-"))
        .map(PathBuf::from)
        .expect("this test process maps a C library")
}

#[test]
fn rstmgr_leaves_itself_out_of_the_list_it_computes_for_its_parent() {
    let ctx = Ctx::new();
    let key = ctx.start();
    let libc = libc_path();
    assert_ok(&ctx.run(&["register", &key, "--file", libc.to_str().unwrap()]));
    let child = ctx
        .cmd(&["list", &key, "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lister = u64::from(child.id());
    let v = json(&child.wait_with_output().unwrap());
    let procs = v["processes"].as_array().unwrap();
    // This test process (the primary) maps it: it is listed, as detected self.
    assert!(
        procs
            .iter()
            .any(|p| p["pid"].as_u64() == Some(u64::from(std::process::id()))),
        "{v}"
    );
    assert!(
        v["reboot_reasons"].to_string().contains("detected_self"),
        "{v}"
    );
    // The rstmgr process that computed the list is not in it.
    assert!(
        !procs.iter().any(|p| p["pid"].as_u64() == Some(lister)),
        "rstmgr listed itself: {v}"
    );
}
