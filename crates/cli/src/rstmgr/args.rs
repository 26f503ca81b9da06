//! The clap structs of the session subcommands (everything but `who`).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgGroup, Args};

/// The session key argument shared by every session subcommand.
#[derive(Debug, Clone, Args)]
pub(crate) struct KeyArg {
    /// The session key (32 hex digits), or - to read it from standard input.
    /// Defaults to $RSTMGR_KEY.
    #[arg(value_name = "KEY")]
    pub(crate) key: Option<String>,
}

/// `rstmgr start [--owner PID]`.
#[derive(Debug, Args)]
pub(crate) struct StartArgs {
    /// The process that owns the session (acts as its primary); default: the parent
    /// of this command.
    #[arg(long, value_name = "PID")]
    pub(crate) owner: Option<u32>,
}

/// Subcommands that take only a key.
#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    #[command(flatten)]
    pub(crate) key: KeyArg,
}

/// `rstmgr register KEY [--file P]... [--pid PID]... [--service NAME]...`.
#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    #[command(flatten)]
    pub(crate) key: KeyArg,
    /// A file whose users are affected (repeatable).
    #[arg(long = "file", value_name = "P")]
    pub(crate) files: Vec<PathBuf>,
    /// A process (registered with its current start time; repeatable).
    #[arg(long = "pid", value_name = "PID")]
    pub(crate) pids: Vec<u32>,
    /// A service short name (repeatable).
    #[arg(long = "service", value_name = "NAME")]
    pub(crate) services: Vec<String>,
}

/// `rstmgr list KEY [--json]`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) key: KeyArg,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `rstmgr shutdown KEY [--force] [--only-registered] [--timeout SECS] [--json]`.
#[derive(Debug, Args)]
pub(crate) struct ShutdownArgs {
    #[command(flatten)]
    pub(crate) key: KeyArg,
    /// Kill (SIGKILL) what has not exited when the timeout ends.
    #[arg(long)]
    pub(crate) force: bool,
    /// Shut nothing down unless every affected application can be restarted.
    #[arg(long)]
    pub(crate) only_registered: bool,
    /// Seconds to wait for a graceful exit (default: $RSTMGR_SHUTDOWN_TIMEOUT, else 30).
    #[arg(long, value_name = "SECS")]
    pub(crate) timeout: Option<f64>,
    /// Print one JSON object: the applications stopped and those not stopped.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The one target of a filter: exactly one of `--file`, `--pid`, `--service`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).multiple(false)))]
pub(crate) struct TargetArgs {
    /// An application, by the full path of its executable.
    #[arg(long, value_name = "P", group = "target")]
    pub(crate) file: Option<PathBuf>,
    /// A process (with its current start time).
    #[arg(long, value_name = "PID", group = "target")]
    pub(crate) pid: Option<u32>,
    /// A service short name.
    #[arg(long, value_name = "NAME", group = "target")]
    pub(crate) service: Option<String>,
}

/// `rstmgr filter KEY (--no-shutdown|--no-restart) (--file P|--pid PID|--service NAME)`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("action").required(true).multiple(false)))]
pub(crate) struct FilterArgs {
    #[command(flatten)]
    pub(crate) key: KeyArg,
    /// Neither shut the target down nor restart it.
    #[arg(long, group = "action")]
    pub(crate) no_shutdown: bool,
    /// Do not restart the target.
    #[arg(long, group = "action")]
    pub(crate) no_restart: bool,
    #[command(flatten)]
    pub(crate) target: TargetArgs,
}

/// `rstmgr unfilter KEY (--file P|--pid PID|--service NAME)`.
#[derive(Debug, Args)]
pub(crate) struct UnfilterArgs {
    #[command(flatten)]
    pub(crate) key: KeyArg,
    #[command(flatten)]
    pub(crate) target: TargetArgs,
}

/// `rstmgr filters KEY [--json]`.
#[derive(Debug, Args)]
pub(crate) struct FiltersArgs {
    #[command(flatten)]
    pub(crate) key: KeyArg,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `rstmgr register-restart -- CMD...`.
#[derive(Debug, Args)]
pub(crate) struct RegisterRestartArgs {
    /// The command line to relaunch the caller with (program and arguments).
    #[arg(required = true, last = true, value_name = "CMD")]
    pub(crate) command: Vec<OsString>,
}
