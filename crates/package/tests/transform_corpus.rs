//! Transforms made by the WiX toolset, read and applied: the instance transforms embedded
//! in a package, and the transforms inside the corpus's patches.

use std::path::{Path, PathBuf};

use package::{ErrorConditions, Package, Transform, Validation, Value};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

#[test]
fn embedded_instance_transforms_change_the_product_code() {
    let package =
        Package::open(corpus().join("wix3-SimpleInstanceTransform/expected.msi")).unwrap();
    let mut names = package.storage_names().unwrap();
    names.sort();
    assert_eq!(names, ["Instance1", "Instance2", "Instance3"]);
    let base_code = package.property("ProductCode").unwrap();
    let mut codes = Vec::new();
    for name in &names {
        let transform = package.embedded_transform(name).unwrap();
        assert_eq!(transform.name(), format!(":{name}"));
        let s = transform.summary();
        assert_eq!(s.base_product_code, base_code);
        assert_eq!(s.base_platform, "Intel");
        assert_eq!(s.base_languages, [1033]);
        assert_ne!(s.new_product_code, base_code);
        let mut transformed = package.clone();
        transformed.apply_transform_checked(&transform).unwrap();
        assert_eq!(
            transformed.property("ProductCode").as_deref(),
            Some(s.new_product_code.as_str())
        );
        let applied: Vec<&str> = transformed
            .applied_transforms()
            .iter()
            .map(|t| t.name())
            .collect();
        assert_eq!(applied, [format!(":{name}")]);
        // Nothing else changed.
        assert_eq!(
            transformed.table("File"),
            package.table("File"),
            "{name} changed File"
        );
        codes.push(s.new_product_code.clone());
    }
    codes.dedup();
    assert_eq!(codes.len(), 3);
    assert!(matches!(
        package.embedded_transform("Missing"),
        Err(package::Error::TransformFailure { .. })
    ));
}

#[test]
fn patch_transforms_apply_to_their_target_and_make_it_101() {
    let patches = corpus().join("wix3-PerMachineMsisMsps-patches");
    let mut file = cfb::open(patches.join("PatchAv101.msp")).unwrap();
    let forward = Transform::from_storage(&mut file, "/rtmA.1", "rtmA.1").unwrap();
    let patch = Transform::from_storage(&mut file, "/#rtmA.1", "#rtmA.1").unwrap();
    let s = forward.summary();
    assert_eq!(s.base_version, "1.0.0.0");
    assert_eq!(s.new_version, "1.0.1.0");
    // WiX's patch transforms: product, update version equal, upgrade code; every row
    // and table error but the code page suppressed.
    assert_eq!(
        s.validation.names(),
        [
            "product",
            "updateversion",
            "newequalbaseversion",
            "upgradecode"
        ]
    );
    assert_eq!(s.error_conditions, ErrorConditions(0x1F));

    let mut a =
        Package::open(corpus().join("wix3-PerMachineMsisMsps-prodAv100/prodAv100.msi")).unwrap();
    let media_before = a.table("Media").unwrap().rows.len();
    a.apply_transform_checked(&forward).unwrap();
    assert_eq!(a.property("ProductVersion").as_deref(), Some("1.0.1.0"));
    // The patch transform validates against the product as patched so far.
    a.apply_transform_checked(&patch).unwrap();
    assert!(
        a.table("PatchPackage").is_some(),
        "the patch transform adds PatchPackage"
    );
    assert_eq!(a.table("Media").unwrap().rows.len(), media_before + 1);

    // Product B is not what the transform was made from: refused by its product code.
    let mut b =
        Package::open(corpus().join("wix3-PerMachineMsisMsps-prodBv100/prodBv100.msi")).unwrap();
    let before = b.clone();
    let err = b.apply_transform_checked(&forward).unwrap_err();
    assert_eq!(err.code(), 1624, "{err}");
    assert!(err.to_string().contains("is for product"), "{err}");
    assert_eq!(b.table("Property"), before.table("Property"));

    // The version relation: a 1.0.1 product is not "equal to 1.0.0".
    let err = a.apply_transform_checked(&forward).unwrap_err();
    assert!(err.to_string().contains("version"), "{err}");
    let mut lax = forward.clone();
    lax.summary_mut().validation = Validation(Validation::PRODUCT);
    // Without the version check it applies (its rows already there: suppressed errors).
    a.apply_transform_checked(&lax).unwrap();
}

#[test]
fn every_corpus_patch_transform_parses_and_applies_to_a_target() {
    let patches = corpus().join("wix3-PerMachineMsisMsps-patches");
    let targets = [
        Package::open(corpus().join("wix3-PerMachineMsisMsps-prodAv100/prodAv100.msi")).unwrap(),
        Package::open(corpus().join("wix3-PerMachineMsisMsps-prodBv100/prodBv100.msi")).unwrap(),
    ];
    for msp in ["PatchAv101.msp", "PatchBv101.msp", "PatchABv101.msp"] {
        let mut file = cfb::open(patches.join(msp)).unwrap();
        let storages: Vec<String> = file
            .walk()
            .filter(|e| e.is_storage() && !e.is_root())
            .map(|e| e.name().to_string())
            .collect();
        let mut applied = 0;
        for pair in storages.iter().filter(|n| !n.starts_with('#')) {
            let forward = Transform::from_storage(&mut file, format!("/{pair}"), pair).unwrap();
            let patch = Transform::from_storage(&mut file, format!("/#{pair}"), pair).unwrap();
            for target in &targets {
                let mut p = target.clone();
                if forward.check(&p).is_err() {
                    continue;
                }
                p.apply_transform_checked(&forward).unwrap();
                p.apply_transform_checked(&patch).unwrap();
                // The version the transform was made to give (PatchABv101 keeps 1.0.0.0).
                assert_eq!(
                    p.property("ProductVersion").as_deref(),
                    Some(forward.summary().new_version.as_str()),
                    "{msp} {pair}"
                );
                let pp = p.table("PatchPackage").unwrap();
                assert!(matches!(pp.rows[0][0], Value::Str(ref c) if c.starts_with('{')));
                applied += 1;
            }
        }
        assert!(applied >= 1, "{msp}: no transform pair applied to a target");
        if msp == "PatchABv101.msp" {
            assert_eq!(applied, 2, "PatchABv101 targets both products");
        }
    }
}

#[test]
fn a_package_is_not_a_transform() {
    let err = Transform::open(corpus().join("wix3-PerMachineMsisMsps-prodAv100/prodAv100.msi"))
        .unwrap_err();
    assert_eq!(err.code(), 1624);
    let err = Transform::open("/nonexistent.mst").unwrap_err();
    assert_eq!(err.code(), 1624);
}

/// WiX's test data for these instance transforms: each `expectedN.msi` is the package WiX
/// expects for instance N. What an instance transform changes (the product code, for the
/// third the one `expected3.msi` carries) agrees with it.
#[test]
fn instance_transforms_agree_with_wix_expected_packages() {
    let package =
        Package::open(corpus().join("wix3-SimpleInstanceTransform/expected.msi")).unwrap();
    for n in 1..=3 {
        let expected = Package::open(corpus().join(format!(
            "wix3-SimpleInstanceTransform-expected{n}/expected{n}.msi"
        )))
        .unwrap();
        let mut transformed = package.clone();
        let t = package.embedded_transform(&format!("Instance{n}")).unwrap();
        transformed.apply_transform_checked(&t).unwrap();
        let diff = transformed.diff(&expected).unwrap();
        // Only Property rows differ (WiX's expected packages also set their own Instance
        // and ProductName values); instance 3's product code is the one expected3.msi
        // carries.
        assert!(
            diff.tables.iter().all(|t| t.name == "Property"),
            "instance {n}: {diff:?}"
        );
        if n == 3 {
            assert_eq!(
                transformed.property("ProductCode"),
                expected.property("ProductCode")
            );
        }
    }
}
