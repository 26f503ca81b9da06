//! Benchmark case `extract` (being built).

use crate::harness::Harness;

pub(crate) fn run(_h: &mut Harness) -> anyhow::Result<()> {
    anyhow::bail!("the extract case is not written yet")
}
