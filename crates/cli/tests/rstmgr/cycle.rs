//! A whole session through the real `rstmgr` binary: register, list, shut down, restart
//! a process that registered for restart (with its arguments and working folder), and
//! cancel a running shutdown from another process. Every test uses a private
//! `RSTMGR_STATE_DIR`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use test_support::wait_for;

use super::support::{Guard, entry};

const RSTMGR: &str = env!("CARGO_BIN_EXE_rstmgr");

fn rstmgr(state: &Path, args: &[&str]) -> Output {
    Command::new(RSTMGR)
        .args(args)
        .env("RSTMGR_STATE_DIR", state)
        .env_remove("RSTMGR_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn list_json(state: &Path, key: &str) -> serde_json::Value {
    serde_json::from_str(&ok(rstmgr(state, &["list", key, "--json"]))).unwrap()
}

#[test]
fn shut_down_and_restart_a_registered_script_with_its_arguments_and_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let file = tmp.path().join("lib.so");
    std::fs::write(&file, "x").unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let marker = tmp.path().join("restarted");

    // The app: a shell script in `work` that registers for restart with a command
    // that records its arguments and folder, then holds `file` open.
    let app = Command::new("sh")
        .arg("-c")
        .arg(
            "\"$0\" register-restart -- sh -c 'echo \"$1 $(pwd)\" > \"$2\"; exec sleep 30' restarted-sh ARG-ONE \"$2\" || exit 9; \
             exec 3<\"$1\"; while :; do sleep 0.05; done",
        )
        .arg(RSTMGR)
        .arg(&file)
        .arg(&marker)
        .current_dir(&work)
        .env("RSTMGR_STATE_DIR", &state)
        .spawn()
        .unwrap();
    let app = Guard(app);
    let pid = app.0.id();
    wait_for("the app to hold the file", Duration::from_secs(10), || {
        std::fs::read_link(format!("/proc/{pid}/fd/3")).is_ok()
    });

    let key = ok(rstmgr(&state, &["start"])).trim().to_owned();
    ok(rstmgr(
        &state,
        &["register", &key, "--file", file.to_str().unwrap()],
    ));
    let v = list_json(&state, &key);
    let e = entry(&v, pid).unwrap_or_else(|| panic!("app not listed: {v}"));
    assert_eq!(e["restartable"], true, "{v}");
    assert_eq!(e["status"], serde_json::json!(["running"]));

    ok(rstmgr(&state, &["shutdown", &key, "--timeout", "5"]));
    let v = list_json(&state, &key);
    let e = entry(&v, pid).unwrap();
    assert!(
        e["status"].as_array().unwrap().contains(&"stopped".into()),
        "{v}"
    );

    ok(rstmgr(&state, &["restart", &key]));
    wait_for("the relaunched app", Duration::from_secs(10), || {
        std::fs::read_to_string(&marker).is_ok_and(|t| t.ends_with('\n'))
    });
    let text = std::fs::read_to_string(&marker).unwrap();
    assert_eq!(text.trim(), format!("ARG-ONE {}", work.display()));
    let v = list_json(&state, &key);
    let e = entry(&v, pid).unwrap();
    assert!(
        e["status"]
            .as_array()
            .unwrap()
            .contains(&"restarted".into()),
        "{v}"
    );

    // Clean up the relaunched process: it runs `sleep 30` with the marker's folder
    // as cwd; find it by its command line.
    for p in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
        let Ok(n) = p.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if std::fs::read_link(format!("/proc/{n}/cwd")).is_ok_and(|c| c == work)
            && n != pid
            && std::fs::read_to_string(format!("/proc/{n}/cmdline"))
                .is_ok_and(|c| c.starts_with("sleep\0"))
        {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(n.to_string())
                .status();
        }
    }
    ok(rstmgr(&state, &["end", &key]));
}

#[test]
fn cancel_from_another_process_stops_a_running_shutdown() {
    let tmp = tempfile::tempdir().unwrap();
    let state: PathBuf = tmp.path().join("state");
    let file = tmp.path().join("held");
    std::fs::write(&file, "x").unwrap();
    // Ignores SIGTERM (an ignored signal stays ignored across exec).
    let stubborn = Guard(
        Command::new("sh")
            .arg("-c")
            .arg("trap '' TERM; exec 3<\"$0\"; exec sleep 30")
            .arg(&file)
            .spawn()
            .unwrap(),
    );
    let pid = stubborn.0.id();
    wait_for("the holder", Duration::from_secs(10), || {
        std::fs::read_link(format!("/proc/{pid}/fd/3")).is_ok()
    });
    // This test process is the primary: it starts the session, registers, runs a
    // shutdown in a child, and cancels it from another rstmgr process once the
    // session records the running shutdown.
    let key = ok(rstmgr(&state, &["start"])).trim().to_owned();
    ok(rstmgr(
        &state,
        &["register", &key, "--file", file.to_str().unwrap()],
    ));
    let started = Instant::now();
    let shutdown = Command::new(RSTMGR)
        .args(["shutdown", &key, "--timeout", "20"])
        .env("RSTMGR_STATE_DIR", &state)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let shutdown = Guard(shutdown);
    let sessions = state.join("sessions");
    wait_for(
        "the shutdown to be recorded as running",
        Duration::from_secs(10),
        || {
            std::fs::read_dir(&sessions).unwrap().any(|d| {
                std::fs::read_to_string(d.unwrap().path().join("state.json"))
                    .is_ok_and(|t| t.contains("\"task\":{"))
            })
        },
    );
    ok(rstmgr(&state, &["cancel", &key]));
    let mut shutdown = shutdown;
    let status = shutdown.0.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut shutdown.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ERROR_CANCELLED (1223)"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(15));
    // Not forced: the stubborn process still runs.
    assert!(std::fs::metadata(format!("/proc/{pid}")).is_ok());
}
