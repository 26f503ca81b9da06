//! The package's embedded cabinets inflated on a thread of their own from the session's
//! start, while the installer initialises and costs, and handed to InstallFiles
//! ([`cabinet::Inflated`]): for a small package, inflating its one cabinet was a third of
//! an install's time, and the session's start needs one core only.
//!
//! Only an installation that may install files inflates ahead (not a removal or a repair,
//! which install few files or none, or an administrative image), and only cabinets that are
//! not part of a set, within [`AHEAD`] bytes of files in all: any other cabinet, and any
//! cabinet the thread could not read, is extracted by InstallFiles from the package as
//! before (which then reports its errors). Files the costing leaves out are inflated for
//! nothing, as InstallFiles' own pass inflates a whole folder whatever it installs.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::Session;
use crate::request::InstallRequest;
use package::Package;

/// At most this many bytes of files are held inflated in memory.
const AHEAD: u64 = 64 << 20;

/// The inflating thread, stopped (at its next file) and joined when dropped.
pub(crate) struct InflateAhead {
    thread: Option<JoinHandle<HashMap<String, cabinet::Inflated>>>,
    stop: Arc<AtomicBool>,
    /// What the thread inflated, once joined: stream name → files.
    done: HashMap<String, cabinet::Inflated>,
}

impl Drop for InflateAhead {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl InflateAhead {
    /// Starts inflating `package`'s embedded cabinets when `request` is an installation (see
    /// the module documentation).
    pub(crate) fn start(package: &Arc<Package>, request: &InstallRequest) -> Option<InflateAhead> {
        let asked = |name: &str| {
            request
                .properties
                .iter()
                .any(|(n, v)| n.eq_ignore_ascii_case(name) && !v.trim().is_empty())
        };
        if asked("REMOVE") || asked("REINSTALL") {
            return None;
        }
        let mut streams: Vec<String> = Vec::new();
        for name in package
            .media()
            .ok()?
            .iter()
            .filter_map(|m| m.embedded_stream())
        {
            if !streams.iter().any(|s| s == name) {
                streams.push(name.to_owned());
            }
        }
        if streams.is_empty() {
            return None;
        }
        let package = Arc::clone(package);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("rmsi-inflate".into())
            .spawn(move || inflate(&package, &streams, &stopped))
            .ok()?;
        Some(InflateAhead {
            thread: Some(thread),
            stop,
            done: HashMap::new(),
        })
    }
}

impl Session<'_, '_> {
    /// The files of the embedded cabinet `stream`, when they were inflated ahead (waiting
    /// for the thread to end).
    pub(crate) fn inflated(&mut self, stream: &str) -> Option<cabinet::Inflated> {
        let ahead = self.inflate_ahead.as_mut()?;
        if let Some(thread) = ahead.thread.take() {
            ahead.done = thread.join().unwrap_or_default();
        }
        ahead.done.remove(stream)
    }
}

/// Inflates `streams` in turn, while the files fit within [`AHEAD`] and nobody asked it to
/// stop.
fn inflate(
    package: &Package,
    streams: &[String],
    stop: &AtomicBool,
) -> HashMap<String, cabinet::Inflated> {
    let started = std::time::Instant::now();
    let mut left = AHEAD;
    let mut done = HashMap::new();
    for stream in streams {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let Ok(reader) = package.read_stream(stream) else {
            continue;
        };
        if let Ok(Some(files)) = cabinet::Inflated::read(reader, left, stop) {
            left = left.saturating_sub(files.len());
            done.insert(stream.clone(), files);
        }
    }
    tracing::debug!(ms = %crate::log::millis(started.elapsed()), "cabinets inflated ahead");
    done
}
