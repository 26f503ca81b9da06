//! `rstmgr`: the Restart Manager for Linux on the command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod who;

/// Restart Manager for Linux: find the processes that use files, shut them down, restart them.
#[derive(Debug, Parser)]
#[command(name = "rstmgr", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Who uses these files, in one shot, without a session.
    Who(who::WhoArgs),
}

/// Runs `rstmgr` with the process's arguments and returns its exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Who(args) => who::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("rstmgr: {err:#}");
            ExitCode::FAILURE
        }
    }
}
