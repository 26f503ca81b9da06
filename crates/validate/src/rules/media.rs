//! Rules over the Media table: every file's sequence number is on a disk (ICE04), and the
//! package's own disk, DiskId 1, is there (ICE71).

use crate::context::Ctx;
use crate::finding::{Finding, Severity};

/// ICE04: every file's sequence number is covered by the Media table.
pub(crate) fn ice04(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(max) = ctx
        .rows("Media")
        .iter()
        .filter_map(|m| m.int("LastSequence"))
        .max()
    else {
        return;
    };
    for f in ctx.rows("File") {
        let (Some(name), Some(seq)) = (f.str("File"), f.int("Sequence")) else {
            continue;
        };
        if seq > max {
            out.push(
                Finding::new(
                    "ICE04",
                    Severity::Error,
                    format!(
                        "File: {name}, Sequence: {seq} Greater Than Max Allowed by Media Table."
                    ),
                )
                .row("File", f.key())
                .column("Sequence"),
            );
        }
    }
}

/// ICE71: the Media table has a row with DiskId 1 (the package's own disk).
pub(crate) fn ice71(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(media) = ctx.table("Media") else {
        return;
    };
    let first = ctx
        .rows("Media")
        .iter()
        .filter_map(|m| m.int("DiskId"))
        .min();
    if first != Some(1) {
        let first = first.map(|d| d.to_string()).unwrap_or_default();
        out.push(
            Finding::new(
                "ICE71",
                Severity::Error,
                format!(
                    "The Media table requires an entry with DiskId=1. First DiskId is '{first}'."
                ),
            )
            .table(&media.name)
            .column("DiskId"),
        );
    }
}
