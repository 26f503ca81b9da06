//! Rules over properties and the summary information: required and
//! well-formed product properties (ICE05, ICE16, ICE24), case-only
//! differences (ICE46), references in conditions (ICE79), the Upgrade table
//! (ICE61), the platform (ICE80), reserved names used as directories
//! (ICE99), properties that do not belong in the Property table (ICE40,
//! ICE48, ICE87), public AppSearch properties (ICE52), AdminUser in
//! conditions (ICE86) and the Restart Manager properties (RMSI02).

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::categories;
use crate::context::Ctx;
use crate::finding::{Finding, Severity};
use crate::formatted::{self, RefKind};

/// The properties Windows Installer defines ("Property Reference", every
/// section but "System Folder Properties", one line a section), and
/// CustomActionData, the example of "ICE99". SourceDir and TARGETDIR, the
/// "Component Location Properties" that name the root folder, are left out
/// with the folder properties: they are directories by design.
pub(crate) const RESERVED: &[&str] = &[
    "OriginalDatabase",
    "ParentOriginalDatabase",
    "ACTION",
    "ALLUSERS",
    "ARPAUTHORIZEDCDFPREFIX",
    "ARPCOMMENTS",
    "ARPCONTACT",
    "ARPINSTALLLOCATION",
    "ARPNOMODIFY",
    "ARPNOREMOVE",
    "ARPNOREPAIR",
    "ARPPRODUCTICON",
    "ARPREADME",
    "ARPSIZE",
    "ARPSYSTEMCOMPONENT",
    "ARPURLINFOABOUT",
    "ARPURLUPDATEINFO",
    "AVAILABLEFREEREG",
    "CCP_DRIVE",
    "DefaultUIFont",
    "DISABLEADVTSHORTCUTS",
    "DISABLEMEDIA",
    "DISABLEROLLBACK",
    "EXECUTEACTION",
    "EXECUTEMODE",
    "FASTOEM",
    "INSTALLLEVEL",
    "LIMITUI",
    "LOGACTION",
    "MEDIAPACKAGEPATH",
    "MSIARPSETTINGSIDENTIFIER",
    "MSIDISABLEEEUI",
    "MSIFASTINSTALL",
    "MSIINSTALLPERUSER",
    "MSINODISABLEMEDIA",
    "MSIENFORCEUPGRADECOMPONENTRULES",
    "MSIUNINSTALLSUPERSEDEDCOMPONENTS",
    "PRIMARYFOLDER",
    "Privileged",
    "PROMPTROLLBACKCOST",
    "REBOOT",
    "REBOOTPROMPT",
    "ROOTDRIVE",
    "SEQUENCE",
    "SHORTFILENAMES",
    "TRANSFORMS",
    "TRANSFORMSATSOURCE",
    "TRANSFORMSSECURE",
    "MsiLogFileLocation",
    "MsiLogging",
    "MSIUSEREALADMINDETECTION",
    "Date",
    "Time",
    "ADDDEFAULT",
    "ADDLOCAL",
    "ADDSOURCE",
    "ADVERTISE",
    "COMPADDDEFAULT",
    "COMPADDLOCAL",
    "COMPADDSOURCE",
    "FILEADDDEFAULT",
    "FILEADDLOCAL",
    "FILEADDSOURCE",
    "MSIDISABLELUAPATCHING",
    "MsiPatchRemovalList",
    "MSIRESTARTMANAGERCONTROL",
    "MSIDISABLERMRESTART",
    "MSIRMSHUTDOWN",
    "MSIPATCHREMOVE",
    "PATCH",
    "REINSTALL",
    "REINSTALLMODE",
    "REMOVE",
    "Alpha",
    "BorderSide",
    "BorderTop",
    "CaptionHeight",
    "ColorBits",
    "Intel",
    "Intel64",
    "Msix64",
    "PhysicalMemory",
    "ScreenX",
    "ScreenY",
    "TextHeight",
    "VirtualMemory",
    "AFTERREBOOT",
    "CostingComplete",
    "Installed",
    "MSICHECKCRCS",
    "MsiRestartManagerSessionKey",
    "MsiRunningElevated",
    "MsiSystemRebootPending",
    "MsiUIHideCancel",
    "MsiUIProgressOnly",
    "MsiUISourceResOnly",
    "NOCOMPANYNAME",
    "NOUSERNAME",
    "OutOfDiskSpace",
    "OutOfNoRbDiskSpace",
    "Preselected",
    "PrimaryVolumePath",
    "PrimaryVolumeSpaceAvailable",
    "PrimaryVolumeSpaceRemaining",
    "PrimaryVolumeSpaceRequired",
    "ProductLanguage",
    "ReplacedInUseFiles",
    "RESUME",
    "RollbackDisabled",
    "UILevel",
    "UpdateStarted",
    "UPGRADINGPRODUCTCODE",
    "VersionMsi",
    "AdminUser",
    "ComputerName",
    "MsiNetAssemblySupport",
    "MsiNTProductType",
    "MsiNTSuiteBackOffice",
    "MsiNTSuiteDataCenter",
    "MsiNTSuiteEnterprise",
    "MsiNTSuitePersonal",
    "MsiNTSuiteSmallBusiness",
    "MsiNTSuiteSmallBusinessRestricted",
    "MsiNTSuiteWebServer",
    "MsiTabletPC",
    "MsiWin32AssemblySupport",
    "OLEAdvtSupport",
    "RedirectedDllSupport",
    "RemoteAdminTS",
    "ServicePackLevel",
    "ServicePackLevelMinor",
    "SharedWindows",
    "ShellAdvtSupport",
    "SystemLanguageID",
    "TerminalServer",
    "TTCSupport",
    "Version9X",
    "VersionDatabase",
    "VersionNT",
    "VersionNT64",
    "WindowsBuild",
    "ARPHELPLINK",
    "ARPHELPTELEPHONE",
    "DiskPrompt",
    "IsAdminPackage",
    "LeftUnit",
    "Manufacturer",
    "MediaSourceDir",
    "MSIINSTANCEGUID",
    "MSINEWINSTANCE",
    "ParentProductCode",
    "PIDTemplate",
    "ProductCode",
    "ProductName",
    "ProductState",
    "ProductVersion",
    "UpgradeCode",
    "PATCHNEWPACKAGECODE",
    "PATCHNEWSUMMARYCOMMENTS",
    "PATCHNEWSUMMARYSUBJECT",
    "AdminProperties",
    "COMPANYNAME",
    "LogonUser",
    "MsiHiddenProperties",
    "PIDKEY",
    "ProductID",
    "UserLanguageID",
    "USERNAME",
    "UserSID",
    "CustomActionData",
];

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

/// A name in a condition, with its prefix: `None` for a property, `%`
/// environment, `$`/`?` component, `&`/`!` feature.
fn condition_names(text: &str) -> Vec<(Option<char>, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            i += 1;
            continue;
        }
        let prefix = matches!(c, b'%' | b'$' | b'?' | b'&' | b'!').then_some(c as char);
        let start = if prefix.is_some() { i + 1 } else { i };
        if start < b.len() && (b[start].is_ascii_alphabetic() || b[start] == b'_') {
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
                j += 1;
            }
            let word = &text[start..j];
            let keyword = ["AND", "OR", "NOT", "XOR", "EQV", "IMP"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(word));
            if prefix.is_some() || !keyword {
                out.push((prefix, word));
            }
            i = j;
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    out
}

/// Every Condition- and Formatted-category value of the package, with its
/// table, column and row key.
fn expression_cells<'p>(ctx: &Ctx<'p>) -> Vec<(&'p str, String, Vec<String>, &'p str, bool)> {
    let mut cells = Vec::new();
    for table in ctx.package.tables() {
        for (ci, column) in table.columns.iter().enumerate() {
            let Some(cat) = ctx
                .schema
                .spec(&table.name, &column.name)
                .and_then(|s| s.category.as_deref())
            else {
                continue;
            };
            let condition = cat == "Condition";
            if !condition
                && !matches!(
                    cat,
                    "Formatted" | "Template" | "KeyFormatted" | "RegPath" | "Shortcut"
                )
            {
                continue;
            }
            for row in &table.rows {
                if let Some(crate::db::Value::Str(s)) = row.get(ci) {
                    let key: Vec<String> = table
                        .columns
                        .iter()
                        .zip(row)
                        .filter(|(c, _)| c.primary_key)
                        .map(|(_, v)| v.text())
                        .collect();
                    cells.push((
                        table.name.as_str(),
                        column.name.clone(),
                        key,
                        s.as_str(),
                        condition,
                    ));
                }
            }
        }
    }
    cells
}

/// The properties a package defines: Property table, AppSearch, type 51
/// custom actions, directories, and Windows Installer's own.
fn defined_properties(ctx: &Ctx<'_>) -> HashSet<String> {
    let mut set: HashSet<String> = ctx.properties().keys().cloned().collect();
    set.extend(RESERVED.iter().map(|s| s.to_string()));
    set.extend(["SourceDir", "TARGETDIR"].map(String::from));
    for r in ctx.rows("AppSearch") {
        if let Some(p) = r.str("Property") {
            set.insert(p.to_string());
        }
    }
    for r in ctx.rows("CustomAction") {
        if r.int("Type").unwrap_or(0) & 0x3F == 51
            && let Some(p) = r.str("Source")
        {
            set.insert(p.to_string());
        }
    }
    for r in ctx.rows("Directory") {
        if let Some(p) = r.str("Directory") {
            set.insert(p.to_string());
        }
    }
    set
}

/// ICE46: a property named in a condition or formatted text that differs
/// from a defined property by case only.
pub(crate) fn ice46(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let defined = defined_properties(ctx);
    let mut by_upper: HashMap<String, Vec<&str>> = HashMap::new();
    for d in &defined {
        by_upper.entry(d.to_uppercase()).or_default().push(d);
    }
    // Property table rows that differ from another defined property by case.
    for name in ctx.properties().keys() {
        let clash = by_upper
            .get(&name.to_uppercase())
            .is_some_and(|v| v.iter().any(|o| *o != name));
        if clash {
            out.push(
                Finding::new(
                    "ICE46",
                    Severity::Warning,
                    format!(
                        "Property {name} defined in property table differs from another defined property only by case."
                    ),
                )
                .row("Property", vec![name.clone()])
                .column("Property"),
            );
        }
    }
    let mut reported = BTreeSet::new();
    for (t, c, key, text, condition) in expression_cells(ctx) {
        let names: Vec<&str> = if condition {
            condition_names(text)
                .into_iter()
                .filter(|(p, _)| p.is_none())
                .map(|(_, n)| n)
                .collect()
        } else {
            formatted::references(text)
                .into_iter()
                .filter(|r| r.kind == RefKind::Property)
                .map(|r| r.name)
                .collect()
        };
        for n in names {
            if defined.contains(n) || !by_upper.contains_key(&n.to_uppercase()) {
                continue;
            }
            if !reported.insert((t, c.clone(), key.clone(), n.to_string())) {
                continue;
            }
            out.push(
                Finding::new(
                    "ICE46",
                    Severity::Warning,
                    format!(
                        "Property '{n}' referenced in column '{t}'.'{c}' of row '{}' differs from a defined property by case only.",
                        key.join(".")
                    ),
                )
                .row(t, key.clone())
                .column(&c),
            );
        }
    }
}

/// ICE79: components and features named in conditions exist.
pub(crate) fn ice79(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let components: HashSet<&str> = ctx
        .rows("Component")
        .iter()
        .filter_map(|r| r.str("Component"))
        .collect();
    let features: HashSet<&str> = ctx
        .rows("Feature")
        .iter()
        .filter_map(|r| r.str("Feature"))
        .collect();
    for (t, c, key, text, condition) in expression_cells(ctx) {
        if !condition {
            continue;
        }
        for (prefix, name) in condition_names(text) {
            let (what, known) = match prefix {
                Some('$') | Some('?') => ("Component", components.contains(name)),
                Some('&') | Some('!') => ("Feature", features.contains(name)),
                _ => continue,
            };
            if !known {
                out.push(
                    Finding::new(
                        "ICE79",
                        Severity::Error,
                        format!(
                            "{what} '{name}' referenced in column '{t}'.'{c}' of row {} is invalid.",
                            key.join(".")
                        ),
                    )
                    .row(t, key.clone())
                    .column(&c),
                );
            }
        }
    }
}

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

/// ICE99: no directory is named after a property Windows Installer
/// reserves (the folder properties aside).
pub(crate) fn ice99(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for d in ctx.rows("Directory") {
        let Some(name) = d.str("Directory") else {
            continue;
        };
        if RESERVED.contains(&name) {
            out.push(
                Finding::new(
                    "ICE99",
                    Severity::Error,
                    format!(
                        "The directory name: {name} is the same as one of the MSI Public Properties and can cause unforeseen side effects."
                    ),
                )
                .row("Directory", d.key())
                .column("Directory"),
            );
        }
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

/// ICE86: conditions test Privileged rather than AdminUser.
pub(crate) fn ice86(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (t, c, key, text, condition) in expression_cells(ctx) {
        if condition
            && condition_names(text)
                .iter()
                .any(|(p, n)| p.is_none() && *n == "AdminUser")
        {
            out.push(
                Finding::new(
                    "ICE86",
                    Severity::Warning,
                    format!(
                        "Property `AdminUser` found in column `{t}`.`{c}` in row {}. `Privileged` property is often more appropriate.",
                        key.join(".")
                    ),
                )
                .row(t, key.clone())
                .column(&c),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_conditions() {
        let n =
            condition_names("NOT Installed AND $Comp=3 OR &Feat>2 AND P1 = \"x AND y\" AND %PATH");
        assert_eq!(
            n,
            vec![
                (None, "Installed"),
                (Some('$'), "Comp"),
                (Some('&'), "Feat"),
                (None, "P1"),
                (Some('%'), "PATH"),
            ]
        );
    }

    #[test]
    fn folder_properties_are_not_reserved_names() {
        for folder in [
            "TARGETDIR",
            "SourceDir",
            "ProgramFilesFolder",
            "AppDataFolder",
            "WindowsVolume",
        ] {
            assert!(!RESERVED.contains(&folder), "{folder}");
        }
        assert!(RESERVED.contains(&"CustomActionData"));
        assert!(RESERVED.contains(&"WindowsBuild"));
    }

    #[test]
    fn product_versions() {
        assert!(is_product_version("1.2.3"));
        assert!(is_product_version("255.255.65535.9"));
        assert!(!is_product_version("2014.1.1.4"));
        assert!(!is_product_version("1.x"));
    }
}
