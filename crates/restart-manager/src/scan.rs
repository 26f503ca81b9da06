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

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags, RawDir};
use rustix::io::Errno;

use crate::error::Error;
use crate::info::{
    AppStatus, AppType, INVALID_SESSION_ID, MAX_APP_NAME, MAX_SERVICE_NAME, ProcessInfo,
    RebootReasons, is_critical_name, is_critical_service, is_explorer_name, truncate_chars,
};
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
    /// The affected processes, with [`AppStatus::RUNNING`].
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

pub(crate) fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Opens `PROC/PID` as an `O_PATH` handle that later lookups are relative to.
pub(crate) fn open_pid(proc_fd: BorrowedFd<'_>, pid: u32) -> io::Result<OwnedFd> {
    let mut buf = [0u8; 16];
    Ok(rustix::fs::openat(
        proc_fd,
        pid_cstr(pid, &mut buf),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Formats a pid as a NUL-terminated name without allocating.
fn pid_cstr(pid: u32, buf: &mut [u8; 16]) -> &CStr {
    let mut digits = [0u8; 10];
    let mut n = pid;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in 0..len {
        buf[i] = digits[len - 1 - i];
    }
    buf[len] = 0;
    // The bytes are ASCII digits followed by exactly one NUL, which is all this needs.
    CStr::from_bytes_with_nul(&buf[..=len]).unwrap_or(c"0")
}

/// The numeric entries of the `/proc` root.
pub(crate) fn list_pids(proc_fd: BorrowedFd<'_>) -> io::Result<Vec<u32>> {
    let mut buf = vec![MaybeUninit::uninit(); 64 * 1024];
    let mut dir = RawDir::new(proc_fd, &mut buf);
    let mut pids = Vec::with_capacity(4096);
    while let Some(entry) = dir.next() {
        let entry = entry?;
        if let Some(pid) = parse_u32(entry.file_name().to_bytes()) {
            pids.push(pid);
        }
    }
    Ok(pids)
}

fn parse_u32(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 10 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    u32::try_from(n).ok()
}

pub(crate) fn is_denied(e: Errno) -> bool {
    e == Errno::ACCESS || e == Errno::PERM
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

/// After this many tables in a row that probing could not finish, a worker lists tables
/// straight away, trying probing again only on every [`PROBE_RETRY`]th process.
const PROBE_GIVE_UP: u32 = 2;
/// See [`PROBE_GIVE_UP`].
const PROBE_RETRY: u32 = 16;

/// Checks every open descriptor of a process.
///
/// Since Linux 6.2 the size that `stat` gives `/proc/PID/fd` is the number of open
/// descriptors. Most processes use the lowest numbers, so descriptors 0, 1, 2... are
/// checked directly until that many were found: no directory to open and list, and the
/// kernel builds no directory entry per descriptor. At the first hole (or on a kernel
/// that reports size 0) the rest of the table is listed instead. Processes started
/// together inherit the same holes (descriptors 10 and 255 from an interactive shell, say),
/// so a worker whose last tables all had holes lists the next ones without probing, and
/// only tries probing again now and then. Measured on 2,000 `sleep` processes: dense
/// tables cost 56 ms of CPU probed against 64 ms listed; tables with holes 67 ms listed
/// against 70 ms probed first.
fn scan_fds(dir: BorrowedFd<'_>, targets: &Targets, scratch: &mut Scratch) -> Result<(), Errno> {
    // Unknown until the whole table was seen.
    scratch.holds_socket = None;
    let result = scan_fd_table(dir, targets, scratch);
    if result.is_err() {
        scratch.holds_socket = None;
    }
    result
}

fn scan_fd_table(
    dir: BorrowedFd<'_>,
    targets: &Targets,
    scratch: &mut Scratch,
) -> Result<(), Errno> {
    scratch.holds_socket = Some(false);
    scratch.fd_tables += 1;
    let probe =
        scratch.probe_failures < PROBE_GIVE_UP || scratch.fd_tables.is_multiple_of(PROBE_RETRY);
    if !probe {
        return list_fds(dir, targets, scratch, 0);
    }
    let open = rustix::fs::statat(dir, c"fd", AtFlags::empty())?.st_size;
    if open <= 0 {
        return list_fds(dir, targets, scratch, 0);
    }
    let mut hits: Vec<usize> = Vec::new();
    let (mut found, mut fd) = (0i64, 0u32);
    let mut name = [0u8; 16];
    while found < open {
        match rustix::fs::statat(dir, fd_path(fd, &mut name), AtFlags::empty()) {
            Ok(st) => {
                found += 1;
                hits.extend_from_slice(targets.lookup(st.st_dev, st.st_ino));
                if is_socket(&st) {
                    scratch.holds_socket = Some(true);
                }
                if targets.may_be_old(&st)
                    && let Ok(link) =
                        rustix::fs::readlinkat(dir, fd_path(fd, &mut name), Vec::new())
                {
                    targets.old_matches(link.as_bytes(), &mut hits);
                }
            }
            Err(Errno::NOENT) => break,
            Err(e) => return Err(e),
        }
        fd += 1;
    }
    scratch.add(&hits, UseKinds::FD);
    if found >= open {
        scratch.probe_failures = 0;
        return Ok(());
    }
    scratch.probe_failures += 1;
    list_fds(dir, targets, scratch, fd)
}

fn is_socket(st: &rustix::fs::Stat) -> bool {
    rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Socket
}

/// Whether a process holds a socket (for [`describe`], which has not scanned its table).
fn holds_socket_of(dir: BorrowedFd<'_>) -> Option<bool> {
    let targets = Targets {
        paths: Vec::new(),
        by_id: HashMap::new(),
        anon: Vec::new(),
        any_file: false,
        any_dir: false,
        missing: Vec::new(),
        old: Vec::new(),
        gone: Vec::new(),
    };
    let mut scratch = Scratch::new();
    scan_fds(dir, &targets, &mut scratch).ok()?;
    scratch.holds_socket
}

/// `fd/N` as a NUL-terminated name, without allocating.
fn fd_path(fd: u32, buf: &mut [u8; 16]) -> &CStr {
    let mut digits = [0u8; 16];
    let n = pid_cstr(fd, &mut digits).to_bytes().len();
    buf[..3].copy_from_slice(b"fd/");
    buf[3..3 + n].copy_from_slice(&digits[..n]);
    buf[3 + n] = 0;
    // "fd/" and ASCII digits followed by exactly one NUL.
    CStr::from_bytes_with_nul(&buf[..=3 + n]).unwrap_or(c"fd/0")
}

/// Lists `/proc/PID/fd` and checks each entry from `first` on (the general case of
/// [`scan_fds`], which has checked the lower numbers already).
fn list_fds(
    dir: BorrowedFd<'_>,
    targets: &Targets,
    scratch: &mut Scratch,
    first: u32,
) -> Result<(), Errno> {
    let fd_dir = rustix::fs::openat(
        dir,
        c"fd",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut denied = None;
    let mut hits: Vec<usize> = Vec::new();
    {
        let mut entries = RawDir::new(fd_dir.as_fd(), &mut scratch.dirents);
        while let Some(entry) = entries.next() {
            let entry = entry?;
            let name = entry.file_name();
            if parse_u32(name.to_bytes()).is_none_or(|fd| fd < first) {
                continue;
            }
            match rustix::fs::statat(fd_dir.as_fd(), name, AtFlags::empty()) {
                Ok(st) => {
                    hits.extend_from_slice(targets.lookup(st.st_dev, st.st_ino));
                    if is_socket(&st) {
                        scratch.holds_socket = Some(true);
                    }
                    if targets.may_be_old(&st)
                        && let Ok(link) = rustix::fs::readlinkat(fd_dir.as_fd(), name, Vec::new())
                    {
                        targets.old_matches(link.as_bytes(), &mut hits);
                    }
                }
                Err(e) if is_denied(e) => {
                    // One denied entry means they all are (the check is per process).
                    denied = Some(e);
                    break;
                }
                Err(_) => {} // closed meanwhile
            }
        }
    }
    scratch.add(&hits, UseKinds::FD);
    match denied {
        Some(e) => Err(e),
        None => Ok(()),
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
        match procmap::for_each_file_mapping(fd.as_fd(), |dev, ino, start| {
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
                            let Ok(name) = procmap::name_at(fd.as_fd(), start, &mut scratch.name)
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
    for_each_mapped_file(&scratch.read[..len], |dev, ino, path| {
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

/// The `PROCMAP_QUERY` ioctl on `/proc/PID/maps` (`include/uapi/linux/fs.h`, Linux 6.11).
///
/// Neither `rustix` nor `libc` wraps it yet, so the request structure and the one `ioctl`
/// calls are written out here.
pub(crate) mod procmap {
    use rustix::fd::BorrowedFd;
    use rustix::io::Errno;

    /// `struct procmap_query`, field for field.
    #[repr(C)]
    #[derive(Default)]
    struct ProcmapQuery {
        size: u64,
        query_flags: u64,
        query_addr: u64,
        vma_start: u64,
        vma_end: u64,
        vma_flags: u64,
        vma_page_size: u64,
        vma_offset: u64,
        inode: u64,
        dev_major: u32,
        dev_minor: u32,
        vma_name_size: u32,
        build_id_size: u32,
        vma_name_addr: u64,
        build_id_addr: u64,
    }

    /// `PROCMAP_QUERY_COVERING_OR_NEXT_VMA`: the mapping at the address or the next one.
    const COVERING_OR_NEXT_VMA: u64 = 0x10;
    /// `PROCMAP_QUERY_FILE_BACKED_VMA`: skip anonymous mappings.
    const FILE_BACKED_VMA: u64 = 0x20;
    /// `PROCMAP_QUERY_VMA_EXECUTABLE`: only mappings with execute permission.
    const VMA_EXECUTABLE: u64 = 0x04;
    /// `_IOWR('f', 17, struct procmap_query)`.
    const PROCMAP_QUERY: rustix::ioctl::Opcode =
        rustix::ioctl::opcode::read_write::<ProcmapQuery>(b'f', 17);

    /// Calls `f(st_dev, inode, start)` for each file-backed mapping, in address order,
    /// until it returns false. `ENOTTY` means the kernel does not know the request.
    pub(super) fn for_each_file_mapping(
        maps: BorrowedFd<'_>,
        mut f: impl FnMut(u64, u64, u64) -> bool,
    ) -> Result<(), Errno> {
        let mut addr = 0u64;
        loop {
            let mut q = ProcmapQuery {
                size: std::mem::size_of::<ProcmapQuery>() as u64,
                query_flags: COVERING_OR_NEXT_VMA | FILE_BACKED_VMA,
                query_addr: addr,
                ..ProcmapQuery::default()
            };
            match query(maps, &mut q) {
                Ok(()) => {}
                // No mapping at or above `addr`: done.
                Err(Errno::NOENT) => return Ok(()),
                Err(e) => return Err(e),
            }
            if !f(
                rustix::fs::makedev(q.dev_major, q.dev_minor),
                q.inode,
                q.vma_start,
            ) {
                return Ok(());
            }
            if q.vma_end <= addr {
                return Ok(()); // cannot happen; never loop forever on a kernel bug
            }
            addr = q.vma_end;
        }
    }

    /// Calls `f(start, st_dev, inode)` for each executable file-backed mapping, in
    /// address order (what runs as code: `rstmgr stale`'s question).
    pub(crate) fn for_each_exec_file_mapping(
        maps: BorrowedFd<'_>,
        mut f: impl FnMut(u64, u64, u64),
    ) -> Result<(), Errno> {
        let mut addr = 0u64;
        loop {
            let mut q = ProcmapQuery {
                size: std::mem::size_of::<ProcmapQuery>() as u64,
                query_flags: COVERING_OR_NEXT_VMA | FILE_BACKED_VMA | VMA_EXECUTABLE,
                query_addr: addr,
                ..ProcmapQuery::default()
            };
            match query(maps, &mut q) {
                Ok(()) => {}
                Err(Errno::NOENT) => return Ok(()),
                Err(e) => return Err(e),
            }
            f(
                q.vma_start,
                rustix::fs::makedev(q.dev_major, q.dev_minor),
                q.inode,
            );
            if q.vma_end <= addr {
                return Ok(());
            }
            addr = q.vma_end;
        }
    }

    /// The name of the mapping that covers `addr`, as `maps` shows it (` (deleted)`
    /// included for an unlinked file), in `buf`.
    #[allow(unsafe_code)]
    pub(crate) fn name_at<'b>(
        maps: BorrowedFd<'_>,
        addr: u64,
        buf: &'b mut [u8],
    ) -> Result<&'b [u8], Errno> {
        let mut q = ProcmapQuery {
            size: std::mem::size_of::<ProcmapQuery>() as u64,
            query_flags: 0,
            query_addr: addr,
            vma_name_size: u32::try_from(buf.len()).unwrap_or(u32::MAX),
            vma_name_addr: buf.as_mut_ptr() as u64,
            ..ProcmapQuery::default()
        };
        // SAFETY: as in `query`, and in addition `vma_name_addr`/`vma_name_size` describe
        // `buf`, which is exclusively borrowed for the call: the kernel writes at most
        // `vma_name_size` bytes there (the NUL-terminated name) and nowhere else.
        unsafe {
            rustix::ioctl::ioctl(
                maps,
                rustix::ioctl::Updater::<{ PROCMAP_QUERY }, ProcmapQuery>::new(&mut q),
            )?;
        }
        // `vma_name_size` comes back as the name's length with its NUL.
        let len = (q.vma_name_size as usize).saturating_sub(1).min(buf.len());
        Ok(&buf[..len])
    }

    #[allow(unsafe_code)]
    fn query(maps: BorrowedFd<'_>, q: &mut ProcmapQuery) -> Result<(), Errno> {
        // SAFETY: `q` is a live, exclusively borrowed `struct procmap_query` with `size`
        // set to its own size, the layout the opcode encodes. `vma_name_size` and
        // `build_id_size` are 0, so the kernel writes through no pointer of ours other
        // than `q` itself, and only within `size` bytes.
        unsafe {
            rustix::ioctl::ioctl(
                maps,
                rustix::ioctl::Updater::<{ PROCMAP_QUERY }, ProcmapQuery>::new(q),
            )
        }
    }
}

/// Reads a whole `/proc` file into `buf` and returns how many bytes it holds.
///
/// `buf` is kept initialised over its whole length and reused from process to process, so
/// the common case is one `read` that fills part of it and one that returns 0, with no
/// zeroing and no allocation; it only grows (doubling) for a file that does not fit.
pub(crate) fn read_all(fd: BorrowedFd<'_>, buf: &mut Vec<u8>) -> Result<usize, Errno> {
    if buf.is_empty() {
        buf.resize(16 * 1024, 0);
    }
    let mut len = 0;
    loop {
        if buf.len() - len < 4096 {
            let grown = buf.len() * 2;
            buf.resize(grown, 0);
        }
        let n = rustix::io::read(fd, &mut buf[len..])?;
        if n == 0 {
            return Ok(len);
        }
        len += n;
    }
}

/// Calls `f(dev, inode, path)` for each file-backed line of a `maps` text. Lines look like
/// `7f1c4aced000-7f1c4ad13000 r--p 00000000 fe:00 326279    /usr/lib/x86_64-linux-gnu/libc.so.6`;
/// anonymous mappings have inode 0 and are skipped. Parsed by hand, in place: this runs
/// for every line of every process.
fn for_each_mapped_file(text: &[u8], mut f: impl FnMut(u64, u64, &[u8])) {
    for line in text.split(|b| *b == b'\n') {
        let mut fields = line.splitn(6, |b| *b == b' ');
        let (Some(_range), Some(_perms), Some(_offset), Some(dev), Some(ino)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            continue;
        };
        let Some(ino) = parse_u64(ino) else { continue };
        if ino == 0 {
            continue;
        }
        let Some(dev) = parse_dev(dev) else { continue };
        let path = fields.next().unwrap_or_default();
        let path = trim_leading_spaces(path);
        f(dev, ino, path);
    }
}

fn trim_leading_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    s
}

fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

/// `major:minor` in hex, as `maps` prints it, to an `st_dev` value.
fn parse_dev(bytes: &[u8]) -> Option<u64> {
    let colon = bytes.iter().position(|b| *b == b':')?;
    let hex = |s: &[u8]| -> Option<u32> {
        if s.is_empty() || s.len() > 8 {
            return None;
        }
        let mut n: u32 = 0;
        for &b in s {
            n = (n << 4) | char::from(b).to_digit(16)?;
        }
        Some(n)
    };
    Some(rustix::fs::makedev(
        hex(&bytes[..colon])?,
        hex(&bytes[colon + 1..])?,
    ))
}

/// Reads a small `/proc` file that the kernel hands over whole in one `read` (`stat`,
/// `status` and `sessionid` are rendered in one go; `environ` is copied in a loop until
/// the buffer is full), so the second `read` that [`read_all`] makes to see the end is not
/// needed. `buf` is grown once if it is too small
/// for the record to be surely whole.
pub(crate) fn read_once_at<'b>(
    dir: BorrowedFd<'_>,
    name: &CStr,
    buf: &'b mut Vec<u8>,
) -> Option<&'b [u8]> {
    if buf.len() < 16 * 1024 {
        buf.resize(16 * 1024, 0);
    }
    let fd = rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let n = rustix::io::read(fd.as_fd(), &mut buf[..]).ok()?;
    if n == buf.len() {
        // Filled to the brim: maybe not whole. Read the rest the careful way.
        let fd =
            rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
        let len = read_all(fd.as_fd(), buf).ok()?;
        return Some(&buf[..len]);
    }
    Some(&buf[..n])
}

/// Builds the [`ProcessInfo`] of the process whose `/proc` directory is `dir`; `None` if
/// it has exited (or is a zombie) or its `stat` cannot be read.
fn describe_at(
    dir: BorrowedFd<'_>,
    pid: u32,
    holds_socket: Option<bool>,
    opts: &ScanOptions,
    scratch: &mut Scratch,
) -> Option<ProcessInfo> {
    let buf = &mut scratch.read;
    let stat = Stat::parse(std::str::from_utf8(read_once_at(dir, c"stat", buf)?).ok()?)?;
    if stat.is_gone() {
        return None;
    }
    let process = UniqueProcess {
        pid,
        start_time: stat.start_time,
    };
    // The owner of `/proc/PID` is the user the process runs as (its effective uid), one
    // `fstat` away. Only a caller that is not root needs the real and saved uids the
    // kernel checks before delivering a signal, from the much costlier `status` file.
    let owner = rustix::fs::fstat(dir).map_or(u32::MAX, |st| st.st_uid);
    let may_signal = opts.caller.euid == 0
        || read_once_at(dir, c"status", buf)
            .and_then(uids_from_status)
            .is_some_and(|(real, saved)| opts.caller.may_signal(real, saved));
    let session_id = read_once_at(dir, c"sessionid", buf)
        .and_then(|b| std::str::from_utf8(b).ok()?.trim().parse().ok())
        .unwrap_or(INVALID_SESSION_ID);
    let exe = rustix::fs::readlinkat(dir, c"exe", Vec::new())
        .ok()
        .map(|c| PathBuf::from(std::ffi::OsStr::from_bytes(c.as_bytes())));
    let exe_name = exe
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    let service_name = opts.services.as_deref().and_then(|manager| {
        manager
            .service_of(pid)
            .map(|s| truncate_chars(s, MAX_SERVICE_NAME))
    });
    let name_for_rules = exe_name.clone().unwrap_or_else(|| stat.comm.clone());

    let critical = pid == 1
        || stat.is_kernel_thread()
        || is_critical_name(&name_for_rules)
        || service_name.as_deref().is_some_and(is_critical_service)
        || !may_signal
        || opts.primary == Some(process);
    let app_type = if critical {
        AppType::Critical
    } else if service_name.is_some() {
        AppType::Service
    } else if is_explorer_name(&name_for_rules) {
        AppType::Explorer
    } else if stat.tty_nr != 0 {
        AppType::Console
    } else if holds_socket.or_else(|| holds_socket_of(dir)) == Some(true)
        && read_once_at(dir, c"environ", buf).is_some_and(has_display)
    {
        // A graphical program talks to its display server over a socket; checking for one
        // first spares reading the environment of most daemons and batch programs.
        AppType::MainWindow
    } else {
        AppType::Unknown
    };
    // A critical process is named by its executable's file name (spec §4.2); a service by
    // its service name; anything else by its executable's name too.
    let app_name = match (&service_name, app_type) {
        (Some(s), t) if t != AppType::Critical => s.clone(),
        _ => name_for_rules,
    };
    Some(ProcessInfo {
        process,
        app_name: truncate_chars(app_name, MAX_APP_NAME),
        restartable: app_type == AppType::Service,
        service_name,
        app_type,
        status: AppStatus::RUNNING,
        session_id,
        uid: owner,
        exe,
    })
}

/// The real and saved uids from the `Uid:` line of `/proc/PID/status`.
fn uids_from_status(text: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(text).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    let mut ids = line.split_ascii_whitespace().map(|s| s.parse::<u32>().ok());
    let real = ids.next()??;
    let _effective = ids.next()??;
    let saved = ids.next()??;
    Some((real, saved))
}

/// Whether a NUL-separated environment names a graphical display.
fn has_display(environ: &[u8]) -> bool {
    environ.split(|b| *b == 0).any(|var| {
        // Most variables are dismissed by their first byte.
        let value = match var.first() {
            Some(b'D') => var.strip_prefix(b"DISPLAY="),
            Some(b'W') => var.strip_prefix(b"WAYLAND_DISPLAY="),
            _ => None,
        };
        value.is_some_and(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines_give_device_inode_and_path() {
        let text = b"55d0c0a00000-55d0c0a02000 r--p 00000000 fe:00 247030                     /usr/bin/cat\n\
7ffd1c3e5000-7ffd1c406000 rw-p 00000000 00:00 0                          [stack]\n\
7f1c4aced000-7f1c4ad13000 r--p 00000000 103:02 326279                     /lib/libc.so.6 (deleted)\n\
garbage line\n";
        let mut seen = Vec::new();
        for_each_mapped_file(text, |dev, ino, path| seen.push((dev, ino, path.to_vec())));
        assert_eq!(
            seen,
            vec![
                (
                    rustix::fs::makedev(0xfe, 0),
                    247030,
                    b"/usr/bin/cat".to_vec()
                ),
                (
                    rustix::fs::makedev(0x103, 2),
                    326279,
                    b"/lib/libc.so.6 (deleted)".to_vec()
                ),
            ]
        );
    }

    #[test]
    fn the_binary_query_and_the_maps_text_agree() {
        let maps = std::fs::File::open("/proc/self/maps").unwrap();
        let mut binary = Vec::new();
        match procmap::for_each_file_mapping(maps.as_fd(), |dev, ino, _| {
            binary.push((dev, ino));
            true
        }) {
            Ok(()) => {}
            // Kernels before 6.11 do not have the request; the text is used there.
            Err(Errno::NOTTY | Errno::INVAL) => return,
            Err(e) => panic!("PROCMAP_QUERY failed: {e}"),
        }
        // Read the text after the query: this test's mappings do not change in between
        // except for anonymous ones, which neither side reports.
        let text = std::fs::read("/proc/self/maps").unwrap();
        let mut parsed = Vec::new();
        for_each_mapped_file(&text, |dev, ino, _| parsed.push((dev, ino)));
        binary.sort_unstable();
        binary.dedup();
        parsed.sort_unstable();
        parsed.dedup();
        assert!(!binary.is_empty());
        assert_eq!(binary, parsed);
    }

    #[test]
    fn dev_numbers_follow_the_kernel_encoding() {
        assert_eq!(parse_dev(b"fe:00"), Some(65024));
        assert_eq!(parse_dev(b"00:1f"), Some(31));
        assert_eq!(parse_dev(b"fe"), None);
        assert_eq!(parse_dev(b"zz:00"), None);
    }

    #[test]
    fn fd_names_are_formatted_without_allocating() {
        let mut buf = [0u8; 16];
        assert_eq!(fd_path(0, &mut buf), c"fd/0");
        assert_eq!(fd_path(1234567, &mut buf), c"fd/1234567");
    }

    #[test]
    fn pids_are_formatted_without_allocating() {
        let mut buf = [0u8; 16];
        assert_eq!(pid_cstr(0, &mut buf), c"0");
        assert_eq!(pid_cstr(4294967295, &mut buf), c"4294967295");
        assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32(b"4294967296"), None);
        assert_eq!(parse_u32(b"self"), None);
    }

    #[test]
    fn uids_and_display_are_read() {
        let status = b"Name:\tsleep\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\n";
        assert_eq!(uids_from_status(status), Some((1000, 1002)));
        assert!(has_display(b"HOME=/root\0DISPLAY=:0\0"));
        assert!(has_display(b"WAYLAND_DISPLAY=wayland-0\0"));
        assert!(!has_display(b"DISPLAY=\0XDISPLAY=:0\0"));
    }

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
