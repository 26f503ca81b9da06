//! `rstmgr who PATH...` (being built: see issue 4).

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `rstmgr who`.
#[derive(Debug, clap::Args)]
pub(crate) struct WhoArgs {
    /// Files to look for.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(_args: WhoArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("rstmgr who is not built yet")
}
