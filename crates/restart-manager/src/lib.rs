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

// --- re-exports: control ---
