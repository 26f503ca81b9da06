//! Reading `/proc` with few system calls, for the scan and for `stale`: the `/proc` root
//! and each process's directory opened once (later lookups are relative to them, which also
//! pins the process), pids listed without a `String` per entry, and files read whole into a
//! reused buffer, or in the one `read` the kernel renders them in.

use std::ffi::CStr;
use std::io;
use std::mem::MaybeUninit;
use std::path::Path;

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags, RawDir};
use rustix::io::Errno;

/// Opens a directory (the `/proc` root) for listing and for lookups relative to it.
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
pub(crate) fn pid_cstr(pid: u32, buf: &mut [u8; 16]) -> &CStr {
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

pub(crate) fn parse_u32(bytes: &[u8]) -> Option<u32> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_are_formatted_without_allocating() {
        let mut buf = [0u8; 16];
        assert_eq!(pid_cstr(0, &mut buf), c"0");
        assert_eq!(pid_cstr(4294967295, &mut buf), c"4294967295");
        assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32(b"4294967296"), None);
        assert_eq!(parse_u32(b"self"), None);
    }
}
