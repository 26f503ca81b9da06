//! The rules: one function each, registered in [`RULES`] with the rule's
//! number, its usual severity and a line of help.

use crate::context::Ctx;
use crate::finding::{Finding, Severity};

mod advertising;
mod components;
mod conditions;
mod media;
mod placement;
mod platform;
mod properties;
mod references;
mod reserved;
mod sequences;
mod ui;
mod upgrade;
mod values;

/// One validation rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// `ICE03`, `RMSI01`, …
    pub id: &'static str,
    /// The severity of its findings when it has only one kind (the SARIF
    /// default level); some rules report errors and warnings both.
    pub severity: Severity,
    /// What the rule checks, in a sentence.
    pub help: &'static str,
    pub(crate) check: fn(&Ctx<'_>, &mut Vec<Finding>),
}

use Severity::{Error, Warning};

/// Every rule, in the order they run and report.
pub static RULES: &[Rule] = &[
    Rule {
        id: "ICE02",
        severity: Error,
        help: "A component's key path file or registry entry belongs to that component (the references between Component, File and Registry are reciprocal).",
        check: components::ice02,
    },
    Rule {
        id: "ICE03",
        severity: Error,
        help: "Every value fits its column's _Validation row: nullability, range, set, string length, category (Identifier, GUID, Filename, Version, Condition, Formatted, RegPath, Cabinet, Shortcut, ...) and foreign key.",
        check: values::ice03,
    },
    Rule {
        id: "ICE04",
        severity: Error,
        help: "Every file's sequence number is at most the largest LastSequence of the Media table.",
        check: media::ice04,
    },
    Rule {
        id: "ICE05",
        severity: Error,
        help: "The Property table has ProductName, ProductLanguage, ProductVersion, ProductCode and Manufacturer.",
        check: properties::ice05,
    },
    Rule {
        id: "ICE06",
        severity: Error,
        help: "Every column the _Validation rows name for a table the package has exists in that table.",
        check: values::ice06,
    },
    Rule {
        id: "ICE08",
        severity: Error,
        help: "No two components share a ComponentId GUID.",
        check: components::ice08,
    },
    Rule {
        id: "ICE09",
        severity: Warning,
        help: "Components installed into the system folder are permanent.",
        check: placement::ice09,
    },
    Rule {
        id: "ICE12",
        severity: Error,
        help: "Type 35 custom actions come after CostFinalize and type 51 actions that set a directory come before it; their directories exist.",
        check: sequences::ice12,
    },
    Rule {
        id: "ICE13",
        severity: Error,
        help: "Dialogs appear only in the UI sequence tables, never in an execute sequence.",
        check: sequences::ice13,
    },
    Rule {
        id: "ICE16",
        severity: Error,
        help: "ProductName is at most 63 characters long.",
        check: properties::ice16,
    },
    Rule {
        id: "ICE17",
        severity: Error,
        help: "Push buttons have events, bitmap and icon controls name Binary rows, list and radio button controls have their rows.",
        check: ui::ice17,
    },
    Rule {
        id: "ICE18",
        severity: Error,
        help: "A component whose key path is its folder lists that folder in the CreateFolder table.",
        check: components::ice18,
    },
    Rule {
        id: "ICE21",
        severity: Error,
        help: "Every component belongs to a feature.",
        check: components::ice21,
    },
    Rule {
        id: "ICE22",
        severity: Error,
        help: "The feature and component of each PublishComponent row are mapped in FeatureComponents.",
        check: components::ice22,
    },
    Rule {
        id: "ICE24",
        severity: Error,
        help: "ProductCode is a GUID, ProductVersion a product version, ProductLanguage a language identifier.",
        check: properties::ice24,
    },
    Rule {
        id: "ICE27",
        severity: Error,
        help: "Sequence tables hold only known actions, each in its section (Search, Costing, Selection, Execution) and in the order the standard actions require.",
        check: sequences::ice27,
    },
    Rule {
        id: "ICE30",
        severity: Error,
        help: "Two components never install the same file name into the same folder (long or short names).",
        check: placement::ice30,
    },
    Rule {
        id: "ICE32",
        severity: Error,
        help: "Foreign key columns have the type and size of the key column they refer to.",
        check: values::ice32,
    },
    Rule {
        id: "ICE33",
        severity: Warning,
        help: "Registry rows do not register classes, extensions, ProgIds, verbs, AppIds, type libraries or MIME types, which the advertising tables register (obsolete warnings, as Microsoft says).",
        check: advertising::ice33,
    },
    Rule {
        id: "ICE34",
        severity: Error,
        help: "Every radio button group has a property whose default value is one of its buttons.",
        check: ui::ice34,
    },
    Rule {
        id: "ICE36",
        severity: Warning,
        help: "Every icon of the Icon table is used by ARPPRODUCTICON or the Class, ProgId or Shortcut table.",
        check: ui::ice36,
    },
    Rule {
        id: "ICE38",
        severity: Error,
        help: "A component installed under the user's profile uses an HKCU registry key as its key path.",
        check: components::ice38,
    },
    Rule {
        id: "ICE40",
        severity: Warning,
        help: "Miscellaneous: REINSTALLMODE is not authored, RemoveIniFile Delete Tag rows name their tag, an old schema has an Error table.",
        check: properties::ice40,
    },
    Rule {
        id: "ICE43",
        severity: Error,
        help: "A component with non-advertised shortcuts in the user's profile uses an HKCU registry key as its key path.",
        check: components::ice43,
    },
    Rule {
        id: "ICE44",
        severity: Error,
        help: "NewDialog, SpawnDialog and SpawnWaitDialog control events name dialogs of the Dialog table.",
        check: ui::ice44,
    },
    Rule {
        id: "ICE46",
        severity: Warning,
        help: "Properties named in conditions and formatted text do not differ from a defined property by case only.",
        check: conditions::ice46,
    },
    Rule {
        id: "ICE48",
        severity: Warning,
        help: "No directory is set to a local drive (C:\\...) in the Property table.",
        check: properties::ice48,
    },
    Rule {
        id: "ICE50",
        severity: Error,
        help: "Advertised shortcuts' icons are .exe or .ico files whose extension matches the shortcut's target.",
        check: ui::ice50,
    },
    Rule {
        id: "ICE52",
        severity: Warning,
        help: "The properties AppSearch sets are public (all upper case).",
        check: properties::ice52,
    },
    Rule {
        id: "ICE54",
        severity: Warning,
        help: "A component's key path file does not take its version from a companion file.",
        check: components::ice54,
    },
    Rule {
        id: "ICE57",
        severity: Error,
        help: "A component does not mix per-user and per-machine data.",
        check: placement::ice57,
    },
    Rule {
        id: "ICE59",
        severity: Error,
        help: "An advertised shortcut's feature installs the shortcut's component.",
        check: components::ice59,
    },
    Rule {
        id: "ICE61",
        severity: Error,
        help: "The Upgrade table: public, secured, unique action properties; version ranges in order; no removal of this version or a newer one.",
        check: upgrade::ice61,
    },
    Rule {
        id: "ICE63",
        severity: Warning,
        help: "RemoveExistingProducts sits between InstallValidate and InstallInitialize, right after InstallInitialize or InstallExecute, or after InstallFinalize.",
        check: sequences::ice63,
    },
    Rule {
        id: "ICE64",
        severity: Error,
        help: "New folders in the user's profile are listed in the RemoveFile table.",
        check: placement::ice64,
    },
    Rule {
        id: "ICE69",
        severity: Error,
        help: "[$component] and [#file] references in a row's formatted columns name the row's own component.",
        check: references::ice69,
    },
    Rule {
        id: "ICE71",
        severity: Error,
        help: "The Media table has a row with DiskId 1.",
        check: media::ice71,
    },
    Rule {
        id: "ICE72",
        severity: Error,
        help: "AdvtExecuteSequence holds only built-in custom actions (types 19, 35 and 51).",
        check: sequences::ice72,
    },
    Rule {
        id: "ICE75",
        severity: Error,
        help: "Custom actions whose source is an installed file run after CostFinalize.",
        check: sequences::ice75,
    },
    Rule {
        id: "ICE77",
        severity: Error,
        help: "In-script (deferred) custom actions run between InstallInitialize and InstallFinalize.",
        check: sequences::ice77,
    },
    Rule {
        id: "ICE79",
        severity: Error,
        help: "Components and features named in conditions exist.",
        check: conditions::ice79,
    },
    Rule {
        id: "ICE80",
        severity: Error,
        help: "64-bit components and scripts need an Intel64, x64 or Arm64 Template and schema; 32/64-bit components use matching folders; ProductLanguage is in the Template.",
        check: platform::ice80,
    },
    Rule {
        id: "ICE82",
        severity: Warning,
        help: "No two actions share a sequence number; RegisterProduct, RegisterUser, PublishProduct and PublishFeatures are all present or all absent.",
        check: sequences::ice82,
    },
    Rule {
        id: "ICE84",
        severity: Warning,
        help: "Required standard actions carry no condition.",
        check: sequences::ice84,
    },
    Rule {
        id: "ICE86",
        severity: Warning,
        help: "Conditions test Privileged rather than AdminUser.",
        check: conditions::ice86,
    },
    Rule {
        id: "ICE87",
        severity: Warning,
        help: "Properties meant for the command line (ADDLOCAL, REMOVE, REINSTALL, ...) are not authored in the Property table.",
        check: properties::ice87,
    },
    Rule {
        id: "ICE90",
        severity: Warning,
        help: "A shortcut's folder under the user's profile is not a public property.",
        check: placement::ice90,
    },
    Rule {
        id: "ICE91",
        severity: Warning,
        help: "Files, .ini files and shortcuts are not installed into per-user-only folders, which do not follow ALLUSERS.",
        check: placement::ice91,
    },
    Rule {
        id: "ICE99",
        severity: Error,
        help: "No directory is named after a property Windows Installer reserves.",
        check: reserved::ice99,
    },
    Rule {
        id: "RMSI01",
        severity: Error,
        help: "A custom action that reads MsiRestartManagerSessionKey runs before InstallValidate, which clears the property.",
        check: sequences::rmsi01,
    },
    Rule {
        id: "RMSI02",
        severity: Warning,
        help: "MSIRESTARTMANAGERCONTROL and MSIRMSHUTDOWN hold values Windows Installer defines.",
        check: properties::rmsi02,
    },
];

/// The rule named `id` (case-insensitive).
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}
