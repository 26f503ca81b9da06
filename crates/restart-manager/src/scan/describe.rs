//! What is reported about a process that uses a target: its name, its application type
//! (critical, service, console, a window...), its login session and owner, and whether the
//! caller may signal it.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fd::BorrowedFd;

use super::fds::holds_socket_of;
use super::{ScanOptions, Scratch};
use crate::info::{
    AppStatus, AppType, INVALID_SESSION_ID, MAX_APP_NAME, MAX_SERVICE_NAME, ProcessInfo,
    is_critical_name, is_critical_service, is_explorer_name, truncate_chars,
};
use crate::proc_dir::read_once_at;
use crate::process::{Stat, UniqueProcess};

/// Builds the [`ProcessInfo`] of the process whose `/proc` directory is `dir`; `None` if
/// it has exited (or is a zombie) or its `stat` cannot be read.
pub(super) fn describe_at(
    dir: BorrowedFd<'_>,
    pid: u32,
    holds_socket: Option<bool>,
    opts: &ScanOptions,
    scratch: &mut Scratch,
) -> Option<ProcessInfo> {
    let buf = &mut scratch.read;
    let stat = Stat::parse(std::str::from_utf8(read_once_at(dir, c"stat", buf)?).ok()?)?;
    if stat.is_gone() {
        return None;
    }
    let process = UniqueProcess {
        pid,
        start_time: stat.start_time,
    };
    // The owner of `/proc/PID` is the user the process runs as (its effective uid), one
    // `fstat` away. Only a caller that is not root needs the real and saved uids the
    // kernel checks before delivering a signal, from the much costlier `status` file.
    let owner = rustix::fs::fstat(dir).map_or(u32::MAX, |st| st.st_uid);
    let may_signal = opts.caller.euid == 0
        || read_once_at(dir, c"status", buf)
            .and_then(uids_from_status)
            .is_some_and(|(real, saved)| opts.caller.may_signal(real, saved));
    let session_id = read_once_at(dir, c"sessionid", buf)
        .and_then(|b| std::str::from_utf8(b).ok()?.trim().parse().ok())
        .unwrap_or(INVALID_SESSION_ID);
    let exe = rustix::fs::readlinkat(dir, c"exe", Vec::new())
        .ok()
        .map(|c| PathBuf::from(std::ffi::OsStr::from_bytes(c.as_bytes())));
    let exe_name = exe
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    let service_name = opts.services.as_deref().and_then(|manager| {
        manager
            .service_of(pid)
            .map(|s| truncate_chars(s, MAX_SERVICE_NAME))
    });
    let name_for_rules = exe_name.clone().unwrap_or_else(|| stat.comm.clone());

    let critical = pid == 1
        || stat.is_kernel_thread()
        || is_critical_name(&name_for_rules)
        || service_name.as_deref().is_some_and(is_critical_service)
        || !may_signal
        || opts.primary == Some(process);
    let app_type = if critical {
        AppType::Critical
    } else if service_name.is_some() {
        AppType::Service
    } else if is_explorer_name(&name_for_rules) {
        AppType::Explorer
    } else if stat.tty_nr != 0 {
        AppType::Console
    } else if holds_socket.or_else(|| holds_socket_of(dir)) == Some(true)
        && read_once_at(dir, c"environ", buf).is_some_and(has_display)
    {
        // A graphical program talks to its display server over a socket; checking for one
        // first spares reading the environment of most daemons and batch programs.
        AppType::MainWindow
    } else {
        AppType::Unknown
    };
    // A critical process is named by its executable's file name ("RM_PROCESS_INFO structure"); a
    // service by its service name; anything else by its executable's name too.
    let app_name = match (&service_name, app_type) {
        (Some(s), t) if t != AppType::Critical => s.clone(),
        _ => name_for_rules,
    };
    Some(ProcessInfo {
        process,
        app_name: truncate_chars(app_name, MAX_APP_NAME),
        restartable: app_type == AppType::Service,
        service_name,
        app_type,
        status: AppStatus::RUNNING,
        session_id,
        uid: owner,
        exe,
    })
}

/// The real and saved uids from the `Uid:` line of `/proc/PID/status`.
fn uids_from_status(text: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(text).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    let mut ids = line.split_ascii_whitespace().map(|s| s.parse::<u32>().ok());
    let real = ids.next()??;
    let _effective = ids.next()??;
    let saved = ids.next()??;
    Some((real, saved))
}

/// Whether a NUL-separated environment names a graphical display.
fn has_display(environ: &[u8]) -> bool {
    environ.split(|b| *b == 0).any(|var| {
        // Most variables are dismissed by their first byte.
        let value = match var.first() {
            Some(b'D') => var.strip_prefix(b"DISPLAY="),
            Some(b'W') => var.strip_prefix(b"WAYLAND_DISPLAY="),
            _ => None,
        };
        value.is_some_and(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_and_display_are_read() {
        let status = b"Name:\tsleep\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\n";
        assert_eq!(uids_from_status(status), Some((1000, 1002)));
        assert!(has_display(b"HOME=/root\0DISPLAY=:0\0"));
        assert!(has_display(b"WAYLAND_DISPLAY=wayland-0\0"));
        assert!(!has_display(b"DISPLAY=\0XDISPLAY=:0\0"));
    }
}
