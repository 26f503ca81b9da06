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

// --- re-exports: control ---
