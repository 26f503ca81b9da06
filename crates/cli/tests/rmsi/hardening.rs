//! What a hostile run or a bad day finds (issue 11's engine side): the commit point and a
//! rollback that cannot finish under injected I/O errors (`strace -e inject=…` on the real
//! binary, matched by file name with `-P`), reads and recovery under the root lock, a FIFO
//! for a package, `umask 000`, an unwritable standard error, a second run's log, and
//! payload on another file system (a tmpfs the test mounts; skipped, saying why, when it
//! cannot) staged on that file system and killed at every recorded change.
//! Tests that need `strace` say so and stop when it is missing (scripts/test.sh installs it).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use test_support::e2e::{
    Ctx, Layout, Run, package, run_command, run_command_within, tree, wait_run,
};

const HELLO_CODE: &str = "{0D4F6B50-5E6F-4071-8233-4E5F60718291}";

fn hello() -> PathBuf {
    test_support::example("hello/hello.msi")
}

/// `strace`, or `None` (with the reason printed) when it is not installed.
#[allow(clippy::print_stdout)]
fn strace() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("strace"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        println!("skipped: strace is not installed (apt-get install strace)");
    }
    found
}

/// `rmsi ARGS…` of `cmd` run under `strace -f` with `faults` (`-P`, `-e` arguments).
fn under_strace(strace: &Path, cmd: &Command, faults: &[&str]) -> Command {
    let mut traced = Command::new(strace);
    traced.args(["-f", "-qq", "-o", "/dev/null"]).args(faults);
    traced.arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => traced.env(k, v),
            None => traced.env_remove(k),
        };
    }
    traced.stdin(Stdio::null());
    traced
}

/// The `staging-*` folders of the FHS state folder.
fn staging(root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(root.join("var/lib/rmsi"))
        .map(|d| {
            d.map(|e| e.expect("entry").path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("staging-"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A root that already holds the user's own `hello.txt` where the package puts its own.
fn root_with_original(ctx: &Ctx) -> PathBuf {
    let original = ctx.root.join("opt/rmsi-hello/hello.txt");
    std::fs::create_dir_all(original.parent().expect("parent")).expect("mkdir");
    std::fs::write(&original, "the user's original\n").expect("write");
    original
}

#[test]
fn a_commit_point_that_fails_is_not_reported_as_success() {
    let Some(strace) = strace() else { return };
    let ctx = Ctx::new();
    let original = root_with_original(&ctx);
    let before = tree(&ctx.root);
    // Every removal of the journal fails: the commit point cannot be passed.
    let cmd = ctx.install_command(&hello(), Layout::Fhs, &[]);
    let run = ctx.finish(&mut under_strace(
        &strace,
        &cmd,
        &[
            "-P",
            "journal",
            "-e",
            "trace=unlinkat",
            "-e",
            "inject=unlinkat:error=EIO",
        ],
    ));
    run.assert_code(1603);
    assert!(
        run.stderr.contains("cannot commit: the install journal"),
        "{}",
        run.describe()
    );
    // Not kept: the root is as it was (the journal, which could not go, waits for the
    // next run, with its staging folder).
    assert_eq!(
        std::fs::read_to_string(&original).expect("read"),
        "the user's original\n"
    );
    assert!(!ctx.root.join("opt/rmsi-hello/doc").exists());
    // The next run of any kind finishes: nothing installed, nothing left.
    let next = ctx.uninstall(HELLO_CODE, Layout::Fhs, &[]);
    next.assert_code(1605);
    assert_eq!(tree(&ctx.root), before, "{}", next.describe());
}

#[test]
fn a_rollback_that_cannot_finish_keeps_the_originals_for_the_next_run() {
    let Some(strace) = strace() else { return };
    let ctx = Ctx::new();
    let original = root_with_original(&ctx);
    let before = tree(&ctx.root);
    // The commit point fails, so the install rolls back; and every rename of hello.txt
    // after the two that installed it (moved aside, placed) fails: the original cannot be
    // put back.
    let cmd = ctx.install_command(&hello(), Layout::Fhs, &[]);
    let run = ctx.finish(&mut under_strace(
        &strace,
        &cmd,
        &[
            "-P",
            "journal",
            "-P",
            "hello.txt",
            "-e",
            "trace=unlinkat,renameat,renameat2",
            "-e",
            "inject=unlinkat:error=EIO",
            "-e",
            "inject=renameat:error=EIO:when=3+",
        ],
    ));
    run.assert_code(1603);
    assert!(
        run.stderr.contains("the rollback could not finish")
            && run
                .stderr
                .contains("the next run on this root retries the rollback"),
        "{}",
        run.describe()
    );
    // The journal and the staging folder, with the original, are still there.
    assert!(
        ctx.root.join("var/lib/rmsi/journal").is_file(),
        "{}",
        run.describe()
    );
    let kept: Vec<String> = staging(&ctx.root)
        .iter()
        .flat_map(|s| std::fs::read_dir(s).expect("ls"))
        .filter_map(|e| std::fs::read_to_string(e.expect("entry").path()).ok())
        .collect();
    assert!(
        kept.iter().any(|c| c == "the user's original\n"),
        "the original is gone: {kept:?}"
    );
    // The next run (any command) retries the rollback, and the original is back.
    let next = ctx.uninstall(HELLO_CODE, Layout::Fhs, &[]);
    next.assert_code(1605);
    assert!(next.log.contains("Rollback of an interrupted installation"));
    assert_eq!(
        std::fs::read_to_string(&original).expect("read"),
        "the user's original\n"
    );
    assert_eq!(tree(&ctx.root), before, "{}", next.describe());
}

#[test]
fn an_uninstall_killed_at_its_commit_point_leaves_the_product_installed() {
    let Some(strace) = strace() else { return };
    let ctx = Ctx::new();
    ctx.install(&hello(), Layout::Fhs, &[]).assert_code(0);
    let installed = tree(&ctx.root);
    // Killed as it removes the journal: the registry was rewritten, not committed.
    let mut cmd = ctx.rmsi();
    cmd.args(["uninstall", HELLO_CODE, "--root"])
        .arg(&ctx.root)
        .args(["--ui", "none"]);
    let killed = run_command(
        &mut under_strace(
            &strace,
            &cmd,
            &[
                "-P",
                "journal",
                "-e",
                "trace=unlinkat",
                "-e",
                "inject=unlinkat:error=EIO:signal=KILL",
            ],
        ),
        None,
    );
    assert_ne!(killed.code, Some(0), "{}", killed.describe());
    assert!(ctx.root.join("var/lib/rmsi/journal").is_file());
    // The next uninstall reads the registry after the recovery: the product is there.
    let again = ctx.uninstall(HELLO_CODE, Layout::Fhs, &[]);
    again.assert_code(0);
    assert!(
        again
            .log
            .contains("Rollback of an interrupted installation"),
        "{}",
        again.describe()
    );
    assert!(
        tree(&ctx.root).is_empty(),
        "{:?} (was {installed:?})",
        tree(&ctx.root)
    );
}

#[test]
fn a_run_that_fails_at_once_still_finishes_the_pending_recovery() {
    let ctx = Ctx::new();
    let original = root_with_original(&ctx);
    let before = tree(&ctx.root);
    // An install killed half-way leaves its journal.
    let mut cmd = ctx.install_command(&hello(), Layout::Fhs, &[]);
    cmd.env("RMSI_TEST_CRASH_AFTER", "2");
    let killed = ctx.finish(&mut cmd);
    assert_eq!(killed.code, None, "{}", killed.describe());
    assert!(ctx.root.join("var/lib/rmsi/journal").is_file());
    // The next command fails for its own reason (no such package), after the recovery.
    let missing = ctx.path("missing.msi");
    let run = ctx.uninstall(missing.to_str().expect("utf-8"), Layout::Fhs, &[]);
    run.assert_code(1619);
    assert!(run.log.contains("Rollback of an interrupted installation"));
    assert_eq!(tree(&ctx.root), before);
    assert_eq!(
        std::fs::read_to_string(&original).expect("read"),
        "the user's original\n"
    );
}

#[test]
fn a_fifo_for_a_package_is_refused_before_anything_happens() {
    let ctx = Ctx::new();
    let fifo = ctx.path("package.msi");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let root = ctx.path("new-root");
    let log = ctx.path("fifo.log");
    for verb in ["install", "uninstall"] {
        let mut cmd = ctx.rmsi();
        cmd.arg(verb)
            .arg(&fifo)
            .arg("--root")
            .arg(&root)
            .args(["--ui", "none", "--log"])
            .arg(&log);
        let run = run_command_within(&mut cmd, None, Duration::from_secs(20));
        run.assert_code(1619);
        assert!(
            run.stderr.contains("not a regular file"),
            "{}",
            run.describe()
        );
        assert!(!root.exists(), "{verb}: the root was created");
        assert!(!log.exists(), "{verb}: the log was created");
    }
    // Nor is the root's lock taken: a FIFO over an existing root fails as fast.
    let started = Instant::now();
    let mut cmd = ctx.install_command(&fifo, Layout::Fhs, &[]);
    ctx.finish(&mut cmd).assert_code(1619);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(tree(&ctx.root).is_empty());
}

#[test]
fn umask_000_opens_no_folder_wider_than_its_mode() {
    let ctx = Ctx::new();
    let root = ctx.path("fresh");
    let cmd = ctx.install_command(&hello(), Layout::Fhs, &[]);
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg("umask 000; exec \"$@\"")
        .arg("sh")
        .arg(cmd.get_program());
    // Same arguments, another root (one that does not exist yet).
    let args: Vec<_> = cmd.get_args().map(|a| a.to_os_string()).collect();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && args[i - 1] == "--root" {
            shell.arg(&root);
        } else {
            shell.arg(a);
        }
    }
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            shell.env(k, v);
        }
    }
    let run = ctx.finish(&mut shell);
    run.assert_code(0);
    let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&root), 0o755, "the root");
    for dir in ["var", "var/lib"] {
        assert_eq!(mode(&root.join(dir)), 0o755, "{dir}");
    }
    for dir in ["var/lib/rmsi", "var/lib/rmsi/packages"] {
        assert_eq!(mode(&root.join(dir)), 0o700, "{dir}");
    }
    for entry in tree(&root) {
        let m = mode(&root.join(entry.trim_end_matches('/')));
        assert_eq!(m & 0o022, 0, "{entry} is writable by others ({m:o})");
    }
}

#[test]
fn an_unwritable_standard_error_never_changes_the_exit_status() {
    let ctx = Ctx::new();
    // /dev/full: every write fails with ENOSPC.
    let mut cmd = ctx.install_command(&hello(), Layout::Fhs, &[]);
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let status = cmd
        .stderr(full)
        .stdout(Stdio::null())
        .status()
        .expect("run");
    assert_eq!(status.code(), Some(0), "{status:?}");
    let mut cmd = ctx.rmsi();
    cmd.arg("uninstall")
        .arg(ctx.path("missing.msi"))
        .arg("--root")
        .arg(&ctx.root)
        .args(["--ui", "none"]);
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let status = cmd
        .stderr(full)
        .stdout(Stdio::null())
        .status()
        .expect("run");
    assert_eq!(status.code(), Some(1619 % 256), "{status:?}");
    // A closed pipe: its reader is gone before rmsi writes (EPIPE; SIGPIPE is ignored).
    let code = ctx.path("code");
    let cmd = ctx.install_command(&hello(), Layout::Fhs, &[]);
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg("out=$1; shift; { \"$@\"; echo $? > \"$out\"; } 2>&1 >/dev/null | true")
        .arg("sh")
        .arg(&code)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            shell.env(k, v);
        }
    }
    assert!(shell.status().expect("sh").success());
    assert_eq!(
        std::fs::read_to_string(&code).expect("code").trim(),
        "0",
        "a closed standard error changed the exit status"
    );
}

#[test]
fn a_run_that_ends_with_1618_leaves_the_first_runs_log_alone() {
    let ctx = Ctx::new();
    let paused = ctx.path("paused");
    let first = ctx
        .install_command(
            &test_support::package("ca.msi"),
            Layout::Fhs,
            &["PAUSE=3", &format!("PAUSEFILE={}", paused.display())],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the first install");
    let start = Instant::now();
    while !paused.exists() {
        assert!(start.elapsed() < Duration::from_secs(30), "never paused");
        std::thread::sleep(Duration::from_millis(10));
    }
    let written = std::fs::read(&ctx.log).expect("the first log");
    // The second run names the very same log file.
    let second = ctx.install(&hello(), Layout::Fhs, &[]);
    second.assert_code(1618);
    let now = std::fs::read(&ctx.log).expect("the first log");
    assert!(
        now.starts_with(&written),
        "the first run's log was truncated or rewritten"
    );
    let first: Run = wait_run(first, Some(&ctx.log));
    first.assert_code_logged(0);
    assert!(first.log.starts_with("=== Verbose logging started"));
    assert!(!first.log.contains("1618"), "{}", first.log);
}

#[test]
fn a_cancel_during_the_old_versions_removal_ends_with_1602() {
    let ctx = Ctx::new();
    let layout = Layout::Fhs;
    ctx.install(&test_support::package("upgrade-v1.msi"), layout, &[])
        .assert_code(0);
    // Version 1's removal-time custom action appends a line to this file: a FIFO holds
    // it there until the test reads, so the signal comes in the middle of the removal.
    let marker = ctx
        .root
        .join(layout.common_app_data())
        .join("upgrade-removals.txt");
    std::fs::create_dir_all(marker.parent().expect("parent")).expect("mkdir");
    let status = Command::new("mkfifo")
        .arg(&marker)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let installed = tree(&ctx.root);
    let upgrade = ctx
        .install_command(&test_support::package("upgrade-v2.msi"), layout, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the upgrade");
    // The custom action's shell waits in its open of the FIFO (for a reader): the signal
    // comes then, before the test opens the FIFO and lets it finish.
    let started = Instant::now();
    while !shell_writing_to(&marker) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the removal never ran"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    let status = Command::new("kill")
        .args(["-TERM", &upgrade.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(200));
    let mut fifo = std::fs::File::open(&marker).expect("open the FIFO");
    let mut line = String::new();
    std::io::Read::read_to_string(&mut fifo, &mut line).expect("read the FIFO");
    assert!(line.starts_with("removed"), "{line:?}");
    let run = wait_run(upgrade, Some(&ctx.log));
    run.assert_code(1602);
    assert!(
        run.stderr.starts_with("rmsi: 1602 ERROR_INSTALL_USEREXIT"),
        "{}",
        run.describe()
    );
    assert!(!run.log.contains("Error 1714"), "{}", run.log);
    // Version 1 is still installed, as it was.
    assert_eq!(tree(&ctx.root), installed);
}

/// Whether a process runs with `path` in its command line (the custom action's shell).
fn shell_writing_to(path: &Path) -> bool {
    let needle = path.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
                .any(|c| String::from_utf8_lossy(&c).contains(&needle))
        })
        .unwrap_or(false)
}

/// A tmpfs mounted by the test, unmounted when dropped.
struct Mounted(PathBuf);

impl Mounted {
    /// Mounts a small tmpfs on `at` (root only), or `None` with the reason printed.
    #[allow(clippy::print_stdout)]
    fn tmpfs(at: &Path) -> Option<Mounted> {
        std::fs::create_dir_all(at).expect("mkdir");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64m,mode=0755", "rmsi-test"])
            .arg(at)
            .output()
            .expect("run mount");
        if !out.status.success() {
            println!(
                "skipped: cannot mount a second file system (root only): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return None;
        }
        Some(Mounted(at.to_path_buf()))
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Every regular file under `root` with its mode and contents (relative paths).
fn contents(root: &Path) -> BTreeMap<String, (u32, Vec<u8>)> {
    tree(root)
        .into_iter()
        .filter(|p| !p.ends_with('/') && !p.ends_with('@'))
        .map(|p| {
            let path = root.join(&p);
            let mode = std::fs::symlink_metadata(&path)
                .expect("lstat")
                .permissions()
                .mode();
            (p, (mode & 0o7777, std::fs::read(&path).expect("read")))
        })
        .collect()
}

/// Whether `path` (relative to the root) is in a staging folder: the state folder's
/// `staging-*` or another mount's `.rmsi-staging-*`.
fn in_staging(path: &str) -> bool {
    path.split('/')
        .any(|c| c.starts_with(".rmsi-staging-") || c.starts_with("staging-"))
}

/// Payload on another file system than the state folder (a separate `/opt`, a tmpfs the
/// test mounts): its files are staged in a staging folder on that file system
/// (`opt/.rmsi-staging-*`), so that placing one, moving the user's original aside and
/// putting it back are renames there. An install over the user's own file, then a repair
/// (`msiexec /famus`: every file replaced) and the uninstall, each killed at every change
/// it records: killed, no target holds anything but what was there or the whole new file
/// (no temporary file beside it), and a file's copy is found whole in that staging folder
/// while its target still holds the user's file (killed between the copy and the rename);
/// the next run puts the root back exactly (contents and modes) and leaves no staging
/// folder anywhere. Run to its end, each succeeds and leaves none either.
#[test]
fn payload_on_another_file_system_is_staged_on_that_file_system() {
    let ctx = Ctx::new();
    let Some(_opt) = Mounted::tmpfs(&ctx.root.join("opt")) else {
        return;
    };
    // What the package installs, from a clean install elsewhere.
    let reference = Ctx::new();
    reference.install(&hello(), Layout::Fhs, &[]).assert_code(0);
    let payload = contents(&reference.root);
    let original = root_with_original(&ctx);
    let no_staging = |when: &str| {
        let left: Vec<String> = tree(&ctx.root)
            .into_iter()
            .filter(|p| in_staging(p))
            .collect();
        assert!(left.is_empty(), "{when}: staging left: {left:?}");
    };
    let mut copied_not_renamed = 0;
    let package = hello();
    let phases: [(&str, Vec<&str>); 3] = [
        ("install", vec!["install", package.to_str().expect("utf-8")]),
        ("repair", vec!["msiexec", "/famus", HELLO_CODE, "/qn"]),
        ("uninstall", vec!["uninstall", HELLO_CODE]),
    ];
    for (phase, args) in &phases {
        let before = contents(&ctx.root);
        let mut killed = 0;
        for crash_after in 1..60 {
            let mut cmd = ctx.rmsi();
            cmd.args(args)
                .arg("--root")
                .arg(&ctx.root)
                .env("RMSI_TEST_CRASH_AFTER", crash_after.to_string());
            if !args.contains(&"msiexec") {
                cmd.args(["--layout", "fhs", "--ui", "none"]);
            }
            let run = ctx.finish(&mut cmd);
            if run.code.is_some() {
                // Fewer changes than this: the run went to its end.
                run.assert_code(0);
                no_staging(phase);
                break;
            }
            killed += 1;
            let now = contents(&ctx.root);
            for (path, (mode, bytes)) in &now {
                if in_staging(path) || path.starts_with("var/lib/rmsi/") {
                    continue;
                }
                let known = before.get(path) == Some(&(*mode, bytes.clone()))
                    || payload.get(path) == Some(&(*mode, bytes.clone()));
                assert!(
                    known && !path.ends_with(".tmp"),
                    "{phase}, crash point {crash_after}: {path} is neither what was there nor the package's file"
                );
            }
            // Killed between a file's copy into that staging folder and its rename.
            let waiting = now.iter().any(|(path, (_, bytes))| {
                path.starts_with("opt/.rmsi-staging-")
                    && bytes == &payload["opt/rmsi-hello/hello.txt"].1
                    && now.get("opt/rmsi-hello/hello.txt").map(|f| &f.1)
                        == before.get("opt/rmsi-hello/hello.txt").map(|f| &f.1)
                    && before.contains_key("opt/rmsi-hello/hello.txt")
            });
            copied_not_renamed += usize::from(waiting);
            let next = ctx.uninstall(
                ctx.path("missing.msi").to_str().expect("utf-8"),
                Layout::Fhs,
                &[],
            );
            next.assert_code(1619);
            assert_eq!(
                contents(&ctx.root),
                before,
                "{phase}, crash point {crash_after}: {}",
                next.describe()
            );
            no_staging(phase);
        }
        assert!(
            killed >= 3,
            "{phase}: only {killed} crash points were reached"
        );
        if *phase == "install" {
            assert_eq!(
                std::fs::read(ctx.root.join("opt/rmsi-hello/hello.txt")).expect("read"),
                payload["opt/rmsi-hello/hello.txt"].1
            );
        }
    }
    // The install (over the user's file) and the repair each stopped between a copy and
    // its rename at least once.
    assert!(copied_not_renamed >= 2, "{copied_not_renamed}");
    assert!(!original.exists());
    // The folder was there before the product (it held the user's file): it stays.
    assert_eq!(tree(&ctx.root), ["opt/", "opt/rmsi-hello/"]);
}

/// A major upgrade (`upgrade-v2-exec.msi`, whose RemoveExistingProducts runs inside its
/// transaction) of a product whose payload is on another file system (a tmpfs on `opt`):
/// killed at every change it records — version 2's files placed, version 1's moved aside,
/// both through the staging folder on that file system —, the next run gives version 1
/// back exactly and leaves no staging folder; run to its end, the upgrade and then the
/// uninstall succeed and leave none either.
#[test]
fn a_killed_upgrade_on_another_file_system_gets_version_1_back() {
    let ctx = Ctx::new();
    let Some(_opt) = Mounted::tmpfs(&ctx.root.join("opt")) else {
        return;
    };
    ctx.install(&package("upgrade-v1.msi"), Layout::Fhs, &[])
        .assert_code(0);
    // Version 1's removal-time custom action records its run in a file of its own.
    let product = || {
        let mut all = contents(&ctx.root);
        all.remove("var/lib/upgrade-removals.txt");
        all
    };
    let no_staging = |when: &str| {
        let left: Vec<String> = tree(&ctx.root)
            .into_iter()
            .filter(|p| in_staging(p))
            .collect();
        assert!(left.is_empty(), "{when}: staging left: {left:?}");
    };
    let before = product();
    assert!(before.keys().any(|p| p.starts_with("opt/")), "{before:?}");
    let mut killed = 0;
    for crash_after in 1..80 {
        let mut cmd = ctx.install_command(&package("upgrade-v2-exec.msi"), Layout::Fhs, &[]);
        cmd.env("RMSI_TEST_CRASH_AFTER", crash_after.to_string());
        let run = ctx.finish(&mut cmd);
        if run.code.is_some() {
            // Fewer changes than this: the upgrade went to its end.
            run.assert_code(0);
            no_staging("upgrade");
            break;
        }
        killed += 1;
        let next = ctx.uninstall(
            ctx.path("missing.msi").to_str().expect("utf-8"),
            Layout::Fhs,
            &[],
        );
        next.assert_code(1619);
        assert_eq!(
            product(),
            before,
            "crash point {crash_after}: {}",
            next.describe()
        );
        no_staging("recovery");
    }
    assert!(killed >= 5, "only {killed} crash points were reached");
    assert_ne!(product(), before);
    ctx.uninstall("{5D2E7A10-1B2C-4D3E-8F40-6A7B8C9D0E02}", Layout::Fhs, &[])
        .assert_code(0);
    no_staging("uninstall");
    let left: Vec<String> = tree(&ctx.root)
        .into_iter()
        .filter(|p| p.starts_with("opt/") && !p.ends_with('/'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The uninstall of the last product killed after its commit, as it removes the
/// registry's files: the next run (of any kind) finishes that clean-up.
#[test]
fn a_registry_left_empty_by_a_killed_uninstall_is_removed_by_the_next_run() {
    let Some(strace) = strace() else { return };
    let ctx = Ctx::new();
    ctx.install(&hello(), Layout::Fhs, &[]).assert_code(0);
    let db = ctx.root.join("var/lib/rmsi/products.db");
    let mut cmd = ctx.rmsi();
    cmd.args(["uninstall", HELLO_CODE, "--root"])
        .arg(&ctx.root)
        .args(["--ui", "none"]);
    let db_arg = db.to_str().expect("utf-8");
    let killed = run_command(
        &mut under_strace(
            &strace,
            &cmd,
            &[
                "-P",
                db_arg,
                "-e",
                "trace=unlink,unlinkat",
                "-e",
                "inject=unlink,unlinkat:error=EIO:signal=KILL",
            ],
        ),
        None,
    );
    assert_ne!(killed.code, Some(0), "{}", killed.describe());
    // Committed: the payload is gone, the journal too; the registry is still there, empty.
    assert!(!ctx.root.join("opt/rmsi-hello").exists());
    assert!(!ctx.root.join("var/lib/rmsi/journal").exists());
    assert!(db.is_file());
    let next = ctx.uninstall(HELLO_CODE, Layout::Fhs, &[]);
    next.assert_code(1605);
    assert!(tree(&ctx.root).is_empty(), "{:?}", tree(&ctx.root));
}

/// Writes of the package's cached copy that silently lose data (strace makes one `write`
/// claim a byte without writing anything): wherever that happens, the install never
/// reports success with a cached copy that cannot be used — it fails and leaves the root
/// as it was, or its product can be removed by product code.
#[test]
fn a_corrupt_cached_package_fails_the_install() {
    let Some(strace) = strace() else { return };
    let mut failed = 0;
    // The copy is made in memory and written with one `write` (more when one falls short).
    for when in 1..=3 {
        let ctx = Ctx::new();
        let temp = ctx
            .root
            .join(format!("var/lib/rmsi/packages/.{HELLO_CODE}.msi.tmp"));
        let temp = temp.to_str().expect("utf-8").to_string();
        let inject = format!("inject=write:retval=1:when={when}");
        let cmd = ctx.install_command(&hello(), Layout::Fhs, &[]);
        let run = ctx.finish(&mut under_strace(
            &strace,
            &cmd,
            &["-P", &temp, "-e", "trace=write", "-e", &inject],
        ));
        if run.code == Some(0) {
            ctx.uninstall(HELLO_CODE, Layout::Fhs, &[]).assert_code(0);
        } else {
            run.assert_code(1603);
            assert!(
                run.stderr
                    .contains("the cached copy of the package differs"),
                "{}",
                run.describe()
            );
            assert!(
                tree(&ctx.root).is_empty(),
                "write {when}: {:?}",
                tree(&ctx.root)
            );
            failed += 1;
        }
    }
    assert!(failed > 0, "no injected write was caught");
}

/// A first install killed after it made its state folders and before its journal exists
/// (as it creates the journal): the next run of any kind leaves no stray state folder.
#[test]
fn state_folders_of_a_run_killed_before_its_journal_are_removed() {
    let Some(strace) = strace() else { return };
    let ctx = Ctx::new();
    let cmd = ctx.install_command(&hello(), Layout::Fhs, &[]);
    let killed = ctx.finish(&mut under_strace(
        &strace,
        &cmd,
        &[
            "-P",
            "journal.tmp",
            "-e",
            "trace=openat",
            "-e",
            "inject=openat:error=EIO:signal=KILL",
        ],
    ));
    assert_ne!(killed.code, Some(0), "{}", killed.describe());
    assert!(!tree(&ctx.root).is_empty(), "nothing was created");
    let next = ctx.uninstall(HELLO_CODE, Layout::Fhs, &[]);
    next.assert_code(1605);
    assert!(tree(&ctx.root).is_empty(), "{:?}", tree(&ctx.root));
}

/// MsiFileHash of an existing file is computed as it is read: over a 128 MiB file the
/// install's peak memory (measured by a python3 parent, `getrusage(RUSAGE_CHILDREN)`, so
/// that no other test's process counts) stays below the file's size.
#[test]
fn hashing_an_existing_file_never_holds_it_whole() {
    let ctx = Ctx::new();
    let big = ctx.root.join("opt/rmsi-hello/hello.txt");
    std::fs::create_dir_all(big.parent().expect("parent")).expect("mkdir");
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(128 << 20).expect("a sparse 128 MiB file");
    drop(file);
    let cmd = ctx.install_command(&hello(), Layout::Fhs, &[]);
    let mut python = Command::new("python3");
    python
        .arg("-c")
        .arg(
            "import resource, subprocess, sys\n\
             code = subprocess.run(sys.argv[1:]).returncode\n\
             print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
        )
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            python.env(k, v);
        }
    }
    let out = python.stdin(Stdio::null()).output().expect("run python3");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace();
    let code: i32 = fields
        .next()
        .and_then(|c| c.parse().ok())
        .expect("exit code");
    let peak_kib: u64 = fields.next().and_then(|c| c.parse().ok()).expect("peak");
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out.stderr));
    // Its hash differs: the package's file replaced it.
    assert!(std::fs::metadata(&big).expect("stat").len() < 1 << 20);
    assert!(
        peak_kib < 128 << 10,
        "peak memory {peak_kib} KiB: the 128 MiB file was held whole"
    );
}

/// A read error on the package at any point — while its tables, its cabinet or the copy
/// kept in the cache are read — fails the install and leaves the root as it was; an
/// install that succeeds leaves a product its product code removes.
#[test]
fn a_read_error_on_the_package_never_leaves_a_product_that_cannot_be_removed() {
    let Some(strace) = strace() else { return };
    let mut failed = 0;
    // The package is read through a 16 KiB buffer: hello.msi (10 KB) is a read by each of
    // the main thread, the inflating thread and the cache copy's (twice); later reads
    // reach its end.
    for when in 1..=8 {
        let ctx = Ctx::new();
        let package = ctx.path("hello.msi");
        std::fs::copy(hello(), &package).expect("copy the package");
        let inject = format!("inject=read:error=EIO:when={when}");
        let cmd = ctx.install_command(&package, Layout::Fhs, &[]);
        let run = ctx.finish(&mut under_strace(
            &strace,
            &cmd,
            &[
                "-P",
                package.to_str().expect("utf-8"),
                "-e",
                "trace=read",
                "-e",
                &inject,
            ],
        ));
        if run.code == Some(0) {
            ctx.uninstall(HELLO_CODE, Layout::Fhs, &[]).assert_code(0);
        } else {
            assert!(
                matches!(run.code, Some(c) if c == 1603 % 256 || c == 1620 % 256 || c == 1619 % 256),
                "read {when}: {}",
                run.describe()
            );
            assert!(
                tree(&ctx.root).is_empty(),
                "read {when}: {:?}",
                tree(&ctx.root)
            );
            failed += 1;
        }
    }
    assert!(failed > 0, "no injected read error was met");
}
