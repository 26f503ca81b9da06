//! What a rule reports: a [`Finding`] with its rule, [`Severity`], the table,
//! row and column it concerns, and the message.

use std::fmt;

use serde::Serialize;

/// How serious a finding is, as the ICE message types: Microsoft's
/// validation tools print ICE errors, warnings and informational messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Authoring that makes the installation behave wrongly.
    Error,
    /// Authoring that behaves wrongly in some cases.
    Warning,
    /// Information only.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule: `ICE03`, `RMSI01`, …
    pub rule: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// The table concerned, if any.
    pub table: Option<String>,
    /// The primary key of the row concerned (one string per key column), if any.
    pub row: Option<Vec<String>>,
    /// The column concerned, if any.
    pub column: Option<String>,
    /// Microsoft's message text, with the names filled in.
    pub message: String,
}

impl Finding {
    /// A finding about the package as a whole.
    pub(crate) fn new(rule: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity,
            table: None,
            row: None,
            column: None,
            message: message.into(),
        }
    }

    /// Names the table.
    pub(crate) fn table(mut self, table: &str) -> Self {
        self.table = Some(table.to_string());
        self
    }

    /// Names the table and the row's key.
    pub(crate) fn row(mut self, table: &str, key: Vec<String>) -> Self {
        self.table = Some(table.to_string());
        self.row = Some(key);
        self
    }

    /// Names the column.
    pub(crate) fn column(mut self, column: &str) -> Self {
        self.column = Some(column.to_string());
        self
    }

    /// Where the finding is, as the text output shows it: `File.Row 'x.dll'`,
    /// `File.Row 'a', 'b'` for a key of two columns, `File` for a table, `-`
    /// for the package.
    pub fn location(&self) -> String {
        match (&self.table, &self.row) {
            (Some(t), Some(key)) => {
                let parts: Vec<String> = key.iter().map(|k| format!("'{k}'")).collect();
                format!("{t}.Row {}", parts.join(", "))
            }
            (Some(t), None) => t.clone(),
            (None, _) => "-".to_string(),
        }
    }
}

impl fmt::Display for Finding {
    /// `ICE30 error File.Row 'x.dll': message` (a message of several lines is
    /// joined with spaces: one finding, one line).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message.replace(['\r', '\n'], " ");
        write!(
            f,
            "{} {} {}: {}",
            self.rule,
            self.severity,
            self.location(),
            message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_line() {
        let f = Finding::new("ICE30", Severity::Error, "m")
            .row("File", vec!["x.dll".into()])
            .column("FileName");
        assert_eq!(f.to_string(), "ICE30 error File.Row 'x.dll': m");
        let g = Finding::new("ICE80", Severity::Warning, "a\nb");
        assert_eq!(g.to_string(), "ICE80 warning -: a b");
    }
}
