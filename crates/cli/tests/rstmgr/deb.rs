//! A real Debian package through a real upgrade (issue 17): a shared library and a
//! program linked against it, built with gcc and packed with `dpkg-deb`, installed with
//! `dpkg -i`, run as a runit service in a private `runsvdir`; then `rstmgr preflight
//! --deb` before the upgrade, `rstmgr stale` after it, `stale --restart`, and the apt
//! hook shipped in `dist/apt/50rstmgr` through a real `apt-get install ./new.deb`.
//!
//! It installs a package on this machine, so it runs only as root (it says why it is
//! skipped otherwise) and removes the package at the end.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use test_support::is_root;

use super::support::Runsvdir;

const RSTMGR: &str = env!("CARGO_BIN_EXE_rstmgr");
const PACKAGE: &str = "rstmgr-testsvc";
const PREFIX: &str = "/usr/lib/rstmgr-testsvc";

/// The `greeter` service's process once it runs the greeter with its library mapped.
fn greeter_pid(sv: &Runsvdir) -> u32 {
    sv.main_pid_when("greeter", Duration::from_secs(10), |pid| {
        std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "greeter")
            && std::fs::read_to_string(format!("/proc/{pid}/maps"))
                .is_ok_and(|m| m.contains("libgreet.so.1.0"))
    })
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{cmd:?}\n{}", text(&out));
    out
}

/// Runs a dpkg front end, waiting while another one holds the dpkg lock.
fn dpkg_like(cmd: &mut Command) -> Output {
    let start = Instant::now();
    loop {
        let out = cmd.stdin(Stdio::null()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.success()
            || !err.contains("lock")
            || start.elapsed() > Duration::from_secs(300)
        {
            assert!(out.status.success(), "{cmd:?}\n{}", text(&out));
            return out;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Builds version `version` of the package: `libgreet.so.1` saying `version`, and
/// `greeter`, linked against it, which calls it every 100 ms.
fn build(dir: &Path, version: &str) -> PathBuf {
    let src = dir.join(format!("src-{version}"));
    let root = dir.join(format!("root-{version}"));
    let lib_dir = root.join(&PREFIX[1..]);
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&lib_dir).unwrap();
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::write(
        src.join("greet.c"),
        format!("const char *greet(void) {{ return \"{version}\"; }}\n"),
    )
    .unwrap();
    std::fs::write(
        src.join("greeter.c"),
        "#include <unistd.h>\nconst char *greet(void);\n\
         int main(void) { for (;;) { greet(); usleep(100000); } }\n",
    )
    .unwrap();
    run_ok(
        Command::new("gcc")
            .args(["-shared", "-fPIC", "-Wl,-soname,libgreet.so.1", "-o"])
            .arg(lib_dir.join("libgreet.so.1.0"))
            .arg(src.join("greet.c")),
    );
    std::os::unix::fs::symlink("libgreet.so.1.0", lib_dir.join("libgreet.so.1")).unwrap();
    std::os::unix::fs::symlink("libgreet.so.1.0", src.join("libgreet.so")).unwrap();
    std::fs::copy(lib_dir.join("libgreet.so.1.0"), src.join("libgreet.so.1.0")).unwrap();
    run_ok(
        Command::new("gcc")
            .arg("-o")
            .arg(lib_dir.join("greeter"))
            .arg(src.join("greeter.c"))
            .arg(format!("-L{}", src.display()))
            .args(["-lgreet", &format!("-Wl,-rpath,{PREFIX}")]),
    );
    let arch =
        String::from_utf8(run_ok(Command::new("dpkg").arg("--print-architecture")).stdout).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        format!(
            "Package: {PACKAGE}\nVersion: {version}\nArchitecture: {}\nMaintainer: rmsi tests <tests@localhost>\n\
             Description: rstmgr test service\n a library and a program linked against it\n",
            arch.trim()
        ),
    )
    .unwrap();
    for d in [&root, &root.join("DEBIAN")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let deb = dir.join(format!("{PACKAGE}_{version}.deb"));
    run_ok(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&root)
            .arg(&deb),
    );
    deb
}

/// Removes the test package whatever happens.
struct Purge;

impl Drop for Purge {
    fn drop(&mut self) {
        let _ = Command::new("dpkg")
            .args(["--purge", PACKAGE])
            .stdin(Stdio::null())
            .output();
    }
}

struct Env {
    svdir: PathBuf,
    state: PathBuf,
}

impl Env {
    fn rstmgr(&self, args: &[&str]) -> Output {
        Command::new(RSTMGR)
            .args(args)
            .env("SVDIR", &self.svdir)
            .env("RSTMGR_STATE_DIR", &self.state)
            .env_remove("RSTMGR_SUSPEND")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.rstmgr(args);
        assert!(out.status.success(), "{args:?}\n{}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The `stale --json` entry of `pid`, if listed.
    fn stale_entry(&self, pid: u32) -> Option<serde_json::Value> {
        let v = self.json(&["stale", "--json"]);
        v["processes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["pid"] == pid)
            .cloned()
    }
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_packaged_service_is_found_before_and_after_an_upgrade_and_restarted_once_by_apt() {
    if !is_root() {
        println!("skipped: installing a Debian package needs root");
        return;
    }
    for tool in ["gcc", "dpkg-deb", "dpkg", "apt-get", "runsvdir"] {
        if !have(tool) {
            println!("skipped: {tool} is not installed");
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let v1 = build(dir.path(), "1.0");
    let v2 = build(dir.path(), "2.0");
    let v3 = build(dir.path(), "3.0");
    let v4 = build(dir.path(), "4.0");
    let _purge = Purge;
    dpkg_like(Command::new("dpkg").arg("-i").arg(&v1));
    let sv = Runsvdir::start(dir.path(), "greeter", &format!("exec {PREFIX}/greeter"));
    let env = Env {
        svdir: sv.svdir.clone(),
        state: dir.path().join("state"),
    };
    let first = greeter_pid(&sv);
    let lib = format!("{PREFIX}/libgreet.so.1.0");
    let exe = format!("{PREFIX}/greeter");

    // Before the upgrade: the service uses the files the new package replaces.
    let plan = env.json(&["preflight", "--json", "--deb", v2.to_str().unwrap()]);
    let files = strings(&plan["files"]);
    assert!(files.contains(&lib) && files.contains(&exe), "{plan}");
    assert!(
        !files.iter().any(|f| f.ends_with("libgreet.so.1")),
        "symlinks are not files to replace: {plan}"
    );
    assert_eq!(strings(&plan["services"]), vec!["greeter"], "{plan}");
    let p = plan["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pid"] == first)
        .unwrap_or_else(|| panic!("the service's process is listed: {plan}"));
    assert_eq!(p["unit"], "greeter");
    assert_eq!(p["exe"], exe.as_str());
    let uses = p["uses"].as_array().unwrap();
    assert!(
        uses.contains(&serde_json::json!({"path": lib, "how": "map"})),
        "{p}"
    );
    assert!(
        uses.contains(&serde_json::json!({"path": exe, "how": "exe"})),
        "{p}"
    );
    assert!(env.stale_entry(first).is_none(), "nothing is stale yet");

    // The upgrade replaces both files under the running service.
    dpkg_like(Command::new("dpkg").arg("-i").arg(&v2));
    let e = env.stale_entry(first).expect("the service runs old code");
    assert_eq!(e["unit"], "greeter");
    assert_eq!(e["session"], serde_json::Value::Null);
    let stale: Vec<(String, String)> = e["stale"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["how"].as_str().unwrap().to_owned(),
                s["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(stale.contains(&("exe".to_owned(), exe.clone())), "{e}");
    assert!(stale.contains(&("map".to_owned(), lib.clone())), "{e}");
    let batch = String::from_utf8(env.rstmgr(&["stale", "--batch"]).stdout).unwrap();
    assert!(
        batch.lines().any(|l| l == "NEEDRESTART-SVC: greeter"),
        "{batch}"
    );
    let nagios = env.rstmgr(&["stale", "--nagios"]);
    let line = String::from_utf8_lossy(&nagios.stdout).into_owned();
    assert!(
        line.contains("Services: ") && line.contains("\n- greeter\n"),
        "{line}"
    );
    assert!(nagios.status.code().unwrap() >= 1, "{line}");

    // The plan, then the restart.
    let dry = env.rstmgr(&["stale", "--restart", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains("would restart greeter\n"),
        "{}",
        text(&dry)
    );
    assert_eq!(greeter_pid(&sv), first, "--dry-run restarts nothing");
    let policy = dir.path().join("policy");
    std::fs::write(&policy, "# not this one\ngreet*\n").unwrap();
    let denied = env.rstmgr(&["stale", "--restart", "--policy", policy.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&denied.stdout).contains("skip greeter: denied (policy "),
        "{}",
        text(&denied)
    );
    assert_eq!(greeter_pid(&sv), first, "a denied service is not restarted");
    let restarted = env.rstmgr(&["stale", "--restart"]);
    assert!(restarted.status.success(), "{}", text(&restarted));
    assert!(String::from_utf8_lossy(&restarted.stdout).contains("restarted greeter\n"));
    let second = greeter_pid(&sv);
    assert_ne!(second, first);
    assert!(
        env.stale_entry(second).is_none(),
        "the new process runs the new code"
    );
    let v = env.json(&["stale", "--json"]);
    assert!(
        !strings(&v["services"]).contains(&"greeter".to_owned()),
        "{v}"
    );

    // apt, with the shipped hook: one plan before, one restart after.
    let bin_dir = Path::new(RSTMGR).parent().unwrap();
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist/apt/50rstmgr");
    let apt = |deb: &Path, suspend: bool| -> Output {
        let mut c = Command::new("apt-get");
        c.arg("-c")
            .arg(&conf)
            .args([
                "-y",
                "-o",
                "DPkg::Lock::Timeout=300",
                "--allow-downgrades",
                "install",
            ])
            .arg(deb)
            .env(
                "PATH",
                format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", bin_dir.display()),
            )
            .env("SVDIR", &env.svdir)
            .env("RSTMGR_STATE_DIR", &env.state)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .env_remove("RSTMGR_SUSPEND");
        if suspend {
            c.env("RSTMGR_SUSPEND", "1");
        }
        dpkg_like(&mut c)
    };
    let out = apt(&v3, false);
    let all = text(&out);
    assert!(
        all.contains("rstmgr: 1 package(s)"),
        "the pre-install hook ran: {all}"
    );
    assert!(
        all.contains("to restart after the upgrade: greeter"),
        "{all}"
    );
    assert_eq!(
        all.matches("restarted greeter").count(),
        1,
        "restarted once: {all}"
    );
    let recorded: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.state.join("apt/apt-plan.json")).unwrap())
            .unwrap();
    assert_eq!(
        strings(&recorded["services"]),
        vec!["greeter"],
        "{recorded}"
    );
    assert_eq!(
        recorded["key"].as_str().map(str::len),
        Some(32),
        "{recorded}"
    );
    let third = greeter_pid(&sv);
    assert_ne!(third, second);
    assert!(env.stale_entry(third).is_none());

    // Switched off: apt runs, rstmgr does nothing.
    let out = apt(&v4, true);
    let all = text(&out);
    assert!(
        !all.contains("rstmgr:") && !all.contains("restarted greeter"),
        "{all}"
    );
    assert_eq!(greeter_pid(&sv), third);
    assert!(
        env.stale_entry(third).is_some(),
        "left on old code, as asked"
    );
}
