//! `rstmgr who PATH... [--json] [--pids] [--recursive]`: who uses these files, in one
//! shot, without a session.
//!
//! # `--json` wire format
//! One JSON object, the shape of `rstmgr list --json` (issue 4's contract) with, for each
//! process, its `uid`, `exe` and `uses` (issue 17):
//! `{"processes":[{"pid":..,"start_time":..,"app_name":"..","service":null|"..",
//! "app_type":"..","status":[".."],"restartable":bool,"session_id":..,"uid":..,
//! "exe":".."|null,"uses":[{"path":"..","how":"fd"|"map"|"exe"|"cwd"|"root"}]}],
//! "reboot_reasons":[".."]}`; processes are sorted by pid. A use of the file that was at
//! the path before it was replaced or deleted (the old inode, ` (deleted)` in the
//! process's maps) carries `"old":true`.
//!
//! `--pids` prints the pids alone, one a line (for `xargs`, `kill`); `--recursive` asks
//! about every file and folder under each folder given.
//!
//! Without `--json`, a table for people: one row per process, with how it uses which path
//! in `fuser`'s letters (`f` open, `m` mapped, `e` executable, `c` current directory, `r`
//! root directory), then the reboot reasons.
//!
//! Processes that could not be inspected are not an error: they are named once on stderr
//! and the exit status stays 0. A path that does not exist is
//! `ERROR_FILE_NOT_FOUND (2)`, exit status 1.
// This module prints `rstmgr who`'s output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use restart_manager::{ProcessInfo, RebootReasons, ScanOptions, ScanReport};
use serde::Serialize;

/// Arguments of `rstmgr who`.
#[derive(Debug, clap::Args)]
pub(crate) struct WhoArgs {
    /// Files (or directories, matched as current and root directories) to look for.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long, conflicts_with = "pids")]
    json: bool,
    /// Print the pids only, one a line.
    #[arg(long)]
    pids: bool,
    /// Ask about every file and folder under each folder given.
    #[arg(long)]
    recursive: bool,
}

/// The `--json` object.
#[derive(Serialize)]
struct WhoJson<'a> {
    processes: Vec<ProcessJson<'a>>,
    reboot_reasons: RebootReasons,
}

/// One process on the wire: the `list` fields, then `uid`, `exe` and `uses`.
#[derive(Serialize)]
struct ProcessJson<'a> {
    #[serde(flatten)]
    info: &'a ProcessInfo,
    uid: u32,
    exe: Option<String>,
    uses: Vec<UseJson>,
}

#[derive(Serialize)]
struct UseJson {
    path: String,
    how: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    old: bool,
}

/// Each way of `kinds`, by its wire name.
fn hows(kinds: restart_manager::UseKinds) -> impl Iterator<Item = &'static str> {
    [
        (kinds.fd, "fd"),
        (kinds.mapped, "map"),
        (kinds.exe, "exe"),
        (kinds.cwd, "cwd"),
        (kinds.root, "root"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
}

/// Every file and folder under `dir` (itself included), without following symlinks.
fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    out.push(dir.to_path_buf());
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| anyhow::anyhow!("cannot list {}: {e}", dir.display()))?;
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(&entry.path(), out)?;
        } else if !ty.is_symlink() {
            out.push(entry.path());
        }
    }
    Ok(())
}

pub(crate) fn run(args: WhoArgs) -> anyhow::Result<ExitCode> {
    let opts = ScanOptions {
        // `rstmgr` itself maps the C library and would always show up in its own answer.
        skip_self: true,
        ..ScanOptions::default()
    };
    let mut paths = Vec::new();
    for p in &args.paths {
        if args.recursive && p.is_dir() {
            walk(p, &mut paths)?;
        } else {
            paths.push(p.clone());
        }
    }
    let report = restart_manager::who_uses(&paths, &opts)?;
    if args.json {
        print_json(&report)?;
    } else if args.pids {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for p in &report.processes {
            writeln!(out, "{}", p.process.pid)?;
        }
        out.flush()?;
    } else {
        print_table(&report)?;
    }
    if !report.inaccessible.is_empty() {
        eprintln!("rstmgr: {}", inaccessible_note(&report.inaccessible));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_json(report: &ScanReport) -> anyhow::Result<()> {
    let mut uses = report.uses.iter().peekable();
    let mut processes = Vec::with_capacity(report.processes.len());
    for p in &report.processes {
        // Both lists are sorted by pid.
        while uses.next_if(|u| u.process.pid < p.process.pid).is_some() {}
        let mut mine = Vec::new();
        while let Some(u) = uses.next_if(|u| u.process.pid == p.process.pid) {
            for how in hows(u.kinds) {
                mine.push(UseJson {
                    path: u.path.to_string_lossy().into_owned(),
                    how,
                    old: u.old,
                });
            }
        }
        processes.push(ProcessJson {
            info: p,
            uid: p.uid,
            exe: p.exe.as_ref().map(|e| e.to_string_lossy().into_owned()),
            uses: mine,
        });
    }
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(
        &mut out,
        &WhoJson {
            processes,
            reboot_reasons: report.reboot_reasons,
        },
    )?;
    writeln!(out)?;
    Ok(())
}

fn print_table(report: &ScanReport) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if report.processes.is_empty() {
        writeln!(out, "No process uses these files.")?;
    } else {
        writeln!(
            out,
            "{:>7}  {:>12}  {:<20}  {:<20}  {:<11}  {:>10}  USES",
            "PID", "START_TIME", "APP", "SERVICE", "TYPE", "SESSION"
        )?;
        // Both lists are sorted by pid: walk them together (the C library has thousands
        // of users, and a search per row would make the table quadratic).
        let mut uses_iter = report.uses.iter().peekable();
        for p in &report.processes {
            while uses_iter
                .next_if(|u| u.process.pid < p.process.pid)
                .is_some()
            {}
            let mut uses = Vec::new();
            while let Some(u) = uses_iter.next_if(|u| u.process.pid == p.process.pid) {
                uses.push(format!(
                    "{}:{}{}",
                    u.kinds,
                    super::output::printable_path(&u.path),
                    if u.old { " (old)" } else { "" }
                ));
            }
            let session = super::output::session_column(p.session_id);
            writeln!(
                out,
                "{:>7}  {:>12}  {:<20}  {:<20}  {:<11}  {:>10}  {}",
                p.process.pid,
                p.process.start_time,
                super::output::printable(&p.app_name),
                super::output::printable(p.service_name.as_deref().unwrap_or("-")),
                p.app_type.json_name(),
                session,
                if uses.is_empty() {
                    "-".to_owned()
                } else {
                    uses.join(" ")
                },
            )?;
        }
    }
    writeln!(out, "Reboot reasons: {}", report.reboot_reasons)?;
    out.flush()?;
    Ok(())
}

/// The one stderr line about processes that could not be inspected.
fn inaccessible_note(pids: &[u32]) -> String {
    const SHOWN: usize = 10;
    let mut list: Vec<String> = pids.iter().take(SHOWN).map(u32::to_string).collect();
    if pids.len() > SHOWN {
        list.push(format!("and {} more", pids.len() - SHOWN));
    }
    format!(
        "{} process{} could not be inspected (permission denied), so {} may also use these files: pid {}",
        pids.len(),
        if pids.len() == 1 { "" } else { "es" },
        if pids.len() == 1 { "it" } else { "they" },
        list.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inaccessible_note_names_a_few_pids() {
        assert_eq!(
            inaccessible_note(&[1]),
            "1 process could not be inspected (permission denied), so it may also use these files: pid 1"
        );
        let many: Vec<u32> = (1..=12).collect();
        assert!(
            inaccessible_note(&many).ends_with("pid 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, and 2 more")
        );
    }
}
