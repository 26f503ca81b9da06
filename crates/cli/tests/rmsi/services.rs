//! The service actions with `services.msi` (see `crates/engine/tests/packages/services.wxs`
//! and its rows in `build.sh`): every value of the `SYSTEM\CurrentControlSet\Services` keys
//! InstallServices and MsiConfigureServices write, read back with `rmsi reg query`, in both
//! layouts; the error 1923 of a row whose component has no key file; starting and stopping
//! logged as not possible here without failing the install; the password in no log line;
//! DeleteServices taking the keys back at uninstall.

use test_support::e2e::{Ctx, Layout, Run, assert_root_empty, package};

const PRODUCT: &str = "{3E5A7C10-2B4D-4F61-8A93-5C7D9E0F1A20}";
const SERVICES: &str = r"HKLM\SYSTEM\CurrentControlSet\Services";
const PASSWORD: &str = "pa55-Word!";

/// `rmsi reg query KEY` in the context's root: its exit status and text output.
fn query(ctx: &Ctx, key: &str) -> (Option<i32>, String) {
    ctx.reg_query(key)
}

/// The log's engine lines (after `MSI (s) (..) [..]: `) that start with `prefix`.
fn engine_lines<'a>(run: &'a Run, prefix: &str) -> Vec<&'a str> {
    run.log
        .lines()
        .filter_map(|l| l.split_once("]: ").map(|(_, t)| t))
        .filter(|t| t.starts_with(prefix))
        .collect()
}

fn assert_ended(run: &Run, action: &str, value: u32) {
    let ended = format!(": {action}. Return value {value}.");
    assert!(
        run.log
            .lines()
            .any(|l| l.starts_with("Action ended") && l.ends_with(&ended)),
        "{action}: {}",
        run.describe()
    );
}

/// The service keys the package writes, as `rmsi reg query` prints them; `dir` is the
/// install folder as the layout names it in the registry, `sep` its separator.
fn expected(dir: &str, sep: char) -> (String, String) {
    let exe = format!("{dir}{sep}svc.exe");
    let svc = format!(
        "\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\RmsiSvc\n    \
         DisplayName    REG_SZ    Rmsi Service 1.2.0\n    \
         Type    REG_DWORD    0x10\n    \
         Start    REG_DWORD    0x3\n    \
         ErrorControl    REG_DWORD    0x1\n    \
         ImagePath    REG_EXPAND_SZ    \"{exe}\" --dir \"{dir}{sep}\"\n    \
         Group    REG_SZ    RmsiGroup\n    \
         DependOnService    REG_MULTI_SZ    RpcSs\n    \
         DependOnGroup    REG_MULTI_SZ    RmsiDeps\n    \
         Description    REG_SZ    The test service of rmsi services test\n    \
         ObjectName    REG_SZ    LocalSystem\n    \
         DelayedAutostart    REG_DWORD    0x1\n    \
         FailureActionsOnNonCrashFailures    REG_DWORD    0x1\n    \
         ServiceSidType    REG_DWORD    0x3\n    \
         RequiredPrivileges    REG_MULTI_SZ    SeChangeNotifyPrivilege\\0SeCreateGlobalPrivilege\n    \
         PreshutdownTimeout    REG_DWORD    0x2bf20\n    \
         FailureActions    REG_BINARY    \
         80510100\
         00000000\
         00000000\
         03000000\
         14000000\
         01000000\
         60EA0000\
         01000000\
         C0D40100\
         00000000\
         00000000\n    \
         RebootMessage    REG_SZ    Restarting for rmsi services test\n    \
         FailureCommand    REG_SZ    \"{exe}\" --recover\n"
    );
    let user = format!(
        "\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\RmsiUser\n    \
         Type    REG_DWORD    0x10\n    \
         Start    REG_DWORD    0x2\n    \
         ErrorControl    REG_DWORD    0x0\n    \
         ImagePath    REG_EXPAND_SZ    \"{dir}{sep}helper.exe\"\n    \
         ObjectName    REG_SZ    .\\rmsiuser\n"
    );
    (svc, user)
}

/// Installs and uninstalls `services.msi` in `layout`; `dir` gives the install folder as
/// the registry names it in that layout, from the test's root.
fn install_then_uninstall(layout: Layout, dir: impl Fn(&Ctx) -> String, sep: char) {
    let ctx = Ctx::new();
    let dir = dir(&ctx);
    let password = format!("SVCPASSWORD={PASSWORD}");
    let run = ctx.install(&package("services.msi"), layout, &[&password]);
    run.assert_code(0);
    for action in [
        "StopServices",
        "DeleteServices",
        "InstallServices",
        "MsiConfigureServices",
        "StartServices",
    ] {
        assert_ended(&run, action, 1);
    }
    let (svc, user) = expected(&dir, sep);
    assert_eq!(query(&ctx, &format!(r"{SERVICES}\RmsiSvc")), (Some(0), svc));
    assert_eq!(
        query(&ctx, &format!(r"{SERVICES}\RmsiUser")),
        (Some(0), user)
    );
    // No key file: error 1923, not vital, so the install went on without it.
    assert_eq!(query(&ctx, &format!(r"{SERVICES}\RmsiBroken")).0, Some(1));
    assert_eq!(
        engine_lines(&run, "Error 1923."),
        [
            "Error 1923. Service 'RmsiBroken' (RmsiBroken) could not be installed. Verify that you have sufficient privileges to install system services. (the component's key path is not the service's executable file)"
        ]
    );
    // Starting and stopping: logged, not done, the install goes on.
    assert_eq!(
        engine_lines(&run, "Executing op: ServiceControl("),
        [
            "Executing op: ServiceControl(,Name=RmsiSvc,Action=2,Wait=1,one[~]two words)",
            "Executing op: ServiceControl(,Name=RmsiSvc,Action=1,Wait=1,one[~]two words)",
        ]
    );
    assert_eq!(
        engine_lines(&run, "Info 192"),
        [
            "Info 1921. Service 'Rmsi Service 1.2.0' (RmsiSvc) was not stopped: no Windows service manager runs on this platform. The installation goes on.",
            "Info 1920. Service 'Rmsi Service 1.2.0' (RmsiSvc) was not started: no Windows service manager runs on this platform (a Wine prefix starts it through Wine). The installation goes on.",
        ]
    );
    // The password is masked in the ServiceInstall line and appears in no later line.
    let ops = engine_lines(&run, "Executing op: ServiceInstall(Name=RmsiUser,");
    assert_eq!(ops.len(), 1, "{}", run.describe());
    assert!(ops[0].contains(",StartName=.\\rmsiuser,Password=**********,"));
    let after = run
        .log
        .split_once("Action start")
        .and_then(|(_, rest)| rest.split_once("InstallServices."))
        .map(|(_, rest)| rest)
        .expect("InstallServices ran");
    assert!(!after.contains(PASSWORD), "{}", run.describe());

    // A repair reinstalls the components: only the rows with the reinstall event (4) of
    // MsiServiceConfig apply (the preshutdown timeout row of Event 4 gives 5000 ms).
    let run = ctx.install(
        &package("services.msi"),
        layout,
        &["REINSTALL=ALL", "REINSTALLMODE=omus"],
    );
    run.assert_code(0);
    assert_eq!(
        engine_lines(&run, "Executing op: ServiceConfigure("),
        [
            "Executing op: ServiceConfigure(Name=RmsiSvc,Event=4,ConfigType=4,Argument=1)",
            "Executing op: ServiceConfigure(Name=RmsiSvc,Event=4,ConfigType=7,Argument=5000)",
        ]
    );
    let (code, text) = query(&ctx, &format!(r"{SERVICES}\RmsiSvc"));
    assert_eq!(code, Some(0));
    assert!(
        text.contains("\n    PreshutdownTimeout    REG_DWORD    0x1388\n"),
        "{text}"
    );

    let run = ctx.uninstall(PRODUCT, layout, &[]);
    run.assert_code(0);
    assert_eq!(
        engine_lines(&run, "Executing op: ServiceControl("),
        [
            "Executing op: ServiceControl(,Name=RmsiSvc,Action=2,Wait=1,one[~]two words)",
            "Executing op: ServiceControl(,Name=RmsiUser,Action=2,Wait=0,)",
            "Executing op: ServiceControl(,Name=RmsiSvc,Action=8,Wait=1,one[~]two words)",
            "Executing op: ServiceControl(,Name=RmsiUser,Action=8,Wait=0,)",
        ]
    );
    // DeleteServices took both keys (and the parents left empty) with it.
    assert_eq!(query(&ctx, SERVICES).0, Some(1));
    assert_root_empty(&ctx.root, &run);
}

#[test]
fn services_windows_layout_keys_name_the_system_drive() {
    install_then_uninstall(
        Layout::Windows,
        |_| r"C:\Program Files (x86)\rmsi services".to_string(),
        '\\',
    );
}

#[test]
fn services_fhs_layout_keys_name_host_paths() {
    install_then_uninstall(
        Layout::Fhs,
        |ctx| format!("{}/opt/rmsi services", ctx.root.display()),
        '/',
    );
}
