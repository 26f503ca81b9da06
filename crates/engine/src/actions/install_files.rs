//! InstallFiles: every file the costing selected, extracted and checked into the staging
//! area, then scheduled to be renamed into place when the script runs (spec 2.5, 4.5).
//!
//! Files come from the package's cabinets — embedded (`#name`, a stream of the package) or
//! external (a `.cab` beside the package) — found through the Media row whose `LastSequence`
//! covers the file's `Sequence`, or uncompressed from the source folder. Each cabinet is
//! read once, sequentially ([`crate::cabinet`] verifies every data block's checksum and
//! every file's size); a file whose cabinet entry's size differs from its File row's, a
//! missing cabinet or a file absent from its cabinet fails the install with 1603 and a
//! message naming it. Nothing is written to a target folder here.

use std::collections::HashMap;
use std::io;

use super::FileJob;
use crate::cabinet::{self, CabinetEntry, Sink};
use crate::cost::{CabinetLocation, FileSource};
use crate::error::Error;
use crate::sequence::ActionResult;
use crate::session::Session;
use std::sync::mpsc::{Receiver, SyncSender};

use crate::stage::{Stage, StageDir, StagedFile};

/// InstallFiles.
pub(crate) fn run(s: &mut Session<'_>) -> ActionResult {
    match install_files(s) {
        Ok(()) => ActionResult::Success,
        Err(e) => s.fail(e),
    }
}

fn install_files(s: &mut Session<'_>) -> Result<(), Error> {
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

    let mut staged: Vec<Option<String>> = vec![None; jobs.len()];
    let mut done = 0u64;
    for (cab, indices) in &by_cabinet {
        let wanted: HashMap<&str, usize> = indices
            .iter()
            .filter_map(|&i| match &jobs[i].source {
                FileSource::Cabinet { name, .. } => Some((name.as_str(), i)),
                FileSource::Uncompressed { .. } => None,
            })
            .collect();
        let shown = match cab {
            CabinetLocation::Embedded(name) => format!("#{name}"),
            CabinetLocation::External(path) => path.display().to_string(),
        };
        s.log.engine(&format!(
            "Executing op: ChangeMedia(MediaCabinet={shown},Files={})",
            indices.len()
        ));
        let reader: Box<dyn ReadSeek> = match cab {
            CabinetLocation::Embedded(stream) => Box::new(s.package.read_stream(stream)?),
            CabinetLocation::External(path) => match fs_err::File::open(path) {
                Ok(f) => Box::new(f),
                Err(_) => return Err(Error::SourceAbsent { path: path.clone() }),
            },
        };
        s.stage()?;
        let Some(stage) = s.stage.as_mut() else {
            return Err(Error::failure("the staging area could not be created"));
        };
        let dir = stage.writer_dir();
        let ui = &mut *s.ui;
        let mut sink = StageSink {
            stage,
            tx: None,
            batch: Batch::default(),
            jobs: &jobs,
            wanted,
            staged: &mut staged,
            error: None,
            done: 0,
            progress: &mut |n| {
                ui.progress(done + n, total);
                !ui.cancelled()
            },
        };
        // Two threads: this one reads and inflates the cabinet, the writer creates and
        // writes the staged files (on a 2-core machine most of an extraction's time is those
        // system calls). The queue between them holds at most QUEUE pieces of at most PIECE
        // bytes each, so memory stays bounded whatever the cabinet's size.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(QUEUE);
        sink.tx = Some(tx);
        let (result, written) = std::thread::scope(|scope| {
            let writer = scope.spawn(move || write_batches(&dir, rx));
            let result = cabinet::extract_to(reader, &mut sink);
            let rest = std::mem::take(&mut sink.batch);
            if result.is_ok()
                && !rest.parts.is_empty()
                && let Some(tx) = &sink.tx
            {
                // A send fails only when the writer stopped on an error, which its join
                // below returns.
                let _ = send(tx, rest);
            }
            // Closing the queue ends the writer once it has written everything sent.
            sink.tx = None;
            let written = writer
                .join()
                .unwrap_or_else(|_| Err(Error::failure("the staged-file writer stopped")));
            (result, written)
        });
        let (error, n) = (sink.error.take(), sink.done);
        // The writer's own error explains a failed send better than the send does.
        written?;
        if let Err(e) = result {
            return Err(error.unwrap_or_else(|| Error::failure(format!("cabinet {shown}: {e}"))));
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
            return Err(Error::failure(format!(
                "file {} ({}): the source {} holds {size} bytes, the File table says {}",
                job.key,
                job.target.display(),
                path.display(),
                job.size
            )));
        }
        staged[i] = Some(name);
        done += 1;
        s.ui.progress(done, total);
    }

    // Every selected file must have been found; then schedule the renames.
    for (job, name) in jobs.iter().zip(staged) {
        let Some(name) = name else {
            return Err(Error::failure(format!(
                "file {} ({}) is not in its cabinet",
                job.key,
                job.target.display()
            )));
        };
        let rel = s.rel(&job.target)?;
        if s.log.is_enabled() {
            s.log.engine(&format!(
                "Executing op: FileCopy(SourceName={},DestName={},FileSize={})",
                job.key,
                job.target.display(),
                job.size
            ));
        }
        s.staged_files.insert(job.key.clone(), name.clone());
        s.stage()?.place(name, rel)?;
    }
    Ok(())
}

/// A cabinet source: a package stream or an external file.
trait ReadSeek: io::Read + io::Seek {}
impl<T: io::Read + io::Seek> ReadSeek for T {}

/// A staged file and the job it is for.
/// A batch sent to the writer thread holds at most this many bytes of content.
const PIECE: usize = 64 * 1024;
/// A batch holds at most this many files (each an open file descriptor).
const PARTS: usize = 32;
/// At most this many batches wait for the writer thread: with [`PIECE`] and [`PARTS`],
/// with the batch being filled and the one being written, at most 640 KiB and 320 open
/// files (well under the usual limit of 1,024 descriptors).
const QUEUE: usize = 8;

/// Staged files' content on its way to the writer thread, many small files to a batch (a
/// message per file cost a thread wake-up per file). Parts come in order; a file's parts
/// all come before the next file's.
#[derive(Default)]
struct Batch {
    parts: Vec<Part>,
    /// The parts' bytes, one after the other.
    data: Vec<u8>,
}

/// One file's next `len` bytes of a [`Batch`].
struct Part {
    /// Set on a file's first part: the staged file, created (the engine's thread creates
    /// the files and the writer writes them: the two then take about as long).
    start: Option<StagedFile>,
    len: usize,
    /// The file's last part: close it.
    last: bool,
}

/// The writer thread: creates and writes the staged files, until the queue closes.
fn write_batches(dir: &StageDir, rx: Receiver<Batch>) -> Result<(), Error> {
    let mut current: Option<StagedFile> = None;
    for batch in rx {
        let mut rest = batch.data.as_slice();
        for part in batch.parts {
            if let Some(file) = part.start {
                current = Some(file);
            }
            let Some(file) = current.as_mut() else {
                return Err(Error::failure("staged file content without a file"));
            };
            let (data, tail) = rest.split_at_checked(part.len).unwrap_or((rest, &[]));
            rest = tail;
            io::Write::write_all(file, data)
                .map_err(|e| Error::io(dir.path().join(&file.name), e))?;
            if part.last
                && let Some(file) = current.take()
            {
                dir.close(file)?;
            }
        }
    }
    Ok(())
}

/// One file being extracted: its bytes go into the batch being filled, which the slot holds
/// while the file is open and hands back to the sink when the file is finished.
struct Slot {
    index: usize,
    /// The staged file's name.
    name: String,
    /// The staged file, until its first part carries it to the writer.
    file: Option<StagedFile>,
    batch: Batch,
    /// Where this file's current part starts in `batch.data`.
    part_start: usize,
    written: u64,
    tx: SyncSender<Batch>,
}

impl Slot {
    /// Ends this file's current part in the batch.
    fn end_part(&mut self, last: bool) {
        self.batch.parts.push(Part {
            start: self.file.take(),
            len: self.batch.data.len() - self.part_start,
            last,
        });
        self.part_start = self.batch.data.len();
    }
}

/// Sends a batch to the writer thread.
fn send(tx: &SyncSender<Batch>, batch: Batch) -> io::Result<()> {
    tx.send(batch)
        .map_err(|_| io::Error::other("the staged-file writer stopped"))
}

impl io::Write for Slot {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = PIECE.saturating_sub(self.batch.data.len());
        let n = buf.len().min(room);
        self.batch.data.extend_from_slice(&buf[..n]);
        self.written += n as u64;
        if self.batch.data.len() >= PIECE {
            self.end_part(false);
            let full = std::mem::replace(
                &mut self.batch,
                Batch {
                    parts: Vec::new(),
                    data: Vec::with_capacity(PIECE),
                },
            );
            self.part_start = 0;
            send(&self.tx, full)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct StageSink<'s, 'a> {
    stage: &'s mut Stage<'a>,
    /// The writer thread's queue, while it runs.
    tx: Option<SyncSender<Batch>>,
    /// The batch being filled, while no file is open.
    batch: Batch,
    jobs: &'s [FileJob],
    wanted: HashMap<&'s str, usize>,
    staged: &'s mut Vec<Option<String>>,
    error: Option<Error>,
    done: u64,
    progress: &'s mut dyn FnMut(u64) -> bool,
}

impl Sink for StageSink<'_, '_> {
    type Writer = Slot;

    fn open(&mut self, entry: &CabinetEntry) -> io::Result<Option<Self::Writer>> {
        let Some(&i) = self.wanted.get(entry.name.as_str()) else {
            return Ok(None);
        };
        if self.staged[i].is_some() {
            return Ok(None);
        }
        let job = &self.jobs[i];
        if entry.size != job.size {
            let e = Error::failure(format!(
                "file {} ({}): the cabinet holds {} bytes, the File table says {}",
                job.key,
                job.target.display(),
                entry.size,
                job.size
            ));
            let msg = e.to_string();
            self.error = Some(e);
            return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
        }
        let Some(tx) = &self.tx else {
            return Err(io::Error::other("the staged-file writer is not running"));
        };
        let file = match self.stage.create() {
            Ok(file) => file,
            Err(e) => {
                let msg = e.to_string();
                self.error = Some(e);
                return Err(io::Error::other(msg));
            }
        };
        let batch = std::mem::take(&mut self.batch);
        Ok(Some(Slot {
            index: i,
            name: file.name.clone(),
            file: Some(file),
            part_start: batch.data.len(),
            batch,
            written: 0,
            tx: tx.clone(),
        }))
    }

    fn finish(&mut self, entry: &CabinetEntry, slot: Self::Writer) -> io::Result<()> {
        let mut slot = slot;
        let i = slot.index;
        let job = &self.jobs[i];
        if slot.written != job.size {
            let e = Error::failure(format!(
                "file {} ({}): {} bytes extracted, the File table says {}",
                job.key,
                job.target.display(),
                slot.written,
                entry.size
            ));
            let msg = e.to_string();
            self.error = Some(e);
            return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
        }
        slot.end_part(true);
        let Slot { name, batch, .. } = slot;
        if batch.data.len() >= PIECE / 2 || batch.parts.len() >= PARTS {
            // A failed send means the writer stopped: its own error is reported after it
            // is joined.
            if let Some(tx) = &self.tx {
                send(tx, batch)?;
            }
        } else {
            self.batch = batch;
        }
        self.staged[i] = Some(name);
        self.done += 1;
        if !(self.progress)(self.done) {
            self.error = Some(Error::UserExit);
            return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
        }
        Ok(())
    }
}
