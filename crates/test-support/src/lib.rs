//! What the workspace's integration tests share, written once: where the test packages, the
//! examples and the corpus of real packages are ([`package`], [`example`],
//! [`corpus_dir`]), packages built at test time with Debian's `wixl` and fixed with
//! `msibuild` ([`build`]), the `rmsi` and `rstmgr` binaries of this build ([`bin`],
//! [`rmsi`]), and the end-to-end context of the `rmsi` tests ([`e2e`]: a private root per
//! test, runs with a clean environment, holders of files kept open, a runit supervisor),
//! and Wine prefixes for the tests that run Windows programs ([`wine`]: one fresh prefix
//! per test run, a copy per test).
//!
//! Only tests depend on this crate (it is not published). It depends on none of the
//! workspace's crates, so every crate's tests may use it.
#![warn(missing_docs)]
// Test helpers fail loudly: a missing tool or package is the test's failure.
#![allow(clippy::missing_panics_doc)]

pub mod build;
pub mod e2e;
pub mod wine;

/// The `msi` crate the in-memory builders take columns and values of
/// ([`build::in_memory`]), so that tests need no dependency of their own on it.
pub use msi;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The test packages built by `crates/engine/tests/packages/build.sh`.
pub fn package(name: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../engine/tests/packages"
    ))
    .join(name)
}

/// The bundled example packages (`examples/` at the repository root).
pub fn example(name: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples")).join(name)
}

/// The shared corpus of real packages, read in place (`RMSI_CORPUS` overrides the
/// project's `../shared/corpus`); fails loudly when it is missing.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("RMSI_CORPUS").map_or_else(
        || {
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
            .to_path_buf()
        },
        PathBuf::from,
    );
    assert!(
        dir.join("README.md").is_file(),
        "the shared corpus is missing: expected it at {} (the project's ../shared/corpus, \
         or set RMSI_CORPUS); these tests read the 81 real packages there in place",
        dir.display()
    );
    dir
}

/// A binary of this build (`rmsi`, `rstmgr`), as Cargo tells the integration tests of the
/// crate that builds it (`CARGO_BIN_EXE_<name>`, set when the test runs).
pub fn bin(name: &str) -> PathBuf {
    let var = format!("CARGO_BIN_EXE_{name}");
    std::env::var_os(&var)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{var} is not set: run this test with `cargo test -p rmsi-cli`"))
}

/// A command running this build's `rmsi`.
pub fn rmsi() -> Command {
    Command::new(bin("rmsi"))
}
