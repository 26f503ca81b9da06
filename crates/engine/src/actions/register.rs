//! What ProcessComponents, RegisterUser, RegisterProduct, PublishFeatures and
//! PublishProduct leave in the registry, as Windows Installer leaves it ("Uninstall
//! Registry Key", "Required ARP Properties", "Configuring Add/Remove Programs with Windows
//! Installer", "ProcessComponents Action", "PublishProduct Action", "PublishFeatures
//! Action"):
//!
//! * RegisterProduct: the Add/Remove Programs entry `…\CurrentVersion\Uninstall\{ProductCode}`
//!   (in the view the package's platform selects: `Wow6432Node` for an Intel package on the
//!   `windows` layout), and `Installer\UserData\<SID>\Products\<packed>\InstallProperties`
//!   with the same values and the cached package (`LocalPackage`);
//! * RegisterUser: `RegOwner`, `RegCompany` and `ProductID` in `InstallProperties`;
//! * ProcessComponents: `Installer\UserData\<SID>\Components\<packed component>`, a value per
//!   client product (its packed code) holding the component's key path — the null GUID
//!   as an extra client for a Permanent component;
//! * PublishFeatures: `Installer\Features\<packed>` (each feature and its parent, an absent
//!   one marked absent) and `UserData\<SID>\Products\<packed>\Features` (an installed
//!   feature's components, compressed GUIDs);
//! * PublishProduct: `Installer\Products\<packed>` (name, package code, language, version,
//!   assignment, source list) and `Installer\UpgradeCodes\<packed upgrade code>`; and the
//!   product's patches, where `MsiEnumPatches` and `MsiGetPatchInfoEx` read them
//!   ("MsiGetPatchInfoEx function"): `Installer\Products\<packed>\Patches` (`Patches`, the
//!   packed patch codes, and each patch's transforms), `UserData\<SID>\Products\<packed>\Patches`
//!   (`AllPatches`, and a key per patch with its State, Uninstallable, Installed date,
//!   DisplayName and MoreInfoURL) and `UserData\<SID>\Patches\<packed patch>` (its
//!   `LocalPackage`, the engine's cached `.msp`).
//!
//! Per-machine the `SID` is `S-1-5-18` and `Installer\Products`, `Features` and
//! `UpgradeCodes` are under `HKLM\Software\Classes`; per-user they are under
//! `HKCU\Software\Microsoft\Installer`, with the user's SID. Everything is built from the
//! product's final record when the installation commits, and removed with the product.

use std::collections::{BTreeMap, BTreeSet};

use winreg::{Root, Value, View, pack_guid};

use crate::actions::Context;
use crate::layout::Layout;
use crate::registry::ProductRecord;
use crate::tables::component::{ATTR_64BIT, ATTR_PERMANENT, ATTR_REGISTRY_KEY_PATH};
use crate::winstate::{MACHINE_SID, RegChange, base85_guid, package_view};
use package::Package;

/// `msidbComponentAttributesSharedDllRefCount`.
const ATTR_SHARED_DLL_REF_COUNT: i32 = 0x0008;

/// The client a Permanent component is registered for: the null GUID, packed.
const PERMANENT_CLIENT: &str = "00000000000000000000000000000000";

/// `HKLM\…\SharedDLLs`: a count per shared file ("SharedDllRefCount", Component table).
pub(crate) const SHARED_DLLS: &str = r"Software\Microsoft\Windows\CurrentVersion\SharedDLLs";

const UNINSTALL: &str = r"Software\Microsoft\Windows\CurrentVersion\Uninstall";
const USER_DATA: &str = r"Software\Microsoft\Windows\CurrentVersion\Installer\UserData";

/// A patch of the product, as PublishProduct registers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatchRegistration {
    /// `{GUID}`.
    pub(crate) code: String,
    pub(crate) display_name: String,
    /// `MSIPATCHSTATE`: 1 applied, 2 superseded, 4 obsoleted; 8 (registered, not applied)
    /// for a patch that no longer applies.
    pub(crate) state: u32,
    /// Its `MsiPatchMetadata` AllowRemoval.
    pub(crate) uninstallable: bool,
    /// Its transforms as its summary lists them (`:RTM.1;:#RTM.1`).
    pub(crate) transforms: String,
    pub(crate) more_info_url: String,
}

impl PatchRegistration {
    /// The registration of `patch` in the state [`crate::patches`] gave it.
    pub(crate) fn of(patch: &package::Patch, state: &str) -> PatchRegistration {
        PatchRegistration {
            code: patch.code().to_ascii_uppercase(),
            display_name: patch.display_name(),
            state: match state {
                "applied" => 1,
                "superseded" => 2,
                "obsoleted" => 4,
                _ => 8,
            },
            uninstallable: patch.allows_removal(),
            transforms: patch
                .summary()
                .transforms
                .iter()
                .map(|t| format!(":{t}"))
                .collect::<Vec<_>>()
                .join(";"),
            more_info_url: patch
                .metadata_value("MoreInfoURL")
                .unwrap_or_default()
                .to_string(),
        }
    }
}

/// Where a product's keys are, for its installation context.
struct Places {
    /// `HKLM` per-machine, `HKCU` per-user.
    root: Root,
    /// `Software\Classes\Installer` per-machine, `Software\Microsoft\Installer` per-user.
    installer: &'static str,
    /// The `UserData` SID.
    sid: String,
    /// The Uninstall entry's view.
    arp_view: View,
}

fn places(per_machine: bool, layout: Layout, template: &str, user_sid: String) -> Places {
    Places {
        root: if per_machine {
            Root::LocalMachine
        } else {
            Root::CurrentUser
        },
        installer: if per_machine {
            r"Software\Classes\Installer"
        } else {
            r"Software\Microsoft\Installer"
        },
        sid: if per_machine {
            MACHINE_SID.to_string()
        } else {
            user_sid
        },
        arp_view: package_view(layout, template),
    }
}

/// The keys a product owns outright (deleted whole with it).
fn product_keys(p: &Places, code: &str, packed: &str) -> Vec<(View, Root, String)> {
    vec![
        (p.arp_view, p.root, format!(r"{UNINSTALL}\{code}")),
        (
            View::Native64,
            Root::LocalMachine,
            format!(r"{USER_DATA}\{}\Products\{packed}", p.sid),
        ),
        (
            View::Native64,
            p.root,
            format!(r"{}\Products\{packed}", p.installer),
        ),
        (
            View::Native64,
            p.root,
            format!(r"{}\Features\{packed}", p.installer),
        ),
    ]
}

/// The product's packed code, or `None` when `ProductCode` is not a GUID (then nothing is
/// registered, as Windows refuses such a package).
fn packed(code: &str) -> Option<String> {
    pack_guid(code).ok()
}

/// A version's DWORD as the Uninstall key keeps it: major in the top byte, minor in the
/// next, build in the low word.
fn version_dword(version: &str) -> (u32, u32, u32) {
    let mut parts = version
        .split('.')
        .map(|p| p.trim().parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0) & 0xff;
    let minor = parts.next().unwrap_or(0) & 0xff;
    let build = parts.next().unwrap_or(0) & 0xffff;
    ((major << 24) | (minor << 16) | build, major, minor)
}

/// The changes that register `record` (see the module documentation); `previous` is the
/// product's record before this run (a maintenance run), whose registration is replaced.
/// `actions` are the registration actions that ran.
pub(crate) fn registration(
    ctx: &Context,
    package: &Package,
    record: &ProductRecord,
    previous: Option<&ProductRecord>,
    actions: &BTreeSet<&'static str>,
) -> Vec<RegChange> {
    let mut out = Vec::new();
    let code = record.product_code.to_ascii_uppercase();
    let Some(packed_code) = packed(&code) else {
        return out;
    };
    let per_machine = ctx.per_machine();
    let p = places(
        per_machine,
        ctx.layout(),
        &package.summary().template,
        ctx.user_sid(),
    );
    // A maintenance run registers the product afresh.
    if let Some(prev) = previous {
        out.extend(unregistration(ctx, prev));
    }
    let prop = |n: &str| ctx.property(n).filter(|v| !v.is_empty());
    let sz = |v: &str| Value::Sz(v.to_string());
    if actions.contains("RegisterProduct") {
        let (version, major, minor) = version_dword(&record.version);
        let language = record
            .language
            .as_deref()
            .and_then(|l| l.trim().parse::<u32>().ok())
            .unwrap_or(0);
        let uninstall = if prop("ARPNOMODIFY").is_some() {
            format!("MsiExec.exe /X{code}")
        } else {
            format!("MsiExec.exe /I{code}")
        };
        let size_kb = prop("ARPSIZE")
            .and_then(|s| s.trim().parse::<u32>().ok())
            .unwrap_or_else(|| estimated_kb(ctx));
        let mut values: Vec<(&str, Value)> = vec![
            (
                "AuthorizedCDFPrefix",
                sz(&prop("ARPAUTHORIZEDCDFPREFIX").unwrap_or_default()),
            ),
            ("Comments", sz(&prop("ARPCOMMENTS").unwrap_or_default())),
            ("Contact", sz(&prop("ARPCONTACT").unwrap_or_default())),
            ("DisplayVersion", sz(&record.version)),
            ("HelpLink", sz(&prop("ARPHELPLINK").unwrap_or_default())),
            (
                "HelpTelephone",
                sz(&prop("ARPHELPTELEPHONE").unwrap_or_default()),
            ),
            ("InstallDate", sz(&crate::log::Clock::now().yyyymmdd())),
            (
                "InstallLocation",
                sz(&prop("ARPINSTALLLOCATION").unwrap_or_default()),
            ),
            (
                "InstallSource",
                sz(&ctx.source_text(&prop("SourceDir").unwrap_or_default())),
            ),
            (
                "ModifyPath",
                Value::ExpandSz(format!("MsiExec.exe /I{code}")),
            ),
            (
                "Publisher",
                sz(&record.manufacturer.clone().unwrap_or_default()),
            ),
            ("Readme", sz(&prop("ARPREADME").unwrap_or_default())),
            ("Size", sz("")),
            ("EstimatedSize", Value::Dword(size_kb)),
            ("UninstallString", Value::ExpandSz(uninstall)),
            (
                "URLInfoAbout",
                sz(&prop("ARPURLINFOABOUT").unwrap_or_default()),
            ),
            (
                "URLUpdateInfo",
                sz(&prop("ARPURLUPDATEINFO").unwrap_or_default()),
            ),
            ("VersionMajor", Value::Dword(major)),
            ("VersionMinor", Value::Dword(minor)),
            ("WindowsInstaller", Value::Dword(1)),
            ("Version", Value::Dword(version)),
            ("Language", Value::Dword(language)),
            ("DisplayName", sz(&record.name)),
        ];
        for (property, name) in [
            ("ARPNOMODIFY", "NoModify"),
            ("ARPNOREMOVE", "NoRemove"),
            ("ARPNOREPAIR", "NoRepair"),
            ("ARPSYSTEMCOMPONENT", "SystemComponent"),
        ] {
            if prop(property).is_some() {
                values.push((name, Value::Dword(1)));
            }
        }
        // "Configuring Add/Remove Programs with Windows Installer": ARPPRODUCTICON's
        // icon is the DisplayIcon, the file PublishProduct places where the installer
        // keeps the product's icons.
        if let Some(icon) = product_icon(ctx, &code) {
            values.push(("DisplayIcon", sz(&icon)));
        }
        if let Some(id) = prop("MSIARPSETTINGSIDENTIFIER") {
            values.push(("SettingsIdentifier", sz(&id)));
        }
        let arp = format!(r"{UNINSTALL}\{code}");
        let props_key = format!(
            r"{USER_DATA}\{}\Products\{packed_code}\InstallProperties",
            p.sid
        );
        for (name, value) in &values {
            out.push(set(p.arp_view, p.root, &arp, name, value.clone()));
            out.push(set(
                View::Native64,
                Root::LocalMachine,
                &props_key,
                name,
                value.clone(),
            ));
        }
        // In a Wine prefix, the copy Wine's msi opens (in `C:\windows\Installer`).
        if let Some(local) = ctx.local_package().or(record.cached_package.as_deref()) {
            out.push(set(
                View::Native64,
                Root::LocalMachine,
                &props_key,
                "LocalPackage",
                sz(&ctx.path_text(local)),
            ));
        }
        if actions.contains("RegisterUser") {
            for (property, name) in [
                ("USERNAME", "RegOwner"),
                ("COMPANYNAME", "RegCompany"),
                ("ProductID", "ProductID"),
            ] {
                if let Some(v) = prop(property) {
                    out.push(set(
                        View::Native64,
                        Root::LocalMachine,
                        &props_key,
                        name,
                        sz(&v),
                    ));
                }
            }
        }
    }
    if actions.contains("ProcessComponents") {
        let recorded: BTreeMap<&str, &crate::registry::ComponentRecord> = record
            .components
            .iter()
            .map(|r| (r.component.as_str(), r))
            .collect();
        for c in ctx.plan().iter().flat_map(|plan| plan.components.iter()) {
            let Some(rec) = recorded.get(c.component.as_str()) else {
                continue;
            };
            let Some(id) = c.component_id.as_deref().and_then(packed) else {
                continue;
            };
            let key = format!(r"{USER_DATA}\{}\Components\{id}", p.sid);
            let key_path = key_path_text(ctx, package, c, rec);
            out.push(set(
                View::Native64,
                Root::LocalMachine,
                &key,
                &packed_code,
                sz(&key_path),
            ));
            if c.attributes & ATTR_PERMANENT != 0 {
                out.push(set(
                    View::Native64,
                    Root::LocalMachine,
                    &key,
                    PERMANENT_CLIENT,
                    sz(&key_path),
                ));
            }
        }
    }
    if actions.contains("PublishFeatures") {
        let features = package.features().unwrap_or_default();
        let links = package.feature_components().unwrap_or_default();
        let ids: BTreeMap<&str, &str> = ctx
            .plan()
            .iter()
            .flat_map(|plan| plan.components.iter())
            .filter_map(|c| Some((c.component.as_str(), c.component_id.as_deref()?)))
            .collect();
        let installed: BTreeSet<&str> = record.features.iter().map(String::as_str).collect();
        // Advertised features are not recorded with the product (see the README's
        // differences): neither installed nor absent, they are left out.
        let advertised: BTreeSet<&str> = ctx
            .plan()
            .iter()
            .flat_map(|plan| plan.features.iter())
            .filter(|f| {
                let state = if f.action == msi_expr::InstallState::Unknown {
                    f.installed
                } else {
                    f.action
                };
                state == msi_expr::InstallState::Advertised
            })
            .map(|f| f.feature.as_str())
            .collect();
        let features_key = format!(r"{}\Features\{packed_code}", p.installer);
        let user_key = format!(r"{USER_DATA}\{}\Products\{packed_code}\Features", p.sid);
        for f in &features {
            let parent = f.parent.clone().unwrap_or_default();
            // Each feature's state is written, an absent one's too ("PublishFeatures
            // Action"): its parent behind the absent mark (0x06) in `Features`, and no
            // components before the parent's separator (0x02) in `UserData`, which is how
            // MsiQueryFeatureState tells an absent feature from an installed one.
            if advertised.contains(f.feature.as_str()) {
                continue;
            }
            let (state, list) = if installed.contains(f.feature.as_str()) {
                let mut list: String = links
                    .iter()
                    .filter(|l| l.feature == f.feature)
                    .filter_map(|l| ids.get(l.component.as_str()).and_then(|g| base85_guid(g)))
                    .collect();
                if !parent.is_empty() {
                    list.push('\u{2}');
                    list.push_str(&parent);
                }
                (parent, list)
            } else {
                (format!("\u{6}{parent}"), format!("\u{2}{parent}"))
            };
            out.push(set(
                View::Native64,
                p.root,
                &features_key,
                &f.feature,
                sz(&state),
            ));
            out.push(set(
                View::Native64,
                Root::LocalMachine,
                &user_key,
                &f.feature,
                sz(&list),
            ));
        }
    }
    if actions.contains("PublishProduct") {
        let key = format!(r"{}\Products\{packed_code}", p.installer);
        let (version, _, _) = version_dword(&record.version);
        let language = record
            .language
            .as_deref()
            .and_then(|l| l.trim().parse::<u32>().ok())
            .unwrap_or(0);
        let package_code = prop("PackageCode")
            .and_then(|c| packed(&c))
            .unwrap_or_default();
        let source = ctx.source_text(&prop("SourceDir").unwrap_or_default());
        let package_name = record
            .package_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let values: Vec<(&str, Value)> = vec![
            ("ProductName", sz(&record.name)),
            ("PackageCode", sz(&package_code)),
            ("Language", Value::Dword(language)),
            ("Version", Value::Dword(version)),
            ("Assignment", Value::Dword(u32::from(per_machine))),
            ("AdvertiseFlags", Value::Dword(0x184)),
            ("InstanceType", Value::Dword(0)),
            ("AuthorizedLUAApp", Value::Dword(0)),
            ("DeploymentFlags", Value::Dword(3)),
            ("Clients", Value::MultiSz(vec![":".into()])),
        ];
        // MsiGetProductInfo's ProductIcon: the advertised product's primary icon.
        let icon = product_icon(ctx, &code).map(|i| ("ProductIcon", sz(&i)));
        for (name, value) in values.into_iter().chain(icon) {
            out.push(set(View::Native64, p.root, &key, name, value));
        }
        let list = format!(r"{key}\SourceList");
        out.push(set(
            View::Native64,
            p.root,
            &list,
            "PackageName",
            sz(&package_name),
        ));
        out.push(set(
            View::Native64,
            p.root,
            &list,
            "LastUsedSource",
            Value::ExpandSz(format!("n;1;{source}")),
        ));
        out.push(set(
            View::Native64,
            p.root,
            &format!(r"{list}\Net"),
            "1",
            Value::ExpandSz(source),
        ));
        if let Some(upgrade) = record.upgrade_code.as_deref().and_then(packed) {
            out.push(set(
                View::Native64,
                p.root,
                &format!(r"{}\UpgradeCodes\{upgrade}", p.installer),
                &packed_code,
                sz(""),
            ));
        }
        out.extend(patch_registration(ctx, &p, &code, &packed_code));
    }
    out
}

/// The keys of the product's patches (see the module documentation).
fn patch_registration(ctx: &Context, p: &Places, code: &str, packed_code: &str) -> Vec<RegChange> {
    let mut out = Vec::new();
    let patches: Vec<(&PatchRegistration, String)> = ctx
        .patches()
        .iter()
        .filter_map(|patch| Some((patch, packed(&patch.code)?)))
        .collect();
    if patches.is_empty() {
        return out;
    }
    let codes: Vec<String> = patches.iter().map(|(_, c)| c.clone()).collect();
    let product_patches = format!(r"{}\Products\{packed_code}\Patches", p.installer);
    out.push(set(
        View::Native64,
        p.root,
        &product_patches,
        "Patches",
        Value::MultiSz(codes.clone()),
    ));
    let user_data = format!(r"{USER_DATA}\{}\Products\{packed_code}\Patches", p.sid);
    out.push(set(
        View::Native64,
        Root::LocalMachine,
        &user_data,
        "AllPatches",
        Value::MultiSz(codes),
    ));
    let today = crate::log::Clock::now().yyyymmdd();
    for (patch, packed_patch) in patches {
        out.push(set(
            View::Native64,
            p.root,
            &product_patches,
            &packed_patch,
            Value::Sz(patch.transforms.clone()),
        ));
        let key = format!(r"{user_data}\{packed_patch}");
        let values = [
            ("State", Value::Dword(patch.state)),
            (
                "Uninstallable",
                Value::Dword(u32::from(patch.uninstallable)),
            ),
            ("LUAEnabled", Value::Dword(0)),
            ("PatchType", Value::Dword(0)),
            ("MSI3", Value::Dword(1)),
            // The day of this registration: a patch kept from an earlier run is registered
            // again with the product.
            ("Installed", Value::Sz(today.clone())),
            ("DisplayName", Value::Sz(patch.display_name.clone())),
            ("MoreInfoURL", Value::Sz(patch.more_info_url.clone())),
        ];
        for (name, value) in values {
            out.push(set(View::Native64, Root::LocalMachine, &key, name, value));
        }
        if let Some(local) = ctx.cached_patch_path(code, &patch.code) {
            out.push(set(
                View::Native64,
                Root::LocalMachine,
                &format!(r"{USER_DATA}\{}\Patches\{packed_patch}", p.sid),
                "LocalPackage",
                Value::Sz(ctx.path_text(&local)),
            ));
        }
    }
    out
}

/// ARPPRODUCTICON's icon file, as the product's registration names it: in the folder where
/// the installer keeps the product's icons (`[WindowsFolder]Installer\[ProductCode]\`,
/// where PublishProduct places it).
fn product_icon(ctx: &Context, code: &str) -> Option<String> {
    let icon = ctx.property("ARPPRODUCTICON").filter(|v| !v.is_empty())?;
    let dir = ctx.dir_path("WindowsFolder")?.join("Installer").join(code);
    Some(ctx.path_text(&dir.join(icon)))
}

/// The changes that remove `record`'s registration: its own keys, its client values of
/// its components and upgrade code, in either installation context.
pub(crate) fn unregistration(ctx: &Context, record: &ProductRecord) -> Vec<RegChange> {
    let mut out = Vec::new();
    let Some(packed_code) = packed(&record.product_code) else {
        return out;
    };
    let code = record.product_code.to_ascii_uppercase();
    for per_machine in [true, false] {
        let p = places(per_machine, ctx.layout(), ctx.template(), ctx.user_sid());
        for (view, root, key) in product_keys(&p, &code, &packed_code) {
            out.push(RegChange::DeleteTree { view, root, key });
        }
        for c in &record.components {
            if let Some(id) = c.component_id.as_deref().and_then(packed) {
                out.push(RegChange::DeleteValue {
                    view: View::Native64,
                    root: Root::LocalMachine,
                    key: format!(r"{USER_DATA}\{}\Components\{id}", p.sid),
                    name: Some(packed_code.clone()),
                });
            }
        }
        if let Some(upgrade) = record.upgrade_code.as_deref().and_then(packed) {
            out.push(RegChange::DeleteValue {
                view: View::Native64,
                root: p.root,
                key: format!(r"{}\UpgradeCodes\{upgrade}", p.installer),
                name: Some(packed_code.clone()),
            });
        }
        // A patch's own key goes with the last product it is registered for; while another
        // has it, it names that product's copy of the patch.
        for patch in ctx.recorded_patches(&code) {
            let Some(packed_patch) = packed(&patch) else {
                continue;
            };
            let key = format!(r"{USER_DATA}\{}\Patches\{packed_patch}", p.sid);
            match ctx.patch_used_elsewhere(&code, &patch) {
                Some(other) => {
                    if let Some(local) = ctx.cached_patch_path(&other, &patch) {
                        out.push(set(
                            View::Native64,
                            Root::LocalMachine,
                            &key,
                            "LocalPackage",
                            Value::Sz(ctx.path_text(&local)),
                        ));
                    }
                }
                None => out.push(RegChange::DeleteTree {
                    view: View::Native64,
                    root: Root::LocalMachine,
                    key,
                }),
            }
        }
    }
    out
}

/// SharedDLLs counts for the components this run installs or removes (see
/// [`SHARED_DLLS`]): a component with `msidbComponentAttributesSharedDllRefCount`, or whose
/// key file already has a count, adds one when installed and takes one when removed.
pub(crate) fn shared_dll_counts(
    ctx: &Context,
    record: Option<&ProductRecord>,
    previous: Option<&ProductRecord>,
) -> Vec<RegChange> {
    let mut out = Vec::new();
    let names = |r: Option<&ProductRecord>| -> BTreeSet<String> {
        r.iter()
            .flat_map(|r| r.components.iter().map(|c| c.component.clone()))
            .collect()
    };
    let (after, before_set) = (names(record), names(previous));
    for c in ctx.plan().iter().flat_map(|plan| plan.components.iter()) {
        let (now, before) = (
            after.contains(&c.component),
            before_set.contains(&c.component),
        );
        if now == before || c.attributes & ATTR_REGISTRY_KEY_PATH != 0 {
            continue;
        }
        let file = record
            .into_iter()
            .chain(previous)
            .flat_map(|r| r.components.iter())
            .find(|x| x.component == c.component)
            .and_then(|x| x.key_path.clone());
        let Some(file) = file.filter(|f| f.is_absolute() && c.key_path.is_some()) else {
            continue;
        };
        out.push(RegChange::Count {
            view: crate::winstate::component_view(ctx.layout(), c.attributes),
            root: Root::LocalMachine,
            key: SHARED_DLLS.to_string(),
            name: file.display().to_string(),
            delta: if now { 1 } else { -1 },
            create: c.attributes & ATTR_SHARED_DLL_REF_COUNT != 0,
        });
    }
    out
}

fn set(view: View, root: Root, key: &str, name: &str, value: Value) -> RegChange {
    RegChange::Set {
        view,
        root,
        key: key.to_string(),
        name: (!name.is_empty()).then(|| name.to_string()),
        value,
    }
}

/// The product's size in KB: the files it installed, rounded up.
fn estimated_kb(ctx: &Context) -> u32 {
    let bytes: i64 = ctx
        .plan()
        .iter()
        .flat_map(|p| p.files.iter())
        .filter(|f| matches!(f.action, crate::cost::FileAction::Install { .. }))
        .map(|f| f.size)
        .sum();
    u32::try_from((bytes.max(0) as u64).div_ceil(1024)).unwrap_or(u32::MAX)
}

/// A component's key path as `Installer\UserData\…\Components` keeps it: a file's full
/// path, a folder's path with a trailing separator, or for a registry key path the root's
/// two digits (`00` HKCR, `01` HKCU, `02` HKLM, `03` HKU; 20 more for a 64-bit component),
/// a colon, and `\key\name` ("MsiGetComponentPath function").
fn key_path_text(
    ctx: &Context,
    package: &Package,
    plan: &crate::cost::ComponentPlan,
    recorded: &crate::registry::ComponentRecord,
) -> String {
    if plan.attributes & ATTR_REGISTRY_KEY_PATH != 0 {
        let key_path = plan.key_path.clone().unwrap_or_default();
        if let Some((root, key, name)) = registry_row(ctx, package, &key_path) {
            let digits = match root {
                0 => 0,
                1 => 1,
                3 => 3,
                -1 if !ctx.per_machine() => 1,
                _ => 2,
            } + if plan.attributes & ATTR_64BIT != 0 {
                20
            } else {
                0
            };
            return format!("{digits:02}:\\{key}\\{}", name.unwrap_or_default());
        }
        return String::new();
    }
    match (&plan.key_path, &recorded.key_path) {
        // A null KeyPath: the component's folder.
        (None, Some(p)) => ctx.folder_text(p),
        (_, Some(p)) => ctx.path_text(p),
        (_, None) => String::new(),
    }
}

/// The Registry row `key` (Root, formatted Key, formatted Name).
pub(crate) fn registry_row(
    ctx: &Context,
    package: &Package,
    key: &str,
) -> Option<(i32, String, Option<String>)> {
    use crate::tables::Value as Cell;
    let t = package.table("Registry")?;
    let (ki, ri, kk, ni) = (
        t.column_index("Registry")?,
        t.column_index("Root")?,
        t.column_index("Key")?,
        t.column_index("Name")?,
    );
    let row = t
        .rows
        .iter()
        .find(|r| matches!(r.get(ki), Some(Cell::Str(s)) if s == key))?;
    let root = match row.get(ri) {
        Some(Cell::Int(i)) => *i,
        _ => return None,
    };
    let text = |c: Option<&Cell>| match c {
        Some(Cell::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let path = ctx.format(&text(row.get(kk))?);
    Some((root, path, text(row.get(ni)).map(|n| ctx.format(&n))))
}

/// The installed components whose key path is a registry value (attribute 4) that is not
/// in the registry any more: Windows counts such a component as absent
/// ("MsiQueryComponentState", "Component table" KeyPath), so a maintenance run installs
/// it again. A Name that is null names the key itself.
pub(crate) fn registry_key_paths_absent(
    ctx: &Context,
    package: &Package,
) -> crate::error::Result<Vec<String>> {
    let mut out = Vec::new();
    let Some(record) = ctx.installed_record() else {
        return Ok(out);
    };
    let components = package.components().unwrap_or_default();
    for c in components.iter().filter(|c| {
        c.attributes & ATTR_REGISTRY_KEY_PATH != 0
            && record.components.iter().any(|r| r.component == c.component)
    }) {
        let Some(key_path) = c.key_path.as_deref() else {
            continue;
        };
        let Some((root, key, name)) = registry_row(ctx, package, key_path) else {
            continue;
        };
        let Ok(resolved) =
            winreg::msi::resolve_root(root, ctx.per_machine(), winreg::msi::RootTable::Registry)
        else {
            continue;
        };
        let key = resolved.key(&key);
        let view = crate::winstate::component_view(ctx.layout(), c.attributes);
        let present = ctx.read_registry(|reg| {
            Ok(match name.as_deref().filter(|n| !n.is_empty()) {
                Some(n) => reg.get(view, resolved.root, &key, Some(n))?.is_some(),
                None => reg.key_exists(view, resolved.root, &key)?,
            })
        })?;
        if present != Some(true) {
            out.push(c.component.clone());
        }
    }
    Ok(out)
}
