//! Windows command-line splitting, as `CommandLineToArgvW` and the Microsoft C runtime do it.
//!
//! An executable custom action's `Target` is one formatted string, the command line Windows
//! would hand to `CreateProcess`. On Windows the child splits that string itself; on Linux the
//! engine must split it before `execve`, and must never hand it to a shell (a `;` or `$(...)`
//! in a property value would otherwise run code). The rules reproduced here are those of
//! `CommandLineToArgvW` and of the 2008-and-later C runtime (`parse_cmdline`):
//!
//! * The first argument (the program) ends at the first space or tab outside quotes; its
//!   quotes only open and close quoted stretches and are dropped, and backslashes in it are
//!   literal (the C runtime's rule; `CommandLineToArgvW` differs only for a program name
//!   with text glued to its closing quote, which no real command line has).
//! * Other arguments are separated by runs of spaces and tabs outside quotes.
//! * `2n` backslashes before a `"` give `n` backslashes and the quote opens or closes a
//!   quoted section; `2n+1` backslashes before a `"` give `n` backslashes and a literal `"`.
//!   Backslashes not followed by `"` are literal.
//! * Inside a quoted section, `""` gives a literal `"` and the section stays open.
//! * An empty quoted section (`""` outside quotes) is an empty argument.

/// Splits a Windows command line into its arguments, the program first.
///
/// An empty or all-blank command line gives no arguments.
pub(crate) fn split(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut args = Vec::new();
    let mut i = 0;
    // Leading blanks are not part of the program name.
    while i < chars.len() && is_blank(chars[i]) {
        i += 1;
    }
    if i >= chars.len() {
        return args;
    }

    // The program name (argv[0]), by the C runtime's rule: quotes open and close quoted
    // stretches and are dropped, backslashes are literal, and the name ends at the first
    // blank outside quotes.
    let mut program = String::new();
    let mut in_quotes = false;
    while i < chars.len() && (in_quotes || !is_blank(chars[i])) {
        if chars[i] == '"' {
            in_quotes = !in_quotes;
        } else {
            program.push(chars[i]);
        }
        i += 1;
    }
    args.push(program);

    loop {
        while i < chars.len() && is_blank(chars[i]) {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let mut arg = String::new();
        let mut in_quotes = false;
        while i < chars.len() {
            let c = chars[i];
            if is_blank(c) && !in_quotes {
                break;
            }
            if c == '\\' {
                let start = i;
                while i < chars.len() && chars[i] == '\\' {
                    i += 1;
                }
                let count = i - start;
                if i < chars.len() && chars[i] == '"' {
                    arg.extend(std::iter::repeat_n('\\', count / 2));
                    if count % 2 == 1 {
                        arg.push('"');
                        i += 1;
                    }
                    // An even count leaves the quote to the next turn of the loop.
                } else {
                    arg.extend(std::iter::repeat_n('\\', count));
                }
                continue;
            }
            if c == '"' {
                if in_quotes && chars.get(i + 1) == Some(&'"') {
                    arg.push('"');
                    i += 2;
                } else {
                    in_quotes = !in_quotes;
                    i += 1;
                }
                continue;
            }
            arg.push(c);
            i += 1;
        }
        args.push(arg);
    }
    args
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Quotes one argument so that [`split`] gives it back unchanged (for the log, and for
/// building a command line from parts).
pub(crate) fn quote(arg: &str) -> String {
    if !arg.is_empty() && !arg.chars().any(|c| is_blank(c) || c == '"') {
        return arg.to_string();
    }
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            _ => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.extend(std::iter::repeat_n('\\', backslashes * 2));
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from Microsoft's "Parsing C command-line arguments" table and from the
    /// CommandLineToArgvW tests of Wine (which Windows passes), program name first.
    #[test]
    fn table() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("   ", &[]),
            ("prog", &["prog"]),
            ("prog a b c", &["prog", "a", "b", "c"]),
            ("prog \t a\t\tb ", &["prog", "a", "b"]),
            // Microsoft's table.
            (r#"p "abc" d e"#, &["p", "abc", "d", "e"]),
            (r#"p a\\b d"e f"g h"#, &["p", r"a\\b", "de fg", "h"]),
            (r#"p a\\\"b c d"#, &["p", r#"a\"b"#, "c", "d"]),
            (r#"p a\\\\"b c" d e"#, &["p", r"a\\b c", "d", "e"]),
            (r#"p a"b"" c d"#, &["p", r#"ab" c d"#]),
            // Empty quoted arguments.
            (r#"p "" x"#, &["p", "", "x"]),
            (r#"p """#, &["p", ""]),
            // "" inside quotes is a literal quote and the section stays open.
            (r#"p "a""b c""#, &["p", r#"a"b c"#]),
            (
                r#"p "He said ""hi"" there""#,
                &["p", r#"He said "hi" there"#],
            ),
            // Backslashes not before a quote are literal.
            (r"p C:\dir\ x\\y", &["p", r"C:\dir\", r"x\\y"]),
            (r#"p "C:\dir\\" next"#, &["p", r"C:\dir\", "next"]),
            // The program name: quoted, with spaces, backslashes literal.
            (
                r#""C:\Program Files\a.exe" /s"#,
                &[r"C:\Program Files\a.exe", "/s"],
            ),
            (r#"C:\x\"y" z"#, &[r"C:\x\y", "z"]),
            (r#"a"b c"d e"#, &["ab cd", "e"]),
            (
                r#""/usr/bin/env" sh -c 'x'"#,
                &["/usr/bin/env", "sh", "-c", "'x'"],
            ),
            // Shell metacharacters are ordinary characters.
            ("p a;b $(rm) `x` |y", &["p", "a;b", "$(rm)", "`x`", "|y"]),
            // Unterminated quote runs to the end.
            (r#"p "a b"#, &["p", "a b"]),
        ];
        for (line, want) in cases {
            let got = split(line);
            assert_eq!(got, *want, "split({line:?})");
        }
    }

    #[test]
    fn quote_round_trips() {
        let args = [
            "plain",
            "",
            "with space",
            r"trailing\",
            r#"q"uote"#,
            r#"back\"slash"#,
            r"a\\b",
            r#"\\""#,
        ];
        let line = std::iter::once("prog".to_string())
            .chain(args.iter().map(|a| quote(a)))
            .collect::<Vec<_>>()
            .join(" ");
        let got = split(&line);
        assert_eq!(got[0], "prog");
        assert_eq!(&got[1..], &args, "line {line}");
    }
}
