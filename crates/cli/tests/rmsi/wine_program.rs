//! A Windows program run with Wine reads the registry value its package wrote (issue 13).
//!
//! `wine-regread/wine-regread.msi` (`crates/engine/tests/packages/`, built by
//! `build-wine-regread.sh`) is a 64-bit package installing `regread.exe`, a console program
//! built from `regread.c` with Debian's mingw-w64, into `ProgramFiles64Folder\rmsi-test\RegRead`,
//! and writing the values it prints into `HKLM\Software\rmsi-test\RegRead` (64-bit view).
//! Wine's own `msiexec` proves the package and the program right; then `rmsi install
//! --wine-prefix` must give Wine's programs the same registry.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use test_support::e2e::{Ctx, package, run_command_within};
use test_support::wine::{Prefix, describe};

const PRODUCT: &str = "{CE36150D-C4FD-47A6-A7E0-8D478778010E}";
/// The installed program, as Wine's programs name it.
const EXE: &str = r"C:\Program Files\rmsi-test\RegRead\regread.exe";
/// The installed program under the prefix's `drive_c`.
const EXE_IN_DRIVE: &str = "Program Files/rmsi-test/RegRead/regread.exe";
/// The key's section in Wine's `system.reg` (HKLM\Software, 64-bit view).
const SECTION: &str = r"[Software\\rmsi-test\\RegRead]";

/// What `regread.exe NAME` prints for each value the package writes.
const VALUES: [(&str, &str); 3] = [
    ("Greeting", "Hello from the registry"),
    ("InstallDir", r"C:\Program Files\rmsi-test\RegRead\"),
    ("Accents", "Grüße, café"),
];

fn msi() -> PathBuf {
    package("wine-regread/wine-regread.msi")
}

/// The checked-in program (the one the package holds).
fn checked_in_exe() -> PathBuf {
    package("wine-regread/regread.exe")
}

/// `regread.exe` built now from `regread.c` by `build-wine-regread.sh OUTDIR` (Debian's
/// mingw-w64, installed by scripts/test.sh), so that the source is what is tested.
fn build_from_source(prefix: &Prefix) -> PathBuf {
    let out = prefix.scratch("built");
    let built = Command::new(package("build-wine-regread.sh"))
        .arg(&out)
        .output()
        .expect("run build-wine-regread.sh");
    assert!(
        built.status.success(),
        "build-wine-regread.sh (needs gcc-mingw-w64-x86-64, wixl, msitools): {}",
        describe(&built)
    );
    out.join("regread.exe")
}

/// Asserts that `wine EXE [NAME]` printed `value` and CRLF on stdout and exited 0 (no
/// NAME: the program's default, Greeting).
fn assert_prints(prefix: &Prefix, exe: &str, name: Option<&str>, value: &str) {
    let mut args = vec![exe];
    args.extend(name);
    let out = prefix.wine(&args);
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
        ),
        (Some(0), format!("{value}\r\n")),
        "wine {args:?}: {}",
        describe(&out)
    );
}

/// Asserts that `wine EXE` found no Greeting value: exit 1, nothing on stdout, the key and
/// value named on stderr.
fn assert_absent(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", describe(out));
    assert!(out.stdout.is_empty(), "{}", describe(out));
    assert!(
        stderr.contains(r"regread: HKLM\Software\rmsi-test\RegRead value Greeting: "),
        "{}",
        describe(out)
    );
}

fn system_reg(prefix: &Prefix) -> String {
    fs::read_to_string(prefix.path().join("system.reg")).expect("read system.reg")
}

/// Wine's `msiexec` installs the package into a fresh prefix: the program, run with
/// `wine`, prints each value the package's Registry rows wrote (the 64-bit view, the
/// folder property as Wine's `C:\` path, Windows-1252 text from the package's code page);
/// `msiexec /x` takes the program and the key away again. The program built now from
/// its source behaves as the checked-in one.
#[test]
fn wine_msiexec_installs_the_program_that_reads_its_registry_value() {
    let Some(prefix) = Prefix::new() else { return };
    let built = build_from_source(&prefix);
    let built = built.to_str().expect("a UTF-8 path");
    let checked_in = checked_in_exe();
    let checked_in = checked_in.to_str().expect("a UTF-8 path");

    // Before the install the key is absent, for the fresh build and the checked-in one.
    assert_absent(&prefix.wine(&[built]));
    assert_absent(&prefix.wine(&[checked_in]));

    let msi = msi();
    let install = prefix.wine(&["msiexec", "/i", msi.to_str().expect("UTF-8"), "/qn"]);
    assert!(
        install.status.success(),
        "msiexec /i: {}",
        describe(&install)
    );
    // msiexec may return before its last process ends: wait for the prefix to be idle.
    prefix.wait_server();
    let installed = prefix.drive_c().join(EXE_IN_DRIVE);
    assert_eq!(
        fs::read(&installed).expect("the installed regread.exe"),
        fs::read(package("wine-regread/regread.exe")).expect("the checked-in regread.exe"),
        "the package holds the checked-in regread.exe"
    );
    let reg = system_reg(&prefix);
    assert!(reg.contains(SECTION), "no {SECTION} in system.reg");
    assert!(
        !reg.contains(r"Wow6432Node\\rmsi-test"),
        "a 64-bit component's values went to the 32-bit view"
    );

    for (name, value) in VALUES {
        assert_prints(&prefix, EXE, Some(name), value);
        assert_prints(&prefix, built, Some(name), value);
    }
    assert_prints(&prefix, EXE, None, "Hello from the registry");

    let remove = prefix.wine(&["msiexec", "/x", PRODUCT, "/qn"]);
    assert!(remove.status.success(), "msiexec /x: {}", describe(&remove));
    prefix.wait_server();
    assert!(
        !installed.exists(),
        "{} is still there",
        installed.display()
    );
    assert!(
        !system_reg(&prefix).contains(SECTION),
        "{SECTION} is still there"
    );
    assert_absent(&prefix.wine(&[built]));
}

/// `rmsi ARGS… --wine-prefix PREFIX --ui none --log LOG`, run to its end.
fn rmsi_in_prefix(ctx: &Ctx, prefix: &Path, args: &[&str]) -> test_support::e2e::Run {
    let mut cmd = ctx.rmsi();
    cmd.args(args)
        .arg("--wine-prefix")
        .arg(prefix)
        .args(["--ui", "none", "--log"])
        .arg(&ctx.log);
    run_command_within(
        &mut cmd,
        Some(&ctx.log),
        std::time::Duration::from_secs(120),
    )
}

/// `rmsi install --wine-prefix` gives Wine's programs what Wine's own msiexec gives them:
/// the program in `C:\Program Files`, run with `wine`, prints the values the package wrote
/// into the prefix's registry; `rmsi uninstall --wine-prefix` takes the program and the key
/// away, and the program (the checked-in copy) then finds nothing.
#[test]
fn rmsi_installs_into_a_wine_prefix_the_program_that_reads_its_registry_value() {
    let Some(prefix) = Prefix::new() else { return };
    let ctx = Ctx::new();
    let msi = msi();
    let run = rmsi_in_prefix(
        &ctx,
        prefix.path(),
        &["install", msi.to_str().expect("UTF-8")],
    );
    run.assert_code(0);
    let installed = prefix.drive_c().join(EXE_IN_DRIVE);
    assert_eq!(
        fs::read(&installed).expect("the installed regread.exe"),
        fs::read(checked_in_exe()).expect("the checked-in regread.exe"),
        "{}",
        run.describe()
    );
    assert!(
        system_reg(&prefix).contains(SECTION),
        "no {SECTION} in system.reg:\n{}",
        run.describe()
    );
    for (name, value) in VALUES {
        assert_prints(&prefix, EXE, Some(name), value);
    }
    // rmsi refuses a prefix whose wineserver runs: let the one the program started end.
    prefix.wait_server();

    let run = rmsi_in_prefix(&ctx, prefix.path(), &["uninstall", PRODUCT]);
    run.assert_code(0);
    assert!(
        !installed.exists(),
        "{} is still there:\n{}",
        installed.display(),
        run.describe()
    );
    assert!(
        !system_reg(&prefix).contains(SECTION),
        "{SECTION} is still there:\n{}",
        run.describe()
    );
    let checked_in = checked_in_exe();
    assert_absent(&prefix.wine(&[checked_in.to_str().expect("UTF-8")]));
    prefix.wait_server();
}
