//! Benchmark case `stale`: `rstmgr stale --batch` against `needrestart -b` with 2,000
//! extra processes, 200 of them running a program whose shared library was replaced.
//!
//! needrestart is Debian's (`apt-get download needrestart`, unpacked with `dpkg -x` into
//! `target/bench-needrestart`, so that its own apt hook never runs; `NEEDRESTART_ROOT`
//! names another unpacked tree) and runs from that tree with the perl modules it needs
//! (Debian packages libproc-processtable-perl, libsort-naturally-perl,
//! libmodule-find-perl, libterm-readkey-perl, libintl-perl, libmodule-scandeps-perl).
//! It runs in list-only mode (`-r l`), with its configuration, hooks and interpreter
//! scanners from that tree.
//!
//! The library and the program are built with `gcc` under `target/` (not `/tmp`, whose
//! deleted files both tools ignore by design), the library is then replaced the way a
//! package manager does (a new file renamed over it), and both tools must find the same
//! 200 processes (rstmgr's `--json`; needrestart's `-v` lines `#PID uses deleted PATH`)
//! before anything is timed.
//!
//! Goal (issue 17): at most a tenth of needrestart's time.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::who::{compare_commands, count_processes, goal};
use crate::harness::{Harness, have_tool};

/// Extra processes started for the case.
const EXTRA: usize = 2_000;
/// How many of them run the program whose library is replaced.
const STALE: usize = 200;

/// The extra processes; each is killed and reaped on drop.
struct Crowd {
    children: Vec<Child>,
}

impl Drop for Crowd {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
        }
        for c in &mut self.children {
            let _ = c.wait();
        }
    }
}

/// A work folder removed on drop.
struct Work(PathBuf);

impl Drop for Work {
    fn drop(&mut self) {
        let _ = fs_err::remove_dir_all(&self.0);
    }
}

fn run_ok(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The unpacked needrestart tree, unpacking Debian's package on first use.
fn needrestart_root() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("NEEDRESTART_ROOT") {
        return Ok(PathBuf::from(dir));
    }
    let cache = std::env::current_dir()?.join("target/bench-needrestart");
    let root = cache.join("root");
    if root.join("usr/sbin/needrestart").is_file() {
        return Ok(root);
    }
    fs_err::create_dir_all(&cache)?;
    run_ok(
        Command::new("apt-get")
            .args(["download", "needrestart"])
            .current_dir(&cache),
    )
    .context("downloading needrestart (apt-get download needrestart)")?;
    let deb = fs_err::read_dir(&cache)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .context("apt-get download left no .deb")?;
    run_ok(Command::new("dpkg").arg("-x").arg(&deb).arg(&root))?;
    Ok(root)
}

/// A configuration that reads the unpacked tree's own and points its hook, notify and
/// restart folders into the tree.
fn needrestart_conf(root: &Path, work: &Path) -> anyhow::Result<PathBuf> {
    let conf = work.join("needrestart.conf");
    let etc = root.join("etc/needrestart");
    fs_err::write(
        &conf,
        format!(
            "do '{etc}/needrestart.conf';\n\
             $nrconf{{hook_d}} = '{etc}/hook.d';\n\
             $nrconf{{notify_d}} = '{etc}/notify.d';\n\
             $nrconf{{restart_d}} = '{etc}/restart.d';\n1;\n",
            etc = etc.display()
        ),
    )?;
    Ok(conf)
}

fn needrestart(root: &Path, conf: &Path, verbose: bool) -> Command {
    let mut c = Command::new("perl");
    c.arg("-I")
        .arg(root.join("usr/share/perl5"))
        .arg(root.join("usr/sbin/needrestart"))
        .args(["-b", "-r", "l", "-c"])
        .arg(conf);
    if verbose {
        c.arg("-v");
    }
    c
}

/// Builds `libold.so.1` and `prog` (linked against it, then pausing) in `work`.
fn build(work: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let lib = work.join("libold.so.1");
    fs_err::write(work.join("old.c"), "int old_answer(void) { return 1; }\n")?;
    fs_err::write(
        work.join("prog.c"),
        "#include <unistd.h>\nint old_answer(void);\nint main(void) { old_answer(); pause(); return 0; }\n",
    )?;
    run_ok(
        Command::new("gcc")
            .args(["-shared", "-fPIC", "-Wl,-soname,libold.so.1", "-o"])
            .arg(&lib)
            .arg(work.join("old.c")),
    )?;
    fs_err::os::unix::fs::symlink("libold.so.1", work.join("libold.so"))?;
    let prog = work.join("prog");
    run_ok(
        Command::new("gcc")
            .arg("-o")
            .arg(&prog)
            .arg(work.join("prog.c"))
            .arg(format!("-L{}", work.display()))
            .arg("-lold")
            .arg(format!("-Wl,-rpath,{}", work.display())),
    )?;
    Ok((lib, prog))
}

fn spawn_crowd(prog: &Path) -> anyhow::Result<Crowd> {
    let mut crowd = Crowd {
        children: Vec::with_capacity(EXTRA),
    };
    for i in 0..EXTRA {
        let mut cmd = if i % (EXTRA / STALE) == 0 {
            Command::new(prog)
        } else {
            let mut c = Command::new("sleep");
            c.arg("600");
            c
        };
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("spawning the extra processes")?;
        crowd.children.push(child);
    }
    // Every program has mapped its library once its maps name it.
    let start = Instant::now();
    for c in &crowd.children {
        let maps = format!("/proc/{}/maps", c.id());
        let comm = format!("/proc/{}/comm", c.id());
        loop {
            let ready = match fs_err::read_to_string(&comm) {
                Ok(name) if name.trim() == "prog" => {
                    fs_err::read_to_string(&maps).is_ok_and(|m| m.contains("libold.so.1"))
                }
                Ok(name) => name.trim() == "sleep",
                Err(_) => false,
            };
            if ready {
                break;
            }
            if start.elapsed() > Duration::from_secs(60) {
                bail!("the extra processes did not all start within 60 s");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    Ok(crowd)
}

pub(crate) fn run(h: &mut Harness) -> anyhow::Result<()> {
    let rstmgr = h.bin("rstmgr")?;
    for tool in ["gcc", "perl"] {
        if !have_tool(tool) {
            h.note(&format!("{tool} is not installed: case skipped"));
            return Ok(());
        }
    }
    let nr_root = needrestart_root()?;
    let work =
        Work(std::env::current_dir()?.join(format!("target/bench-stale-{}", std::process::id())));
    fs_err::create_dir_all(&work.0)?;
    let conf = needrestart_conf(&nr_root, &work.0)?;
    let (lib, prog) = build(&work.0)?;
    let before = count_processes();
    let crowd = spawn_crowd(&prog)?;
    // The upgrade: a new library renamed over the old one.
    let new = work.0.join("libold.so.1.new");
    fs_err::copy(&lib, &new)?;
    fs_err::rename(&new, &lib)?;
    let stale_pids: BTreeSet<u32> = crowd
        .children
        .iter()
        .step_by(EXTRA / STALE)
        .map(Child::id)
        .collect();
    let crowd_pids: BTreeSet<u32> = crowd.children.iter().map(Child::id).collect();
    h.note(&format!(
        "{} processes running ({before} before, {EXTRA} extra, {} on the replaced library)",
        count_processes(),
        stale_pids.len()
    ));

    // Both must find the same processes before anything is timed.
    let out = Command::new(&rstmgr)
        .args(["stale", "--json"])
        .stderr(Stdio::null())
        .output()
        .context("running rstmgr stale")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let ours: BTreeSet<u32> = text
        .split("{\"pid\":")
        .skip(1)
        .filter_map(|s| s.split(',').next()?.parse().ok())
        .filter(|p| crowd_pids.contains(p))
        .collect();
    let out = needrestart(&nr_root, &conf, true)
        .stdout(Stdio::null())
        .output()
        .context("running needrestart -v")?;
    let theirs: BTreeSet<u32> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(" uses deleted ") || l.contains(" uses obsolete "))
        .filter_map(|l| l.split('#').nth(1)?.split(' ').next()?.parse().ok())
        .filter(|p| crowd_pids.contains(p))
        .collect();
    h.note(&format!(
        "found among the extra processes: rstmgr {}, needrestart {}, expected {}",
        ours.len(),
        theirs.len(),
        stale_pids.len()
    ));
    if ours != stale_pids {
        bail!("rstmgr stale did not find exactly the {STALE} processes");
    }
    if theirs != ours {
        bail!(
            "needrestart found other processes: {} only theirs, {} only ours",
            theirs.difference(&ours).count(),
            ours.difference(&theirs).count()
        );
    }
    if let Ok(load) = fs_err::read_to_string("/proc/loadavg") {
        h.note(&format!(
            "load average before timing: {}",
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    let (a, b) = compare_commands(
        h,
        &format!("processes on replaced code ({STALE} of {EXTRA} extra)"),
        ("rstmgr stale --batch", &|| {
            let mut c = Command::new(&rstmgr);
            c.args(["stale", "--batch"]);
            c
        }),
        ("needrestart -b -r l", &|| {
            needrestart(&nr_root, &conf, false)
        }),
    )?;
    goal(h, "needrestart", b, a, 10.0);
    drop(crowd);
    Ok(())
}
