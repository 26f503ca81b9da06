//! The Directory table and its `DefaultDir` and `Filename` column syntaxes.

use super::{Table, read_all};
use crate::error::{Error, Result};

/// A Directory row.
///
/// Invariant: `directory` is non-empty; `parent` is `None` for a root (a
/// null parent or a parent equal to the row's own key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryRow {
    /// The key, also the property that receives or overrides the path.
    pub directory: String,
    /// The parent's key, `None` for a root.
    pub parent: Option<String>,
    /// The parsed `DefaultDir`.
    pub default_dir: DefaultDir,
    /// The raw `DefaultDir` text.
    pub default_dir_text: String,
}

/// A `short|long` file name pair (Filename data type). Without `|` both
/// are the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePair {
    /// The 8.3 short name.
    pub short: String,
    /// The long name.
    pub long: String,
}

impl NamePair {
    /// Parses `short|long` or a single name.
    pub fn parse(text: &str) -> NamePair {
        match text.split_once('|') {
            Some((short, long)) if !long.is_empty() => NamePair {
                short: short.to_string(),
                long: long.to_string(),
            },
            Some((short, _)) => NamePair {
                short: short.to_string(),
                long: short.to_string(),
            },
            None => NamePair {
                short: text.to_string(),
                long: text.to_string(),
            },
        }
    }

    /// The short or the long name.
    pub fn pick(&self, short: bool) -> &str {
        if short { &self.short } else { &self.long }
    }

    /// Whether the name is `.`: no subfolder, the parent's path.
    pub fn is_dot(&self, short: bool) -> bool {
        self.pick(short) == "."
    }
}

/// A parsed `DefaultDir` (Directory table): `target[:source]`, each part a
/// [`NamePair`]; without `:source` the source name is the target name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultDir {
    /// The target part.
    pub target: NamePair,
    /// The source part.
    pub source: NamePair,
}

impl DefaultDir {
    /// Parses a `DefaultDir` value.
    pub fn parse(text: &str) -> DefaultDir {
        match text.split_once(':') {
            Some((target, source)) => DefaultDir {
                target: NamePair::parse(target),
                source: NamePair::parse(source),
            },
            None => {
                let pair = NamePair::parse(text);
                DefaultDir {
                    target: pair.clone(),
                    source: pair,
                }
            }
        }
    }
}

/// Reads the Directory table.
pub fn read(table: Option<&Table>) -> Result<Vec<DirectoryRow>> {
    read_all(table, |row| {
        let directory = row.str("Directory")?;
        let parent = row.opt_str("Directory_Parent").filter(|p| *p != directory);
        let default_dir_text = row.opt_str("DefaultDir").unwrap_or_default();
        Ok(DirectoryRow {
            default_dir: DefaultDir::parse(&default_dir_text),
            default_dir_text,
            directory,
            parent,
        })
    })
    .and_then(|rows| {
        if let Some(row) = rows.iter().find(|r| r.directory.is_empty()) {
            return Err(Error::bad_row("Directory", &row.directory, "empty key"));
        }
        Ok(rows)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_dir_forms() {
        let d = DefaultDir::parse("PROGRA~1|Program Files:src");
        assert_eq!(d.target.short, "PROGRA~1");
        assert_eq!(d.target.long, "Program Files");
        assert_eq!(d.source.long, "src");
        let d = DefaultDir::parse(".:x86");
        assert!(d.target.is_dot(false));
        assert_eq!(d.source.long, "x86");
        let d = DefaultDir::parse("App");
        assert_eq!(d.source.long, "App");
        assert_eq!(d.target.short, "App");
    }
}
