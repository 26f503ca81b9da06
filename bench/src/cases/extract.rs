//! Benchmark case `extract`: extracting every file of a package's cabinet with the
//! `cabinet` crate (called as a library, in this process) against `msiextract -C DIR PKG`.
//!
//! Two packages are generated once with `wixl` and cached in `$TMPDIR/rmsi-bench-extract/`:
//! - `many.msi`: 5,000 small text files of varied length and content (about 12.9 MB), in one
//!   MSZIP folder as `wixl` writes it — the per-file overhead case;
//! - `big.msi`: 40 files of 4.8 MB of pseudo-random bytes (about 193 MB, barely
//!   compressible) — the throughput case.
//!
//! Our side opens the package with the engine's reader, maps cabinet names to the File
//! table's long names and writes each file into one output folder; `msiextract` also builds
//! the Directory tree. Each run starts from an empty output folder (removed outside the
//! timing), on `/dev/shm` when it exists (see [`output_root`]). Our side's peak memory is the process's peak RSS (`VmHWM`, reset through
//! `/proc/self/clear_refs` before the runs), so it covers only the extraction runs.

use fs_err as fs;
use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::harness::{Harness, have_tool, time_command};

/// Bumped whenever the generated packages change, so a stale cache is rebuilt.
const GENERATION: &str = "extract-v1";

pub(crate) fn run(h: &mut Harness) -> anyhow::Result<()> {
    for tool in ["wixl", "msiextract"] {
        if !have_tool(tool) {
            bail!("{tool} is not installed (Debian packages wixl and msitools)");
        }
    }
    let dir = std::env::temp_dir().join("rmsi-bench-extract");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;

    let many = ensure_package(&dir, "many", write_many)?;
    compare(h, &dir, &many, "5,000 files, 12.9 MB (many.msi)")?;

    let big = ensure_package(&dir, "big", write_big)?;
    compare(
        h,
        &dir,
        &big,
        "40 files, 193 MB barely compressible (big.msi)",
    )?;
    Ok(())
}

fn compare(h: &mut Harness, dir: &Path, pkg: &Path, label: &str) -> anyhow::Result<()> {
    let out_root = output_root(dir);
    let ours_out = out_root.join("out-ours");
    let theirs_out = out_root.join("out-msiextract");
    let reset_peak = fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = peak_rss_kib();
    h.compare(
        label,
        "rmsi cabinet (library)",
        || {
            fresh_dir(&ours_out)?;
            let start = Instant::now();
            let files = extract_ours(pkg, &ours_out)?;
            let elapsed = start.elapsed();
            if files == 0 {
                bail!("no file extracted from {}", pkg.display());
            }
            Ok(elapsed)
        },
        "msiextract",
        || {
            fresh_dir(&theirs_out)?;
            time_command(
                Command::new("msiextract")
                    .arg("-C")
                    .arg(&theirs_out)
                    .arg(pkg),
                &[],
            )
        },
    )?;
    let peak = peak_rss_kib();
    match (peak, reset_peak) {
        (Some(p), true) => h.note(&format!(
            "peak RSS of our side: {:.1} MiB (process peak reset before the runs)",
            p as f64 / 1024.0
        )),
        (Some(p), false) => h.note(&format!(
            "peak RSS of this process: {:.1} MiB (could not reset it first; before: {:.1} MiB)",
            p as f64 / 1024.0,
            before.unwrap_or(0) as f64 / 1024.0
        )),
        (None, _) => h.note("peak RSS unavailable (/proc/self/status has no VmHWM)"),
    }
    if let Some(kib) = msiextract_peak_kib(pkg, &theirs_out) {
        h.note(&format!(
            "peak RSS of msiextract: {:.1} MiB",
            kib as f64 / 1024.0
        ));
    }
    let _ = fs::remove_dir_all(&out_root);
    Ok(())
}

/// Extracts every cabinet file of `pkg` into `out` under its File table long name; returns
/// the number of files written.
fn extract_ours(pkg: &Path, out: &Path) -> anyhow::Result<usize> {
    let package =
        package::Package::open(pkg).with_context(|| format!("opening {}", pkg.display()))?;
    let names: HashMap<String, String> = package
        .files()?
        .into_iter()
        .map(|f| (f.file, f.file_name.long))
        .collect();
    let mut written = 0usize;
    for media in package.media()? {
        let Some(cabinet) = media.cabinet else {
            continue;
        };
        let Some(stream) = cabinet.strip_prefix('#') else {
            bail!("external cabinet {cabinet} (the benchmark packages embed theirs)");
        };
        let reader = package.read_stream(stream)?;
        cabinet::extract(reader, &mut |entry: &cabinet::CabinetEntry| {
            let Some(long) = names.get(&entry.name) else {
                return Ok(None);
            };
            written += 1;
            // Unbuffered: files arrive in pieces of up to 32 KiB (one piece for most small
            // files), so a buffer would only add a copy.
            let file = fs::File::create(out.join(long))?;
            Ok(Some(Box::new(file) as cabinet::FileWriter))
        })
        .with_context(|| format!("extracting cabinet {cabinet}"))?;
    }
    Ok(written)
}

/// Where the extracted files go: a tmpfs when there is one. On this machine's virtual disk,
/// the writeback of the previous run's 5,000 files lands at random in the next timed run
/// (medians drifting 3x for both sides); on a tmpfs both sides measure their own work.
fn output_root(cache: &Path) -> PathBuf {
    let shm = Path::new("/dev/shm/rmsi-bench-extract");
    if fs::create_dir_all(shm).is_ok() {
        shm.to_path_buf()
    } else {
        cache.to_path_buf()
    }
}

/// Empties `dir` (outside the timed part of a run).
fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// `VmHWM` (peak resident set) of this process, in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// msiextract's peak RSS through GNU time, when it is installed.
fn msiextract_peak_kib(pkg: &Path, out: &Path) -> Option<u64> {
    if !Path::new("/usr/bin/time").is_file() {
        return None;
    }
    fresh_dir(out).ok()?;
    let result = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg("msiextract")
        .arg("-C")
        .arg(out)
        .arg(pkg)
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&result.stderr);
    stderr.lines().last()?.trim().parse().ok()
}

// ====================================================================================== //
// Package generation (once, cached).
// ====================================================================================== //

/// Writes one payload file's bytes.
type WritePayload = Box<dyn Fn(&mut dyn Write) -> io::Result<()>>;

/// One payload file of a generated package: its name and how to write its bytes.
struct Payload {
    name: String,
    write: WritePayload,
}

/// `DIR/big.msi` (see the module documentation), built if needed: the `install` case's
/// large package too.
pub(crate) fn big_package(dir: &Path) -> anyhow::Result<PathBuf> {
    ensure_package(dir, "big", write_big)
}

/// Returns `DIR/NAME.msi`, building it with `wixl` from the payload `generate` lists unless
/// a package of the current [`GENERATION`] is already there.
fn ensure_package(
    dir: &Path,
    name: &str,
    generate: fn() -> Vec<Payload>,
) -> anyhow::Result<PathBuf> {
    let pkg = dir.join(format!("{name}.msi"));
    let stamp = dir.join(format!("{name}.stamp"));
    if pkg.is_file() && fs::read_to_string(&stamp).is_ok_and(|s| s == GENERATION) {
        return Ok(pkg);
    }
    let start = Instant::now();
    let src = dir.join(format!("{name}-src"));
    fresh_dir(&src)?;
    let payload = generate();
    let mut components = String::new();
    let mut refs = String::new();
    for (i, p) in payload.iter().enumerate() {
        let mut file = BufWriter::new(fs::File::create(src.join(&p.name))?);
        (p.write)(&mut file)?;
        file.flush()?;
        components.push_str(&format!(
            "        <Component Id=\"C{i}\" Guid=\"{{6B1C4A52-3E0D-4F7A-9C1B-{i:012X}}}\">\
             <File Id=\"F{i}\" Name=\"{}\" Source=\"{name}-src/{}\" KeyPath=\"yes\"/></Component>\n",
            p.name, p.name
        ));
        refs.push_str(&format!("      <ComponentRef Id=\"C{i}\"/>\n"));
    }
    let wxs = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{{6B1C4A52-3E0D-4F7A-9C1B-0000000000F1}}" Name="rmsi bench {name}" Language="1033"
           Version="1.0.0" Manufacturer="rmsi bench"
           UpgradeCode="{{6B1C4A52-3E0D-4F7A-9C1B-0000000000F0}}">
    <Package InstallerVersion="500" Compressed="yes"/>
    <Media Id="1" Cabinet="{name}.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
      <Directory Id="INSTALLDIR" Name="rmsi-bench-{name}">
{components}      </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1">
{refs}    </Feature>
  </Product>
</Wix>
"#
    );
    let wxs_path = dir.join(format!("{name}.wxs"));
    fs::write(&wxs_path, wxs)?;
    let status = Command::new("wixl")
        .arg("-o")
        .arg(&pkg)
        .arg(&wxs_path)
        .current_dir(dir)
        .status()
        .context("running wixl")?;
    if !status.success() {
        bail!("wixl failed to build {}", pkg.display());
    }
    fs::remove_dir_all(&src)?;
    fs::write(&stamp, GENERATION)?;
    println!(
        "   (generated {} in {:.1} s)",
        pkg.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(pkg)
}

/// A xorshift64 stream: deterministic and fast.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const WORDS: &[&str] = &[
    "installer",
    "cabinet",
    "folder",
    "feature",
    "component",
    "sequence",
    "property",
    "restart",
    "manager",
    "session",
    "key",
    "file",
    "table",
    "stream",
    "directory",
    "version",
    "condition",
    "action",
    "rollback",
    "linux",
    "windows",
    "package",
    "media",
    "registry",
    "service",
    "shortcut",
    "font",
    "custom",
    "launch",
    "validate",
];

/// 5,000 text files averaging about 2,580 bytes: lines of words drawn at random (so every
/// file differs, and the cabinet compresses as source text does).
fn write_many() -> Vec<Payload> {
    (0..5000u64)
        .map(|n| Payload {
            name: format!("f{n:04}.txt"),
            write: Box::new(move |w: &mut dyn Write| {
                let target = 1800 + (n * 7919) % 1560;
                let mut rng = XorShift(n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
                let mut size = 0u64;
                let header = format!("payload {n:04}\n");
                w.write_all(header.as_bytes())?;
                size += header.len() as u64;
                while size < target {
                    let mut line = String::new();
                    for k in 0..8 {
                        if k > 0 {
                            line.push(' ');
                        }
                        line.push_str(WORDS[(rng.next() % WORDS.len() as u64) as usize]);
                    }
                    line.push('\n');
                    w.write_all(line.as_bytes())?;
                    size += line.len() as u64;
                }
                Ok(())
            }),
        })
        .collect()
}

/// 40 files of 4.8 MB of pseudo-random bytes (193 MB): deflate stores them, so this
/// measures reading, checksumming and writing at volume.
fn write_big() -> Vec<Payload> {
    (0..40u64)
        .map(|n| Payload {
            name: format!("b{n:02}.bin"),
            write: Box::new(move |w: &mut dyn Write| {
                let mut rng = XorShift((n + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
                let mut chunk = vec![0u8; 64 * 1024];
                let mut left = 4_800_000usize;
                while left > 0 {
                    for word in chunk.chunks_exact_mut(8) {
                        word.copy_from_slice(&rng.next().to_le_bytes());
                    }
                    let n = left.min(chunk.len());
                    w.write_all(&chunk[..n])?;
                    left -= n;
                }
                Ok(())
            }),
        })
        .collect()
}
