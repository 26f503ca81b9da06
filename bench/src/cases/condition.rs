//! Benchmark case `condition`: condition evaluations per second through `msi-expr`.
//!
//! There is no outside tool to compare with, so this case measures throughput alone against
//! the goal of issue 5: over one million evaluations a second on one core for typical
//! sequence-table conditions. The conditions are the kind real packages put in their
//! `InstallExecuteSequence`, evaluated against a property set like a real session's.

use std::hint::black_box;
use std::time::{Duration, Instant};

use msi_expr::{ConditionResult, InstallState, MapLookup, evaluate_condition, format_string};

use crate::harness::Harness;

/// Typical sequence-table conditions (WiX and InstallShield output, the MSI SDK).
const CONDITIONS: &[&str] = &[
    "NOT Installed",
    "NOT Installed AND VersionNT >= 601",
    "REMOVE~=\"ALL\"",
    "Installed AND NOT UPGRADINGPRODUCTCODE",
    "NOT REMOVE",
    "(NOT Installed) OR REINSTALL",
    "VersionNT64",
    "&MainFeature=3 AND NOT !MainFeature=3",
    "$MainComponent>2",
    "WIX_UPGRADE_DETECTED AND NOT (REMOVE=\"ALL\")",
    "Privileged",
    "MsiNetAssemblySupport >= \"4.0.30319\"",
];

/// Evaluations per timed sample.
const ROUNDS: usize = 20_000;

fn session() -> MapLookup {
    let mut l = MapLookup::new();
    l.isolate_env();
    for (k, v) in [
        ("VersionNT", "601"),
        ("VersionNT64", "601"),
        ("WindowsBuild", "7601"),
        ("Privileged", "1"),
        ("ProductCode", "{12345678-1234-1234-1234-123456789012}"),
        ("ProductName", "Widget"),
        ("ProductVersion", "1.2.3"),
        ("INSTALLDIR", "/opt/Widget/"),
        ("UILevel", "2"),
        ("MsiNetAssemblySupport", "4.8.4084.0"),
    ] {
        l.set_property(k, v);
    }
    l.set_feature("MainFeature", InstallState::Absent, InstallState::Local);
    l.set_component("MainComponent", InstallState::Absent, InstallState::Local);
    l
}

pub(crate) fn run(h: &mut Harness) -> anyhow::Result<()> {
    let l = session();
    // Every condition must evaluate (not error), or the figure would flatter us.
    for c in CONDITIONS {
        let r = evaluate_condition(c, &l);
        if r == ConditionResult::Error {
            anyhow::bail!("benchmark condition {c:?} does not parse");
        }
    }
    let per_sample = ROUNDS * CONDITIONS.len();
    let stats = h.measure(
        &format!(
            "{per_sample} condition evaluations ({} kinds)",
            CONDITIONS.len()
        ),
        || {
            let start = Instant::now();
            let mut trues = 0usize;
            for _ in 0..ROUNDS {
                for c in CONDITIONS {
                    trues +=
                        usize::from(evaluate_condition(black_box(c), &l) == ConditionResult::True);
                }
            }
            black_box(trues);
            Ok(start.elapsed())
        },
    )?;
    let rate = |d: Duration| per_sample as f64 / d.as_secs_f64();
    h.note(&format!(
        "evaluations/s: median {:.0}, best {:.0} (goal: over 1,000,000 on one core)",
        rate(stats.median),
        rate(stats.min)
    ));
    for c in ["NOT Installed AND VersionNT >= 601", "REMOVE~=\"ALL\""] {
        let start = Instant::now();
        for _ in 0..ROUNDS * 5 {
            black_box(evaluate_condition(black_box(c), &l));
        }
        h.note(&format!(
            "{c}: {:.0} evaluations/s",
            (ROUNDS * 5) as f64 / start.elapsed().as_secs_f64()
        ));
    }
    let template = "\"[INSTALLDIR]widget.exe\" /install {/product [ProductCode]} [~]";
    let start = Instant::now();
    for _ in 0..ROUNDS * 5 {
        black_box(format_string(black_box(template), &l));
    }
    h.note(&format!(
        "format_string of a custom-action target: {:.0} formats/s",
        (ROUNDS * 5) as f64 / start.elapsed().as_secs_f64()
    ));
    Ok(())
}
