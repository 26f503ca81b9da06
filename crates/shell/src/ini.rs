//! INI files, edited as `WritePrivateProfileString` edits them and read as
//! `GetPrivateProfileString` reads them, with the actions of the IniFile and RemoveIniFile
//! tables ([`IniAction`]) and the field numbers of the IniLocator table ([`field`]).
//!
//! The file is kept as its lines, so that an edit changes only the line it is about (as
//! Windows does; comments and blank lines stay where they are), and written back with CRLF
//! line ends. Section and key names match without regard to case; a key missing from its
//! section is added after the section's last entry, a missing section is appended at the
//! end of the file. A file that starts with the UTF-16 byte order mark is read and written
//! as UTF-16LE (Windows' Unicode profile files); any other as UTF-8 (Linux has no ANSI code
//! page), a UTF-8 byte order mark kept.

/// An action of the IniFile table's (and RemoveIniFile table's) Action column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IniAction {
    /// 0 (`msidbIniFileActionAddLine`): creates or updates the entry.
    AddLine,
    /// 1 (`msidbIniFileActionCreateLine`): creates the entry only if it does not exist.
    CreateLine,
    /// 2 (`msidbIniFileActionRemoveLine`): deletes the entry.
    RemoveLine,
    /// 3 (`msidbIniFileActionAddTag`): creates the entry, or appends the value to the
    /// entry's comma-separated values when it is not one of them yet.
    AddTag,
    /// 4 (`msidbIniFileActionRemoveTag`): removes the value from the entry's
    /// comma-separated values.
    RemoveTag,
}

impl IniAction {
    /// The action of an Action column's value; `None` for a value the tables do not define.
    pub fn from_code(code: i32) -> Option<IniAction> {
        Some(match code {
            0 => IniAction::AddLine,
            1 => IniAction::CreateLine,
            2 => IniAction::RemoveLine,
            3 => IniAction::AddTag,
            4 => IniAction::RemoveTag,
            _ => return None,
        })
    }

    /// The column value.
    pub fn code(self) -> i32 {
        match self {
            IniAction::AddLine => 0,
            IniAction::CreateLine => 1,
            IniAction::RemoveLine => 2,
            IniAction::AddTag => 3,
            IniAction::RemoveTag => 4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
}

/// An INI file's content (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniFile {
    lines: Vec<String>,
    encoding: Encoding,
}

impl Default for IniFile {
    fn default() -> Self {
        IniFile::new()
    }
}

/// What one line of an INI file is.
enum Line<'a> {
    Section(&'a str),
    Entry {
        key: &'a str,
        value: Option<&'a str>,
    },
    Blank,
}

fn classify(line: &str) -> Line<'_> {
    let t = line.trim();
    if t.is_empty() {
        return Line::Blank;
    }
    if let Some(rest) = t.strip_prefix('[') {
        // As Windows reads it: the name ends at the first ']' (or the line's end).
        let name = rest.split(']').next().unwrap_or(rest);
        return Line::Section(name.trim());
    }
    match t.split_once('=') {
        Some((k, v)) => Line::Entry {
            key: k.trim(),
            value: Some(v.trim()),
        },
        None => Line::Entry {
            key: t,
            value: None,
        },
    }
}

impl IniFile {
    /// An empty file (what Windows starts from when the file does not exist).
    pub fn new() -> IniFile {
        IniFile {
            lines: Vec::new(),
            encoding: Encoding::Utf8,
        }
    }

    /// A file's content. Bytes that are not valid text are replaced (U+FFFD), as nothing in
    /// an INI file can be addressed by them.
    pub fn parse(bytes: &[u8]) -> IniFile {
        let (text, encoding) = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            (String::from_utf16_lossy(&units), Encoding::Utf16Le)
        } else if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
            (
                String::from_utf8_lossy(rest).into_owned(),
                Encoding::Utf8Bom,
            )
        } else {
            (String::from_utf8_lossy(bytes).into_owned(), Encoding::Utf8)
        };
        let mut lines: Vec<String> = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
            .collect();
        // The text after the last line end is a line only when it holds something.
        if lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        IniFile { lines, encoding }
    }

    /// The file's bytes: every line ended by CRLF, in the encoding it was read in.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = String::new();
        for l in &self.lines {
            text.push_str(l);
            text.push_str("\r\n");
        }
        match self.encoding {
            Encoding::Utf8 => text.into_bytes(),
            Encoding::Utf8Bom => {
                let mut out = vec![0xEF, 0xBB, 0xBF];
                out.extend_from_slice(text.as_bytes());
                out
            }
            Encoding::Utf16Le => {
                let mut out = vec![0xFF, 0xFE];
                for u in text.encode_utf16() {
                    out.extend_from_slice(&u.to_le_bytes());
                }
                out
            }
        }
    }

    /// Whether the file holds nothing but blank lines.
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.trim().is_empty())
    }

    /// The lines of `section` (the first one of that name): its header's index and the end
    /// of its lines (the next section's header, or the end of the file).
    fn section(&self, section: &str) -> Option<(usize, usize)> {
        let start = self.lines.iter().position(
            |l| matches!(classify(l), Line::Section(n) if n.eq_ignore_ascii_case(section)),
        )?;
        let end = self.lines[start + 1..]
            .iter()
            .position(|l| matches!(classify(l), Line::Section(_)))
            .map_or(self.lines.len(), |i| start + 1 + i);
        Some((start, end))
    }

    /// The line of `key` in `section`.
    fn entry(&self, section: &str, key: &str) -> Option<usize> {
        let (start, end) = self.section(section)?;
        (start + 1..end).find(
            |&i| matches!(classify(&self.lines[i]), Line::Entry { key: k, .. } if k.eq_ignore_ascii_case(key)),
        )
    }

    /// The value of `key` in `section` as `GetPrivateProfileString` returns it: without the
    /// blanks around it and without one pair of enclosing quotes (`"` or `'`). A key
    /// without `=` reads as an empty value.
    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        let i = self.entry(section, key)?;
        let Line::Entry { value, .. } = classify(&self.lines[i]) else {
            return None;
        };
        let v = value.unwrap_or("");
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|&q| {
                v.strip_prefix(q)
                    .and_then(|r| r.strip_suffix(q))
                    .filter(|_| v.len() > 1)
            })
            .unwrap_or(v);
        Some(unquoted.to_string())
    }

    /// The sections' names, in file order.
    pub fn sections(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|l| match classify(l) {
                Line::Section(n) => Some(n.to_string()),
                _ => None,
            })
            .collect()
    }

    /// `WritePrivateProfileString(section, key, value)`: the entry's line becomes
    /// `key=value` (the key keeps its spelling in the file); a new entry is added after the
    /// section's last entry, a new section at the end of the file.
    pub fn set(&mut self, section: &str, key: &str, value: &str) {
        if let Some(i) = self.entry(section, key) {
            let name = match classify(&self.lines[i]) {
                Line::Entry { key: k, .. } => k.to_string(),
                _ => key.to_string(),
            };
            self.lines[i] = format!("{name}={value}");
            return;
        }
        let line = format!("{key}={value}");
        match self.section(section) {
            Some((start, end)) => {
                // After the last line of the section that is not blank.
                let at = (start + 1..end)
                    .rev()
                    .find(|&i| !matches!(classify(&self.lines[i]), Line::Blank))
                    .map_or(start + 1, |i| i + 1);
                self.lines.insert(at, line);
            }
            None => {
                self.lines.push(format!("[{section}]"));
                self.lines.push(line);
            }
        }
    }

    /// `WritePrivateProfileString(section, key, NULL)`: deletes the entry. Returns whether
    /// there was one.
    pub fn remove(&mut self, section: &str, key: &str) -> bool {
        match self.entry(section, key) {
            Some(i) => {
                self.lines.remove(i);
                true
            }
            None => false,
        }
    }

    /// Removes `section` when no entry is left in it (its blank lines go with it).
    pub fn remove_section_if_empty(&mut self, section: &str) -> bool {
        let Some((start, end)) = self.section(section) else {
            return false;
        };
        if self.lines[start + 1..end]
            .iter()
            .any(|l| !matches!(classify(l), Line::Blank))
        {
            return false;
        }
        self.lines.drain(start..end);
        true
    }

    /// Applies one IniFile or RemoveIniFile row's action. Returns whether the file changed.
    pub fn apply(&mut self, action: IniAction, section: &str, key: &str, value: &str) -> bool {
        match action {
            IniAction::AddLine => {
                let before = self.lines.clone();
                self.set(section, key, value);
                self.lines != before
            }
            IniAction::CreateLine => {
                if self.entry(section, key).is_some() {
                    return false;
                }
                self.set(section, key, value);
                true
            }
            IniAction::RemoveLine => self.remove(section, key),
            IniAction::AddTag => match self.get(section, key) {
                None => {
                    self.set(section, key, value);
                    true
                }
                Some(old) if has_tag(&old, value) => false,
                Some(old) if old.trim().is_empty() => {
                    self.set(section, key, value);
                    true
                }
                Some(old) => {
                    self.set(section, key, &format!("{old},{value}"));
                    true
                }
            },
            IniAction::RemoveTag => {
                let Some(old) = self.get(section, key) else {
                    return false;
                };
                if !has_tag(&old, value) {
                    return false;
                }
                let kept: Vec<&str> = old
                    .split(',')
                    .filter(|t| !t.trim().eq_ignore_ascii_case(value.trim()))
                    .collect();
                if kept.iter().all(|t| t.trim().is_empty()) {
                    self.remove(section, key);
                } else {
                    self.set(section, key, &kept.join(","));
                }
                true
            }
        }
    }
}

fn has_tag(list: &str, tag: &str) -> bool {
    list.split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(tag.trim()))
}

/// Field `n` of an INI value, as the IniLocator table's Field column numbers them: the
/// value's comma-separated fields from 1, blanks around them removed; 0 (or a null Field)
/// is the whole value. `None` when the value has fewer fields.
pub fn field(value: &str, n: u32) -> Option<String> {
    if n == 0 {
        return Some(value.to_string());
    }
    let i = usize::try_from(n - 1).ok()?;
    value.split(',').nth(i).map(|f| f.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: &IniFile) -> String {
        String::from_utf8(f.to_bytes()).unwrap()
    }

    #[test]
    fn a_new_file_holds_the_section_and_the_line_with_crlf() {
        let mut f = IniFile::new();
        f.set("Settings", "Path", "C:\\App");
        assert_eq!(text(&f), "[Settings]\r\nPath=C:\\App\r\n");
    }

    #[test]
    fn keys_and_sections_match_without_case_and_keep_their_spelling() {
        let mut f = IniFile::parse(b"[Main]\nColor = red\n");
        f.set("MAIN", "color", "blue");
        assert_eq!(text(&f), "[Main]\r\nColor=blue\r\n");
        assert_eq!(f.get("main", "COLOR").as_deref(), Some("blue"));
    }

    #[test]
    fn a_new_key_goes_after_the_sections_last_entry_and_a_new_section_at_the_end() {
        let mut f = IniFile::parse(b"; header\r\n[a]\r\nx=1\r\n\r\n[b]\r\ny=2\r\n");
        f.set("a", "z", "3");
        f.set("c", "w", "4");
        assert_eq!(
            text(&f),
            "; header\r\n[a]\r\nx=1\r\nz=3\r\n\r\n[b]\r\ny=2\r\n[c]\r\nw=4\r\n"
        );
    }

    #[test]
    fn values_read_without_blanks_and_enclosing_quotes() {
        let f = IniFile::parse(b"[s]\nq=  \"quoted value\"  \nr='x'\nbare\n");
        assert_eq!(f.get("s", "q").as_deref(), Some("quoted value"));
        assert_eq!(f.get("s", "r").as_deref(), Some("x"));
        assert_eq!(f.get("s", "bare").as_deref(), Some(""));
        assert_eq!(f.get("s", "none"), None);
        assert_eq!(f.get("t", "q"), None);
    }

    #[test]
    fn create_line_writes_only_a_missing_entry() {
        let mut f = IniFile::parse(b"[s]\r\nk=old\r\n");
        assert!(!f.apply(IniAction::CreateLine, "s", "k", "new"));
        assert_eq!(f.get("s", "k").as_deref(), Some("old"));
        assert!(f.apply(IniAction::CreateLine, "s", "j", "new"));
        assert_eq!(f.get("s", "j").as_deref(), Some("new"));
    }

    #[test]
    fn tags_are_added_once_and_removed() {
        let mut f = IniFile::new();
        assert!(f.apply(IniAction::AddTag, "s", "list", "a"));
        assert!(f.apply(IniAction::AddTag, "s", "list", "b"));
        assert!(!f.apply(IniAction::AddTag, "s", "list", "A"));
        assert_eq!(f.get("s", "list").as_deref(), Some("a,b"));
        assert!(f.apply(IniAction::RemoveTag, "s", "list", "a"));
        assert_eq!(f.get("s", "list").as_deref(), Some("b"));
        assert!(!f.apply(IniAction::RemoveTag, "s", "list", "zz"));
        assert!(f.apply(IniAction::RemoveTag, "s", "list", "b"));
        assert_eq!(f.get("s", "list"), None);
    }

    #[test]
    fn remove_line_deletes_the_entry_and_an_emptied_section_can_go() {
        let mut f = IniFile::parse(b"[keep]\r\na=1\r\n[s]\r\nk=v\r\n");
        assert!(f.apply(IniAction::RemoveLine, "S", "K", ""));
        assert!(!f.apply(IniAction::RemoveLine, "s", "k", ""));
        assert!(f.remove_section_if_empty("s"));
        assert!(!f.remove_section_if_empty("keep"));
        assert_eq!(text(&f), "[keep]\r\na=1\r\n");
        f.remove("keep", "a");
        f.remove_section_if_empty("keep");
        assert!(f.is_empty());
    }

    #[test]
    fn utf16_files_stay_utf16() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "[s]\r\nk=é\r\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let mut f = IniFile::parse(&bytes);
        assert_eq!(f.get("s", "k").as_deref(), Some("é"));
        f.set("s", "k", "ü");
        let out = f.to_bytes();
        assert_eq!(&out[..2], &[0xFF, 0xFE]);
        assert_eq!(IniFile::parse(&out).get("s", "k").as_deref(), Some("ü"));
    }

    #[test]
    fn fields_count_from_one() {
        assert_eq!(field("a, b ,c", 0).as_deref(), Some("a, b ,c"));
        assert_eq!(field("a, b ,c", 2).as_deref(), Some("b"));
        assert_eq!(field("a, b ,c", 3).as_deref(), Some("c"));
        assert_eq!(field("a, b ,c", 4), None);
    }

    #[test]
    fn action_codes_are_the_tables() {
        for code in 0..5 {
            assert_eq!(IniAction::from_code(code).unwrap().code(), code);
        }
        assert_eq!(IniAction::from_code(5), None);
    }
}
