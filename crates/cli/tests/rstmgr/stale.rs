//! `rstmgr stale` on real processes: a replaced Python script, a deleted executable and a
//! deleted library are found; memfd and deleted temporary files are not; the kernel
//! check, the batch and Nagios formats, and the reboot sentinel.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use test_support::wait_for;

use super::support::{Guard, entry};

const RSTMGR: &str = env!("CARGO_BIN_EXE_rstmgr");

/// A folder outside the temporary folders (whose deleted files `stale` ignores by
/// design): under cargo's target folder.
fn work_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("rstmgr-stale-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stale(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(RSTMGR);
    c.arg("stale").args(args).stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn stale_json() -> serde_json::Value {
    let out = stale(&["--json"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Python that maps `path` executable (`PROT_EXEC`), deletes it when asked, says `ready`
/// on stdout and sleeps. `path` = `memfd` maps an anonymous memfd instead.
const MAPPER: &str = r#"
import mmap, os, sys
path, delete = sys.argv[1], sys.argv[2] == "1"
if path == "memfd":
    fd = os.memfd_create("jit")
else:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o700)
os.write(fd, b"\x90" * 4096)
m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_EXEC)
if delete and path != "memfd":
    os.unlink(path)
print("ready", flush=True)
import time
time.sleep(60)
"#;

fn python(args: &[&str], env: &[(&str, &Path)], cwd: &Path) -> Guard {
    use std::io::BufRead;
    let mut c = Command::new("python3");
    c.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("python3 must be installed");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    Guard(child)
}

#[test]
fn replaced_scripts_deleted_executables_and_libraries_are_found_but_not_memfd_or_temp_files() {
    let dir = work_dir("kinds");
    let mapper = dir.join("mapper.py");
    std::fs::write(&mapper, MAPPER).unwrap();
    let mapper = mapper.to_str().unwrap();

    // A deleted library (outside any temporary folder): old code.
    let lib = dir.join("libold.so.1");
    let deleted_lib = python(&[mapper, lib.to_str().unwrap(), "1"], &[], &dir);
    // A memfd, a deleted /tmp file and a deleted file under the process's own $TMPDIR:
    // not code from a package.
    let memfd = python(&[mapper, "memfd", "0"], &[], &dir);
    let tmp = tempfile::tempdir().unwrap();
    let tmp_file = tmp.path().join("ffi-jit");
    let deleted_tmp = python(&[mapper, tmp_file.to_str().unwrap(), "1"], &[], &dir);
    let own_tmp = dir.join("own-tmp");
    std::fs::create_dir(&own_tmp).unwrap();
    let own_file = own_tmp.join("jit.bin");
    let deleted_own_tmp = python(
        &[mapper, own_file.to_str().unwrap(), "1"],
        &[("TMPDIR", &own_tmp)],
        &dir,
    );

    // A deleted executable.
    let exe = dir.join("mysleep");
    std::fs::copy(std::fs::canonicalize("/bin/sleep").unwrap(), &exe).unwrap();
    // Another test thread's child, forked while the copy was open for writing, holds it
    // open until its own exec: exec fails with ETXTBSY meanwhile ("Text file busy").
    let spawn = || Command::new(&exe).arg("60").stdin(Stdio::null()).spawn();
    let mut child = spawn();
    for _ in 0..100 {
        match &child {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(Duration::from_millis(20));
                child = spawn();
            }
            _ => break,
        }
    }
    let sleeper = Guard(child.unwrap());
    let sleeper_pid = sleeper.0.id();
    wait_for("the copied sleep", Duration::from_secs(5), || {
        std::fs::read_link(format!("/proc/{sleeper_pid}/exe")).is_ok_and(|t| t == exe)
    });
    std::fs::remove_file(&exe).unwrap();

    // A Python program whose script is replaced (written anew, renamed over) after it
    // started, past the 2 s of slack; and one whose script is not touched.
    let script = dir.join("app.py");
    std::fs::write(
        &script,
        "print('ready', flush=True)\nimport time\ntime.sleep(60)\n",
    )
    .unwrap();
    let untouched = dir.join("same.py");
    std::fs::copy(&script, &untouched).unwrap();
    // Relative, to check that the path is taken from the process's working folder.
    let replaced = python(&["-u", "app.py"], &[], &dir);
    let kept = python(&["same.py"], &[], &dir);
    std::thread::sleep(Duration::from_millis(3100));
    let new = dir.join("app.py.new");
    std::fs::write(&new, "print('v2')\n").unwrap();
    std::fs::rename(&new, &script).unwrap();

    let v = stale_json();
    let stale_of = |pid: u32| -> Vec<(String, String)> {
        entry(&v, pid)
            .map(|e| {
                e["stale"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        (
                            s["how"].as_str().unwrap().to_owned(),
                            s["path"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        stale_of(deleted_lib.0.id()),
        vec![("map".to_owned(), lib.to_str().unwrap().to_owned())],
        "{v}"
    );
    assert_eq!(
        stale_of(sleeper_pid),
        vec![("exe".to_owned(), exe.to_str().unwrap().to_owned())]
    );
    assert_eq!(
        stale_of(replaced.0.id()),
        vec![("script".to_owned(), script.to_str().unwrap().to_owned())]
    );
    for (what, g) in [
        ("memfd", &memfd),
        ("deleted /tmp file", &deleted_tmp),
        ("deleted $TMPDIR file", &deleted_own_tmp),
        ("untouched script", &kept),
    ] {
        assert!(entry(&v, g.0.id()).is_none(), "{what} reported: {v}");
    }
    // The contract's fields, exactly.
    let e = entry(&v, sleeper_pid).unwrap();
    let mut keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "container",
            "exe",
            "pid",
            "session",
            "stale",
            "start_time",
            "uid",
            "unit"
        ]
    );
    assert_eq!(e["exe"], exe.to_str().unwrap());
    let mut top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    top.sort_unstable();
    assert_eq!(
        top,
        ["containers", "kernel", "processes", "services", "sessions"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_kernel_check_batch_nagios_and_sentinel_follow_needrestart_and_debian() {
    let running = String::from_utf8(Command::new("uname").arg("-r").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_owned();
    let root = tempfile::tempdir().unwrap();
    let sysroot = root.path();
    std::fs::create_dir_all(sysroot.join("run")).unwrap();
    let env = [("RSTMGR_SYSROOT", sysroot)];

    // Nothing installed that says which kernel: unknown, OK for Nagios.
    let out = stale(&["--batch"], &env);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("NEEDRESTART-VER: "), "{text}");
    assert!(
        text.contains(&format!("\nNEEDRESTART-KCUR: {running}\n")),
        "{text}"
    );
    assert!(!text.contains("NEEDRESTART-KEXP"), "{text}");
    assert!(text.contains("\nNEEDRESTART-KSTA: 0\n"), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&stale(&["--json"], &env).stdout).unwrap();
    assert_eq!(v["kernel"]["installed"], serde_json::Value::Null);
    assert_eq!(v["kernel"]["reboot_required"], false);
    // Nagios: an unknown kernel counts as OK and has no performance figure (the other
    // parts depend on what else runs on this machine).
    let out = stale(&["--nagios"], &env);
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(
        line.contains(&format!(" - Kernel: {running}, Services: ")),
        "{line}"
    );
    assert!(!line.contains("Kernel="), "{line}");
    if line.contains("Services: none, Containers: none, Sessions: none") {
        assert!(line.starts_with("OK - "), "{line}");
        assert_eq!(out.status.code(), Some(0), "an unknown kernel counts as OK");
    }

    // The running kernel is the newest installed: state 1.
    std::fs::create_dir_all(sysroot.join("boot")).unwrap();
    std::fs::write(sysroot.join(format!("boot/vmlinuz-{running}")), "").unwrap();
    let text = String::from_utf8(stale(&["--batch"], &env).stdout).unwrap();
    assert!(
        text.contains(&format!(
            "\nNEEDRESTART-KEXP: {running}\nNEEDRESTART-KSTA: 1\n"
        )),
        "{text}"
    );

    // A newer one is installed: state 3, CRITICAL, and the sentinel.
    let newer = format!("{running}9");
    std::fs::create_dir_all(sysroot.join(format!("lib/modules/{newer}/kernel"))).unwrap();
    let text = String::from_utf8(stale(&["--batch"], &env).stdout).unwrap();
    assert!(
        text.contains(&format!(
            "\nNEEDRESTART-KEXP: {newer}\nNEEDRESTART-KSTA: 3\n"
        )),
        "{text}"
    );
    let out = stale(&["--nagios"], &env);
    let line = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{line}");
    assert!(
        line.starts_with(&format!(
            "CRIT - Kernel: {running}!={newer} (!!), Services: "
        )),
        "{line}"
    );
    assert!(line.contains("|Kernel=2;0;;0;2 Services="), "{line}");
    assert!(!sysroot.join("run/reboot-required").exists());
    let out = stale(&["--write-sentinel"], &env);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(sysroot.join("run/reboot-required")).unwrap(),
        "*** System restart required ***\n"
    );
    let pkgs = sysroot.join("run/reboot-required.pkgs");
    assert_eq!(
        std::fs::read_to_string(&pkgs).unwrap(),
        format!("linux-image-{newer}\n")
    );
    // Once only, however often it runs.
    assert!(stale(&["--write-sentinel"], &env).status.success());
    assert_eq!(
        std::fs::read_to_string(&pkgs).unwrap(),
        format!("linux-image-{newer}\n")
    );
}

#[test]
fn the_formats_are_exclusive_and_restart_options_need_restart() {
    for args in [
        &["--json", "--batch"][..],
        &["--batch", "--nagios"],
        &["--dry-run"],
        &["--policy", "/dev/null"],
    ] {
        let out = stale(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn preflight_lists_the_current_users_of_files_about_to_be_replaced() {
    let dir = work_dir("preflight");
    let file = dir.join("libsoon.so.1");
    std::fs::write(&file, vec![0x90u8; 4096]).unwrap();
    let fresh = dir.join("not-installed-yet.so");
    let mapper = dir.join("mapper.py");
    std::fs::write(&mapper, MAPPER).unwrap();
    let user = python(
        &[mapper.to_str().unwrap(), file.to_str().unwrap(), "0"],
        &[],
        &dir,
    );

    let out = Command::new(RSTMGR)
        .args(["preflight", "--json"])
        .arg(&file)
        .arg(&fresh)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    top.sort_unstable();
    assert_eq!(
        top,
        ["containers", "files", "processes", "services", "sessions"]
    );
    assert_eq!(
        v["files"],
        serde_json::json!([file.to_str().unwrap(), fresh.to_str().unwrap()])
    );
    let e = entry(&v, user.0.id()).unwrap_or_else(|| panic!("the user is listed: {v}"));
    let mut keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "container",
            "exe",
            "pid",
            "session",
            "start_time",
            "uid",
            "unit",
            "uses"
        ]
    );
    let uses = e["uses"].as_array().unwrap();
    for how in ["fd", "map"] {
        assert!(
            uses.contains(&serde_json::json!({"path": file.to_str().unwrap(), "how": how})),
            "{e}"
        );
    }
    assert_eq!(e["unit"], serde_json::Value::Null);

    // Nobody uses a file that does not exist yet; usage errors exit 2.
    let out = Command::new(RSTMGR)
        .arg("preflight")
        .arg(&fresh)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().next(),
        Some("No process uses these 1 file(s).")
    );
    for args in [&["preflight"][..], &["preflight", "--apt-hook", "x"]] {
        let out = Command::new(RSTMGR).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
