//! The `rstmgr` and `rmsi` command-line tools.
//!
//! This crate is glue: it parses arguments with clap, draws progress bars, prints
//! human or `--json` output and picks the exit status. Everything a library user
//! would also need lives in `restart-manager`, `msi-expr` or `engine`.
#![warn(missing_docs)]

mod docs;
pub mod rmsi;
pub mod rstmgr;

pub use docs::man_pages;
/// Tells the user about applications a dead Restart Manager session shut down and never
/// restarted, found when its stale session is removed: on stderr and in the system log
/// (`LOG_USER | LOG_WARNING`). Both tools install it ([`restart_manager::on_lost_apps`]),
/// since either may be the one that finds the stale session.
#[allow(clippy::print_stderr)]
pub fn report_lost_apps(message: &str) {
    // Never a panic when standard error cannot be written (the syslog copy still goes).
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{message}\n").as_bytes());
    if let Ok(c) = std::ffi::CString::new(message.replace('%', "%%")) {
        // SAFETY: the format string is a static NUL-terminated "%s" and the one
        // argument is a valid NUL-terminated C string that outlives the call;
        // syslog(3) opens the log connection itself when needed.
        #[allow(unsafe_code)]
        unsafe {
            libc::syslog(
                libc::LOG_USER | libc::LOG_WARNING,
                c"%s".as_ptr(),
                c.as_ptr(),
            );
        }
    }
}

/// Sets glibc's allocator to keep the memory it has rather than map and unmap it for each
/// large allocation (from 128 KiB up, by default): every `mmap`, `munmap`, `mprotect` or
/// `brk` takes the process's address-space lock for writing, and while it is held the
/// other threads' page faults wait. An install runs three threads that allocate
/// megabyte buffers (the package's tables and cabinets, a Wine prefix's 1.6 MB
/// `system.reg`, the package cache's copy): traced with `perf sched`, the main thread sat
/// blocked in page faults while the inflating thread unmapped. Allocations stay in the
/// heap up to 32 MiB (glibc's ceiling for the threshold), the heap grows 16 MiB at a time
/// and is not trimmed: the process is short-lived and its peak is what it holds anyway.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt(3) only sets allocator parameters; it is called first thing in
        // `main`, before any other thread exists, and a refused value leaves the default.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
            libc::mallopt(libc::M_TOP_PAD, 16 << 20);
        }
    }
}

/// Prints a command-line error clap found in this project's voice: the program's name
/// first (`rmsi: unrecognized subcommand 'x'`) instead of clap's `error:`, then clap's
/// usage lines. Help and version requests print as clap prints them.
#[allow(clippy::print_stderr)]
pub(crate) fn print_clap_error(program: &str, err: &clap::Error) {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return;
    }
    let text = err.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    eprint!("{program}: {text}");
}

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
