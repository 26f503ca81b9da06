//! Services: which service a process belongs to, and stopping and starting services.
//!
//! Windows stops and starts services through the Service Control Manager. Linux has no one
//! service manager, so the Restart Manager talks to one through the [`ServiceManager`] trait,
//! with two real implementations:
//!
//! - [`Systemd`], used when systemd runs (`/run/systemd/system` exists, the test
//!   `sd_booted(3)` makes). A process's service is the unit named by the last component of
//!   its cgroup path in `/proc/PID/cgroup`, taken only when it ends in `.service` (a
//!   `.scope` is a login session or a container, not a service), and only for system
//!   units: a process under `user@UID.service` belongs to a user's own service manager,
//!   which a system-wide installer does not drive. Services are stopped and started with
//!   `systemctl`.
//! - [`Runit`], used where runit supervises services (the service folder `$SVDIR`, default
//!   `/etc/service`, exists). A process belongs to a runit service when it is the
//!   service's supervised process (`SERVICE/supervise/pid`, checked to be a child of
//!   `runsv`). Services are stopped and started by writing `runsv`'s control fifo
//!   (`SERVICE/supervise/control`), as `sv down`/`sv up` do, and waiting on
//!   `SERVICE/supervise/stat`.
//!
//! A service is what its service manager says it is, never what a process descends from:
//! a user's login shell forked by a root ssh daemon is not the ssh service, and shutting
//! it down must not stop that service. systemd's record is the cgroup (a process stays in
//! its unit's cgroup whatever it forks, and leaves it only through systemd); runit's
//! record is the one pid `runsv` supervises, so under runit only that process is the
//! service — its children are ordinary processes.
//!
//! Where both run (runit's `runsvdir` started as a systemd unit), a process that runit
//! supervises is that runit service even though it sits in the cgroup of the unit that
//! started `runsvdir`; [`Both`] asks runit first.
//!
//! [`detect`] picks what runs here; [`service_of`] and [`service_processes`] are the
//! shortcuts the affected-list builder uses.
//!
//! Service names are short names (`RM_PROCESS_INFO.strServiceShortName`): a unit name such
//! as `nginx.service` for systemd, the service folder's name for runit. Names are checked
//! before use ([`check_service_name`]): no path separators, no leading `-` or `.`, at most
//! `CCH_RM_MAX_SVC_NAME` (63) bytes, so a name can neither escape the service folder nor be
//! taken for a `systemctl` option.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{DEFAULT_PROC_ROOT, read_stat};
use crate::{Error, MAX_SERVICE_NAME};

/// How often a wait for a service to change state looks again.
const STATE_POLL: Duration = Duration::from_millis(10);

/// A service manager the Restart Manager can ask about services and drive.
///
/// Implementations must be cheap to call repeatedly: [`ServiceManager::service_of`] runs
/// once for every affected process.
pub trait ServiceManager: fmt::Debug + Send + Sync {
    /// The manager's name, for messages (`"systemd"`, `"runit"`).
    fn name(&self) -> &'static str;

    /// The service short name that process `pid` belongs to by the manager's own record,
    /// if any (never by ancestry: see the module docs).
    fn service_of(&self, pid: u32) -> Option<String>;

    /// Whether the manager knows a service of this name.
    fn exists(&self, service: &str) -> bool;

    /// A human-readable name for the service (`RM_PROCESS_INFO.strAppName` of a service),
    /// when the manager has one.
    fn display_name(&self, service: &str) -> Option<String> {
        let _ = service;
        None
    }

    /// The processes of a running service, its main process first. Empty when it is not
    /// running.
    fn processes(&self, service: &str) -> Result<Vec<u32>, Error>;

    /// Whether the service is running (or starting).
    fn is_running(&self, service: &str) -> Result<bool, Error>;

    /// Stops the service and waits up to `timeout` for it to be down. With `force`, a
    /// service still running then is killed (`SIGKILL`) and waited for a little longer.
    /// Fails with [`Error::ServiceFailed`] when the service is still running at the end.
    fn stop(&self, service: &str, timeout: Duration, force: bool) -> Result<(), Error>;

    /// Starts the service and waits up to `timeout` for it to run.
    fn start(&self, service: &str, timeout: Duration) -> Result<(), Error>;

    /// The order to restart `services` in: each after the ones it depends on. A manager
    /// that records no dependencies keeps the order given.
    fn restart_order(&self, services: &[String]) -> Vec<String> {
        services.to_vec()
    }

    /// Restarts the service (stops it, then starts it), each step bounded by `timeout`.
    fn restart(&self, service: &str, timeout: Duration) -> Result<(), Error> {
        self.stop(service, timeout, true)?;
        self.start(service, timeout)
    }
}

/// The service managers that run on this machine: systemd when `/run/systemd/system`
/// exists, runit when its service folder (`$SVDIR`, default `/etc/service`) exists, both
/// ([`Both`]) when both do, else none.
pub fn detect() -> Option<Box<dyn ServiceManager>> {
    let systemd = Path::new(SYSTEMD_RUNTIME_DIR).is_dir();
    let runit = Runit::from_env();
    match (systemd, runit.dir().is_dir()) {
        (true, true) => Some(Box::new(Both {
            runit,
            systemd: Systemd::new(),
        })),
        (true, false) => Some(Box::new(Systemd::new())),
        (false, true) => Some(Box::new(runit)),
        (false, false) => None,
    }
}

/// The service short name of process `pid`, according to the service manager that runs
/// here; `None` when it belongs to no service or there is no service manager.
pub fn service_of(pid: u32) -> Option<String> {
    detect()?.service_of(pid)
}

/// The processes of a registered service (main process first), for the affected list.
///
/// Fails with [`Error::ServiceDoesNotExist`] when no service manager runs here or it does
/// not know the service; a known service that is not running has no processes.
pub fn service_processes(service: &str) -> Result<Vec<u32>, Error> {
    check_service_name(service)?;
    let Some(manager) = detect() else {
        return Err(Error::ServiceDoesNotExist {
            name: service.to_owned(),
        });
    };
    if !manager.exists(service) {
        return Err(Error::ServiceDoesNotExist {
            name: service.to_owned(),
        });
    }
    manager.processes(service)
}

/// Refuses a service name that could escape a service folder or pass for a command-line
/// option: empty, longer than [`MAX_SERVICE_NAME`], starting with `-` or `.`, or holding a
/// `/`, a NUL, whitespace or a control character.
pub fn check_service_name(service: &str) -> Result<(), Error> {
    let bad = service.is_empty()
        || service.len() > MAX_SERVICE_NAME
        || service.starts_with('-')
        || service.starts_with('.')
        || service
            .chars()
            .any(|c| c == '/' || c.is_whitespace() || c.is_control());
    if bad {
        return Err(Error::BadArguments(format!(
            "invalid service name {service:?}"
        )));
    }
    Ok(())
}

// ============================== systemd ============================== //

/// Where systemd keeps its runtime state; its existence means systemd is PID 1.
const SYSTEMD_RUNTIME_DIR: &str = "/run/systemd/system";

/// systemd, driven through `systemctl`.
///
/// `systemctl` is used rather than the D-Bus API because it needs no D-Bus client library
/// and gives the same answers; every call passes `--` before the unit name.
///
/// Invariant: `systemctl` names the `systemctl` program to run (found in `PATH` by
/// default).
#[derive(Debug, Clone)]
pub struct Systemd {
    systemctl: PathBuf,
}

impl Default for Systemd {
    fn default() -> Systemd {
        Systemd::new()
    }
}

impl Systemd {
    /// A handle on the system's systemd.
    pub fn new() -> Systemd {
        Systemd::with_systemctl("systemctl")
    }

    /// A handle that runs this `systemctl` program (another machine's through a wrapper,
    /// or a scripted one in tests where systemd does not run).
    pub fn with_systemctl(program: impl Into<PathBuf>) -> Systemd {
        Systemd {
            systemctl: program.into(),
        }
    }

    fn show(&self, unit: &str, property: &str) -> Result<String, Error> {
        let out = Command::new(&self.systemctl)
            .args(["show", "--value", "-p", property, "--", unit])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map_err(|e| Error::io("cannot run systemctl", e))?;
        if !out.status.success() {
            return Err(Error::ServiceFailed {
                name: unit.to_owned(),
                message: format!("systemctl show failed ({})", out.status),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Runs `systemctl VERB -- UNIT`, waiting at most `timeout`. Returns `Ok(false)` on
    /// timeout (the job goes on inside systemd; only the client is stopped).
    fn run_verb(&self, verb: &str, unit: &str, timeout: Duration) -> Result<bool, Error> {
        let mut child = Command::new(&self.systemctl)
            .args([verb, "--", unit])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io("cannot run systemctl", e))?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child
                .try_wait()
                .map_err(|e| Error::io("cannot wait for systemctl", e))?
            {
                if status.success() {
                    return Ok(true);
                }
                let mut message = String::new();
                if let Some(mut err) = child.stderr.take() {
                    let _ = io::Read::read_to_string(&mut err, &mut message);
                }
                return Err(Error::ServiceFailed {
                    name: unit.to_owned(),
                    message: format!("systemctl {verb} failed: {}", message.trim()),
                });
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(false);
            }
            std::thread::sleep(STATE_POLL);
        }
    }
}

impl ServiceManager for Systemd {
    fn name(&self) -> &'static str {
        "systemd"
    }

    fn service_of(&self, pid: u32) -> Option<String> {
        let text = std::fs::read_to_string(format!("{DEFAULT_PROC_ROOT}/{pid}/cgroup")).ok()?;
        unit_from_cgroup(&text)
    }

    fn exists(&self, service: &str) -> bool {
        check_service_name(service).is_ok()
            && self
                .show(service, "LoadState")
                .is_ok_and(|state| !state.is_empty() && state != "not-found")
    }

    fn display_name(&self, service: &str) -> Option<String> {
        self.show(service, "Description")
            .ok()
            .filter(|d| !d.is_empty())
    }

    fn processes(&self, service: &str) -> Result<Vec<u32>, Error> {
        check_service_name(service)?;
        let main: u32 = self.show(service, "MainPID")?.parse().unwrap_or(0);
        let cgroup = self.show(service, "ControlGroup")?;
        let mut pids = Vec::new();
        if main != 0 {
            pids.push(main);
        }
        if !cgroup.is_empty() && !cgroup.contains("..") {
            // cgroup v2 (unified) first, then the v1 named hierarchy systemd uses.
            for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/systemd"] {
                let procs = format!("{root}{cgroup}/cgroup.procs");
                if let Ok(text) = std::fs::read_to_string(&procs) {
                    for pid in text.lines().filter_map(|l| l.trim().parse::<u32>().ok()) {
                        if !pids.contains(&pid) {
                            pids.push(pid);
                        }
                    }
                    break;
                }
            }
        }
        Ok(pids)
    }

    fn is_running(&self, service: &str) -> Result<bool, Error> {
        check_service_name(service)?;
        let state = self.show(service, "ActiveState")?;
        Ok(matches!(
            state.as_str(),
            "active" | "activating" | "reloading" | "refreshing"
        ))
    }

    fn stop(&self, service: &str, timeout: Duration, force: bool) -> Result<(), Error> {
        check_service_name(service)?;
        if self.run_verb("stop", service, timeout)? {
            return Ok(());
        }
        if force {
            let _ = Command::new(&self.systemctl)
                .args(["kill", "--signal=SIGKILL", "--", service])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if self.run_verb("stop", service, crate::signal::KILL_GRACE)? {
                return Ok(());
            }
        }
        Err(Error::ServiceFailed {
            name: service.to_owned(),
            message: format!("did not stop within {} s", timeout.as_secs_f32()),
        })
    }

    fn restart_order(&self, services: &[String]) -> Vec<String> {
        // A unit restarts after the units of the set it is ordered `After=`.
        let after: Vec<Vec<String>> = services
            .iter()
            .map(|s| {
                self.show(s, "After")
                    .map(|v| v.split_whitespace().map(str::to_owned).collect())
                    .unwrap_or_default()
            })
            .collect();
        dependency_order(services, &after)
    }

    fn restart(&self, service: &str, timeout: Duration) -> Result<(), Error> {
        // One job, so that systemd orders it by the unit's own dependencies and keeps
        // what a stop and a start would lose (socket activation, say).
        check_service_name(service)?;
        if self.run_verb("restart", service, timeout)? {
            Ok(())
        } else {
            Err(Error::ServiceFailed {
                name: service.to_owned(),
                message: format!("did not restart within {} s", timeout.as_secs_f32()),
            })
        }
    }

    fn start(&self, service: &str, timeout: Duration) -> Result<(), Error> {
        check_service_name(service)?;
        if self.run_verb("start", service, timeout)? {
            Ok(())
        } else {
            Err(Error::ServiceFailed {
                name: service.to_owned(),
                message: format!("did not start within {} s", timeout.as_secs_f32()),
            })
        }
    }
}

/// `services` ordered so that each comes after the members of the set listed in its
/// `after` entry (Kahn's algorithm, ties and cycles broken by the given order).
fn dependency_order(services: &[String], after: &[Vec<String>]) -> Vec<String> {
    let n = services.len();
    let deps: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| j != i && after.get(i).is_some_and(|a| a.contains(&services[j])))
                .collect()
        })
        .collect();
    let mut done = vec![false; n];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let next = (0..n)
            .find(|&i| !done[i] && deps[i].iter().all(|&d| done[d]))
            // A cycle: take the first left, as systemd would break it somewhere too.
            .or_else(|| (0..n).find(|&i| !done[i]));
        let Some(i) = next else { break };
        done[i] = true;
        out.push(services[i].clone());
    }
    out
}

/// The system service unit named by a `/proc/PID/cgroup` text, if any.
///
/// Takes the unified hierarchy (`0::PATH`) or systemd's named v1 hierarchy
/// (`N:name=systemd:PATH`); the unit is the path's last component when it ends in
/// `.service`. Paths under `user@UID.service` belong to a user's own manager and give
/// `None`.
pub fn unit_from_cgroup(text: &str) -> Option<String> {
    let path = text.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_id, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        (controllers.is_empty() || controllers == "name=systemd").then_some(path)
    })?;
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let (last, parents) = components.split_last()?;
    if !last.ends_with(".service") || last.len() > MAX_SERVICE_NAME {
        return None;
    }
    if parents
        .iter()
        .any(|c| c.starts_with("user@") && c.ends_with(".service"))
    {
        return None;
    }
    Some((*last).to_owned())
}

// ============================== runit ============================== //

/// The environment variable naming runit's service folder, as `sv(8)` reads it.
pub const SVDIR_ENV: &str = "SVDIR";

/// runit's default service folder (Debian's `runit` package).
pub const DEFAULT_SVDIR: &str = "/etc/service";

/// runit, driven through `runsv`'s control fifo.
///
/// Invariant: `dir` is the folder `runsvdir` watches; each service is an entry of it.
#[derive(Debug, Clone)]
pub struct Runit {
    dir: PathBuf,
}

impl Runit {
    /// runit with the service folder `$SVDIR`, or `/etc/service` when it is unset.
    pub fn from_env() -> Runit {
        match std::env::var_os(SVDIR_ENV) {
            Some(dir) if !dir.is_empty() => Runit::with_dir(dir),
            _ => Runit::with_dir(DEFAULT_SVDIR),
        }
    }

    /// runit with an explicit service folder (a private `runsvdir` in tests).
    pub fn with_dir(dir: impl Into<PathBuf>) -> Runit {
        Runit { dir: dir.into() }
    }

    /// The service folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn service_dir(&self, service: &str) -> Result<PathBuf, Error> {
        check_service_name(service)?;
        Ok(self.dir.join(service))
    }

    /// The supervised process of a service, when it runs and is really `runsv`'s child (a
    /// `pid` file left behind by a killed `runsv` may name a reused pid).
    fn supervised_pid(&self, service_dir: &Path) -> Option<u32> {
        let text = std::fs::read_to_string(service_dir.join("supervise/pid")).ok()?;
        let pid: u32 = text.trim().parse().ok()?;
        if pid == 0 {
            return None;
        }
        let proc_root = Path::new(DEFAULT_PROC_ROOT);
        let stat = read_stat(proc_root, pid).ok()?;
        let parent = read_stat(proc_root, stat.ppid).ok()?;
        (parent.comm == "runsv").then_some(pid)
    }

    /// Supervised pid → service name, for every service of the folder (read once by a
    /// scan that asks about many processes).
    pub fn supervised_pids(&self) -> HashMap<u32, String> {
        let mut map = HashMap::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return map;
        };
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if check_service_name(&name).is_err() {
                continue;
            }
            if let Some(pid) = self.supervised_pid(&entry.path()) {
                map.insert(pid, name);
            }
        }
        map
    }

    /// The first word of `supervise/stat`: `run`, `down` or `finish`.
    fn stat_word(&self, service_dir: &Path) -> Result<String, Error> {
        let path = service_dir.join("supervise/stat");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::ServiceFailed {
            name: name_of(service_dir),
            message: format!(
                "cannot read {}: {e} (is runsv supervising it?)",
                path.display()
            ),
        })?;
        Ok(text
            .split([',', '\n'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned())
    }

    /// Writes one command letter to `runsv`'s control fifo. The fifo is opened without
    /// blocking, so a service that no `runsv` supervises fails at once (`ENXIO`) instead of
    /// hanging.
    fn control(&self, service_dir: &Path, command: u8) -> Result<(), Error> {
        let path = service_dir.join("supervise/control");
        let failed = |e: io::Error| Error::ServiceFailed {
            name: name_of(service_dir),
            message: format!(
                "cannot write {}: {e} (is runsv supervising it?)",
                path.display()
            ),
        };
        let mut fifo = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(&path)
            .map_err(failed)?;
        fifo.write_all(&[command]).map_err(failed)
    }

    /// Waits until `done` holds for the service, up to `timeout`.
    fn wait_until(
        &self,
        service_dir: &Path,
        timeout: Duration,
        done: &dyn Fn(&Runit, &Path) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(self, service_dir) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(STATE_POLL);
        }
    }
}

fn name_of(service_dir: &Path) -> String {
    service_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Down: `stat` says so and no process of runsv's is the service's. The second half
/// matters right after a start: runsv publishes the new pid before it rewrites `stat`,
/// so for a moment a running service still reads `down`.
fn is_down(runit: &Runit, service_dir: &Path) -> bool {
    runit
        .stat_word(service_dir)
        .is_ok_and(|word| word == "down")
        && runit.supervised_pid(service_dir).is_none()
}

fn is_up(runit: &Runit, service_dir: &Path) -> bool {
    runit.stat_word(service_dir).is_ok_and(|word| word == "run")
        && runit.supervised_pid(service_dir).is_some()
}

impl ServiceManager for Runit {
    fn name(&self) -> &'static str {
        "runit"
    }

    fn service_of(&self, pid: u32) -> Option<String> {
        self.supervised_pids().remove(&pid)
    }

    fn exists(&self, service: &str) -> bool {
        self.service_dir(service)
            .is_ok_and(|dir| dir.join("run").is_file())
    }

    fn processes(&self, service: &str) -> Result<Vec<u32>, Error> {
        let dir = self.service_dir(service)?;
        // Only the supervised process is the service (see the module docs).
        Ok(self.supervised_pid(&dir).into_iter().collect())
    }

    fn is_running(&self, service: &str) -> Result<bool, Error> {
        let dir = self.service_dir(service)?;
        Ok(self.stat_word(&dir)? == "run")
    }

    fn stop(&self, service: &str, timeout: Duration, force: bool) -> Result<(), Error> {
        let dir = self.service_dir(service)?;
        // `d`: runsv sends TERM then CONT, and will not restart the service.
        self.control(&dir, b'd')?;
        if self.wait_until(&dir, timeout, &is_down) {
            return Ok(());
        }
        if force {
            // `k`: runsv sends KILL to the service process.
            self.control(&dir, b'k')?;
            if self.wait_until(&dir, crate::signal::KILL_GRACE, &is_down) {
                return Ok(());
            }
        }
        Err(Error::ServiceFailed {
            name: service.to_owned(),
            message: format!("did not stop within {} s", timeout.as_secs_f32()),
        })
    }

    fn start(&self, service: &str, timeout: Duration) -> Result<(), Error> {
        let dir = self.service_dir(service)?;
        self.control(&dir, b'u')?;
        if self.wait_until(&dir, timeout, &is_up) {
            return Ok(());
        }
        Err(Error::ServiceFailed {
            name: service.to_owned(),
            message: format!("did not start within {} s", timeout.as_secs_f32()),
        })
    }
}

// ============================== both ============================== //

/// runit running under systemd: runit's supervised processes are runit's services, every
/// other process is asked of systemd. A name is runit's when runit's service folder has
/// it, systemd's otherwise.
#[derive(Debug, Clone)]
pub struct Both {
    /// runit, asked first.
    pub runit: Runit,
    /// systemd.
    pub systemd: Systemd,
}

impl Both {
    fn pick(&self, service: &str) -> &dyn ServiceManager {
        if self.runit.exists(service) {
            &self.runit
        } else {
            &self.systemd
        }
    }
}

impl ServiceManager for Both {
    fn name(&self) -> &'static str {
        "runit+systemd"
    }

    fn service_of(&self, pid: u32) -> Option<String> {
        self.runit
            .service_of(pid)
            .or_else(|| self.systemd.service_of(pid))
    }

    fn exists(&self, service: &str) -> bool {
        self.runit.exists(service) || self.systemd.exists(service)
    }

    fn display_name(&self, service: &str) -> Option<String> {
        self.pick(service).display_name(service)
    }

    fn processes(&self, service: &str) -> Result<Vec<u32>, Error> {
        self.pick(service).processes(service)
    }

    fn is_running(&self, service: &str) -> Result<bool, Error> {
        self.pick(service).is_running(service)
    }

    fn stop(&self, service: &str, timeout: Duration, force: bool) -> Result<(), Error> {
        self.pick(service).stop(service, timeout, force)
    }

    fn start(&self, service: &str, timeout: Duration) -> Result<(), Error> {
        self.pick(service).start(service, timeout)
    }

    fn restart(&self, service: &str, timeout: Duration) -> Result<(), Error> {
        self.pick(service).restart(service, timeout)
    }

    fn restart_order(&self, services: &[String]) -> Vec<String> {
        // runit records no dependencies: its services first, then systemd's in order.
        let (runit, systemd): (Vec<String>, Vec<String>) =
            services.iter().cloned().partition(|s| self.runit.exists(s));
        let mut out = runit;
        out.extend(self.systemd.restart_order(&systemd));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_come_from_the_unified_or_systemd_hierarchy_and_end_in_service() {
        assert_eq!(
            unit_from_cgroup("0::/system.slice/nginx.service\n").as_deref(),
            Some("nginx.service")
        );
        assert_eq!(
            unit_from_cgroup(
                "12:cpu,cpuacct:/system.slice/other.service\n1:name=systemd:/system.slice/cron.service\n"
            )
            .as_deref(),
            Some("cron.service")
        );
        assert_eq!(
            unit_from_cgroup("0::/user.slice/user-1000.slice/session-2.scope\n"),
            None
        );
        assert_eq!(
            unit_from_cgroup(
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n"
            ),
            None
        );
        assert_eq!(
            unit_from_cgroup("0::/system.slice/docker.service/abc\n"),
            None
        );
        assert_eq!(unit_from_cgroup("0::/\n"), None);
        assert_eq!(unit_from_cgroup(""), None);
    }

    #[test]
    fn dependencies_come_first_and_cycles_do_not_hang() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let services = s(&["a.service", "b.service", "c.service"]);
        let after = vec![
            s(&["c.service", "network.target"]),
            s(&["a.service"]),
            vec![],
        ];
        assert_eq!(
            dependency_order(&services, &after),
            s(&["c.service", "a.service", "b.service"])
        );
        let cycle = vec![s(&["b.service"]), s(&["a.service"]), vec![]];
        assert_eq!(
            dependency_order(&services, &cycle),
            s(&["c.service", "a.service", "b.service"])
        );
    }

    #[test]
    fn names_that_could_escape_or_look_like_options_are_refused() {
        for bad in [
            "",
            "-x",
            ".",
            "..",
            "../etc",
            "a/b",
            "a b",
            "a\0b",
            &"x".repeat(64),
        ] {
            assert!(check_service_name(bad).is_err(), "{bad:?}");
        }
        for good in ["nginx.service", "getty@tty1.service", "my_svc-2"] {
            assert!(check_service_name(good).is_ok(), "{good:?}");
        }
    }
}
