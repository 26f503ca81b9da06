//! Glue between an install and its Restart Manager session ("Using Windows Installer with Restart
//! Manager").
//!
//! The life cycle, as "MsiRestartManagerSessionKey property" and the observed logs place it:
//!
//! 1. **Initialization** — [`RmGlue::start`] starts a primary session (unless
//!    `MSIRESTARTMANAGERCONTROL=Disable`); the engine sets `MsiRestartManagerSessionKey` to
//!    its key. A session that cannot start (an unsafe state folder, too many sessions) is not
//!    an install failure: Windows Installer goes on without the Restart Manager when it is
//!    unavailable, and so does this engine, with the property left empty and the reason in
//!    the log.
//! 2. **Custom actions before InstallValidate** join with the key and register more
//!    resources; their registrations add up in the session.
//! 3. **InstallValidate** — [`RmGlue::validate`] registers the existing files the install
//!    will replace or remove, lists the affected applications (custom actions' registrations
//!    included), and decides by `MSIRESTARTMANAGERCONTROL`, `MSIRMSHUTDOWN` and the UI level
//!    whether to shut them down. Without a session (`Disable`, or the Restart Manager
//!    unavailable) or when a call to it fails, the legacy FilesInUse mechanism applies
//!    ([`LegacyFilesInUseChoice`]): the holders are found by a one-shot scan, logged
//!    (`Info 1603.`) and left running, and the install ends with 3010.
//! 4. **End** — [`RmGlue::finish`] restarts what was shut down (unless
//!    `MSIDISABLERMRESTART=1`) and ends the session; "have been restarted" is logged only
//!    when something was shut down and came back.
//!
//! Every step writes a `RESTART MANAGER:` line to the log.

use std::path::PathBuf;

use restart_manager::{
    AppStatus, AppType, ProcessInfo, Resources, ScanOptions, ScanReport, Session, ShutdownOptions,
};

use crate::log::Log;
use crate::ui::{AppInUse, FilesInUseChoice, InstallUi, LegacyFilesInUseChoice};

/// `MSIRESTARTMANAGERCONTROL` ("MSIRESTARTMANAGERCONTROL property").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// Unset or `0`: use the Restart Manager.
    Enabled,
    /// `DisableShutdown`: detect files in use, never shut anything down.
    DisableShutdown,
    /// `Disable`: no interaction at all.
    Disable,
}

impl Control {
    /// Reads the property's value (case-insensitive, as Windows compares these keywords).
    pub(crate) fn from_property(value: Option<&str>) -> Control {
        match value.map(str::trim) {
            Some(v) if v.eq_ignore_ascii_case("Disable") => Control::Disable,
            Some(v) if v.eq_ignore_ascii_case("DisableShutdown") => Control::DisableShutdown,
            _ => Control::Enabled,
        }
    }
}

/// Decisions the validate step needs from the session.
pub(crate) struct ValidateInput<'a> {
    /// Existing regular files (absolute paths) the install will overwrite or remove.
    pub(crate) files: &'a [PathBuf],
    /// `MSIRMSHUTDOWN`: 0 polite, 1 force, 2 only if all are restartable.
    pub(crate) shutdown_mode: u32,
    /// The UI level (2 none, 3 basic, 4 reduced, 5 full).
    pub(crate) ui_level: u32,
}

/// What validate decided.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Validated {
    /// Go on.
    Continue,
    /// The user cancelled (1602).
    Cancel,
}

/// The install's side of its Restart Manager session.
pub(crate) struct RmGlue {
    control: Control,
    session: Option<Session>,
    /// Applications shut down at InstallValidate, to restart at the end.
    shut_down: bool,
    /// Applications left running on files the install replaces or removes.
    left_running: Vec<AppInUse>,
}

/// The Windows name of an application type, as logs print it (`RM_APP_TYPE`).
pub(crate) fn app_type_name(t: AppType) -> &'static str {
    match t {
        AppType::MainWindow => "RmMainWindow",
        AppType::OtherWindow => "RmOtherWindow",
        AppType::Service => "RmService",
        AppType::Explorer => "RmExplorer",
        AppType::Console => "RmConsole",
        AppType::Critical => "RmCritical",
        _ => "RmUnknownApp",
    }
}

/// Whether the application has a window the FilesInUse dialog could name ("InstallValidate
/// action").
fn has_window(t: AppType) -> bool {
    matches!(t, AppType::MainWindow | AppType::OtherWindow)
}

/// The processes of a one-shot scan that hold the files (this process left out), each once,
/// in the scan's order; logs `Info 1603.` for every file a process holds, and, for a holder
/// without a window, the line Windows writes instead of showing it in the dialog.
fn legacy_holders<'r>(report: &'r ScanReport, log: &mut Log) -> Vec<&'r ProcessInfo> {
    let me = std::process::id();
    let mut holders: Vec<&ProcessInfo> = Vec::new();
    for u in &report.uses {
        let Some(p) = report
            .processes
            .iter()
            .find(|p| p.process == u.process && p.process.pid != me)
        else {
            continue;
        };
        // Message 1603 ("Windows Installer Error Messages"); a Linux process has no window title to
        // give.
        log.engine(&format!(
            "Info 1603. The file {} is being held in use by the following process: Name: {}, Id: {}, Window Title: ''.",
            u.path.display(),
            p.app_name,
            p.process.pid
        ));
        if !has_window(p.app_type) {
            let name = u.path.file_name().unwrap_or(u.path.as_os_str());
            log.engine(&format!(
                "File In Use: -{}- Window could not be found. Process ID: {}",
                name.to_string_lossy(),
                p.process.pid
            ));
        }
        if !holders.iter().any(|h| h.process == p.process) {
            holders.push(p);
        }
    }
    holders
}

fn to_app(p: &ProcessInfo) -> AppInUse {
    AppInUse {
        pid: p.process.pid,
        name: p.app_name.clone(),
        app_type: app_type_name(p.app_type),
        restartable: p.restartable,
    }
}

impl RmGlue {
    /// Starts the session unless `control` disables the Restart Manager. Returns the glue;
    /// [`RmGlue::key`] is the key to set in `MsiRestartManagerSessionKey` (None: leave it
    /// empty).
    pub(crate) fn start(control: Control, log: &mut Log) -> RmGlue {
        let session = if control == Control::Disable {
            log.rm("Disabled by MSIRESTARTMANAGERCONTROL=Disable; no session is opened.");
            None
        } else {
            match Session::start() {
                Ok(s) => {
                    log.rm("Session opened.");
                    Some(s)
                }
                Err(e) => {
                    log.rm(&format!(
                        "Could not open a session ({} {}: {e}). Continuing without the Restart Manager.",
                        e.code(),
                        e.name()
                    ));
                    None
                }
            }
        };
        RmGlue {
            control,
            session,
            shut_down: false,
            left_running: Vec::new(),
        }
    }

    /// The session key, when a session is open.
    pub(crate) fn key(&self) -> Option<String> {
        self.session.as_ref().map(|s| s.key().to_string())
    }

    /// Applications left running on files the install replaced or removed.
    pub(crate) fn left_running(&self) -> &[AppInUse] {
        &self.left_running
    }

    /// InstallValidate's part: register, list, decide, shut down. `ui` is asked at full UI
    /// and answers `None` when it cannot ask (no terminal): the quiet default applies.
    pub(crate) fn validate(
        &mut self,
        input: &ValidateInput<'_>,
        ui: &mut dyn InstallUi,
        log: &mut Log,
    ) -> Validated {
        let Some(session) = &self.session else {
            // RM disabled or unavailable: the legacy FilesInUse mechanism ("FilesInUse Dialog").
            return self.legacy(input, ui, log);
        };
        let registered_before = match session.registered() {
            Ok(r) => r,
            Err(e) => {
                log.rm(&format!("Could not read the session's registrations: {e}."));
                Resources::new()
            }
        };
        if input.files.is_empty() && registered_before.is_empty() {
            log.rm(
                "No existing file is replaced or removed and nothing else is registered; skipping the scan of running processes.",
            );
            return Validated::Continue;
        }
        if !registered_before.is_empty() {
            log.rm(&format!(
                "{} resource(s) were registered by custom actions.",
                registered_before.len()
            ));
        }
        if !input.files.is_empty() {
            let res = Resources {
                files: input.files.to_vec(),
                ..Resources::new()
            };
            match session.register(&res) {
                Ok(()) => log.rm(&format!(
                    "Registered {} file(s) the installation replaces or removes.",
                    input.files.len()
                )),
                Err(e) => {
                    log.rm(&format!("Could not register the files in use: {e}."));
                    // A failed RM call makes Windows fall back to FilesInUse ("Using Windows
                    // Installer with Restart Manager").
                    return self.legacy(input, ui, log);
                }
            }
        }
        let affected = match session.list() {
            Ok(a) => a,
            Err(e) => {
                log.rm(&format!(
                    "Could not list the applications holding files: {e}."
                ));
                return self.legacy(input, ui, log);
            }
        };
        let apps: Vec<&ProcessInfo> = affected
            .apps
            .iter()
            .filter(|p| p.process.pid != std::process::id())
            .collect();
        for p in &apps {
            log.rm(&format!(
                "Detected that application with id {}, friendly name '{}', of type {} and status {} holds file[s] in use.",
                p.process.pid,
                p.app_name,
                app_type_name(p.app_type),
                p.status.bits()
            ));
        }
        if apps.is_empty() {
            log.rm("No application holds a file in use.");
            return Validated::Continue;
        }
        let shown: Vec<AppInUse> = apps.iter().map(|p| to_app(p)).collect();

        if self.control == Control::DisableShutdown {
            log.rm(
                "Will not attempt to shut down applications (MSIRESTARTMANAGERCONTROL=DisableShutdown); a restart will be required.",
            );
            // The FilesInUse dialog is used ("MSIRESTARTMANAGERCONTROL property"), with the
            // session's list as what it shows: at full UI, for holders with a window
            // ("InstallValidate action").
            let me = std::process::id();
            let mut current: Vec<ProcessInfo> = apps.iter().map(|p| (*p).clone()).collect();
            while input.ui_level >= 5 && current.iter().any(|p| has_window(p.app_type)) {
                let shown: Vec<AppInUse> = current.iter().map(to_app).collect();
                match ui.files_in_use_legacy(&shown) {
                    Some(LegacyFilesInUseChoice::Retry) => {
                        log.engine(
                            "FilesInUse: the user chose Retry; looking for the holders again.",
                        );
                        current = match session.list() {
                            Ok(a) => a.apps.into_iter().filter(|p| p.process.pid != me).collect(),
                            Err(e) => {
                                log.rm(&format!(
                                    "Could not list the applications holding files: {e}."
                                ));
                                break;
                            }
                        };
                    }
                    Some(LegacyFilesInUseChoice::Exit) => {
                        log.engine("FilesInUse: the user chose Exit.");
                        return Validated::Cancel;
                    }
                    Some(LegacyFilesInUseChoice::Ignore) => {
                        log.engine("FilesInUse: the user chose Ignore.");
                        break;
                    }
                    None => break,
                }
            }
            if current.is_empty() {
                log.rm("No application holds a file in use.");
            }
            self.left_running = current.iter().map(to_app).collect();
            return Validated::Continue;
        }
        let choice = if input.ui_level >= 5 {
            match ui.files_in_use(&shown) {
                Some(c) => c,
                None => {
                    log.rm("No terminal to ask on: the applications are shut down as in basic UI.");
                    FilesInUseChoice::CloseAndRestart
                }
            }
        } else {
            log.rm("Will attempt to shut down and restart applications in no UI modes.");
            FilesInUseChoice::CloseAndRestart
        };
        match choice {
            FilesInUseChoice::Cancel => {
                log.rm("The user cancelled at the files-in-use prompt.");
                return Validated::Cancel;
            }
            FilesInUseChoice::DoNotClose => {
                log.rm("The user chose not to close applications; a restart will be required.");
                self.left_running = shown;
                return Validated::Continue;
            }
            FilesInUseChoice::CloseAndRestart => {}
        }
        let opts = ShutdownOptions {
            force: input.shutdown_mode == 1,
            only_registered: input.shutdown_mode == 2,
            // RSTMGR_SHUTDOWN_TIMEOUT changes the graceful wait, as for rstmgr (issue 4).
            timeout: restart_manager::default_shutdown_timeout(),
        };
        match session.shutdown(&opts, &mut |_| {}) {
            Ok(report) => {
                // Only what was actually stopped is restarted (and logged so) at the end.
                self.shut_down = report
                    .apps
                    .iter()
                    .any(|p| p.status.contains(AppStatus::STOPPED));
                let failed: Vec<&ProcessInfo> = report
                    .apps
                    .iter()
                    .filter(|p| {
                        p.process.pid != std::process::id()
                            && !p.status.contains(AppStatus::STOPPED)
                            && !p.status.contains(AppStatus::STOPPED_OTHER)
                    })
                    .collect();
                for p in &report.apps {
                    if p.status.contains(AppStatus::STOPPED) {
                        log.rm(&format!(
                            "Shut down application with id {}, friendly name '{}'.",
                            p.process.pid, p.app_name
                        ));
                    }
                }
                if failed.is_empty() {
                    log.rm(
                        "Successfully shut down all applications in the service's session that held files in use.",
                    );
                } else {
                    log.rm(&format!(
                        "Info 1611. The setup was unable to automatically close all requested applications ({} still running).",
                        failed.len()
                    ));
                    self.left_running = failed.iter().map(|p| to_app(p)).collect();
                }
            }
            Err(e) => {
                log.rm(&format!(
                    "Info 1611. The setup was unable to automatically close all requested applications: {} {}: {e}.",
                    e.code(),
                    e.name()
                ));
                // Whatever is still alive keeps running on the replaced files; what a
                // partial shutdown did stop is restarted at the end.
                self.left_running = match session.list() {
                    Ok(a) => {
                        self.shut_down =
                            a.apps.iter().any(|p| p.status.contains(AppStatus::STOPPED));
                        a.apps
                            .iter()
                            .filter(|p| {
                                p.process.pid != std::process::id()
                                    && !p.status.contains(AppStatus::STOPPED)
                            })
                            .map(to_app)
                            .collect()
                    }
                    Err(_) => shown,
                };
            }
        }
        Validated::Continue
    }

    /// The legacy FilesInUse mechanism ("FilesInUse Dialog"), for when the Restart Manager is
    /// disabled (`MSIRESTARTMANAGERCONTROL=Disable`) or unavailable (no session, or a call to
    /// it failed). The holders are still found — with the library's one-shot scan, which
    /// needs no session — and each file in use is logged as `Info 1603.` Nothing is shut
    /// down: the files are replaced under the running holders (which keep the old ones) and
    /// the install ends with 3010, the log naming them.
    ///
    /// At full UI the FilesInUse prompt ([`InstallUi::files_in_use_legacy`]) offers Retry
    /// (look again), Ignore (go on, restart required) and Exit (1602). Windows shows that
    /// dialog only for holders with a titled window; for the others it logs `Window could
    /// not be found` and goes on as at no UI ("InstallValidate action"), and so does this engine —
    /// on Linux only a graphical program (`RmMainWindow`) has a window.
    fn legacy(
        &mut self,
        input: &ValidateInput<'_>,
        ui: &mut dyn InstallUi,
        log: &mut Log,
    ) -> Validated {
        if input.files.is_empty() {
            return Validated::Continue;
        }
        let opts = ScanOptions {
            skip_self: true,
            ..ScanOptions::default()
        };
        loop {
            let report = match restart_manager::affected(input.files, &[], &opts) {
                Ok(r) => r,
                Err(e) => {
                    log.engine(&format!(
                        "Could not determine which processes hold files in use: {} {}: {e}.",
                        e.code(),
                        e.name()
                    ));
                    return Validated::Continue;
                }
            };
            let holders = legacy_holders(&report, log);
            if holders.is_empty() {
                return Validated::Continue;
            }
            let windowed = holders.iter().any(|p| has_window(p.app_type));
            if !windowed {
                log.engine("No window with title could be found for FilesInUse");
            }
            let apps: Vec<AppInUse> = holders.iter().map(|p| to_app(p)).collect();
            // The dialog: at full UI, for holders with a window, when someone can answer.
            let choice = if input.ui_level >= 5 && windowed {
                ui.files_in_use_legacy(&apps)
            } else {
                None
            };
            match choice {
                Some(LegacyFilesInUseChoice::Retry) => {
                    log.engine("FilesInUse: the user chose Retry; looking for the holders again.");
                    continue;
                }
                Some(LegacyFilesInUseChoice::Exit) => {
                    log.engine("FilesInUse: the user chose Exit.");
                    return Validated::Cancel;
                }
                Some(LegacyFilesInUseChoice::Ignore) => {
                    log.engine("FilesInUse: the user chose Ignore.");
                }
                None => {}
            }
            log.engine(&format!(
                "{} application(s) hold files in use; they are left running and the files are replaced, a restart will be required.",
                apps.len()
            ));
            self.left_running = apps;
            return Validated::Continue;
        }
    }

    /// The end of the install: restart what was shut down (unless `disable_restart`), then
    /// end the session. Runs after success and after failure alike.
    pub(crate) fn finish(mut self, disable_restart: bool, log: &mut Log) {
        let Some(session) = self.session.take() else {
            return;
        };
        if !self.shut_down {
            // Applications were in use but nothing was stopped (MSIRMSHUTDOWN=2 with an
            // unregistered holder, a failed shutdown, DisableShutdown, the user's choice):
            // there is nothing to restart ("Using Windows Installer with Restart Manager"). Silence
            // when nothing was in use.
            if !self.left_running.is_empty() {
                log.rm("No application was shut down; none is restarted.");
            }
        } else if disable_restart {
            log.rm("Restarting applications is disabled (MSIDISABLERMRESTART=1).");
        } else {
            match session.restart(&mut |_| {}) {
                Ok(report) => {
                    let mut restarted = false;
                    for p in &report.apps {
                        if p.status.contains(AppStatus::RESTARTED) {
                            restarted = true;
                            // The new instance's id when this process relaunched it (a
                            // service manager restarts its services under ids of its own).
                            let now = report.relaunched.iter().find(|r| r.old == p.process);
                            log.rm(&match now {
                                Some(r) => format!(
                                    "Restarted application '{}' (now id {}).",
                                    p.app_name, r.new.pid
                                ),
                                None => format!("Restarted application '{}'.", p.app_name),
                            });
                        }
                    }
                    if restarted {
                        log.rm("Previously shut down applications have been restarted.");
                    } else {
                        // Only applications registered for restart come back ("About Restart
                        // Manager").
                        log.rm(
                                "None of the applications that were shut down is registered for restart; none was restarted.",
                            );
                    }
                }
                Err(e) => log.rm(&format!(
                    "Could not restart the applications that were shut down: {} {}: {e}.",
                    e.code(),
                    e.name()
                )),
            }
        }
        match session.end() {
            Ok(()) => log.rm("Session closed."),
            Err(e) => log.rm(&format!("Could not end the session cleanly: {e}.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_values() {
        assert_eq!(Control::from_property(None), Control::Enabled);
        assert_eq!(Control::from_property(Some("0")), Control::Enabled);
        assert_eq!(Control::from_property(Some("Disable")), Control::Disable);
        assert_eq!(Control::from_property(Some("disable")), Control::Disable);
        assert_eq!(
            Control::from_property(Some("DisableShutdown")),
            Control::DisableShutdown
        );
    }

    #[test]
    fn type_names_are_windows_names() {
        assert_eq!(app_type_name(AppType::Console), "RmConsole");
        assert_eq!(app_type_name(AppType::Service), "RmService");
        assert_eq!(app_type_name(AppType::Critical), "RmCritical");
        assert_eq!(app_type_name(AppType::Unknown), "RmUnknownApp");
    }
}
