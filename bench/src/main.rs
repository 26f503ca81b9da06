//! The benchmark harness: runs our commands against the tools a user would otherwise
//! use (`fuser`, `lsof`, `msiextract`) on the same input and prints ratios.
//!
//! Each case lives in `cases/<name>.rs` and gets a [`Harness`](harness::Harness). A comparison runs both
//! commands several times, alternating them so that a drifting machine (idle CPUs wake
//! slowly here, ±20%) hurts both sides alike, and prints min/median/max of each and the
//! ratio of the medians. Build in release mode first; `bench/run` does both.
// The harness's job is the report it prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cases;
#[allow(dead_code)] // Parts of the harness wait for the cases that use them.
mod harness;

use clap::Parser;

/// Runs the benchmark cases.
#[derive(Debug, Parser)]
#[command(name = "rmsi-bench", about)]
struct Args {
    /// Only run the cases whose name contains one of these words.
    filter: Vec<String>,
    /// Runs of each side per comparison.
    #[arg(long, default_value_t = 11)]
    runs: usize,
    /// Where the release binaries `rstmgr` and `rmsi` are.
    #[arg(long, default_value = "target/release")]
    bin_dir: std::path::PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut harness = harness::Harness::new(args.bin_dir, args.runs)?;
    for case in cases::all() {
        if !args.filter.is_empty() && !args.filter.iter().any(|f| case.name.contains(f.as_str())) {
            continue;
        }
        println!("## {}", case.name);
        if let Err(err) = (case.run)(&mut harness) {
            println!("   case failed: {err:#}");
        }
        println!();
    }
    Ok(())
}
