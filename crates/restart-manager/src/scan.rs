//! Who uses what: the processes that hold a file open, map it, run it, or sit in it.
//!
//! [`who_uses`] walks every process under the `/proc` root it is given and reports each one
//! that uses one of the paths asked about, in any of five ways ([`UseKinds`]): an open file
//! descriptor, a memory mapping (shared libraries included), its executable, its current
//! directory, or its root directory. Files are compared by **device and inode**, never by
//! name, so a hard link or a renamed path to the same file is caught and a new file that
//! merely took an old name is not.
//!
//! # Reading `/proc` quickly
//!
//! The scan is the Restart Manager's hot path (the benchmark holds it against `fuser` and
//! `lsof` with 2,000 extra processes running), so it talks to the kernel directly through
//! `rustix` instead of going through `procfs`, which allocates a `String` or a `PathBuf`
//! per entry and re-opens `/proc/PID` for each question:
//!
//! - each process directory is opened once (`O_PATH`) and every later lookup is relative
//!   to that descriptor, which also pins the process: if its pid is reused while it is being
//!   read, the old descriptor fails instead of reading the newcomer;
//! - the executable, current and root directories and every `fd/N` entry are checked with
//!   one `statat` each, which follows the magic link to the file's own device and inode;
//!   the current and root directories are only looked at when a directory was asked about,
//!   and descriptors and mappings only when a non-directory was;
//! - descriptors are probed by number (0, 1, 2...) up to the count that `stat` reports as
//!   the size of `/proc/PID/fd`, so a dense table costs no directory listing (tables with
//!   holes, and old kernels, are listed — see `scan_fds`);
//! - mappings are asked for with the `PROCMAP_QUERY` ioctl (Linux 6.11), file-backed ones
//!   only and in binary; elsewhere `maps` is read in one or two `read` calls into a buffer
//!   each worker reuses, and parsed in place without allocating;
//! - the facts reported about a user (`stat`, `sessionid`...) are read only for processes
//!   that use a target, each with a single `read`;
//! - kernel threads (no executable) are recognised by the first `statat` and skipped;
//! - the process list is shared out between two workers per CPU (`std::thread::scope`),
//!   a batch of pids at a time.
//!
//! # Devices in `maps`
//!
//! `maps` shows the device as `major:minor` in hex; [`rustix::fs::makedev`] turns that into
//! the `st_dev` that `stat` reports (on this kind of machine, ext4 on `/dev/vda`, both say
//! `fe:00` = 65024). On overlayfs and btrfs the device in `maps` is the underlying one
//! and differs from what `stat` says, and overlayfs even shows the layer's inode, so for
//! targets there a mapping also counts when its path text is the target's canonical path
//! (a file replaced since is marked `(deleted)` and does not match). Descriptors and the
//! executable are not affected: following their links gives what `stat` gives.
//!
//! # Processes that cannot be read
//!
//! A process whose executable, descriptors or mappings cannot be read (`EACCES`: another
//! user's process when the caller is not root, or PID 1 on machines where it is shielded
//! even from root) and that was not seen using a target is listed once in
//! [`ScanReport::inaccessible`]. It never fails the query and is not a reboot reason: it
//! was not shown to use anything.
//!
//! # Reboot reasons
//!
//! Computed over the affected processes only (see [`reboot_reasons`]): permission denied
//! (the caller may not signal it), session mismatch (another login session than the
//! caller's; services and critical processes excepted), critical process, critical
//! service (see [`crate::is_critical_service`]), and detected self (the session's primary
//! process is among them).

use std::collections::HashMap;
use std::ffi::CStr;
use std::io;
use std::mem::MaybeUninit;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

mod describe;
mod fds;

use describe::describe_at;
use fds::scan_fds;

use crate::error::Error;
use crate::info::{
    AppType, INVALID_SESSION_ID, ProcessInfo, RebootReasons, is_critical_name, is_critical_service,
};
use crate::maps;
use crate::proc_dir::{is_denied, list_pids, open_dir, open_pid, read_all, read_once_at};
use crate::process::{DEFAULT_PROC_ROOT, Stat, UniqueProcess};
use crate::service::ServiceManager;

/// Who is asking: decides permission-denied and session-mismatch reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// Real user id.
    pub uid: u32,
    /// Effective user id (0 may signal anyone).
    pub euid: u32,
    /// Login session (`/proc/self/sessionid`), [`INVALID_SESSION_ID`] when unset.
    pub session_id: u32,
}

impl Caller {
    /// The calling process.
    pub fn current() -> Caller {
        Caller {
            uid: rustix::process::getuid().as_raw(),
            euid: rustix::process::geteuid().as_raw(),
            session_id: read_session_id(Path::new("/proc/self/sessionid")),
        }
    }

    /// Whether the kernel would let this caller send a signal to a process with these real
    /// and saved user ids (`kill(2)`: root may signal anyone; otherwise the caller's real or
    /// effective uid must equal the target's real or saved uid).
    pub fn may_signal(&self, real: u32, saved: u32) -> bool {
        self.euid == 0
            || [self.uid, self.euid]
                .iter()
                .any(|u| *u == real || *u == saved)
    }
}

fn read_session_id(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(INVALID_SESSION_ID)
}

/// How a scan runs.
#[derive(Clone)]
pub struct ScanOptions {
    /// Where `/proc` is mounted (a fake tree in unit tests).
    pub proc_root: PathBuf,
    /// Worker threads; 0 means two per available CPU.
    pub threads: usize,
    /// Who is asking (for permission and session reasons).
    pub caller: Caller,
    /// The session's primary process: reported as critical with the `detected_self`
    /// reason when it uses a registered file.
    pub primary: Option<UniqueProcess>,
    /// Leave the scanning process itself out (the `rstmgr who` command maps the C library
    /// too, which nobody asking about it wants to hear). The library keeps it by default:
    /// an installer that uses a file it registered must be told (`detected_self`).
    pub skip_self: bool,
    /// The service manager asked which service a reported process belongs to (systemd:
    /// the `.service` unit of its cgroup; runit: the service whose supervised process it
    /// is; never by ancestry). `None`: no process is taken for a service.
    pub services: Option<Arc<dyn ServiceManager>>,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            proc_root: PathBuf::from(DEFAULT_PROC_ROOT),
            threads: 0,
            caller: Caller::current(),
            primary: None,
            skip_self: false,
            services: crate::service::detect().map(Arc::from),
        }
    }
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("proc_root", &self.proc_root)
            .field("threads", &self.threads)
            .field("caller", &self.caller)
            .field("primary", &self.primary)
            .field("skip_self", &self.skip_self)
            .field("services", &self.services)
            .finish()
    }
}

/// The ways a process can use a file; several may hold at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct UseKinds {
    /// An open file descriptor (`/proc/PID/fd`).
    pub fd: bool,
    /// A memory mapping (`/proc/PID/maps`), shared libraries included.
    pub mapped: bool,
    /// Its executable (`/proc/PID/exe`).
    pub exe: bool,
    /// Its current directory (`/proc/PID/cwd`).
    pub cwd: bool,
    /// Its root directory (`/proc/PID/root`).
    pub root: bool,
}

impl UseKinds {
    fn merge(&mut self, other: UseKinds) {
        self.fd |= other.fd;
        self.mapped |= other.mapped;
        self.exe |= other.exe;
        self.cwd |= other.cwd;
        self.root |= other.root;
    }

    const FD: UseKinds = UseKinds {
        fd: true,
        mapped: false,
        exe: false,
        cwd: false,
        root: false,
    };
    const MAPPED: UseKinds = UseKinds {
        mapped: true,
        ..UseKinds::NONE
    };
    const EXE: UseKinds = UseKinds {
        exe: true,
        ..UseKinds::NONE
    };
    const CWD: UseKinds = UseKinds {
        cwd: true,
        ..UseKinds::NONE
    };
    const ROOT: UseKinds = UseKinds {
        root: true,
        ..UseKinds::NONE
    };
    const NONE: UseKinds = UseKinds {
        fd: false,
        mapped: false,
        exe: false,
        cwd: false,
        root: false,
    };
}

/// `fuser`'s letters: `f` open, `m` mapped, `e` executable, `c` current directory, `r` root.
impl std::fmt::Display for UseKinds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (set, letter) in [
            (self.fd, 'f'),
            (self.mapped, 'm'),
            (self.exe, 'e'),
            (self.cwd, 'c'),
            (self.root, 'r'),
        ] {
            if set {
                std::fmt::Write::write_char(f, letter)?;
            }
        }
        Ok(())
    }
}

/// One process using one of the paths asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUse {
    /// The process.
    pub process: UniqueProcess,
    /// The path as it was given.
    pub path: PathBuf,
    /// How it uses it.
    pub kinds: UseKinds,
    /// It uses the file that was at `path` before it was replaced or deleted (the kernel
    /// shows the path with ` (deleted)`), not the one there now. Only [`who_uses`] looks
    /// for these.
    pub old: bool,
}

/// The answer to "who uses these files".
///
/// Invariants: `processes` is sorted by pid and holds each process once; every
/// `uses[i].process` is in `processes`; `inaccessible` is sorted, holds each pid once, and
/// no pid in it is also in `processes`.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// The affected processes, with [`AppStatus::RUNNING`](crate::AppStatus::RUNNING).
    pub processes: Vec<ProcessInfo>,
    /// Which process uses which path, and how.
    pub uses: Vec<FileUse>,
    /// Why freeing the files would need a restart of the machine (affected processes only).
    pub reboot_reasons: RebootReasons,
    /// Pids whose `/proc` entry could not be read, so they may or may not use the files.
    pub inaccessible: Vec<u32>,
    /// Paths that did not exist (only [`affected`] accepts them; nobody can use them).
    pub missing: Vec<PathBuf>,
}

/// Every process that uses one of `paths` (open, mapped, executable, cwd or root).
///
/// Fails with `ERROR_FILE_NOT_FOUND` when a path does not exist and with
/// `ERROR_WRITE_FAULT` when a path or the `/proc` root cannot be read; a process that
/// cannot be inspected never fails it (see [`ScanReport::inaccessible`]). Directories are
/// accepted: they are matched against current and root directories.
///
/// It also reports the processes that still use the file that was at a path before it
/// was replaced or deleted ([`FileUse::old`]): the kernel shows that unlinked inode's
/// path with ` (deleted)` in `maps`, `exe`, `cwd` and the descriptor links. A path that no
/// longer exists is accepted as long as someone still uses what was there.
pub fn who_uses(paths: &[PathBuf], opts: &ScanOptions) -> Result<ScanReport, Error> {
    let targets = Targets::new(paths, true, true)?;
    let pending: Vec<usize> = targets.gone.clone();
    let report = scan(targets, &[], opts)?;
    for i in pending {
        if !report.uses.iter().any(|u| u.path == paths[i]) {
            return Err(Error::PathNotFound {
                path: paths[i].clone(),
            });
        }
    }
    Ok(report)
}

/// The affected-application list of a session: every process that uses one of `paths`,
/// plus the live registered `processes` (a registered process that has exited, or whose
/// pid now belongs to another process, is left out).
///
/// Unlike [`who_uses`], a path that does not exist is not an error (an installer registers
/// files it is about to create): it is listed in [`ScanReport::missing`].
pub fn affected(
    paths: &[PathBuf],
    processes: &[UniqueProcess],
    opts: &ScanOptions,
) -> Result<ScanReport, Error> {
    let targets = Targets::new(paths, false, false)?;
    scan(targets, processes, opts)
}

/// Describes one live process, or `None` when it has exited (zombies included) or its pid
/// now belongs to a process with another start time.
pub fn describe(process: UniqueProcess, opts: &ScanOptions) -> Option<ProcessInfo> {
    let proc_fd = open_dir(&opts.proc_root).ok()?;
    let dir = open_pid(proc_fd.as_fd(), process.pid).ok()?;
    let mut scratch = Scratch::new();
    let info = describe_at(dir.as_fd(), process.pid, None, opts, &mut scratch)?;
    (info.process == process).then_some(info)
}

/// The reboot reasons for a set of affected processes (see the module docs).
pub fn reboot_reasons(processes: &[ProcessInfo], opts: &ScanOptions) -> RebootReasons {
    let mut reasons = RebootReasons::NONE;
    for p in processes {
        let is_primary = opts.primary == Some(p.process);
        if is_primary {
            reasons |= RebootReasons::DETECTED_SELF;
            continue;
        }
        if p.app_type == AppType::Critical {
            if p.service_name.as_deref().is_some_and(is_critical_service) {
                reasons |= RebootReasons::CRITICAL_SERVICE;
            } else if !opts.caller.may_signal(p.uid, p.uid) && !is_kernel_critical(p) {
                reasons |= RebootReasons::PERMISSION_DENIED;
            } else {
                reasons |= RebootReasons::CRITICAL_PROCESS;
            }
            continue;
        }
        if p.service_name.is_none() && p.session_id != opts.caller.session_id {
            reasons |= RebootReasons::SESSION_MISMATCH;
        }
    }
    reasons
}

/// PID 1 and the named system daemons: critical whoever asks.
fn is_kernel_critical(p: &ProcessInfo) -> bool {
    p.process.pid == 1 || is_critical_name(&p.app_name)
}

/// `OVERLAYFS_SUPER_MAGIC` and `BTRFS_SUPER_MAGIC` from `include/uapi/linux/magic.h`.
const OVERLAYFS_MAGIC: i64 = 0x794c_7630;
const BTRFS_MAGIC: i64 = 0x9123_683e;

/// Whether `maps` may name the file at `path` with another device (and, for overlayfs,
/// inode) than `stat` gives: overlayfs maps the underlying layer's file, and btrfs reports
/// a per-subvolume device to `stat` but the file system's own in `maps`. Other file
/// systems with an anonymous device (tmpfs...) show the same device in both.
fn maps_may_show_another_device(path: &Path) -> bool {
    rustix::fs::statfs(path).is_ok_and(|fs| {
        // `f_type` is `i64` here but narrower on other architectures.
        #[allow(clippy::unnecessary_cast)]
        let magic = fs.f_type as i64;
        magic == OVERLAYFS_MAGIC || magic == BTRFS_MAGIC
    })
}

/// What is looked for, by (device, inode).
struct Targets {
    paths: Vec<PathBuf>,
    /// (st_dev, st_ino) → indices into `paths` (two registered hard links share one key).
    by_id: HashMap<(u64, u64), Vec<usize>>,
    /// Targets on anonymous-device file systems: (index, canonical path bytes).
    anon: Vec<(usize, Vec<u8>)>,
    any_file: bool,
    any_dir: bool,
    missing: Vec<PathBuf>,
    /// What the kernel shows for a file that was at a target path and was replaced or
    /// deleted since: (index, absolute path + ` (deleted)`). Empty unless asked for.
    old: Vec<(usize, Vec<u8>)>,
    /// Targets that do not exist now, looked for only as old files (indices).
    gone: Vec<usize>,
}

/// The mark the kernel appends to the path of an unlinked file.
const DELETED_MARK: &[u8] = b" (deleted)";

impl Targets {
    fn new(paths: &[PathBuf], strict: bool, want_old: bool) -> Result<Targets, Error> {
        let mut t = Targets {
            paths: paths.to_vec(),
            by_id: HashMap::new(),
            anon: Vec::new(),
            any_file: false,
            any_dir: false,
            missing: Vec::new(),
            old: Vec::new(),
            gone: Vec::new(),
        };
        for (i, path) in paths.iter().enumerate() {
            if want_old {
                let absolute = std::fs::canonicalize(path).or_else(|_| {
                    // Gone: its folder's real path and its name.
                    let abs = std::path::absolute(path)?;
                    match (abs.parent(), abs.file_name()) {
                        (Some(dir), Some(name)) => Ok(std::fs::canonicalize(dir)
                            .unwrap_or_else(|_| dir.to_path_buf())
                            .join(name)),
                        _ => Ok::<_, io::Error>(abs),
                    }
                });
                if let Ok(abs) = absolute {
                    let mut name = abs.into_os_string().into_vec();
                    name.extend_from_slice(DELETED_MARK);
                    t.old.push((i, name));
                }
            }
            let meta = match std::fs::metadata(path) {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if want_old {
                        t.gone.push(i);
                        t.any_file = true;
                        t.any_dir = true;
                        continue;
                    }
                    if strict {
                        return Err(Error::PathNotFound { path: path.clone() });
                    }
                    t.missing.push(path.clone());
                    continue;
                }
                Err(e) => return Err(Error::io(format!("cannot stat {}", path.display()), e)),
            };
            if meta.is_dir() {
                t.any_dir = true;
            } else {
                t.any_file = true;
            }
            t.by_id.entry((meta.dev(), meta.ino())).or_default().push(i);
            if !meta.is_dir()
                && maps_may_show_another_device(path)
                && let Ok(canon) = std::fs::canonicalize(path)
            {
                t.anon.push((i, canon.as_os_str().as_bytes().to_vec()));
            }
        }
        Ok(t)
    }

    fn lookup(&self, dev: u64, ino: u64) -> &[usize] {
        self.by_id.get(&(dev, ino)).map_or(&[], Vec::as_slice)
    }

    fn is_empty(&self) -> bool {
        self.by_id.is_empty() && self.old.is_empty()
    }

    /// The old-file indices (offset by the number of paths) whose name is `link`.
    fn old_matches(&self, link: &[u8], out: &mut Vec<usize>) {
        let n = self.paths.len();
        for (i, name) in &self.old {
            if name.as_slice() == link {
                out.push(n + i);
            }
        }
    }

    /// Whether a `stat` result may be an old file asked about: unlinked (no links left)
    /// while old files are looked for.
    fn may_be_old(&self, st: &rustix::fs::Stat) -> bool {
        st.st_nlink == 0 && !self.old.is_empty()
    }
}

/// What one worker found.
#[derive(Default)]
struct Found {
    hits: Vec<(ProcessInfo, Vec<(usize, UseKinds)>)>,
    inaccessible: Vec<u32>,
}

/// How far reading one process got.
enum Outcome {
    /// Gone, a kernel thread, or uses nothing asked about.
    Nothing,
    /// Could not be read and was not seen using anything.
    Inaccessible,
    /// Uses these targets.
    Uses,
}

/// Buffers one worker reuses for every process.
struct Scratch {
    read: Vec<u8>,
    dirents: Vec<MaybeUninit<u8>>,
    uses: Vec<(usize, UseKinds)>,
    /// Set once the kernel has refused `PROCMAP_QUERY`.
    no_procmap_query: bool,
    /// Descriptor tables looked at, and how many in a row probing could not finish.
    fd_tables: u32,
    probe_failures: u32,
    /// Whether the process just scanned holds a socket; `None` if its table was not read.
    holds_socket: Option<bool>,
    /// Mappings of files not asked about, to name when old files are looked for.
    unnamed: Vec<(u64, u64, u64)>,
    /// (device, inode) → its name when unlinked (with the ` (deleted)` mark), `None` when
    /// linked: asked once per scan.
    names: HashMap<(u64, u64), Option<Vec<u8>>>,
    name: Vec<u8>,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            read: vec![0; 64 * 1024],
            dirents: vec![MaybeUninit::uninit(); 16 * 1024],
            uses: Vec::new(),
            no_procmap_query: false,
            fd_tables: 0,
            probe_failures: 0,
            holds_socket: None,
            unnamed: Vec::new(),
            names: HashMap::new(),
            name: vec![0; 4096],
        }
    }

    fn add(&mut self, idx: &[usize], kind: UseKinds) {
        for &i in idx {
            match self.uses.iter_mut().find(|(j, _)| *j == i) {
                Some((_, k)) => k.merge(kind),
                None => self.uses.push((i, kind)),
            }
        }
    }
}

fn scan(
    targets: Targets,
    registered: &[UniqueProcess],
    opts: &ScanOptions,
) -> Result<ScanReport, Error> {
    let proc_fd = open_dir(&opts.proc_root)
        .map_err(|e| Error::io(format!("cannot open {}", opts.proc_root.display()), e))?;
    let mut pids = if targets.is_empty() {
        Vec::new()
    } else {
        list_pids(proc_fd.as_fd())
            .map_err(|e| Error::io(format!("cannot list {}", opts.proc_root.display()), e))?
    };
    if opts.skip_self {
        let me = std::process::id();
        pids.retain(|p| *p != me);
    }

    let threads = match opts.threads {
        // Two per CPU: the work is almost all system calls, and on a machine shared with
        // other work a scan with more runnable threads gets a larger share of the CPUs
        // (measured here: a median 61 ms instead of 71 ms under a load of 4 on 2 cores).
        0 => 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    // Below a few hundred processes a second thread costs more than it saves.
    let threads = threads.min(pids.len() / 256 + 1).max(1);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut found = Found::default();
        let mut scratch = Scratch::new();
        const BATCH: usize = 32;
        loop {
            let start = next.fetch_add(BATCH, Ordering::Relaxed);
            if start >= pids.len() {
                break;
            }
            for &pid in &pids[start..(start + BATCH).min(pids.len())] {
                scan_one(
                    proc_fd.as_fd(),
                    pid,
                    &targets,
                    opts,
                    &mut scratch,
                    &mut found,
                );
            }
        }
        found
    };
    let mut all = Vec::with_capacity(threads);
    let mut lost_worker = false;
    std::thread::scope(|s| {
        // A thread that cannot be created is no failure: the workers that run (this
        // thread included) take its share, since they all draw from one counter.
        let handles: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, work).ok())
            .collect();
        all.push(work());
        for h in handles {
            match h.join() {
                Ok(found) => all.push(found),
                Err(_) => lost_worker = true,
            }
        }
    });
    if lost_worker {
        // Only a bug gets here; an answer with a hole in it could leave a user of a file
        // running, so say so instead.
        return Err(Error::io(
            "scanning /proc",
            io::Error::other("a scan worker stopped unexpectedly"),
        ));
    }

    let mut report = ScanReport {
        missing: targets.missing.clone(),
        ..ScanReport::default()
    };
    for found in all {
        report.inaccessible.extend(found.inaccessible);
        for (info, uses) in found.hits {
            let n = targets.paths.len();
            for (i, kinds) in uses {
                let (i, old) = if i >= n { (i - n, true) } else { (i, false) };
                report.uses.push(FileUse {
                    process: info.process,
                    path: targets.paths[i].clone(),
                    kinds,
                    old,
                });
            }
            report.processes.push(info);
        }
    }
    for p in registered {
        if report.processes.iter().any(|i| i.process == *p) {
            continue;
        }
        if let Some(info) = describe(*p, opts) {
            report.inaccessible.retain(|pid| *pid != p.pid);
            report.processes.push(info);
        }
    }
    report.processes.sort_by_key(|p| p.process.pid);
    report
        .uses
        .sort_by(|a, b| (a.process.pid, &a.path, a.old).cmp(&(b.process.pid, &b.path, b.old)));
    report.inaccessible.sort_unstable();
    report.inaccessible.dedup();
    report.reboot_reasons = reboot_reasons(&report.processes, opts);
    Ok(report)
}

/// Reads one process and records what it uses.
fn scan_one(
    proc_fd: BorrowedFd<'_>,
    pid: u32,
    targets: &Targets,
    opts: &ScanOptions,
    scratch: &mut Scratch,
    found: &mut Found,
) {
    let Ok(dir) = open_pid(proc_fd, pid) else {
        return; // exited since the listing
    };
    scratch.uses.clear();
    match inspect(dir.as_fd(), targets, scratch) {
        Outcome::Nothing => {}
        Outcome::Inaccessible => found.inaccessible.push(pid),
        Outcome::Uses => {
            let uses = std::mem::take(&mut scratch.uses);
            let socket = scratch.holds_socket;
            if let Some(info) = describe_at(dir.as_fd(), pid, socket, opts, scratch) {
                found.hits.push((info, uses));
            }
        }
    }
}

fn inspect(dir: BorrowedFd<'_>, targets: &Targets, scratch: &mut Scratch) -> Outcome {
    let mut denied = false;
    // The executable first: kernel threads have none (ENOENT), and neither do zombies, so
    // they are dismissed after one call.
    match rustix::fs::statat(dir, c"exe", AtFlags::empty()) {
        Ok(st) => {
            if targets.any_file {
                scratch.add(targets.lookup(st.st_dev, st.st_ino), UseKinds::EXE);
            }
            if targets.may_be_old(&st) {
                add_old(dir, c"exe", targets, scratch, UseKinds::EXE);
            }
        }
        Err(e) if is_denied(e) => {
            // A caller that is not root is refused kernel threads' links too; their
            // (world-readable) `stat` tells them apart, and they use no file.
            let kernel = read_once_at(dir, c"stat", &mut scratch.read)
                .and_then(|b| Stat::parse(std::str::from_utf8(b).ok()?))
                .is_some_and(|st| st.is_kernel_thread() || st.is_gone());
            if kernel {
                return Outcome::Nothing;
            }
            denied = true;
        }
        Err(_) => return Outcome::Nothing,
    }
    if targets.any_dir {
        for (name, kind) in [(c"cwd", UseKinds::CWD), (c"root", UseKinds::ROOT)] {
            match rustix::fs::statat(dir, name, AtFlags::empty()) {
                Ok(st) => {
                    scratch.add(targets.lookup(st.st_dev, st.st_ino), kind);
                    if targets.may_be_old(&st) {
                        add_old(dir, name, targets, scratch, kind);
                    }
                }
                Err(e) if is_denied(e) => denied = true,
                Err(_) => {}
            }
        }
    }
    // A directory can be held open too (`opendir`), but only files are mapped.
    if let Err(e) = scan_fds(dir, targets, scratch) {
        denied |= is_denied(e);
    }
    if targets.any_file
        && let Err(e) = scan_maps(dir, targets, scratch)
    {
        denied |= is_denied(e);
    }
    if !scratch.uses.is_empty() {
        Outcome::Uses
    } else if denied {
        Outcome::Inaccessible
    } else {
        Outcome::Nothing
    }
}

/// Records an old-file use when the magic link `name` of the process names one.
fn add_old(
    dir: BorrowedFd<'_>,
    name: &CStr,
    targets: &Targets,
    scratch: &mut Scratch,
    kind: UseKinds,
) {
    if let Ok(link) = rustix::fs::readlinkat(dir, name, Vec::new()) {
        let mut hits = Vec::new();
        targets.old_matches(link.as_bytes(), &mut hits);
        scratch.add(&hits, kind);
    }
}

/// Checks every file mapping of a process.
///
/// Where the kernel has the `PROCMAP_QUERY` ioctl (Linux 6.11), the file-backed mappings
/// are asked for one by one in binary: no text is rendered, no path is built, nothing is
/// parsed, which makes the scan about a quarter cheaper. Older kernels answer `ENOTTY` (the
/// worker then stops asking), and targets on anonymous-device file systems need the path
/// text anyway; both read `maps` as text.
fn scan_maps(dir: BorrowedFd<'_>, targets: &Targets, scratch: &mut Scratch) -> Result<(), Errno> {
    let fd = rustix::fs::openat(
        dir,
        c"maps",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut hits = Vec::new();
    if targets.anon.is_empty() && !scratch.no_procmap_query {
        // With one file asked about (under one or more names), the first mapping of it
        // answers the question: the rest of the address space need not be walked (unless
        // old files are looked for too).
        let one_file = targets.by_id.len() == 1 && targets.old.is_empty();
        let want_old = !targets.old.is_empty();
        let others = &mut scratch.unnamed;
        others.clear();
        match maps::for_each_file_mapping(fd.as_fd(), |dev, ino, start| {
            let found = targets.lookup(dev, ino);
            hits.extend_from_slice(found);
            if want_old && found.is_empty() {
                others.push((start, dev, ino));
            }
            !one_file || found.is_empty()
        }) {
            Ok(()) => {
                // Old files are known by name only: the binary answer has none, so each
                // other inode is named once per scan (whether it is unlinked does not
                // depend on who maps it) and only unlinked ones are compared.
                for k in 0..scratch.unnamed.len() {
                    let (start, dev, ino) = scratch.unnamed[k];
                    let name = match scratch.names.get(&(dev, ino)) {
                        Some(known) => known.as_deref(),
                        None => {
                            let Ok(name) = maps::name_at(fd.as_fd(), start, &mut scratch.name)
                            else {
                                continue;
                            };
                            let known = name.ends_with(DELETED_MARK).then(|| name.to_vec());
                            scratch.names.insert((dev, ino), known);
                            scratch.names.get(&(dev, ino)).and_then(Option::as_deref)
                        }
                    };
                    if let Some(name) = name {
                        targets.old_matches(name, &mut hits);
                    }
                }
                scratch.add(&hits, UseKinds::MAPPED);
                return Ok(());
            }
            Err(Errno::NOTTY | Errno::INVAL | Errno::NOSYS) => {
                scratch.no_procmap_query = true;
                hits.clear();
            }
            Err(e) => return Err(e),
        }
    }
    let len = read_all(fd.as_fd(), &mut scratch.read)?;
    maps::for_each_mapped_file(&scratch.read[..len], |dev, ino, path| {
        hits.extend_from_slice(targets.lookup(dev, ino));
        if path.ends_with(DELETED_MARK) {
            targets.old_matches(path, &mut hits);
        }
        for (i, canon) in &targets.anon {
            if path == canon.as_slice() {
                hits.push(*i);
            }
        }
    });
    scratch.add(&hits, UseKinds::MAPPED);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn may_signal_follows_kill_rules() {
        let user = Caller {
            uid: 1000,
            euid: 1000,
            session_id: 3,
        };
        assert!(user.may_signal(1000, 1000));
        assert!(user.may_signal(0, 1000));
        assert!(!user.may_signal(0, 0));
        let root = Caller { euid: 0, ..user };
        assert!(root.may_signal(0, 0));
    }

    /// Builds a fake `/proc` tree under `root` with four entries: 100 holds `target` (open,
    /// mapped and as its executable), 200 hides everything behind folders only root may
    /// enter, 300 is a kernel thread, and `self` is not a pid.
    fn fake_proc(root: &Path, target: &Path) -> PathBuf {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let meta = std::fs::metadata(target).unwrap();
        let maps = format!(
            "00400000-00401000 r--p 00000000 {:02x}:{:02x} {} {}\n7ffd0000-7ffd1000 rw-p 00000000 00:00 0 [stack]\n",
            rustix::fs::major(meta.dev()),
            rustix::fs::minor(meta.dev()),
            meta.ino(),
            target.display()
        );
        let stat = |pid: u32, flags: u64| {
            format!(
                "{pid} (fake {pid}) S 1 {pid} {pid} 0 -1 {flags} 0 0 0 0 0 0 0 0 20 0 1 0 {pid}000 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
            )
        };
        let proc = root.join("proc");
        let mode = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };

        let p100 = proc.join("100");
        std::fs::create_dir_all(p100.join("fd")).unwrap();
        std::fs::write(p100.join("stat"), stat(100, 0x40_0000)).unwrap();
        std::fs::write(
            p100.join("status"),
            "Name:\tfake\nUid:\t65534\t65534\t65534\t65534\n",
        )
        .unwrap();
        std::fs::write(p100.join("sessionid"), "4294967295").unwrap();
        std::fs::write(p100.join("maps"), &maps).unwrap();
        symlink(target, p100.join("exe")).unwrap();
        symlink(target, p100.join("fd/3")).unwrap();
        symlink("/", p100.join("cwd")).unwrap();
        symlink("/", p100.join("root")).unwrap();

        // 200: the same uses, but behind folders and files only root may read.
        let p200 = proc.join("200");
        let locked = root.join("locked");
        std::fs::create_dir_all(p200.join("fd")).unwrap();
        std::fs::create_dir_all(&locked).unwrap();
        let hidden = locked.join("target");
        std::fs::hard_link(target, &hidden).unwrap();
        std::fs::write(p200.join("stat"), stat(200, 0x40_0000)).unwrap();
        std::fs::write(p200.join("maps"), &maps).unwrap();
        symlink(&hidden, p200.join("exe")).unwrap();
        symlink(&hidden, p200.join("fd/3")).unwrap();
        mode(&locked, 0o700);
        mode(&p200.join("fd"), 0o700);
        mode(&p200.join("maps"), 0o600);

        // 300: a kernel thread (PF_KTHREAD, no executable).
        let p300 = proc.join("300");
        std::fs::create_dir_all(&p300).unwrap();
        std::fs::write(p300.join("stat"), stat(300, 0x20_0040)).unwrap();

        symlink("100", proc.join("self")).unwrap();
        for dir in [root, &proc, &p100, &p200, &p300] {
            mode(dir, 0o755);
        }
        proc
    }

    /// What an unprivileged caller must see in the fake tree.
    fn check_fake_tree(proc: &Path, target: &Path) {
        let opts = ScanOptions {
            proc_root: proc.to_path_buf(),
            services: None,
            ..ScanOptions::default()
        };
        let report = who_uses(&[target.to_path_buf()], &opts).expect("never fails");
        let pids: Vec<u32> = report.processes.iter().map(|p| p.process.pid).collect();
        assert_eq!(pids, vec![100], "{report:?}");
        let info = &report.processes[0];
        assert_eq!(info.process.start_time, 100_000);
        assert_eq!(info.app_name, "target.txt");
        assert_eq!(info.app_type, AppType::Unknown);
        assert_eq!(
            report.uses[0].kinds,
            UseKinds {
                fd: true,
                mapped: true,
                exe: true,
                cwd: false,
                root: false
            }
        );
        assert_eq!(report.inaccessible, vec![200], "reported once");
        assert!(report.reboot_reasons.is_empty());
    }

    #[test]
    fn an_unreadable_process_is_reported_once_and_does_not_fail_the_scan() {
        const ROLE: &str = "RSTMGR_FAKE_PROC_CHECK";
        if let Some(dir) = std::env::var_os(ROLE) {
            // The re-executed copy, running as nobody.
            let dir = PathBuf::from(dir);
            check_fake_tree(&dir.join("proc"), &dir.join("target.txt"));
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target.txt");
        std::fs::write(&target, "x").unwrap();
        let proc = fake_proc(tmp.path(), &target);
        if !rustix::process::geteuid().is_root() {
            check_fake_tree(&proc, &target);
            return;
        }
        // Root reads through any permission bits, so run the check as nobody.
        use std::os::unix::process::CommandExt;
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "scan::tests::an_unreadable_process_is_reported_once_and_does_not_fail_the_scan",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ROLE, tmp.path())
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("1 passed"),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
