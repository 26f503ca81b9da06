//! Microsoft's Restart Manager, rebuilt for Linux (being built: see issue 4).
//!
//! Module ownership while the crate is being built in parallel:
//! core = error, key, state, session, resource, filter;
//! detection = process, scan, info;
//! control = signal, service, shutdown, restart.

// --- core ---
mod error;
mod filter;
mod key;
mod resource;
mod session;
mod state;

// --- detection ---
mod info;
mod process;
mod scan;

// --- control ---
mod restart;
mod service;
mod shutdown;
mod signal;

// --- re-exports: core ---
pub use error::Error;
pub use filter::{Filter, FilterAction, FilterTarget, Filters};
pub use key::{CCH_SESSION_KEY, SESSION_KEY_LEN, SessionKey};
pub use resource::Resources;
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

// --- re-exports: control ---
pub use restart::{
    RESTART_MAX_CMD_LINE, RESTART_NO_CRASH, RESTART_NO_HANG, RESTART_NO_PATCH, RESTART_NO_REBOOT,
    Relaunched, RestartOutcome, RestartRegistration, can_relaunch, is_restartable,
    register_restart, register_restart_for, registration, relaunch, restart_apps,
    unregister_restart,
};
pub use service::{
    DEFAULT_SVDIR, Runit, SVDIR_ENV, ServiceManager, Systemd, check_service_name, detect,
    service_of, service_processes, unit_from_cgroup,
};
pub use shutdown::{
    RM_FORCE_SHUTDOWN, RM_SHUTDOWN_ONLY_REGISTERED, SHUTDOWN_TIMEOUT_ENV, default_shutdown_timeout,
    parse_timeout, shutdown_apps, shutdown_options_from_flags,
};
pub use signal::{KILL_GRACE, ProcessHandle, SignalError, WaitEnd, terminate, wait_all};
