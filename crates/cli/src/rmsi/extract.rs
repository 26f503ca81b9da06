//! `rmsi extract PKG.msi -C DIR [--list] [--json] [--short-names]`: a package's files at
//! their source paths, as an administrative image lays them out (see
//! [`engine::extract_image`]), without the image's package copy.
//!
//! Without `--list` the files are written under DIR (created when missing) and their paths
//! printed, one a line, relative to DIR. `--list` prints the paths and writes nothing.
//! `--json` prints instead one JSON array: `[{"file": KEY, "path": "PFiles/PuTTY/putty.exe",
//! "size": N}, ...]`, in File table order.
//!
//! Exit status: 0; a package that cannot be opened or read ends with its Windows code
//! modulo 256 (1619 → 83, 1620 → 84, a missing cabinet 1603 → 67).
// This module prints the tool's output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use package::Package;
use serde_json::json;

/// Arguments of `rmsi extract`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExtractArgs {
    /// The package.
    package: PathBuf,
    /// Where the files go (required unless --list).
    #[arg(short = 'C', value_name = "DIR", required_unless_present = "list")]
    dir: Option<PathBuf>,
    /// List the files' paths, extract nothing.
    #[arg(long)]
    list: bool,
    /// Print one JSON array of {file, path, size}.
    #[arg(long)]
    json: bool,
    /// Short file and folder names (as SHORTFILENAMES=1 gives an administrative image).
    #[arg(long)]
    short_names: bool,
}

fn fail(err: &engine::Error) -> ExitCode {
    eprintln!("rmsi: {} {}: {err}", err.code(), err.name());
    ExitCode::from(engine::exit_status(err.code()))
}

pub(crate) fn run(args: ExtractArgs) -> anyhow::Result<ExitCode> {
    let package = match Package::open(&args.package) {
        Ok(p) => p,
        Err(e) => return Ok(super::transform::fail(&e)),
    };
    let files = match (&args.dir, args.list) {
        (Some(dir), false) => {
            if let Err(e) = fs_err::create_dir_all(dir) {
                eprintln!("rmsi: {e}");
                return Ok(ExitCode::FAILURE);
            }
            engine::extract_image(&package, dir, args.short_names)
        }
        _ => engine::image_files(&package, args.short_names),
    };
    let files = match files {
        Ok(f) => f,
        Err(e) => return Ok(fail(&e)),
    };
    let text = if args.json {
        let list: Vec<serde_json::Value> = files
            .iter()
            .map(|f| json!({"file": f.file, "path": f.path, "size": f.size}))
            .collect();
        serde_json::to_string_pretty(&list)? + "\n"
    } else {
        files
            .iter()
            .map(|f| format!("{}\n", f.path.display()))
            .collect()
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
