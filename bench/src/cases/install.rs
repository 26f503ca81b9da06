//! Benchmark case `install` (being built).

use crate::harness::Harness;

pub(crate) fn run(_h: &mut Harness) -> anyhow::Result<()> {
    anyhow::bail!("the install case is not written yet")
}
