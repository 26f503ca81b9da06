//! The property store, and the standard properties set at initialization.
//!
//! [`Properties`] holds the installation's properties (names are
//! case-sensitive; a property set to "" does not exist), reports every
//! change to an optional hook so the log can print `PROPERTY CHANGE:` lines,
//! and is what conditions and formatted strings read: it implements
//! [`msi_expr::Lookup`] over the properties, the environment, and — once
//! costing has run — feature and component states and `[#file]`, `[!file]`
//! and `[$component]` paths ([`StateView`], filled from the cost plan).
//!
//! [`initialize`] sets the standard properties ("Property Reference") in this
//! order: Property table, then the installer's environment properties,
//! then the command line (public names only, uppercased; not over the
//! environment's), then `ALLUSERS=2` resolution.
//!
//! ## The documented Windows this engine reports
//!
//! Windows-version properties describe **64-bit Windows 7 SP1**, so launch
//! conditions written for Windows pass or fail as they would there:
//! `VersionNT=601`, `VersionNT64=601`, `WindowsBuild=7601`,
//! `ServicePackLevel=1`, `MsiNTProductType=1` (workstation), `VersionMsi=5.00`
//! (the installer that shipped with Windows 7), `Intel=6`, `Msix64=6`,
//! `MsiAMD64=6` (processor level 6 on an x64 processor).
//!
//! `Privileged`, `AdminUser` and `MsiRunningElevated` are `1` when the
//! effective uid is 0 or the target root is not `/`: a caller installing
//! into its own root owns that tree as an elevated installer owns `C:`.
//! `UserSID` is `S-1-22-1-<uid>`, the SID that Samba maps Unix user ids to.
//! `Date` and `Time` are read fresh on every lookup, in UTC (`MM/DD/YYYY`,
//! `HH:MM:SS`).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use msi_expr::{ConditionResult, InstallState, Lookup};

use crate::error::Result;
use crate::layout::{Account, Layout};
use package::Package;

/// One property change, as the log reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyChange {
    /// The property.
    pub name: String,
    /// The value before (`None`: it did not exist).
    pub old: Option<String>,
    /// The value after (`None`: it was deleted).
    pub new: Option<String>,
    /// Whether the property is hidden (`MsiHiddenProperties`): the log
    /// prints `**********` for its values.
    pub hidden: bool,
}

impl PropertyChange {
    /// The log text after `PROPERTY CHANGE: ` ("How To Read A Windows Installer
    /// Verbose Log"):
    /// `Adding X property. Its value is 'v'.`,
    /// `Modifying X property. Its current value is 'a'. Its new value: 'b'.`,
    /// `Deleting X property. Its current value is 'a'.`
    pub fn log_text(&self) -> String {
        let show = |v: &str| {
            if self.hidden {
                "**********".to_string()
            } else {
                v.to_string()
            }
        };
        match (&self.old, &self.new) {
            (None, Some(new)) => format!(
                "Adding {} property. Its value is '{}'.",
                self.name,
                show(new)
            ),
            (Some(old), Some(new)) => format!(
                "Modifying {} property. Its current value is '{}'. Its new value: '{}'.",
                self.name,
                show(old),
                show(new)
            ),
            (Some(old), None) => format!(
                "Deleting {} property. Its current value is '{}'.",
                self.name,
                show(old)
            ),
            (None, None) => String::new(),
        }
    }
}

/// A hook called after each property change.
pub type ChangeHook = Box<dyn FnMut(&PropertyChange) + Send>;

/// Feature and component states and target paths, as conditions and
/// formatted strings see them once costing has run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateView {
    /// Feature → (installed, action).
    pub features: HashMap<String, (InstallState, InstallState)>,
    /// Component → (installed, action).
    pub components: HashMap<String, (InstallState, InstallState)>,
    /// File key → full target path (`[#key]`).
    pub file_paths: HashMap<String, String>,
    /// Component → its folder ending with `/` (`[$key]`).
    pub component_dirs: HashMap<String, String>,
}

/// The installation's properties.
///
/// Invariants: no property has an empty value (setting "" deletes it);
/// names are kept exactly as given (case-sensitive).
#[derive(Default)]
pub struct Properties {
    values: BTreeMap<String, String>,
    hook: Option<ChangeHook>,
    states: StateView,
    /// How the target's paths are written in values (folder properties, `[#file]`).
    style: crate::layout::PathStyle,
}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Properties")
            .field("values", &self.values)
            .field("states", &self.states)
            .finish()
    }
}

impl Properties {
    /// An empty store.
    pub fn new() -> Properties {
        Properties::default()
    }

    /// Installs the hook called after every change (replacing any other).
    pub fn set_hook(&mut self, hook: ChangeHook) {
        self.hook = Some(hook);
    }

    /// Removes the change hook.
    pub fn clear_hook(&mut self) {
        self.hook = None;
    }

    /// A property's value; `Date` and `Time` are computed when not set.
    pub fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        if let Some(v) = self.values.get(name) {
            return Some(Cow::Borrowed(v.as_str()));
        }
        match name {
            "Date" => Some(Cow::Owned(clock::date_now())),
            "Time" => Some(Cow::Owned(clock::time_now())),
            _ => None,
        }
    }

    /// A property's stored value (no computed `Date`/`Time`).
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Whether the property is set.
    pub fn contains(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// Sets a property; an empty value deletes it. Returns the change, if
    /// the value changed (the hook has seen it too).
    pub fn set(&mut self, name: &str, value: &str) -> Option<PropertyChange> {
        if value.is_empty() {
            return self.remove(name);
        }
        let old = self.values.get(name);
        if old.map(String::as_str) == Some(value) {
            return None;
        }
        let old = self.values.insert(name.to_string(), value.to_string());
        self.report(name, old, Some(value.to_string()))
    }

    /// Deletes a property. Returns the change, if it existed.
    pub fn remove(&mut self, name: &str) -> Option<PropertyChange> {
        let old = self.values.remove(name)?;
        self.report(name, Some(old), None)
    }

    fn report(
        &mut self,
        name: &str,
        old: Option<String>,
        new: Option<String>,
    ) -> Option<PropertyChange> {
        let change = PropertyChange {
            name: name.to_string(),
            old,
            new,
            hidden: self.is_hidden(name),
        };
        if let Some(hook) = self.hook.as_mut() {
            hook(&change);
        }
        Some(change)
    }

    /// All properties, sorted by name (the `Property(S):` dump order).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether a property's value must not be logged: it is listed in
    /// `MsiHiddenProperties` (`;`-separated).
    pub fn is_hidden(&self, name: &str) -> bool {
        self.values
            .get("MsiHiddenProperties")
            .is_some_and(|list| list.split(';').any(|n| n.trim() == name))
    }

    /// Replaces the feature/component states and paths conditions see (the paths written
    /// in the target's [path style](Properties::set_path_style)).
    pub fn set_states(&mut self, mut states: StateView) {
        if self.style != crate::layout::PathStyle::Host {
            for text in states
                .file_paths
                .values_mut()
                .chain(states.component_dirs.values_mut())
            {
                *text = self.style.convert_text(text);
            }
        }
        self.states = states;
    }

    /// Sets how the target's paths are written in values: host paths, or a Wine prefix's
    /// `C:\` paths.
    pub fn set_path_style(&mut self, style: crate::layout::PathStyle) {
        self.style = style;
    }

    /// How the target's paths are written in values.
    pub fn path_style(&self) -> &crate::layout::PathStyle {
        &self.style
    }

    /// The current states.
    pub fn states(&self) -> &StateView {
        &self.states
    }

    /// Formats a Formatted column value against this store.
    pub fn format(&self, template: &str) -> String {
        msi_expr::format_string(template, self)
    }

    /// Evaluates a condition against this store.
    pub fn evaluate(&self, condition: &str) -> ConditionResult {
        msi_expr::evaluate_condition(condition, self)
    }

    /// A folder property as a path (its trailing `/` dropped), if set.
    pub fn folder(&self, name: &str) -> Option<PathBuf> {
        self.get_str(name).map(PathBuf::from)
    }
}

/// Whether a property name is public: it has no lowercase letter.
pub fn is_public(name: &str) -> bool {
    !name.chars().any(|c| c.is_lowercase())
}

impl Lookup for Properties {
    fn property(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get(name)
    }

    fn feature_state(&self, name: &str) -> Option<(InstallState, InstallState)> {
        self.states.features.get(name).copied()
    }

    fn component_state(&self, name: &str) -> Option<(InstallState, InstallState)> {
        self.states.components.get(name).copied()
    }

    fn file_path(&self, key: &str) -> Option<Cow<'_, str>> {
        self.states
            .file_paths
            .get(key)
            .map(|p| Cow::Borrowed(p.as_str()))
    }

    fn component_directory(&self, key: &str) -> Option<Cow<'_, str>> {
        self.states
            .component_dirs
            .get(key)
            .map(|p| Cow::Borrowed(p.as_str()))
    }
}

/// The UI level of an installation ("User Interface Levels"; the `UILevel` property's value),
/// without modifier bits. The variants are in increasing order of interaction, so `>=` asks
/// "at least this much UI".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UiLevel {
    /// `INSTALLUILEVEL_NONE` (2), `/qn`: silent.
    None,
    /// `INSTALLUILEVEL_BASIC` (3), `/qb`: progress only.
    Basic,
    /// `INSTALLUILEVEL_REDUCED` (4), `/qr`: reduced.
    Reduced,
    /// `INSTALLUILEVEL_FULL` (5), `/qf`: full.
    Full,
}

impl UiLevel {
    /// The `UILevel` property value.
    pub fn value(self) -> u32 {
        match self {
            UiLevel::None => 2,
            UiLevel::Basic => 3,
            UiLevel::Reduced => 4,
            UiLevel::Full => 5,
        }
    }
}

/// Everything [`initialize`] needs besides the package.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The target root (absolute).
    pub root: PathBuf,
    /// Its layout.
    pub layout: Layout,
    /// The UI level.
    pub ui_level: UiLevel,
    /// `NAME=VALUE` pairs from the command line, in order (names are
    /// uppercased; an empty value clears the property).
    pub command_line: Vec<(String, String)>,
    /// Whether the product is already installed in this root (from the
    /// product registry): sets `Installed` and `ProductState`.
    pub installed: bool,
    /// The account the installation runs as.
    pub account: Account,
    /// A Wine prefix's own folders, per user and per machine, relative to its `drive_c`
    /// (read from its registry by [`crate::wine::folders`]); `None`: the layout's.
    pub wine_folders: Option<crate::layout::WineFolders>,
}

impl InitOptions {
    /// The standard folders, relative to the root.
    fn folders(&self, per_machine: bool) -> Vec<(&'static str, PathBuf)> {
        match &self.wine_folders {
            Some(lists) => lists[usize::from(per_machine)].clone(),
            None => self.layout.folders(&self.account, per_machine),
        }
    }

    /// The program-files folders of a dual-purpose package installed per user (see
    /// [`Layout::per_user_program_folders`]). In a Wine prefix they are under the prefix's
    /// own per-user LocalAppDataFolder (FOLDERID_UserProgramFiles is
    /// `%LOCALAPPDATA%\Programs`, "KNOWNFOLDERID"), never a second `Users` folder beside
    /// Wine's `users`.
    fn per_user_program_folders(&self) -> Vec<(&'static str, PathBuf)> {
        let local = self.wine_folders.as_ref().and_then(|lists| {
            lists[0]
                .iter()
                .find(|(name, _)| *name == "LocalAppDataFolder")
                .map(|(_, rel)| rel.clone())
        });
        let Some(local) = local else {
            return self.layout.per_user_program_folders(&self.account);
        };
        crate::layout::user_program_folders(local.join("Programs"))
    }
}

impl InitOptions {
    /// Options for `root` and `layout` with the current account, no
    /// command-line properties, not installed, UI level None.
    pub fn new(root: impl Into<PathBuf>, layout: Layout) -> InitOptions {
        InitOptions {
            root: root.into(),
            layout,
            ui_level: UiLevel::None,
            command_line: Vec::new(),
            installed: false,
            account: Account::current(),
            wine_folders: None,
        }
    }
}

/// The state-request properties: any of them on the command line sets
/// `Preselected=1` ("Preselected property").
pub const STATE_REQUEST_PROPERTIES: [&str; 12] = [
    "ADDLOCAL",
    "REMOVE",
    "ADDSOURCE",
    "ADDDEFAULT",
    "REINSTALL",
    "ADVERTISE",
    "COMPADDLOCAL",
    "COMPADDSOURCE",
    "COMPADDDEFAULT",
    "FILEADDLOCAL",
    "FILEADDSOURCE",
    "FILEADDDEFAULT",
];

/// Installer-set public properties the command line cannot override
/// ("properties specified by the operating environment", "Public Properties").
const ENVIRONMENT_PUBLIC: [&str; 1] = ["DATABASE"];

/// Sets the standard properties for an installation of `package` ("Property
/// Reference"). Changes go through the hook, so a log attached
/// before sees every `PROPERTY CHANGE`.
pub fn initialize(props: &mut Properties, package: &Package, opts: &InitOptions) -> Result<()> {
    // 1. The Property table.
    for row in package.properties()? {
        props.set(&row.name, &row.value);
    }

    // 2. Environment properties.
    let root = &opts.root;
    props.set_path_style(opts.layout.path_style(root));
    let style = opts.layout.path_style(root);
    let per_machine_hint = props.get_str("ALLUSERS").is_some();
    let privileged = opts.account.uid == 0 || root != Path::new("/");
    for (name, value) in environment(package, opts, privileged, per_machine_hint) {
        // ROOTDRIVE only when the package did not author it.
        if name == "ROOTDRIVE" && props.contains("ROOTDRIVE") {
            continue;
        }
        props.set(name, &value);
    }

    // 4. The command line: public names, uppercased; not over the
    //    environment's own public properties.
    let mut preselected = false;
    for (name, value) in &opts.command_line {
        let name = name.to_uppercase();
        if ENVIRONMENT_PUBLIC.contains(&name.as_str()) {
            continue;
        }
        if STATE_REQUEST_PROPERTIES.contains(&name.as_str()) {
            preselected = true;
        }
        props.set(&name, value);
    }
    if preselected {
        props.set("Preselected", "1");
    }

    // 5. Defaults and ALLUSERS resolution.
    if !props.contains("ACTION") {
        props.set("ACTION", "INSTALL");
    }
    if !props.contains("INSTALLLEVEL") {
        props.set("INSTALLLEVEL", "1");
    }
    let mut dual_purpose_per_user = false;
    if props.get_str("ALLUSERS") == Some("2") {
        let asked = props.get_str("MSIINSTALLPERUSER") == Some("1");
        if asked || !privileged {
            props.remove("ALLUSERS");
            dual_purpose_per_user = asked;
        } else {
            props.set("ALLUSERS", "1");
        }
    }
    // The shell folders depend on the final ALLUSERS.
    let per_machine = props.contains("ALLUSERS");
    if per_machine != per_machine_hint {
        for (name, rel) in opts.folders(per_machine) {
            if name != "ROOTDRIVE" {
                props.set(name, &style.folder_text(&root.join(rel)));
            }
        }
    }
    if dual_purpose_per_user {
        for (name, rel) in opts.per_user_program_folders() {
            props.set(name, &style.folder_text(&root.join(rel)));
        }
    }
    Ok(())
}

/// The environment properties, in the order they are set.
fn environment(
    package: &Package,
    opts: &InitOptions,
    privileged: bool,
    per_machine: bool,
) -> Vec<(&'static str, String)> {
    let mut env = system_properties(opts, privileged, per_machine);
    let package_path = package.path().to_string_lossy().into_owned();
    env.push(("DATABASE", package_path.clone()));
    env.push(("OriginalDatabase", package_path));
    // SourceDir and SOURCEDIR stay unset until ResolveSource, ProcessComponents or
    // InstallFiles sets them ("SourceDir property"), as Windows Installer leaves them.
    if let Some(code) = &package.summary().revision {
        env.push(("PackageCode", code.clone()));
    }
    if let Some(pages) = package.summary().page_count {
        env.push(("VersionDatabase", pages.to_string()));
    }
    env
}

/// The properties the installer sets at initialization that depend on no package: the
/// folders of `opts.layout` under `opts.root`, the documented Windows version, the user,
/// the machine, the UI level, the product state, `Date` and `Time`.
///
/// This is what a freshly opened package holds besides its own Property table, so tools
/// that evaluate expressions without a package (`rmsi condition`, `rmsi format`) see the
/// same values an install would. Folders are per-user, as when `ALLUSERS` is not set.
pub fn machine_properties(opts: &InitOptions) -> Vec<(&'static str, String)> {
    let privileged = opts.account.uid == 0 || opts.root != Path::new("/");
    system_properties(opts, privileged, false)
}

fn system_properties(
    opts: &InitOptions,
    privileged: bool,
    per_machine: bool,
) -> Vec<(&'static str, String)> {
    let mut env: Vec<(&'static str, String)> = Vec::new();
    let root = &opts.root;
    let style = opts.layout.path_style(root);
    for (name, rel) in opts.folders(per_machine) {
        env.push((name, style.folder_text(&root.join(rel))));
    }
    let os = [
        ("VersionNT", "601"),
        ("VersionNT64", "601"),
        ("WindowsBuild", "7601"),
        ("ServicePackLevel", "1"),
        ("ServicePackLevelMinor", "0"),
        ("MsiNTProductType", "1"),
        ("VersionMsi", "5.00"),
        ("Intel", "6"),
        ("Msix64", "6"),
        ("MsiAMD64", "6"),
        ("UserLanguageID", "1033"),
        ("SystemLanguageID", "1033"),
        ("ShellAdvtSupport", "1"),
        ("OLEAdvtSupport", "1"),
    ];
    env.extend(os.iter().map(|(k, v)| (*k, v.to_string())));
    env.push(("UILevel", opts.ui_level.value().to_string()));
    if privileged {
        for name in ["Privileged", "AdminUser", "MsiRunningElevated"] {
            env.push((name, "1".into()));
        }
    }
    env.push(("LogonUser", opts.account.name.clone()));
    env.push(("UserSID", format!("S-1-22-1-{}", opts.account.uid)));
    env.push(("ComputerName", computer_name()));
    if let Some(kib) = physical_memory_mib() {
        env.push(("PhysicalMemory", kib.to_string()));
    }
    env.push((
        "ProductState",
        if opts.installed { "5" } else { "-1" }.into(),
    ));
    if opts.installed {
        env.push(("Installed", "1".into()));
    }
    env.push(("Date", clock::date_now()));
    env.push(("Time", clock::time_now()));
    env
}

fn computer_name() -> String {
    fs_err::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn physical_memory_mib() -> Option<u64> {
    let meminfo = fs_err::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// `Date` and `Time` in local time, read from the log's clock.
mod clock {
    use crate::log::Clock;

    /// `MM/DD/YYYY` (the documented short-date example, `06/22/2005`).
    pub(super) fn date_now() -> String {
        let c = Clock::now();
        format!("{:02}/{:02}/{:04}", c.month, c.day, c.year)
    }

    /// `HH:MM:SS`, 24-hour.
    pub(super) fn time_now() -> String {
        Clock::now().hms()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn set_get_remove_and_empty_deletes() {
        let mut p = Properties::new();
        let c = p.set("A", "1").unwrap();
        assert_eq!(c.log_text(), "Adding A property. Its value is '1'.");
        assert!(p.set("A", "1").is_none());
        let c = p.set("A", "2").unwrap();
        assert_eq!(
            c.log_text(),
            "Modifying A property. Its current value is '1'. Its new value: '2'."
        );
        let c = p.set("A", "").unwrap();
        assert_eq!(
            c.log_text(),
            "Deleting A property. Its current value is '2'."
        );
        assert!(!p.contains("A"));
        assert!(p.remove("A").is_none());
        p.set("a", "lower");
        assert!(p.get("A").is_none(), "names are case-sensitive");
    }

    #[test]
    fn hook_sees_changes_and_hidden_values_are_masked() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut p = Properties::new();
        let sink = seen.clone();
        p.set_hook(Box::new(move |c| sink.lock().unwrap().push(c.log_text())));
        p.set("MsiHiddenProperties", "SECRET;OTHER");
        p.set("SECRET", "pw");
        p.remove("SECRET");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(
            seen[1],
            "Adding SECRET property. Its value is '**********'."
        );
        assert_eq!(
            seen[2],
            "Deleting SECRET property. Its current value is '**********'."
        );
    }

    #[test]
    fn lookup_reads_properties_states_and_paths() {
        let mut p = Properties::new();
        p.set("VersionNT", "601");
        let mut states = StateView::default();
        states
            .features
            .insert("F".into(), (InstallState::Absent, InstallState::Local));
        states
            .file_paths
            .insert("f1".into(), "/r/opt/App/a.txt".into());
        p.set_states(states);
        assert_eq!(p.evaluate("VersionNT >= 601"), ConditionResult::True);
        assert_eq!(p.evaluate("&F = 3"), ConditionResult::True);
        assert_eq!(p.evaluate("!F = 2"), ConditionResult::True);
        assert_eq!(p.format("[#f1]"), "/r/opt/App/a.txt");
        assert_eq!(p.format("v[VersionNT]"), "v601");
        assert!(is_public("INSTALLDIR"));
        assert!(!is_public("InstallDir"));
    }

    #[test]
    fn date_and_time_are_computed() {
        let p = Properties::new();
        let date = p.get("Date").unwrap();
        assert_eq!(date.len(), 10);
        assert_eq!(&date[2..3], "/");
        let time = p.get("Time").unwrap();
        assert_eq!(time.len(), 8);
        assert_eq!(&time[2..3], ":");
    }
}
