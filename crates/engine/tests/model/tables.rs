//! Tables the engine costs from a package built in memory: absent optional tables cost
//! nothing; a broken feature tree fails cleanly (1603, the row named).

use crate::model_util::{in_memory, property_columns, s};
use engine::tables::sequence::SequenceTable;
use engine::{CostTables, Error, Package, Properties, plan};
use test_support::msi;

#[test]
fn absent_optional_tables_are_empty_and_cost_nothing() {
    let bytes = in_memory(
        msi::PackageType::Installer,
        vec![(
            "Property",
            property_columns(),
            vec![vec![
                s("ProductCode"),
                s("{00000000-0000-0000-0000-000000000001}"),
            ]],
        )],
    );
    let p = Package::from_bytes("/pkg/only-props.msi", bytes).unwrap();
    assert!(p.files().unwrap().is_empty());
    assert!(p.features().unwrap().is_empty());
    assert!(p.directories().unwrap().is_empty());
    assert!(p.media().unwrap().is_empty());
    assert!(
        p.sequence(SequenceTable::InstallExecute)
            .unwrap()
            .is_empty()
    );
    let root = tempfile::tempdir().unwrap();
    let mut props = Properties::new();
    let plan = plan(&p, &mut props, root.path(), None).unwrap();
    assert!(plan.files.is_empty() && plan.components.is_empty());
}

#[test]
fn broken_feature_trees_fail_cleanly() {
    let feature_cols = vec![
        msi::Column::build("Feature").primary_key().string(38),
        msi::Column::build("Feature_Parent").nullable().string(38),
        msi::Column::build("Title").nullable().string(64),
        msi::Column::build("Description").nullable().string(255),
        msi::Column::build("Display").nullable().int16(),
        msi::Column::build("Level").int16(),
        msi::Column::build("Directory_").nullable().string(72),
        msi::Column::build("Attributes").int16(),
    ];
    let row = |f: &str, parent: &str| {
        vec![
            s(f),
            s(parent),
            msi::Value::Null,
            msi::Value::Null,
            msi::Value::Null,
            msi::Value::Int(1),
            msi::Value::Null,
            msi::Value::Int(0),
        ]
    };
    // A cycle A → B → A.
    let bytes = in_memory(
        msi::PackageType::Installer,
        vec![(
            "Feature",
            feature_cols.clone(),
            vec![row("A", "B"), row("B", "A")],
        )],
    );
    let p = Package::from_bytes("/pkg/cycle.msi", bytes).unwrap();
    let err = CostTables::load(&p).unwrap_err();
    assert_eq!(err.code(), 1603, "{err}");
    // An unknown parent.
    let bytes = in_memory(
        msi::PackageType::Installer,
        vec![("Feature", feature_cols, vec![row("A", "Nowhere")])],
    );
    let p = Package::from_bytes("/pkg/orphan.msi", bytes).unwrap();
    assert!(matches!(CostTables::load(&p), Err(Error::BadRow { .. })));
}
