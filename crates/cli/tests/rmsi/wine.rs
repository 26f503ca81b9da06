//! `--wine-prefix DIR` against a real Wine prefix (Debian's Wine 8, 64-bit): PuTTY from the
//! corpus installed by `rmsi` is seen by Wine's own tools (`wine reg query` finds the `.ppk`
//! association and the Uninstall entry, `wine uninstaller --list` lists it) and removed
//! again by `rmsi uninstall` or by Wine's `msiexec /x`; a `wineserver` serving the prefix is
//! refused (1618) or awaited (`--wait-wineserver`); a kill after the registry files were
//! written is rolled back by the next run.
//!
//! One fresh prefix is made per test run (`wineboot -i`), and each test works on a copy of
//! it (`cp -a`, about 700 MB) that it deletes at its end, one test at a time
//! (`test_support::wine::Prefix`). Without `wine` they print why and pass (the test script
//! installs it).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use test_support::corpus_dir;
use test_support::e2e::{Ctx, Run, run_command_within};
use test_support::wine::Prefix;

const PUTTY_CODE: &str = "{55717628-7AE6-4BCF-A046-FA2768945E76}";

fn putty() -> PathBuf {
    corpus_dir().join("lessmsi-putty-0.68/putty-0.68-installer.msi")
}

/// `rmsi VERB ARGS... --wine-prefix PREFIX`, with `--ui none --log LOG` for install and
/// uninstall.
fn rmsi(ctx: &Ctx, verb: &str, args: &[&str], prefix: &Path) -> Run {
    let mut cmd = ctx.rmsi();
    cmd.arg(verb).args(args).arg("--wine-prefix").arg(prefix);
    if verb == "install" || verb == "uninstall" {
        cmd.args(["--ui", "none", "--log"])
            .arg(&ctx.log)
            .arg("MSIRESTARTMANAGERCONTROL=Disable");
    }
    run_command_within(&mut cmd, Some(&ctx.log), Duration::from_secs(300))
}

fn install_putty(ctx: &Ctx, prefix: &Path) -> Run {
    let run = rmsi(ctx, "install", &[putty().to_str().unwrap()], prefix);
    run.assert_code_logged(0);
    run
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What Wine's tools see of PuTTY in the prefix: the `.ppk` association's ProgId (HKCR),
/// the Uninstall entry's DisplayName (the 32-bit view), and the `uninstaller --list` line.
struct WineView {
    ppk: Option<String>,
    uninstall: Option<String>,
    listed: bool,
}

fn wine_view(prefix: &Prefix) -> WineView {
    let ppk = prefix.wine(&["reg", "query", r"HKCR\.ppk", "/ve"]);
    let ppk = ppk.status.success().then(|| text(&ppk));
    let key = format!(
        r"HKLM\Software\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{PUTTY_CODE}"
    );
    let arp = prefix.wine(&["reg", "query", &key, "/v", "DisplayName"]);
    let uninstall = arp.status.success().then(|| text(&arp));
    let list = prefix.wine(&["uninstaller", "--list"]);
    let listed = text(&list).contains(&format!("{PUTTY_CODE}|||PuTTY release 0.68"));
    prefix.stop_server();
    WineView {
        ppk,
        uninstall,
        listed,
    }
}

fn putty_exe(prefix: &Path) -> PathBuf {
    prefix.join("drive_c/Program Files (x86)/PuTTY/putty.exe")
}

/// The installed product's LocalPackage, read with `rmsi reg query`.
fn local_package(ctx: &Ctx, prefix: &Path) -> String {
    let packed = "826717556EA7FCB40A64AF728649E567";
    let key = format!(
        r"HKLM\Software\Microsoft\Windows\CurrentVersion\Installer\UserData\S-1-5-18\Products\{packed}\InstallProperties"
    );
    let run = rmsi(
        ctx,
        "reg",
        &["query", &key, "--value", "LocalPackage", "--json"],
        prefix,
    );
    run.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    json["values"][0]["data"].as_str().unwrap().to_string()
}

#[test]
fn putty_installed_by_rmsi_is_seen_by_wine_and_removed_by_rmsi() {
    let Some(copy) = Prefix::new() else { return };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    let run = install_putty(&ctx, &prefix);
    let drive = prefix.join("drive_c");
    assert!(putty_exe(&prefix).is_file(), "{}", run.describe());
    // Wine's own folder names, and the folder properties are its C:\ paths.
    for theirs in ["Windows", "Users"] {
        assert!(!drive.join(theirs).exists(), "a second {theirs} folder");
    }
    assert!(
        drive
            .join("ProgramData/Microsoft/Windows/Start Menu/Programs/PuTTY/PuTTY.lnk")
            .is_file()
    );
    assert!(
        run.log
            .contains("Its value is 'C:\\Program Files (x86)\\PuTTY\\'"),
        "{}",
        run.describe()
    );
    // The package copy Wine's msi opens, in C:\windows\Installer.
    let local = local_package(&ctx, &prefix);
    let name = local
        .strip_prefix("C:\\windows\\Installer\\")
        .unwrap_or_else(|| panic!("LocalPackage {local}"));
    assert!(name.ends_with(".msi") && !name.contains('\\'), "{local}");
    assert!(drive.join("windows/Installer").join(name).is_file());

    let seen = wine_view(&copy);
    assert!(
        seen.ppk
            .as_deref()
            .is_some_and(|t| t.contains("PPK_Assoc_ProgId")),
        "wine reg query HKCR\\.ppk: {:?}",
        seen.ppk
    );
    assert!(
        seen.uninstall
            .as_deref()
            .is_some_and(|t| t.contains("PuTTY release 0.68")),
        "the Uninstall entry: {:?}",
        seen.uninstall
    );
    assert!(seen.listed, "wine uninstaller --list does not list PuTTY");

    let run = rmsi(&ctx, "uninstall", &[PUTTY_CODE], &prefix);
    run.assert_code_logged(0);
    assert!(!putty_exe(&prefix).exists());
    assert!(!drive.join("windows/Installer").join(name).exists());
    assert!(!drive.join("windows/Installer/rmsi").exists());
    let list = rmsi(&ctx, "list", &[], &prefix);
    assert_eq!(list.stdout, "", "{}", list.describe());
    let seen = wine_view(&copy);
    assert_eq!(seen.ppk, None);
    assert_eq!(seen.uninstall, None);
    assert!(!seen.listed, "still listed after the uninstall");
}

#[test]
fn wine_msiexec_uninstalls_what_rmsi_installed() {
    let Some(copy) = Prefix::new() else { return };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    install_putty(&ctx, &prefix);
    let local = local_package(&ctx, &prefix);
    let local = prefix
        .join("drive_c")
        .join(local.strip_prefix("C:\\").unwrap().replace('\\', "/"));
    assert!(local.is_file());
    let out = copy.wine(&["msiexec", "/x", PUTTY_CODE, "/qn"]);
    assert!(out.status.success(), "wine msiexec /x: {}", text(&out));
    copy.stop_server();
    let dir = prefix.join("drive_c/Program Files (x86)/PuTTY");
    assert!(
        !dir.exists(),
        "{:?}",
        std::fs::read_dir(&dir).map(|d| d.count())
    );
    assert!(!local.exists(), "Wine's msi deletes the cached package");
    let seen = wine_view(&copy);
    assert_eq!(seen.uninstall, None);
    assert!(!seen.listed);
    // rmsi takes the prefix's registry's word for it.
    let list = rmsi(&ctx, "list", &[], &prefix);
    assert_eq!(list.stdout, "", "{}", list.describe());
    // And the product can be installed again.
    install_putty(&ctx, &prefix);
}

#[test]
fn a_wineserver_serving_the_prefix_is_refused_or_awaited() {
    let Some(copy) = Prefix::new() else { return };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    let before = std::fs::read(prefix.join("system.reg")).unwrap();
    // A persistent server for this prefix (`-p`: it stays until killed).
    let status = copy.command("wineserver").arg("-p").status().unwrap();
    assert!(status.success());
    let run = rmsi(&ctx, "install", &[putty().to_str().unwrap()], &prefix);
    run.assert_code(1618);
    assert!(
        run.stderr.contains("wineserver") && run.stderr.contains("process "),
        "{}",
        run.describe()
    );
    assert!(!putty_exe(&prefix).exists());
    assert_eq!(std::fs::read(prefix.join("system.reg")).unwrap(), before);

    // --wait-wineserver waits for it to end (ended here after two seconds).
    let killer = {
        let mut kill = copy.command("wineserver");
        kill.arg("-k");
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(2));
            let _ = kill.status();
        })
    };
    let started = Instant::now();
    let run = rmsi(
        &ctx,
        "install",
        &[putty().to_str().unwrap(), "--wait-wineserver"],
        &prefix,
    );
    killer.join().unwrap();
    run.assert_code_logged(0);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert!(putty_exe(&prefix).is_file());
}

/// A kill after each of the install's last journal records (the registry files written,
/// the package copy placed, the product database) is rolled back by the next run: the
/// prefix's registry files and drive are as they were.
#[test]
fn a_kill_after_the_registry_files_were_written_is_rolled_back() {
    let Some(copy) = Prefix::new() else { return };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    let snapshot = |prefix: &Path| {
        (
            std::fs::read(prefix.join("system.reg")).unwrap(),
            std::fs::read(prefix.join("user.reg")).unwrap(),
            test_support::e2e::tree(&prefix.join("drive_c")),
        )
    };
    let before = snapshot(&prefix);
    let crashed = |n: u64| {
        let mut cmd = ctx.rmsi();
        cmd.arg("install")
            .arg(putty())
            .arg("--wine-prefix")
            .arg(&prefix)
            .args(["--ui", "none", "MSIRESTARTMANAGERCONTROL=Disable"])
            .env("RMSI_TEST_CRASH_AFTER", n.to_string());
        let out = cmd.output().unwrap();
        use std::os::unix::process::ExitStatusExt;
        out.status.signal() == Some(9)
    };
    // The run with nothing missing: `rmsi install` of a missing package takes the lock,
    // rolls the dead run back, and fails to open the package (1619).
    let recover = || {
        let run = rmsi(&ctx, "install", &["/nonexistent.msi"], &prefix);
        run.assert_code(1619);
        run
    };
    // The number of records: the largest N that still kills the run.
    let (mut low, mut high) = (1u64, 512u64);
    assert!(crashed(low));
    recover();
    while high - low > 1 {
        let mid = (low + high) / 2;
        let killed = crashed(mid);
        if killed {
            recover();
            low = mid;
        } else {
            // It installed: remove it again for the next probe.
            rmsi(&ctx, "uninstall", &[PUTTY_CODE], &prefix).assert_code(0);
            high = mid;
        }
        assert_eq!(snapshot(&prefix).2, before.2, "after probe {mid}");
    }
    // The registry files as the probes' uninstalls left them (their keys' times changed).
    let before = snapshot(&prefix);
    for n in low.saturating_sub(3).max(1)..=low {
        assert!(crashed(n), "record {n}");
        let run = recover();
        assert!(
            run.log.contains("Rollback of an interrupted installation"),
            "{}",
            run.describe()
        );
        let after = snapshot(&prefix);
        assert!(
            after.0 == before.0,
            "system.reg differs after a kill at record {n}"
        );
        assert!(
            after.1 == before.1,
            "user.reg differs after a kill at record {n}"
        );
        assert_eq!(after.2, before.2, "drive_c after a kill at record {n}");
    }
}

/// The test packages of the environment and shell tables in a prefix: Wine programs see the
/// environment strings (with `C:\` paths) in a new process, the shortcuts are `.lnk` files
/// in Wine's own shell folders, INI values hold `C:\` paths.
#[test]
fn environment_strings_shortcuts_and_ini_files_in_a_prefix() {
    let Some(copy) = Prefix::new() else { return };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    let env = test_support::package("env.msi");
    rmsi(&ctx, "install", &[env.to_str().unwrap()], &prefix).assert_code_logged(0);
    let out = copy.wine(&[
        "cmd",
        "/c",
        "echo [%RMSI_HOME%] [%RMSI_LIST%] [%RMSI_USER%]",
    ]);
    copy.stop_server();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        r"[C:\Program Files (x86)\rmsi-env\] [C:\Program Files (x86)\rmsi-env\;C:\old] [C:\users\root\rmsi]"
            .replace("root", &user_of(&prefix)),
        "{}",
        text(&out)
    );

    let shell = test_support::package("shell.msi");
    let drive = prefix.join("drive_c");
    let run = rmsi(
        &ctx,
        "install",
        &[shell.to_str().unwrap(), "ALLUSERS=1"],
        &prefix,
    );
    run.assert_code_logged(0);
    let menu = drive.join("ProgramData/Microsoft/Windows/Start Menu/Programs/rmsi-shell");
    assert!(menu.join("Shell App.lnk").is_file(), "{}", run.describe());
    assert!(drive.join("users/Public/Desktop/Read Me.lnk").is_file());
    let ini = std::fs::read_to_string(drive.join("windows/rmsi-shell.ini")).unwrap();
    assert!(
        ini.contains("InstallDir=C:\\Program Files (x86)\\rmsi-tests\\shell\\\r\n"),
        "{ini}"
    );
    rmsi(
        &ctx,
        "uninstall",
        &[shell.to_str().unwrap(), "ALLUSERS=1"],
        &prefix,
    )
    .assert_code_logged(0);
    assert!(!menu.exists());
    assert!(!drive.join("windows/rmsi-shell.ini").exists());
}

/// A major upgrade whose RemoveExistingProducts runs inside its transaction (after
/// InstallExecute): the removal of version 1 writes the prefix's registry files first, and
/// version 2's registration then goes on top of what it wrote, so that only version 2 is
/// registered and cached, as Wine's uninstaller lists it.
#[test]
fn a_major_upgrade_in_a_prefix_leaves_only_the_new_version() {
    let Some(copy) = Prefix::new() else { return };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    // Version 1 without its removal's host custom action (it is given `C:\` paths here).
    let v1 = ctx.path("upgrade-v1.msi");
    std::fs::copy(test_support::package("upgrade-v1.msi"), &v1).unwrap();
    test_support::build::msibuild(
        &v1,
        "DELETE FROM `InstallExecuteSequence` WHERE `Action` = 'RecordRemoval'",
    );
    rmsi(&ctx, "install", &[v1.to_str().unwrap()], &prefix).assert_code_logged(0);
    let v2 = test_support::package("upgrade-v2-exec.msi");
    rmsi(&ctx, "install", &[v2.to_str().unwrap()], &prefix).assert_code_logged(0);
    let list = rmsi(&ctx, "list", &[], &prefix);
    assert_eq!(
        list.stdout,
        "{5D2E7A10-1B2C-4D3E-8F40-6A7B8C9D0E02}\trmsi upgrade\t2.0.0\tinstalled\n"
    );
    let system = std::fs::read_to_string(prefix.join("system.reg")).unwrap();
    let registered =
        |packed: &str| system.contains(&format!("Products\\\\{packed}\\\\InstallProperties]"));
    assert!(
        !registered("01A7E2D5C2B1E3D4F804A6B7C8D9E010"),
        "version 1 still registered"
    );
    assert!(
        registered("01A7E2D5C2B1E3D4F804A6B7C8D9E020"),
        "version 2 not registered"
    );
    let cached: Vec<_> = std::fs::read_dir(prefix.join("drive_c/windows/Installer"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".msi"))
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    let listed = text(&copy.wine(&["uninstaller", "--list"]));
    copy.stop_server();
    assert!(
        listed.contains("{5D2E7A10-1B2C-4D3E-8F40-6A7B8C9D0E02}|||rmsi upgrade"),
        "{listed}"
    );
    assert!(
        !listed.contains("{5D2E7A10-1B2C-4D3E-8F40-6A7B8C9D0E01}"),
        "{listed}"
    );
}

/// The prefix user's name, from the one profile folder besides `Public`.
/// Wine links `users/<user>/Desktop` to the user's own desktop folder: a per-user
/// shortcut goes there, as Windows puts it on the user's desktop, and the product's removal
/// takes it away. A Desktop link that leads outside the home folder of the user installing
/// is refused (1603, naming the link) and nothing is written where it leads.
#[test]
fn a_per_user_desktop_shortcut_lands_where_wines_desktop_link_leads() {
    use std::os::unix::fs::PermissionsExt;
    let Some(copy) = Prefix::new() else { return };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    let shell = test_support::package("shell.msi");
    let home = ctx.path("home");
    let elsewhere = ctx.path("elsewhere/Desktop");
    for dir in [home.join("Desktop"), elsewhere.clone()] {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let link = prefix.join(format!("drive_c/users/{}/Desktop", user_of(&prefix)));
    let relink = |to: &Path| {
        match std::fs::symlink_metadata(&link) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&link).unwrap(),
            Ok(_) => std::fs::remove_file(&link).unwrap(),
            Err(_) => {}
        }
        std::os::unix::fs::symlink(to, &link).unwrap();
    };
    let run_as_user = |verb: &str| {
        let mut cmd = ctx.rmsi();
        cmd.arg(verb)
            .arg(&shell)
            .arg("--wine-prefix")
            .arg(&prefix)
            .args(["--ui", "none", "--log"])
            .arg(&ctx.log)
            .arg("MSIRESTARTMANAGERCONTROL=Disable")
            .env("HOME", &home);
        run_command_within(&mut cmd, Some(&ctx.log), Duration::from_secs(300))
    };

    relink(&elsewhere);
    let refused = run_as_user("install");
    refused.assert_code(1603);
    assert!(
        refused
            .stderr
            .contains("refusing to write through the link")
            && refused.stderr.contains("Desktop"),
        "{}",
        refused.describe()
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);

    relink(&home.join("Desktop"));
    run_as_user("install").assert_code_logged(0);
    let shortcut = home.join("Desktop/Read Me.lnk");
    assert!(shortcut.is_file(), "no shortcut on the desktop");
    // Nothing else of the install's (no staging folder) is left there.
    assert_eq!(std::fs::read_dir(home.join("Desktop")).unwrap().count(), 1);
    run_as_user("uninstall").assert_code_logged(0);
    assert!(!shortcut.exists(), "the removal left the shortcut");
    assert!(link.is_dir(), "the link itself went");
}

fn user_of(prefix: &Path) -> String {
    std::fs::read_dir(prefix.join("drive_c/users"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n != "Public")
        .unwrap()
}

#[test]
fn a_folder_that_is_no_wine_prefix_is_refused() {
    let ctx = Ctx::new();
    let missing = ctx.path("no-such-prefix");
    let run = rmsi(&ctx, "install", &[putty().to_str().unwrap()], &missing);
    run.assert_code(1639);
    assert!(
        run.stderr.contains("is not a Wine prefix"),
        "{}",
        run.describe()
    );
    assert!(!missing.exists(), "the prefix was created");
    let empty = ctx.path("empty");
    std::fs::create_dir(&empty).unwrap();
    for verb in ["install", "uninstall"] {
        let target = if verb == "install" {
            putty().to_str().unwrap().to_string()
        } else {
            PUTTY_CODE.to_string()
        };
        let run = rmsi(&ctx, verb, &[&target], &empty);
        run.assert_code(1639);
        assert!(run.stderr.contains("system.reg"), "{}", run.describe());
    }
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    let run = rmsi(&ctx, "list", &[], &missing);
    run.assert_code(1639);
    let run = rmsi(&ctx, "reg", &["query", r"HKLM\Software"], &empty);
    run.assert_code(1639);
    assert!(
        run.stderr.contains("is not a Wine prefix"),
        "{}",
        run.describe()
    );
}

/// In a prefix StartServices starts its services through Wine once the registry files are
/// committed: the service itself writes what its service manager gave it (`svc.c` writes
/// `service-ran.txt` beside itself), so the service key rmsi wrote is the one Wine read.
#[test]
fn a_service_installed_into_a_prefix_is_started_by_wine() {
    let Some(copy) = Prefix::new() else { return };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    let services = test_support::package("services.msi");
    let run = rmsi(
        &ctx,
        "install",
        &[services.to_str().unwrap(), "SVCPASSWORD=secret"],
        &prefix,
    );
    run.assert_code_logged(0);
    assert!(
        run.log.contains("(RmsiSvc) started through Wine."),
        "{}",
        run.describe()
    );
    let folder = prefix.join("drive_c/Program Files (x86)/rmsi services");
    let ran = std::fs::read(folder.join("service-ran.txt")).unwrap_or_default();
    let ran = String::from_utf8_lossy(&ran).replace('\0', "");
    assert!(
        ran.contains(r#"--dir "C:\Program Files (x86)\rmsi services\""#),
        "what the service wrote: {ran:?}\n{}",
        run.describe()
    );
    copy.stop_server();
    rmsi(&ctx, "uninstall", &[services.to_str().unwrap()], &prefix).assert_code_logged(0);
    let key = copy.wine(&[
        "reg",
        "query",
        r"HKLM\SYSTEM\CurrentControlSet\Services\RmsiSvc",
    ]);
    copy.stop_server();
    assert!(
        !key.status.success(),
        "the service key is left: {}",
        text(&key)
    );
}

/// prodAv100's Uninstall key in `system.reg` (a 32-bit package: the 32-bit view).
const UNINSTALL_A: &str = r"Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{6EA3AE83-A14F-4B8B-8A86-BB977A9E7833}]";

/// A patch applied to a product installed in a prefix (`rmsi msiexec --wine-prefix DIR /p`)
/// finds the product where the prefix keeps its records, and the prefix's Uninstall entry
/// then shows the patched version; removing the patch brings the original version back.
#[test]
fn a_patch_applies_to_a_product_installed_in_a_prefix() {
    let Some(copy) = Prefix::new() else { return };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    let corpus = corpus_dir();
    let product = corpus.join("wix3-PerMachineMsisMsps-prodAv100/prodAv100.msi");
    let patch = corpus.join("wix3-PerMachineMsisMsps-patches/PatchAv101.msp");
    rmsi(&ctx, "install", &[product.to_str().unwrap()], &prefix).assert_code_logged(0);
    let msiexec = |args: &[&std::ffi::OsStr]| {
        let mut cmd = ctx.rmsi();
        cmd.arg("msiexec")
            .arg("--wine-prefix")
            .arg(&prefix)
            .args(args)
            .args(["/qn", "/l*v"])
            .arg(&ctx.log);
        run_command_within(&mut cmd, Some(&ctx.log), Duration::from_secs(300))
    };
    let version = || {
        let system = std::fs::read_to_string(prefix.join("system.reg")).unwrap();
        let key = system
            .split("\n[")
            .find(|k| k.starts_with(UNINSTALL_A))
            .unwrap_or_default()
            .to_string();
        key.lines()
            .find_map(|l| l.strip_prefix("\"DisplayVersion\"="))
            .map(|v| v.trim_matches('"').to_string())
    };
    assert_eq!(version().as_deref(), Some("1.0.0.0"));
    msiexec(&["/p".as_ref(), patch.as_os_str()]).assert_code_logged(0);
    assert_eq!(version().as_deref(), Some("1.0.1.0"));
    let list = rmsi(&ctx, "list", &[], &prefix);
    assert!(
        list.stdout.contains("\t1.0.1.0\tinstalled"),
        "{}",
        list.describe()
    );
    msiexec(&[
        "/uninstall".as_ref(),
        patch.as_os_str(),
        "/package".as_ref(),
        "{6EA3AE83-A14F-4B8B-8A86-BB977A9E7833}".as_ref(),
    ])
    .assert_code_logged(0);
    assert_eq!(version().as_deref(), Some("1.0.0.0"));
}

/// A custom action that runs a Windows program (type 34: the prefix's own `reg.exe`) runs it
/// with Wine in the prefix, with the `C:\` paths its target holds; the install waits for
/// the program's wineserver to save the prefix's registry before it writes its own changes,
/// so the value the program added is there beside the package's. Removing the product takes
/// the package's value away and leaves the program's (nothing undoes what a custom action
/// did but the package's own actions).
#[test]
fn a_windows_program_custom_action_runs_with_wine_in_the_prefix() {
    let Some(copy) = Prefix::new() else { return };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    let msi = test_support::package("wine-exe-ca.msi");
    let msi = msi.to_str().unwrap();
    let run = rmsi(&ctx, "install", &[msi], &prefix);
    run.assert_code_logged(0);
    let log = std::fs::read_to_string(&ctx.log).unwrap();
    assert!(
        log.contains(r"Running custom action AddValue with Wine: ")
            && log.contains(
                r"reg.exe add HKLM\Software\rmsi-test\ExeCA /v FromCustomAction /d 1.2.3 /f"
            ),
        "{log}"
    );
    let key = r"HKLM\Software\rmsi-test\ExeCA";
    let out = copy.wine(&["reg", "query", key]);
    copy.stop_server();
    let seen = text(&out);
    assert!(
        seen.contains("FromCustomAction") && seen.contains("1.2.3"),
        "{seen}"
    );
    assert!(
        seen.contains("FromPackage") && seen.contains(r"C:\Program Files\rmsi-exe-ca\"),
        "{seen}"
    );

    rmsi(&ctx, "uninstall", &[msi], &prefix).assert_code_logged(0);
    let out = copy.wine(&["reg", "query", key]);
    copy.stop_server();
    let seen = text(&out);
    assert!(seen.contains("FromCustomAction"), "{seen}");
    assert!(!seen.contains("FromPackage"), "{seen}");
}

/// An install that fails after a custom action ran a Windows program with Wine (with
/// `FAILAFTER=1` a second program, `reg.exe query` of a missing key, exits 1) is rolled
/// back, and the run ends only once the programs' wineserver has saved the registry and
/// ended: no server serves the prefix when rmsi returns, so the next run is not refused
/// (1618). What the first program wrote stays, as on Windows (only a package's rollback
/// actions undo a custom action), and the package's own value was never written.
#[test]
fn a_rollback_after_a_windows_program_waits_for_its_wineserver() {
    let Some(copy) = Prefix::new() else { return };
    let prefix = copy.path().to_path_buf();
    let ctx = Ctx::new();
    let msi = test_support::package("wine-exe-ca.msi");
    let msi = msi.to_str().unwrap();
    let run = rmsi(&ctx, "install", &[msi, "FAILAFTER=1"], &prefix);
    run.assert_code_logged(1603);
    let servers = engine::wine::wineservers(&prefix).unwrap();
    assert!(servers.is_empty(), "{servers:?}\n{}", run.describe());
    let system = std::fs::read_to_string(prefix.join("system.reg")).unwrap();
    assert!(
        system.contains(r#""FromCustomAction"="1.2.3""#),
        "{}",
        run.describe()
    );
    assert!(!system.contains(r#""FromPackage""#), "{}", run.describe());

    rmsi(&ctx, "install", &[msi], &prefix).assert_code_logged(0);
    let system = std::fs::read_to_string(prefix.join("system.reg")).unwrap();
    assert!(system.contains(r#""FromPackage""#));
}
