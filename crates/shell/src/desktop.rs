//! freedesktop.org Desktop Entry files (`.desktop`): the form a shortcut takes in a Linux
//! layout, as the Desktop Entry Specification writes them.
//!
//! A shortcut to a program is a `Type=Application` entry whose `Exec` is the program and
//! its arguments, each quoted by the specification's rules; a shortcut to a document or a
//! folder is a `Type=Link` entry with a `file://` URL. Values are escaped as the
//! specification's `string` type requires (`\\`, `\n`, `\t`, `\r`, a leading `\s`).

/// What a desktop entry starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// `Type=Application`: a program (`argv[0]`) and its arguments.
    Application {
        /// The program and its arguments, unquoted.
        argv: Vec<String>,
        /// `Path`: the working folder.
        path: Option<String>,
    },
    /// `Type=Link`: a document or folder, by its full path.
    Link {
        /// The full path the entry opens.
        target: String,
    },
}

/// A desktop entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesktopEntry {
    /// `Name`.
    pub name: String,
    /// `Comment`: the tooltip (left out when it only repeats the name).
    pub comment: Option<String>,
    /// `Icon`: a full path or an icon-theme name.
    pub icon: Option<String>,
    /// What it starts.
    pub launch: Launch,
}

impl DesktopEntry {
    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut out = String::from("[Desktop Entry]\n");
        let mut put = |k: &str, v: &str| {
            out.push_str(k);
            out.push('=');
            out.push_str(v);
            out.push('\n');
        };
        match &self.launch {
            Launch::Application { .. } => put("Type", "Application"),
            Launch::Link { .. } => put("Type", "Link"),
        }
        put("Version", "1.0");
        put("Name", &escape(&self.name));
        if let Some(c) = self
            .comment
            .as_deref()
            .filter(|c| !c.is_empty() && *c != self.name)
        {
            put("Comment", &escape(c));
        }
        if let Some(i) = self.icon.as_deref().filter(|i| !i.is_empty()) {
            put("Icon", &escape(i));
        }
        match &self.launch {
            Launch::Application { argv, path } => {
                put("Exec", &escape(&exec_line(argv)));
                if let Some(p) = path.as_deref().filter(|p| !p.is_empty()) {
                    put("Path", &escape(p));
                }
            }
            Launch::Link { target } => put("URL", &escape(&file_url(target))),
        }
        out
    }
}

/// A value of the specification's `string` type.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, ch) in value.chars().enumerate() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' ' if i == 0 => out.push_str("\\s"),
            _ => out.push(ch),
        }
    }
    out
}

/// The characters that oblige an `Exec` argument to be quoted ("The Exec key").
const RESERVED: &[char] = &[
    ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')',
    '`',
];

/// An `Exec` value (before the `string` escaping): each argument quoted when it holds a
/// reserved character (inside the quotes `"`, `` ` ``, `$` and `\` take a backslash), and
/// every `%` doubled so that none reads as a field code.
pub fn exec_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let a = a.replace('%', "%%");
            if !a.is_empty() && !a.contains(RESERVED) {
                return a;
            }
            let mut q = String::from("\"");
            for ch in a.chars() {
                if matches!(ch, '"' | '`' | '$' | '\\') {
                    q.push('\\');
                }
                q.push(ch);
            }
            q.push('"');
            q
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A `file://` URL for a full path, its bytes outside the unreserved set percent-encoded.
pub fn file_url(path: &str) -> String {
    let mut out = String::from("file://");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A Windows command line's arguments, split as `CommandLineToArgvW` splits them (the
/// Shortcut table's Arguments are one such string): blanks separate arguments outside
/// double quotes; `2n` backslashes before a quote are `n` backslashes and the quote opens
/// or closes, `2n+1` are `n` and a literal quote; other backslashes are literal; `""`
/// inside quotes is a literal quote.
pub fn split_windows_args(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut in_arg = false;
    let mut quoted = false;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        match ch {
            ' ' | '\t' if !quoted => {
                if in_arg {
                    args.push(std::mem::take(&mut cur));
                    in_arg = false;
                }
            }
            '\\' => {
                let start = i;
                while i < chars.len() && chars[i] == '\\' {
                    i += 1;
                }
                let n = i - start;
                in_arg = true;
                if i < chars.len() && chars[i] == '"' {
                    cur.extend(std::iter::repeat_n('\\', n / 2));
                    if n % 2 == 1 {
                        cur.push('"');
                        i += 1;
                    }
                } else {
                    cur.extend(std::iter::repeat_n('\\', n));
                }
                continue;
            }
            '"' => {
                in_arg = true;
                if quoted && chars.get(i + 1) == Some(&'"') {
                    cur.push('"');
                    i += 1;
                } else {
                    quoted = !quoted;
                }
            }
            _ => {
                in_arg = true;
                cur.push(ch);
            }
        }
        i += 1;
    }
    if in_arg {
        args.push(cur);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_arguments_are_quoted_by_the_specs_rules() {
        let argv: Vec<String> = ["/opt/My App/app", "plain", "a$b", "100%", "", r"C:\x"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            exec_line(&argv),
            r#""/opt/My App/app" plain "a\$b" 100%% "" "C:\\x""#
        );
        // The string escaping comes on top: a literal backslash is four.
        assert_eq!(escape(&exec_line(&argv[5..])), r#""C:\\\\x""#);
    }

    #[test]
    fn strings_escape_controls_and_a_leading_space() {
        assert_eq!(escape(" a\tb\nc\\"), "\\sa\\tb\\nc\\\\");
    }

    #[test]
    fn windows_command_lines_split_as_windows_splits_them() {
        let s = |l: &str| split_windows_args(l);
        assert_eq!(s(r#"a "b c" d"#), ["a", "b c", "d"]);
        assert_eq!(s(r#""a\"b" c\\d"#), [r#"a"b"#, r"c\\d"]);
        assert_eq!(s(r#"a\\\\"b c" d"#), [r"a\\b c", "d"]);
        assert_eq!(s(r#""""#), [""]);
        assert_eq!(s("  "), Vec::<String>::new());
        assert_eq!(s(r#""say ""hi""""#), [r#"say "hi""#]);
    }

    #[test]
    fn entries_hold_their_keys() {
        let e = DesktopEntry {
            name: "My App".into(),
            comment: Some("Does things".into()),
            icon: Some("/usr/share/icons/app.png".into()),
            launch: Launch::Application {
                argv: vec!["/opt/App/app".into(), "--x".into()],
                path: Some("/opt/App".into()),
            },
        };
        assert_eq!(
            e.to_text(),
            "[Desktop Entry]\nType=Application\nVersion=1.0\nName=My App\nComment=Does things\nIcon=/usr/share/icons/app.png\nExec=/opt/App/app --x\nPath=/opt/App\n"
        );
        let l = DesktopEntry {
            name: "Read me".into(),
            comment: Some("Read me".into()),
            icon: None,
            launch: Launch::Link {
                target: "/opt/App/read me.txt".into(),
            },
        };
        assert_eq!(
            l.to_text(),
            "[Desktop Entry]\nType=Link\nVersion=1.0\nName=Read me\nURL=file:///opt/App/read%20me.txt\n"
        );
    }
}
