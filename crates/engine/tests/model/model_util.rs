//! Shared helpers of the `model` tests: packages built with Debian's
//! `wixl` (and fixed up with `msibuild`, for what `wixl` cannot author) or
//! in memory with the msi crate, and the shared corpus's location.

#![allow(dead_code)]

use std::path::PathBuf;

pub(crate) use test_support::build::{MODEL_FIXUPS, MODEL_WXS, model_package};
pub(crate) use test_support::build::{in_memory, property_columns, s};

/// A package built from `wxs` with `wixl` in a fresh folder holding
/// `files`, then fixed up with `msibuild -q` queries. Returns the folder
/// (keep it alive) and the package path.
pub(crate) fn build(
    wxs: &str,
    files: &[(&str, &[u8])],
    fixups: &[&str],
) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let msi = test_support::build::wixl_package(dir.path(), "p", wxs, files, fixups);
    (dir, msi)
}

/// The shared corpus folder (`RMSI_CORPUS` overrides).
pub(crate) fn corpus_dir() -> PathBuf {
    test_support::corpus_dir()
}
