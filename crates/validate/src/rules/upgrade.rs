//! The Upgrade table's rule (ICE61): version ranges, attributes and the product's own
//! upgrade code.

use std::collections::{HashMap, HashSet};

use crate::context::Ctx;
use crate::finding::{Finding, Severity};

/// A version as numbers, for comparing.
fn version_key(v: &str) -> Vec<u32> {
    let mut k: Vec<u32> = v
        .split('.')
        .map(|p| p.trim().parse().unwrap_or(0))
        .collect();
    k.resize(4, 0);
    k
}

/// ICE61: the Upgrade table.
pub(crate) fn ice61(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let secure: HashSet<&str> = ctx
        .property("SecureCustomProperties")
        .unwrap_or("")
        .split(';')
        .collect();
    let upgrade_code = ctx.property("UpgradeCode");
    let product_version = ctx.property("ProductVersion");
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for r in ctx.rows("Upgrade") {
        let finding = |severity, m: String, column: &str| {
            Finding::new("ICE61", severity, m)
                .row("Upgrade", r.key())
                .column(column)
        };
        let attrs = r.int("Attributes").unwrap_or(0);
        if let Some(p) = r.str("ActionProperty") {
            if p.chars().any(|c| c.is_lowercase()) {
                out.push(finding(
                    Severity::Error,
                    format!("Upgrade.ActionProperty {p} must not contain lowercase letters."),
                    "ActionProperty",
                ));
            }
            if !secure.contains(p) {
                out.push(finding(
                    Severity::Error,
                    format!("Upgrade.ActionProperty {p} must be added to the SecureCustomProperties property."),
                    "ActionProperty",
                ));
            }
            let n = seen.entry(p).or_insert(0);
            *n += 1;
            if *n == 2 {
                out.push(finding(
                    Severity::Error,
                    format!("Upgrade.ActionProperty {p} may be used in only one record of the Upgrade table."),
                    "ActionProperty",
                ));
            }
        }
        let min = r.str("VersionMin");
        let max = r.str("VersionMax");
        if let (Some(min), Some(max)) = (min, max)
            && version_key(max) < version_key(min)
        {
            out.push(finding(
                Severity::Error,
                format!(
                    "Upgrade.VersionMax cannot be less than Upgrade.VersionMin. ({})",
                    r.str("ActionProperty").unwrap_or("")
                ),
                "VersionMax",
            ));
        }
        // msidbUpgradeAttributesOnlyDetect (2), ...VersionMaxInclusive (0x200).
        if let (Some(max), Some(pv), Some(code)) = (max, product_version, upgrade_code)
            && r.str("UpgradeCode") == Some(code)
            && attrs & 2 == 0
        {
            let (m, p) = (version_key(max), version_key(pv));
            let removes_self = if attrs & 0x200 != 0 { m >= p } else { m > p };
            if removes_self {
                out.push(finding(
                    Severity::Warning,
                    format!(
                        "This product should remove only older versions of itself. The Maximum version is not less than the current product. ({max} {pv})"
                    ),
                    "VersionMax",
                ));
            }
        }
    }
}
