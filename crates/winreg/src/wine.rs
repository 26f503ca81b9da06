//! A Wine prefix's registry files (`system.reg`, `user.reg`, `userdef.reg`), read into
//! memory, changed through the [`Store`](crate::Store) trait, and written back with every
//! line the changes do not touch kept as it was: one file is a [`WineHive`], the three of a
//! prefix are a [`WinePrefix`] (`prefix`), and one value's text is `text`'s.
//!
//! # The format
//!
//! What `wineserver` writes (its `server/registry.c`, "registry text file format v2"):
//!
//! ```text
//! WINE REGISTRY Version 2
//! ;; All keys relative to REGISTRY\\Machine
//!
//! #arch=win64
//!
//! [Software\\Classes\\.ppk] 1733500000
//! #time=1db4f6c7a3b2c10
//! @="PuTTYPrivateKey"
//! "Content Type"=str(2):"%APPDATA%\\x"
//! "List"=str(7):"a\0b\0"
//! "Count"=dword:0000002a
//! "Blob"=hex:00,01,\
//!   02
//! "Big"=hex(b):08,07,06,05,04,03,02,01
//! ```
//!
//! A key line holds the key's path relative to the hive, its modification time in seconds
//! since 1970, then a `#time=` line with the same time as a FILETIME in hexadecimal (and
//! optionally `#class=` and `#link`). Names and strings are escaped as C does (`\\`, `\"`,
//! `\n`, `\0`, …) with `\xHHHH` for anything outside ASCII (Wine 8 also reads UTF-8); `[` and
//! `]` are escaped in key names. `REG_SZ` is a quoted string, `REG_EXPAND_SZ` and
//! `REG_MULTI_SZ` are `str(2):` and `str(7):` strings (NULs inside as `\0`), a four-byte
//! `REG_DWORD` is `dword:`, everything else `hex:` or `hex(type):` bytes, wrapped with `\`.
//! A key that has subkeys but no values is not written: it exists because its subkeys do.
//!
//! # Editing safely
//!
//! While a `wineserver` runs for the prefix, the registry lives in its memory and is saved
//! over these files: edit them only when no `wineserver` serves the prefix (the caller checks;
//! `wineserver -k` or `-w` ends or awaits it). [`WinePrefix::save`] writes each changed file
//! to a temporary file beside it and renames it into place.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

mod prefix;
mod rendered;
mod source;
mod text;

pub use prefix::WinePrefix;
pub use rendered::RenderedHive;
use source::Source;
pub use text::wine_value_lines;
use text::{escape, parse_value_line, unescape, unescape_all};

use crate::error::{Error, Result};
use crate::path::fold;
use crate::value::Value;

/// The first line of a Wine registry file.
pub const WINE_HEADER: &str = "WINE REGISTRY Version 2";

const RELATIVE: &str = ";; All keys relative to ";

/// Seconds between 1601-01-01 (FILETIME's epoch) and 1970-01-01.
const EPOCH_1601: u64 = 11_644_473_600;

/// One registry file of a Wine prefix.
#[derive(Debug, Clone)]
pub struct WineHive {
    path: PathBuf,
    /// The file's text as read (with a final line end added when it had none): the bodies
    /// of the keys nothing touched are slices of it, parsed only when asked for (a booted
    /// prefix's `system.reg` holds some 12,000 keys, and an install touches a few dozen).
    /// Shared with the [`RenderedHive`]s made from it; the file mapped when it can be
    /// (`source`).
    text: Arc<Source>,
    /// The lines before the first key: the header, `;; All keys relative to`, `#arch=`.
    preamble: Vec<String>,
    /// Whether the text ended with a line end (Wine's files do).
    final_newline: bool,
    /// Every key read or made, never moved: a key's index is its name for `file_order` and
    /// `order` (a key deleted stays here, in neither). Inserting a new key among 12,000 moved
    /// them all, and renumbered the order, for each of an install's new keys.
    sections: Vec<Section>,
    /// The indexes of `sections` in the file's order, as written.
    file_order: Vec<usize>,
    /// Every section's folded path, one after the other (a section holds its range): one
    /// string for all of them rather than one each, as 12,000 small allocations made and
    /// freed were most of the time spent reading a booted prefix.
    folds: String,
    /// The indexes of `sections` in Wine's key order ([`tree_order`] of their folded paths,
    /// then file order), so that a key is found by a binary search and the keys below it
    /// are the range after it. In a file wineserver wrote, the file's own order.
    order: Vec<usize>,
    changed: bool,
}

#[derive(Debug, Clone)]
struct Section {
    /// The key's names, folded and joined by `\`: a range of [`WineHive::folds`].
    fold: Range<usize>,
    /// The key line (`[Software\\Classes] 1733500000`), without its line end.
    header: Header,
    body: Body,
    dirty: bool,
}

/// A key line: as read, or as last written.
#[derive(Debug, Clone)]
enum Header {
    /// This range of the hive's text.
    Raw(Range<usize>),
    Owned(String),
}

/// A key's lines after its header.
#[derive(Debug, Clone)]
enum Body {
    /// Not parsed yet: this range of the hive's text, every line with its line end.
    Raw(std::ops::Range<usize>),
    /// Parsed (and perhaps changed).
    Lines(Vec<Line>),
}

#[derive(Debug, Clone)]
enum Line {
    Other(String),
    Value(ValueLine),
}

#[derive(Debug, Clone)]
struct ValueLine {
    name: String,
    value: Value,
    /// The lines it was read from, written back while the value is unchanged.
    raw: Option<Vec<String>>,
}

impl WineHive {
    /// Reads a registry file.
    pub fn load(path: &Path) -> Result<WineHive> {
        let (text, final_newline) = Source::load(path).map_err(|e| Error::io(path, e))?;
        WineHive::parse_source(path, text, final_newline)
    }

    /// Reads a registry file's text; `path` names it in errors and is where
    /// [`save`](WineHive::save) writes.
    pub fn parse(path: &Path, text: &str) -> Result<WineHive> {
        let (text, final_newline) = Source::owned(text.to_string());
        WineHive::parse_source(path, text, final_newline)
    }

    /// [`WineHive::parse`] of text the hive keeps (ending with a line end, whether or not
    /// the file did: `final_newline`).
    fn parse_source(path: &Path, own: Source, final_newline: bool) -> Result<WineHive> {
        let syntax = |line: usize, reason: &str| Error::WineSyntax {
            path: path.to_path_buf(),
            line,
            reason: reason.to_string(),
        };
        if own.split('\n').next().map(str::trim_end) != Some(WINE_HEADER) {
            return Err(syntax(
                1,
                "not a Wine registry file (no \"WINE REGISTRY Version 2\")",
            ));
        }
        let mut hive = WineHive {
            path: path.to_path_buf(),
            text: Arc::default(),
            preamble: Vec::new(),
            sections: Vec::new(),
            file_order: Vec::new(),
            folds: String::new(),
            order: Vec::new(),
            changed: false,
            final_newline,
        };
        // Lines end at LF only: a CR stays in its line, so that it is written back as it was.
        // A key line is one whose first non-blank character is `[`: the text is searched for
        // those rather than read line by line (a booted prefix's system.reg has 60,000
        // lines, a fifth of them key lines), with `memchr`'s vectorised byte search (`str`'s
        // search for a `char` was a third of the time spent reading a booted prefix).
        let text: &str = &own;
        let bytes = text.as_bytes();
        let mut pos = 0;
        let mut preamble_end = text.len();
        // About one key per 140 bytes in a booted prefix's system.reg.
        hive.sections.reserve(text.len() / 128);
        hive.folds.reserve(text.len() / 2);
        while let Some(found) = memchr::memchr(b'[', &bytes[pos..]) {
            let bracket = pos + found;
            let line_start = if bracket == 0 || bytes[bracket - 1] == b'\n' {
                bracket
            } else {
                memchr::memrchr(b'\n', &bytes[..bracket]).map_or(0, |i| i + 1)
            };
            let line_end =
                memchr::memchr(b'\n', &bytes[bracket..]).map_or(text.len(), |i| bracket + i);
            pos = (line_end + 1).min(text.len());
            if !text[line_start..bracket].trim_start().is_empty() {
                continue;
            }
            let rest = &text[bracket + 1..line_end];
            let from = hive.folds.len();
            if !push_fast_fold(rest, &mut hive.folds) {
                hive.folds.truncate(from);
                let line = text[..line_start].matches('\n').count() + 1;
                let (units, _) =
                    unescape(rest, ']').ok_or_else(|| syntax(line, "malformed key"))?;
                hive.folds
                    .push_str(&fold(&String::from_utf16_lossy(&units)));
            }
            match hive.sections.last_mut() {
                Some(previous) => {
                    previous.body = Body::Raw(previous_body(&previous.body, line_start))
                }
                None => preamble_end = line_start,
            }
            hive.sections.push(Section {
                fold: from..hive.folds.len(),
                header: Header::Raw(line_start..line_end),
                body: Body::Raw(pos..text.len()),
                dirty: false,
            });
        }
        hive.preamble = text[..preamble_end]
            .split_inclusive('\n')
            .map(|l| l.strip_suffix('\n').unwrap_or(l).to_string())
            .collect();
        hive.text = Arc::new(own);
        // Room for the keys an install adds: inserting the first one into a vector of the
        // exact size moved all of it to a new one twice the size.
        let room = hive.sections.len() + hive.sections.len() / 16 + 64;
        hive.file_order = Vec::with_capacity(room);
        hive.file_order.extend(0..hive.sections.len());
        hive.reindex();
        Ok(hive)
    }

    /// The file this hive was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file's `;; All keys relative to` line names (`REGISTRY\Machine`,
    /// `REGISTRY\User\S-1-5-21-…`), unescaped.
    pub fn relative_to(&self) -> Option<String> {
        self.preamble.iter().find_map(|l| {
            let rest = l.strip_prefix(RELATIVE)?;
            Some(String::from_utf16_lossy(&unescape_all(rest)))
        })
    }

    /// Whether anything was changed since the file was read or saved.
    pub fn is_changed(&self) -> bool {
        self.changed
    }

    /// The file's text: unchanged keys and values exactly as read, changed keys with the
    /// current time, changed values in Wine's format.
    pub fn render(&self) -> String {
        self.render_at(now()).to_text()
    }

    fn render_at(&self, secs: u64) -> RenderedHive {
        let mut out = RenderedHive::new(Arc::clone(&self.text));
        {
            let text = out.new_text();
            for l in &self.preamble {
                text.push_str(l);
                text.push('\n');
            }
        }
        // Keys left as read follow one another in the text as they do in the file: each run
        // of them is one piece (a prefix's system.reg is 12,000 keys, an install changes a
        // few dozen).
        for s in self.file_order.iter().map(|&i| &self.sections[i]) {
            if let Some(range) = self.as_read(s) {
                out.push_read(range);
                continue;
            }
            if s.dirty {
                let text = out.new_text();
                text.push_str(&header_line(&self.names(s), secs));
                text.push('\n');
                let mut lines = self.lines_of(s).into_owned();
                update_time_line(&mut lines, secs);
                push_lines(&lines, text);
                continue;
            }
            match &s.header {
                Header::Raw(range) => out.push_read(range.clone()),
                Header::Owned(line) => out.new_text().push_str(line),
            }
            out.new_text().push('\n');
            match &s.body {
                Body::Raw(range) => out.push_read(range.clone()),
                Body::Lines(lines) => push_lines(lines, out.new_text()),
            }
        }
        if !self.final_newline {
            out.pop_byte();
        }
        out
    }

    /// Where a key left as read is in the text, its key line and its lines: `None` for a
    /// key changed, or parsed since, or whose key line is not followed by its lines.
    fn as_read(&self, s: &Section) -> Option<Range<usize>> {
        match (&s.header, &s.body, s.dirty) {
            (Header::Raw(header), Body::Raw(body), false)
                if header.end + 1 == body.start
                    && self.text.as_bytes().get(header.end) == Some(&b'\n') =>
            {
                Some(header.start..body.end)
            }
            _ => None,
        }
    }

    /// Writes the file (to a temporary file beside it, renamed into place, with the old
    /// file's permissions) when something changed.
    pub fn save(&mut self) -> Result<()> {
        if let Some(text) = self.commit_text() {
            write_atomic(&self.path, &text)?;
        }
        Ok(())
    }

    /// For a caller that writes the file itself (through its own journal, say): the text to
    /// write when something changed, after which the hive counts as saved — what is
    /// returned is what the next edit starts from. `None` when nothing changed.
    pub fn commit_text(&mut self) -> Option<RenderedHive> {
        if !self.changed {
            return None;
        }
        let secs = now();
        let text = self.render_at(secs);
        self.changed = false;
        // What was written is now what was read.
        for at in 0..self.file_order.len() {
            let i = self.file_order[at];
            if !self.sections[i].dirty {
                continue;
            }
            let lines = self.lines_mut(i);
            update_time_line(lines, secs);
            for line in lines.iter_mut() {
                if let Line::Value(v) = line
                    && v.raw.is_none()
                {
                    v.raw = Some(wine_value_lines(&v.name, &v.value));
                }
            }
            let header = header_line(&self.names(&self.sections[i]), secs);
            let s = &mut self.sections[i];
            s.header = Header::Owned(header);
            s.dirty = false;
        }
        Some(text)
    }

    /// A key's lines, parsed from the text when they were not yet.
    fn lines_of<'a>(&'a self, s: &'a Section) -> std::borrow::Cow<'a, [Line]> {
        match &s.body {
            Body::Raw(range) => parse_body(&self.text[range.clone()]).into(),
            Body::Lines(lines) => lines.as_slice().into(),
        }
    }

    /// A key's lines to change, parsed first when they were not yet.
    fn lines_mut(&mut self, i: usize) -> &mut Vec<Line> {
        let section = &mut self.sections[i];
        if let Body::Raw(range) = &section.body {
            section.body = Body::Lines(parse_body(&self.text[range.clone()]));
        }
        match &mut section.body {
            Body::Lines(lines) => lines,
            Body::Raw(_) => unreachable!("parsed just above"),
        }
    }

    /// A section's folded path.
    fn fold_of(&self, s: &Section) -> &str {
        &self.folds[s.fold.clone()]
    }

    /// A section's key line.
    fn header<'a>(&'a self, s: &'a Section) -> &'a str {
        match &s.header {
            Header::Raw(range) => &self.text[range.clone()],
            Header::Owned(line) => line,
        }
    }

    /// A section's names, as its key line spells them (read again from it: only a few
    /// keys' names are ever asked for).
    fn names(&self, s: &Section) -> Vec<String> {
        let header = self.header(s).trim_start();
        let name = header
            .strip_prefix('[')
            .and_then(|rest| unescape(rest, ']'))
            .map(|(units, _)| String::from_utf16_lossy(&units))
            .unwrap_or_default();
        if name.is_empty() {
            Vec::new()
        } else {
            name.split('\\').map(str::to_string).collect()
        }
    }

    /// Sorts `order` again (in a file wineserver wrote, one pass finds it sorted already).
    fn reindex(&mut self) {
        let mut order = Vec::with_capacity(self.file_order.capacity());
        order.extend_from_slice(&self.file_order);
        order.sort_by(|&a, &b| {
            tree_order(
                self.fold_of(&self.sections[a]),
                self.fold_of(&self.sections[b]),
            )
        });
        self.order = order;
    }

    /// The first position in `order` whose key does not come before `fold`
    /// (`or_equal`: whose key comes after it).
    fn order_point(&self, fold: &str, or_equal: bool) -> usize {
        self.order.partition_point(|&i| {
            let o = tree_order(self.fold_of(&self.sections[i]), fold);
            o.is_lt() || (or_equal && o.is_eq())
        })
    }

    fn section(&self, names: &[String]) -> Option<usize> {
        let fold = fold_path(names);
        // The last of equal keys, as wineserver keeps the last one it reads.
        let at = self.order_point(&fold, true).checked_sub(1)?;
        let i = self.order[at];
        (self.fold_of(&self.sections[i]) == fold).then_some(i)
    }

    /// The sections strictly below `names`, in Wine's key order: in it, the paths that
    /// begin with `NAMES\` come together, right after `NAMES` itself.
    fn below(&self, names: &[String]) -> impl Iterator<Item = usize> + '_ {
        let prefix = if names.is_empty() {
            String::new()
        } else {
            format!("{}\\", fold_path(names))
        };
        let from = self.order_point(&prefix, false);
        self.order[from..]
            .iter()
            .copied()
            .take_while(move |&i| self.fold_of(&self.sections[i]).starts_with(&prefix))
            .filter(|&i| !self.sections[i].fold.is_empty())
    }

    fn key(&self, names: &[String]) -> Option<Vec<String>> {
        if names.is_empty() {
            return Some(Vec::new());
        }
        if let Some(i) = self.section(names) {
            return Some(self.names(&self.sections[i]));
        }
        let i = self.below(names).next()?;
        let mut stored = self.names(&self.sections[i]);
        stored.truncate(names.len());
        Some(stored)
    }

    /// The names as stored for the existing part of `names`, the rest as given.
    fn stored_case(&self, names: &[String]) -> Vec<String> {
        for n in (1..=names.len()).rev() {
            if let Some(stored) = self.key(&names[..n]) {
                let mut out = stored;
                out.extend_from_slice(&names[n..]);
                return out;
            }
        }
        names.to_vec()
    }

    /// Makes `names` an explicit section and returns its index.
    fn ensure_section(&mut self, names: &[String]) -> usize {
        if let Some(i) = self.section(names) {
            return i;
        }
        let names = self.stored_case(names);
        let new_fold = fold_path(&names);
        // The first section after it in the files' order (wineserver writes its keys sorted;
        // in a file that is not, the key still lands somewhere valid).
        let at = self
            .file_order
            .partition_point(|&i| tree_order(self.fold_of(&self.sections[i]), &new_fold).is_le());
        // Wine separates keys with a blank line.
        if at > 0 {
            let prev = self.lines_mut(self.file_order[at - 1]);
            if !matches!(prev.last(), Some(Line::Other(l)) if l.is_empty()) {
                prev.push(Line::Other(String::new()));
            }
        } else if !self.preamble.last().is_some_and(|l| l.is_empty()) {
            self.preamble.push(String::new());
        }
        let from = self.folds.len();
        self.folds.push_str(&new_fold);
        let new = self.sections.len();
        self.sections.push(Section {
            // Written again with the time when the file is.
            header: Header::Owned(header_line(&names, 0)),
            fold: from..self.folds.len(),
            body: Body::Lines(vec![Line::Other(String::new())]),
            dirty: true,
        });
        self.file_order.insert(at, new);
        // Placed by a binary search (sorting the order again for each new key would cost a
        // comparison of every key's path).
        let position = self.order_point(&new_fold, true);
        self.order.insert(position, new);
        self.changed = true;
        new
    }

    fn touch(&mut self, i: usize) {
        self.sections[i].dirty = true;
        self.changed = true;
    }

    fn create_key(&mut self, names: &[String]) {
        if self.key(names).is_none() {
            self.ensure_section(names);
        }
    }

    fn delete_key(&mut self, names: &[String], recursive: bool) -> Result<bool> {
        if self.key(names).is_none() {
            return Ok(false);
        }
        let mut doomed: Vec<usize> = self.below(names).collect();
        if !doomed.is_empty() && !recursive {
            return Err(Error::HasSubkeys(names.join("\\")));
        }
        doomed.extend(self.section(names));
        doomed.sort_unstable();
        doomed.dedup();
        // The sections stay where they are, in neither order.
        self.file_order.retain(|i| doomed.binary_search(i).is_err());
        self.order.retain(|i| doomed.binary_search(i).is_err());
        self.changed = true;
        // The parent existed and still does: without a section of its own and without other
        // subkeys it would vanish from the file, so it gets one, as wineserver would save it.
        if let Some((_, parent)) = names.split_last()
            && !parent.is_empty()
            && self.key(parent).is_none()
        {
            self.ensure_section(parent);
        }
        Ok(true)
    }

    fn subkeys(&self, names: &[String]) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<String> = Vec::new();
        for i in self.below(names) {
            let Some(n) = self.names(&self.sections[i]).into_iter().nth(names.len()) else {
                continue;
            };
            if seen.insert(fold(&n)) {
                out.push(n);
            }
        }
        out.sort_by_key(|n| fold(n));
        out
    }

    fn value(&self, names: &[String], name: &str) -> Option<(String, Value)> {
        let s = &self.sections[self.section(names)?];
        let f = fold(name);
        match &s.body {
            Body::Raw(range) => find_raw_value(&self.text[range.clone()], &f),
            Body::Lines(lines) => lines.iter().find_map(|l| match l {
                Line::Value(v) if fold(&v.name) == f => Some((v.name.clone(), v.value.clone())),
                _ => None,
            }),
        }
    }

    fn set_value(&mut self, names: &[String], name: &str, value: &Value) {
        let i = self.ensure_section(names);
        let f = fold(name);
        let lines = self.lines_mut(i);
        if let Some(Line::Value(v)) = lines
            .iter_mut()
            .find(|l| matches!(l, Line::Value(v) if fold(&v.name) == f))
        {
            if v.value == *value {
                return;
            }
            v.value = value.clone();
            v.raw = None;
        } else {
            // wineserver keeps a key's values sorted by name.
            let new = Line::Value(ValueLine {
                name: name.to_string(),
                value: value.clone(),
                raw: None,
            });
            let after = lines
                .iter()
                .rposition(|l| matches!(l, Line::Value(v) if fold(&v.name) < f))
                .or_else(|| {
                    lines
                        .iter()
                        .rposition(|l| matches!(l, Line::Other(o) if o.starts_with('#')))
                });
            let first_value = lines.iter().position(|l| matches!(l, Line::Value(_)));
            let at = match (after, first_value) {
                (Some(a), _) => a + 1,
                (None, Some(v)) => v,
                (None, None) => 0,
            };
            lines.insert(at, new);
        }
        self.touch(i);
    }

    fn delete_value(&mut self, names: &[String], name: &str) -> bool {
        let Some(i) = self.section(names) else {
            return false;
        };
        let f = fold(name);
        let lines = self.lines_mut(i);
        let before = lines.len();
        lines.retain(|l| !matches!(l, Line::Value(v) if fold(&v.name) == f));
        let removed = lines.len() != before;
        if removed {
            self.touch(i);
        }
        removed
    }

    fn values(&self, names: &[String]) -> Vec<(String, Value)> {
        let Some(i) = self.section(names) else {
            return Vec::new();
        };
        self.lines_of(&self.sections[i])
            .iter()
            .filter_map(|l| match l {
                Line::Value(v) => Some((v.name.clone(), v.value.clone())),
                Line::Other(_) => None,
            })
            .collect()
    }
}

/// The lines of one key's body (`text`: each line with its line end). A value line and
/// the lines it continues on (after a trailing `\\`) are one value; what cannot be read is
/// kept as it is, as Wine skips it.
fn parse_body(text: &str) -> Vec<Line> {
    let lines = body_lines(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.starts_with('"') || trimmed.starts_with('@') {
            let start = i;
            let joined;
            (joined, i) = joined_value(&lines, i);
            let raw: Vec<String> = lines[start..=i].iter().map(|l| l.to_string()).collect();
            match parse_value_line(&joined) {
                Some((name, value)) => out.push(Line::Value(ValueLine {
                    name,
                    value,
                    raw: Some(raw),
                })),
                None => out.extend(raw.into_iter().map(Line::Other)),
            }
        } else {
            out.push(Line::Other(line.to_string()));
        }
        i += 1;
    }
    out
}

/// A key's body (`text`: each line with its line end) as lines without their ends.
fn body_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n')
        .map(|l| l.strip_suffix('\n').unwrap_or(l))
        .collect()
}

/// The value line `lines[i]` with the lines it continues on (a hex value continues on the
/// next line after a trailing backslash) joined, and the index of its last line.
fn joined_value(lines: &[&str], mut i: usize) -> (String, usize) {
    let mut joined = lines[i].trim_start().to_string();
    while joined.trim_end().ends_with('\\') && i + 1 < lines.len() {
        let keep = joined.trim_end().len() - 1;
        joined.truncate(keep);
        joined.push_str(lines[i + 1].trim_start());
        i += 1;
    }
    (joined, i)
}

/// The value named (folded) `folded` in a key's unparsed body, as [`parse_body`] would
/// find it first: only the names of the other values are read (a lookup parsed every
/// value of the key, and reading a prefix's 25 standard folders is 50 lookups in a key of
/// 30 values).
fn find_raw_value(text: &str, folded: &str) -> Option<(String, Value)> {
    let lines = body_lines(text);
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        if !(trimmed.starts_with('"') || trimmed.starts_with('@')) {
            i += 1;
            continue;
        }
        let (joined, last) = joined_value(&lines, i);
        let name = match trimmed.strip_prefix('"') {
            Some(rest) => unescape(rest, '"').map(|(units, _)| String::from_utf16_lossy(&units)),
            None => Some(String::new()),
        };
        if name.is_some_and(|n| fold(&n) == folded)
            && let Some(found) = parse_value_line(&joined)
        {
            return Some(found);
        }
        i = last + 1;
    }
    None
}

/// Appends the folded path of a key line's name (`rest`: what follows its `[`) to `out`,
/// for the common name: ASCII, with no escape but the separators' `\\`. Returns false,
/// with nothing appended, for any other (read by `unescape` then).
fn push_fast_fold(rest: &str, out: &mut String) -> bool {
    let Some(end) = memchr::memchr(b']', rest.as_bytes()) else {
        return false;
    };
    let mut name = &rest[..end];
    if !name.is_ascii() {
        return false;
    }
    let from = out.len();
    while let Some(slash) = memchr::memchr(b'\\', name.as_bytes()) {
        if name.as_bytes().get(slash + 1) != Some(&b'\\') {
            out.truncate(from);
            return false;
        }
        out.push_str(&name[..=slash]);
        name = &name[slash + 2..];
    }
    out.push_str(name);
    out[from..].make_ascii_uppercase();
    true
}

/// The body range a section keeps when the next key line starts at `next`.
fn previous_body(body: &Body, next: usize) -> Range<usize> {
    match body {
        Body::Raw(range) => range.start.min(next)..next,
        Body::Lines(_) => next..next,
    }
}

fn fold_path(names: &[String]) -> String {
    fold(&names.join("\\"))
}

/// Wine's order of keys: depth first, siblings by upper-cased name (a folded path whose
/// separators sort before every character).
fn tree_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |c: u8| if c == b'\\' { 0 } else { c };
    // Paths side by side share long prefixes: skip the common part, then compare the first
    // differing bytes (or the lengths).
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let common = common_prefix(a, b);
    match (a.get(common), b.get(common)) {
        (Some(&x), Some(&y)) => key(x).cmp(&key(y)),
        _ => a.len().cmp(&b.len()),
    }
}

/// How many bytes `a` and `b` share at their start, compared eight at a time (a booted
/// prefix's keys are sorted once when it is read, 12,000 paths of some 60 bytes that
/// mostly share all but their last name).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let mut i = 0;
    while let (Some(x), Some(y)) = (a[i..].first_chunk::<8>(), b[i..].first_chunk::<8>()) {
        let diff = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
        if diff != 0 {
            // The lowest differing byte, in little-endian order, is the first one.
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[i..]
        .iter()
        .zip(&b[i..])
        .take_while(|(x, y)| x == y)
        .count()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn header_line(names: &[String], secs: u64) -> String {
    let path: Vec<String> = names.iter().map(|n| escape(n, "[]")).collect();
    format!("[{}] {secs}", path.join("\\\\"))
}

fn time_line(secs: u64) -> String {
    let filetime = (secs + EPOCH_1601) * 10_000_000;
    format!("#time={filetime:x}")
}

fn update_time_line(lines: &mut Vec<Line>, secs: u64) {
    let line = time_line(secs);
    match lines
        .iter_mut()
        .find(|l| matches!(l, Line::Other(o) if o.starts_with("#time=")))
    {
        Some(l) => *l = Line::Other(line),
        None => lines.insert(0, Line::Other(line)),
    }
}

fn push_lines(lines: &[Line], out: &mut String) {
    for line in lines {
        match line {
            Line::Other(l) => {
                out.push_str(l);
                out.push('\n');
            }
            Line::Value(v) => push_value(v, out),
        }
    }
}

fn push_value(v: &ValueLine, out: &mut String) {
    let lines = match &v.raw {
        Some(raw) => raw.clone(),
        None => wine_value_lines(&v.name, &v.value),
    };
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
}

fn write_atomic(path: &Path, text: &RenderedHive) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "registry".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.rmsi-tmp"));
    let permissions = fs_err::metadata(path).ok().map(|m| m.permissions());
    let result = (|| {
        let mut file = fs_err::File::create(&temp)?;
        text.write_to(&mut file)?;
        drop(file);
        if let Some(p) = permissions {
            fs_err::set_permissions(&temp, p)?;
        }
        fs_err::rename(&temp, path)
    })();
    if let Err(e) = result {
        let _ = fs_err::remove_file(&temp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    const SAMPLE: &str = r#"WINE REGISTRY Version 2
;; All keys relative to REGISTRY\\User\\S-1-5-21-0-0-0-1000

#arch=win64

[Software\\T\xe9st] 1796575477
#time=1dd85a11475df36
@=str(2):"%PATH%;x"
"bin"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,\
  17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,26,27
"dw"=dword:0000002a
"multi"=str(7):"a\0b c\0"
"nl"="a\nb"
"q"=hex(b):08,07,06,05,04,03,02,01

[Software\\T\xe9st\\Sub\[1\]] 1796575476
#time=1dd85a1140c7884
"na\"me\\x"="va\\lue \"q\" \xe4\x20ac"
"#;

    fn p(s: &str) -> Vec<String> {
        s.split('\\').map(String::from).collect()
    }

    #[test]
    fn reads_what_wine_8_wrote() {
        let hive = WineHive::parse(Path::new("user.reg"), SAMPLE).unwrap();
        assert_eq!(
            hive.relative_to().unwrap(),
            "REGISTRY\\User\\S-1-5-21-0-0-0-1000"
        );
        let k = p("Software\\Tést");
        assert_eq!(
            hive.value(&k, "").unwrap().1,
            Value::ExpandSz("%PATH%;x".into())
        );
        assert_eq!(
            hive.value(&k, "BIN").unwrap().1,
            Value::Binary((0..40).collect())
        );
        assert_eq!(hive.value(&k, "dw").unwrap().1, Value::Dword(42));
        assert_eq!(
            hive.value(&k, "multi").unwrap().1,
            Value::MultiSz(vec!["a".into(), "b c".into()])
        );
        assert_eq!(hive.value(&k, "nl").unwrap().1, Value::Sz("a\nb".into()));
        assert_eq!(
            hive.value(&k, "q").unwrap().1,
            Value::Qword(0x0102030405060708)
        );
        let sub = p("software\\TÉST\\sub[1]");
        assert_eq!(
            hive.value(&sub, "na\"me\\x").unwrap().1,
            Value::Sz("va\\lue \"q\" ä€".into())
        );
        assert_eq!(hive.subkeys(&p("Software")), ["Tést"]);
        assert_eq!(hive.key(&p("SOFTWARE")).unwrap(), ["Software"]);
        // Unchanged, it renders byte for byte.
        assert_eq!(hive.render(), SAMPLE);
    }

    #[test]
    fn writes_values_as_wine_does() {
        let hive = WineHive::parse(Path::new("user.reg"), SAMPLE).unwrap();
        // Every value of the sample renders back to its own lines.
        for s in &hive.sections {
            for l in hive.lines_of(s).iter() {
                if let Line::Value(v) = l {
                    assert_eq!(
                        wine_value_lines(&v.name, &v.value),
                        *v.raw.as_ref().unwrap(),
                        "{}",
                        v.name
                    );
                }
            }
        }
        assert_eq!(
            wine_value_lines("", &Value::Sz("x\u{1}1\u{1}".into())),
            ["@=\"x\\0011\\1\""]
        );
    }

    #[test]
    fn edits_keep_the_rest() {
        let mut hive = WineHive::parse(Path::new("user.reg"), SAMPLE).unwrap();
        hive.set_value(&p("Software\\TÉST"), "dw", &Value::Dword(7));
        hive.set_value(&p("Software\\TÉST"), "c", &Value::Sz("new".into()));
        hive.set_value(&p("Software\\Zed\\Deep"), "", &Value::Dword(1));
        let text = hive.render();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.contains(&"\"dw\"=dword:00000007"));
        // Sorted among the others, after "bin".
        let c = lines.iter().position(|l| *l == "\"c\"=\"new\"").unwrap();
        let bin = lines.iter().position(|l| l.starts_with("\"bin\"")).unwrap();
        let dw = lines.iter().position(|l| l.starts_with("\"dw\"")).unwrap();
        assert!(bin < c && c < dw);
        // The untouched key is as it was, the new key comes last (after "Tést").
        assert!(
            text.contains(
                "[Software\\\\T\\xe9st\\\\Sub\\[1\\]] 1796575476\n#time=1dd85a1140c7884\n"
            )
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("[Software\\\\Zed\\\\Deep] "))
        );
        let reread = WineHive::parse(Path::new("user.reg"), &text).unwrap();
        assert_eq!(
            reread.value(&p("Software\\Zed\\Deep"), "").unwrap().1,
            Value::Dword(1)
        );
        assert_eq!(
            reread.value(&p("Software\\Tést"), "c").unwrap().1,
            Value::Sz("new".into())
        );
    }

    proptest::proptest! {
        /// The index kept up to date key by key (not rebuilt) finds every key after any
        /// sequence of creations and deletions, as a rebuilt index would.
        #[test]
        fn the_index_follows_creations_and_deletions(
            ops in proptest::collection::vec(("[a-c]{1,2}(\\\\[a-c]{1,2}){0,2}", proptest::bool::ANY), 1..30),
        ) {
            let mut hive = WineHive::parse(Path::new("x.reg"), SAMPLE).unwrap();
            for (key, create) in &ops {
                let names = p(&format!("Software\\{key}"));
                if *create {
                    hive.set_value(&names, "v", &Value::Dword(1));
                } else {
                    let _ = hive.delete_key(&names, true);
                }
                let mut rebuilt = hive.clone();
                rebuilt.reindex();
                proptest::prop_assert_eq!(&hive.order, &rebuilt.order);
                for &i in &hive.file_order {
                    let s = &hive.sections[i];
                    proptest::prop_assert_eq!(hive.section(&hive.names(s)), Some(i));
                }
            }
        }

        /// Whatever parses renders back unchanged, byte for byte.
        #[test]
        fn unchanged_text_renders_identically(
            body in proptest::collection::vec("[\\[\\]\"@#;=,:\\\\a-z0-9() \\r\\t]{0,30}", 0..20),
            end in proptest::bool::ANY,
        ) {
            let mut text = format!("{WINE_HEADER}\n{}", body.join("\n"));
            if end {
                text.push('\n');
            }
            if let Ok(hive) = WineHive::parse(Path::new("x.reg"), &text) {
                proptest::prop_assert_eq!(hive.render(), text);
            }
        }

        /// The common start found eight bytes at a time is the one found byte by byte.
        #[test]
        fn common_prefix_is_the_bytewise_one(
            a in proptest::collection::vec(0u8..4, 0..40),
            b in proptest::collection::vec(0u8..4, 0..40),
            shared in proptest::collection::vec(0u8..4, 0..30),
        ) {
            let a: Vec<u8> = shared.iter().chain(&a).copied().collect();
            let b: Vec<u8> = shared.iter().chain(&b).copied().collect();
            let bytewise = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            proptest::prop_assert_eq!(common_prefix(&a, &b), bytewise);
        }

        /// A value looked up in a key's unparsed lines is the one its parsed lines give
        /// first, whatever the lines hold (malformed values, duplicates, continuations).
        #[test]
        fn a_raw_lookup_finds_what_the_parsed_lines_find(
            body in proptest::collection::vec(
                "(\"[aA\\\\\"]{0,2}\"|@|#t| )( ?= ?)(dword:[0-9a-f]{1,8}|\"[ab\\\\]{0,3}\"|hex:0[0-9],\\\\|str\\(2\\):\"a\"|x)?",
                0..12,
            ),
            name in "[aA]{0,2}",
        ) {
            let text = format!("{WINE_HEADER}\n[K] 1\n{}\n", body.join("\n"));
            let hive = WineHive::parse(Path::new("x.reg"), &text).unwrap();
            let k = p("K");
            let raw = hive.value(&k, &name);
            let mut parsed = hive.clone();
            parsed.lines_mut(0);
            proptest::prop_assert!(matches!(parsed.sections[0].body, Body::Lines(_)));
            proptest::prop_assert_eq!(raw, parsed.value(&k, &name));
        }

        /// Any name and string survives Wine's escaping.
        #[test]
        fn values_round_trip_through_the_text(
            key in "[^\\\\]{1,12}",
            name in ".{0,12}",
            data in ".{0,24}",
            dword in proptest::num::u32::ANY,
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..90),
        ) {
            let mut hive = WineHive::parse(Path::new("x.reg"), SAMPLE).unwrap();
            let k = vec!["Software".to_string(), key];
            let values = [
                Value::Sz(data.clone()),
                Value::ExpandSz(data.clone()),
                Value::Dword(dword),
                Value::Binary(bytes.clone()),
                Value::Other { kind: 0x99, data: bytes.clone() },
            ];
            for (i, v) in values.iter().enumerate() {
                hive.set_value(&k, &format!("{name}{i}"), v);
            }
            let text = hive.render();
            let back = WineHive::parse(Path::new("x.reg"), &text).unwrap();
            for (i, v) in values.iter().enumerate() {
                let got = back.value(&k, &format!("{name}{i}")).map(|(_, v)| v);
                proptest::prop_assert_eq!(got.as_ref(), Some(v));
            }
            proptest::prop_assert_eq!(back.render().lines().count(), text.lines().count());
        }
    }

    #[test]
    fn commit_files_hands_over_the_changed_texts() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("system.reg"),
            "WINE REGISTRY Version 2\n;; All keys relative to REGISTRY\\\\Machine\n",
        )
        .unwrap();
        fs_err::write(dir.path().join("user.reg"), SAMPLE).unwrap();
        let mut prefix = WinePrefix::open(dir.path()).unwrap();
        assert_eq!(prefix.user_sid(), "S-1-5-21-0-0-0-1000");
        assert!(prefix.commit_files().is_empty());
        let path = p("HKEY_LOCAL_MACHINE\\Software\\X");
        prefix.set_value(&path, "v", &Value::Dword(1)).unwrap();
        assert!(prefix.is_changed());
        let files = prefix.commit_files();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, dir.path().join("system.reg"));
        let text = files[0].1.to_text();
        assert!(text.contains("\n[Software\\\\X] "));
        assert!(text.contains("\n\"v\"=dword:00000001\n"));
        assert!(!prefix.is_changed());
        // Nothing was written: the caller writes.
        assert!(
            !fs_err::read_to_string(dir.path().join("system.reg"))
                .unwrap()
                .contains("X")
        );
    }

    #[test]
    fn a_folder_without_registry_files_is_no_prefix() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            WinePrefix::open(dir.path()),
            Err(Error::NotWinePrefix(_))
        ));
        fs_err::write(dir.path().join("system.reg"), "not a registry\n").unwrap();
        fs_err::write(dir.path().join("user.reg"), SAMPLE).unwrap();
        assert!(matches!(
            WinePrefix::open(dir.path()),
            Err(Error::WineSyntax { line: 1, .. })
        ));
    }

    #[test]
    fn a_deleted_subkey_leaves_its_parent() {
        let mut hive = WineHive::parse(Path::new("user.reg"), SAMPLE).unwrap();
        assert!(hive.delete_key(&p("Software\\Tést"), false).is_err());
        assert!(hive.delete_key(&p("Software\\Tést"), true).unwrap());
        // Software had only that subkey: it still exists, as a key of its own.
        assert_eq!(hive.key(&p("Software")).unwrap(), ["Software"]);
        assert!(hive.render().contains("\n[Software] "));
    }
}
