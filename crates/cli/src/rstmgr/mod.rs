//! `rstmgr`: the Restart Manager for Linux on the command line.
//!
//! Exit statuses (decided here, in one place):
//! - 0: success;
//! - 1: a Restart Manager error, printed on stderr as its Windows name and code with
//!   a plain-language message, e.g. `rstmgr: ERROR_INVALID_HANDLE (6): no session with this key`
//!   (other failures are printed as `rstmgr: …`);
//! - 2: a usage error (bad or missing arguments, no session key).
//!
//! A session key is given as an argument, or `-` to read it from standard input, or
//! taken from `RSTMGR_KEY` when the argument is left out.
//!
//! Primary or secondary: `rstmgr start` records its parent process (or `--owner PID`)
//! as the session's owner. A later `rstmgr` command whose parent is that owner acts as
//! the primary; any other caller is a secondary, which may register, list and end its
//! own participation, while shutdown, restart, filters and cancel are refused with
//! `ERROR_SESSION_CREDENTIAL_CONFLICT (1219)`.
// This module prints the tool's output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod args;
mod commands;
mod output;
mod preflight;
mod stale;
mod who;

/// Restart Manager for Linux: find the processes that use files, shut them down, restart them.
#[derive(Debug, Parser)]
#[command(
    name = "rstmgr",
    version,
    after_help = "Exit status: 0 success; 1 a Restart Manager error, printed as rstmgr: NAME (code): message; 2 a usage error.\n\
                  KEY: the session key, or - to read it from standard input; when left out, RSTMGR_KEY is used."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a session; prints its key alone on the first line.
    Start(args::StartArgs),
    /// Register files, processes and services with a session.
    Register(args::RegisterArgs),
    /// List the applications and services that use the registered resources.
    List(args::ListArgs),
    /// Shut the affected applications and services down (primary only).
    Shutdown(args::ShutdownArgs),
    /// Restart what the session shut down (primary only).
    Restart(args::KeyArgs),
    /// Add a no-shutdown or no-restart filter (primary only).
    Filter(args::FilterArgs),
    /// Remove a filter (primary only).
    Unfilter(args::UnfilterArgs),
    /// List the filters (primary only).
    Filters(args::FiltersArgs),
    /// Cancel a running shutdown or restart (primary only).
    Cancel(args::KeyArgs),
    /// End the session (primary) or this caller's participation (secondary).
    End(args::KeyArgs),
    /// Register a command to relaunch this caller's parent with after a restart.
    RegisterRestart(args::RegisterRestartArgs),
    /// Who uses these files, in one shot, without a session.
    Who(who::WhoArgs),
    /// Print the completion script for bash, zsh or fish on standard output.
    Completions(crate::docs::CompletionsArgs),
    /// Which processes still run old code after an upgrade (and restart their services).
    Stale(stale::StaleArgs),
    /// Before an upgrade: who uses the files it will replace, and what would restart.
    Preflight(preflight::PreflightArgs),
}

/// A usage error found after clap's own checks (exit status 2).
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The clap definition of the command line (for `--help`, man pages and completions).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Runs `rstmgr` with the process's arguments and returns its exit status.
pub fn main() -> ExitCode {
    crate::init_tracing();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            crate::print_clap_error("rstmgr", &err);
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let result = match cli.command {
        Command::Start(args) => commands::start(args),
        Command::Register(args) => commands::register(args),
        Command::List(args) => commands::list(args),
        Command::Shutdown(args) => commands::shutdown(args),
        Command::Restart(args) => commands::restart(args),
        Command::Filter(args) => commands::filter(args),
        Command::Unfilter(args) => commands::unfilter(args),
        Command::Filters(args) => commands::filters(args),
        Command::Cancel(args) => commands::cancel(args),
        Command::End(args) => commands::end(args),
        Command::RegisterRestart(args) => commands::register_restart(args),
        Command::Who(args) => who::run(args),
        Command::Completions(args) => crate::docs::print_completions(command(), &args),
        Command::Stale(args) => stale::run(args),
        Command::Preflight(args) => preflight::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => exit_for(&err),
    }
}

/// Prints `err` and picks the exit status: 1 for a Restart Manager error (as
/// `NAME (code): message`), 2 for a usage error, 1 for anything else.
fn exit_for(err: &anyhow::Error) -> ExitCode {
    // A reader that stopped early (`rstmgr who FILE | head`) is not a failure, as in
    // ripgrep: stop quietly.
    let broken_pipe = err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    if let Some(usage) = err.downcast_ref::<UsageError>() {
        eprintln!("rstmgr: {usage}");
        return ExitCode::from(2);
    }
    if let Some(rm) = err
        .chain()
        .find_map(|e| e.downcast_ref::<restart_manager::Error>())
    {
        eprintln!("{}", output::error_line(rm));
        return ExitCode::from(1);
    }
    eprintln!("rstmgr: {err:#}");
    ExitCode::from(1)
}
