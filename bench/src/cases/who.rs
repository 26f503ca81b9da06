//! Benchmark case `who`: `rstmgr who FILE` against `fuser FILE` and `lsof -t FILE`, and
//! `rstmgr who LIBC` against `fuser LIBC`, with 2,000 extra processes running.
//!
//! The extra processes are `sleep` processes; every 20th holds the test file open on a
//! descriptor (`sh -c 'exec 3<"$0"; exec sleep 600' FILE`), so a tenth of the table uses
//! the file. All of them map the C library, which makes the second comparison the case
//! where every process is reported. They are killed (each by its own handle) when the case
//! ends, also on error.
//!
//! Goals (issue 4): at least 2× faster than `fuser` (both cores) and 4× faster than `lsof`.
//! `../shared/dependencies.md` has the anchors measured here: `fuser FILE` 108.6 ms,
//! `lsof -t FILE` 212 ms, `fuser libc.so.6` 122 ms with ~2,075 processes, and a one-core
//! Rust scan floor of 89 ms.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::harness::{Harness, have_tool, time_command};

/// Extra processes started for the case.
const EXTRA: usize = 2_000;
/// One in this many extra processes holds the test file open.
const HOLDER_EVERY: usize = 20;

/// The extra processes; each is killed and reaped on drop.
struct Crowd {
    children: Vec<Child>,
}

impl Drop for Crowd {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
        }
        for c in &mut self.children {
            let _ = c.wait();
        }
    }
}

/// A test file removed on drop.
struct TestFile(PathBuf);

impl Drop for TestFile {
    fn drop(&mut self) {
        let _ = fs_err::remove_file(&self.0);
    }
}

pub(crate) fn run(h: &mut Harness) -> anyhow::Result<()> {
    let rstmgr = h.bin("rstmgr")?;
    let file =
        TestFile(std::env::temp_dir().join(format!("rmsi-bench-who-{}.txt", std::process::id())));
    fs_err::write(&file.0, "held by some of the extra processes\n")
        .with_context(|| format!("writing {}", file.0.display()))?;
    let libc = find_libc()?;

    let before = count_processes();
    let crowd = spawn_crowd(&file.0)?;
    let holders = EXTRA / HOLDER_EVERY;
    h.note(&format!(
        "{} processes running ({} before, {} extra, {holders} holding the file)",
        count_processes(),
        before,
        crowd.children.len()
    ));

    // Check the answer before timing it: every holder must be found.
    let out = Command::new(&rstmgr)
        .arg("who")
        .arg(&file.0)
        .arg("--json")
        .stderr(Stdio::null())
        .output()
        .context("running rstmgr who")?;
    let found = String::from_utf8_lossy(&out.stdout)
        .matches("\"pid\":")
        .count();
    if found < holders {
        bail!("rstmgr who found {found} users of the test file, expected at least {holders}");
    }
    h.note(&format!("rstmgr who found {found} users of the test file"));
    // Other work on the machine takes CPU from both sides; say how much there was.
    if let Ok(load) = fs_err::read_to_string("/proc/loadavg") {
        h.note(&format!(
            "load average before timing: {} (2 cores: above 2, both sides wait for CPU)",
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }

    let ours_file = || {
        let mut c = Command::new(&rstmgr);
        c.arg("who").arg(&file.0);
        c
    };
    let (ours, fuser) = if have_tool("fuser") {
        let (a, b) = compare_commands(
            h,
            &format!("who uses a file ({holders} holders)"),
            ("rstmgr who FILE", &ours_file),
            ("fuser FILE", &|| {
                let mut c = Command::new("fuser");
                c.arg(&file.0);
                c
            }),
        )?;
        (Some(a), Some(b))
    } else {
        h.note("fuser is not installed (Debian package psmisc): comparison skipped");
        (None, None)
    };
    if have_tool("lsof") {
        let (a, b) = compare_commands(
            h,
            &format!("who uses a file ({holders} holders)"),
            ("rstmgr who FILE", &ours_file),
            ("lsof -t FILE", &|| {
                let mut c = Command::new("lsof");
                c.arg("-t").arg(&file.0);
                c
            }),
        )?;
        goal(h, "lsof", b, a, 4.0);
    } else {
        h.note("lsof is not installed: comparison skipped");
    }
    if let (Some(a), Some(b)) = (ours, fuser) {
        goal(h, "fuser", b, a, 2.0);
    }
    if have_tool("fuser") {
        let (a, b) = compare_commands(
            h,
            &format!("who uses the C library ({})", libc.display()),
            ("rstmgr who LIBC", &|| {
                let mut c = Command::new(&rstmgr);
                c.arg("who").arg(&libc);
                c
            }),
            ("fuser LIBC", &|| {
                let mut c = Command::new("fuser");
                c.arg(&libc);
                c
            }),
        )?;
        goal(h, "fuser on the C library", b, a, 2.0);
    }
    drop(crowd);
    Ok(())
}

/// Wall and CPU medians of one side.
#[derive(Clone, Copy)]
pub(crate) struct Side {
    wall: Duration,
    cpu: Duration,
}

/// Times two commands against each other with [`Harness::compare`] and also adds up the
/// CPU time (user + system) each side's processes used, from this process's `cutime` and
/// `cstime` (`/proc/self/stat`, in 1/100 s). On a machine busy with other work the wall
/// times say how long a user waits; the CPU times say how much work each side does, which
/// the other work does not change. `fuser` does not exit 0 when nobody uses the file (1).
pub(crate) fn compare_commands(
    h: &mut Harness,
    label: &str,
    ours: (&str, &dyn Fn() -> Command),
    theirs: (&str, &dyn Fn() -> Command),
) -> anyhow::Result<(Side, Side)> {
    // Total CPU time and number of runs of each side (the warm-up run included).
    let (mut ours_cpu, mut theirs_cpu) = ((Duration::ZERO, 0u32), (Duration::ZERO, 0u32));
    let timed = |make: &dyn Fn() -> Command, ok: &[i32], acc: &mut (Duration, u32)| {
        let before = children_cpu();
        let wall = time_command(&mut make(), ok)?;
        acc.0 += children_cpu().saturating_sub(before);
        acc.1 += 1;
        Ok(wall)
    };
    let (a, b) = h.compare(
        label,
        ours.0,
        || timed(ours.1, &[], &mut ours_cpu),
        theirs.0,
        || timed(theirs.1, &[1], &mut theirs_cpu),
    )?;
    let per_run = |(total, n): (Duration, u32)| total / n.max(1);
    let (ours_cpu, theirs_cpu) = (per_run(ours_cpu), per_run(theirs_cpu));
    h.note(&format!(
        "CPU per run: {} {:.1} ms, {} {:.1} ms, ratio {:.2}x",
        ours.0,
        ours_cpu.as_secs_f64() * 1e3,
        theirs.0,
        theirs_cpu.as_secs_f64() * 1e3,
        theirs_cpu.as_secs_f64() / ours_cpu.as_secs_f64().max(1e-9)
    ));
    Ok((
        Side {
            wall: a.median,
            cpu: ours_cpu,
        },
        Side {
            wall: b.median,
            cpu: theirs_cpu,
        },
    ))
}

/// User + system time of this process's reaped children (`/proc/self/stat` fields 16 and
/// 17, in `USER_HZ` = 1/100 s).
fn children_cpu() -> Duration {
    let ticks = fs_err::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let (_, rest) = s.rsplit_once(')')?;
            let f: Vec<&str> = rest.split_whitespace().collect();
            // After the name, field 3 is index 0: cutime is field 16, cstime field 17.
            Some(f.get(13)?.parse::<u64>().ok()? + f.get(14)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// Prints whether the ratio of wall medians reaches its goal, and the ratio of CPU time.
pub(crate) fn goal(h: &Harness, against: &str, theirs: Side, ours: Side, wanted: f64) {
    let ratio = theirs.wall.as_secs_f64() / ours.wall.as_secs_f64();
    let cpu_ratio = theirs.cpu.as_secs_f64() / ours.cpu.as_secs_f64().max(1e-9);
    h.note(&format!(
        "goal against {against}: {wanted:.0}x, reached {ratio:.2}x: {} (CPU time ratio {cpu_ratio:.2}x)",
        if ratio >= wanted { "met" } else { "NOT met" }
    ));
}

/// The real file of the C library every process maps.
fn find_libc() -> anyhow::Result<PathBuf> {
    let candidates = [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/aarch64-linux-gnu/libc.so.6",
        "/usr/lib64/libc.so.6",
        "/lib64/libc.so.6",
    ];
    candidates
        .iter()
        .map(Path::new)
        .find(|p| p.exists())
        .and_then(|p| fs_err::canonicalize(p).ok())
        .context("no libc.so.6 found")
}

pub(crate) fn count_processes() -> usize {
    fs_err::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| n.parse::<u32>().is_ok())
                })
                .count()
        })
        .unwrap_or(0)
}

/// Starts the extra processes and waits until all of them run `sleep` (the holders have
/// then opened the file).
fn spawn_crowd(file: &Path) -> anyhow::Result<Crowd> {
    let mut crowd = Crowd {
        children: Vec::with_capacity(EXTRA),
    };
    for i in 0..EXTRA {
        let mut cmd = if i % HOLDER_EVERY == 0 {
            let mut c = Command::new("sh");
            c.arg("-c").arg("exec 3<\"$0\"; exec sleep 600").arg(file);
            c
        } else {
            let mut c = Command::new("sleep");
            c.arg("600");
            c
        };
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("spawning the extra processes")?;
        crowd.children.push(child);
    }
    let start = Instant::now();
    for c in &crowd.children {
        let comm = format!("/proc/{}/comm", c.id());
        while fs_err::read_to_string(&comm).map_or(true, |s| s.trim() != "sleep") {
            if start.elapsed() > Duration::from_secs(60) {
                bail!("the extra processes did not all start within 60 s");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    Ok(crowd)
}
