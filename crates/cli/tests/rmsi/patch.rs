//! `rmsi msiexec /p`, `/update` and `/uninstall PATCH`: the corpus's three real WiX
//! patches (PatchAv101, PatchBv101 and PatchABv101, which targets both products) applied
//! to the installed prodAv100/prodBv100, recorded with the products, and removed again;
//! a patch for a product that is not installed ends with 1642 and changes nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use package::{Package, Patch};
use test_support::corpus_dir;
use test_support::e2e::{Ctx, Layout, Run, payload_files, tree};

const A: &str = "{6EA3AE83-A14F-4B8B-8A86-BB977A9E7833}";
const B: &str = "{398B8855-E3B8-4559-9C2B-3ED457C5A889}";
const PATCH_A: &str = "{7A59E0BE-5179-4D9C-A7F0-B9F0955315A0}";
const PATCH_AB: &str = "{B94D3D25-9FC6-468D-A804-97AFB27746C1}";

fn patch_path(name: &str) -> PathBuf {
    corpus_dir()
        .join("wix3-PerMachineMsisMsps-patches")
        .join(name)
}

fn product_path(name: &str) -> PathBuf {
    corpus_dir()
        .join(format!("wix3-PerMachineMsisMsps-{name}"))
        .join(format!("{name}.msi"))
}

fn msiexec(ctx: &Ctx, args: &[&str]) -> Run {
    let mut cmd: Command = ctx.rmsi();
    cmd.arg("msiexec")
        .arg("--root")
        .arg(&ctx.root)
        .args(args)
        .arg("/qn")
        .arg("/l*v")
        .arg(&ctx.log)
        .arg("MSIRESTARTMANAGERCONTROL=Disable");
    ctx.finish(&mut cmd)
}

fn install(ctx: &Ctx, product: &str) {
    let p = product_path(product);
    msiexec(ctx, &["/i", p.to_str().unwrap()]).assert_code(0);
}

/// The product's version and its patches (code, state) as the registry keeps them.
fn registered(ctx: &Ctx, code: &str) -> (String, Vec<(String, String)>) {
    let reg =
        engine::Registry::for_root(&fs::canonicalize(&ctx.root).unwrap(), engine::Layout::Fhs)
            .unwrap();
    let version = reg.product(code).unwrap().expect("installed").version;
    let patches = reg
        .patches(code)
        .unwrap()
        .into_iter()
        .map(|p| {
            assert!(
                p.cached.is_file(),
                "the .msp is cached: {}",
                p.cached.display()
            );
            (p.patch_code, p.state)
        })
        .collect();
    (version, patches)
}

/// The MD5 of `path` as MsiFileHash stores it: four little-endian 32-bit parts.
fn file_hash(path: &Path) -> [i32; 4] {
    let out = Command::new("md5sum").arg(path).output().unwrap();
    let hex = String::from_utf8(out.stdout).unwrap();
    let bytes: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap())
        .collect();
    std::array::from_fn(|i| i32::from_le_bytes(bytes[i * 4..i * 4 + 4].try_into().unwrap()))
}

/// What the patched package says `product.wxs` hashes to, after `patches` in order.
fn patched_hash(product: &str, patches: &[&str]) -> [i32; 4] {
    let mut package = Package::open(product_path(product)).unwrap();
    for p in patches {
        Patch::open(patch_path(p))
            .unwrap()
            .apply_to(&mut package)
            .unwrap();
    }
    package
        .file_hashes()
        .unwrap()
        .into_iter()
        .find(|h| h.file == "F_Source")
        .unwrap()
        .hash
}

fn payload(ctx: &Ctx) -> BTreeMap<String, Vec<u8>> {
    payload_files(&ctx.root, Layout::Fhs)
}

#[test]
fn patch_a_b_and_ab_apply_are_recorded_and_removed() {
    let ctx = Ctx::new();
    install(&ctx, "prodAv100");
    install(&ctx, "prodBv100");
    let original = payload(&ctx);
    assert_eq!(original.len(), 2, "{original:?}");
    let file_a = ctx.root.join("opt/ProdA/product.wxs");
    let file_b = ctx.root.join("opt/ProdB/product.wxs");
    assert_eq!(file_hash(&file_a), patched_hash("prodAv100", &[]));

    // PatchAv101: a minor update of A (ProductVersion 1.0.1.0), no file changed.
    let pa = patch_path("PatchAv101.msp");
    let run = msiexec(&ctx, &["/p", pa.to_str().unwrap()]);
    run.assert_code(0);
    assert!(
        run.log
            .contains("Applying patch {7A59E0BE-5179-4D9C-A7F0-B9F0955315A0}"),
        "{}",
        run.describe()
    );
    assert_eq!(
        registered(&ctx, A),
        ("1.0.1.0".into(), vec![(PATCH_A.into(), "applied".into())])
    );
    assert_eq!(registered(&ctx, B), ("1.0.0.0".into(), vec![]));
    assert_eq!(payload(&ctx), original);
    // `rmsi list --json` shows the patch with its product.
    let out = ctx
        .rmsi()
        .args(["list", "--json", "--root"])
        .arg(&ctx.root)
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = list["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["product_code"] == A)
        .unwrap()
        .clone();
    assert_eq!(a["patches"][0]["patch_code"], PATCH_A, "{list}");
    assert_eq!(a["patches"][0]["state"], "applied", "{list}");
    assert!(a["patches"][0]["name"].is_string(), "{list}");

    // Removed again (the product named by its package): back to 1.0.0.0 without patches.
    let prod_a = product_path("prodAv100");
    let run = msiexec(
        &ctx,
        &["/uninstall", PATCH_A, "/package", prod_a.to_str().unwrap()],
    );
    run.assert_code(0);
    assert_eq!(registered(&ctx, A), ("1.0.0.0".into(), vec![]));
    assert_eq!(payload(&ctx), original);

    // PatchABv101 targets both: both products patched by one /p, product.wxs replaced
    // from the patch's cabinet (as its MsiFileHash says).
    let pab = patch_path("PatchABv101.msp");
    msiexec(&ctx, &["/p", pab.to_str().unwrap()]).assert_code(0);
    for (code, product, file) in [(A, "prodAv100", &file_a), (B, "prodBv100", &file_b)] {
        assert_eq!(
            registered(&ctx, code),
            ("1.0.0.0".into(), vec![(PATCH_AB.into(), "applied".into())])
        );
        let hash = patched_hash(product, &["PatchABv101.msp"]);
        assert_ne!(hash, patched_hash(product, &[]));
        assert_eq!(file_hash(file), hash, "{product}");
    }
    assert_ne!(payload(&ctx), original);

    // Removed from A by its .msp: A's file is the original again, B keeps the patch.
    let run = msiexec(&ctx, &["/uninstall", pab.to_str().unwrap(), "/package", A]);
    run.assert_code(0);
    assert_eq!(registered(&ctx, A), ("1.0.0.0".into(), vec![]));
    assert_eq!(file_hash(&file_a), patched_hash("prodAv100", &[]));
    assert_eq!(
        registered(&ctx, B).1,
        vec![(PATCH_AB.to_string(), "applied".to_string())]
    );

    // PatchBv101 with /update on B, beside AB: B sequenced as SP 1.0.1.0 (it targets the
    // original product, so it comes first), then AB no longer validates (its transform is
    // for version 1.0.0.0) and stays recorded as inapplicable.
    let pb = patch_path("PatchBv101.msp");
    let run = msiexec(&ctx, &["/update", pb.to_str().unwrap()]);
    run.assert_code(0);
    let (version, patches) = registered(&ctx, B);
    assert_eq!(version, "1.0.1.0");
    assert_eq!(
        patches,
        vec![
            (
                "{64FB5082-6D59-461C-BC62-98B34D535369}".to_string(),
                "applied".to_string()
            ),
            (PATCH_AB.to_string(), "inapplicable".to_string()),
        ]
    );
    assert!(run.log.contains("no longer applies"), "{}", run.describe());
    assert_eq!(file_hash(&file_b), patched_hash("prodBv100", &[]));

    // Removed by its .msp alone (no /package): from every product it is recorded with.
    msiexec(&ctx, &["/uninstall", pab.to_str().unwrap()]).assert_code(0);
    assert_eq!(
        registered(&ctx, B),
        (
            "1.0.1.0".into(),
            vec![(
                "{64FB5082-6D59-461C-BC62-98B34D535369}".into(),
                "applied".into()
            )]
        )
    );

    // Everything removed: the products go with their cached patches. (B first: A's
    // install made `opt/`, and a product only removes the folders its installs made.)
    for code in [B, A] {
        msiexec(&ctx, &["/x", code]).assert_code(0);
    }
    assert!(tree(&ctx.root).is_empty(), "{:?}", tree(&ctx.root));
}

#[test]
fn a_patch_for_a_product_not_installed_is_1642_and_changes_nothing() {
    let ctx = Ctx::new();
    install(&ctx, "prodAv100");
    let before = tree(&ctx.root);
    let db = ctx.root.join("var/lib/rmsi/products.db");
    let db_before = fs::read(&db).unwrap();
    let pb = patch_path("PatchBv101.msp");
    let run = msiexec(&ctx, &["/p", pb.to_str().unwrap()]);
    run.assert_code_logged(1642);
    assert!(
        run.stderr.contains("ERROR_PATCH_TARGET_NOT_FOUND"),
        "{}",
        run.describe()
    );
    assert_eq!(tree(&ctx.root), before);
    assert_eq!(fs::read(&db).unwrap(), db_before);
    // Nothing installed at all: the same.
    let empty = Ctx::new();
    msiexec(&empty, &["/p", pb.to_str().unwrap()]).assert_code(1642);
    assert!(tree(&empty.root).is_empty());
    // A patch that is not applied cannot be removed (1647); neither can a missing .msp
    // be read (1635).
    msiexec(&ctx, &["/uninstall", PATCH_A, "/package", A]).assert_code(1647);
    msiexec(&ctx, &["/p", "/nonexistent.msp"]).assert_code(1635);
    assert_eq!(tree(&ctx.root), before);
}

/// A patch whose MsiPatchMetadata does not allow removal (a copy of PatchAv101 with
/// AllowRemoval 0, made with the msi crate) is applied, but removing it ends with 1646
/// and changes nothing.
#[test]
fn a_patch_that_does_not_allow_removal_stays() {
    use test_support::msi;
    let ctx = Ctx::new();
    let copy = ctx.path("no-removal.msp");
    fs::copy(patch_path("PatchAv101.msp"), &copy).unwrap();
    {
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&copy)
            .unwrap();
        let mut db = msi::Package::open(file).unwrap();
        assert_eq!(db.package_type(), msi::PackageType::Patch);
        db.update_rows(
            msi::Update::table("MsiPatchMetadata")
                .set("Value", msi::Value::from("0"))
                .with(msi::Expr::col("Property").eq(msi::Expr::string("AllowRemoval"))),
        )
        .unwrap();
        db.flush().unwrap();
    }
    let patch = Patch::open(&copy).unwrap();
    assert!(!patch.allows_removal());
    assert_eq!(patch.transform_pairs().unwrap().len(), 1);

    install(&ctx, "prodAv100");
    msiexec(&ctx, &["/p", copy.to_str().unwrap()]).assert_code(0);
    assert_eq!(
        registered(&ctx, A),
        ("1.0.1.0".into(), vec![(PATCH_A.into(), "applied".into())])
    );
    let before = tree(&ctx.root);
    let run = msiexec(&ctx, &["/uninstall", PATCH_A, "/package", A]);
    run.assert_code_logged(1646);
    assert!(
        run.stderr.contains("ERROR_PATCH_REMOVAL_UNSUPPORTED"),
        "{}",
        run.describe()
    );
    assert_eq!(tree(&ctx.root), before);
    assert_eq!(
        registered(&ctx, A),
        ("1.0.1.0".into(), vec![(PATCH_A.into(), "applied".into())])
    );
}

/// A patch is registered where Windows Installer's patch functions read it
/// ("MsiGetPatchInfoEx function"): under the product's published key (`Patches` and the
/// patch's transforms), under the product's UserData key (its state, removability, name and
/// information URL) and under its own UserData key (`LocalPackage`, a copy that exists). A
/// patch two products share keeps its own key, naming the other product's copy, until the
/// last of them goes.
#[test]
fn a_patch_is_registered_where_msi_reads_patches() {
    let ctx = Ctx::new();
    install(&ctx, "prodAv100");
    install(&ctx, "prodBv100");
    let pab = patch_path("PatchABv101.msp");
    msiexec(&ctx, &["/p", pab.to_str().unwrap()]).assert_code(0);
    // A, B and PATCH_AB packed as the registry keys them.
    let (pa, pb, patch) = (
        "38EA3AE6F41AB8B4A868BB79A7E98733",
        "5588B8938B3E9554C9B2E34D755C8A98",
        "52D3D49B6CF9D8648A4079FA2B77641C",
    );
    let user_data = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Installer\UserData\S-1-5-18";
    let query = |key: &str| ctx.reg_query(key);
    for product in [pa, pb] {
        let (code, out) = query(&format!(
            r"HKLM\Software\Classes\Installer\Products\{product}\Patches"
        ));
        assert_eq!(code, Some(0), "{out}");
        assert!(
            out.contains(&format!("Patches    REG_MULTI_SZ    {patch}")),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "{patch}    REG_SZ    :rtmA.1;:#rtmA.1;:rtmB.2;:#rtmB.2"
            )),
            "{out}"
        );
        let (code, out) = query(&format!(r"{user_data}\Products\{product}\Patches\{patch}"));
        assert_eq!(code, Some(0), "{out}");
        for line in [
            "State    REG_DWORD    0x1",
            "Uninstallable    REG_DWORD    0x1",
            "DisplayName    REG_SZ    Prods A and B patch v 1.0.1.1",
            "MoreInfoURL    REG_SZ    http://support.MyCompany.com/kb/1",
        ] {
            assert!(out.contains(line), "{line} in {out}");
        }
    }
    let local = |out: &str| {
        out.lines()
            .find_map(|l| l.trim().strip_prefix("LocalPackage    REG_SZ    "))
            .map(std::path::PathBuf::from)
    };
    let own = format!(r"{user_data}\Patches\{patch}");
    let (_, out) = query(&own);
    assert!(local(&out).is_some_and(|p| p.is_file()), "{out}");

    // Removed from A: A's keys go, the patch's own names B's copy.
    msiexec(&ctx, &["/uninstall", pab.to_str().unwrap(), "/package", A]).assert_code(0);
    let (code, _) = query(&format!(
        r"HKLM\Software\Classes\Installer\Products\{pa}\Patches"
    ));
    assert_ne!(code, Some(0));
    let (_, out) = query(&own);
    let copy = local(&out).unwrap_or_default();
    assert!(copy.is_file(), "{out}");
    assert!(copy.to_string_lossy().contains(B), "{out}");

    // B, the last product with it, goes: so does the patch's key.
    ctx.uninstall(B, Layout::Fhs, &[]).assert_code(0);
    let (code, out) = query(&own);
    assert_ne!(code, Some(0), "{out}");
}
