//! File-system helpers confined to the locked root: every path is walked component by
//! component from the root's open folder with `O_NOFOLLOW`, so a symbolic link already in
//! the root (`opt -> /etc`) is never followed, and a path through one fails with
//! [`Error::OutsideRoot`]. Also the checks a state folder and a state file must pass.

use std::ffi::OsStr;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

use crate::error::{Error, Result};
use crate::lock::RootLock;

/// The names of a folder's entries, `.` and `..` left out; an unreadable folder has none.
pub(crate) fn entry_names(dir: &OwnedFd) -> Vec<Vec<u8>> {
    let Ok(fd) = rustix::fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return Vec::new();
    };
    let Ok(entries) = rustix::fs::Dir::read_from(&fd) else {
        return Vec::new();
    };
    entries
        .map_while(|entry| entry.ok())
        .map(|entry| entry.file_name().to_bytes().to_vec())
        .filter(|name| name != b"." && name != b"..")
        .collect()
}

/// Removes every entry of a folder, sub-folders included (staged trees), never following
/// a symlink. Sub-folders are reached by their path from `dir`, not kept open, so a deep
/// tree needs no more descriptors than a flat one.
pub(crate) fn remove_tree_at(dir: &OwnedFd) {
    let mut folders = vec![PathBuf::new()];
    let mut i = 0;
    while i < folders.len() {
        let rel = folders[i].clone();
        i += 1;
        let fd = if rel.as_os_str().is_empty() {
            None
        } else {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            match rustix::fs::openat(dir, &rel, flags, Mode::empty()) {
                Ok(fd) => Some(fd),
                Err(_) => continue,
            }
        };
        let here = fd.as_ref().unwrap_or(dir);
        for name in entry_names(here) {
            let name = OsStr::from_bytes(&name);
            // A folder answers EISDIR (never followed: a symlink is unlinked itself).
            if rustix::fs::unlinkat(here, name, AtFlags::empty()) == Err(Errno::ISDIR) {
                folders.push(rel.join(name));
            }
        }
    }
    // Found parents first: removed in reverse, each after what it held.
    for rel in folders.iter().skip(1).rev() {
        let _ = rustix::fs::unlinkat(dir, rel, AtFlags::REMOVEDIR);
    }
}

/// A state folder must be a real folder owned by us and not writable by others.
pub(crate) fn check_state_dir(fd: &OwnedFd, path: &Path) -> Result<()> {
    let st = rustix::fs::fstat(fd).map_err(|e| Error::io(path, e.into()))?;
    let euid = rustix::process::geteuid().as_raw();
    if st.st_uid != euid {
        return Err(Error::UnsafeState {
            path: path.to_path_buf(),
            reason: format!("owned by uid {}, not by uid {euid}", st.st_uid),
        });
    }
    if st.st_mode & 0o022 != 0 {
        return Err(Error::UnsafeState {
            path: path.to_path_buf(),
            reason: format!("writable by others (mode {:o})", st.st_mode & 0o7777),
        });
    }
    Ok(())
}

/// A state file (the journal) must be a regular file owned by us and private.
pub(crate) fn check_private_file(fd: &OwnedFd, path: &Path) -> Result<()> {
    let st = rustix::fs::fstat(fd).map_err(|e| Error::io(path, e.into()))?;
    let euid = rustix::process::geteuid().as_raw();
    let reason =
        if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile {
            Some("not a regular file".to_string())
        } else if st.st_uid != euid {
            Some(format!("owned by uid {}, not by uid {euid}", st.st_uid))
        } else if st.st_mode & 0o077 != 0 {
            Some(format!(
                "readable or writable by others (mode {:o})",
                st.st_mode & 0o7777
            ))
        } else {
            None
        };
    match reason {
        Some(reason) => Err(Error::UnsafeState {
            path: path.to_path_buf(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Refuses a target that is absolute or climbs with `..`.
pub(crate) fn check_relative(root: &Path, target: &Path) -> Result<()> {
    let ok = target
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        && target
            .components()
            .any(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(())
    } else {
        Err(Error::OutsideRoot {
            root: root.to_path_buf(),
            path: target.to_path_buf(),
        })
    }
}

pub(crate) fn split_parent<'p>(root: &Path, target: &'p Path) -> Result<(&'p Path, &'p OsStr)> {
    check_relative(root, target)?;
    match (target.parent(), target.file_name()) {
        (Some(parent), Some(name)) => Ok((parent, name)),
        _ => Err(Error::OutsideRoot {
            root: root.to_path_buf(),
            path: target.to_path_buf(),
        }),
    }
}

/// Opens the folder `rel` (relative to the root) one component at a time without following
/// symbolic links, creating missing folders with `mode` when `create` and recording them
/// (relative paths, outermost first) in `made`.
pub(crate) fn walk(
    lock: &RootLock,
    rel: &Path,
    create: bool,
    mut made: Option<&mut Vec<PathBuf>>,
    mode: Mode,
) -> Result<OwnedFd> {
    if !create {
        return walk_core(lock, rel, mode, None);
    }
    walk_core(
        lock,
        rel,
        mode,
        Some(&mut |folder, step| {
            if let (MkdirStep::Made, Some(made)) = (step, made.as_deref_mut()) {
                made.push(folder.to_path_buf());
            }
            Ok(())
        }),
    )
}

/// [`walk`] creating what is missing, calling `before_mkdir` with each folder's relative
/// path before it is made (the journal record).
pub(crate) fn walk_with(
    lock: &RootLock,
    rel: &Path,
    mode: Mode,
    before_mkdir: &mut dyn FnMut(&Path) -> Result<()>,
) -> Result<OwnedFd> {
    walk_core(
        lock,
        rel,
        mode,
        Some(&mut |folder, step| match step {
            MkdirStep::Before => before_mkdir(folder),
            MkdirStep::Made => Ok(()),
        }),
    )
}

/// What [`walk_core`] calls around each folder it creates.
type MkdirHook<'a> = dyn FnMut(&Path, MkdirStep) -> Result<()> + 'a;

/// Where [`walk_core`] is in creating a missing folder when it calls its hook.
#[derive(Clone, Copy)]
enum MkdirStep {
    /// About to `mkdirat` (it may still find the folder made by someone else).
    Before,
    /// This call made the folder.
    Made,
}

/// The walk itself: missing folders are created only when `create` is given, which hears
/// of each one before and after it is made.
fn walk_core(
    lock: &RootLock,
    rel: &Path,
    mode: Mode,
    mut create: Option<&mut MkdirHook<'_>>,
) -> Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut cur: OwnedFd = rustix::fs::openat(lock.dir(), ".", flags, Mode::empty())
        .map_err(|e| Error::io(lock.root(), e.into()))?;
    let mut so_far = PathBuf::new();
    for comp in rel.components() {
        let name = match comp {
            Component::Normal(n) => n,
            Component::CurDir => continue,
            _ => {
                return Err(Error::OutsideRoot {
                    root: lock.root().to_path_buf(),
                    path: rel.to_path_buf(),
                });
            }
        };
        so_far.push(name);
        let next = match (
            rustix::fs::openat(&cur, name, flags, Mode::empty()),
            &mut create,
        ) {
            (Ok(fd), _) => fd,
            (Err(Errno::NOENT), Some(hook)) => {
                hook(&so_far, MkdirStep::Before)?;
                match rustix::fs::mkdirat(&cur, name, mode) {
                    Ok(()) => hook(&so_far, MkdirStep::Made)?,
                    Err(Errno::EXIST) => {}
                    Err(e) => return Err(Error::io(lock.root().join(&so_far), e.into())),
                }
                rustix::fs::openat(&cur, name, flags, Mode::empty())
                    .map_err(|e| symlink_or_io(lock, &so_far, e))?
            }
            (Err(e @ (Errno::LOOP | Errno::NOTDIR)), _) => match lock.trusted_link(&so_far) {
                Some(link) => follow_trusted(lock, &cur, name, link)?,
                None => return Err(symlink_or_io(lock, &so_far, e)),
            },
            (Err(e), _) => return Err(symlink_or_io(lock, &so_far, e)),
        };
        cur = next;
    }
    Ok(cur)
}

/// Opens the folder the trusted link `name` (in `dir`) names, if it may be written: inside
/// the link's `within` folder (the path the kernel opened, read back from `/proc`, so that
/// nothing changed between the check and the use), owned by this process's user, and not
/// writable by group or others.
fn follow_trusted(
    lock: &RootLock,
    dir: &OwnedFd,
    name: &OsStr,
    link: &crate::lock::TrustedLink,
) -> Result<OwnedFd> {
    let shown = lock.root().join(&link.rel);
    let refused = |reason: String| Error::LinkRefused {
        link: shown.clone(),
        reason,
    };
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::io(&shown, e.into()))?;
    let opened = fs_err::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .map_err(|e| refused(format!("where it leads cannot be read: {e}")))?;
    if !opened.starts_with(&link.within) {
        return Err(refused(format!(
            "it leads to {}, outside {}",
            opened.display(),
            link.within.display()
        )));
    }
    let st = rustix::fs::fstat(&fd).map_err(|e| Error::io(&shown, e.into()))?;
    let euid = rustix::process::geteuid().as_raw();
    if st.st_uid != euid {
        return Err(refused(format!(
            "{} is owned by uid {}, not by uid {euid}",
            opened.display(),
            st.st_uid
        )));
    }
    if st.st_mode & 0o022 != 0 {
        return Err(refused(format!(
            "{} may be written by others (mode {:o})",
            opened.display(),
            st.st_mode & 0o7777
        )));
    }
    Ok(fd)
}

fn symlink_or_io(lock: &RootLock, so_far: &Path, e: Errno) -> Error {
    match e {
        // O_NOFOLLOW on a symlink gives ELOOP; O_DIRECTORY on a symlink (or a file) ENOTDIR.
        Errno::LOOP | Errno::NOTDIR => {
            let st = rustix::fs::statat(lock.dir(), so_far, AtFlags::SYMLINK_NOFOLLOW);
            let is_link = st.is_ok_and(|st| {
                rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Symlink
            });
            if is_link || e == Errno::LOOP {
                Error::OutsideRoot {
                    root: lock.root().to_path_buf(),
                    path: lock.root().join(so_far),
                }
            } else {
                Error::io(lock.root().join(so_far), e.into())
            }
        }
        _ => Error::io(lock.root().join(so_far), e.into()),
    }
}

/// A random 32-bit number for temporary names (collisions are retried).
pub(crate) fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    if getrandom_fill(&mut b).is_err() {
        // The time is good enough for a name that is created with O_EXCL and retried.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        return t.subsec_nanos() ^ std::process::id();
    }
    u32::from_ne_bytes(b)
}

fn getrandom_fill(buf: &mut [u8]) -> io::Result<()> {
    let mut f = fs_err::File::open("/dev/urandom")?;
    f.read_exact(buf)
}

/// `lstat` of `rel` under the root, never following a symlink on the way.
pub(crate) fn lstat_in_root(lock: &RootLock, rel: &Path) -> Option<rustix::fs::Stat> {
    let (parent, name) = split_parent(lock.root(), rel).ok()?;
    let dir = walk(lock, parent, false, None, Mode::empty()).ok()?;
    rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()
}

/// Which mount a folder is on (its mount id, or its device where the kernel cannot say):
/// a rename works only within one, so each mount a transaction changes gets its own
/// staging folder.
pub(crate) fn mount_of(fd: &OwnedFd) -> std::result::Result<(bool, u64), Errno> {
    let stx = rustix::fs::statx(fd, "", AtFlags::EMPTY_PATH, rustix::fs::StatxFlags::MNT_ID)?;
    if stx.stx_mask & rustix::fs::StatxFlags::MNT_ID.bits() != 0 {
        return Ok((true, stx.stx_mnt_id));
    }
    // Before Linux 5.8: the device (two mounts of one file system then look alike, and a
    // rename between them fails with EXDEV).
    Ok((false, rustix::fs::fstat(fd)?.st_dev))
}

/// Copies the file or symbolic link `from` (its `lstat` is `st`) to the new name `to`
/// (contents, mode, owner and times).
pub(crate) fn copy_entry(
    from_dir: &OwnedFd,
    from: &OsStr,
    st: &rustix::fs::Stat,
    to_dir: &OwnedFd,
    to: &str,
) -> std::result::Result<(), Errno> {
    use rustix::fs::FileType;
    let errno = |e: io::Error| Errno::from_io_error(&e).unwrap_or(Errno::IO);
    match FileType::from_raw_mode(st.st_mode) {
        FileType::Symlink => {
            let target = rustix::fs::readlinkat(from_dir, from, Vec::new())?;
            rustix::fs::symlinkat(target.as_c_str(), to_dir, to)
        }
        FileType::RegularFile => {
            let src = rustix::fs::openat(
                from_dir,
                from,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            let dst = rustix::fs::openat(
                to_dir,
                to,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )?;
            let mut out = std::fs::File::from(dst);
            io::copy(&mut std::fs::File::from(src), &mut out).map_err(errno)?;
            // Owner first: chown clears the set-id bits the mode then puts back.
            let _ = rustix::fs::fchown(
                &out,
                Some(rustix::fs::Uid::from_raw(st.st_uid)),
                Some(rustix::fs::Gid::from_raw(st.st_gid)),
            );
            rustix::fs::fchmod(&out, Mode::from_raw_mode(st.st_mode & 0o7777))?;
            let times = rustix::fs::Timestamps {
                last_access: rustix::fs::Timespec {
                    tv_sec: st.st_atime as _,
                    tv_nsec: st.st_atime_nsec as _,
                },
                last_modification: rustix::fs::Timespec {
                    tv_sec: st.st_mtime as _,
                    tv_nsec: st.st_mtime_nsec as _,
                },
            };
            let _ = rustix::fs::futimens(&out, &times);
            Ok(())
        }
        // A FIFO, a device, a socket: never staged, not copied.
        _ => Err(Errno::XDEV),
    }
}
