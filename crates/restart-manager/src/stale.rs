//! Which processes still run old code after an upgrade (`rstmgr stale`), read from `/proc`
//! alone.
//!
//! # What counts as old code
//! - **exe**: the executable was deleted or replaced: the kernel marks `/proc/PID/exe`
//!   ` (deleted)` once the inode the process runs is no longer linked at its path, which
//!   is exactly what a package manager's replace-by-rename does.
//! - **map**: an executable mapping (`x` in `/proc/PID/maps`) of a file that was deleted
//!   or replaced, by the same mark: a shared library upgraded under a running program.
//!   The kernel renders the path of the mapped inode itself, so a library renamed aside
//!   shows its new name and is not old code; only an unlinked inode is marked.
//! - **script**: an interpreter (python, perl, ruby, node, `java -jar`, a shell) whose
//!   main script, read off its command line (see `interp`), was changed (modified or
//!   replaced: the later of its `mtime` and `ctime`) after the process started, with 2 s
//!   of slack because the boot time the start is counted from is known to the second.
//!   The script is looked up inside the process's own root (`/proc/PID/root`), so a
//!   process in a container is judged by its container's file.
//!
//! Nothing is opened but `/proc` files and, for scripts, one `stat`; nothing is parsed
//! but `/proc` text, and nothing is ever executed.
//!
//! Deleted files that are not code are left out: memfd and SysV shared memory, devices
//! (`/dev`, `/dev/shm`), `[aio]`, temporary folders (`/tmp`, `/var/tmp`, `/run`,
//! `/var/run`, and the process's own `$TMPDIR`), and the JIT files that GStreamer's ORC,
//! Java's JNA and Qt write and map (needrestart's `blacklist_mappings` shows which
//! programs do this).
//!
//! # Grouping
//! Each stale process is put where restarting it belongs, as needrestart groups them:
//! the service its service manager records (a runit service by its supervised pid, found
//! through `$SVDIR` else `/etc/service`; else the systemd unit of its cgroup), else a
//! container (another mount namespace than the caller's), else a user session (the
//! systemd session scope or user manager of its cgroup, the kernel's audit login session,
//! or its controlling terminal), else nothing ("other").

use std::collections::{BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{AtFlags, Mode, OFlags};
use serde::Serialize;

use crate::error::Error;
use crate::info::INVALID_SESSION_ID;
use crate::interp::main_script;
use crate::kernel::{KernelStatus, kernel_status};
use crate::proc_dir::{is_denied, list_pids, open_dir, open_pid, read_all, read_once_at};
use crate::process::{DEFAULT_PROC_ROOT, Stat, UniqueProcess};
use crate::service::{Runit, unit_from_cgroup};

/// How a process uses old code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StaleHow {
    /// An executable mapping of a deleted or replaced file.
    Map,
    /// The executable itself was deleted or replaced.
    Exe,
    /// The interpreter's main script changed after the process started.
    Script,
}

/// One piece of old code a process runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleFile {
    /// The path it had (without the kernel's ` (deleted)` mark).
    #[serde(serialize_with = "crate::stale::lossy")]
    pub path: PathBuf,
    /// How it is used.
    pub how: StaleHow,
}

/// A process running old code, and where it belongs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleProcess {
    /// Pid and start time.
    #[serde(flatten)]
    pub process: UniqueProcess,
    /// The user it runs as (the owner of `/proc/PID`).
    pub uid: u32,
    /// Its executable's path, ` (deleted)` removed; `None` if unreadable.
    #[serde(serialize_with = "crate::stale::lossy_opt")]
    pub exe: Option<PathBuf>,
    /// The service it is (systemd unit or runit service name).
    pub unit: Option<String>,
    /// The user session it belongs to (`USER @ session #N`, `USER @ user manager
    /// service`, `USER @ /dev/pts/N`), when it is no service.
    pub session: Option<String>,
    /// The container it runs in, when it is no service.
    pub container: Option<String>,
    /// The old code it runs.
    pub stale: Vec<StaleFile>,
}

/// What [`stale`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleReport {
    /// The stale processes, by pid.
    pub processes: Vec<StaleProcess>,
    /// The services to restart, sorted, each once.
    pub services: Vec<String>,
    /// The user sessions running old code, sorted, each once.
    pub sessions: Vec<String>,
    /// The containers running old code, sorted, each once.
    pub containers: Vec<String>,
    /// The kernel check.
    pub kernel: KernelStatus,
    /// Pids that could not be inspected (permission denied): they may run old code too.
    #[serde(skip)]
    pub inaccessible: Vec<u32>,
}

/// How [`stale`] runs.
#[derive(Debug, Clone)]
pub struct StaleOptions {
    /// Where `/proc` is mounted.
    pub proc_root: PathBuf,
    /// The system root the installed kernels are looked for under (`/`).
    pub sysroot: PathBuf,
    /// runit, when its service folder exists: its supervised pids are services.
    pub runit: Option<Runit>,
    /// Leave these pids out (the caller and its parent, say).
    pub skip: Vec<u32>,
    /// Worker threads; 0 means two per CPU.
    pub threads: usize,
}

impl Default for StaleOptions {
    fn default() -> StaleOptions {
        let runit = Runit::from_env();
        StaleOptions {
            proc_root: PathBuf::from(DEFAULT_PROC_ROOT),
            sysroot: PathBuf::from("/"),
            runit: runit.dir().is_dir().then_some(runit),
            skip: vec![std::process::id()],
            threads: 0,
        }
    }
}

pub(crate) fn lossy<S: serde::Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string_lossy())
}

pub(crate) fn lossy_opt<S: serde::Serializer>(
    p: &Option<PathBuf>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.serialize_str(&p.to_string_lossy()),
        None => s.serialize_none(),
    }
}

/// Finds every process running old code (see the module docs).
///
/// Fails only when `/proc` cannot be listed; a process that cannot be read is listed in
/// [`StaleReport::inaccessible`].
pub fn stale(opts: &StaleOptions) -> Result<StaleReport, Error> {
    let proc_fd = open_dir(&opts.proc_root)
        .map_err(|e| Error::io(format!("cannot open {}", opts.proc_root.display()), e))?;
    let mut pids = list_pids(proc_fd.as_fd())
        .map_err(|e| Error::io(format!("cannot list {}", opts.proc_root.display()), e))?;
    pids.retain(|p| !opts.skip.contains(p));
    let clock = Clock::read(&opts.proc_root);
    let my_mnt_ns = rustix::fs::statat(proc_fd.as_fd(), c"self/ns/mnt", AtFlags::empty())
        .ok()
        .map(|st| st.st_ino);
    let supervised = opts
        .runit
        .as_ref()
        .map(Runit::supervised_pids)
        .unwrap_or_default();
    let ctx = Ctx {
        clock,
        my_mnt_ns,
        supervised,
    };

    let threads = match opts.threads {
        0 => 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let threads = threads.min(pids.len() / 256 + 1).max(1);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut found = Vec::new();
        let mut denied = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut cache = Cache::new();
        const BATCH: usize = 32;
        loop {
            let start = next.fetch_add(BATCH, Ordering::Relaxed);
            if start >= pids.len() {
                break;
            }
            for &pid in &pids[start..(start + BATCH).min(pids.len())] {
                match check_one(proc_fd.as_fd(), pid, &ctx, &mut buf, &mut cache) {
                    Checked::Clean => {}
                    Checked::Denied => denied.push(pid),
                    Checked::Stale(p) => found.push(*p),
                }
            }
        }
        (found, denied)
    };
    let mut processes = Vec::new();
    let mut inaccessible = Vec::new();
    let mut lost_worker = false;
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, work).ok())
            .collect();
        let (f, d) = work();
        processes.extend(f);
        inaccessible.extend(d);
        for h in handles {
            match h.join() {
                Ok((f, d)) => {
                    processes.extend(f);
                    inaccessible.extend(d);
                }
                Err(_) => lost_worker = true,
            }
        }
    });
    if lost_worker {
        return Err(Error::io(
            "scanning /proc",
            std::io::Error::other("a scan worker stopped unexpectedly"),
        ));
    }
    processes.sort_by_key(|p| p.process.pid);
    inaccessible.sort_unstable();
    let set = |f: fn(&StaleProcess) -> Option<&String>| -> Vec<String> {
        processes
            .iter()
            .filter_map(f)
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let services = set(|p| p.unit.as_ref());
    let sessions = set(|p| p.session.as_ref());
    let containers = set(|p| p.container.as_ref());
    Ok(StaleReport {
        services,
        sessions,
        containers,
        kernel: kernel_status(&opts.sysroot),
        processes,
        inaccessible,
    })
}

/// A process, and where restarting it belongs (the grouping of [`stale`], for processes
/// found another way: `rstmgr preflight` places the current users of files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placed {
    /// Pid and start time.
    #[serde(flatten)]
    pub process: UniqueProcess,
    /// The user it runs as.
    pub uid: u32,
    /// Its executable (` (deleted)` removed).
    #[serde(serialize_with = "crate::stale::lossy_opt")]
    pub exe: Option<PathBuf>,
    /// Its service.
    pub unit: Option<String>,
    /// Its user session, when it is no service.
    pub session: Option<String>,
    /// Its container, when it is no service.
    pub container: Option<String>,
}

/// Places processes as [`stale`] groups them, reading what that needs once.
pub struct Placer {
    proc_fd: rustix::fd::OwnedFd,
    ctx: Ctx,
}

impl Placer {
    /// Reads the runit services and the caller's namespace.
    pub fn new(opts: &StaleOptions) -> Result<Placer, Error> {
        let proc_fd = open_dir(&opts.proc_root)
            .map_err(|e| Error::io(format!("cannot open {}", opts.proc_root.display()), e))?;
        let my_mnt_ns = rustix::fs::statat(proc_fd.as_fd(), c"self/ns/mnt", AtFlags::empty())
            .ok()
            .map(|st| st.st_ino);
        let supervised = opts
            .runit
            .as_ref()
            .map(Runit::supervised_pids)
            .unwrap_or_default();
        Ok(Placer {
            ctx: Ctx {
                clock: Clock::read(&opts.proc_root),
                my_mnt_ns,
                supervised,
            },
            proc_fd,
        })
    }

    /// Where `process` belongs; `None` when it is gone.
    pub fn place(&self, process: UniqueProcess) -> Option<Placed> {
        let dir = open_pid(self.proc_fd.as_fd(), process.pid).ok()?;
        let dir = dir.as_fd();
        let mut buf = vec![0u8; 16 * 1024];
        let stat = read_once_at(dir, c"stat", &mut buf)
            .and_then(|b| Stat::parse(std::str::from_utf8(b).ok()?))?;
        if stat.is_gone() || stat.start_time != process.start_time {
            return None;
        }
        let uid = rustix::fs::fstat(dir).map_or(u32::MAX, |st| st.st_uid);
        let exe = rustix::fs::readlinkat(dir, c"exe", Vec::new())
            .ok()
            .map(|l| {
                let b = l.into_bytes();
                let live = b.strip_suffix(DELETED).unwrap_or(&b).to_vec();
                PathBuf::from(OsString::from_vec(live))
            });
        let (unit, session, container) = place(dir, process.pid, uid, &stat, &self.ctx, &mut buf);
        Some(Placed {
            process,
            uid,
            exe,
            unit,
            session,
            container,
        })
    }
}

/// What every worker shares.
struct Ctx {
    clock: Clock,
    my_mnt_ns: Option<u64>,
    supervised: HashMap<u32, String>,
}

/// Turns a process's start (clock ticks since boot) into seconds since the epoch.
#[derive(Debug, Clone, Copy)]
struct Clock {
    /// `btime` of `/proc/stat`: the boot, in whole seconds since the epoch.
    boot: i64,
    ticks_per_second: u64,
}

impl Clock {
    fn read(proc_root: &Path) -> Clock {
        let boot = std::fs::read_to_string(proc_root.join("stat"))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("btime "))
                    .and_then(|v| v.trim().parse().ok())
            })
            .unwrap_or(0);
        Clock {
            boot,
            ticks_per_second: rustix::param::clock_ticks_per_second().max(1),
        }
    }

    fn start_seconds(&self, start_ticks: u64) -> i64 {
        self.boot + (start_ticks / self.ticks_per_second) as i64
    }
}

/// Slack for a script changed "after" the start: the boot time is whole seconds.
const SCRIPT_SLACK_SECONDS: i64 = 2;

enum Checked {
    Clean,
    Denied,
    Stale(Box<StaleProcess>),
}

/// The ` (deleted)` mark the kernel appends to an unlinked file's path.
const DELETED: &[u8] = b" (deleted)";

/// Whether a deleted path is no code worth a restart (see the module docs).
fn is_ignored(path: &[u8], tmpdir: Option<&[u8]>) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"/memfd:",
        b"/SYSV",
        b"/dev/",
        b"/drm",
        b"/[aio]",
        b"/anon_hugepage",
        b"/tmp/",
        b"/var/tmp/",
        b"/run/",
        b"/var/run/",
    ];
    if !path.starts_with(b"/") || PREFIXES.iter().any(|p| path.starts_with(p)) {
        return true;
    }
    if tmpdir
        .is_some_and(|t| t.len() > 1 && path.starts_with(t) && path.get(t.len()) == Some(&b'/'))
    {
        return true;
    }
    let name = path.rsplit(|c| *c == b'/').next().unwrap_or_default();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    name.starts_with(b"orcexec.")
        || name
            .strip_prefix(b"jna")
            .and_then(|r| r.strip_suffix(b".tmp"))
            .is_some_and(digits)
        || name.strip_prefix(b"#").is_some_and(digits)
}

/// What one worker remembers from process to process: files are shared by many
/// processes (every one maps the C library), and whether an inode is unlinked does not
/// depend on who maps it, so each is named once per scan.
struct Cache {
    /// Executable (device, inode) → its path.
    exes: HashMap<(u64, u64), Vec<u8>>,
    /// Executable mapping (device, inode) → its path when the file is unlinked, `None`
    /// when it is linked.
    maps: HashMap<(u64, u64), Option<Vec<u8>>>,
    /// Set once the kernel refused `PROCMAP_QUERY`: read `maps` as text.
    no_query: bool,
    name: Vec<u8>,
    mappings: Vec<(u64, u64, u64)>,
}

impl Cache {
    fn new() -> Cache {
        Cache {
            exes: HashMap::new(),
            maps: HashMap::new(),
            no_query: false,
            name: vec![0; 4096],
            mappings: Vec::new(),
        }
    }
}

fn readlink_live(dir: BorrowedFd<'_>, name: &std::ffi::CStr) -> Option<Vec<u8>> {
    let b = rustix::fs::readlinkat(dir, name, Vec::new())
        .ok()?
        .into_bytes();
    Some(b.strip_suffix(DELETED).unwrap_or(&b).to_vec())
}

fn check_one(
    proc_fd: BorrowedFd<'_>,
    pid: u32,
    ctx: &Ctx,
    buf: &mut Vec<u8>,
    cache: &mut Cache,
) -> Checked {
    let Ok(dir) = open_pid(proc_fd, pid) else {
        return Checked::Clean;
    };
    let dir = dir.as_fd();
    // One `stat` through the link: kernel threads and zombies have no executable, and an
    // unlinked executable has no links left.
    let exe_st = match rustix::fs::statat(dir, c"exe", AtFlags::empty()) {
        Ok(st) => st,
        Err(e) if is_denied(e) => {
            let kernel = read_once_at(dir, c"stat", buf)
                .and_then(|b| Stat::parse(std::str::from_utf8(b).ok()?))
                .is_some_and(|st| st.is_kernel_thread() || st.is_gone());
            return if kernel {
                Checked::Clean
            } else {
                Checked::Denied
            };
        }
        Err(_) => return Checked::Clean,
    };
    let exe_key = (exe_st.st_dev, exe_st.st_ino);
    let exe_deleted = exe_st.st_nlink == 0;
    let exe_live = if exe_deleted {
        match readlink_live(dir, c"exe") {
            Some(p) => p,
            None => return Checked::Clean,
        }
    } else if let Some(p) = cache.exes.get(&exe_key) {
        p.clone()
    } else {
        let Some(p) = readlink_live(dir, c"exe") else {
            return Checked::Clean;
        };
        cache.exes.insert(exe_key, p.clone());
        p
    };
    let mut candidates: Vec<(Vec<u8>, StaleHow)> = Vec::new();
    if exe_deleted && !is_ignored(&exe_live, None) {
        candidates.push((exe_live.clone(), StaleHow::Exe));
    }
    let maps = match rustix::fs::openat(
        dir,
        c"maps",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(e) if is_denied(e) => return Checked::Denied,
        Err(_) => return Checked::Clean,
    };
    let mut queried = false;
    if !cache.no_query {
        cache.mappings.clear();
        let mappings = &mut cache.mappings;
        match crate::maps::for_each_exec_file_mapping(maps.as_fd(), |start, dev, ino| {
            mappings.push((start, dev, ino));
        }) {
            Ok(()) => {
                queried = true;
                for i in 0..cache.mappings.len() {
                    let (start, dev, ino) = cache.mappings[i];
                    if (dev, ino) == exe_key || ino == 0 {
                        continue;
                    }
                    let deleted = match cache.maps.get(&(dev, ino)) {
                        Some(known) => known.clone(),
                        None => {
                            let Ok(name) =
                                crate::maps::name_at(maps.as_fd(), start, &mut cache.name)
                            else {
                                continue;
                            };
                            let known = name.strip_suffix(DELETED).map(<[u8]>::to_vec);
                            cache.maps.insert((dev, ino), known.clone());
                            known
                        }
                    };
                    if let Some(path) = deleted
                        && path != exe_live
                        && !candidates.iter().any(|(p, _)| *p == path)
                    {
                        candidates.push((path, StaleHow::Map));
                    }
                }
            }
            Err(rustix::io::Errno::NOTTY | rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {
                cache.no_query = true;
            }
            Err(e) if is_denied(e) => return Checked::Denied,
            Err(_) => return Checked::Clean,
        }
    }
    if !queried {
        match read_all(maps.as_fd(), buf) {
            Ok(len) => deleted_exec_mappings(&buf[..len], &exe_live, &mut candidates),
            Err(e) if is_denied(e) => return Checked::Denied,
            Err(_) => return Checked::Clean,
        }
    }
    let exe_name = exe_live.rsplit(|c| *c == b'/').next().unwrap_or_default();
    let interpreter = crate::interp::is_interpreter(exe_name);
    if candidates.is_empty() && !interpreter {
        return Checked::Clean;
    }
    let mut stale: Vec<StaleFile> = Vec::new();
    if !candidates.is_empty() {
        let tmpdir = read_once_at(dir, c"environ", buf).and_then(|env| {
            env.split(|c| *c == 0)
                .find_map(|v| v.strip_prefix(b"TMPDIR="))
                .map(<[u8]>::to_vec)
        });
        for (path, how) in candidates {
            if !is_ignored(&path, tmpdir.as_deref())
                && !stale.iter().any(|s| s.path.as_os_str().as_bytes() == path)
            {
                stale.push(StaleFile {
                    path: PathBuf::from(OsString::from_vec(path)),
                    how,
                });
            }
        }
    }
    let Some(stat) =
        read_once_at(dir, c"stat", buf).and_then(|b| Stat::parse(std::str::from_utf8(b).ok()?))
    else {
        return Checked::Clean;
    };
    if stat.is_gone() {
        return Checked::Clean;
    }
    if interpreter && let Some(script) = changed_script(dir, exe_name, stat.start_time, ctx, buf) {
        stale.push(script);
    }
    if stale.is_empty() {
        return Checked::Clean;
    }
    let uid = rustix::fs::fstat(dir).map_or(u32::MAX, |st| st.st_uid);
    let process = UniqueProcess {
        pid,
        start_time: stat.start_time,
    };
    let (unit, session, container) = place(dir, pid, uid, &stat, ctx, buf);
    // The path this process ran it by (the cache may hold another link's name).
    let exe = readlink_live(dir, c"exe").unwrap_or(exe_live);
    Checked::Stale(Box::new(StaleProcess {
        process,
        uid,
        exe: Some(PathBuf::from(OsString::from_vec(exe))),
        unit,
        session,
        container,
        stale,
    }))
}

/// Adds the deleted files mapped executable in a `maps` text (the executable itself
/// excepted: it is reported as such).
fn deleted_exec_mappings(maps: &[u8], exe: &[u8], out: &mut Vec<(Vec<u8>, StaleHow)>) {
    for line in maps.split(|c| *c == b'\n') {
        if !line.ends_with(DELETED) {
            continue;
        }
        let mut fields = line.splitn(6, |c| *c == b' ');
        let (Some(_range), Some(perms), Some(_off), Some(_dev), Some(ino)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            continue;
        };
        if perms.get(2) != Some(&b'x') || ino == b"0" {
            continue;
        }
        let path = fields.next().unwrap_or_default();
        let path = &path[path.iter().position(|c| *c != b' ').unwrap_or(path.len())..];
        let path = path.strip_suffix(DELETED).unwrap_or(path);
        if path == exe || out.iter().any(|(p, _)| p == path) {
            continue;
        }
        out.push((path.to_vec(), StaleHow::Map));
    }
}

/// The interpreter's main script, when it changed after the process started.
fn changed_script(
    dir: BorrowedFd<'_>,
    exe_name: &[u8],
    start_ticks: u64,
    ctx: &Ctx,
    buf: &mut Vec<u8>,
) -> Option<StaleFile> {
    let cmdline = read_once_at(dir, c"cmdline", buf)?.to_vec();
    let args: Vec<&[u8]> = cmdline
        .split(|c| *c == 0)
        .filter(|a| !a.is_empty())
        .collect();
    let script = main_script(exe_name, &args)?;
    let mut path = PathBuf::from(script);
    if path.is_relative() {
        let cwd = rustix::fs::readlinkat(dir, c"cwd", Vec::new())
            .ok()?
            .into_bytes();
        if cwd.ends_with(DELETED) {
            return None;
        }
        path = PathBuf::from(OsStr::from_bytes(&cwd)).join(path);
    }
    if is_ignored(path.as_os_str().as_bytes(), None) {
        return None;
    }
    // Inside the process's own root: `root` + the absolute path.
    let mut inside = b"root".to_vec();
    inside.extend_from_slice(path.as_os_str().as_bytes());
    let inside = std::ffi::CString::new(inside).ok()?;
    let st = rustix::fs::statat(dir, inside.as_c_str(), AtFlags::empty()).ok()?;
    let changed = st.st_mtime.max(st.st_ctime);
    let started = ctx.clock.start_seconds(start_ticks);
    (changed > started + SCRIPT_SLACK_SECONDS).then_some(StaleFile {
        path,
        how: StaleHow::Script,
    })
}

/// Where a stale process belongs: its service, else its session or container.
fn place(
    dir: BorrowedFd<'_>,
    pid: u32,
    uid: u32,
    stat: &Stat,
    ctx: &Ctx,
    buf: &mut Vec<u8>,
) -> (Option<String>, Option<String>, Option<String>) {
    if let Some(service) = ctx.supervised.get(&pid) {
        return (Some(service.clone()), None, None);
    }
    let cgroup = read_once_at(dir, c"cgroup", buf)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    if let Some(unit) = unit_from_cgroup(&cgroup) {
        return (Some(unit), None, None);
    }
    let other_ns = rustix::fs::statat(dir, c"ns/mnt", AtFlags::empty())
        .ok()
        .map(|st| st.st_ino);
    if let (Some(mine), Some(theirs)) = (ctx.my_mnt_ns, other_ns)
        && mine != theirs
    {
        return (None, None, Some(container_name(&cgroup, theirs)));
    }
    let user = user_name(uid);
    if let Some(path) = cgroup_path(&cgroup) {
        for part in path.split('/') {
            if let Some(n) = part
                .strip_prefix("session-")
                .and_then(|r| r.strip_suffix(".scope"))
            {
                return (None, Some(format!("{user} @ session #{n}")), None);
            }
            if part.starts_with("user@") && part.ends_with(".service") {
                return (None, Some(format!("{user} @ user manager service")), None);
            }
        }
    }
    let audit = read_once_at(dir, c"sessionid", buf)
        .and_then(|b| std::str::from_utf8(b).ok()?.trim().parse::<u32>().ok())
        .unwrap_or(INVALID_SESSION_ID);
    if audit != INVALID_SESSION_ID {
        return (None, Some(format!("{user} @ session #{audit}")), None);
    }
    if let Some(tty) = tty_name(stat.tty_nr) {
        return (None, Some(format!("{user} @ {tty}")), None);
    }
    (None, None, None)
}

/// The path of the unified or systemd hierarchy in a `/proc/PID/cgroup` text.
fn cgroup_path(text: &str) -> Option<&str> {
    text.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_id, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        (controllers.is_empty() || controllers == "name=systemd").then_some(path)
    })
}

/// A container's name from its cgroup (docker, podman, LXC, systemd-nspawn), else its
/// mount namespace.
fn container_name(cgroup: &str, mnt_ns: u64) -> String {
    for line in cgroup.lines() {
        let path = line.splitn(3, ':').nth(2).unwrap_or_default();
        for part in path.split('/') {
            let id12 = |id: &str| id.chars().take(12).collect::<String>();
            if let Some(id) = part
                .strip_prefix("docker-")
                .and_then(|r| r.strip_suffix(".scope"))
            {
                return format!("docker {}", id12(id));
            }
            if let Some(id) = part
                .strip_prefix("libpod-")
                .and_then(|r| r.strip_suffix(".scope"))
            {
                return format!("podman {}", id12(id));
            }
            if let Some(name) = part.strip_prefix("lxc.payload.") {
                return format!("LXC {name}");
            }
            if let Some(name) = part
                .strip_prefix("machine-")
                .and_then(|r| r.strip_suffix(".scope"))
            {
                return format!("machine {}", name.replace("\\x2d", "-"));
            }
        }
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        if let [.., kind, id] = parts.as_slice() {
            match *kind {
                "docker" => return format!("docker {}", id.chars().take(12).collect::<String>()),
                "lxc" => return format!("LXC {id}"),
                _ => {}
            }
        }
    }
    format!("mnt:[{mnt_ns}]")
}

/// A controlling terminal's name from its device number (`tty_nr` of `stat`).
fn tty_name(tty_nr: u64) -> Option<String> {
    if tty_nr == 0 {
        return None;
    }
    let major = ((tty_nr >> 8) & 0xfff) as u32;
    let minor = ((tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00)) as u32;
    Some(match major {
        136..=143 => format!("/dev/pts/{}", (major - 136) * 256 + minor),
        4 if minor < 64 => format!("/dev/tty{minor}"),
        4 => format!("/dev/ttyS{}", minor - 64),
        _ => format!("tty {major}:{minor}"),
    })
}

/// A user's login name from `/etc/passwd`, else the uid as a number (as needrestart
/// prints it).
pub fn user_name(uid: u32) -> String {
    static PASSWD: std::sync::OnceLock<HashMap<u32, String>> = std::sync::OnceLock::new();
    let names = PASSWD.get_or_init(|| {
        std::fs::read_to_string("/etc/passwd")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                let uid = f.nth(1)?.parse().ok()?;
                Some((uid, name.to_owned()))
            })
            .collect()
    });
    names.get(&uid).cloned().unwrap_or_else(|| uid.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_executable_mappings_are_found_and_temporary_ones_ignored() {
        let maps = b"55d0c0a00000-55d0c0a02000 r-xp 00000000 fe:00 247030 /usr/bin/app (deleted)\n\
7f00-7f01 r--p 00000000 fe:00 11 /usr/lib/libdata.so.1 (deleted)\n\
7f01-7f02 r-xp 00000000 fe:00 12 /usr/lib/libold.so.1 (deleted)\n\
7f02-7f03 r-xp 00000000 fe:00 12 /usr/lib/libold.so.1 (deleted)\n\
7f03-7f04 r-xp 00000000 00:01 13 /memfd:jit (deleted)\n\
7f04-7f05 r-xp 00000000 00:1f 14 /tmp/ffiXXXX (deleted)\n\
7f05-7f06 r-xp 00000000 fe:00 15 /usr/lib/libfine.so.1\n";
        let mut out = Vec::new();
        deleted_exec_mappings(maps, b"/usr/bin/app", &mut out);
        let kept: Vec<_> = out
            .into_iter()
            .filter(|(p, _)| !is_ignored(p, None))
            .map(|(p, _)| String::from_utf8(p).unwrap())
            .collect();
        assert_eq!(kept, vec!["/usr/lib/libold.so.1"]);
    }

    #[test]
    fn ignored_paths() {
        for p in [
            "/memfd:x",
            "/dev/shm/a",
            "/SYSV00000000",
            "/tmp/a.so",
            "/var/tmp/x",
            "/run/user/1000/x",
            "/home/u/.cache/orcexec.ab12",
            "/home/u/jna123.tmp",
            "/home/u/#123",
            "[stack]",
        ] {
            assert!(is_ignored(p.as_bytes(), None), "{p}");
        }
        assert!(is_ignored(b"/srv/tmp/x.so", Some(b"/srv/tmp")));
        assert!(!is_ignored(b"/srv/tmpx/x.so", Some(b"/srv/tmp")));
        assert!(!is_ignored(b"/usr/lib/libc.so.6", None));
    }

    #[test]
    fn places_from_cgroups_and_terminals() {
        assert_eq!(
            container_name("0::/system.slice/docker-0123456789abcdef.scope\n", 1),
            "docker 0123456789ab"
        );
        assert_eq!(
            container_name("0::/lxc.payload.web1/init.scope\n", 1),
            "LXC web1"
        );
        assert_eq!(container_name("0::/\n", 7), "mnt:[7]");
        assert_eq!(tty_name(34816).as_deref(), Some("/dev/pts/0"));
        assert_eq!(tty_name(0x0401).as_deref(), Some("/dev/tty1"));
        assert_eq!(tty_name(0), None);
        assert_eq!(user_name(0), "root");
    }
}
