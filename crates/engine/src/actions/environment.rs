//! WriteEnvironmentStrings and RemoveEnvironmentStrings: the Environment table
//! ("Environment table", "WriteEnvironmentStrings action", "RemoveEnvironmentStrings
//! action").
//!
//! The Name column's prefix says what to do — in any order: `=` create or set at install,
//! `+` create only when absent, `!` remove at install (only a matching value, or any value
//! when Value is null), `-` remove when the component is removed, `*` the system
//! environment (`HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment`), else
//! the user's (`HKCU\Environment`). A Value starting with `[~]` and a separator appends to
//! the existing value, one ending with a separator and `[~]` prepends; only that part is
//! then set or removed. A null Value removes the variable.
//!
//! Each row becomes a [`RegChange::Environment`] applied when the installation commits,
//! against the value the variable has then (`crate::winstate::environment::apply`), in
//! the transaction that records the product.

use winreg::Root;

use crate::sequence::ActionResult;
use crate::session::Session;
use crate::tables::Value as Cell;
use crate::winstate::RegChange;
use crate::winstate::environment::{EnvAction, EnvChange, EnvPart, SYSTEM_KEY, USER_KEY};

use super::registry_values::{components, installing, removing};

/// The prefix flags of a Name column.
#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    set: bool,
    absent: bool,
    remove_install: bool,
    remove_uninstall: bool,
    system: bool,
}

/// Splits a Name column into its prefix flags and the variable's name.
fn parse_name(name: &str) -> (Flags, &str) {
    let mut f = Flags::default();
    let rest = name.trim_start_matches(|c| match c {
        '=' => {
            f.set = true;
            true
        }
        '+' => {
            f.absent = true;
            true
        }
        '!' => {
            f.remove_install = true;
            true
        }
        '-' => {
            f.remove_uninstall = true;
            true
        }
        '*' => {
            f.system = true;
            true
        }
        _ => false,
    });
    (f, rest)
}

/// Splits a formatted Value column (`[~]` formatted to NUL) into its part and value.
fn parse_value(value: Option<&str>) -> (EnvPart, Option<String>) {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return (EnvPart::Whole, None);
    };
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    if let Some(rest) = v.strip_prefix('\0') {
        let sep: String = rest.chars().take(1).collect();
        (EnvPart::Append(sep.clone()), non_empty(&rest[sep.len()..]))
    } else if let Some(rest) = v.strip_suffix('\0') {
        let sep: String = rest.chars().last().map(String::from).unwrap_or_default();
        (
            EnvPart::Prepend(sep.clone()),
            non_empty(&rest[..rest.len() - sep.len()]),
        )
    } else {
        (EnvPart::Whole, Some(v.to_string()))
    }
}

/// An Environment row, its cells as authored.
struct Row {
    key: String,
    name: String,
    value: Option<String>,
    component: String,
}

fn rows(s: &Session<'_, '_>) -> crate::error::Result<Vec<Row>> {
    let Some(t) = s.package.table("Environment") else {
        return Ok(Vec::new());
    };
    let col = |name: &str| t.column_index(name);
    let (Some(ki), Some(ni), Some(ci)) = (col("Environment"), col("Name"), col("Component_"))
    else {
        return Err(crate::error::Error::BadRow {
            table: "Environment".into(),
            key: String::new(),
            reason: "the table lacks a column of its definition".into(),
        });
    };
    let vi = col("Value");
    let text = |c: Option<&Cell>| match c {
        Some(Cell::Str(s)) => Some(s.clone()),
        Some(Cell::Int(i)) => Some(i.to_string()),
        _ => None,
    };
    Ok(t.rows
        .iter()
        .map(|cells| Row {
            key: text(cells.get(ki)).unwrap_or_default(),
            name: text(cells.get(ni)).unwrap_or_default(),
            value: vi.and_then(|i| text(cells.get(i))),
            component: text(cells.get(ci)).unwrap_or_default(),
        })
        .collect())
}

/// Queues one row's change and logs it as Windows' script does.
fn push(s: &mut Session<'_, '_>, row: &Row, flags: Flags, name: &str, action: EnvAction) {
    let formatted = row.value.as_deref().map(|v| s.format(v));
    let (part, value) = parse_value(formatted.as_deref());
    let (root, key) = if flags.system {
        (Root::LocalMachine, SYSTEM_KEY)
    } else {
        (Root::CurrentUser, USER_KEY)
    };
    s.log.engine(&format!(
        "Executing op: UpdateEnvironmentStrings(Name={name},Value={},Action={action:?}) [Environment row {}]",
        formatted.as_deref().unwrap_or("").replace('\0', "[~]"),
        row.key
    ));
    s.ctx.push_reg(RegChange::Environment {
        root,
        key: key.to_string(),
        name: name.to_string(),
        change: EnvChange {
            action,
            part,
            value,
        },
    });
}

/// WriteEnvironmentStrings: the rows of the components being installed.
pub(crate) fn write(s: &mut Session<'_, '_>) -> ActionResult {
    let rows = match rows(s) {
        Ok(r) => r,
        Err(e) => return s.fail(e),
    };
    let comps = components(s);
    for row in &rows {
        let Some(&(_, action, _)) = comps.get(&row.component) else {
            continue;
        };
        if !installing(action) {
            continue;
        }
        let (flags, name) = parse_name(&row.name);
        let name = s.format(name);
        let action = if flags.remove_install {
            EnvAction::RemoveMatching
        } else if flags.absent {
            EnvAction::SetIfAbsent
        } else if flags.set || row.value.is_some() {
            EnvAction::Set
        } else {
            // `-` alone with a null Value: removed only when the component is removed.
            continue;
        };
        push(s, row, flags, &name, action);
    }
    ActionResult::Success
}

/// RemoveEnvironmentStrings: the `-` rows of the components being removed (unless
/// another product still uses the component, or it is Permanent).
pub(crate) fn remove(s: &mut Session<'_, '_>) -> ActionResult {
    let rows = match rows(s) {
        Ok(r) => r,
        Err(e) => return s.fail(e),
    };
    let comps = components(s);
    let kept = match s.ctx.components_kept_on_removal() {
        Ok(k) => k,
        Err(e) => return s.fail(e),
    };
    for row in &rows {
        let Some(&(installed, action, _)) = comps.get(&row.component) else {
            continue;
        };
        if !removing(installed, action) || kept.contains(&row.component) {
            continue;
        }
        let (flags, name) = parse_name(&row.name);
        if !flags.remove_uninstall {
            continue;
        }
        let name = s.format(name);
        push(s, row, flags, &name, EnvAction::Remove);
    }
    ActionResult::Success
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winstate::environment::apply;
    use winreg::Value;

    fn change(action: EnvAction, value: &str) -> EnvChange {
        let (part, value) = parse_value(Some(value));
        EnvChange {
            action,
            part,
            value,
        }
    }

    fn sz(s: &str) -> Value {
        Value::Sz(s.into())
    }

    #[test]
    fn prefixes_in_any_order() {
        let (f, n) = parse_name("-*=PATH");
        assert!(f.set && f.system && f.remove_uninstall && !f.absent && !f.remove_install);
        assert_eq!(n, "PATH");
        let (f, n) = parse_name("FOO");
        assert!(!f.set && !f.system);
        assert_eq!(n, "FOO");
    }

    #[test]
    fn append_and_prepend_then_take_back_only_their_part() {
        let app = change(EnvAction::Set, "\0;C:\\App");
        assert_eq!(app.part, EnvPart::Append(";".into()));
        let old = sz("C:\\Windows");
        let new = apply(Some(&old), &app).unwrap().unwrap();
        assert_eq!(new, sz("C:\\Windows;C:\\App"));
        // Once only.
        assert_eq!(apply(Some(&new), &app), None);
        let pre = change(EnvAction::Set, "C:\\Pre;\0");
        let both = apply(Some(&new), &pre).unwrap().unwrap();
        assert_eq!(both, sz("C:\\Pre;C:\\Windows;C:\\App"));
        let undo = change(EnvAction::Remove, "\0;C:\\App");
        let back = apply(Some(&both), &undo).unwrap().unwrap();
        assert_eq!(back, sz("C:\\Pre;C:\\Windows"));
        let undo = change(EnvAction::Remove, "C:\\Pre;\0");
        assert_eq!(apply(Some(&back), &undo).unwrap().unwrap(), old);
        // Appending to nothing creates the variable with the part alone; taking it back
        // deletes it.
        let created = apply(None, &app).unwrap().unwrap();
        assert_eq!(created, sz("C:\\App"));
        let undo = change(EnvAction::Remove, "\0;C:\\App");
        assert_eq!(apply(Some(&created), &undo), Some(None));
    }

    #[test]
    fn set_create_and_remove() {
        let set = change(EnvAction::Set, "%SystemRoot%\\x");
        assert_eq!(
            apply(Some(&sz("old")), &set),
            Some(Some(Value::ExpandSz("%SystemRoot%\\x".into())))
        );
        let plus = change(EnvAction::SetIfAbsent, "new");
        assert_eq!(apply(Some(&sz("old")), &plus), None);
        assert_eq!(apply(None, &plus), Some(Some(sz("new"))));
        let bang = change(EnvAction::RemoveMatching, "other");
        assert_eq!(apply(Some(&sz("old")), &bang), None);
        let bang = change(EnvAction::RemoveMatching, "old");
        assert_eq!(apply(Some(&sz("old")), &bang), Some(None));
        let null = EnvChange {
            action: EnvAction::Set,
            part: EnvPart::Whole,
            value: None,
        };
        assert_eq!(apply(Some(&sz("old")), &null), Some(None));
        assert_eq!(apply(None, &null), None);
        assert_eq!(apply(Some(&Value::Dword(1)), &set), None);
    }
}
