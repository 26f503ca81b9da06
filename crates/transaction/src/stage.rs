//! Staging: every change to the root is prepared aside, then applied as renames, and undone
//! completely if anything fails.
//!
//! An install that fails must leave the root exactly as it was: no payload, no state files,
//! no empty folders it created. So nothing is written to a target path while payload is
//! still being extracted. Files are first written into a private staging folder
//! (`staging-XXXXXX`, mode 0700) inside the caller's state folder (the engine's
//! `var/lib/rmsi/` or `Windows/Installer/rmsi/`), which lives on the root's file system so
//! that the final step is a `rename`. Only once every file was extracted and checked does
//! [`Transaction::apply_next`] walk the operations: create missing folders, move an existing
//! file aside into the staging folder (so it can be put back), rename the staged file into
//! place. If one operation fails, the ones before it are undone in reverse order and the
//! folders the install created are removed; [`Transaction::rollback`] removes the staging
//! folder and every state folder the install created.
//!
//! Every path is walked component by component from the root's open folder with
//! `O_NOFOLLOW`: a symbolic link already in the root (`opt -> /etc`) is never followed, and a
//! path through one fails with [`Error::OutsideRoot`]. A rename replaces a symlink at the
//! target name itself, never what it points at.
//!
//! Every change is written to the install [`journal`] before it is made, so
//! an install killed half-way (even with `SIGKILL`, in the middle of the renames) is rolled
//! back by the next run that takes the root lock; the in-process undo of a failed install
//! is the same rollback, read from the journal's records. No file is ever half-written at
//! its target name (write, then rename). No `fsync` per file: power-loss durability belongs
//! to the transactional journal of a later issue.
//!
//! Payload may be on another mount than the state folder (a separate `/opt`), where no
//! rename from the staging folder reaches. Each such mount gets a staging folder of its own
//! (`.rmsi-staging-XXXXXXXX`, mode 0700, at the outermost folder of that mount inside the
//! root), made at its first change and recorded in the journal and in the state folder's
//! staging (`volumes`) before it is made. A file for that mount is copied there (a copy cut
//! short is only ever in a staging folder), and only then recorded and renamed into place;
//! an original is moved aside there, and put back from there, by a rename. So every change
//! to a target is a rename on its own mount, as on the root's, and a run killed between a
//! copy and its rename leaves nothing half-written at any target. The clean-up after the
//! commit removes those folders before the state folder's staging folder that lists them.
//!
//! Files are installed mode 0644, or 0755 when their content starts like a Linux executable
//! (`#!` or the ELF magic): a Windows package carries no permission bits, and a custom action
//! of type 18 must be able to run the program the package installed.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use crate::confined::{
    check_relative, check_state_dir, copy_entry, entry_names, mount_of, random_u32, split_parent,
    walk, walk_with,
};
use crate::error::{Error, Result};
use crate::journal::{self, Journal, Record};
use crate::lock::RootLock;

mod tree;

/// One change to apply at commit.
#[derive(Debug)]
enum Op {
    /// Rename staged file `staged` to `target` (relative to the root).
    Place { staged: String, target: PathBuf },
    /// Create the folder `target` (and its parents).
    CreateDir { target: PathBuf },
    /// Remove the file `target` if it exists (moved aside, deleted when the stage is
    /// finished).
    Remove { target: PathBuf },
    /// Remove the folder `target` if it exists and is empty.
    RemoveDir { target: PathBuf },
    /// Rename the staged tree `tree` into place (see [`tree`]).
    PlaceTree { tree: usize },
}

/// An install's staging area and its list of changes. Dropping a stage that was not
/// [committed](Transaction::commit) discards it: staged files, backups and the state folders it
/// created are removed, and a commit in progress is undone.
pub struct Transaction<'r> {
    lock: &'r RootLock,
    /// State folders this stage created, outermost first (relative to the root).
    made_state: Vec<PathBuf>,
    /// The staging folder, relative to the root.
    dir_rel: PathBuf,
    dir: OwnedFd,
    /// The state folder, open.
    state: OwnedFd,
    next: u64,
    ops: Vec<Op>,
    /// Every change, recorded before it is made; undoing reads it back.
    journal: Journal,
    finished: bool,
    /// The folder of the last file placed, still open.
    last_dir: Option<OpenDir>,
    /// The mount the staging folder is on.
    mount: Mount,
    /// Staging folders on other mounts (number `i + 1` in the journal), made as files
    /// of those mounts are placed or moved aside.
    volumes: Vec<Volume>,
    /// Folders the install creates, built in the staging folder.
    trees: tree::Trees,
}

/// A mount, as [`mount_of`] tells it.
type Mount = (bool, u64);

/// A target folder kept open between placements into it.
struct OpenDir {
    /// Relative to the root.
    path: PathBuf,
    fd: OwnedFd,
    /// On another mount than the staging folder.
    foreign: bool,
}

/// A staging folder on another mount than the state folder (`.rmsi-staging-XXXXXXXX` at
/// the top of that mount inside the root): files placed on that mount are copied there
/// first, and its originals moved aside there, so that every change to it is a rename.
struct Volume {
    mount: Mount,
    fd: OwnedFd,
}

/// The staging folder as a writer thread sees it: it creates the files whose names the
/// [`Transaction`] reserved, and writes and closes them (the stage still removes everything in
/// the folder when the install fails). Its thread must be joined before the stage
/// commits.
pub struct StageDir {
    path: PathBuf,
    fd: OwnedFd,
}

impl StageDir {
    /// The staging folder's path (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the staged file `name`, reserved with [`Transaction::reserve_for`] or
    /// [`Transaction::reserve`] (its folder made by the reservation).
    pub fn create(&self, name: String) -> Result<StagedFile> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.fd, name.as_str(), flags, Mode::from_raw_mode(0o644))
            .map_err(|e| Error::io(self.path.join(&name), e.into()))?;
        Ok(StagedFile {
            name,
            file: File::from(fd),
            written: 0,
            head: Vec::new(),
        })
    }

    /// Closes a staged file and sets its final permissions.
    pub fn close(&self, staged: StagedFile) -> Result<String> {
        close_in(|| self.path.clone(), staged)
    }

    /// Gives `file` — an anonymous file (`O_TMPFILE`) holding a staged file's whole
    /// content — the staged name `name` (reserved as for [`StageDir::create`]), and the
    /// mode [`StageDir::close`] gives. A file on another file system than the staging
    /// folder, or a system without `/proc`, has its bytes copied into a new staged file
    /// instead.
    pub fn adopt(&self, name: String, mut file: File) -> Result<String> {
        use std::os::unix::fs::FileExt;
        let failed = |e: io::Error| Error::io(self.path.join(&name), e);
        if self.link(&name, &file).is_ok() {
            let mut head = [0u8; 4];
            let n = file.read_at(&mut head, 0).map_err(failed)?;
            set_mode(&file, &head[..n]).map_err(failed)?;
            return Ok(name);
        }
        io::Seek::seek(&mut file, io::SeekFrom::Start(0)).map_err(failed)?;
        let mut out = self.create(name.clone())?;
        io::copy(&mut file, &mut out).map_err(failed)?;
        self.close(out)
    }

    /// Gives the anonymous file (`O_TMPFILE`) `file` the staged name `name` (reserved as for
    /// [`StageDir::create`]) while its content may still be being written: whoever writes it
    /// sets its mode with [`set_mode`] when done. Linked through `/proc/self/fd` (`linkat`
    /// with `AT_EMPTY_PATH` needs a capability); fails for a file on another file system
    /// than the staging folder, or without `/proc`.
    pub fn link(&self, name: &str, file: &File) -> Result<()> {
        use std::os::fd::AsRawFd;
        let named = format!("/proc/self/fd/{}", file.as_raw_fd());
        rustix::fs::linkat(
            rustix::fs::CWD,
            named.as_str(),
            &self.fd,
            name,
            AtFlags::SYMLINK_FOLLOW,
        )
        .map_err(|e| Error::io(self.path.join(name), e.into()))
    }
}

/// Sets a staged file's mode from its first bytes, `head` (four are enough): 0755 for a
/// program (`#!` or the ELF magic), else left as created (0644).
pub fn set_mode(file: &File, head: &[u8]) -> io::Result<()> {
    if head.starts_with(b"#!") || head.starts_with(b"\x7fELF") {
        rustix::fs::fchmod(file, Mode::from_raw_mode(0o755))?;
    }
    Ok(())
}

fn close_in(dir_path: impl FnOnce() -> PathBuf, staged: StagedFile) -> Result<String> {
    // Created 0644 (the staging folder is 0700, so nobody else sees it meanwhile);
    // only programs need another mode.
    set_mode(&staged.file, &staged.head)
        .map_err(|e| Error::io(dir_path().join(&staged.name), e))?;
    Ok(staged.name)
}

/// A file being written into the staging folder.
pub struct StagedFile {
    /// Name inside the staging folder.
    pub name: String,
    file: File,
    written: u64,
    head: Vec<u8>,
}

impl StagedFile {
    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

impl Write for StagedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        if self.head.len() < 4 {
            let want = (4 - self.head.len()).min(n);
            self.head.extend_from_slice(&buf[..want]);
        }
        self.written += n as u64;
        Ok(n)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let n = self.file.write_vectored(bufs)?;
        let mut left = n;
        for buf in bufs {
            if self.head.len() >= 4 || left == 0 {
                break;
            }
            let taken = buf.len().min(left);
            let want = (4 - self.head.len()).min(taken);
            self.head.extend_from_slice(&buf[..want]);
            left -= taken;
        }
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Counts what the stage changed, for the log.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    /// Files renamed into place.
    pub placed: usize,
    /// Existing files that were replaced.
    pub replaced: usize,
    /// Existing files that were removed.
    pub removed: usize,
    /// Folders created.
    pub folders: usize,
}

impl<'r> Transaction<'r> {
    /// Creates the staging folder inside the state area `state` (a path relative to the
    /// root), creating the state area if needed.
    pub fn new(lock: &'r RootLock, state: &Path) -> Result<Transaction<'r>> {
        let (state_fd, made_state, chain) = make_state_area(lock, state)?;
        let abandon = |chain: &Option<NewChain>| {
            if let Some(chain) = chain {
                chain.discard();
            }
        };
        if let Err(e) = check_state_dir(&state_fd, &lock.root().join(state)) {
            abandon(&chain);
            return Err(e);
        }
        // Staging folders of an install that was killed: nobody else can be using them,
        // since this install holds the root's lock.
        journal::remove_stale_staging(lock, &state_fd);
        let mut tries = 0;
        let (dir_rel, dir) = loop {
            let name = format!("staging-{:08x}", random_u32());
            match rustix::fs::mkdirat(&state_fd, name.as_str(), Mode::from_raw_mode(0o700)) {
                Ok(()) => {}
                Err(Errno::EXIST) if tries < 16 => {
                    tries += 1;
                    continue;
                }
                Err(e) => {
                    abandon(&chain);
                    return Err(Error::io(lock.root().join(state).join(&name), e.into()));
                }
            }
            match rustix::fs::openat(
                &state_fd,
                name.as_str(),
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                Ok(fd) => break (state.join(&name), fd),
                Err(e) => {
                    let _ = rustix::fs::unlinkat(&state_fd, name.as_str(), AtFlags::REMOVEDIR);
                    abandon(&chain);
                    return Err(Error::io(lock.root().join(state).join(&name), e.into()));
                }
            }
        };
        let staging_name = dir_rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mount = match mount_of(&dir) {
            Ok(m) => m,
            Err(e) => {
                let _ = rustix::fs::unlinkat(&state_fd, staging_name.as_str(), AtFlags::REMOVEDIR);
                abandon(&chain);
                return Err(Error::io(lock.root().join(&dir_rel), e.into()));
            }
        };
        let journal = match Journal::create(
            &state_fd,
            &lock.root().join(state),
            &staging_name,
            &made_state,
        ) {
            Ok(j) => j,
            Err(e) => {
                let _ = rustix::fs::unlinkat(&state_fd, staging_name.as_str(), AtFlags::REMOVEDIR);
                abandon(&chain);
                return Err(e);
            }
        };
        // The new state folders appear at once, their journal inside: from now on the
        // journal's `M` records say what to remove.
        if let Some(chain) = &chain
            && let Err(e) = chain.publish()
        {
            chain.discard();
            return Err(e);
        }
        Ok(Transaction {
            lock,
            made_state,
            dir_rel,
            dir,
            state: state_fd,
            next: 0,
            ops: Vec::new(),
            journal,
            finished: false,
            last_dir: None,
            mount,
            volumes: Vec::new(),
            trees: tree::Trees::default(),
        })
    }

    /// The staging folder's full path (for messages and for temp files of custom actions).
    pub fn dir_path(&self) -> PathBuf {
        self.lock.root().join(&self.dir_rel)
    }

    fn fresh_name(&mut self, prefix: char) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    /// Creates a new empty file in the staging folder.
    pub fn create(&mut self) -> Result<StagedFile> {
        let name = self.fresh_name('f');
        let fd = rustix::fs::openat(
            &self.dir,
            name.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .map_err(|e| Error::io(self.dir_path().join(&name), e.into()))?;
        Ok(StagedFile {
            name,
            file: File::from(fd),
            written: 0,
            head: Vec::new(),
        })
    }

    /// Reserves the staged name of a file meant for `target` (relative to the root), for a
    /// writer to create with [`StageDir::create`]: a name in its folder's staged tree when
    /// that folder is one the install creates (a tree built whole in the staging folder
    /// and renamed into place at once), else a fresh name.
    pub fn reserve_for(&mut self, target: &Path) -> String {
        match self.tree_name(target) {
            // Taken already (two files for one target): the second goes the usual way.
            Some(name) if self.trees.take(&name) => name,
            _ => self.reserve(),
        }
    }

    /// Reserves a fresh staged name (see [`Transaction::reserve_for`]).
    pub fn reserve(&mut self) -> String {
        self.fresh_name('f')
    }

    /// The name a file at `target` has in its folder's open staged tree, opening the tree
    /// if its folder is missing.
    fn tree_name(&mut self, target: &Path) -> Option<String> {
        let (parent, name) = split_parent(self.lock.root(), target).ok()?;
        let (_, dir) = self.trees.folder(self.lock, &self.dir, parent)?;
        Some(format!("{dir}/{}", name.to_str()?))
    }

    /// Puts tree `i`'s operation in the list if it is not there yet.
    fn schedule_tree(&mut self, i: usize) {
        let t = self.trees.get_mut(i);
        if !t.scheduled {
            t.scheduled = true;
            self.ops.push(Op::PlaceTree { tree: i });
        }
    }

    /// Closes the staged trees: what is scheduled from now on is placed after them, one by
    /// one (before a deferred custom action, which may look at the root).
    pub fn seal(&mut self) {
        self.trees.close_all();
    }

    /// Closes a staged file and sets its final permissions.
    pub fn close(&mut self, staged: StagedFile) -> Result<String> {
        close_in(|| self.dir_path(), staged)
    }

    /// What a thread that creates, writes and closes staged files (named by
    /// [`Transaction::reserve_for`]) needs of the staging folder, while the stage stays with the
    /// caller, which alone reserves, journals, applies and commits or rolls back.
    pub fn writer_dir(&self) -> io::Result<StageDir> {
        Ok(StageDir {
            path: self.dir_path(),
            fd: self.dir.try_clone()?,
        })
    }

    /// Copies an already staged file into a new staged file (DuplicateFiles).
    pub fn duplicate(&mut self, staged: &str) -> Result<String> {
        let src = rustix::fs::openat(
            &self.dir,
            staged,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::io(self.dir_path().join(staged), e.into()))?;
        let mut src = File::from(src);
        let mut out = self.create()?;
        let name = out.name.clone();
        io::copy(&mut src, &mut out).map_err(|e| Error::io(self.dir_path().join(&name), e))?;
        self.close(out)
    }

    /// Copies a file from outside the root (an uncompressed source, a file an action names)
    /// into a new staged file; returns its name and size.
    pub fn copy_in(&mut self, reader: &mut dyn Read) -> Result<(String, u64)> {
        let mut out = self.create()?;
        let name = out.name.clone();
        io::copy(reader, &mut out).map_err(|e| Error::io(self.dir_path().join(&name), e))?;
        let size = out.written();
        Ok((self.close(out)?, size))
    }

    /// A new staged file holding `bytes` (written at once: [`Transaction::copy_in`] goes
    /// through `io::copy`'s 8 KiB pieces, a system call each); returns its name.
    pub fn write_in(&mut self, bytes: &[u8]) -> Result<String> {
        self.write_in_with(|out| out.write_all(bytes))
    }

    /// A new staged file that `write` fills (with vectored writes, say, of text held in
    /// pieces); returns its name.
    pub fn write_in_with(
        &mut self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<String> {
        let mut out = self.create()?;
        let name = out.name.clone();
        write(&mut out).map_err(|e| Error::io(self.dir_path().join(&name), e))?;
        self.close(out)
    }

    /// Schedules a staged file to be renamed to `target` (relative to the root); returns
    /// its staged name from now on (a file whose folder the install creates moves into
    /// that folder's staged tree).
    pub fn place(&mut self, staged: String, target: PathBuf) -> Result<String> {
        check_relative(self.lock.root(), &target)?;
        let mut staged = staged;
        if let Some(i) = self.trees.owner_of(&staged) {
            if self.trees.staged_name(&target).as_deref() == Some(staged.as_str()) {
                self.trees.get_mut(i).files += 1;
                self.schedule_tree(i);
                return Ok(staged);
            }
            // Its tree closed since it was created: a file of its own, placed in order.
            let flat = self.fresh_name('f');
            rustix::fs::renameat(&self.dir, staged.as_str(), &self.dir, flat.as_str())
                .map_err(|e| Error::io(self.dir_path().join(&staged), e.into()))?;
            staged = flat;
        }
        if let Some(name) = self.tree_name(&target)
            && rustix::fs::renameat_with(
                &self.dir,
                staged.as_str(),
                &self.dir,
                name.as_str(),
                RenameFlags::NOREPLACE,
            )
            .is_ok()
            && let Some(i) = self.trees.owner_of(&name)
        {
            self.trees.take(&name);
            self.trees.get_mut(i).files += 1;
            self.schedule_tree(i);
            return Ok(name);
        }
        self.ops.push(Op::Place {
            staged: staged.clone(),
            target,
        });
        Ok(staged)
    }

    /// Schedules a folder to be created.
    pub fn create_dir(&mut self, target: PathBuf) -> Result<()> {
        check_relative(self.lock.root(), &target)?;
        if let Some((i, _)) = self.trees.folder(self.lock, &self.dir, &target) {
            self.schedule_tree(i);
            return Ok(());
        }
        self.ops.push(Op::CreateDir { target });
        Ok(())
    }

    /// Schedules a file to be removed (if it exists when the stage commits).
    pub fn remove(&mut self, target: PathBuf) -> Result<()> {
        check_relative(self.lock.root(), &target)?;
        self.trees.close_around(&target);
        self.ops.push(Op::Remove { target });
        Ok(())
    }

    /// Schedules an empty folder to be removed (if it exists and is empty at commit).
    pub fn remove_dir(&mut self, target: PathBuf) -> Result<()> {
        check_relative(self.lock.root(), &target)?;
        self.trees.close_around(&target);
        self.ops.push(Op::RemoveDir { target });
        Ok(())
    }

    /// Number of scheduled changes.
    pub fn pending(&self) -> usize {
        self.ops.len()
    }

    /// Applies every scheduled change in order. On failure, undoes what was applied and
    /// returns the error: the root is as it was before.
    #[cfg(test)]
    pub(crate) fn apply_all(&mut self) -> Result<Summary> {
        self.apply_next(self.ops.len())
    }

    /// Applies the next `n` scheduled changes (the script interleaves them with deferred
    /// custom actions). On failure, undoes everything applied so far, earlier calls included.
    pub fn apply_next(&mut self, n: usize) -> Result<Summary> {
        let n = n.min(self.ops.len());
        let mut ops: Vec<Option<Op>> = self.ops.drain(..n).map(Some).collect();
        let mut summary = Summary::default();
        // Ops before this index had their journal records written ahead, in one write per
        // run of placements into one folder: a record whose change is not made yet undoes
        // nothing (the staged file is still staged), so announcing early is as safe, and
        // it saves a write per file.
        let mut announced = 0;
        for i in 0..ops.len() {
            let r = if i >= announced && matches!(ops[i], Some(Op::Place { .. })) {
                self.announce(&ops, i, &mut summary)
                    .map(|end| announced = end)
            } else {
                Ok(())
            };
            let r = r.and_then(|()| match ops[i].take() {
                Some(op) => self.apply(op, &mut summary, i < announced),
                None => Ok(()),
            });
            if let Err(e) = r {
                // What cannot be undone here is tried again by the rollback that follows.
                self.undo();
                return Err(e);
            }
        }
        Ok(summary)
    }

    /// Opens the folder of the placement `ops[i]` (its new folders recorded first) and
    /// writes the records of it and of the placements into the same folder that follow, in
    /// one write; returns the index after the last one announced.
    fn announce(&mut self, ops: &[Option<Op>], i: usize, summary: &mut Summary) -> Result<usize> {
        let Some(Op::Place { target, .. }) = &ops[i] else {
            return Ok(i);
        };
        let (parent, _) = split_parent(self.lock.root(), target)?;
        let (dir, foreign) = self.folder(parent, summary)?;
        self.last_dir = Some(OpenDir {
            path: parent.to_path_buf(),
            fd: dir,
            foreign,
        });
        // Another mount: each file is first copied into that mount's staging folder, and
        // its record written after that (see `place_in`).
        if foreign {
            return Ok(i);
        }
        let mut records = Vec::new();
        for op in ops[i..].iter().take(1024) {
            match op {
                Some(Op::Place { staged, target }) if target.parent() == Some(parent) => {
                    records.push(Record::Place {
                        at: 0,
                        target: target.clone(),
                        staged: staged.clone(),
                        backup: None,
                    });
                }
                _ => break,
            }
        }
        let end = i + records.len();
        self.journal.announce(records)?;
        Ok(end)
    }

    fn apply(&mut self, op: Op, summary: &mut Summary, announced: bool) -> Result<()> {
        let root = self.lock.root().to_path_buf();
        match op {
            Op::CreateDir { target } => self.open_dir(&target, summary).map(|_| ()),
            Op::PlaceTree { tree } => self.place_tree(tree, summary),
            Op::Place { staged, target } => {
                let (parent, name) = split_parent(&root, &target)?;
                // Files of one folder come in a row: keep the last folder open instead of
                // walking from the root for each (the open descriptor was reached without
                // following a symlink, so it stays inside the root).
                let (dir, foreign) = self.folder(parent, summary)?;
                let result =
                    self.place_in(&dir, name, &staged, &target, summary, announced, foreign);
                self.last_dir = Some(OpenDir {
                    path: parent.to_path_buf(),
                    fd: dir,
                    foreign,
                });
                result
            }
            Op::Remove { target } => {
                self.last_dir = None;
                let (parent, name) = split_parent(&root, &target)?;
                let dir = match walk(self.lock, parent, false, None, Mode::empty()) {
                    Ok(d) => d,
                    Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                };
                match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st)
                        if rustix::fs::FileType::from_raw_mode(st.st_mode)
                            != rustix::fs::FileType::Directory =>
                    {
                        // Moved aside into the staging folder of its own mount.
                        let at = if self.is_foreign(&dir, parent)? {
                            self.volume_for(&dir, parent)?
                        } else {
                            0
                        };
                        let backup = self.fresh_name('b');
                        self.journal.append(Record::Remove {
                            at,
                            target: target.clone(),
                            backup: backup.clone(),
                        })?;
                        rustix::fs::renameat(&dir, name, self.staging_at(at), backup.as_str())
                            .map_err(|e| Error::io(root.join(&target), e.into()))?;
                        summary.removed += 1;
                        Ok(())
                    }
                    Ok(_) | Err(Errno::NOENT) => Ok(()),
                    Err(e) => Err(Error::io(root.join(&target), e.into())),
                }
            }
            Op::RemoveDir { target } => {
                self.last_dir = None;
                let (parent, name) = split_parent(&root, &target)?;
                let Ok(dir) = walk(self.lock, parent, false, None, Mode::empty()) else {
                    return Ok(());
                };
                // Not there, not a folder: left alone, as Windows does.
                let Ok(st) = rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) else {
                    return Ok(());
                };
                if rustix::fs::FileType::from_raw_mode(st.st_mode)
                    != rustix::fs::FileType::Directory
                {
                    return Ok(());
                }
                self.journal.append(Record::RemoveDir {
                    target: target.clone(),
                    mode: st.st_mode & 0o7777,
                })?;
                // Not empty: left alone too (the record's undo then finds it there).
                let _ = rustix::fs::unlinkat(&dir, name, AtFlags::REMOVEDIR);
                Ok(())
            }
        }
    }

    /// Renames a staged file to `name` in the open folder `dir`, moving an existing file
    /// aside first. A folder on another mount (`foreign`) gets the file copied into that
    /// mount's staging folder first, so that placing it is a rename there too.
    #[allow(clippy::too_many_arguments)]
    fn place_in(
        &mut self,
        dir: &OwnedFd,
        name: &OsStr,
        staged: &str,
        target: &Path,
        summary: &mut Summary,
        announced: bool,
        foreign: bool,
    ) -> Result<()> {
        let root = self.lock.root().to_path_buf();
        let at = if foreign {
            let parent = target.parent().unwrap_or(Path::new(""));
            let at = self.volume_for(dir, parent)?;
            self.carry(staged, at, &root.join(target))?;
            at
        } else {
            0
        };
        // Announced records are of the state folder's staging (`announce` skips the
        // folders of other mounts).
        if announced && at == 0 {
            self.journal.begin();
        } else {
            self.journal.append(Record::Place {
                at,
                target: target.to_path_buf(),
                staged: staged.to_string(),
                backup: None,
            })?;
        }
        // The common case, a new file: one rename that refuses to replace anything.
        match rustix::fs::renameat_with(
            self.staging_at(at),
            staged,
            dir,
            name,
            RenameFlags::NOREPLACE,
        ) {
            Ok(()) => {
                summary.placed += 1;
                return Ok(());
            }
            // Something is there (handled below), or the file system cannot say so.
            Err(Errno::EXIST | Errno::INVAL | Errno::NOSYS) => {}
            Err(e) => return Err(Error::io(root.join(target), e.into())),
        }
        let backup = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => {
                if rustix::fs::FileType::from_raw_mode(st.st_mode)
                    == rustix::fs::FileType::Directory
                {
                    return Err(Error::FolderInTheWay {
                        path: root.join(target),
                    });
                }
                let backup = self.fresh_name('b');
                self.journal.append(Record::Place {
                    at,
                    target: target.to_path_buf(),
                    staged: staged.to_string(),
                    backup: Some(backup.clone()),
                })?;
                rustix::fs::renameat(dir, name, self.staging_at(at), backup.as_str())
                    .map_err(|e| Error::io(root.join(target), e.into()))?;
                summary.replaced += 1;
                Some(backup)
            }
            Err(Errno::NOENT) => None,
            Err(e) => return Err(Error::io(root.join(target), e.into())),
        };
        if let Err(e) = rustix::fs::renameat(self.staging_at(at), staged, dir, name) {
            if let Some(b) = &backup {
                let _ = rustix::fs::renameat(self.staging_at(at), b.as_str(), dir, name);
            }
            return Err(Error::io(root.join(target), e.into()));
        }
        summary.placed += 1;
        Ok(())
    }

    /// The staging folder `at` (0: the state folder's, else a [`Volume`]).
    fn staging_at(&self, at: u32) -> &OwnedFd {
        match at.checked_sub(1).and_then(|i| self.volumes.get(i as usize)) {
            Some(v) => &v.fd,
            None => &self.dir,
        }
    }

    /// The open folder `parent` (created if missing), and whether it is on another mount
    /// than the staging folder.
    fn folder(&mut self, parent: &Path, summary: &mut Summary) -> Result<(OwnedFd, bool)> {
        match self.last_dir.take() {
            Some(d) if d.path == parent => Ok((d.fd, d.foreign)),
            _ => {
                let fd = self.open_dir(parent, summary)?;
                let foreign = self.is_foreign(&fd, parent)?;
                Ok((fd, foreign))
            }
        }
    }

    /// Whether the open folder `dir` (at `rel`) is on another mount than the staging folder.
    fn is_foreign(&self, dir: &OwnedFd, rel: &Path) -> Result<bool> {
        let mount = mount_of(dir).map_err(|e| Error::io(self.lock.root().join(rel), e.into()))?;
        Ok(mount != self.mount)
    }

    /// The number of the staging folder on the mount of the open folder `dir` (at
    /// `rel`), making it when it is the first change to that mount: at the outermost
    /// folder on the way to `rel` that is on that mount (the mount's top, or the root),
    /// recorded in the journal and in the staging folder's `volumes` list first.
    fn volume_for(&mut self, dir: &OwnedFd, rel: &Path) -> Result<u32> {
        let root = self.lock.root().to_path_buf();
        let io = |e: Errno| Error::io(root.join(rel), e.into());
        let mount = mount_of(dir).map_err(io)?;
        if let Some(i) = self.volumes.iter().position(|v| v.mount == mount) {
            return Ok(i as u32 + 1);
        }
        let comps: Vec<&OsStr> = rel.iter().collect();
        let mut top = None;
        for k in 0..=comps.len() {
            let at: PathBuf = comps[..k].iter().collect();
            let fd = walk(self.lock, &at, false, None, Mode::empty())?;
            if mount_of(&fd).map_err(io)? == mount {
                top = Some((at, fd));
                break;
            }
        }
        // `rel` is on that mount: the walk finds it there at the latest.
        let Some((top, top_fd)) = top else {
            return Err(io(Errno::XDEV));
        };
        let at = self.volumes.len() as u32 + 1;
        let mut tries = 0;
        let path = loop {
            let path = top.join(format!("{}{:08x}", journal::VOLUME_PREFIX, random_u32()));
            self.list_volume(&path)?;
            self.journal.append(Record::Volume {
                at,
                path: path.clone(),
            })?;
            let Some(name) = path.file_name() else {
                return Err(io(Errno::INVAL));
            };
            match rustix::fs::mkdirat(&top_fd, name, Mode::from_raw_mode(0o700)) {
                Ok(()) => break path,
                Err(Errno::EXIST) if tries < 16 => tries += 1,
                Err(e) => return Err(Error::io(root.join(&path), e.into())),
            }
        };
        let fd = rustix::fs::openat(
            &top_fd,
            path.file_name().unwrap_or_default(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::io(root.join(&path), e.into()))?;
        // The folder just made, not one put in its place by whoever else may write to the
        // mount's top folder.
        check_state_dir(&fd, &root.join(&path))?;
        // 0700 whatever the umask: originals moved aside are nobody else's business.
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o700))
            .map_err(|e| Error::io(root.join(&path), e.into()))?;
        self.volumes.push(Volume { mount, fd });
        Ok(at)
    }

    /// Adds `path` to the staging folder's `volumes` list (read by the clean-up of a run
    /// whose journal is gone).
    fn list_volume(&self, path: &Path) -> Result<()> {
        let list = self.dir_path().join(journal::VOLUMES);
        let fd = rustix::fs::openat(
            &self.dir,
            journal::VOLUMES,
            OFlags::WRONLY | OFlags::CREATE | OFlags::APPEND | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| Error::io(&list, e.into()))?;
        let line = format!("{}\n", journal::hex(path.as_os_str().as_bytes()));
        File::from(fd)
            .write_all(line.as_bytes())
            .map_err(|e| Error::io(&list, e))
    }

    /// Copies the staged file `staged` into the staging folder `at` under the same name
    /// (contents, mode and times), then removes it from the state folder's. A copy cut
    /// short is only ever in a staging folder: no record names it yet.
    fn carry(&mut self, staged: &str, at: u32, target: &Path) -> Result<()> {
        let io = |e: Errno| Error::io(target, e.into());
        let st = rustix::fs::statat(&self.dir, staged, AtFlags::SYMLINK_NOFOLLOW).map_err(io)?;
        let to = self.staging_at(at);
        if let Err(e) = copy_entry(&self.dir, OsStr::new(staged), &st, to, staged) {
            let _ = rustix::fs::unlinkat(to, staged, AtFlags::empty());
            return Err(io(e));
        }
        let _ = rustix::fs::unlinkat(&self.dir, staged, AtFlags::empty());
        Ok(())
    }

    /// Renames staged tree `i` into place; when its folder exists by now (or is on another
    /// mount), places its contents one by one instead.
    fn place_tree(&mut self, i: usize, summary: &mut Summary) -> Result<()> {
        self.last_dir = None;
        let (target, staged) = {
            let t = self.trees.get(i);
            (t.target.clone(), t.staged.clone())
        };
        let root = self.lock.root().to_path_buf();
        let (parent, name) = split_parent(&root, &target)?;
        let dir = self.open_dir(parent, summary)?;
        // Another mount: no rename reaches it from here; its files go one by one through
        // that mount's staging folder.
        if self.is_foreign(&dir, parent)? {
            return self.expand_tree(&staged, &target, summary);
        }
        self.journal.append(Record::PlaceTree {
            target: target.clone(),
            staged: staged.clone(),
        })?;
        match rustix::fs::renameat_with(
            &self.dir,
            staged.as_str(),
            &dir,
            name,
            RenameFlags::NOREPLACE,
        ) {
            Ok(()) => {
                let t = self.trees.get(i);
                summary.placed += t.files;
                summary.folders += t.folders;
                Ok(())
            }
            Err(Errno::EXIST | Errno::INVAL | Errno::NOSYS | Errno::XDEV | Errno::NOTEMPTY) => {
                self.expand_tree(&staged, &target, summary)
            }
            Err(e) => Err(Error::io(root.join(&target), e.into())),
        }
    }

    /// Places a staged tree's folders and files one at a time, as if each had been
    /// scheduled alone. The tree's own folder stays in the staging folder (empty), so its
    /// journal record undoes nothing.
    fn expand_tree(&mut self, staged: &str, target: &Path, summary: &mut Summary) -> Result<()> {
        let mut pending = vec![PathBuf::new()];
        while let Some(rel) = pending.pop() {
            let here = target.join(&rel);
            self.apply(
                Op::CreateDir {
                    target: here.clone(),
                },
                summary,
                false,
            )?;
            let from = Path::new(staged).join(&rel);
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&self.dir, &from, flags, Mode::empty())
                .map_err(|e| Error::io(self.dir_path().join(&from), e.into()))?;
            let mut names = entry_names(&fd);
            names.sort();
            for name in names {
                let name = OsStr::from_bytes(&name);
                let st = rustix::fs::statat(&fd, name, AtFlags::SYMLINK_NOFOLLOW)
                    .map_err(|e| Error::io(self.dir_path().join(&from).join(name), e.into()))?;
                if rustix::fs::FileType::from_raw_mode(st.st_mode)
                    == rustix::fs::FileType::Directory
                {
                    pending.push(rel.join(name));
                    continue;
                }
                let flat = self.fresh_name('f');
                rustix::fs::renameat(&fd, name, &self.dir, flat.as_str())
                    .map_err(|e| Error::io(self.dir_path().join(&from).join(name), e.into()))?;
                self.apply(
                    Op::Place {
                        staged: flat,
                        target: here.join(name),
                    },
                    summary,
                    false,
                )?;
            }
        }
        Ok(())
    }

    /// Undoes every applied change, newest first, from the journal's records (the same
    /// rollback the next run does after a crash); returns how many steps could not put
    /// back what the staging folder holds (the journal must then stay).
    fn undo(&mut self) -> usize {
        self.last_dir = None;
        journal::roll_back(self.lock, &self.state, &self.dir, self.journal.records())
    }

    /// Opens (creating what is missing) the folder `rel`, each folder recorded in the
    /// journal before it is made.
    fn open_dir(&mut self, rel: &Path, summary: &mut Summary) -> Result<OwnedFd> {
        let journal = &mut self.journal;
        let mut made = 0;
        let fd = walk_with(self.lock, rel, Mode::from_raw_mode(0o755), &mut |p| {
            made += 1;
            journal.append(Record::MadeDir(p.to_path_buf()))
        });
        summary.folders += made;
        fd
    }

    /// Called right before the caller's state files ([`crate::StateFiles`]) are written: a
    /// copy of the database as it is (or the fact that there is none) and a hard link to
    /// each file of the cache folder go into the staging folder, recorded in the journal,
    /// so that a crash between the state write and the commit is rolled back too.
    pub fn before_state_write(&mut self) -> Result<()> {
        let names = self.lock.state();
        let (db, cache_dir) = (names.database.as_str(), names.cache.as_str());
        let path = self.lock.root().join(&self.dir_rel).with_file_name(db);
        let backup = match rustix::fs::openat(
            &self.state,
            db,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => {
                let mut out = self.create()?;
                let name = out.name.clone();
                // The copy keeps the database's mode (0600): a rollback renames it back.
                let mode = rustix::fs::fstat(&fd)
                    .map_err(|e| Error::io(&path, e.into()))?
                    .st_mode
                    & 0o7777;
                io::copy(&mut File::from(fd), &mut out).map_err(|e| Error::io(&path, e))?;
                rustix::fs::fchmod(&out.file, Mode::from_raw_mode(mode))
                    .map_err(|e| Error::io(&path, e.into()))?;
                Some(name)
            }
            Err(Errno::NOENT) => None,
            Err(e) => return Err(Error::io(&path, e.into())),
        };
        // The cache: each file there is kept as a hard link (the caller replaces a file by
        // renaming a new one over it, which leaves the link's file alone).
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let (cache, names) = match rustix::fs::openat(&self.state, cache_dir, flags, Mode::empty())
        {
            Ok(dir) => {
                let names: Vec<String> = rustix::fs::Dir::read_from(&dir)
                    .map(|d| {
                        d.filter_map(|e| e.ok())
                            .filter(|e| e.file_type() == rustix::fs::FileType::RegularFile)
                            .filter_map(|e| e.file_name().to_str().ok().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                (Some(dir), names)
            }
            Err(Errno::NOENT) => (None, Vec::new()),
            Err(e) => return Err(Error::io(path.with_file_name(cache_dir), e.into())),
        };
        let mut cached = Vec::new();
        if let Some(dir) = &cache {
            for name in names {
                let b = self.fresh_name('g');
                rustix::fs::linkat(dir, name.as_str(), &self.dir, b.as_str(), AtFlags::empty())
                    .map_err(|e| Error::io(path.with_file_name(&name), e.into()))?;
                cached.push((name, b));
            }
        }
        self.journal.append(Record::State {
            backup,
            cache: cache.is_some(),
            cached,
        })
    }

    /// Commits: removes the journal — the commit point —, then the staging folder (with
    /// the moved-aside files) and the state folders this transaction created, if they are
    /// empty. When the journal cannot be removed the changes are not kept: they are
    /// undone, and the error says so ([`Error::CommitFailed`]; [`Error::RollbackIncomplete`]
    /// when undoing them could not finish either, the journal then kept for the next run).
    pub fn commit(mut self) -> Result<()> {
        self.finished = true;
        self.last_dir = None;
        // The commit is the last change the crash tests can kill a run before.
        self.journal.begin();
        let journal = self.state_path().join(journal::JOURNAL);
        match rustix::fs::unlinkat(&self.state, journal::JOURNAL, AtFlags::empty()) {
            Ok(()) => {
                self.remove_staging();
                Ok(())
            }
            Err(e) => {
                let rolled_back = self.finish_rollback();
                let committed = Error::CommitFailed {
                    journal,
                    source: e.into(),
                };
                match rolled_back {
                    Err(incomplete @ Error::RollbackIncomplete { .. }) => Err(incomplete),
                    _ => Err(committed),
                }
            }
        }
    }

    /// Forgets every change: undoes the applied ones and removes everything the stage
    /// created. A rollback that cannot put everything back keeps the journal and the
    /// staging folder, so that the next run on the root tries again
    /// ([`Error::RollbackIncomplete`]).
    pub fn rollback(mut self) -> Result<()> {
        self.finished = true;
        self.finish_rollback()
    }

    /// The state folder's path (for messages).
    fn state_path(&self) -> PathBuf {
        match self.dir_rel.parent() {
            Some(p) => self.lock.root().join(p),
            None => self.lock.root().to_path_buf(),
        }
    }

    /// Undoes every change, then removes the journal and the staging folder — unless
    /// something could not be put back, or the journal cannot be removed: both then stay.
    fn finish_rollback(&mut self) -> Result<()> {
        let failed = self.undo();
        let journal = self.state_path().join(journal::JOURNAL);
        if failed > 0 {
            return Err(Error::RollbackIncomplete {
                journal,
                staging: self.dir_path(),
                failed,
            });
        }
        match rustix::fs::unlinkat(&self.state, journal::JOURNAL, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {
                self.remove_staging();
                Ok(())
            }
            // The rollback is complete, but while the journal is there the staging folder
            // it names stays with it (the next run finds both and finishes).
            Err(e) => Err(Error::io(journal, e.into())),
        }
    }

    /// After the journal is gone: the staging folder and the state folders this
    /// transaction created (each if empty).
    fn remove_staging(&mut self) {
        // The staging folders on other mounts first (the state folder's lists them).
        self.volumes.clear();
        if let Some(name) = self.dir_rel.file_name() {
            journal::remove_staging_folder(self.lock, &self.state, name);
        }
        remove_made_dirs(self.lock, &self.made_state);
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // Dropped without a decision: rolled back. What cannot be put back stays with
            // its journal for the next run (the caller had no use for the error).
            let _ = self.finish_rollback();
        }
    }
}

/// State folders being created: built under a hidden name (`.rmsi-new-XXXXXXXX`) in the
/// deepest folder that exists, with the staging folder and the journal inside, then renamed
/// to their name at once. Killed before that rename, a run leaves only the hidden folder,
/// which the next run removes ([`journal::remove_unpublished`]); after it, the journal
/// inside says which folders were made. So no state folder is ever left behind unrecorded.
struct NewChain {
    /// The existing folder the chain is created in.
    parent: OwnedFd,
    /// Its hidden name there until it is published.
    tmp: String,
    /// Its name once published.
    name: std::ffi::OsString,
    /// Its final path, for messages.
    path: PathBuf,
}

impl NewChain {
    /// Renames the chain to its name (never over something that appeared meanwhile).
    fn publish(&self) -> Result<()> {
        rustix::fs::renameat_with(
            &self.parent,
            self.tmp.as_str(),
            &self.parent,
            self.name.as_os_str(),
            RenameFlags::NOREPLACE,
        )
        .map_err(|e| Error::io(&self.path, e.into()))
    }

    /// Removes the chain (under its hidden name) and what it holds.
    fn discard(&self) {
        journal::remove_hidden_tree(&self.parent, OsStr::new(&self.tmp));
    }
}

/// Opens the state area `state`, creating what is missing as a [`NewChain`] (folders
/// leading to it 0755, itself 0700, whatever the umask). Returns the open state area, the
/// folders made (relative, outermost first) and the chain to publish, if any.
fn make_state_area(
    lock: &RootLock,
    state: &Path,
) -> Result<(OwnedFd, Vec<PathBuf>, Option<NewChain>)> {
    check_relative(lock.root(), state)?;
    let comps: Vec<&OsStr> = state
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    let prefix = |k: usize| -> PathBuf { comps[..k].iter().collect() };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut cur = walk(lock, Path::new(""), false, None, Mode::empty())?;
    let mut k = 0;
    while k < comps.len() {
        match rustix::fs::openat(&cur, comps[k], flags, Mode::empty()) {
            Ok(fd) => {
                cur = fd;
                k += 1;
            }
            Err(Errno::NOENT) => break,
            // A symlink or a file on the way: the confined walk says which.
            Err(e) => {
                return Err(walk(lock, &prefix(k + 1), false, None, Mode::empty())
                    .err()
                    .unwrap_or_else(|| Error::io(lock.root().join(prefix(k + 1)), e.into())));
            }
        }
    }
    if k == comps.len() {
        return Ok((cur, Vec::new(), None));
    }
    let mode = |j: usize| Mode::from_raw_mode(if j + 1 == comps.len() { 0o700 } else { 0o755 });
    let tmp = format!(".rmsi-new-{:08x}", random_u32());
    rustix::fs::mkdirat(&cur, tmp.as_str(), mode(k))
        .map_err(|e| Error::io(lock.root().join(prefix(k)).join(&tmp), e.into()))?;
    let chain = NewChain {
        parent: cur,
        tmp,
        name: comps[k].to_os_string(),
        path: lock.root().join(prefix(k + 1)),
    };
    let built = (|| -> Result<OwnedFd> {
        let io = |e: Errno| Error::io(&chain.path, e.into());
        let mut fd = rustix::fs::openat(&chain.parent, chain.tmp.as_str(), flags, Mode::empty())
            .map_err(io)?;
        for (j, name) in comps.iter().enumerate().skip(k + 1) {
            rustix::fs::mkdirat(&fd, *name, mode(j)).map_err(io)?;
            fd = rustix::fs::openat(&fd, *name, flags, Mode::empty()).map_err(io)?;
        }
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(0o700)).map_err(io)?;
        Ok(fd)
    })();
    match built {
        Ok(fd) => {
            let made = (k..comps.len()).map(|j| prefix(j + 1)).collect();
            Ok((fd, made, Some(chain)))
        }
        Err(e) => {
            chain.discard();
            Err(e)
        }
    }
}

/// Removes the folders in `made` (outermost first) if they are empty, innermost first.
fn remove_made_dirs(lock: &RootLock, made: &[PathBuf]) {
    for target in made.iter().rev() {
        if let Ok((parent, name)) = split_parent(lock.root(), target)
            && let Ok(dir) = walk(lock, parent, false, None, Mode::empty())
        {
            let _ = rustix::fs::unlinkat(&dir, name, AtFlags::REMOVEDIR);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StateFiles;
    use std::os::unix::fs::PermissionsExt;

    /// The engine's names, as a caller gives them.
    fn state_files() -> StateFiles {
        StateFiles {
            companions: vec!["products.db-journal".into()],
            ..StateFiles::new(
                ["var/lib/rmsi", "Windows/Installer/rmsi"],
                "products.db",
                "packages",
            )
        }
    }

    fn listing(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        fn rec(base: &Path, dir: &Path, out: &mut Vec<String>) {
            for e in fs_err::read_dir(dir).expect("read_dir") {
                let e = e.expect("entry");
                let p = e.path();
                let rel = p.strip_prefix(base).expect("prefix").display().to_string();
                let ft = e.file_type().expect("type");
                if ft.is_dir() {
                    out.push(format!("{rel}/"));
                    rec(base, &p, out);
                } else {
                    out.push(rel);
                }
            }
        }
        rec(root, root, &mut out);
        out.sort();
        out
    }

    fn stage_text(stage: &mut Transaction<'_>, text: &str) -> String {
        let mut f = stage.create().expect("create");
        f.write_all(text.as_bytes()).expect("write");
        stage.close(f).expect("close")
    }

    #[test]
    fn commit_places_files_and_finish_leaves_only_them() {
        let root = tempfile::tempdir().expect("root");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "hello");
        let b = stage_text(&mut stage, "#!/bin/sh\necho hi\n");
        stage.place(a, "opt/App/a.txt".into()).expect("place");
        stage.place(b, "opt/App/bin/run".into()).expect("place");
        stage.create_dir("opt/App/empty".into()).expect("dir");
        let sum = stage.apply_all().expect("commit");
        assert_eq!(sum.placed, 2);
        stage.commit().expect("commit");
        assert_eq!(
            listing(root.path()),
            [
                "opt/",
                "opt/App/",
                "opt/App/a.txt",
                "opt/App/bin/",
                "opt/App/bin/run",
                "opt/App/empty/"
            ]
        );
        let run = root.path().join("opt/App/bin/run");
        assert_eq!(
            fs_err::metadata(&run).expect("meta").permissions().mode() & 0o777,
            0o755
        );
        let txt = root.path().join("opt/App/a.txt");
        assert_eq!(
            fs_err::metadata(&txt).expect("meta").permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(fs_err::read_to_string(txt).expect("read"), "hello");
    }

    /// Files go through a trusted link into the folder it names (a Wine prefix's Desktop,
    /// linked to the user's own), and a rollback takes them out again; a link to a folder
    /// outside the one it must be in, or to a folder others may write, is refused before
    /// anything is written there, and any other link is still never followed.
    #[test]
    fn trusted_links_are_walked_through_and_nothing_else() {
        use crate::TrustedLink;
        let root = tempfile::tempdir().expect("root");
        let home = tempfile::tempdir().expect("home");
        let desktop = home.path().join("Desktop");
        fs_err::create_dir(&desktop).expect("mkdir");
        fs_err::set_permissions(&desktop, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let users = root.path().join("drive_c/users/me");
        fs_err::create_dir_all(&users).expect("mkdir");
        fs_err::os::unix::fs::symlink(&desktop, users.join("Desktop")).expect("link");
        fs_err::os::unix::fs::symlink(&desktop, users.join("Music")).expect("link");
        let within = fs_err::canonicalize(home.path()).expect("canonical");
        let trusted = |rel: &str| TrustedLink {
            rel: rel.into(),
            within: within.clone(),
        };
        let links = vec![trusted("drive_c/users/me/Desktop")];
        {
            let lock = RootLock::acquire_trusting(root.path(), state_files(), links.clone())
                .expect("lock");
            let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
            let a = stage_text(&mut stage, "shortcut");
            stage
                .place(a, "drive_c/users/me/Desktop/App.lnk".into())
                .expect("place");
            stage.apply_all().expect("apply");
            assert!(desktop.join("App.lnk").is_file());
            // Not trusted: never followed.
            let b = stage_text(&mut stage, "x");
            stage
                .place(b, "drive_c/users/me/Music/x".into())
                .expect("place");
            let err = stage.apply_all().expect_err("untrusted link");
            assert!(matches!(err, Error::OutsideRoot { .. }), "{err}");
            stage.rollback().expect("rollback");
        }
        assert!(!desktop.join("App.lnk").exists(), "rolled back");
        assert!(!desktop.join("x").exists());
        // Placing the shortcut under `links` must fail: the error.
        let refused = |links: Vec<TrustedLink>| {
            let lock = RootLock::acquire_trusting(root.path(), state_files(), links).expect("lock");
            let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
            let a = stage_text(&mut stage, "shortcut");
            stage
                .place(a, "drive_c/users/me/Desktop/App.lnk".into())
                .expect("place");
            let err = stage.apply_all().expect_err("refused");
            stage.rollback().expect("rollback");
            err
        };
        // The same link, trusted only inside another folder: refused, nothing written.
        let elsewhere = tempfile::tempdir().expect("elsewhere");
        let err = refused(vec![TrustedLink {
            rel: "drive_c/users/me/Desktop".into(),
            within: fs_err::canonicalize(elsewhere.path()).expect("canonical"),
        }]);
        assert!(matches!(err, Error::LinkRefused { .. }), "{err}");
        // A folder others may write: refused too.
        fs_err::set_permissions(&desktop, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let err = refused(links);
        assert!(
            err.to_string().contains("may be written by others"),
            "{err}"
        );
        assert_eq!(fs_err::read_dir(&desktop).expect("list").count(), 0);
    }

    /// Lines of the journal naming a record kind (`T`: staged trees, `F`: files).
    fn journal_records(root: &Path, kind: &str) -> usize {
        fs_err::read_to_string(root.join("var/lib/rmsi/journal"))
            .expect("journal")
            .lines()
            .filter(|l| l.starts_with(&format!("{kind} ")))
            .count()
    }

    #[test]
    fn a_new_folder_is_placed_whole_with_one_record() {
        let root = tempfile::tempdir().expect("root");
        fs_err::create_dir_all(root.path().join("opt")).expect("mkdir");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        stage.create_dir("opt/App/empty".into()).expect("dir");
        for i in 0..20 {
            let target = PathBuf::from(format!("opt/App/d{}/f{i}", i % 3));
            let name = stage.reserve_for(&target);
            assert!(name.starts_with("t1/"), "{name}");
            let mut f = stage
                .writer_dir()
                .expect("dir")
                .create(name)
                .expect("create");
            f.write_all(format!("{i}").as_bytes()).expect("write");
            let name = stage.close(f).expect("close");
            stage.place(name, target).expect("place");
        }
        // The folder's one operation, and nothing to rename per file.
        assert_eq!(stage.pending(), 1);
        let sum = stage.apply_all().expect("commit");
        assert_eq!((sum.placed, sum.folders), (20, 5));
        assert_eq!(journal_records(root.path(), "T"), 1);
        assert_eq!(journal_records(root.path(), "F"), 0);
        stage.commit().expect("commit");
        let all = listing(root.path());
        assert_eq!(all.iter().filter(|p| !p.ends_with('/')).count(), 20);
        assert!(all.contains(&"opt/App/empty/".to_string()));
        assert_eq!(
            fs_err::read_to_string(root.path().join("opt/App/d1/f7")).expect("read"),
            "7"
        );
        assert_eq!(
            fs_err::metadata(root.path().join("opt/App"))
                .expect("meta")
                .permissions()
                .mode()
                & 0o022,
            fs_err::metadata(root.path().join("opt"))
                .expect("meta")
                .permissions()
                .mode()
                & 0o022,
            "a placed folder has the mode of one created in place"
        );
    }

    /// An anonymous file written in the root is given its staged name rather than copied
    /// (the same inode ends at its target), a program made executable as a written one is;
    /// one from another file system is copied.
    #[test]
    fn an_anonymous_file_is_adopted_by_its_staged_name() {
        use std::os::unix::fs::MetadataExt;
        let root = tempfile::tempdir().expect("root");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let anonymous = |dir: &Path, text: &str| {
            let fd = rustix::fs::open(
                dir,
                OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o644),
            )
            .expect("O_TMPFILE");
            let mut file = File::from(fd);
            file.write_all(text.as_bytes()).expect("write");
            file
        };
        let file = anonymous(root.path(), "#!/bin/sh\necho hi\n");
        let ino = file.metadata().expect("meta").ino();
        let target = PathBuf::from("opt/App/run.sh");
        let name = stage.reserve_for(&target);
        let name = stage
            .writer_dir()
            .expect("dir")
            .adopt(name, file)
            .expect("adopt");
        stage.place(name, target.clone()).expect("place");
        // From /dev/shm (tmpfs), where the staging folder's file system is another.
        let other = Path::new("/dev/shm");
        let dev = |p: &Path| fs_err::metadata(p).map(|m| m.dev()).ok();
        let elsewhere = other.is_dir() && dev(other) != dev(root.path());
        let copied = elsewhere.then(|| anonymous(other, "text"));
        if let Some(file) = copied {
            let name = stage.reserve();
            let name = stage
                .writer_dir()
                .expect("dir")
                .adopt(name, file)
                .expect("adopt a copy");
            stage
                .place(name, "opt/App/copied.txt".into())
                .expect("place");
        }
        stage.apply_all().expect("apply");
        stage.commit().expect("commit");
        let placed = root.path().join(&target);
        assert_eq!(
            fs_err::read_to_string(&placed).expect("read"),
            "#!/bin/sh\necho hi\n"
        );
        let meta = fs_err::metadata(&placed).expect("meta");
        assert_eq!(meta.ino(), ino, "linked, not copied");
        assert_eq!(meta.permissions().mode() & 0o111, 0o111);
        if elsewhere {
            assert_eq!(
                fs_err::read_to_string(root.path().join("opt/App/copied.txt")).expect("read"),
                "text"
            );
        }
    }

    /// A file written in pieces by vectored writes holds them all, in order, and a script
    /// whose `#!` is split between two pieces is still made executable.
    #[test]
    fn a_file_written_in_pieces_is_whole() {
        use std::io::IoSlice;
        let root = tempfile::tempdir().expect("root");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let pieces: [&[u8]; 4] = [b"", b"#", b"!/bin/sh\n", b"echo pieces\n"];
        let name = stage
            .write_in_with(|out| {
                let slices: Vec<IoSlice<'_>> = pieces.iter().map(|p| IoSlice::new(p)).collect();
                let n = out.write_vectored(&slices)?;
                // Whatever one call did not take goes in the usual way.
                out.write_all(&pieces.concat()[n..])
            })
            .expect("write");
        let target = PathBuf::from("opt/App/run.sh");
        stage.place(name, target.clone()).expect("place");
        stage.apply_all().expect("apply");
        stage.commit().expect("commit");
        let placed = root.path().join(&target);
        assert_eq!(
            fs_err::read_to_string(&placed).expect("read"),
            "#!/bin/sh\necho pieces\n"
        );
        let mode = fs_err::metadata(&placed)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111);
    }

    #[test]
    fn a_folder_made_before_the_commit_gets_the_files_one_by_one() {
        let root = tempfile::tempdir().expect("root");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "a");
        stage.place(a, "opt/App/sub/a".into()).expect("place");
        let b = stage_text(&mut stage, "b");
        stage.place(b, "opt/App/b".into()).expect("place");
        // Someone (a custom action) makes the folder, with a file of theirs, after the
        // files were staged.
        fs_err::create_dir_all(root.path().join("opt/App")).expect("mkdir");
        fs_err::write(root.path().join("opt/App/theirs"), "theirs").expect("write");
        let sum = stage.apply_all().expect("commit");
        assert_eq!(sum.placed, 2);
        // The tree's record, then one per file.
        assert_eq!(journal_records(root.path(), "T"), 1);
        assert_eq!(journal_records(root.path(), "F"), 2);
        stage.commit().expect("commit");
        let placed: Vec<String> = listing(root.path())
            .into_iter()
            .filter(|p| p.starts_with("opt/"))
            .collect();
        assert_eq!(
            placed,
            [
                "opt/",
                "opt/App/",
                "opt/App/b",
                "opt/App/sub/",
                "opt/App/sub/a",
                "opt/App/theirs"
            ]
        );
        assert_eq!(
            fs_err::read_to_string(root.path().join("opt/App/sub/a")).expect("read"),
            "a"
        );
        assert_eq!(
            fs_err::read_to_string(root.path().join("opt/App/theirs")).expect("read"),
            "theirs"
        );
    }

    #[test]
    fn a_sealed_folder_takes_later_files_after_it_in_order() {
        let root = tempfile::tempdir().expect("root");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "first");
        stage.place(a, "opt/App/a".into()).expect("place");
        // A deferred custom action comes here in the script.
        stage.seal();
        let marked = stage.pending();
        let b = stage_text(&mut stage, "second");
        stage.place(b, "opt/App/a".into()).expect("place");
        let c = stage_text(&mut stage, "c");
        stage.place(c, "opt/App/c".into()).expect("place");
        assert_eq!(stage.pending(), marked + 2);
        // The part before the custom action: the folder, with the first file only.
        let first = stage.apply_next(marked).expect("commit");
        assert_eq!(first.placed, 1);
        assert_eq!(
            fs_err::read_to_string(root.path().join("opt/App/a")).expect("read"),
            "first"
        );
        assert!(!root.path().join("opt/App/c").exists());
        let rest = stage.apply_all().expect("commit");
        assert_eq!((rest.placed, rest.replaced), (2, 1));
        stage.commit().expect("commit");
        assert_eq!(
            fs_err::read_to_string(root.path().join("opt/App/a")).expect("read"),
            "second"
        );
    }

    #[test]
    fn a_removal_inside_a_new_folder_comes_after_it() {
        let root = tempfile::tempdir().expect("root");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "a");
        stage.place(a, "opt/App/a".into()).expect("place");
        stage.remove("opt/App/a".into()).expect("remove");
        let b = stage_text(&mut stage, "b");
        stage.place(b, "opt/App/b".into()).expect("place");
        stage.apply_all().expect("commit");
        stage.commit().expect("commit");
        assert!(!root.path().join("opt/App/a").exists());
        assert!(root.path().join("opt/App/b").exists());
    }

    #[test]
    fn a_placed_folder_is_taken_back_on_failure_and_after_a_crash() {
        let root = tempfile::tempdir().expect("root");
        let r = root.path();
        fs_err::create_dir_all(r.join("opt")).expect("mkdir");
        fs_err::write(r.join("opt/keep"), "mine").expect("write");
        let before = listing(r);
        {
            let lock = RootLock::acquire(r, state_files()).expect("lock");
            let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
            let a = stage_text(&mut stage, "a");
            stage.place(a, "opt/App/deep/a".into()).expect("place");
            stage.apply_all().expect("commit");
            assert!(r.join("opt/App/deep/a").exists());
            stage.rollback().expect("rollback");
            assert_eq!(listing(r), before);
        }
        let lock = RootLock::acquire(r, state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "a");
        stage.place(a, "opt/App/deep/a".into()).expect("place");
        stage.apply_all().expect("commit");
        std::mem::forget(stage);
        drop(lock);
        assert!(r.join("opt/App/deep/a").exists());
        let lock = RootLock::acquire(r, state_files()).expect("lock again");
        assert_eq!(lock.recovered().len(), 1, "{:?}", lock.recovered());
        assert_eq!(listing(r), before);
    }

    #[test]
    fn discard_leaves_the_root_as_it_was() {
        let root = tempfile::tempdir().expect("root");
        fs_err::create_dir_all(root.path().join("opt/App")).expect("mkdir");
        fs_err::write(root.path().join("opt/App/old.txt"), "old").expect("write");
        let before = listing(root.path());
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "new");
        stage.place(a, "opt/App/old.txt".into()).expect("place");
        let b = stage_text(&mut stage, "x");
        stage.place(b, "opt/Other/deep/x".into()).expect("place");
        stage.remove("opt/App/gone.txt".into()).expect("remove");
        stage.apply_all().expect("commit");
        assert_eq!(
            fs_err::read_to_string(root.path().join("opt/App/old.txt")).expect("r"),
            "new"
        );
        stage.rollback().expect("rollback");
        assert_eq!(listing(root.path()), before);
        assert_eq!(
            fs_err::read_to_string(root.path().join("opt/App/old.txt")).expect("r"),
            "old"
        );
    }

    #[test]
    fn files_alternating_between_folders_land_where_they_belong() {
        let root = tempfile::tempdir().expect("root");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        for (i, dir) in ["a", "a", "b", "a", "c/d", "b"].iter().enumerate() {
            let f = stage_text(&mut stage, &format!("{i}"));
            stage
                .place(f, PathBuf::from(format!("opt/{dir}/f{i}")))
                .expect("place");
        }
        stage.apply_all().expect("commit");
        stage.commit().expect("commit");
        assert_eq!(
            listing(root.path()),
            [
                "opt/",
                "opt/a/",
                "opt/a/f0",
                "opt/a/f1",
                "opt/a/f3",
                "opt/b/",
                "opt/b/f2",
                "opt/b/f5",
                "opt/c/",
                "opt/c/d/",
                "opt/c/d/f4"
            ]
        );
        assert_eq!(
            fs_err::read_to_string(root.path().join("opt/c/d/f4")).expect("read"),
            "4"
        );
    }

    #[test]
    fn failing_commit_undoes_itself() {
        let root = tempfile::tempdir().expect("root");
        // A folder where a file must go makes the second placement fail.
        fs_err::create_dir_all(root.path().join("opt/App/clash")).expect("mkdir");
        let before = listing(root.path());
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "a");
        let b = stage_text(&mut stage, "b");
        stage.place(a, "opt/New/a".into()).expect("place");
        stage.place(b, "opt/App/clash".into()).expect("place");
        stage.apply_all().expect_err("clash must fail");
        drop(stage);
        assert_eq!(listing(root.path()), before);
    }

    #[test]
    fn symlinks_in_the_root_are_never_followed() {
        let root = tempfile::tempdir().expect("root");
        let outside = tempfile::tempdir().expect("outside");
        fs_err::os::unix::fs::symlink(outside.path(), root.path().join("opt")).expect("symlink");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "a");
        stage.place(a, "opt/App/a".into()).expect("place");
        let err = stage.apply_all().expect_err("through a symlink");
        assert!(matches!(err, Error::OutsideRoot { .. }), "{err:?}");
        drop(stage);
        assert_eq!(fs_err::read_dir(outside.path()).expect("ls").count(), 0);
        assert_eq!(listing(root.path()), ["opt"]);
    }

    #[test]
    fn paths_that_climb_or_are_absolute_are_refused() {
        let root = tempfile::tempdir().expect("root");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "a");
        assert!(stage.place(a.clone(), "../x".into()).is_err());
        assert!(stage.place(a.clone(), "/etc/x".into()).is_err());
        assert!(stage.place(a, "opt/../../x".into()).is_err());
    }

    #[test]
    fn staging_left_by_a_killed_install_is_removed() {
        let root = tempfile::tempdir().expect("root");
        let stale = root.path().join("var/lib/rmsi/staging-0badf00d");
        fs_err::create_dir_all(&stale).expect("mkdir");
        fs_err::set_permissions(
            root.path().join("var/lib/rmsi"),
            std::fs::Permissions::from_mode(0o700),
        )
        .expect("chmod");
        fs_err::write(stale.join("f1"), "half").expect("write");
        // A staged tree, half built, with a symlink that must not be followed.
        fs_err::create_dir_all(stale.join("t1/sub/deeper")).expect("mkdir");
        fs_err::write(stale.join("t1/sub/deeper/f"), "half").expect("write");
        let outside = tempfile::tempdir().expect("outside");
        fs_err::write(outside.path().join("keep"), "keep").expect("write");
        fs_err::os::unix::fs::symlink(outside.path(), stale.join("t1/sub/link")).expect("symlink");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        assert!(!stale.exists(), "the stale staging folder is still there");
        assert!(
            outside.path().join("keep").exists(),
            "a symlink was followed"
        );
        drop(stage);
        // One holding moved-aside originals too: any journal naming it was rolled back
        // when the lock was taken, so nothing there is needed any more.
        let with_backup = root.path().join("var/lib/rmsi/staging-0000beef");
        fs_err::create_dir(&with_backup).expect("mkdir");
        fs_err::write(with_backup.join("b3"), "original").expect("write");
        let stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        stage.commit().expect("commit");
        // The state folder existed before: it stays, empty.
        assert_eq!(listing(root.path()), ["var/", "var/lib/", "var/lib/rmsi/"]);
    }

    #[test]
    fn a_stage_abandoned_mid_commit_is_rolled_back_by_the_next_lock() {
        let root = tempfile::tempdir().expect("root");
        let r = root.path();
        fs_err::create_dir_all(r.join("opt/App/old-empty")).expect("mkdir");
        fs_err::write(r.join("opt/App/old.txt"), "old").expect("write");
        fs_err::write(r.join("opt/App/gone.txt"), "gone").expect("write");
        // A registry from an earlier install: the database and one cached package.
        fs_err::create_dir_all(r.join("var/lib/rmsi/packages")).expect("mkdir");
        for dir in ["var/lib/rmsi", "var/lib/rmsi/packages"] {
            fs_err::set_permissions(r.join(dir), std::fs::Permissions::from_mode(0o700))
                .expect("chmod");
        }
        fs_err::write(r.join("var/lib/rmsi/products.db"), "db v1").expect("write");
        fs_err::write(r.join("var/lib/rmsi/packages/{A}.msi"), "pkg A v1").expect("write");
        let before = listing(r);
        let contents = |p: &str| fs_err::read_to_string(r.join(p)).ok();
        let lock = RootLock::acquire(r, state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "new");
        stage.place(a, "opt/App/old.txt".into()).expect("place");
        let b = stage_text(&mut stage, "x");
        stage.place(b, "opt/New/deep/x".into()).expect("place");
        stage.remove("opt/App/gone.txt".into()).expect("remove");
        stage.remove_dir("opt/App/old-empty".into()).expect("rmdir");
        stage.apply_all().expect("commit");
        stage.before_state_write().expect("registry backup");
        // What the registry does: rewrite the database, replace one cached copy by a
        // rename, add another.
        fs_err::write(r.join("var/lib/rmsi/products.db"), "db v2").expect("write");
        fs_err::write(r.join("var/lib/rmsi/packages/new"), "pkg A v2").expect("write");
        fs_err::rename(
            r.join("var/lib/rmsi/packages/new"),
            r.join("var/lib/rmsi/packages/{A}.msi"),
        )
        .expect("rename");
        fs_err::write(r.join("var/lib/rmsi/packages/{B}.msi"), "pkg B").expect("write");
        // As a killed process would: no destructor, no rollback, the lock released.
        std::mem::forget(stage);
        drop(lock);
        assert_eq!(contents("opt/App/old.txt").as_deref(), Some("new"));
        let lock = RootLock::acquire(r, state_files()).expect("lock again");
        assert_eq!(lock.recovered().len(), 1, "{:?}", lock.recovered());
        assert!(lock.recovered()[0].starts_with("Rollback of an interrupted installation"));
        assert_eq!(listing(r), before);
        assert_eq!(contents("opt/App/old.txt").as_deref(), Some("old"));
        assert_eq!(contents("opt/App/gone.txt").as_deref(), Some("gone"));
        assert_eq!(
            contents("var/lib/rmsi/products.db").as_deref(),
            Some("db v1")
        );
        assert_eq!(
            contents("var/lib/rmsi/packages/{A}.msi").as_deref(),
            Some("pkg A v1")
        );
        drop(lock);
        // Nothing more to do the next time.
        assert!(
            RootLock::acquire(r, state_files())
                .expect("lock")
                .recovered()
                .is_empty()
        );
    }

    #[test]
    fn an_abandoned_uninstall_gets_its_registry_and_cache_back() {
        let root = tempfile::tempdir().expect("root");
        let r = root.path();
        fs_err::create_dir_all(r.join("var/lib/rmsi/packages")).expect("mkdir");
        for dir in ["var/lib/rmsi", "var/lib/rmsi/packages"] {
            fs_err::set_permissions(r.join(dir), std::fs::Permissions::from_mode(0o700))
                .expect("chmod");
        }
        fs_err::write(r.join("var/lib/rmsi/products.db"), "db").expect("write");
        fs_err::write(r.join("var/lib/rmsi/packages/{A}.msi"), "pkg A").expect("write");
        let before = listing(r);
        let lock = RootLock::acquire(r, state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        stage.before_state_write().expect("registry backup");
        // What removing the last product does: the database and the cache folder go.
        fs_err::remove_file(r.join("var/lib/rmsi/products.db")).expect("rm");
        fs_err::remove_dir_all(r.join("var/lib/rmsi/packages")).expect("rm");
        std::mem::forget(stage);
        drop(lock);
        let lock = RootLock::acquire(r, state_files()).expect("lock again");
        assert_eq!(lock.recovered().len(), 1);
        assert_eq!(listing(r), before);
        assert_eq!(
            fs_err::read_to_string(r.join("var/lib/rmsi/packages/{A}.msi")).expect("read"),
            "pkg A"
        );
    }

    #[test]
    fn a_stage_abandoned_in_a_fresh_root_leaves_nothing() {
        let root = tempfile::tempdir().expect("root");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let mut stage =
            Transaction::new(&lock, Path::new("Windows/Installer/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "a");
        stage.place(a, "Program Files/App/a".into()).expect("place");
        stage.apply_all().expect("commit");
        stage.before_state_write().expect("registry backup");
        fs_err::write(root.path().join("Windows/Installer/rmsi/products.db"), "db").expect("db");
        std::mem::forget(stage);
        drop(lock);
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        assert_eq!(lock.recovered().len(), 1);
        assert!(
            listing(root.path()).is_empty(),
            "{:?}",
            listing(root.path())
        );
    }

    #[test]
    fn a_rollback_that_cannot_finish_keeps_the_journal_and_the_originals() {
        let root = tempfile::tempdir().expect("root");
        let r = root.path();
        fs_err::create_dir_all(r.join("opt/App")).expect("mkdir");
        fs_err::write(r.join("opt/App/old.txt"), "original").expect("write");
        fs_err::write(r.join("opt/App/gone.txt"), "gone").expect("write");
        let before = listing(r);
        let lock = RootLock::acquire(r, state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        let a = stage_text(&mut stage, "new");
        stage.place(a, "opt/App/old.txt".into()).expect("place");
        stage.remove("opt/App/gone.txt".into()).expect("remove");
        stage.apply_all().expect("apply");
        // The folder the originals go back to cannot be reached: a file stands in its way.
        fs_err::rename(r.join("opt/App"), r.join("opt/App.away")).expect("rename");
        fs_err::write(r.join("opt/App"), "in the way").expect("write");
        let err = stage.rollback().expect_err("the rollback cannot finish");
        assert!(
            matches!(err, Error::RollbackIncomplete { failed: 2, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("the next run on this root retries the rollback")
        );
        assert!(
            r.join("var/lib/rmsi/journal").is_file(),
            "the journal was removed"
        );
        let staging: Vec<_> = fs_err::read_dir(r.join("var/lib/rmsi"))
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .filter(|n| n.to_string_lossy().starts_with("staging-"))
            .collect();
        assert_eq!(staging.len(), 1, "{staging:?}");
        drop(lock);
        // Still in the way: the next run retries, fails the same way and keeps it all.
        let again = RootLock::acquire(r, state_files()).expect_err("still blocked");
        assert!(
            matches!(again, Error::RollbackIncomplete { .. }),
            "{again:?}"
        );
        assert!(r.join("var/lib/rmsi/journal").is_file());
        // Cleared: the next run finishes the rollback and the originals are back.
        fs_err::remove_file(r.join("opt/App")).expect("rm");
        fs_err::rename(r.join("opt/App.away"), r.join("opt/App")).expect("rename");
        let lock = RootLock::acquire(r, state_files()).expect("lock");
        assert_eq!(lock.recovered().len(), 1);
        assert_eq!(listing(r), before);
        assert_eq!(
            fs_err::read_to_string(r.join("opt/App/old.txt")).expect("read"),
            "original"
        );
    }

    #[test]
    fn staging_left_after_a_commit_is_removed_when_the_lock_is_taken() {
        let root = tempfile::tempdir().expect("root");
        let r = root.path();
        fs_err::create_dir_all(r.join("var/lib/rmsi/staging-0000beef")).expect("mkdir");
        fs_err::set_permissions(
            r.join("var/lib/rmsi"),
            std::fs::Permissions::from_mode(0o700),
        )
        .expect("chmod");
        fs_err::write(r.join("var/lib/rmsi/staging-0000beef/b3"), "original").expect("write");
        let lock = RootLock::acquire(r, state_files()).expect("lock");
        assert!(lock.recovered().is_empty());
        assert_eq!(listing(r), ["var/", "var/lib/", "var/lib/rmsi/"]);
    }

    #[test]
    fn state_folders_being_created_appear_at_once_or_not_at_all() {
        let root = tempfile::tempdir().expect("root");
        let r = root.path();
        fs_err::create_dir(r.join("var")).expect("mkdir");
        fs_err::write(r.join("var/keep"), "mine").expect("write");
        let before = listing(r);
        {
            let lock = RootLock::acquire(r, state_files()).expect("lock");
            // Killed before the folders got their name: only the hidden chain exists.
            let (_fd, made, chain) =
                make_state_area(&lock, Path::new("var/lib/rmsi")).expect("state area");
            assert_eq!(
                made,
                [PathBuf::from("var/lib"), PathBuf::from("var/lib/rmsi")]
            );
            assert!(chain.is_some());
            assert!(!r.join("var/lib").exists());
            let hidden = listing(r);
            assert!(
                hidden.iter().any(|p| p.starts_with("var/.rmsi-new-")),
                "{hidden:?}"
            );
        }
        // The next run removes it.
        let lock = RootLock::acquire(r, state_files()).expect("lock");
        assert_eq!(listing(r), before);
        // A transaction publishes them with their journal inside.
        let stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        assert!(r.join("var/lib/rmsi/journal").is_file());
        stage.commit().expect("commit");
        assert_eq!(listing(r), before);
    }

    #[test]
    fn staging_folders_on_other_mounts_are_removed_with_their_list() {
        let root = tempfile::tempdir().expect("root");
        let r = root.path();
        // What a run that committed and was killed before its clean-up leaves: its staging
        // folder, whose `volumes` list names a staging folder on another mount holding a
        // moved-aside original, and a line that names no staging folder of ours.
        let staging = r.join("var/lib/rmsi/staging-0000beef");
        fs_err::create_dir_all(&staging).expect("mkdir");
        fs_err::set_permissions(
            r.join("var/lib/rmsi"),
            std::fs::Permissions::from_mode(0o700),
        )
        .expect("chmod");
        let volume = r.join("opt/.rmsi-staging-0000cafe");
        fs_err::create_dir_all(&volume).expect("mkdir");
        fs_err::set_permissions(&volume, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        fs_err::write(volume.join("b3"), "original").expect("write");
        fs_err::create_dir_all(r.join("opt/keep")).expect("mkdir");
        fs_err::write(r.join("opt/keep/mine"), "mine").expect("write");
        let list = format!(
            "{}\n{}\n",
            journal::hex(b"opt/.rmsi-staging-0000cafe"),
            journal::hex(b"opt/keep")
        );
        fs_err::write(staging.join(journal::VOLUMES), list).expect("write");
        let lock = RootLock::acquire(r, state_files()).expect("lock");
        assert!(lock.recovered().is_empty());
        assert_eq!(
            listing(r),
            [
                "opt/",
                "opt/keep/",
                "opt/keep/mine",
                "var/",
                "var/lib/",
                "var/lib/rmsi/"
            ]
        );
    }

    /// A tmpfs mounted on `at` for a test (root only), unmounted when dropped.
    struct Tmpfs(PathBuf);

    impl Tmpfs {
        #[allow(clippy::print_stdout)]
        fn mount(at: &Path) -> Option<Tmpfs> {
            fs_err::create_dir_all(at).expect("mkdir");
            let out = std::process::Command::new("mount")
                .args([
                    "-t",
                    "tmpfs",
                    "-o",
                    "size=8m,mode=0755",
                    "rmsi-transaction-test",
                ])
                .arg(at)
                .output();
            match out {
                Ok(out) if out.status.success() => Some(Tmpfs(at.to_path_buf())),
                other => {
                    println!("skipped: cannot mount a tmpfs (root only): {other:?}");
                    None
                }
            }
        }
    }

    impl Drop for Tmpfs {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }

    /// Targets on another mount than the state folder: a new file, a new folder's files,
    /// a replaced original and a removed one. Each is staged on that mount
    /// (`opt/.rmsi-staging-*`), so every change there is a rename; a stage abandoned
    /// there (as a killed run leaves it) is rolled back by the next lock, one rolled back
    /// in the process too, and a committed one leaves no staging folder.
    #[test]
    fn targets_on_another_mount_are_staged_on_it() {
        let root = tempfile::tempdir().expect("root");
        let r = root.path();
        let Some(_opt) = Tmpfs::mount(&r.join("opt")) else {
            return;
        };
        fs_err::create_dir_all(r.join("opt/App")).expect("mkdir");
        fs_err::write(r.join("opt/App/old.txt"), "original").expect("write");
        fs_err::set_permissions(
            r.join("opt/App/old.txt"),
            std::fs::Permissions::from_mode(0o640),
        )
        .expect("chmod");
        fs_err::write(r.join("opt/App/gone.txt"), "gone").expect("write");
        let before = listing(r);
        let contents = |p: &str| fs_err::read_to_string(r.join(p)).ok();
        let schedule = |stage: &mut Transaction<'_>| {
            let a = stage_text(stage, "new");
            stage.place(a, "opt/App/old.txt".into()).expect("place");
            let b = stage_text(stage, "x");
            stage.place(b, "opt/App/x".into()).expect("place");
            let c = stage_text(stage, "deep");
            stage.place(c, "opt/New/deep/c".into()).expect("place");
            stage.remove("opt/App/gone.txt".into()).expect("remove");
        };
        let volumes = || -> Vec<String> {
            listing(r)
                .into_iter()
                .filter(|p| p.starts_with("opt/.rmsi-staging-"))
                .collect()
        };
        let restored = || {
            assert_eq!(listing(r), before);
            assert_eq!(contents("opt/App/old.txt").as_deref(), Some("original"));
            let mode = fs_err::metadata(r.join("opt/App/old.txt"))
                .expect("stat")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o640);
            assert_eq!(contents("opt/App/gone.txt").as_deref(), Some("gone"));
        };

        // Abandoned after its changes, as a killed run leaves it.
        let lock = RootLock::acquire(r, state_files()).expect("lock");
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        schedule(&mut stage);
        stage.apply_all().expect("apply");
        assert_eq!(contents("opt/App/old.txt").as_deref(), Some("new"));
        assert!(!r.join("opt/App/gone.txt").exists());
        // The original and the removed file wait on their own mount.
        let staged = volumes();
        assert_eq!(staged.len(), 3, "{staged:?}");
        let journal = fs_err::read_to_string(r.join("var/lib/rmsi/journal")).expect("journal");
        assert!(journal.contains("\nV 1 "), "{journal}");
        assert!(journal.contains("\nF@1 "), "{journal}");
        assert!(journal.contains("\nX@1 "), "{journal}");
        std::mem::forget(stage);
        drop(lock);
        let lock = RootLock::acquire(r, state_files()).expect("lock again");
        assert_eq!(lock.recovered().len(), 1, "{:?}", lock.recovered());
        restored();

        // Rolled back in the process.
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        schedule(&mut stage);
        stage.apply_all().expect("apply");
        stage.rollback().expect("rollback");
        restored();

        // Committed: the changes stay, no staging folder does.
        let mut stage = Transaction::new(&lock, Path::new("var/lib/rmsi")).expect("stage");
        schedule(&mut stage);
        stage.apply_all().expect("apply");
        stage.commit().expect("commit");
        assert_eq!(contents("opt/App/old.txt").as_deref(), Some("new"));
        assert_eq!(contents("opt/New/deep/c").as_deref(), Some("deep"));
        assert!(volumes().is_empty(), "{:?}", volumes());
        assert_eq!(
            listing(r),
            [
                "opt/",
                "opt/App/",
                "opt/App/old.txt",
                "opt/App/x",
                "opt/New/",
                "opt/New/deep/",
                "opt/New/deep/c"
            ]
        );
    }

    #[test]
    fn unsafe_state_folder_is_refused() {
        let root = tempfile::tempdir().expect("root");
        let state = root.path().join("var/lib/rmsi");
        fs_err::create_dir_all(&state).expect("mkdir");
        fs_err::set_permissions(&state, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let lock = RootLock::acquire(root.path(), state_files()).expect("lock");
        let err = Transaction::new(&lock, Path::new("var/lib/rmsi"))
            .err()
            .expect("refused");
        assert!(matches!(err, Error::UnsafeState { .. }), "{err:?}");
    }
}
