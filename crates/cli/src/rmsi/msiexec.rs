//! `rmsi msiexec` (being built: see issue 6).

use std::process::ExitCode;

/// Arguments of `rmsi msiexec`.
#[derive(Debug, clap::Args)]
pub(crate) struct MsiexecArgs {
    /// Arguments, not yet interpreted.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub(crate) fn run(_args: MsiexecArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("rmsi msiexec is not built yet")
}
