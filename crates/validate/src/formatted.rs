//! The strict syntax of Formatted text, as Microsoft's validator applies it
//! to the Formatted, Template, RegPath and Shortcut categories ("Formatted",
//! "ICE03"): every `[` closes, every bracket names something a formatted
//! string can name, and a literal bracket is written `[\[]` or `[\]]`.
//!
//! Hand-written here rather than taken from `msi-expr`: the runtime's
//! formatter (`msi_expr::format_string`) is lenient by design (an invalid
//! reference such as `[read me]` formats to nothing, as `MsiFormatRecord`
//! does) and reports no errors, while the validator must report them.

/// A syntax error in formatted text: what is wrong, at which byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FormatError {
    pub(crate) what: &'static str,
    pub(crate) at: usize,
}

/// What a bracket names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefKind {
    /// `[Property]`.
    Property,
    /// `[%ENV]`.
    Environment,
    /// `[#file]` or `[!file]`.
    File,
    /// `[$component]`.
    Component,
}

/// One reference of formatted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference<'a> {
    pub(crate) kind: RefKind,
    pub(crate) name: &'a str,
}

/// Checks `s`; on success returns what its brackets name.
pub(crate) fn check(s: &str) -> Result<Vec<Reference<'_>>, FormatError> {
    let b = s.as_bytes();
    let mut refs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'[' => i = bracket(s, i, &mut refs)?,
            b']' => {
                return Err(FormatError {
                    what: "unmatched ]",
                    at: i,
                });
            }
            _ => i += 1,
        }
    }
    Ok(refs)
}

/// What `s` references, ignoring syntax errors (the references before the
/// first error).
pub(crate) fn references(s: &str) -> Vec<Reference<'_>> {
    let b = s.as_bytes();
    let mut refs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'[' {
            match bracket(s, i, &mut refs) {
                Ok(next) => i = next,
                Err(_) => i += 1,
            }
        } else {
            i += 1;
        }
    }
    refs
}

/// Parses the bracket opening at `start`; returns the index after its `]`.
fn bracket<'a>(
    s: &'a str,
    start: usize,
    refs: &mut Vec<Reference<'a>>,
) -> Result<usize, FormatError> {
    let b = s.as_bytes();
    let mut i = start + 1;
    if b.get(i) == Some(&b'\\') {
        // `[\x]`: exactly one character, which may be a bracket.
        let Some(c) = s[i + 1..].chars().next() else {
            return Err(FormatError {
                what: "unclosed [",
                at: start,
            });
        };
        let after = i + 1 + c.len_utf8();
        return if b.get(after) == Some(&b']') {
            Ok(after + 1)
        } else {
            Err(FormatError {
                what: "[\\ escapes exactly one character",
                at: start,
            })
        };
    }
    let mut nested = false;
    loop {
        match b.get(i) {
            None => {
                return Err(FormatError {
                    what: "unclosed [",
                    at: start,
                });
            }
            Some(b'[') => {
                nested = true;
                i = bracket(s, i, refs)?;
            }
            Some(b']') => break,
            Some(_) => i += 1,
        }
    }
    let content = &s[start + 1..i];
    if nested {
        return Ok(i + 1);
    }
    let bad = |what| Err(FormatError { what, at: start });
    if content == "~" || (!content.is_empty() && content.bytes().all(|c| c.is_ascii_digit())) {
        return Ok(i + 1);
    }
    let (kind, name) = match content.as_bytes().first() {
        None => return bad("empty []"),
        Some(b'%') => (RefKind::Environment, &content[1..]),
        Some(b'#') | Some(b'!') => (RefKind::File, &content[1..]),
        Some(b'$') => (RefKind::Component, &content[1..]),
        Some(_) => (RefKind::Property, content),
    };
    let ok = match kind {
        RefKind::Environment => !name.is_empty() && !name.contains(['[', ']']),
        _ => crate::categories::is_identifier(name),
    };
    if !ok {
        return bad("not a property, file, component or environment reference");
    }
    refs.push(Reference { kind, name });
    Ok(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid() {
        assert!(check("[INSTALLDIR]bin\\[#file.exe] [$Comp] [%PATH] [1] [~] [\\[]x[\\]]").is_ok());
        assert!(check("[[INDIRECT]]").is_ok());
        assert!(check("{[A]}{{log}}").is_ok());
        assert_eq!(
            check("a [read me]"),
            Err(FormatError {
                what: "not a property, file, component or environment reference",
                at: 2
            })
        );
        assert_eq!(check("a [B").unwrap_err().what, "unclosed [");
        assert_eq!(check("a ]").unwrap_err().at, 2);
        let refs = references("[A] [#f] [$c] [%E] [bad ref]");
        assert_eq!(refs.len(), 4);
        assert_eq!(
            refs[1],
            Reference {
                kind: RefKind::File,
                name: "f"
            }
        );
    }
}
