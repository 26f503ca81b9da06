//! COM classes and file associations, read back with `rmsi reg query`: `com.msi` (see
//! `crates/engine/tests/packages/com.wxs` and its Class, ProgId, Extension, Verb, MIME,
//! AppId and TypeLib rows in `build.sh`) per-machine in the `windows` layout (its 32-bit
//! classes under `Wow6432Node\CLSID`, as on 64-bit Windows) and per-user in the `fhs` layout
//! (`HKEY_CURRENT_USER\Software\Classes`, seen through `HKEY_CLASSES_ROOT`); uninstall
//! takes every key; an install killed after it wrote the registry is rolled back by the
//! next run; the corpus's WiX `OldClassTableDef.msi` registers its class and ProgId.

use std::os::unix::process::ExitStatusExt;

use test_support::e2e::{Ctx, Layout, corpus_dir, package, tree};

const PRODUCT: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A50}";
const SERVER: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A70}";
const DOCUMENT: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A71}";
const APPID: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A80}";
const LIBID: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4A90}";
/// The Darwin descriptors of the App and Server components in feature Main (the product's
/// and the component's compressed codes).
const APP_DESCRIPTOR: &str = "med+JxKlc8xLZD,+zLmAMain>med+JxKlc8xLZD,Aiq=G";
const SERVER_DESCRIPTOR: &str = "med+JxKlc8xLZD,+zLmAMain>med+JxKlc8xLZD,@`UyF";

/// `rmsi reg query KEY` in the context's root: its exit status and text output.
fn query(ctx: &Ctx, key: &str) -> (Option<i32>, String) {
    ctx.reg_query(key)
}

/// A successful `reg query` output: the key's full name, its values (name, type, data) and
/// its subkeys' full names.
fn listing(key: &str, values: &[(&str, &str, &str)], subkeys: &[&str]) -> (Option<i32>, String) {
    let mut out = format!("\n{key}\n");
    for (name, kind, data) in values {
        out.push_str(&format!("    {name}    {kind}    {data}\n"));
    }
    if !subkeys.is_empty() {
        out.push('\n');
        for sub in subkeys {
            out.push_str(&format!("{key}\\{sub}\n"));
        }
    }
    (Some(0), out)
}

const ABSENT: (Option<i32>, String) = (Some(1), String::new());

#[test]
fn classes_and_associations_per_machine_in_the_windows_layout_and_their_removal() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("com.msi"), Layout::Windows, &[]);
    run.assert_code(0);
    let dir = format!("{}/Program Files (x86)/rmsi-com", ctx.root.display());
    let icons = format!("{}/Windows/Installer/{PRODUCT}", ctx.root.display());
    let clsid = format!(r"HKEY_LOCAL_MACHINE\Software\Classes\Wow6432Node\CLSID\{DOCUMENT}");
    assert_eq!(
        query(&ctx, &clsid),
        listing(
            &clsid,
            &[("(Default)", "REG_SZ", "rmsi document")],
            &["DefaultIcon", "InprocHandler32", "LocalServer32", "ProgID"]
        )
    );
    let key = format!(r"HKCR\Wow6432Node\CLSID\{DOCUMENT}\LocalServer32");
    assert_eq!(
        query(&ctx, &key),
        listing(
            &format!(r"HKEY_CLASSES_ROOT\Wow6432Node\CLSID\{DOCUMENT}\LocalServer32"),
            &[
                ("(Default)", "REG_SZ", &format!("{dir}/app.exe /automation")),
                (
                    "LocalServer32",
                    "REG_MULTI_SZ",
                    &format!("{APP_DESCRIPTOR} /automation")
                ),
            ],
            &[]
        )
    );
    let key = format!(r"HKCR\Wow6432Node\CLSID\{DOCUMENT}\DefaultIcon");
    assert_eq!(
        query(&ctx, &key),
        listing(
            &format!(r"HKEY_CLASSES_ROOT\Wow6432Node\CLSID\{DOCUMENT}\DefaultIcon"),
            &[("(Default)", "REG_SZ", &format!("{icons}/doc.ico,2"))],
            &[]
        )
    );
    let key = format!(r"HKCR\Wow6432Node\CLSID\{SERVER}");
    assert_eq!(
        query(&ctx, &key),
        listing(
            &format!(r"HKEY_CLASSES_ROOT\Wow6432Node\CLSID\{SERVER}"),
            &[
                ("(Default)", "REG_SZ", "rmsi server class"),
                ("AppID", "REG_SZ", APPID),
            ],
            &["InprocServer32", "ProgID", "VersionIndependentProgID"]
        )
    );
    let key = format!(r"HKCR\Wow6432Node\CLSID\{SERVER}\InprocServer32");
    assert_eq!(
        query(&ctx, &key),
        listing(
            &format!(r"HKEY_CLASSES_ROOT\Wow6432Node\CLSID\{SERVER}\InprocServer32"),
            &[
                ("(Default)", "REG_SZ", &format!("{dir}/server.dll")),
                ("InprocServer32", "REG_MULTI_SZ", SERVER_DESCRIPTOR),
            ],
            &[]
        )
    );
    let key = format!(r"HKCR\Wow6432Node\CLSID\{SERVER}\VersionIndependentProgID");
    assert_eq!(
        query(&ctx, &key),
        listing(
            &format!(r"HKEY_CLASSES_ROOT\Wow6432Node\CLSID\{SERVER}\VersionIndependentProgID"),
            &[("(Default)", "REG_SZ", "Rmsi.Server")],
            &[]
        )
    );
    // The AppId key is shared by both views ("Registry Keys Affected by WOW64").
    let key = format!(r"HKCR\AppID\{APPID}");
    assert_eq!(
        query(&ctx, &key),
        listing(
            &format!(r"HKEY_CLASSES_ROOT\AppID\{APPID}"),
            &[
                ("RemoteServerName", "REG_SZ", "host of rmsi com test"),
                ("LocalService", "REG_SZ", "RmsiService"),
                ("ServiceParameters", "REG_SZ", "-service"),
                ("DllSurrogate", "REG_SZ", "rmsi-surrogate.exe"),
                ("ActivateAtStorage", "REG_SZ", "Y"),
                ("RunAs", "REG_SZ", "Interactive User"),
            ],
            &[]
        )
    );
    assert_eq!(
        query(&ctx, r"HKCR\.rmsidoc"),
        listing(
            r"HKEY_CLASSES_ROOT\.rmsidoc",
            &[
                ("(Default)", "REG_SZ", "Rmsi.Document.1"),
                ("Content Type", "REG_SZ", "application/x-rmsidoc"),
            ],
            &[]
        )
    );
    assert_eq!(
        query(&ctx, r"HKCR\Rmsi.Server"),
        listing(
            r"HKEY_CLASSES_ROOT\Rmsi.Server",
            &[("(Default)", "REG_SZ", "rmsi server")],
            &["CLSID", "CurVer"]
        )
    );
    assert_eq!(
        query(&ctx, r"HKCR\Rmsi.Server\CurVer"),
        listing(
            r"HKEY_CLASSES_ROOT\Rmsi.Server\CurVer",
            &[("(Default)", "REG_SZ", "Rmsi.Server.1")],
            &[]
        )
    );
    assert_eq!(
        query(&ctx, r"HKCR\Rmsi.Document.1"),
        listing(
            r"HKEY_CLASSES_ROOT\Rmsi.Document.1",
            &[("(Default)", "REG_SZ", "rmsi document file")],
            &["CLSID", "DefaultIcon", "shell"]
        )
    );
    assert_eq!(
        query(&ctx, r"HKCR\Rmsi.Document.1\shell"),
        listing(
            r"HKEY_CLASSES_ROOT\Rmsi.Document.1\shell",
            &[("(Default)", "REG_SZ", "open,print")],
            &["edit", "open", "print"]
        )
    );
    assert_eq!(
        query(&ctx, r"HKCR\Rmsi.Document.1\shell\print\command"),
        listing(
            r"HKEY_CLASSES_ROOT\Rmsi.Document.1\shell\print\command",
            &[
                (
                    "(Default)",
                    "REG_SZ",
                    &format!(r#""{dir}/app.exe" /p "%1""#)
                ),
                (
                    "command",
                    "REG_MULTI_SZ",
                    &format!(r#"{APP_DESCRIPTOR} /p "%1""#)
                ),
            ],
            &[]
        )
    );
    assert_eq!(
        query(
            &ctx,
            r"HKCR\MIME\Database\Content Type\application/x-rmsidoc"
        ),
        listing(
            r"HKEY_CLASSES_ROOT\MIME\Database\Content Type\application/x-rmsidoc",
            &[
                ("Extension", "REG_SZ", ".rmsidoc"),
                ("CLSID", "REG_SZ", DOCUMENT),
            ],
            &[]
        )
    );
    let key = format!(r"HKCR\TypeLib\{LIBID}\1.2\409\win32");
    assert_eq!(
        query(&ctx, &key),
        listing(
            &format!(r"HKEY_CLASSES_ROOT\TypeLib\{LIBID}\1.2\409\win32"),
            &[("(Default)", "REG_SZ", &format!("{dir}/rmsi.tlb"))],
            &[]
        )
    );
    // The class-less ProgId nobody's extension names is not registered.
    assert_eq!(query(&ctx, r"HKCR\Rmsi.Unused"), ABSENT);
    // Nor is the class of the feature left out (level 200).
    assert_eq!(query(&ctx, r"HKCR\Rmsi.Extra.1"), ABSENT);

    let run = ctx.uninstall(PRODUCT, Layout::Windows, &[]);
    run.assert_code(0);
    for key in [
        r"HKCR\.rmsidoc".to_string(),
        r"HKCR\.rmsitxt".to_string(),
        r"HKCR\Rmsi.Document.1".to_string(),
        r"HKCR\Rmsi.Server".to_string(),
        r"HKCR\Rmsi.Plain".to_string(),
        r"HKCR\MIME".to_string(),
        r"HKCR\FileType".to_string(),
        format!(r"HKCR\AppID\{APPID}"),
        format!(r"HKCR\TypeLib\{LIBID}"),
        r"HKLM\Software\Classes".to_string(),
    ] {
        assert_eq!(query(&ctx, &key), ABSENT, "{key}");
    }
    assert!(tree(&ctx.root).is_empty(), "{:?}", tree(&ctx.root));
}

#[test]
fn classes_and_associations_per_user_in_the_fhs_layout() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("com.msi"), Layout::Fhs, &["ALLUSERS="]);
    run.assert_code(0);
    let dir = format!("{}/opt/rmsi-com", ctx.root.display());
    // The user's classes, seen through HKEY_CLASSES_ROOT; one view in this layout.
    assert_eq!(
        query(&ctx, r"HKCU\Software\Classes\.rmsitxt"),
        listing(
            r"HKEY_CURRENT_USER\Software\Classes\.rmsitxt",
            &[("(Default)", "REG_SZ", "Rmsi.Plain")],
            &[]
        )
    );
    let key = format!(r"HKCR\CLSID\{SERVER}\InprocServer32");
    assert_eq!(
        query(&ctx, &key),
        listing(
            &format!(r"HKEY_CLASSES_ROOT\CLSID\{SERVER}\InprocServer32"),
            &[
                ("(Default)", "REG_SZ", &format!("{dir}/server.dll")),
                ("InprocServer32", "REG_MULTI_SZ", SERVER_DESCRIPTOR),
            ],
            &[]
        )
    );
    assert_eq!(
        query(&ctx, r"HKCR\Rmsi.Plain\shell\open\command"),
        listing(
            r"HKEY_CLASSES_ROOT\Rmsi.Plain\shell\open\command",
            &[
                ("(Default)", "REG_SZ", &format!(r#""{dir}/server.dll""#)),
                ("command", "REG_MULTI_SZ", SERVER_DESCRIPTOR),
            ],
            &[]
        )
    );
    assert_eq!(query(&ctx, r"HKLM\Software\Classes\.rmsitxt"), ABSENT);
    // Type libraries are the machine's even per-user ("TypeLib table").
    let key = format!(r"HKLM\Software\Classes\TypeLib\{LIBID}\1.2");
    assert_eq!(
        query(&ctx, &key),
        listing(
            &format!(r"HKEY_LOCAL_MACHINE\Software\Classes\TypeLib\{LIBID}\1.2"),
            &[("(Default)", "REG_SZ", "rmsi type library")],
            &["409", "FLAGS", "HELPDIR"]
        )
    );
    let key = format!(r"HKLM\Software\Classes\TypeLib\{LIBID}\1.2\FLAGS");
    assert_eq!(
        query(&ctx, &key),
        listing(
            &format!(r"HKEY_LOCAL_MACHINE\Software\Classes\TypeLib\{LIBID}\1.2\FLAGS"),
            &[("(Default)", "REG_SZ", "6")],
            &[]
        )
    );

    // So are the interfaces it describes; this layout has one view.
    assert_interface(
        &ctx,
        r"HKEY_LOCAL_MACHINE\Software\Classes",
        EVENTS,
        "DRmsiEvents",
        PS_DISPATCH,
    );

    let run = ctx.uninstall(PRODUCT, Layout::Fhs, &[]);
    run.assert_code(0);
    assert_eq!(query(&ctx, r"HKCU\Software\Classes"), ABSENT);
    assert_eq!(query(&ctx, r"HKLM\Software\Classes"), ABSENT);
    assert!(tree(&ctx.root).is_empty(), "{:?}", tree(&ctx.root));
}

/// The interfaces of `rmsi.tlb` (`src/com/rmsi.idl`) `RegisterTypeLib` registers: the
/// dual IRmsiDual and the `[oleautomation]` IRmsiAuto through the universal marshaler, the
/// dispinterface DRmsiEvents through IDispatch's; not the plain IRmsiPlain.
const DUAL: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AB0}";
const AUTO: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AB1}";
const EVENTS: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AB2}";
const PLAIN: &str = "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AB3}";
const PS_OA_INTERFACE: &str = "{00020424-0000-0000-C000-000000000046}";
const PS_DISPATCH: &str = "{00020420-0000-0000-C000-000000000046}";

/// Checks `Interface\{iid}` under `classes` (`HKEY_LOCAL_MACHINE\Software\Classes` or its
/// `Wow6432Node`) as `RegisterTypeLib` writes it.
fn assert_interface(ctx: &Ctx, classes: &str, iid: &str, name: &str, proxy: &str) {
    let key = format!(r"{classes}\Interface\{iid}");
    assert_eq!(
        query(ctx, &key),
        listing(
            &key,
            &[("(Default)", "REG_SZ", name)],
            &["ProxyStubClsid", "ProxyStubClsid32", "TypeLib"]
        ),
        "{key}"
    );
    for sub in ["ProxyStubClsid", "ProxyStubClsid32"] {
        let key = format!(r"{key}\{sub}");
        assert_eq!(
            query(ctx, &key),
            listing(&key, &[("(Default)", "REG_SZ", proxy)], &[]),
            "{key}"
        );
    }
    let key = format!(r"{key}\TypeLib");
    assert_eq!(
        query(ctx, &key),
        listing(
            &key,
            &[("(Default)", "REG_SZ", LIBID), ("Version", "REG_SZ", "1.2")],
            &[]
        ),
        "{key}"
    );
}

#[test]
fn a_type_librarys_automation_interfaces_are_registered_in_both_views_and_taken_back() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("com.msi"), Layout::Windows, &[]);
    run.assert_code(0);
    // 64-bit Windows' RegisterTypeLib writes both views: Interface is redirected.
    for classes in [
        r"HKEY_LOCAL_MACHINE\Software\Classes",
        r"HKEY_LOCAL_MACHINE\Software\Classes\Wow6432Node",
    ] {
        assert_interface(&ctx, classes, DUAL, "IRmsiDual", PS_OA_INTERFACE);
        assert_interface(&ctx, classes, AUTO, "IRmsiAuto", PS_OA_INTERFACE);
        assert_interface(&ctx, classes, EVENTS, "DRmsiEvents", PS_DISPATCH);
        assert_eq!(
            query(&ctx, &format!(r"{classes}\Interface\{PLAIN}")),
            ABSENT
        );
    }
    assert!(
        run.log.contains(&format!(
            "TypeLibraryRegister(LibID={LIBID},Version=1.2,Language=1033,"
        )) && run.log.contains("[3 interface(s) under Interface]"),
        "{}",
        run.log
    );

    let run = ctx.uninstall(PRODUCT, Layout::Windows, &[]);
    run.assert_code(0);
    assert!(
        run.log.contains(&format!(
            "TypeLibraryUnregister(LibID={LIBID},Version=1.2,Language=1033,"
        )),
        "{}",
        run.log
    );
    for iid in [DUAL, AUTO, EVENTS] {
        for classes in [
            r"HKLM\Software\Classes",
            r"HKLM\Software\Classes\Wow6432Node",
        ] {
            let key = format!(r"{classes}\Interface\{iid}");
            assert_eq!(query(&ctx, &key), ABSENT, "{key}");
        }
    }
    assert_eq!(query(&ctx, r"HKLM\Software\Classes"), ABSENT);
    assert!(tree(&ctx.root).is_empty(), "{:?}", tree(&ctx.root));
}

/// `rmsi VERB PACKAGE --wine-prefix PREFIX --ui none --log LOG`.
fn in_prefix(ctx: &Ctx, verb: &str, prefix: &std::path::Path) -> test_support::e2e::Run {
    let mut cmd = ctx.rmsi();
    cmd.arg(verb)
        .arg(package("com.msi"))
        .arg("--wine-prefix")
        .arg(prefix)
        .args(["--ui", "none", "--log"])
        .arg(&ctx.log)
        .arg("MSIRESTARTMANAGERCONTROL=Disable");
    test_support::e2e::run_command_within(
        &mut cmd,
        Some(&ctx.log),
        std::time::Duration::from_secs(300),
    )
}

/// In a real Wine prefix, Wine's own registry (`wine reg query`, 64-bit and 32-bit views)
/// finds the interfaces' proxy/stub classes where COM looks for them, and nothing of the
/// plain interface; after the uninstall (which reads the library at its Windows path),
/// nothing, and no `TypeLib` key either.
#[test]
fn a_type_librarys_interfaces_in_a_wine_prefix_are_seen_by_wine_in_both_views() {
    let Some(copy) = test_support::wine::Prefix::new() else {
        return;
    };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    in_prefix(&ctx, "install", &prefix).assert_code_logged(0);
    let seen = |iid: &str, view: &str| -> Option<String> {
        let key = format!(r"HKCR\Interface\{iid}\ProxyStubClsid32");
        let out = copy.wine(&["reg", "query", &key, "/ve", view]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    for view in ["/reg:64", "/reg:32"] {
        for (iid, proxy) in [
            (DUAL, PS_OA_INTERFACE),
            (AUTO, PS_OA_INTERFACE),
            (EVENTS, PS_DISPATCH),
        ] {
            let text = seen(iid, view).unwrap_or_default();
            assert!(
                text.contains(&format!("(Default)    REG_SZ    {proxy}")),
                "{iid} {view}: {text:?}"
            );
        }
        assert_eq!(seen(PLAIN, view), None, "{view}");
    }
    copy.stop_server();
    let run = in_prefix(&ctx, "uninstall", &prefix);
    run.assert_code_logged(0);
    for view in ["/reg:64", "/reg:32"] {
        for iid in [DUAL, AUTO, EVENTS] {
            assert_eq!(seen(iid, view), None, "{iid} {view}\n{}", run.log);
        }
    }
    // The library's key too, FLAGS included: the uninstall read the installed library.
    let lib = copy.wine(&["reg", "query", &format!(r"HKCR\TypeLib\{LIBID}")]);
    assert!(
        !lib.status.success(),
        "{}",
        String::from_utf8_lossy(&lib.stdout)
    );
    copy.stop_server();
}

#[test]
fn an_install_killed_after_writing_the_classes_is_rolled_back() {
    let ctx = Ctx::new();
    let mut killer = ctx.install_command(&package("com.msi"), Layout::Windows, &[]);
    let out = killer
        .env("RMSI_TEST_CRASH_AFTER_STATE", "1")
        .output()
        .expect("run rmsi");
    assert_eq!(out.status.signal(), Some(9), "not killed");
    assert!(!tree(&ctx.root).is_empty());
    // The next run on the root rolls the killed one back before it starts.
    let run = ctx.install(&ctx.path("missing.msi"), Layout::Windows, &[]);
    run.assert_code(1619);
    assert_eq!(query(&ctx, r"HKCR\.rmsidoc"), ABSENT);
    assert!(tree(&ctx.root).is_empty(), "{:?}", tree(&ctx.root));
}

/// The corpus's WiX `OldClassTableDef.msi` (a Class table in its older definition, whose
/// Feature_ column is 32 characters): its uncompressed source was never checked in, so it
/// gets one (its size as the File table says) beside a copy of the package.
#[test]
fn the_corpus_old_class_table_package_registers_its_class_and_progid() {
    let ctx = Ctx::new();
    let src = ctx.path("old-class");
    std::fs::create_dir_all(src.join("MsiPackage")).expect("mkdir");
    let msi = src.join("OldClassTableDef.msi");
    std::fs::copy(
        corpus_dir().join("wix-Class-OldClassTableDef/OldClassTableDef.msi"),
        &msi,
    )
    .expect("copy the package");
    std::fs::write(src.join("MsiPackage/ProgIdComp.txt"), b"ProgIdComp source").expect("write");
    let run = ctx.install(&msi, Layout::Windows, &[]);
    run.assert_code(0);
    let file = format!(
        "{}/Program Files (x86)/MsiPackage/ProgIdComp.txt",
        ctx.root.display()
    );
    let clsid = r"HKEY_CLASSES_ROOT\Wow6432Node\CLSID\{F12A6F69-117F-471F-AE73-F8E74218F498}";
    // The Class row's keys, and the Registry rows' values beside them.
    assert_eq!(
        query(&ctx, &format!(r"{clsid}\LocalServer32")),
        listing(
            &format!(r"{clsid}\LocalServer32"),
            &[
                ("(Default)", "REG_SZ", &file),
                (
                    "LocalServer32",
                    "REG_MULTI_SZ",
                    "=JTazOc+-=L7=cJ`22XWProductFeature>k)ECE)v_P@-kxfS)@IUn"
                ),
                ("ThreadingModel", "REG_SZ", "Apartment"),
            ],
            &[]
        )
    );
    assert_eq!(
        query(&ctx, clsid),
        listing(
            clsid,
            &[("(Default)", "REG_SZ", "FakeClassF12A")],
            &["LocalServer32", "ProgID", "Version"]
        )
    );
    let progid = r"HKEY_CLASSES_ROOT\73E7DF7E-EFAC-4E11-90E2-6EBAEB8DE58D";
    assert_eq!(
        query(&ctx, progid),
        listing(
            progid,
            &[
                ("(Default)", "REG_SZ", "FakeClassF12A"),
                ("NoOpen", "REG_SZ", "NoOpen73E7"),
            ],
            &["CLSID"]
        )
    );
}

/// `rmsi reg export` of the whole registry of the context's root.
fn export(ctx: &Ctx) -> String {
    let out = ctx
        .rmsi()
        .args(["reg", "export", "--root"])
        .arg(&ctx.root)
        .output()
        .expect("run rmsi reg export");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The install of `com.msi` (its files, its icon and the registry's commit) and then its
/// removal, each killed after each of its recorded changes in turn: the next run puts the
/// root and its registry back exactly as they were before the killed run.
#[test]
fn an_install_and_a_removal_killed_at_every_record_are_rolled_back() {
    let mut killed = 0;
    for crash_after in 1..200 {
        let ctx = Ctx::new();
        let out = ctx
            .install_command(&package("com.msi"), Layout::Windows, &[])
            .env("RMSI_TEST_CRASH_AFTER", crash_after.to_string())
            .output()
            .expect("run rmsi");
        if out.status.signal() != Some(9) {
            assert_eq!(out.status.code(), Some(0), "crash point {crash_after}");
            break;
        }
        killed += 1;
        ctx.install(&ctx.path("missing.msi"), Layout::Windows, &[])
            .assert_code(1619);
        assert!(
            tree(&ctx.root).is_empty(),
            "crash point {crash_after}: {:?}",
            tree(&ctx.root)
        );
    }
    assert!(killed >= 3, "only {killed} crash points");

    let mut killed = 0;
    for crash_after in 1..200 {
        let ctx = Ctx::new();
        ctx.install(&package("com.msi"), Layout::Windows, &[])
            .assert_code(0);
        let (files, registry) = (tree(&ctx.root), export(&ctx));
        assert!(registry.contains(".rmsidoc"));
        let out = ctx
            .rmsi()
            .args(["uninstall", PRODUCT, "--root"])
            .arg(&ctx.root)
            .args(["--layout", "windows", "--ui", "none"])
            .env("RMSI_TEST_CRASH_AFTER", crash_after.to_string())
            .output()
            .expect("run rmsi");
        if out.status.signal() != Some(9) {
            assert_eq!(out.status.code(), Some(0), "crash point {crash_after}");
            assert!(tree(&ctx.root).is_empty(), "{:?}", tree(&ctx.root));
            break;
        }
        killed += 1;
        ctx.install(&ctx.path("missing.msi"), Layout::Windows, &[])
            .assert_code(1619);
        assert_eq!(tree(&ctx.root), files, "crash point {crash_after}");
        assert_eq!(export(&ctx), registry, "crash point {crash_after}");
    }
    assert!(killed >= 3, "only {killed} crash points");
}
