//! `rmsi condition` and `rmsi format` (being built: see issue 5).

use std::process::ExitCode;

/// Arguments of `rmsi condition`.
#[derive(Debug, clap::Args)]
pub(crate) struct ConditionArgs {
    /// The condition.
    expr: String,
}

/// Arguments of `rmsi format`.
#[derive(Debug, clap::Args)]
pub(crate) struct FormatArgs {
    /// The template.
    template: Option<String>,
}

pub(crate) fn run_condition(_args: ConditionArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("rmsi condition is not built yet")
}

pub(crate) fn run_format(_args: FormatArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("rmsi format is not built yet")
}
