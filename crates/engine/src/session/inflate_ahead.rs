//! The package's embedded cabinets inflated on a thread of their own from the run's start —
//! while the root is locked, the package's tables read and the session initialised and
//! costed — for InstallFiles: for a small package, inflating its one cabinet was a third of
//! an install's time, and the rest of the run up to InstallFiles needs one core only.
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
//! Where the root's file system has anonymous files (`O_TMPFILE`), the thread gives each
//! file of a cabinet one before it inflates anything, and hands them out at once
//! ([`Ahead::Early`]): InstallFiles links them into the staging folder by their staged names
//! ([`transaction::StageDir::link`]) while they are being written, and the run goes on to
//! the registration. The files must be complete before anything reads them: before an
//! action that may ([`reads_no_files`]), a deferred custom action, the end of
//! InstallFinalize's script and the commit, the session waits for the thread
//! ([`Session::settle_ahead`]); a cabinet that turned out corrupt then fails the
//! installation as InstallFiles' failing script operation does. An anonymous file has no
//! name until it is linked, so a run killed or failed before leaves nothing behind.
//! Elsewhere the files are inflated into memory ([`Ahead::Inflated`]) and InstallFiles waits
//! for them.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, SeekFrom, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use cabinet::{CabinetEntry, CabinetError, Sink, stopped};

use super::{ScriptOp, Session};
use crate::error::{Error, Result};
use crate::request::InstallRequest;

/// At most this many bytes of files are inflated ahead.
const AHEAD: u64 = 64 << 20;
/// A cabinet of more files than this is left to InstallFiles.
const AHEAD_FILES: usize = 1_000;

/// The inflating thread. Dropped unused (the run ended before InstallFiles), it is told to
/// stop, which it does within a data block, and left to end on its own.
pub(crate) struct InflateAhead {
    thread: Option<JoinHandle<HashMap<String, Done>>>,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
    /// What the thread did, once joined: stream name → outcome.
    done: HashMap<String, Done>,
    /// Cabinets InstallFiles took early, whose inflating must be waited for.
    pending: Vec<String>,
    /// Where InstallFiles' operations end in the script: a cabinet that fails is a failing
    /// operation there ([`Session::settle_ahead`]).
    fail_at: Option<usize>,
}

/// What the thread hands out before it ends.
#[derive(Default)]
struct Shared {
    state: Mutex<Published>,
    changed: Condvar,
}

#[derive(Default)]
struct Published {
    /// Cabinets whose anonymous files exist, being written: their entries and files.
    early: HashMap<String, Vec<(CabinetEntry, File)>>,
    /// Cabinets the thread is done deciding about (taken early, inflated, or left).
    passed: HashSet<String>,
    /// The thread went through every cabinet.
    ended: bool,
}

/// What the thread did with a cabinet.
enum Done {
    /// Inflated into memory.
    Inflated(cabinet::Inflated),
    /// Written into the anonymous files handed out early: whether it was whole and sound.
    Written(Result<(), CabinetError>),
}

/// A cabinet's files as InstallFiles gets them.
pub(crate) enum Ahead {
    /// Anonymous files, each entry's, still being written: link them, and
    /// [`Session::settle_ahead`] before anything reads them.
    Early(Vec<(CabinetEntry, File)>),
    /// Inflated into memory, to replay.
    Inflated(cabinet::Inflated),
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
        let shared = Arc::new(Shared::default());
        let (stopped, published) = (Arc::clone(&stop), Arc::clone(&shared));
        let thread = std::thread::Builder::new()
            .name("rmsi-inflate".into())
            .spawn(move || inflate(&package, &root, &stopped, &published))
            .ok()?;
        Some(InflateAhead {
            thread: Some(thread),
            stop,
            shared,
            done: HashMap::new(),
            pending: Vec::new(),
            fail_at: None,
        })
    }

    /// Waits for the thread to end, keeping what it did.
    fn join(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.done = thread.join().unwrap_or_default();
        }
    }
}

impl Session<'_, '_> {
    /// The files of the embedded cabinet `stream`, when the thread took it (waiting until
    /// it handed them out, or ended).
    pub(crate) fn ahead(&mut self, stream: &str) -> Option<Ahead> {
        // A transform's or a patch's stream of that name is the package's now.
        if self.package.is_replaced(stream) {
            return None;
        }
        let ahead = self.inflate_ahead.as_mut()?;
        let early = {
            let shared = &ahead.shared;
            let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            while !state.ended && !state.passed.contains(stream) {
                state = shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            state.early.remove(stream)
        };
        if let Some(files) = early {
            ahead.pending.push(stream.to_owned());
            return Some(Ahead::Early(files));
        }
        ahead.join();
        match ahead.done.remove(stream)? {
            Done::Inflated(files) => Some(Ahead::Inflated(files)),
            Done::Written(_) => None,
        }
    }

    /// After InstallFiles took cabinets early: where its operations end in the script, for
    /// a cabinet that fails.
    pub(crate) fn note_ahead_end(&mut self) {
        self.mark_staged();
        let at = self.script.len();
        if let Some(ahead) = self.inflate_ahead.as_mut()
            && !ahead.pending.is_empty()
        {
            ahead.fail_at = Some(at);
        }
    }

    /// Whether files InstallFiles took early may still be being written.
    pub(crate) fn ahead_pending(&self) -> bool {
        self.inflate_ahead
            .as_ref()
            .is_some_and(|a| !a.pending.is_empty())
    }

    /// Waits until the files InstallFiles took early are written. A cabinet that failed is
    /// returned; or, with `into_script` before the script runs, made InstallFiles' failing
    /// operation of the script (where InstallFiles' operations end), as when InstallFiles
    /// finds a corrupt cabinet itself.
    pub(crate) fn settle_ahead(&mut self, into_script: bool) -> Result<()> {
        let Some(ahead) = self.inflate_ahead.as_mut() else {
            return Ok(());
        };
        if ahead.pending.is_empty() {
            return Ok(());
        }
        ahead.join();
        let mut failed = None;
        for stream in std::mem::take(&mut ahead.pending) {
            let result = match ahead.done.remove(&stream) {
                Some(Done::Written(result)) => result,
                _ => Err(CabinetError::Io(io::Error::other(
                    "the cabinet's files were not written",
                ))),
            };
            if let Err(source) = result
                && failed.is_none()
            {
                failed = Some(Error::Cabinet {
                    cabinet: format!("#{stream}"),
                    source,
                });
            }
        }
        let (Some(error), fail_at) = (failed, ahead.fail_at.take()) else {
            return Ok(());
        };
        match fail_at {
            Some(at) if into_script && at <= self.script.len() && self.in_transaction() => {
                self.script.insert(
                    at,
                    ScriptOp::Fail {
                        action: "InstallFiles",
                        error,
                    },
                );
                Ok(())
            }
            _ => Err(error),
        }
    }

    /// Whether the registration ([`Session::register`]) is done at the end of
    /// InstallFinalize's script, as Windows' script ends with it (its RegisterProduct and
    /// PublishProduct operations), rather than at the commit: when nothing can change it any
    /// more — InstallFinalize is the execute sequence's last action and no commit custom
    /// action waits. Files InstallFiles took early are meanwhile still being written.
    pub(crate) fn registers_at_script_end(&self) -> bool {
        let finalize = self
            .execute_rows
            .iter()
            .filter(|r| r.action == "InstallFinalize")
            .map(|r| r.sequence)
            .max();
        let last = finalize.is_some_and(|at| self.execute_rows.iter().all(|r| r.sequence <= at));
        last && self.commit_actions.is_empty() && !self.nested && !self.registered
    }

    /// Before the staged changes are undone: the thread stops, and its files are closed.
    pub(crate) fn stop_ahead(&mut self) {
        if let Some(mut ahead) = self.inflate_ahead.take() {
            ahead.stop.store(true, Ordering::Relaxed);
            ahead.join();
        }
    }
}

/// Whether the standard action `action` leaves the files InstallFiles staged unread: it
/// writes the registry, the script or shortcuts, or reads the package only. Before any
/// other action, files taken early are waited for.
pub(crate) fn reads_no_files(action: &str) -> bool {
    matches!(
        action,
        "CreateShortcuts"
            | "WriteRegistryValues"
            | "WriteIniValues"
            | "WriteEnvironmentStrings"
            | "RegisterUser"
            | "RegisterProduct"
            | "PublishFeatures"
            | "PublishProduct"
            | "PublishComponents"
            | "RegisterClassInfo"
            | "RegisterProgIdInfo"
            | "RegisterExtensionInfo"
            | "RegisterMIMEInfo"
            | "RegisterComPlus"
            | "InstallServices"
            | "MsiConfigureServices"
            | "CreateFolders"
            | "AllocateRegistrySpace"
            | "InstallFinalize"
    )
}

/// Inflates the package's cabinets in turn, while their files fit within [`AHEAD`] and
/// nobody asked it to stop: into anonymous files in `root` handed out at once, or into
/// memory where there are none.
fn inflate(
    package: &Path,
    root: &Path,
    stop: &AtomicBool,
    shared: &Shared,
) -> HashMap<String, Done> {
    let started = std::time::Instant::now();
    let mut anonymous = true;
    let mut left = AHEAD;
    let mut done = HashMap::new();
    let publish = |f: &mut dyn FnMut(&mut Published)| {
        let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state);
        shared.changed.notify_all();
    };
    // Whatever ends the thread (a panic included), InstallFiles stops waiting for it.
    let _ended = Ended(shared);
    let _ = package::cabinets::for_each_cabinet(package, |name, stream| {
        if stop.load(Ordering::Relaxed) {
            return ControlFlow::Break(());
        }
        let entries = cabinet::list(&mut *stream).ok();
        // Many files: creating them is the work, and InstallFiles' own pass overlaps the
        // inflating with it (5,000 files inflated ahead took 8% longer to install).
        let ahead = entries.filter(|files| {
            let total = files
                .iter()
                .try_fold(0u64, |sum, f| sum.checked_add(f.size));
            files.len() <= AHEAD_FILES
                && total.is_some_and(|t| t <= left)
                && !files
                    .iter()
                    .any(|f| f.continued_from_previous || f.continued_to_next)
        });
        let Some(entries) = ahead else {
            publish(&mut |state| {
                state.passed.insert(name.to_owned());
            });
            return ControlFlow::Continue(());
        };
        if stream.seek(SeekFrom::Start(0)).is_err() {
            publish(&mut |state| {
                state.passed.insert(name.to_owned());
            });
            return ControlFlow::Continue(());
        }
        left = left.saturating_sub(entries.iter().map(|f| f.size).sum());
        let files = anonymous.then(|| anonymous_files(root, &entries)).flatten();
        // A file system without them (or a root not made yet) is not asked again.
        anonymous = files.is_some();
        match files {
            Some((mut theirs, ours)) => {
                publish(&mut |state| {
                    state.early.insert(
                        name.to_owned(),
                        entries.iter().cloned().zip(theirs.drain(..)).collect(),
                    );
                    state.passed.insert(name.to_owned());
                });
                let mut sink = Writing {
                    files: entries.iter().map(|e| e.index).zip(ours).collect(),
                    stop,
                };
                let result = cabinet::extract_to(stream, &mut sink);
                done.insert(name.to_owned(), Done::Written(result));
            }
            None => {
                if let Ok(Some(files)) = cabinet::Inflated::read(stream, u64::MAX, stop) {
                    done.insert(name.to_owned(), Done::Inflated(files));
                }
                publish(&mut |state| {
                    state.passed.insert(name.to_owned());
                });
            }
        }
        ControlFlow::Continue(())
    });
    tracing::debug!(ms = %crate::log::millis(started.elapsed()), "cabinets inflated ahead");
    done
}

/// Tells the session the thread ended, when dropped.
struct Ended<'s>(&'s Shared);

impl Drop for Ended<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.ended = true;
        self.0.changed.notify_all();
    }
}

/// An anonymous file in the folder `root` for each of `entries` (`O_TMPFILE`: it has no
/// name until one is given to it, and goes when closed), twice: InstallFiles' handles and
/// the thread's. `None` where the folder's file system has none, or the folder is not
/// there.
fn anonymous_files(root: &Path, entries: &[CabinetEntry]) -> Option<(Vec<File>, Vec<File>)> {
    use rustix::fs::{Mode, OFlags};
    let mut theirs = Vec::with_capacity(entries.len());
    let mut ours = Vec::with_capacity(entries.len());
    for _ in entries {
        let file = rustix::fs::open(
            root,
            OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .ok()
        .map(File::from)?;
        theirs.push(file.try_clone().ok()?);
        ours.push(file);
    }
    Some((theirs, ours))
}

/// Writes a cabinet's files into their anonymous files, each given the mode a staged file
/// gets once written ([`transaction::set_mode`]).
struct Writing<'s> {
    files: HashMap<usize, File>,
    stop: &'s AtomicBool,
}

impl<'s> Sink for Writing<'s> {
    type Writer = Written<'s>;

    fn open(&mut self, entry: &CabinetEntry) -> io::Result<Option<Written<'s>>> {
        stopped(self.stop)?;
        Ok(self.files.remove(&entry.index).map(|file| Written {
            file,
            head: Vec::with_capacity(4),
            stop: self.stop,
        }))
    }

    fn finish(&mut self, _: &CabinetEntry, writer: Written<'s>) -> io::Result<()> {
        transaction::set_mode(&writer.file, &writer.head)
    }
}

/// One file being written.
struct Written<'s> {
    file: File,
    /// Its first bytes, for its mode.
    head: Vec<u8>,
    stop: &'s AtomicBool,
}

impl Write for Written<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        stopped(self.stop)?;
        if self.head.len() < 4 {
            let want = (4 - self.head.len()).min(buf.len());
            self.head.extend_from_slice(&buf[..want]);
        }
        self.file.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
