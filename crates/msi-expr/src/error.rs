//! Why a condition failed to parse.

use std::fmt;
use std::ops::Range;

/// What went wrong while parsing a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A character that starts no token (TAB, `+`, `[`, non-ASCII, …).
    UnexpectedCharacter,
    /// A `~`, `<` or `>` that starts no operator (`~ =`, `~` alone).
    InvalidOperator,
    /// A string literal without its closing `"`.
    UnterminatedString,
    /// `%`, `$`, `?`, `&` or `!` not followed by a name.
    ExpectedName,
    /// A value, `NOT` or `(` was expected (a dangling operator, `( 1 AND 1 ) = 2`, …).
    ExpectedValue,
    /// A logical operator, `)` or the end was expected (two adjacent values, `1 IMPL 1`, …).
    ExpectedOperator,
    /// A `)` with no `(` open.
    UnmatchedParen,
    /// The input ended with a `(` still open.
    UnclosedParen,
    /// Parentheses and `NOT`s nested deeper than [`NEST_LIMIT`](crate::NEST_LIMIT).
    NestTooDeep,
}

impl ParseErrorKind {
    /// A short description.
    pub fn describe(self) -> &'static str {
        match self {
            ParseErrorKind::UnexpectedCharacter => "unexpected character",
            ParseErrorKind::InvalidOperator => "invalid operator",
            ParseErrorKind::UnterminatedString => "unterminated string literal",
            ParseErrorKind::ExpectedName => "expected a name after the prefix",
            ParseErrorKind::ExpectedValue => "expected a value, NOT or (",
            ParseErrorKind::ExpectedOperator => "expected a logical operator, ) or the end",
            ParseErrorKind::UnmatchedParen => "unmatched )",
            ParseErrorKind::UnclosedParen => "unclosed (",
            ParseErrorKind::NestTooDeep => "nested too deeply",
        }
    }
}

/// A condition that does not parse: the kind of fault, where it is (a byte range of the
/// input) and the input itself, so that [`fmt::Display`] can underline the fault.
///
/// Invariant: `span` lies within `input` on character boundaries; an error at the end of the
/// input has the empty span `input.len()..input.len()`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ParseError {
    kind: ParseErrorKind,
    span: Range<usize>,
    input: String,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, span: Range<usize>, input: &str) -> ParseError {
        ParseError {
            kind,
            span,
            input: input.to_owned(),
        }
    }

    /// The kind of fault.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The faulty part of the input, as a byte range.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The input that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl ParseError {
    /// The message, the input and a line of `^` under the fault.
    fn render(&self) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_to(&mut s);
        s
    }

    fn write_to(&self, f: &mut impl fmt::Write) -> fmt::Result {
        writeln!(
            f,
            "{} at {}..{}",
            self.kind.describe(),
            self.span.start,
            self.span.end
        )?;
        // Underline in characters, not bytes, so that non-ASCII input lines up.
        let before = self
            .input
            .get(..self.span.start)
            .map_or(0, |s| s.chars().count());
        let width = self
            .input
            .get(self.span.clone())
            .map_or(0, |s| s.chars().count())
            .max(1);
        writeln!(f, "{}", self.input)?;
        write!(f, "{}{}", " ".repeat(before), "^".repeat(width))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_underlines_the_fault() {
        let e = ParseError::new(ParseErrorKind::InvalidOperator, 4..5, "\"A\" ~ = \"a\"");
        assert_eq!(
            e.to_string(),
            "invalid operator at 4..5\n\"A\" ~ = \"a\"\n    ^"
        );
    }
}
