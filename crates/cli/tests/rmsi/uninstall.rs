//! End-to-end tests of `rmsi uninstall` and `rmsi msiexec /x`: a real package installed
//! with `rmsi install`, then removed by package path and by product code, in both layouts;
//! the root must end exactly as it was before the install (its own files and folders
//! kept). Also: an unknown product (1605, exit status 69), a file held open by a real
//! process during the removal (named on the log's `RESTART MANAGER:` lines), a user's
//! file in an installed folder (kept, with its folders), and a failing custom action
//! (everything put back).
//!
//! Needs, besides the binaries: python3 (the holder process).

use std::fs;
use std::path::Path;
use std::time::Duration;

use test_support::e2e::{Ctx, Holder, Layout, Run, example, log, package, tree};

const HELLO_CODE: &str = "{0D4F6B50-5E6F-4071-8233-4E5F60718291}";

/// `rmsi msiexec --root ROOT --layout L /x TARGET /qn /l*v LOG`.
fn msiexec_x(ctx: &Ctx, target: &str, layout: Layout) -> Run {
    let mut cmd = ctx.rmsi();
    cmd.arg("msiexec")
        .arg("--root")
        .arg(&ctx.root)
        .arg("--layout")
        .arg(layout.as_str())
        .arg("/x")
        .arg(target)
        .arg("/qn")
        .arg("/l*v")
        .arg(&ctx.log);
    ctx.finish(&mut cmd)
}

/// Things of the root's own, there before any install.
fn seed_root(root: &Path) {
    fs::create_dir_all(root.join("srv/data")).expect("mkdir srv/data");
    fs::write(root.join("srv/data/mine.txt"), "mine\n").expect("write mine.txt");
    fs::create_dir_all(root.join("home")).expect("mkdir home");
}

/// The binding lines of a successful removal's log.
fn assert_removal_log(run: &Run, product: &str) {
    assert!(
        log::starts(&run.log).iter().any(|a| a == "INSTALL"),
        "{}",
        run.describe()
    );
    assert_eq!(
        log::ended(&run.log, "INSTALL"),
        Some(1),
        "{}",
        run.describe()
    );
    assert_eq!(log::ended(&run.log, "RemoveFiles"), Some(1));
    assert!(
        log::property_changes(&run.log)
            .iter()
            .any(|l| l.contains("Adding REMOVE property. Its value is 'ALL'.")),
        "{}",
        run.describe()
    );
    let props = log::server_properties(&run.log);
    assert_eq!(props.get("REMOVE").map(String::as_str), Some("ALL"));
    assert_eq!(props.get("Installed").map(String::as_str), Some("1"));
    assert!(
        run.log.contains(&format!(
            "Product: {product} -- Removal completed successfully."
        )),
        "{}",
        run.describe()
    );
    let rm = log::restart_manager(&run.log);
    for step in ["Session opened", "Session closed"] {
        assert!(rm.iter().any(|l| l.contains(step)), "no `{step}`: {rm:?}");
    }
}

fn round_trip(layout: Layout, by_code: bool, through_msiexec: bool) {
    let ctx = Ctx::new();
    seed_root(&ctx.root);
    let before = tree(&ctx.root);
    let hello = example("hello/hello.msi");
    ctx.install(&hello, layout, &[]).assert_code_logged(0);
    assert!(
        ctx.root
            .join(layout.program_files())
            .join("rmsi-hello/hello.txt")
            .is_file()
    );
    let hello_arg = hello.to_str().expect("utf-8 path");
    let target = if by_code { HELLO_CODE } else { hello_arg };
    let run = if through_msiexec {
        msiexec_x(&ctx, target, layout)
    } else {
        ctx.uninstall(target, layout, &[])
    };
    run.assert_code_logged(0);
    assert_removal_log(&run, "rmsi hello");
    assert_eq!(tree(&ctx.root), before, "{}", run.describe());
    assert_eq!(
        fs::read_to_string(ctx.root.join("srv/data/mine.txt")).ok(),
        Some("mine\n".to_string())
    );
    assert!(ctx.outside_root().is_empty(), "{:?}", ctx.outside_root());
}

#[test]
fn uninstall_by_package_restores_the_root_fhs() {
    round_trip(Layout::Fhs, false, false);
}

#[test]
fn uninstall_by_product_code_restores_the_root_windows() {
    round_trip(Layout::Windows, true, false);
}

#[test]
fn msiexec_x_product_code_qn_restores_the_root_fhs() {
    round_trip(Layout::Fhs, true, true);
}

#[test]
fn msiexec_x_package_qn_restores_the_root_windows() {
    round_trip(Layout::Windows, false, true);
}

#[test]
fn an_unknown_product_is_1605() {
    let ctx = Ctx::new();
    seed_root(&ctx.root);
    let before = tree(&ctx.root);
    let hello = example("hello/hello.msi");
    for run in [
        ctx.uninstall(HELLO_CODE, Layout::Fhs, &[]),
        ctx.uninstall(hello.to_str().expect("utf-8"), Layout::Fhs, &[]),
        msiexec_x(
            &ctx,
            "{00000000-0000-0000-0000-000000000000}",
            Layout::Windows,
        ),
    ] {
        run.assert_code_logged(1605);
        assert_eq!(run.code, Some(69));
        assert!(
            run.stderr.contains("rmsi: 1605 ERROR_UNKNOWN_PRODUCT"),
            "{}",
            run.describe()
        );
        assert_eq!(tree(&ctx.root), before);
    }
    // A root remembers its layout: asking for the other one is a usage error naming both,
    // not an unknown product.
    ctx.install(&hello, Layout::Fhs, &[]).assert_code(0);
    let run = ctx.uninstall(HELLO_CODE, Layout::Windows, &[]);
    run.assert_code(1639);
    assert!(
        run.stderr.contains("was installed with --layout fhs"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_file_held_open_during_removal_is_in_the_restart_manager_lines() {
    let ctx = Ctx::new();
    ctx.install(&package("inuse-v1.msi"), Layout::Fhs, &[])
        .assert_code_logged(0);
    let lib = ctx.root.join("opt/rmsi-tests/inuse/lib/libdemo.so");
    assert!(lib.is_file());
    let mut holder = Holder::map(&lib);
    let pid = holder.pid().to_string();
    let run = ctx.uninstall("{ignored}", Layout::Fhs, &[]);
    // `{ignored}` is no installed product.
    run.assert_code(1605);
    let run = ctx.uninstall(
        package("inuse-v1.msi").to_str().expect("utf-8"),
        Layout::Fhs,
        &[],
    );
    run.assert_code_logged(0);
    let rm = log::restart_manager(&run.log);
    assert!(
        rm.iter().any(|l| l.contains("Registered 1 file")),
        "the file to remove was not registered: {rm:?}"
    );
    assert!(
        rm.iter()
            .any(|l| l.split(|c: char| !c.is_ascii_digit()).any(|w| w == pid)
                && l.contains("python3")),
        "no RESTART MANAGER line names the holder (pid {pid})\n{}",
        run.describe()
    );
    assert!(
        rm.iter().any(|l| l.contains("shut down")),
        "{}",
        run.describe()
    );
    assert!(holder.exited_within(Duration::from_secs(5)));
    assert!(tree(&ctx.root).is_empty(), "{:?}", tree(&ctx.root));
}

#[test]
fn a_user_file_in_an_installed_folder_survives_with_its_folders() {
    let ctx = Ctx::new();
    let hello = example("hello/hello.msi");
    ctx.install(&hello, Layout::Fhs, &[]).assert_code_logged(0);
    fs::write(ctx.root.join("opt/rmsi-hello/doc/notes.txt"), "user\n").expect("write");
    let run = ctx.uninstall(HELLO_CODE, Layout::Fhs, &[]);
    run.assert_code_logged(0);
    assert_eq!(
        tree(&ctx.root),
        [
            "opt/",
            "opt/rmsi-hello/",
            "opt/rmsi-hello/doc/",
            "opt/rmsi-hello/doc/notes.txt"
        ],
        "{}",
        run.describe()
    );
    assert_eq!(
        fs::read_to_string(ctx.root.join("opt/rmsi-hello/doc/notes.txt")).ok(),
        Some("user\n".to_string())
    );
}

#[test]
fn a_failing_custom_action_rolls_the_removal_back() {
    let ctx = Ctx::new();
    let ca = package("ca.msi");
    ctx.install(&ca, Layout::Windows, &[]).assert_code_logged(0);
    let installed = tree(&ctx.root);
    // FailDeferred runs in the script after RemoveFiles' removals, and exits 3.
    let run = ctx.uninstall(ca.to_str().expect("utf-8"), Layout::Windows, &["FAILDEF=1"]);
    run.assert_code_logged(1603);
    assert!(run.log.contains("-- Removal failed."), "{}", run.describe());
    assert!(
        run.log
            .contains("Executing op: StagedChanges(Placed=0,Replaced=0,Removed=1"),
        "the file was never removed before the failure\n{}",
        run.describe()
    );
    assert_eq!(tree(&ctx.root), installed, "{}", run.describe());
    // Still installed: a removal without the failing action succeeds.
    let run = msiexec_x(
        &ctx,
        "{9C3E5A40-4D5E-4F60-B122-3D4E5F607181}",
        Layout::Windows,
    );
    run.assert_code_logged(0);
    assert!(tree(&ctx.root).is_empty(), "{:?}", tree(&ctx.root));
}

#[test]
fn usage_errors_are_1639() {
    let ctx = Ctx::new();
    let mut cmd = ctx.rmsi();
    cmd.arg("uninstall").arg("--root").arg(&ctx.root);
    let run = ctx.finish(&mut cmd);
    run.assert_code(1639);
    let mut cmd = ctx.rmsi();
    cmd.args(["uninstall", HELLO_CODE, "--root"])
        .arg(&ctx.root)
        .arg("notaproperty");
    let run = ctx.finish(&mut cmd);
    run.assert_code(1639);
    assert!(tree(&ctx.root).is_empty());
}

/// Every package of the shared corpus that installs (windows layout) uninstalls again by
/// its product code through `msiexec /x`, and leaves the root empty — but for the files of
/// components without a ComponentId, which Windows Installer never registers and so never
/// removes ("Component table"), and their folders.
#[test]
fn every_corpus_package_that_installs_uninstalls_to_an_empty_root() {
    let corpus = test_support::e2e::corpus_dir();
    let mut packages: Vec<std::path::PathBuf> = Vec::new();
    for entry in fs::read_dir(&corpus).expect("read the corpus") {
        let dir = entry.expect("corpus entry").path();
        if !dir.is_dir() {
            continue;
        }
        for f in fs::read_dir(&dir).expect("read a corpus entry") {
            let f = f.expect("corpus file").path();
            if f.extension().is_some_and(|x| x == "msi") {
                packages.push(f);
            }
        }
    }
    packages.sort();
    let queue = std::sync::Mutex::new(packages);
    let failures = std::sync::Mutex::new(Vec::new());
    let removed = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..6 {
            scope.spawn(|| {
                loop {
                    let Some(pkg) = queue.lock().expect("queue").pop() else {
                        return;
                    };
                    let ctx = Ctx::new();
                    let props = ["MSIRESTARTMANAGERCONTROL=Disable"];
                    if ctx.install(&pkg, Layout::Windows, &props).code != Some(0) {
                        continue;
                    }
                    let code = engine::Package::open(&pkg)
                        .ok()
                        .and_then(|p| p.property("ProductCode"))
                        .unwrap_or_default();
                    let run = msiexec_x(&ctx, &code, Layout::Windows);
                    let kept = unregistered_files(&pkg);
                    let left: Vec<String> = tree(&ctx.root)
                        .into_iter()
                        .filter(|p| {
                            let name = p.trim_end_matches('/').rsplit('/').next().unwrap_or(p);
                            !kept.contains(&name.to_ascii_lowercase())
                        })
                        .collect();
                    // Folders are left only as the kept files' folders.
                    let left: Vec<String> =
                        if left.iter().all(|p| p.ends_with('/')) && !kept.is_empty() {
                            Vec::new()
                        } else {
                            left
                        };
                    if run.code != Some(0) || !left.is_empty() {
                        failures.lock().expect("failures").push(format!(
                            "{}: exit {:?}, left {left:?}\n{}",
                            pkg.display(),
                            run.code,
                            run.stderr
                        ));
                    } else {
                        removed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("failures");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The corpus holds dozens of packages that install: the test must have removed them.
    assert!(
        removed.into_inner() >= 30,
        "too few corpus packages were installed and removed"
    );
}

/// The file names (lower-cased) of a package's components that have no ComponentId.
fn unregistered_files(pkg: &Path) -> std::collections::HashSet<String> {
    let Ok(p) = engine::Package::open(pkg) else {
        return Default::default();
    };
    let unregistered: std::collections::HashSet<String> = p
        .components()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.component_id.is_none())
        .map(|c| c.component)
        .collect();
    p.files()
        .unwrap_or_default()
        .into_iter()
        .filter(|f| unregistered.contains(&f.component))
        .map(|f| f.file_name.pick(false).to_ascii_lowercase())
        .collect()
}
