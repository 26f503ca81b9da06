//! The top-level scan of a formatted string ("Formatted"): `{{…}}` log-only sections, `{…}`
//! groups and the plain segments between them.
//!
//! Braces are found before brackets and regardless of them: a `{` inside `[…]` still starts a
//! group and so cuts the bracket into separate pieces (Windows-verified: `[{[3][1]}] [2]` →
//! `[12] hey`). Groups do not nest: a group runs from its `{` to the first `}` after it.

/// One piece of the top-level scan, borrowing the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Plain text, in which brackets are expanded.
    Segment(&'a str),
    /// The content of a `{…}` group (without the braces; never contains `}`).
    Group(&'a str),
}

/// `{{` is recognised only where this scan meets it, never inside a group's content, in
/// either pass (undocumented).
///
/// Splits `s` into pieces, calling `f` for each in order; `{{…}}` sections produce nothing.
///
/// Linear time: once a search for `}` or `}}` fails, no later search can succeed, so the
/// failure is remembered instead of repeated.
pub(crate) fn scan<'a>(s: &'a str, mut f: impl FnMut(Piece<'a>)) {
    let b = s.as_bytes();
    let (mut i, mut p) = (0usize, 0usize);
    // After a `{{` with no `}}` after it, every brace up to the end is ordinary text.
    let mut literal_braces = false;
    let mut no_close_brace_after: Option<usize> = None;
    while i < b.len() {
        if literal_braces || b[i] != b'{' {
            i += 1;
            continue;
        }
        if b.get(i + 1) == Some(&b'{') {
            match find2(b, i + 2) {
                Some(j) => {
                    if p < i {
                        f(Piece::Segment(&s[p..i]));
                    }
                    i = j + 2;
                    p = i;
                }
                None => {
                    literal_braces = true;
                    i += 2;
                }
            }
            continue;
        }
        let close = match no_close_brace_after {
            Some(k) if k <= i => None,
            _ => b[i + 1..]
                .iter()
                .position(|&c| c == b'}')
                .map(|j| i + 1 + j),
        };
        match close {
            Some(j) => {
                if p < i {
                    f(Piece::Segment(&s[p..i]));
                }
                f(Piece::Group(&s[i + 1..j]));
                i = j + 1;
                p = i;
            }
            None => {
                no_close_brace_after = Some(i);
                i += 1;
            }
        }
    }
    if p < b.len() {
        f(Piece::Segment(&s[p..]));
    }
}

/// The first `}}` at or after `from`.
fn find2(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .windows(2)
        .position(|w| w == b"}}")
        .map(|j| from + j)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(s: &str) -> Vec<Piece<'_>> {
        let mut v = Vec::new();
        scan(s, |p| v.push(p));
        v
    }

    #[test]
    fn groups_run_to_the_first_close_brace() {
        use Piece::*;
        assert_eq!(pieces("{ {[1]}}"), vec![Group(" {[1]"), Segment("}")]);
        assert_eq!(pieces("{{a} b}}"), vec![]);
        assert_eq!(pieces(" {{a}}}"), vec![Segment(" "), Segment("}")]);
        assert_eq!(
            pieces("{{{def}}hi{jk}}"),
            vec![Segment("hi"), Group("jk"), Segment("}")]
        );
        assert_eq!(pieces("{{[1]} }"), vec![Segment("{{[1]} }")]);
        assert_eq!(pieces("a{b"), vec![Segment("a{b")]);
        assert_eq!(pieces("{}"), vec![Group("")]);
    }
}
