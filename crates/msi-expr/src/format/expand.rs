//! Expanding brackets and groups in one pass ("Formatted").
//!
//! `Brackets` is written without recursion: nested brackets are expanded on an explicit stack
//! of open `[` positions, each remembering where its key starts in the output. A `]` replaces
//! the key with its resolution. If the text ends (or an escape is unclosed) while a `[` is
//! open, the outermost open `[` is unclosed: the output goes back to where it began and the
//! rest of the text is copied unchanged — exactly what a recursive reading gives, in
//! linear time and constant stack whatever the nesting.

use std::borrow::Cow;

use super::FormatOptions;
use super::parse::{Piece, scan};
use crate::lookup::Lookup;
use crate::record::{Field, Record};

/// Opens text that the property pass copies as it is: what `[0]` inserted in pass 1.
/// Windows inserts field 0's text once and does not format it again. A noncharacter, which
/// never occurs in text exchanged between programs, so it cannot clash with a template's own.
pub(crate) const VERBATIM_START: char = '\u{FDD0}';
/// Closes the text [`VERBATIM_START`] opened.
pub(crate) const VERBATIM_END: char = '\u{FDD1}';

/// Which pass is running.
pub(crate) enum Mode<'r> {
    /// Pass 1: record fields `[n]`; every other bracket stays as text.
    Record {
        record: &'r Record,
        /// The text of field 0 as `[0]` reads it (`None` when field 0 is null).
        template: Option<&'r str>,
        /// Whether a property pass follows: the text `[0]` inserts is then wrapped in
        /// [`VERBATIM_START`]…[`VERBATIM_END`], so that pass 2 copies it unformatted.
        mark_field0: bool,
    },
    /// Pass 2: properties, environment, files, components, escapes and `[~]`.
    Property {
        lookup: &'r dyn Lookup,
        options: FormatOptions,
    },
}

/// What one evaluated bracket tells its enclosing group.
#[derive(Debug, Clone, Copy, Default)]
struct Outcomes {
    any: bool,
    literal: bool,
    failed: bool,
    found: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Left as text for a later pass or for good.
    Literal,
    /// A record field or property with a value.
    Found,
    /// A null or absent field, or an unset property.
    Failed,
    /// Escapes, `[~]`, environment, file and component references.
    Other,
}

impl Outcomes {
    fn add(&mut self, o: Outcome) {
        self.any = true;
        match o {
            Outcome::Literal => self.literal = true,
            Outcome::Found => self.found = true,
            Outcome::Failed => self.failed = true,
            Outcome::Other => {}
        }
    }
}

/// `Expand(S, mode)`: appends the expansion of `s` to `out`.
pub(crate) fn expand(s: &str, mode: &Mode<'_>, out: &mut String) {
    let mut scratch = String::new();
    scan(s, |piece| match piece {
        Piece::Segment(text) => {
            brackets(text, mode, out, &mut scratch);
        }
        Piece::Group(content) => group(content, mode, out, &mut scratch),
    });
}

/// `Group(C)`: a `{…}` group ("Formatted").
fn group(content: &str, mode: &Mode<'_>, out: &mut String, scratch: &mut String) {
    if content.is_empty() {
        return;
    }
    let start = out.len();
    out.push('{');
    let o = brackets(content, mode, out, scratch);
    if !o.any {
        // No complete bracket: the group is text, braces included.
        out.truncate(start);
        out.push('{');
        out.push_str(content);
        out.push('}');
    } else if o.literal {
        out.push('}');
    } else if o.failed {
        // Doc: "If any of the properties is not found, all the text in the braces and the
        // braces themselves are removed."
        out.truncate(start);
    } else if o.found {
        out.remove(start);
    } else {
        // Only escapes, [~], environment, file or component references: Wine keeps the
        // braces (undocumented).
        out.push('}');
    }
}

/// `Brackets(X)`: appends the expansion of `x` to `out` and returns the outcomes of
/// the references evaluated at top level.
fn brackets(x: &str, mode: &Mode<'_>, out: &mut String, scratch: &mut String) -> Outcomes {
    let b = x.as_bytes();
    let mut outcomes = Outcomes::default();
    // Open `[`: (position in x, length of out when it opened).
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    let mut plain = 0; // start of the run of plain text not yet copied
    while i < b.len() {
        match b[i] {
            b'[' => {
                out.push_str(&x[plain..i]);
                if b.get(i + 1) == Some(&b'\\') {
                    // Escape form: ends at the first `]` after the escaped character, which
                    // may itself be `[` or `]` (Windows-verified: `[\a[]` → `a`, `[\[]]` → `[]`).
                    // So `[\]` is unclosed and `[\]a]` gives `]` (undocumented; Wine ends an
                    // escape at the first `]` after the backslash instead).
                    let escaped = x[i + 2..].chars().next();
                    let close = escaped.and_then(|c| {
                        let from = i + 2 + c.len_utf8();
                        b[from..].iter().position(|&c| c == b']').map(|j| from + j)
                    });
                    match (escaped, close) {
                        (Some(c), Some(j)) => {
                            let o = escape(&x[i..=j], c, mode, out);
                            if open.is_empty() {
                                outcomes.add(o);
                            }
                            i = j + 1;
                            plain = i;
                            continue;
                        }
                        _ => {
                            unclosed(x, i, &open, out);
                            return outcomes;
                        }
                    }
                }
                // The `[` goes out at once: in the common case of a key that stays literal,
                // closing it is then a single push, which keeps deep nesting linear.
                out.push('[');
                open.push((i, out.len()));
                i += 1;
                plain = i;
            }
            b']' if !open.is_empty() => {
                out.push_str(&x[plain..i]);
                let Some((_, key_start)) = open.pop() else {
                    break; // unreachable: `open` is not empty in this arm
                };
                let o = close_bracket(out, key_start, mode, scratch);
                if open.is_empty() {
                    outcomes.add(o);
                }
                i += 1;
                plain = i;
            }
            _ => i += 1,
        }
    }
    if let Some(&(first, _)) = open.first() {
        unclosed(x, first, &open, out);
        return outcomes;
    }
    out.push_str(&x[plain..]);
    outcomes
}

/// The `[` at `at` (or, if brackets are open, the outermost open one) is never closed: it and
/// everything after it in this piece is literal text (Windows-verified: `[a[1]b` unchanged).
fn unclosed(x: &str, at: usize, open: &[(usize, usize)], out: &mut String) {
    // An open bracket's key starts just after the `[` already written for it.
    let (from, out_len) = open
        .first()
        .map_or((at, out.len()), |&(pos, key_start)| (pos, key_start - 1));
    out.truncate(out_len);
    out.push_str(&x[from..]);
}

/// An escape bracket `[\c…]` whose whole text is `whole`.
fn escape(whole: &str, c: char, mode: &Mode<'_>, out: &mut String) -> Outcome {
    match mode {
        Mode::Record { .. } => {
            out.push_str(whole);
            Outcome::Literal
        }
        Mode::Property { .. } => {
            // Windows keeps one UTF-16 code unit; a character outside the BMP is kept whole
            // here, since half of it is not representable in a Rust string.
            out.push(c);
            Outcome::Other
        }
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn push_opt(out: &mut String, v: Option<Cow<'_, str>>) {
    if let Some(v) = v {
        out.push_str(&v);
    }
}

/// Closes the bracket whose expanded key is `out[key_start..]` (preceded by its `[`):
/// replaces `[key` with the reference's text, or, when the key stays literal, adds the `]`.
fn close_bracket(
    out: &mut String,
    key_start: usize,
    mode: &Mode<'_>,
    scratch: &mut String,
) -> Outcome {
    let key = &out[key_start..];
    let literal = match mode {
        // Pass 1: only an all-digit key is a reference.
        Mode::Record { .. } => !all_digits(key),
        // Pass 2: digits (made by a property or an escape) are not a record index
        // (Windows-verified: `[[dummya]]` with dummya = `1` → `[1]`; Wine differs), unless
        // the key is an escape, `~`, `%`, `#`, `!` or `$` form (none of which is digits).
        Mode::Property { .. } => all_digits(key),
    };
    if literal {
        out.push(']');
        return Outcome::Literal;
    }
    scratch.clear();
    let o = resolve(key, mode, scratch);
    out.truncate(key_start - 1);
    out.push_str(scratch);
    o
}

/// `Ref` after the inner expansion, for a key that is a reference in `mode`:
/// writes the text to `out`.
fn resolve(key: &str, mode: &Mode<'_>, out: &mut String) -> Outcome {
    match mode {
        Mode::Record {
            record,
            template,
            mark_field0,
        } => {
            // More digits than any index up to 65535 can have: absent (undocumented).
            let index = key.trim_start_matches('0');
            let index = if index.len() > 5 {
                None
            } else {
                index.parse::<usize>().ok().or(Some(0))
            };
            let text = match index {
                Some(0) => template.map(Cow::Borrowed),
                Some(n) if n <= record.field_count() => match record.field(n) {
                    Field::Null => None,
                    f => Some(f.text()),
                },
                _ => None,
            };
            match text {
                Some(t) if index == Some(0) && *mark_field0 => {
                    out.push(VERBATIM_START);
                    out.push_str(&t);
                    out.push(VERBATIM_END);
                    Outcome::Found
                }
                Some(t) => {
                    out.push_str(&t);
                    Outcome::Found
                }
                None => Outcome::Failed,
            }
        }
        Mode::Property { lookup, options } => {
            let first = key.as_bytes().first().copied();
            let rest = key.get(1..).unwrap_or("");
            match first {
                Some(b'\\') => {
                    // A key that became an escape through inner expansion (`[[dummyc]]` with
                    // dummyc = `\blath` → `b`).
                    if let Some(c) = rest.chars().next() {
                        out.push(c);
                    }
                    Outcome::Other
                }
                Some(b'~') => {
                    if rest.is_empty() {
                        out.push('\0');
                    }
                    Outcome::Other
                }
                Some(b'%') => {
                    push_opt(out, lookup.env_var(rest));
                    Outcome::Other
                }
                Some(b'#') => {
                    push_opt(out, lookup.file_path(rest));
                    Outcome::Other
                }
                Some(b'!') => {
                    let short = if options.short_file_paths {
                        lookup.file_short_path(rest)
                    } else {
                        None
                    };
                    push_opt(out, short.or_else(|| lookup.file_path(rest)));
                    Outcome::Other
                }
                Some(b'$') => {
                    push_opt(out, lookup.component_directory(rest));
                    Outcome::Other
                }
                _ => match lookup.property(key) {
                    Some(v) if !v.is_empty() => {
                        out.push_str(&v);
                        Outcome::Found
                    }
                    _ => Outcome::Failed,
                },
            }
        }
    }
}
