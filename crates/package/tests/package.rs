//! Opening packages: typed rows of a `wixl` package, streams, the error
//! classes of `msiexec` (1619 missing/unreadable, 1620 invalid), the cfb
//! short-FAT quirk, and hostile rows.

use std::io::Read;
use std::path::Path;

use package::tables::sequence::{SequenceTable, ordered};
use package::{Error as PackageError, Package};
use test_support::build::{TableSpec, in_memory, model_package, s};
use test_support::msi;

#[test]
fn wixl_package_reads_typed_rows() {
    let (_dir, msi) = model_package();
    let p = Package::open(&msi).unwrap();
    assert!(p.path().is_absolute());
    assert_eq!(p.source_dir(), msi.parent().unwrap());
    let sum = p.summary();
    assert_eq!(sum.subject.as_deref(), Some("Model Test"));
    assert_eq!(sum.author.as_deref(), Some("rmsi"));
    assert_eq!(sum.template, "Intel;1033");
    assert_eq!(sum.word_count, 2);
    assert!(sum.compressed() && !sum.short_source_names());
    assert!(
        sum.revision
            .as_deref()
            .is_some_and(|r| r.starts_with('{') && r.len() == 38)
    );

    assert_eq!(p.property("MYPROP").as_deref(), Some("authored"));
    assert_eq!(
        p.property("ProductCode").as_deref(),
        Some("{11111111-2222-3333-4444-555555555555}")
    );
    let dirs = p.directories().unwrap();
    assert_eq!(dirs.len(), 4);
    let target = dirs.iter().find(|d| d.directory == "TARGETDIR").unwrap();
    assert_eq!(target.parent, None);
    let pff = dirs
        .iter()
        .find(|d| d.directory == "ProgramFilesFolder")
        .unwrap();
    assert!(pff.default_dir.target.is_dot(false));

    let comps = p.components().unwrap();
    assert_eq!(comps.len(), 4);
    let cond = comps.iter().find(|c| c.component == "CompCond").unwrap();
    assert_eq!(cond.condition.as_deref(), Some("ENABLECOND"));
    assert!(
        comps
            .iter()
            .find(|c| c.component == "CompA")
            .unwrap()
            .key_path_is_file()
    );
    assert_eq!(p.features().unwrap().len(), 2);
    assert_eq!(p.feature_components().unwrap().len(), 4);
    let conditions = p.conditions().unwrap();
    assert_eq!(conditions.len(), 1);
    assert_eq!(conditions[0].level, 1);

    let files = p.files().unwrap();
    assert_eq!(files.len(), 4);
    assert!(files.windows(2).all(|w| w[0].sequence <= w[1].sequence));
    let a = files.iter().find(|f| f.file == "FileA").unwrap();
    assert_eq!(a.file_name.long, "a.txt");
    assert_eq!(a.file_size, 6);
    assert_eq!(p.create_folders().unwrap().len(), 1);

    let media = p.media().unwrap();
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].embedded_stream(), Some("data.cab"));
    let mut cab = p.read_stream("data.cab").unwrap();
    assert!(!cab.is_empty());
    let mut magic = [0u8; 4];
    cab.read_exact(&mut magic).unwrap();
    assert_eq!(&magic, b"MSCF");
    let err = p.read_stream("nope.cab").unwrap_err();
    assert_eq!(err.code(), 1620);

    let exec = p.sequence(SequenceTable::InstallExecute).unwrap();
    let order: Vec<&str> = ordered(&exec).iter().map(|r| r.action.as_str()).collect();
    let pos = |a: &str| order.iter().position(|x| *x == a).unwrap();
    assert!(pos("CostInitialize") < pos("CostFinalize"));
    assert!(pos("InstallFiles") < pos("InstallFinalize"));
    // Optional tables the package lacks read as empty.
    assert!(p.upgrades().unwrap().is_empty() || p.table("Upgrade").is_some());
    assert!(p.remove_files().unwrap().is_empty());
    assert!(p.custom_actions().unwrap().is_empty());
}

#[test]
fn missing_unreadable_and_invalid_packages_are_classified() {
    let dir = tempfile::tempdir().unwrap();
    let code = |path: &Path| Package::open(path).unwrap_err().code();
    assert_eq!(code(&dir.path().join("missing.msi")), 1619);
    assert_eq!(code(dir.path()), 1619);
    let empty = dir.path().join("empty.msi");
    fs_err::write(&empty, b"").unwrap();
    assert_eq!(code(&empty), 1620);
    let junk = dir.path().join("junk.msi");
    fs_err::write(&junk, vec![0x5a; 4096]).unwrap();
    assert_eq!(code(&junk), 1620);
    // A real package cut short: the compound file's sectors are missing.
    let (_d, msi) = model_package();
    let bytes = fs_err::read(&msi).unwrap();
    let cut = dir.path().join("cut.msi");
    fs_err::write(&cut, &bytes[..1536]).unwrap();
    let err = Package::open(&cut).unwrap_err();
    assert!(matches!(err, PackageError::PackageInvalid { .. }), "{err}");
    assert_eq!(err.name(), "ERROR_INSTALL_PACKAGE_INVALID");
    // A compound file that is not an installer database (a patch).
    let patch = in_memory(msi::PackageType::Patch, vec![]);
    assert_eq!(
        Package::from_bytes("p.msp", patch).unwrap_err().code(),
        1620
    );
}

/// Sets the FAT entry of the sector just past the end of a 512-byte-sector
/// file to END_OF_CHAIN: cfb then finds more FAT entries than sectors
/// ("Malformed FAT … file has only N sectors"), as with some old writers.
fn lengthen_fat(mut bytes: Vec<u8>) -> Vec<u8> {
    assert_eq!(
        u16::from_le_bytes([bytes[30], bytes[31]]),
        9,
        "512-byte sectors"
    );
    let sectors = bytes.len().div_ceil(512) - 1;
    assert!(sectors < 128, "the entry is in the first FAT sector");
    let fat_sector = u32::from_le_bytes(bytes[0x4c..0x50].try_into().unwrap()) as usize;
    let at = (fat_sector + 1) * 512 + 4 * sectors;
    bytes[at..at + 4].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    bytes
}

#[test]
fn short_fat_quirk_is_tolerated() {
    let (dir, msi) = model_package();
    let broken = lengthen_fat(fs_err::read(&msi).unwrap());
    // cfb alone refuses it…
    let err = match cfb::CompoundFile::open(std::io::Cursor::new(broken.clone())) {
        Ok(_) => panic!("cfb accepts the file"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("Malformed FAT"), "{err}");
    // …the engine reads it, tables and streams.
    let path = dir.path().join("quirk.msi");
    fs_err::write(&path, &broken).unwrap();
    for p in [
        Package::open(&path).unwrap(),
        Package::from_bytes(&path, broken).unwrap(),
    ] {
        assert_eq!(p.files().unwrap().len(), 4);
        let mut data = Vec::new();
        p.read_stream("data.cab")
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        assert!(data.starts_with(b"MSCF"));
    }
}

fn file_table(name: &str) -> TableSpec<'static> {
    (
        "File",
        vec![
            msi::Column::build("File").primary_key().string(72),
            msi::Column::build("Component_").string(72),
            msi::Column::build("FileName").string(255),
            msi::Column::build("FileSize").int32(),
            msi::Column::build("Version").nullable().string(72),
            msi::Column::build("Language").nullable().string(20),
            msi::Column::build("Attributes").nullable().int16(),
            msi::Column::build("Sequence").int32(),
        ],
        vec![vec![
            s("F"),
            s("C"),
            s(name),
            msi::Value::Int(1),
            msi::Value::Null,
            msi::Value::Null,
            msi::Value::Null,
            msi::Value::Int(1),
        ]],
    )
}

#[test]
fn hostile_file_names_are_refused() {
    for name in ["../../evil", "x|../../../etc/passwd", "a/b", "a\\b", ".."] {
        let bytes = in_memory(msi::PackageType::Installer, vec![file_table(name)]);
        let p = Package::from_bytes("/pkg/h.msi", bytes).unwrap();
        let err = p.files().unwrap_err();
        assert!(matches!(err, PackageError::BadRow { .. }), "{name}: {err}");
        assert_eq!(err.code(), 1603);
        assert!(err.to_string().contains("table File"), "{err}");
    }
}

#[test]
fn binary_rows_are_streams() {
    let bytes = {
        let mut package = msi::Package::create(
            msi::PackageType::Installer,
            std::io::Cursor::new(Vec::new()),
        )
        .unwrap();
        package
            .create_table(
                "Binary",
                vec![
                    msi::Column::build("Name").primary_key().id_string(72),
                    msi::Column::build("Data").binary(),
                ],
            )
            .unwrap();
        package
            .insert_rows(msi::Insert::into("Binary").row(vec![s("tool"), msi::Value::Binary]))
            .unwrap();
        use std::io::Write;
        package
            .write_stream("Binary.tool")
            .unwrap()
            .write_all(b"#!/bin/sh\necho hi\n")
            .unwrap();
        package.into_inner().unwrap().into_inner()
    };
    let p = Package::from_bytes("/pkg/bin.msi", bytes).unwrap();
    assert_eq!(p.binary_names().unwrap(), vec!["tool".to_string()]);
    assert_eq!(p.binary("tool").unwrap(), b"#!/bin/sh\necho hi\n");
    let table = p.table("Binary").unwrap();
    assert_eq!(
        table.rows[0][1],
        package::tables::Value::Str("Binary.tool".into())
    );
    assert_eq!(p.binary("missing").unwrap_err().code(), 1620);
}

/// The package cache's copy: every table, the summary and the Binary streams as they
/// were, the embedded cabinet gone (and with it nearly all the bytes).
#[test]
fn the_cached_copy_keeps_everything_but_the_cabinets() {
    let ca = test_support::package("ca.msi");
    let original = Package::open(&ca).expect("open ca.msi");
    let tmp = tempfile::tempdir().expect("temp dir");
    let copy_path = tmp.path().join("cached.msi");
    let mut out = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&copy_path)
        .expect("create");
    original
        .write_without_cabinets(&mut out)
        .expect("write the copy");
    drop(out);
    let copy = Package::open(&copy_path).expect("the copy opens as a package");
    assert_eq!(copy.summary(), original.summary());
    let names = |p: &Package| p.tables().map(|t| t.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&copy), names(&original));
    for table in original.tables() {
        assert_eq!(copy.table(&table.name).map(|t| &t.rows), Some(&table.rows));
    }
    let cabinet = "ca.cab";
    assert!(original.has_stream(cabinet));
    assert!(!copy.has_stream(cabinet));
    let kept: Vec<&String> = original
        .stream_names()
        .iter()
        .filter(|s| *s != cabinet)
        .collect();
    assert!(kept.iter().any(|s| s.starts_with("Binary.")), "{kept:?}");
    assert_eq!(copy.stream_names().iter().collect::<Vec<_>>(), kept);
    assert_eq!(
        copy.binary("ShScript").expect("binary"),
        original.binary("ShScript").expect("binary")
    );
}

/// The copy made in memory and checked is the copy written to a file, byte for byte.
#[test]
fn the_checked_copy_in_memory_is_the_written_copy() {
    let ca = test_support::package("ca.msi");
    let original = Package::open(&ca).expect("open ca.msi");
    let mut written = std::io::Cursor::new(Vec::new());
    original
        .write_without_cabinets(&mut written)
        .expect("write the copy");
    let checked = original
        .copy_without_cabinets(u64::MAX)
        .expect("the checked copy")
        .expect("within the limit");
    assert_eq!(checked, written.into_inner());
    // Past the limit (the streams but the cabinet hold more than 1 KiB), no copy is made.
    assert!(
        original
            .copy_without_cabinets(1024)
            .expect("sized")
            .is_none()
    );
    let copy = Package::from_bytes("cached.msi", checked).expect("the copy opens");
    assert!(!copy.has_stream("ca.cab"));
    assert_eq!(copy.tables().count(), original.tables().count());
}

/// A package file replaced or written after it was opened is not read again as if it were
/// the same package: its streams and its cached copy are refused, saying why.
#[test]
fn a_package_file_changed_after_opening_is_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("p.msi");
    fs_err::copy(test_support::package("ca.msi"), &path).expect("copy ca.msi");
    let package = Package::open(&path).expect("open");
    assert!(package.copy_without_cabinets(u64::MAX).is_ok());
    // Another package renamed over it, as a build would replace its output.
    let other = tmp.path().join("other.msi");
    fs_err::copy(test_support::package("ca.msi"), &other).expect("copy ca.msi");
    fs_err::rename(&other, &path).expect("replace");
    let err = package.copy_without_cabinets(u64::MAX).unwrap_err();
    assert_eq!(err.code(), 1619, "{err}");
    assert!(
        err.to_string()
            .contains("changed since the installation opened it"),
        "{err}"
    );
    assert!(package.binary("ShScript").is_err());
}

/// A neutral database (string pool code page 0) whose strings hold Windows-1252 bytes, as
/// wixl writes `Codepage="1252"` sources: Windows reads them in the ANSI code page, so
/// `Grüße, café` stays itself instead of coming out as U+FFFD (which Wine then showed).
#[test]
fn a_neutral_database_reads_its_strings_in_the_ansi_code_page() {
    let msi = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/packages/wine-regread/wine-regread.msi");
    let p = Package::open(&msi).unwrap();
    assert_eq!(p.summary().database_codepage, 0);
    let registry = p.table("Registry").expect("a Registry table");
    let name = registry.column_index("Name").unwrap();
    let value = registry.column_index("Value").unwrap();
    let accents = registry
        .rows
        .iter()
        .find(|row| row[name] == package::tables::Value::Str("Accents".into()))
        .expect("the Accents row");
    assert_eq!(
        accents[value],
        package::tables::Value::Str("Grüße, café".into())
    );
}
