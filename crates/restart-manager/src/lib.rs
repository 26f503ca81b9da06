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

// --- re-exports: detection ---
pub use info::{
    AppStatus, AppType, INVALID_SESSION_ID, MAX_APP_NAME, MAX_SERVICE_NAME, ProcessInfo,
    RebootReasons, is_critical_name, is_critical_service,
};
pub use process::UniqueProcess;

// --- re-exports: control ---
