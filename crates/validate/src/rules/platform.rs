//! The platform rule (ICE80): 64-bit components and scripts against the summary
//! information's Template platform and the schema.

use crate::context::Ctx;
use crate::finding::{Finding, Severity};

/// ICE80: 64-bit components and scripts, the Template platform, the schema
/// and ProductLanguage.
pub(crate) fn ice80(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let summary = ctx.package.summary();
    let platform = summary.platform.as_deref().unwrap_or("");
    let is64 = matches!(platform, "Intel64" | "x64" | "Arm64" | "AMD64");
    for c in ctx.rows("Component") {
        let Some(name) = c.str("Component") else {
            continue;
        };
        let bits64 = c.int("Attributes").unwrap_or(0) & 0x100 != 0;
        if bits64 && !is64 {
            out.push(
                Finding::new(
                    "ICE80",
                    Severity::Error,
                    format!(
                        "This package contains 64 bit component '{name}' but the Template Summary Property does not contain Intel64, x64, or Arm64."
                    ),
                )
                .row("Component", c.key())
                .column("Attributes"),
            );
        }
        let Some(dir) = c.str("Directory_") else {
            continue;
        };
        let d32 = ctx.is_under(
            dir,
            &["ProgramFilesFolder", "CommonFilesFolder", "SystemFolder"],
        );
        let d64 = ctx.is_under(
            dir,
            &[
                "ProgramFiles64Folder",
                "CommonFiles64Folder",
                "System64Folder",
            ],
        );
        let message = if bits64 && d32 {
            Some(format!(
                "This 64BitComponent {name} uses 32BitDirectory {dir}"
            ))
        } else if !bits64 && d64 {
            Some(format!(
                "This 32BitComponent {name} uses 64BitDirectory {dir}"
            ))
        } else {
            None
        };
        if let Some(m) = message {
            out.push(
                Finding::new("ICE80", Severity::Error, m)
                    .row("Component", c.key())
                    .column("Directory_"),
            );
        }
    }
    for ca in ctx.rows("CustomAction") {
        let ty = ca.int("Type").unwrap_or(0);
        // msidbCustomActionType64BitScript on a script action (types 5, 6,
        // 21, 22, 37, 38, 53, 54).
        if ty & 0x1000 != 0 && matches!(ty & 0x3F, 5 | 6 | 21 | 22 | 37 | 38 | 53 | 54) && !is64 {
            out.push(
                Finding::new(
                    "ICE80",
                    Severity::Error,
                    format!(
                        "This package contains 64 bit custom action script '{}' but the Template Summary Property does not contain Intel64, x64, or Arm64.",
                        ca.str("Action").unwrap_or("")
                    ),
                )
                .row("CustomAction", ca.key())
                .column("Type"),
            );
        }
    }
    let schema = summary.page_count.unwrap_or(0);
    let needed = match platform {
        "Intel64" => Some(150),
        "x64" => Some(200),
        "Arm64" => Some(500),
        _ => None,
    };
    if let Some(n) = needed
        && schema < n
    {
        out.push(Finding::new(
            "ICE80",
            Severity::Error,
            format!("This package is marked with {platform} but it has a schema less than {n}."),
        ));
    }
    if let Some(lang) = ctx.property("ProductLanguage")
        && let Ok(id) = lang.trim().parse::<u16>()
        && !summary.languages.contains(&id)
    {
        out.push(
            Finding::new(
                "ICE80",
                Severity::Error,
                format!(
                    "The 'ProductLanguage' property in the Property table has a value of '{lang}', which is not contained in the Template Summary Property stream."
                ),
            )
            .row("Property", vec!["ProductLanguage".into()])
            .column("Value"),
        );
    }
}
