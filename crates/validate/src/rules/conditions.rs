//! Rules over the names conditions and formatted text use: a property that differs from
//! a defined one only in case (ICE46), components and features that exist (ICE79), and
//! Privileged rather than AdminUser (ICE86).

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::context::Ctx;
use crate::finding::{Finding, Severity};
use crate::formatted::{self, RefKind};

use super::reserved::RESERVED;

/// A name in a condition, with its prefix: `None` for a property, `%`
/// environment, `$`/`?` component, `&`/`!` feature.
fn condition_names(text: &str) -> Vec<(Option<char>, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            i += 1;
            continue;
        }
        let prefix = matches!(c, b'%' | b'$' | b'?' | b'&' | b'!').then_some(c as char);
        let start = if prefix.is_some() { i + 1 } else { i };
        if start < b.len() && (b[start].is_ascii_alphabetic() || b[start] == b'_') {
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
                j += 1;
            }
            let word = &text[start..j];
            let keyword = ["AND", "OR", "NOT", "XOR", "EQV", "IMP"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(word));
            if prefix.is_some() || !keyword {
                out.push((prefix, word));
            }
            i = j;
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    out
}

/// Every Condition- and Formatted-category value of the package, with its
/// table, column and row key.
fn expression_cells<'p>(ctx: &Ctx<'p>) -> Vec<(&'p str, String, Vec<String>, &'p str, bool)> {
    let mut cells = Vec::new();
    for table in ctx.package.tables() {
        for (ci, column) in table.columns.iter().enumerate() {
            let Some(cat) = ctx
                .schema
                .spec(&table.name, &column.name)
                .and_then(|s| s.category.as_deref())
            else {
                continue;
            };
            let condition = cat == "Condition";
            if !condition
                && !matches!(
                    cat,
                    "Formatted" | "Template" | "KeyFormatted" | "RegPath" | "Shortcut"
                )
            {
                continue;
            }
            for row in &table.rows {
                if let Some(crate::db::Value::Str(s)) = row.get(ci) {
                    let key: Vec<String> = table
                        .columns
                        .iter()
                        .zip(row)
                        .filter(|(c, _)| c.primary_key)
                        .map(|(_, v)| v.text())
                        .collect();
                    cells.push((
                        table.name.as_str(),
                        column.name.clone(),
                        key,
                        s.as_str(),
                        condition,
                    ));
                }
            }
        }
    }
    cells
}

/// The properties a package defines: Property table, AppSearch, type 51
/// custom actions, directories, and Windows Installer's own.
fn defined_properties(ctx: &Ctx<'_>) -> HashSet<String> {
    let mut set: HashSet<String> = ctx.properties().keys().cloned().collect();
    set.extend(RESERVED.iter().map(|s| s.to_string()));
    set.extend(["SourceDir", "TARGETDIR"].map(String::from));
    for r in ctx.rows("AppSearch") {
        if let Some(p) = r.str("Property") {
            set.insert(p.to_string());
        }
    }
    for r in ctx.rows("CustomAction") {
        if r.int("Type").unwrap_or(0) & 0x3F == 51
            && let Some(p) = r.str("Source")
        {
            set.insert(p.to_string());
        }
    }
    for r in ctx.rows("Directory") {
        if let Some(p) = r.str("Directory") {
            set.insert(p.to_string());
        }
    }
    set
}

/// ICE46: a property named in a condition or formatted text that differs
/// from a defined property by case only.
pub(crate) fn ice46(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let defined = defined_properties(ctx);
    let mut by_upper: HashMap<String, Vec<&str>> = HashMap::new();
    for d in &defined {
        by_upper.entry(d.to_uppercase()).or_default().push(d);
    }
    // Property table rows that differ from another defined property by case.
    for name in ctx.properties().keys() {
        let clash = by_upper
            .get(&name.to_uppercase())
            .is_some_and(|v| v.iter().any(|o| *o != name));
        if clash {
            out.push(
                Finding::new(
                    "ICE46",
                    Severity::Warning,
                    format!(
                        "Property {name} defined in property table differs from another defined property only by case."
                    ),
                )
                .row("Property", vec![name.clone()])
                .column("Property"),
            );
        }
    }
    let mut reported = BTreeSet::new();
    for (t, c, key, text, condition) in expression_cells(ctx) {
        let names: Vec<&str> = if condition {
            condition_names(text)
                .into_iter()
                .filter(|(p, _)| p.is_none())
                .map(|(_, n)| n)
                .collect()
        } else {
            formatted::references(text)
                .into_iter()
                .filter(|r| r.kind == RefKind::Property)
                .map(|r| r.name)
                .collect()
        };
        for n in names {
            if defined.contains(n) || !by_upper.contains_key(&n.to_uppercase()) {
                continue;
            }
            if !reported.insert((t, c.clone(), key.clone(), n.to_string())) {
                continue;
            }
            out.push(
                Finding::new(
                    "ICE46",
                    Severity::Warning,
                    format!(
                        "Property '{n}' referenced in column '{t}'.'{c}' of row '{}' differs from a defined property by case only.",
                        key.join(".")
                    ),
                )
                .row(t, key.clone())
                .column(&c),
            );
        }
    }
}

/// ICE79: components and features named in conditions exist.
pub(crate) fn ice79(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let components: HashSet<&str> = ctx
        .rows("Component")
        .iter()
        .filter_map(|r| r.str("Component"))
        .collect();
    let features: HashSet<&str> = ctx
        .rows("Feature")
        .iter()
        .filter_map(|r| r.str("Feature"))
        .collect();
    for (t, c, key, text, condition) in expression_cells(ctx) {
        if !condition {
            continue;
        }
        for (prefix, name) in condition_names(text) {
            let (what, known) = match prefix {
                Some('$') | Some('?') => ("Component", components.contains(name)),
                Some('&') | Some('!') => ("Feature", features.contains(name)),
                _ => continue,
            };
            if !known {
                out.push(
                    Finding::new(
                        "ICE79",
                        Severity::Error,
                        format!(
                            "{what} '{name}' referenced in column '{t}'.'{c}' of row {} is invalid.",
                            key.join(".")
                        ),
                    )
                    .row(t, key.clone())
                    .column(&c),
                );
            }
        }
    }
}

/// ICE86: conditions test Privileged rather than AdminUser.
pub(crate) fn ice86(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (t, c, key, text, condition) in expression_cells(ctx) {
        if condition
            && condition_names(text)
                .iter()
                .any(|(p, n)| p.is_none() && *n == "AdminUser")
        {
            out.push(
                Finding::new(
                    "ICE86",
                    Severity::Warning,
                    format!(
                        "Property `AdminUser` found in column `{t}`.`{c}` in row {}. `Privileged` property is often more appropriate.",
                        key.join(".")
                    ),
                )
                .row(t, key.clone())
                .column(&c),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_conditions() {
        let n =
            condition_names("NOT Installed AND $Comp=3 OR &Feat>2 AND P1 = \"x AND y\" AND %PATH");
        assert_eq!(
            n,
            vec![
                (None, "Installed"),
                (Some('$'), "Comp"),
                (Some('&'), "Feat"),
                (None, "P1"),
                (Some('%'), "PATH"),
            ]
        );
    }
}
