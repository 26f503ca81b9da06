//! Files in use without the Restart Manager, and what the end of an install logs about
//! restarting ("Using Windows Installer with Restart Manager", "FilesInUse Dialog"; issue 6).
//!
//! With `MSIRESTARTMANAGERCONTROL=Disable`, or when no session can be opened, the legacy
//! FilesInUse mechanism applies: the holders of the files the install replaces are still
//! found (the library's one-shot scan, no session), each is logged as `Info 1603.`, and at
//! no UI they are left running on the old files — the install ends with 3010 and its log
//! names them. When nothing was shut down (`MSIRMSHUTDOWN=2` with a holder not registered
//! for restart), the log must not claim that applications were restarted.
//!
//! The holders are real python3 processes mapping the installed `libdemo.so` of
//! `inuse-v1.msi` while `inuse-v2.msi` replaces it. A console holder has no window, so
//! Windows shows no FilesInUse dialog for it; a graphical one (no controlling terminal, a
//! socket to a display server, `DISPLAY` set: what the library calls `RmMainWindow`) gets
//! the FilesInUse prompt at full UI on a terminal (util-linux `script`), with `Disable` and
//! with `DisableShutdown` (the Restart Manager detects, the FilesInUse dialog asks).

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use test_support::e2e::{Ctx, Holder, Layout, Run, log, package, wait_run};

fn libdemo(ctx: &Ctx) -> PathBuf {
    ctx.root.join(format!(
        "{}/rmsi-tests/inuse/lib/libdemo.so",
        Layout::Fhs.program_files()
    ))
}

/// Installs inuse-v1 and starts a process mapping its libdemo.so.
fn v1_with_a_holder(ctx: &Ctx) -> Holder {
    let run = ctx.install(&package("inuse-v1.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    Holder::map(&libdemo(ctx))
}

/// The `Info 1603.` line naming `pid` as the holder of libdemo.so.
fn info_1603_names(run: &Run, pid: u32) -> bool {
    run.log.lines().any(|l| {
        l.contains("Info 1603. The file ")
            && l.contains("libdemo.so is being held in use by the following process: Name: python")
            && l.contains(&format!(", Id: {pid}, Window Title: "))
    })
}

/// The end of the log names `pid` among the applications left running on replaced files.
fn left_running_names(run: &Run, pid: u32) -> bool {
    log::restart_manager(&run.log)
        .iter()
        .any(|l| l.contains(&format!("(id {pid},")) && l.contains("a restart is required"))
}

/// The legacy path at no UI: 3010, the holder untouched and named, the file replaced.
fn assert_legacy_3010(ctx: &Ctx, run: &Run, holder: &mut Holder) {
    run.assert_code_logged(3010);
    let pid = holder.pid();
    assert!(
        info_1603_names(run, pid),
        "no Info 1603 line\n{}",
        run.describe()
    );
    // The python holder has no window: Windows logs that instead of showing the dialog.
    assert!(
        run.log.contains(&format!(
            "File In Use: -libdemo.so- Window could not be found. Process ID: {pid}"
        )) && run
            .log
            .contains("No window with title could be found for FilesInUse"),
        "{}",
        run.describe()
    );
    assert!(left_running_names(run, pid), "{}", run.describe());
    assert_eq!(
        log::server_properties(&run.log)
            .get("ReplacedInUseFiles")
            .map(String::as_str),
        Some("1"),
        "{}",
        run.describe()
    );
    assert!(holder.is_running(), "the legacy path shut the holder down");
    let v2 = fs::read(package("src/inuse-v2/libdemo.so")).expect("v2 source");
    assert_eq!(
        fs::read(libdemo(ctx)).ok(),
        Some(v2),
        "libdemo.so not replaced"
    );
    assert!(
        !run.log.contains("have been restarted"),
        "nothing was shut down, nothing restarted\n{}",
        run.describe()
    );
}

#[test]
fn rm_disabled_still_detects_the_holder_and_ends_with_3010() {
    let ctx = Ctx::new();
    let mut holder = v1_with_a_holder(&ctx);
    let run = ctx.install(
        &package("inuse-v2.msi"),
        Layout::Fhs,
        &["MSIRESTARTMANAGERCONTROL=Disable"],
    );
    assert!(
        log::restart_manager(&run.log)
            .iter()
            .any(|l| l.contains("no session is opened")),
        "{}",
        run.describe()
    );
    assert_legacy_3010(&ctx, &run, &mut holder);
}

#[test]
fn rm_disabled_at_full_ui_without_a_terminal_behaves_as_quiet() {
    let ctx = Ctx::new();
    let mut holder = v1_with_a_holder(&ctx);
    // Full UI, but stdin is not a terminal: nobody to ask.
    let mut cmd = ctx.rmsi();
    cmd.arg("install")
        .arg(package("inuse-v2.msi"))
        .arg("--root")
        .arg(&ctx.root)
        .args(["--layout", "fhs", "--ui", "full", "--log"])
        .arg(&ctx.log)
        .arg("MSIRESTARTMANAGERCONTROL=Disable");
    let run = ctx.finish(&mut cmd);
    assert_legacy_3010(&ctx, &run, &mut holder);
}

#[test]
fn rm_disabled_with_nothing_in_use_is_0() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("inuse-v1.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let run = ctx.install(
        &package("inuse-v2.msi"),
        Layout::Fhs,
        &["MSIRESTARTMANAGERCONTROL=Disable"],
    );
    run.assert_code_logged(0);
    assert!(!run.log.contains("Info 1603."), "{}", run.describe());
}

#[test]
fn no_session_possible_still_detects_the_holder_and_ends_with_3010() {
    let ctx = Ctx::new();
    let mut holder = v1_with_a_holder(&ctx);
    // A world-writable state folder is refused: the session cannot be opened.
    let unsafe_state = ctx.path("world-writable-state");
    fs::create_dir(&unsafe_state).expect("mkdir");
    fs::set_permissions(&unsafe_state, fs::Permissions::from_mode(0o777)).expect("chmod 0777");
    let mut cmd = ctx.install_command(&package("inuse-v2.msi"), Layout::Fhs, &[]);
    cmd.env("RSTMGR_STATE_DIR", &unsafe_state);
    let run = ctx.finish(&mut cmd);
    assert!(
        log::restart_manager(&run.log)
            .iter()
            .any(|l| l.contains("Could not open a session")),
        "{}",
        run.describe()
    );
    assert_legacy_3010(&ctx, &run, &mut holder);
}

#[test]
fn rmshutdown_2_with_an_unregistered_holder_does_not_claim_a_restart() {
    let ctx = Ctx::new();
    let mut holder = v1_with_a_holder(&ctx);
    let run = ctx.install(&package("inuse-v2.msi"), Layout::Fhs, &["MSIRMSHUTDOWN=2"]);
    run.assert_code_logged(3010);
    assert!(holder.is_running(), "{}", run.describe());
    let rm = log::restart_manager(&run.log);
    assert!(
        !rm.iter().any(|l| l.contains("have been restarted")),
        "nothing was shut down: {rm:?}"
    );
    assert!(
        rm.iter()
            .any(|l| l.contains("No application was shut down; none is restarted.")),
        "{rm:?}"
    );
    assert!(left_running_names(&run, holder.pid()), "{}", run.describe());
    // The session still ends, after the restart step.
    let step = rm.iter().position(|l| l.contains("none is restarted"));
    let closed = rm.iter().position(|l| l.contains("Session closed."));
    assert!(step.is_some() && closed > step, "{rm:?}");
}

// --- the FilesInUse prompt at full UI, for a holder with a window ---

/// A process that looks graphical to the Restart Manager (own session, so no controlling
/// terminal; a socket open; `DISPLAY` set) and maps `path`. Killed when dropped.
struct WindowedHolder {
    child: Child,
}

impl WindowedHolder {
    fn map(path: &Path) -> WindowedHolder {
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(
                "import mmap,os,socket,sys,time; os.setsid(); s=socket.socketpair(); \
                 f=open(sys.argv[1],'rb'); m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ); \
                 print('ready',flush=True); time.sleep(60)",
            )
            .arg(path)
            .env("DISPLAY", ":97")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start python3");
        let mut line = String::new();
        let out = child.stdout.take().expect("piped stdout");
        BufReader::new(out)
            .read_line(&mut line)
            .expect("read the holder's ready line");
        assert_eq!(line.trim(), "ready", "the windowed holder did not start");
        WindowedHolder { child }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for WindowedHolder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Installs inuse-v1, maps its file from a windowed holder, then installs v2 with the
/// Restart Manager disabled at full UI on a pseudo-terminal, typing `answer`.
fn legacy_prompt_case(answer: &str) -> (Ctx, Run, WindowedHolder) {
    let (ctx, run, holder) = prompt_with_control(answer, "Disable");
    assert!(
        run.log.contains("Info 1603. The file ")
            && !run.log.contains("No window with title could be found"),
        "{}",
        run.describe()
    );
    (ctx, run, holder)
}

/// Like [`legacy_prompt_case`] with `MSIRESTARTMANAGERCONTROL=control`.
fn prompt_with_control(answer: &str, control: &str) -> (Ctx, Run, WindowedHolder) {
    let ctx = Ctx::new();
    let run = ctx.install(&package("inuse-v1.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let holder = WindowedHolder::map(&libdemo(&ctx));
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let (pkg, root, logp) = (
        package("inuse-v2.msi"),
        ctx.root.to_string_lossy().into_owned(),
        ctx.log.to_string_lossy().into_owned(),
    );
    let pkg = pkg.to_string_lossy();
    let args = [
        env!("CARGO_BIN_EXE_rmsi"),
        "install",
        &pkg,
        "--root",
        &root,
        "--layout",
        "fhs",
        "--ui",
        "full",
        "--log",
        &logp,
        &format!("MSIRESTARTMANAGERCONTROL={control}"),
    ];
    let line = args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
    let mut script = Command::new("script");
    for (key, value) in ctx.rmsi().get_envs() {
        match value {
            Some(value) => script.env(key, value),
            None => script.env_remove(key),
        };
    }
    let mut child = script
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run util-linux script");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(answer.as_bytes()).expect("type the answer");
    let run = wait_run(child, Some(&ctx.log));
    drop(stdin);
    assert!(
        run.stdout
            .contains("The following applications should be closed before continuing the install:")
            && run.stdout.contains(&format!("(pid {}", holder.pid())),
        "the prompt does not list the holder\n{}",
        run.describe()
    );
    (ctx, run, holder)
}

#[test]
fn legacy_prompt_exit_is_1602_and_keeps_the_old_file() {
    let (ctx, run, mut holder) = legacy_prompt_case("3\n");
    assert_eq!(run.code, Some(1602 % 256), "{}", run.describe());
    assert!(
        run.log.contains("MainEngineThread is returning 1602"),
        "{}",
        run.describe()
    );
    assert!(holder.is_running());
    let v1 = fs::read(package("src/inuse-v1/libdemo.so")).expect("v1 source");
    assert_eq!(fs::read(libdemo(&ctx)).ok(), Some(v1), "{}", run.describe());
}

#[test]
fn legacy_prompt_ignore_is_3010_naming_the_holder() {
    let (ctx, run, mut holder) = legacy_prompt_case("2\n");
    assert_eq!(run.code, Some(3010 % 256), "{}", run.describe());
    assert!(
        run.log.contains("MainEngineThread is returning 3010"),
        "{}",
        run.describe()
    );
    assert!(left_running_names(&run, holder.pid()), "{}", run.describe());
    assert!(holder.is_running());
    let v2 = fs::read(package("src/inuse-v2/libdemo.so")).expect("v2 source");
    assert_eq!(fs::read(libdemo(&ctx)).ok(), Some(v2), "{}", run.describe());
}

#[test]
fn legacy_prompt_retry_looks_again_and_asks_again_while_the_holder_runs() {
    let (_ctx, run, holder) = legacy_prompt_case("1\n2\n");
    assert_eq!(run.code, Some(3010 % 256), "{}", run.describe());
    let asked = run
        .stdout
        .matches("should be closed before continuing the install")
        .count();
    assert_eq!(asked, 2, "{}", run.describe());
    let info = run
        .log
        .lines()
        .filter(|l| l.contains("Info 1603.") && l.contains(&format!("Id: {},", holder.pid())))
        .count();
    assert_eq!(info, 2, "one Info 1603 per look\n{}", run.describe());
}

#[test]
fn disable_shutdown_at_full_ui_uses_the_filesinuse_prompt() {
    // Spec 1.2: DisableShutdown — the Restart Manager detects, the FilesInUse dialog asks.
    let (_ctx, run, mut holder) = prompt_with_control("3\n", "DisableShutdown");
    assert_eq!(run.code, Some(1602 % 256), "{}", run.describe());
    assert!(
        holder.is_running(),
        "DisableShutdown never shuts anything down"
    );
    let (_ctx, run, mut holder) = prompt_with_control("2\n", "DisableShutdown");
    assert_eq!(run.code, Some(3010 % 256), "{}", run.describe());
    assert!(left_running_names(&run, holder.pid()), "{}", run.describe());
    assert!(holder.is_running());
}
