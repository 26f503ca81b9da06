//! Costing a real (`wixl`-built) package: feature selection by INSTALLLEVEL,
//! the Condition table and ADDLOCAL/REMOVE; component conditions; targets
//! and sources; the file versioning rules against files already in the
//! root; removal; RemoveFile and DuplicateFile rows.

use std::path::{Path, PathBuf};

use crate::model_util::{MODEL_FIXUPS, MODEL_WXS, build, model_package};
use engine::{
    CabinetLocation, CostPlan, FileAction, FileSource, InitOptions, InstalledState, Layout,
    Package, Properties, SkipReason, initialize, plan,
};
use msi_expr::{ConditionResult, InstallState};

struct Run {
    plan: CostPlan,
    props: Properties,
}

fn cost(msi: &Path, root: &Path, layout: Layout, cmdline: &[(&str, &str)]) -> Run {
    cost_installed(msi, root, layout, cmdline, None)
}

fn cost_installed(
    msi: &Path,
    root: &Path,
    layout: Layout,
    cmdline: &[(&str, &str)],
    installed: Option<&InstalledState>,
) -> Run {
    let package = Package::open(msi).unwrap();
    let mut props = Properties::new();
    let mut opts = InitOptions::new(root, layout);
    opts.command_line = cmdline
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    opts.installed = installed.is_some();
    initialize(&mut props, &package, &opts).unwrap();
    let plan = plan(&package, &mut props, root, installed).unwrap();
    Run { plan, props }
}

fn action(run: &Run, file: &str) -> Option<FileAction> {
    run.plan.file(file).map(|f| f.action.clone())
}

fn app_dir(root: &Path) -> PathBuf {
    root.join("opt/Model App")
}

#[test]
fn default_selection_by_install_level() {
    let (_d, msi) = model_package();
    let root = tempfile::tempdir().unwrap();
    let run = cost(&msi, root.path(), Layout::Fhs, &[]);
    let f = |k: &str| run.plan.feature(k).unwrap();
    assert_eq!(
        (f("Main").request, f("Main").action),
        (InstallState::Local, InstallState::Local)
    );
    assert_eq!(f("Extra").level, 3);
    assert_eq!(f("Extra").action, InstallState::Unknown);
    let c = |k: &str| run.plan.component(k).unwrap();
    assert_eq!(c("CompA").action, InstallState::Local);
    assert_eq!(c("CompB").action, InstallState::Local);
    assert!(!c("CompCond").enabled, "ENABLECOND is not set");
    assert_eq!(c("CompCond").action, InstallState::Unknown);
    assert_eq!(c("CompC").action, InstallState::Unknown);

    let keys: Vec<&str> = run.plan.files.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    let a = run.plan.file("FileA").unwrap();
    assert_eq!(a.target, app_dir(root.path()).join("a.txt"));
    assert_eq!(a.action, FileAction::Install { overwrite: false });
    match &a.source {
        Some(FileSource::Cabinet {
            cabinet,
            name,
            disk_id,
            ..
        }) => {
            assert_eq!(cabinet, &CabinetLocation::Embedded("data.cab".into()));
            assert_eq!(name, "FileA");
            assert_eq!(*disk_id, 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        run.plan.file("FileB").unwrap().target,
        app_dir(root.path()).join("sub/b.txt")
    );
    assert_eq!(run.plan.create_folders, vec![app_dir(root.path())]);
    // Directory keys are properties now, and states feed conditions.
    let install_dir = format!("{}/", app_dir(root.path()).display());
    assert_eq!(run.props.get_str("INSTALLDIR"), Some(install_dir.as_str()));
    assert_eq!(run.props.evaluate("&Main = 3"), ConditionResult::True);
    assert_eq!(
        run.props.evaluate("$CompA = 3 AND ?CompA = 2"),
        ConditionResult::True
    );
    assert_eq!(run.props.evaluate("&Extra = 3"), ConditionResult::False);
    assert_eq!(
        run.props.format("[#FileA]"),
        app_dir(root.path()).join("a.txt").display().to_string()
    );
    assert_eq!(run.props.format("[$CompB]"), format!("{install_dir}sub/"));
    assert!(run.plan.log_lines().contains(
        &"Feature: Extra; Installed: Absent;   Request: Absent;   Action: Null".to_string()
    ));
    assert_eq!(
        fs_err::read_dir(root.path()).unwrap().count(),
        0,
        "costing writes nothing"
    );
}

#[test]
fn condition_table_levels_and_state_requests() {
    let (_d, msi) = model_package();
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let extra = |run: &Run| run.plan.feature("Extra").unwrap().action;
    // The Condition table lowers Extra's level to 1.
    let run = cost(&msi, r, Layout::Fhs, &[("WANTEXTRA", "1")]);
    assert_eq!(extra(&run), InstallState::Local);
    assert!(run.plan.file("FileC").is_some());
    // INSTALLLEVEL 3 selects it too.
    assert_eq!(
        extra(&cost(&msi, r, Layout::Fhs, &[("INSTALLLEVEL", "3")])),
        InstallState::Local
    );
    // With a state request, the Condition table is not evaluated.
    let run = cost(
        &msi,
        r,
        Layout::Fhs,
        &[("WANTEXTRA", "1"), ("ADDLOCAL", "Main")],
    );
    assert_eq!(extra(&run), InstallState::Unknown);
    assert_eq!(run.props.get_str("Preselected"), Some("1"));
    // ADDLOCAL=ALL, then REMOVE overrides it for one feature.
    assert_eq!(
        extra(&cost(&msi, r, Layout::Fhs, &[("ADDLOCAL", "ALL")])),
        InstallState::Local
    );
    let run = cost(
        &msi,
        r,
        Layout::Fhs,
        &[("ADDLOCAL", "ALL"), ("REMOVE", "Extra")],
    );
    assert_eq!(extra(&run), InstallState::Unknown);
    assert_eq!(
        run.plan.feature("Main").unwrap().action,
        InstallState::Local
    );
    // Feature names are case-sensitive.
    let run = cost(&msi, r, Layout::Fhs, &[("ADDLOCAL", "extra")]);
    assert_eq!(extra(&run), InstallState::Unknown);
    assert_eq!(
        run.plan.feature("Main").unwrap().action,
        InstallState::Unknown
    );
    // A component condition.
    let run = cost(&msi, r, Layout::Fhs, &[("ENABLECOND", "1")]);
    assert_eq!(
        run.plan.component("CompCond").unwrap().action,
        InstallState::Local
    );
    assert!(run.plan.file("FileD").is_some());
}

#[test]
fn both_layouts_and_installdir_on_the_command_line() {
    let (_d, msi) = model_package();
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let run = cost(&msi, r, Layout::Windows, &[]);
    assert_eq!(
        run.plan.file("FileA").unwrap().target,
        r.join("Program Files (x86)/Model App/a.txt")
    );
    let run = cost(&msi, r, Layout::Fhs, &[("INSTALLDIR", "/elsewhere/app")]);
    assert_eq!(
        run.plan.file("FileA").unwrap().target,
        r.join("elsewhere/app/a.txt")
    );
    assert_eq!(
        run.plan.file("FileB").unwrap().target,
        r.join("elsewhere/app/sub/b.txt")
    );
}

fn fake_pe(version: [u16; 4]) -> Vec<u8> {
    let mut data = b"MZ".to_vec();
    data.resize(128, 0);
    data.extend_from_slice(&0xFEEF_04BDu32.to_le_bytes());
    data.extend_from_slice(&0x0001_0000u32.to_le_bytes());
    data.extend_from_slice(&((u32::from(version[0]) << 16) | u32::from(version[1])).to_le_bytes());
    data.extend_from_slice(&((u32::from(version[2]) << 16) | u32::from(version[3])).to_le_bytes());
    data
}

#[test]
fn unversioned_files_follow_the_date_rule_and_reinstallmode() {
    let (_d, msi) = model_package();
    let root = tempfile::tempdir().unwrap();
    let target = app_dir(root.path()).join("a.txt");
    fs_err::create_dir_all(target.parent().unwrap()).unwrap();
    fs_err::write(&target, b"old").unwrap();
    // Just written: created = modified, so unmodified: replaced.
    let run = cost(&msi, root.path(), Layout::Fhs, &[]);
    assert_eq!(
        action(&run, "FileA"),
        Some(FileAction::Install { overwrite: true })
    );
    assert_eq!(
        run.plan.files_replaced_or_removed().collect::<Vec<_>>(),
        vec![target.as_path()]
    );
    // Modified an hour after it was created: user data, kept — where the
    // file system records a birth time; otherwise treated as unmodified.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&target)
        .unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(3600))
        .unwrap();
    let has_birth_time = fs_err::metadata(&target).unwrap().created().is_ok();
    let run = cost(&msi, root.path(), Layout::Fhs, &[]);
    if has_birth_time {
        assert_eq!(
            action(&run, "FileA"),
            Some(FileAction::Skip(SkipReason::UserModified))
        );
        assert!(run.plan.file("FileA").unwrap().source.is_none());
    } else {
        assert_eq!(
            action(&run, "FileA"),
            Some(FileAction::Install { overwrite: true })
        );
    }
    // REINSTALLMODE a: everything; p: only missing files.
    let run = cost(&msi, root.path(), Layout::Fhs, &[("REINSTALLMODE", "amus")]);
    assert_eq!(
        action(&run, "FileA"),
        Some(FileAction::Install { overwrite: true })
    );
    let run = cost(&msi, root.path(), Layout::Fhs, &[("REINSTALLMODE", "p")]);
    assert_eq!(
        action(&run, "FileA"),
        Some(FileAction::Skip(SkipReason::OnlyIfMissing))
    );
    // A versioned file on disk beats the package's unversioned one.
    fs_err::write(&target, fake_pe([1, 0, 0, 0])).unwrap();
    let run = cost(&msi, root.path(), Layout::Fhs, &[]);
    assert!(matches!(
        action(&run, "FileA"),
        Some(FileAction::Skip(SkipReason::VersionedOnDisk(_)))
    ));
}

#[test]
fn versioned_files_follow_the_highest_version() {
    let mut fixups = MODEL_FIXUPS.to_vec();
    fixups.push("UPDATE File SET Version='2.0.0.0' WHERE File='FileB'");
    let (_d, msi) = build(
        MODEL_WXS,
        &[
            ("a.txt", b"hello\n"),
            ("b.txt", b"world\n"),
            ("c.txt", b"extra\n"),
        ],
        &fixups,
    );
    let root = tempfile::tempdir().unwrap();
    let target = app_dir(root.path()).join("sub/b.txt");
    fs_err::create_dir_all(target.parent().unwrap()).unwrap();
    let with_disk = |v: [u16; 4], cmdline: &[(&str, &str)]| {
        fs_err::write(&target, fake_pe(v)).unwrap();
        action(&cost(&msi, root.path(), Layout::Fhs, cmdline), "FileB").unwrap()
    };
    assert_eq!(
        with_disk([1, 5, 0, 0], &[]),
        FileAction::Install { overwrite: true }
    );
    assert!(matches!(
        with_disk([3, 0, 0, 0], &[]),
        FileAction::Skip(SkipReason::NewerVersionOnDisk { .. })
    ));
    assert!(matches!(
        with_disk([2, 0, 0, 0], &[]),
        FileAction::Skip(SkipReason::SameVersion(_))
    ));
    // `e` replaces equal versions, `d` any different one.
    assert_eq!(
        with_disk([2, 0, 0, 0], &[("REINSTALLMODE", "emus")]),
        FileAction::Install { overwrite: true }
    );
    assert_eq!(
        with_disk([3, 0, 0, 0], &[("REINSTALLMODE", "dmus")]),
        FileAction::Install { overwrite: true }
    );
    // A versioned package file beats an unversioned file on disk.
    fs_err::write(&target, b"plain").unwrap();
    assert_eq!(
        action(&cost(&msi, root.path(), Layout::Fhs, &[]), "FileB").unwrap(),
        FileAction::Install { overwrite: true }
    );
}

#[test]
fn never_overwrite_keeps_the_whole_component() {
    let mut fixups = MODEL_FIXUPS.to_vec();
    fixups.push("UPDATE Component SET Attributes=128 WHERE Component='CompA'");
    let (_d, msi) = build(
        MODEL_WXS,
        &[
            ("a.txt", b"hello\n"),
            ("b.txt", b"world\n"),
            ("c.txt", b"extra\n"),
        ],
        &fixups,
    );
    let root = tempfile::tempdir().unwrap();
    assert!(matches!(
        action(&cost(&msi, root.path(), Layout::Fhs, &[]), "FileA"),
        Some(FileAction::Install { .. })
    ));
    let target = app_dir(root.path()).join("a.txt");
    fs_err::create_dir_all(target.parent().unwrap()).unwrap();
    fs_err::write(&target, b"keep me").unwrap();
    let run = cost(&msi, root.path(), Layout::Fhs, &[("REINSTALLMODE", "amus")]);
    assert_eq!(
        action(&run, "FileA"),
        Some(FileAction::Skip(SkipReason::NeverOverwrite))
    );
    assert!(matches!(
        action(&run, "FileB"),
        Some(FileAction::Install { .. })
    ));
}

#[test]
fn removal_plans_recorded_files_and_folders() {
    let (_d, msi) = model_package();
    let root = tempfile::tempdir().unwrap();
    let installed = InstalledState {
        features: ["Main".to_string()].into(),
        components: ["CompA".to_string(), "CompB".to_string()].into(),
        files: vec![
            ("CompA".into(), root.path().join("custom/a.txt")),
            ("CompB".into(), root.path().join("custom/sub/b.txt")),
        ],
    };
    let run = cost_installed(
        &msi,
        root.path(),
        Layout::Fhs,
        &[("REMOVE", "ALL")],
        Some(&installed),
    );
    assert_eq!(run.props.get_str("Installed"), Some("1"));
    let main = run.plan.feature("Main").unwrap();
    assert_eq!(
        (main.installed, main.action),
        (InstallState::Local, InstallState::Absent)
    );
    assert_eq!(
        run.plan.component("CompA").unwrap().action,
        InstallState::Absent
    );
    let a = run.plan.file("FileA").unwrap();
    assert_eq!(a.action, FileAction::Remove);
    assert_eq!(
        a.target,
        root.path().join("custom/a.txt"),
        "the recorded path wins"
    );
    assert_eq!(run.plan.files_replaced_or_removed().count(), 2);
    assert_eq!(run.plan.remove_folders, vec![app_dir(root.path())]);
    assert!(run.plan.create_folders.is_empty());
    // Maintenance without requests: nothing changes.
    let run = cost_installed(&msi, root.path(), Layout::Fhs, &[], Some(&installed));
    assert_eq!(
        run.plan.feature("Main").unwrap().action,
        InstallState::Unknown
    );
    assert!(run.plan.files.is_empty());
}

#[test]
fn remove_file_and_duplicate_file_rows() {
    let mut fixups = MODEL_FIXUPS.to_vec();
    // wixl writes an empty RemoveFile table; DuplicateFile is added.
    fixups.extend([
        "INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `FileName`, `DirProperty`, `InstallMode`) VALUES ('Logs', 'CompA', 'LOGS~1.LOG|*.log', 'INSTALLDIR', 1)",
        "INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `DirProperty`, `InstallMode`) VALUES ('SubFolder', 'CompB', 'SubDir', 2)",
        "CREATE TABLE `DuplicateFile` (`FileKey` CHAR(72) NOT NULL, `Component_` CHAR(72) NOT NULL, `File_` CHAR(72) NOT NULL, `DestName` CHAR(255), `DestFolder` CHAR(72) PRIMARY KEY `FileKey`)",
        "INSERT INTO `DuplicateFile` (`FileKey`, `Component_`, `File_`, `DestName`, `DestFolder`) VALUES ('Dup', 'CompA', 'FileA', 'copy.txt', 'SubDir')",
        "INSERT INTO `DuplicateFile` (`FileKey`, `Component_`, `File_`, `DestName`) VALUES ('Same', 'CompA', 'FileA', 'a.txt')",
    ]);
    let (_d, msi) = build(
        MODEL_WXS,
        &[
            ("a.txt", b"hello\n"),
            ("b.txt", b"world\n"),
            ("c.txt", b"extra\n"),
        ],
        &fixups,
    );
    let root = tempfile::tempdir().unwrap();
    let run = cost(&msi, root.path(), Layout::Fhs, &[]);
    let app = app_dir(root.path());
    assert_eq!(
        run.plan.remove_files.len(),
        1,
        "{:?}",
        run.plan.remove_files
    );
    let logs = &run.plan.remove_files[0];
    assert_eq!(
        (logs.file_key.as_str(), logs.dir.as_path()),
        ("Logs", app.as_path())
    );
    assert_eq!(logs.pattern.as_deref(), Some("*.log"));
    assert!(engine::wildcard_match(
        logs.pattern.as_deref().unwrap(),
        "Setup.LOG"
    ));
    assert_eq!(
        run.plan.duplicate_files.len(),
        1,
        "same folder and name: no action"
    );
    let dup = &run.plan.duplicate_files[0];
    assert_eq!(dup.from, app.join("a.txt"));
    assert_eq!(dup.to, app.join("sub/copy.txt"));
    assert!(dup.install);
    // On removal, the folder row (mode 2, no file name) applies.
    let installed = InstalledState {
        features: ["Main".to_string()].into(),
        components: ["CompA".to_string(), "CompB".to_string()].into(),
        files: vec![],
    };
    let run = cost_installed(
        &msi,
        root.path(),
        Layout::Fhs,
        &[("REMOVE", "ALL")],
        Some(&installed),
    );
    assert_eq!(run.plan.remove_files.len(), 1);
    assert_eq!(run.plan.remove_files[0].pattern, None);
    assert_eq!(run.plan.remove_files[0].dir, app.join("sub"));
    assert!(!run.plan.duplicate_files[0].install);
}

#[test]
fn companion_files_follow_their_parent() {
    let mut fixups = MODEL_FIXUPS.to_vec();
    fixups.push("UPDATE File SET Version='2.0.0.0' WHERE File='FileA'");
    fixups.push("UPDATE File SET Version='FileA' WHERE File='FileB'");
    let (_d, msi) = build(
        MODEL_WXS,
        &[
            ("a.txt", b"hello\n"),
            ("b.txt", b"world\n"),
            ("c.txt", b"extra\n"),
        ],
        &fixups,
    );
    let root = tempfile::tempdir().unwrap();
    let app = app_dir(root.path());
    fs_err::create_dir_all(app.join("sub")).unwrap();
    fs_err::write(app.join("sub/b.txt"), b"companion on disk").unwrap();
    // The parent on disk is older: both are replaced.
    fs_err::write(app.join("a.txt"), fake_pe([1, 0, 0, 0])).unwrap();
    let run = cost(&msi, root.path(), Layout::Fhs, &[]);
    assert_eq!(
        action(&run, "FileA"),
        Some(FileAction::Install { overwrite: true })
    );
    assert_eq!(
        action(&run, "FileB"),
        Some(FileAction::Install { overwrite: true })
    );
    // The parent on disk is newer: the companion is kept too…
    fs_err::write(app.join("a.txt"), fake_pe([3, 0, 0, 0])).unwrap();
    let run = cost(&msi, root.path(), Layout::Fhs, &[]);
    assert!(matches!(
        action(&run, "FileA"),
        Some(FileAction::Skip(SkipReason::NewerVersionOnDisk { .. }))
    ));
    assert_eq!(
        action(&run, "FileB"),
        Some(FileAction::Skip(SkipReason::CompanionKept))
    );
    // …unless it is missing.
    fs_err::remove_file(app.join("sub/b.txt")).unwrap();
    let run = cost(&msi, root.path(), Layout::Fhs, &[]);
    assert_eq!(
        action(&run, "FileB"),
        Some(FileAction::Install { overwrite: false })
    );
}
