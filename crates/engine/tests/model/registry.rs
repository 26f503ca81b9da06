//! The product registry across runs: nothing written until a record, then
//! `Installed`, maintenance costing from the recorded state, removal, and
//! FindRelatedProducts' matching of Upgrade rows against installed products.

use std::path::Path;

use crate::model_util::{MODEL_FIXUPS, MODEL_WXS, build};
use engine::{
    FileAction, InitOptions, Layout, Package, ProductRecord, Properties, Registry, initialize,
    plan, upgrade_matches,
};

fn upgrade_package(version: &str, product_code: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let wxs = MODEL_WXS
        .replace("Version=\"1.2.3\"", &format!("Version=\"{version}\""))
        .replace("{11111111-2222-3333-4444-555555555555}", product_code)
        .replace(
            "<Property Id=\"MYPROP\" Value=\"authored\"/>",
            "<Property Id=\"MYPROP\" Value=\"authored\"/>\
             <Upgrade Id=\"{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}\">\
             <UpgradeVersion Minimum=\"1.0.0\" Maximum=\"2.0.0\" IncludeMinimum=\"yes\" \
             IncludeMaximum=\"no\" Property=\"OLDVERSIONS\"/></Upgrade>",
        );
    build(
        &wxs,
        &[
            ("a.txt", b"hello\n"),
            ("b.txt", b"world\n"),
            ("c.txt", b"extra\n"),
        ],
        MODEL_FIXUPS,
    )
}

fn run(
    package: &Package,
    root: &Path,
    registry: &Registry,
    cmdline: &[(&str, &str)],
) -> (Properties, engine::CostPlan) {
    let code = package.property("ProductCode").unwrap();
    let record = registry.product(&code).unwrap();
    let mut props = Properties::new();
    let mut opts = InitOptions::new(root, Layout::Windows);
    opts.installed = record.is_some();
    opts.command_line = cmdline
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    initialize(&mut props, package, &opts).unwrap();
    let installed = record.map(|r| r.installed_state());
    let plan = plan(package, &mut props, root, installed.as_ref()).unwrap();
    (props, plan)
}

#[test]
fn install_record_maintain_and_remove() {
    let root = tempfile::tempdir().unwrap();
    let state = Layout::Windows.state_dir(root.path());
    let (_d, msi) = upgrade_package("1.2.3", "{11111111-2222-3333-4444-555555555555}");
    let package = Package::open(&msi).unwrap();

    // First install: nothing recorded, nothing written by looking.
    let registry = Registry::open(&state).unwrap();
    let (props, first) = run(&package, root.path(), &registry, &[]);
    assert!(props.get_str("Installed").is_none());
    assert_eq!(
        fs_err::read_dir(root.path()).unwrap().count(),
        0,
        "no state before success"
    );
    let installs = first
        .files
        .iter()
        .filter(|f| matches!(f.action, FileAction::Install { .. }))
        .count();
    assert_eq!(installs, 2);

    // The install succeeded: record it.
    let record = ProductRecord::from_plan(&props, &first, package.path(), &|_| false);
    assert_eq!(
        record.product_code,
        "{11111111-2222-3333-4444-555555555555}"
    );
    assert_eq!(record.version, "1.2.3");
    assert_eq!(record.features, vec!["Main".to_string()]);
    assert_eq!(record.components.len(), 2);
    assert_eq!(record.files.len(), 2);
    let key = record
        .components
        .iter()
        .find(|c| c.component == "CompA")
        .unwrap();
    assert_eq!(
        key.key_path.as_deref(),
        Some(
            root.path()
                .join("Program Files (x86)/Model App/a.txt")
                .as_path()
        )
    );
    let mut registry = Registry::open(&state).unwrap();
    registry.record(&record).unwrap();
    assert!(state.join("products.db").is_file());

    // Maintenance: Installed is set and nothing is to be done.
    let registry = Registry::open(&state).unwrap();
    let (props, again) = run(&package, root.path(), &registry, &[]);
    assert_eq!(props.get_str("Installed"), Some("1"));
    assert!(again.files.is_empty(), "{:?}", again.files);

    // Removal: every recorded file goes.
    let (_props, removal) = run(&package, root.path(), &registry, &[("REMOVE", "ALL")]);
    let removed: Vec<_> = removal
        .files
        .iter()
        .filter(|f| f.action == FileAction::Remove)
        .map(|f| f.target.clone())
        .collect();
    let recorded: Vec<_> = record.files.iter().map(|(_, p)| p.clone()).collect();
    assert_eq!(removed.len(), 2);
    assert!(removed.iter().all(|p| recorded.contains(p)));
    let mut registry = registry;
    registry.remove(&record.product_code).unwrap();
    assert!(!registry.is_installed(&record.product_code).unwrap());
}

#[test]
fn find_related_products_matches_upgrade_rows() {
    let root = tempfile::tempdir().unwrap();
    let state = Layout::Fhs.state_dir(root.path());
    // Version 1.0.0 installed…
    let (_d1, old_msi) = upgrade_package("1.0.0", "{11111111-0000-0000-0000-000000000001}");
    let old = Package::open(&old_msi).unwrap();
    let registry = Registry::open(&state).unwrap();
    let (props, plan) = run(&old, root.path(), &registry, &[]);
    let mut registry = registry;
    registry
        .record(&ProductRecord::from_plan(
            &props,
            &plan,
            old.path(),
            &|_| false,
        ))
        .unwrap();
    // …version 2.0.0's Upgrade row (1.0.0 ≤ v < 2.0.0) finds it.
    let (_d2, new_msi) = upgrade_package("2.0.0", "{11111111-0000-0000-0000-000000000002}");
    let new = Package::open(&new_msi).unwrap();
    let rows = new.upgrades().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].action_property, "OLDVERSIONS");
    let related = registry.related(&rows[0].upgrade_code).unwrap();
    let found: Vec<&str> = related
        .iter()
        .filter(|p| upgrade_matches(&rows[0], p))
        .map(|p| p.product_code.as_str())
        .collect();
    assert_eq!(found, vec!["{11111111-0000-0000-0000-000000000001}"]);
    // A product at the excluded maximum is not related.
    let mut at_max = registry.product(found[0]).unwrap().unwrap();
    at_max.version = "2.0.0".into();
    assert!(!upgrade_matches(&rows[0], &at_max));
}
