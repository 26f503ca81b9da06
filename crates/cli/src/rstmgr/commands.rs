//! The session subcommands: each resolves the key, opens the session as primary or
//! secondary, calls the library, and hands the result to `output`.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use restart_manager::{
    Error, FilterAction, FilterTarget, Opened, Resources, Session, SessionKey, ShutdownOptions,
    StateDir, UniqueProcess,
};

use super::UsageError;
use super::args::{
    FilterArgs, FiltersArgs, KeyArg, KeyArgs, ListArgs, RegisterArgs, RegisterRestartArgs,
    ShutdownArgs, StartArgs, TargetArgs, UnfilterArgs,
};
use super::output;

/// Environment variable holding the session key when the argument is left out.
const KEY_ENV: &str = "RSTMGR_KEY";

/// Environment variable holding the default shutdown timeout, in seconds.
const TIMEOUT_ENV: &str = "RSTMGR_SHUTDOWN_TIMEOUT";

/// The key from the argument, `-` (standard input) or `RSTMGR_KEY`.
fn resolve_key(arg: &KeyArg) -> anyhow::Result<SessionKey> {
    let text = match arg.key.as_deref() {
        Some("-") => {
            let mut buf = String::new();
            std::io::stdin()
                .take(4096)
                .read_to_string(&mut buf)
                .context("cannot read the session key from standard input")?;
            buf.lines().next().unwrap_or("").to_owned()
        }
        Some(key) => key.to_owned(),
        None => match std::env::var(KEY_ENV) {
            Ok(key) if !key.trim().is_empty() => key,
            _ => {
                return Err(UsageError(format!(
                    "no session key: give KEY, - to read it from standard input, or set {KEY_ENV}"
                ))
                .into());
            }
        },
    };
    Ok(SessionKey::parse(&text)?)
}

/// The process this command acts for: its parent (the script or program that ran
/// it). When the parent cannot be identified, the command acts for itself, which
/// makes it a secondary.
fn claimant() -> anyhow::Result<UniqueProcess> {
    let parent = std::os::unix::process::parent_id();
    if parent > 0
        && let Ok(p) = UniqueProcess::of(parent)
    {
        return Ok(p);
    }
    UniqueProcess::current().context("cannot read this process's start time")
}

fn open(key: &KeyArg) -> anyhow::Result<Opened> {
    let key = resolve_key(key)?;
    let state = StateDir::open_default()?;
    Ok(Session::open(state, &key, claimant()?)?)
}

pub(crate) fn start(args: StartArgs) -> anyhow::Result<ExitCode> {
    let owner = match args.owner {
        Some(pid) => UniqueProcess::of(pid).map_err(|_| Error::NoSuchProcess { pid })?,
        None => claimant()?,
    };
    let state = StateDir::open_default()?;
    let session = Session::start_for_owner(state, owner)?;
    output::key(session.key())?;
    Ok(ExitCode::SUCCESS)
}

/// A file named on the command line, as `register` and `filter` take it: made absolute
/// against the current folder (an empty name or one with a NUL byte is refused by the
/// library), with a warning when nothing is there — it is still taken, as RmRegisterResources
/// and RmAddFilter take a file that does not exist (yet).
fn file_argument(path: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let abs = if path.is_absolute() || path.as_os_str().is_empty() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| {
                UsageError(format!(
                    "{}: not an absolute path, and the current folder is unknown ({e})",
                    path.display()
                ))
            })?
            .join(path)
    };
    if !abs.as_os_str().is_empty() && std::fs::symlink_metadata(&abs).is_err() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "rstmgr: warning: {} does not exist; taken anyway",
                output::printable_path(&abs)
            );
        }
    }
    Ok(abs)
}

pub(crate) fn register(args: RegisterArgs) -> anyhow::Result<ExitCode> {
    let files = args
        .files
        .iter()
        .map(|f| file_argument(f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut resources = Resources {
        files,
        processes: Vec::with_capacity(args.pids.len()),
        services: args.services,
    };
    for pid in args.pids {
        resources
            .processes
            .push(UniqueProcess::of(pid).map_err(|_| Error::NoSuchProcess { pid })?);
    }
    match open(&args.key)? {
        Opened::Primary(s) => s.register(&resources)?,
        Opened::Secondary(s) => s.register(&resources)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let (apps, registered) = match open(&args.key)? {
        Opened::Primary(s) => (s.list()?, s.registered()?),
        Opened::Secondary(s) => (s.list()?, s.registered()?),
    };
    output::refused_registrations(&apps.refused_registrations);
    if args.json {
        output::apps_json(&apps, &registered)?;
    } else {
        output::apps_table(&apps, &registered)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The graceful-shutdown wait: `--timeout`, else `RSTMGR_SHUTDOWN_TIMEOUT`, else 30 s.
fn shutdown_timeout(arg: Option<f64>) -> anyhow::Result<Duration> {
    let (secs, from) = match arg {
        Some(secs) => (secs, "--timeout"),
        None => match std::env::var(TIMEOUT_ENV) {
            Ok(text) if !text.trim().is_empty() => (
                text.trim().parse::<f64>().map_err(|_| {
                    UsageError(format!("{TIMEOUT_ENV}={text:?} is not a number of seconds"))
                })?,
                TIMEOUT_ENV,
            ),
            _ => return Ok(restart_manager::DEFAULT_SHUTDOWN_TIMEOUT),
        },
    };
    Duration::try_from_secs_f64(secs)
        .map_err(|_| UsageError(format!("{from}: {secs} is not a valid number of seconds")).into())
}

pub(crate) fn shutdown(args: ShutdownArgs) -> anyhow::Result<ExitCode> {
    let opts = ShutdownOptions {
        force: args.force,
        only_registered: args.only_registered,
        timeout: shutdown_timeout(args.timeout)?,
    };
    let mut bar = output::Progress::new("shutting down");
    let session = open(&args.key)?;
    let report = match &session {
        Opened::Primary(s) => s.shutdown(&opts, &mut |p| bar.set(p)),
        Opened::Secondary(s) => s.shutdown(&opts, &mut |p| bar.set(p)),
    };
    bar.finish();
    match report {
        Ok(report) => {
            output::refused_registrations(&report.refused_registrations);
            output::shutdown_result(&report.apps, None, args.json)?;
            Ok(ExitCode::SUCCESS)
        }
        // Some applications stopped and others did not: say which, then fail as
        // RmShutdown does (ERROR_FAIL_SHUTDOWN). The session kept each one's status.
        Err(err @ Error::FailShutdown(_)) => {
            let apps = match &session {
                Opened::Primary(s) => s.list()?,
                Opened::Secondary(s) => s.list()?,
            };
            output::shutdown_result(&apps.apps, Some(&err), args.json)?;
            Err(err.into())
        }
        Err(err) => Err(err.into()),
    }
}

pub(crate) fn restart(args: KeyArgs) -> anyhow::Result<ExitCode> {
    let mut bar = output::Progress::new("restarting");
    let report = match open(&args.key)? {
        Opened::Primary(s) => s.restart(&mut |p| bar.set(p)),
        Opened::Secondary(s) => s.restart(&mut |p| bar.set(p)),
    };
    bar.finish();
    output::apps_after("restarted", &report?.apps)?;
    Ok(ExitCode::SUCCESS)
}

/// The filter target named on the command line. A process is taken with its
/// current start time; for `unfilter`, a process that has exited is looked up
/// among the session's filters by pid alone.
fn target(args: &TargetArgs) -> anyhow::Result<FilterTarget> {
    if let Some(path) = &args.file {
        return Ok(FilterTarget::File(file_argument(path)?));
    }
    if let Some(service) = &args.service {
        return Ok(FilterTarget::Service(service.clone()));
    }
    match args.pid {
        Some(pid) => Ok(FilterTarget::Process(
            UniqueProcess::of(pid).map_err(|_| Error::NoSuchProcess { pid })?,
        )),
        None => Err(UsageError("give one of --file, --pid or --service".into()).into()),
    }
}

pub(crate) fn filter(args: FilterArgs) -> anyhow::Result<ExitCode> {
    let action = if args.no_shutdown {
        FilterAction::NoShutdown
    } else {
        FilterAction::NoRestart
    };
    let opened = open(&args.key)?;
    let target = target(&args.target)?;
    match opened {
        Opened::Primary(s) => s.add_filter(action, &target)?,
        Opened::Secondary(s) => s.add_filter(action, &target)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn unfilter(args: UnfilterArgs) -> anyhow::Result<ExitCode> {
    let session = match open(&args.key)? {
        Opened::Primary(s) => s,
        Opened::Secondary(s) => {
            let t = target(&args.target).unwrap_or(FilterTarget::Service(String::new()));
            s.remove_filter(&t)?;
            return unreachable_secondary();
        }
    };
    let target = match (args.target.pid, target(&args.target)) {
        (_, Ok(t)) => t,
        // The process has exited: find its filter by pid.
        (Some(pid), Err(_)) => session
            .filters()?
            .iter()
            .find_map(|f| match &f.target {
                FilterTarget::Process(p) if p.pid == pid => Some(f.target.clone()),
                _ => None,
            })
            .ok_or_else(|| Error::FileNotFound {
                target: format!("process {pid}"),
            })?,
        (None, Err(e)) => return Err(e),
    };
    session.remove_filter(&target)?;
    Ok(ExitCode::SUCCESS)
}

/// A secondary's primary-only call always fails first; this is never reached, but
/// keeps the control flow total without a panic.
fn unreachable_secondary<T>() -> anyhow::Result<T> {
    Err(
        Error::SessionCredentialConflict("only the session's primary may change filters".into())
            .into(),
    )
}

pub(crate) fn filters(args: FiltersArgs) -> anyhow::Result<ExitCode> {
    let filters = match open(&args.key)? {
        Opened::Primary(s) => s.filters()?,
        Opened::Secondary(s) => s.filters()?,
    };
    if args.json {
        output::filters_json(&filters)?;
    } else {
        output::filters_table(&filters)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn cancel(args: KeyArgs) -> anyhow::Result<ExitCode> {
    match open(&args.key)? {
        Opened::Primary(s) => s.cancel()?,
        Opened::Secondary(s) => s.cancel()?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn end(args: KeyArgs) -> anyhow::Result<ExitCode> {
    match open(&args.key)? {
        Opened::Primary(s) => s.end()?,
        Opened::Secondary(s) => s.end()?,
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn register_restart(args: RegisterRestartArgs) -> anyhow::Result<ExitCode> {
    // The process to relaunch is the one that ran this command (a script, say).
    let parent = std::os::unix::process::parent_id();
    let process = UniqueProcess::of(parent).map_err(|_| Error::NoSuchProcess { pid: parent })?;
    let state = StateDir::open_default()?;
    restart_manager::register_restart_for(&state, process, args.command, 0)?;
    Ok(ExitCode::SUCCESS)
}
