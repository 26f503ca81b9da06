//! `rmsi condition` and `rmsi format`, run as the real binary: the CLI contract of issue 5
//! (output bytes, exit codes, `--` handling, options after the positional argument,
//! `--fields-json`, `--no-package`, defaults and `--unset`).

use std::process::Output;

fn rmsi(args: &[&str]) -> Output {
    test_support::rmsi()
        .args(args)
        .env_remove("RMSI_TEST_VAR")
        .output()
        .expect("run rmsi")
}

#[track_caller]
fn stdout_ok(args: &[&str]) -> String {
    let out = rmsi(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "rmsi {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[track_caller]
fn condition(args: &[&str]) -> String {
    let mut all = vec!["condition"];
    all.extend_from_slice(args);
    stdout_ok(&all)
}

#[track_caller]
fn format(args: &[&str]) -> String {
    let mut all = vec!["format"];
    all.extend_from_slice(args);
    stdout_ok(&all)
}

#[test]
fn condition_prints_one_word_and_exits_zero() {
    assert_eq!(condition(&["1"]), "true\n");
    assert_eq!(condition(&["0"]), "false\n");
    assert_eq!(condition(&[""]), "none\n");
    assert_eq!(condition(&["   "]), "none\n");
    assert_eq!(condition(&["\"A\" ~ = \"a\""]), "error\n");
    assert_eq!(condition(&["(((((1))))))"]), "error\n");
    assert_eq!(condition(&["1 XOR 1 OR 1"]), "false\n");
}

#[test]
fn double_dash_takes_the_expression_as_is() {
    assert_eq!(condition(&["--", "-1 >= 0"]), "false\n");
    assert_eq!(condition(&["--", "-1"]), "true\n");
    // A lone negative number is a value, not a flag, even without `--`.
    assert_eq!(condition(&["-1"]), "true\n");
    assert_eq!(condition(&["-0"]), "false\n");
    assert_eq!(condition(&["--property", "P=5", "--", "-5 < P"]), "true\n");
    assert_eq!(
        format(&["--fields-json", "[\"x\"]", "--", "-[1]-"]),
        "-x-\n"
    );
    assert_eq!(format(&["--", "--property"]), "--property\n");
}

#[test]
fn options_may_follow_the_expression() {
    assert_eq!(condition(&["P = \"x\"", "--property", "P=x"]), "true\n");
    assert_eq!(condition(&["VersionNT", "--unset", "VersionNT"]), "false\n");
    assert_eq!(
        format(&["[1]-[P]", "--property", "P=p", "--fields-json", "[\"f\"]"]),
        "f-p\n"
    );
}

#[test]
fn properties_unset_and_environment() {
    assert_eq!(
        condition(&["--property", "A=7", "--property", "X=50", "A <= X"]),
        "true\n"
    );
    assert_eq!(condition(&["--property", "mm=5", "mm = 5"]), "true\n");
    assert_eq!(condition(&["--property", "P=a=b", "P = \"a=b\""]), "true\n");
    // An empty value deletes the property, as MsiSetProperty does.
    assert_eq!(
        condition(&["--property", "VersionNT=", "VersionNT"]),
        "false\n"
    );
    assert_eq!(
        condition(&["--env", "RMSI_TEST_VAR=hello", "%RMSI_TEST_VAR = \"hello\""]),
        "true\n"
    );
    assert_eq!(
        condition(&["--env", "RMSI_TEST_VAR=hello", "%rmsi_test_var = \"hello\""]),
        "true\n"
    );
    assert_eq!(condition(&["%RMSI_TEST_VAR"]), "false\n");
    assert_eq!(
        format(&["--env", "RMSI_TEST_VAR=v", "[%RMSI_TEST_VAR]"]),
        "v\n"
    );
    // The process's own environment is visible too.
    let out = test_support::rmsi()
        .args(["condition", "%RMSI_TEST_VAR = \"from-process\""])
        .env("RMSI_TEST_VAR", "from-process")
        .output()
        .expect("run rmsi");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "true\n");
}

#[test]
fn installer_properties_are_present_by_default() {
    assert_eq!(
        condition(&[
            "VersionNT = 601 AND VersionNT64 = 601 AND WindowsBuild = 7601 AND ServicePackLevel = 1"
        ]),
        "true\n"
    );
    assert_eq!(condition(&["NOT Installed AND VersionNT >= 601"]), "true\n");
    for p in [
        "VersionMsi",
        "LogonUser",
        "ComputerName",
        "UserSID",
        "ProgramFilesFolder",
        "TempFolder",
        "WindowsFolder",
        "AppDataFolder",
        "Date",
        "Time",
        "Msix64",
        "Intel",
    ] {
        assert_eq!(condition(&[p]), "true\n", "{p} should be set by default");
        assert_eq!(condition(&[p, "--unset", p]), "false\n", "--unset {p}");
    }
    let folder = format(&["[TempFolder]"]);
    assert!(
        folder.ends_with("/\n"),
        "folders end with a separator: {folder:?}"
    );
    let time = format(&["[Time]"]);
    assert!(time.len() == 9 && time.as_bytes()[2] == b':', "{time:?}");
    let root = rustix_like_is_root();
    assert_eq!(
        condition(&["Privileged"]),
        if root { "true\n" } else { "false\n" }
    );
}

fn rustix_like_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

#[test]
fn format_with_fields_json() {
    assert_eq!(
        format(&["--fields-json", "[\"boo\", 4567, null]"]),
        "1: boo 2: 4567 3:  \n"
    );
    assert_eq!(format(&["--fields-json", "[]"]), "\n");
    assert_eq!(format(&["", "--fields-json", "[\"a\"]"]), "1: a \n");
    assert_eq!(
        format(&[
            "--fields-json",
            "[\"2\", \"hey\", \"1\"]",
            "{[3][1]} [2] {[4]x}"
        ]),
        "12 hey \n"
    );
    assert_eq!(
        format(&["[1] [2]", "--fields-json", "[100, -100]"]),
        "100 -100\n"
    );
    // [~] is a real NUL in the output.
    let out = rmsi(&[
        "format",
        "[1] [~] [2]",
        "--fields-json",
        "[\"boo\",\"hoo\"]",
    ]);
    assert_eq!(out.stdout, b"boo \0 hoo\n");
}

#[test]
fn format_without_a_package() {
    assert_eq!(
        format(&[
            "--no-package",
            "--property",
            "P=x",
            "--fields-json",
            "[\"boo\"]",
            "[1] [P] [~] [\\x] {[P]}"
        ]),
        "boo [P] [~] [\\x] {[P]}\n"
    );
    assert_eq!(format(&["--property", "P=x", "[P] {[P]}"]), "x x\n");
    assert_eq!(format(&["--no-package", "{{log}}a{}b"]), "ab\n");
}

#[test]
fn an_operand_that_cannot_be_a_flag_needs_no_double_dash() {
    assert_eq!(condition(&["-1 >= 0"]), "false\n");
    assert_eq!(condition(&["-1 < 0", "--property", "X=1"]), "true\n");
    assert_eq!(format(&["-[X]", "--property", "X=7"]), "-7\n");
}

#[test]
fn bad_flags_exit_two_with_usage() {
    for args in [
        &["condition", "--bogus", "1"][..],
        &["condition"],
        &["condition", "--property", "NOEQUALS", "1"],
        &["condition", "1", "2"],
        &["format", "--fields-json", "{\"a\":1}"],
        &["format", "--fields-json", "[1.5]"],
        &["format", "--fields-json", "not json"],
        &["format", "--no-such-flag"],
    ] {
        let out = rmsi(args);
        assert_eq!(out.status.code(), Some(2), "rmsi {args:?}");
        assert!(out.stdout.is_empty(), "rmsi {args:?} printed to stdout");
        let err = String::from_utf8_lossy(&out.stderr);
        // The program's name first, then what is wrong (and clap's usage lines).
        assert!(err.starts_with("rmsi: "), "rmsi {args:?}: {err}");
    }
}

/// `Date` and `Time` are local time, as on Windows: the system's time zone (here `TZ`)
/// decides. Fourteen hours east and twelve west of UTC are never on the same date.
#[test]
fn date_and_time_follow_the_local_time_zone() {
    let at = |tz: &str| -> String {
        let out = test_support::rmsi()
            .args(["format", "[Date]|[Time]"])
            .env("TZ", tz)
            .output()
            .expect("run rmsi");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let east = at("UTC-14");
    let west = at("UTC+12");
    let (east_date, east_time) = east.split_once('|').expect("date|time");
    let (west_date, west_time) = west.split_once('|').expect("date|time");
    assert_ne!(east_date, west_date);
    // Two hours apart on the clock face (26 hours less a day), give or take the second
    // that may pass between the runs.
    let minutes = |t: &str| -> i64 {
        let mut f = t.split(':').map(|x| x.parse::<i64>().expect("number"));
        f.next().expect("hours") * 60 + f.next().expect("minutes")
    };
    let diff = (minutes(east_time) - minutes(west_time)).rem_euclid(24 * 60);
    assert!((119..=121).contains(&diff), "{east} / {west}");
    assert_eq!(east_date.len(), 10, "MM/DD/YYYY: {east_date}");
}
