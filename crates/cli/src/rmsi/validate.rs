//! `rmsi validate PKG.msi [--json | --sarif] [--ice ICE03,ICE30] [--skip ICE61,...]
//! [--warnings-as-errors]`: Windows Installer's validation (ICE rules) of a
//! package, without installing it.
//!
//! ## Text output
//!
//! One line a finding, `ICE30 error File.Row 'x.dll': <message>` (the
//! location is `TABLE.Row 'KEY'` with a key of several columns as
//! `'a', 'b'`, `TABLE` for a finding about a table, `-` for the package),
//! then `N errors, M warnings`.
//!
//! ## `--json` (wire format)
//!
//! ```text
//! {"package":"PKG.msi","findings":[{"rule":"ICE30","severity":"error"|"warning"|"info",
//!   "table":"File"|null,"row":[".."]|null,"column":".."|null,"message":".."}],
//!  "errors":N,"warnings":M}
//! ```
//!
//! ## `--sarif`
//!
//! A SARIF 2.1.0 log: one rule per ICE with its help text, one result per
//! finding (physical location: the package; logical location: table, row
//! and column), for GitHub code scanning and other CI dashboards.
//!
//! Exit status: 0 no errors (warnings allowed unless
//! `--warnings-as-errors`), 1 errors found, 2 usage error, 3 the package
//! cannot be read (the reason on stderr).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use package::Package;
use validate::{Options, validate};

/// Arguments of `rmsi validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// The package to validate.
    package: PathBuf,
    /// Print one JSON object.
    #[arg(long, conflicts_with = "sarif")]
    json: bool,
    /// Print a SARIF 2.1.0 log.
    #[arg(long)]
    sarif: bool,
    /// Run only these rules (comma-separated, e.g. ICE03,ICE30).
    #[arg(long, value_name = "RULES")]
    ice: Option<String>,
    /// Do not run these rules (comma-separated).
    #[arg(long, value_name = "RULES")]
    skip: Option<String>,
    /// Exit with status 1 when there are warnings too.
    #[arg(long)]
    warnings_as_errors: bool,
}

/// Exit status for a package that cannot be read.
const UNREADABLE: u8 = 3;
/// Exit status for a bad command line.
const USAGE: u8 = 2;

pub(crate) fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let options = match Options::from_lists(args.ice.as_deref(), args.skip.as_deref()) {
        Ok(o) => o,
        Err(err) => {
            eprintln!("rmsi: {err}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let package = match Package::open(&args.package) {
        Ok(p) => p,
        Err(err) => {
            eprintln!("rmsi: cannot read {}: {err}", args.package.display());
            return Ok(ExitCode::from(UNREADABLE));
        }
    };
    let report = validate(&package, &options);
    let name = args.package.display().to_string();
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", report.to_json(&name)).context("writing the report")?;
    } else if args.sarif {
        let text = serde_json::to_string_pretty(&report.to_sarif(&name))?;
        writeln!(out, "{text}").context("writing the report")?;
    } else {
        for finding in &report.findings {
            writeln!(out, "{finding}").context("writing the report")?;
        }
        writeln!(
            out,
            "{} errors, {} warnings",
            report.errors(),
            report.warnings()
        )
        .context("writing the report")?;
    }
    let failed = report.errors() > 0 || (args.warnings_as_errors && report.warnings() > 0);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
