//! `rmsi`: install and uninstall packages, inspect them, and evaluate the MSI expression language.
// This module prints the tool's output and its final code line.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use engine::UiLevel;

/// `eprintln!` for every module of `rmsi` (declared before them, so it is the one they
/// see): std's panics when standard error cannot be written (`2>/dev/full`, a closed
/// pipe), which would turn an install's result into a crash. The line is lost instead,
/// and the exit status stays the run's.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod diff;
mod expr;
mod extract;
mod info;
mod install;
mod msiexec;
mod state;
mod transform;
mod uninstall;
mod validate;

/// Windows Installer's execution engine, running .msi packages natively on Linux.
#[derive(Debug, Parser)]
#[command(name = "rmsi", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install a package into a target root.
    Install(install::InstallArgs),
    /// Remove an installed product (by its package or product code) from a target root.
    Uninstall(uninstall::UninstallArgs),
    /// Run with msiexec's own command-line syntax (/i PKG /qn /l*v LOG ...).
    Msiexec(msiexec::MsiexecArgs),
    /// List the products installed in a root.
    List(state::ListArgs),
    /// Read a root's registry: `query` a key, `export` keys as a .reg file.
    Reg(state::RegArgs),
    /// Compare an installed product's files and registry values with what it installed.
    Verify(state::VerifyArgs),
    /// Show a package's summary information, tables and sequences.
    Info(info::InfoArgs),
    /// Evaluate a condition as MsiEvaluateCondition does: prints true, false, none or error.
    Condition(expr::ConditionArgs),
    /// Format a template as MsiFormatRecord does.
    Format(expr::FormatArgs),
    /// Validate a package: Windows Installer's ICE rules, without installing it.
    Validate(validate::ValidateArgs),
    /// Make a transform from two packages, or apply one to a package.
    Transform(transform::TransformArgs),
    /// Show the table and stream differences between two packages.
    Diff(diff::DiffArgs),
    /// Write (or list) a package's files at their source paths, as an administrative image.
    Extract(extract::ExtractArgs),
    /// Print the completion script for bash, zsh or fish on standard output.
    Completions(crate::docs::CompletionsArgs),
}

/// The clap definition of the command line (for `--help`, man pages and completions).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Runs `rmsi` with the process's arguments and returns its exit status.
pub fn main() -> ExitCode {
    crate::init_tracing();
    let args = expr::operand_after_options(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => return parse_failure(err),
    };
    let result = match cli.command {
        Command::Install(args) => install::run(args),
        Command::Uninstall(args) => uninstall::run(args),
        Command::Msiexec(args) => msiexec::run(args),
        Command::List(args) => state::run_list(args),
        Command::Reg(args) => state::run_reg(args),
        Command::Verify(args) => state::run_verify(args),
        Command::Info(args) => info::run(args),
        Command::Condition(args) => expr::run_condition(args),
        Command::Format(args) => expr::run_format(args),
        Command::Validate(args) => validate::run(args),
        Command::Transform(args) => transform::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Extract(args) => extract::run(args),
        Command::Completions(args) => crate::docs::print_completions(command(), &args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("rmsi: {err:#}");
            ExitCode::FAILURE
        }
    }
}

// ---- exit codes of `install` and `msiexec` (owned by the engine's execution helper) ----

/// The exit-status note shown by `--help` of `install`, `uninstall` and `msiexec` (and their
/// man pages): every Windows Installer code `rmsi` ends with, checked by the `rmsi` test
/// binary's `exit_codes` module.
pub(crate) const EXIT_HELP: &str = "\
Exit status: the Windows Installer code modulo 256 (a Linux exit status holds 8 bits), as
`wine msiexec` exits:
  0 success
  3010 ERROR_SUCCESS_REBOOT_REQUIRED -> 194
  1641 ERROR_SUCCESS_REBOOT_INITIATED -> 105
  1602 ERROR_INSTALL_USEREXIT -> 66
  1603 ERROR_INSTALL_FAILURE -> 67
  1604 ERROR_INSTALL_SUSPEND -> 68
  1605 ERROR_UNKNOWN_PRODUCT -> 69
  1612 ERROR_INSTALL_SOURCE_ABSENT -> 76
  1618 ERROR_INSTALL_ALREADY_RUNNING -> 82
  1619 ERROR_INSTALL_PACKAGE_OPEN_FAILED -> 83
  1620 ERROR_INSTALL_PACKAGE_INVALID -> 84
  1622 ERROR_INSTALL_LOG_FAILURE -> 86
  1623 ERROR_INSTALL_LANGUAGE_UNSUPPORTED -> 87
  1624 ERROR_INSTALL_TRANSFORM_FAILURE -> 88
  1628 ERROR_INVALID_TABLE -> 92 (rmsi info --table)
  1633 ERROR_INSTALL_PLATFORM_UNSUPPORTED -> 97
  1635 ERROR_PATCH_PACKAGE_OPEN_FAILED -> 99
  1636 ERROR_PATCH_PACKAGE_INVALID -> 100
  1637 ERROR_PATCH_PACKAGE_UNSUPPORTED -> 101
  1639 ERROR_INVALID_COMMAND_LINE -> 103
  1642 ERROR_PATCH_TARGET_NOT_FOUND -> 106
  1646 ERROR_PATCH_REMOVAL_UNSUPPORTED -> 110
  1647 ERROR_UNKNOWN_PATCH -> 111

The full code and its name are printed on stderr (`rmsi: 1603 ERROR_INSTALL_FAILURE: ...`)
and in the log (`MainEngineThread is returning 1603`).";

/// Windows' ERROR_INVALID_COMMAND_LINE.
const INVALID_COMMAND_LINE: u32 = 1639;

/// A command line clap refused: for `install` and `msiexec` that is msiexec's 1639 (with the
/// usage); for the other commands clap's own status.
fn parse_failure(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) || err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let sub = std::env::args().nth(1).unwrap_or_default();
    crate::print_clap_error("rmsi", &err);
    if sub == "install" || sub == "uninstall" || sub == "msiexec" {
        eprintln!("rmsi: {INVALID_COMMAND_LINE} ERROR_INVALID_COMMAND_LINE: invalid command line");
        return ExitCode::from(engine::exit_status(INVALID_COMMAND_LINE));
    }
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2))
}

/// Reports a bad command line found after clap (a property without `=`, bad quotes…): 1639.
pub(crate) fn usage_error(message: &str) -> ExitCode {
    eprintln!("rmsi: {INVALID_COMMAND_LINE} ERROR_INVALID_COMMAND_LINE: {message}");
    ExitCode::from(engine::exit_status(INVALID_COMMAND_LINE))
}

/// A property name from the command line: an "Identifier", upper-cased ("Public Properties").
pub(crate) fn check_property_name(name: &str) -> Result<String, String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if ok {
        Ok(name.to_ascii_uppercase())
    } else {
        Err(format!("{name:?} is not a property name"))
    }
}

/// `NAME=VALUE` as the shell delivered it (`rmsi install`): the value verbatim.
pub(crate) fn parse_property(arg: &str) -> Result<(String, String), String> {
    let (name, value) = arg
        .split_once('=')
        .ok_or_else(|| format!("{arg:?} is not NAME=VALUE"))?;
    Ok((check_property_name(name)?, value.to_string()))
}

/// When the closing line (`rmsi: CODE NAME…` on stderr) is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closing {
    /// Always (`rmsi install`, `rmsi uninstall`).
    Always,
    /// Only when the result is not 0: `rmsi msiexec … /qn`, silent on success as msiexec
    /// is. Any other result is still printed, since the exit status holds only 8 bits.
    UnlessSuccess,
}

impl Closing {
    /// msiexec's rule: silent on success when there is no UI (`/qn`, `/quiet`).
    pub(crate) fn for_msiexec(level: UiLevel) -> Closing {
        if level == UiLevel::None {
            Closing::UnlessSuccess
        } else {
            Closing::Always
        }
    }
}

/// Prints the result (`rmsi: CODE NAME: message` on stderr, as `closing` says) and picks
/// the exit status: the code modulo 256.
pub(crate) fn finish(report: &engine::InstallReport, closing: Closing) -> ExitCode {
    let code = report.code();
    if code == 0 && closing == Closing::UnlessSuccess {
        if let Some(err) = &report.log_error {
            eprintln!("rmsi: warning: the log could not be written completely: {err}");
        }
        return ExitCode::SUCCESS;
    }
    let mut line = format!("rmsi: {code} {}", report.name());
    match &report.result {
        Err(err) => line.push_str(&format!(": {err}")),
        Ok(_) if !report.apps_left_running.is_empty() => {
            let names: Vec<String> = report
                .apps_left_running
                .iter()
                .map(|a| format!("{} (pid {})", a.name, a.pid))
                .collect();
            line.push_str(&format!(
                ": restart required: still running on replaced files: {}",
                names.join(", ")
            ));
        }
        Ok(_) => {}
    }
    eprintln!("{line}");
    if let Some(err) = &report.log_error {
        eprintln!("rmsi: warning: the log could not be written completely: {err}");
    }
    ExitCode::from(engine::exit_status(code))
}
