//! `rmsi install` and `rmsi msiexec` as a user meets them: the exit status (the Windows
//! code modulo 256) and the `rmsi: CODE NAME: ...` line on stderr, command-line errors
//! (1639), `--help`, the shape of the verbose log, and the root being created and removed
//! again. The package-level behaviour is in `e2e.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rmsi() -> Command {
    let mut cmd = test_support::rmsi();
    cmd.env_remove("RMSI_LOG");
    cmd
}

fn hello() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello/hello.msi")
}

struct Tmp {
    dir: tempfile::TempDir,
}

impl Tmp {
    fn new() -> Tmp {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("rm")).expect("mkdir");
        Tmp { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `rmsi ARGS...` with a private Restart Manager state folder.
    fn run(&self, args: &[&str]) -> Output {
        rmsi()
            .args(args)
            .env("RSTMGR_STATE_DIR", self.path("rm"))
            .output()
            .expect("run rmsi")
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn success_exits_0_and_says_so_on_stderr() {
    let t = Tmp::new();
    let root = t.path("root");
    let log = t.path("log.txt");
    let out = t.run(&[
        "install",
        hello().to_str().expect("utf-8"),
        "--root",
        root.to_str().expect("utf-8"),
        "--ui",
        "none",
        "--log",
        log.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out).trim_end(), "rmsi: 0 ERROR_SUCCESS");
    assert!(root.join("opt/rmsi-hello/hello.txt").is_file());
    // The root was created, and keeps the payload, the product registry and the cached
    // package (for an uninstall by product code), no staging.
    let mut state: Vec<String> = std::fs::read_dir(root.join("var/lib/rmsi"))
        .expect("the state folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    state.sort();
    assert_eq!(state, ["packages", "products.db"]);
}

#[test]
fn failure_prints_the_full_code_and_exits_modulo_256() {
    let t = Tmp::new();
    let missing = t.path("missing.msi");
    let root = t.path("root");
    let out = t.run(&[
        "install",
        missing.to_str().expect("utf-8"),
        "--root",
        root.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1619 % 256), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("rmsi: 1619 ERROR_INSTALL_PACKAGE_OPEN_FAILED: "),
        "{}",
        stderr(&out)
    );
    // The root it had to create is gone again.
    assert!(!root.exists(), "the failed install left its root behind");
}

/// A transform asked for that cannot be applied (here: missing) would install something
/// else than what was asked: the install does not happen (1624), and says why.
#[test]
fn a_transform_that_does_not_apply_ends_with_1624() {
    let t = Tmp::new();
    let root = t.path("root");
    let log = t.path("install.log");
    let out = t.run(&[
        "install",
        hello().to_str().expect("utf-8"),
        "--root",
        root.to_str().expect("utf-8"),
        "--log",
        log.to_str().expect("utf-8"),
        "TRANSFORMS=custom.mst",
    ]);
    assert_eq!(out.status.code(), Some(1624 % 256), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("rmsi: 1624 ERROR_INSTALL_TRANSFORM_FAILURE: "),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("custom.mst"), "{}", stderr(&out));
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("MainEngineThread is returning 1624"),
        "{text}"
    );
    assert!(!root.exists(), "the refused install left its root behind");
}

#[test]
fn log_that_cannot_be_opened_is_1622() {
    let t = Tmp::new();
    let root = t.path("root");
    let log = t.path("no/such/dir/log.txt");
    let out = t.run(&[
        "install",
        hello().to_str().expect("utf-8"),
        "--root",
        root.to_str().expect("utf-8"),
        "--log",
        log.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1622 % 256), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("rmsi: 1622 ERROR_INSTALL_LOG_FAILURE: "),
        "{}",
        stderr(&out)
    );
    assert!(!root.exists());
}

#[test]
fn bad_command_lines_are_1639() {
    let t = Tmp::new();
    let root = t.path("root");
    let pkg = hello();
    let pkg = pkg.to_str().expect("utf-8");
    let root = root.to_str().expect("utf-8");
    for args in [
        &["install", pkg, "--root", root, "NOEQUALS"][..],
        &["install", pkg, "--root", root, "1BAD=x"],
        &["install", pkg, "--root", root, "--layout", "mac"],
        &["install", pkg, "--root", root, "--ui", "loud"],
        &["install"],
        &["msiexec", "--root", root, "/i"],
        &["msiexec", "--root", root, "/i", pkg, "/qz"],
        &["msiexec", "--root", root, "/i", pkg, "stray"],
        &["msiexec", "--root", root, "/i", pkg, "P=\"unbalanced"],
    ] {
        let out = t.run(args);
        assert_eq!(
            out.status.code(),
            Some(1639 % 256),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("rmsi: 1639 ERROR_INVALID_COMMAND_LINE"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(
        !Path::new(root).exists(),
        "a refused command line created the root"
    );
}

#[test]
fn help_documents_the_modulo_256_exit_status() {
    for sub in ["install", "msiexec"] {
        let out = rmsi().args([sub, "--help"]).output().expect("run rmsi");
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("modulo 256"), "{sub} --help: {text}");
        assert!(
            text.contains("3010 ERROR_SUCCESS_REBOOT_REQUIRED -> 194"),
            "{sub} --help: {text}"
        );
        assert!(
            text.contains("1603 ERROR_INSTALL_FAILURE -> 67"),
            "{sub} --help: {text}"
        );
    }
}

/// Every line of a verbose log is one of the shapes real logs show ("How To Read A Windows
/// Installer Verbose Log").
#[test]
fn verbose_log_lines_have_the_windows_grammar() {
    let t = Tmp::new();
    let root = t.path("root");
    let log = t.path("log.txt");
    let out = t.run(&[
        "msiexec",
        "--root",
        root.to_str().expect("utf-8"),
        "/I",
        hello().to_str().expect("utf-8"),
        "/QN",
        "/L*V",
        log.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&log).expect("read the log");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("=== Verbose logging started: "),
        "{}",
        lines[0]
    );
    assert!(
        lines
            .last()
            .expect("lines")
            .starts_with("=== Verbose logging stopped: ")
    );
    let hms = |s: &str| {
        s.len() == 8
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 2 || i == 5 {
                    b == b':'
                } else {
                    b.is_ascii_digit()
                }
            })
    };
    let mut started = Vec::new();
    let mut ended = Vec::new();
    for line in &lines[1..lines.len() - 1] {
        if line.is_empty() {
            // Real logs frame the closing summary with blank lines.
            continue;
        }
        if let Some(rest) = line.strip_prefix("Action start ") {
            assert!(
                hms(&rest[..8]) && rest[8..].starts_with(": ") && rest.ends_with('.'),
                "{line}"
            );
            started.push(rest[10..rest.len() - 1].to_string());
        } else if let Some(rest) = line.strip_prefix("Action ended ") {
            assert!(hms(&rest[..8]), "{line}");
            let (name, value) = rest[10..]
                .split_once(". Return value ")
                .expect("return value");
            assert!(
                value.ends_with('.') && value[..value.len() - 1].parse::<u32>().is_ok(),
                "{line}"
            );
            ended.push(name.to_string());
        } else if let Some(rest) = line.strip_prefix("Property(S): ") {
            assert!(rest.contains(" = "), "{line}");
        } else {
            // Engine lines: MSI (s) (PP:TT) [HH:MM:SS:mmm]: text
            let rest = line
                .strip_prefix("MSI (s) (")
                .unwrap_or_else(|| panic!("stray line: {line}"));
            assert_eq!(&rest[2..3], ":", "{line}");
            assert_eq!(&rest[5..8], ") [", "{line}");
            assert!(
                hms(&rest[8..16]) && &rest[16..17] == ":" && &rest[20..23] == "]: ",
                "{line}"
            );
        }
    }
    // INSTALL brackets the others; each other action ends before the next starts.
    assert_eq!(started.first().map(String::as_str), Some("INSTALL"));
    assert_eq!(ended.last().map(String::as_str), Some("INSTALL"));
    assert_eq!(
        started[1..],
        ended[..ended.len() - 1],
        "actions out of order"
    );
    let last_engine = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("MSI (s)"))
        .expect("engine lines");
    assert!(
        last_engine.ends_with("]: MainEngineThread is returning 0"),
        "{last_engine}"
    );
    // The dump comes after the INSTALL action ended, and holds the product's properties.
    let end_install = lines
        .iter()
        .position(|l| l.starts_with("Action ended") && l.contains(": INSTALL. "))
        .expect("INSTALL ended");
    let first_dump = lines
        .iter()
        .position(|l| l.starts_with("Property(S): "))
        .expect("dump");
    assert!(first_dump > end_install);
    assert!(lines.contains(&"Property(S): ProductName = rmsi hello"));
    assert!(lines.contains(&"Property(S): UILevel = 2"));
    assert!(
        lines.iter().any(|l| l.ends_with(
            "]: Windows Installer installed the product. Product Name: rmsi hello. Product Version: 1.0.0. Product Language: 1033. Manufacturer: rmsi. Installation success or error status: 0."
        )),
        "{text}"
    );
}

#[test]
fn second_install_while_the_first_holds_the_root_is_1618() {
    // The first install is held inside a custom action by a FIFO; the second one, on the
    // same root, must end at once with 1618 and change nothing.
    let t = Tmp::new();
    let root = t.path("root");
    std::fs::create_dir(&root).expect("mkdir root");
    let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/packages/ca.msi");
    let flag = t.path("started");
    let mut first = rmsi()
        .args([
            "install",
            ca.to_str().expect("utf-8"),
            "--ui",
            "none",
            "--root",
        ])
        .arg(&root)
        .arg("PAUSE=2")
        .arg(format!("PAUSEFILE={}", flag.display()))
        .env("RSTMGR_STATE_DIR", t.path("rm"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the first install");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !flag.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first install never paused"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = t.run(&[
        "install",
        hello().to_str().expect("utf-8"),
        "--ui",
        "none",
        "--root",
        root.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1618 % 256), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("rmsi: 1618 ERROR_INSTALL_ALREADY_RUNNING: "),
        "{}",
        stderr(&out)
    );
    assert!(!root.join("opt/rmsi-hello").exists());
    let status = first.wait().expect("wait for the first install");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigterm_cancels_with_1602_and_rolls_back() {
    let t = Tmp::new();
    let root = t.path("root");
    std::fs::create_dir(&root).expect("mkdir root");
    std::fs::write(root.join("keep.txt"), "mine").expect("write");
    let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/packages/ca.msi");
    let flag = t.path("started");
    let child = rmsi()
        .args([
            "install",
            ca.to_str().expect("utf-8"),
            "--ui",
            "none",
            "--root",
        ])
        .arg(&root)
        .arg("PAUSE=1")
        .arg(format!("PAUSEFILE={}", flag.display()))
        .env("RSTMGR_STATE_DIR", t.path("rm"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the install");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !flag.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the install never paused"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait for the install");
    assert_eq!(out.status.code(), Some(1602 % 256), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("rmsi: 1602 ERROR_INSTALL_USEREXIT"),
        "{}",
        stderr(&out)
    );
    let left: Vec<_> = std::fs::read_dir(&root)
        .expect("read root")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        left,
        ["keep.txt"],
        "the cancelled install left something behind"
    );
}

#[test]
fn msiexec_quiet_is_silent_on_success_and_names_any_failure() {
    let t = Tmp::new();
    let root = t.path("root");
    let root = root.to_str().expect("utf-8");
    let pkg = hello();
    let pkg = pkg.to_str().expect("utf-8");
    let out = t.run(&["msiexec", "--root", root, "/i", pkg, "/qn"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "msiexec /qn prints nothing on success");
    assert!(out.stdout.is_empty());
    let out = t.run(&["msiexec", "--root", root, "/x", pkg, "/qn"]);
    assert_eq!((out.status.code(), stderr(&out).as_str()), (Some(0), ""));
    // A failure still prints its full code and name: the exit status holds 8 bits.
    let out = t.run(&["msiexec", "--root", root, "/x", pkg, "/qn"]);
    assert_eq!(out.status.code(), Some(1605 % 256));
    assert!(
        stderr(&out).starts_with("rmsi: 1605 ERROR_UNKNOWN_PRODUCT"),
        "{}",
        stderr(&out)
    );
    // With a UI level, the closing line is printed as `rmsi install` prints it.
    let out = t.run(&["msiexec", "--root", root, "/i", pkg, "/qb"]);
    assert_eq!(stderr(&out).trim_end(), "rmsi: 0 ERROR_SUCCESS");
}

#[test]
fn msiexec_help_lists_every_option_with_what_happens() {
    let t = Tmp::new();
    for help in [&["msiexec", "/?"][..], &["msiexec", "--help"][..]] {
        let out = t.run(help);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        for option in [
            "/i PKG",
            "/x PKG",
            "/uninstall",
            "/qn",
            "/passive",
            "/log FILE",
            "/norestart",
            "/forcerestart",
            "/promptrestart",
            "NAME=VALUE",
            "/f[pecmsuavo]",
            "/a PKG TARGETDIR=DIR",
            "/p PATCH.msp",
            "/update A.msp;B.msp",
            "/uninstall PATCH.msp|{PATCH-CODE}",
            "/j[u|m]",
        ] {
            assert!(
                text.contains(option),
                "{option} missing from {help:?}:\n{text}"
            );
        }
    }
}
