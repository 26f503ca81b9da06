//! Timing, statistics and printing shared by every case.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// One benchmark case: a name and the function that runs its comparisons.
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) run: fn(&mut Harness) -> anyhow::Result<()>,
}

/// What each case gets: where our binaries are, how many runs to make, and the printers.
pub(crate) struct Harness {
    bin_dir: PathBuf,
    runs: usize,
}

/// Min, median and max of a set of timings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stats {
    pub(crate) min: Duration,
    pub(crate) median: Duration,
    pub(crate) max: Duration,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        Stats {
            min: samples[0],
            median: samples[samples.len() / 2],
            max: samples[samples.len() - 1],
        }
    }
}

impl Harness {
    pub(crate) fn new(bin_dir: PathBuf, runs: usize) -> anyhow::Result<Harness> {
        if runs == 0 {
            bail!("--runs must be at least 1");
        }
        Ok(Harness { bin_dir, runs })
    }

    /// The path of one of our release binaries (`rstmgr`, `rmsi`).
    pub(crate) fn bin(&self, name: &str) -> anyhow::Result<PathBuf> {
        let path = self.bin_dir.join(name);
        if !path.is_file() {
            bail!(
                "{} is missing: build it first with `cargo build --release`",
                path.display()
            );
        }
        Ok(path)
    }

    /// Times `ours` against `theirs`, alternating them, and prints both and the ratio of
    /// medians (theirs / ours: above 1 means we are faster). Each closure runs once per
    /// sample; whatever it must reset between runs (an extraction folder, say) it resets
    /// outside the timed part by returning the time it measured itself.
    pub(crate) fn compare(
        &mut self,
        label: &str,
        ours_name: &str,
        mut ours: impl FnMut() -> anyhow::Result<Duration>,
        theirs_name: &str,
        mut theirs: impl FnMut() -> anyhow::Result<Duration>,
    ) -> anyhow::Result<(Stats, Stats)> {
        // One untimed warm-up each, so the page cache and the CPUs are in the same state.
        ours().context("warm-up of our side")?;
        theirs().context("warm-up of their side")?;
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for i in 0..self.runs {
            if i % 2 == 0 {
                a.push(ours()?);
                b.push(theirs()?);
            } else {
                b.push(theirs()?);
                a.push(ours()?);
            }
        }
        let (sa, sb) = (Stats::of(a), Stats::of(b));
        println!("   {label}");
        print_stats(ours_name, sa);
        print_stats(theirs_name, sb);
        println!(
            "     ratio of medians {theirs_name} / {ours_name}: {:.2}x",
            sb.median.as_secs_f64() / sa.median.as_secs_f64()
        );
        Ok((sa, sb))
    }

    /// Times a closure alone (for throughput cases with no outside tool to compare).
    pub(crate) fn measure(
        &mut self,
        label: &str,
        mut f: impl FnMut() -> anyhow::Result<Duration>,
    ) -> anyhow::Result<Stats> {
        f().context("warm-up")?;
        let samples = (0..self.runs)
            .map(|_| f())
            .collect::<anyhow::Result<Vec<_>>>()?;
        let stats = Stats::of(samples);
        println!("   {label}");
        print_stats("", stats);
        Ok(stats)
    }

    /// Prints a free-form line under the current case (figures a case computes itself).
    pub(crate) fn note(&self, text: &str) {
        println!("     {text}");
    }
}

fn print_stats(name: &str, s: Stats) {
    println!(
        "     {name:<24} min {:>9.2} ms  median {:>9.2} ms  max {:>9.2} ms",
        ms(s.min),
        ms(s.median),
        ms(s.max)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs a command to completion with its output discarded and returns the wall time.
/// A failing exit status is an error unless `ok_codes` lists it (`fuser` exits 1 when
/// nobody uses the file).
pub(crate) fn time_command(cmd: &mut Command, ok_codes: &[i32]) -> anyhow::Result<Duration> {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .stdin(Stdio::null());
    let start = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("could not run {cmd:?}"))?;
    let elapsed = start.elapsed();
    let code = status.code().unwrap_or(-1);
    if !status.success() && !ok_codes.contains(&code) {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(elapsed)
}

/// Whether an outside tool is on the PATH.
pub(crate) fn have_tool(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| Path::new(&d).join(name).is_file()))
        .unwrap_or(false)
}
