//! InstallFiles' staged-file pipeline: the engine's thread inflates a cabinet into batches
//! of file content and creates the staged files; writer threads write and close them.
//!
//! Creating, writing and closing thousands of small files is most of an extraction's time,
//! and it is system calls. Measured on tmpfs with 5,000 files: the engine's thread creating
//! the files and a writer writing them is faster than writers doing both (creations in one
//! folder take its lock in turn, so writers creating there wait for each other), whether
//! one writer or one per core. Every queue is bounded, so memory stays bounded whatever the
//! cabinet's size: at most [`QUEUE`] batches of at most [`PIECE`] bytes (and [`PARTS`] open
//! files) wait for each writer.

use std::cell::Cell;
use std::io;
use std::sync::mpsc::{Receiver, SyncSender};

use crate::error::Error;
use crate::stage::{StageDir, StagedFile};

/// A batch sent to a writer holds at most this many bytes of content.
pub(super) const PIECE: usize = 64 * 1024;
/// A batch holds at most this many files' parts.
pub(super) const PARTS: usize = 32;
/// At most this many batches wait for each writer.
const QUEUE: usize = 8;
/// Writer threads: one per core but the engine thread's, at least one, at most this many
/// (beyond that the file system's locks, not the cores, set the pace). On two cores, a
/// second writer measured slower: it takes turns with the engine's thread, the pipeline's
/// slowest stage.
const MAX_WRITERS: usize = 4;

/// Staged files' content on its way to a writer, many small files to a batch (a message per
/// file cost a thread wake-up per file). A file's parts come in order, all to one writer.
#[derive(Default)]
pub(super) struct Batch {
    parts: Vec<Part>,
    /// The parts' bytes, one after the other.
    data: Vec<u8>,
    /// The writer this batch must go to: the one writing the file whose part comes first,
    /// when that file started in an earlier batch.
    writer: Option<usize>,
}

impl Batch {
    /// Whether the batch is worth a message of its own.
    pub(super) fn is_full(&self) -> bool {
        self.data.len() >= PIECE / 2 || self.parts.len() >= PARTS
    }

    pub(super) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

/// One file's next `len` bytes of a [`Batch`].
struct Part {
    /// The file (its job's index).
    file: usize,
    /// On a file's first part: the staged file, created.
    create: Option<StagedFile>,
    len: usize,
    /// The file's last part: close it.
    last: bool,
}

/// The writers' queues, as the engine's thread sees them.
pub(super) struct Queues {
    txs: Vec<SyncSender<Batch>>,
    /// The writer for the next batch that may go anywhere.
    next: Cell<usize>,
}

impl Queues {
    /// Queues for `n` writers and each writer's end.
    pub(super) fn new() -> (Queues, Vec<Receiver<Batch>>) {
        let n = std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .clamp(1, MAX_WRITERS);
        let (txs, rxs) = (0..n)
            .map(|_| std::sync::mpsc::sync_channel::<Batch>(QUEUE))
            .unzip();
        (
            Queues {
                txs,
                next: Cell::new(0),
            },
            rxs,
        )
    }

    /// Sends a batch to its writer (or the next one in turn); returns which.
    pub(super) fn send(&self, batch: Batch) -> io::Result<usize> {
        let w = batch.writer.unwrap_or_else(|| {
            let w = self.next.get();
            self.next.set((w + 1) % self.txs.len());
            w
        });
        // A send fails only when the writer stopped on an error, which its join returns.
        self.txs[w]
            .send(batch)
            .map_err(|_| io::Error::other("a staged-file writer stopped"))?;
        Ok(w)
    }
}

/// One file being extracted: its bytes go into the batch being filled, which the slot holds
/// while the file is open and hands back when the file is finished.
pub(super) struct Slot<'q> {
    /// The file (its job's index).
    pub(super) index: usize,
    /// The staged file's name.
    pub(super) name: String,
    /// The staged file, until its first part carries it to a writer.
    create: Option<StagedFile>,
    batch: Batch,
    /// Where this file's current part starts in `batch.data`.
    part_start: usize,
    /// Bytes extracted so far.
    pub(super) written: u64,
    queues: &'q Queues,
}

impl<'q> Slot<'q> {
    /// A slot for file `index`, staged as `file`, continuing `batch`.
    pub(super) fn new(
        index: usize,
        file: StagedFile,
        batch: Batch,
        queues: &'q Queues,
    ) -> Slot<'q> {
        Slot {
            index,
            name: file.name.clone(),
            create: Some(file),
            part_start: batch.data.len(),
            batch,
            written: 0,
            queues,
        }
    }

    /// Ends the file: its last part goes into the batch, which is returned.
    pub(super) fn finish(mut self) -> (String, Batch) {
        self.end_part(true);
        (self.name, self.batch)
    }

    /// Ends this file's current part in the batch.
    fn end_part(&mut self, last: bool) {
        self.batch.parts.push(Part {
            file: self.index,
            create: self.create.take(),
            len: self.batch.data.len() - self.part_start,
            last,
        });
        self.part_start = self.batch.data.len();
    }
}

impl io::Write for Slot<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = PIECE.saturating_sub(self.batch.data.len());
        let n = buf.len().min(room);
        self.batch.data.extend_from_slice(&buf[..n]);
        self.written += n as u64;
        if self.batch.data.len() >= PIECE {
            self.end_part(false);
            let full = std::mem::take(&mut self.batch);
            self.part_start = 0;
            let w = self.queues.send(full)?;
            // The rest of this file goes to the same writer.
            self.batch = Batch {
                parts: Vec::new(),
                data: Vec::with_capacity(PIECE),
                writer: Some(w),
            };
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer thread: writes and closes staged files, until its queue closes.
pub(super) fn write_batches(dir: &StageDir, rx: Receiver<Batch>) -> Result<(), Error> {
    let mut open: Vec<(usize, StagedFile)> = Vec::new();
    for batch in rx {
        let mut rest = batch.data.as_slice();
        for part in batch.parts {
            let (data, tail) = rest.split_at_checked(part.len).unwrap_or((rest, &[]));
            rest = tail;
            if let Some(file) = part.create {
                open.push((part.file, file));
            }
            let Some(pos) = open.iter().position(|(f, _)| *f == part.file) else {
                return Err(Error::failure("staged file content without a file"));
            };
            let file = &mut open[pos].1;
            io::Write::write_all(file, data)
                .map_err(|e| Error::io(dir.path().join(&file.name), e))?;
            if part.last {
                let (_, file) = open.swap_remove(pos);
                dir.close(file)?;
            }
        }
    }
    Ok(())
}
