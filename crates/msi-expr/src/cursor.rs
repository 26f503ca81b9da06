//! A byte cursor over the input that tracks its position.
//!
//! Both languages are defined over ASCII punctuation, so scanning bytes is exact: no byte of
//! a multi-byte UTF-8 sequence can be mistaken for `[`, `]`, `"`, `(`, … and every position
//! the cursor stops at while matching ASCII is a character boundary.

/// A position in `input`; `pos <= input.len()` always holds.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(input: &'a str) -> Cursor<'a> {
        Cursor { input, pos: 0 }
    }

    pub(crate) fn input(&self) -> &'a str {
        self.input
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The byte `n` places ahead, if any.
    pub(crate) fn peek_at(&self, n: usize) -> Option<u8> {
        self.input.as_bytes().get(self.pos + n).copied()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.peek_at(0)
    }

    /// Moves ahead by `n` bytes (clamped to the end).
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.input.len());
    }

    /// Moves past every byte for which `f` holds.
    pub(crate) fn eat_while(&mut self, f: impl Fn(u8) -> bool) {
        let rest = &self.input.as_bytes()[self.pos..];
        self.pos += rest.iter().position(|&b| !f(b)).unwrap_or(rest.len());
    }

    /// Moves to just past the next `byte`, returning its position; `None` (cursor unmoved) if
    /// there is none.
    pub(crate) fn find(&self, byte: u8) -> Option<usize> {
        self.input.as_bytes()[self.pos..]
            .iter()
            .position(|&b| b == byte)
            .map(|i| self.pos + i)
    }

    /// The length in bytes of the character at the cursor (0 at the end).
    pub(crate) fn char_len(&self) -> usize {
        self.input[self.pos..]
            .chars()
            .next()
            .map_or(0, char::len_utf8)
    }
}
