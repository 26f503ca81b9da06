//! Rules over the user interface tables: controls and what they refer to
//! (ICE17), radio button groups (ICE34), dialog events (ICE44) and icons
//! (ICE36, ICE50).

use std::collections::{HashMap, HashSet};

use crate::context::Ctx;
use crate::finding::{Finding, Severity};

/// `msidbControlAttributesIndirect`.
const INDIRECT: i32 = 0x8;

/// ICE17: push buttons have events; bitmaps and icons are in Binary; list
/// controls have their rows.
pub(crate) fn ice17(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let events: HashSet<(&str, &str)> = ctx
        .rows("ControlEvent")
        .iter()
        .filter_map(|r| Some((r.str("Dialog_")?, r.str("Control_")?)))
        .collect();
    // A push button that is hidden or disabled and that no ControlCondition
    // can show or enable needs no event ("ICE17").
    let conditioned: HashSet<(&str, &str)> = ctx
        .rows("ControlCondition")
        .iter()
        .filter(|r| matches!(r.str("Action"), Some("Enable" | "Show")))
        .filter_map(|r| Some((r.str("Dialog_")?, r.str("Control_")?)))
        .collect();
    let binary: HashSet<&str> = ctx
        .rows("Binary")
        .iter()
        .filter_map(|r| r.str("Name"))
        .collect();
    let keys = |table: &str| -> HashSet<&str> {
        ctx.rows(table)
            .iter()
            .filter_map(|r| r.str("Property"))
            .collect()
    };
    let lists: HashMap<&str, HashSet<&str>> = ["RadioButton", "ListBox", "ComboBox", "ListView"]
        .iter()
        .map(|t| (*t, keys(t)))
        .collect();
    for c in ctx.rows("Control") {
        let (Some(dialog), Some(control), Some(ty)) =
            (c.str("Dialog_"), c.str("Control"), c.str("Type"))
        else {
            continue;
        };
        let attrs = c.int("Attributes").unwrap_or(0);
        let finding = |severity, m: String, column: &str| {
            Finding::new("ICE17", severity, m)
                .row("Control", c.key())
                .column(column)
        };
        match ty {
            "PushButton"
                if !events.contains(&(dialog, control))
                    && (attrs & 3 == 3 || conditioned.contains(&(dialog, control))) =>
            {
                out.push(finding(
                Severity::Error,
                format!("PushButton: {control} of Dialog: {dialog} does not have an event defined in the ControlEvent table."),
                    "Control",
                ))
            }
            "Bitmap" | "Icon" => {
                if let Some(text) = c.str("Text")
                    && !text.contains('[')
                    && !binary.contains(text)
                {
                    out.push(finding(
                        Severity::Error,
                        format!("{ty}: {text} of Control: {control} of Dialog: {dialog} is not in the Binary table."),
                        "Text",
                    ));
                }
            }
            "RadioButtonGroup" | "ListBox" | "ComboBox" | "ListView" if attrs & INDIRECT == 0 => {
                let table = if ty == "RadioButtonGroup" { "RadioButton" } else { ty };
                if let Some(p) = c.str("Property")
                    && !lists.get(table).is_some_and(|l| l.contains(p))
                {
                    out.push(finding(
                        Severity::Warning,
                        format!("{ty}: {p} of Control: {control} of Dialog: {dialog} is not in the {table} table."),
                        "Property",
                    ));
                }
            }
            _ => {}
        }
    }
}

/// ICE34: every radio button group has a property whose default value is
/// one of its buttons.
pub(crate) fn ice34(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut values: HashMap<&str, HashSet<&str>> = HashMap::new();
    for r in ctx.rows("RadioButton") {
        if let (Some(p), Some(v)) = (r.str("Property"), r.str("Value")) {
            values.entry(p).or_default().insert(v);
        }
    }
    for c in ctx.rows("Control") {
        if c.str("Type") != Some("RadioButtonGroup") {
            continue;
        }
        let (Some(dialog), Some(control)) = (c.str("Dialog_"), c.str("Control")) else {
            continue;
        };
        let finding = |m: String| {
            Finding::new("ICE34", Severity::Error, m)
                .row("Control", c.key())
                .column("Property")
        };
        let Some(property) = c.str("Property") else {
            if c.int("Attributes").unwrap_or(0) & INDIRECT == 0 {
                out.push(finding(format!(
                    "Control {dialog}.{control} must have a property because it is of type RadioButtonGroup."
                )));
            }
            continue;
        };
        if c.int("Attributes").unwrap_or(0) & INDIRECT == 0 {
            if let Some(v) = ctx.property(property)
                && !values.get(property).is_some_and(|s| s.contains(v))
            {
                out.push(finding(format!(
                    "{v} is not a valid default value for the RadioButtonGroup using property {property}. The value must be listed as an option in the RadioButtonGroup table."
                )));
            }
            continue;
        }
        let Some(target) = ctx.property(property) else {
            continue;
        };
        match ctx.property(target) {
            None => out.push(finding(format!(
                "Property {target} must be defined because it is an indirect property of a RadioButtonGroup control {dialog}.{control}"
            ))),
            Some(v) if !values.get(target).is_some_and(|s| s.contains(v)) => out.push(finding(format!(
                "{v} is not a valid default value for the property {target}. The property is an indirect RadioButtonGroup property of control {dialog}.{control} (via property {property})."
            ))),
            _ => {}
        }
    }
}

/// The extension of a file name (the long name of a `short|long` pair).
fn extension(name: &str) -> Option<String> {
    let long = name.rsplit('|').next().unwrap_or(name);
    long.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())
}

/// ICE50: advertised shortcuts' icons are .exe or .ico and match their
/// target's extension.
pub(crate) fn ice50(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let features: HashSet<&str> = ctx
        .rows("Feature")
        .iter()
        .filter_map(|r| r.str("Feature"))
        .collect();
    let files: HashMap<&str, &str> = ctx
        .rows("File")
        .iter()
        .filter_map(|r| Some((r.str("File")?, r.str("FileName")?)))
        .collect();
    let key_file: HashMap<&str, &str> = ctx
        .rows("Component")
        .iter()
        .filter(|c| c.int("Attributes").unwrap_or(0) & 0x4 == 0)
        .filter_map(|c| Some((c.str("Component")?, c.str("KeyPath")?)))
        .collect();
    for s in ctx.rows("Shortcut") {
        let (Some(name), Some(target), Some(icon), Some(comp)) = (
            s.str("Shortcut"),
            s.str("Target"),
            s.str("Icon_"),
            s.str("Component_"),
        ) else {
            continue;
        };
        if !features.contains(target) {
            continue;
        }
        let icon_ext = extension(icon);
        if !matches!(icon_ext.as_deref(), Some("exe") | Some("ico")) {
            out.push(
                Finding::new(
                    "ICE50",
                    Severity::Warning,
                    format!(
                        "The extension of Icon '{icon}' for Shortcut '{name}' is not \"exe\" or \"ico\". The Icon will not be displayed correctly."
                    ),
                )
                .row("Shortcut", s.key())
                .column("Icon_"),
            );
        }
        let target_ext = key_file
            .get(comp)
            .and_then(|f| files.get(f))
            .and_then(|n| extension(n));
        if let Some(te) = target_ext
            && icon_ext.as_deref() != Some(te.as_str())
        {
            out.push(
                Finding::new(
                    "ICE50",
                    Severity::Error,
                    format!(
                        "The extension of Icon '{icon}' for Shortcut '{name}' does not match the extension of the Key File for component '{comp}'."
                    ),
                )
                .row("Shortcut", s.key())
                .column("Icon_"),
            );
        }
    }
}

/// ICE36: every icon is used (ARPPRODUCTICON, Class, ProgId or Shortcut).
pub(crate) fn ice36(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut used: HashSet<&str> = HashSet::new();
    if let Some(p) = ctx.property("ARPPRODUCTICON") {
        used.insert(p);
    }
    for t in ["Class", "ProgId", "Shortcut"] {
        used.extend(ctx.rows(t).iter().filter_map(|r| r.str("Icon_")));
    }
    for icon in ctx.rows("Icon") {
        let Some(name) = icon.str("Name") else {
            continue;
        };
        if !used.contains(name) {
            out.push(
                Finding::new(
                    "ICE36",
                    Severity::Warning,
                    format!(
                        "Icon Bloat. Icon {name} is not used in the Class, Shortcut, or ProgID table. This adversely affects performance."
                    ),
                )
                .row("Icon", icon.key())
                .column("Name"),
            );
        }
    }
}

/// ICE44: NewDialog, SpawnDialog and SpawnWaitDialog events name dialogs
/// of the Dialog table.
pub(crate) fn ice44(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let dialogs: HashSet<&str> = ctx
        .rows("Dialog")
        .iter()
        .filter_map(|r| r.str("Dialog"))
        .collect();
    for e in ctx.rows("ControlEvent") {
        let (Some(dialog), Some(control), Some(event)) =
            (e.str("Dialog_"), e.str("Control_"), e.str("Event"))
        else {
            continue;
        };
        if !matches!(event, "NewDialog" | "SpawnDialog" | "SpawnWaitDialog") {
            continue;
        }
        let argument = e.str("Argument").unwrap_or("");
        // A formatted argument is resolved at run time.
        if argument.contains('[') || dialogs.contains(argument) {
            continue;
        }
        out.push(
            Finding::new(
                "ICE44",
                Severity::Error,
                format!(
                    "Control Event for Control '{dialog}'.'{control}' is of type {event}, but its argument {argument} is not a valid entry in the Dialog Table."
                ),
            )
            .row("ControlEvent", e.key())
            .column("Argument"),
        );
    }
}
