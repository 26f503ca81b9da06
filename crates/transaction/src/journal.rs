//! The install journal: what an install is about to change in the root, written down
//! before each change, so that an install killed at any point is rolled back by the next
//! run on that root.
//!
//! The staging area ([`crate::Transaction`]) prepares files aside and applies them as renames;
//! a process killed with `SIGKILL` half-way through those renames would otherwise leave a
//! half-installed root (some files placed, some originals moved aside into the staging
//! folder, folders created). Before the first change, the stage writes `journal` in the
//! caller's state folder (one of [`crate::StateFiles::dirs`], owner-only): first
//! as `journal.tmp`, then renamed, so a journal is never seen half-created. Then every change
//! is appended as one line, in a single `write`, *before* it is made:
//!
//! | record | change about to be made | undone by |
//! |---|---|---|
//! | `M path` | state folder created (only at the start) | removing it if empty, last |
//! | `D path` | folder created | removing it if empty |
//! | `F target staged [backup]` | staged file renamed to target (original moved to backup) | moving the placed file back to `staged` if it is gone from staging, then the backup back |
//! | `V n path` | staging folder `n` made at `path`, on another mount than the state folder | nothing (removed with the staging folder, after the journal) |
//! | `F@n …`, `X@n …` | as `F` and `X`, their names in staging folder `n` | as `F` and `X`, in that folder |
//! | `T target staged` | staged tree (a folder the install creates, whole) renamed to target | moving the folder back to `staged` if it is gone from staging |
//! | `X target backup` | file moved aside to backup | moving the backup back |
//! | `Y path mode` | empty folder removed | creating it again |
//! | `G db cache [name backup]...` | state files written ([`crate::StateFiles`]): `db` a copy of the old database (`-`: none), `cache` whether the cache folder existed, then each cached file's backup (a hard link) | restoring the database (its companions removed), removing what the cache folder gained, putting the backed-up copies back |
//!
//! An `F@n` record is written once its staged file was copied whole into staging folder `n`
//! (on the target's mount), so that every change to a target, on any mount, is a rename.
//!
//! Every undo step is judged from what is on disk, never from whether the change was
//! made: a staged file still in the staging folder was not placed; a backup still there was
//! not put back. So rolling back is idempotent — a rollback itself killed half-way is simply
//! run again — and a record whose change never happened undoes nothing. Paths are written
//! hex-encoded (a file name may hold a newline); a last line without its newline (a write
//! cut short) is ignored, the change it announced not having started.
//!
//! The root lock ([`crate::RootLock`]) tells whether the writer is alive: whoever holds the lock
//! and finds a journal knows its writer died, and rolls the root back
//! ([`recover`], called when the lock is taken). A finished install deletes its journal
//! first — that is its commit point — and then its backups. No `fsync` anywhere: this
//! protects against a killed process, not against a power loss (a later issue's
//! transactional journal).
//!
//! Placements into one folder of the state folder's mount are announced together, in one
//! write, before the first of them is made (the disk tells which were made). `RMSI_TEST_CRASH_AFTER=N` (read only
//! here, for the crash tests) kills the process with `SIGKILL` when the `N`th change the
//! process records is about to be made — counted over every journal it writes (a major
//! upgrade's removal has its own) —: its record written, the changes before it made. The
//! commit itself counts as one more change: killed there, a run has written everything
//! (the state files too) and not removed its journal.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use crate::confined::{check_private_file, check_state_dir, entry_names, remove_tree_at, walk};
use crate::error::{Error, Result};
use crate::lock::RootLock;

/// The journal's name in the state folder.
pub(crate) const JOURNAL: &str = "journal";
/// The journal while it is being created.
const JOURNAL_TMP: &str = "journal.tmp";
/// First word of the first line.
const MAGIC: &str = "rmsi-journal-1";

/// One change, recorded before it is made. Paths are relative to the root; `staged` and
/// `backup` are names in the staging folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    /// A state folder the stage created before the journal existed.
    MadeState(PathBuf),
    /// A folder about to be created.
    MadeDir(PathBuf),
    /// A staged file about to be renamed to `target`; with `backup`, the file at `target`
    /// is first moved aside under that name. Both names are in staging folder `at` (0: the
    /// state folder's, else a [`Record::Volume`]).
    Place {
        at: u32,
        target: PathBuf,
        staged: String,
        backup: Option<String>,
    },
    /// A staged tree (a folder the install creates, with what it holds) about to be
    /// renamed to `target`, which does not exist.
    PlaceTree { target: PathBuf, staged: String },
    /// A file about to be moved aside (RemoveFiles, MoveFiles), into staging folder `at`.
    Remove {
        at: u32,
        target: PathBuf,
        backup: String,
    },
    /// Staging folder `at` (1, 2, …) about to be created at `path`, on another mount than
    /// the state folder's: where the files of that mount are staged and moved aside.
    Volume { at: u32, path: PathBuf },
    /// An empty folder about to be removed, and its mode.
    RemoveDir { target: PathBuf, mode: u32 },
    /// The state files ([`crate::StateFiles`]) about to be written; `backup` is a copy of
    /// the database as it was, `None` when there was none; `cache` says whether the cache
    /// folder existed, and `cached` pairs each file it held with its backup's name.
    State {
        backup: Option<String>,
        cache: bool,
        cached: Vec<(String, String)>,
    },
}

/// An open journal being appended to. Invariant: `records` are exactly the records in the
/// file after its header, in order.
pub(crate) struct Journal {
    file: File,
    records: Vec<Record>,
    crash_after: Option<u64>,
}

/// Changes this process has begun, over all its journals (for the crash-test hook).
static BEGUN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Journal {
    /// Creates the journal in the open state folder `state` (write to `journal.tmp`, then
    /// rename), naming the staging folder and the state folders already created.
    pub(crate) fn create(
        state: &OwnedFd,
        state_path: &Path,
        staging: &str,
        made_state: &[PathBuf],
    ) -> Result<Journal> {
        let tmp_path = state_path.join(JOURNAL_TMP);
        // A journal.tmp can only be left by a creation that was killed (recovery removes
        // it); it holds nothing to undo that recovery did not already undo.
        let _ = rustix::fs::unlinkat(state, JOURNAL_TMP, AtFlags::empty());
        let fd = rustix::fs::openat(
            state,
            JOURNAL_TMP,
            OFlags::WRONLY
                | OFlags::CREATE
                | OFlags::EXCL
                | OFlags::APPEND
                | OFlags::NOFOLLOW
                | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| Error::io(&tmp_path, e.into()))?;
        let mut head = format!("{MAGIC} {}\n", hex(staging.as_bytes()));
        let records: Vec<Record> = made_state
            .iter()
            .map(|p| Record::MadeState(p.clone()))
            .collect();
        for r in &records {
            head.push_str(&encode(r));
        }
        let mut file = File::from(fd);
        let created = file
            .write_all(head.as_bytes())
            .map_err(|e| Error::io(&tmp_path, e))
            .and_then(|()| {
                rustix::fs::renameat_with(
                    state,
                    JOURNAL_TMP,
                    state,
                    JOURNAL,
                    RenameFlags::NOREPLACE,
                )
                .map_err(|e| Error::io(state_path.join(JOURNAL), e.into()))
            });
        if let Err(e) = created {
            let _ = rustix::fs::unlinkat(state, JOURNAL_TMP, AtFlags::empty());
            return Err(e);
        }
        Ok(Journal {
            file,
            records,
            crash_after: crash_after(),
        })
    }

    /// Appends one record in a single write, before the change it announces.
    pub(crate) fn append(&mut self, record: Record) -> Result<()> {
        self.announce(vec![record])?;
        self.begin();
        Ok(())
    }

    /// Appends records of changes about to be made, in a single write (each record whole).
    /// The caller calls [`Journal::begin`] before making each one.
    pub(crate) fn announce(&mut self, records: Vec<Record>) -> Result<()> {
        let mut text = String::new();
        for r in &records {
            text.push_str(&encode(r));
        }
        self.file
            .write_all(text.as_bytes())
            .map_err(|source| Error::Journal { source })?;
        self.records.extend(records);
        Ok(())
    }

    /// Marks the start of the next recorded change (its record already written). This is
    /// where the test-only crash hook strikes: after the `N`th record is written and
    /// before its change is made.
    pub(crate) fn begin(&mut self) {
        let begun = BEGUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if self.crash_after == Some(begun) {
            // Test-only (see the module doc): die as a SIGKILL would kill us, with no
            // destructor, no handler and no flush.
            if let Some(me) =
                rustix::process::Pid::from_raw(rustix::process::getpid().as_raw_nonzero().get())
            {
                let _ = rustix::process::kill_process(me, rustix::process::Signal::KILL);
            }
        }
    }

    /// The records written so far.
    pub(crate) fn records(&self) -> &[Record] {
        &self.records
    }
}

/// `RMSI_TEST_CRASH_AFTER=N`: test-only hook (nothing else reads this variable) that kills
/// the process after the `N`th change record, so crash tests hit exact points.
fn crash_after() -> Option<u64> {
    std::env::var("RMSI_TEST_CRASH_AFTER")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

fn path_hex(p: &Path) -> String {
    hex(p.as_os_str().as_bytes())
}

fn encode(r: &Record) -> String {
    match r {
        Record::MadeState(p) => format!("M {}\n", path_hex(p)),
        Record::MadeDir(p) => format!("D {}\n", path_hex(p)),
        Record::Place {
            at,
            target,
            staged,
            backup,
        } => match backup {
            Some(b) => format!(
                "F{} {} {} {}\n",
                tag_at(*at),
                path_hex(target),
                hex(staged.as_bytes()),
                hex(b.as_bytes())
            ),
            None => format!(
                "F{} {} {}\n",
                tag_at(*at),
                path_hex(target),
                hex(staged.as_bytes())
            ),
        },
        Record::PlaceTree { target, staged } => {
            format!("T {} {}\n", path_hex(target), hex(staged.as_bytes()))
        }
        Record::Remove { at, target, backup } => format!(
            "X{} {} {}\n",
            tag_at(*at),
            path_hex(target),
            hex(backup.as_bytes())
        ),
        Record::Volume { at, path } => format!("V {at} {}\n", path_hex(path)),
        Record::RemoveDir { target, mode } => format!("Y {} {mode:o}\n", path_hex(target)),
        Record::State {
            backup,
            cache,
            cached,
        } => {
            let mut line = format!(
                "G {} {}",
                backup
                    .as_deref()
                    .map_or("-".to_string(), |b| hex(b.as_bytes())),
                u8::from(*cache)
            );
            for (name, b) in cached {
                line.push_str(&format!(" {} {}", hex(name.as_bytes()), hex(b.as_bytes())));
            }
            line.push('\n');
            line
        }
    }
}

/// The tag suffix naming a staging folder other than the state folder's (`F@1`).
fn tag_at(at: u32) -> String {
    if at == 0 {
        String::new()
    } else {
        format!("@{at}")
    }
}

fn decode(line: &str) -> Option<Record> {
    let mut f = line.split(' ');
    let first = f.next()?;
    let (tag, at) = match first.split_once('@') {
        Some((tag @ ("F" | "X"), at)) => (tag, at.parse::<u32>().ok().filter(|&n| n > 0)?),
        Some(_) => return None,
        None => (first, 0),
    };
    let path = |s: Option<&str>| -> Option<PathBuf> {
        Some(PathBuf::from(OsStr::from_bytes(&unhex(s?)?)))
    };
    let name = |s: Option<&str>| -> Option<String> { String::from_utf8(unhex(s?)?).ok() };
    let r = match tag {
        "M" => Record::MadeState(path(f.next())?),
        "D" => Record::MadeDir(path(f.next())?),
        "F" => {
            let target = path(f.next())?;
            let staged = name(f.next())?;
            let backup = match f.next() {
                Some(b) => Some(name(Some(b))?),
                None => None,
            };
            Record::Place {
                at,
                target,
                staged,
                backup,
            }
        }
        "T" => Record::PlaceTree {
            target: path(f.next())?,
            staged: name(f.next())?,
        },
        "X" => Record::Remove {
            at,
            target: path(f.next())?,
            backup: name(f.next())?,
        },
        "V" => Record::Volume {
            at: f.next()?.parse::<u32>().ok().filter(|&n| n > 0)?,
            path: path(f.next())?,
        },
        "Y" => Record::RemoveDir {
            target: path(f.next())?,
            mode: u32::from_str_radix(f.next()?, 8).ok()?,
        },
        "G" => {
            let backup = match f.next()? {
                "-" => None,
                b => Some(name(Some(b))?),
            };
            let cache = match f.next()? {
                "0" => false,
                "1" => true,
                _ => return None,
            };
            let mut cached = Vec::new();
            while let Some(n) = f.next() {
                cached.push((name(Some(n))?, name(f.next())?));
            }
            Record::State {
                backup,
                cache,
                cached,
            }
        }
        _ => return None,
    };
    Some(r)
}

/// A parsed journal: the staging folder it names and its complete records.
fn parse(text: &[u8]) -> Option<(String, Vec<Record>)> {
    let text = std::str::from_utf8(text).ok()?;
    let mut lines = text.split_inclusive('\n');
    let head = lines.next()?.strip_suffix('\n')?;
    let staging = String::from_utf8(unhex(head.strip_prefix(MAGIC)?.strip_prefix(' ')?)?).ok()?;
    // A staging name is one plain component (it is joined to the state folder).
    if staging.is_empty() || staging.contains('/') || staging.starts_with('.') {
        return None;
    }
    let mut records = Vec::new();
    for line in lines {
        // A last line without its newline: a write cut short, its change not begun.
        let Some(line) = line.strip_suffix('\n') else {
            break;
        };
        records.push(decode(line)?);
    }
    Some((staging, records))
}

/// A record's relative path must stay under the root; a staging-folder name must be one
/// plain component. A journal breaking either was not written by us.
fn sane(r: &Record) -> bool {
    let rel = |p: &Path| {
        p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
            && p.components().next().is_some()
    };
    let name = |n: &str| !n.is_empty() && !n.contains('/') && n != "." && n != "..";
    match r {
        Record::MadeState(p) | Record::MadeDir(p) => rel(p),
        Record::Place {
            target,
            staged,
            backup,
            ..
        } => rel(target) && name(staged) && backup.as_deref().is_none_or(name),
        Record::Remove { target, backup, .. } => rel(target) && name(backup),
        Record::Volume { path, .. } => volume_path(path),
        Record::PlaceTree { target, staged } => rel(target) && name(staged),
        Record::RemoveDir { target, .. } => rel(target),
        Record::State { backup, cached, .. } => {
            backup.as_deref().is_none_or(name) && cached.iter().all(|(n, b)| name(n) && name(b))
        }
    }
}

/// A staging folder on another mount: a folder `.rmsi-staging-*` under the root (its path
/// comes from a journal or a `volumes` file, so it is checked like one).
pub(crate) fn volume_path(p: &Path) -> bool {
    p.components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
        && p.file_name()
            .is_some_and(|n| n.as_bytes().starts_with(VOLUME_PREFIX.as_bytes()))
}

/// The name of a staging folder on another mount starts with this.
pub(crate) const VOLUME_PREFIX: &str = ".rmsi-staging-";

/// The file of a staging folder listing, one hex-encoded path a line, the staging folders
/// made on other mounts ([`Record::Volume`]), written before each is created: so that the
/// clean-up of a committed run finds them once its journal is gone.
pub(crate) const VOLUMES: &str = "volumes";

/// Opens the staging folder on another mount at `path` (relative to the root), if it is
/// there and ours.
pub(crate) fn open_volume(lock: &RootLock, path: &Path) -> Option<OwnedFd> {
    if !volume_path(path) {
        return None;
    }
    let fd = walk(lock, path, false, None, Mode::empty()).ok()?;
    check_state_dir(&fd, &lock.root().join(path)).ok()?;
    Some(fd)
}

/// Removes the staging folder `name` of the state folder and, first, the staging folders
/// on other mounts its `volumes` file lists (each with what it holds).
pub(crate) fn remove_staging_folder(lock: &RootLock, state: &OwnedFd, name: &OsStr) {
    let Ok(dir) = rustix::fs::openat(
        state,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return;
    };
    for path in listed_volumes(&dir) {
        if let Some(fd) = open_volume(lock, &path) {
            remove_tree_at(&fd);
            if let (Some(parent), Some(name)) = (path.parent(), path.file_name())
                && let Ok(parent) = walk(lock, parent, false, None, Mode::empty())
            {
                let _ = rustix::fs::unlinkat(&parent, name, AtFlags::REMOVEDIR);
            }
        }
    }
    remove_tree_at(&dir);
    let _ = rustix::fs::unlinkat(state, name, AtFlags::REMOVEDIR);
}

/// The paths a staging folder's `volumes` file lists (none when there is no such file).
fn listed_volumes(staging: &OwnedFd) -> Vec<PathBuf> {
    let Ok(fd) = rustix::fs::openat(
        staging,
        VOLUMES,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return Vec::new();
    };
    let mut text = Vec::new();
    // One line per mount a run changed: a few hundred bytes at most.
    if File::from(fd).take(1 << 20).read_to_end(&mut text).is_err() {
        return Vec::new();
    }
    text.split(|&b| b == b'\n')
        .filter_map(|line| unhex(std::str::from_utf8(line).ok()?))
        .map(|p| PathBuf::from(OsStr::from_bytes(&p)))
        .filter(|p| volume_path(p))
        .collect()
}

/// Undoes `records` newest first, judging each step from what is on disk (see the module
/// doc). State folders (`M`) are left for [`remove_state_dirs`], after the journal and the
/// staging folder are gone. A step that fails does not stop the others; returns how many
/// failed to put back something the staging folder still holds (a moved-aside original, a
/// placed file, the state files): while that is not 0, the journal and the staging folder
/// must stay, so that the rollback can be run again.
pub(crate) fn roll_back(
    lock: &RootLock,
    state: &OwnedFd,
    staging: &OwnedFd,
    records: &[Record],
) -> usize {
    let open = |rel: &Path| walk(lock, rel, false, None, Mode::empty()).ok();
    let names = lock.state();
    let db = names.database.as_str();
    let parent_of = |rel: &Path| -> Option<(OwnedFd, PathBuf)> {
        let parent = rel.parent()?;
        let name = rel.file_name()?;
        Some((open(parent)?, PathBuf::from(name)))
    };
    let exists = |dir: &OwnedFd, name: &str| {
        rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).is_ok()
    };
    let mut failed = 0;
    // A rename that must happen for the root to be as it was: a source that is gone
    // (already moved back) is not a failure.
    let must =
        |r: std::result::Result<(), Errno>| usize::from(matches!(r, Err(e) if e != Errno::NOENT));
    // The staging folders on other mounts, by number; `None` when one cannot be opened
    // (its record written, the run killed before it was made: nothing went into it).
    let volumes: Vec<(u32, Option<OwnedFd>)> = records
        .iter()
        .filter_map(|r| match r {
            Record::Volume { at, path } => Some((*at, open_volume(lock, path))),
            _ => None,
        })
        .collect();
    let staging_at = |at: u32| -> Option<&OwnedFd> {
        if at == 0 {
            return Some(staging);
        }
        // The last record of that number names the folder made (a name already taken
        // is retried under another).
        volumes
            .iter()
            .rev()
            .find(|(n, _)| *n == at)
            .and_then(|(_, fd)| fd.as_ref())
    };
    let mut cached: Option<(PathBuf, OwnedFd)> = None;
    for r in records.iter().rev() {
        match r {
            Record::MadeState(_) | Record::Volume { .. } => {}
            Record::MadeDir(p) => {
                cached = None;
                if let Some((dir, name)) = parent_of(p) {
                    let _ = rustix::fs::unlinkat(&dir, &name, AtFlags::REMOVEDIR);
                }
            }
            Record::Place {
                at,
                target,
                staged,
                backup,
            } => {
                let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
                    continue;
                };
                // A record is written once its staged file is in its staging folder: a
                // staging folder that is gone cannot tell whether the file was placed.
                let Some(staging) = staging_at(*at) else {
                    failed += 1;
                    continue;
                };
                let placed = !exists(staging, staged);
                let saved = backup.as_deref().filter(|b| exists(staging, b));
                // Files of one folder come in a row: keep the folder open.
                let dir = match cached.take() {
                    Some((p, fd)) if p == parent => fd,
                    _ => match open(parent) {
                        Some(fd) => fd,
                        None => {
                            // Nothing can be put back into a folder that cannot be opened.
                            if saved.is_some() {
                                failed += 1;
                            }
                            continue;
                        }
                    },
                };
                if placed {
                    // Placed: what is at the target is ours (the staged file goes back
                    // before the backup is restored, so a rollback run again finds the
                    // staged file there and leaves the restored original alone).
                    let is_file = rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW)
                        .is_ok_and(|st| {
                            rustix::fs::FileType::from_raw_mode(st.st_mode)
                                != rustix::fs::FileType::Directory
                        });
                    if is_file {
                        failed += must(rustix::fs::renameat(&dir, name, staging, staged.as_str()));
                    }
                }
                if let Some(b) = saved {
                    failed += must(rustix::fs::renameat(staging, b, &dir, name));
                }
                cached = Some((parent.to_path_buf(), dir));
            }
            Record::PlaceTree { target, staged } => {
                cached = None;
                // Renamed: the folder at the target is the one the install made, whole
                // (what later records put in it was undone before this one).
                if !exists(staging, staged)
                    && let Some((dir, name)) = parent_of(target)
                {
                    let is_dir = rustix::fs::statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW)
                        .is_ok_and(|st| {
                            rustix::fs::FileType::from_raw_mode(st.st_mode)
                                == rustix::fs::FileType::Directory
                        });
                    if is_dir {
                        failed += must(rustix::fs::renameat(&dir, &name, staging, staged.as_str()));
                    }
                }
            }
            Record::Remove { at, target, backup } => {
                let Some(staging) = staging_at(*at) else {
                    failed += 1;
                    continue;
                };
                if exists(staging, backup) {
                    match parent_of(target) {
                        Some((dir, name)) => {
                            failed += must(rustix::fs::renameat(
                                staging,
                                backup.as_str(),
                                &dir,
                                name.as_os_str(),
                            ));
                        }
                        None => failed += 1,
                    }
                }
            }
            Record::RemoveDir { target, mode } => {
                cached = None;
                if let Some((dir, name)) = parent_of(target) {
                    let _ = rustix::fs::mkdirat(&dir, &name, Mode::from_raw_mode(*mode));
                }
            }
            Record::State {
                backup,
                cache,
                cached,
            } => {
                failed += restore_cache(state, staging, &names.cache, *cache, cached);
                for side in &names.companions {
                    let _ = rustix::fs::unlinkat(state, side.as_str(), AtFlags::empty());
                }
                match backup {
                    Some(b) => {
                        if exists(staging, b) {
                            failed += must(rustix::fs::renameat(staging, b.as_str(), state, db));
                        }
                    }
                    None => {
                        let _ = rustix::fs::unlinkat(state, db, AtFlags::empty());
                    }
                }
            }
        }
    }
    failed
}

/// Puts the cache folder `cache_dir` back as it was: what it gained goes, the backed-up
/// copies come back, and a cache folder that did not exist is removed. Returns how many
/// backed-up copies could not be put back.
fn restore_cache(
    state: &OwnedFd,
    staging: &OwnedFd,
    cache_dir: &str,
    existed: bool,
    cached: &[(String, String)],
) -> usize {
    // The caller may have removed the cache folder itself (its last file gone).
    if existed {
        let _ = rustix::fs::mkdirat(state, cache_dir, Mode::from_raw_mode(0o700));
    }
    let saved = cached
        .iter()
        .filter(|(_, b)| rustix::fs::statat(staging, b.as_str(), AtFlags::SYMLINK_NOFOLLOW).is_ok())
        .count();
    let Ok(dir) = rustix::fs::openat(
        state,
        cache_dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return if existed { saved } else { 0 };
    };
    for n in entry_names(&dir) {
        if !cached.iter().any(|(c, _)| c.as_bytes() == n.as_slice()) {
            let _ = rustix::fs::unlinkat(&dir, OsStr::from_bytes(&n), AtFlags::empty());
        }
    }
    let mut failed = 0;
    for (name, backup) in cached {
        if rustix::fs::statat(staging, backup.as_str(), AtFlags::SYMLINK_NOFOLLOW).is_ok()
            && rustix::fs::renameat(staging, backup.as_str(), &dir, name.as_str()).is_err()
        {
            failed += 1;
        }
    }
    if !existed {
        let _ = rustix::fs::unlinkat(state, cache_dir, AtFlags::REMOVEDIR);
    }
    failed
}

/// Removes the state folders the stage created (`M` records), innermost first, if empty.
pub(crate) fn remove_state_dirs(lock: &RootLock, records: &[Record]) {
    for r in records.iter().rev() {
        if let Record::MadeState(p) = r
            && let (Some(parent), Some(name)) = (p.parent(), p.file_name())
            && let Ok(dir) = walk(lock, parent, false, None, Mode::empty())
        {
            let _ = rustix::fs::unlinkat(&dir, name, AtFlags::REMOVEDIR);
        }
    }
}

/// Looks for a journal left by a dead install in each state folder of the locked root
/// ([`crate::StateFiles::dirs`]) and rolls the root back; returns one log line per
/// rollback. The caller holds the root lock, so any journal found belongs to a process that
/// died.
pub(crate) fn recover(lock: &RootLock) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for state_rel in &lock.state().dirs {
        // A state folder that is missing, or reached only through a symlink, holds no
        // journal of ours (Transaction::new refuses the latter).
        let Ok(state) = walk(lock, state_rel, false, None, Mode::empty()) else {
            continue;
        };
        let state_path = lock.root().join(state_rel);
        let (fd, name) = match open_journal(&state, JOURNAL) {
            Some(fd) => (fd, JOURNAL),
            None => match open_journal(&state, JOURNAL_TMP) {
                Some(fd) => (fd, JOURNAL_TMP),
                None => continue,
            },
        };
        check_state_dir(&state, &state_path)?;
        let journal_path = state_path.join(name);
        let fd = fd.map_err(|e| Error::io(&journal_path, e.into()))?;
        check_private_file(&fd, &journal_path)?;
        let mut text = Vec::new();
        File::from(fd)
            .read_to_end(&mut text)
            .map_err(|e| Error::io(&journal_path, e))?;
        let Some((staging_name, records)) = parse(&text).filter(|(_, rs)| rs.iter().all(sane))
        else {
            return Err(Error::UnsafeState {
                path: journal_path,
                reason: "the install journal is unreadable; refusing to guess how to roll back"
                    .into(),
            });
        };
        let staging = rustix::fs::openat(
            &state,
            staging_name.as_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        );
        let changes = records
            .iter()
            .filter(|r| !matches!(r, Record::MadeState(_)))
            .count();
        let failed = match &staging {
            Ok(staging) => roll_back(lock, &state, staging, &records),
            // No staging folder: no backup exists, so only created folders can be undone
            // (placed files cannot be told from earlier ones without their staged names).
            Err(_) => {
                let only_dirs: Vec<Record> = records
                    .iter()
                    .filter(|r| matches!(r, Record::MadeDir(_)))
                    .cloned()
                    .collect();
                match rustix::fs::openat(
                    &state,
                    ".",
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                ) {
                    Ok(empty) => roll_back(lock, &state, &empty, &only_dirs),
                    Err(_) => 0,
                }
            }
        };
        if failed > 0 {
            // The journal and the staging folder stay: they are the only way back to the
            // originals, and the next run tries again.
            return Err(Error::RollbackIncomplete {
                journal: journal_path,
                staging: state_path.join(&staging_name),
                failed,
            });
        }
        // The journal goes first: once it is gone, the staging folder holds nothing
        // anyone needs (a later Stage::new removes what is left of it).
        match rustix::fs::unlinkat(&state, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => return Err(Error::io(&journal_path, e.into())),
        }
        let _ = rustix::fs::unlinkat(&state, JOURNAL_TMP, AtFlags::empty());
        if staging.is_ok() {
            remove_staging_folder(lock, &state, OsStr::new(&staging_name));
        }
        drop(state);
        remove_state_dirs(lock, &records);
        lines.push(format!(
            "Rollback of an interrupted installation in {}: {changes} recorded changes undone (journal {}).",
            lock.root().display(),
            journal_path.display()
        ));
    }
    // State folders a run was creating when it was killed (before they got their name).
    remove_unpublished(lock);
    // What a run that committed and was killed before its clean-up left: staging folders
    // no journal names (the moved-aside originals of a committed install).
    for state_rel in &lock.state().dirs {
        if let Ok(state) = walk(lock, state_rel, false, None, Mode::empty())
            && check_state_dir(&state, &lock.root().join(state_rel)).is_ok()
        {
            remove_stale_staging(lock, &state);
        }
    }
    Ok(lines)
}

/// Removes the hidden `.rmsi-new-*` folders found on the way to each state folder: state
/// folders a run was creating, killed before it renamed them into place (see the stage's
/// `NewChain`); nothing in them was ever used.
fn remove_unpublished(lock: &RootLock) {
    for state_rel in &lock.state().dirs {
        let mut at = PathBuf::new();
        let mut steps = vec![at.clone()];
        for c in state_rel.components() {
            at.push(c);
            steps.push(at.clone());
        }
        steps.pop();
        for step in steps {
            let Ok(dir) = walk(lock, &step, false, None, Mode::empty()) else {
                break;
            };
            for name in entry_names(&dir) {
                if name.starts_with(b".rmsi-new-") {
                    remove_hidden_tree(&dir, OsStr::from_bytes(&name));
                }
            }
        }
    }
}

/// Removes the folder `name` of `dir` and what it holds, never following a symlink.
pub(crate) fn remove_hidden_tree(dir: &OwnedFd, name: &OsStr) {
    if let Ok(fd) = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        remove_tree_at(&fd);
        let _ = rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR);
    }
}

/// Removes the `staging-*` folders (and the files in them) of a state folder that holds no
/// journal (the caller checked): a staging folder is only needed while the journal naming
/// it exists, so what is left belongs to an install that committed, or was rolled back,
/// and was killed before it removed it. The staging folders on other mounts each lists go
/// first.
pub(crate) fn remove_stale_staging(lock: &RootLock, state: &OwnedFd) {
    if rustix::fs::statat(state, JOURNAL, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
        return;
    }
    let stale = entry_names(state)
        .into_iter()
        .filter(|name| name.starts_with(b"staging-"));
    for name in stale {
        remove_staging_folder(lock, state, OsStr::from_bytes(&name));
    }
}

fn open_journal(state: &OwnedFd, name: &str) -> Option<std::result::Result<OwnedFd, Errno>> {
    match rustix::fs::openat(
        state,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    ) {
        Ok(fd) => Some(Ok(fd)),
        Err(Errno::NOENT) => None,
        Err(e) => Some(Err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_their_text() {
        let records = vec![
            Record::MadeState("var/lib/rmsi".into()),
            Record::MadeDir("opt/a b\nc".into()),
            Record::Place {
                at: 0,
                target: "opt/x".into(),
                staged: "f1".into(),
                backup: None,
            },
            Record::Place {
                at: 0,
                target: "opt/x".into(),
                staged: "f1".into(),
                backup: Some("b2".into()),
            },
            Record::Remove {
                at: 0,
                target: "opt/y".into(),
                backup: "b3".into(),
            },
            Record::Volume {
                at: 1,
                path: "opt/.rmsi-staging-0000beef".into(),
            },
            Record::Place {
                at: 1,
                target: "opt/x".into(),
                staged: "f6".into(),
                backup: Some("b7".into()),
            },
            Record::Remove {
                at: 12,
                target: "opt/y".into(),
                backup: "b8".into(),
            },
            Record::RemoveDir {
                target: "opt/z".into(),
                mode: 0o750,
            },
            Record::State {
                backup: None,
                cache: false,
                cached: Vec::new(),
            },
            Record::State {
                backup: Some("g4".into()),
                cache: true,
                cached: vec![("{A}.msi".into(), "g5".into())],
            },
        ];
        let mut text = format!("{MAGIC} {}\n", hex(b"staging-0001"));
        for r in &records {
            text.push_str(&encode(r));
        }
        // A line cut short is ignored.
        text.push_str("F 6f");
        let (staging, parsed) = parse(text.as_bytes()).expect("parse");
        assert_eq!(staging, "staging-0001");
        assert_eq!(parsed, records);
    }

    #[test]
    fn climbing_or_foreign_journals_are_refused() {
        assert!(!sane(&Record::MadeDir("../etc".into())));
        assert!(!sane(&Record::MadeDir("/etc".into())));
        assert!(!sane(&Record::Remove {
            at: 0,
            target: "opt/x".into(),
            backup: "../../x".into()
        }));
        // A staging folder on another mount is one of ours by its name, under the root.
        for bad in ["opt/elsewhere", "../.rmsi-staging-1", "/.rmsi-staging-1"] {
            assert!(!sane(&Record::Volume {
                at: 1,
                path: bad.into()
            }));
        }
        assert!(decode("V 0 6f").is_none());
        assert!(decode("F@0 6f 6631").is_none());
        assert!(decode("M@1 6f").is_none());
        assert!(parse(b"something else\n").is_none());
        let bad = format!("{MAGIC} {}\n", hex(b"../x"));
        assert!(parse(bad.as_bytes()).is_none());
    }
}
