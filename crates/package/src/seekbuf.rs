//! A buffered reader that keeps its buffer across seeks.
//!
//! `cfb` reads a compound file's header field by field (four bytes at a time) and its
//! sectors each after a seek to their offset; on a bare `File` that was a system call per
//! field and two per sector — some 1,200 to open a 3 MB package. `std::io::BufReader`
//! discards its buffer on every `seek` (only `seek_relative` keeps it), and `cfb` seeks to
//! absolute offsets, so it would read a whole buffer again for each sector. This one keeps
//! the window it read while the position stays inside it.

use std::io::{self, Read, Seek, SeekFrom};

/// Bytes read at a time.
const WINDOW: usize = 16 * 1024;

/// `inner`, read through a window of [`WINDOW`] bytes that survives seeks within it.
pub(crate) struct SeekBuf<R> {
    inner: R,
    buf: Box<[u8]>,
    /// The file offset of `buf[0]`.
    start: u64,
    /// How many bytes of `buf` hold data.
    len: usize,
    /// The reader's position (a file offset), which `inner`'s may differ from.
    pos: u64,
    /// Where `inner` is: after `buf[..len]`, unless a seek past the window moved it.
    inner_pos: u64,
}

impl<R: Read + Seek> SeekBuf<R> {
    pub(crate) fn new(mut inner: R) -> io::Result<SeekBuf<R>> {
        let pos = inner.stream_position()?;
        Ok(SeekBuf {
            inner,
            buf: vec![0; WINDOW].into_boxed_slice(),
            start: pos,
            len: 0,
            pos,
            inner_pos: pos,
        })
    }

    /// The window's bytes from the position on, or `None` when the position is outside it.
    fn buffered(&self) -> Option<&[u8]> {
        let at = usize::try_from(self.pos.checked_sub(self.start)?).ok()?;
        (at < self.len).then(|| &self.buf[at..self.len])
    }
}

impl<R: Read + Seek> Read for SeekBuf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(have) = self.buffered() {
            let n = have.len().min(out.len());
            out[..n].copy_from_slice(&have[..n]);
            self.pos += n as u64;
            return Ok(n);
        }
        if self.inner_pos != self.pos {
            self.inner_pos = self.inner.seek(SeekFrom::Start(self.pos))?;
        }
        // A read as large as the window goes straight to the caller's buffer.
        if out.len() >= WINDOW {
            let n = self.inner.read(out)?;
            self.pos += n as u64;
            self.inner_pos = self.pos;
            return Ok(n);
        }
        let n = self.inner.read(&mut self.buf)?;
        self.start = self.pos;
        self.len = n;
        self.inner_pos = self.pos + n as u64;
        let n = n.min(out.len());
        out[..n].copy_from_slice(&self.buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for SeekBuf<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(at) => at,
            SeekFrom::Current(by) => self
                .pos
                .checked_add_signed(by)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before 0"))?,
            SeekFrom::End(_) => {
                self.inner_pos = self.inner.seek(to)?;
                self.inner_pos
            }
        };
        Ok(self.pos)
    }

    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// Reads and seeks in any order give what the bytes hold, across the window's edges.
    #[test]
    fn reads_what_the_inner_reader_holds_wherever_it_seeks() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut r = SeekBuf::new(Cursor::new(data.clone())).expect("new");
        let check = |r: &mut SeekBuf<Cursor<Vec<u8>>>, at: u64, n: usize| {
            r.seek(SeekFrom::Start(at)).expect("seek");
            let mut out = vec![0u8; n];
            r.read_exact(&mut out).expect("read");
            assert_eq!(
                out,
                data[at as usize..at as usize + n],
                "at {at}, {n} bytes"
            );
        };
        for (at, n) in [
            (0, 4),
            (4, 4),
            (100, 512),
            (WINDOW as u64 - 2, 4),
            (50, 10),
            (90_000, 9_999),
            (10, 40_000),
            (0, 100_000),
        ] {
            check(&mut r, at, n);
        }
        assert_eq!(r.seek(SeekFrom::End(-10)).expect("seek"), 99_990);
        let mut tail = Vec::new();
        r.read_to_end(&mut tail).expect("read");
        assert_eq!(tail, data[99_990..]);
        assert_eq!(r.seek(SeekFrom::Current(-20)).expect("seek"), 99_980);
    }
}
