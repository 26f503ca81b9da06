//! Sessions: start, join, register, list, shut down, restart, filter, cancel, end
//! ("RmStartSession function" … "RmEndSession function").
//!
//! # Where a session lives
//! One folder per session under `<state>/sessions/`, named by the SHA-256 of the
//! key (never by the key). It holds `state.json` (versioned, replaced atomically)
//! and `lock` (an `flock` taken around every read-modify-write, so concurrent
//! writers from many processes lose nothing), plus a `cancel` marker while a
//! cancel request is pending. `<state>/sessions/lock` guards the creation and
//! counting of sessions.
//!
//! # Who is the primary
//! The primary is the process that started the session, recorded as pid + start
//! time. A session started through the library ([`Session::start`]) is primary
//! only inside that process: the [`Session`] value is the primary and every other
//! process is a secondary. A session started on someone's behalf
//! ([`Session::start_for_owner`], as `rstmgr start` does for its parent) records
//! that owner; a later process that can show it acts for the owner
//! ([`Session::resume`], as an `rstmgr` command whose parent is the owner does) is
//! primary too. Everyone else joins as a [`JoinedSession`], which can register,
//! list and leave but not shut down, restart, filter or cancel: those calls are
//! refused with `ERROR_SESSION_CREDENTIAL_CONFLICT` (1219), the one error the
//! documentation gives a secondary calling a primary-only function ("Using Restart Manager with
//! a Secondary Installer", "RmAddFilter function").
//!
//! # Lifetime
//! [`Session::end`] destroys the session; [`JoinedSession::end`] only ends that
//! caller's participation. A session whose owner has died (pid + start time no
//! longer alive) is stale: it behaves as ended (`ERROR_INVALID_HANDLE`), does not
//! count toward the limit of 64 open sessions per user, and is removed by the next
//! caller that sees it. If it had shut applications down that were never
//! restarted, the removal says so on stderr and in the system log.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::filter::{Filter, FilterAction, FilterTarget, Filters};
use crate::key::SessionKey;
use crate::resource::{Resources, path_serde};
use crate::scan::{self, ScanOptions};
use crate::state::{Folder, StateDir};
use crate::{
    AppStatus, AppType, Error, ProcessInfo, RebootReasons, RefusedRegistration, Relaunched,
    UniqueProcess,
};
use crate::{restart, shutdown};

/// At most this many open sessions per user ("RmStartSession function").
pub const MAX_SESSIONS: usize = 64;

/// Default graceful-shutdown wait, as on Windows ("RmShutdown function").
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// Version of the `state.json` format written by this build.
const STATE_VERSION: u32 = 1;

const SESSIONS_DIR: &str = "sessions";
const SESSIONS_LOCK: &str = "lock";
const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = "lock";
const CANCEL_FILE: &str = "cancel";

/// How the primary of a session is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum OwnerKind {
    /// Started through the library: primary only inside the owner process.
    Library,
    /// Started on behalf of `owner` (by `rstmgr start`): a process acting for the
    /// owner may resume the session as primary.
    Delegated,
}

/// What the session remembers about an application it acted on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AppRecord {
    pub(crate) info: ProcessInfo,
    pub(crate) uid: u32,
    #[serde(default, with = "opt_path")]
    pub(crate) exe: Option<PathBuf>,
}

mod opt_path {
    use crate::resource::PathRepr;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::path::PathBuf;

    pub(crate) fn serialize<S: Serializer>(p: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
        p.as_deref().map(PathRepr::from_path).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<PathBuf>, D::Error> {
        Ok(Option::<PathRepr>::deserialize(d)?.map(PathRepr::into_path))
    }
}

impl AppRecord {
    fn from_info(info: &ProcessInfo) -> AppRecord {
        AppRecord {
            info: info.clone(),
            uid: info.uid,
            exe: info.exe.clone(),
        }
    }

    fn to_info(&self) -> ProcessInfo {
        let mut info = self.info.clone();
        info.uid = self.uid;
        info.exe = self.exe.clone();
        info
    }
}

/// The operation running in a session, for cancel and for stale-session checks.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Task {
    kind: String,
    by: UniqueProcess,
}

/// The persistent state of one session (`state.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionState {
    version: u32,
    owner: UniqueProcess,
    owner_kind: OwnerKind,
    #[serde(default)]
    participants: Vec<UniqueProcess>,
    #[serde(default)]
    resources: Resources,
    #[serde(default)]
    filters: Filters,
    /// Whether `shutdown` has been called (restart before it is out of sequence).
    #[serde(default)]
    shutdown_called: bool,
    /// Applications the session acted on, with their status history.
    #[serde(default)]
    apps: Vec<AppRecord>,
    #[serde(default)]
    task: Option<Task>,
    /// The state folder's path at creation, for messages only.
    #[serde(default, with = "path_serde")]
    state_path: PathBuf,
}

impl SessionState {
    fn unrestarted(&self) -> Vec<&AppRecord> {
        self.apps
            .iter()
            .filter(|a| {
                a.info.status.contains(AppStatus::STOPPED)
                    && !a.info.status.contains(AppStatus::RESTARTED)
            })
            .collect()
    }
}

/// The affected-application list (`RmGetList`): every application or service that
/// uses a registered resource, plus the reasons a restart of the machine would be
/// needed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedApps {
    /// The applications, in a stable order (by pid, then start time).
    #[serde(rename = "processes")]
    pub apps: Vec<ProcessInfo>,
    /// Why freeing the resources needs a restart of the machine (empty: it does not).
    pub reboot_reasons: RebootReasons,
    /// Restart registrations of other users' processes that were refused because they
    /// claim more than the session observed (see [`crate::check_restartable`]): the
    /// caller logs them. Not part of the `--json` wire format.
    #[serde(skip)]
    pub refused_registrations: Vec<RefusedRegistration>,
}

impl AffectedApps {
    /// Copies the entries into a caller's buffer, as `RmGetList` does: the number
    /// copied, or `ERROR_MORE_DATA` with the number `needed` when `out` is too small
    /// (nothing is copied then).
    pub fn copy_to(&self, out: &mut [ProcessInfo]) -> Result<usize, Error> {
        let needed = self.apps.len();
        if out.len() < needed {
            return Err(Error::MoreData { needed });
        }
        out[..needed].clone_from_slice(&self.apps);
        Ok(needed)
    }
}

/// Options of [`Session::shutdown`] (`RM_SHUTDOWN_TYPE` plus the wait).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownOptions {
    /// `RmForceShutdown`: kill what does not exit within `timeout`.
    pub force: bool,
    /// `RmShutdownOnlyRegistered`: shut nothing down unless every affected
    /// application can be restarted.
    pub only_registered: bool,
    /// How long to wait for a graceful exit (default 30 s).
    pub timeout: Duration,
}

impl Default for ShutdownOptions {
    fn default() -> ShutdownOptions {
        ShutdownOptions {
            force: false,
            only_registered: false,
            timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}

/// What a shutdown did: every application it considered, with its status after.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// The applications, with `STOPPED`, `ERROR_ON_STOP`, `SHUTDOWN_MASKED`… set.
    pub apps: Vec<ProcessInfo>,
    /// Refused restart registrations, as in [`AffectedApps::refused_registrations`].
    pub refused_registrations: Vec<RefusedRegistration>,
}

/// What a restart did: every application it considered, with its status after.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestartReport {
    /// The applications, with `RESTARTED`, `ERROR_ON_RESTART`, `RESTART_MASKED`… set.
    pub apps: Vec<ProcessInfo>,
    /// The processes relaunched, old and new instance.
    pub relaunched: Vec<Relaunched>,
}

/// An open session folder: where it is and how to lock, read and write it.
#[derive(Debug)]
struct SessionFiles {
    state: StateDir,
    dir_name: String,
    folder: Folder,
    /// Leave this process out of scans: it acts for another process (as `rstmgr`
    /// acts for its parent), and its own use of a file (it maps the C library, for
    /// one) is not an application's.
    skip_self: bool,
}

impl SessionFiles {
    /// Opens the session of `key`, or `ERROR_INVALID_HANDLE`.
    fn open(state: &StateDir, key: &SessionKey) -> Result<SessionFiles, Error> {
        let sessions = state.subdir(SESSIONS_DIR)?;
        let dir_name = key.dir_name();
        let folder = sessions
            .existing_subdir(&dir_name)?
            .ok_or(Error::InvalidHandle)?;
        Ok(SessionFiles {
            state: state.clone(),
            dir_name,
            folder,
            skip_self: false,
        })
    }

    fn read(&self) -> Result<SessionState, Error> {
        let bytes = self.folder.read(STATE_FILE)?.ok_or(Error::InvalidHandle)?;
        parse_state(&bytes, &self.folder.path().join(STATE_FILE))
    }

    fn write(&self, state: &SessionState) -> Result<(), Error> {
        let bytes = serde_json::to_vec(state).map_err(|e| {
            Error::write_fault(
                self.folder.path().join(STATE_FILE),
                std::io::Error::other(e),
            )
        })?;
        self.folder.write_atomic(STATE_FILE, &bytes)
    }

    /// Locks the session, reads it (refusing an ended or stale one), lets `f`
    /// change it, writes it back if `f` succeeded. The lock covers the whole
    /// read-modify-write, so concurrent callers never lose each other's changes.
    fn update<T>(&self, f: impl FnOnce(&mut SessionState) -> Result<T, Error>) -> Result<T, Error> {
        let lock = self.lock()?;
        let mut st = self.read()?;
        if !st.owner_alive() {
            drop(lock);
            self.remove_stale()?;
            return Err(Error::InvalidHandle);
        }
        let out = f(&mut st)?;
        self.write(&st)?;
        Ok(out)
    }

    /// Takes the session's lock. A session folder removed meanwhile (ended by its
    /// primary) cannot even hold a lock file: that is `ERROR_INVALID_HANDLE`.
    fn lock(&self) -> Result<crate::state::Lock, Error> {
        match self.folder.lock(LOCK_FILE) {
            Ok(lock) => Ok(lock),
            Err(_) if !self.folder.exists(STATE_FILE) => Err(Error::InvalidHandle),
            Err(e) => Err(e),
        }
    }

    /// Reads the session without changing it, refusing an ended or stale one.
    fn snapshot(&self) -> Result<SessionState, Error> {
        let st = self.read()?;
        if !st.owner_alive() {
            self.remove_stale()?;
            return Err(Error::InvalidHandle);
        }
        Ok(st)
    }

    fn remove_stale(&self) -> Result<(), Error> {
        let sessions = self.state.subdir(SESSIONS_DIR)?;
        remove_if_stale(&sessions, &self.dir_name)
    }

    /// Removes the session folder; the state file goes first, so that anyone
    /// waiting on the lock then finds the session ended.
    fn destroy(&self) -> Result<(), Error> {
        self.folder.remove(STATE_FILE)?;
        let sessions = self.state.subdir(SESSIONS_DIR)?;
        sessions.remove_subdir(&self.dir_name)
    }
}

impl SessionState {
    fn owner_alive(&self) -> bool {
        self.owner.is_alive()
    }
}

fn parse_state(bytes: &[u8], path: &Path) -> Result<SessionState, Error> {
    let st: SessionState = serde_json::from_slice(bytes).map_err(|e| {
        Error::write_fault(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    if st.version != STATE_VERSION {
        return Err(Error::write_fault(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("session state version {} is not supported", st.version),
            ),
        ));
    }
    Ok(st)
}

/// Removes the session folder `name` if its owner is dead (or its state is gone),
/// warning about applications it shut down and never restarted. Takes the
/// session's lock so that it never races a writer.
fn remove_if_stale(sessions: &Folder, name: &str) -> Result<(), Error> {
    let Some(folder) = sessions.existing_subdir(name)? else {
        return Ok(());
    };
    let lock = folder.lock(LOCK_FILE)?;
    let st = match folder.read(STATE_FILE)? {
        Some(bytes) => match parse_state(&bytes, &folder.path().join(STATE_FILE)) {
            Ok(st) => Some(st),
            // A state this build cannot read is left alone: it may be a newer
            // build's session.
            Err(_) => return Ok(()),
        },
        None => None,
    };
    if let Some(st) = &st {
        if st.owner_alive() {
            return Ok(());
        }
        let lost = st.unrestarted();
        if !lost.is_empty() {
            let names: Vec<String> = lost
                .iter()
                .map(|a| format!("{} (pid {})", a.info.app_name, a.info.process.pid))
                .collect();
            report_lost_apps(&format!(
                "rstmgr: removing a stale session whose owner (pid {}) died; it had shut down {} application(s) that were never restarted: {}",
                st.owner.pid,
                lost.len(),
                names.join(", ")
            ));
        }
    }
    folder.remove(STATE_FILE)?;
    drop(lock);
    sessions.remove_subdir(name)
}

/// Where the warning about a stale session's lost applications goes besides `tracing`
/// (see [`on_lost_apps`]).
static LOST_APPS: std::sync::OnceLock<fn(&str)> = std::sync::OnceLock::new();

/// Sets who tells the user when a stale session is removed whose owner died after shutting
/// down applications it never restarted. The library only logs the warning with `tracing`
/// (a library writes neither to stderr nor to the system log by itself); a program passes
/// a function that says it where its user looks (`rstmgr` and `rmsi`: stderr and syslog).
/// The first call wins.
pub fn on_lost_apps(report: fn(&str)) {
    let _ = LOST_APPS.set(report);
}

/// Logs the warning and hands it to the program's reporter, if it set one.
fn report_lost_apps(message: &str) {
    tracing::warn!("{message}");
    if let Some(report) = LOST_APPS.get() {
        report(message);
    }
}

/// Counts the live sessions in `sessions`, removing the stale ones.
fn count_live_sessions(sessions: &Folder) -> Result<usize, Error> {
    let mut live = 0;
    for name in sessions.names()? {
        if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        // The state file is replaced atomically, so reading it needs no lock; only
        // a session that looks stale is locked and looked at again.
        let Some(folder) = sessions.existing_subdir(&name)? else {
            continue;
        };
        let alive = folder
            .read(STATE_FILE)?
            .and_then(|bytes| parse_state(&bytes, folder.path()).ok())
            .is_some_and(|st| st.owner_alive());
        if alive {
            live += 1;
            continue;
        }
        remove_if_stale(sessions, &name)?;
        if sessions.existing_subdir(&name)?.is_some() {
            live += 1;
        }
    }
    Ok(live)
}

fn current_process() -> Result<UniqueProcess, Error> {
    UniqueProcess::current().map_err(|e| Error::io("cannot read this process's start time", e))
}

fn create_session(
    state: &StateDir,
    owner: UniqueProcess,
    owner_kind: OwnerKind,
) -> Result<(SessionKey, SessionFiles), Error> {
    let sessions = state.subdir(SESSIONS_DIR)?;
    let _guard = sessions.lock(SESSIONS_LOCK)?;
    if count_live_sessions(&sessions)? >= MAX_SESSIONS {
        return Err(Error::MaxSessionsReached {
            limit: MAX_SESSIONS,
        });
    }
    let key = SessionKey::generate()?;
    let dir_name = key.dir_name();
    if sessions.existing_subdir(&dir_name)?.is_some() {
        // 128 random bits make this practically impossible; Windows documents an
        // (unnamed) error for it ("RmStartSession function").
        return Err(Error::BadArguments(
            "a session with the same key already exists".into(),
        ));
    }
    let folder = sessions.subdir(&dir_name)?;
    let files = SessionFiles {
        state: state.clone(),
        dir_name,
        folder,
        skip_self: owner.pid != std::process::id(),
    };
    let st = SessionState {
        version: STATE_VERSION,
        owner,
        owner_kind,
        participants: Vec::new(),
        resources: Resources::default(),
        filters: Filters::default(),
        shutdown_called: false,
        apps: Vec::new(),
        task: None,
        state_path: state.path().to_path_buf(),
    };
    files.write(&st)?;
    Ok((key, files))
}

/// A session's primary: it can register, list, filter, shut down, restart,
/// cancel and end the session.
///
/// Invariant: this process is the session's owner, or acts for it (see the
/// module docs). The value is `Send + Sync`, so [`Session::cancel`] can be called
/// from another thread while [`Session::shutdown`] runs.
#[derive(Debug)]
pub struct Session {
    key: SessionKey,
    files: SessionFiles,
}

/// A session joined by key (a secondary): it can register, list and leave.
#[derive(Debug)]
pub struct JoinedSession {
    key: SessionKey,
    files: SessionFiles,
    me: UniqueProcess,
}

/// A session opened by key by a process that may or may not act for its owner.
#[derive(Debug)]
pub enum Opened {
    /// The caller acts for the owner.
    Primary(Session),
    /// The caller is a secondary.
    Secondary(JoinedSession),
}

impl Session {
    /// Starts a session in the default state folder; this process is its primary.
    pub fn start() -> Result<Session, Error> {
        Session::start_in(StateDir::open_default()?)
    }

    /// Starts a session in `state`; this process is its primary
    /// (`RmStartSession`). Fails with `ERROR_MAX_SESSIONS_REACHED` when 64 live
    /// sessions are open for this user.
    pub fn start_in(state: StateDir) -> Result<Session, Error> {
        let me = current_process()?;
        let (key, files) = create_session(&state, me, OwnerKind::Library)?;
        Ok(Session { key, files })
    }

    /// Starts a session on behalf of `owner` (as `rstmgr start` does for its
    /// parent): the session lives as long as `owner` does, and a process that
    /// acts for `owner` may [`Session::resume`] it as primary.
    pub fn start_for_owner(state: StateDir, owner: UniqueProcess) -> Result<Session, Error> {
        if !owner.is_alive() {
            return Err(Error::NoSuchProcess { pid: owner.pid });
        }
        let (key, files) = create_session(&state, owner, OwnerKind::Delegated)?;
        Ok(Session { key, files })
    }

    /// Opens the session of `key` as its primary on behalf of `claimant`, the
    /// process this caller acts for (`rstmgr` passes its parent). Succeeds only
    /// for a session started with [`Session::start_for_owner`] whose owner is
    /// exactly `claimant`; `ERROR_SESSION_CREDENTIAL_CONFLICT` otherwise.
    pub fn resume(
        state: StateDir,
        key: &SessionKey,
        claimant: UniqueProcess,
    ) -> Result<Session, Error> {
        match Session::open(state, key, claimant)? {
            Opened::Primary(s) => Ok(s),
            Opened::Secondary(_) => Err(not_primary("act as the primary")),
        }
    }

    /// Opens the session of `key` for `claimant`: as primary if `claimant` is the
    /// recorded owner of a session started with [`Session::start_for_owner`], as a
    /// secondary otherwise (joining it, as [`JoinedSession::join_as`] does).
    pub fn open(
        state: StateDir,
        key: &SessionKey,
        claimant: UniqueProcess,
    ) -> Result<Opened, Error> {
        let mut files = SessionFiles::open(&state, key)?;
        files.skip_self = claimant.pid != std::process::id();
        let st = files.snapshot()?;
        if st.owner_kind == OwnerKind::Delegated && st.owner == claimant {
            return Ok(Opened::Primary(Session {
                key: key.clone(),
                files,
            }));
        }
        Ok(Opened::Secondary(JoinedSession::join_as(
            state, key, claimant,
        )?))
    }

    /// The session key (32 lowercase hex digits when displayed).
    pub fn key(&self) -> &SessionKey {
        &self.key
    }

    /// The state folder the session lives in.
    pub fn state_dir(&self) -> &StateDir {
        &self.files.state
    }

    /// Adds resources to the session (`RmRegisterResources`).
    pub fn register(&self, resources: &Resources) -> Result<(), Error> {
        register(&self.files, resources)
    }

    /// The resources registered so far, by every participant.
    pub fn registered(&self) -> Result<Resources, Error> {
        Ok(self.files.snapshot()?.resources)
    }

    /// The affected-application list (`RmGetList`), recomputed on every call.
    pub fn list(&self) -> Result<AffectedApps, Error> {
        list(&self.files)
    }

    /// Adds or replaces a filter (`RmAddFilter`).
    pub fn add_filter(&self, action: FilterAction, target: &FilterTarget) -> Result<(), Error> {
        let target = target.validated()?;
        self.files.update(|st| {
            st.filters.add(Filter { action, target });
            Ok(())
        })
    }

    /// Removes the filter on `target` (`RmRemoveFilter`); `ERROR_FILE_NOT_FOUND`
    /// when there is none.
    pub fn remove_filter(&self, target: &FilterTarget) -> Result<(), Error> {
        let target = target.validated()?;
        self.files
            .update(|st| st.filters.remove(&target).map(|_| ()))
    }

    /// The filters (`RmGetFilterList`).
    pub fn filters(&self) -> Result<Filters, Error> {
        Ok(self.files.snapshot()?.filters)
    }

    /// Shuts down the affected applications (`RmShutdown`), reporting progress in
    /// percent. See the control part of the crate for the protocol.
    pub fn shutdown(
        &self,
        opts: &ShutdownOptions,
        progress: &mut dyn FnMut(u32),
    ) -> Result<ShutdownReport, Error> {
        let st = self.files.snapshot()?;
        let (mut apps, _, refused_registrations) = compute_list(&self.files, &st)?;
        self.begin_task("shutdown", |st| st.shutdown_called = true)?;
        // Reboot reasons over what would be shut down: a filtered-out application
        // is not a target, and what this session already stopped is not either.
        let targets: Vec<ProcessInfo> = apps
            .iter()
            .filter(|a| {
                a.status.contains(AppStatus::RUNNING)
                    && !a.status.contains(AppStatus::SHUTDOWN_MASKED)
                    && !a.status.contains(AppStatus::STOPPED)
            })
            .cloned()
            .collect();
        let result = if scan::reboot_reasons(&targets, &scan_options(&st, self.files.skip_self))
            .is_empty()
        {
            let cancel = || self.cancel_requested();
            shutdown::shutdown_apps(&mut apps, opts, &st.filters, None, &cancel, progress)
        } else {
            Err(Error::FailNoactionReboot)
        };
        self.end_task(&apps)?;
        result.map(|()| ShutdownReport {
            apps,
            refused_registrations,
        })
    }

    /// Restarts what [`Session::shutdown`] shut down (`RmRestart`);
    /// `ERROR_REQUEST_OUT_OF_SEQUENCE` before any shutdown.
    pub fn restart(&self, progress: &mut dyn FnMut(u32)) -> Result<RestartReport, Error> {
        let st = self.files.snapshot()?;
        if !st.shutdown_called {
            return Err(Error::RequestOutOfSequence);
        }
        let mut apps: Vec<ProcessInfo> = st.apps.iter().map(AppRecord::to_info).collect();
        self.begin_task("restart", |_| {})?;
        let cancel = || self.cancel_requested();
        let outcome = restart::restart_apps(
            &mut apps,
            &self.files.state,
            &st.filters,
            None,
            &cancel,
            progress,
        );
        self.end_task(&apps)?;
        outcome.result.map(|()| RestartReport {
            apps,
            relaunched: outcome.relaunched,
        })
    }

    /// Records that an operation runs (for cancel), clearing any stale request.
    fn begin_task(&self, kind: &str, f: impl FnOnce(&mut SessionState)) -> Result<(), Error> {
        let by = current_process()?;
        let folder = &self.files.folder;
        self.files.update(|st| {
            folder.remove(CANCEL_FILE)?;
            st.task = Some(Task {
                kind: kind.to_owned(),
                by,
            });
            f(st);
            Ok(())
        })
    }

    /// Records what the operation did and that it is over.
    fn end_task(&self, apps: &[ProcessInfo]) -> Result<(), Error> {
        let folder = &self.files.folder;
        self.files.update(|st| {
            record_apps(st, apps);
            st.task = None;
            folder.remove(CANCEL_FILE)
        })
    }

    /// Asks a running shutdown or restart to stop (`RmCancelCurrentTask`). Returns
    /// as soon as the request is recorded; the operation then returns
    /// `ERROR_CANCELLED` if it was not too far along. A request made while
    /// nothing runs is dropped.
    pub fn cancel(&self) -> Result<(), Error> {
        let folder = &self.files.folder;
        self.files.update(|st| {
            if st.task.is_some() {
                folder.touch(CANCEL_FILE)?;
            }
            Ok(())
        })
    }

    /// Whether a cancel request is pending (polled by running operations).
    pub fn cancel_requested(&self) -> bool {
        self.files.folder.exists(CANCEL_FILE)
    }

    /// Ends the session (`RmEndSession` by the primary): it is destroyed, and every
    /// later call on its key fails with `ERROR_INVALID_HANDLE`.
    pub fn end(self) -> Result<(), Error> {
        let lock = self.files.lock()?;
        self.files.read()?;
        self.files.destroy()?;
        drop(lock);
        Ok(())
    }
}

fn not_primary(what: &str) -> Error {
    Error::SessionCredentialConflict(format!(
        "only the session's primary (the process that started it) may {what}; this caller joined as a secondary"
    ))
}

fn register(files: &SessionFiles, resources: &Resources) -> Result<(), Error> {
    let resources = resources.validated()?;
    files.update(|st| {
        st.resources.merge(&resources);
        Ok(())
    })
}

fn list(files: &SessionFiles) -> Result<AffectedApps, Error> {
    let st = files.snapshot()?;
    let (apps, reboot_reasons, refused_registrations) = compute_list(files, &st)?;
    Ok(AffectedApps {
        apps,
        reboot_reasons,
        refused_registrations,
    })
}

/// The options every scan of this session uses: the owner is the session's own
/// primary (a `detected_self` reason when it uses a registered file).
fn scan_options(st: &SessionState, skip_self: bool) -> ScanOptions {
    ScanOptions {
        primary: Some(st.owner),
        skip_self,
        ..ScanOptions::default()
    }
}

/// Recomputes the affected list ("RmGetList function"): the live users of the registered
/// files, the live registered processes, the running registered services, then
/// the applications this session acted on that are no longer found (with their
/// recorded status). Filters are applied to every entry; `restartable` is filled
/// in from restart registrations. Reboot reasons cover the live entries.
fn compute_list(
    files: &SessionFiles,
    st: &SessionState,
) -> Result<(Vec<ProcessInfo>, RebootReasons, Vec<RefusedRegistration>), Error> {
    for path in &st.resources.files {
        if path.is_dir() {
            return Err(Error::AccessDenied { path: path.clone() });
        }
    }
    let opts = scan_options(st, files.skip_self);
    let report = scan::affected(&st.resources.files, &st.resources.processes, &opts)?;
    let mut apps = report.processes;
    if let Some(manager) = opts.services.as_deref() {
        for service in &st.resources.services {
            // An unknown or stopped service has no process to list; registering it
            // is not an error ("RmRegisterResources function" does not say).
            if !manager.exists(service) {
                continue;
            }
            let Ok(pids) = manager.processes(service) else {
                continue;
            };
            let Some(process) = pids.first().and_then(|&pid| UniqueProcess::of(pid).ok()) else {
                continue;
            };
            if let Some(existing) = apps.iter_mut().find(|a| a.process == process) {
                existing.service_name.get_or_insert_with(|| service.clone());
                continue;
            }
            if let Some(mut info) = scan::describe(process, &opts) {
                info.service_name.get_or_insert_with(|| service.clone());
                if info.app_type != AppType::Critical {
                    info.app_type = AppType::Service;
                }
                info.restartable = info.app_type == AppType::Service;
                apps.push(info);
            }
        }
    }
    let state_dir = &files.state;
    let mut refused = Vec::new();
    for app in &mut apps {
        if app.app_type != AppType::Service && app.app_type != AppType::Critical {
            app.restartable = match restart::check_restartable(state_dir, &app.process) {
                Ok(ok) => ok,
                Err(r) => {
                    refused.push(r);
                    false
                }
            };
        }
    }
    let reasons = scan::reboot_reasons(&apps, &opts);
    // Merge in the history: a live entry takes the recorded status bits; an entry
    // no longer running is listed as recorded.
    for record in &st.apps {
        match apps.iter_mut().find(|a| a.process == record.info.process) {
            Some(live) => {
                live.status = record.info.status;
                live.status.insert(AppStatus::RUNNING);
            }
            None => {
                let mut info = record.to_info();
                info.status.remove(AppStatus::RUNNING);
                apps.push(info);
            }
        }
    }
    for app in &mut apps {
        st.filters.apply(app);
    }
    apps.sort_by_key(|a| a.process);
    Ok((apps, reasons, refused))
}

/// Records `apps` (after a shutdown or restart) in the session's history,
/// replacing earlier records of the same processes.
fn record_apps(st: &mut SessionState, apps: &[ProcessInfo]) {
    for app in apps {
        let record = AppRecord::from_info(app);
        match st.apps.iter_mut().find(|r| r.info.process == app.process) {
            Some(existing) => *existing = record,
            None => st.apps.push(record),
        }
    }
}

impl JoinedSession {
    /// Joins the session of `key` in the default state folder (`RmJoinSession`).
    pub fn join(key: &SessionKey) -> Result<JoinedSession, Error> {
        JoinedSession::join_in(StateDir::open_default()?, key)
    }

    /// Joins the session of `key` in `state` as this process.
    pub fn join_in(state: StateDir, key: &SessionKey) -> Result<JoinedSession, Error> {
        JoinedSession::join_as(state, key, current_process()?)
    }

    /// Joins the session of `key` in `state` as `participant` (the process this
    /// caller acts for). An unknown, ended or stale key is refused with
    /// `ERROR_INVALID_HANDLE`.
    pub fn join_as(
        state: StateDir,
        key: &SessionKey,
        participant: UniqueProcess,
    ) -> Result<JoinedSession, Error> {
        let mut files = SessionFiles::open(&state, key)?;
        files.skip_self = participant.pid != std::process::id();
        files.update(|st| {
            if !st.participants.contains(&participant) {
                st.participants.push(participant);
            }
            Ok(())
        })?;
        Ok(JoinedSession {
            key: key.clone(),
            files,
            me: participant,
        })
    }

    /// The session key.
    pub fn key(&self) -> &SessionKey {
        &self.key
    }

    /// Adds resources to the session (`RmRegisterResources`).
    pub fn register(&self, resources: &Resources) -> Result<(), Error> {
        register(&self.files, resources)
    }

    /// The resources registered so far, by every participant.
    pub fn registered(&self) -> Result<Resources, Error> {
        Ok(self.files.snapshot()?.resources)
    }

    /// The affected-application list (`RmGetList`).
    pub fn list(&self) -> Result<AffectedApps, Error> {
        list(&self.files)
    }

    /// Refused: only the primary may shut down (`ERROR_SESSION_CREDENTIAL_CONFLICT`).
    pub fn shutdown(
        &self,
        _opts: &ShutdownOptions,
        _progress: &mut dyn FnMut(u32),
    ) -> Result<ShutdownReport, Error> {
        self.files.snapshot()?;
        Err(not_primary("shut applications down"))
    }

    /// Refused: only the primary may restart (`ERROR_SESSION_CREDENTIAL_CONFLICT`).
    pub fn restart(&self, _progress: &mut dyn FnMut(u32)) -> Result<RestartReport, Error> {
        self.files.snapshot()?;
        Err(not_primary("restart applications"))
    }

    /// Refused: only the primary may add filters (`ERROR_SESSION_CREDENTIAL_CONFLICT`).
    pub fn add_filter(&self, _action: FilterAction, _target: &FilterTarget) -> Result<(), Error> {
        self.files.snapshot()?;
        Err(not_primary("add filters"))
    }

    /// Refused: only the primary may remove filters (`ERROR_SESSION_CREDENTIAL_CONFLICT`).
    pub fn remove_filter(&self, _target: &FilterTarget) -> Result<(), Error> {
        self.files.snapshot()?;
        Err(not_primary("remove filters"))
    }

    /// Refused: only the primary may list filters (`ERROR_SESSION_CREDENTIAL_CONFLICT`).
    pub fn filters(&self) -> Result<Filters, Error> {
        self.files.snapshot()?;
        Err(not_primary("list filters"))
    }

    /// Refused: only the primary may cancel (`ERROR_SESSION_CREDENTIAL_CONFLICT`).
    pub fn cancel(&self) -> Result<(), Error> {
        self.files.snapshot()?;
        Err(not_primary("cancel an operation"))
    }

    /// Leaves the session (`RmEndSession` by a secondary); the session goes on.
    pub fn end(self) -> Result<(), Error> {
        let me = self.me;
        self.files.update(|st| {
            st.participants.retain(|p| *p != me);
            Ok(())
        })
    }
}
