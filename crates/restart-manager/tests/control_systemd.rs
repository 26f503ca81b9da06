//! The systemd service manager against a scripted `systemctl`.
//!
//! systemd is not PID 1 on the machines these tests run on, so a real `systemctl` has no
//! manager to talk to. The script below stands in for it: it logs every command line and
//! keeps unit state in files, and its "main process" of a unit is a real process that a
//! stop kills. What is checked is our side: the exact `systemctl` command lines (with `--`
//! before every unit name), how answers are read, and the timeout and force logic.

#[path = "control_util/mod.rs"]
mod util;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use restart_manager::{ServiceManager, Systemd};

const SCRIPT: &str = r#"#!/bin/sh
dir=$(dirname "$0")
printf '%s\n' "$*" >> "$dir/log"
case "$1" in
show)
    # show --value -p PROPERTY -- UNIT
    unit=$6
    case "$4" in
    LoadState) if [ -f "$dir/units/$unit" ]; then echo loaded; else echo not-found; fi ;;
    ActiveState) if [ -f "$dir/active/$unit" ]; then echo active; else echo inactive; fi ;;
    MainPID) if [ -f "$dir/active/$unit" ]; then cat "$dir/mainpid/$unit"; else echo 0; fi ;;
    ControlGroup) echo ;;
    Description) echo "Scripted $unit" ;;
    After) cat "$dir/after/$unit" 2>/dev/null ;;
    esac ;;
stop)
    unit=$3
    if [ -f "$dir/stubborn/$unit" ] && [ ! -f "$dir/killed/$unit" ]; then exec sleep 5; fi
    # Never `kill 0` (the whole process group): only a real main pid.
    pid=$(cat "$dir/mainpid/$unit")
    if [ "$pid" -gt 1 ] 2>/dev/null; then kill "$pid"; fi
    rm -f "$dir/active/$unit" ;;
start)
    touch "$dir/active/$3" ;;
kill)
    touch "$dir/killed/$4" ;;
*)
    exit 1 ;;
esac
"#;

struct Fake {
    _dir: tempfile::TempDir,
    root: PathBuf,
    systemd: Systemd,
}

fn fake() -> Fake {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    for sub in ["units", "active", "mainpid", "stubborn", "killed", "after"] {
        std::fs::create_dir(root.join(sub)).unwrap();
    }
    let program = root.join("systemctl");
    std::fs::write(&program, SCRIPT).unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    Fake {
        systemd: Systemd::with_systemctl(&program),
        root,
        _dir: dir,
    }
}

impl Fake {
    fn unit(&self, name: &str, main_pid: u32, stubborn: bool) {
        std::fs::write(self.root.join("units").join(name), "").unwrap();
        std::fs::write(self.root.join("active").join(name), "").unwrap();
        std::fs::write(self.root.join("mainpid").join(name), main_pid.to_string()).unwrap();
        if stubborn {
            std::fs::write(self.root.join("stubborn").join(name), "").unwrap();
        }
    }

    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.root.join("log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

fn held(dir: &Path) -> util::Guard {
    let file = dir.join("held.txt");
    std::fs::write(&file, "x").unwrap();
    util::spawn_holder(&file)
}

#[test]
fn systemd_stops_and_starts_a_unit_with_exact_command_lines() {
    let f = fake();
    let main = held(&f.root);
    f.unit("app.service", main.pid(), false);
    let sd = &f.systemd;

    assert_eq!(sd.name(), "systemd");
    assert!(sd.exists("app.service"));
    assert!(!sd.exists("nope.service"));
    assert_eq!(
        sd.display_name("app.service").as_deref(),
        Some("Scripted app.service")
    );
    assert!(sd.is_running("app.service").unwrap());
    assert_eq!(sd.processes("app.service").unwrap(), vec![main.pid()]);

    sd.stop("app.service", Duration::from_secs(2), false)
        .unwrap();
    util::wait_for(Duration::from_secs(2), || !main.process.is_alive());
    assert!(!sd.is_running("app.service").unwrap());
    assert!(sd.processes("app.service").unwrap().is_empty());

    sd.start("app.service", Duration::from_secs(2)).unwrap();
    assert!(sd.is_running("app.service").unwrap());

    let log = f.log();
    assert!(
        log.contains(&"show --value -p LoadState -- app.service".to_owned()),
        "{log:?}"
    );
    assert!(log.contains(&"stop -- app.service".to_owned()), "{log:?}");
    assert!(log.contains(&"start -- app.service".to_owned()), "{log:?}");
}

#[test]
fn a_unit_that_does_not_stop_in_time_fails_unless_forced() {
    let f = fake();
    f.unit("slow.service", 0, true);
    let sd = &f.systemd;

    let start = Instant::now();
    let err = sd
        .stop("slow.service", Duration::from_millis(300), false)
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(err.name(), "ERROR_SERVICE_SPECIFIC_ERROR");
    assert!(err.to_string().contains("did not stop"), "{err}");
    assert!(!f.log().iter().any(|l| l.starts_with("kill")));

    sd.stop("slow.service", Duration::from_millis(300), true)
        .unwrap();
    let log = f.log();
    assert!(
        log.contains(&"kill --signal=SIGKILL -- slow.service".to_owned()),
        "{log:?}"
    );
    assert!(!sd.is_running("slow.service").unwrap());
}

#[test]
fn names_that_look_like_options_never_reach_systemctl() {
    let f = fake();
    let err = f
        .systemd
        .stop("--now", Duration::from_secs(1), true)
        .unwrap_err();
    assert_eq!(err.code(), 160);
    assert!(!f.systemd.exists("-H"));
    assert!(f.log().is_empty(), "{:?}", f.log());
}

#[test]
fn systemd_restarts_units_after_those_they_are_ordered_after() {
    let f = fake();
    std::fs::write(
        f.root.join("after/web.service"),
        "db.service network.target\n",
    )
    .unwrap();
    std::fs::write(f.root.join("after/worker.service"), "web.service\n").unwrap();
    let order = f.systemd.restart_order(&[
        "worker.service".to_owned(),
        "web.service".to_owned(),
        "db.service".to_owned(),
    ]);
    assert_eq!(order, ["db.service", "web.service", "worker.service"]);
    assert!(
        f.log()
            .contains(&"show --value -p After -- web.service".to_owned()),
        "{:?}",
        f.log()
    );
}
