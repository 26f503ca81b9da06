//! `rstmgr who PATH... [--json]` through the real binary, with real processes using the
//! files: the JSON contract of issue 4 (decoded strictly), the table, exit statuses and
//! the one stderr note about processes that could not be inspected.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::support::Guard;

const RSTMGR: &str = env!("CARGO_BIN_EXE_rstmgr");

fn sleep_bin() -> PathBuf {
    std::fs::canonicalize("/bin/sleep").unwrap()
}

/// `sh -c 'exec 3<"$0"; exec sleep 30' FILE`, once it has opened the file.
fn hold_open(file: &Path) -> Guard {
    let child = Command::new("sh")
        .arg("-c")
        .arg("exec 3<\"$0\"; exec sleep 30")
        .arg(file)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let g = Guard(child);
    let start = Instant::now();
    while std::fs::read_link(format!("/proc/{}/exe", g.pid())).ok() != Some(sleep_bin()) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "holder did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    g
}

fn who(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut c = Command::new(RSTMGR);
    c.arg("who");
    for a in args {
        c.arg(a);
    }
    c.stdin(Stdio::null()).output().unwrap()
}

/// The `--json` contract, decoded strictly: an unknown or missing field fails.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhoJson {
    processes: Vec<Entry>,
    reboot_reasons: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    pid: u32,
    start_time: u64,
    app_name: String,
    service: Option<String>,
    app_type: String,
    status: Vec<String>,
    restartable: bool,
    /// null for a process in no login session (Windows' INVALID_SESSION_ID).
    session_id: Option<u32>,
    uid: u32,
    exe: Option<String>,
    uses: Vec<Use>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Use {
    path: String,
    how: String,
    #[serde(default)]
    old: bool,
}

fn start_time(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let (_, rest) = stat.rsplit_once(')').unwrap();
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

fn inaccessible_lines(stderr: &[u8]) -> usize {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains("could not be inspected"))
        .count()
}

#[test]
fn json_lists_the_holder_with_the_contract_fields() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("held.txt");
    std::fs::write(&file, "x").unwrap();
    let holder = hold_open(&file);

    let out = who(&[&file, &"--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
    assert!(stdout.starts_with(r#"{"processes":[{"pid":"#), "{stdout}");
    let parsed: WhoJson = serde_json::from_str(&stdout).unwrap();
    let e = parsed
        .processes
        .iter()
        .find(|e| e.pid == holder.pid())
        .expect("the holder is listed");
    assert_eq!(e.start_time, start_time(holder.pid()));
    assert_eq!(e.app_name, "sleep");
    assert_eq!(e.service, None);
    assert!(
        ["unknown", "console", "main_window"].contains(&e.app_type.as_str()),
        "{e:?}"
    );
    assert_eq!(e.status, vec!["running"]);
    assert!(!e.restartable);
    let session = std::fs::read_to_string(format!("/proc/{}/sessionid", holder.pid()))
        .map(|s| s.trim().parse::<u32>().unwrap())
        .unwrap_or(u32::MAX);
    assert_eq!(e.session_id, (session != u32::MAX).then_some(session));
    assert_eq!(
        e.uid,
        std::os::unix::fs::MetadataExt::uid(
            &std::fs::metadata(format!("/proc/{}", holder.pid())).unwrap()
        )
    );
    assert_eq!(e.exe.as_deref(), Some(sleep_bin().to_str().unwrap()));
    assert_eq!(
        e.uses,
        vec![Use {
            path: file.to_str().unwrap().to_owned(),
            how: "fd".to_owned(),
            old: false
        }]
    );
    assert!(parsed.reboot_reasons.is_empty());
    assert!(inaccessible_lines(&out.stderr) <= 1);
}

#[test]
fn the_table_names_the_holder_and_how_it_uses_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("held.txt");
    std::fs::write(&file, "x").unwrap();
    let holder = hold_open(&file);

    let out = who(&[&file]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&holder.pid().to_string()))
        .unwrap_or_else(|| panic!("no row for the holder:\n{text}"));
    assert!(row.contains("sleep"), "{row}");
    assert!(row.ends_with(&format!("f:{}", file.display())), "{row}");
    assert!(text.lines().next().unwrap().contains("PID"), "{text}");
    assert!(text.ends_with("Reboot reasons: none\n"), "{text}");
}

#[test]
fn nobody_using_the_file_is_success_with_an_empty_list() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("idle.txt");
    std::fs::write(&file, "x").unwrap();
    let out = who(&[&file, &"--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"processes\":[],\"reboot_reasons\":[]}\n"
    );
    let out = who(&[&file]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "No process uses these files.\nReboot reasons: none\n"
    );
}

#[test]
fn a_missing_path_is_error_file_not_found_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.txt");
    let out = who(&[&missing, &"--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "rstmgr: ERROR_FILE_NOT_FOUND (2): {}: no such file or directory\n",
            missing.display()
        )
    );
}

#[test]
fn no_path_is_a_usage_error() {
    let out = Command::new(RSTMGR).arg("who").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_c_library_is_used_by_many_but_not_reported_for_rstmgr_itself() {
    let libc = [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib64/libc.so.6",
        "/lib/aarch64-linux-gnu/libc.so.6",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("a C library");
    let holder = Guard(
        Command::new(sleep_bin())
            .arg("30")
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while !std::fs::read_to_string(format!("/proc/{}/maps", holder.pid()))
        .is_ok_and(|m| m.contains("libc"))
    {
        assert!(start.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(5));
    }
    let child = Command::new(RSTMGR)
        .arg("who")
        .arg(&libc)
        .arg("--json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rstmgr_pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let parsed: WhoJson = serde_json::from_slice(&out.stdout).unwrap();
    assert!(parsed.processes.iter().any(|e| e.pid == holder.pid()));
    assert!(parsed.processes.iter().any(|e| e.pid == std::process::id()));
    assert!(!parsed.processes.iter().any(|e| e.pid == rstmgr_pid));

    // Processes that could not be inspected are named once, and are no failure.
    let unreadable_init = std::fs::metadata("/proc/1/exe").is_err();
    let lines = inaccessible_lines(&out.stderr);
    if unreadable_init {
        assert_eq!(lines, 1, "{}", String::from_utf8_lossy(&out.stderr));
    } else {
        assert!(lines <= 1);
    }
}

#[test]
fn a_directory_is_matched_as_a_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let inside = Guard(
        Command::new(sleep_bin())
            .arg("30")
            .current_dir(&work)
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while std::fs::read_link(format!("/proc/{}/exe", inside.pid())).ok() != Some(sleep_bin()) {
        assert!(start.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = who(&[&work]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("{:>7}", inside.pid()))
                && l.ends_with(&format!("c:{}", work.display()))),
        "{text}"
    );
}

fn who_json(args: &[&dyn AsRef<std::ffi::OsStr>]) -> WhoJson {
    let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = args.to_vec();
    all.push(&"--json");
    let out = who(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Python that maps `argv[1]` executable, as a library is mapped (it also keeps the
/// descriptor open), then says `ready` and sleeps.
const MAP_AND_HOLD: &str = r#"
import mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
m = mmap.mmap(fd, 0, mmap.MAP_PRIVATE, mmap.PROT_READ | mmap.PROT_EXEC)
print("ready", flush=True)
time.sleep(60)
"#;

#[test]
fn a_replaced_or_deleted_file_is_still_found_in_its_old_users_marked_old() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("libx.so.1");
    std::fs::write(&lib, vec![0x90u8; 8192]).unwrap();
    let mut child = Command::new("python3")
        .args(["-c", MAP_AND_HOLD])
        .arg(&lib)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 must be installed");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let mapper = Guard(child);
    let holder = hold_open(&lib);

    // Before: both use the file now at the path.
    let v = who_json(&[&lib]);
    for pid in [mapper.pid(), holder.pid()] {
        let e = v.processes.iter().find(|e| e.pid == pid).expect("listed");
        assert!(e.uses.iter().all(|u| !u.old), "{e:?}");
    }

    // An upgrade replaces it (a new file renamed over the path).
    let new = dir.path().join("libx.so.1.new");
    std::fs::write(&new, vec![0xccu8; 8192]).unwrap();
    std::fs::rename(&new, &lib).unwrap();
    let v = who_json(&[&lib]);
    let path = lib.to_str().unwrap().to_owned();
    let uses = |pid: u32| {
        v.processes
            .iter()
            .find(|e| e.pid == pid)
            .unwrap_or_else(|| panic!("pid {pid} not listed: {v:?}"))
            .uses
            .iter()
            .map(|u| (u.how.clone(), u.old, u.path.clone()))
            .collect::<Vec<_>>()
    };
    assert!(
        uses(mapper.pid()).contains(&("map".to_owned(), true, path.clone())),
        "{v:?}"
    );
    assert_eq!(
        uses(holder.pid()),
        vec![("fd".to_owned(), true, path.clone())]
    );
    let table = String::from_utf8(who(&[&lib]).stdout).unwrap();
    assert!(table.contains(&format!("f:{path} (old)")), "{table}");

    // Deleted: the path is gone, its old users are still found.
    std::fs::remove_file(&lib).unwrap();
    let v = who_json(&[&lib]);
    assert!(v.processes.iter().any(|e| e.pid == holder.pid()), "{v:?}");
    drop(mapper);
    drop(holder);
    // Nobody left: a missing path is an error again.
    let out = who(&[&lib]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn pids_prints_pids_alone_and_recursive_walks_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    let file = deep.join("held.txt");
    std::fs::write(&file, "x").unwrap();
    let holder = hold_open(&file);

    let out = who(&[&file, &"--pids"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}\n", holder.pid())
    );

    // Without --recursive the folder is only matched as a working or root folder.
    let out = who(&[&dir.path(), &"--pids"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "");
    let v = who_json(&[&dir.path(), &"--recursive"]);
    let e = v
        .processes
        .iter()
        .find(|e| e.pid == holder.pid())
        .expect("found through the folder");
    assert_eq!(e.uses[0].path, file.to_str().unwrap());
    let out = who(&[&"--json", &"--pids", &file]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--json and --pids exclude each other"
    );
}

#[test]
fn a_caller_that_cannot_inspect_processes_is_told_permission_denied() {
    // As nobody (dropping from root with setpriv), or as the unprivileged caller itself.
    let mut c = if rustix_is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", RSTMGR]);
        c
    } else {
        Command::new(RSTMGR)
    };
    let out = c
        .args(["who", "--json", "/"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("could not be inspected (permission denied)"),
        "{err}"
    );
    let v: WhoJson = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v.reboot_reasons.is_empty(),
        "processes it cannot inspect are no reboot reason: {v:?}"
    );
}

fn rustix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        .unwrap_or(false)
}
