//! `rstmgr stale [--json | --batch | --nagios] [--restart [--dry-run] [--policy FILE]]
//! [--write-sentinel]`: which processes still run old code after an upgrade, and
//! restarting the services among them.
//!
//! # Outputs
//! - a table for people (the default);
//! - `--json`: one object, issue 17's contract: `{"processes":[{"pid":..,"start_time":..,
//!   "uid":..,"exe":"..","unit":".."|null,"session":".."|null,"container":".."|null,
//!   "stale":[{"path":"..","how":"map"|"exe"|"script"}]}],"services":[".."],
//!   "sessions":[".."],"containers":[".."],"kernel":{"running":"..","installed":".."|null,
//!   "reboot_required":bool}}`;
//! - `--batch`: the keys of `needrestart -b`, in its format and order (`NEEDRESTART-VER`,
//!   `-KCUR`, `-KEXP` when known, `-KSTA`, `-SVC`, `-CONT`, `-SESS`), so that tools
//!   parsing needrestart's batch mode work unchanged; `-KSTA` is 0 unknown, 1 current,
//!   3 a newer kernel is installed (no microcode lines: rstmgr does not judge microcode);
//! - `--nagios`: needrestart's Nagios plugin line and exit status: 0 OK, 1 WARN (services
//!   or containers run old code), 2 CRIT (a newer kernel, or user sessions running old
//!   code), 3 UNKN on error; a kernel whose installed version is unknown counts as OK.
//!
//! # `--restart`
//! Restarts the services found, through the service manager that runs them (systemd:
//! one `systemctl restart` job each, a unit after those it is ordered `After=`; runit:
//! down, then up), at most 30 s per step, never prompting. A service the policy denies
//! (see `RestartPolicy`: built-in, the services this command runs under, and `--policy
//! FILE`) is skipped and said so; user sessions and containers are reported, never
//! touched. `--dry-run` prints the plan only. The plan and results go to stdout after the
//! table, or to stderr when a machine format was asked for. Exit status 1 when a restart
//! failed.
//!
//! `--write-sentinel` writes `/run/reboot-required` and appends the kernel package to
//! `/run/reboot-required.pkgs` when a newer kernel is installed, as Debian's kernel
//! packages do (and as kured watches).
//!
//! `RSTMGR_SYSROOT` (default `/`) names the system root whose `/boot`, `/lib/modules` and
//! `/run` are used, for chroots and tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::ArgGroup;
use restart_manager::{RestartPolicy, StaleOptions, StaleReport};

use super::output::{printable, printable_path};

/// Environment variable naming the system root (kernels, sentinel).
const SYSROOT_ENV: &str = "RSTMGR_SYSROOT";

/// How long one service's restart may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Arguments of `rstmgr stale`.
#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("format").multiple(false)))]
pub(crate) struct StaleArgs {
    /// Print one JSON object.
    #[arg(long, group = "format")]
    json: bool,
    /// Print needrestart's batch format (`needrestart -b`).
    #[arg(long, group = "format")]
    batch: bool,
    /// Print one Nagios status line and exit with its status.
    #[arg(long, group = "format")]
    nagios: bool,
    /// Restart the services that run old code (never those the policy denies).
    #[arg(long)]
    restart: bool,
    /// With --restart: print the plan, restart nothing.
    #[arg(long, requires = "restart")]
    dry_run: bool,
    /// With --restart: a file of service names or globs never to restart, one a line.
    #[arg(long, requires = "restart", value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Write /run/reboot-required (and .pkgs) when a newer kernel is installed.
    #[arg(long)]
    write_sentinel: bool,
}

pub(crate) fn sysroot() -> PathBuf {
    std::env::var_os(SYSROOT_ENV)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

pub(crate) fn run(args: StaleArgs) -> anyhow::Result<ExitCode> {
    let opts = StaleOptions {
        sysroot: sysroot(),
        ..StaleOptions::default()
    };
    let report = match restart_manager::stale(&opts) {
        Ok(r) => r,
        Err(e) if args.nagios => {
            println!("UNKN - {e}");
            return Ok(ExitCode::from(3));
        }
        Err(e) => return Err(e.into()),
    };
    let mut status = if args.json {
        print_json(&report)?;
        ExitCode::SUCCESS
    } else if args.batch {
        print_batch(&report)?;
        ExitCode::SUCCESS
    } else if args.nagios {
        ExitCode::from(print_nagios(&report)?)
    } else {
        print_table(&report)?;
        ExitCode::SUCCESS
    };
    if !report.inaccessible.is_empty() && !args.nagios {
        eprintln!(
            "rstmgr: {} process(es) could not be inspected (permission denied); they may run old code too",
            report.inaccessible.len()
        );
    }
    if args.write_sentinel && report.kernel.reboot_required {
        write_sentinel(&opts.sysroot, &report)?;
    }
    if args.restart {
        let machine = args.json || args.batch || args.nagios;
        let ok = restart_services(&report, args.policy.as_deref(), args.dry_run, machine)?;
        if !ok && !args.nagios {
            status = ExitCode::from(1);
        }
    }
    Ok(status)
}

fn print_json(report: &StaleReport) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, report)?;
    writeln!(out)?;
    Ok(())
}

fn print_table(report: &StaleReport) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if report.processes.is_empty() {
        writeln!(out, "No process runs old code.")?;
    } else {
        writeln!(
            out,
            "{:>7}  {:>6}  {:<28}  {:<24}  OLD CODE",
            "PID", "UID", "WHERE", "EXE"
        )?;
        for p in &report.processes {
            let place = p
                .unit
                .as_deref()
                .or(p.session.as_deref())
                .or(p.container.as_deref())
                .unwrap_or("-");
            let exe = p
                .exe
                .as_deref()
                .map_or_else(|| "-".to_owned(), printable_path);
            let old: Vec<String> = p
                .stale
                .iter()
                .map(|s| format!("{}:{}", how_name(s.how), printable_path(&s.path)))
                .collect();
            writeln!(
                out,
                "{:>7}  {:>6}  {:<28}  {:<24}  {}",
                p.process.pid,
                p.uid,
                printable(place),
                exe,
                old.join(" ")
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
    writeln!(out, "Services to restart: {}", list(&report.services))?;
    writeln!(
        out,
        "User sessions running old code: {}",
        list(&report.sessions)
    )?;
    writeln!(
        out,
        "Containers running old code: {}",
        list(&report.containers)
    )?;
    let k = &report.kernel;
    match (&k.installed, k.reboot_required) {
        (None, _) => writeln!(
            out,
            "Kernel: {} running; the installed kernels are unknown",
            k.running
        )?,
        (Some(i), true) => writeln!(
            out,
            "Kernel: {} running, {i} installed: a reboot is required",
            k.running
        )?,
        (Some(_), false) => writeln!(out, "Kernel: {} running, the newest installed", k.running)?,
    }
    out.flush()?;
    Ok(())
}

fn how_name(how: restart_manager::StaleHow) -> &'static str {
    match how {
        restart_manager::StaleHow::Map => "map",
        restart_manager::StaleHow::Exe => "exe",
        restart_manager::StaleHow::Script => "script",
    }
}

/// needrestart's `NRK_*` kernel states: 0 unknown, 1 no upgrade, 3 version upgrade.
fn kernel_state(report: &StaleReport) -> u8 {
    match (&report.kernel.installed, report.kernel.reboot_required) {
        (None, _) => 0,
        (Some(_), false) => 1,
        (Some(_), true) => 3,
    }
}

fn print_batch(report: &StaleReport) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "NEEDRESTART-VER: {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(out, "NEEDRESTART-KCUR: {}", report.kernel.running)?;
    if let Some(installed) = &report.kernel.installed {
        writeln!(out, "NEEDRESTART-KEXP: {installed}")?;
    }
    writeln!(out, "NEEDRESTART-KSTA: {}", kernel_state(report))?;
    for s in &report.services {
        writeln!(out, "NEEDRESTART-SVC: {}", printable(s))?;
    }
    for c in &report.containers {
        writeln!(out, "NEEDRESTART-CONT: {}", printable(c))?;
    }
    for s in &report.sessions {
        writeln!(out, "NEEDRESTART-SESS: {}", printable(s))?;
    }
    out.flush()?;
    Ok(())
}

/// needrestart's Nagios plugin output (`needrestart -p`); returns the exit status.
fn print_nagios(report: &StaleReport) -> anyhow::Result<u8> {
    const SERVICES: u8 = 1;
    const CONTAINERS: u8 = 1;
    const SESSIONS: u8 = 2;
    const KERNEL: u8 = 2;
    let mark = |ret: u8| match ret {
        1 => " (!)",
        2 => " (!!)",
        _ => "",
    };
    let k = &report.kernel;
    let (kret, kstr, kperf) = match (&k.installed, k.reboot_required) {
        // Unknown counts as OK (issue 17), with no performance figure.
        (None, _) => (0, k.running.clone(), None),
        (Some(i), true) => (
            KERNEL,
            format!("{}!={i}{}", k.running, mark(KERNEL)),
            Some(2),
        ),
        (Some(_), false) => (0, k.running.clone(), Some(0)),
    };
    let count = |n: usize, level: u8| -> (u8, String) {
        if n == 0 {
            (0, "none".to_owned())
        } else {
            (level, format!("{n}{}", mark(level)))
        }
    };
    let (sret, sstr) = count(report.services.len(), SERVICES);
    let (cret, cstr) = count(report.containers.len(), CONTAINERS);
    let (uret, ustr) = count(report.sessions.len(), SESSIONS);
    let ret = [kret, sret, cret, uret].into_iter().max().unwrap_or(0);
    let state = ["OK", "WARN", "CRIT", "UNKN"][usize::from(ret.min(3))];
    let mut perf = Vec::new();
    if let Some(kp) = kperf {
        perf.push(format!("Kernel={kp};0;;0;2"));
    }
    perf.push(format!("Services={};;0;0", report.services.len()));
    perf.push(format!("Containers={};;0;0", report.containers.len()));
    perf.push(format!("Sessions={};0;;0", report.sessions.len()));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(
        out,
        "{state} - Kernel: {kstr}, Services: {sstr}, Containers: {cstr}, Sessions: {ustr}|{}",
        perf.join(" ")
    )?;
    for (title, items) in [
        ("Services", &report.services),
        ("Containers", &report.containers),
        ("Sessions", &report.sessions),
    ] {
        if !items.is_empty() {
            write!(out, "{title}:")?;
            for i in items {
                write!(out, "\n- {}", printable(i))?;
            }
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(ret)
}

/// Writes Debian's reboot sentinel for the newer kernel.
fn write_sentinel(sysroot: &Path, report: &StaleReport) -> anyhow::Result<()> {
    let run = sysroot.join("run");
    std::fs::write(
        run.join("reboot-required"),
        "*** System restart required ***\n",
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "cannot write {}: {e}",
            run.join("reboot-required").display()
        )
    })?;
    if let Some(installed) = &report.kernel.installed {
        let pkgs = run.join("reboot-required.pkgs");
        let line = format!("linux-image-{installed}");
        let have = std::fs::read_to_string(&pkgs).unwrap_or_default();
        if !have.lines().any(|l| l == line) {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&pkgs)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", pkgs.display()))?;
            writeln!(f, "{line}")?;
        }
    }
    Ok(())
}

/// Restarts the services of `report` (or prints the plan); false when one failed.
fn restart_services(
    report: &StaleReport,
    policy_file: Option<&Path>,
    dry_run: bool,
    to_stderr: bool,
) -> anyhow::Result<bool> {
    let manager = restart_manager::detect();
    let service_of = |pid: u32| manager.as_deref().and_then(|m| m.service_of(pid));
    let callers = restart_manager::services_of_ancestors(std::process::id(), &service_of);
    let mut policy = RestartPolicy::builtin(&callers);
    if let Some(file) = policy_file {
        policy.add_file(file)?;
    }
    let mut lines = Vec::new();
    let mut ok = true;
    let mut allowed = Vec::new();
    for service in &report.services {
        match policy.denies(service) {
            Some(why) => lines.push(format!("skip {}: denied ({why})", printable(service))),
            None => allowed.push(service.clone()),
        }
    }
    // Each after the services it depends on (systemd's `After=`).
    let ordered = match manager.as_deref() {
        Some(m) => m.restart_order(&allowed),
        None => allowed,
    };
    for service in &ordered {
        let name = printable(service);
        if dry_run {
            lines.push(format!("would restart {name}"));
            continue;
        }
        let Some(m) = manager.as_deref() else {
            ok = false;
            lines.push(format!("failed {name}: no service manager runs here"));
            continue;
        };
        match m.restart(service, STEP_TIMEOUT) {
            Ok(()) => lines.push(format!("restarted {name}")),
            Err(e) => {
                ok = false;
                lines.push(format!("failed {name}: {e}"));
            }
        }
    }
    for s in &report.sessions {
        lines.push(format!("not touched (user session): {}", printable(s)));
    }
    for c in &report.containers {
        lines.push(format!("not touched (container): {}", printable(c)));
    }
    if lines.is_empty() {
        lines.push("nothing to restart".to_owned());
    }
    if to_stderr {
        for l in &lines {
            eprintln!("rstmgr: {l}");
        }
    } else {
        let mut out = std::io::stdout().lock();
        for l in &lines {
            writeln!(out, "{l}")?;
        }
    }
    Ok(ok)
}
