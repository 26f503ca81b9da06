//! `rmsi diff A.msi B.msi [--json]`: the table and stream differences between two
//! packages.
//!
//! ## Text output
//!
//! One line a difference, `+` for what only B has, `-` for what only A has, `~` for what
//! both have differently, fields separated by tabs (shown as ` → ` here):
//!
//! ```text
//! + table → Registry → 1 rows
//! - table → Foo → 3 rows
//! + column → File → NewColumn
//! + row → Property → EXTRA → 1
//! - row → Property → OLD → x
//! ~ row → Property → SITE → Value: "base" -> "changed"
//! ~ stream → site.cab → 120 -> 150 bytes
//! ```
//!
//! Rows show their cells (key first); a changed row its key, then `Column: old -> new`
//! for each changed cell, values as JSON strings or numbers (`null` for null).
//!
//! ## `--json` (wire format)
//!
//! `{ "a": PATH, "b": PATH, "tables": [ { "name", "status": "added"|"removed"|"changed",
//! "columns_added": [..], "columns_removed": [..], "rows_added": [[cell, ..]],
//! "rows_deleted": [[..]], "rows_changed": [ { "key": [..], "columns": { "Col": [old,
//! new] } } ] } ], "streams": [ { "name", "status", "size_a", "size_b" } ] }`.
//!
//! Exit status, as diff(1): 0 the same, 1 different; a package that cannot be opened ends
//! with its Windows code modulo 256 (1619 → 83, 1620 → 84).

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use package::Package;
use package::diff::Status;
use package::tables::Value;
use serde_json::json;

/// Arguments of `rmsi diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// The first package.
    a: PathBuf,
    /// The second package.
    b: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Int(i) => i.to_string(),
        Value::Str(s) => serde_json::to_string(s).unwrap_or_default(),
    }
}

fn row_text(row: &[Value]) -> String {
    row.iter()
        .map(|v| v.text().replace('\t', "\\t").replace('\n', "\\n"))
        .collect::<Vec<_>>()
        .join("\t")
}

fn sign(status: Status) -> char {
    match status {
        Status::Added => '+',
        Status::Removed => '-',
        Status::Changed => '~',
    }
}

pub(crate) fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let opened = Package::open(&args.a).and_then(|a| Ok((a, Package::open(&args.b)?)));
    let (a, b) = match opened {
        Ok(p) => p,
        Err(e) => return Ok(super::transform::fail(&e)),
    };
    let diff = match a.diff(&b) {
        Ok(d) => d,
        Err(e) => return Ok(super::transform::fail(&e)),
    };
    let text = if args.json {
        let value = json!({
            "a": a.path(),
            "b": b.path(),
            "tables": diff.tables,
            "streams": diff.streams,
        });
        serde_json::to_string_pretty(&value)? + "\n"
    } else {
        let mut out = String::new();
        for t in &diff.tables {
            if t.status != Status::Changed {
                let rows = if t.status == Status::Added {
                    t.rows_added.len()
                } else {
                    t.rows_deleted.len()
                };
                let _ = writeln!(out, "{} table\t{}\t{rows} rows", sign(t.status), t.name);
                continue;
            }
            for c in &t.columns_added {
                let _ = writeln!(out, "+ column\t{}\t{c}", t.name);
            }
            for c in &t.columns_removed {
                let _ = writeln!(out, "- column\t{}\t{c}", t.name);
            }
            for r in &t.rows_added {
                let _ = writeln!(out, "+ row\t{}\t{}", t.name, row_text(r));
            }
            for r in &t.rows_deleted {
                let _ = writeln!(out, "- row\t{}\t{}", t.name, row_text(r));
            }
            for r in &t.rows_changed {
                let changes: Vec<String> = r
                    .columns
                    .iter()
                    .map(|(c, (old, new))| format!("{c}: {} -> {}", cell(old), cell(new)))
                    .collect();
                let _ = writeln!(
                    out,
                    "~ row\t{}\t{}\t{}",
                    t.name,
                    row_text(&r.key),
                    changes.join("\t")
                );
            }
        }
        for s in &diff.streams {
            let size = |n: Option<u64>| n.map_or("-".to_string(), |n| n.to_string());
            let _ = writeln!(
                out,
                "{} stream\t{}\t{} -> {} bytes",
                sign(s.status),
                s.name,
                size(s.size_a),
                size(s.size_b)
            );
        }
        out
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e).context("writing to stdout"),
    }
    Ok(if diff.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
