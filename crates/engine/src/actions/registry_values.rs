//! WriteRegistryValues and RemoveRegistryValues: the Registry and RemoveRegistry tables
//! ("Registry table", "RemoveRegistry table", "WriteRegistryValues action",
//! "RemoveRegistryValues action").
//!
//! Each row is read when its action runs — Key and Name formatted, Value formatted with
//! the Registry table's options (`[!file]` is a short path) — and becomes a
//! [`RegChange`] that the installation applies when it commits, in the same transaction as
//! the product's record.
//!
//! * WriteRegistryValues: the Registry rows of the components being installed (locally or
//!   to run from source); in a repair (`REINSTALL`), the machine's values only with
//!   `REINSTALLMODE` `m` and the user's only with `u`.
//! * RemoveRegistryValues: the Registry rows of the components being removed — unless
//!   another product still uses the component, or it is Permanent or has no ComponentId —
//!   (their values deleted, `-` and `*` keys deleted with everything in them, `+` keys left, keys
//!   left empty deleted), then the RemoveRegistry rows of the components being installed.
//!
//! Root `-1` is `HKEY_LOCAL_MACHINE` per-machine (`ALLUSERS` set) and
//! `HKEY_CURRENT_USER` per-user; 64-bit components write the 64-bit view, others the
//! 32-bit view on the `windows` layout ([`component_view`]).

use std::collections::HashMap;

use msi_expr::InstallState;
use winreg::msi::{RegistryRow, RootTable, resolve_root};

use crate::sequence::ActionResult;
use crate::session::Session;
use crate::tables::Value as Cell;
use crate::winstate::{RegChange, component_view};

/// A Registry or RemoveRegistry row, its cells as authored.
struct Row {
    key_column: String,
    root: i32,
    key: String,
    name: Option<String>,
    value: Option<String>,
    component: String,
}

/// Reads `table`'s rows (an absent table has none); a row without the columns every row
/// must have is a bad row.
fn rows(s: &Session<'_, '_>, table: &str) -> crate::error::Result<Vec<Row>> {
    let Some(t) = s.package.table(table) else {
        return Ok(Vec::new());
    };
    let col = |name: &str| t.column_index(name);
    let (Some(ki), Some(ri), Some(kk), Some(ni), Some(ci)) = (
        col(table),
        col("Root"),
        col("Key"),
        col("Name"),
        col("Component_"),
    ) else {
        return Err(crate::error::Error::BadRow {
            table: table.to_string(),
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
    let mut out = Vec::new();
    for cells in &t.rows {
        let key_column = text(cells.get(ki)).unwrap_or_default();
        let root = match cells.get(ri) {
            Some(Cell::Int(i)) => *i,
            _ => {
                return Err(crate::error::Error::BadRow {
                    table: table.to_string(),
                    key: key_column,
                    reason: "Root is not an integer".into(),
                });
            }
        };
        out.push(Row {
            key_column,
            root,
            key: text(cells.get(kk)).unwrap_or_default(),
            name: text(cells.get(ni)),
            value: vi.and_then(|i| text(cells.get(i))),
            component: text(cells.get(ci)).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The components' action and installed states and attributes, by Component key.
pub(super) fn components(
    s: &Session<'_, '_>,
) -> HashMap<String, (InstallState, InstallState, i32)> {
    s.ctx
        .plan()
        .map(|p| {
            p.components
                .iter()
                .map(|c| (c.component.clone(), (c.installed, c.action, c.attributes)))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn installing(action: InstallState) -> bool {
    matches!(action, InstallState::Local | InstallState::Source)
}

pub(super) fn removing(installed: InstallState, action: InstallState) -> bool {
    action == InstallState::Absent
        && matches!(installed, InstallState::Local | InstallState::Source)
}

/// WriteRegistryValues (see the module documentation).
pub(crate) fn write(s: &mut Session<'_, '_>) -> ActionResult {
    let rows = match rows(s, "Registry") {
        Ok(r) => r,
        Err(e) => return s.fail(e),
    };
    let comps = components(s);
    let per_machine = s.ctx.per_machine();
    let layout = s.request.layout;
    // A reinstall rewrites machine values with REINSTALLMODE `m`, user values with `u`
    // ("REINSTALLMODE property"); a first install writes them all.
    let mode = s
        .prop("REINSTALLMODE")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for row in rows {
        let Some(&(installed, action, attributes)) = comps.get(&row.component) else {
            continue;
        };
        if !installing(action) {
            continue;
        }
        let resolved = match resolve_root(row.root, per_machine, RootTable::Registry) {
            Ok(r) => r,
            Err(e) => return s.fail(crate::error::registry_failure(&row.key_column, e)),
        };
        if installing(installed) && s.prop("REINSTALL").is_some() {
            let letter = match resolved.root {
                winreg::Root::CurrentUser | winreg::Root::Users => 'u',
                _ => 'm',
            };
            if !mode.contains(letter) {
                continue;
            }
        }
        let key = resolved.key(&s.format(&row.key));
        let name = row.name.as_deref().map(|n| s.format(n));
        let value = row.value.as_deref().map(|v| s.ctx.format_registry(v));
        let parsed = RegistryRow::parse(name.as_deref(), value.as_deref());
        let view = component_view(layout, attributes);
        log_op(
            s,
            "RegAddValue",
            &row.key_column,
            resolved.root,
            &key,
            &parsed,
        );
        s.ctx.push_reg(RegChange::WriteRow {
            view,
            root: resolved.root,
            key,
            row: parsed,
        });
    }
    ActionResult::Success
}

/// RemoveRegistryValues (see the module documentation).
pub(crate) fn remove(s: &mut Session<'_, '_>) -> ActionResult {
    let (written, removed) = match (rows(s, "Registry"), rows(s, "RemoveRegistry")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return s.fail(e),
    };
    let comps = components(s);
    let per_machine = s.ctx.per_machine();
    let layout = s.request.layout;
    // A component another product still uses, a Permanent one or one without a
    // ComponentId keeps its values, as it keeps its files.
    let kept = match s.ctx.components_kept_on_removal() {
        Ok(k) => k,
        Err(e) => return s.fail(e),
    };
    for row in written {
        let Some(&(installed, action, attributes)) = comps.get(&row.component) else {
            continue;
        };
        if !removing(installed, action) || kept.contains(&row.component) {
            continue;
        }
        let resolved = match resolve_root(row.root, per_machine, RootTable::Registry) {
            Ok(r) => r,
            Err(e) => return s.fail(crate::error::registry_failure(&row.key_column, e)),
        };
        let key = resolved.key(&s.format(&row.key));
        let name = row.name.as_deref().map(|n| s.format(n));
        let value = row.value.as_deref().map(|v| s.ctx.format_registry(v));
        let parsed = RegistryRow::parse(name.as_deref(), value.as_deref());
        log_op(
            s,
            "RegRemoveValue",
            &row.key_column,
            resolved.root,
            &key,
            &parsed,
        );
        s.ctx.push_reg(RegChange::RemoveRow {
            view: component_view(layout, attributes),
            root: resolved.root,
            key,
            row: parsed,
        });
    }
    for row in removed {
        let Some(&(_, action, attributes)) = comps.get(&row.component) else {
            continue;
        };
        if !installing(action) {
            continue;
        }
        let resolved = match resolve_root(row.root, per_machine, RootTable::RemoveRegistry) {
            Ok(r) => r,
            Err(e) => return s.fail(crate::error::registry_failure(&row.key_column, e)),
        };
        let key = resolved.key(&s.format(&row.key));
        let name = row.name.as_deref().map(|n| s.format(n));
        s.log.engine(&format!(
            "Executing op: {}(Root={},Key={key},Name={})",
            if name.as_deref() == Some("-") {
                "RegRemoveKey"
            } else {
                "RegRemoveValue"
            },
            resolved.root.short_name(),
            name.as_deref().unwrap_or("")
        ));
        s.ctx.push_reg(RegChange::RemoveRegistry {
            view: component_view(layout, attributes),
            root: resolved.root,
            key,
            name,
        });
    }
    ActionResult::Success
}

/// The script line Windows logs for a registry operation (the value itself is not shown:
/// it may be hidden).
fn log_op(
    s: &mut Session<'_, '_>,
    op: &str,
    row_key: &str,
    root: winreg::Root,
    key: &str,
    row: &RegistryRow,
) {
    let what = match row {
        RegistryRow::CreateKey { .. } => "RegCreateKey".to_string(),
        RegistryRow::DeleteKeyOnUninstall if op == "RegAddValue" => return,
        RegistryRow::DeleteKeyOnUninstall => "RegRemoveKey".to_string(),
        RegistryRow::Value { name, .. } => {
            format!("{op}(Name={})", name.as_deref().unwrap_or(""))
        }
    };
    s.log.engine(&format!(
        "Executing op: {what} [Registry row {row_key}: {}\\{key}]",
        root.short_name()
    ));
}
