//! Benchmark case `validate`: `rmsi validate` of the 5,000-file package against `rmsi
//! install` of the same package into a fresh root on tmpfs (the install's own work, without
//! the disk's inode allocation). Issue 16's goal: validating takes less than installing.
//! Both read the package's tables; the validator then runs every rule, the install extracts
//! and writes 12.9 MB.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::harness::{Harness, time_command};

/// The package, built by the test-package helper (crates/engine/tests/packages/build.sh).
const PACKAGE: &str = "crates/engine/tests/packages/many-files.msi";

pub(crate) fn run(h: &mut Harness) -> anyhow::Result<()> {
    let rmsi = h.bin("rmsi")?;
    let package = PathBuf::from(PACKAGE);
    if !package.is_file() {
        bail!("{PACKAGE} is missing: run crates/engine/tests/packages/build.sh");
    }
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let work = base.join(format!("rmsi-bench-validate-{}", std::process::id()));
    fs_err::create_dir_all(&work).with_context(|| format!("create {}", work.display()))?;
    let result = compare(h, &rmsi, &package, &work);
    let _ = fs_err::remove_dir_all(&work);
    result
}

fn compare(h: &mut Harness, rmsi: &Path, package: &Path, work: &Path) -> anyhow::Result<()> {
    let validate = || -> anyhow::Result<Duration> {
        // Exit 1 would mean errors: the package is clean, so only 0 is accepted.
        time_command(Command::new(rmsi).arg("validate").arg(package), &[])
    };
    let rm_state = work.join("rm");
    let mut n = 0;
    let mut install = || -> anyhow::Result<Duration> {
        n += 1;
        let root = work.join(format!("root-{n}"));
        fs_err::create_dir_all(&root).with_context(|| format!("create {}", root.display()))?;
        let _ = fs_err::remove_dir_all(&rm_state);
        time_command(
            Command::new(rmsi)
                .args(["install", "--ui", "none", "--root"])
                .arg(&root)
                .arg(package)
                .env("RSTMGR_STATE_DIR", &rm_state),
            &[],
        )
    };
    let (ours, theirs) = h.compare(
        "validate many-files.msi (5,000 files) against installing it on tmpfs",
        "rmsi validate",
        validate,
        "rmsi install",
        &mut install,
    )?;
    h.note(&format!(
        "goal (issue 16): validating takes less than installing: {}",
        if ours.median < theirs.median {
            "met"
        } else {
            "NOT met"
        }
    ));
    Ok(())
}
