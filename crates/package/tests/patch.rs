//! Patches: the corpus's three WiX patches read and applied to their products in memory.

use package::{Package, Patch, PatchState, patch::sequence};
use test_support::corpus_dir;

fn patch(name: &str) -> Patch {
    Patch::open(
        corpus_dir()
            .join("wix3-PerMachineMsisMsps-patches")
            .join(name),
    )
    .unwrap()
}

fn product(name: &str) -> Package {
    Package::open(
        corpus_dir()
            .join(format!("wix3-PerMachineMsisMsps-{name}"))
            .join(format!("{name}.msi")),
    )
    .unwrap()
}

const A: &str = "{6EA3AE83-A14F-4B8B-8A86-BB977A9E7833}";
const B: &str = "{398B8855-E3B8-4559-9C2B-3ED457C5A889}";

#[test]
fn a_patch_reads_its_summary_metadata_sequence_and_cabinets() {
    let p = patch("PatchABv101.msp");
    let s = p.summary();
    assert_eq!(s.patch_code, "{B94D3D25-9FC6-468D-A804-97AFB27746C1}");
    assert_eq!(s.targets, vec![A, B]);
    assert_eq!(s.transforms, vec!["rtmA.1", "#rtmA.1", "rtmB.2", "#rtmB.2"]);
    assert!(s.obsoletes.is_empty());
    assert_eq!(p.display_name(), "Prods A and B patch v 1.0.1.1");
    assert!(p.allows_removal());
    assert!(!p.targets_rtm());
    assert_eq!(p.stream_names(), ["A.cab", "B.cab"]);
    let families: Vec<(&str, &str, i32)> = p
        .sequences()
        .iter()
        .map(|r| (r.family.as_str(), r.sequence.as_str(), r.attributes))
        .collect();
    assert_eq!(
        families,
        [("Source", "1.0.1.1", 1), ("Patch", "1.0.1.1", 1)]
    );
    assert_eq!(p.transform_pairs().unwrap().len(), 2);
    assert!(patch("PatchAv101.msp").targets_rtm());
}

#[test]
fn each_patch_applies_to_its_products_only() {
    for (patch_name, products) in [
        ("PatchAv101.msp", &["prodAv100"][..]),
        ("PatchBv101.msp", &["prodBv100"][..]),
        ("PatchABv101.msp", &["prodAv100", "prodBv100"][..]),
    ] {
        let p = patch(patch_name);
        for name in ["prodAv100", "prodBv100"] {
            let mut package = product(name);
            let before = package.clone();
            let result = p.apply_to(&mut package);
            if products.contains(&name) {
                let applied = result.unwrap();
                assert_eq!(applied.len(), 1, "{patch_name} on {name}");
                // The single-product patches are minor updates (1.0.1.0); the patch for
                // both keeps the version and replaces product.wxs from its cabinet.
                let ab = patch_name == "PatchABv101.msp";
                assert_eq!(
                    package.property("ProductVersion").as_deref(),
                    Some(if ab { "1.0.0.0" } else { "1.0.1.0" }),
                    "{patch_name} on {name}"
                );
                let file = &package.files().unwrap()[0];
                assert_eq!(
                    file.sequence > 1,
                    ab,
                    "a patched file comes from the patch's media"
                );
                let cab = if name == "prodAv100" {
                    "A.cab"
                } else {
                    "B.cab"
                };
                assert!(package.has_stream(cab));
                assert!(
                    package
                        .media()
                        .unwrap()
                        .iter()
                        .any(|m| m.cabinet.as_deref() == Some(&format!("#{cab}")[..]))
                );
                assert!(
                    package
                        .applied_transforms()
                        .iter()
                        .all(|t| t.patch_code() == Some(p.code()))
                );
            } else {
                let err = result.unwrap_err();
                assert_eq!(err.code(), 1642, "{err}");
                assert_eq!(package.tables().count(), before.tables().count());
                assert_eq!(
                    package.property("ProductVersion"),
                    before.property("ProductVersion")
                );
            }
        }
    }
}

#[test]
fn patches_sequence_minor_updates_for_the_original_first() {
    let a = patch("PatchAv101.msp");
    let ab = patch("PatchABv101.msp");
    // Given AB first, A (MinorUpdateTargetRTM) still comes first.
    let order = sequence(&[&ab, &a], A);
    assert_eq!(
        order,
        vec![(1, PatchState::Applied), (0, PatchState::Applied)]
    );
}
