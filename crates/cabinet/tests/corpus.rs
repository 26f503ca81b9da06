//! Every cabinet of the real packages in `../shared/corpus`, extracted by this crate and
//! compared byte for byte with what `msiextract` (libgcab) writes for the same package.

mod util;

use std::collections::BTreeMap;

use cabinet::CabinetError;
use util::{corpus_packages, extract_all, file_names, msiextract, package_cabinets};

#[test]
fn corpus_cabinets_match_msiextract() {
    let mut compared = 0;
    let mut files_compared = 0;
    let mut report = Vec::new();
    for pkg in corpus_packages() {
        let Ok(cabs) = package_cabinets(&pkg) else {
            continue; // `msi` cannot open it: nothing of this module's to compare.
        };
        if cabs.is_empty() || cabs.iter().any(|c| c.bytes.is_none()) {
            continue; // No cabinet, or an external one the corpus does not carry.
        }
        let names = file_names(&pkg).expect("read the File table");
        let mut ours: Vec<(String, Vec<u8>)> = Vec::new();
        let mut our_error: Option<CabinetError> = None;
        for cab in &cabs {
            let bytes = cab.bytes.as_deref().unwrap_or_default();
            match extract_all(bytes) {
                Ok(files) => {
                    for (entry, data) in files {
                        // msiextract writes only the files the File table names.
                        if let Some(long) = names.get(&entry.name) {
                            ours.push((long.clone(), data));
                        }
                    }
                }
                Err(e) => our_error = Some(e),
            }
        }
        ours.sort();
        let dir = tempfile::tempdir().expect("temp dir");
        let (their_ok, theirs) = msiextract(&pkg, dir.path());
        let label = pkg.strip_prefix(util::corpus_dir()).unwrap_or(&pkg);
        match (&our_error, their_ok) {
            (None, true) => {
                assert_eq!(
                    summary(&ours),
                    summary(&theirs),
                    "{}: extracted files differ from msiextract's",
                    label.display()
                );
                assert!(ours == theirs, "{}: contents differ", label.display());
                files_compared += ours.len();
            }
            (Some(e), false) => {
                // Both refuse it (the corpus holds one external cabinet damaged in transit,
                // one byte longer than its header says: libgcab reports a checksum error).
                assert!(e.is_bad_cabinet(), "{}: {e}", label.display());
            }
            (Some(e), true) => panic!("{}: msiextract reads it but we fail: {e}", label.display()),
            (None, false) => panic!("{}: we read it but msiextract fails", label.display()),
        }
        report.push(format!("{} ({} files)", label.display(), ours.len()));
        compared += 1;
    }
    eprintln!(
        "compared {compared} packages, {files_compared} files:\n{}",
        report.join("\n")
    );
    // The corpus holds at least 20 packages with cabinets (MSZIP and LZX, embedded and
    // external); fewer means the corpus or the Media lookup broke.
    assert!(
        compared >= 20,
        "only {compared} packages with cabinets found"
    );
    assert!(
        files_compared >= 300,
        "only {files_compared} files compared"
    );
}

/// Names and sizes, for a readable first failure message.
fn summary(files: &[(String, Vec<u8>)]) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (name, data) in files {
        out.entry(name.clone()).or_default().push(data.len());
    }
    out
}

#[test]
fn corpus_has_lzx_and_mszip_cabinets_with_checksums() {
    // Guards the test above against silently covering only one method: the WiX 4 test
    // packages use LZX, the WiX 3 and lessmsi ones MSZIP.
    let mut methods = std::collections::BTreeSet::new();
    for pkg in corpus_packages() {
        for cab in package_cabinets(&pkg).unwrap_or_default() {
            if let Some(bytes) = cab.bytes {
                // typeCompress of the first CFFOLDER (no reserve in these cabinets).
                if bytes.len() > 44 && bytes[30] & 4 == 0 {
                    methods.insert(bytes[42] & 0x0f);
                }
            }
        }
    }
    assert!(methods.contains(&1), "no MSZIP cabinet in the corpus");
    assert!(methods.contains(&3), "no LZX cabinet in the corpus");
}
