//! `rmsi install` (being built: see issue 6).

use std::process::ExitCode;

/// Arguments of `rmsi install`.
#[derive(Debug, clap::Args)]
pub(crate) struct InstallArgs {
    /// Arguments, not yet interpreted.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub(crate) fn run(_args: InstallArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("rmsi install is not built yet")
}
