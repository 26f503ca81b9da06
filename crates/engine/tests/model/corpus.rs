//! Every real package of the shared corpus opens (or is refused with the
//! right code) and costs without a panic, in both layouts, with every
//! target under the root.
//!
//! The corpus lives beside the repository (`../shared/corpus/<id>/`, see its
//! README); `RMSI_CORPUS` points elsewhere. A missing corpus fails the test
//! with a clear message rather than skipping.

use std::path::PathBuf;

use engine::{
    FileAction, FileSource, InitOptions, Layout, Package, Properties, confine, initialize, plan,
};

/// Every `.msi` of the corpus, as (id, path).
fn corpus() -> Vec<(String, PathBuf)> {
    let dir = test_support::corpus_dir();
    let entries = fs_err::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "the shared corpus is missing at {} ({e}); set RMSI_CORPUS",
            dir.display()
        )
    });
    let mut out = Vec::new();
    for entry in entries.flatten() {
        if !entry.path().is_dir() {
            continue;
        }
        let id = entry.file_name().to_string_lossy().into_owned();
        for file in fs_err::read_dir(entry.path()).unwrap().flatten() {
            let path = file.path();
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("msi"))
            {
                out.push((id.clone(), path));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn corpus_packages_open_and_cost() {
    let packages = corpus();
    assert_eq!(packages.len(), 81, "the corpus holds 81 packages");
    let mut opened = 0;
    for (id, path) in &packages {
        let package = match Package::open(path) {
            Ok(p) => p,
            Err(err) => {
                // The README names the one invalid package.
                assert_eq!(id, "wix3-MultipleFragments", "{id}: {err}");
                assert_eq!(err.code(), 1620, "{id}: {err}");
                assert_eq!(err.name(), "ERROR_INSTALL_PACKAGE_INVALID");
                continue;
            }
        };
        opened += 1;
        assert!(
            package.table("Property").is_some(),
            "{id}: no Property table"
        );
        for layout in [Layout::Fhs, Layout::Windows] {
            let root = tempfile::tempdir().unwrap();
            let mut props = Properties::new();
            let opts = InitOptions::new(root.path(), layout);
            initialize(&mut props, &package, &opts).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert!(props.get("ProductCode").is_some(), "{id}: no ProductCode");
            let plan = match plan(&package, &mut props, root.path(), None) {
                Ok(plan) => plan,
                Err(err) => {
                    // A package whose rows break the model fails cleanly.
                    assert_eq!(err.code(), 1603, "{id}: {err}");
                    eprintln!("{id} ({layout}): {err}");
                    continue;
                }
            };
            for file in &plan.files {
                confine(root.path(), &file.target)
                    .unwrap_or_else(|e| panic!("{id}: {}: {e}", file.file));
                if let FileAction::Install { .. } = file.action {
                    assert!(
                        file.source.is_some() || package.table("Media").is_none(),
                        "{id}: {} has no source",
                        file.file
                    );
                }
                if let Some(FileSource::Uncompressed { path }) = &file.source {
                    assert!(path.is_absolute(), "{id}: {}", path.display());
                }
            }
            for dir in plan.directories.iter() {
                assert!(
                    dir.target.starts_with(root.path()),
                    "{id}: {}",
                    dir.target.display()
                );
            }
            // Nothing was written by costing.
            assert_eq!(fs_err::read_dir(root.path()).unwrap().count(), 0, "{id}");
        }
    }
    assert_eq!(opened, 80);
}
