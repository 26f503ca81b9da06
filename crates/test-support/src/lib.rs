//! What the workspace's integration tests share, written once: where the test packages, the
//! examples and the corpus of real packages are ([`package`], [`example`],
//! [`corpus_dir`]), packages built at test time with Debian's `wixl` and fixed with
//! `msibuild` ([`build`]), the `rmsi` and `rstmgr` binaries of this build ([`bin`],
//! [`rmsi`], [`rstmgr`]), what a run printed ([`stdout`], [`stderr`]), waiting for a
//! condition ([`wait_for`]), whether the test runs as root ([`is_root`]), the end-to-end
//! context of the `rmsi` tests ([`e2e`]: a private root per test, runs with a clean
//! environment, holders of files kept open, a runit supervisor), and Wine prefixes for the
//! tests that run Windows programs ([`wine`]: one fresh prefix per test run, a copy per
//! test, one at a time).
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
use std::process::{Command, Output};
use std::time::{Duration, Instant};

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

/// A command running this build's `rstmgr`.
pub fn rstmgr() -> Command {
    Command::new(bin("rstmgr"))
}

/// What a finished command wrote on standard output, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a finished command wrote on standard error, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether this test runs as root (its effective uid is 0): the tests that install
/// Debian packages or create users run only then, and say why they are skipped otherwise.
pub fn is_root() -> bool {
    fs_err::read_to_string("/proc/self/status")
        .expect("read /proc/self/status")
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        // Real, effective, saved and file-system uids: the effective one decides.
        .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        .unwrap_or(false)
}

/// Polls `cond` every 10 ms until it holds; fails the test, naming `what`, when it still
/// does not after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < timeout, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
