//! `rmsi info` (being built: see issue 6).

use std::process::ExitCode;

/// Arguments of `rmsi info`.
#[derive(Debug, clap::Args)]
pub(crate) struct InfoArgs {
    /// Arguments, not yet interpreted.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub(crate) fn run(_args: InfoArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("rmsi info is not built yet")
}
