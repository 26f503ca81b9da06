//! Operand values and how they compare ("Conditional Statement Syntax").

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::lexer::{BaseOp, CmpOp};

/// An evaluated operand. The kind matters: a Literal is never read as a number, a Symbol
/// (property or environment variable) may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value<'v> {
    Int(i32),
    Literal(Cow<'v, str>),
    Symbol(Cow<'v, str>),
}

impl Value<'_> {
    /// Truth of a lone value ("Using Properties in Conditional Statements"): integers are true when
    /// non-zero, strings when non-empty (a property holding "0" is true).
    pub(crate) fn truth(&self) -> bool {
        match self {
            Value::Int(i) => *i != 0,
            Value::Literal(s) | Value::Symbol(s) => !s.is_empty(),
        }
    }
}

/// `L op R` ("Conditional Statement Syntax").
pub(crate) fn compare(l: &Value<'_>, op: CmpOp, r: &Value<'_>) -> bool {
    match (l, r) {
        (Value::Int(a), Value::Int(b)) => int_op(*a, op, *b),
        // An integer against a literal: only "<>" holds (a literal is never converted).
        (Value::Int(_), Value::Literal(_)) | (Value::Literal(_), Value::Int(_)) => {
            op.base == BaseOp::Ne
        }
        // An integer against a property: converted when it is a property number.
        (Value::Int(a), Value::Symbol(s)) => match property_number(s) {
            Some(b) => int_op(*a, op, b),
            None => op.base == BaseOp::Ne,
        },
        (Value::Symbol(s), Value::Int(b)) => match property_number(s) {
            Some(a) => int_op(a, op, *b),
            None => op.base == BaseOp::Ne,
        },
        (Value::Literal(a) | Value::Symbol(a), Value::Literal(b) | Value::Symbol(b)) => {
            let any_symbol = matches!(l, Value::Symbol(_)) || matches!(r, Value::Symbol(_));
            string_op(a, op, b, any_symbol)
        }
    }
}

/// Integer semantics `I(a, op, b)`. The `~` prefix changes nothing except that
/// `~<<` and `~>>` have no integer meaning and are always false (Wine; undocumented).
fn int_op(a: i32, op: CmpOp, b: i32) -> bool {
    match op.base {
        BaseOp::Eq => a == b,
        BaseOp::Ne => a != b,
        BaseOp::Lt => a < b,
        BaseOp::Gt => a > b,
        BaseOp::Le => a <= b,
        BaseOp::Ge => a >= b,
        BaseOp::Contains => a & b != 0,
        // The halves are unsigned 16-bit values compared with b as is, so a negative b or one
        // above 65535 never matches.
        BaseOp::StartsWith => !op.ignore_case && (a >> 16) & 0xFFFF == b,
        BaseOp::EndsWith => !op.ignore_case && a & 0xFFFF == b,
    }
}

/// A "property number": `-`? digit+ and nothing else, wrapping modulo 2³² (Wine;
/// undocumented). `"+0"`, `"0 "`, `"0.0"`, `"0x00"`, `"-"` and `""` are not numbers.
fn property_number(s: &str) -> Option<i32> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v = digits.bytes().fold(0u32, |acc, b| {
        acc.wrapping_mul(10).wrapping_add(u32::from(b - b'0'))
    });
    Some(if neg { v.wrapping_neg() } else { v } as i32)
}

/// An "all-digit string": digit+ with no sign, clamped to 2147483647 (Wine).
fn all_digits(s: &str) -> Option<i32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: i64 = 0;
    for b in s.bytes() {
        v = (v * 10 + i64::from(b - b'0')).min(i64::from(i32::MAX));
    }
    Some(v as i32)
}

/// String semantics ("Conditional Statement Syntax": `~` compares without case).
fn string_op(l: &str, op: CmpOp, r: &str, any_symbol: bool) -> bool {
    match op.base {
        BaseOp::Contains | BaseOp::StartsWith | BaseOp::EndsWith => {
            if l.is_empty() {
                return false;
            }
            if r.is_empty() {
                return true;
            }
            // Two all-digit strings take the bitwise meaning, literals included (Wine; open
            // point O8; Windows-verified for properties).
            if let (Some(a), Some(b)) = (all_digits(l), all_digits(r)) {
                return int_op(a, op, b);
            }
            if op.ignore_case && !(l.is_ascii() && r.is_ascii()) {
                let (l, r) = (fold(l), fold(r));
                return substring(&l, op.base, &r);
            }
            if op.ignore_case {
                return substring_ascii_ci(l.as_bytes(), op.base, r.as_bytes());
            }
            substring(l, op.base, r)
        }
        _ => {
            // With at least one property, two all-digit strings compare as numbers
            // (Windows-verified: A="7", X="50" makes `A <= X` true).
            let ord = match (any_symbol, all_digits(l), all_digits(r)) {
                (true, Some(a), Some(b)) => a.cmp(&b),
                _ if op.ignore_case => {
                    if l.is_ascii() && r.is_ascii() {
                        l.bytes()
                            .map(|b| b.to_ascii_lowercase())
                            .cmp(r.bytes().map(|b| b.to_ascii_lowercase()))
                    } else {
                        utf16_cmp(l.chars().map(lower), r.chars().map(lower))
                    }
                }
                _ => {
                    if l.is_ascii() && r.is_ascii() {
                        l.cmp(r)
                    } else {
                        utf16_cmp(l.chars(), r.chars())
                    }
                }
            };
            match op.base {
                BaseOp::Eq => ord == Ordering::Equal,
                BaseOp::Ne => ord != Ordering::Equal,
                BaseOp::Lt => ord == Ordering::Less,
                BaseOp::Gt => ord == Ordering::Greater,
                BaseOp::Le => ord != Ordering::Greater,
                _ => ord != Ordering::Less,
            }
        }
    }
}

fn substring(l: &str, base: BaseOp, r: &str) -> bool {
    match base {
        BaseOp::Contains => l.contains(r),
        BaseOp::StartsWith => l.starts_with(r),
        _ => l.ends_with(r),
    }
}

fn substring_ascii_ci(l: &[u8], base: BaseOp, r: &[u8]) -> bool {
    if r.len() > l.len() {
        return false;
    }
    match base {
        BaseOp::Contains => l.windows(r.len()).any(|w| w.eq_ignore_ascii_case(r)),
        BaseOp::StartsWith => l[..r.len()].eq_ignore_ascii_case(r),
        _ => l[l.len() - r.len()..].eq_ignore_ascii_case(r),
    }
}

/// Case folding for the `~` operators: to lower case, as Wine does ("Conditional Statement
/// Syntax" only says "not case sensitive"; whether Windows folds to upper case is not documented;
/// it decides e.g. `"_" ~< "a"`).
///
/// Lower-cases one UTF-16 code unit's worth, as Windows' `CharLowerW` does: the simple
/// one-to-one mapping. Rust's full mapping only expands U+0130 (to "i\u{307}"); its first
/// character is the simple mapping. Characters outside the BMP are two code units on Windows,
/// which the per-unit lower-casing leaves alone.
fn lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if u32::from(c) > 0xFFFF {
        return c;
    }
    c.to_lowercase().next().unwrap_or(c)
}

fn fold(s: &str) -> String {
    s.chars().map(lower).collect()
}

/// Orders two strings by their UTF-16 code units, as Windows compares `WCHAR` strings.
/// (UTF-8 byte order is code point order, which differs from UTF-16 order when a character
/// above U+FFFF meets one in U+E000–U+FFFF.)
fn utf16_cmp(a: impl Iterator<Item = char>, b: impl Iterator<Item = char>) -> Ordering {
    a.map(utf16_key).cmp(b.map(utf16_key))
}

/// A key whose order is the order of the character's UTF-16 encoding: the first code unit in
/// the high half, the second (if any) in the low half. No BMP character is a surrogate, so a
/// BMP character and a surrogate pair never tie on the first unit.
fn utf16_key(c: char) -> u32 {
    let mut buf = [0u16; 2];
    let units = c.encode_utf16(&mut buf);
    (u32::from(units[0]) << 16) | units.get(1).map_or(0, |&u| u32::from(u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_numbers() {
        assert_eq!(property_number("-0"), Some(0));
        assert_eq!(property_number("0000000000000"), Some(0));
        assert_eq!(property_number("4294967297"), Some(1));
        for s in ["+0", "--0", "0x00", "-", "0.0", "0 ", "0asdf", "asdf", ""] {
            assert_eq!(property_number(s), None, "{s:?}");
        }
        assert_eq!(all_digits("99999999999"), Some(i32::MAX));
        assert_eq!(all_digits("-1"), None);
    }

    #[test]
    fn utf16_order_differs_from_utf8_order() {
        // U+FF61 sorts after U+10000 in code points but before it in UTF-16 code units? No:
        // U+10000 is D800 DC00, and D800 < FF61, so U+10000 sorts first in UTF-16.
        assert_eq!(
            utf16_cmp("\u{10000}".chars(), "\u{FF61}".chars()),
            Ordering::Less
        );
        assert_eq!("\u{10000}".cmp("\u{FF61}"), Ordering::Greater);
        assert_eq!(lower('\u{130}'), 'i');
        assert_eq!(lower('Ä'), 'ä');
    }
}
