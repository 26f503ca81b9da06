//! COM classes and file associations: RegisterClassInfo, RegisterProgIdInfo,
//! RegisterExtensionInfo, RegisterMIMEInfo and their Unregister actions, from the Class,
//! AppId, ProgId, Extension, Verb and MIME tables ("Class table", "AppId table", "ProgId
//! table", "Extension table", "Verb table", "MIME table", and each action's page); what they
//! share with RegisterTypeLibraries ([`super::type_libraries`]).
//!
//! What registers: the rows whose feature (their Feature_, or the feature of the class or
//! extension they belong to) is set to be installed, run from source or advertised
//! ("RegisterClassInfo action", "RegisterExtensionInfo action"); a ProgId when its class
//! registers, with the version-independent ProgIds naming it as their parent, or, without a
//! class, when an Extension row naming it, with at least one verb, registers ("ProgId
//! table"); a MIME row when its extension registers. What unregisters: the same rows when
//! their feature is removed, and every row when the whole product goes, unless their
//! component stays for another product or is Permanent ("Sharing Components Between
//! Products").
//!
//! The keys go under `Software\Classes` of `HKEY_LOCAL_MACHINE` per-machine and of
//! `HKEY_CURRENT_USER` per-user (which `HKEY_CLASSES_ROOT` merges, "Merged View of
//! HKEY_CLASSES_ROOT"), in the view of the component's bitness ([`component_view`]: the
//! WOW64 rules then put a 32-bit class under `Wow6432Node\CLSID`). Each value is a
//! [`RegChange`] applied when the installation commits, in the transaction that records the
//! product; an Unregister action deletes each value the Register action wrote only while it
//! still holds what this product wrote (another product that registered the same extension
//! since keeps it), and the keys left empty with it.
//!
//! A class or verb carries the product's Darwin descriptor (a REG_MULTI_SZ value named
//! after the class's context, and `command` under a verb), with which Windows' COM and shell
//! ask the installer for the feature (install on demand); the server's path is written
//! only when the feature is installed, not when it is only advertised. The icons a
//! DefaultIcon value names are placed with the product's other icons
//! (`[WindowsFolder]Installer\[ProductCode]`, as CreateShortcuts places them), and removed
//! when the product goes.

use std::collections::{BTreeMap, HashMap, HashSet};

use msi_expr::InstallState;
use winreg::{Root, Value, View};

use crate::cost::ComponentPlan;
use crate::sequence::ActionResult;
use crate::session::Session;
use crate::winstate::{RegChange, component_view};

use super::table_rows::Row;

/// Where the classes of `HKEY_CLASSES_ROOT` are written.
pub(super) const CLASSES: &str = r"Software\Classes";

/// `msidbClassAttributesRelativePath`: the server is registered by its file name only.
const CLASS_RELATIVE_PATH: i32 = 1;

/// One value a registration writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) view: View,
    pub(super) root: Root,
    /// The key below the root (`Software\Classes\...`).
    pub(super) key: String,
    /// `None`: the default value.
    pub(super) name: Option<String>,
    pub(super) value: Value,
}

/// How a feature's rows take part in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    /// Installed (locally or to run from source): everything is written.
    Install,
    /// Advertised: written without the server's path.
    Advertise,
    /// Removed: what was written goes.
    Remove,
}

/// What the actions decide with: the plan's features and components, the components a removal
/// keeps, and where the classes go.
pub(super) struct Selection {
    pub(super) features: HashMap<String, (InstallState, InstallState)>,
    pub(super) components: HashMap<String, ComponentPlan>,
    pub(super) kept: HashSet<String>,
    /// The whole product goes (its features' installed states aside: an advertised
    /// feature's may not have been kept).
    pub(super) product_removed: bool,
    /// A reinstall rewrites what is already registered only with REINSTALLMODE `m`
    /// ("REINSTALLMODE property": rewrite Class, Verb, ProgID, MIME, Extension, AppID
    /// information and run RegisterTypeLibraries); a first install always writes.
    pub(super) rewrite: bool,
    pub(super) root: Root,
    pub(super) layout: crate::layout::Layout,
    pub(super) product: String,
}

impl Selection {
    pub(super) fn new(s: &Session<'_, '_>) -> crate::error::Result<Selection> {
        let plan = s.ctx.plan();
        let features = plan
            .map(|p| {
                p.features
                    .iter()
                    .map(|f| (f.feature.clone(), (f.installed, f.action)))
                    .collect()
            })
            .unwrap_or_default();
        let components = plan
            .map(|p| {
                p.components
                    .iter()
                    .map(|c| (c.component.clone(), c.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Selection {
            features,
            components,
            kept: s.ctx.components_kept_on_removal()?,
            product_removed: s.ctx.product_removed(),
            rewrite: s.prop("REINSTALL").is_none()
                || s.prop("REINSTALLMODE")
                    .is_some_and(|m| m.to_ascii_lowercase().contains('m')),
            root: if s.ctx.per_machine() {
                Root::LocalMachine
            } else {
                Root::CurrentUser
            },
            layout: s.request.layout,
            product: s.prop("ProductCode").unwrap_or_default(),
        })
    }

    /// What happens to the rows of `feature` provided by `component` in this run.
    pub(super) fn fate(&self, feature: &str, component: &str) -> Option<Fate> {
        let &(installed, action) = self.features.get(feature)?;
        let comp = self.components.get(component)?;
        let present = |state: InstallState| {
            matches!(
                state,
                InstallState::Local | InstallState::Source | InstallState::Advertised
            )
        };
        if !self.rewrite && present(installed) && present(action) {
            return None;
        }
        match action {
            InstallState::Local | InstallState::Source if comp.enabled => Some(Fate::Install),
            InstallState::Advertised if comp.enabled => Some(Fate::Advertise),
            InstallState::Absent
                if matches!(
                    installed,
                    InstallState::Local | InstallState::Source | InstallState::Advertised
                ) && !self.kept.contains(component) =>
            {
                Some(Fate::Remove)
            }
            _ if self.product_removed && !self.kept.contains(component) => Some(Fate::Remove),
            _ => None,
        }
    }

    /// The view `component` writes in.
    pub(super) fn view(&self, component: &str) -> View {
        let attributes = self.components.get(component).map_or(0, |c| c.attributes);
        component_view(self.layout, attributes)
    }

    /// The Darwin descriptor of `feature` and `component` (its ComponentId).
    fn descriptor(&self, feature: &str, component: &str) -> Option<String> {
        let id = self.components.get(component)?.component_id.as_deref()?;
        shell::lnk::darwin_descriptor(&self.product, feature, id)
    }

    /// A value under `root`'s `Software\Classes` in `component`'s view.
    fn class_entry(&self, component: &str, key: &str, name: Option<&str>, value: Value) -> Entry {
        Entry {
            view: self.view(component),
            root: self.root,
            key: format!(r"{CLASSES}\{key}"),
            name: name.map(str::to_string),
            value,
        }
    }
}

pub(super) fn sz(text: &str) -> Value {
    Value::Sz(text.to_string())
}

/// The key file of `component`: its path as installed.
pub(super) fn key_file(s: &Session<'_, '_>, sel: &Selection, component: &str) -> Option<String> {
    let key = sel.components.get(component)?.key_path.clone()?;
    s.ctx.file_path(&key).map(|p| p.display().to_string())
}

/// A DefaultIcon value: the icon's file where the installer keeps the product's icons
/// (`[WindowsFolder]Installer\[ProductCode]`), with the icon index when there is one.
fn icon_value(s: &Session<'_, '_>, icon: &str, index: Option<i32>) -> Option<String> {
    let path = super::shortcuts::icon_path(s, icon)?.display().to_string();
    Some(match index {
        Some(i) => format!("{path},{i}"),
        None => path,
    })
}

/// Places the Icon table's `icons` a registration names (unless this installation places
/// them already, for a shortcut), or, when the whole product goes, removes them.
fn icons(s: &mut Session<'_, '_>, icons: &[String], remove: bool) -> crate::error::Result<()> {
    for icon in icons {
        let Some(path) = super::shortcuts::icon_path(s, icon) else {
            continue;
        };
        if !remove {
            if !s.ctx.planned_targets().contains(&path) {
                super::shortcuts::write_icon(s, icon)?;
            }
        } else if s.ctx.product_removed() && !s.is_protected(&path) {
            s.log.engine(&format!(
                "Executing op: IconRemove(Icon={icon}) [{}]",
                path.display()
            ));
            let rel = s.rel(&path)?;
            s.stage()?.remove(rel)?;
        }
    }
    Ok(())
}

/// PublishProduct's icon: ARPPRODUCTICON's Icon row, placed where the installer keeps the
/// product's icons (the registration's DisplayIcon and ProductIcon name it), or removed
/// when the whole product goes.
pub(crate) fn product_icon(s: &mut Session<'_, '_>) -> ActionResult {
    let Some(icon) = s.prop("ARPPRODUCTICON").filter(|i| !i.is_empty()) else {
        return ActionResult::Success;
    };
    let remove = s.ctx.product_removed();
    if let Err(e) = icons(s, &[icon], remove) {
        return s.fail(e);
    }
    ActionResult::Success
}

/// Queues `entries`: written by a Register action, deleted (when still as written) by an
/// Unregister action.
pub(super) fn push(s: &mut Session<'_, '_>, entries: Vec<Entry>, remove: bool) {
    for e in entries {
        s.ctx.push_reg(if remove {
            RegChange::DeleteOwnValue {
                view: e.view,
                root: e.root,
                key: e.key,
                name: e.name,
                value: e.value,
            }
        } else {
            RegChange::Set {
                view: e.view,
                root: e.root,
                key: e.key,
                name: e.name,
                value: e.value,
            }
        });
    }
}

// ===== Class and AppId ===== //

/// A Class row.
struct Class {
    clsid: String,
    context: String,
    component: String,
    progid: Option<String>,
    description: Option<String>,
    appid: Option<String>,
    file_type_mask: Option<String>,
    icon: Option<String>,
    icon_index: Option<i32>,
    handler: Option<String>,
    argument: Option<String>,
    feature: String,
    attributes: i32,
}

fn classes(s: &Session<'_, '_>) -> Vec<Class> {
    Row::all(s.package.table("Class"))
        .iter()
        .filter_map(|r| {
            Some(Class {
                clsid: r.text("CLSID")?,
                context: r.text("Context")?,
                component: r.text("Component_")?,
                progid: r.text("ProgId_Default"),
                description: r.text("Description"),
                appid: r.text("AppId_"),
                file_type_mask: r.text("FileTypeMask"),
                icon: r.text("Icon_"),
                icon_index: r.int("IconIndex"),
                handler: r.text("DefInprocHandler"),
                argument: r.text("Argument"),
                feature: r.text("Feature_")?,
                attributes: r.int("Attributes").unwrap_or(0),
            })
        })
        .collect()
}

/// The version-independent ProgId of `progid`: the ProgId row naming it as its parent.
fn version_independent(s: &Session<'_, '_>, progid: &str) -> Option<String> {
    Row::all(s.package.table("ProgId"))
        .iter()
        .find(|r| r.text("ProgId_Parent").as_deref() == Some(progid))
        .and_then(|r| r.text("ProgId"))
}

/// The values of a class (and of its AppId) under `HKEY_CLASSES_ROOT`.
fn class_entries(s: &Session<'_, '_>, sel: &Selection, c: &Class, fate: Fate) -> Vec<Entry> {
    let clsid = &c.clsid;
    let mut out = Vec::new();
    let mut add = |key: String, name: Option<&str>, value: Value| {
        out.push(sel.class_entry(&c.component, &key, name, value));
    };
    let base = format!(r"CLSID\{clsid}");
    if let Some(d) = &c.description {
        add(base.clone(), None, sz(d));
    }
    let server = format!(r"{base}\{}", c.context);
    let argument = c
        .argument
        .as_deref()
        .map(|a| s.format(a))
        .filter(|a| !a.is_empty());
    let with_argument = |text: String| match &argument {
        Some(a) => format!("{text} {a}"),
        None => text,
    };
    if fate != Fate::Advertise
        && let Some(path) = key_file(s, sel, &c.component)
    {
        let path = if c.attributes & CLASS_RELATIVE_PATH != 0 {
            path.rsplit(['/', '\\']).next().unwrap_or(&path).to_string()
        } else {
            path
        };
        add(server.clone(), None, sz(&with_argument(path)));
    }
    if let Some(d) = sel.descriptor(&c.feature, &c.component) {
        add(
            server,
            Some(&c.context),
            Value::MultiSz(vec![with_argument(d)]),
        );
    }
    if let Some(p) = &c.progid {
        add(format!(r"{base}\ProgID"), None, sz(p));
        if let Some(vi) = version_independent(s, p) {
            add(format!(r"{base}\VersionIndependentProgID"), None, sz(&vi));
        }
    }
    if let Some(icon) = c
        .icon
        .as_deref()
        .and_then(|i| icon_value(s, i, c.icon_index))
    {
        add(format!(r"{base}\DefaultIcon"), None, sz(&icon));
    }
    // DefInprocHandler: 1 the 16-bit system handler, 2 the 32-bit one, 3 both; any other
    // text is the 32-bit handler's file ("Class table").
    match c.handler.as_deref() {
        None => {}
        Some(h @ ("1" | "2" | "3")) => {
            if h != "2" {
                add(format!(r"{base}\InprocHandler"), None, sz("ole2.dll"));
            }
            if h != "1" {
                add(format!(r"{base}\InprocHandler32"), None, sz("ole32.dll"));
            }
        }
        Some(file) => add(format!(r"{base}\InprocHandler32"), None, sz(file)),
    }
    if let Some(mask) = &c.file_type_mask {
        for (i, pattern) in mask.split(';').filter(|p| !p.is_empty()).enumerate() {
            add(format!(r"FileType\{clsid}\{i}"), None, sz(pattern));
        }
    }
    if let Some(appid) = &c.appid {
        add(base.clone(), Some("AppID"), sz(appid));
        out.extend(appid_entries(s, sel, &c.component, appid));
    }
    out
}

/// The AppId row's values under `AppID\{appid}` ("AppId table": no default value).
fn appid_entries(s: &Session<'_, '_>, sel: &Selection, component: &str, appid: &str) -> Vec<Entry> {
    let rows = Row::all(s.package.table("AppId"));
    let Some(r) = rows.iter().find(|r| {
        r.text("AppId")
            .is_some_and(|a| a.eq_ignore_ascii_case(appid))
    }) else {
        return Vec::new();
    };
    let key = format!(r"AppID\{appid}");
    let mut values: Vec<(&str, String)> = Vec::new();
    if let Some(v) = r.text("RemoteServerName") {
        values.push(("RemoteServerName", s.format(&v)));
    }
    for column in ["LocalService", "ServiceParameters", "DllSurrogate"] {
        if let Some(v) = r.text(column) {
            values.push((column, v));
        }
    }
    if r.int("ActivateAtStorage").is_some_and(|v| v != 0) {
        values.push(("ActivateAtStorage", "Y".into()));
    }
    if r.int("RunAsInteractiveUser").is_some_and(|v| v != 0) {
        values.push(("RunAs", "Interactive User".into()));
    }
    values
        .into_iter()
        .map(|(name, v)| sel.class_entry(component, &key, Some(name), sz(&v)))
        .collect()
}

/// RegisterClassInfo and UnregisterClassInfo.
fn class_info(s: &mut Session<'_, '_>, remove: bool) -> ActionResult {
    let sel = match Selection::new(s) {
        Ok(c) => c,
        Err(e) => return s.fail(e),
    };
    let mut used: Vec<String> = Vec::new();
    for c in classes(s) {
        let Some(fate) = sel.fate(&c.feature, &c.component) else {
            continue;
        };
        if (fate == Fate::Remove) != remove {
            continue;
        }
        if let Some(icon) = c.icon.clone().filter(|i| !used.contains(i)) {
            used.push(icon);
        }
        s.log.engine(&format!(
            "Executing op: {}(Feature={},Component={},ClsId={},ProgId={},Description={},Context={},AppID={},FileTypeMask={},Icon={},IconIndex={},DefInprocHandler={},Argument={})",
            if remove { "RegClassInfoUnregister" } else { "RegClassInfoRegister" },
            c.feature,
            c.component,
            c.clsid,
            c.progid.as_deref().unwrap_or(""),
            c.description.as_deref().unwrap_or(""),
            c.context,
            c.appid.as_deref().unwrap_or(""),
            c.file_type_mask.as_deref().unwrap_or(""),
            c.icon.as_deref().unwrap_or(""),
            c.icon_index.map(|i| i.to_string()).unwrap_or_default(),
            c.handler.as_deref().unwrap_or(""),
            c.argument.as_deref().unwrap_or(""),
        ));
        let entries = class_entries(s, &sel, &c, fate);
        push(s, entries, remove);
    }
    if let Err(e) = icons(s, &used, remove) {
        return s.fail(e);
    }
    ActionResult::Success
}

/// RegisterClassInfo.
pub(crate) fn register_class_info(s: &mut Session<'_, '_>) -> ActionResult {
    class_info(s, false)
}

/// UnregisterClassInfo.
pub(crate) fn unregister_class_info(s: &mut Session<'_, '_>) -> ActionResult {
    class_info(s, true)
}

// ===== ProgId ===== //

/// A ProgId row.
struct ProgId {
    progid: String,
    parent: Option<String>,
    class: Option<String>,
    description: Option<String>,
    icon: Option<String>,
    icon_index: Option<i32>,
}

fn progids(s: &Session<'_, '_>) -> Vec<ProgId> {
    Row::all(s.package.table("ProgId"))
        .iter()
        .filter_map(|r| {
            Some(ProgId {
                progid: r.text("ProgId")?,
                parent: r.text("ProgId_Parent"),
                class: r.text("Class_"),
                description: r.text("Description"),
                icon: r.text("Icon_"),
                icon_index: r.int("IconIndex"),
            })
        })
        .collect()
}

/// The ProgIds this run registers (or removes), each with the component whose view it is
/// written in: those of the classes whose fate is `wanted`, with their version-independent
/// ProgIds, and the class-less ProgIds of the extensions with a verb whose fate is
/// `wanted` ("ProgId table").
fn selected_progids(
    s: &Session<'_, '_>,
    sel: &Selection,
    all: &[ProgId],
    remove: bool,
) -> BTreeMap<String, String> {
    let wanted = |fate: Option<Fate>| fate.is_some_and(|f| (f == Fate::Remove) == remove);
    let mut out = BTreeMap::new();
    let classes = classes(s);
    for p in all.iter().filter(|p| p.parent.is_none()) {
        let component = match &p.class {
            Some(clsid) => classes
                .iter()
                .find(|c| {
                    c.clsid.eq_ignore_ascii_case(clsid)
                        && wanted(sel.fate(&c.feature, &c.component))
                })
                .map(|c| c.component.clone()),
            None => extensions(s)
                .into_iter()
                .find(|e| {
                    e.progid.as_deref() == Some(p.progid.as_str())
                        && !verbs(s, &e.extension).is_empty()
                        && wanted(sel.fate(&e.feature, &e.component))
                })
                .map(|e| e.component),
        };
        let Some(component) = component else {
            continue;
        };
        if p.class.is_some() {
            for vi in all
                .iter()
                .filter(|v| v.parent.as_deref() == Some(p.progid.as_str()))
            {
                out.insert(vi.progid.clone(), component.clone());
            }
        }
        out.insert(p.progid.clone(), component);
    }
    out
}

/// The values of a ProgId: its description, CLSID, DefaultIcon and, version-independent,
/// its current version (CurVer) and the class of that version.
fn progid_entries(
    s: &Session<'_, '_>,
    sel: &Selection,
    all: &[ProgId],
    p: &ProgId,
    component: &str,
) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut add = |key: String, name: Option<&str>, value: Value| {
        out.push(sel.class_entry(component, &key, name, value));
    };
    let key = &p.progid;
    if let Some(d) = &p.description {
        add(key.clone(), None, sz(d));
    }
    let parent = p
        .parent
        .as_deref()
        .and_then(|parent| all.iter().find(|q| q.progid == parent));
    let class = p
        .class
        .as_deref()
        .or(parent.and_then(|q| q.class.as_deref()));
    if let Some(clsid) = class {
        add(format!(r"{key}\CLSID"), None, sz(clsid));
    }
    if let Some(icon) = p
        .icon
        .as_deref()
        .and_then(|i| icon_value(s, i, p.icon_index))
    {
        add(format!(r"{key}\DefaultIcon"), None, sz(&icon));
    }
    if let Some(parent) = parent {
        add(format!(r"{key}\CurVer"), None, sz(&parent.progid));
    }
    out
}

/// RegisterProgIdInfo and UnregisterProgIdInfo.
fn progid_info(s: &mut Session<'_, '_>, remove: bool) -> ActionResult {
    let sel = match Selection::new(s) {
        Ok(c) => c,
        Err(e) => return s.fail(e),
    };
    let all = progids(s);
    let mut used: Vec<String> = Vec::new();
    for (progid, component) in selected_progids(s, &sel, &all, remove) {
        let Some(p) = all.iter().find(|p| p.progid == progid) else {
            continue;
        };
        if let Some(icon) = p.icon.clone().filter(|i| !used.contains(i)) {
            used.push(icon);
        }
        s.log.engine(&format!(
            "Executing op: {}(ProgId={},Class={},Description={},Icon={},IconIndex={})",
            if remove {
                "RegProgIdInfoUnregister"
            } else {
                "RegProgIdInfoRegister"
            },
            p.progid,
            p.class.as_deref().unwrap_or(""),
            p.description.as_deref().unwrap_or(""),
            p.icon.as_deref().unwrap_or(""),
            p.icon_index.map(|i| i.to_string()).unwrap_or_default(),
        ));
        let entries = progid_entries(s, &sel, &all, p, &component);
        push(s, entries, remove);
    }
    if let Err(e) = icons(s, &used, remove) {
        return s.fail(e);
    }
    ActionResult::Success
}

/// RegisterProgIdInfo.
pub(crate) fn register_progid_info(s: &mut Session<'_, '_>) -> ActionResult {
    progid_info(s, false)
}

/// UnregisterProgIdInfo.
pub(crate) fn unregister_progid_info(s: &mut Session<'_, '_>) -> ActionResult {
    progid_info(s, true)
}

// ===== Extension and Verb ===== //

/// An Extension row.
struct Extension {
    extension: String,
    component: String,
    progid: Option<String>,
    mime: Option<String>,
    feature: String,
}

fn extensions(s: &Session<'_, '_>) -> Vec<Extension> {
    Row::all(s.package.table("Extension"))
        .iter()
        .filter_map(|r| {
            Some(Extension {
                extension: r.text("Extension")?,
                component: r.text("Component_")?,
                progid: r.text("ProgId_"),
                mime: r.text("MIME_"),
                feature: r.text("Feature_")?,
            })
        })
        .collect()
}

/// A Verb row.
struct Verb {
    verb: String,
    sequence: Option<i32>,
    command: Option<String>,
    argument: Option<String>,
}

/// The verbs of `extension`, in table order.
fn verbs(s: &Session<'_, '_>, extension: &str) -> Vec<Verb> {
    Row::all(s.package.table("Verb"))
        .iter()
        .filter(|r| r.text("Extension_").as_deref() == Some(extension))
        .filter_map(|r| {
            Some(Verb {
                verb: r.text("Verb")?,
                sequence: r.int("Sequence"),
                command: r.text("Command"),
                argument: r.text("Argument"),
            })
        })
        .collect()
}

/// The values of an extension and of its verbs (under its ProgId's `shell` key).
fn extension_entries(
    s: &Session<'_, '_>,
    sel: &Selection,
    e: &Extension,
    fate: Fate,
) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut add = |key: String, name: Option<&str>, value: Value| {
        out.push(sel.class_entry(&e.component, &key, name, value));
    };
    let ext = format!(".{}", e.extension);
    if let Some(p) = &e.progid {
        add(ext.clone(), None, sz(p));
    }
    if let Some(m) = &e.mime {
        add(ext, Some("Content Type"), sz(m));
    }
    let Some(progid) = &e.progid else {
        return out;
    };
    let path = if fate == Fate::Advertise {
        None
    } else {
        key_file(s, sel, &e.component)
    };
    let descriptor = sel.descriptor(&e.feature, &e.component);
    let mut verbs = verbs(s, &e.extension);
    // Only the verbs with a Sequence make the shell key's ordered list, the lowest first
    // (the default verb) ("Verb table").
    let mut ordered: Vec<(i32, String)> = verbs
        .iter()
        .filter_map(|v| v.sequence.map(|n| (n, v.verb.clone())))
        .collect();
    ordered.sort();
    if !ordered.is_empty() {
        let list: Vec<String> = ordered.into_iter().map(|(_, v)| v).collect();
        add(format!(r"{progid}\shell"), None, sz(&list.join(",")));
    }
    for v in verbs.drain(..) {
        let key = format!(r"{progid}\shell\{}", v.verb);
        if let Some(c) = v.command.as_deref().map(|c| s.format(c)) {
            add(key.clone(), None, sz(&c));
        }
        let argument = v
            .argument
            .as_deref()
            .map(|a| s.format(a))
            .filter(|a| !a.is_empty());
        let with_argument = |text: String| match &argument {
            Some(a) => format!("{text} {a}"),
            None => text,
        };
        let command = format!(r"{key}\command");
        if let Some(p) = &path {
            add(
                command.clone(),
                None,
                sz(&with_argument(format!("\"{p}\""))),
            );
        }
        if let Some(d) = &descriptor {
            add(
                command,
                Some("command"),
                Value::MultiSz(vec![with_argument(d.clone())]),
            );
        }
    }
    out
}

/// RegisterExtensionInfo and UnregisterExtensionInfo.
fn extension_info(s: &mut Session<'_, '_>, remove: bool) -> ActionResult {
    let sel = match Selection::new(s) {
        Ok(c) => c,
        Err(e) => return s.fail(e),
    };
    for e in extensions(s) {
        let Some(fate) = sel.fate(&e.feature, &e.component) else {
            continue;
        };
        if (fate == Fate::Remove) != remove {
            continue;
        }
        s.log.engine(&format!(
            "Executing op: {}(Feature={},Component={},Extension={},ProgId={},ContentType={})",
            if remove {
                "RegExtensionInfoUnregister"
            } else {
                "RegExtensionInfoRegister"
            },
            e.feature,
            e.component,
            e.extension,
            e.progid.as_deref().unwrap_or(""),
            e.mime.as_deref().unwrap_or(""),
        ));
        let entries = extension_entries(s, &sel, &e, fate);
        push(s, entries, remove);
    }
    ActionResult::Success
}

/// RegisterExtensionInfo.
pub(crate) fn register_extension_info(s: &mut Session<'_, '_>) -> ActionResult {
    extension_info(s, false)
}

/// UnregisterExtensionInfo.
pub(crate) fn unregister_extension_info(s: &mut Session<'_, '_>) -> ActionResult {
    extension_info(s, true)
}

// ===== MIME ===== //

/// RegisterMIMEInfo and UnregisterMIMEInfo: `MIME\Database\Content Type\<type>` with the
/// extension (with its dot) and the CLSID, for the MIME rows whose extension registers.
fn mime_info(s: &mut Session<'_, '_>, remove: bool) -> ActionResult {
    let sel = match Selection::new(s) {
        Ok(c) => c,
        Err(e) => return s.fail(e),
    };
    let exts = extensions(s);
    let rows: Vec<(String, String, Option<String>)> = Row::all(s.package.table("MIME"))
        .iter()
        .filter_map(|r| {
            Some((
                r.text("ContentType")?,
                r.text("Extension_")?,
                r.text("CLSID"),
            ))
        })
        .collect();
    for (content_type, extension, clsid) in rows {
        let Some(e) = exts.iter().find(|e| e.extension == extension) else {
            continue;
        };
        let Some(fate) = sel.fate(&e.feature, &e.component) else {
            continue;
        };
        if (fate == Fate::Remove) != remove {
            continue;
        }
        s.log.engine(&format!(
            "Executing op: {}(ContentType={content_type},Extension={extension},ClsId={})",
            if remove {
                "RegMIMEInfoUnregister"
            } else {
                "RegMIMEInfoRegister"
            },
            clsid.as_deref().unwrap_or("")
        ));
        let key = format!(r"MIME\Database\Content Type\{content_type}");
        let mut entries = vec![sel.class_entry(
            &e.component,
            &key,
            Some("Extension"),
            sz(&format!(".{extension}")),
        )];
        if let Some(c) = clsid {
            entries.push(sel.class_entry(&e.component, &key, Some("CLSID"), sz(&c)));
        }
        push(s, entries, remove);
    }
    ActionResult::Success
}

/// RegisterMIMEInfo.
pub(crate) fn register_mime_info(s: &mut Session<'_, '_>) -> ActionResult {
    mime_info(s, false)
}

/// UnregisterMIMEInfo.
pub(crate) fn unregister_mime_info(s: &mut Session<'_, '_>) -> ActionResult {
    mime_info(s, true)
}
