//! Microsoft's Restart Manager, rebuilt for Linux.
//!
//! An installer that is about to replace files asks the Restart Manager which running
//! programs and services use them, shuts those down, replaces the files and restarts
//! what it stopped — instead of asking for a reboot. This crate does that with the
//! documented semantics of Windows' `Rstrtmgr.dll` (limits, error names and codes, who
//! may call what), mapped onto Linux.
//!
//! # Sessions
//! Everything happens in a session. [`Session::start`] creates one and makes the
//! calling process its *primary*; the session's [`SessionKey`] (32 lowercase hex
//! digits of OS randomness) is the only credential another process needs to join it
//! as a *secondary* ([`JoinedSession::join`]) — a custom action run by an installer,
//! say. Secondaries register resources and list, and leave with
//! [`JoinedSession::end`]; only the primary shuts down, restarts, filters and cancels
//! (`ERROR_SESSION_CREDENTIAL_CONFLICT` otherwise). At most 64 sessions are open per
//! user; a session whose primary process died is stale and behaves as ended.
//! Sessions live in an owner-only per-user state folder ([`StateDir`]), written
//! atomically under file locks so that many processes can register at once.
//!
//! # Resources and the affected list
//! [`Resources`] are files, processes ([`UniqueProcess`]: pid + start time) and
//! services. [`Session::list`] returns the [`AffectedApps`]: every process that has a
//! registered file open, mapped, as executable, cwd or root (matched by device and
//! inode), plus the registered processes and services, each a [`ProcessInfo`] with
//! its [`AppType`] and [`AppStatus`], and the [`RebootReasons`] that would make a
//! restart of the machine necessary. [`who_uses`] answers the same question for
//! paths without a session.
//!
//! # Shutdown and restart
//! [`Session::shutdown`] asks applications to exit with `SIGTERM` through a pidfd,
//! waits (30 s by default), and with `force` kills what remains; services go through
//! a [`ServiceManager`] (systemd or runit). [`Session::restart`] starts the services
//! again and relaunches the processes that registered for restart
//! ([`register_restart`], the analogue of `RegisterApplicationRestart`). [`Filter`]s
//! exclude applications from either step.
//!
//! # After an upgrade: old code
//! [`stale`] answers the administrator's question after a package upgrade — which
//! processes still run replaced or deleted code — from `/proc` alone, groups them by
//! service, user session and container ([`StaleReport`]), and checks the running kernel
//! against the newest installed one ([`kernel_status`]). [`Placer`] groups processes
//! found another way (the current users of files an upgrade will replace), and
//! [`RestartPolicy`] says which services a restart must never touch.
//!
//! # Errors
//! Every failure is an [`Error`] with the Windows name and code the documentation
//! gives (`ERROR_INVALID_HANDLE` = 6, `ERROR_MAX_SESSIONS_REACHED` = 353, …).
//!
//! This crate knows nothing of Windows Installer packages or of the `rstmgr` command
//! line: the installer engine and the CLI are built on top of it.
//!
//! ```
//! use restart_manager::{JoinedSession, Resources, Session, StateDir};
//!
//! # fn main() -> Result<(), restart_manager::Error> {
//! # let tmp = tempfile::tempdir().map_err(|e| restart_manager::Error::io("tempdir", e))?;
//! let state = StateDir::open(tmp.path().join("rstmgr"))?;
//! let session = Session::start_in(state.clone())?;
//!
//! // Another process would get the key as text and join with it.
//! let joined = JoinedSession::join_in(state, session.key())?;
//! joined.register(&Resources {
//!     files: vec!["/etc/hostname".into()],
//!     ..Resources::default()
//! })?;
//! joined.end()?;
//!
//! let affected = session.list()?;
//! assert!(affected.reboot_reasons.is_empty());
//! session.end()?;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

// --- core ---
mod error;
mod filter;
mod key;
mod resource;
mod session;
mod state;

// --- detection ---
mod info;
mod interp;
mod kernel;
mod maps;
mod proc_dir;
mod process;
mod scan;
mod stale;

// --- control ---
mod policy;
mod restart;
mod service;
mod shutdown;
mod signal;

// --- re-exports: core ---
pub use error::Error;
pub use filter::{Filter, FilterAction, FilterTarget, Filters};
pub use key::{CCH_SESSION_KEY, SESSION_KEY_LEN, SessionKey};
pub use resource::Resources;
pub use session::on_lost_apps;
pub use session::{
    AffectedApps, DEFAULT_SHUTDOWN_TIMEOUT, JoinedSession, MAX_SESSIONS, Opened, RestartReport,
    Session, ShutdownOptions, ShutdownReport,
};
pub use state::{Folder, Lock, STATE_DIR_ENV, StateDir};

// --- re-exports: detection ---
pub use info::{
    AppStatus, AppType, INVALID_SESSION_ID, MAX_APP_NAME, MAX_SERVICE_NAME, ProcessInfo,
    RebootReasons, is_critical_name, is_critical_service,
};
pub use process::UniqueProcess;
pub use scan::{
    Caller, FileUse, ScanOptions, ScanReport, UseKinds, affected, describe, reboot_reasons,
    who_uses,
};

pub use kernel::{KernelStatus, compare_versions, kernel_status};
pub use stale::{
    Placed, Placer, StaleFile, StaleHow, StaleOptions, StaleProcess, StaleReport, stale, user_name,
};

// --- re-exports: control ---
pub use policy::{BUILTIN_DENY, RestartPolicy, services_of_ancestors};
pub use restart::{
    RESTART_MAX_CMD_LINE, RESTART_NO_CRASH, RESTART_NO_HANG, RESTART_NO_PATCH, RESTART_NO_REBOOT,
    RefusedRegistration, Relaunched, RestartOutcome, RestartRegistration, can_relaunch,
    check_restartable, is_restartable, register_restart, register_restart_for, registration,
    relaunch, restart_apps, unregister_restart,
};
pub use service::{
    Both, DEFAULT_SVDIR, Runit, SVDIR_ENV, ServiceManager, Systemd, check_service_name, detect,
    service_of, service_processes, unit_from_cgroup,
};
pub use shutdown::{
    RM_FORCE_SHUTDOWN, RM_SHUTDOWN_ONLY_REGISTERED, SHUTDOWN_TIMEOUT_ENV, default_shutdown_timeout,
    parse_timeout, shutdown_apps, shutdown_options_from_flags,
};
pub use signal::{KILL_GRACE, ProcessHandle, SignalError, WaitEnd, terminate, wait_all};
