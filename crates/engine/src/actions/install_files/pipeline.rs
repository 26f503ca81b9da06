//! InstallFiles' staged-file pipeline: the engine's thread inflates a cabinet into batches
//! of file content; writer threads create, write and close the staged files.
//!
//! Creating, writing and closing thousands of small files is most of an extraction's time,
//! and it is system calls; creating the files alone was two thirds of the engine thread's
//! time in a 5,000-file install. Writers work in parallel only in different folders
//! (creations in one folder take its lock in turn), so every file of a staged folder goes to
//! the same writer, and folders are dealt out to the writers in turn. Files staged flat
//! (their target folder exists) are created by the engine's thread and written by the first
//! writer, which measured faster than one thread doing both.
//!
//! Every queue is bounded, so memory stays bounded whatever the cabinet's size: at most
//! [`QUEUE`] batches of at most [`PIECE`] bytes (and [`PARTS`] files) wait for each writer.
//! A cabinet inflated ahead hands each file's bytes over whole ([`Slot::take`]): they are
//! in memory already, and are written from there.

use std::collections::HashMap;
use std::io;
use std::sync::mpsc::{Receiver, SyncSender};

use crate::error::Error;
use transaction::{StageDir, StagedFile};

/// A batch sent to a writer holds at most this many bytes of content.
const PIECE: usize = 64 * 1024;
/// A batch holds at most this many files' parts.
const PARTS: usize = 32;
/// At most this many batches wait for each writer.
const QUEUE: usize = 8;
/// Writer threads: one per core, at most this many (beyond that the file system, not the
/// cores, sets the pace).
const MAX_WRITERS: usize = 4;

/// Staged files' content on its way to a writer, many small files to a batch (a message per
/// file cost a thread wake-up per file). A file's parts come in order, all to one writer.
pub(super) struct Batch {
    parts: Vec<Part>,
    /// The parts' bytes, one after the other.
    data: Vec<u8>,
    /// The bytes of the parts handed over whole (`Part::owned`).
    owned: usize,
    /// The writer it goes to.
    writer: usize,
}

impl Batch {
    /// An empty batch for writer `writer`.
    pub(super) fn new(writer: usize) -> Batch {
        Batch {
            parts: Vec::new(),
            data: Vec::new(),
            owned: 0,
            writer,
        }
    }

    /// The writer it goes to.
    pub(super) fn writer(&self) -> usize {
        self.writer
    }

    /// Whether the batch is worth a message of its own.
    pub(super) fn is_full(&self) -> bool {
        self.data.len() + self.owned >= PIECE / 2 || self.parts.len() >= PARTS
    }

    pub(super) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

/// A staged file as its first part carries it to a writer.
pub(super) enum Staged {
    /// Created by the engine's thread.
    Created(StagedFile),
    /// Its reserved name, for the writer to create.
    Named(String),
}

/// One file's next `len` bytes of a [`Batch`].
struct Part {
    /// The file (its job's index).
    file: usize,
    /// On a file's first part: the staged file.
    create: Option<Staged>,
    len: usize,
    /// A whole file's bytes handed over (a cabinet inflated ahead): the part's data instead
    /// of `len` bytes of the batch's.
    owned: Option<Vec<u8>>,
    /// The file's last part: close it.
    last: bool,
}

/// The writers' queues, as the engine's thread sees them.
pub(super) struct Queues {
    txs: Vec<SyncSender<Batch>>,
}

impl Queues {
    /// Queues for the writers, and each writer's end.
    pub(super) fn new() -> (Queues, Vec<Receiver<Batch>>) {
        let n = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_WRITERS);
        let (txs, rxs) = (0..n)
            .map(|_| std::sync::mpsc::sync_channel::<Batch>(QUEUE))
            .unzip();
        (Queues { txs }, rxs)
    }

    /// How many writers there are.
    pub(super) fn writers(&self) -> usize {
        self.txs.len()
    }

    /// Sends a batch to its writer.
    pub(super) fn send(&self, batch: Batch) -> io::Result<()> {
        // A send fails only when the writer stopped on an error, which its join returns.
        self.txs[batch.writer]
            .send(batch)
            .map_err(|_| io::Error::other("a staged-file writer stopped"))
    }
}

/// Which writer gets a staged folder's files: folders are dealt out in turn, so that the
/// writers create files in different folders.
#[derive(Default)]
pub(super) struct Dealer {
    folders: HashMap<String, usize>,
    last: Option<(String, usize)>,
}

impl Dealer {
    /// The writer for a file staged as `name` (`t1/sub/file`: a folder's files all go to
    /// one writer); `None` for a file staged flat.
    pub(super) fn writer_for(&mut self, name: &str, writers: usize) -> Option<usize> {
        let (folder, _) = name.rsplit_once('/')?;
        if let Some((last, w)) = &self.last
            && last == folder
        {
            return Some(*w);
        }
        let next = self.folders.len() % writers.max(1);
        let w = *self.folders.entry(folder.to_string()).or_insert(next);
        self.last = Some((folder.to_string(), w));
        Some(w)
    }
}

/// One file being extracted: its bytes go into its writer's batch, which the slot holds
/// while the file is open and hands back when the file is finished.
pub(super) struct Slot<'q> {
    /// The file (its job's index).
    pub(super) index: usize,
    /// The staged file's name.
    pub(super) name: String,
    /// The staged file, until its first part carries it to a writer.
    create: Option<Staged>,
    batch: Batch,
    /// Where this file's current part starts in `batch.data`.
    part_start: usize,
    /// Bytes extracted so far.
    pub(super) written: u64,
    queues: &'q Queues,
}

impl<'q> Slot<'q> {
    /// A slot for file `index`, staged as `name`, continuing `batch` (its writer's).
    pub(super) fn new(
        index: usize,
        name: String,
        staged: Staged,
        batch: Batch,
        queues: &'q Queues,
    ) -> Slot<'q> {
        Slot {
            index,
            name,
            create: Some(staged),
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
            owned: None,
            last,
        });
        self.part_start = self.batch.data.len();
    }

    /// Takes `bytes`, the rest of the file, as a part of its own: the writer writes them
    /// from there, without their copy into the batch.
    pub(super) fn take(&mut self, bytes: Vec<u8>) {
        if self.batch.data.len() > self.part_start || self.create.is_some() {
            self.end_part(false);
        }
        self.written += bytes.len() as u64;
        self.batch.owned += bytes.len();
        self.batch.parts.push(Part {
            file: self.index,
            create: None,
            len: 0,
            owned: Some(bytes),
            last: false,
        });
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
            // The rest of this file goes to the same writer.
            let w = self.batch.writer;
            let full = std::mem::replace(
                &mut self.batch,
                Batch {
                    parts: Vec::new(),
                    data: Vec::with_capacity(PIECE),
                    owned: 0,
                    writer: w,
                },
            );
            self.part_start = 0;
            self.queues.send(full)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer thread: creates (when asked), writes and closes staged files, until its queue
/// closes.
pub(super) fn write_batches(dir: &StageDir, rx: Receiver<Batch>) -> Result<(), Error> {
    // Open files by job index: one at a time, unless files of the cabinet overlap.
    let mut open: Vec<(usize, StagedFile)> = Vec::new();
    for batch in rx {
        let mut rest = batch.data.as_slice();
        for part in batch.parts {
            let (data, tail) = rest.split_at_checked(part.len).unwrap_or((rest, &[]));
            rest = tail;
            let data = part.owned.as_deref().unwrap_or(data);
            match part.create {
                Some(Staged::Created(file)) => open.push((part.file, file)),
                Some(Staged::Named(name)) => open.push((part.file, dir.create(name)?)),
                None => {}
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
