//! The environment variables' changes the Environment table's actions decide
//! (WriteEnvironmentStrings, RemoveEnvironmentStrings: see `crate::actions::environment`),
//! and how one applies to a variable's value when the installation commits.

use winreg::Value;

/// The system environment's key under `HKEY_LOCAL_MACHINE`.
pub(crate) const SYSTEM_KEY: &str = r"SYSTEM\CurrentControlSet\Control\Session Manager\Environment";
/// The user environment's key under `HKEY_CURRENT_USER`.
pub(crate) const USER_KEY: &str = "Environment";

/// What a row does to its variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EnvAction {
    /// `=` (or no action prefix): create or set.
    Set,
    /// `+`: create only when the variable does not exist.
    SetIfAbsent,
    /// `!` at install: remove; with a whole value, only when the variable has that value.
    RemoveMatching,
    /// `-` when the component is removed: remove the row's part, or the whole variable.
    Remove,
}

/// Which part of the variable a row's value is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EnvPart {
    /// The whole value (no `[~]`).
    Whole,
    /// Appended after the existing value (`[~];value`), with this separator.
    Append(String),
    /// Prepended before the existing value (`value;[~]`), with this separator.
    Prepend(String),
}

/// One Environment row, decided when its action runs, applied at commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvChange {
    /// What to do.
    pub(crate) action: EnvAction,
    /// Which part the value is.
    pub(crate) part: EnvPart,
    /// The value (without `[~]` and its separator); `None` when the row's Value is null
    /// or empty.
    pub(crate) value: Option<String>,
}

/// The variable's items, split at `sep` (the whole value when there is no separator).
fn items<'a>(existing: &'a str, sep: &str) -> Vec<&'a str> {
    if sep.is_empty() {
        vec![existing]
    } else {
        existing.split(sep).collect()
    }
}

/// The variable's new value after `change`, given its value now (`None`: absent); the
/// outer `None` leaves it as it is. An environment value is `REG_EXPAND_SZ` when it
/// holds a `%` reference (or already was), else `REG_SZ`.
pub(crate) fn apply(existing: Option<&Value>, change: &EnvChange) -> Option<Option<Value>> {
    let (old, expand) = match existing {
        None => (None, false),
        Some(Value::Sz(s)) => (Some(s.as_str()), false),
        Some(Value::ExpandSz(s)) => (Some(s.as_str()), true),
        // Not a string: not an environment value this action changes (as Wine does).
        Some(_) => return None,
    };
    let typed = |s: String| {
        Some(Some(if expand || s.contains('%') {
            Value::ExpandSz(s)
        } else {
            Value::Sz(s)
        }))
    };
    let value = change.value.as_deref();
    match (&change.action, &change.part) {
        (EnvAction::SetIfAbsent, _) if old.is_some() => None,
        (EnvAction::Set | EnvAction::SetIfAbsent, _) if value.is_none() => old.map(|_| None),
        (EnvAction::Set | EnvAction::SetIfAbsent, EnvPart::Whole) => {
            typed(value.unwrap_or_default().to_string())
        }
        (EnvAction::Set | EnvAction::SetIfAbsent, EnvPart::Append(sep) | EnvPart::Prepend(sep)) => {
            let v = value.unwrap_or_default();
            match old.filter(|o| !o.is_empty()) {
                None => typed(v.to_string()),
                // Already there: written once only.
                Some(o) if !sep.is_empty() && items(o, sep).contains(&v) => None,
                Some(o) if matches!(change.part, EnvPart::Append(_)) => {
                    typed(format!("{o}{sep}{v}"))
                }
                Some(o) => typed(format!("{v}{sep}{o}")),
            }
        }
        (EnvAction::Remove | EnvAction::RemoveMatching, _) => {
            let o = old?;
            match (&change.part, value) {
                (_, None) => Some(None),
                (EnvPart::Whole, Some(v)) => {
                    (change.action == EnvAction::Remove || o == v).then_some(None)
                }
                (EnvPart::Append(sep) | EnvPart::Prepend(sep), Some(v)) => {
                    let rest = if sep.is_empty() {
                        let cut = match change.part {
                            EnvPart::Append(_) => o.strip_suffix(v),
                            _ => o.strip_prefix(v),
                        };
                        cut?.to_string()
                    } else {
                        let all = items(o, sep);
                        let at = match change.part {
                            EnvPart::Append(_) => all.iter().rposition(|i| *i == v),
                            _ => all.iter().position(|i| *i == v),
                        }?;
                        let mut kept = all;
                        kept.remove(at);
                        kept.join(sep)
                    };
                    if rest.is_empty() {
                        Some(None)
                    } else {
                        typed(rest)
                    }
                }
            }
        }
    }
}
