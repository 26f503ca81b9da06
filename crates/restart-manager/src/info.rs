//! What the affected-application list says about each process: `RM_APP_TYPE`,
//! `RM_APP_STATUS`, `RM_REBOOT_REASON` and `RM_PROCESS_INFO`, mapped to Linux.
//!
//! The numeric values are Windows' ("RM_APP_TYPE enumeration", "RM_APP_STATUS
//! enumeration", "RM_REBOOT_REASON enumeration") so that they can be compared with recorded
//! Windows answers; the JSON names are the `rstmgr --json` wire format of issue 4.
//!
//! # How the application type is decided on Linux
//!
//! Checked in this order; the first rule that holds wins:
//!
//! 1. [`AppType::Critical`] — a process that cannot be shut down without a restart of the
//!    machine: PID 1 (the init process), kernel threads, the system daemons Linux cannot
//!    do without (see [`is_critical_name`]: `systemd-journald`, `systemd-logind`,
//!    `systemd-udevd`, `udevd`, `dbus-daemon`, `dbus-broker`), a process the caller is not
//!    allowed to signal, and the primary process of the session itself ("RM_APP_TYPE
//!    enumeration" uses `RmCritical` for these last two cases as well).
//! 2. [`AppType::Service`] — the process belongs to a service: a systemd unit ending in
//!    `.service` read from `/proc/PID/cgroup`, or a runit service it is the supervised
//!    process of (or a descendant of).
//! 3. [`AppType::Explorer`] — the desktop shell, the Linux analogue of Windows Explorer:
//!    `gnome-shell`, `plasmashell`, `xfdesktop`, `cinnamon`, `mate-panel`, `lxqt-panel`.
//! 4. [`AppType::Console`] — the process has a controlling terminal (field 7 of
//!    `/proc/PID/stat` is not 0).
//! 5. [`AppType::MainWindow`] — a graphical program started outside a terminal: it holds
//!    a socket (its connection to the display server) and `DISPLAY` or `WAYLAND_DISPLAY`
//!    is set in its environment (`/proc/PID/environ`).
//! 6. [`AppType::Unknown`] — anything else (daemons started by hand, processes whose
//!    environment cannot be read). As on Windows, these only go away by force.
//!
//! [`AppType::OtherWindow`] is never produced: Linux has no notion of an application that
//! "does not run as a stand-alone process"; the variant exists so that recorded Windows
//! values can be read back.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::process::UniqueProcess;

/// `RM_APP_TYPE`: what kind of application a process is (see the module docs for how it
/// is decided on Linux). The discriminants are Windows' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
pub enum AppType {
    /// `RmUnknownApp` (0): cannot be classified; only a forced shutdown stops it.
    Unknown = 0,
    /// `RmMainWindow` (1): a stand-alone graphical application.
    MainWindow = 1,
    /// `RmOtherWindow` (2): never produced on Linux; kept for Windows' recorded values.
    OtherWindow = 2,
    /// `RmService` (3): a service, stopped and started through its service manager.
    Service = 3,
    /// `RmExplorer` (4): the desktop shell.
    Explorer = 4,
    /// `RmConsole` (5): a stand-alone console application (it has a controlling terminal).
    Console = 5,
    /// `RmCritical` (1000): cannot be shut down; a system restart is needed.
    Critical = 1000,
}

impl AppType {
    /// The Windows `RM_APP_TYPE` value.
    pub fn value(self) -> u32 {
        self as u32
    }

    /// The type with this Windows value, if there is one.
    pub fn from_value(value: u32) -> Option<AppType> {
        Some(match value {
            0 => AppType::Unknown,
            1 => AppType::MainWindow,
            2 => AppType::OtherWindow,
            3 => AppType::Service,
            4 => AppType::Explorer,
            5 => AppType::Console,
            1000 => AppType::Critical,
            _ => return None,
        })
    }

    /// The name used in `--json` output (`main_window`, `critical`...).
    pub fn json_name(self) -> &'static str {
        match self {
            AppType::Unknown => "unknown",
            AppType::MainWindow => "main_window",
            AppType::OtherWindow => "other_window",
            AppType::Service => "service",
            AppType::Explorer => "explorer",
            AppType::Console => "console",
            AppType::Critical => "critical",
        }
    }
}

impl std::fmt::Display for AppType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.json_name())
    }
}

/// Defines a `u32` bit-flag newtype whose serde form is the array of the set flags' names.
///
/// Hand-written instead of pulling in the `bitflags` crate: two small sets whose only
/// unusual need is the JSON shape fixed by issue 4 (an array of names, not a number).
macro_rules! flag_set {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$fmeta:meta])* $flag:ident = $value:expr, $json:literal; )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(u32);

        impl $name {
            $( $(#[$fmeta])* pub const $flag: $name = $name($value); )*

            /// Every named flag with its JSON name, in ascending bit order.
            pub const ALL: &'static [($name, &'static str)] = &[ $( ($name($value), $json), )* ];

            /// The Windows bit mask.
            pub fn bits(self) -> u32 {
                self.0
            }

            /// The set with exactly these bits, keeping unknown bits as they are (they come
            /// from a recorded Windows value and are printed as nothing).
            pub fn from_bits(bits: u32) -> $name {
                $name(bits)
            }

            /// Whether every bit of `other` is set here.
            pub fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }

            /// Whether no bit is set.
            pub fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// Sets the bits of `other`.
            pub fn insert(&mut self, other: $name) {
                self.0 |= other.0;
            }

            /// Clears the bits of `other`.
            pub fn remove(&mut self, other: $name) {
                self.0 &= !other.0;
            }

            /// The JSON names of the set flags, in ascending bit order.
            pub fn names(self) -> Vec<&'static str> {
                $name::ALL
                    .iter()
                    .filter(|(flag, _)| flag.0 != 0 && self.contains(*flag))
                    .map(|(_, name)| *name)
                    .collect()
            }

            /// The flag with this JSON name.
            pub fn from_name(name: &str) -> Option<$name> {
                $name::ALL.iter().find(|(_, n)| *n == name).map(|(flag, _)| *flag)
            }
        }

        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, rhs: $name) -> $name {
                $name(self.0 | rhs.0)
            }
        }

        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: $name) {
                self.0 |= rhs.0;
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let names = self.names();
                if names.is_empty() {
                    f.write_str("none")
                } else {
                    f.write_str(&names.join(","))
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.names())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let names = Vec::<String>::deserialize(deserializer)?;
                let mut set = $name::default();
                for name in &names {
                    let flag = $name::from_name(name).ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            "unknown {} flag {name:?}",
                            stringify!($name)
                        ))
                    })?;
                    set.insert(flag);
                }
                Ok(set)
            }
        }
    };
}

flag_set! {
    /// `RM_APP_STATUS`: bit flags whose combination records what the Restart Manager did
    /// to an application. The empty set is `RmStatusUnknown` (0).
    AppStatus {
        /// `RmStatusRunning` (0x1): currently running.
        RUNNING = 0x1, "running";
        /// `RmStatusStopped` (0x2): stopped by the Restart Manager.
        STOPPED = 0x2, "stopped";
        /// `RmStatusStoppedOther` (0x4): stopped by something else.
        STOPPED_OTHER = 0x4, "stopped_other";
        /// `RmStatusRestarted` (0x8): restarted by the Restart Manager.
        RESTARTED = 0x8, "restarted";
        /// `RmStatusErrorOnStop` (0x10): stopping it failed.
        ERROR_ON_STOP = 0x10, "error_on_stop";
        /// `RmStatusErrorOnRestart` (0x20): restarting it failed.
        ERROR_ON_RESTART = 0x20, "error_on_restart";
        /// `RmStatusShutdownMasked` (0x40): a filter forbids shutting it down.
        SHUTDOWN_MASKED = 0x40, "shutdown_masked";
        /// `RmStatusRestartMasked` (0x80): a filter forbids restarting it.
        RESTART_MASKED = 0x80, "restart_masked";
    }
}

impl AppStatus {
    /// `RmStatusUnknown` (0): no flag set.
    pub const UNKNOWN: AppStatus = AppStatus(0);
}

flag_set! {
    /// `RM_REBOOT_REASON`: bit flags saying why freeing the registered resources needs a
    /// restart of the machine. The empty set is `RmRebootReasonNone` (0).
    RebootReasons {
        /// `RmRebootReasonPermissionDenied` (0x1): the caller may not signal an affected
        /// process (another user's, and the caller is not root).
        PERMISSION_DENIED = 0x1, "permission_denied";
        /// `RmRebootReasonSessionMismatch` (0x2): an affected process runs in another login
        /// session than the caller.
        SESSION_MISMATCH = 0x2, "session_mismatch";
        /// `RmRebootReasonCriticalProcess` (0x4): an affected process is critical (PID 1...).
        CRITICAL_PROCESS = 0x4, "critical_process";
        /// `RmRebootReasonCriticalService` (0x8): an affected service is critical.
        CRITICAL_SERVICE = 0x8, "critical_service";
        /// `RmRebootReasonDetectedSelf` (0x10): the session's primary process itself uses a
        /// registered resource.
        DETECTED_SELF = 0x10, "detected_self";
    }
}

impl RebootReasons {
    /// `RmRebootReasonNone` (0): no restart of the machine is needed.
    pub const NONE: RebootReasons = RebootReasons(0);
}

/// `RM_INVALID_TS_SESSION`, and also the kernel's `AUDIT_SID_UNSET`: the value of
/// `/proc/PID/sessionid` for a process outside any login session. The two coincide, so
/// an unset login session is reported as Windows reports an unknown session.
pub const INVALID_SESSION_ID: u32 = u32::MAX;

/// The longest application name Windows returns (`CCH_RM_MAX_APP_NAME`, 255 characters).
pub const MAX_APP_NAME: usize = 255;

/// The longest service short name Windows returns (`CCH_RM_MAX_SVC_NAME`, 63 characters).
pub const MAX_SERVICE_NAME: usize = 63;

/// Names of system daemons that count as critical processes (see the module docs). Linux
/// analogues of the processes Windows lists (`csrss.exe`, `lsass.exe`, `services.exe`...).
const CRITICAL_NAMES: &[&str] = &[
    "systemd-journald",
    "systemd-logind",
    "systemd-udevd",
    "udevd",
    "dbus-daemon",
    "dbus-broker",
];

/// Units that count as critical services: stopping them takes the system down with them.
const CRITICAL_SERVICES: &[&str] = &[
    "systemd-journald.service",
    "systemd-logind.service",
    "systemd-udevd.service",
    "dbus.service",
    "dbus-broker.service",
    "polkit.service",
];

/// Desktop shells, reported as [`AppType::Explorer`].
const EXPLORER_NAMES: &[&str] = &[
    "gnome-shell",
    "plasmashell",
    "xfdesktop",
    "cinnamon",
    "mate-panel",
    "lxqt-panel",
];

/// Whether an executable name (file name, not path) is one of the critical system daemons.
pub fn is_critical_name(name: &str) -> bool {
    CRITICAL_NAMES.contains(&name)
}

/// Whether a service short name is one of the critical services.
pub fn is_critical_service(name: &str) -> bool {
    CRITICAL_SERVICES.contains(&name)
}

/// Whether an executable name is a desktop shell.
pub(crate) fn is_explorer_name(name: &str) -> bool {
    EXPLORER_NAMES.contains(&name)
}

/// `RM_PROCESS_INFO`: one entry of the affected-application list.
///
/// Its serde form is exactly one element of the `processes` array of issue 4's `--json`
/// contract: `pid`, `start_time`, `app_name`, `service`, `app_type`, `status` (array of flag
/// names), `restartable`, `session_id`, in that order. [`ProcessInfo::uid`] and
/// [`ProcessInfo::exe`] are facts for the shutdown and restart code and are not part of
/// that format: they are not serialized, and read back as `u32::MAX` (no such user) and
/// `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessInfo {
    /// The process (pid and start time).
    #[serde(flatten)]
    pub process: UniqueProcess,
    /// A name for people: the service name for a service, else the executable's file name
    /// (the command name from `stat` when the executable cannot be read), at most
    /// [`MAX_APP_NAME`] characters.
    pub app_name: String,
    /// The service short name (`nginx.service`, a runit service directory name) when the
    /// process belongs to a service, at most [`MAX_SERVICE_NAME`] characters.
    #[serde(rename = "service")]
    pub service_name: Option<String>,
    /// What kind of application it is (see the module docs).
    pub app_type: AppType,
    /// What the Restart Manager did to it; [`AppStatus::RUNNING`] for a live process that
    /// was not touched.
    pub status: AppStatus,
    /// Whether the Restart Manager can restart it. Always true for services and false for
    /// critical processes; for other applications, true only when the process registered
    /// for restart (the session fills this in — a scan alone reports false).
    pub restartable: bool,
    /// The login session (`/proc/PID/sessionid`); [`INVALID_SESSION_ID`] (4294967295) when
    /// the process is in no login session or the file cannot be read. On the wire the
    /// sentinel is `null` (a number reads back too).
    #[serde(with = "session_id_serde")]
    pub session_id: u32,
    /// The user the process runs as: the owner of `/proc/PID`, which is its effective uid
    /// (`u32::MAX` when unknown).
    #[serde(skip, default = "unknown_uid")]
    pub uid: u32,
    /// The executable (`/proc/PID/exe`), when it could be read.
    #[serde(skip)]
    pub exe: Option<PathBuf>,
}

fn unknown_uid() -> u32 {
    u32::MAX
}

/// Truncates `s` to at most `max` characters (Windows' fixed-size name buffers).
pub(crate) fn truncate_chars(mut s: String, max: usize) -> String {
    if let Some((idx, _)) = s.char_indices().nth(max) {
        s.truncate(idx);
    }
    s
}

/// `session_id` on the wire: the number, or `null` for [`INVALID_SESSION_ID`], which is
/// Windows' sentinel for "no session" and no session's id.
mod session_id_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::INVALID_SESSION_ID;

    pub(super) fn serialize<S: Serializer>(id: &u32, s: S) -> Result<S::Ok, S::Error> {
        if *id == INVALID_SESSION_ID {
            s.serialize_none()
        } else {
            s.serialize_u32(*id)
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        Ok(Option::<u32>::deserialize(d)?.unwrap_or(INVALID_SESSION_ID))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_type_values_and_names_match_the_spec() {
        let table = [
            (AppType::Unknown, 0, "unknown"),
            (AppType::MainWindow, 1, "main_window"),
            (AppType::OtherWindow, 2, "other_window"),
            (AppType::Service, 3, "service"),
            (AppType::Explorer, 4, "explorer"),
            (AppType::Console, 5, "console"),
            (AppType::Critical, 1000, "critical"),
        ];
        for (ty, value, name) in table {
            assert_eq!(ty.value(), value);
            assert_eq!(AppType::from_value(value), Some(ty));
            assert_eq!(ty.json_name(), name);
            assert_eq!(serde_json::to_string(&ty).unwrap(), format!("\"{name}\""));
            let back: AppType = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(back, ty);
        }
        assert_eq!(AppType::from_value(6), None);
    }

    #[test]
    fn app_status_bits_and_names_match_the_spec() {
        let table = [
            (AppStatus::RUNNING, 0x1, "running"),
            (AppStatus::STOPPED, 0x2, "stopped"),
            (AppStatus::STOPPED_OTHER, 0x4, "stopped_other"),
            (AppStatus::RESTARTED, 0x8, "restarted"),
            (AppStatus::ERROR_ON_STOP, 0x10, "error_on_stop"),
            (AppStatus::ERROR_ON_RESTART, 0x20, "error_on_restart"),
            (AppStatus::SHUTDOWN_MASKED, 0x40, "shutdown_masked"),
            (AppStatus::RESTART_MASKED, 0x80, "restart_masked"),
        ];
        assert_eq!(AppStatus::ALL.len(), table.len());
        for (flag, bits, name) in table {
            assert_eq!(flag.bits(), bits);
            assert_eq!(AppStatus::from_name(name), Some(flag));
        }
        assert_eq!(AppStatus::UNKNOWN.bits(), 0);
    }

    #[test]
    fn reboot_reason_bits_and_names_match_the_spec() {
        let table = [
            (RebootReasons::PERMISSION_DENIED, 0x1, "permission_denied"),
            (RebootReasons::SESSION_MISMATCH, 0x2, "session_mismatch"),
            (RebootReasons::CRITICAL_PROCESS, 0x4, "critical_process"),
            (RebootReasons::CRITICAL_SERVICE, 0x8, "critical_service"),
            (RebootReasons::DETECTED_SELF, 0x10, "detected_self"),
        ];
        assert_eq!(RebootReasons::ALL.len(), table.len());
        for (flag, bits, name) in table {
            assert_eq!(flag.bits(), bits);
            assert_eq!(RebootReasons::from_name(name), Some(flag));
        }
        assert_eq!(RebootReasons::NONE.bits(), 0);
        assert!(RebootReasons::NONE.is_empty());
    }

    #[test]
    fn flag_sets_serialize_as_arrays_of_names_in_bit_order() {
        let s = AppStatus::STOPPED | AppStatus::RUNNING | AppStatus::RESTART_MASKED;
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"["running","stopped","restart_masked"]"#
        );
        let back: AppStatus =
            serde_json::from_str(r#"["restart_masked","running","stopped"]"#).unwrap();
        assert_eq!(back, s);
        assert_eq!(serde_json::to_string(&RebootReasons::NONE).unwrap(), "[]");
        assert!(serde_json::from_str::<AppStatus>(r#"["sleeping"]"#).is_err());
        let mut r = RebootReasons::NONE;
        r |= RebootReasons::DETECTED_SELF;
        r.insert(RebootReasons::PERMISSION_DENIED);
        assert_eq!(r.bits(), 0x11);
        assert_eq!(r.to_string(), "permission_denied,detected_self");
        r.remove(RebootReasons::DETECTED_SELF);
        assert_eq!(r, RebootReasons::PERMISSION_DENIED);
    }

    #[test]
    fn process_info_json_is_the_issue_contract() {
        let info = ProcessInfo {
            process: UniqueProcess {
                pid: 42,
                start_time: 1234,
            },
            app_name: "sleep".into(),
            service_name: None,
            app_type: AppType::Console,
            status: AppStatus::RUNNING,
            restartable: false,
            session_id: INVALID_SESSION_ID,
            uid: 1000,
            exe: Some("/usr/bin/sleep".into()),
        };
        let json = serde_json::to_string(&info).unwrap();
        assert_eq!(
            json,
            r#"{"pid":42,"start_time":1234,"app_name":"sleep","service":null,"app_type":"console","status":["running"],"restartable":false,"session_id":null}"#
        );
        let back: ProcessInfo = serde_json::from_str(&json).unwrap();
        assert_eq!(back.process, info.process);
        assert_eq!(back.app_type, AppType::Console);
        assert_eq!(back.uid, u32::MAX);
        assert_eq!(back.exe, None);
    }

    #[test]
    fn names_are_truncated_by_characters() {
        assert_eq!(truncate_chars("ééééé".into(), 3), "ééé");
        assert_eq!(truncate_chars("ab".into(), 3), "ab");
    }
}
