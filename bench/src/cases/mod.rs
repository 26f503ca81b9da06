//! The registry of benchmark cases: one module per case, listed once in [`all`].

use crate::harness::Case;

mod condition;
mod extract;
mod install;
mod stale;
mod validate;
mod who;
mod wine;

/// Every case, in the order `rmsi-bench` runs them.
pub(crate) fn all() -> Vec<Case> {
    vec![
        Case {
            name: "who",
            run: who::run,
        },
        Case {
            name: "condition",
            run: condition::run,
        },
        Case {
            name: "extract",
            run: extract::run,
        },
        Case {
            name: "install",
            run: install::run,
        },
        Case {
            name: "validate",
            run: validate::run,
        },
        Case {
            name: "stale",
            run: stale::run,
        },
        Case {
            name: "wine",
            run: wine::run,
        },
    ]
}
