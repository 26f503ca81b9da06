//! Benchmark case `condition` (being built).

use crate::harness::Harness;

pub(crate) fn run(_h: &mut Harness) -> anyhow::Result<()> {
    anyhow::bail!("the condition case is not written yet")
}
