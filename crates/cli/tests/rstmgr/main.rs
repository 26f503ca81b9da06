//! The `rstmgr` tool's integration tests, one binary (run one family with
//! `cargo test -p rmsi-cli --test rstmgr session::`). Each module runs the real binary on
//! real processes, every test in a private `RSTMGR_STATE_DIR`.

// Sessions: start, join, rights, end, the session limit, the state folder's safety.
mod session;
// rstmgr who: the JSON contract, the table, exit statuses.
mod who;
// A whole session: register, list, shut down, restart, cancel.
mod cycle;
// shutdown, restart, cancel and register-restart with the test process as the owner.
mod control;
// rstmgr stale: replaced scripts, deleted executables and libraries.
mod stale;
// Forged registrations, descendants of services, control characters in names.
mod security;
// A real Debian package through a real upgrade, the apt hook.
mod deb;

// What several of these modules share: Guard, comm, list entries, a runit supervisor.
mod support;
