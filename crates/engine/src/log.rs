//! The verbose log, in the line grammar of Windows Installer's own logs.
//!
//! Log parsers written for Windows (and people who read those logs every day) look for a few
//! fixed shapes; this module writes exactly those, and nothing else decides a line's layout:
//!
//! ```text
//! === Verbose logging started: 11/26/2026  02:15:02  Build type: SHIP UNICODE 5.00.10011.00  Calling process: /usr/bin/rmsi ===
//! MSI (s) (4F:4F) [02:15:02:500]: Engine: rmsi 0.1.0 (Windows Installer 5.0 behaviour, running on Linux)
//! MSI (s) (4F:4F) [02:15:02:512]: Doing action: InstallValidate
//! Action start 02:15:02: InstallValidate.
//! MSI (s) (4F:4F) [02:15:02:530]: RESTART MANAGER: Session opened.
//! MSI (s) (4F:4F) [02:15:02:531]: PROPERTY CHANGE: Deleting MsiRestartManagerSessionKey property. Its current value is '**********'.
//! Action ended 02:15:02: InstallValidate. Return value 1.
//! Property(S): ProductName = Example
//! MSI (s) (4F:4F) [02:15:03:125]: MainEngineThread is returning 0
//! === Verbose logging stopped: 11/26/2026  02:15:03 ===
//! ```
//!
//! Times are the system's local time, as Windows writes them. `PP:TT` are the last two hex digits of the process
//! and thread ids, as Windows prints them.
//!
//! Values of hidden properties (the Restart Manager session key, and every name listed in
//! `MsiHiddenProperties`) are written as `**********`, in `PROPERTY CHANGE:` lines and in the
//! final `Property(S):` dump alike.
//!
//! A log that cannot be written after it was opened does not stop the install (Windows
//! behaves the same): the first write error is kept and reported once at the end.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::Path;

/// What a hidden property's value is replaced with.
pub(crate) const MASK: &str = "**********";

/// The verbose log of one install. Without a file every call is a no-op.
pub(crate) struct Log {
    out: Option<io::BufWriter<std::fs::File>>,
    /// `PP:TT`, computed once.
    ids: String,
    hidden: BTreeSet<String>,
    /// Values of hidden properties: masked wherever they appear (a custom action's command
    /// line that holds the session key, say).
    secrets: Vec<String>,
    error: Option<io::Error>,
}

/// A broken-down local time (the system's time zone: `TZ`, else `/etc/localtime`; UTC
/// when neither says), as Windows Installer writes its log and `Date`/`Time` in local
/// time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    pub(crate) year: i64,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
    pub(crate) millis: u32,
}

/// The system's time zone. Without `TZ`, the rules of `/etc/localtime` read directly: jiff's
/// `TimeZone::system` looks the zone's name up in the time zone database, and building that
/// walks all of `/usr/share/zoneinfo` (2 ms, a twentieth of a small install), for a name
/// the log never shows.
fn system_zone() -> jiff::tz::TimeZone {
    if std::env::var_os("TZ").is_none()
        && let Ok(data) = fs_err::read("/etc/localtime")
        && let Ok(zone) = jiff::tz::TimeZone::tzif("Local", &data)
    {
        return zone;
    }
    jiff::tz::TimeZone::system()
}

impl Clock {
    /// The current local time.
    pub(crate) fn now() -> Clock {
        // The system's zone, looked up once: each look-up reads `TZ` and checks the zone
        // files, and the log asks for the time on every line (a millisecond for every
        // thousand lines). Its rules still give each instant its offset, summer time
        // included.
        static ZONE: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
        let zone = ZONE.get_or_init(system_zone);
        let now = zone.to_datetime(jiff::Timestamp::now());
        Clock {
            year: i64::from(now.year()),
            month: u32::try_from(now.month()).unwrap_or(1),
            day: u32::try_from(now.day()).unwrap_or(1),
            hour: u32::try_from(now.hour()).unwrap_or(0),
            minute: u32::try_from(now.minute()).unwrap_or(0),
            second: u32::try_from(now.second()).unwrap_or(0),
            millis: u32::try_from(now.millisecond()).unwrap_or(0),
        }
    }

    /// `HH:MM:SS`, as in `Action start` lines.
    pub(crate) fn hms(&self) -> String {
        format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }

    /// `YYYYMMDD`, as the Uninstall key's `InstallDate` holds the day.
    pub(crate) fn yyyymmdd(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// `M/D/YYYY`, as in the header.
    pub(crate) fn date(&self) -> String {
        format!("{}/{}/{}", self.month, self.day, self.year)
    }
}

/// `text` with every secret in it masked.
fn masked<'t>(secrets: &[String], text: &'t str) -> std::borrow::Cow<'t, str> {
    if !secrets.iter().any(|s| text.contains(s.as_str())) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut t = text.to_string();
    for s in secrets {
        t = t.replace(s.as_str(), MASK);
    }
    std::borrow::Cow::Owned(t)
}

impl Log {
    /// A log that writes nowhere.
    pub(crate) fn none() -> Log {
        Log {
            out: None,
            ids: ids(),
            hidden: BTreeSet::new(),
            secrets: Vec::new(),
            error: None,
        }
    }

    /// Opens (creates or truncates; appends when `append`) the log file and writes the header.
    pub(crate) fn open(path: &Path, append: bool) -> io::Result<Log> {
        // std, not fs_err: the caller's error (ERROR_INSTALL_LOG_FAILURE) names the file,
        // and fs_err's would name it a second time.
        #[allow(clippy::disallowed_methods)]
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(path)?;
        Ok(Log::start(file))
    }

    /// Creates the log file only if it does not exist yet (a run that ends with 1618 must
    /// not touch the log of the run that holds the root, which may be this very file).
    pub(crate) fn create_new(path: &Path) -> io::Result<Log> {
        #[allow(clippy::disallowed_methods)]
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        Ok(Log::start(file))
    }

    /// A log writing to `file`, its header written.
    fn start(file: std::fs::File) -> Log {
        let mut log = Log {
            out: Some(io::BufWriter::new(file)),
            ids: ids(),
            hidden: BTreeSet::new(),
            secrets: Vec::new(),
            error: None,
        };
        let now = Clock::now();
        let exe = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        log.line(&format!(
            "=== Verbose logging started: {}  {}  Build type: SHIP UNICODE 5.00.10011.00  Calling process: {exe} ===",
            now.date(),
            now.hms()
        ));
        // msiexec names its engine in the first line's build type (kept as Windows'
        // for log parsers); this line names the engine that really ran.
        log.engine(&format!(
            "Engine: rmsi {} (Windows Installer 5.0 behaviour, running on Linux)",
            env!("CARGO_PKG_VERSION")
        ));
        log
    }

    /// Whether a file is being written.
    pub(crate) fn is_enabled(&self) -> bool {
        self.out.is_some()
    }

    /// Marks a property as hidden: its value is masked from now on.
    pub(crate) fn hide(&mut self, name: &str) {
        self.hidden.insert(name.to_string());
    }

    /// Masks `value` wherever it appears in later lines (the value of a hidden property).
    pub(crate) fn add_secret(&mut self, value: &str) {
        if !value.is_empty() && !self.secrets.iter().any(|s| s == value) {
            self.secrets.push(value.to_string());
        }
    }

    /// Whether a property's value is masked.
    pub(crate) fn is_hidden(&self, name: &str) -> bool {
        self.hidden.contains(name)
    }

    /// Writes one line as it is.
    pub(crate) fn line(&mut self, text: &str) {
        let Some(out) = &mut self.out else {
            return;
        };
        let text = masked(&self.secrets, text);
        if let Err(err) = writeln!(out, "{text}") {
            self.error.get_or_insert(err);
        }
    }

    /// Writes an engine line: `MSI (s) (PP:TT) [HH:MM:SS:mmm]: text`.
    pub(crate) fn engine(&mut self, text: &str) {
        let Some(out) = &mut self.out else {
            return;
        };
        // Written straight into the buffer: a verbose log has a line per file.
        let now = Clock::now();
        let text = masked(&self.secrets, text);
        if let Err(err) = writeln!(
            out,
            "MSI (s) ({}) [{:02}:{:02}:{:02}:{:03}]: {text}",
            self.ids, now.hour, now.minute, now.second, now.millis
        ) {
            self.error.get_or_insert(err);
        }
    }

    /// `Doing action: Name` then `Action start HH:MM:SS: Name.`
    pub(crate) fn action_start(&mut self, name: &str) {
        self.engine(&format!("Doing action: {name}"));
        let line = format!("Action start {}: {name}.", Clock::now().hms());
        self.line(&line);
    }

    /// `Action ended HH:MM:SS: Name. Return value N.`
    pub(crate) fn action_end(&mut self, name: &str, value: u32) {
        let line = format!(
            "Action ended {}: {name}. Return value {value}.",
            Clock::now().hms()
        );
        self.line(&line);
        self.flush();
    }

    /// `Skipping action: Name (condition is false)`.
    pub(crate) fn skipping(&mut self, name: &str) {
        self.engine(&format!("Skipping action: {name} (condition is false)"));
    }

    /// A `PROPERTY CHANGE:` line for a property going from `old` to `new` (absent = `None`).
    pub(crate) fn property_change(&mut self, name: &str, old: Option<&str>, new: Option<&str>) {
        let hidden = self.is_hidden(name);
        let show = |v: &str| {
            if hidden {
                MASK.to_string()
            } else {
                v.to_string()
            }
        };
        let text = match (old, new) {
            (None, Some(new)) => format!(
                "PROPERTY CHANGE: Adding {name} property. Its value is '{}'.",
                show(new)
            ),
            (Some(old), Some(new)) => format!(
                "PROPERTY CHANGE: Modifying {name} property. Its current value is '{}'. Its new value: '{}'.",
                show(old),
                show(new)
            ),
            (Some(old), None) => format!(
                "PROPERTY CHANGE: Deleting {name} property. Its current value is '{}'.",
                show(old)
            ),
            (None, None) => return,
        };
        self.engine(&text);
    }

    /// A `RESTART MANAGER: text` engine line.
    pub(crate) fn rm(&mut self, text: &str) {
        self.engine(&format!("RESTART MANAGER: {text}"));
    }

    /// The final property dump, one `Property(S): NAME = value` line each, hidden values
    /// masked.
    pub(crate) fn property_dump<'a>(
        &mut self,
        props: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) {
        if self.out.is_none() {
            return;
        }
        for (name, value) in props {
            let value = if self.is_hidden(name) { MASK } else { value };
            let line = format!("Property(S): {name} = {value}");
            self.line(&line);
        }
    }

    /// `MainEngineThread is returning N`, then the footer. Returns the first write error, if
    /// any happened.
    pub(crate) fn finish(&mut self, code: u32) -> Option<io::Error> {
        if self.out.is_some() {
            self.engine(&format!("MainEngineThread is returning {code}"));
            let now = Clock::now();
            let line = format!(
                "=== Verbose logging stopped: {}  {} ===",
                now.date(),
                now.hms()
            );
            self.line(&line);
            self.flush();
            self.out = None;
        }
        self.error.take()
    }

    /// Pushes buffered lines to the file.
    pub(crate) fn flush(&mut self) {
        if let Some(out) = &mut self.out
            && let Err(err) = out.flush()
        {
            self.error.get_or_insert(err);
        }
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.flush();
    }
}

fn ids() -> String {
    let pid = std::process::id();
    let tid = rustix::thread::gettid().as_raw_nonzero().get() as u32;
    format!("{:02X}:{:02X}", pid & 0xFF, tid & 0xFF)
}

/// A duration in milliseconds with a tenth's precision, as `RMSI_LOG`'s timings show it
/// (`12.3`): finer digits are noise from one run to the next.
pub(crate) fn millis(d: std::time::Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Log)) -> Vec<String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("x.log");
        let mut log = Log::open(&path, false).expect("open log");
        f(&mut log);
        log.finish(1603);
        drop(log);
        let mut lines: Vec<String> = fs_err::read_to_string(&path)
            .expect("read log")
            .lines()
            .map(str::to_string)
            .collect();
        // The second line names the engine; the tests below read what follows it.
        let engine = format!("]: Engine: rmsi {} (", env!("CARGO_PKG_VERSION"));
        assert!(lines[1].contains(&engine), "{}", lines[1]);
        lines.remove(1);
        lines
    }

    fn is_hms(s: &str) -> bool {
        s.len() == 8
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 2 || i == 5 {
                    b == b':'
                } else {
                    b.is_ascii_digit()
                }
            })
    }

    #[test]
    fn action_lines_have_the_windows_shape() {
        let lines = written(|log| {
            log.action_start("InstallFiles");
            log.action_end("InstallFiles", 3);
            log.skipping("SetX");
        });
        assert!(lines[0].starts_with("=== Verbose logging started: "));
        assert!(lines[1].starts_with("MSI (s) ("));
        assert!(lines[1].ends_with("]: Doing action: InstallFiles"));
        let start = lines[2].strip_prefix("Action start ").expect("start line");
        assert!(is_hms(&start[..8]), "{start}");
        assert_eq!(&start[8..], ": InstallFiles.");
        let end = lines[3].strip_prefix("Action ended ").expect("end line");
        assert!(is_hms(&end[..8]));
        assert_eq!(&end[8..], ": InstallFiles. Return value 3.");
        assert!(lines[4].ends_with("]: Skipping action: SetX (condition is false)"));
        assert!(lines[5].ends_with("]: MainEngineThread is returning 1603"));
        assert!(lines[6].starts_with("=== Verbose logging stopped: "));
    }

    #[test]
    fn hidden_values_are_masked() {
        let lines = written(|log| {
            log.property_change("A", None, Some("1"));
            log.hide("MsiRestartManagerSessionKey");
            log.property_change("MsiRestartManagerSessionKey", None, Some("abc"));
            log.property_change("A", Some("1"), Some("2"));
            log.property_change("MsiRestartManagerSessionKey", Some("abc"), None);
            log.property_dump([("A", "2"), ("MsiRestartManagerSessionKey", "abc")]);
        });
        let body: Vec<&str> = lines[1..6]
            .iter()
            .map(|l| l.split_once("]: ").map_or(l.as_str(), |(_, t)| t))
            .collect();
        assert_eq!(
            body,
            [
                "PROPERTY CHANGE: Adding A property. Its value is '1'.",
                "PROPERTY CHANGE: Adding MsiRestartManagerSessionKey property. Its value is '**********'.",
                "PROPERTY CHANGE: Modifying A property. Its current value is '1'. Its new value: '2'.",
                "PROPERTY CHANGE: Deleting MsiRestartManagerSessionKey property. Its current value is '**********'.",
                "Property(S): A = 2",
            ]
        );
        assert_eq!(
            lines[6],
            "Property(S): MsiRestartManagerSessionKey = **********"
        );
        assert!(!lines.iter().any(|l| l.contains("abc")));
    }

    #[test]
    fn secret_values_are_masked_in_every_line() {
        let lines = written(|log| {
            log.add_secret("0123456789abcdef");
            log.engine("Running custom action X: rstmgr register 0123456789abcdef --file f");
            log.line("raw output 0123456789abcdef");
        });
        assert!(
            lines[1].ends_with("]: Running custom action X: rstmgr register ********** --file f")
        );
        assert_eq!(lines[2], "raw output **********");
    }
}
