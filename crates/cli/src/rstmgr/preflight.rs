//! `rstmgr preflight [--json] (FILE... | --deb PKG.deb... | --apt-hook)`: before an
//! upgrade, who uses the files it will replace (they would be left running old code) and
//! what a session would shut down and restart.
//!
//! Files are given as paths, or as Debian packages whose file lists are read from the
//! `.deb` itself (`dpkg-deb --contents`: regular files and hard links; symlinks point at
//! files the package also holds). A file that does not exist yet is used by nobody.
//!
//! # `--json` wire format
//! `{"files":[".."],"processes":[{"pid":..,"start_time":..,"uid":..,"exe":"..",
//! "unit":".."|null,"session":".."|null,"container":".."|null,"uses":[{"path":"..",
//! "how":"fd"|"map"|"exe"|"cwd"|"root"}]}],"services":[".."],"sessions":[".."],
//! "containers":[".."]}` — the processes as `rstmgr stale` places them, with their uses
//! as `rstmgr who` gives them.
//!
//! # `--apt-hook`
//! Reads apt's `DPkg::Pre-Install-Pkgs` protocol on standard input (version 1: one
//! `.deb` path a line; versions 2 and 3: a `VERSION N` line, the configuration, an empty
//! line, then one line per package whose last field is the `.deb`, or `**CONFIGURE**`/
//! `**REMOVE**`), opens a session owned by the apt process, registers the packages'
//! files with it, and records the plan (the `--json` object plus the session key) as
//! `apt-plan.json` in the state folder; it prints a short summary on stderr. It never
//! prompts and never fails apt: errors are reported and the exit status is 0. With
//! `RSTMGR_SUSPEND` set it reads its input and does nothing, like needrestart's
//! `NEEDRESTART_SUSPEND`.

use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use restart_manager::{Placed, Placer, ScanOptions, StaleOptions, UniqueProcess};
use serde::Serialize;

use super::output::{printable, printable_path};

/// The off switch of the apt hook.
pub(crate) const SUSPEND_ENV: &str = "RSTMGR_SUSPEND";

/// Arguments of `rstmgr preflight`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(false)))]
pub(crate) struct PreflightArgs {
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Files about to be replaced.
    #[arg(group = "input", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Debian packages about to be installed: their files are read from the .deb.
    #[arg(long = "deb", group = "input", value_name = "PKG.deb", num_args = 1..)]
    debs: Vec<PathBuf>,
    /// Read apt's Pre-Install-Pkgs hook protocol on standard input.
    #[arg(long, group = "input")]
    apt_hook: bool,
}

#[derive(Debug, Serialize)]
struct UseJson {
    path: String,
    how: &'static str,
}

#[derive(Debug, Serialize)]
struct ProcessJson {
    #[serde(flatten)]
    placed: Placed,
    uses: Vec<UseJson>,
}

#[derive(Debug, Serialize)]
struct Plan {
    files: Vec<String>,
    processes: Vec<ProcessJson>,
    services: Vec<String>,
    sessions: Vec<String>,
    containers: Vec<String>,
}

pub(crate) fn run(args: PreflightArgs) -> anyhow::Result<ExitCode> {
    if args.apt_hook {
        return apt_hook(args.json);
    }
    let files = if args.debs.is_empty() {
        args.files
    } else {
        deb_files(&args.debs)?
    };
    let plan = plan(&files)?;
    print(&plan, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// The files a `.deb` installs (regular files and hard links), read from the package.
pub(crate) fn deb_files(debs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = BTreeSet::new();
    for deb in debs {
        let out = Command::new("dpkg-deb")
            .arg("--contents")
            .arg(deb)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| anyhow::anyhow!("cannot run dpkg-deb (package dpkg): {e}"))?;
        if !out.status.success() {
            anyhow::bail!(
                "dpkg-deb --contents {} failed: {}",
                deb.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(path) = contents_path(line) {
                files.insert(path);
            }
        }
    }
    Ok(files.into_iter().collect())
}

/// The installed path of one `dpkg-deb --contents` line (`tar -tv` style:
/// `-rw-r--r-- root/root 1234 2024-01-01 00:00 ./usr/lib/x.so.1`), for regular files and
/// hard links only.
fn contents_path(line: &str) -> Option<PathBuf> {
    let kind = line.chars().next()?;
    if kind != '-' && kind != 'h' {
        return None;
    }
    // Five fields (mode, owner, size, date, time), then the name.
    let mut rest = line;
    for _ in 0..5 {
        rest = rest.trim_start();
        rest = &rest[rest.find(' ')?..];
    }
    let mut name = rest.trim_start();
    if let Some(i) = name.find(" link to ") {
        name = &name[..i];
    }
    let name = name.strip_prefix('.').unwrap_or(name);
    (name.starts_with('/') && name.len() > 1).then(|| PathBuf::from(name))
}

fn plan(files: &[PathBuf]) -> anyhow::Result<Plan> {
    let opts = ScanOptions {
        skip_self: true,
        ..ScanOptions::default()
    };
    let report = restart_manager::affected(files, &[], &opts)?;
    let placer = Placer::new(&StaleOptions::default())?;
    let mut processes = Vec::new();
    let mut uses = report.uses.iter().peekable();
    for p in &report.processes {
        while uses.next_if(|u| u.process.pid < p.process.pid).is_some() {}
        let mut mine = Vec::new();
        while let Some(u) = uses.next_if(|u| u.process.pid == p.process.pid) {
            for (set, how) in [
                (u.kinds.fd, "fd"),
                (u.kinds.mapped, "map"),
                (u.kinds.exe, "exe"),
                (u.kinds.cwd, "cwd"),
                (u.kinds.root, "root"),
            ] {
                if set {
                    mine.push(UseJson {
                        path: u.path.to_string_lossy().into_owned(),
                        how,
                    });
                }
            }
        }
        if let Some(placed) = placer.place(p.process) {
            processes.push(ProcessJson { placed, uses: mine });
        }
    }
    let set = |f: fn(&ProcessJson) -> Option<&String>| -> Vec<String> {
        processes
            .iter()
            .filter_map(f)
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    Ok(Plan {
        files: files
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect(),
        services: set(|p| p.placed.unit.as_ref()),
        sessions: set(|p| p.placed.session.as_ref()),
        containers: set(|p| p.placed.container.as_ref()),
        processes,
    })
}

fn print(plan: &Plan, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        serde_json::to_writer(&mut out, plan)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(());
    }
    if plan.processes.is_empty() {
        writeln!(out, "No process uses these {} file(s).", plan.files.len())?;
    } else {
        writeln!(out, "{:>7}  {:>6}  {:<28}  USES", "PID", "UID", "WHERE")?;
        for p in &plan.processes {
            let place = p
                .placed
                .unit
                .as_deref()
                .or(p.placed.session.as_deref())
                .or(p.placed.container.as_deref())
                .unwrap_or("-");
            let uses: Vec<String> = p
                .uses
                .iter()
                .map(|u| format!("{}:{}", u.how, printable_path(Path::new(&u.path))))
                .collect();
            writeln!(
                out,
                "{:>7}  {:>6}  {:<28}  {}",
                p.placed.process.pid,
                p.placed.uid,
                printable(place),
                uses.join(" ")
            )?;
        }
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.iter()
                .map(|s| printable(s).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    writeln!(
        out,
        "Services a session would restart: {}",
        list(&plan.services)
    )?;
    writeln!(
        out,
        "User sessions left on old code: {}",
        list(&plan.sessions)
    )?;
    writeln!(
        out,
        "Containers left on old code: {}",
        list(&plan.containers)
    )?;
    out.flush()?;
    Ok(())
}

/// The `.deb` files named by apt's Pre-Install-Pkgs protocol (versions 1 to 3).
fn apt_debs(input: &str) -> Vec<PathBuf> {
    let mut lines = input.lines();
    let mut versioned = false;
    let mut debs = Vec::new();
    let mut first = true;
    while let Some(line) = lines.next() {
        if first {
            first = false;
            if line.starts_with("VERSION ") {
                versioned = true;
                // The configuration dump ends with an empty line.
                for l in lines.by_ref() {
                    if l.is_empty() {
                        break;
                    }
                }
                continue;
            }
        }
        let candidate = if versioned {
            line.split_whitespace().last().unwrap_or_default()
        } else {
            line.trim()
        };
        if candidate.ends_with(".deb") {
            debs.push(PathBuf::from(candidate));
        }
    }
    debs
}

/// The apt process this hook runs for: the nearest ancestor named like apt's front ends,
/// else the parent.
fn apt_process() -> Option<UniqueProcess> {
    let mut pid = std::os::unix::process::parent_id();
    let parent = pid;
    for _ in 0..16 {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        let comm = comm.trim();
        if matches!(
            comm,
            "apt" | "apt-get" | "aptitude" | "unattended-upgr" | "synaptic" | "packagekitd"
        ) {
            return UniqueProcess::of(pid).ok();
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let ppid: u32 = stat
            .rsplit_once(") ")?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        if ppid <= 1 {
            break;
        }
        pid = ppid;
    }
    UniqueProcess::of(parent).ok()
}

fn apt_hook(json: bool) -> anyhow::Result<ExitCode> {
    let mut input = String::new();
    for line in std::io::stdin().lock().lines() {
        match line {
            Ok(l) => {
                input.push_str(&l);
                input.push('\n');
            }
            Err(_) => break,
        }
    }
    if std::env::var_os(SUSPEND_ENV).is_some_and(|v| !v.is_empty()) {
        return Ok(ExitCode::SUCCESS);
    }
    // Never fail apt: say what went wrong and let the upgrade go on.
    if let Err(e) = apt_hook_inner(&input, json) {
        eprintln!("rstmgr: the apt hook could not make a plan: {e:#}");
    }
    Ok(ExitCode::SUCCESS)
}

fn apt_hook_inner(input: &str, json: bool) -> anyhow::Result<()> {
    let debs = apt_debs(input);
    if debs.is_empty() {
        return Ok(());
    }
    let files = deb_files(&debs)?;
    let plan = plan(&files)?;
    let state = restart_manager::StateDir::open_default()?;
    let key = match apt_process() {
        Some(owner) => {
            let session = restart_manager::Session::start_for_owner(state.clone(), owner)?;
            let existing: Vec<PathBuf> = files.iter().filter(|f| f.exists()).cloned().collect();
            session.register(&restart_manager::Resources {
                files: existing,
                ..restart_manager::Resources::default()
            })?;
            Some(session.key().to_string())
        }
        None => None,
    };
    #[derive(Serialize)]
    struct Recorded<'a> {
        key: Option<String>,
        #[serde(flatten)]
        plan: &'a Plan,
    }
    let bytes = serde_json::to_vec(&Recorded { key, plan: &plan })?;
    state.subdir("apt")?.write_atomic("apt-plan.json", &bytes)?;
    if json {
        print(&plan, true)?;
    }
    let restart = if plan.services.is_empty() {
        "no service".to_owned()
    } else {
        plan.services
            .iter()
            .map(|s| printable(s).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    eprintln!(
        "rstmgr: {} package(s), {} file(s) in use by {} process(es); to restart after the upgrade: {restart}",
        debs.len(),
        plan.processes.iter().map(|p| p.uses.len()).sum::<usize>(),
        plan.processes.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_lines_give_installed_files() {
        assert_eq!(
            contents_path("-rw-r--r-- root/root     16384 2024-01-01 00:00 ./usr/lib/libg.so.1.0"),
            Some(PathBuf::from("/usr/lib/libg.so.1.0"))
        );
        assert_eq!(
            contents_path("-rwxr-xr-x root/root 10 2024-01-01 00:00 ./opt/a b/run me"),
            Some(PathBuf::from("/opt/a b/run me"))
        );
        assert_eq!(
            contents_path(
                "hrwxr-xr-x root/root 0 2024-01-01 00:00 ./usr/bin/b link to ./usr/bin/a"
            ),
            Some(PathBuf::from("/usr/bin/b"))
        );
        assert_eq!(
            contents_path("drwxr-xr-x root/root 0 2024-01-01 00:00 ./usr/"),
            None
        );
        assert_eq!(
            contents_path(
                "lrwxrwxrwx root/root 0 2024-01-01 00:00 ./usr/lib/libg.so.1 -> libg.so.1.0"
            ),
            None
        );
    }

    #[test]
    fn apt_hook_input_of_every_version() {
        assert_eq!(
            apt_debs("/var/cache/apt/archives/a_1_all.deb\n/tmp/b.deb\n"),
            vec![
                PathBuf::from("/var/cache/apt/archives/a_1_all.deb"),
                PathBuf::from("/tmp/b.deb")
            ]
        );
        let v2 = "VERSION 2\nAPT::Architecture=amd64\nDPkg::Tools::Options::x::Version=2\n\n\
                  a 1.0 < 1.1 /var/cache/apt/archives/a_1.1_amd64.deb\nb 2 > - **REMOVE**\n\
                  c - < 3 **CONFIGURE**\n";
        assert_eq!(
            apt_debs(v2),
            vec![PathBuf::from("/var/cache/apt/archives/a_1.1_amd64.deb")]
        );
    }
}
