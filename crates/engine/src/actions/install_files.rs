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
use crate::stage::{Stage, StagedFile};

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
        let ui = &mut *s.ui;
        let mut sink = StageSink {
            stage,
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
        let result = cabinet::extract_to(reader, &mut sink);
        let (error, n) = (sink.error.take(), sink.done);
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
struct Slot {
    index: usize,
    file: StagedFile,
}

impl io::Write for Slot {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Receives a cabinet's files into staged files.
struct StageSink<'s, 'a> {
    stage: &'s mut Stage<'a>,
    jobs: &'s [FileJob],
    wanted: HashMap<&'s str, usize>,
    staged: &'s mut Vec<Option<String>>,
    error: Option<Error>,
    done: u64,
    /// Reports progress; false: the user cancelled.
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
        match self.stage.create() {
            Ok(file) => Ok(Some(Slot { index: i, file })),
            Err(e) => {
                let msg = e.to_string();
                self.error = Some(e);
                Err(io::Error::other(msg))
            }
        }
    }

    fn finish(&mut self, entry: &CabinetEntry, slot: Self::Writer) -> io::Result<()> {
        let Slot { index: i, file } = slot;
        let job = &self.jobs[i];
        if file.written() != job.size {
            let e = Error::failure(format!(
                "file {} ({}): {} bytes extracted, the File table says {}",
                job.key,
                job.target.display(),
                file.written(),
                entry.size
            ));
            let msg = e.to_string();
            self.error = Some(e);
            return Err(io::Error::new(io::ErrorKind::InvalidData, msg));
        }
        match self.stage.close(file) {
            Ok(name) => {
                self.staged[i] = Some(name);
                self.done += 1;
                if !(self.progress)(self.done) {
                    self.error = Some(Error::UserExit);
                    return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
                }
                Ok(())
            }
            Err(e) => {
                let msg = e.to_string();
                self.error = Some(e);
                Err(io::Error::other(msg))
            }
        }
    }
}
