//! `rmsi msiexec /a` (and `ACTION=ADMIN`) and `rmsi extract` with the corpus's PuTTY
//! package: the administrative image holds the files `msiextract` gives (names and
//! bytes) at their source paths (`PFiles/PuTTY/...`, the Directory table's source names),
//! a copy of the package marked as an administrative image, and nothing else; installing
//! from the image gives what installing from the original package gives, with the
//! image's AdminProperties; `rmsi extract` lays the files out as the image does.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use package::Package;
use test_support::corpus_dir;
use test_support::e2e::{Ctx, Layout, Run, payload_files, tree};

fn putty() -> PathBuf {
    corpus_dir().join("lessmsi-putty-0.68/putty-0.68-installer.msi")
}

fn msiexec(ctx: &Ctx, args: &[&str]) -> Run {
    let mut cmd: Command = ctx.rmsi();
    cmd.arg("msiexec")
        .args(args)
        .arg("/qn")
        .arg("/l*v")
        .arg(&ctx.log)
        .arg("MSIRESTARTMANAGERCONTROL=Disable");
    ctx.finish(&mut cmd)
}

/// Every regular file under `dir`, by relative path, with its bytes.
fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(dir)
        .into_iter()
        .filter(|p| !p.ends_with('/'))
        .map(|p| {
            let bytes = fs::read(dir.join(&p)).unwrap();
            (p, bytes)
        })
        .collect()
}

/// What `msiextract` gives, by file name.
fn msiextract(ctx: &Ctx, pkg: &Path) -> BTreeMap<String, Vec<u8>> {
    let out = ctx.path("msiextract");
    fs::create_dir(&out).unwrap();
    let status = Command::new("msiextract")
        .arg("-C")
        .arg(&out)
        .arg(pkg)
        .output()
        .expect("run msiextract (msitools)");
    assert!(status.status.success(), "{status:?}");
    files_under(&out)
        .into_iter()
        .map(|(p, b)| (p.rsplit('/').next().unwrap().to_string(), b))
        .collect()
}

#[test]
fn an_admin_image_of_putty_holds_msiextracts_files_at_their_source_paths() {
    let ctx = Ctx::new();
    let image = ctx.path("image");
    let target = format!("TARGETDIR={}", image.display());
    let run = msiexec(
        &ctx,
        &["/a", putty().to_str().unwrap(), &target, "ADMINX=site one"],
    );
    run.assert_code_logged(0);
    for action in [
        "CostFinalize",
        "InstallFiles",
        "InstallAdminPackage",
        "InstallFinalize",
    ] {
        assert!(
            run.log
                .lines()
                .any(|l| l.contains("Action start") && l.contains(&format!(" {action}."))),
            "{action} did not run:\n{}",
            run.describe()
        );
    }
    let got = files_under(&image);
    let expected = msiextract(&ctx, &putty());
    assert_eq!(expected.len(), 10);
    let mut want: BTreeMap<String, Vec<u8>> = expected
        .into_iter()
        .map(|(name, bytes)| (format!("PFiles/PuTTY/{name}"), bytes))
        .collect();
    // And the image's package.
    let copy = "putty-0.68-installer.msi".to_string();
    want.insert(copy.clone(), got.get(&copy).cloned().unwrap_or_default());
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    assert_eq!(got, want);
    // Nothing was written anywhere else: no registry, no lock.
    assert!(tree(&ctx.root).is_empty());
    let mut outside = ctx.outside_root();
    outside.retain(|p| *p != image && !p.ends_with("msiextract"));
    assert!(outside.is_empty(), "{outside:?}");

    // The image's package: an administrative image, uncompressed, no cabinets.
    let admin = Package::open(image.join(&copy)).unwrap();
    let original = Package::open(putty()).unwrap();
    assert!(admin.summary().admin_image() && !admin.summary().compressed());
    assert!(admin.media().unwrap().iter().all(|m| m.cabinet.is_none()));
    assert!(!admin.has_stream("putty.cab") && original.has_stream("putty.cab"));
    assert!(!admin.summary().signed);
    assert_eq!(
        admin.admin_properties().unwrap(),
        vec![
            ("ADMINX".to_string(), "site one".to_string()),
            (
                "MSIRESTARTMANAGERCONTROL".to_string(),
                "Disable".to_string()
            )
        ]
    );
    assert_eq!(
        admin.files().unwrap().len(),
        original.files().unwrap().len()
    );

    // Installing from the image gives what installing from the original gives, and the
    // image's AdminProperties apply.
    let from_original = Ctx::new();
    let run = from_original.install(&putty(), Layout::Fhs, &["MSIRESTARTMANAGERCONTROL=Disable"]);
    run.assert_code(0);
    let run = ctx.install(
        &image.join(&copy),
        Layout::Fhs,
        &["MSIRESTARTMANAGERCONTROL=Disable"],
    );
    run.assert_code(0);
    assert!(
        run.log.contains("Property(S): ADMINX = site one"),
        "{}",
        run.describe()
    );
    // PuTTY's ten files (its Start-menu shortcuts, desktop entries in fhs, name their
    // root's own paths, so they are compared apart).
    let files = |root: &Path| -> BTreeMap<String, Vec<u8>> {
        payload_files(root, Layout::Fhs)
            .into_iter()
            .filter(|(k, _)| k.starts_with("opt/"))
            .collect()
    };
    let a = files(&from_original.root);
    assert_eq!(a.len(), 10, "{:?}", a.keys());
    assert_eq!(files(&ctx.root), a);
    let shortcuts = |root: &Path| {
        payload_files(root, Layout::Fhs)
            .into_keys()
            .filter(|k| k.ends_with(".desktop"))
            .collect::<Vec<_>>()
    };
    assert_eq!(shortcuts(&ctx.root), shortcuts(&from_original.root));
}

#[test]
fn action_admin_and_rmsi_extract_lay_out_the_same_image() {
    let ctx = Ctx::new();
    let image = ctx.path("image");
    let target = format!("TARGETDIR={}", image.display());
    msiexec(
        &ctx,
        &["/i", putty().to_str().unwrap(), "ACTION=ADMIN", &target],
    )
    .assert_code(0);
    let mut via_admin = files_under(&image);
    assert!(via_admin.remove("putty-0.68-installer.msi").is_some());
    assert!(tree(&ctx.root).is_empty());

    let out = ctx.path("extracted");
    let run = ctx.finish(ctx.rmsi().arg("extract").arg(putty()).arg("-C").arg(&out));
    run.assert_code(0);
    assert_eq!(files_under(&out), via_admin);
    let listed: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(listed.len(), 10);
    assert!(listed.contains(&"PFiles/PuTTY/putty.exe"));

    // --list writes nothing; --json gives key, path and size.
    let run = ctx.finish(
        ctx.rmsi()
            .arg("extract")
            .arg(putty())
            .arg("--list")
            .arg("--json"),
    );
    run.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 10);
    let putty_exe = entries
        .iter()
        .find(|e| e["path"] == "PFiles/PuTTY/putty.exe")
        .unwrap();
    assert_eq!(
        putty_exe["size"].as_u64().unwrap() as usize,
        via_admin["PFiles/PuTTY/putty.exe"].len()
    );

    // Without TARGETDIR, /a is an invalid command line and writes nothing.
    msiexec(&ctx, &["/a", putty().to_str().unwrap()]).assert_code(1639);
}

/// `SHORTFILENAMES=1`: the image's folders and files have their short names (the
/// Directory table's `short|long` source names), its package says so (Word Count bit 0),
/// and installing from it still gives what the original gives.
#[test]
fn shortfilenames_gives_an_image_with_short_names() {
    let pkg = corpus_dir().join("wix3-PerMachineMsisMsps-prodAv100/prodAv100.msi");
    let ctx = Ctx::new();
    let image = ctx.path("image");
    let target = format!("TARGETDIR={}", image.display());
    msiexec(&ctx, &["/a", pkg.to_str().unwrap(), &target]).assert_code(0);
    let long: Vec<String> = files_under(&image).into_keys().collect();
    assert_eq!(long, ["Program Files/ProdA/product.wxs", "prodAv100.msi"]);

    let short_ctx = Ctx::new();
    let short_image = short_ctx.path("image");
    let target = format!("TARGETDIR={}", short_image.display());
    msiexec(
        &short_ctx,
        &["/a", pkg.to_str().unwrap(), &target, "SHORTFILENAMES=1"],
    )
    .assert_code(0);
    let short = files_under(&short_image);
    assert_eq!(
        short.keys().collect::<Vec<_>>(),
        ["prodAv100.msi", "xlqr-nev/ProdA/product.wxs"]
    );
    let admin = Package::open(short_image.join("prodAv100.msi")).unwrap();
    assert!(admin.summary().short_source_names() && admin.summary().admin_image());

    let from_original = Ctx::new();
    from_original
        .install(&pkg, Layout::Fhs, &["MSIRESTARTMANAGERCONTROL=Disable"])
        .assert_code(0);
    short_ctx
        .install(
            &short_image.join("prodAv100.msi"),
            Layout::Fhs,
            &["MSIRESTARTMANAGERCONTROL=Disable"],
        )
        .assert_code(0);
    let a = payload_files(&from_original.root, Layout::Fhs);
    assert_eq!(a.len(), 1);
    assert_eq!(payload_files(&short_ctx.root, Layout::Fhs), a);
}

/// A broken cabinet fails the administrative install (1603) and leaves TARGETDIR as it
/// was: the staging folder inside it is gone, the user's file kept, nothing added.
#[test]
fn a_failed_admin_install_leaves_targetdir_as_it_was() {
    let ctx = Ctx::new();
    let mut package =
        Package::open(corpus_dir().join("wix3-PerMachineMsisMsps-prodAv100/prodAv100.msi"))
            .unwrap();
    let mut cab = Vec::new();
    std::io::Read::read_to_end(&mut package.read_stream("product.cab").unwrap(), &mut cab).unwrap();
    let last = cab.len() - 20;
    cab[last] ^= 0xFF;
    package.add_stream("product.cab", cab.into());
    let broken = ctx.path("broken.msi");
    fs::write(&broken, package.to_bytes().unwrap()).unwrap();
    let image = ctx.path("image");
    fs::create_dir(&image).unwrap();
    fs::write(image.join("mine.txt"), "mine\n").unwrap();
    let before = files_under(&image);
    let target = format!("TARGETDIR={}", image.display());
    let run = msiexec(&ctx, &["/a", broken.to_str().unwrap(), &target]);
    run.assert_code_logged(1603);
    assert_eq!(tree(&image), ["mine.txt"]);
    assert_eq!(files_under(&image), before);
}

/// At reduced UI the AdminUISequence runs (its dialogs not shown), its ExecuteAction
/// running the AdminExecuteSequence: the same image.
#[test]
fn reduced_ui_runs_the_admin_ui_sequence() {
    let ctx = Ctx::new();
    let image = ctx.path("image");
    let run = ctx.finish(
        ctx.rmsi()
            .arg("msiexec")
            .arg("/a")
            .arg(putty())
            .arg(format!("TARGETDIR={}", image.display()))
            .arg("/qr")
            .arg("/l*v")
            .arg(&ctx.log),
    );
    run.assert_code(0);
    let starts: Vec<&str> = run
        .log
        .lines()
        .filter_map(|l| l.strip_prefix("Action start "))
        .filter_map(|l| l.split_once(": ").map(|(_, a)| a.trim_end_matches('.')))
        .collect();
    assert_eq!(
        starts,
        [
            "CostInitialize",
            "FileCost",
            "CostFinalize",
            "ExecuteAction",
            "CostInitialize",
            "FileCost",
            "CostFinalize",
            "InstallValidate",
            "InstallInitialize",
            "InstallAdminPackage",
            "InstallFiles",
            "InstallFinalize",
        ],
        "{}",
        run.describe()
    );
    assert_eq!(files_under(&image).len(), 11);
}
