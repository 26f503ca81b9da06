//! `rmsi validate` as a user runs it: the text, `--json` and `--sarif` outputs, `--ice`,
//! `--skip` and `--warnings-as-errors`, and the exit status (0 no errors, 1 errors, 2 usage
//! error, 3 the package cannot be read). The packages are the validator's own test packages
//! (`crates/validate/tests/packages/`, built by its `build.sh`).

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use test_support::{stderr, stdout};

fn package(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../validate/tests/packages")
        .join(format!("{name}.msi"))
}

fn run(args: &[&str]) -> Output {
    test_support::rmsi()
        .arg("validate")
        .args(args)
        .output()
        .expect("run rmsi")
}

fn path(name: &str) -> String {
    package(name).to_string_lossy().into_owned()
}

#[test]
fn clean_package_exits_0_with_the_summary_only() {
    let out = run(&[&path("clean")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "0 errors, 0 warnings\n");
}

#[test]
fn text_lines_then_summary_and_exit_1_on_errors() {
    let out = run(&[&path("components"), "--ice", "ICE30,ICE21"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "ICE21 error Component.Row 'Orphan': Component: 'Orphan' does not belong to any Feature."
    );
    assert_eq!(
        lines[1],
        "ICE30 error File.Row 'Readme': The target file 'readme.txt' is installed in \
         'SOURCEDIR\\RMSI-VALIDATE' by two different components on an SFN system: 'App' and \
         'Clash'. This breaks component reference counting."
    );
    assert_eq!(lines.len(), 6, "{text}");
    assert_eq!(lines[5], "5 errors, 0 warnings");
}

#[test]
fn warnings_alone_exit_0_unless_warnings_as_errors() {
    let args = [path("components"), "--ice".into(), "ICE09".into()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "ICE09 warning Component.Row 'Sys': Component: Sys is a non-permanent system component\n\
         0 errors, 1 warnings\n"
    );
    let mut strict = args.clone();
    strict.push("--warnings-as-errors");
    assert_eq!(run(&strict).status.code(), Some(1));
}

#[test]
fn skip_leaves_rules_out() {
    let out = run(&[&path("ui-broken"), "--skip", "ICE17,ICE34,ice44"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.lines()
            .all(|l| !l.starts_with("ICE17") && !l.starts_with("ICE34")),
        "{text}"
    );
    assert!(
        text.contains("ICE50 error Shortcut.Row 'AdvShortcut'"),
        "{text}"
    );
    assert!(text.ends_with("1 errors, 1 warnings\n"), "{text}");
}

#[test]
fn json_has_the_contract_shape() {
    let p = path("ui-broken");
    let out = run(&[&p, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["errors", "findings", "package", "warnings"]);
    assert_eq!(v["package"], p.as_str());
    assert_eq!(v["errors"], 5);
    assert_eq!(v["warnings"], 2);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 7);
    let first = &findings[0];
    let mut fkeys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fkeys.sort();
    assert_eq!(
        fkeys,
        ["column", "message", "row", "rule", "severity", "table"]
    );
    assert_eq!(first["rule"], "ICE17");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["table"], "Control");
    assert_eq!(first["row"], serde_json::json!(["Dlg", "Next"]));
    assert_eq!(first["column"], "Control");
    assert_eq!(
        first["message"],
        "PushButton: Next of Dialog: Dlg does not have an event defined in the ControlEvent table."
    );
    // A finding about a whole table has null row.
    let out = run(&[&path("properties"), "--json", "--ice", "ICE05"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["table"], "Property");
    assert_eq!(v["findings"][0]["row"], Value::Null);
    assert_eq!(v["findings"][0]["column"], Value::Null);
    assert_eq!(v["findings"][0]["severity"], "error");
}

#[test]
fn sarif_has_one_rule_per_ice_with_help_and_results() {
    let p = path("sequences");
    let out = run(&[&p, "--sarif"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("a SARIF log");
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 40);
    for r in rules {
        assert!(!r["help"]["text"].as_str().unwrap().is_empty(), "{r}");
    }
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"ICE27") && ids.contains(&"RMSI01"));
    let results = run0["results"].as_array().unwrap();
    let rmsi01: Vec<&Value> = results.iter().filter(|r| r["ruleId"] == "RMSI01").collect();
    assert_eq!(rmsi01.len(), 2);
    assert_eq!(rmsi01[0]["level"], "error");
    let index = rmsi01[0]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "RMSI01");
    assert_eq!(
        rmsi01[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        p.as_str()
    );
    let warning = results.iter().find(|r| r["ruleId"] == "ICE84").unwrap();
    assert_eq!(warning["level"], "warning");
}

#[test]
fn usage_errors_exit_2() {
    let clean = path("clean");
    for args in [
        vec![clean.as_str(), "--ice", "ICE999"],
        vec![clean.as_str(), "--skip", "NOPE"],
        vec![clean.as_str(), "--json", "--sarif"],
        vec![clean.as_str(), "--bogus"],
        vec![],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = run(&[&clean, "--ice", "ICE999"]);
    assert!(
        stderr(&out).contains("unknown rule \"ICE999\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unreadable_package_exits_3_with_the_reason() {
    let out = run(&["/nonexistent/x.msi"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("cannot read /nonexistent/x.msi"), "{err}");
    assert!(err.contains("No such file"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.msi");
    std::fs::write(&junk, b"not a compound file").unwrap();
    let out = run(&[junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("not a valid installer package"),
        "{}",
        stderr(&out)
    );
}
