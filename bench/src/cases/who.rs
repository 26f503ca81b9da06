//! Benchmark case `who` (being built).

use crate::harness::Harness;

pub(crate) fn run(_h: &mut Harness) -> anyhow::Result<()> {
    anyhow::bail!("the who case is not written yet")
}
