//! References across components: `[$component]` and `[#file]` in a row's formatted
//! columns name the row's own component (ICE69).

use std::collections::HashMap;

use crate::context::Ctx;
use crate::finding::{Finding, Severity};
use crate::formatted::{self, RefKind};

use super::components::features_of;

/// The tables whose formatted columns ICE69 checks against the row's
/// Component_ ("ICE69": tables used during execution, the Verb, Extension
/// and AppId special cases aside).
const ICE69_TABLES: &[&str] = &[
    "IniFile",
    "RemoveIniFile",
    "Registry",
    "RemoveRegistry",
    "ServiceControl",
    "ServiceInstall",
    "Shortcut",
    "Class",
    "Environment",
];

/// ICE69: `[$component]` and `[#file]` in a row's formatted columns name
/// the row's own component.
pub(crate) fn ice69(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let features = features_of(ctx);
    let file_comp: HashMap<&str, &str> = ctx
        .rows("File")
        .iter()
        .filter_map(|r| Some((r.str("File")?, r.str("Component_")?)))
        .collect();
    let same_feature = |a: &str, b: &str| match (features.get(a), features.get(b)) {
        (Some(x), Some(y)) => !x.is_disjoint(y),
        _ => false,
    };
    for &t in ICE69_TABLES {
        let Some(table) = ctx.table(t) else { continue };
        let columns: Vec<&str> = table
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|c| {
                ctx.schema
                    .spec(t, c)
                    .and_then(|s| s.category.as_deref())
                    .is_some_and(|cat| matches!(cat, "Formatted" | "RegPath" | "Shortcut"))
            })
            .collect();
        for row in ctx.rows(t) {
            let Some(comp) = row.str("Component_") else {
                continue;
            };
            let entry = row.key().first().cloned().unwrap_or_default();
            for col in &columns {
                let Some(text) = row.str(col) else { continue };
                for r in formatted::references(text) {
                    let (other, what) = match r.kind {
                        RefKind::Component => (r.name, format!("component '{}'", r.name)),
                        RefKind::File => match file_comp.get(r.name) {
                            Some(&c) => (
                                c,
                                format!("file '{}' which belongs to component '{c}'", r.name),
                            ),
                            None => continue,
                        },
                        _ => continue,
                    };
                    if other == comp {
                        continue;
                    }
                    let (severity, tail) = if same_feature(comp, other) {
                        (Severity::Warning, "Components are in the same feature.")
                    } else {
                        (Severity::Error, "Components are not in the same feature.")
                    };
                    out.push(
                        Finding::new(
                            "ICE69",
                            severity,
                            format!(
                                "Mismatched component reference. Entry '{entry}' of the {t} table belongs to component '{comp}'. However, the formatted string in column '{col}' references {what}. {tail}"
                            ),
                        )
                        .row(t, row.key())
                        .column(col),
                    );
                }
            }
        }
    }
}
