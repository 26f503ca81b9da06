//! Transforms generated from a wixl-built package pair, written, read back and applied:
//! the base becomes the changed package, table for table and stream for stream.

use std::io::Read;
use std::path::{Path, PathBuf};

use package::{ErrorConditions, Package, Table, Transform, Validation};

fn pair() -> (Package, Package) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transforms");
    (
        Package::open(dir.join("site-base.msi")).unwrap(),
        Package::open(dir.join("site-changed.msi")).unwrap(),
    )
}

fn sorted(table: &Table) -> Table {
    let mut t = table.clone();
    t.rows.sort();
    t
}

fn stream(p: &Package, name: &str) -> Vec<u8> {
    let mut data = Vec::new();
    p.read_stream(name).unwrap().read_to_end(&mut data).unwrap();
    data
}

fn assert_same_database(a: &Package, b: &Package) {
    let names = |p: &Package| p.tables().map(|t| t.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b));
    for t in b.tables() {
        assert_eq!(
            sorted(a.table(&t.name).unwrap()),
            sorted(t),
            "table {}",
            t.name
        );
    }
    for s in b.stream_names() {
        assert_eq!(stream(a, s), stream(b, s), "stream {s}");
    }
}

#[test]
fn generated_transform_turns_base_into_changed() {
    let (base, changed) = pair();
    let transform = Transform::generate(&base, &changed).unwrap();
    let tables: Vec<&str> = transform.table_names().collect();
    assert!(tables.contains(&"_Tables"), "{tables:?}");
    assert!(tables.contains(&"_Columns"), "{tables:?}");
    assert!(tables.contains(&"Property"), "{tables:?}");
    assert!(
        !tables.contains(&"Directory"),
        "Directory did not change: {tables:?}"
    );
    let streams: Vec<&str> = transform.stream_names().collect();
    assert!(streams.contains(&"Binary.Logo"), "{streams:?}");
    assert!(streams.contains(&"site.cab"), "{streams:?}");

    let s = transform.summary();
    assert_eq!(
        s.base_product_code,
        "{5A1E7B30-1F2A-4B3C-9D4E-5F6A7B8C9D01}"
    );
    assert_eq!(s.base_version, "1.0.0");
    assert_eq!(s.upgrade_code, "{5A1E7B30-1F2A-4B3C-9D4E-5F6A7B8C9D00}");
    assert_eq!(s.base_languages, [1033]);

    // Written and read back, as a .mst file is.
    let bytes = transform.to_bytes().unwrap();
    let read = Transform::from_bytes("site.mst", bytes).unwrap();
    assert_eq!(read.summary(), transform.summary());

    let mut applied = base.clone();
    applied.apply_transform_checked(&read).unwrap();
    assert_same_database(&applied, &changed);
    assert_eq!(applied.property("EXTRA").as_deref(), Some("1"));
    assert_eq!(applied.property("SITE").as_deref(), Some("changed"));

    // A second time the rows it adds exist: an error unless suppressed.
    let err = applied
        .apply_transform(&read, ErrorConditions(0))
        .unwrap_err();
    assert_eq!(err.code(), 1624);
    assert!(err.to_string().contains("adds table Registry"), "{err}");
    let err = applied
        .apply_transform(&read, ErrorConditions(ErrorConditions::ADDEXISTINGTABLE))
        .unwrap_err();
    assert!(err.to_string().contains("which the database has"), "{err}");
    // The failed applications left the package as it was.
    assert_same_database(&applied, &changed);
}

#[test]
fn the_reverse_transform_drops_what_was_added() {
    let (base, changed) = pair();
    let reverse = Transform::generate(&changed, &base).unwrap();
    let mut back = changed.clone();
    back.apply_transform(&reverse, ErrorConditions(0)).unwrap();
    let names = |p: &Package| p.tables().map(|t| t.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&back), names(&base));
    for t in base.tables() {
        assert_eq!(
            sorted(back.table(&t.name).unwrap()),
            sorted(t),
            "table {}",
            t.name
        );
    }
    assert!(!back.stream_names().is_empty());
    // Applied to the base, its deletions find nothing to delete.
    let mut wrong = base.clone();
    let err = wrong
        .apply_transform(&reverse, ErrorConditions(0))
        .unwrap_err();
    assert!(err.to_string().contains("lacks"), "{err}");
}

#[test]
fn validation_flags_reject_another_product() {
    let (base, changed) = pair();
    let mut transform = Transform::generate(&base, &changed).unwrap();
    transform.summary_mut().validation =
        Validation::parse("product,upgradecode,language,platform,updateversion").unwrap();
    transform.check(&base).unwrap();
    let other = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/wix3-PerMachineMsisMsps-prodAv100/prodAv100.msi");
    let mut other = Package::open(other).unwrap();
    let err = other.apply_transform_checked(&transform).unwrap_err();
    assert_eq!(err.code(), 1624);
    assert!(err.to_string().contains("is for product"), "{err}");
    // Only the version: 1.0.0.0 is not 1.0.0 at update-version granularity? It is.
    transform.summary_mut().validation = Validation(Validation::UPDATEVERSION);
    transform.check(&other).unwrap();
    transform.summary_mut().validation =
        Validation(Validation::MINORVERSION | Validation::NEWGREATERBASEVERSION);
    let err = transform.check(&other).unwrap_err();
    assert!(err.to_string().contains("version"), "{err}");
    transform.summary_mut().validation =
        Validation(Validation::MAJORVERSION | Validation::NEWGREATEREQUALBASEVERSION);
    transform.check(&other).unwrap();
}

#[test]
fn a_transformed_package_written_out_reads_back_the_same() {
    let (base, changed) = pair();
    let transform = Transform::generate(&base, &changed).unwrap();
    let mut applied = base.clone();
    applied.apply_transform_checked(&transform).unwrap();
    let bytes = applied.to_bytes().unwrap();
    let written = Package::from_bytes("written.msi", bytes).unwrap();
    assert_same_database(&written, &changed);
    // An untransformed package written out is itself again.
    let again = Package::from_bytes("again.msi", base.to_bytes().unwrap()).unwrap();
    assert_same_database(&again, &base);
}

/// WiX-built packages of the corpus: version 1.0.0 to 1.0.1 of the same product, and one
/// product to another (every table's rows differ), both ways.
#[test]
fn corpus_package_pairs_round_trip() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let open = |name: &str| {
        Package::open(corpus.join(format!("wix3-PerMachineMsisMsps-{name}/{name}.msi"))).unwrap()
    };
    let a100 = open("prodAv100");
    let a101 = open("prodAv101");
    let b100 = open("prodBv100");
    for (from, to) in [
        (&a100, &a101),
        (&a101, &a100),
        (&a100, &b100),
        (&b100, &a101),
    ] {
        let t = Transform::generate(from, to).unwrap();
        let t = Transform::from_bytes("t.mst", t.to_bytes().unwrap()).unwrap();
        let mut applied = from.clone();
        applied.apply_transform_checked(&t).unwrap();
        assert_same_database(&applied, to);
        let written = Package::from_bytes("w.msi", applied.to_bytes().unwrap()).unwrap();
        assert_same_database(&written, to);
        assert!(written.diff(to).unwrap().is_empty());
    }
}
