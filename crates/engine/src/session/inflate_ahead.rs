//! The package's embedded cabinets inflated on a thread of their own from the run's start —
//! while the root is locked, the package's tables read and the session initialised and
//! costed — and handed to InstallFiles ([`cabinet::Inflated`]): for a small package,
//! inflating its one cabinet was a third of an install's time, and the rest of the run up
//! to InstallFiles needs one core only.
//!
//! The thread reads the package file's cabinet streams itself
//! ([`package::cabinets::for_each_cabinet`]), before the package's tables are read; a
//! stream a transform or a patch replaced is not used. Only an installation that may
//! install files inflates ahead (not a removal or a repair, which install few files or
//! none, or an administrative image), and only cabinets that are not part of a set, of at
//! most [`AHEAD_FILES`] files, within [`AHEAD`] bytes of files in all: any other cabinet,
//! and any cabinet the thread could not read, is extracted by InstallFiles from the package
//! as before (which then reports its errors). Files the costing leaves out are inflated for
//! nothing, as InstallFiles' own pass inflates a whole folder whatever it installs.
//!
//! Files of [`SPILL_FROM`] bytes or more are inflated into anonymous files (`O_TMPFILE`)
//! in the root, where the file system supports them: InstallFiles gives such a file its
//! name in the staging folder ([`transaction::StageDir::adopt`]) instead of writing its
//! bytes a second time. An anonymous file has no name until then, so a run killed or
//! failed before leaves nothing behind.

use std::collections::HashMap;
use std::io::SeekFrom;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::Session;
use crate::request::InstallRequest;

/// At most this many bytes of files are held inflated in memory.
const AHEAD: u64 = 64 << 20;
/// A cabinet of more files than this is left to InstallFiles.
const AHEAD_FILES: usize = 1_000;
/// Files of at least this many bytes are inflated into anonymous files, smaller ones into
/// memory (a file of its own costs more system calls than a small file's bytes in memory).
const SPILL_FROM: u64 = 64 << 10;

/// The inflating thread. Dropped unused (the run ended before InstallFiles), it is told to
/// stop, which it does within a data block, and left to end on its own.
pub(crate) struct InflateAhead {
    thread: Option<JoinHandle<HashMap<String, cabinet::Inflated>>>,
    stop: Arc<AtomicBool>,
    /// What the thread inflated, once joined: stream name → files.
    done: HashMap<String, cabinet::Inflated>,
}

impl Drop for InflateAhead {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl InflateAhead {
    /// Starts inflating the cabinets of the package file at `package` when `request` is an
    /// installation (see the module documentation).
    pub(crate) fn start(package: &Path, request: &InstallRequest) -> Option<InflateAhead> {
        let asked = |name: &str| request.property(name).is_some_and(|v| !v.trim().is_empty());
        if asked("REMOVE") || asked("REINSTALL") || !package.is_file() {
            return None;
        }
        let package = package.to_path_buf();
        let root = request.root.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("rmsi-inflate".into())
            .spawn(move || inflate(&package, &root, &stopped))
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
        // A transform's or a patch's stream of that name is the package's now.
        if self.package.is_replaced(stream) {
            return None;
        }
        let ahead = self.inflate_ahead.as_mut()?;
        if let Some(thread) = ahead.thread.take() {
            ahead.done = thread.join().unwrap_or_default();
        }
        ahead.done.remove(stream)
    }
}

/// Inflates the package's cabinets in turn, while their files fit within [`AHEAD`] and
/// nobody asked it to stop; large files into anonymous files in `root`.
fn inflate(package: &Path, root: &Path, stop: &AtomicBool) -> HashMap<String, cabinet::Inflated> {
    let started = std::time::Instant::now();
    let mut anonymous = true;
    let mut spill = |entry: &cabinet::CabinetEntry| {
        if !anonymous || entry.size < SPILL_FROM {
            return None;
        }
        let file = anonymous_file(root);
        // A file system without them (or a root not made yet) is not asked again.
        anonymous = file.is_some();
        file
    };
    let mut left = AHEAD;
    let mut done = HashMap::new();
    let _ = package::cabinets::for_each_cabinet(package, |name, stream| {
        if stop.load(Ordering::Relaxed) {
            return ControlFlow::Break(());
        }
        // Many files: creating them is the work, and InstallFiles' own pass overlaps the
        // inflating with it (5,000 files inflated ahead took 8% longer to install).
        let few = cabinet::list(&mut *stream).is_ok_and(|files| files.len() <= AHEAD_FILES);
        if !few || stream.seek(SeekFrom::Start(0)).is_err() {
            return ControlFlow::Continue(());
        }
        if let Ok(Some(files)) = cabinet::Inflated::read_spilling(stream, left, stop, &mut spill) {
            left = left.saturating_sub(files.len());
            done.insert(name.to_owned(), files);
        }
        ControlFlow::Continue(())
    });
    tracing::debug!(ms = %crate::log::millis(started.elapsed()), "cabinets inflated ahead");
    done
}

/// An anonymous file in the folder `dir` (`O_TMPFILE`): it has no name until one is given
/// to it, and goes when closed. `None` where the folder's file system has none, or the
/// folder is not there.
fn anonymous_file(dir: &Path) -> Option<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    rustix::fs::open(
        dir,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )
    .ok()
    .map(std::fs::File::from)
}
