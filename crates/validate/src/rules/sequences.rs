//! Rules over the sequence tables: known actions, sections and ordering
//! (ICE27), directory custom actions and costing (ICE12), dialogs (ICE13),
//! in-script and file-based custom actions (ICE75, ICE77), the place of
//! RemoveExistingProducts (ICE63), advertising
//! (ICE72), duplicate sequence numbers and the registration set (ICE82),
//! conditions on required actions (ICE84), and the seed's rule on the
//! Restart Manager session key (RMSI01).

use std::collections::{HashMap, HashSet};

use crate::context::{Ctx, Row};
use crate::finding::{Finding, Severity};
use crate::formatted;

/// The sequence tables.
pub(crate) const SEQUENCES: &[&str] = &[
    "AdminExecuteSequence",
    "AdminUISequence",
    "AdvtExecuteSequence",
    "InstallExecuteSequence",
    "InstallUISequence",
];

/// `msidbCustomActionTypeInScript`: a deferred (script) custom action.
const IN_SCRIPT: i32 = 0x400;

/// One sequence row.
#[derive(Clone)]
pub(crate) struct Step<'a> {
    pub(crate) action: &'a str,
    pub(crate) sequence: Option<i32>,
    pub(crate) condition: Option<&'a str>,
    pub(crate) row: Row<'a>,
}

/// The rows of sequence table `t`.
pub(crate) fn steps<'p>(ctx: &Ctx<'p>, t: &str) -> Vec<Step<'p>> {
    ctx.rows(t)
        .into_iter()
        .filter_map(|row| {
            Some(Step {
                action: row.str("Action")?,
                sequence: row.int("Sequence"),
                condition: row.str("Condition"),
                row,
            })
        })
        .collect()
}

fn seq_of(steps: &[Step<'_>], action: &str) -> Option<i32> {
    steps
        .iter()
        .find(|s| s.action == action)
        .and_then(|s| s.sequence)
}

/// Custom action types by name.
pub(crate) fn ca_types(ctx: &Ctx<'_>) -> HashMap<String, (i32, Option<String>, Option<String>)> {
    ctx.rows("CustomAction")
        .iter()
        .filter_map(|r| {
            Some((
                r.str("Action")?.to_string(),
                (
                    r.int("Type").unwrap_or(0),
                    r.text("Source"),
                    r.text("Target"),
                ),
            ))
        })
        .collect()
}

/// Windows Installer's standard actions ("Standard Actions Reference") that write no
/// installation script; with [`SCRIPT_ACTIONS`], every standard action.
const OTHER_STANDARD_ACTIONS: &[&str] = &[
    "ADMIN",
    "ADVERTISE",
    "AppSearch",
    "CCPSearch",
    "CostFinalize",
    "CostInitialize",
    "DisableRollback",
    "ExecuteAction",
    "FileCost",
    "FindRelatedProducts",
    "ForceReboot",
    "INSTALL",
    "InstallAdminPackage",
    "InstallExecute",
    "InstallExecuteAgain",
    "InstallFinalize",
    "InstallInitialize",
    "InstallValidate",
    "IsolateComponents",
    "LaunchConditions",
    "MigrateFeatureStates",
    "RemoveExistingProducts",
    "ResolveSource",
    "RMCCPSearch",
    "ScheduleReboot",
    "SEQUENCE",
    "SetODBCFolders",
    "ValidateProductID",
];

/// Standard actions that write the installation script: they belong
/// between InstallValidate and InstallFinalize ("ICE27": the Execution
/// section).
const SCRIPT_ACTIONS: &[&str] = &[
    "AllocateRegistrySpace",
    "BindImage",
    "CreateFolders",
    "CreateShortcuts",
    "DeleteServices",
    "DuplicateFiles",
    "InstallFiles",
    "InstallODBC",
    "InstallServices",
    "InstallSFPCatalogFile",
    "MoveFiles",
    "MsiConfigureServices",
    "MsiPublishAssemblies",
    "MsiUnpublishAssemblies",
    "PatchFiles",
    "ProcessComponents",
    "PublishComponents",
    "PublishFeatures",
    "PublishProduct",
    "RegisterClassInfo",
    "RegisterComPlus",
    "RegisterExtensionInfo",
    "RegisterFonts",
    "RegisterMIMEInfo",
    "RegisterProduct",
    "RegisterProgIdInfo",
    "RegisterTypeLibraries",
    "RegisterUser",
    "RemoveDuplicateFiles",
    "RemoveEnvironmentStrings",
    "RemoveFiles",
    "RemoveFolders",
    "RemoveIniValues",
    "RemoveODBC",
    "RemoveRegistryValues",
    "RemoveShortcuts",
    "SelfRegModules",
    "SelfUnregModules",
    "StartServices",
    "StopServices",
    "UnpublishComponents",
    "UnpublishFeatures",
    "UnregisterClassInfo",
    "UnregisterComPlus",
    "UnregisterExtensionInfo",
    "UnregisterFonts",
    "UnregisterMIMEInfo",
    "UnregisterProgIdInfo",
    "UnregisterTypeLibraries",
    "WriteEnvironmentStrings",
    "WriteIniValues",
    "WriteRegistryValues",
];

/// Whether `action` is one of Windows Installer's standard actions.
pub(crate) fn is_standard_action(action: &str) -> bool {
    SCRIPT_ACTIONS.contains(&action) || OTHER_STANDARD_ACTIONS.contains(&action)
}

/// Orderings the standard actions' "Sequence Restrictions" require:
/// the first must come before the second.
const BEFORE: &[(&str, &str)] = &[
    ("CostInitialize", "FileCost"),
    ("FileCost", "CostFinalize"),
    ("CostInitialize", "CostFinalize"),
    ("CostFinalize", "InstallValidate"),
    ("InstallValidate", "InstallInitialize"),
    ("InstallInitialize", "InstallFinalize"),
    ("AppSearch", "CCPSearch"),
    ("FindRelatedProducts", "MigrateFeatureStates"),
    ("CostFinalize", "MigrateFeatureStates"),
    ("RemoveFiles", "InstallFiles"),
    ("MoveFiles", "InstallFiles"),
    ("InstallFiles", "DuplicateFiles"),
    ("InstallFiles", "PatchFiles"),
    ("RemoveRegistryValues", "WriteRegistryValues"),
    ("RemoveIniValues", "WriteIniValues"),
    ("RemoveShortcuts", "CreateShortcuts"),
    ("RemoveFolders", "CreateFolders"),
    ("SelfUnregModules", "RemoveFiles"),
    ("InstallFiles", "SelfRegModules"),
    ("StopServices", "DeleteServices"),
    ("InstallServices", "StartServices"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Search,
    Costing,
    Selection,
    Execution,
    PostExecution,
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::Search => "Search",
            Section::Costing => "Costing",
            Section::Selection => "Selection",
            Section::Execution => "Execution",
            Section::PostExecution => "PostExecution",
        }
    }
}

/// The sections of one table, from its boundary actions.
struct Sections {
    cost_initialize: i32,
    cost_finalize: i32,
    install_validate: i32,
    install_finalize: Option<i32>,
}

impl Sections {
    fn of(steps: &[Step<'_>]) -> Option<Sections> {
        Some(Sections {
            cost_initialize: seq_of(steps, "CostInitialize")?,
            cost_finalize: seq_of(steps, "CostFinalize")?,
            install_validate: seq_of(steps, "InstallValidate")?,
            install_finalize: seq_of(steps, "InstallFinalize"),
        })
    }

    fn section(&self, seq: i32) -> Section {
        if seq < self.cost_initialize {
            Section::Search
        } else if seq <= self.cost_finalize {
            Section::Costing
        } else if seq < self.install_validate {
            Section::Selection
        } else if self.install_finalize.is_none_or(|f| seq <= f) {
            Section::Execution
        } else {
            Section::PostExecution
        }
    }
}

/// The sections a standard action may be in, when restricted.
fn allowed(action: &str) -> Option<&'static [Section]> {
    match action {
        "AppSearch" | "CCPSearch" => Some(&[Section::Search]),
        "FileCost" => Some(&[Section::Costing]),
        "SetODBCFolders" => Some(&[Section::Selection]),
        "RemoveExistingProducts" => Some(&[Section::Execution, Section::PostExecution]),
        a if SCRIPT_ACTIONS.contains(&a) => Some(&[Section::Execution]),
        _ => None,
    }
}

/// ICE27: sequence tables hold known actions, in the right sections and
/// order.
pub(crate) fn ice27(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let cas = ca_types(ctx);
    let dialogs: HashSet<&str> = ctx
        .rows("Dialog")
        .iter()
        .filter_map(|r| r.str("Dialog"))
        .collect();
    for &t in SEQUENCES {
        let steps = steps(ctx, t);
        let finding = |s: &Step<'_>, m: String| {
            Finding::new("ICE27", Severity::Error, m)
                .row(t, s.row.key())
                .column("Sequence")
        };
        for s in &steps {
            if !is_standard_action(s.action)
                && !cas.contains_key(s.action)
                && !dialogs.contains(s.action)
            {
                out.push(finding(s, format!(
                    "Unknown action: '{}' of {t} table. Not a standard action and not found in CustomAction or Dialog tables",
                    s.action
                )));
            }
        }
        if let Some(sections) = Sections::of(&steps) {
            let mut script_ops = false;
            for s in &steps {
                let Some(seq) = s.sequence.filter(|&n| n > 0) else {
                    continue;
                };
                let current = sections.section(seq);
                let deferred = cas.get(s.action).is_some_and(|c| c.0 & IN_SCRIPT != 0);
                if current == Section::Execution && (SCRIPT_ACTIONS.contains(&s.action) || deferred)
                {
                    script_ops = true;
                }
                if let Some(ok) = allowed(s.action)
                    && !ok.contains(&current)
                {
                    out.push(finding(
                        s,
                        format!(
                            "'{}' in {t} table in wrong place. Current: {}, Correct: {}",
                            s.action,
                            current.name(),
                            ok[0].name()
                        ),
                    ));
                }
            }
            let finalize = steps.iter().find(|s| s.action == "InstallFinalize");
            match (finalize, script_ops) {
                (Some(f), false) => out.push(finding(f, format!(
                    "'InstallFinalize' Action in {t} table can only be called when script operations exist to be executed"
                ))),
                (None, true) => out.push(
                    Finding::new("ICE27", Severity::Error, format!(
                        "InstallFinalize must be called in {t} table as script operations exist to be executed"
                    ))
                    .table(t),
                ),
                _ => {}
            }
        }
        for (first, second) in BEFORE {
            let (Some(a), Some(b)) = (
                steps.iter().find(|s| s.action == *first),
                steps.iter().find(|s| s.action == *second),
            ) else {
                continue;
            };
            let (Some(sa), Some(sb)) =
                (a.sequence.filter(|&n| n > 0), b.sequence.filter(|&n| n > 0))
            else {
                continue;
            };
            if sa > sb {
                out.push(finding(a, format!(
                    "Action: '{first}' in {t} table must come before the '{second}' action. Current seq#: {sa}. Dependent seq#: {sb}"
                )));
            }
        }
    }
}

/// ICE12: directory-setting custom actions and CostFinalize.
pub(crate) fn ice12(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let cas = ca_types(ctx);
    for &t in SEQUENCES {
        let steps = steps(ctx, t);
        let cf = seq_of(&steps, "CostFinalize");
        for s in &steps {
            let Some((ty, source, _)) = cas.get(s.action) else {
                continue;
            };
            let base = ty & 0x3F;
            if base != 35 && base != 51 {
                continue;
            }
            let source = source.as_deref().unwrap_or("");
            let dir = ctx.has_directory(source);
            if base == 51 && !dir {
                continue;
            }
            let finding = |m: String| {
                Finding::new("ICE12", Severity::Error, m)
                    .row(t, s.row.key())
                    .column("Sequence")
            };
            if base == 35 && !dir {
                out.push(
                    Finding::new(
                        "ICE12",
                        Severity::Error,
                        format!("Folder '{source}' not found in Directory table"),
                    )
                    .row("CustomAction", vec![s.action.to_string()])
                    .column("Source"),
                );
                continue;
            }
            let Some(cf) = cf else {
                out.push(finding(format!("CostFinalize is missing from '{t}'.")));
                continue;
            };
            let Some(seq) = s.sequence.filter(|&n| n > 0) else {
                continue;
            };
            if base == 35 && seq < cf {
                out.push(finding(format!(
                    "Sequence '{seq}' comes before CostFinalize in the {t} table. It must come after (CF@{cf})"
                )));
            } else if base == 51 && seq > cf {
                out.push(finding(format!(
                    "Sequence '{seq}' comes after CostFinalize in the {t} table. It must come before (CF@{cf})"
                )));
            }
        }
    }
}

/// ICE13: no dialogs in the execute sequences.
pub(crate) fn ice13(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let dialogs: HashSet<&str> = ctx
        .rows("Dialog")
        .iter()
        .filter_map(|r| r.str("Dialog"))
        .collect();
    for t in [
        "InstallExecuteSequence",
        "AdminExecuteSequence",
        "AdvtExecuteSequence",
    ] {
        for s in steps(ctx, t) {
            if dialogs.contains(s.action) {
                out.push(
                    Finding::new(
                        "ICE13",
                        Severity::Error,
                        format!("Dialog '{}' cannot be listed in the '{t}' table.", s.action),
                    )
                    .row(t, s.row.key())
                    .column("Action"),
                );
            }
        }
    }
}

/// ICE63: RemoveExistingProducts sits where the upgrade can work: between
/// InstallValidate and InstallInitialize, right after InstallInitialize,
/// InstallExecute or InstallExecuteAgain, or after InstallFinalize.
pub(crate) fn ice63(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let t = "InstallExecuteSequence";
    let mut steps: Vec<Step<'_>> = steps(ctx, t)
        .into_iter()
        .filter(|s| s.sequence.is_some_and(|n| n > 0))
        .collect();
    steps.sort_by_key(|s| s.sequence);
    let Some(rep) = steps
        .iter()
        .position(|s| s.action == "RemoveExistingProducts")
    else {
        return;
    };
    let Some(ii) = steps.iter().position(|s| s.action == "InstallInitialize") else {
        return;
    };
    let fi = steps.iter().position(|s| s.action == "InstallFinalize");
    if rep < ii || fi.is_some_and(|f| rep > f) {
        return;
    }
    let previous = steps[rep - 1].action;
    if matches!(
        previous,
        "InstallInitialize" | "InstallExecute" | "InstallExecuteAgain"
    ) {
        return;
    }
    out.push(
        Finding::new(
            "ICE63",
            Severity::Warning,
            "Some action falls between InstallInitialize and RemoveExistingProducts.",
        )
        .row(t, steps[rep].row.key())
        .column("Sequence"),
    );
}

/// ICE72: only built-in custom actions (types 19, 35, 51) in
/// AdvtExecuteSequence.
pub(crate) fn ice72(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let cas = ca_types(ctx);
    for s in steps(ctx, "AdvtExecuteSequence") {
        if let Some((ty, _, _)) = cas.get(s.action)
            && !matches!(ty & 0x3F, 19 | 35 | 51)
        {
            out.push(
                Finding::new(
                    "ICE72",
                    Severity::Error,
                    format!(
                        "Custom Action '{}' in the AdvtExecuteSequence table is not allowed. Only built-in custom actions are allowed.",
                        s.action
                    ),
                )
                .row("AdvtExecuteSequence", s.row.key())
                .column("Action"),
            );
        }
    }
}

/// The custom actions sequenced in each of `tables`: `check(table, its steps, step, the
/// action's type)` says what is wrong with one, if anything, and `rule` reports it as an
/// error on the step's Sequence.
fn check_custom_action_steps(
    ctx: &Ctx<'_>,
    rule: &'static str,
    tables: &[&str],
    out: &mut Vec<Finding>,
    mut check: impl FnMut(&str, &[Step<'_>], &Step<'_>, i32) -> Option<String>,
) {
    let cas = ca_types(ctx);
    for &t in tables {
        let steps = steps(ctx, t);
        for s in &steps {
            let Some(&(ty, _, _)) = cas.get(s.action) else {
                continue;
            };
            if let Some(message) = check(t, &steps, s, ty) {
                out.push(
                    Finding::new(rule, Severity::Error, message)
                        .row(t, s.row.key())
                        .column("Sequence"),
                );
            }
        }
    }
}

/// ICE75: custom actions whose source is an installed file run after
/// CostFinalize.
pub(crate) fn ice75(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let tables = [
        "InstallUISequence",
        "InstallExecuteSequence",
        "AdminUISequence",
        "AdminExecuteSequence",
    ];
    check_custom_action_steps(ctx, "ICE75", &tables, out, |t, steps, s, ty| {
        if !matches!(ty & 0x3F, 17 | 18 | 21 | 22) {
            return None;
        }
        match seq_of(steps, "CostFinalize") {
            None => Some(format!(
                "CostFinalize is missing from '{t}'. {} is a custom action whose source is an installed file. It must be sequenced after the CostFinalize action.",
                s.action
            )),
            Some(cf) if s.sequence.is_some_and(|n| n > 0 && n < cf) => Some(format!(
                "{} is a custom action whose source is an installed file. It must be sequenced after the CostFinalize action in the {t} table",
                s.action
            )),
            _ => None,
        }
    });
}

/// ICE77: in-script custom actions run between InstallInitialize and
/// InstallFinalize.
pub(crate) fn ice77(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let tables = ["InstallExecuteSequence", "AdminExecuteSequence"];
    check_custom_action_steps(ctx, "ICE77", &tables, out, |t, steps, s, ty| {
        if ty & IN_SCRIPT == 0 {
            return None;
        }
        let seq = s.sequence.filter(|&n| n > 0)?;
        let a = s.action;
        match (
            seq_of(steps, "InstallInitialize"),
            seq_of(steps, "InstallFinalize"),
        ) {
            (None, _) => Some(format!(
                "InstallInitialize is missing from '{t}'. {a} is a in-script custom action. It must be sequenced after the InstallInitialize action."
            )),
            (_, None) => Some(format!(
                "InstallFinalize is missing from '{t}'. {a} is a in-script custom action. It must be sequenced before the InstallFinalize action."
            )),
            (Some(ii), Some(fi)) if seq < ii || seq > fi => Some(format!(
                "{a} is a in-script custom action. It must be sequenced in between the InstallInitialize action and the InstallFinalize action in the {t} Sequence table."
            )),
            _ => None,
        }
    });
}

/// ICE82: no two actions share a sequence number; the four registration
/// actions are all present or all absent.
pub(crate) fn ice82(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for &t in SEQUENCES {
        let mut seen: HashMap<i32, &str> = HashMap::new();
        let mut steps = steps(ctx, t);
        steps.sort_by(|a, b| a.sequence.cmp(&b.sequence).then(a.action.cmp(b.action)));
        for s in &steps {
            let Some(n) = s.sequence.filter(|&n| n > 0) else {
                continue;
            };
            if seen.insert(n, s.action).is_some() {
                out.push(
                    Finding::new(
                        "ICE82",
                        Severity::Warning,
                        format!(
                            "This action {} has duplicate sequence number {n} in the table {t}",
                            s.action
                        ),
                    )
                    .row(t, s.row.key())
                    .column("Sequence"),
                );
            }
        }
    }
    if ctx.table("InstallExecuteSequence").is_none() {
        return;
    }
    let steps = steps(ctx, "InstallExecuteSequence");
    let set = [
        ("PublishFeatures", "Publish Features"),
        ("PublishProduct", "Publish Product"),
        ("RegisterProduct", "Register Product"),
        ("RegisterUser", "Register User"),
    ];
    let (present, missing): (Vec<_>, Vec<_>) = set
        .iter()
        .partition(|(a, _)| steps.iter().any(|s| s.action == *a));
    let names = |v: &[&(&str, &str)]| v.iter().map(|(_, n)| *n).collect::<Vec<_>>().join("\n");
    if present.is_empty() {
        out.push(
            Finding::new(
                "ICE82",
                Severity::Warning,
                format!(
                    "The InstallExecuteSequence table does not contain the set of actions mentioned below: Actions Missing:\n{}",
                    names(&missing)
                ),
            )
            .table("InstallExecuteSequence"),
        );
    } else if !missing.is_empty() {
        out.push(
            Finding::new(
                "ICE82",
                Severity::Error,
                format!(
                    "The InstallExecuteSequence should either contain all of the actions mentioned below or none of them Actions Present\n{}\nActions Missing:\n{}",
                    names(&present),
                    names(&missing)
                ),
            )
            .table("InstallExecuteSequence"),
        );
    }
}

/// ICE84: required actions carry no condition.
pub(crate) fn ice84(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    const REQUIRED: &[&str] = &[
        "CostInitialize",
        "CostFinalize",
        "FileCost",
        "InstallValidate",
        "InstallInitialize",
        "InstallFinalize",
        "ProcessComponents",
        "PublishFeatures",
        "PublishProduct",
        "RegisterProduct",
        "UnpublishFeatures",
    ];
    for t in [
        "AdvtExecuteSequence",
        "AdminExecuteSequence",
        "InstallExecuteSequence",
    ] {
        for s in steps(ctx, t) {
            if REQUIRED.contains(&s.action) && s.condition.is_some_and(|c| !c.trim().is_empty()) {
                out.push(
                    Finding::new(
                        "ICE84",
                        Severity::Warning,
                        format!(
                            "Action '{}' found in {t} table is a required action with a condition.",
                            s.action
                        ),
                    )
                    .row(t, s.row.key())
                    .column("Condition"),
                );
            }
        }
    }
}

/// The property Windows Installer sets at initialization and clears in
/// InstallValidate ("MsiRestartManagerSessionKey property").
const SESSION_KEY: &str = "MsiRestartManagerSessionKey";

fn names_session_key(text: Option<&str>) -> bool {
    text.is_some_and(|t| {
        formatted::references(t)
            .iter()
            .any(|r| r.kind == formatted::RefKind::Property && r.name == SESSION_KEY)
            || t == SESSION_KEY
    })
}

/// RMSI01: a custom action that reads MsiRestartManagerSessionKey (in its
/// Source or Target, or in the CustomActionData a type 51 action gives it)
/// runs at or after InstallValidate, where the property is already empty.
pub(crate) fn rmsi01(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    /// How an action reads the key.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Reads {
        /// Its own Source or Target formats the property.
        Directly,
        /// A type 51 action formats it into the action's CustomActionData.
        ThroughData,
    }
    let cas = ca_types(ctx);
    let mut readers: HashMap<String, Reads> = HashMap::new();
    for (name, (ty, source, target)) in &cas {
        // A type 51 whose Source is an action sets that action's
        // CustomActionData: the action needs what the type 51 formats.
        if ty & 0x3F == 51 {
            if names_session_key(target.as_deref()) {
                readers.insert(name.clone(), Reads::Directly);
                if let Some(src) = source
                    && cas.contains_key(src)
                {
                    readers.entry(src.clone()).or_insert(Reads::ThroughData);
                }
            }
            continue;
        }
        if names_session_key(source.as_deref()) || names_session_key(target.as_deref()) {
            readers.insert(name.clone(), Reads::Directly);
        }
    }
    for t in ["InstallExecuteSequence", "InstallUISequence"] {
        let steps = steps(ctx, t);
        // In the UI sequence the property is cleared by the execute
        // sequence's InstallValidate, which runs at ExecuteAction.
        let Some(iv) =
            seq_of(&steps, "InstallValidate").or_else(|| seq_of(&steps, "ExecuteAction"))
        else {
            continue;
        };
        for s in &steps {
            let Some(&reads) = readers.get(s.action) else {
                continue;
            };
            let Some(seq) = s.sequence.filter(|&n| n >= iv) else {
                continue;
            };
            let how = match reads {
                Reads::Directly => "reads MsiRestartManagerSessionKey",
                Reads::ThroughData => {
                    "gets MsiRestartManagerSessionKey through its CustomActionData"
                }
            };
            out.push(
                Finding::new(
                    "RMSI01",
                    Severity::Error,
                    format!(
                        "Custom action '{}' {how} but is sequenced at {seq} in {t}, at or after InstallValidate ({iv}): Windows Installer clears the property during InstallValidate, and custom actions that need the Restart Manager session key must come before it.",
                        s.action
                    ),
                )
                .row(t, s.row.key())
                .column("Sequence"),
            );
        }
    }
}
