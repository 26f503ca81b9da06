//! An install killed with `SIGKILL` at any point is rolled back by the next run on that
//! root: `rmsi install` of the 5,000-file package over a root that already holds some of
//! its files (other contents) and an unrelated file, killed after N journal records by the
//! test-only hook `RMSI_TEST_CRASH_AFTER=N` (the engine sends itself `SIGKILL` right after
//! writing record N: during folder creation, in the middle of the renames, while replacing
//! existing files, at the registry write). The next run takes the root lock, finds the
//! journal, rolls back and logs it; the root must then equal the pre-install snapshot
//! exactly (tree, contents, modes), and a following install must succeed. Uninstall, repair
//! (`msiexec /famus`) and a patch's application (`msiexec /p`) get the same treatment, at
//! every change they record (their commit included), and so does an install writing
//! shortcuts, INI lines and environment values.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn packages() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/packages")
}

fn rmsi(rm: &Path) -> Command {
    let mut cmd = test_support::rmsi();
    cmd.env_remove("RMSI_LOG")
        .env_remove("RMSI_TEST_CRASH_AFTER")
        .env("RSTMGR_STATE_DIR", rm);
    cmd
}

fn install(rm: &Path, root: &Path, package: &Path, log: &Path, crash_after: Option<u64>) -> Output {
    let mut cmd = rmsi(rm);
    cmd.arg("install")
        .arg(package)
        .arg("--root")
        .arg(root)
        .args(["--ui", "none", "--log"])
        .arg(log);
    if let Some(n) = crash_after {
        cmd.env("RMSI_TEST_CRASH_AFTER", n.to_string());
    }
    cmd.output().expect("run rmsi install")
}

/// Every entry under `root`: relative path → (kind and mode, contents).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (String, Vec<u8>)> {
    fn rec(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, (String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let e = e.expect("entry");
            let p = e.path();
            let rel = p.strip_prefix(base).expect("prefix").to_path_buf();
            let meta = std::fs::symlink_metadata(&p).expect("lstat");
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                out.insert(rel, (format!("dir {mode:o}"), Vec::new()));
                rec(base, &p, out);
            } else if meta.file_type().is_symlink() {
                let to = std::fs::read_link(&p).expect("readlink");
                out.insert(
                    rel,
                    ("link".into(), to.into_os_string().into_encoded_bytes()),
                );
            } else {
                out.insert(
                    rel,
                    (format!("file {mode:o}"), std::fs::read(&p).expect("read")),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    rec(root, root, &mut out);
    out
}

/// A root that already holds every 10th file of the package with other contents, an
/// empty folder inside the install folder and an unrelated file.
fn prepare(root: &Path, files: &[PathBuf]) {
    for (i, rel) in files.iter().enumerate().filter(|(i, _)| i % 10 == 3) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, format!("old contents {i}\n")).expect("write");
    }
    let base = files[0]
        .parent()
        .and_then(Path::parent)
        .expect("install folder");
    std::fs::create_dir_all(root.join(base).join("empty-before")).expect("mkdir");
    std::fs::create_dir_all(root.join("home/user")).expect("mkdir");
    std::fs::write(root.join("home/user/notes.txt"), "mine\n").expect("write");
}

#[test]
fn a_killed_install_is_rolled_back_by_the_next_run() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let rm = tmp.path().join("rm");
    std::fs::create_dir(&rm).expect("mkdir");
    let package = packages().join("many-files.msi");

    // A clean install tells where the package's files go.
    let reference = tmp.path().join("reference");
    let out = install(&rm, &reference, &package, &tmp.path().join("ref.log"), None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = snapshot(&reference);
    let files: Vec<PathBuf> = installed
        .iter()
        .filter(|(p, (kind, _))| kind.starts_with("file") && p.starts_with("opt"))
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(files.len(), 5000);

    // Records over the prepared root (its folders all exist): 5,000 placements, two
    // records for each of the 500 replaced files, then the registry write (5,501).
    for crash_after in [4, 2_000, 5_500, 5_501] {
        let root = tmp.path().join(format!("root-{crash_after}"));
        prepare(&root, &files);
        let before = snapshot(&root);
        let log = tmp.path().join(format!("crash-{crash_after}.log"));

        let out = install(&rm, &root, &package, &log, Some(crash_after));
        assert_eq!(
            out.status.signal(),
            Some(9),
            "crash point {crash_after}: the install was not killed ({:?}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let crashed = snapshot(&root);
        assert_ne!(
            crashed, before,
            "crash point {crash_after}: nothing was changed"
        );
        assert!(
            root.join("var/lib/rmsi/journal").is_file(),
            "crash point {crash_after}: no journal left"
        );

        // The next run on the root: a package that cannot be opened still takes the root
        // lock first, so it rolls the root back and then fails (1619) without changing it.
        let recover_log = tmp.path().join(format!("recover-{crash_after}.log"));
        let out = install(
            &rm,
            &root,
            &tmp.path().join("missing.msi"),
            &recover_log,
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(1619 % 256),
            "crash point {crash_after}"
        );
        let text = std::fs::read_to_string(&recover_log).expect("log");
        assert!(
            text.contains("Rollback of an interrupted installation"),
            "crash point {crash_after}: {text}"
        );
        let after = snapshot(&root);
        if after != before {
            let diff: Vec<_> = before
                .keys()
                .chain(after.keys())
                .filter(|k| before.get(*k) != after.get(*k))
                .take(10)
                .collect();
            panic!("crash point {crash_after}: root differs from before the install: {diff:?}");
        }

        // And an install afterwards succeeds, with every file of the package.
        let out = install(&rm, &root, &package, &tmp.path().join("again.log"), None);
        assert_eq!(out.status.code(), Some(0), "crash point {crash_after}");
        let done = snapshot(&root);
        for f in files.iter().step_by(97) {
            assert_eq!(done.get(f), installed.get(f), "{}", f.display());
        }
        assert!(!root.join("var/lib/rmsi/journal").exists());
        std::fs::remove_dir_all(&root).expect("clean up");
    }
}

#[test]
fn the_next_install_itself_rolls_back_then_installs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let rm = tmp.path().join("rm");
    std::fs::create_dir(&rm).expect("mkdir");
    let package = packages().join("../../../../examples/hello/hello.msi");
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("srv")).expect("mkdir");
    std::fs::write(root.join("srv/keep"), "keep\n").expect("write");
    let before = snapshot(&root);
    let out = install(&rm, &root, &package, &tmp.path().join("a.log"), Some(2));
    assert_eq!(out.status.signal(), Some(9), "{:?}", out.status);
    assert_ne!(snapshot(&root), before);
    let log = tmp.path().join("b.log");
    let out = install(&rm, &root, &package, &log, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("Rollback of an interrupted installation"),
        "{text}"
    );
    assert!(root.join("opt/rmsi-hello/hello.txt").is_file());
    assert!(!root.join("var/lib/rmsi/journal").exists());
    // Only the finished install's own state is left beside the payload.
    let staging: Vec<_> = std::fs::read_dir(root.join("var/lib/rmsi"))
        .expect("state")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("staging-"))
        .collect();
    assert!(staging.is_empty());
}

/// A first install into an empty root places each new folder whole (one journal record,
/// one rename): killed before that rename or after it, the next run leaves the root empty.
#[test]
fn a_killed_first_install_leaves_an_empty_root_empty() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let rm = tmp.path().join("rm");
    std::fs::create_dir(&rm).expect("mkdir");
    let package = packages().join("many-files.msi");
    // Records: the new `opt` folder, whole; then the registry write.
    for crash_after in [1, 2] {
        let root = tmp.path().join(format!("root-{crash_after}"));
        std::fs::create_dir(&root).expect("mkdir");
        let log = tmp.path().join(format!("crash-{crash_after}.log"));
        let out = install(&rm, &root, &package, &log, Some(crash_after));
        assert_eq!(
            out.status.signal(),
            Some(9),
            "crash point {crash_after}: {:?}",
            out.status
        );
        assert!(root.join("var/lib/rmsi/journal").is_file());
        assert_eq!(
            root.join("opt/rmsi-many-files/d07/f0700.txt").is_file(),
            crash_after == 2,
            "crash point {crash_after}"
        );
        let out = install(
            &rm,
            &root,
            &tmp.path().join("missing.msi"),
            &tmp.path().join(format!("recover-{crash_after}.log")),
            None,
        );
        assert_eq!(out.status.code(), Some(1619 % 256));
        assert_eq!(
            snapshot(&root),
            BTreeMap::new(),
            "crash point {crash_after}: the root is not empty again"
        );
        let out = install(&rm, &root, &package, &tmp.path().join("again.log"), None);
        assert_eq!(out.status.code(), Some(0), "crash point {crash_after}");
        assert!(root.join("opt/rmsi-many-files/d07/f0700.txt").is_file());
    }
}

/// A root's entries with version 1's removal record left out. (Version 1's removal-time
/// custom action records its run in a file of its own: what a custom action did is its own
/// business, as on Windows.)
fn upgrade_product(root: &Path) -> BTreeMap<PathBuf, (String, Vec<u8>)> {
    let mut all = snapshot(root);
    all.remove(Path::new("var/lib/upgrade-removals.txt"));
    all
}

/// Installs `upgrade-v1.msi` into a fresh root, then `v2` killed after its `N`th recorded
/// change, then lets the next run recover the root; for each `N` that killed it, calls
/// `check(N, before, after)` with the root before the upgrade and after the recovery, until
/// the upgrade runs to its end. Returns how many crash points were reached.
fn upgrade_crash_points(
    v2: &str,
    mut check: impl FnMut(
        u64,
        &BTreeMap<PathBuf, (String, Vec<u8>)>,
        &BTreeMap<PathBuf, (String, Vec<u8>)>,
    ),
) -> usize {
    let tmp = tempfile::tempdir().expect("temp dir");
    let rm = tmp.path().join("rm");
    std::fs::create_dir(&rm).expect("mkdir");
    let v1 = packages().join("upgrade-v1.msi");
    let v2 = packages().join(v2);
    let mut killed = 0;
    for crash_after in 1..40 {
        let root = tmp.path().join(format!("root-{crash_after}"));
        std::fs::create_dir(&root).expect("mkdir");
        let out = install(&rm, &root, &v1, &tmp.path().join("v1.log"), None);
        assert_eq!(out.status.code(), Some(0), "v1");
        let before = upgrade_product(&root);
        let log = tmp.path().join(format!("upgrade-{crash_after}.log"));
        let out = install(&rm, &root, &v2, &log, Some(crash_after));
        if out.status.signal() != Some(9) {
            // Fewer changes than this: the upgrade ran to its end.
            assert_eq!(out.status.code(), Some(0), "crash point {crash_after}");
            break;
        }
        killed += 1;
        let out = install(
            &rm,
            &root,
            &tmp.path().join("missing.msi"),
            &tmp.path().join(format!("recover-{crash_after}.log")),
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(1619 % 256),
            "crash point {crash_after}"
        );
        check(crash_after, &before, &upgrade_product(&root));
    }
    killed
}

/// A major upgrade whose RemoveExistingProducts runs inside its transaction (after
/// InstallExecute): killed at any recorded change — placing the new files, removing the old
/// product, writing the registry — the next run puts version 1 back exactly.
#[test]
fn a_killed_upgrade_gets_the_old_product_back() {
    let killed = upgrade_crash_points("upgrade-v2-exec.msi", |crash_after, before, after| {
        if after != before {
            let diff: Vec<_> = before
                .keys()
                .chain(after.keys())
                .filter(|k| before.get(*k) != after.get(*k))
                .take(10)
                .collect();
            panic!("crash point {crash_after}: root differs from version 1's: {diff:?}");
        }
    });
    assert!(killed >= 5, "only {killed} crash points were reached");
}

/// The same upgrade with RemoveExistingProducts right after InstallValidate: version 1's
/// removal is a transaction of its own, committed before the new install starts (as on
/// Windows). Killed at any recorded change, the next run leaves either version 1 exactly
/// (killed during its removal) or neither version (killed during the new install), and
/// never half of one.
#[test]
fn a_killed_early_upgrade_leaves_version_1_or_neither() {
    let (mut kept, mut neither) = (0, 0);
    upgrade_crash_points("upgrade-v2.msi", |crash_after, before, after| {
        if after == before {
            kept += 1;
            return;
        }
        // Version 1 gone (its removal committed), nothing of version 2 placed.
        let payload: Vec<&PathBuf> = after
            .keys()
            .filter(|p| p.starts_with("opt") && after[*p].0.starts_with("file"))
            .collect();
        assert!(
            payload.is_empty(),
            "crash point {crash_after}: neither version 1 nor an empty product folder: {payload:?}"
        );
        neither += 1;
    });
    assert!(kept >= 1 && neither >= 1, "kept {kept}, neither {neither}");
}

/// Registry writes are part of the transaction: with `registry.msi` installed, an install
/// of `registry-cleaner.msi` (which writes values and deletes others with RemoveRegistry)
/// and an uninstall of `registry.msi` are each killed after every journal record in turn;
/// the next run restores the root — files, product records and registry, all in the
/// product database — byte for byte, and the interrupted command then succeeds.
#[test]
fn a_killed_install_or_uninstall_rolls_the_registry_back() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let rm = tmp.path().join("rm");
    std::fs::create_dir(&rm).expect("mkdir");
    let registry = packages().join("registry.msi");
    let cleaner = packages().join("registry-cleaner.msi");
    let run = |args: &[&std::ffi::OsStr], root: &Path, log: &Path, crash: Option<u64>| {
        let mut cmd = rmsi(&rm);
        cmd.args(args)
            .arg("--root")
            .arg(root)
            .args(["--ui", "none", "--log"])
            .arg(log);
        if let Some(n) = crash {
            cmd.env("RMSI_TEST_CRASH_AFTER", n.to_string());
        }
        cmd.output().expect("run rmsi")
    };
    let install_cmd: [&std::ffi::OsStr; 2] = ["install".as_ref(), cleaner.as_os_str()];
    let uninstall_cmd: [&std::ffi::OsStr; 2] = ["uninstall".as_ref(), registry.as_os_str()];
    for (what, cmd) in [("install", install_cmd), ("uninstall", uninstall_cmd)] {
        let (mut killed, mut db_written) = (0, 0);
        for crash_after in 1..=40 {
            let root = tmp.path().join(format!("root-{what}-{crash_after}"));
            let log = tmp.path().join("setup.log");
            let out = install(&rm, &root, &registry, &log, None);
            assert_eq!(out.status.code(), Some(0), "setup");
            let before = snapshot(&root);
            let log = tmp.path().join(format!("{what}-{crash_after}.log"));
            let out = run(&cmd, &root, &log, Some(crash_after));
            if out.status.signal() != Some(9) {
                // Fewer records than `crash_after`: the command ran to its end.
                assert_eq!(out.status.code(), Some(0), "{what} {crash_after}");
                assert!(killed > 0, "{what}: never killed");
                break;
            }
            killed += 1;
            let db = PathBuf::from("var/lib/rmsi/products.db");
            if snapshot(&root).get(&db) != before.get(&db) {
                db_written += 1;
            }
            let recover = tmp.path().join(format!("recover-{what}-{crash_after}.log"));
            let out = install(&rm, &root, &tmp.path().join("missing.msi"), &recover, None);
            assert_eq!(out.status.code(), Some(1619 % 256), "{what} {crash_after}");
            let after = snapshot(&root);
            let diff: Vec<_> = before
                .keys()
                .chain(after.keys())
                .filter(|k| before.get(*k) != after.get(*k))
                .collect();
            assert!(
                diff.is_empty(),
                "{what} killed after record {crash_after}: differs: {diff:?}"
            );
            let out = run(&cmd, &root, &log, None);
            assert_eq!(out.status.code(), Some(0), "{what} {crash_after} again");
            std::fs::remove_dir_all(&root).expect("clean up");
        }
        assert!(killed >= 2, "{what}: killed only {killed} times");
        // The database is written just before the commit point, so only the last crash
        // point (the commit itself, which the hook counts as a change) sees it written.
        assert!(
            db_written <= 1,
            "{what}: the database changes at the commit only ({db_written} crash points saw it)"
        );
        // Killed right after the product database (records and registry) was written,
        // before the transaction's commit point: the database comes back as it was.
        let root = tmp.path().join(format!("root-{what}-state"));
        let out = install(&rm, &root, &registry, &tmp.path().join("setup.log"), None);
        assert_eq!(out.status.code(), Some(0), "setup");
        let before = snapshot(&root);
        let mut killer = rmsi(&rm);
        killer
            .args(cmd)
            .arg("--root")
            .arg(&root)
            .args(["--ui", "none"])
            .env("RMSI_TEST_CRASH_AFTER_STATE", "1");
        let out = killer.output().expect("run rmsi");
        assert_eq!(out.status.signal(), Some(9), "{what}: not killed");
        let db = PathBuf::from("var/lib/rmsi/products.db");
        assert_ne!(
            snapshot(&root).get(&db),
            before.get(&db),
            "{what}: db unchanged"
        );
        let recover = tmp.path().join(format!("recover-{what}-state.log"));
        let out = install(&rm, &root, &tmp.path().join("missing.msi"), &recover, None);
        assert_eq!(out.status.code(), Some(1619 % 256));
        assert_eq!(snapshot(&root), before, "{what}: not rolled back");
    }
}

/// The system and user Environment keys of `root`'s registry, as `rmsi reg query` prints
/// them.
fn environment(rm: &Path, root: &Path) -> String {
    let mut text = String::new();
    for key in [
        r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment",
        r"HKCU\Environment",
    ] {
        let out = rmsi(rm)
            .args(["reg", "query", key, "--root"])
            .arg(root)
            .output()
            .expect("run rmsi reg query");
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        text.push_str(&String::from_utf8(out.stdout).expect("utf-8"));
    }
    text
}

/// A root for `shell-env.msi`: the INI file its RemoveIniFile rows edit, and `env.msi`
/// installed, whose values (a system Path, user variables) the package then changes.
fn shell_env_root(rm: &Path, root: &Path, ini: &str, log: &Path) {
    std::fs::create_dir_all(root.join("usr/lib/windows")).expect("mkdir");
    std::fs::write(root.join("usr/lib/windows/shared.ini"), ini).expect("write");
    let out = install(rm, root, &packages().join("env.msi"), log, None);
    assert_eq!(out.status.code(), Some(0), "env.msi");
}

/// An install that writes shortcuts, an icon, INI lines and environment values
/// (`shell-env.msi`: `shell.msi` with Environment rows), over a root whose INI file it
/// edits and whose Environment keys hold values it appends to, prepends to and removes,
/// killed after each of its recorded changes in turn: the next run puts the root back
/// exactly (the edited INI file's original content included), and the registry's
/// Environment keys read back as they were.
#[test]
fn a_killed_install_of_shortcuts_ini_lines_and_environment_is_rolled_back() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let rm = tmp.path().join("rm");
    std::fs::create_dir(&rm).expect("mkdir");
    let package = packages().join("shell-env.msi");
    let (mut killed, mut db_written) = (0, 0);
    let db = PathBuf::from("var/lib/rmsi/products.db");
    for crash_after in 1..200 {
        let root = tmp.path().join(format!("root-{crash_after}"));
        shell_env_root(
            &rm,
            &root,
            "[Old]\r\nKeep=kept value\r\nObsolete=1\r\nTags=old,new,other\r\n",
            &tmp.path().join("env.log"),
        );
        let before = snapshot(&root);
        let env_before = environment(&rm, &root);
        assert!(env_before.contains("RMSI_KEEP"), "{env_before}");
        let log = tmp.path().join(format!("shell-{crash_after}.log"));
        let out = install(&rm, &root, &package, &log, Some(crash_after));
        if out.status.signal() != Some(9) {
            // Fewer records than N: the install ran to its end.
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let desktop = snapshot(&root)
                .keys()
                .filter(|p| p.extension().is_some_and(|e| e == "desktop"))
                .count();
            assert_eq!(desktop, 4);
            // The Environment rows did change the keys.
            let env = environment(&rm, &root);
            assert!(
                env.contains("RMSI_SHELL") && !env.contains("RMSI_KEEP"),
                "{env}"
            );
            break;
        }
        killed += 1;
        if snapshot(&root).get(&db) != before.get(&db) {
            db_written += 1;
        }
        let out = install(
            &rm,
            &root,
            &tmp.path().join("missing.msi"),
            &tmp.path().join(format!("shell-recover-{crash_after}.log")),
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(1619 % 256),
            "crash point {crash_after}"
        );
        let after = snapshot(&root);
        if after != before {
            let diff: Vec<_> = before
                .keys()
                .chain(after.keys())
                .filter(|k| before.get(*k) != after.get(*k))
                .collect();
            panic!("crash point {crash_after}: root differs from before the install: {diff:?}");
        }
        assert_eq!(
            environment(&rm, &root),
            env_before,
            "crash point {crash_after}: the Environment keys"
        );
        std::fs::remove_dir_all(&root).expect("clean up");
    }
    // The shortcuts' folders, the icon's, the INI files and the registry each make records.
    assert!(killed >= 5, "only {killed} crash points");
    // Killed at the commit point, the registry (the environment values with it) was
    // written and had to come back.
    assert_eq!(db_written, 1, "crash points that saw the registry written");
}

/// The removal of `shell-env.msi` (its shortcuts, icon, INI lines and environment
/// values), killed after each of its recorded changes in turn: the next run puts the
/// product back exactly as installed, the Environment keys included.
#[test]
fn a_killed_removal_of_shortcuts_ini_lines_and_environment_is_rolled_back() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let rm = tmp.path().join("rm");
    std::fs::create_dir(&rm).expect("mkdir");
    let package = packages().join("shell-env.msi");
    let mut killed = 0;
    for crash_after in 1..200 {
        let root = tmp.path().join(format!("root-{crash_after}"));
        shell_env_root(
            &rm,
            &root,
            "[Old]\r\nKeep=kept value\r\nObsolete=1\r\n",
            &tmp.path().join("env.log"),
        );
        let env_only: Vec<PathBuf> = snapshot(&root)
            .into_iter()
            .filter(|(p, (kind, _))| kind.starts_with("file") && !p.ends_with("shared.ini"))
            .map(|(p, _)| p)
            .collect();
        let out = install(&rm, &root, &package, &tmp.path().join("i.log"), None);
        assert_eq!(out.status.code(), Some(0));
        let installed = snapshot(&root);
        let env_installed = environment(&rm, &root);
        let mut cmd = rmsi(&rm);
        cmd.args([
            "uninstall",
            "{5E11A0B0-1C2D-4E3F-8A9B-0C1D2E3F4A50}",
            "--root",
        ])
        .arg(&root)
        .args(["--ui", "none"])
        .env("RMSI_TEST_CRASH_AFTER", crash_after.to_string());
        let out = cmd.output().expect("run rmsi uninstall");
        if out.status.signal() != Some(9) {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // Removed: what is left is env.msi's and the root's own file, edited by
            // RemoveIniFile.
            let mut left: Vec<PathBuf> = snapshot(&root)
                .into_iter()
                .filter(|(p, (kind, _))| kind.starts_with("file") && !env_only.contains(p))
                .map(|(p, _)| p)
                .collect();
            left.sort();
            assert_eq!(left, [PathBuf::from("usr/lib/windows/shared.ini")]);
            let env = environment(&rm, &root);
            assert!(
                !env.contains("RMSI_SHELL") && !env.contains("shell/"),
                "{env}"
            );
            break;
        }
        killed += 1;
        let out = install(
            &rm,
            &root,
            &tmp.path().join("missing.msi"),
            &tmp.path()
                .join(format!("shell-unrecover-{crash_after}.log")),
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(1619 % 256),
            "crash point {crash_after}"
        );
        let after = snapshot(&root);
        if after != installed {
            let diff: Vec<_> = installed
                .keys()
                .chain(after.keys())
                .filter(|k| installed.get(*k) != after.get(*k))
                .collect();
            panic!("crash point {crash_after}: root differs from the installed one: {diff:?}");
        }
        assert_eq!(
            environment(&rm, &root),
            env_installed,
            "crash point {crash_after}: the Environment keys"
        );
        std::fs::remove_dir_all(&root).expect("clean up");
    }
    assert!(killed >= 5, "only {killed} crash points");
}

fn uninstall(rm: &Path, root: &Path, code: &str, log: &Path, crash_after: Option<u64>) -> Output {
    let mut cmd = rmsi(rm);
    cmd.args(["uninstall", code, "--root"])
        .arg(root)
        .args(["--ui", "none", "--log"])
        .arg(log);
    if let Some(n) = crash_after {
        cmd.env("RMSI_TEST_CRASH_AFTER", n.to_string());
    }
    cmd.output().expect("run rmsi uninstall")
}

/// An uninstall killed at each change it records (the files moved aside, the folders
/// removed, the registry write, the commit): the next run — one that fails at once, then
/// the uninstall by product code — finds the product exactly as installed, and removes it
/// to the last folder.
#[test]
fn a_killed_uninstall_leaves_the_product_installed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let rm = tmp.path().join("rm");
    std::fs::create_dir(&rm).expect("mkdir");
    let package = packages().join("../../../../examples/hello/hello.msi");
    let code = "{0D4F6B50-5E6F-4071-8233-4E5F60718291}";
    let mut killed = 0;
    for crash_after in 1..40 {
        let root = tmp.path().join(format!("root-{crash_after}"));
        std::fs::create_dir_all(root.join("srv")).expect("mkdir");
        std::fs::write(root.join("srv/keep"), "keep\n").expect("write");
        let empty = snapshot(&root);
        let out = install(&rm, &root, &package, &tmp.path().join("i.log"), None);
        assert_eq!(out.status.code(), Some(0));
        let installed = snapshot(&root);
        let log = tmp.path().join(format!("uninstall-{crash_after}.log"));
        let out = uninstall(&rm, &root, code, &log, Some(crash_after));
        if out.status.signal() != Some(9) {
            // Fewer changes than this: the uninstall ran to its end.
            assert_eq!(out.status.code(), Some(0), "crash point {crash_after}");
            assert_eq!(snapshot(&root), empty, "crash point {crash_after}");
            break;
        }
        killed += 1;
        assert!(
            root.join("var/lib/rmsi/journal").is_file(),
            "crash point {crash_after}: no journal left"
        );
        let out = install(
            &rm,
            &root,
            &tmp.path().join("missing.msi"),
            &tmp.path().join(format!("recover-{crash_after}.log")),
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(1619 % 256),
            "crash point {crash_after}"
        );
        let after = snapshot(&root);
        if after != installed {
            let diff: Vec<_> = installed
                .keys()
                .chain(after.keys())
                .filter(|k| installed.get(*k) != after.get(*k))
                .take(10)
                .collect();
            panic!("crash point {crash_after}: root differs from the installed product: {diff:?}");
        }
        let out = uninstall(&rm, &root, code, &log, None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "crash point {crash_after}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(snapshot(&root), empty, "crash point {crash_after}");
    }
    // Three files, their folders, the registry, the commit.
    assert!(killed >= 5, "only {killed} crash points were reached");
}

/// `rmsi ARGS --root ROOT`, killed after its `N`th recorded change when `crash_after` is
/// given.
fn run_in(rm: &Path, root: &Path, args: &[std::ffi::OsString], crash_after: Option<u64>) -> Output {
    let mut cmd = rmsi(rm);
    cmd.args(args).arg("--root").arg(root);
    if let Some(n) = crash_after {
        cmd.env("RMSI_TEST_CRASH_AFTER", n.to_string());
    }
    cmd.output().expect("run rmsi")
}

/// Kills `rmsi ARGS` after each of its recorded changes in turn, each time on a root that
/// `prepare` made afresh: the next run (one that fails at once, 1619) must put the root
/// back exactly as it was before the killed run — tree, contents, modes, and the product
/// database's bytes (product records, patch records and registry values) —, then `rmsi
/// ARGS` run again must succeed and pass `done`. Stops at the first `N` the run survives
/// (it must then succeed and pass `done` too); returns how many crash points killed it.
fn every_crash_point(
    name: &str,
    prepare: impl Fn(&Path, &Path),
    args: &[std::ffi::OsString],
    done: impl Fn(&Path, &Path),
) -> usize {
    let tmp = tempfile::tempdir().expect("temp dir");
    let rm = tmp.path().join("rm");
    std::fs::create_dir(&rm).expect("mkdir");
    let mut killed = 0;
    for crash_after in 1..200 {
        let root = tmp.path().join(format!("{name}-{crash_after}"));
        std::fs::create_dir(&root).expect("mkdir");
        prepare(&rm, &root);
        let before = snapshot(&root);
        let out = run_in(&rm, &root, args, Some(crash_after));
        if out.status.signal() != Some(9) {
            // Fewer changes than this: the run went to its end.
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name}, crash point {crash_after}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            done(&rm, &root);
            break;
        }
        killed += 1;
        assert!(
            root.join("var/lib/rmsi/journal").is_file(),
            "{name}, crash point {crash_after}: no journal left"
        );
        let recover = tmp.path().join(format!("recover-{name}-{crash_after}.log"));
        let out = install(&rm, &root, &tmp.path().join("missing.msi"), &recover, None);
        assert_eq!(
            out.status.code(),
            Some(1619 % 256),
            "{name}, crash point {crash_after}"
        );
        let text = std::fs::read_to_string(&recover).expect("log");
        assert!(
            text.contains("Rollback of an interrupted installation"),
            "{name}, crash point {crash_after}: {text}"
        );
        let after = snapshot(&root);
        let diff: Vec<_> = before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .take(10)
            .collect();
        assert!(
            diff.is_empty(),
            "{name} killed after record {crash_after}: the root differs: {diff:?}"
        );
        let out = run_in(&rm, &root, args, None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name} after crash point {crash_after}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        done(&rm, &root);
        std::fs::remove_dir_all(&root).expect("clean up");
    }
    killed
}

/// `rmsi verify PRODUCT --json`'s differences.
fn differences(rm: &Path, root: &Path, product: &str) -> Vec<serde_json::Value> {
    let out = run_in(
        rm,
        root,
        &["verify".into(), product.into(), "--json".into()],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["differences"].as_array().expect("differences").clone()
}

/// A repair (`msiexec /famus PRODUCT`: every file again, the registry values rewritten)
/// of `registry.msi` whose file was changed and whose registry lost a value and had
/// another changed: killed at each change it records, the next run puts the damaged
/// product back exactly as it was (files, registry values, product records), and the
/// repair run again then mends it.
#[test]
fn a_killed_repair_is_rolled_back_to_the_installed_product() {
    const PRODUCT: &str = "{6B1D9A20-3C4E-4F50-8A61-7B8C9D0E1F20}";
    let prepare = |rm: &Path, root: &Path| {
        let log = root.with_extension("setup.log");
        let out = install(rm, root, &packages().join("registry.msi"), &log, None);
        assert_eq!(out.status.code(), Some(0), "registry.msi");
        std::fs::write(root.join("opt/rmsi-registry/app.txt"), "other contents\n").expect("write");
        let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.execute(\"DELETE FROM winreg_values WHERE name='Dword'\")\nc.execute(\"UPDATE winreg_values SET data=X'0B' WHERE name='Bin'\")\nc.commit()\n";
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(root.join("var/lib/rmsi/products.db"))
            .output()
            .expect("python3");
        assert!(out.status.success(), "{out:?}");
        assert_eq!(differences(rm, root, PRODUCT).len(), 3);
    };
    let args: Vec<std::ffi::OsString> = ["msiexec", "/famus", PRODUCT, "/qn"]
        .map(Into::into)
        .to_vec();
    let killed = every_crash_point("repair", prepare, &args, |rm, root| {
        assert_eq!(
            differences(rm, root, PRODUCT),
            Vec::<serde_json::Value>::new()
        );
        assert_eq!(
            std::fs::read_to_string(root.join("opt/rmsi-registry/app.txt")).expect("read"),
            "registry payload\n"
        );
    });
    // The file moved aside and replaced, the registry write, the commit.
    assert!(killed >= 3, "only {killed} crash points were reached");
}

/// The corpus's WiX patch PatchABv101 (`msiexec /p`) applied to the installed prodAv100
/// (the one of its two target products installed: each product is patched in a session
/// and a transaction of its own, as on Windows), replacing its file: killed at each change
/// it records, the next run leaves the product unpatched exactly as it was — its file, its
/// records, no patch record and no cached `.msp` —, and the patch applied again is
/// recorded with it.
#[test]
fn a_killed_patch_application_is_rolled_back() {
    let corpus = test_support::corpus_dir();
    let product = |name: &str| {
        corpus
            .join(format!("wix3-PerMachineMsisMsps-{name}"))
            .join(format!("{name}.msi"))
    };
    let prepare = |rm: &Path, root: &Path| {
        let args: Vec<std::ffi::OsString> = vec![
            "msiexec".into(),
            "/i".into(),
            product("prodAv100").into(),
            "/qn".into(),
        ];
        let out = run_in(rm, root, &args, None);
        assert_eq!(out.status.code(), Some(0), "prodAv100");
    };
    let patch = corpus.join("wix3-PerMachineMsisMsps-patches/PatchABv101.msp");
    let args: Vec<std::ffi::OsString> =
        vec!["msiexec".into(), "/p".into(), patch.into(), "/qn".into()];
    let killed = every_crash_point("patch", prepare, &args, |rm, root| {
        let out = run_in(rm, root, &["list".into(), "--json".into()], None);
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let products = list["products"].as_array().expect("products");
        assert_eq!(products.len(), 1, "{list}");
        for p in products {
            assert_eq!(
                p["patches"][0]["patch_code"], "{B94D3D25-9FC6-468D-A804-97AFB27746C1}",
                "{list}"
            );
        }
    });
    // The file replaced, the registry write, the commit.
    assert!(killed >= 3, "only {killed} crash points were reached");
}
