//! Issue 15's media and folder items through the `rmsi` binary: a package whose file spans
//! three cabinets (`span-external.msi` beside the cabinet crate's `tests/data/span/` set,
//! made by Wine's `cabarc`) installs byte-exact and leaves an empty root when removed; the
//! set misordered in the Media table fails with 1603 and error 1335, nothing installed; two
//! products sharing the folder the first one's install created (`folders-p.msi`,
//! `folders-q.msi`) leave an empty root whichever goes first.

use std::path::{Path, PathBuf};

use test_support::e2e::{Ctx, Layout, assert_root_empty, package, tree};

/// The package copied into the test's folder with the set's three cabinets beside it.
fn with_cabinets(ctx: &Ctx, name: &str) -> PathBuf {
    let pkg = ctx.path(name);
    fs_err::copy(package(name), &pkg).expect("copy the package");
    let set = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cabinet/tests/data/span");
    for n in 1..=3 {
        let cab = format!("span{n}.cab");
        fs_err::copy(set.join(&cab), ctx.path(&cab)).expect("copy a cabinet");
    }
    pkg
}

/// The payloads the set holds: the xorshift streams `tests/data/span/make.sh` gave
/// `cabarc` (the cabinet tests' `pseudo_random`).
fn payload(len: usize, seed: u64, text: bool) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if text {
                b"etaoin shrdlu\n"[(x % 14) as usize]
            } else {
                (x >> 24) as u8
            }
        })
        .collect()
}

#[test]
fn a_file_spanning_three_cabinets_installs_and_goes() {
    let ctx = Ctx::new();
    let pkg = with_cabinets(&ctx, "span-external.msi");
    let run = ctx.install(&pkg, Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let dir = ctx.root.join("opt/rmsi-span");
    let read = |n: &str| fs_err::read(dir.join(n)).unwrap_or_default();
    assert!(
        read("alpha.txt") == payload(3640, 1, true),
        "{}",
        run.describe()
    );
    assert!(
        read("bravo.bin") == payload(110_000, 2, false),
        "{}",
        run.describe()
    );
    assert!(
        read("charlie.txt") == payload(41_240, 3, true),
        "{}",
        run.describe()
    );
    let run = ctx.uninstall(&pkg.display().to_string(), Layout::Fhs, &[]);
    run.assert_code(0);
    assert_eq!(tree(&ctx.root), Vec::<String>::new(), "{}", run.describe());
}

#[test]
fn a_misordered_set_fails_with_1335() {
    let ctx = Ctx::new();
    let pkg = with_cabinets(&ctx, "span-misordered.msi");
    let run = ctx.install(&pkg, Layout::Fhs, &[]);
    run.assert_code_logged(1603);
    assert!(
        run.log.contains(
            "Error 1335. The cabinet file 'span3.cab' required for this installation is corrupt and cannot be used."
        ),
        "{}",
        run.describe()
    );
    assert_root_empty(&ctx.root, &run);
}

#[test]
fn the_folder_two_products_share_goes_with_the_last_in_either_order() {
    for order in [
        ["folders-p.msi", "folders-q.msi"],
        ["folders-q.msi", "folders-p.msi"],
    ] {
        let ctx = Ctx::new();
        for name in ["folders-p.msi", "folders-q.msi"] {
            ctx.install(&package(name), Layout::Fhs, &[]).assert_code(0);
        }
        let target = |name: &str| package(name).display().to_string();
        ctx.uninstall(&target(order[0]), Layout::Fhs, &[])
            .assert_code(0);
        assert!(
            ctx.root.join("opt").is_dir(),
            "{order:?}: {:?}",
            tree(&ctx.root)
        );
        let run = ctx.uninstall(&target(order[1]), Layout::Fhs, &[]);
        run.assert_code(0);
        assert_eq!(
            tree(&ctx.root),
            Vec::<String>::new(),
            "{order:?}: {}",
            run.describe()
        );
    }
}

#[test]
fn rmsi_extract_lays_out_a_spanning_set_as_an_admin_image() {
    for (name, with_set) in [("span-embedded.msi", false), ("span-external.msi", true)] {
        let ctx = Ctx::new();
        let pkg = if with_set {
            with_cabinets(&ctx, name)
        } else {
            package(name)
        };
        let out = ctx.path("image");
        let run = ctx.finish(ctx.rmsi().arg("extract").arg(&pkg).arg("-C").arg(&out));
        run.assert_code(0);
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut stack = vec![out.clone()];
        while let Some(dir) = stack.pop() {
            for e in fs_err::read_dir(&dir).expect("read the image") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let n = p.file_name().expect("name").to_string_lossy().into_owned();
                    files.push((n, fs_err::read(&p).expect("read")));
                }
            }
        }
        files.sort();
        let want = vec![
            ("alpha.txt".to_owned(), payload(3640, 1, true)),
            ("bravo.bin".to_owned(), payload(110_000, 2, false)),
            ("charlie.txt".to_owned(), payload(41_240, 3, true)),
        ];
        assert!(
            files == want,
            "{name}: {:?}",
            files.iter().map(|f| (&f.0, f.1.len())).collect::<Vec<_>>()
        );
    }
}
