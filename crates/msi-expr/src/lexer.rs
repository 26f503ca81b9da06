//! The condition lexer: characters to tokens with spans ("Conditional Statement Syntax").
//!
//! The first character decides the token class, as in Wine's `cond.y`, which every
//! Windows-verified vector agrees with. Only U+0020 is whitespace (undocumented; Wine's rule).

use std::ops::Range;

use crate::cursor::Cursor;
use crate::error::{ParseError, ParseErrorKind};

/// The base of a comparison operator (the operator without `~`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BaseOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `><`: contains / bitwise AND.
    Contains,
    /// `<<`: starts with / high 16 bits.
    StartsWith,
    /// `>>`: ends with / low 16 bits.
    EndsWith,
}

/// A comparison operator: its base and whether it had the case-insensitive `~` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CmpOp {
    pub(crate) base: BaseOp,
    pub(crate) ignore_case: bool,
}

/// The logical binary operators, in the documented precedence order ("Conditional Statement
/// Syntax").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogicOp {
    And,
    Or,
    Xor,
    Eqv,
    Imp,
}

impl LogicOp {
    /// Binding strength: higher binds tighter. This is Microsoft's documented order
    /// Not > And > Or > Xor > Eqv > Imp ("Conditional Statement Syntax"), NOT Wine's
    /// `cond.y`, which puts Or, Xor, Eqv and Imp on one level (no Windows test tells them
    /// apart, so the documentation wins; `1 XOR 1 OR 1` is false here and true in Wine).
    pub(crate) fn precedence(self) -> u8 {
        match self {
            LogicOp::And => 5,
            LogicOp::Or => 4,
            LogicOp::Xor => 3,
            LogicOp::Eqv => 2,
            LogicOp::Imp => 1,
        }
    }

    pub(crate) fn apply(self, a: bool, b: bool) -> bool {
        match self {
            LogicOp::And => a && b,
            LogicOp::Or => a || b,
            LogicOp::Xor => a != b,
            LogicOp::Eqv => a == b,
            LogicOp::Imp => !a || b,
        }
    }
}

/// The prefixes that read something other than a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prefix {
    /// `%`: environment variable.
    Env,
    /// `$`: component action state.
    ComponentAction,
    /// `?`: component installed state.
    ComponentInstalled,
    /// `&`: feature action state.
    FeatureAction,
    /// `!`: feature installed state.
    FeatureInstalled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind<'a> {
    LParen,
    RParen,
    Prefix(Prefix),
    Cmp(CmpOp),
    /// A string literal's text, without the quotes.
    Literal(&'a str),
    Ident(&'a str),
    Int(i32),
    Not,
    Logic(LogicOp),
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub(crate) kind: TokenKind<'a>,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Token<'_> {
    pub(crate) fn span(&self) -> Range<usize> {
        self.start..self.end
    }
}

pub(crate) struct Lexer<'a> {
    cur: Cursor<'a>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// Letters, digits, `_` and `.` as the "Identifier" data type allows, plus `-` and `#`
/// as Wine's lexer accepts, so `NOT-1` is one name.
fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'#')
}

/// The value of an integer token as C's `wcstol` reads it (Wine's rule; "Conditional Statement
/// Syntax" only says floating point is not supported): an optional leading `-`, then the longest
/// run of digits; the rest is ignored; no digits is 0; out of range clamps to the 32-bit limits.
pub(crate) fn integer_token_value(text: &str) -> i32 {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let mut v: i64 = 0;
    for b in rest.bytes().take_while(u8::is_ascii_digit) {
        v = (v * 10 + i64::from(b - b'0')).min(1 << 32);
    }
    let v = if neg { -v } else { v };
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(input: &'a str) -> Lexer<'a> {
        Lexer {
            cur: Cursor::new(input),
        }
    }

    pub(crate) fn error(&self, kind: ParseErrorKind, span: Range<usize>) -> ParseError {
        ParseError::new(kind, span, self.cur.input())
    }

    /// Reads the base operator at the cursor (`=`, `<…`, `>…`); `None` if there is none.
    fn base_op(&mut self) -> Option<BaseOp> {
        let op = match (self.cur.peek()?, self.cur.peek_at(1)) {
            (b'=', _) => (BaseOp::Eq, 1),
            (b'<', Some(b'=')) => (BaseOp::Le, 2),
            (b'<', Some(b'>')) => (BaseOp::Ne, 2),
            (b'<', Some(b'<')) => (BaseOp::StartsWith, 2),
            (b'<', _) => (BaseOp::Lt, 1),
            (b'>', Some(b'=')) => (BaseOp::Ge, 2),
            (b'>', Some(b'<')) => (BaseOp::Contains, 2),
            (b'>', Some(b'>')) => (BaseOp::EndsWith, 2),
            (b'>', _) => (BaseOp::Gt, 1),
            _ => return None,
        };
        self.cur.advance(op.1);
        Some(op.0)
    }

    pub(crate) fn next_token(&mut self) -> Result<Token<'a>, ParseError> {
        self.cur.eat_while(|b| b == b' ');
        let start = self.cur.pos();
        let input = self.cur.input();
        let Some(b) = self.cur.peek() else {
            return Ok(Token {
                kind: TokenKind::End,
                start,
                end: start,
            });
        };
        let kind = match b {
            b'(' => {
                self.cur.advance(1);
                TokenKind::LParen
            }
            b')' => {
                self.cur.advance(1);
                TokenKind::RParen
            }
            b'%' | b'$' | b'?' | b'&' | b'!' => {
                self.cur.advance(1);
                TokenKind::Prefix(match b {
                    b'%' => Prefix::Env,
                    b'$' => Prefix::ComponentAction,
                    b'?' => Prefix::ComponentInstalled,
                    b'&' => Prefix::FeatureAction,
                    _ => Prefix::FeatureInstalled,
                })
            }
            b'~' => {
                self.cur.advance(1);
                match self.base_op() {
                    Some(base) => TokenKind::Cmp(CmpOp {
                        base,
                        ignore_case: true,
                    }),
                    None => {
                        return Err(self.error(ParseErrorKind::InvalidOperator, start..start + 1));
                    }
                }
            }
            b'=' | b'<' | b'>' => match self.base_op() {
                Some(base) => TokenKind::Cmp(CmpOp {
                    base,
                    ignore_case: false,
                }),
                // base_op always matches these three bytes.
                None => return Err(self.error(ParseErrorKind::InvalidOperator, start..start + 1)),
            },
            b'"' => {
                self.cur.advance(1);
                match self.cur.find(b'"') {
                    Some(close) => {
                        self.cur.advance(close + 1 - self.cur.pos());
                        TokenKind::Literal(&input[start + 1..close])
                    }
                    None => {
                        return Err(
                            self.error(ParseErrorKind::UnterminatedString, start..input.len())
                        );
                    }
                }
            }
            b if is_ident_start(b) => {
                self.cur.eat_while(is_ident_continue);
                let text = &input[start..self.cur.pos()];
                keyword(text).unwrap_or(TokenKind::Ident(text))
            }
            b if b.is_ascii_digit() || b == b'-' || b == b'.' => {
                self.cur
                    .eat_while(|b| b.is_ascii_digit() || b == b'-' || b == b'.');
                TokenKind::Int(integer_token_value(&input[start..self.cur.pos()]))
            }
            _ => {
                let len = self.cur.char_len();
                return Err(self.error(ParseErrorKind::UnexpectedCharacter, start..start + len));
            }
        };
        Ok(Token {
            kind,
            start,
            end: self.cur.pos(),
        })
    }
}

/// The keyword an identifier spells, ignoring case (Doc: "Operators are not case sensitive").
/// Only the whole identifier counts: `NOTE`, `IMPL` and `NOT-1` are names.
fn keyword(text: &str) -> Option<TokenKind<'static>> {
    let k = |s: &str| text.eq_ignore_ascii_case(s);
    Some(match text.len() {
        2 if k("OR") => TokenKind::Logic(LogicOp::Or),
        3 if k("NOT") => TokenKind::Not,
        3 if k("AND") => TokenKind::Logic(LogicOp::And),
        3 if k("XOR") => TokenKind::Logic(LogicOp::Xor),
        3 if k("EQV") => TokenKind::Logic(LogicOp::Eqv),
        3 if k("IMP") => TokenKind::Logic(LogicOp::Imp),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Result<Vec<TokenKind<'_>>, ParseErrorKind> {
        let mut lx = Lexer::new(s);
        let mut v = Vec::new();
        loop {
            let t = lx.next_token().map_err(|e| e.kind())?;
            if t.kind == TokenKind::End {
                return Ok(v);
            }
            v.push(t.kind);
        }
    }

    #[test]
    fn longest_operator_wins() {
        use BaseOp::*;
        let cases = [
            ("~<=", Le, true),
            ("~><", Contains, true),
            ("~>>", EndsWith, true),
            ("~<>", Ne, true),
            ("~>=", Ge, true),
            ("~<<", StartsWith, true),
            ("~=", Eq, true),
            ("~<", Lt, true),
            ("~>", Gt, true),
            (">=", Ge, false),
            ("><", Contains, false),
            ("<<", StartsWith, false),
            ("<>", Ne, false),
            ("<=", Le, false),
            (">>", EndsWith, false),
            (">", Gt, false),
            ("<", Lt, false),
            ("=", Eq, false),
        ];
        for (s, base, ignore_case) in cases {
            assert_eq!(
                kinds(s),
                Ok(vec![TokenKind::Cmp(CmpOp { base, ignore_case })]),
                "{s}"
            );
        }
        assert_eq!(kinds("~ ="), Err(ParseErrorKind::InvalidOperator));
        assert_eq!(kinds("=<").map(|v| v.len()), Ok(2));
    }

    #[test]
    fn integer_tokens_read_like_wcstol() {
        for (s, v) in [
            ("-1", -1),
            ("007", 7),
            ("1.5", 1),
            (".5", 0),
            ("-", 0),
            ("1-2", 1),
            ("2147483648", i32::MAX),
            ("-2147483649", i32::MIN),
            ("99999999999999999999", i32::MAX),
        ] {
            assert_eq!(kinds(s), Ok(vec![TokenKind::Int(v)]), "{s}");
        }
        assert_eq!(
            kinds("1a"),
            Ok(vec![TokenKind::Int(1), TokenKind::Ident("a")])
        );
    }

    #[test]
    fn identifiers_and_keywords() {
        assert_eq!(kinds("nOt"), Ok(vec![TokenKind::Not]));
        assert_eq!(kinds("NOT-1"), Ok(vec![TokenKind::Ident("NOT-1")]));
        assert_eq!(kinds("IMPL"), Ok(vec![TokenKind::Ident("IMPL")]));
        assert_eq!(kinds("_a.b-c#d"), Ok(vec![TokenKind::Ident("_a.b-c#d")]));
        assert_eq!(kinds("\t"), Err(ParseErrorKind::UnexpectedCharacter));
        assert_eq!(kinds("é"), Err(ParseErrorKind::UnexpectedCharacter));
        assert_eq!(kinds("\"abc"), Err(ParseErrorKind::UnterminatedString));
        assert_eq!(kinds("\"a[b]\""), Ok(vec![TokenKind::Literal("a[b]")]));
    }
}
