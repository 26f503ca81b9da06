//! COM classes and file associations through the library, with `com.msi` (see
//! `crates/engine/tests/packages/com.wxs` and its tables in `build.sh`): every key and value
//! RegisterClassInfo, RegisterProgIdInfo, RegisterExtensionInfo, RegisterMIMEInfo and
//! RegisterTypeLibraries write under `Software\Classes`, per-machine and per-user, in the
//! `fhs` layout (one view: no `Wow6432Node`); a feature added later registers its class
//! alone and its removal takes that class alone; uninstall takes everything, except a value
//! another product wrote over one of this product's since.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use engine::winreg::{self, Root, SqliteStore, Value, View};
use engine::{Layout, NoUi, Registry, UiLevel, UninstallRequest, UninstallTarget, uninstall};

use crate::exec_util::Scratch;

const PRODUCT: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A50}";
const SERVER: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A70}";
const DOCUMENT: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A71}";
const EXTRA: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A72}";
const RELATIVE: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A73}";
const APPID: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A80}";
const LIBID: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A90}";
const SERVER_LIBID: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A91}";

/// The product's compressed code (its Darwin descriptors' first 20 characters: the
/// base-85 form the shell crate's `darwin_descriptor` tests), then the components'.
const PRODUCT_85: &str = "med+JxKlc8xLZD,+zLmA";
const SERVER_85: &str = "med+JxKlc8xLZD,@`UyF";
const APP_85: &str = "med+JxKlc8xLZD,Aiq=G";
const EXTRA_85: &str = "med+JxKlc8xLZD,Br2ZG";

fn com_msi() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/com.msi")
}

/// Every value under `root`'s `key` (subkeys included), as `KEY|NAME|DATA` lines (`@` the
/// default value, `multi:` a REG_MULTI_SZ's strings); an empty key as `KEY|`.
fn dump(root: &Path, hive: Root, key: &str) -> Vec<String> {
    let registry = Registry::for_root(root, Layout::Fhs).expect("registry");
    let Some(conn) = registry.connection() else {
        return Vec::new();
    };
    let reg = winreg::Registry::new(SqliteStore::new(conn), winreg::DEFAULT_USER_SID);
    fn walk(
        reg: &winreg::Registry<SqliteStore<'_>>,
        hive: Root,
        key: &str,
        out: &mut BTreeMap<String, ()>,
    ) {
        let Some(values) = reg.values(View::Native64, hive, key).expect("values") else {
            return;
        };
        let subkeys = reg
            .subkeys(View::Native64, hive, key)
            .expect("subkeys")
            .unwrap_or_default();
        if values.is_empty() && subkeys.is_empty() {
            out.insert(format!("{key}|"), ());
        }
        for v in values {
            let data = match v.value {
                Value::Sz(s) => s,
                Value::MultiSz(list) => format!("multi:{}", list.join("|")),
                other => format!("{other:?}"),
            };
            let name = v.name.unwrap_or_else(|| "@".into());
            out.insert(format!("{key}|{name}|{data}"), ());
        }
        for sub in subkeys {
            walk(reg, hive, &format!(r"{key}\{sub}"), out);
        }
    }
    let mut out = BTreeMap::new();
    walk(&reg, hive, key, &mut out);
    out.into_keys().collect()
}

/// What `com.msi` registers under `Software\Classes` (its Main feature; with `extra`, its
/// Extra feature too), the files under `dir`.
fn expected(dir: &str, extra: bool) -> Vec<String> {
    let server = format!("{dir}/server.dll");
    let app = format!("{dir}/app.exe");
    let icons = format!(
        "{}/doc.ico",
        dir.replace(
            "opt/rmsi-com",
            &format!("usr/lib/windows/Installer/{PRODUCT}")
        )
    );
    let c = r"Software\Classes";
    let server_d = format!("{PRODUCT_85}Main>{SERVER_85}");
    let app_d = format!("{PRODUCT_85}Main>{APP_85}");
    let mut lines = vec![
        format!(r"{c}\.rmsidoc|@|Rmsi.Document.1"),
        format!(r"{c}\.rmsidoc|Content Type|application/x-rmsidoc"),
        format!(r"{c}\.rmsitxt|@|Rmsi.Plain"),
        format!(r"{c}\AppID\{APPID}|RemoteServerName|host of rmsi com test"),
        format!(r"{c}\AppID\{APPID}|LocalService|RmsiService"),
        format!(r"{c}\AppID\{APPID}|ServiceParameters|-service"),
        format!(r"{c}\AppID\{APPID}|DllSurrogate|rmsi-surrogate.exe"),
        format!(r"{c}\AppID\{APPID}|ActivateAtStorage|Y"),
        format!(r"{c}\AppID\{APPID}|RunAs|Interactive User"),
        format!(r"{c}\CLSID\{SERVER}|@|rmsi server class"),
        format!(r"{c}\CLSID\{SERVER}|AppID|{APPID}"),
        format!(r"{c}\CLSID\{SERVER}\InprocServer32|@|{server}"),
        format!(r"{c}\CLSID\{SERVER}\InprocServer32|InprocServer32|multi:{server_d}"),
        format!(r"{c}\CLSID\{SERVER}\ProgID|@|Rmsi.Server.1"),
        format!(r"{c}\CLSID\{SERVER}\VersionIndependentProgID|@|Rmsi.Server"),
        format!(r"{c}\CLSID\{DOCUMENT}|@|rmsi document"),
        format!(r"{c}\CLSID\{DOCUMENT}\DefaultIcon|@|{icons},2"),
        format!(r"{c}\CLSID\{DOCUMENT}\InprocHandler32|@|ole32.dll"),
        format!(r"{c}\CLSID\{DOCUMENT}\LocalServer32|@|{app} /automation"),
        format!(r"{c}\CLSID\{DOCUMENT}\LocalServer32|LocalServer32|multi:{app_d} /automation"),
        format!(r"{c}\CLSID\{DOCUMENT}\ProgID|@|Rmsi.Document.1"),
        // msidbClassAttributesRelativePath: the file name alone.
        format!(r"{c}\CLSID\{RELATIVE}\InprocServer32|@|server.dll"),
        format!(r"{c}\CLSID\{RELATIVE}\InprocServer32|InprocServer32|multi:{server_d}"),
        format!(r"{c}\FileType\{SERVER}\0|@|0,4,FFFFFFFF,52534D49"),
        format!(r"{c}\FileType\{SERVER}\1|@|8,2,FFFF,0102"),
        format!(r"{c}\MIME\Database\Content Type\application/x-rmsidoc|Extension|.rmsidoc"),
        format!(r"{c}\MIME\Database\Content Type\application/x-rmsidoc|CLSID|{DOCUMENT}"),
        format!(r"{c}\Rmsi.Document.1|@|rmsi document file"),
        format!(r"{c}\Rmsi.Document.1\CLSID|@|{DOCUMENT}"),
        format!(r"{c}\Rmsi.Document.1\DefaultIcon|@|{icons},1"),
        // The sequenced verbs, lowest first; `edit` has no Sequence.
        format!(r"{c}\Rmsi.Document.1\shell|@|open,print"),
        format!(r"{c}\Rmsi.Document.1\shell\open|@|&Open"),
        format!(r#"{c}\Rmsi.Document.1\shell\open\command|@|"{app}" "%1""#),
        format!(r#"{c}\Rmsi.Document.1\shell\open\command|command|multi:{app_d} "%1""#),
        format!(r"{c}\Rmsi.Document.1\shell\print|@|&Print"),
        format!(r#"{c}\Rmsi.Document.1\shell\print\command|@|"{app}" /p "%1""#),
        format!(r#"{c}\Rmsi.Document.1\shell\print\command|command|multi:{app_d} /p "%1""#),
        format!(r#"{c}\Rmsi.Document.1\shell\edit\command|@|"{app}" /e "%1""#),
        format!(r#"{c}\Rmsi.Document.1\shell\edit\command|command|multi:{app_d} /e "%1""#),
        // A class-less ProgId, registered for its extension's verb.
        format!(r"{c}\Rmsi.Plain|@|rmsi plain text"),
        format!(r"{c}\Rmsi.Plain\shell\open|@|Open"),
        format!(r#"{c}\Rmsi.Plain\shell\open\command|@|"{server}""#),
        format!(r"{c}\Rmsi.Plain\shell\open\command|command|multi:{server_d}"),
        format!(r"{c}\Rmsi.Server|@|rmsi server"),
        format!(r"{c}\Rmsi.Server\CLSID|@|{SERVER}"),
        format!(r"{c}\Rmsi.Server\CurVer|@|Rmsi.Server.1"),
        format!(r"{c}\Rmsi.Server.1|@|rmsi server 1"),
        format!(r"{c}\Rmsi.Server.1\CLSID|@|{SERVER}"),
    ];
    if extra {
        lines.extend([
            format!(r"{c}\CLSID\{EXTRA}|@|rmsi extra class"),
            format!(r"{c}\CLSID\{EXTRA}\InprocServer32|@|{dir}/extra.dll"),
            format!(
                r"{c}\CLSID\{EXTRA}\InprocServer32|InprocServer32|multi:{PRODUCT_85}Extra>{EXTRA_85}"
            ),
            format!(r"{c}\CLSID\{EXTRA}\ProgID|@|Rmsi.Extra.1"),
            format!(r"{c}\Rmsi.Extra.1|@|rmsi extra 1"),
            format!(r"{c}\Rmsi.Extra.1\CLSID|@|{EXTRA}"),
        ]);
    }
    lines.sort();
    lines
}

/// The type libraries' keys, always under `HKEY_LOCAL_MACHINE`, version and LCID in hex:
/// rmsi.tlb's as its header gives them (its LIBFLAGS as FLAGS; no Directory_, so its own
/// folder as HELPDIR); server.dll is no type library this platform reads, so the table's
/// Version (769: 3.1) and Language (0) stand in, and no FLAGS. rmsi.tlb's dual, its
/// `[oleautomation]` interface and its dispinterface (not its plain interface) are
/// registered under `Interface` ("RegisterTypeLib function"), in this layout's one view.
fn expected_typelib(dir: &str) -> Vec<String> {
    let lib = format!(r"Software\Classes\TypeLib\{LIBID}\1.2");
    let server = format!(r"Software\Classes\TypeLib\{SERVER_LIBID}\3.1");
    let mut lines = vec![
        format!("{lib}|@|rmsi type library"),
        format!(r"{lib}\409\win32|@|{dir}/rmsi.tlb"),
        format!(r"{lib}\FLAGS|@|6"),
        format!(r"{lib}\HELPDIR|@|{dir}"),
        format!("{server}|@|rmsi server library"),
        format!(r"{server}\0\win32|@|{dir}/server.dll"),
        format!(r"{server}\HELPDIR|@|{dir}/help"),
    ];
    for (iid, name, proxy) in [
        (
            "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AB0}",
            "IRmsiDual",
            "{00020424-0000-0000-C000-000000000046}",
        ),
        (
            "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AB1}",
            "IRmsiAuto",
            "{00020424-0000-0000-C000-000000000046}",
        ),
        (
            "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AB2}",
            "DRmsiEvents",
            "{00020420-0000-0000-C000-000000000046}",
        ),
    ] {
        let key = format!(r"Software\Classes\Interface\{iid}");
        lines.extend([
            format!("{key}|@|{name}"),
            format!(r"{key}\ProxyStubClsid|@|{proxy}"),
            format!(r"{key}\ProxyStubClsid32|@|{proxy}"),
            format!(r"{key}\TypeLib|@|{LIBID}"),
            format!(r"{key}\TypeLib|Version|1.2"),
        ]);
    }
    lines.sort();
    lines
}

fn uninstall_all(s: &Scratch, props: &[(&str, &str)]) -> String {
    let log = s.path("uninstall.log");
    let request = UninstallRequest {
        target: UninstallTarget::ProductCode(PRODUCT.into()),
        root: s.root(),
        layout: Layout::Fhs,
        ui_level: UiLevel::None,
        log: Some(log.clone()),
        log_append: false,
        properties: props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        custom_actions: true,
    };
    let report = uninstall(&request, &mut NoUi);
    let text = fs_err::read_to_string(&log).unwrap_or_default();
    assert_eq!(report.code(), 0, "{:?}\n{text}", report.result);
    text
}

fn root_dir(s: &Scratch) -> String {
    format!("{}/opt/rmsi-com", s.root().display())
}

#[test]
fn a_per_machine_install_registers_every_table_and_uninstall_takes_it_all() {
    let s = Scratch::new();
    let (report, log) = s.install(&com_msi(), &[]);
    assert_eq!(report.code(), 0, "{log}");
    for action in [
        "RegisterClassInfo",
        "RegisterProgIdInfo",
        "RegisterExtensionInfo",
        "RegisterMIMEInfo",
        "RegisterTypeLibraries",
    ] {
        assert!(
            log.contains(&format!(": {action}. Return value 1.")),
            "{action}\n{log}"
        );
    }
    let dir = root_dir(&s);
    let classes: Vec<String> = dump(&s.root(), Root::LocalMachine, r"Software\Classes")
        .into_iter()
        .filter(|l| !l.starts_with(r"Software\Classes\Installer\"))
        .collect();
    let mut want = expected(&dir, false);
    want.extend(expected_typelib(&dir));
    want.sort();
    assert_eq!(classes, want);
    // The icon the DefaultIcon values name, from the Icon table (once for both).
    let icon = s
        .root()
        .join(format!("usr/lib/windows/Installer/{PRODUCT}/doc.ico"));
    assert_eq!(
        fs_err::read(&icon).expect("the icon"),
        fs_err::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/Icon/Icon.app.ico")
        )
        .expect("the icon's source")
    );
    // Nothing of it for the user.
    assert_eq!(
        dump(&s.root(), Root::CurrentUser, r"Software\Classes"),
        Vec::<String>::new()
    );
    // What a library in a module's resources cannot give here is said.
    assert!(
        log.contains(&format!(
            "TypeLibraryRegister(LibID={LIBID},Version=1.2,Language=1033,FilePath={dir}/rmsi.tlb) [3 interface(s) under Interface]"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "TypeLibraryRegister(LibID={SERVER_LIBID},Version=3.1,Language=0,FilePath={dir}/server.dll) [not a type library file this platform reads: its FLAGS and interfaces are not registered, the table's version, language and component bitness stand in]"
        )),
        "{log}"
    );

    let log = uninstall_all(&s, &[]);
    for action in [
        "UnregisterClassInfo",
        "UnregisterProgIdInfo",
        "UnregisterExtensionInfo",
        "UnregisterMIMEInfo",
        "UnregisterTypeLibraries",
    ] {
        assert!(
            log.contains(&format!(": {action}. Return value 1.")),
            "{action}\n{log}"
        );
    }
    assert_eq!(
        dump(&s.root(), Root::LocalMachine, "Software"),
        Vec::<String>::new()
    );
    assert!(s.tree().is_empty(), "{:?}", s.tree());
}

#[test]
fn a_per_user_install_registers_under_the_users_classes_but_type_libraries_for_the_machine() {
    let s = Scratch::new();
    let (report, log) = s.install(&com_msi(), &[("ALLUSERS", "")]);
    assert_eq!(report.code(), 0, "{log}");
    let dir = root_dir(&s);
    assert_eq!(
        dump(&s.root(), Root::CurrentUser, r"Software\Classes"),
        expected(&dir, false)
    );
    assert_eq!(
        dump(&s.root(), Root::LocalMachine, r"Software\Classes"),
        expected_typelib(&dir)
    );
    uninstall_all(&s, &[]);
    assert!(s.tree().is_empty(), "{:?}", s.tree());
}

#[test]
fn a_feature_added_and_removed_later_takes_its_own_class_alone() {
    let s = Scratch::new();
    let (report, log) = s.install(&com_msi(), &[]);
    assert_eq!(report.code(), 0, "{log}");
    let dir = root_dir(&s);
    let classes = |s: &Scratch| -> Vec<String> {
        dump(&s.root(), Root::LocalMachine, r"Software\Classes")
            .into_iter()
            .filter(|l| {
                !l.starts_with(r"Software\Classes\Installer\")
                    && !l.starts_with(r"Software\Classes\TypeLib\")
                    && !l.starts_with(r"Software\Classes\Interface\")
            })
            .collect()
    };
    let (report, log) = s.install(&com_msi(), &[("ADDLOCAL", "Extra")]);
    assert_eq!(report.code(), 0, "{log}");
    // Main's rows stay as they were; Extra's class and ProgId join them.
    assert_eq!(classes(&s), expected(&dir, true));
    let (report, log) = s.install(&com_msi(), &[("REMOVE", "Extra")]);
    assert_eq!(report.code(), 0, "{log}");
    assert!(
        log.contains("RegClassInfoUnregister(Feature=Extra"),
        "{log}"
    );
    assert_eq!(classes(&s), expected(&dir, false));
    uninstall_all(&s, &[]);
    assert!(s.tree().is_empty(), "{:?}", s.tree());
}

#[test]
fn a_value_another_product_wrote_since_survives_the_unregistration() {
    let s = Scratch::new();
    let (report, log) = s.install(&com_msi(), &[]);
    assert_eq!(report.code(), 0, "{log}");
    // Another product takes the .rmsidoc extension over (a Registry row under HKCR).
    let other = s.build(
        "other",
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4B50}" Name="other" Language="1033"
           Version="1.0.0" Manufacturer="rmsi tests" UpgradeCode="{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4B51}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="other">
          <Component Id="Other" Guid="{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4B60}">
            <File Id="Other" Name="other.txt" Source="other.txt" KeyPath="yes"/>
            <RegistryValue Root="HKCR" Key=".rmsidoc" Type="string" Value="Other.Document"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Other"/></Feature>
  </Product>
</Wix>
"#,
        &[("other.txt", "other")],
        &[],
    );
    let (report, log) = s.install(&other, &[]);
    assert_eq!(report.code(), 0, "{log}");
    uninstall_all(&s, &[]);
    assert_eq!(
        dump(&s.root(), Root::LocalMachine, r"Software\Classes")
            .into_iter()
            .filter(|l| !l.starts_with(r"Software\Classes\Installer\"))
            .collect::<Vec<_>>(),
        vec![r"Software\Classes\.rmsidoc|@|Other.Document".to_string()]
    );
}

#[test]
fn an_advertised_product_registers_descriptors_without_paths_and_its_removal_takes_them() {
    let s = Scratch::new();
    let (report, log) = s.install(&com_msi(), &[("ADVERTISE", "ALL")]);
    assert_eq!(report.code(), 0, "{log}");
    assert!(
        s.tree().iter().all(|p| !p.starts_with("opt/")),
        "{:?}",
        s.tree()
    );
    let dir = root_dir(&s);
    // Everything but the servers' and the verbs' paths (no file is installed), for both
    // features; no type library (its component is not installed).
    let want: Vec<String> = expected(&dir, true)
        .into_iter()
        .filter(|l| !(l.contains(r"Server32|@|") || l.contains(r"\command|@|")))
        .collect();
    let classes: Vec<String> = dump(&s.root(), Root::LocalMachine, r"Software\Classes")
        .into_iter()
        .filter(|l| !l.starts_with(r"Software\Classes\Installer\"))
        .collect();
    assert_eq!(classes, want);
    uninstall_all(&s, &[]);
    assert_eq!(
        dump(&s.root(), Root::LocalMachine, "Software"),
        Vec::<String>::new()
    );
    assert!(s.tree().is_empty(), "{:?}", s.tree());
}

#[test]
fn a_repair_rewrites_the_registrations_only_with_reinstallmode_m() {
    let s = Scratch::new();
    let (report, log) = s.install(&com_msi(), &[]);
    assert_eq!(report.code(), 0, "{log}");
    let before = dump(&s.root(), Root::LocalMachine, r"Software\Classes");
    let ops = [
        "RegClassInfoRegister(",
        "RegProgIdInfoRegister(",
        "RegExtensionInfoRegister(",
        "RegMIMEInfoRegister(",
        "TypeLibraryRegister(",
    ];
    let (report, log) = s.install(
        &com_msi(),
        &[("REINSTALL", "ALL"), ("REINSTALLMODE", "ous")],
    );
    assert_eq!(report.code(), 0, "{log}");
    for op in ops {
        assert!(!log.contains(op), "{op}\n{log}");
    }
    assert_eq!(
        dump(&s.root(), Root::LocalMachine, r"Software\Classes"),
        before
    );
    let (report, log) = s.install(
        &com_msi(),
        &[("REINSTALL", "ALL"), ("REINSTALLMODE", "omus")],
    );
    assert_eq!(report.code(), 0, "{log}");
    for op in ops {
        assert!(log.contains(op), "{op}\n{log}");
    }
    assert_eq!(
        dump(&s.root(), Root::LocalMachine, r"Software\Classes"),
        before
    );
}
