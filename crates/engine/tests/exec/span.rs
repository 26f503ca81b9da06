//! Cabinets that span media ("Media table", continuous cabinets): `tests/packages/span-*.msi`,
//! whose file Bravo begins in `span1.cab`, fills `span2.cab` and ends in `span3.cab` (the
//! cabinet crate's `tests/data/span/`, made by Wine's `cabarc`), three Media rows, external
//! or embedded. The set is read in DiskId order, each next cabinet the next Media row's; a
//! cabinet in the wrong place fails as Windows fails: error 1335 (the cabinet is not
//! usable), or 1311 when the cabinet a row names is not there, and nothing is installed.

use std::path::{Path, PathBuf};

use crate::cabinet_util::pseudo_random;
use crate::exec_util::Scratch;

/// The set's cabinets, beside the cabinet crate's tests.
fn span_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cabinet/tests/data/span")
}

/// `tests/packages/NAME` copied into the scratch folder with the cabinets, each under the
/// name given (`None`: left out).
fn package(s: &Scratch, name: &str, cabinets: &[(&str, Option<&str>)]) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/packages")
        .join(name);
    let to = s.path(name);
    fs_err::copy(from, &to).expect("copy the package");
    for (cab, as_name) in cabinets {
        if let Some(as_name) = as_name {
            fs_err::copy(span_dir().join(cab), s.path(as_name)).expect("copy a cabinet");
        }
    }
    to
}

const ALL: [(&str, Option<&str>); 3] = [
    ("span1.cab", Some("span1.cab")),
    ("span2.cab", Some("span2.cab")),
    ("span3.cab", Some("span3.cab")),
];

/// The files of `features` ("Main": alpha.txt, "Big": bravo.bin and charlie.txt) are
/// installed with the set's bytes, and no other.
fn assert_installed(s: &Scratch, features: &[&str], log: &str) {
    let dir = s.root().join("opt/rmsi-span");
    let read = |n: &str| fs_err::read(dir.join(n)).ok();
    let main = features.contains(&"Main");
    let big = features.contains(&"Big");
    assert_eq!(
        read("alpha.txt"),
        main.then(|| pseudo_random(3640, 1, true)),
        "{log}"
    );
    assert!(
        read("bravo.bin") == big.then(|| pseudo_random(110_000, 2, false)),
        "{log}"
    );
    assert!(
        read("charlie.txt") == big.then(|| pseudo_random(41_240, 3, true)),
        "{log}"
    );
}

fn change_media(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains("ChangeMedia(")).collect()
}

#[test]
fn files_spanning_three_external_cabinets_install_byte_exact() {
    let s = Scratch::new();
    // Bravo (sequence 2) is counted on the disk it begins on (LastSequence 2, 2, 3).
    let pkg = package(&s, "span-external.msi", &ALL);
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 0, "{log}");
    assert_installed(&s, &["Main", "Big"], &log);
    // Read once, in DiskId order, each next cabinet continuing the pass.
    let media = change_media(&log);
    assert_eq!(media.len(), 3, "{media:#?}");
    assert!(
        media[0].contains("span1.cab")
            && media[1].contains("span2.cab")
            && media[2].contains("span3.cab"),
        "{media:#?}"
    );
}

#[test]
fn files_spanning_three_embedded_cabinets_install_byte_exact() {
    for features in [&["Main", "Big"][..], &["Big"]] {
        let s = Scratch::new();
        // Bravo is counted on the disk after the one it begins on (LastSequence 1, 2, 3).
        // With Main left out no file of span1.cab is wanted, yet Bravo begins there: the
        // pass still begins in span1.cab, where span2.cab's first folder begins.
        let pkg = package(&s, "span-embedded.msi", &[]);
        let (report, log) = s.install(&pkg, &[("ADDLOCAL", &features.join(","))]);
        assert_eq!(report.code(), 0, "{log}");
        assert_installed(&s, features, &log);
        let media = change_media(&log);
        assert!(media[0].contains("#span1.cab"), "{media:#?}");
    }
}

#[test]
fn a_misordered_cabinet_fails_with_1335_and_installs_nothing() {
    let s = Scratch::new();
    let before = s.tree();
    // DiskId 2 names span3.cab: the set's next after span1.cab is not it.
    let pkg = package(&s, "span-misordered.msi", &ALL);
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 1603, "{log}");
    assert!(
        log.contains("Error 1335. The cabinet file 'span3.cab' required for this installation is corrupt and cannot be used."),
        "{log}"
    );
    assert_eq!(s.tree(), before, "{log}");
}

#[test]
fn a_misnamed_cabinet_fails_with_1311_and_installs_nothing() {
    let s = Scratch::new();
    let before = s.tree();
    // The second cabinet is there as disk2.cab, not as its Media row names it.
    let pkg = package(
        &s,
        "span-external.msi",
        &[
            ("span1.cab", Some("span1.cab")),
            ("span2.cab", Some("disk2.cab")),
            ("span3.cab", Some("span3.cab")),
        ],
    );
    let (report, log) = s.install(&pkg, &[]);
    assert_eq!(report.code(), 1603, "{log}");
    let missing = s.path("span2.cab");
    assert!(
        log.contains(&format!(
            "Error 1311. Source file not found: {}.",
            missing.display()
        )),
        "{log}"
    );
    assert_eq!(s.tree(), before, "{log}");
}
