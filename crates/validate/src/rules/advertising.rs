//! Registry rows that register what the advertising tables (Class, Extension, ProgId,
//! Verb, AppId, TypeLib, MIME) should (ICE33).

use crate::context::Ctx;
use crate::finding::{Finding, Severity};

/// ICE33: Registry rows that register what the advertising tables
/// (Class, Extension, ProgId, Verb, AppId, TypeLib, MIME) should. Microsoft
/// calls these warnings obsolete ("ICE33"); they are kept because an
/// advertised entry and a Registry row for the same key overwrite each
/// other.
pub(crate) fn ice33(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.rows("Registry") {
        let (Some(name), Some(root), Some(key)) = (r.str("Registry"), r.int("Root"), r.str("Key"))
        else {
            continue;
        };
        // HKCR, or HKLM/HKCU/HKMU\Software\Classes.
        let classes = match root {
            0 => Some(key),
            -1..=2 => {
                let lower = key.to_ascii_lowercase();
                lower
                    .strip_prefix("software\\classes\\")
                    .and_then(|_| key.get("software\\classes\\".len()..))
            }
            _ => None,
        };
        let Some(sub) = classes else { continue };
        let lower = sub.to_ascii_lowercase();
        let first = lower.split('\\').next().unwrap_or("");
        let (kind, table) = if first == "clsid" {
            ("CLSID", "Class")
        } else if first == "appid" {
            ("AppId", "AppId")
        } else if first == "typelib" {
            ("TypeLib", "TypeLib")
        } else if lower.starts_with("mime\\database\\content type") {
            ("MIME", "MIME")
        } else if first.starts_with('.') {
            ("Extension", "Extension")
        } else if lower.split('\\').nth(1) == Some("shell") {
            ("Verb", "Verb")
        } else if !first.is_empty() && first.contains('.') {
            ("ProgId", "ProgId")
        } else {
            continue;
        };
        out.push(
            Finding::new(
                "ICE33",
                Severity::Warning,
                format!(
                    "Reg Key {name} is used in an unsupported way. {kind} should be registered via the {table} table. This entry may overwrite a value created through that table."
                ),
            )
            .row("Registry", r.key())
            .column("Key"),
        );
    }
}
