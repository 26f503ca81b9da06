//! The JSON outputs documented in `crates/cli/JSON.md`: each example there is parsed, the
//! command it documents is run for real, and every field the example shows must be in the
//! real output (in arrays, the first element's fields), so the page and the code cannot
//! drift apart.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

use serde_json::Value;

/// The documented examples: (heading, example object), in the page's order.
fn documented() -> Vec<(String, Value)> {
    let page = fs_err::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("JSON.md"))
        .expect("read JSON.md");
    let mut out = Vec::new();
    let mut heading = None;
    let mut block: Option<String> = None;
    for line in page.lines() {
        if let Some(h) = line.strip_prefix("### ") {
            heading = Some(h.trim_matches('`').to_string());
        } else if line == "```json" {
            block = Some(String::new());
        } else if line == "```" {
            if let (Some(text), Some(h)) = (block.take(), heading.take()) {
                let value: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("JSON.md, {h}: the example is not JSON: {e}"));
                out.push((h, value));
            }
        } else if let Some(text) = block.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

/// Every field of `doc` is in `real`, recursively; `path` names the place for the message.
fn check(doc: &Value, real: &Value, path: &str) {
    match (doc, real) {
        (Value::Object(d), Value::Object(r)) => {
            for (k, v) in d {
                let Some(rv) = r.get(k) else {
                    panic!("{path}.{k} is documented but missing from {real}");
                };
                check(v, rv, &format!("{path}.{k}"));
            }
        }
        (Value::Array(d), Value::Array(r)) => {
            if let (Some(d0), Some(r0)) = (d.first(), r.first()) {
                check(d0, r0, &format!("{path}[0]"));
            }
        }
        // A documented null or scalar stands for any value of that field.
        _ => {}
    }
}

fn json_of(out: &Output, what: &str) -> Value {
    assert!(
        out.status.success() || what.contains("validate") || what.contains("diff"),
        "{what}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not one JSON object ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// A `sleep` that holds `file` open (an fd) until it is killed.
struct Holder(Child);

impl Holder {
    fn new(file: &Path) -> Holder {
        Holder(
            Command::new("sh")
                .arg("-c")
                .arg("exec 3<\"$0\"; exec sleep 60")
                .arg(file)
                .spawn()
                .expect("spawn a holder"),
        )
    }

    fn wait_until_holding(&self, file: &Path) {
        for _ in 0..200 {
            let fds = fs_err::read_dir(format!("/proc/{}/fd", self.0.id()));
            if fds.is_ok_and(|mut d| {
                d.any(|e| e.is_ok_and(|e| fs_err::read_link(e.path()).is_ok_and(|l| l == file)))
            }) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("the holder never opened {}", file.display());
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn every_documented_field_is_in_the_real_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let held = dir.path().join("held");
    fs_err::write(&held, b"x").expect("write the held file");
    let rstmgr = |args: &[&str]| -> Output {
        Command::new(test_support::bin("rstmgr"))
            .args(args)
            .env("RSTMGR_STATE_DIR", &state)
            .output()
            .expect("run rstmgr")
    };
    let rmsi =
        |args: &[&str]| -> Output { test_support::rmsi().args(args).output().expect("run rmsi") };
    let held_s = held.to_str().expect("utf-8");
    let holder = Holder::new(&held);
    holder.wait_until_holding(&held);
    let sleeper = Holder::new(Path::new("/dev/null"));
    let start = rstmgr(&["start"]);
    assert!(start.status.success(), "{start:?}");
    let key = String::from_utf8_lossy(&start.stdout)
        .lines()
        .next()
        .expect("a key")
        .to_string();
    let pid = holder.0.id().to_string();
    let reg = rstmgr(&["register", &key, "--file", held_s, "--pid", &pid]);
    assert!(reg.status.success(), "{reg:?}");
    let filt = rstmgr(&["filter", &key, "--file", held_s, "--no-restart"]);
    assert!(filt.status.success(), "{filt:?}");

    let hello = test_support::example("hello/hello.msi");
    let hello = hello.to_str().expect("utf-8");
    let bad_size = test_support::package("bad-size.msi");
    let bad_size = bad_size.to_str().expect("utf-8");
    let broken: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../validate/tests/packages/components.msi");
    let broken = broken.to_str().expect("utf-8");

    let docs = documented();
    assert!(docs.len() >= 9, "JSON.md lost its examples: {docs:?}");
    for (heading, doc) in &docs {
        let real = match heading.as_str() {
            "rstmgr list KEY --json" => json_of(&rstmgr(&["list", &key, "--json"]), heading),
            "rstmgr filters KEY --json" => json_of(&rstmgr(&["filters", &key, "--json"]), heading),
            "rstmgr who PATH... --json" => json_of(&rstmgr(&["who", held_s, "--json"]), heading),
            "rstmgr stale --json" => json_of(&rstmgr(&["stale", "--json"]), heading),
            "rstmgr preflight FILE... --json" => {
                json_of(&rstmgr(&["preflight", "/usr/bin/sleep", "--json"]), heading)
            }
            // Last of the session's: it stops the holder.
            "rstmgr shutdown KEY --json" => continue,
            "rmsi validate PKG --json" => json_of(&rmsi(&["validate", broken, "--json"]), heading),
            "rmsi info PKG --json" => json_of(&rmsi(&["info", hello, "--json"]), heading),
            "rmsi diff A B --json" => json_of(&rmsi(&["diff", hello, bad_size, "--json"]), heading),
            other => panic!("JSON.md documents {other:?}, which this test does not run"),
        };
        check(doc, &real, heading);
    }
    let (heading, doc) = docs
        .iter()
        .find(|(h, _)| h == "rstmgr shutdown KEY --json")
        .expect("shutdown is documented");
    let real = json_of(
        &rstmgr(&["shutdown", &key, "--json", "--timeout", "5"]),
        heading,
    );
    check(doc, &real, heading);
    assert!(
        real["stopped"].as_array().is_some_and(|a| !a.is_empty()),
        "the holder was stopped: {real}"
    );
    let _ = rstmgr(&["end", &key]);
    drop(sleeper);
}
