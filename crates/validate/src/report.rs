//! Running the rules: [`Options`] (which rules), [`validate`], and the
//! [`Report`] with its JSON and SARIF forms.

use serde_json::{Value as Json, json};

use crate::context::Ctx;
use crate::db::Package;
use crate::finding::{Finding, Severity};
use crate::rules::{RULES, Rule, rule};

/// Which rules to run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only these rules (all when empty).
    pub only: Vec<&'static Rule>,
    /// Not these.
    pub skip: Vec<&'static Rule>,
}

/// A rule name that names no rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule {0:?}")]
pub struct UnknownRule(pub String);

impl Options {
    /// Options from comma-separated lists of rule names (`ICE03,ICE30`).
    pub fn from_lists(only: Option<&str>, skip: Option<&str>) -> Result<Options, UnknownRule> {
        let parse = |list: Option<&str>| -> Result<Vec<&'static Rule>, UnknownRule> {
            list.map(|l| {
                l.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|id| rule(id).ok_or_else(|| UnknownRule(id.to_string())))
                    .collect()
            })
            .unwrap_or(Ok(Vec::new()))
        };
        Ok(Options {
            only: parse(only)?,
            skip: parse(skip)?,
        })
    }

    fn runs(&self, rule: &Rule) -> bool {
        (self.only.is_empty() || self.only.iter().any(|r| r.id == rule.id))
            && !self.skip.iter().any(|r| r.id == rule.id)
    }
}

/// The findings of one validation, in rule order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every finding.
    pub findings: Vec<Finding>,
}

impl Report {
    /// How many findings are errors.
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    /// How many findings are warnings.
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// The `--json` form: `{"package", "findings": [{"rule", "severity",
    /// "table", "row", "column", "message"}], "errors", "warnings"}`.
    pub fn to_json(&self, package: &str) -> Json {
        json!({
            "package": package,
            "findings": self.findings,
            "errors": self.errors(),
            "warnings": self.warnings(),
        })
    }

    /// The `--sarif` form: a SARIF 2.1.0 log with one run, one rule per ICE
    /// (with its help text) and one result per finding, located in the
    /// package file with the table, row and column as a logical location.
    pub fn to_sarif(&self, package: &str) -> Json {
        let level = |s: Severity| match s {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        let rules: Vec<Json> = RULES
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "name": r.id,
                    "shortDescription": { "text": r.help },
                    "fullDescription": { "text": r.help },
                    "help": { "text": r.help },
                    "helpUri": help_uri(r.id),
                    "defaultConfiguration": { "level": level(r.severity) },
                })
            })
            .collect();
        let results: Vec<Json> = self
            .findings
            .iter()
            .map(|f| {
                let index = RULES.iter().position(|r| r.id == f.rule).unwrap_or(0);
                let mut logical = f.location();
                if let Some(c) = &f.column {
                    logical.push_str(&format!(".{c}"));
                }
                json!({
                    "ruleId": f.rule,
                    "ruleIndex": index,
                    "level": level(f.severity),
                    "message": { "text": f.message },
                    "locations": [{
                        "physicalLocation": { "artifactLocation": { "uri": package } },
                        "logicalLocations": [{ "name": logical, "kind": "element" }],
                    }],
                })
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "rmsi validate",
                    "informationUri": "https://learn.microsoft.com/windows/win32/msi/ice-reference",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "results": results,
            }],
        })
    }
}

/// Microsoft's page for an ICE; this project's rules have none.
fn help_uri(id: &str) -> String {
    if id.starts_with("ICE") {
        format!(
            "https://learn.microsoft.com/windows/win32/msi/{}",
            id.to_ascii_lowercase()
        )
    } else {
        "https://learn.microsoft.com/windows/win32/msi/msirestartmanagersessionkey".to_string()
    }
}

/// Runs the chosen rules over `package`.
pub fn validate(package: &Package, options: &Options) -> Report {
    let ctx = Ctx::new(package);
    let mut findings = Vec::new();
    for rule in RULES.iter().filter(|r| options.runs(r)) {
        (rule.check)(&ctx, &mut findings);
    }
    Report { findings }
}
