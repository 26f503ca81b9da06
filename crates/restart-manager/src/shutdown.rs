//! Shutting the affected applications down ("RmShutdown function", "RM_SHUTDOWN_TYPE enumeration").
//!
//! # Protocol
//!
//! [`shutdown_apps`] works on the affected list in place, in these steps:
//!
//! 1. The session's filters are applied: a `NoShutdown` filter sets `SHUTDOWN_MASKED`
//!    (and `RESTART_MASKED`), and such an application is left alone. Applications this
//!    session already stopped (status `STOPPED`) are not targets again.
//! 2. A critical target (`AppType::Critical`: PID 1, a core daemon, a process the caller
//!    may not signal, the session's own primary) means only a restart of the machine frees
//!    the resources: nothing is done and the call fails with `ERROR_FAIL_NOACTION_REBOOT`.
//!    The session checks the other reboot reasons (session mismatch…) before calling.
//! 3. With `only_registered` (`RmShutdownOnlyRegistered`), nothing is shut down unless
//!    every target can be restarted (restartable and not masked by a `NoRestart` filter).
//!    Windows leaves the return code of this case undocumented; here it is
//!    `ERROR_FAIL_SHUTDOWN` ("some applications could not be shut down"), with a message
//!    naming the first application that cannot be restarted, and no status changes.
//! 4. Targets are shut down category by category, in Windows' order: GUI applications
//!    (`MainWindow`, `OtherWindow`), console applications, unknown applications,
//!    services, and the desktop shell (`Explorer`) last. Within a category everything is
//!    asked to stop at once and then waited for together: every process gets `SIGTERM`
//!    (through a pidfd, see the `signal` module), then one `poll(2)` over all the pidfds
//!    waits up to the timeout (default 30 s). Services are stopped through their service
//!    manager, all of a category's services in parallel, each with the same timeout.
//! 5. With `force` (`RmForceShutdown`), what still runs after the timeout is killed
//!    (`SIGKILL`; for a service, the manager's kill).
//!
//! # Linux departures
//!
//! - Windows shuts `RmUnknownApp` applications down only when forced, because it has no
//!   way to ask them. On Linux every process can be asked with `SIGTERM`, so unknown
//!   applications get the same graceful request as console ones; they come after them.
//! - A console application gets `SIGTERM`, not the `SIGINT` analogue of `CTRL_C_EVENT`:
//!   `SIGINT` means "interrupt the current operation" to many programs (shells, REPLs,
//!   editors), while `SIGTERM` means "exit", which is what the Restart Manager asks.
//! - Windows forces services after 20 s and applications after 30 s; here one timeout
//!   applies to both, so that `--timeout` means one thing.
//!
//! # Status and result
//!
//! Each target ends with `STOPPED` (and `RUNNING` cleared) when it is gone — exited,
//! reaped or not — or `STOPPED_OTHER` when it was already gone before it was signalled,
//! or `ERROR_ON_STOP` (with `RUNNING` kept) when it could not be signalled or did not
//! exit in time. The call returns `ERROR_FAIL_SHUTDOWN` when some target has
//! `ERROR_ON_STOP`, `ERROR_CANCELLED` when `cancel` returned true (what was stopped
//! until then stays stopped, with its status recorded), and success otherwise. Progress
//! is the percentage of targets dealt with, reported only when it grows, ending at 100.

use std::time::{Duration, Instant};

use crate::service::ServiceManager;
use crate::signal::{KILL_GRACE, ProcessHandle, SignalError, WaitEnd, wait_all};
use crate::{AppStatus, AppType, Error, Filters, ProcessInfo, ShutdownOptions};

/// Environment variable that changes the default graceful-shutdown wait, in seconds.
pub const SHUTDOWN_TIMEOUT_ENV: &str = "RSTMGR_SHUTDOWN_TIMEOUT";

/// The `RmForceShutdown` bit of `RM_SHUTDOWN_TYPE`.
pub const RM_FORCE_SHUTDOWN: u32 = 0x1;

/// The `RmShutdownOnlyRegistered` bit of `RM_SHUTDOWN_TYPE`.
pub const RM_SHUTDOWN_ONLY_REGISTERED: u32 = 0x10;

/// The graceful-shutdown wait to use when none is given: `RSTMGR_SHUTDOWN_TIMEOUT`
/// (seconds, fractions allowed) when it is set to a valid number, else 30 s.
pub fn default_shutdown_timeout() -> Duration {
    std::env::var(SHUTDOWN_TIMEOUT_ENV)
        .ok()
        .and_then(|v| parse_timeout(&v).ok())
        .unwrap_or(crate::DEFAULT_SHUTDOWN_TIMEOUT)
}

/// Parses a timeout in seconds (`"30"`, `"1.5"`); negative, infinite or unparsable values
/// are refused with `ERROR_BAD_ARGUMENTS`.
pub fn parse_timeout(text: &str) -> Result<Duration, Error> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| Error::BadArguments(format!("invalid timeout {text:?} (seconds)")))
}

/// Builds shutdown options from `RM_SHUTDOWN_TYPE` bits (`lActionFlags`); unknown bits are
/// refused with `ERROR_BAD_ARGUMENTS` (Windows leaves their treatment undocumented).
pub fn shutdown_options_from_flags(
    flags: u32,
    timeout: Duration,
) -> Result<ShutdownOptions, Error> {
    let known = RM_FORCE_SHUTDOWN | RM_SHUTDOWN_ONLY_REGISTERED;
    if flags & !known != 0 {
        return Err(Error::BadArguments(format!(
            "unknown shutdown flags {:#x}",
            flags & !known
        )));
    }
    Ok(ShutdownOptions {
        force: flags & RM_FORCE_SHUTDOWN != 0,
        only_registered: flags & RM_SHUTDOWN_ONLY_REGISTERED != 0,
        timeout,
    })
}

/// The shutdown categories, in order ("About Restart Manager"). Restart goes through them
/// backwards.
pub(crate) const PHASES: [Phase; 5] = [
    Phase::Gui,
    Phase::Console,
    Phase::Unknown,
    Phase::Services,
    Phase::Explorer,
];

/// One shutdown category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Gui,
    Console,
    Unknown,
    Services,
    Explorer,
}

/// The category of an application. A service-type entry without a service name cannot be
/// driven through a manager and is handled as an unknown application.
pub(crate) fn phase_of(app: &ProcessInfo) -> Phase {
    match app.app_type {
        AppType::MainWindow | AppType::OtherWindow => Phase::Gui,
        AppType::Console => Phase::Console,
        AppType::Service if app.service_name.is_some() => Phase::Services,
        AppType::Explorer => Phase::Explorer,
        AppType::Unknown | AppType::Service | AppType::Critical => Phase::Unknown,
    }
}

/// Reports progress as a percentage that only grows ("RM_WRITE_STATUS_CALLBACK callback
/// function": "strictly increasing").
pub(crate) struct Progress<'a> {
    total: usize,
    done: usize,
    last: Option<u32>,
    report: &'a mut dyn FnMut(u32),
}

impl<'a> Progress<'a> {
    pub(crate) fn new(total: usize, report: &'a mut dyn FnMut(u32)) -> Progress<'a> {
        Progress {
            total,
            done: 0,
            last: None,
            report,
        }
    }

    pub(crate) fn tick(&mut self) {
        self.done = (self.done + 1).min(self.total);
        let percent = (self.done * 100 / self.total.max(1)) as u32;
        self.emit(percent);
    }

    pub(crate) fn finish(&mut self) {
        self.emit(100);
    }

    fn emit(&mut self, percent: u32) {
        if self.last.is_none_or(|last| percent > last) {
            self.last = Some(percent);
            (self.report)(percent);
        }
    }
}

fn mark_stopped(app: &mut ProcessInfo) {
    app.status.remove(AppStatus::RUNNING);
    app.status.insert(AppStatus::STOPPED);
}

fn mark_gone_before(app: &mut ProcessInfo) {
    app.status.remove(AppStatus::RUNNING);
    app.status.insert(AppStatus::STOPPED_OTHER);
}

/// Shuts down the applications of `apps` (see the module docs for the protocol), updating
/// each one's status in place.
///
/// `services` drives the service entries; `None` asks [`crate::service::detect`] when a
/// service is to be stopped. `cancel` is polled between steps and while waiting (a
/// session's cancel flag); `progress` receives percentages.
pub fn shutdown_apps(
    apps: &mut [ProcessInfo],
    opts: &ShutdownOptions,
    filters: &Filters,
    services: Option<&dyn ServiceManager>,
    cancel: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(u32),
) -> Result<(), Error> {
    for app in apps.iter_mut() {
        filters.apply(app);
    }
    let me = std::process::id();
    let targets: Vec<usize> = (0..apps.len())
        .filter(|&i| {
            let s = apps[i].status;
            !s.contains(AppStatus::SHUTDOWN_MASKED) && !s.contains(AppStatus::STOPPED)
        })
        .collect();

    if let Some(&i) = targets
        .iter()
        .find(|&&i| apps[i].app_type == AppType::Critical || apps[i].process.pid == me)
    {
        tracing::info!(
            "shutdown refused: {} (pid {}) is critical",
            apps[i].app_name,
            apps[i].process.pid
        );
        return Err(Error::FailNoactionReboot);
    }

    let cannot_restart =
        |i: usize| !apps[i].restartable || apps[i].status.contains(AppStatus::RESTART_MASKED);
    if opts.only_registered
        && let Some(&i) = targets.iter().find(|&&i| cannot_restart(i))
    {
        return Err(Error::FailShutdown(format!(
            "{} (pid {}) cannot be restarted, and only applications registered for restart may be shut down; nothing was shut down",
            apps[i].app_name, apps[i].process.pid
        )));
    }

    // A new attempt: an earlier call's failure says nothing about this one.
    for &i in &targets {
        apps[i].status.remove(AppStatus::ERROR_ON_STOP);
    }
    let mut progress = Progress::new(targets.len(), progress);
    let mut detected_manager: Option<Box<dyn ServiceManager>> = None;
    for phase in PHASES {
        let members: Vec<usize> = targets
            .iter()
            .copied()
            .filter(|&i| phase_of(&apps[i]) == phase)
            .collect();
        if members.is_empty() {
            continue;
        }
        if cancel() {
            return Err(Error::Cancelled);
        }
        if phase == Phase::Services {
            let manager = match services {
                Some(m) => Some(m),
                None => {
                    if detected_manager.is_none() {
                        detected_manager = crate::service::detect();
                    }
                    detected_manager.as_deref()
                }
            };
            stop_services(apps, &members, opts, manager, cancel, &mut progress)?;
        } else {
            stop_processes(apps, &members, opts, cancel, &mut progress)?;
        }
    }
    progress.finish();

    let failed: Vec<String> = targets
        .iter()
        .filter(|&&i| apps[i].status.contains(AppStatus::ERROR_ON_STOP))
        .map(|&i| format!("{} (pid {})", apps[i].app_name, apps[i].process.pid))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::FailShutdown(format!(
            "still running: {}",
            failed.join(", ")
        )))
    }
}

/// Signals every member with `SIGTERM`, waits for all of them together, and with
/// `opts.force` kills what is left.
fn stop_processes(
    apps: &mut [ProcessInfo],
    members: &[usize],
    opts: &ShutdownOptions,
    cancel: &dyn Fn() -> bool,
    progress: &mut Progress<'_>,
) -> Result<(), Error> {
    let mut handles = Vec::with_capacity(members.len());
    let mut owners = Vec::with_capacity(members.len());
    for &i in members {
        let app = &mut apps[i];
        match ProcessHandle::open(app.process) {
            Ok(None) => {
                mark_gone_before(app);
                progress.tick();
            }
            Ok(Some(handle)) => match handle.terminate() {
                Ok(()) => {
                    handles.push(handle);
                    owners.push(i);
                }
                Err(e) => {
                    stop_failed(app, &e);
                    progress.tick();
                }
            },
            Err(e) => {
                stop_failed(app, &e);
                progress.tick();
            }
        }
    }
    if handles.is_empty() {
        return Ok(());
    }
    let mut exited = vec![false; handles.len()];
    let end = wait_all(
        &handles,
        &mut exited,
        Instant::now() + opts.timeout,
        cancel,
        &mut |k| {
            mark_stopped(&mut apps[owners[k]]);
            progress.tick();
        },
    );
    match end {
        WaitEnd::AllExited => return Ok(()),
        WaitEnd::Cancelled => return Err(Error::Cancelled),
        WaitEnd::TimedOut => {}
    }
    if opts.force {
        for (k, handle) in handles.iter().enumerate() {
            if !exited[k]
                && let Err(e) = handle.kill()
            {
                tracing::warn!("cannot kill pid {}: {e}", handle.process().pid);
            }
        }
        // SIGKILL cannot be refused; the short wait is for the kernel's teardown, and is
        // not cancelled: the processes are dying either way.
        wait_all(
            &handles,
            &mut exited,
            Instant::now() + KILL_GRACE,
            &|| false,
            &mut |k| {
                mark_stopped(&mut apps[owners[k]]);
                progress.tick();
            },
        );
    }
    for (k, &i) in owners.iter().enumerate() {
        if !exited[k] {
            let app = &mut apps[i];
            tracing::info!(
                "{} (pid {}) did not exit within {:?}",
                app.app_name,
                app.process.pid,
                opts.timeout
            );
            app.status.insert(AppStatus::ERROR_ON_STOP);
            progress.tick();
        }
    }
    Ok(())
}

fn stop_failed(app: &mut ProcessInfo, e: &SignalError) {
    tracing::info!(
        "cannot signal {} (pid {}): {e}",
        app.app_name,
        app.process.pid
    );
    app.status.insert(AppStatus::ERROR_ON_STOP);
}

/// Stops the services the members belong to (each once, all in parallel), then deals with
/// any member process that outlived its service as an ordinary process.
fn stop_services(
    apps: &mut [ProcessInfo],
    members: &[usize],
    opts: &ShutdownOptions,
    manager: Option<&dyn ServiceManager>,
    cancel: &dyn Fn() -> bool,
    progress: &mut Progress<'_>,
) -> Result<(), Error> {
    let Some(manager) = manager else {
        for &i in members {
            tracing::info!(
                "no service manager to stop {}",
                apps[i].service_name.as_deref().unwrap_or_default()
            );
            apps[i].status.insert(AppStatus::ERROR_ON_STOP);
            progress.tick();
        }
        return Ok(());
    };
    let mut names: Vec<String> = Vec::new();
    for &i in members {
        if let Some(name) = &apps[i].service_name
            && !names.contains(name)
        {
            names.push(name.clone());
        }
    }
    let results: Vec<Result<(), Error>> = std::thread::scope(|scope| {
        let workers: Vec<_> = names
            .iter()
            .map(|name| scope.spawn(move || manager.stop(name, opts.timeout, opts.force)))
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join().unwrap_or_else(|_| {
                    Err(Error::ServiceFailed {
                        name: String::new(),
                        message: "the service stop panicked".into(),
                    })
                })
            })
            .collect()
    });
    let mut leftovers = Vec::new();
    for &i in members {
        let Some(k) = apps[i]
            .service_name
            .as_ref()
            .and_then(|n| names.iter().position(|m| m == n))
        else {
            continue;
        };
        match &results[k] {
            Ok(()) => {
                if apps[i].process.is_alive() {
                    leftovers.push(i);
                } else {
                    mark_stopped(&mut apps[i]);
                    progress.tick();
                }
            }
            Err(e) => {
                tracing::info!("{e}");
                apps[i].status.insert(AppStatus::ERROR_ON_STOP);
                progress.tick();
            }
        }
    }
    if leftovers.is_empty() {
        return Ok(());
    }
    // A process that outlived its stopped service (it left the supervision tree) still
    // holds the resource: shut it down like any application.
    if cancel() {
        return Err(Error::Cancelled);
    }
    stop_processes(apps, &leftovers, opts, cancel, progress)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_only_grows_and_ends_at_100() {
        let mut seen = Vec::new();
        {
            let mut report = |p| seen.push(p);
            let mut progress = Progress::new(3, &mut report);
            progress.tick();
            progress.tick();
            progress.tick();
            progress.tick();
            progress.finish();
        }
        assert_eq!(seen, vec![33, 66, 100]);
        let mut seen = Vec::new();
        {
            let mut report = |p| seen.push(p);
            Progress::new(0, &mut report).finish();
        }
        assert_eq!(seen, vec![100]);
    }

    #[test]
    fn flags_map_to_options_and_unknown_bits_are_refused() {
        let t = Duration::from_secs(1);
        let o = shutdown_options_from_flags(0x11, t).unwrap();
        assert!(o.force && o.only_registered && o.timeout == t);
        let o = shutdown_options_from_flags(0, t).unwrap();
        assert!(!o.force && !o.only_registered);
        assert_eq!(shutdown_options_from_flags(0x2, t).unwrap_err().code(), 160);
    }

    #[test]
    fn timeouts_parse_as_seconds() {
        assert_eq!(parse_timeout("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_timeout(" 30\n").unwrap(), Duration::from_secs(30));
        for bad in ["", "-1", "inf", "NaN", "x"] {
            assert!(parse_timeout(bad).is_err(), "{bad:?}");
        }
    }
}
