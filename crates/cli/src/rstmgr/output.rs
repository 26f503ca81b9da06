//! Everything the session subcommands print: the key, tables for people, the
//! `--json` wire format, error lines and the progress bar.
//!
//! # `--json` wire format
//! `rstmgr list KEY --json` prints one JSON object (issue 4's contract):
//! `{"processes":[{"pid":..,"start_time":..,"app_name":"..","service":null|"..",
//! "app_type":"..","status":[".."],"restartable":bool,"session_id":..}],
//! "reboot_reasons":[".."]}`.
//!
//! `rstmgr filters KEY --json` prints one JSON object
//! `{"filters":[{"action":"no_shutdown"|"no_restart","trigger":"file"|"process"|"service",
//! "file":"/path"}|{..,"pid":N,"start_time":N}|{..,"service":"name"}]}`.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use restart_manager::{
    AffectedApps, Error, FilterTarget, Filters, ProcessInfo, Resources, SessionKey,
};

/// `NAME (code): message`, the form every Restart Manager error takes on stderr.
pub(crate) fn error_line(err: &Error) -> String {
    format!("{} ({}): {err}", err.name(), err.code())
}

fn out() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

/// The key alone on the first line.
pub(crate) fn key(key: &SessionKey) -> anyhow::Result<()> {
    writeln!(out(), "{key}")?;
    Ok(())
}

/// The affected-application list as one JSON object.
pub(crate) fn apps_json(apps: &AffectedApps) -> anyhow::Result<()> {
    let mut o = out();
    serde_json::to_writer(&mut o, apps)?;
    writeln!(o)?;
    Ok(())
}

fn app_row(a: &ProcessInfo) -> String {
    format!(
        "{:>7}  {:>12}  {:<20}  {:<20}  {:<11}  {:<24}  {:<11}  {}",
        a.process.pid,
        a.process.start_time,
        a.app_name,
        a.service_name.as_deref().unwrap_or("-"),
        a.app_type.json_name(),
        a.status.to_string(),
        if a.restartable { "yes" } else { "no" },
        if a.session_id == restart_manager::INVALID_SESSION_ID {
            "-".to_owned()
        } else {
            a.session_id.to_string()
        },
    )
}

const APP_HEADER: &str = "    PID    START_TIME  APP                   SERVICE               TYPE         STATUS                    RESTARTABLE  SESSION";

/// The affected-application list as a table, then the registered resources.
pub(crate) fn apps_table(apps: &AffectedApps, registered: &Resources) -> anyhow::Result<()> {
    let mut o = out();
    if apps.apps.is_empty() {
        writeln!(o, "No application uses the registered resources.")?;
    } else {
        writeln!(o, "{APP_HEADER}")?;
        for a in &apps.apps {
            writeln!(o, "{}", app_row(a))?;
        }
    }
    writeln!(o, "Reboot reasons: {}", apps.reboot_reasons)?;
    writeln!(
        o,
        "Registered: {} file(s), {} process(es), {} service(s)",
        registered.files.len(),
        registered.processes.len(),
        registered.services.len()
    )?;
    for f in &registered.files {
        writeln!(o, "  file     {}", f.display())?;
    }
    for p in &registered.processes {
        writeln!(o, "  process  {p}")?;
    }
    for s in &registered.services {
        writeln!(o, "  service  {s}")?;
    }
    Ok(())
}

/// The applications after a shutdown or restart, one line each.
pub(crate) fn apps_after(done: &str, apps: &[ProcessInfo]) -> anyhow::Result<()> {
    let mut o = out();
    if apps.is_empty() {
        writeln!(o, "Nothing to do: no application was {done}.")?;
        return Ok(());
    }
    writeln!(o, "{APP_HEADER}")?;
    for a in apps {
        writeln!(o, "{}", app_row(a))?;
    }
    Ok(())
}

/// One filter on the wire: `action`, `trigger`, then the target's fields.
#[derive(serde::Serialize)]
struct FilterJson<'a> {
    action: &'a str,
    trigger: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'a str>,
}

fn filter_json<'a>(action: &'a str, target: &'a FilterTarget) -> FilterJson<'a> {
    let mut f = FilterJson {
        action,
        trigger: target.trigger_name(),
        file: None,
        pid: None,
        start_time: None,
        service: None,
    };
    match target {
        FilterTarget::File(p) => f.file = Some(p.to_string_lossy().into_owned()),
        FilterTarget::Process(p) => {
            f.pid = Some(p.pid);
            f.start_time = Some(p.start_time);
        }
        FilterTarget::Service(s) => f.service = Some(s),
    }
    f
}

/// The filters as one JSON object.
pub(crate) fn filters_json(filters: &Filters) -> anyhow::Result<()> {
    let list: Vec<_> = filters
        .iter()
        .map(|f| filter_json(f.action.json_name(), &f.target))
        .collect();
    let mut o = out();
    #[derive(serde::Serialize)]
    struct FiltersJson<'a> {
        filters: Vec<FilterJson<'a>>,
    }
    serde_json::to_writer(&mut o, &FiltersJson { filters: list })?;
    writeln!(o)?;
    Ok(())
}

/// The filters as a table.
pub(crate) fn filters_table(filters: &Filters) -> anyhow::Result<()> {
    let mut o = out();
    if filters.is_empty() {
        writeln!(o, "No filters.")?;
        return Ok(());
    }
    writeln!(o, "{:<12}  {:<8}  TARGET", "ACTION", "TRIGGER")?;
    for f in filters.iter() {
        let target = match &f.target {
            FilterTarget::File(p) => p.display().to_string(),
            FilterTarget::Process(p) => p.to_string(),
            FilterTarget::Service(s) => s.clone(),
        };
        writeln!(
            o,
            "{:<12}  {:<8}  {target}",
            f.action.json_name(),
            f.target.trigger_name()
        )?;
    }
    Ok(())
}

/// A percent progress bar on stderr when it is a terminal; nothing otherwise.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub(crate) fn new(what: &str) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::new(100);
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos:>3}%") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        Progress { bar: Some(bar) }
    }

    pub(crate) fn set(&mut self, percent: u32) {
        if let Some(bar) = &self.bar {
            bar.set_position(u64::from(percent.min(100)));
        }
    }

    pub(crate) fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
