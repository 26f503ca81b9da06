//! The validator on the test packages of `tests/packages/` (built by its `build.sh` from
//! `clean.wxs`): each rule is broken by one package and passes on that package's fixed
//! counterpart, and every package's findings are exactly those of its `.expected` file
//! (the text output, one finding a line). `UPDATE_EXPECT=1` rewrites the `.expected` files
//! instead of comparing; read the difference rule by rule before committing it.

use std::path::{Path, PathBuf};

use validate::{Options, RULES, Report, validate};

fn package_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/packages")
        .join(format!("{name}.msi"))
}

fn report(name: &str) -> Report {
    let package = package::Package::open(package_path(name))
        .unwrap_or_else(|e| panic!("open {name}.msi: {e}"));
    validate(&package, &Options::default())
}

/// Which package breaks each rule, and which is the same package fixed.
const CASES: &[(&str, &str, &str)] = &[
    ("ICE02", "components", "clean"),
    ("ICE03", "values", "clean"),
    ("ICE04", "components", "clean"),
    ("ICE05", "properties", "clean"),
    ("ICE06", "values", "clean"),
    ("ICE08", "components", "clean"),
    ("ICE09", "components", "clean"),
    ("ICE12", "sequences", "clean"),
    ("ICE13", "sequences", "clean"),
    ("ICE16", "properties", "clean"),
    ("ICE17", "ui-broken", "ui-fixed"),
    ("ICE18", "components", "clean"),
    ("ICE21", "components", "clean"),
    ("ICE22", "components", "clean"),
    ("ICE24", "properties", "clean"),
    ("ICE27", "sequences", "clean"),
    ("ICE30", "components", "clean"),
    ("ICE32", "values", "clean"),
    ("ICE33", "components", "clean"),
    ("ICE34", "ui-broken", "ui-fixed"),
    ("ICE36", "properties", "clean"),
    ("ICE38", "components", "clean"),
    ("ICE40", "properties", "clean"),
    ("ICE43", "components", "clean"),
    ("ICE44", "ui-broken", "ui-fixed"),
    ("ICE46", "properties", "clean"),
    ("ICE48", "properties", "clean"),
    ("ICE50", "ui-broken", "ui-fixed"),
    ("ICE52", "properties", "clean"),
    ("ICE54", "components", "clean"),
    ("ICE57", "components", "clean"),
    ("ICE59", "components", "clean"),
    ("ICE61", "properties", "clean"),
    ("ICE63", "sequences", "clean"),
    ("ICE64", "components", "clean"),
    ("ICE69", "components", "clean"),
    ("ICE71", "values", "clean"),
    ("ICE72", "sequences", "clean"),
    ("ICE75", "sequences", "clean"),
    ("ICE77", "sequences", "clean"),
    ("ICE79", "properties", "clean"),
    ("ICE80", "properties", "clean"),
    ("ICE82", "sequences", "clean"),
    ("ICE84", "sequences", "clean"),
    ("ICE86", "properties", "clean"),
    ("ICE87", "properties", "clean"),
    ("ICE90", "components", "clean"),
    ("ICE91", "components", "clean"),
    ("ICE99", "properties", "clean"),
    ("RMSI01", "sequences", "clean"),
    ("RMSI02", "properties", "clean"),
];

#[test]
fn every_rule_is_broken_by_one_package_and_passes_on_its_fix() {
    for rule in RULES {
        let (_, broken, fixed) = CASES
            .iter()
            .find(|(id, _, _)| *id == rule.id)
            .unwrap_or_else(|| panic!("{} has no test package", rule.id));
        let only = Options::from_lists(Some(rule.id), None).unwrap();
        let run = |name: &str| {
            let package = package::Package::open(package_path(name)).unwrap();
            validate(&package, &only).findings
        };
        let found = run(broken);
        assert!(
            !found.is_empty(),
            "{} finds nothing in {broken}.msi",
            rule.id
        );
        assert!(found.iter().all(|f| f.rule == rule.id));
        let after = run(fixed);
        assert!(
            after.is_empty(),
            "{} still finds in {fixed}.msi: {after:#?}",
            rule.id
        );
    }
    assert!(RULES.len() >= 40, "the issue asks for at least 40 rules");
}

#[test]
fn the_fixed_packages_have_no_finding_at_all() {
    for name in ["clean", "ui-fixed"] {
        let r = report(name);
        assert!(r.findings.is_empty(), "{name}.msi: {:#?}", r.findings);
    }
}

#[test]
fn findings_are_exactly_the_expected_ones() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    for name in [
        "components",
        "values",
        "sequences",
        "properties",
        "ui-broken",
    ] {
        let r = report(name);
        let mut text: String = r.findings.iter().map(|f| format!("{f}\n")).collect();
        text.push_str(&format!(
            "{} errors, {} warnings\n",
            r.errors(),
            r.warnings()
        ));
        let path = package_path(name).with_extension("expected");
        if update {
            fs_err::write(&path, &text).unwrap();
            continue;
        }
        let expected = fs_err::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_EXPECT=1 writes it)", path.display()));
        assert_eq!(text, expected, "{name}.msi differs from {}", path.display());
    }
}

#[test]
fn a_syntax_error_names_the_column_and_the_position() {
    let r = report("values");
    let cond = r
        .findings
        .iter()
        .find(|f| f.message.starts_with("Bad conditional string"))
        .unwrap();
    assert_eq!(cond.table.as_deref(), Some("Component"));
    assert_eq!(cond.column.as_deref(), Some("Condition"));
    assert_eq!(cond.row.as_deref(), Some(&["App".to_string()][..]));
    // "VersionNT >= ": the operand is missing at the end, byte 13.
    assert!(
        cond.message.ends_with("(expected a value, NOT or ( at 13)"),
        "{}",
        cond.message
    );
    let fmt = r
        .findings
        .iter()
        .find(|f| f.message.starts_with("Invalid format string"))
        .unwrap();
    assert_eq!(fmt.column.as_deref(), Some("Value"));
    assert!(
        fmt.message.contains("[read me]") || fmt.message.ends_with("at 0)"),
        "{}",
        fmt.message
    );
}

#[test]
fn only_and_skip_pick_the_rules() {
    let package = package::Package::open(package_path("components")).unwrap();
    let only = Options::from_lists(Some("ice30,ICE21"), None).unwrap();
    let r = validate(&package, &only);
    assert!(
        r.findings
            .iter()
            .all(|f| f.rule == "ICE30" || f.rule == "ICE21")
    );
    assert_eq!(r.findings.iter().filter(|f| f.rule == "ICE21").count(), 1);
    let skip = Options::from_lists(None, Some("ICE30")).unwrap();
    let r = validate(&package, &skip);
    assert!(r.findings.iter().all(|f| f.rule != "ICE30"));
    assert!(r.findings.iter().any(|f| f.rule == "ICE21"));
    assert!(Options::from_lists(Some("ICE999"), None).is_err());
}

/// The seed's package (`crates/engine/tests/packages/rmkey.msi`): its actions that join the
/// Restart Manager session run before InstallValidate and pass; `RecordKeyAfter` (1450)
/// reads the key after it, where the end-to-end test sees it empty.
#[test]
fn rmsi01_on_the_seed_package() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/packages/rmkey.msi");
    let package = package::Package::open(&seed).unwrap();
    let only = Options::from_lists(Some("RMSI01"), None).unwrap();
    let found = validate(&package, &only).findings;
    let rows: Vec<_> = found.iter().map(|f| f.row.clone().unwrap()).collect();
    assert_eq!(rows, vec![vec!["RecordKeyAfter".to_string()]], "{found:#?}");
}
