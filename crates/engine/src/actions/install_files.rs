//! InstallFiles: every file the costing selected, extracted and checked into the staging
//! area, then scheduled to be renamed into place when the script runs ("InstallFiles action", "File
//! table").
//!
//! Files come from the package's cabinets — embedded (`#name`, a stream of the package) or
//! external (a `.cab` beside the package) — found through the Media row whose `LastSequence`
//! covers the file's `Sequence`, or uncompressed from the source folder. Each cabinet is
//! read once, sequentially ([`cabinet`] verifies every data block's checksum and
//! every file's size), in the order of the Media rows' DiskId ("Media table"). A file that
//! goes on into the next cabinet of a set (continuous cabinets) is read on into the next
//! Media row's cabinet in the same pass, whose files it extracts too; a pass for a cabinet
//! whose first folder began in the previous cabinet starts in that one. A cabinet's size
//! that differs from the File row's is logged and the cabinet's bytes installed; a missing
//! cabinet fails the install with 1603 and error 1311 in the log, a cabinet that is corrupt
//! or not the next of its set with error 1335, a file absent from its cabinet with a
//! message naming it. Nothing is written to a target folder here. An embedded cabinet the
//! session inflates ahead (`session::inflate_ahead`) is not read again: its files, being
//! written into anonymous files, are linked into the staging folder by their staged names
//! at once, or, inflated into memory, replayed from there.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;

use super::FileJob;
use crate::cost::{CabinetLocation, FileSource};
use crate::error::Error;
use crate::sequence::ActionResult;
use crate::session::{Ahead, ScriptOp, Session};
use cabinet::{CabinetEntry, NextCabinet, ReadSeek, Sink};
use package::Package;
use transaction::{StageDir, Transaction as Stage};

mod pipeline;

use pipeline::{Batch, Dealer, Queues, Slot, Staged};

/// InstallFiles. Inside the transaction it only writes the script, as on Windows: a file
/// it cannot stage (a missing source, a broken cabinet) becomes a failing operation of the
/// script, so InstallFiles returns 1 and the script fails at that point when it runs
/// (InstallFinalize's return value 3). A cancel stops at once.
pub(crate) fn run(s: &mut Session<'_, '_>) -> ActionResult {
    match install_files(s) {
        Ok(()) => ActionResult::Success,
        Err(Error::UserExit) => s.fail(Error::UserExit),
        Err(e) if s.in_transaction() => {
            s.write_script(ScriptOp::Fail {
                action: "InstallFiles",
                error: e,
            });
            ActionResult::Success
        }
        Err(e) => {
            if let Some(message) = e.installer_message() {
                s.log.engine(&message);
            }
            s.fail(e)
        }
    }
}

fn install_files(s: &mut Session<'_, '_>) -> Result<(), Error> {
    let jobs = s.ctx.files_to_install();
    if jobs.is_empty() {
        return Ok(());
    }
    let total = jobs.len() as u64;
    // Which cabinet each compressed file comes from, cabinets in first-use order.
    let mut by_cabinet: Vec<(CabinetLocation, Vec<usize>)> = Vec::new();
    let mut loose: Vec<usize> = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        match &job.source {
            FileSource::Uncompressed { .. } => loose.push(i),
            FileSource::Cabinet { cabinet, .. } => {
                match by_cabinet.iter_mut().find(|(c, _)| c == cabinet) {
                    Some((_, list)) => list.push(i),
                    None => by_cabinet.push((cabinet.clone(), vec![i])),
                }
            }
        }
    }

    // Cabinets are read in the order of their Media rows' DiskId: a set of cabinets
    // continued one into the next ("Media table") is read in that order, each next cabinet
    // the next Media row's.
    let media = s.ctx.cabinets_by_disk();
    let order = |c: &CabinetLocation| media.iter().position(|(_, m)| m == c);
    by_cabinet.sort_by_key(|(c, _)| order(c).unwrap_or(usize::MAX));
    let files_of: HashMap<CabinetLocation, Vec<usize>> = by_cabinet.iter().cloned().collect();

    let mut staged: Vec<Option<String>> = vec![None; jobs.len()];
    // Each file's target relative to the root, where the stage creates it (a path that
    // leaves the root is refused when the file is scheduled, below).
    let rels: Vec<Option<PathBuf>> = jobs.iter().map(|j| s.rel(&j.target).ok()).collect();
    let mut done = 0u64;
    // Cabinets a pass already read (a set's later cabinets are read by the pass that began
    // in its first).
    let mut read: HashSet<CabinetLocation> = HashSet::new();
    for (cab, indices) in &by_cabinet {
        if read.contains(cab) {
            continue;
        }
        // Inflated ahead (`session::inflate_ahead`): a cabinet of no set, whose files are
        // replayed from memory.
        let waited = std::time::Instant::now();
        let ahead = match cab {
            CabinetLocation::Embedded(stream) => s.ahead(stream),
            CabinetLocation::External(_) => None,
        };
        tracing::debug!(ms = %crate::log::millis(waited.elapsed()), ahead = ahead.is_some(), "cabinet taken");
        // A cabinet whose first folder continues the previous cabinet's is read from the
        // cabinet where that folder begins, as a set is read from its first cabinet.
        let mut at = order(cab);
        if let Some(pos) = at.as_mut()
            && ahead.is_none()
        {
            while *pos > 0 && continues_previous(&s.package, &media[*pos].1) {
                *pos -= 1;
            }
        }
        let (first, chain) = match at {
            Some(pos) => (media[pos].1.clone(), media[pos..].to_vec()),
            None => (cab.clone(), vec![(0, cab.clone())]),
        };
        let mut wanted: HashMap<&str, usize> = HashMap::new();
        for (_, c) in chain.iter().take_while(|(_, c)| c != cab) {
            want(&mut wanted, &jobs, files_of.get(c));
        }
        want(&mut wanted, &jobs, files_of.get(cab));
        // A file going on into a later cabinet of the set may be counted on that cabinet's
        // Media row: it is extracted where it begins.
        let mut later: HashMap<&str, usize> = HashMap::new();
        for (_, c) in chain.iter().skip(1) {
            want(&mut later, &jobs, files_of.get(c));
        }
        let shown = shown_cabinet(&first);
        s.log.engine(&format!(
            "Executing op: ChangeMedia(MediaCabinet={shown},Files={})",
            indices.len()
        ));
        let pass = match ahead {
            Some(Ahead::Inflated(files)) => Pass::Ahead(files),
            Some(Ahead::Early(files)) => Pass::Early(files),
            None => Pass::Read(open_cabinet(&s.package, &first)?),
        };
        s.stage()?;
        let package = &s.package;
        let Some(stage) = s.stage.as_mut() else {
            return Err(Error::failure("the staging area could not be created"));
        };
        let dir = stage
            .writer_dir()
            .map_err(|e| Error::io(stage.dir_path(), e))?;
        let ui = &mut *s.ui;
        let mut progress = |n| {
            ui.progress(done + n, total);
            !ui.cancelled()
        };
        // This thread reads and inflates the cabinet; writer threads create and write the
        // staged files (see `pipeline`).
        let (queues, ends) = Queues::new();
        let (result, error, n, written, mismatches, set, unlinked) = std::thread::scope(|scope| {
            let dir = &dir;
            // Files linked as they are being inflated need no writer.
            let early = matches!(pass, Pass::Early(_));
            let writers: Vec<_> = ends
                .into_iter()
                .filter(|_| !early)
                .map(|rx| scope.spawn(move || pipeline::write_batches(dir, rx)))
                .collect();
            let mut sink = StageSink {
                stage,
                dir,
                queues: &queues,
                batches: (0..queues.writers()).map(Batch::new).collect(),
                dealer: Dealer::default(),
                jobs: &jobs,
                rels: &rels,
                wanted,
                later,
                staged: &mut staged,
                size_mismatches: Vec::new(),
                error: None,
                done: 0,
                progress: &mut progress,
                set: CabinetSet {
                    package,
                    chain: &chain,
                    at: 0,
                    shown: shown.clone(),
                    read: vec![first.clone()],
                    files_of: &files_of,
                },
                unlinked: Vec::new(),
            };
            let result = match pass {
                Pass::Ahead(files) => files.replay(&mut sink),
                Pass::Early(files) => sink.link_early(files),
                Pass::Read(reader) => cabinet::extract_to(reader, &mut sink),
            };
            for rest in std::mem::take(&mut sink.batches) {
                if result.is_ok() && !rest.is_empty() {
                    // A failed send: the writer's error, from its join below, says why.
                    let _ = queues.send(rest);
                }
            }
            let (error, n) = (sink.error.take(), sink.done);
            let mismatches = std::mem::take(&mut sink.size_mismatches);
            let set = (std::mem::take(&mut sink.set.read), sink.set.shown.clone());
            let unlinked = std::mem::take(&mut sink.unlinked);
            // Closing the queues ends the writers once they wrote everything sent.
            drop(sink);
            drop(queues);
            let mut written = Ok(());
            for w in writers {
                let r = w
                    .join()
                    .unwrap_or_else(|_| Err(Error::failure("a staged-file writer stopped")));
                if written.is_ok() {
                    written = r;
                }
            }
            (result, error, n, written, mismatches, set, unlinked)
        });
        let (cabinets, last_shown) = set;
        for c in cabinets.iter().skip(1) {
            s.log.engine(&format!(
                "Executing op: ChangeMedia(MediaCabinet={},Continued=1)",
                shown_cabinet(c)
            ));
        }
        read.extend(cabinets);
        for (i, size) in mismatches {
            let job = &jobs[i];
            s.log.engine(&format!(
                "Note: file {} ({}): the cabinet holds {size} bytes, the File table says {}; the cabinet's bytes are installed",
                job.key,
                job.target.display(),
                job.size
            ));
        }
        // A writer's own error explains a failed send better than the send does.
        written?;
        if let Err(e) = result {
            return Err(error.unwrap_or_else(|| Error::Cabinet {
                cabinet: last_shown,
                source: e,
            }));
        }
        if !unlinked.is_empty() {
            // Files taken early that could not be linked (the staging folder is on another
            // file system than the root): copied once they are written.
            s.settle_ahead(false)?;
            for (i, name, file) in unlinked {
                staged[i] = Some(dir.adopt(name, file)?);
            }
        }
        done += n;
        s.ui.progress(done, total);
    }

    // Uncompressed files: from the source folder, as the Directory table's source paths say.
    for &i in &loose {
        let job = &jobs[i];
        let FileSource::Uncompressed { path } = job.source.clone() else {
            continue;
        };
        let mut f =
            fs_err::File::open(&path).map_err(|_| Error::SourceAbsent { path: path.clone() })?;
        let (name, size) = s.stage()?.copy_in(&mut f)?;
        if size != job.size {
            // As for cabinets: the source's bytes are installed, the mismatch logged.
            s.log.engine(&format!(
                "Note: file {} ({}): the source {} holds {size} bytes, the File table says {}; the source's bytes are installed",
                job.key,
                job.target.display(),
                path.display(),
                job.size
            ));
        }
        staged[i] = Some(name);
        done += 1;
        s.ui.progress(done, total);
    }

    // Every selected file must have been found; then schedule the renames.
    let early = s.ahead_pending();
    for ((job, name), rel) in jobs.iter().zip(staged).zip(rels) {
        let Some(name) = name else {
            return Err(Error::failure(format!(
                "file {} ({}) is not in its cabinet",
                job.key,
                job.target.display()
            )));
        };
        let rel = match rel {
            Some(rel) => rel,
            // Refused: say why.
            None => s.rel(&job.target)?,
        };
        if s.log.is_enabled() {
            s.log.engine(&format!(
                "Executing op: FileCopy(SourceName={},DestName={},FileSize={})",
                job.key,
                job.target.display(),
                job.size
            ));
        }
        let name = s.stage()?.place(name, rel)?;
        s.note_staged_file(job.key.clone(), name);
    }
    if early {
        s.note_ahead_end();
    }
    Ok(())
}

/// Where a pass gets a cabinet's files.
enum Pass {
    /// Inflated ahead, replayed from memory.
    Ahead(cabinet::Inflated),
    /// Being inflated into these anonymous files, linked into the staging folder as they
    /// are (`session::inflate_ahead`).
    Early(Vec<(CabinetEntry, std::fs::File)>),
    /// Read and inflated now.
    Read(Box<dyn ReadSeek>),
}

/// Adds the files of `indices` (jobs) to the files a pass extracts, by their name in the
/// cabinet.
fn want<'j>(
    wanted: &mut HashMap<&'j str, usize>,
    jobs: &'j [FileJob],
    indices: Option<&Vec<usize>>,
) {
    for &i in indices.into_iter().flatten() {
        if let FileSource::Cabinet { name, .. } = &jobs[i].source {
            wanted.insert(name.as_str(), i);
        }
    }
}

/// How a cabinet is named in the log: `#stream` or the file's path.
fn shown_cabinet(cab: &CabinetLocation) -> String {
    match cab {
        CabinetLocation::Embedded(name) => format!("#{name}"),
        CabinetLocation::External(path) => path.display().to_string(),
    }
}

/// Opens a cabinet: a stream of the package, or a file beside it (absent: the source is
/// not available, error 1311).
fn open_cabinet(package: &Package, cab: &CabinetLocation) -> Result<Box<dyn ReadSeek>, Error> {
    Ok(match cab {
        CabinetLocation::Embedded(stream) => Box::new(package.read_stream(stream)?),
        CabinetLocation::External(path) => match fs_err::File::open(path) {
            Ok(f) => Box::new(f),
            Err(_) => return Err(Error::SourceAbsent { path: path.clone() }),
        },
    })
}

/// Whether a cabinet's first folder continues a folder of the previous cabinet of its set
/// (a cabinet that cannot be read says no: the pass that reads it reports why).
fn continues_previous(package: &Package, cab: &CabinetLocation) -> bool {
    open_cabinet(package, cab)
        .ok()
        .and_then(|r| cabinet::list(r).ok())
        .is_some_and(|entries| entries.iter().any(|e| e.continued_from_previous))
}

/// The cabinets a pass may go on into: the Media rows' cabinets from the one it began in,
/// in DiskId order.
struct CabinetSet<'s> {
    package: &'s Package,
    /// (DiskId, cabinet) from the pass's first cabinet on.
    chain: &'s [(i32, CabinetLocation)],
    /// The cabinet being read, in `chain`.
    at: usize,
    /// How the cabinet being read is named in the log and errors.
    shown: String,
    /// The cabinets the pass read, in order.
    read: Vec<CabinetLocation>,
    /// The jobs of each cabinet's files.
    files_of: &'s HashMap<CabinetLocation, Vec<usize>>,
}

struct StageSink<'s, 'a> {
    stage: &'s mut Stage<'a>,
    /// The staging folder, where this thread creates the files.
    dir: &'s StageDir,
    /// The writer threads' queues.
    queues: &'s Queues,
    /// Each writer's batch being filled, while no file of it is open.
    batches: Vec<Batch>,
    /// Which writer gets which staged folder.
    dealer: Dealer,
    jobs: &'s [FileJob],
    rels: &'s [Option<PathBuf>],
    wanted: HashMap<&'s str, usize>,
    /// The files of the cabinets after the pass's first, for a file that begins in one and
    /// goes on into the next.
    later: HashMap<&'s str, usize>,
    staged: &'s mut Vec<Option<String>>,
    /// Files whose cabinet size differs from their FileSize: (job, the cabinet's size).
    size_mismatches: Vec<(usize, u64)>,
    error: Option<Error>,
    done: u64,
    progress: &'s mut dyn FnMut(u64) -> bool,
    /// The cabinets the pass reads.
    set: CabinetSet<'s>,
    /// Files taken early that could not be linked: (job, staged name, file).
    unlinked: Vec<(usize, String, std::fs::File)>,
}

impl<'s> Sink for StageSink<'s, '_> {
    type Writer = Slot<'s>;

    fn open(&mut self, entry: &CabinetEntry) -> io::Result<Option<Self::Writer>> {
        let Some((i, name)) = self.reserve(entry) else {
            return Ok(None);
        };
        let (writer, staged) = match self.dealer.writer_for(&name, self.queues.writers()) {
            Some(w) => (w, Staged::Named(name.clone())),
            None => match self.dir.create(name.clone()) {
                Ok(file) => (0, Staged::Created(file)),
                Err(e) => {
                    let msg = e.to_string();
                    self.error = Some(e.into());
                    return Err(io::Error::other(msg));
                }
            },
        };
        let batch = std::mem::replace(&mut self.batches[writer], Batch::new(writer));
        Ok(Some(Slot::new(i, name, staged, batch, self.queues)))
    }

    /// The next cabinet of a set is the next Media row's (by DiskId), whatever name the
    /// cabinet gives it; the cabinet crate checks that it is the set's next. Its files
    /// are extracted in the same pass.
    fn next_cabinet(&mut self, next: &NextCabinet) -> io::Result<Option<Box<dyn ReadSeek>>> {
        let _ = next;
        let Some((_, cab)) = self.set.chain.get(self.set.at + 1) else {
            return Ok(None);
        };
        self.set.at += 1;
        self.set.shown = shown_cabinet(cab);
        self.set.read.push(cab.clone());
        want(&mut self.wanted, self.jobs, self.set.files_of.get(cab));
        match open_cabinet(self.set.package, cab) {
            Ok(r) => Ok(Some(r)),
            Err(e) => {
                let msg = e.to_string();
                self.error = Some(e);
                Err(io::Error::other(msg))
            }
        }
    }

    fn write_owned(&mut self, slot: &mut Self::Writer, bytes: Vec<u8>) -> io::Result<()> {
        slot.take(bytes);
        Ok(())
    }

    fn finish(&mut self, entry: &CabinetEntry, slot: Self::Writer) -> io::Result<()> {
        let i = slot.index;
        let job = &self.jobs[i];
        if slot.written != entry.size {
            let e = Error::failure(format!(
                "file {} ({}): {} bytes extracted, the cabinet says {}",
                job.key,
                job.target.display(),
                slot.written,
                entry.size
            ));
            let msg = e.to_string();
            self.error = Some(e);
            return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
        }
        let (name, batch) = slot.finish();
        // A failed send means the writer stopped: its own error is reported after it is
        // joined.
        let w = batch.writer();
        if !self.batches[w].is_empty() {
            // Another file of this writer finished while this one was open (files of a
            // cabinet may overlap): its batch goes first.
            let earlier = std::mem::replace(&mut self.batches[w], Batch::new(w));
            self.queues.send(earlier)?;
        }
        if batch.is_full() {
            self.queues.send(batch)?;
        } else {
            self.batches[w] = batch;
        }
        self.staged(i, name)
    }
}

impl StageSink<'_, '_> {
    /// A cabinet's files taken early (`session::inflate_ahead`): each file the pass installs
    /// is linked into the staging folder by its staged name while it is being written.
    fn link_early(
        &mut self,
        files: Vec<(CabinetEntry, std::fs::File)>,
    ) -> Result<(), cabinet::CabinetError> {
        for (entry, file) in files {
            let Some((i, name)) = self.reserve(&entry) else {
                continue;
            };
            if self.dir.link(&name, &file).is_err() {
                self.unlinked.push((i, name.clone(), file));
            }
            self.staged(i, name)
                .map_err(|source| cabinet::CabinetError::Write {
                    file: entry.name.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    /// The job of the cabinet's file `entry` and its reserved staged name; `None` for a
    /// file the pass does not install, or staged already.
    fn reserve(&mut self, entry: &CabinetEntry) -> Option<(usize, String)> {
        let name = entry.name.as_str();
        let i = match self.wanted.get(name) {
            Some(&i) => i,
            None if entry.continued_to_next => self.later.get(name).copied()?,
            None => return None,
        };
        if self.staged[i].is_some() {
            return None;
        }
        let job = &self.jobs[i];
        if entry.size != job.size {
            // Windows Installer installs the cabinet's bytes whatever the File table's
            // FileSize says (FileSize only feeds costing); the mismatch is logged.
            self.size_mismatches.push((i, entry.size));
        }
        let name = match &self.rels[i] {
            Some(rel) => self.stage.reserve_for(rel),
            None => self.stage.reserve(),
        };
        Some((i, name))
    }

    /// Notes job `i` staged as `name`, and the progress.
    fn staged(&mut self, i: usize, name: String) -> io::Result<()> {
        self.staged[i] = Some(name);
        self.done += 1;
        if !(self.progress)(self.done) {
            self.error = Some(Error::UserExit);
            return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
        }
        Ok(())
    }
}
