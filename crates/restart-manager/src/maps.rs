//! A process's file mappings: asked for one by one in binary with the `PROCMAP_QUERY`
//! ioctl (Linux 6.11), or read from the `maps` text and parsed in place on older kernels.
//! The scan (who maps a file) and `stale` (who runs replaced code) both ask.
//!
//! The ioctl is `PROCMAP_QUERY` on `/proc/PID/maps` (`include/uapi/linux/fs.h`, Linux
//! 6.11). Neither `rustix` nor `libc` wraps it yet, so the request structure and the one
//! `ioctl` it calls are written out here.

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
pub(crate) fn for_each_file_mapping(
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

/// Calls `f(dev, inode, path)` for each file-backed line of a `maps` text. Lines look like
/// `7f1c4aced000-7f1c4ad13000 r--p 00000000 fe:00 326279    /usr/lib/x86_64-linux-gnu/libc.so.6`;
/// anonymous mappings have inode 0 and are skipped. Parsed by hand, in place: this runs
/// for every line of every process.
pub(crate) fn for_each_mapped_file(text: &[u8], mut f: impl FnMut(u64, u64, &[u8])) {
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

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

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
        match for_each_file_mapping(maps.as_fd(), |dev, ino, _| {
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
}
