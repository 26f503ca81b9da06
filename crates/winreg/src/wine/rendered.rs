//! A hive's text as it is to be written, held as pieces: runs of the file's text as read
//! (shared with the hive, not copied) between the lines rendered anew for the keys that
//! changed. It is written with vectored writes: a booted prefix's `system.reg` is 1.6 MB
//! and an install changes a few dozen of its 12,000 keys, so building the whole text as
//! one string first cost a page fault for each of its 400 pages and a copy of all of it.

use std::io::{self, IoSlice, Write};
use std::ops::Range;
use std::sync::Arc;

use super::Source;

/// The text of a changed hive (see the module documentation).
#[derive(Debug, Clone)]
pub struct RenderedHive {
    text: Arc<Source>,
    pieces: Vec<Piece>,
    /// New lines after the last piece, made a piece when a range of the text follows.
    pending: String,
}

#[derive(Debug, Clone)]
enum Piece {
    /// This range of the text the hive was read from.
    Read(Range<usize>),
    /// Lines rendered anew.
    New(String),
}

impl RenderedHive {
    pub(super) fn new(text: Arc<Source>) -> RenderedHive {
        RenderedHive {
            text,
            pieces: Vec::new(),
            pending: String::new(),
        }
    }

    /// Appends a range of the text as read (joined to the last piece when it follows it).
    pub(super) fn push_read(&mut self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        if !self.pending.is_empty() {
            self.pieces
                .push(Piece::New(std::mem::take(&mut self.pending)));
        }
        match self.pieces.last_mut() {
            Some(Piece::Read(last)) if last.end == range.start => last.end = range.end,
            _ => self.pieces.push(Piece::Read(range)),
        }
    }

    /// Where new text goes, after everything pushed so far.
    pub(super) fn new_text(&mut self) -> &mut String {
        &mut self.pending
    }

    /// Drops the last byte (the final line end of a file that had none).
    pub(super) fn pop_byte(&mut self) {
        if self.pending.pop().is_some() {
            return;
        }
        while let Some(last) = self.pieces.last_mut() {
            let popped = match last {
                Piece::Read(range) if range.start < range.end => {
                    range.end -= 1;
                    true
                }
                Piece::Read(_) => false,
                Piece::New(s) => s.pop().is_some(),
            };
            if popped {
                return;
            }
            self.pieces.pop();
        }
    }

    fn slices(&self) -> impl Iterator<Item = &[u8]> {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Read(range) => &self.text.as_bytes()[range.clone()],
                Piece::New(s) => s.as_bytes(),
            })
            .chain(std::iter::once(self.pending.as_bytes()))
    }

    /// The text's length in bytes.
    pub fn len(&self) -> usize {
        self.slices().map(<[u8]>::len).sum()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the whole text to `out`, a few system calls for all of it.
    pub fn write_to(&self, out: &mut dyn Write) -> io::Result<()> {
        // `IOV_MAX` is 1024 on Linux: a larger list is written a part at a time.
        let all: Vec<&[u8]> = self.slices().filter(|s| !s.is_empty()).collect();
        for part in all.chunks(1024) {
            let mut slices: Vec<IoSlice<'_>> = part.iter().map(|s| IoSlice::new(s)).collect();
            let mut rest = &mut slices[..];
            while !rest.is_empty() {
                match out.write_vectored(rest) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => IoSlice::advance_slices(&mut rest, n),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// The whole text as one string.
    pub fn to_text(&self) -> String {
        let mut out = Vec::with_capacity(self.len());
        for slice in self.slices() {
            out.extend_from_slice(slice);
        }
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_write_as_one_text() {
        let text = Arc::new(Source::owned("abc\ndef\n".to_string()).0);
        let mut r = RenderedHive::new(Arc::clone(&text));
        r.push_read(0..2);
        r.push_read(2..4);
        r.new_text().push_str("new\n");
        r.new_text().push_str("more\n");
        r.push_read(4..8);
        assert_eq!(r.pieces.len(), 3);
        assert_eq!(r.to_text(), "abc\nnew\nmore\ndef\n");
        assert_eq!(r.len(), r.to_text().len());
        // A writer that takes a few bytes at a time gets it all, in order.
        struct Trickle(Vec<u8>);
        impl Write for Trickle {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let n = buf.len().min(3);
                self.0.extend_from_slice(&buf[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Trickle(Vec::new());
        r.write_to(&mut out).unwrap();
        assert_eq!(out.0, r.to_text().as_bytes());
        r.pop_byte();
        assert_eq!(r.to_text(), "abc\nnew\nmore\ndef");
        // Dropping past an empty new piece takes the byte before it.
        let mut r = RenderedHive::new(text);
        r.push_read(0..4);
        r.new_text();
        r.pop_byte();
        assert_eq!(r.to_text(), "abc");
    }
}
