//! `rmsi info PKG.msi [--table NAME] [--streams] [--json]`: a package's product
//! identity, summary information, its tables with row counts, and its sequences (and with
//! `--streams` its streams and substorages); or, with `--table`, one table's rows.
//!
//! Exit status: 0; a package that cannot be opened ends with its Windows
//! code modulo 256 (1619 → 83, 1620 → 84) and `rmsi: CODE NAME: message`
//! on stderr; an unknown `--table` is `1628 ERROR_INVALID_TABLE` (→ 92).
//!
//! ## Text output
//!
//! `ProductCode`, `ProductVersion`, `UpgradeCode`, `ProductName` and `Manufacturer` lines
//! (the Property table's values, empty when absent), then
//! `Key: value` lines of summary information, a blank line, `Tables (N):`
//! with one `  NAME  ROWS` line per table, then for each sequence table
//! present `NAME:` and one `  SEQUENCE  ACTION  [CONDITION]` line per row,
//! in sequence order. `--streams` adds a blank line, `Streams (N):` with one
//! `  NAME  BYTES` line per stream (tables' own streams aside), and `Storages (N):` with one
//! `  NAME` line per substorage (embedded transforms, nested packages).
//! `--table NAME` prints the table in the IDT layout of
//! `msiinfo export`: column names, column types, the table name followed by
//! its key columns, then one line per row, fields separated by tabs (a tab,
//! carriage return or line feed inside a value is written `\t`, `\r`, `\n`;
//! a backslash `\\`); a binary cell shows the name of its stream.
//!
//! ## `--json` (wire format)
//!
//! One JSON object:
//!
//! ```text
//! { "package": "/abs/path.msi",
//!   "product": { "ProductCode", "ProductVersion", "UpgradeCode", "ProductName",
//!                "Manufacturer" },
//!   "summary": { "title", "subject", "author", "keywords": [..], "comments",
//!                "template", "platform", "languages": [1033], "revision",
//!                "page_count", "word_count", "security", "codepage",
//!                "database_codepage", "creating_application", "signed" },
//!   "tables": [ { "name": "File", "rows": 3 }, ... ],
//!   "sequences": { "InstallExecuteSequence":
//!                  [ { "action": "CostInitialize", "condition": null, "sequence": 800 } ] },
//!   "streams": [ { "name", "size" } ], "storages": [ "Name" ] }   (with --streams)
//! ```
//!
//! With `--table NAME`: `{ "package": ..., "table": { "name", "columns":
//! [ { "name", "kind", "primary_key", "nullable" } ], "rows": [ [cell, ...] ] } }`
//! where `kind` is `i2`, `i4`, `s<N>` (`s0` unlimited) or `v0` (binary) and a
//! cell is `null`, an integer or a string. Absent summary values are
//! `null`.
// This module prints `rmsi info`'s output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use package::tables::sequence::{SequenceRow, SequenceTable};
use package::tables::{ColumnKind, Table, Value};
use package::{Package, table_kind_name};
use serde_json::json;

/// Windows' ERROR_INVALID_TABLE.
const INVALID_TABLE: u32 = 1628;

/// Arguments of `rmsi info`.
#[derive(Debug, clap::Args)]
pub(crate) struct InfoArgs {
    /// The package to inspect.
    package: PathBuf,
    /// Dump the rows of this table instead of the overview.
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    /// Also list the package's streams (with their sizes) and substorages.
    #[arg(long)]
    streams: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// The properties `rmsi info` opens with.
const PRODUCT_PROPERTIES: [&str; 5] = [
    "ProductCode",
    "ProductVersion",
    "UpgradeCode",
    "ProductName",
    "Manufacturer",
];

/// The package's streams (decoded names, tables' own aside) with their sizes, and its
/// substorages.
fn streams_and_storages(package: &Package) -> (Vec<(String, Option<u64>)>, Vec<String>) {
    let mut streams: Vec<(String, Option<u64>)> = package
        .stream_names()
        .iter()
        .map(|n| (n.clone(), package.read_stream(n).ok().map(|r| r.len())))
        .collect();
    streams.sort();
    let mut storages = package.storage_names().unwrap_or_default();
    storages.sort();
    (streams, storages)
}

pub(crate) fn run(args: InfoArgs) -> anyhow::Result<ExitCode> {
    let package = match Package::open(&args.package) {
        Ok(p) => p,
        Err(err) => {
            eprintln!("rmsi: {} {}: {err}", err.code(), err.name());
            return Ok(ExitCode::from(engine::exit_status(err.code())));
        }
    };
    let mut out = std::io::stdout().lock();
    let text = match &args.table {
        Some(name) => {
            let Some(table) = package.table(name) else {
                eprintln!(
                    "rmsi: {INVALID_TABLE} ERROR_INVALID_TABLE: no table {name:?} in {}",
                    args.package.display()
                );
                return Ok(ExitCode::from(engine::exit_status(INVALID_TABLE)));
            };
            if args.json {
                let columns: Vec<serde_json::Value> = table
                    .columns
                    .iter()
                    .map(|c| {
                        json!({
                            "name": c.name,
                            "kind": table_kind_name(c.kind),
                            "primary_key": c.primary_key,
                            "nullable": c.nullable,
                        })
                    })
                    .collect();
                let value = json!({
                    "package": package.path(),
                    "table": { "name": table.name, "columns": columns, "rows": table.rows },
                });
                serde_json::to_string_pretty(&value)? + "\n"
            } else {
                idt(table)
            }
        }
        None if args.json => {
            let mut value = overview_json(&package);
            if args.streams
                && let Some(map) = value.as_object_mut()
            {
                let (streams, storages) = streams_and_storages(&package);
                let streams: Vec<serde_json::Value> = streams
                    .iter()
                    .map(|(name, size)| json!({ "name": name, "size": size }))
                    .collect();
                map.insert("streams".into(), streams.into());
                map.insert("storages".into(), storages.into());
            }
            serde_json::to_string_pretty(&value)? + "\n"
        }
        None => {
            let mut text = overview_text(&package);
            if args.streams {
                let (streams, storages) = streams_and_storages(&package);
                text.push_str(&format!("\nStreams ({}):\n", streams.len()));
                let width = streams
                    .iter()
                    .map(|(n, _)| n.escape_debug().count())
                    .max()
                    .unwrap_or(0);
                for (name, size) in &streams {
                    let size = size.map(|s| s.to_string()).unwrap_or_else(|| "?".into());
                    // `\u{5}SummaryInformation`: control characters shown escaped.
                    let name = name.escape_debug().to_string();
                    text.push_str(&format!("  {name:<width$}  {size}\n"));
                }
                text.push_str(&format!("\nStorages ({}):\n", storages.len()));
                for name in &storages {
                    text.push_str(&format!("  {name}\n"));
                }
            }
            text
        }
    };
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A closed pipe (`rmsi info x.msi | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("writing to stdout"),
    }
}

/// The sequence tables the package has, each with its rows in order
/// (termination rows -1…-4 first, as their numbers sort).
fn sequences(package: &Package) -> Vec<(SequenceTable, Vec<SequenceRow>)> {
    SequenceTable::ALL
        .iter()
        .filter(|t| package.table(t.table_name()).is_some())
        .map(|&t| {
            let mut rows = package.sequence(t).unwrap_or_default();
            rows.sort_by_key(|r| (r.sequence.unwrap_or(i32::MIN), r.action.clone()));
            (t, rows)
        })
        .collect()
}

fn overview_json(package: &Package) -> serde_json::Value {
    let tables: Vec<serde_json::Value> = package
        .tables()
        .map(|t| json!({ "name": t.name, "rows": t.rows.len() }))
        .collect();
    let mut seqs = serde_json::Map::new();
    for (t, rows) in sequences(package) {
        let rows: Vec<serde_json::Value> = rows
            .iter()
            .map(
                |r| json!({ "action": r.action, "condition": r.condition, "sequence": r.sequence }),
            )
            .collect();
        seqs.insert(t.table_name().to_string(), rows.into());
    }
    let mut product = serde_json::Map::new();
    for name in PRODUCT_PROPERTIES {
        product.insert(name.to_string(), json!(package.property(name)));
    }
    json!({
        "package": package.path(),
        "product": product,
        "summary": package.summary(),
        "tables": tables,
        "sequences": seqs,
    })
}

fn overview_text(package: &Package) -> String {
    let s = package.summary();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k}: {v}\n"));
    for name in PRODUCT_PROPERTIES {
        line(name, package.property(name).unwrap_or_default());
    }
    line("Package", package.path().display().to_string());
    line("Title", opt(&s.title));
    line("Subject", opt(&s.subject));
    line("Author", opt(&s.author));
    line("Keywords", s.keywords.join(", "));
    line("Comments", opt(&s.comments));
    line("Template", s.template.clone());
    line("Revision number (package code)", opt(&s.revision));
    line(
        "Page count (schema)",
        s.page_count.map(|p| p.to_string()).unwrap_or_default(),
    );
    line(
        "Word count (source type)",
        format!("{} ({})", s.word_count, word_count_words(s.word_count)),
    );
    line(
        "Security",
        s.security.map(|p| p.to_string()).unwrap_or_default(),
    );
    line("Codepage", s.codepage.to_string());
    line("Database codepage", s.database_codepage.to_string());
    line("Creating application", opt(&s.creating_application));
    line("Signed", if s.signed { "yes" } else { "no" }.to_string());
    let tables: Vec<&Table> = package.tables().collect();
    out.push_str(&format!("\nTables ({}):\n", tables.len()));
    let width = tables.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for t in &tables {
        out.push_str(&format!("  {:<width$}  {}\n", t.name, t.rows.len()));
    }
    for (t, rows) in sequences(package) {
        out.push_str(&format!("\n{}:\n", t.table_name()));
        for r in rows {
            let seq = r.sequence.map(|s| s.to_string()).unwrap_or_default();
            out.push_str(&format!("  {seq:>6}  {}", r.action));
            if let Some(c) = &r.condition {
                out.push_str(&format!("  [{c}]"));
            }
            out.push('\n');
        }
    }
    out
}

fn word_count_words(wc: i32) -> String {
    let mut words = vec![
        if wc & 1 != 0 {
            "short names"
        } else {
            "long names"
        },
        if wc & 2 != 0 {
            "compressed"
        } else {
            "uncompressed"
        },
    ];
    if wc & 4 != 0 {
        words.push("administrative image");
    }
    if wc & 8 != 0 {
        words.push("no elevation");
    }
    words.join(", ")
}

/// A table in the IDT layout of `msiinfo export`.
fn idt(table: &Table) -> String {
    let mut out = String::new();
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    out.push_str(&names.join("\t"));
    out.push('\n');
    let types: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let t = table_kind_name(c.kind);
            if c.nullable && c.kind != ColumnKind::Binary {
                t.to_uppercase()
            } else {
                t
            }
        })
        .collect();
    out.push_str(&types.join("\t"));
    out.push('\n');
    let mut header = vec![table.name.as_str()];
    header.extend(
        table
            .columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name.as_str()),
    );
    out.push_str(&header.join("\t"));
    out.push('\n');
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|v| match v {
                Value::Null => String::new(),
                Value::Int(i) => i.to_string(),
                Value::Str(s) => escape(s),
            })
            .collect();
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}
