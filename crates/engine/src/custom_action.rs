//! Custom actions ("Custom Actions"): what each type does on Linux, and how its result counts.
//!
//! Executable custom actions run as host programs, with the caller's rights (as a Debian
//! package's maintainer scripts do). The `Target` command line is formatted first, then
//! split into arguments by Windows' rules ([`crate::cmdline`]) and passed to `execve`
//! directly — never to a shell. A bare program name is looked up on `PATH` (as
//! `CreateProcess` searches its path). A Windows executable (`MZ`) runs with Wine when the
//! install targets a Wine prefix (where a `C:\` program path names a file of the prefix);
//! elsewhere it, a DLL entry point, or a script for Windows' script engines cannot run and
//! fails the action cleanly with the Windows Installer error that names it (1721, 1723,
//! 1720).
//!
//! | type | what runs here |
//! |---|---|
//! | 51 | sets a property to the formatted target |
//! | 35 | sets a directory to the formatted target (placed under the root) |
//! | 19 | logs the formatted message (or Error-table text) and fails |
//! | 34 | program in the target, working folder the Source directory |
//! | 50 | program named by the Source property, arguments from the target |
//! | 18 | installed file of the Source File key, arguments from the target |
//! | 2  | Binary-table stream copied to a private temp file (mode 0700), run |
//! | 1, 17 (DLL) | error 1723 |
//! | 5, 6, 21, 22, 37, 38, 53, 54 (script) | error 1720 |
//! | 7, 23, 39 (nested install) | error 2723 |
//!
//! Return processing ("Custom Action Return Processing Options", "Custom Action Return
//! Values"): exit code 0 is success, anything else fails the action
//! (1722) unless `Continue` (0x40) is set; `Async` (0x80) actions are waited for at the end of
//! the sequence and their exit code checked then; `Async + Continue` (0xC0) actions are left
//! running. The program's standard output and error go to a private temp file, copied into
//! the log when it ends (never a pipe: a program that leaves a background child holding the
//! pipe would block the install).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

/// Option flags of a custom action type ("Summary List of All Custom Action Types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Flags {
    /// 0x40: ignore the exit code.
    pub(crate) ignore_exit: bool,
    /// 0x80: asynchronous.
    pub(crate) asynchronous: bool,
    /// 0x400: deferred (in script).
    pub(crate) in_script: bool,
    /// 0x400 + 0x100: rollback.
    pub(crate) rollback: bool,
    /// 0x400 + 0x200: commit.
    pub(crate) commit: bool,
    /// 0x100 without 0x400: FirstSequence.
    pub(crate) first_sequence: bool,
    /// 0x200 without 0x400: OncePerProcess.
    pub(crate) once_per_process: bool,
    /// 0x2000: HideTarget.
    pub(crate) hide_target: bool,
}

impl Flags {
    /// Decodes the option bits of a `Type` value.
    pub(crate) fn of(action_type: i32) -> Flags {
        let t = action_type as u32;
        let in_script = t & 0x400 != 0;
        Flags {
            ignore_exit: t & 0x40 != 0,
            asynchronous: t & 0x80 != 0,
            in_script,
            rollback: in_script && t & 0x100 != 0,
            commit: in_script && t & 0x200 != 0,
            first_sequence: !in_script && t & 0x300 == 0x100,
            once_per_process: !in_script && t & 0x300 == 0x200,
            hide_target: t & 0x2000 != 0,
        }
    }
}

/// What a custom action's base type (`Type & 0x3F`) runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 51.
    SetProperty,
    /// 35.
    SetDirectory,
    /// 19.
    Error,
    /// 34.
    ExeInDirectory,
    /// 50.
    ExeFromProperty,
    /// 18.
    ExeInstalled,
    /// 2.
    ExeFromBinary,
    /// 1, 17: a DLL entry point.
    Dll,
    /// 5, 6, 21, 22, 37, 38, 53, 54: JScript or VBScript.
    Script,
    /// 7, 23, 39: a nested installation.
    Nested,
    /// Anything else.
    Unknown(i32),
}

impl Kind {
    /// The kind of a `Type` value.
    pub(crate) fn of(action_type: i32) -> Kind {
        match action_type & 0x3F {
            51 => Kind::SetProperty,
            35 => Kind::SetDirectory,
            19 => Kind::Error,
            34 => Kind::ExeInDirectory,
            50 => Kind::ExeFromProperty,
            18 => Kind::ExeInstalled,
            2 => Kind::ExeFromBinary,
            1 | 17 => Kind::Dll,
            5 | 6 | 21 | 22 | 37 | 38 | 53 | 54 => Kind::Script,
            7 | 23 | 39 => Kind::Nested,
            other => Kind::Unknown(other),
        }
    }
}

/// A program to start: the resolved executable and its arguments (without argv\[0\]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Program {
    /// The executable.
    pub(crate) exe: PathBuf,
    /// argv\[0\] as the command line named it.
    pub(crate) argv0: String,
    /// The other arguments.
    pub(crate) args: Vec<String>,
    /// The working folder, if the type gives one.
    pub(crate) cwd: Option<PathBuf>,
    /// The Wine prefix a Windows executable runs in (`wine`), when the install targets one.
    pub(crate) wine_prefix: Option<PathBuf>,
}

/// Why a program could not start; each maps to the Windows Installer error that reports it.
#[derive(Debug)]
pub(crate) enum StartError {
    /// Not found, not executable, or the exec failed (error 1721).
    CannotRun(String),
    /// A Windows executable (`MZ`), which this platform cannot run (error 1721).
    WindowsExe(PathBuf),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::CannotRun(why) => f.write_str(why),
            StartError::WindowsExe(p) => write!(
                f,
                "{} is a Windows executable, which cannot run on this platform",
                p.display()
            ),
        }
    }
}

/// Finds a bare program name on `PATH`; a name with a `/` is used as it is.
pub(crate) fn resolve_program(name: &str, cwd: Option<&Path>) -> Result<PathBuf, StartError> {
    resolve_in(name, cwd, None)
}

/// [`resolve_program`], where a `C:\` path names a file under `drive_c` when the install
/// targets a Wine prefix (whose folder properties are such paths).
fn resolve_in(
    name: &str,
    cwd: Option<&Path>,
    drive_c: Option<&Path>,
) -> Result<PathBuf, StartError> {
    if let Some(drive_c) = drive_c
        && let Some(rel) = crate::wine::drive_relative(name)
    {
        return Ok(drive_c.join(rel));
    }
    if name.is_empty() {
        return Err(StartError::CannotRun(
            "the command line names no program".into(),
        ));
    }
    if name.contains('/') {
        let p = PathBuf::from(name);
        let p = match (p.is_absolute(), cwd) {
            (false, Some(dir)) => dir.join(p),
            _ => p,
        };
        return Ok(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let cand = dir.join(name);
        if is_executable_file(&cand) {
            return Ok(cand);
        }
    }
    Err(StartError::CannotRun(format!(
        "{name} was not found on PATH"
    )))
}

fn is_executable_file(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs_err::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether a file starts with the `MZ` signature of Windows executables and DLLs.
pub(crate) fn is_windows_exe(p: &Path) -> bool {
    let mut head = [0u8; 2];
    fs_err::File::open(p)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"MZ"
}

/// A started program with its output file.
pub(crate) struct Running {
    /// The child.
    pub(crate) child: Child,
    /// Where its stdout and stderr go.
    pub(crate) output: PathBuf,
}

/// Starts a program: stdin from `/dev/null`, stdout and stderr to `output`. A Windows
/// executable runs with Wine in the program's Wine prefix, if it has one (see
/// [`wine_command`]).
pub(crate) fn start(program: &Program, output: &Path) -> Result<Running, StartError> {
    let mut cmd = match (is_windows_exe(&program.exe), &program.wine_prefix) {
        (false, _) => {
            let mut cmd = Command::new(&program.exe);
            use std::os::unix::process::CommandExt;
            cmd.arg0(&program.argv0);
            cmd
        }
        (true, Some(prefix)) => wine_command(&program.exe, prefix)?,
        (true, None) => return Err(StartError::WindowsExe(program.exe.clone())),
    };
    let out = fs_err::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(output)
        .map_err(|e| StartError::CannotRun(format!("cannot create its output file: {e}")))?;
    let err = out
        .file()
        .try_clone()
        .map_err(|e| StartError::CannotRun(format!("cannot create its output file: {e}")))?;
    cmd.args(&program.args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out.into_parts().0))
        .stderr(Stdio::from(err));
    if let Some(dir) = &program.cwd {
        cmd.current_dir(dir);
    }
    let child = cmd
        .spawn()
        .map_err(|e| StartError::CannotRun(format!("{}: {e}", program.exe.display())))?;
    Ok(Running {
        child,
        output: output.to_path_buf(),
    })
}

/// `wine EXE` in `prefix`, as Wine runs a Windows program: its `wineserver` started first
/// with no persistence (`-p0`), so that it saves the prefix's registry and ends with the
/// last program, and the install can wait for it before it writes the registry files
/// itself ([`crate::wine::wait_for_wineserver`]). Wine's debug output is off unless
/// `WINEDEBUG` asks for it.
fn wine_command(exe: &Path, prefix: &Path) -> Result<Command, StartError> {
    let missing = |tool: &str| {
        StartError::CannotRun(format!(
            "{} is a Windows executable, and running it in the Wine prefix needs Wine's {tool}, which is not on PATH",
            exe.display()
        ))
    };
    let wine = resolve_program("wine", None).map_err(|_| missing("wine"))?;
    let server = resolve_program("wineserver", None).map_err(|_| missing("wineserver"))?;
    let quiet = std::env::var_os("WINEDEBUG").is_none();
    let env = |cmd: &mut Command| {
        cmd.env("WINEPREFIX", prefix);
        if quiet {
            cmd.env("WINEDEBUG", "-all");
        }
    };
    // A server already serving the prefix (an earlier action's) makes this one exit at once.
    let mut start_server = Command::new(server);
    env(&mut start_server);
    let _ = start_server
        .arg("-p0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let mut cmd = Command::new(wine);
    env(&mut cmd);
    cmd.arg(exe);
    Ok(cmd)
}

/// Waits for a started program; returns its status and (at most 64 KiB of) its output.
pub(crate) fn wait(mut running: Running) -> (std::io::Result<ExitStatus>, String) {
    let status = running.child.wait();
    (status, read_output(&running.output))
}

/// Reads at most 64 KiB of a program's output file, then removes it.
pub(crate) fn read_output(path: &Path) -> String {
    let mut buf = Vec::new();
    if let Ok(f) = fs_err::File::open(path) {
        let _ = f.take(64 * 1024).read_to_end(&mut buf);
    }
    let _ = fs_err::remove_file(path);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The Windows-style exit code of a status: the code, or 128 + signal for a killed program
/// (a shell's convention; Windows has no signals).
pub(crate) fn exit_code(status: &ExitStatus) -> i64 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => i64::from(c),
        (None, Some(s)) => 128 + i64::from(s),
        _ => -1,
    }
}

/// Builds the program of a command line whose first word is the program (type 34).
pub(crate) fn program_from_command_line(
    line: &str,
    cwd: Option<PathBuf>,
    drive_c: Option<&Path>,
) -> Result<Program, StartError> {
    let mut words = crate::cmdline::split(line).into_iter();
    let argv0 = words
        .next()
        .ok_or_else(|| StartError::CannotRun("the command line is empty".into()))?;
    let exe = resolve_in(&argv0, cwd.as_deref(), drive_c)?;
    Ok(Program {
        exe,
        argv0,
        args: words.collect(),
        cwd,
        wine_prefix: None,
    })
}

/// Builds the program of an executable named apart from its arguments (types 2, 18, 50).
pub(crate) fn program_with_args(
    exe_name: &str,
    args_line: &str,
    cwd: Option<PathBuf>,
    drive_c: Option<&Path>,
) -> Result<Program, StartError> {
    let exe = resolve_in(exe_name, cwd.as_deref(), drive_c)?;
    // The arguments follow a program name, so the program-name rule of the first word
    // must not apply to them: split them behind a placeholder name.
    let args = crate::cmdline::split(&format!("x {args_line}"))
        .into_iter()
        .skip(1)
        .collect();
    Ok(Program {
        exe,
        argv0: exe_name.to_string(),
        args,
        cwd,
        wine_prefix: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drive_c_program_path_is_the_prefixs_file_only_in_a_prefix() {
        let drive_c = Path::new("/p/drive_c");
        assert_eq!(
            resolve_in(r"C:\windows\system32\reg.exe", None, Some(drive_c)).expect("resolved"),
            drive_c.join("windows/system32/reg.exe")
        );
        // Elsewhere it is a bare name (no `/`), looked up on PATH.
        assert!(matches!(
            resolve_in(r"C:\windows\system32\reg.exe", None, None),
            Err(StartError::CannotRun(_))
        ));
        // `..` never leaves drive_c: such a path is not the prefix's.
        assert!(resolve_in(r"C:\..\etc\passwd", None, Some(drive_c)).is_err());
    }

    #[test]
    fn kinds_and_flags() {
        assert_eq!(Kind::of(51 + 0x800), Kind::SetProperty);
        assert_eq!(Kind::of(2098), Kind::ExeFromProperty);
        assert_eq!(Kind::of(34), Kind::ExeInDirectory);
        assert_eq!(Kind::of(1), Kind::Dll);
        assert_eq!(Kind::of(37), Kind::Script);
        assert_eq!(Kind::of(7), Kind::Nested);
        let f = Flags::of(50 + 0x40);
        assert!(f.ignore_exit && !f.asynchronous);
        let f = Flags::of(50 + 0xC0);
        assert!(f.ignore_exit && f.asynchronous);
        let f = Flags::of(1024 + 256 + 50);
        assert!(f.in_script && f.rollback && !f.commit && !f.first_sequence);
        let f = Flags::of(1024 + 512 + 50);
        assert!(f.commit && !f.once_per_process);
        let f = Flags::of(256 + 51);
        assert!(f.first_sequence && !f.in_script);
        assert!(Flags::of(0x2000 + 51).hide_target);
    }

    #[test]
    fn programs_run_without_a_shell() {
        let dir = tempfile::tempdir().expect("temp");
        let out = dir.path().join("out");
        let p =
            program_with_args("printf", r#""<%s>" "a b" c;d $(x)"#, None, None).expect("printf");
        let r = start(&p, &out).expect("start");
        let (status, text) = wait(r);
        assert_eq!(status.expect("status").code(), Some(0));
        assert_eq!(text, "<a b><c;d><$(x)>");
        assert!(!out.exists());
    }

    #[test]
    fn exit_codes_and_signals() {
        let dir = tempfile::tempdir().expect("temp");
        let p = program_with_args("/bin/sh", r#"-c "exit 7""#, None, None).expect("sh");
        let (status, _) = wait(start(&p, &dir.path().join("o")).expect("start"));
        assert_eq!(exit_code(&status.expect("status")), 7);
        let p = program_with_args("/bin/sh", r#"-c "kill -9 $$""#, None, None).expect("sh");
        let (status, _) = wait(start(&p, &dir.path().join("o")).expect("start"));
        assert_eq!(exit_code(&status.expect("status")), 137);
    }

    #[test]
    fn missing_and_windows_programs_cannot_run() {
        assert!(matches!(
            resolve_program("no-such-program-rmsi", None),
            Err(StartError::CannotRun(_))
        ));
        let dir = tempfile::tempdir().expect("temp");
        let exe = dir.path().join("setup.exe");
        fs_err::write(&exe, b"MZ\x90\x00rest").expect("write");
        let p = Program {
            wine_prefix: None,
            exe: exe.clone(),
            argv0: "setup.exe".into(),
            args: vec![],
            cwd: None,
        };
        assert!(matches!(
            start(&p, &dir.path().join("o")),
            Err(StartError::WindowsExe(_))
        ));
    }

    #[test]
    fn working_folder_and_relative_program() {
        let dir = tempfile::tempdir().expect("temp");
        let p = program_from_command_line("/bin/pwd", Some(dir.path().to_path_buf()), None)
            .expect("pwd");
        let (status, text) = wait(start(&p, &dir.path().join("o")).expect("start"));
        assert!(status.expect("status").success());
        let real = fs_err::canonicalize(dir.path()).expect("canon");
        assert_eq!(text.trim_end(), real.display().to_string());
    }
}
