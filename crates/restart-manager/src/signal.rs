//! Signalling one process instance, never another that reuses its pid.
//!
//! A [`ProcessHandle`] holds a pidfd (`pidfd_open(2)`): a file descriptor that names one
//! process for as long as it is open, even after the process exits and its pid is given to
//! someone else. The handle is opened only for a [`UniqueProcess`] whose start time still
//! matches, and the start time is checked again once the pidfd is open, so the pidfd is
//! known to name the registered process. Every signal then goes through
//! `pidfd_send_signal(2)`: a pid reused while the Restart Manager waits is never signalled.
//!
//! A process counts as gone as soon as it has exited, reaped or not: its pidfd becomes
//! readable, or `/proc/PID/stat` shows state `Z` (zombie) or `X` (dead). The parent of an
//! application may reap it only much later, or never; the application's files are closed
//! either way.
//!
//! [`wait_all`] waits for many processes together with one `poll(2)` over all their pidfds,
//! so shutting down 300 users of a file costs one round of signals and one wait, not 300
//! waits in a row.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, Resource, Rlimit, Signal, pidfd_open, pidfd_send_signal};

use crate::process::{DEFAULT_PROC_ROOT, UniqueProcess, read_stat};

/// How long one `poll(2)` round may sleep before zombies are looked for in `/proc` and the
/// cancel callback is asked again. Short enough that a cancel request is honoured quickly,
/// long enough that a long wait costs next to no CPU.
const POLL_SLICE: Duration = Duration::from_millis(50);

/// An open reference to one live process instance.
///
/// Invariant: `pidfd` was opened while `/proc/PID/stat` showed `process.start_time`, and
/// that was checked again after opening, so the pidfd names exactly `process`.
#[derive(Debug)]
pub struct ProcessHandle {
    process: UniqueProcess,
    pidfd: OwnedFd,
}

/// Why a process could not be signalled.
#[derive(Debug)]
#[non_exhaustive]
pub enum SignalError {
    /// The caller may not signal this process (another user's process, without `CAP_KILL`).
    PermissionDenied,
    /// Another failure of `pidfd_open(2)` or `pidfd_send_signal(2)`.
    Io(io::Error),
}

impl std::fmt::Display for SignalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignalError::PermissionDenied => f.write_str("permission denied"),
            SignalError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SignalError {}

impl From<Errno> for SignalError {
    fn from(e: Errno) -> SignalError {
        if e == Errno::PERM || e == Errno::ACCESS {
            SignalError::PermissionDenied
        } else {
            SignalError::Io(e.into())
        }
    }
}

impl ProcessHandle {
    /// Opens a handle on `process`.
    ///
    /// Returns `Ok(None)` when the process is already gone: no such pid, a different start
    /// time (the pid was reused), or a zombie. A failure to open the pidfd for any other
    /// reason is an error; when it is running out of file descriptors, the soft limit
    /// `RLIMIT_NOFILE` is raised to the hard limit once and the open retried, because a
    /// shutdown of thousands of processes holds one pidfd for each until they are gone.
    pub fn open(process: UniqueProcess) -> Result<Option<ProcessHandle>, SignalError> {
        if !is_same_live_process(process) {
            return Ok(None);
        }
        let Some(pid) = Pid::from_raw(process.pid as i32) else {
            return Ok(None);
        };
        let pidfd = match pidfd_open(pid, PidfdFlags::empty()) {
            Ok(fd) => fd,
            Err(Errno::SRCH) => return Ok(None),
            Err(Errno::MFILE) if raise_fd_limit() => match pidfd_open(pid, PidfdFlags::empty()) {
                Ok(fd) => fd,
                Err(Errno::SRCH) => return Ok(None),
                Err(e) => return Err(e.into()),
            },
            Err(e) => return Err(e.into()),
        };
        // The pid could have been reused between the first check and pidfd_open: then the
        // pidfd names the newcomer, whose start time differs. Checking after opening closes
        // that window, because the pidfd keeps naming whatever it was opened on.
        if !is_same_live_process(process) {
            return Ok(None);
        }
        Ok(Some(ProcessHandle { process, pidfd }))
    }

    /// The process this handle names.
    pub fn process(&self) -> UniqueProcess {
        self.process
    }

    /// Sends `signal` to the process through its pidfd.
    ///
    /// A process that has already exited (`ESRCH`) is not an error: it is gone, which is
    /// what every caller wants.
    pub fn send(&self, signal: Signal) -> Result<(), SignalError> {
        match pidfd_send_signal(self.pidfd.as_fd(), signal) {
            Ok(()) | Err(Errno::SRCH) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Asks the process to terminate: `SIGTERM`, then `SIGCONT` so that a stopped process
    /// (state `T`) wakes up to handle it, as `systemd` and `runsv` do.
    pub fn terminate(&self) -> Result<(), SignalError> {
        self.send(Signal::TERM)?;
        // SIGCONT cannot fail where SIGTERM succeeded; if it does, SIGTERM still counts.
        let _ = self.send(Signal::CONT);
        Ok(())
    }

    /// Kills the process (`SIGKILL`), which it cannot catch or ignore.
    pub fn kill(&self) -> Result<(), SignalError> {
        self.send(Signal::KILL)
    }

    /// Whether the process has exited (reaped or not), without waiting.
    pub fn has_exited(&self) -> bool {
        let mut fds = [PollFd::new(&self.pidfd, PollFlags::IN)];
        let zero = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        match poll(&mut fds, Some(&zero)) {
            Ok(n) if n > 0 => return true,
            _ => {}
        }
        !is_same_live_process(self.process)
    }
}

/// Whether `/proc/PID/stat` still shows this very process, not exited.
fn is_same_live_process(process: UniqueProcess) -> bool {
    match read_stat(Path::new(DEFAULT_PROC_ROOT), process.pid) {
        Ok(stat) => stat.start_time == process.start_time && !stat.is_gone(),
        Err(_) => false,
    }
}

/// Raises the soft limit on open files to the hard limit. Returns whether it went up.
fn raise_fd_limit() -> bool {
    let limit = rustix::process::getrlimit(Resource::Nofile);
    if limit.current == limit.maximum {
        return false;
    }
    rustix::process::setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    )
    .is_ok()
}

/// How a [`wait_all`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitEnd {
    /// Every process has exited.
    AllExited,
    /// The deadline passed with some processes still running.
    TimedOut,
    /// The cancel callback asked to stop waiting.
    Cancelled,
}

/// Waits until every process in `handles` has exited, the `deadline` passes, or `cancel`
/// returns true, whichever comes first.
///
/// `exited[i]` is set (and `on_exit(i)` called once) when `handles[i]` is seen gone;
/// entries already true are not waited for. All pidfds are polled together. The remaining
/// processes are also looked up in `/proc` at the start and whenever a poll slice (50 ms) has
/// passed since the last look, which catches zombies whose pidfd is not readable yet (a
/// zombie thread-group leader whose other threads still run). Between those looks only
/// the pidfds are watched, so a burst of hundreds of exits costs no `/proc` reads.
pub fn wait_all(
    handles: &[ProcessHandle],
    exited: &mut [bool],
    deadline: Instant,
    cancel: &dyn Fn() -> bool,
    on_exit: &mut dyn FnMut(usize),
) -> WaitEnd {
    debug_assert_eq!(handles.len(), exited.len());
    let mut last_proc_look: Option<Instant> = None;
    loop {
        if last_proc_look.is_none_or(|t| t.elapsed() >= POLL_SLICE) {
            last_proc_look = Some(Instant::now());
            for (i, handle) in handles.iter().enumerate() {
                if !exited[i] && !is_same_live_process(handle.process) {
                    exited[i] = true;
                    on_exit(i);
                }
            }
        }
        let pending: Vec<usize> = (0..handles.len()).filter(|&i| !exited[i]).collect();
        if pending.is_empty() {
            return WaitEnd::AllExited;
        }
        if cancel() {
            return WaitEnd::Cancelled;
        }
        let now = Instant::now();
        if now >= deadline {
            return WaitEnd::TimedOut;
        }
        let slice = (deadline - now).min(POLL_SLICE);
        let timeout = Timespec {
            tv_sec: slice.as_secs() as i64,
            tv_nsec: i64::from(slice.subsec_nanos()),
        };
        let mut fds: Vec<PollFd<'_>> = pending
            .iter()
            .map(|&i| PollFd::new(&handles[i].pidfd, PollFlags::IN))
            .collect();
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) | Err(Errno::INTR) => {}
            Ok(_) => {
                for (k, fd) in fds.iter().enumerate() {
                    if !fd.revents().is_empty() {
                        let i = pending[k];
                        exited[i] = true;
                        on_exit(i);
                    }
                }
            }
            // Any other poll failure cannot come from the processes: rely on the /proc
            // look alone, sleeping the slice to avoid a busy loop.
            Err(_) => {
                std::thread::sleep(slice);
                last_proc_look = None;
            }
        }
    }
}

/// Terminates one process: `SIGTERM`, a wait of at most `timeout`, and with `force` a
/// `SIGKILL` when it is still running then (followed by a short wait for the kernel to
/// tear it down). Returns whether the process is gone.
///
/// A process that no longer exists (or whose pid now names another process) counts as
/// gone and is never signalled.
pub fn terminate(
    process: UniqueProcess,
    timeout: Duration,
    force: bool,
) -> Result<bool, SignalError> {
    let Some(handle) = ProcessHandle::open(process)? else {
        return Ok(true);
    };
    handle.terminate()?;
    let handles = [handle];
    let mut exited = [false];
    let end = wait_all(
        &handles,
        &mut exited,
        Instant::now() + timeout,
        &|| false,
        &mut |_| {},
    );
    if end == WaitEnd::AllExited {
        return Ok(true);
    }
    if !force {
        return Ok(false);
    }
    handles[0].kill()?;
    let end = wait_all(
        &handles,
        &mut exited,
        Instant::now() + KILL_GRACE,
        &|| false,
        &mut |_| {},
    );
    Ok(end == WaitEnd::AllExited)
}

/// How long to wait for the kernel to tear a process down after `SIGKILL`. It cannot be
/// refused, but a process in uninterruptible sleep (state `D`, e.g. on a dead NFS server)
/// dies only when that sleep ends.
pub const KILL_GRACE: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn a_wrong_start_time_gives_no_handle() {
        let me = UniqueProcess::current().unwrap();
        let other = UniqueProcess {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(ProcessHandle::open(other).unwrap().is_none());
        assert!(ProcessHandle::open(me).unwrap().is_some());
    }

    #[test]
    fn sigterm_ends_a_sleeping_child_and_its_zombie_counts_as_gone() {
        let mut child = Command::new("sleep")
            .arg("30")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let process = UniqueProcess::of(child.id()).unwrap();
        let start = Instant::now();
        // The child is not reaped until after the wait: it is a zombie meanwhile.
        assert!(terminate(process, Duration::from_secs(2), false).unwrap());
        assert!(start.elapsed() < Duration::from_secs(1));
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGTERM));
    }
}
