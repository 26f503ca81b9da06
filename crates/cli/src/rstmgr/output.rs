//! Everything the session subcommands print: the key, tables for people, the
//! `--json` wire format, error lines and the progress bar.
//!
//! # `--json` wire format
//! The JSON outputs of both tools, with every field, are documented in one place:
//! `crates/cli/JSON.md` (and checked by the `rmsi` test binary's `json_contract` module).
//!
//! `rstmgr list KEY --json` prints one JSON object:
//! `{"processes":[{"pid":..,"start_time":..,"app_name":"..","service":null|"..",
//! "app_type":"..","status":[".."],"restartable":bool,"session_id":N|null}],
//! "reboot_reasons":[".."],"registered":{"files":[".."],"processes":[{"pid":..,
//! "start_time":..}],"services":[".."]},"version":1}` (`session_id` is `null` for a process in no
//! login session, Windows' `INVALID_SESSION_ID`).
//!
//! `rstmgr shutdown KEY --json` prints `{"version":1,"stopped":[<process>],
//! "not_stopped":[<process>],"error":null|{"code":351,"name":"ERROR_FAIL_SHUTDOWN",
//! "message":".."}}`.
//!
//! `rstmgr filters KEY --json` prints one JSON object
//! `{"filters":[{"action":"no_shutdown"|"no_restart","trigger":"file"|"process"|"service",
//! "file":"/path"}|{..,"pid":N,"start_time":N}|{..,"service":"name"}]}`.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use restart_manager::{
    AffectedApps, Error, FilterTarget, Filters, ProcessInfo, Resources, SessionKey,
};

/// Text from other users (program names, paths, service names) as a table shows it:
/// control characters and the invisible bidirectional-override marks are written as
/// `\xHH` or `\u{HHHH}`, so a name cannot move the cursor, clear the screen, change the
/// terminal's title or reorder what is shown after it. `--json` needs none of this: JSON
/// escapes control characters itself.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !bad(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A path as a table shows it: lossy UTF-8, then [`printable`].
pub(crate) fn printable_path(path: &std::path::Path) -> String {
    printable(&path.to_string_lossy()).into_owned()
}

/// `rstmgr: NAME (code): message`, the form every Restart Manager error takes on stderr.
pub(crate) fn error_line(err: &Error) -> String {
    format!("rstmgr: {} ({}): {err}", err.name(), err.code())
}

/// The version of the JSON outputs' layout: raised when a field changes meaning or goes.
pub(crate) const JSON_VERSION: u32 = 1;

fn out() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

/// Logs restart registrations the library refused (another user's file claiming more than
/// the session observed): one line each on stderr and in the log, never on stdout.
pub(crate) fn refused_registrations(refused: &[restart_manager::RefusedRegistration]) {
    for r in refused {
        tracing::warn!("{r}");
        eprintln!("rstmgr: {r}");
    }
}

/// The key alone on the first line.
pub(crate) fn key(key: &SessionKey) -> anyhow::Result<()> {
    writeln!(out(), "{key}")?;
    Ok(())
}

/// The affected-application list as one JSON object.
pub(crate) fn apps_json(apps: &AffectedApps, registered: &Resources) -> anyhow::Result<()> {
    #[derive(serde::Serialize)]
    // Issue 4's fields first, in their order; what came later after them.
    struct List<'a> {
        #[serde(flatten)]
        apps: &'a AffectedApps,
        registered: &'a Resources,
        version: u32,
    }
    let mut o = out();
    let list = List {
        version: JSON_VERSION,
        apps,
        registered,
    };
    serde_json::to_writer(&mut o, &list)?;
    writeln!(o)?;
    Ok(())
}

/// What a shutdown did: the applications it stopped and those it did not (with their
/// status), as a table or one JSON object; `error` when it failed (ERROR_FAIL_SHUTDOWN).
pub(crate) fn shutdown_result(
    apps: &[ProcessInfo],
    error: Option<&Error>,
    json: bool,
) -> anyhow::Result<()> {
    use restart_manager::AppStatus;
    let (stopped, not_stopped): (Vec<&ProcessInfo>, Vec<&ProcessInfo>) = apps
        .iter()
        .partition(|a| a.status.contains(AppStatus::STOPPED));
    let mut o = out();
    if json {
        #[derive(serde::Serialize)]
        struct ErrorJson {
            code: u32,
            name: &'static str,
            message: String,
        }
        #[derive(serde::Serialize)]
        struct Shutdown<'a> {
            version: u32,
            stopped: Vec<&'a ProcessInfo>,
            not_stopped: Vec<&'a ProcessInfo>,
            error: Option<ErrorJson>,
        }
        let report = Shutdown {
            version: JSON_VERSION,
            stopped,
            not_stopped,
            error: error.map(|e| ErrorJson {
                code: e.code(),
                name: e.name(),
                message: e.to_string(),
            }),
        };
        serde_json::to_writer(&mut o, &report)?;
        writeln!(o)?;
        return Ok(());
    }
    if stopped.is_empty() && not_stopped.is_empty() {
        writeln!(o, "Nothing to do: no application was shut down.")?;
        return Ok(());
    }
    for (title, list) in [("Stopped:", &stopped), ("Not stopped:", &not_stopped)] {
        if list.is_empty() {
            continue;
        }
        writeln!(o, "{title}")?;
        let owned: Vec<ProcessInfo> = list.iter().map(|a| (*a).clone()).collect();
        for l in apps_lines(&owned) {
            writeln!(o, "  {l}")?;
        }
    }
    Ok(())
}

/// The table's columns; the first two are numbers, aligned right.
const APP_COLUMNS: [&str; 8] = [
    "PID",
    "START_TIME",
    "APP",
    "SERVICE",
    "TYPE",
    "STATUS",
    "RESTARTABLE",
    "SESSION",
];

fn app_cells(a: &ProcessInfo) -> [String; 8] {
    [
        a.process.pid.to_string(),
        a.process.start_time.to_string(),
        printable(&a.app_name).into_owned(),
        printable(a.service_name.as_deref().unwrap_or("-")).into_owned(),
        a.app_type.json_name().to_owned(),
        a.status.to_string(),
        (if a.restartable { "yes" } else { "no" }).to_owned(),
        session_column(a.session_id),
    ]
}

/// A login-session id as the tables show it: `-` for none (`INVALID_SESSION_ID`).
pub(crate) fn session_column(session_id: u32) -> String {
    if session_id == restart_manager::INVALID_SESSION_ID {
        "-".to_owned()
    } else {
        session_id.to_string()
    }
}

/// The header and one line per application, each column as wide as its widest cell (a
/// status such as `running,shutdown_masked,restart_masked` must not push the columns after
/// it out of line). Columns are two spaces apart; the last one is not padded.
fn apps_lines(apps: &[ProcessInfo]) -> Vec<String> {
    let rows: Vec<[String; 8]> = apps.iter().map(app_cells).collect();
    let mut widths = APP_COLUMNS.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 8]| -> String {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            if i < 2 {
                out.push_str(&format!("{cell:>w$}"));
            } else if i + 1 < cells.len() {
                out.push_str(&format!("{cell:<w$}"));
            } else {
                out.push_str(cell);
            }
        }
        out
    };
    let mut lines = vec![line(APP_COLUMNS)];
    for row in &rows {
        lines.push(line(row.each_ref().map(String::as_str)));
    }
    lines
}

/// The affected-application list as a table, then the registered resources.
pub(crate) fn apps_table(apps: &AffectedApps, registered: &Resources) -> anyhow::Result<()> {
    let mut o = out();
    if apps.apps.is_empty() {
        writeln!(o, "No application uses the registered resources.")?;
    } else {
        for l in apps_lines(&apps.apps) {
            writeln!(o, "{l}")?;
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
        writeln!(o, "  file     {}", printable_path(f))?;
    }
    for p in &registered.processes {
        writeln!(o, "  process  {p}")?;
    }
    for s in &registered.services {
        writeln!(o, "  service  {}", printable(s))?;
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
    for l in apps_lines(apps) {
        writeln!(o, "{l}")?;
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
            FilterTarget::File(p) => printable_path(p),
            FilterTarget::Process(p) => p.to_string(),
            FilterTarget::Service(s) => printable(s).into_owned(),
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

#[cfg(test)]
mod tests {
    use restart_manager::{AppStatus, AppType, ProcessInfo, UniqueProcess};

    use super::{apps_lines, printable};

    #[test]
    fn control_characters_and_bidi_marks_are_escaped() {
        assert_eq!(printable("sleep"), "sleep");
        assert_eq!(
            printable("ev\u{1b}]0;owned\u{7}il\n\u{9b}2J\u{202e}txt"),
            "ev\\x1b]0;owned\\x07il\\x0a\\u{9b}2J\\u{202e}txt"
        );
        assert_eq!(printable("caf\u{e9} \u{4e2d}"), "caf\u{e9} \u{4e2d}");
    }

    fn app(pid: u32, name: &str, status: AppStatus) -> ProcessInfo {
        ProcessInfo {
            process: UniqueProcess {
                pid,
                start_time: 123_456,
            },
            app_name: name.to_owned(),
            service_name: None,
            app_type: AppType::Console,
            status,
            restartable: false,
            session_id: 3,
            uid: 1000,
            exe: None,
        }
    }

    #[test]
    fn a_long_status_keeps_the_columns_in_line() {
        let lines = apps_lines(&[
            app(
                7,
                "sleep",
                AppStatus::RUNNING | AppStatus::SHUTDOWN_MASKED | AppStatus::RESTART_MASKED,
            ),
            app(
                4_194_303,
                "a-rather-long-application-name",
                AppStatus::RUNNING,
            ),
        ]);
        assert_eq!(lines.len(), 3);
        // Every column after STATUS starts at the same place on every line.
        for col in ["RESTARTABLE", "SESSION"] {
            let at = lines[0].find(col).expect("the header names every column");
            for l in &lines[1..] {
                assert_eq!(l.as_bytes()[at - 2..at], *b"  ", "{l:?}");
                assert_ne!(l.as_bytes()[at], b' ', "{l:?}");
            }
        }
        assert!(lines[1].contains("running,shutdown_masked,restart_masked  no "));
        // Numbers align right under their headers; the last column is not padded.
        assert!(
            lines[0].starts_with("    PID  START_TIME  APP"),
            "{:?}",
            lines[0]
        );
        assert!(
            lines[1].starts_with("      7      123456  sleep"),
            "{:?}",
            lines[1]
        );
        assert!(lines.iter().all(|l| !l.ends_with(' ')));
    }
}
