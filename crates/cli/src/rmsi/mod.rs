//! `rmsi`: install packages, inspect them, and evaluate the MSI expression language.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod expr;
mod info;
mod install;
mod msiexec;

/// Windows Installer's execution engine, running .msi packages natively on Linux.
#[derive(Debug, Parser)]
#[command(name = "rmsi", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install a package into a target root.
    Install(install::InstallArgs),
    /// Run with msiexec's own command-line syntax (/i PKG /qn /l*v LOG ...).
    Msiexec(msiexec::MsiexecArgs),
    /// Show a package's summary information, tables and sequences.
    Info(info::InfoArgs),
    /// Evaluate a condition as MsiEvaluateCondition does: prints true, false, none or error.
    Condition(expr::ConditionArgs),
    /// Format a template as MsiFormatRecord does.
    Format(expr::FormatArgs),
}

/// Runs `rmsi` with the process's arguments and returns its exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Install(args) => install::run(args),
        Command::Msiexec(args) => msiexec::run(args),
        Command::Info(args) => info::run(args),
        Command::Condition(args) => expr::run_condition(args),
        Command::Format(args) => expr::run_format(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("rmsi: {err:#}");
            ExitCode::FAILURE
        }
    }
}
