//! Issue 11's Restart Manager security cases, through the real binary and real processes:
//! a restart registration forged by its (unprivileged) user, a user's process that merely
//! descends from a service, and program names that carry terminal control sequences.
//!
//! The cases that need a second user create one (`useradd`) and run only as root; as
//! another user they print why they are skipped.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use restart_manager::{ProcessHandle, UniqueProcess};
use test_support::{is_root, stderr, wait_for};

use super::support::{Runsvdir, comm, descendants, listed};

const RSTMGR: &str = env!("CARGO_BIN_EXE_rstmgr");

/// The unprivileged user the root-only cases create.
const TEST_USER: &str = "rstmgrsec";

/// The uid and gid of the test user, created when missing; `None` (with the reason
/// printed) when this does not run as root.
#[allow(clippy::print_stdout)] // says what the test skips, and why
fn test_user(case: &str) -> Option<(u32, u32)> {
    if !is_root() {
        println!("skipped {case}: it needs root to create a second, unprivileged user");
        return None;
    }
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, TEST_USER]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    if id("-u").is_none() {
        let out = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(TEST_USER)
            .output()
            .expect("useradd (Debian package passwd) must be installed");
        // 9: another test created it meanwhile.
        assert!(
            out.status.success() || out.status.code() == Some(9),
            "useradd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some((id("-u").unwrap(), id("-g").unwrap()))
}

/// Processes killed (exactly them, through a pidfd) and children reaped at the end.
#[derive(Default)]
struct Reaper {
    processes: Vec<UniqueProcess>,
    children: Vec<Child>,
}

impl Reaper {
    fn pid(&mut self, pid: u32) {
        if let Ok(p) = UniqueProcess::of(pid) {
            self.processes.push(p);
        }
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        for p in &self.processes {
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

/// A root session in a private state folder, with this test process as its owner.
struct RootSession {
    state: PathBuf,
    key: String,
}

impl RootSession {
    fn start(state: PathBuf) -> RootSession {
        let mut s = RootSession {
            state,
            key: String::new(),
        };
        let out = s.run(&["start"]);
        assert!(out.status.success(), "{}", stderr(&out));
        s.key = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_owned();
        s
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(RSTMGR);
        c.env("RSTMGR_STATE_DIR", &self.state)
            .env_remove("RSTMGR_KEY")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    fn keyed(&self, verb: &str, more: &[&str]) -> Output {
        let mut args = vec![verb, self.key.as_str()];
        args.extend_from_slice(more);
        let out = self.run(&args);
        assert!(out.status.success(), "{verb}: {}", stderr(&out));
        out
    }
}

impl Drop for RootSession {
    fn drop(&mut self) {
        let _ = self.run(&["end", &self.key]);
    }
}

/// A user's program that registers itself for restart (`rstmgr register-restart`, which
/// registers its parent: this shell), holds the file `$1` and stays a shell. Every
/// instance appends its pid and groups to `$2`.
const USER_HOLDER: &str = r#"echo "$$ $(id -g) $(id -G)" >> "$2"
"$RSTMGR" register-restart -- /bin/sh "$0" "$1" "$2" || exit 1
exec 3<"$1"
while :; do sleep 1 3<&-; done
"#;

/// Replaces the registration file `path` (owned by `uid`) with `edit` applied to it, as
/// its user could: atomically, owner-only, owned by that user.
fn forge(path: &Path, uid: u32, gid: u32, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut reg: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut reg);
    let tmp = path.with_extension("forged");
    std::fs::write(&tmp, serde_json::to_vec(&reg).unwrap()).unwrap();
    std::os::unix::fs::chown(&tmp, Some(uid), Some(gid)).unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn a_restart_registration_forged_by_its_user_is_refused_and_never_relaunched() {
    let Some((uid, gid)) = test_user("the forged-registration case") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = root.join("holder.sh");
    std::fs::write(&script, USER_HOLDER).unwrap();
    let file = root.join("held.txt");
    std::fs::write(&file, "in use").unwrap();
    let ustate = root.join("ustate");
    std::fs::create_dir(&ustate).unwrap();
    std::os::unix::fs::chown(&ustate, Some(uid), Some(gid)).unwrap();
    std::fs::set_permissions(&ustate, std::fs::Permissions::from_mode(0o700)).unwrap();
    let log = |name: &str| {
        let p = root.join(name);
        std::fs::write(&p, "").unwrap();
        std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
        p
    };
    let (log_a, log_b) = (log("a.log"), log("b.log"));

    let mut reaper = Reaper::default();
    let mut spawn = |log: &Path| -> UniqueProcess {
        use std::os::unix::process::CommandExt;
        let child = Command::new("/bin/sh")
            .arg(&script)
            .arg(&file)
            .arg(log)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("RSTMGR", RSTMGR)
            .env("RSTMGR_STATE_DIR", &ustate)
            .current_dir(root)
            .uid(uid)
            .gid(gid)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let p = UniqueProcess::of(child.id()).unwrap();
        reaper.children.push(child);
        let reg = ustate.join(format!("restart/{}-{}.json", p.pid, p.start_time));
        wait_for("the user's registration", Duration::from_secs(10), || {
            reg.exists()
        });
        p
    };
    // A registers honestly; B's registration is then forged by its user.
    let a = spawn(&log_a);
    let b = spawn(&log_b);
    let b_reg = ustate.join(format!("restart/{}-{}.json", b.pid, b.start_time));

    let session = RootSession::start(root.join("rstate"));
    session.keyed("register", &["--file", file.to_str().unwrap()]);

    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let forgeries: Vec<(&str, Edit)> = vec![
        (
            "root's groups",
            Box::new(|r| {
                r["gid"] = 0.into();
                r["groups"] = serde_json::json!([0]);
            }),
        ),
        ("root's uid", Box::new(|r| r["uid"] = 0.into())),
        (
            "a preloaded library",
            Box::new(|r| {
                r["env"]
                    .as_array_mut()
                    .unwrap()
                    .push("LD_PRELOAD=/tmp/evil.so".into())
            }),
        ),
        ("another folder", Box::new(|r| r["cwd"] = "/root".into())),
        (
            "another program",
            Box::new(|r| {
                r["program"] = "/tmp/evil".into();
                r["argv0"] = "/tmp/evil".into();
            }),
        ),
    ];
    let original = std::fs::read(&b_reg).unwrap();
    for (what, edit) in &forgeries {
        std::fs::write(&b_reg, &original).unwrap();
        forge(&b_reg, uid, gid, edit);
        let out = session.keyed("list", &["--json"]);
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(listed(&list, a.pid)["restartable"], true, "{what}: {list}");
        assert_eq!(listed(&list, b.pid)["restartable"], false, "{what}: {list}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "refused the restart registration of pid {} (uid {uid})",
                b.pid
            )),
            "{what}: the refusal is logged: {err:?}"
        );
        assert!(!err.contains(&format!("pid {} ", a.pid)), "{err}");
    }

    // With root's groups forged in, shut both down and restart: A comes back with its own
    // identity, B does not come back at all.
    std::fs::write(&b_reg, &original).unwrap();
    forge(&b_reg, uid, gid, &forgeries[0].1);
    let out = session.keyed("shutdown", &["--timeout", "5"]);
    assert!(stderr(&out).contains("refused the restart registration"));
    wait_for("A and B to exit", Duration::from_secs(5), || {
        !a.is_alive() && !b.is_alive()
    });
    session.keyed("restart", &[]);
    let lines = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    wait_for("A's new instance", Duration::from_secs(10), || {
        lines(&log_a).len() == 2
    });
    for l in lines(&log_a) {
        if let Some(pid) = l.split_whitespace().next() {
            reaper.pid(pid.parse().unwrap());
        }
    }
    let relaunched = &lines(&log_a)[1];
    assert_eq!(
        relaunched.split_whitespace().skip(1).collect::<Vec<_>>(),
        vec![gid.to_string(), gid.to_string()],
        "A runs with its own group only: {relaunched}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(lines(&log_b).len(), 1, "B was not relaunched");
}

#[test]
fn a_process_that_merely_descends_from_a_service_is_not_that_service() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = root.join("held.txt");
    std::fs::write(&file, "in use").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Like a login shell forked by an ssh daemon: a new session, as another user when the
    // test can make one. It stays the service's descendant (its parent is the service's
    // main process) and holds the file.
    let drop_to = match test_user("the other-user half of the descendant case") {
        Some((uid, gid)) => format!("setpriv --reuid={uid} --regid={gid} --clear-groups "),
        None => String::new(),
    };
    let script = format!(
        "setsid {drop_to}sh -c 'exec 3<\"$0\"; exec sleep 999' '{}' &\nexec sleep 999",
        file.display()
    );
    let sv = Runsvdir::start(root, "daemon", &script);
    let main = sv.main_pid("daemon");
    let mut shell = 0;
    wait_for("the login shell", Duration::from_secs(5), || {
        shell = descendants(main)
            .into_iter()
            .find(|p| std::fs::read_link(format!("/proc/{p}/fd/3")).is_ok_and(|t| t == file))
            .unwrap_or(0);
        shell != 0 && comm(shell).as_deref() == Some("sleep")
    });

    let who = Command::new(RSTMGR)
        .args(["who", "--json"])
        .arg(&file)
        .env("SVDIR", &sv.svdir)
        .output()
        .unwrap();
    assert!(who.status.success(), "{}", stderr(&who));
    let list: serde_json::Value = serde_json::from_slice(&who.stdout).unwrap();
    let e = listed(&list, shell);
    assert_eq!(e["service"], serde_json::Value::Null, "{e}");
    assert_ne!(e["app_type"], "service", "{e}");

    // Shutting it down stops it, and only it: the service keeps running.
    let session = RootSession::start(root.join("rstate"));
    let with_svdir = |verb: &str, more: &[&str]| {
        let mut c = session.cmd();
        c.env("SVDIR", &sv.svdir)
            .arg(verb)
            .arg(&session.key)
            .args(more);
        let out = c.output().unwrap();
        assert!(out.status.success(), "{verb}: {}", stderr(&out));
        out
    };
    with_svdir("register", &["--file", file.to_str().unwrap()]);
    with_svdir("shutdown", &["--timeout", "5"]);
    // It stays a zombie: its parent, the service's `sleep`, never reaps it.
    wait_for("the shell to exit", Duration::from_secs(5), || {
        std::fs::read_to_string(format!("/proc/{shell}/stat")).map_or(true, |s| {
            s.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z'))
        })
    });
    assert!(
        sv.stat("daemon").starts_with("run"),
        "{}",
        sv.stat("daemon")
    );
    assert_eq!(
        comm(main).as_deref(),
        Some("sleep"),
        "the service's process runs on"
    );
}

#[test]
fn program_names_and_paths_in_tables_have_control_characters_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // A program named to retitle the terminal, clear the screen and ring the bell.
    let name = "ev\u{1b}]0;owned\u{7}il\u{1b}[2J";
    let exe = dir.path().join(name);
    std::fs::copy(std::fs::canonicalize("/bin/sleep").unwrap(), &exe).unwrap();
    let mut child = Command::new(&exe)
        .arg("30")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the program", Duration::from_secs(5), || {
        std::fs::read_link(format!("/proc/{}/exe", child.id())).is_ok_and(|t| t == exe)
    });
    let escaped = "ev\\x1b]0;owned\\x07il\\x1b[2J";

    let who = Command::new(RSTMGR).arg("who").arg(&exe).output().unwrap();
    let who_json = Command::new(RSTMGR)
        .args(["who", "--json"])
        .arg(&exe)
        .output()
        .unwrap();

    let session = RootSession::start(dir.path().join("state"));
    session.keyed("register", &["--file", exe.to_str().unwrap()]);
    let list = session.keyed("list", &[]);
    let _ = child.kill();
    let _ = child.wait();

    for (what, out) in [("who", &who), ("list", &list)] {
        assert!(out.status.success(), "{what}: {}", stderr(out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !out.stdout.iter().any(|&b| b == 0x1b || b == 0x07),
            "{what} printed raw control characters: {text:?}"
        );
        assert!(text.contains(escaped), "{what}: {text:?}");
        assert!(
            text.lines()
                .any(|l| l.contains(&child.id().to_string()) && l.contains(escaped)),
            "{what}: {text:?}"
        );
    }
    // JSON carries the name as it is (JSON escapes it itself).
    let v: serde_json::Value = serde_json::from_slice(&who_json.stdout).unwrap();
    assert_eq!(listed(&v, child.id())["app_name"], name);
}
