//! The `rstmgr` and `rmsi` command-line tools.
//!
//! This crate is glue: it parses arguments with clap, draws progress bars, prints
//! human or `--json` output and picks the exit status. Everything a library user
//! would also need lives in `restart-manager`, `msi-expr` or `engine`.

mod docs;
pub mod rmsi;
pub mod rstmgr;

pub use docs::man_pages;

/// Diagnostics on stderr when `RMSI_LOG` holds a `tracing` filter (`debug`, `engine=debug`):
/// for an install, the time each action and step took. Nothing is set up otherwise.
pub(crate) fn init_tracing() {
    if let Ok(filter) = std::env::var("RMSI_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init();
    }
}
