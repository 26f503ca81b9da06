//! The per-user state folder and the files kept in it.
//!
//! Windows keeps Restart Manager sessions in the registry behind a cross-process
//! mutex ("RmStartSession function"). Here a session is a folder inside a per-user state folder,
//! and the "registry write mutex" is an `flock` on a lock file in that folder.
//!
//! Where the state folder is: `RSTMGR_STATE_DIR` if set, else
//! `$XDG_RUNTIME_DIR/rstmgr`, else `/run/rstmgr` for root, else `/tmp/rstmgr-UID`.
//!
//! What is trusted: the state folder itself must be owned by the caller, must not
//! be a symlink and must not be group or world writable; otherwise it is refused
//! with [`Error::UnsafeStateDir`]. Its ancestors (a sticky `/tmp`, say) are not
//! judged. Everything created inside is owner-only (0700 folders, 0600 files,
//! re-applied with `fchmod` so the umask cannot widen them), and every name
//! inside is opened relative to an already-checked folder descriptor with
//! `O_NOFOLLOW`, so a symlink planted inside is never followed; a file with more
//! than one hard link is refused the same way.
//!
//! Writes go to a temporary file that is then renamed over the old one, so a
//! process killed mid-write leaves the previous content readable.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustix::fs::{AtFlags, Mode, OFlags};

use crate::Error;

/// Environment variable that overrides the state folder.
pub const STATE_DIR_ENV: &str = "RSTMGR_STATE_DIR";

/// How long a caller waits for a session lock before giving up with
/// `ERROR_SEM_TIMEOUT` (the registry-mutex timeout of "RmStartSession function").
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// The per-user state folder, opened and checked.
///
/// Invariant: `fd` is an open descriptor of a real folder (not a symlink) owned
/// by the effective uid and not writable by group or others, checked when it was
/// opened. Cloning shares the descriptor.
#[derive(Clone, Debug)]
pub struct StateDir {
    path: PathBuf,
    fd: Arc<OwnedFd>,
}

impl StateDir {
    /// Where the state folder is for this process, by the rules in the module doc.
    pub fn default_path() -> PathBuf {
        if let Some(dir) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir).join("rstmgr");
        }
        let uid = rustix::process::geteuid();
        if uid.is_root() {
            PathBuf::from("/run/rstmgr")
        } else {
            PathBuf::from(format!("/tmp/rstmgr-{}", uid.as_raw()))
        }
    }

    /// Opens (creating it owner-only if missing) the default state folder.
    pub fn open_default() -> Result<StateDir, Error> {
        StateDir::open(StateDir::default_path())
    }

    /// Opens (creating it owner-only if missing) the state folder at `path`, and
    /// refuses it if it is a symlink, not a folder, owned by someone else, or group
    /// or world writable.
    pub fn open(path: impl Into<PathBuf>) -> Result<StateDir, Error> {
        let path = path.into();
        let unsafe_dir = |reason: String| Error::UnsafeStateDir {
            path: path.clone(),
            reason,
        };
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(unsafe_dir("it is a symbolic link".into()));
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    // Missing ancestors are created owner-only too: nothing the
                    // project creates is open to others, whatever the umask.
                    std::fs::DirBuilder::new()
                        .recursive(true)
                        .mode(DIR_MODE)
                        .create(parent)
                        .map_err(|e| Error::write_fault(parent, e))?;
                }
                match rustix::fs::mkdir(&path, Mode::from_raw_mode(DIR_MODE)) {
                    Ok(()) => {}
                    // Another process created it at the same moment: judge theirs.
                    Err(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(Error::write_fault(&path, e.into())),
                }
            }
            Err(e) => return Err(Error::write_fault(&path, e)),
        }
        let fd = rustix::fs::open(
            &path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            rustix::io::Errno::LOOP => unsafe_dir("it is a symbolic link".into()),
            rustix::io::Errno::NOTDIR => unsafe_dir("it is not a directory".into()),
            e => Error::write_fault(&path, e.into()),
        })?;
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::write_fault(&path, e.into()))?;
        let me = rustix::process::geteuid().as_raw();
        if st.st_uid != me {
            return Err(unsafe_dir(format!(
                "it is owned by uid {}, not by you (uid {me})",
                st.st_uid
            )));
        }
        let mode = st.st_mode & 0o7777;
        if mode & 0o022 != 0 {
            return Err(unsafe_dir(format!(
                "it is group or world writable (mode {mode:04o})"
            )));
        }
        Ok(StateDir {
            path,
            fd: Arc::new(fd),
        })
    }

    /// The folder's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens (creating it owner-only if missing) the sub-folder `name` — one plain
    /// name, no `/` — refusing a symlink or a folder owned by someone else.
    pub fn subdir(&self, name: &str) -> Result<Folder, Error> {
        Folder::open_child(&self.fd, &self.path, name, true)?
            .ok_or_else(|| Error::write_fault(self.path.join(name), io::ErrorKind::NotFound.into()))
    }
}

/// A folder inside the state folder, opened without following symlinks.
///
/// Invariant: `fd` is a real folder owned by the effective uid.
#[derive(Debug)]
pub struct Folder {
    path: PathBuf,
    fd: OwnedFd,
}

fn plain_name(name: &str) -> Result<CString, Error> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(Error::BadArguments(format!(
            "not a plain file name: {name:?}"
        )));
    }
    CString::new(name).map_err(|_| Error::BadArguments(format!("not a plain file name: {name:?}")))
}

impl Folder {
    /// Opens `parent/name`, creating it (0700) when `create` is set. `Ok(None)`
    /// when it does not exist and `create` is not set.
    pub(crate) fn open_child(
        parent: &impl AsFd,
        parent_path: &Path,
        name: &str,
        create: bool,
    ) -> Result<Option<Folder>, Error> {
        let cname = plain_name(name)?;
        let path = parent_path.join(name);
        if create {
            match rustix::fs::mkdirat(parent, cname.as_c_str(), Mode::from_raw_mode(DIR_MODE)) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(Error::write_fault(&path, e.into())),
            }
        }
        let fd = match rustix::fs::openat(
            parent,
            cname.as_c_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) if !create => return Ok(None),
            Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => {
                return Err(Error::UnsafeStateDir {
                    path,
                    reason: "it is a symbolic link or not a directory".into(),
                });
            }
            Err(e) => return Err(Error::write_fault(&path, e.into())),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::write_fault(&path, e.into()))?;
        if st.st_uid != rustix::process::geteuid().as_raw() {
            return Err(Error::UnsafeStateDir {
                path,
                reason: format!("it is owned by uid {}", st.st_uid),
            });
        }
        if st.st_mode & 0o077 != 0 {
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(DIR_MODE))
                .map_err(|e| Error::write_fault(&path, e.into()))?;
        }
        Ok(Some(Folder { path, fd }))
    }

    /// Opens the sub-folder `name`, creating it owner-only.
    pub fn subdir(&self, name: &str) -> Result<Folder, Error> {
        Folder::open_child(&self.fd, &self.path, name, true)?
            .ok_or_else(|| Error::write_fault(self.path.join(name), io::ErrorKind::NotFound.into()))
    }

    /// Opens the sub-folder `name` if it exists.
    pub fn existing_subdir(&self, name: &str) -> Result<Option<Folder>, Error> {
        Folder::open_child(&self.fd, &self.path, name, false)
    }

    /// The folder's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Names in the folder (not `.`/`..`), in no particular order.
    pub fn names(&self) -> Result<Vec<String>, Error> {
        let fault = |e: rustix::io::Errno| Error::write_fault(&self.path, e.into());
        let mut dir = rustix::fs::Dir::read_from(&self.fd).map_err(fault)?;
        let mut out = Vec::new();
        while let Some(entry) = dir.read() {
            let entry = entry.map_err(fault)?;
            let name = entry.file_name().to_string_lossy();
            if name != "." && name != ".." {
                out.push(name.into_owned());
            }
        }
        Ok(out)
    }

    fn open_file(&self, name: &str, flags: OFlags) -> Result<Option<File>, Error> {
        let cname = plain_name(name)?;
        let path = self.path.join(name);
        match rustix::fs::openat(
            &self.fd,
            cname.as_c_str(),
            flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(FILE_MODE),
        ) {
            Ok(fd) => {
                let st = rustix::fs::fstat(&fd).map_err(|e| Error::write_fault(&path, e.into()))?;
                if st.st_uid != rustix::process::geteuid().as_raw()
                    || rustix::fs::FileType::from_raw_mode(st.st_mode)
                        != rustix::fs::FileType::RegularFile
                {
                    return Err(Error::UnsafeStateDir {
                        path,
                        reason: "not a regular file owned by you".into(),
                    });
                }
                // A hard link planted in the folder shares its inode with a file
                // elsewhere (say one another program trusts): reading or truncating it
                // would act on that file, so it is refused like a symlink.
                if st.st_nlink > 1 {
                    return Err(Error::UnsafeStateDir {
                        path,
                        reason: format!("it has {} hard links", st.st_nlink),
                    });
                }
                if st.st_mode & 0o077 != 0 {
                    rustix::fs::fchmod(&fd, Mode::from_raw_mode(FILE_MODE))
                        .map_err(|e| Error::write_fault(&path, e.into()))?;
                }
                Ok(Some(File::from(fd)))
            }
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(rustix::io::Errno::LOOP) => Err(Error::UnsafeStateDir {
                path,
                reason: "it is a symbolic link".into(),
            }),
            Err(e) => Err(Error::write_fault(&path, e.into())),
        }
    }

    /// Reads the whole file `name`; `Ok(None)` if it does not exist.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(mut file) = self.open_file(name, OFlags::RDONLY)? else {
            return Ok(None);
        };
        let mut buf = Vec::new();
        file.read_to_end(&mut buf)
            .map_err(|e| Error::write_fault(self.path.join(name), e))?;
        Ok(Some(buf))
    }

    /// Replaces the file `name` with `bytes` atomically: write a temporary file,
    /// rename it over `name`.
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let tmp = format!(".{name}.tmp.{}", std::process::id());
        let tmp_c = plain_name(&tmp)?;
        let path = self.path.join(name);
        // A leftover from a writer killed earlier: remove it so O_EXCL can succeed.
        let _ = rustix::fs::unlinkat(&self.fd, tmp_c.as_c_str(), AtFlags::empty());
        let mut file = self
            .open_file(&tmp, OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL)?
            .ok_or_else(|| Error::write_fault(&path, io::ErrorKind::NotFound.into()))?;
        // No fsync: the rename alone keeps a killed writer from leaving a torn file,
        // and nothing here outlives a crash of the machine anyway (a session dies
        // with its owner process), so flushing to disk would only slow every
        // registration down.
        let result = file
            .write_all(bytes)
            .map_err(|e| Error::write_fault(&path, e))
            .and_then(|()| {
                rustix::fs::renameat(&self.fd, tmp_c.as_c_str(), &self.fd, name)
                    .map_err(|e| Error::write_fault(&path, e.into()))
            });
        if result.is_err() {
            let _ = rustix::fs::unlinkat(&self.fd, tmp_c.as_c_str(), AtFlags::empty());
        }
        result
    }

    /// Creates (or truncates) the file `name` with `bytes`, not atomically; for
    /// marker files whose existence is what matters.
    pub fn touch(&self, name: &str) -> Result<(), Error> {
        self.open_file(name, OFlags::WRONLY | OFlags::CREATE)?;
        Ok(())
    }

    /// Whether `name` exists (without following a symlink).
    pub fn exists(&self, name: &str) -> bool {
        plain_name(name)
            .ok()
            .and_then(|c| {
                rustix::fs::statat(&self.fd, c.as_c_str(), AtFlags::SYMLINK_NOFOLLOW).ok()
            })
            .is_some()
    }

    /// Removes the file `name`; a missing file is not an error.
    pub fn remove(&self, name: &str) -> Result<(), Error> {
        let cname = plain_name(name)?;
        match rustix::fs::unlinkat(&self.fd, cname.as_c_str(), AtFlags::empty()) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
            Err(e) => Err(Error::write_fault(self.path.join(name), e.into())),
        }
    }

    /// Removes the sub-folder `name` and the plain files in it (one level deep:
    /// session folders hold only files). A missing folder is not an error.
    pub fn remove_subdir(&self, name: &str) -> Result<(), Error> {
        if let Some(sub) = self.existing_subdir(name)? {
            for child in sub.names()? {
                sub.remove(&child)?;
            }
        }
        let cname = plain_name(name)?;
        match rustix::fs::unlinkat(&self.fd, cname.as_c_str(), AtFlags::REMOVEDIR) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
            Err(e) => Err(Error::write_fault(self.path.join(name), e.into())),
        }
    }

    /// Takes the exclusive lock on the lock file `name` (created if missing),
    /// waiting at most 30 s (`ERROR_SEM_TIMEOUT` after that). The lock is released
    /// when the returned guard is dropped, or when the process dies.
    pub fn lock(&self, name: &str) -> Result<Lock, Error> {
        let path = self.path.join(name);
        let file = self
            .open_file(name, OFlags::RDWR | OFlags::CREATE)?
            .ok_or_else(|| Error::write_fault(&path, io::ErrorKind::NotFound.into()))?;
        let deadline = Instant::now() + LOCK_TIMEOUT;
        let mut pause = Duration::from_micros(200);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {
                    if Instant::now() >= deadline {
                        return Err(Error::SemTimeout { path });
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(2));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::write_fault(&path, e)),
            }
        }
    }
}

impl AsFd for Folder {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// An exclusive `flock`, released on drop.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    #[test]
    fn creates_owner_only_and_refuses_unsafe_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let good = tmp.path().join("state");
        let dir = StateDir::open(&good).unwrap();
        assert_eq!(std::fs::metadata(&good).unwrap().mode() & 0o777, 0o700);
        let sub = dir.subdir("sessions").unwrap();
        sub.write_atomic("a.json", b"{}").unwrap();
        assert_eq!(sub.read("a.json").unwrap().unwrap(), b"{}");
        let meta = std::fs::metadata(good.join("sessions/a.json")).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);

        let open = tmp.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = StateDir::open(&open).unwrap_err();
        assert!(matches!(err, Error::UnsafeStateDir { .. }), "{err}");

        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&good, &link).unwrap();
        let err = StateDir::open(&link).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }

    #[test]
    fn planted_symlinks_inside_are_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::open(tmp.path().join("s")).unwrap();
        let target = tmp.path().join("victim");
        std::fs::write(&target, b"keep").unwrap();
        std::os::unix::fs::symlink(&target, tmp.path().join("s/planted")).unwrap();
        let sub = dir.subdir("x").unwrap();
        drop(sub);
        let folder = Folder::open_child(&*dir.fd, dir.path(), "x", false)
            .unwrap()
            .unwrap();
        std::os::unix::fs::symlink(&target, tmp.path().join("s/x/f")).unwrap();
        assert!(folder.read("f").is_err());
        assert!(folder.write_atomic("f", b"evil").is_ok());
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert!(dir.subdir("planted").is_err());
    }

    #[test]
    fn a_hard_link_inside_is_refused_like_a_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::open(tmp.path().join("s")).unwrap();
        let sub = dir.subdir("x").unwrap();
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        std::fs::hard_link(&victim, tmp.path().join("s/x/state.json")).unwrap();
        let err = sub.read("state.json").unwrap_err();
        assert!(matches!(err, Error::UnsafeStateDir { .. }), "{err}");
        assert!(err.to_string().contains("2 hard links"), "{err}");
        assert!(sub.touch("state.json").is_err());
        assert!(sub.lock("state.json").is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        // Replacing it atomically is still allowed: the rename drops the link.
        sub.write_atomic("state.json", b"{}").unwrap();
        assert_eq!(sub.read("state.json").unwrap().unwrap(), b"{}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    }
}
