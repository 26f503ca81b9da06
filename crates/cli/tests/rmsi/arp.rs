//! The product's registration as Add/Remove Programs and the advertised product show it,
//! where comparing rmsi with Wine's own msiexec on the corpus (`scripts/wine-parity`) found
//! rmsi off Windows Installer's documented behaviour.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use test_support::e2e::{Ctx, Layout, Run, corpus_dir, run_command_within};
use test_support::wine::Prefix;

const PUTTY: &str = "{55717628-7AE6-4BCF-A046-FA2768945E76}";
const PUTTY_ARP: &str = r"HKLM\Software\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{55717628-7AE6-4BCF-A046-FA2768945E76}";
const PUTTY_ADVERTISED: &str =
    r"HKLM\Software\Classes\Installer\Products\826717556EA7FCB40A64AF728649E567";

fn putty() -> PathBuf {
    corpus_dir().join("lessmsi-putty-0.68/putty-0.68-installer.msi")
}

/// `rmsi install PKG --wine-prefix` into the prefix copy `copy`, logged to the context's log.
fn install_into(ctx: &Ctx, copy: &Prefix, pkg: &Path) -> Run {
    let mut cmd = ctx.rmsi();
    cmd.arg("install")
        .arg(pkg)
        .arg("--wine-prefix")
        .arg(copy.path())
        .args(["--ui", "none", "--log"])
        .arg(&ctx.log);
    run_command_within(&mut cmd, Some(&ctx.log), Duration::from_secs(300))
}

/// A stream of a package, as msitools' `msiinfo extract` reads it.
fn stream(pkg: &Path, name: &str) -> Vec<u8> {
    let out = Command::new("msiinfo")
        .arg("extract")
        .arg(pkg)
        .arg(name)
        .output()
        .expect("run msiinfo extract");
    assert!(out.status.success(), "msiinfo extract {name} failed");
    out.stdout
}

/// "Configuring Add/Remove Programs with Windows Installer": ARPPRODUCTICON names the
/// product's icon, registered as DisplayIcon (and as the advertised product's ProductIcon,
/// MsiGetProductInfo's INSTALLPROPERTY_PRODUCTICON). The file it names is the Icon row's
/// data, placed where the installer keeps the product's icons, and goes with the product.
#[test]
fn arpproducticon_is_a_placed_icon_that_goes_with_the_product() {
    let pkg = putty();
    let ctx = Ctx::new();
    ctx.install(&pkg, Layout::Windows, &[])
        .assert_code_logged(0);
    let icon = ctx
        .reg_value(PUTTY_ARP, "DisplayIcon")
        .expect("DisplayIcon");
    let expected = ctx
        .root
        .join("Windows/Installer")
        .join(PUTTY)
        .join("installericon.exe");
    assert_eq!(Path::new(&icon), expected);
    assert_eq!(
        std::fs::read(&expected).expect("the product icon is placed"),
        stream(&pkg, "Icon.installericon.exe")
    );
    assert_eq!(
        ctx.reg_value(PUTTY_ADVERTISED, "ProductIcon").as_deref(),
        Some(icon.as_str())
    );

    ctx.uninstall(PUTTY, Layout::Windows, &[])
        .assert_code_logged(0);
    assert!(!expected.exists(), "the product icon outlives the product");
}

/// `wine reg query KEY /v NAME` in the prefix: the value's data as Wine's own tool prints it
/// (`    NAME    REG_TYPE    DATA`).
fn wine_value(prefix: &Prefix, key: &str, name: &str) -> Option<String> {
    let out = prefix.wine(&["reg", "query", key, "/v", name]);
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find_map(|line| {
        let mut fields = line.trim().splitn(3, "    ");
        (fields.next()? == name).then_some(())?;
        fields.next()?;
        Some(fields.next().unwrap_or("").trim().to_string())
    })
}

/// In a Wine prefix, the source folder the registration names (InstallSource, the source
/// list's network source and LastUsedSource) is a path the prefix's programs can open: the
/// folder through the drive Wine maps to it (`Z:` is `/`), as Wine's msiexec writes it,
/// never the host's `/...` spelling.
#[test]
fn a_wine_prefix_registers_the_source_folder_as_a_drive_path() {
    let Some(copy) = Prefix::new() else { return };
    let ctx = Ctx::new();
    let pkg = putty();
    install_into(&ctx, &copy, &pkg).assert_code_logged(0);
    let folder = std::fs::canonicalize(pkg.parent().expect("the corpus folder"))
        .expect("canonical corpus folder");
    let expected = format!("Z:{}\\", folder.display()).replace('/', "\\");
    assert_eq!(
        wine_value(&copy, PUTTY_ARP, "InstallSource").as_deref(),
        Some(expected.as_str())
    );
    let list = format!(r"{PUTTY_ADVERTISED}\SourceList");
    assert_eq!(
        wine_value(&copy, &format!(r"{list}\Net"), "1").as_deref(),
        Some(expected.as_str())
    );
    assert_eq!(
        wine_value(&copy, &list, "LastUsedSource"),
        Some(format!("n;1;{expected}"))
    );
}

/// A dual-purpose package installed per user (`ALLUSERS=2`, `MSIINSTALLPERUSER=1`; "Single
/// Package Authoring") goes to the user's program files, `%LOCALAPPDATA%\Programs`
/// (FOLDERID_UserProgramFiles): in a Wine prefix, the prefix's own user folder
/// (`users/<name>`), never a second `Users` folder beside it.
#[test]
fn a_per_user_dual_purpose_package_goes_to_the_prefix_users_own_programs() {
    let Some(copy) = Prefix::new() else { return };
    let ctx = Ctx::new();
    let pkg = corpus_dir().join("wix-DecompileNullComponent-example/example.msi");
    let run = install_into(&ctx, &copy, &pkg);
    run.assert_code_logged(0);
    let drive = copy.drive_c();
    assert!(!drive.join("Users").exists(), "{}", run.describe());
    let placed: Vec<PathBuf> = std::fs::read_dir(drive.join("users"))
        .expect("the prefix's users folder")
        .map(|e| {
            e.expect("a user folder")
                .path()
                .join("AppData/Local/Programs/MsiPackage/test.txt")
        })
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(placed.len(), 1, "{}", run.describe());
}

/// Removing a product from a Wine prefix removes the product's own keys, not the system's:
/// the Add/Remove Programs root (`...\CurrentVersion\Uninstall`, which Wine makes at boot,
/// empty) stays, as Windows Installer and Wine's msiexec leave it.
#[test]
fn removing_a_product_from_a_wine_prefix_keeps_the_uninstall_root() {
    let Some(copy) = Prefix::new() else { return };
    let root = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall";
    let exists = |key: &str| copy.wine(&["reg", "query", key]).status.success();
    assert!(exists(root), "a fresh prefix has {root}");
    let ctx = Ctx::new();
    // A per-machine x64 package: its entry is a subkey of that very key.
    let pkg = corpus_dir().join("wix-PackageSummaryInformation-TypicalV3/TypicalV3.msi");
    let code = "{E15B3880-B695-47E4-A03D-FEAF07FC3666}";
    for args in [
        vec!["install".to_string(), pkg.display().to_string()],
        vec!["uninstall".to_string(), code.to_string()],
    ] {
        let mut cmd = ctx.rmsi();
        cmd.args(&args)
            .arg("--wine-prefix")
            .arg(copy.path())
            .args(["--ui", "none", "--log"])
            .arg(&ctx.log);
        run_command_within(&mut cmd, Some(&ctx.log), Duration::from_secs(300))
            .assert_code_logged(0);
        if args[0] == "install" {
            assert!(exists(&format!(r"{root}\{code}")), "no Uninstall entry");
        }
    }
    assert!(
        !exists(&format!(r"{root}\{code}")),
        "the entry outlives the product"
    );
    assert!(exists(root), "{root} went with the product");
}

/// PublishFeatures writes every feature's state, an absent one's too ("PublishFeatures
/// Action"): PuTTY's DesktopFeature (level 2, above the default INSTALLLEVEL) is marked
/// absent in `Installer\Features` and has no components in `UserData`, beside the installed
/// features' entries; all of it goes with the product.
#[test]
fn an_absent_feature_is_published_as_absent() {
    let ctx = Ctx::new();
    ctx.install(&putty(), Layout::Windows, &[])
        .assert_code_logged(0);
    let packed = "826717556EA7FCB40A64AF728649E567";
    let features = format!(r"HKLM\Software\Classes\Installer\Features\{packed}");
    let user_data = format!(
        r"HKLM\Software\Microsoft\Windows\CurrentVersion\Installer\UserData\S-1-5-18\Products\{packed}\Features"
    );
    assert_eq!(
        ctx.reg_value(&features, "DesktopFeature").as_deref(),
        Some("\u{6}")
    );
    assert_eq!(
        ctx.reg_value(&features, "FilesFeature").as_deref(),
        Some("")
    );
    assert_eq!(
        ctx.reg_value(&user_data, "DesktopFeature").as_deref(),
        Some("\u{2}")
    );
    assert!(
        ctx.reg_value(&user_data, "FilesFeature")
            .is_some_and(|v| v.len() > 20),
        "FilesFeature's components"
    );
    ctx.uninstall(PUTTY, Layout::Windows, &[]).assert_code(0);
    assert_eq!(ctx.reg_value(&features, "DesktopFeature"), None);
}
