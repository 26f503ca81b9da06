//! Benchmark case `install`: `rmsi install` of the 5,000-file package into a fresh root
//! against `msiextract -C` of the same package into a fresh folder.
//!
//! Both sides read the same embedded cabinet and write the same 5,000 files; `rmsi` also
//! opens the package's tables, resolves folders, costs, stages every file and renames it
//! into place, writes a verbose log and runs a Restart Manager session. The goal of issue 6
//! is "no slower than msiextract", with peak memory bounded whatever the package size: the
//! case prints both peaks (`/usr/bin/time -f %M`, kilobytes), and the peak of a package
//! with the same files in one much larger cabinet would be the same (extraction streams).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::harness::{Harness, have_tool, time_command};

/// The package, built by the test-package helper (crates/engine/tests/packages/build.sh).
const PACKAGE: &str = "crates/engine/tests/packages/many-files.msi";

pub(crate) fn run(h: &mut Harness) -> anyhow::Result<()> {
    let rmsi = h.bin("rmsi")?;
    if !have_tool("msiextract") {
        bail!("msiextract (Debian's msitools) is not installed");
    }
    let package = PathBuf::from(PACKAGE);
    if !package.is_file() {
        bail!("{PACKAGE} is missing: run crates/engine/tests/packages/build.sh");
    }
    let work = Scratch::new()?;
    let root = work.path.join("root");
    let out = work.path.join("extract");
    let log = work.path.join("install.log");

    // Check once that the install works and installs every file.
    reset(&root)?;
    let status = Command::new(&rmsi)
        .args(["install", "--ui", "none", "--root"])
        .arg(&root)
        .arg(&package)
        .env("RSTMGR_STATE_DIR", work.path.join("rm"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("run rmsi install")?;
    if !status.success() {
        bail!("rmsi install of {PACKAGE} failed: {status}");
    }
    let installed = count_files(&root);
    h.note(&format!("rmsi installed {installed} files"));
    fs_reset(&work.path.join("rm"))?;

    // Each run writes into a fresh folder and nothing is deleted until every run is done.
    // On an ext4 without a journal (this machine's), the inode allocator skips every inode
    // freed in the last few seconds, reading each one's inode-table entry for every file
    // it creates: deleting the previous run's 5,000 files just before a run made that run
    // mostly a measure of the kernel's scan (perf: ~90% of both sides' time in
    // `recently_deleted`), and its cost depended on which side had deleted what last.
    // The case below with deletion keeps that figure visible.
    let mut n = 0;
    let mut fresh = |name: &str| -> anyhow::Result<PathBuf> {
        n += 1;
        let dir = work.path.join(format!("{name}-{n}"));
        fs_err::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        Ok(dir)
    };
    let rm_state = work.path.join("rm");
    let run_rmsi = |root: &Path| -> anyhow::Result<Duration> {
        fs_reset(&rm_state)?;
        time_command(
            Command::new(&rmsi)
                .args(["install", "--ui", "none", "--root"])
                .arg(root)
                .arg("--log")
                .arg(&log)
                .arg(&package)
                .env("RSTMGR_STATE_DIR", &rm_state),
            &[],
        )
    };
    let run_msiextract = |out: &Path| -> anyhow::Result<Duration> {
        time_command(
            Command::new("msiextract").arg("-C").arg(out).arg(&package),
            &[],
        )
    };
    let fresh = std::cell::RefCell::new(&mut fresh);
    h.compare(
        "install many-files.msi (5,000 files, 12.9 MB) into an empty root",
        "rmsi install",
        || run_rmsi(&(fresh.borrow_mut())("root")?),
        "msiextract -C",
        || run_msiextract(&(fresh.borrow_mut())("extract")?),
    )?;
    // The same on tmpfs, where creating a file costs no inode-table scan: what is left is
    // the two programs' own work (reading, inflating, writing, and for rmsi the tables,
    // costing, journal, renames, log and registry).
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        let mem = Scratch::new_in(shm)?;
        let mut m = 0;
        let mut mem_fresh = |name: &str| -> anyhow::Result<PathBuf> {
            m += 1;
            let dir = mem.path.join(format!("{name}-{m}"));
            fs_err::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
            Ok(dir)
        };
        let mem_fresh = std::cell::RefCell::new(&mut mem_fresh);
        h.compare(
            "the same into a root on tmpfs (/dev/shm)",
            "rmsi install",
            || run_rmsi(&(mem_fresh.borrow_mut())("root")?),
            "msiextract -C",
            || run_msiextract(&(mem_fresh.borrow_mut())("extract")?),
        )?;
    }
    h.compare(
        "the same, the previous run's tree deleted just before each run",
        "rmsi install",
        || {
            reset(&root)?;
            run_rmsi(&root)
        },
        "msiextract -C",
        || {
            reset(&out)?;
            run_msiextract(&out)
        },
    )?;

    if have_tool("time") || Path::new("/usr/bin/time").is_file() {
        reset(&root)?;
        fs_reset(&work.path.join("rm"))?;
        let ours = peak_kb(
            Command::new(&rmsi)
                .args(["install", "--ui", "none", "--root"])
                .arg(&root)
                .arg(&package)
                .env("RSTMGR_STATE_DIR", work.path.join("rm")),
        )?;
        reset(&out)?;
        let theirs = peak_kb(Command::new("msiextract").arg("-C").arg(&out).arg(&package))?;
        h.note(&format!(
            "peak memory: rmsi install {ours} KiB, msiextract {theirs} KiB"
        ));
    }

    // The throughput case, and peak memory with a package 15 times the size: 40 files of
    // 4.8 MB barely compressible (193 MB), generated once by the `extract` case's code.
    let dir = std::env::temp_dir().join("rmsi-bench-extract");
    fs_err::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let big = super::extract::big_package(&dir)?;
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        work.path.clone()
    };
    let big_work = Scratch::new_in(&base)?;
    let mut k = 0;
    let mut big_fresh = |name: &str| -> anyhow::Result<PathBuf> {
        k += 1;
        let dir = big_work.path.join(format!("{name}-{k}"));
        fs_err::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        Ok(dir)
    };
    let big_fresh = std::cell::RefCell::new(&mut big_fresh);
    let run_big = |root: &Path| -> anyhow::Result<Duration> {
        fs_reset(&rm_state)?;
        let t = time_command(
            Command::new(&rmsi)
                .args(["install", "--ui", "none", "--root"])
                .arg(root)
                .arg(&big)
                .env("RSTMGR_STATE_DIR", &rm_state),
            &[],
        );
        // 193 MB a run: the tree goes at once, outside the timing.
        fs_reset(root)?;
        t
    };
    let extract_big = |out: &Path| -> anyhow::Result<Duration> {
        let t = time_command(Command::new("msiextract").arg("-C").arg(out).arg(&big), &[]);
        fs_reset(out)?;
        t
    };
    h.compare(
        &format!(
            "install big.msi (40 files, 193 MB) into an empty root on {}",
            if shm.is_dir() { "tmpfs" } else { "disk" }
        ),
        "rmsi install",
        || run_big(&(big_fresh.borrow_mut())("root")?),
        "msiextract -C",
        || extract_big(&(big_fresh.borrow_mut())("extract")?),
    )?;
    if have_tool("time") || Path::new("/usr/bin/time").is_file() {
        let root = (big_fresh.borrow_mut())("root")?;
        fs_reset(&rm_state)?;
        let ours = peak_kb(
            Command::new(&rmsi)
                .args(["install", "--ui", "none", "--root"])
                .arg(&root)
                .arg(&big)
                .env("RSTMGR_STATE_DIR", &rm_state),
        )?;
        fs_reset(&root)?;
        let out = (big_fresh.borrow_mut())("extract")?;
        let theirs = peak_kb(Command::new("msiextract").arg("-C").arg(&out).arg(&big))?;
        fs_reset(&out)?;
        h.note(&format!(
            "peak memory (big.msi): rmsi install {ours} KiB, msiextract {theirs} KiB"
        ));
    }
    Ok(())
}

/// Peak resident size of a command, from `/usr/bin/time -f %M`.
fn peak_kb(cmd: &mut Command) -> anyhow::Result<u64> {
    let mut time = Command::new("/usr/bin/time");
    time.arg("-f")
        .arg("%M")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            time.env(k, v);
        }
    }
    let out = time
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("run /usr/bin/time")?;
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .with_context(|| format!("unexpected /usr/bin/time output: {text}"))
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => count_files(&e.path()),
            Ok(t) if t.is_file() => 1,
            _ => 0,
        })
        .sum()
}

/// Removes and recreates a folder (outside the timed part).
fn reset(dir: &Path) -> anyhow::Result<()> {
    fs_reset(dir)?;
    fs_err::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))
}

fn fs_reset(dir: &Path) -> anyhow::Result<()> {
    match fs_err::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("remove {}", dir.display())),
    }
}

/// A private scratch folder, removed on drop.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn new() -> anyhow::Result<Scratch> {
        Scratch::new_in(&std::env::temp_dir())
    }

    fn new_in(base: &Path) -> anyhow::Result<Scratch> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .subsec_nanos();
        let path = base.join(format!("rmsi-bench-install-{}-{nanos}", std::process::id()));
        fs_err::create_dir(&path).with_context(|| format!("create {}", path.display()))?;
        Ok(Scratch { path })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs_err::remove_dir_all(&self.path);
    }
}
