//! What a run is asked to do ([`InstallRequest`]) and how it ended ([`InstallReport`]),
//! with the reports of runs that ended before their session started.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Outcome, Result};
use crate::layout::Layout;
use crate::log::Log;
use crate::properties::UiLevel;
use crate::ui::AppInUse;

/// Everything an installation is asked to do.
#[derive(Debug, Clone)]
pub struct InstallRequest {
    /// The package file.
    pub package: PathBuf,
    /// The target root (`/` for a real install). Created if missing (and removed again if
    /// the install fails).
    pub root: PathBuf,
    /// Where the standard folders point under the root.
    pub layout: Layout,
    /// The UI level.
    pub ui_level: UiLevel,
    /// The verbose log file, if any.
    pub log: Option<PathBuf>,
    /// Append to the log instead of replacing it (`/l+`).
    pub log_append: bool,
    /// Command-line properties, in order (names already upper-cased and checked).
    pub properties: Vec<(String, String)>,
    /// Whether executable custom actions may run (`--no-custom-actions` clears it: an
    /// install that needs one then fails with 1603).
    pub custom_actions: bool,
}

impl InstallRequest {
    /// The value the command line gave the property `name`, the last one when it was given
    /// more than once (as msiexec reads them); `None` when it was not given.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How an installation ended.
#[derive(Debug)]
pub struct InstallReport {
    /// Success (0 or 3010) or the error.
    pub result: Result<Outcome>,
    /// Applications left running on files the install replaced or removed (the reason for
    /// 3010).
    pub apps_left_running: Vec<AppInUse>,
    /// The log could not be written completely (the install's result stands).
    pub log_error: Option<io::Error>,
}

impl InstallReport {
    /// The Windows Installer code (`msiexec`'s exit code).
    pub fn code(&self) -> u32 {
        match &self.result {
            Ok(o) => o.code(),
            Err(e) => e.code(),
        }
    }

    /// The code's Windows name.
    pub fn name(&self) -> &'static str {
        match &self.result {
            Ok(o) => o.name(),
            Err(e) => e.name(),
        }
    }
}

/// Builds, under the root's lock and after its recovery, the request a run executes (an
/// uninstall reads the product registry there).
pub(crate) type Resolve<'a> = &'a dyn Fn(&Path) -> Result<InstallRequest>;

impl InstallReport {
    /// A run that ended before its log and its lock (a refused package path).
    pub(crate) fn early(err: Error) -> InstallReport {
        InstallReport {
            result: Err(err),
            apps_left_running: Vec::new(),
            log_error: None,
        }
    }

    /// A run that ended before a session started, its log (when one is asked for) still
    /// saying so: the `RunEngine` line `what` describes, the error, and
    /// `MainEngineThread is returning N`.
    pub(crate) fn early_logged(
        log: Option<&Path>,
        append: bool,
        what: &str,
        err: Error,
    ) -> InstallReport {
        let mut log_error = None;
        if let Some(path) = log {
            match Log::open(path, append) {
                Ok(mut log) => {
                    log.engine(&format!("******* RunEngine: {what}"));
                    log.engine(&format!("{} {}: {err}", err.code(), err.name()));
                    log_error = log.finish(err.code());
                }
                Err(source) => {
                    return InstallReport::early(Error::LogFailure {
                        path: path.to_path_buf(),
                        source,
                    });
                }
            }
        }
        InstallReport {
            result: Err(err),
            apps_left_running: Vec::new(),
            log_error,
        }
    }
}
