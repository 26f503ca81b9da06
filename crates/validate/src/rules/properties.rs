//! Rules over properties and the summary information: required and well-formed product
//! properties (ICE05, ICE16, ICE24), properties that do not belong in the Property table
//! (ICE40, ICE48, ICE87), public AppSearch properties (ICE52) and the Restart Manager
//! properties (RMSI02). The names in conditions, the Upgrade table, the platform and the
//! reserved names have modules of their own (`conditions`, `upgrade`, `platform`,
//! `reserved`).

use crate::categories;
use crate::context::Ctx;
use crate::finding::{Finding, Severity};

/// ICE05: the product properties every package needs.
pub(crate) fn ice05(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for p in [
        "ProductName",
        "ProductLanguage",
        "ProductVersion",
        "ProductCode",
        "Manufacturer",
    ] {
        if ctx.property(p).is_none() {
            out.push(
                Finding::new(
                    "ICE05",
                    Severity::Error,
                    format!("The entry: '{p}' is required in the 'Property' table."),
                )
                .table("Property"),
            );
        }
    }
}

/// ICE16: ProductName is at most 63 characters (it is shown in Add/Remove
/// Programs).
pub(crate) fn ice16(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some(name) = ctx.property("ProductName") {
        let len = name.chars().count();
        if len > 63 {
            out.push(
                Finding::new(
                    "ICE16",
                    Severity::Error,
                    format!(
                        "ProductName: '{name}' is greater than 63 characters in length. Current length: {len}"
                    ),
                )
                .row("Property", vec!["ProductName".into()])
                .column("Value"),
            );
        }
    }
}

/// A product version ("ProductVersion property"): major.minor.build, at
/// most 255.255.65535; a fourth field is allowed and ignored.
pub(crate) fn is_product_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return false;
    }
    let limits = [255u32, 255, 65535, 65535];
    parts.iter().zip(limits).all(|(p, max)| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n <= max)
    })
}

/// ICE24: ProductCode, ProductVersion and ProductLanguage are well formed.
pub(crate) fn ice24(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut bad = |p: &str, m: String| {
        out.push(
            Finding::new("ICE24", Severity::Error, m)
                .row("Property", vec![p.to_string()])
                .column("Value"),
        );
    };
    if let Some(v) = ctx.property("ProductCode")
        && !categories::is_guid(v)
    {
        bad(
            "ProductCode",
            format!("ProductCode: '{v}' is an invalid Product Code."),
        );
    }
    if let Some(v) = ctx.property("ProductVersion")
        && !is_product_version(v)
    {
        bad(
            "ProductVersion",
            format!("ProductVersion: '{v}' is an invalid version string."),
        );
    }
    if let Some(v) = ctx.property("ProductLanguage")
        && !(v.bytes().all(|b| b.is_ascii_digit()) && v.parse::<u32>().is_ok_and(|n| n <= 65535))
    {
        bad(
            "ProductLanguage",
            format!("ProductLanguage: '{v}' is an invalid language."),
        );
    }
}

/// RMSI02: MSIRESTARTMANAGERCONTROL and MSIRMSHUTDOWN hold values Windows
/// Installer defines ("MSIRESTARTMANAGERCONTROL property", "MSIRMSHUTDOWN
/// property").
pub(crate) fn rmsi02(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    const DEFINED: &[(&str, &[&str])] = &[
        (
            "MSIRESTARTMANAGERCONTROL",
            &["0", "Disable", "DisableShutdown"],
        ),
        ("MSIRMSHUTDOWN", &["0", "1", "2"]),
    ];
    for &(property, values) in DEFINED {
        let check = |value: &str| -> Option<String> {
            (!values.contains(&value)).then(|| {
                format!(
                    "{property} is set to '{value}', a value Windows Installer does not define (it takes {}); Windows Installer treats it as unset.",
                    values.join(", ")
                )
            })
        };
        if let Some(v) = ctx.property(property)
            && let Some(m) = check(v)
        {
            out.push(
                Finding::new("RMSI02", Severity::Warning, m)
                    .row("Property", vec![property.to_string()])
                    .column("Value"),
            );
        }
        for ca in ctx.rows("CustomAction") {
            if ca.int("Type").unwrap_or(0) & 0x3F != 51 || ca.str("Source") != Some(property) {
                continue;
            }
            let target = ca.text("Target").unwrap_or_default();
            if target.contains('[') {
                continue; // decided at run time
            }
            if let Some(m) = check(&target) {
                out.push(
                    Finding::new("RMSI02", Severity::Warning, m)
                        .row("CustomAction", ca.key())
                        .column("Target"),
                );
            }
        }
    }
}

/// ICE40: miscellaneous: REINSTALLMODE authored, a RemoveIniFile "Delete
/// Tag" row without its tag, no Error table in an old schema.
pub(crate) fn ice40(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if ctx.property("REINSTALLMODE").is_some() {
        out.push(
            Finding::new(
                "ICE40",
                Severity::Warning,
                "REINSTALLMODE is defined in the Property table. This may cause difficulties.",
            )
            .row("Property", vec!["REINSTALLMODE".into()])
            .column("Property"),
        );
    }
    for r in ctx.rows("RemoveIniFile") {
        if r.int("Action") == Some(4) && r.str("Value").is_none() {
            out.push(
                Finding::new(
                    "ICE40",
                    Severity::Warning,
                    format!(
                        "RemoveIniFile entry {} must have a value, because the Action is \"Delete Tag\" (4).",
                        r.str("RemoveIniFile").unwrap_or("")
                    ),
                )
                .row("RemoveIniFile", r.key())
                .column("Value"),
            );
        }
    }
    if ctx.table("Error").is_none() && ctx.package.summary().page_count.unwrap_or(0) <= 100 {
        out.push(Finding::new(
            "ICE40",
            Severity::Warning,
            "Error Table is missing. Only numerical error messages will be generated.",
        ));
    }
}

/// ICE48: no directory is set to a local drive in the Property table.
pub(crate) fn ice48(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (name, value) in ctx.properties() {
        let b = value.as_bytes();
        let local = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
        if local && ctx.has_directory(name) {
            out.push(
                Finding::new(
                    "ICE48",
                    Severity::Warning,
                    format!(
                        "Directory '{name}' appears to be hardcoded in the property table to a local drive."
                    ),
                )
                .row("Property", vec![name.clone()])
                .column("Value"),
            );
        }
    }
}

/// ICE87: properties that belong on the command line are not in the
/// Property table.
pub(crate) fn ice87(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    const COMMAND_LINE: &[&str] = &[
        "ADDLOCAL",
        "REMOVE",
        "ADDSOURCE",
        "ADDDEFAULT",
        "REINSTALL",
        "ADVERTISE",
        "COMPADDLOCAL",
        "COMPADDSOURCE",
        "FILEADDLOCAL",
        "FILEADDSOURCE",
        "FILEADDDEFAULT",
    ];
    for &p in COMMAND_LINE {
        if ctx.property(p).is_some() {
            out.push(
                Finding::new(
                    "ICE87",
                    Severity::Warning,
                    format!(
                        "The property '{p}' shouldn't be authored into the Property table. Doing so might cause the product to not be uninstalled correctly"
                    ),
                )
                .row("Property", vec![p.to_string()])
                .column("Property"),
            );
        }
    }
}

/// ICE52: AppSearch sets public properties only.
pub(crate) fn ice52(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.rows("AppSearch") {
        let (Some(p), Some(sig)) = (r.str("Property"), r.str("Signature_")) else {
            continue;
        };
        if p.chars().any(|c| c.is_lowercase()) {
            out.push(
                Finding::new(
                    "ICE52",
                    Severity::Warning,
                    format!(
                        "Property '{p}' in AppSearch row '{p}'.'{sig}' is not public. It should be all uppercase."
                    ),
                )
                .row("AppSearch", r.key())
                .column("Property"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_versions() {
        assert!(is_product_version("1.2.3"));
        assert!(is_product_version("255.255.65535.9"));
        assert!(!is_product_version("2014.1.1.4"));
        assert!(!is_product_version("1.x"));
    }
}
