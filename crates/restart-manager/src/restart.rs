//! Restart registrations and restarting what a shutdown stopped (`RegisterApplicationRestart`,
//! `RmRestart`; "RegisterApplicationRestart function", "RmRestart function").
//!
//! # Registering
//!
//! A program asks to be restarted after an update with [`register_restart`] (the analogue
//! of `RegisterApplicationRestart`: it passes the **arguments** for its next instance; its
//! own executable is added), or from a shell script with `rstmgr register-restart --
//! CMD...`, which calls [`register_restart_for`] for its **parent** process — the program
//! that ran it — with the full command CMD (program and arguments): the parent of
//! `rstmgr` is typically a script run by an interpreter, whose executable alone would not
//! start it again.
//!
//! The registration records, for that one process instance (pid and start time), the
//! command, its working directory, its environment, and its user, group and supplementary
//! groups, all read from `/proc/PID` at registration time. It is stored as
//! `<state>/restart/<pid>-<start_time>.json` in the caller's state folder, written
//! owner-only and atomically, without following symlinks (see [`StateDir`]). The
//! registration belongs to that process instance only: a later instance, even with the
//! same pid, is not registered, and a relaunched instance must register again.
//!
//! A root installer finds the registrations of other users' programs in those users' own
//! state folders (see [`check_restartable`], which checks who owns them, checks every
//! field against what it observes of the process itself, and adopts what passes), so a
//! system-wide installation restarts a desktop user's registered editor — as that user.
//!
//! As on Windows, the arguments may total at most `RESTART_MAX_CMD_LINE` (1024)
//! characters, joined with spaces; longer ones are refused with `ERROR_INVALID_PARAMETER`
//! (`E_INVALIDARG` is `HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER)`). The `RESTART_NO_*`
//! flags are recorded; `RESTART_NO_PATCH` ("do not restart when terminated for an
//! update", exactly the Restart Manager's case) makes the process not restartable.
//!
//! # Restarting
//!
//! [`restart_apps`] restarts what this session's shutdown stopped (status `STOPPED`) and
//! can be restarted, in the reverse of the shutdown order: the desktop shell, services,
//! then unknown, console and GUI applications. Services are started through their service
//! manager (always restartable: "RM_PROCESS_INFO structure"). A registered process is relaunched
//! with its recorded program, arguments, working directory and environment, in a new session
//! (`setsid`) with standard input and output on `/dev/null` — the Linux analogue of
//! Windows' "new console" — so it outlives the caller.
//!
//! # Privilege
//!
//! A relaunched process never gets more privilege than it had: it runs with exactly the
//! user, group and supplementary groups the session observed it run with.
//!
//! A registration file in a user's state folder is that user's to write, so a root
//! session takes nothing from it on trust: the identity (`Uid`, `Gid`, `Groups` of
//! `/proc/PID/status`), working directory and environment come from the session's own
//! reading of `/proc/PID` while the process runs, the program must be the process's
//! executable or a word of its command line, and a registration that claims anything
//! else is refused ([`RefusedRegistration`], returned for the caller to log). At restart
//! the registration must still name the user the session recorded for the process. A caller running
//! as that user launches it directly; root drops to the recorded ids (`setgroups`, `setresgid`,
//! `setresuid`, then `chdir` as that user) before `exec`; any other caller cannot relaunch it
//! (`ERROR_ON_RESTART`). A process that ran elevated — a set-user-ID or set-group-ID
//! program, whose effective ids differ from its real ones — is not restartable, as on
//! Windows, which restarts no elevated application.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::process::DEFAULT_PROC_ROOT;
use crate::service::ServiceManager;
use crate::shutdown::{PHASES, Phase, Progress, phase_of};
use crate::state::Folder;
use crate::{AppStatus, Error, Filters, ProcessInfo, StateDir, UniqueProcess};

/// `RESTART_MAX_CMD_LINE`: the longest restart command line, in characters.
pub const RESTART_MAX_CMD_LINE: usize = 1024;

/// `RESTART_NO_CRASH`: do not restart after a crash (recorded only).
pub const RESTART_NO_CRASH: u32 = 1;
/// `RESTART_NO_HANG`: do not restart after a hang (recorded only).
pub const RESTART_NO_HANG: u32 = 2;
/// `RESTART_NO_PATCH`: do not restart when terminated for an update: such a process is
/// not restartable by the Restart Manager.
pub const RESTART_NO_PATCH: u32 = 4;
/// `RESTART_NO_REBOOT`: do not restart after a reboot for an update (recorded only).
pub const RESTART_NO_REBOOT: u32 = 8;

const ALL_FLAGS: u32 = RESTART_NO_CRASH | RESTART_NO_HANG | RESTART_NO_PATCH | RESTART_NO_REBOOT;

/// The sub-folder of the state folder holding registrations.
const RESTART_DIR: &str = "restart";

/// Version of the registration file format written by this build.
const REGISTRATION_VERSION: u32 = 1;

/// A restart registration: how to start one process instance again.
///
/// Invariant: every field was read from `/proc/PID` of `process` while that very process
/// ran (its start time was checked before and after), except `program`, `argv0` and
/// `args`, which its registrant chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartRegistration {
    /// Format version.
    pub version: u32,
    /// The registered process instance.
    pub process: UniqueProcess,
    /// The program to run: a path, or a name looked up in the recorded `PATH`.
    #[serde(with = "os_serde")]
    pub program: OsString,
    /// `argv[0]` for the new instance.
    #[serde(with = "os_serde")]
    pub argv0: OsString,
    /// The arguments after `argv[0]`.
    #[serde(with = "os_list_serde")]
    pub args: Vec<OsString>,
    /// The working directory.
    #[serde(with = "os_serde")]
    pub cwd: OsString,
    /// The environment, as `NAME=value` entries.
    #[serde(with = "os_list_serde")]
    pub env: Vec<OsString>,
    /// Real user id.
    pub uid: u32,
    /// Real group id.
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// Whether the effective ids differed from the real ones (a set-user-ID or
    /// set-group-ID program): such a process is never restarted.
    pub elevated: bool,
    /// The `RESTART_NO_*` flags it registered with.
    pub flags: u32,
}

mod os_serde {
    use crate::resource::PathRepr;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::ffi::OsString;
    use std::path::Path;

    pub(crate) fn serialize<S: Serializer>(v: &OsString, s: S) -> Result<S::Ok, S::Error> {
        PathRepr::from_path(Path::new(v)).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OsString, D::Error> {
        Ok(PathRepr::deserialize(d)?.into_path().into_os_string())
    }
}

mod os_list_serde {
    use crate::resource::PathRepr;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::ffi::OsString;
    use std::path::Path;

    pub(crate) fn serialize<S: Serializer>(v: &[OsString], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| PathRepr::from_path(Path::new(x))))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<OsString>, D::Error> {
        Ok(Vec::<PathRepr>::deserialize(d)?
            .into_iter()
            .map(|p| p.into_path().into_os_string())
            .collect())
    }
}

fn file_name(process: &UniqueProcess) -> String {
    format!("{}-{}.json", process.pid, process.start_time)
}

fn restart_folder(state: &StateDir) -> Result<Folder, Error> {
    state.subdir(RESTART_DIR)
}

/// Splits a NUL-separated `/proc` list (`cmdline`, `environ`).
fn split_nul(bytes: &[u8]) -> Vec<OsString> {
    bytes
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| OsString::from_vec(s.to_vec()))
        .collect()
}

/// The ids of `/proc/PID/status`: real and effective uid and gid, supplementary groups.
struct Ids {
    uid: u32,
    euid: u32,
    gid: u32,
    egid: u32,
    groups: Vec<u32>,
}

fn parse_status_ids(status: &str) -> Option<Ids> {
    let field = |name: &str| -> Option<Vec<u32>> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .split_whitespace()
            .map(|n| n.parse().ok())
            .collect()
    };
    let uids = field("Uid:")?;
    let gids = field("Gid:")?;
    let groups = field("Groups:").unwrap_or_default();
    Some(Ids {
        uid: *uids.first()?,
        euid: *uids.get(1)?,
        gid: *gids.first()?,
        egid: *gids.get(1)?,
        groups,
    })
}

fn proc_error(pid: u32, what: &str, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::NoSuchProcess { pid }
    } else {
        Error::io(format!("cannot read the {what} of pid {pid}"), e)
    }
}

/// Checks the `RESTART_MAX_CMD_LINE` limit and the flags.
fn check_args(args: &[OsString], flags: u32) -> Result<(), Error> {
    if flags & !ALL_FLAGS != 0 {
        return Err(Error::InvalidParameter(format!(
            "unknown restart flags {:#x}",
            flags & !ALL_FLAGS
        )));
    }
    let chars: usize = args
        .iter()
        .map(|a| a.to_string_lossy().chars().count())
        .sum::<usize>()
        + args.len().saturating_sub(1);
    if chars > RESTART_MAX_CMD_LINE {
        return Err(Error::InvalidParameter(format!(
            "the restart command line is {chars} characters long; at most {RESTART_MAX_CMD_LINE} are allowed"
        )));
    }
    Ok(())
}

/// What a registration records about a process, read from `/proc`.
struct ProcFacts {
    exe: PathBuf,
    cmdline: Vec<OsString>,
    cwd: OsString,
    env: Vec<OsString>,
    ids: Ids,
}

/// Reads what a registration records about `process` from `/proc`, checking that the pid
/// still names that instance afterwards (so nothing was read from a successor).
fn read_process(process: UniqueProcess) -> Result<ProcFacts, Error> {
    let pid = process.pid;
    if !process.is_alive() {
        return Err(Error::NoSuchProcess { pid });
    }
    let dir = Path::new(DEFAULT_PROC_ROOT).join(pid.to_string());
    let exe = std::fs::read_link(dir.join("exe")).map_err(|e| proc_error(pid, "executable", e))?;
    let cmdline =
        std::fs::read(dir.join("cmdline")).map_err(|e| proc_error(pid, "command line", e))?;
    let cwd =
        std::fs::read_link(dir.join("cwd")).map_err(|e| proc_error(pid, "working directory", e))?;
    let environ =
        std::fs::read(dir.join("environ")).map_err(|e| proc_error(pid, "environment", e))?;
    let status =
        std::fs::read_to_string(dir.join("status")).map_err(|e| proc_error(pid, "status", e))?;
    let ids = parse_status_ids(&status).ok_or_else(|| {
        Error::io(
            format!("cannot read the user of pid {pid}"),
            std::io::ErrorKind::InvalidData.into(),
        )
    })?;
    if !process.is_alive() {
        return Err(Error::NoSuchProcess { pid });
    }
    Ok(ProcFacts {
        exe,
        cmdline: split_nul(&cmdline),
        cwd: cwd.into_os_string(),
        env: split_nul(&environ),
        ids,
    })
}

/// The path of an executable as `/proc/PID/exe` shows it, without the ` (deleted)` the
/// kernel appends once the file was unlinked or replaced — which is exactly what an update
/// does: the new instance must run the new file at the same path.
fn live_path(exe: &OsStr) -> OsString {
    let bytes = exe.as_bytes();
    let bytes = bytes.strip_suffix(b" (deleted)").unwrap_or(bytes);
    OsString::from_vec(bytes.to_vec())
}

/// Registers the calling process for restart (`RegisterApplicationRestart`): its next
/// instance runs this process's executable with `args` (the arguments only, as on
/// Windows; an empty list means none), in this process's working directory, environment
/// and user. A later call replaces the registration.
pub fn register_restart(
    state: &StateDir,
    args: Vec<OsString>,
    flags: u32,
) -> Result<RestartRegistration, Error> {
    check_args(&args, flags)?;
    let me = UniqueProcess::current()
        .map_err(|e| Error::io("cannot read this process's start time", e))?;
    let facts = read_process(me)?;
    let exe = live_path(facts.exe.as_os_str());
    let argv0 = facts
        .cmdline
        .first()
        .cloned()
        .unwrap_or_else(|| exe.clone());
    store(state, me, exe, argv0, args, facts, flags)
}

/// Registers `process` for restart with the full `command` (program, then arguments), as
/// `rstmgr register-restart -- CMD...` does for its parent. The working directory,
/// environment and user are `process`'s own, read from `/proc` now; the caller must be
/// allowed to read them (same user, or root).
pub fn register_restart_for(
    state: &StateDir,
    process: UniqueProcess,
    command: Vec<OsString>,
    flags: u32,
) -> Result<RestartRegistration, Error> {
    let Some((program, args)) = command.split_first() else {
        return Err(Error::BadArguments(
            "a restart command needs at least a program".into(),
        ));
    };
    if program.is_empty() {
        return Err(Error::BadArguments("the restart program is empty".into()));
    }
    check_args(args, flags)?;
    let facts = read_process(process)?;
    store(
        state,
        process,
        program.clone(),
        program.clone(),
        args.to_vec(),
        facts,
        flags,
    )
}

fn store(
    state: &StateDir,
    process: UniqueProcess,
    program: OsString,
    argv0: OsString,
    args: Vec<OsString>,
    facts: ProcFacts,
    flags: u32,
) -> Result<RestartRegistration, Error> {
    let ProcFacts { cwd, env, ids, .. } = facts;
    let registration = RestartRegistration {
        version: REGISTRATION_VERSION,
        process,
        program,
        argv0,
        args,
        cwd,
        env,
        uid: ids.uid,
        gid: ids.gid,
        groups: ids.groups,
        elevated: ids.uid != ids.euid || ids.gid != ids.egid,
        flags,
    };
    let folder = restart_folder(state)?;
    let name = file_name(&process);
    let bytes = serde_json::to_vec(&registration)
        .map_err(|e| Error::write_fault(folder.path().join(&name), std::io::Error::other(e)))?;
    folder.write_atomic(&name, &bytes)?;
    prune(&folder);
    Ok(registration)
}

/// Removes the registrations of processes that are gone and were not touched for a day
/// (a registered program that exited on its own). Recent ones stay: a session that shut
/// the process down needs the registration until it restarts it.
fn prune(folder: &Folder) {
    const KEEP: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
    let Ok(names) = folder.names() else { return };
    for name in names {
        let Some(process) = parse_file_name(&name) else {
            continue;
        };
        if process.is_alive() {
            continue;
        }
        let old = std::fs::symlink_metadata(folder.path().join(&name))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > KEEP);
        if old {
            let _ = folder.remove(&name);
        }
    }
}

fn parse_file_name(name: &str) -> Option<UniqueProcess> {
    let stem = name.strip_suffix(".json")?;
    let (pid, start) = stem.split_once('-')?;
    Some(UniqueProcess {
        pid: pid.parse().ok()?,
        start_time: start.parse().ok()?,
    })
}

/// The registration of `process`, if it registered (`GetApplicationRestartSettings`).
/// A registration file that does not belong to `process` is ignored.
pub fn registration(
    state: &StateDir,
    process: &UniqueProcess,
) -> Result<Option<RestartRegistration>, Error> {
    let folder = restart_folder(state)?;
    let name = file_name(process);
    let Some(bytes) = folder.read(&name)? else {
        return Ok(None);
    };
    let reg: RestartRegistration = serde_json::from_slice(&bytes).map_err(|e| {
        Error::write_fault(
            folder.path().join(&name),
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    if reg.version != REGISTRATION_VERSION || reg.process != *process {
        return Ok(None);
    }
    Ok(Some(reg))
}

/// Removes the registration of `process` (`UnregisterApplicationRestart`). Returns whether
/// there was one.
pub fn unregister_restart(state: &StateDir, process: &UniqueProcess) -> Result<bool, Error> {
    let folder = restart_folder(state)?;
    let name = file_name(process);
    if !folder.exists(&name) {
        return Ok(false);
    }
    folder.remove(&name)?;
    Ok(true)
}

/// Whether `reg` can be relaunched by this caller without giving it more privilege than it
/// had: not elevated, not registered with `RESTART_NO_PATCH`, and either this caller runs
/// as its user or is root.
pub fn can_relaunch(reg: &RestartRegistration) -> bool {
    let me = rustix::process::geteuid().as_raw();
    !reg.elevated
        && reg.flags & RESTART_NO_PATCH == 0
        && reg.uid != u32::MAX
        && reg.gid != u32::MAX
        && (reg.uid == me || me == 0)
}

/// A registration found in another user's state folder that a root caller refused: it
/// claims an identity, command, folder or environment other than what the session itself
/// observed of the process (see [`check_restartable`]).
///
/// The library never prints it; the caller decides where it is logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRegistration {
    /// The process the registration names.
    pub process: UniqueProcess,
    /// The user the process runs as (observed).
    pub uid: u32,
    /// What differed, in words.
    pub reason: String,
}

impl std::fmt::Display for RefusedRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "refused the restart registration of pid {} (uid {}): {}",
            self.process.pid, self.uid, self.reason
        )
    }
}

/// Whether `process` registered for restart and this caller can relaunch it
/// (`RM_PROCESS_INFO.bRestartable` for an application); see [`check_restartable`].
pub fn is_restartable(state: &StateDir, process: &UniqueProcess) -> bool {
    check_restartable(state, process).unwrap_or(false)
}

/// Whether `process` registered for restart and this caller can relaunch it, or why a
/// registration was refused.
///
/// The registration is looked for in `state`, the caller's state folder. When the caller
/// is root and `process` runs as another user, it is also looked for in that user's own
/// state folder — found from the process's environment by the rules of
/// [`StateDir::default_path`] — as long as that folder, its `restart` sub-folder and the
/// file are owned by that user, are not symlinks or hard links, and are not group or world
/// writable.
///
/// That file is the user's to write, so nothing in it is believed: the session reads the
/// process's credentials (`Uid`, `Gid`, `Groups` of `/proc/PID/status`), working
/// directory, environment, executable and command line itself, and the registration must
/// claim exactly those — the same user, group and supplementary groups, folder and
/// environment, a program that is the process's executable or a word of its command line,
/// and no elevation. One that claims anything else is refused (`Err`, for the caller to
/// log) and the process is not restartable. One that matches is adopted: copied into
/// `state`, root's own folder, so that the restart finds it after the process is gone; it
/// still relaunches as that user, never as root.
pub fn check_restartable(
    state: &StateDir,
    process: &UniqueProcess,
) -> Result<bool, RefusedRegistration> {
    match registration(state, process) {
        Ok(Some(reg)) => return Ok(can_relaunch(&reg)),
        Ok(None) => {}
        Err(_) => return Ok(false),
    }
    if !rustix::process::geteuid().is_root() {
        return Ok(false);
    }
    let Some(reg) = foreign_registration(process)? else {
        return Ok(false);
    };
    if !can_relaunch(&reg) {
        return Ok(false);
    }
    let adopted = restart_folder(state).and_then(|folder| {
        let bytes = serde_json::to_vec(&reg).map_err(|e| {
            Error::write_fault(
                folder.path().join(file_name(process)),
                std::io::Error::other(e),
            )
        })?;
        folder.write_atomic(&file_name(process), &bytes)
    });
    Ok(adopted.is_ok())
}

/// Largest registration file read from another user's folder.
const MAX_FOREIGN_REGISTRATION: u64 = 1 << 20;

/// The registration `process` keeps in its own user's state folder (see
/// [`check_restartable`] for the checks), if any, rebuilt from what was observed of the
/// process; `Err` when it claims anything that was not observed.
fn foreign_registration(
    process: &UniqueProcess,
) -> Result<Option<RestartRegistration>, RefusedRegistration> {
    use rustix::fs::{Mode, OFlags};
    let proc_dir = Path::new(DEFAULT_PROC_ROOT).join(process.pid.to_string());
    let Ok(status) = std::fs::read_to_string(proc_dir.join("status")) else {
        return Ok(None);
    };
    let Some(ids) = parse_status_ids(&status) else {
        return Ok(None);
    };
    let Ok(environ) = std::fs::read(proc_dir.join("environ")) else {
        return Ok(None);
    };
    if ids.uid == 0 || !process.is_alive() {
        return Ok(None);
    }
    let var = |name: &str| -> Option<OsString> {
        split_nul(&environ).into_iter().find_map(|entry| {
            let bytes = entry.as_bytes();
            let value = bytes.strip_prefix(name.as_bytes())?.strip_prefix(b"=")?;
            (!value.is_empty()).then(|| OsString::from_vec(value.to_vec()))
        })
    };
    let dir = if let Some(dir) = var(crate::STATE_DIR_ENV) {
        PathBuf::from(dir)
    } else if let Some(runtime) = var("XDG_RUNTIME_DIR") {
        PathBuf::from(runtime).join("rstmgr")
    } else {
        PathBuf::from(format!("/tmp/rstmgr-{}", ids.uid))
    };
    let trusted = |fd: &std::os::fd::OwnedFd, want_dir: bool| -> bool {
        rustix::fs::fstat(fd).is_ok_and(|st| {
            let ty = rustix::fs::FileType::from_raw_mode(st.st_mode);
            st.st_uid == ids.uid
                && st.st_mode & 0o022 == 0
                && if want_dir {
                    ty == rustix::fs::FileType::Directory
                } else {
                    ty == rustix::fs::FileType::RegularFile
                        && st.st_nlink == 1
                        && (st.st_size as u64) <= MAX_FOREIGN_REGISTRATION
                }
        })
    };
    let read = || -> Option<RestartRegistration> {
        let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let top = rustix::fs::open(&dir, dir_flags, Mode::empty()).ok()?;
        if !trusted(&top, true) {
            return None;
        }
        let sub = rustix::fs::openat(&top, RESTART_DIR, dir_flags, Mode::empty()).ok()?;
        if !trusted(&sub, true) {
            return None;
        }
        let file = rustix::fs::openat(
            &sub,
            file_name(process).as_str(),
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        if !trusted(&file, false) {
            return None;
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::fs::File::from(file), MAX_FOREIGN_REGISTRATION),
            &mut bytes,
        )
        .ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let Some(claimed) = read() else {
        return Ok(None);
    };
    if claimed.version != REGISTRATION_VERSION || claimed.process != *process {
        return Ok(None);
    }
    // What the session sees of the process now, by itself.
    let Ok(observed) = read_process(*process) else {
        return Ok(None);
    };
    match reconcile(claimed, &observed) {
        Ok(reg) => Ok(Some(reg)),
        Err(reason) => Err(RefusedRegistration {
            process: *process,
            uid: observed.ids.uid,
            reason,
        }),
    }
}

/// Checks a registration read from a file its user can write against what the session
/// observed of the process, and returns it with every observed field taken from the
/// observation; `Err` names the first field that claims something else.
///
/// The arguments after the program are the registrant's to choose, as
/// `RegisterApplicationRestart` intends (`/restore`, say): they reach only a program the
/// process really ran, run with exactly its own identity.
fn reconcile(
    claimed: RestartRegistration,
    observed: &ProcFacts,
) -> Result<RestartRegistration, String> {
    let ids = &observed.ids;
    let mut observed_groups = ids.groups.clone();
    observed_groups.sort_unstable();
    let mut claimed_groups = claimed.groups.clone();
    claimed_groups.sort_unstable();
    let observed_elevated = ids.uid != ids.euid || ids.gid != ids.egid;
    if claimed.uid != ids.uid {
        return Err(format!(
            "it claims uid {}, the process runs as uid {}",
            claimed.uid, ids.uid
        ));
    }
    if claimed.gid != ids.gid {
        return Err(format!(
            "it claims gid {}, the process runs as gid {}",
            claimed.gid, ids.gid
        ));
    }
    if claimed_groups != observed_groups {
        return Err(format!(
            "it claims the supplementary groups {claimed_groups:?}, the process has {observed_groups:?}"
        ));
    }
    if claimed.elevated != observed_elevated {
        return Err("it claims another elevation than the process has".into());
    }
    if claimed.cwd != observed.cwd {
        return Err(format!(
            "it claims the working directory {:?}, the process has {:?}",
            claimed.cwd, observed.cwd
        ));
    }
    if claimed.env != observed.env {
        return Err("it claims another environment than the process has".into());
    }
    let exe = live_path(observed.exe.as_os_str());
    let ran = |p: &OsStr| p == exe || observed.cmdline.iter().any(|w| w == p);
    if !ran(&claimed.program) {
        return Err(format!(
            "it claims the program {:?}, which the process neither runs nor names on its command line",
            claimed.program
        ));
    }
    if claimed.argv0 != claimed.program && !ran(&claimed.argv0) {
        return Err(format!(
            "it claims the argv[0] {:?}, which the process did not have",
            claimed.argv0
        ));
    }
    Ok(RestartRegistration {
        uid: ids.uid,
        gid: ids.gid,
        groups: ids.groups.clone(),
        elevated: observed_elevated,
        cwd: observed.cwd.clone(),
        env: observed.env.clone(),
        ..claimed
    })
}

/// Starts a new instance from a registration: detached in a new session, standard streams
/// on `/dev/null`, with the recorded user (see the module docs on privilege). Returns the
/// new process. The caller does not have to wait for it: a thread reaps it when it exits.
pub fn relaunch(reg: &RestartRegistration) -> Result<UniqueProcess, Error> {
    let program = reg.program.to_string_lossy();
    if !can_relaunch(reg) {
        return Err(Error::io(
            format!(
                "cannot relaunch {program} as uid {} without giving it more privilege than it had",
                reg.uid
            ),
            std::io::ErrorKind::PermissionDenied.into(),
        ));
    }
    let me = rustix::process::geteuid().as_raw();
    let cwd = CString::new(reg.cwd.as_bytes()).map_err(|_| {
        Error::InvalidParameter("the recorded working directory holds a NUL".into())
    })?;
    // Dropping ids happens only for root; a caller already running as the user keeps its
    // own ids, which are the user's.
    let switch = me == 0 && !(reg.uid == 0 && reg.gid == 0 && reg.groups.is_empty());
    let uid = rustix::process::Uid::from_raw(reg.uid);
    let gid = rustix::process::Gid::from_raw(reg.gid);
    let groups: Vec<rustix::process::Gid> = reg
        .groups
        .iter()
        .filter(|&&g| g != u32::MAX)
        .map(|&g| rustix::process::Gid::from_raw(g))
        .collect();

    let mut cmd = Command::new(&reg.program);
    cmd.arg0(&reg.argv0)
        .args(&reg.args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for entry in &reg.env {
        let bytes = entry.as_bytes();
        if let Some(eq) = bytes.iter().position(|&b| b == b'=').filter(|&i| i > 0) {
            cmd.env(
                OsStr::from_bytes(&bytes[..eq]),
                OsStr::from_bytes(&bytes[eq + 1..]),
            );
        }
    }
    // SAFETY: the closure runs in the forked child before exec. It only makes raw system
    // calls through rustix (setsid, setgroups, setresgid, setresuid, chdir), which allocate
    // nothing and take no locks, so they are async-signal-safe; everything they use
    // (`cwd`, `groups`, the ids) was prepared before the fork. The per-thread rustix calls
    // act on the whole process here because the child of a fork has one thread.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(move || {
            rustix::process::setsid()?;
            if switch {
                rustix::thread::set_thread_groups(&groups)?;
                rustix::thread::set_thread_res_gid(gid, gid, gid)?;
                rustix::thread::set_thread_res_uid(uid, uid, uid)?;
            }
            // After the ids are dropped, so that the directory is entered with the
            // user's own permissions.
            rustix::process::chdir(cwd.as_c_str())?;
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io(format!("cannot start {program}"), e))?;
    let pid = child.id();
    let process = UniqueProcess::of(pid).unwrap_or(UniqueProcess { pid, start_time: 0 });
    // Reap the new instance whenever it exits, so that a long-lived caller (an installer)
    // collects no zombies; a short-lived one (rstmgr) just leaves it to init.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(process)
}

/// One relaunched process: the stopped instance and its successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relaunched {
    /// The instance the shutdown stopped.
    pub old: UniqueProcess,
    /// The new instance.
    pub new: UniqueProcess,
}

/// What [`restart_apps`] did: the processes it relaunched (also when it failed part-way,
/// so that they can be found) and its result.
#[derive(Debug)]
#[must_use]
pub struct RestartOutcome {
    /// Every relaunched process, in launch order.
    pub relaunched: Vec<Relaunched>,
    /// `Ok` when everything that should restart did; `ERROR_FAIL_RESTART` when something
    /// could not be restarted; `ERROR_CANCELLED` when cancelled.
    pub result: Result<(), Error>,
}

/// Restarts what the session's shutdown stopped (see the module docs), updating each
/// application's status in place: `RESTARTED`, `ERROR_ON_RESTART`, or the masks of the
/// session's `filters` (a masked application is not restarted, and that is no failure;
/// neither is a stopped application that never registered for restart).
///
/// Registrations are read from `state`; a relaunched process's registration is removed
/// (its successor registers anew). `services` drives the services; `None` asks
/// [`crate::service::detect`]. `cancel` is polled before each step; `progress` receives
/// percentages.
pub fn restart_apps(
    apps: &mut [ProcessInfo],
    state: &StateDir,
    filters: &Filters,
    services: Option<&dyn ServiceManager>,
    cancel: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(u32),
) -> RestartOutcome {
    let mut relaunched = Vec::new();
    let result = restart_inner(
        apps,
        state,
        filters,
        services,
        cancel,
        progress,
        &mut relaunched,
    );
    RestartOutcome { relaunched, result }
}

fn restart_inner(
    apps: &mut [ProcessInfo],
    state: &StateDir,
    filters: &Filters,
    services: Option<&dyn ServiceManager>,
    cancel: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(u32),
    relaunched: &mut Vec<Relaunched>,
) -> Result<(), Error> {
    for app in apps.iter_mut() {
        filters.apply(app);
    }
    let targets: Vec<usize> = (0..apps.len())
        .filter(|&i| {
            let app = &apps[i];
            let s = app.status;
            s.contains(AppStatus::STOPPED)
                && !s.contains(AppStatus::RESTARTED)
                && !s.contains(AppStatus::SHUTDOWN_MASKED)
                && !s.contains(AppStatus::RESTART_MASKED)
                && (app.restartable || phase_of(app) == Phase::Services)
        })
        .collect();
    let mut progress = Progress::new(targets.len(), progress);
    let mut detected: Option<Box<dyn ServiceManager>> = None;
    let mut started_services: Vec<(String, bool)> = Vec::new();

    for phase in PHASES.iter().rev() {
        let members: Vec<usize> = targets
            .iter()
            .copied()
            .filter(|&i| phase_of(&apps[i]) == *phase)
            .collect();
        for i in members {
            if cancel() {
                return Err(Error::Cancelled);
            }
            let ok = if *phase == Phase::Services {
                let name = apps[i].service_name.clone().unwrap_or_default();
                match started_services.iter().find(|(n, _)| *n == name) {
                    Some((_, ok)) => *ok,
                    None => {
                        let manager = match services {
                            Some(m) => Some(m),
                            None => {
                                if detected.is_none() {
                                    detected = crate::service::detect();
                                }
                                detected.as_deref()
                            }
                        };
                        let ok = match manager {
                            Some(m) => match m.start(&name, crate::DEFAULT_SHUTDOWN_TIMEOUT) {
                                Ok(()) => true,
                                Err(e) => {
                                    tracing::info!("{e}");
                                    false
                                }
                            },
                            None => {
                                tracing::info!("no service manager to start {name}");
                                false
                            }
                        };
                        started_services.push((name, ok));
                        ok
                    }
                }
            } else {
                match relaunch_registered(state, &apps[i]) {
                    Ok(new) => {
                        relaunched.push(Relaunched {
                            old: apps[i].process,
                            new,
                        });
                        true
                    }
                    Err(e) => {
                        tracing::info!(
                            "cannot restart {} (pid {}): {e}",
                            apps[i].app_name,
                            apps[i].process.pid
                        );
                        false
                    }
                }
            };
            let app = &mut apps[i];
            if ok {
                app.status.remove(AppStatus::ERROR_ON_RESTART);
                app.status.insert(AppStatus::RESTARTED);
            } else {
                app.status.insert(AppStatus::ERROR_ON_RESTART);
            }
            progress.tick();
        }
    }
    progress.finish();
    let failed: Vec<String> = targets
        .iter()
        .filter(|&&i| apps[i].status.contains(AppStatus::ERROR_ON_RESTART))
        .map(|&i| format!("{} (pid {})", apps[i].app_name, apps[i].process.pid))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::FailRestart(format!(
            "not restarted: {}",
            failed.join(", ")
        )))
    }
}

fn relaunch_registered(state: &StateDir, app: &ProcessInfo) -> Result<UniqueProcess, Error> {
    let reg = registration(state, &app.process)?.ok_or_else(|| {
        Error::io(
            "no restart registration",
            std::io::ErrorKind::NotFound.into(),
        )
    })?;
    // Checked again at restart: the registration must name the user the session saw the
    // process run as when it listed and shut it down (recorded in the session's own
    // state), whatever happened to the registration since.
    if app.uid != u32::MAX && reg.uid != app.uid {
        return Err(Error::io(
            format!(
                "the restart registration of pid {} claims uid {}, but the process ran as uid {}",
                app.process.pid, reg.uid, app.uid
            ),
            std::io::ErrorKind::PermissionDenied.into(),
        ));
    }
    let new = relaunch(&reg)?;
    if let Err(e) = unregister_restart(state, &app.process) {
        tracing::warn!(
            "cannot remove the used registration of pid {}: {e}",
            app.process.pid
        );
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_ids_are_parsed() {
        let status =
            "Name:\tx\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\t0\t100\t100\nGroups:\t4 24 27 \n";
        let ids = parse_status_ids(status).unwrap();
        assert_eq!((ids.uid, ids.euid, ids.gid, ids.egid), (1000, 1000, 100, 0));
        assert_eq!(ids.groups, vec![4, 24, 27]);
        let no_groups = "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n";
        assert!(parse_status_ids(no_groups).unwrap().groups.is_empty());
        assert!(parse_status_ids("Name: x\n").is_none());
    }

    #[test]
    fn the_command_line_limit_is_1024_characters_and_flags_are_checked() {
        let exact = vec![
            OsString::from("a".repeat(1000)),
            OsString::from("b".repeat(23)),
        ];
        assert!(check_args(&exact, 0).is_ok());
        let over = vec![
            OsString::from("a".repeat(1000)),
            OsString::from("b".repeat(24)),
        ];
        assert_eq!(check_args(&over, 0).unwrap_err().code(), 87);
        assert!(check_args(&[], ALL_FLAGS).is_ok());
        assert_eq!(check_args(&[], 16).unwrap_err().code(), 87);
    }

    #[test]
    fn a_replaced_executable_is_restarted_from_its_path() {
        assert_eq!(
            live_path(OsStr::new("/usr/bin/app (deleted)")),
            "/usr/bin/app"
        );
        assert_eq!(live_path(OsStr::new("/usr/bin/app")), "/usr/bin/app");
    }

    #[test]
    fn file_names_round_trip() {
        let p = UniqueProcess {
            pid: 12,
            start_time: 345,
        };
        assert_eq!(parse_file_name(&file_name(&p)), Some(p));
        assert_eq!(parse_file_name("x.json"), None);
        assert_eq!(parse_file_name("1-2.tmp"), None);
    }

    #[test]
    fn non_utf8_arguments_survive_serialization() {
        let reg = RestartRegistration {
            version: REGISTRATION_VERSION,
            process: UniqueProcess {
                pid: 1,
                start_time: 2,
            },
            program: "/bin/x".into(),
            argv0: "x".into(),
            args: vec![OsString::from_vec(vec![0xff, b'a']), "b c".into()],
            cwd: "/".into(),
            env: vec!["A=1".into()],
            uid: 1000,
            gid: 1000,
            groups: vec![],
            elevated: false,
            flags: 0,
        };
        let json = serde_json::to_string(&reg).unwrap();
        let back: RestartRegistration = serde_json::from_str(&json).unwrap();
        assert_eq!(back, reg);
    }
}
