//! Filters: "do not shut down" / "do not restart" for one application or service
//! (`RmAddFilter`, `RmRemoveFilter`, `RmGetFilterList`; "RmAddFilter function",
//! "RmRemoveFilter function", "RmGetFilterList function").
//!
//! A filter's target is an application named by the full path of its executable
//! (not a registered resource file), a process by pid and start time, or a
//! service by short name. The latest filter for a target replaces earlier ones.
//! `NoShutdown` prevents shutdown **and** restart. Only the primary may add,
//! remove or list filters; a secondary gets `ERROR_SESSION_CREDENTIAL_CONFLICT`.
//!
//! Executable paths are matched exactly as given and, failing that, after both
//! sides are resolved with `canonicalize` (so `/usr/bin/../bin/sleep` matches the
//! `/usr/bin/sleep` a process runs) — "RmAddFilter function" does not say how paths match.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::resource::path_serde;
use crate::{AppStatus, Error, ProcessInfo, UniqueProcess};

/// `RM_FILTER_ACTION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
pub enum FilterAction {
    /// `RmNoRestart` (1): shut it down if needed, but do not restart it.
    NoRestart = 1,
    /// `RmNoShutdown` (2): neither shut it down nor restart it.
    NoShutdown = 2,
}

impl FilterAction {
    /// The Windows value.
    pub fn value(self) -> u32 {
        self as u32
    }

    /// The CLI/JSON name: `no_restart` or `no_shutdown`.
    pub fn json_name(self) -> &'static str {
        match self {
            FilterAction::NoRestart => "no_restart",
            FilterAction::NoShutdown => "no_shutdown",
        }
    }
}

impl fmt::Display for FilterAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.json_name())
    }
}

/// `RM_FILTER_TRIGGER` with its target: exactly one of the three.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterTarget {
    /// `RmFilterTriggerFile` (1): an application by the full path of its executable.
    File(#[serde(with = "path_serde")] PathBuf),
    /// `RmFilterTriggerProcess` (2): one process by pid and start time.
    Process(UniqueProcess),
    /// `RmFilterTriggerService` (3): a service by short name.
    Service(String),
}

impl FilterTarget {
    /// The Windows `RM_FILTER_TRIGGER` value.
    pub fn trigger_value(&self) -> u32 {
        match self {
            FilterTarget::File(_) => 1,
            FilterTarget::Process(_) => 2,
            FilterTarget::Service(_) => 3,
        }
    }

    /// The trigger's CLI/JSON name: `file`, `process` or `service`.
    pub fn trigger_name(&self) -> &'static str {
        match self {
            FilterTarget::File(_) => "file",
            FilterTarget::Process(_) => "process",
            FilterTarget::Service(_) => "service",
        }
    }

    pub(crate) fn validated(&self) -> Result<FilterTarget, Error> {
        match self {
            FilterTarget::File(p) if p.as_os_str().is_empty() => Err(Error::BadArguments(
                "a filter needs a non-empty file name".into(),
            )),
            FilterTarget::File(p) if !p.is_absolute() => match std::env::current_dir() {
                Ok(cwd) => Ok(FilterTarget::File(cwd.join(p))),
                Err(_) => Err(Error::BadArguments(format!(
                    "{}: a filter needs the full path of an executable",
                    p.display()
                ))),
            },
            FilterTarget::Service(s) => {
                crate::service::check_service_name(s)?;
                Ok(self.clone())
            }
            other => Ok(other.clone()),
        }
    }

    /// Whether this target names the application `info`.
    pub fn matches(&self, info: &ProcessInfo) -> bool {
        match self {
            FilterTarget::Process(p) => *p == info.process,
            FilterTarget::Service(s) => info.service_name.as_deref() == Some(s.as_str()),
            FilterTarget::File(path) => info.exe.as_deref().is_some_and(|exe| same_exe(path, exe)),
        }
    }
}

fn same_exe(filter: &Path, exe: &Path) -> bool {
    if filter == exe {
        return true;
    }
    match (filter.canonicalize(), exe.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

impl fmt::Display for FilterTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterTarget::File(p) => write!(f, "file {}", p.display()),
            FilterTarget::Process(p) => write!(f, "process {p}"),
            FilterTarget::Service(s) => write!(f, "service {s}"),
        }
    }
}

/// `RM_FILTER_INFO`: one filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// What the filter prevents.
    pub action: FilterAction,
    /// What it applies to.
    pub target: FilterTarget,
}

/// The filters of a session.
///
/// Invariant: at most one filter per target, in the order targets were first
/// filtered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    list: Vec<Filter>,
}

impl Filters {
    /// The filters, in the order their targets were first filtered.
    pub fn iter(&self) -> impl Iterator<Item = &Filter> {
        self.list.iter()
    }

    /// How many filters there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there is no filter.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds a filter, replacing any filter on the same target (the latest wins).
    pub fn add(&mut self, filter: Filter) {
        match self.list.iter_mut().find(|f| f.target == filter.target) {
            Some(existing) => existing.action = filter.action,
            None => self.list.push(filter),
        }
    }

    /// Removes the filter on `target`; `ERROR_FILE_NOT_FOUND` if there is none.
    pub fn remove(&mut self, target: &FilterTarget) -> Result<Filter, Error> {
        match self.list.iter().position(|f| f.target == *target) {
            Some(i) => Ok(self.list.remove(i)),
            None => Err(Error::FileNotFound {
                target: target.to_string(),
            }),
        }
    }

    /// The strongest action that applies to `info`, if any.
    pub fn action_for(&self, info: &ProcessInfo) -> Option<FilterAction> {
        let mut best = None;
        for f in self.list.iter().filter(|f| f.target.matches(info)) {
            if f.action == FilterAction::NoShutdown {
                return Some(FilterAction::NoShutdown);
            }
            best = Some(f.action);
        }
        best
    }

    /// Sets `SHUTDOWN_MASKED` / `RESTART_MASKED` on `info` as the filters say.
    pub fn apply(&self, info: &mut ProcessInfo) {
        match self.action_for(info) {
            Some(FilterAction::NoShutdown) => {
                info.status.insert(AppStatus::SHUTDOWN_MASKED);
                info.status.insert(AppStatus::RESTART_MASKED);
            }
            Some(FilterAction::NoRestart) => info.status.insert(AppStatus::RESTART_MASKED),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AppType;

    fn info(pid: u32, exe: &str, service: Option<&str>) -> ProcessInfo {
        ProcessInfo {
            process: UniqueProcess { pid, start_time: 5 },
            app_name: "x".into(),
            service_name: service.map(str::to_owned),
            app_type: AppType::Console,
            status: AppStatus::RUNNING,
            restartable: false,
            session_id: 1,
            uid: 0,
            exe: Some(exe.into()),
        }
    }

    #[test]
    fn latest_filter_wins_and_remove_reports_missing() {
        let mut f = Filters::default();
        let t = FilterTarget::Service("a.service".into());
        f.add(Filter {
            action: FilterAction::NoShutdown,
            target: t.clone(),
        });
        f.add(Filter {
            action: FilterAction::NoRestart,
            target: t.clone(),
        });
        assert_eq!(f.len(), 1);
        let mut i = info(3, "/bin/x", Some("a.service"));
        f.apply(&mut i);
        assert!(i.status.contains(AppStatus::RESTART_MASKED));
        assert!(!i.status.contains(AppStatus::SHUTDOWN_MASKED));
        f.remove(&t).unwrap();
        let err = f.remove(&t).unwrap_err();
        assert_eq!((err.name(), err.code()), ("ERROR_FILE_NOT_FOUND", 2));
    }

    #[test]
    fn no_shutdown_masks_both_and_matches_exe_and_process() {
        let mut f = Filters::default();
        f.add(Filter {
            action: FilterAction::NoShutdown,
            target: FilterTarget::File("/bin/x".into()),
        });
        let mut i = info(3, "/bin/x", None);
        f.apply(&mut i);
        assert!(
            i.status
                .contains(AppStatus::SHUTDOWN_MASKED | AppStatus::RESTART_MASKED)
        );
        let mut other = info(4, "/bin/y", None);
        f.apply(&mut other);
        assert_eq!(other.status, AppStatus::RUNNING);
        f.add(Filter {
            action: FilterAction::NoRestart,
            target: FilterTarget::Process(other.process),
        });
        f.apply(&mut other);
        assert!(other.status.contains(AppStatus::RESTART_MASKED));
    }
}
