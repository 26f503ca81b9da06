//! End-to-end tests of `rmsi install` and `rmsi msiexec` against the binding CLI contract
//! of issue 6, with the real packages of `crates/engine/tests/packages/` (see its
//! README.md for what each holds): the installed tree in both layouts, the verbose log's
//! binding lines, exit codes, the `MsiRestartManagerSessionKey` seed, files in use held
//! by real processes (shut down, left running, restarted; services through a private
//! runit), the files-in-use prompt on a pseudo-terminal, custom actions run as host
//! programs, file versioning against files already in the root, failed installs that
//! leave the root as it was, and hostile packages and roots (names with `..`, absolute
//! paths, symlinks, hard links, a FIFO) that must never write outside the root.
//!
//! Needs, besides the two binaries: python3 (holder processes), util-linux `script`
//! (a terminal), Debian's msitools (`msiextract`) and runit (`runsvdir`, `sv`).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use test_support::e2e::{
    Ctx, Holder, Layout, assert_payload, assert_root_empty, example, log, package, payload_files,
    wait_run,
};

/// The payload sources of multi.msi.
fn multi_src(rel: &str) -> Vec<u8> {
    fs::read(package("src/multi").join(rel)).expect("read a multi.msi payload source")
}

/// multi.msi's files under the root for a layout, as (installed path, source path).
fn multi_paths(layout: Layout) -> Vec<(String, &'static str)> {
    let pf = format!("{}/rmsi-tests/multi", layout.program_files());
    let cad = format!("{}/rmsi-multi", layout.common_app_data());
    vec![
        (format!("{pf}/bin/tool.txt"), "bin/tool.txt"),
        (format!("{pf}/data/modern.dat"), "data/modern.dat"),
        (format!("{pf}/data/legacy.dat"), "data/legacy.dat"),
        (format!("{pf}/data/config.ini"), "data/config.ini"),
        (format!("{pf}/data2/modern.dat"), "data/modern.dat"),
        (format!("{pf}/data2/config.ini"), "data/config.ini"),
        (format!("{cad}/doc/readme.txt"), "doc/readme.txt"),
        (format!("{cad}/doc/license.txt"), "doc/license.txt"),
        (format!("{cad}/extras/extra.txt"), "extras/extra.txt"),
    ]
}

/// Asserts that the root holds exactly the multi.msi files whose source paths are listed
/// (`data2/…` stands for the data folder moved by SetDataDir).
fn assert_multi(ctx: &Ctx, layout: Layout, want: &[&str], run: &test_support::e2e::Run) {
    let all = multi_paths(layout);
    let chosen: Vec<(String, Vec<u8>)> = want
        .iter()
        .map(|w| {
            let (path, src) = all
                .iter()
                .find(|(p, _)| p.ends_with(w))
                .expect("a multi.msi file");
            (path.clone(), multi_src(src))
        })
        .collect();
    let expected: Vec<(&str, &[u8])> = chosen
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    assert_payload(&ctx.root, layout, &expected, &[], run);
}

const MULTI_DEFAULT: &[&str] = &[
    "bin/tool.txt",
    "data/modern.dat",
    "doc/readme.txt",
    "doc/license.txt",
];

// --- the installed tree, both layouts ---

#[test]
fn multi_installs_default_features_fhs() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    // Main and Docs at level 1; Extras (200) off; Legacy's `VersionNT < 601` and Config's
    // `WITHCONFIG = "1"` false.
    assert_multi(&ctx, Layout::Fhs, MULTI_DEFAULT, &run);
    assert!(ctx.outside_root().is_empty(), "{:?}", ctx.outside_root());
    assert_state_owner_only(&ctx.root.join(Layout::Fhs.state_dir()));
}

/// Everything in the engine's state folder (if it wrote one) is owner-only, and the
/// folders leading to it (`var/lib`, `Windows/Installer`: payload goes there too) are
/// ordinary folders, made with the umask's mode as the payload's folders are.
fn assert_state_owner_only(state: &Path) {
    if !state.exists() {
        return;
    }
    let probe = state.with_file_name("mode-probe");
    fs::create_dir(&probe).expect("create a probe folder");
    let ordinary = fs::metadata(&probe)
        .expect("stat the probe")
        .permissions()
        .mode()
        & 0o777;
    fs::remove_dir(&probe).expect("remove the probe folder");
    for up in [state.parent(), state.parent().and_then(Path::parent)]
        .into_iter()
        .flatten()
    {
        let mode = fs::metadata(up)
            .expect("stat a state ancestor")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, ordinary, "{} has mode {mode:o}", up.display());
    }
    for rel in std::iter::once(String::new()).chain(test_support::e2e::tree(state)) {
        let path = state.join(rel.trim_end_matches(['/', '@']));
        let meta = fs::symlink_metadata(&path).expect("stat a state entry");
        assert_eq!(
            meta.permissions().mode() & 0o077,
            0,
            "{} is open to group or others",
            path.display()
        );
    }
}

#[test]
fn multi_installs_default_features_windows() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Windows, &[]);
    run.assert_code_logged(0);
    assert_multi(&ctx, Layout::Windows, MULTI_DEFAULT, &run);
    assert_state_owner_only(&ctx.root.join(Layout::Windows.state_dir()));
    assert!(
        ctx.root
            .join("Program Files (x86)/rmsi-tests/multi/bin/tool.txt")
            .is_file()
    );
    assert!(
        ctx.root
            .join("ProgramData/rmsi-multi/doc/readme.txt")
            .is_file()
    );
    assert!(ctx.outside_root().is_empty(), "{:?}", ctx.outside_root());
}

#[test]
fn example_hello_installs_in_both_layouts() {
    for layout in [Layout::Fhs, Layout::Windows] {
        let ctx = Ctx::new();
        let run = ctx.install(&example("hello/hello.msi"), layout, &[]);
        run.assert_code_logged(0);
        let src = |p: &str| fs::read(example("hello/src").join(p)).expect("hello source");
        let (hello, readme, conf) = (
            src("hello.txt"),
            src("doc/README.txt"),
            src("conf/hello.conf"),
        );
        let pf = format!("{}/rmsi-hello", layout.program_files());
        let cad = format!("{}/rmsi-hello", layout.common_app_data());
        let (p1, p2, p3) = (
            format!("{pf}/hello.txt"),
            format!("{pf}/doc/README.txt"),
            format!("{cad}/hello.conf"),
        );
        assert_payload(
            &ctx.root,
            layout,
            &[(&p1, &hello), (&p2, &readme), (&p3, &conf)],
            &[],
            &run,
        );
    }
}

// --- features, conditions and properties ---

#[test]
fn multi_condition_table_turns_docs_off() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &["NODOCS=1"]);
    run.assert_code_logged(0);
    assert_multi(
        &ctx,
        Layout::Fhs,
        &["bin/tool.txt", "data/modern.dat"],
        &run,
    );
}

#[test]
fn multi_installlevel_turns_extras_on() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &["INSTALLLEVEL=200"]);
    run.assert_code_logged(0);
    let mut want = MULTI_DEFAULT.to_vec();
    want.push("extras/extra.txt");
    assert_multi(&ctx, Layout::Fhs, &want, &run);
}

#[test]
fn multi_addlocal_installs_only_the_named_feature() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &["ADDLOCAL=Extras"]);
    run.assert_code_logged(0);
    assert_multi(&ctx, Layout::Fhs, &["extras/extra.txt"], &run);
}

#[test]
fn multi_property_condition_on_a_component() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &["WITHCONFIG=1"]);
    run.assert_code_logged(0);
    let mut want = MULTI_DEFAULT.to_vec();
    want.push("data/config.ini");
    assert_multi(&ctx, Layout::Fhs, &want, &run);
}

#[test]
fn multi_type51_action_before_costfinalize_sets_a_component_condition() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &["CONFIGURE=yes"]);
    run.assert_code_logged(0);
    let mut want = MULTI_DEFAULT.to_vec();
    want.push("data/config.ini");
    assert_multi(&ctx, Layout::Fhs, &want, &run);
    assert_eq!(
        log::ended(&run.log, "EnableConfig"),
        Some(1),
        "{}",
        run.describe()
    );
}

#[test]
fn property_change_lines_for_a_modified_property() {
    let ctx = Ctx::new();
    let run = ctx.install(
        &package("multi.msi"),
        Layout::Fhs,
        &["CONFIGURE=yes", "WITHCONFIG=0"],
    );
    run.assert_code_logged(0);
    let want = "PROPERTY CHANGE: Modifying WITHCONFIG property. Its current value is '0'. \
                Its new value: '1'.";
    assert!(
        log::property_changes(&run.log)
            .iter()
            .any(|l| l.ends_with(want)),
        "no `{want}`\n{}",
        run.describe()
    );
    let mut want_files = MULTI_DEFAULT.to_vec();
    want_files.push("data/config.ini");
    assert_multi(&ctx, Layout::Fhs, &want_files, &run);
}

#[test]
fn multi_type35_action_moves_a_directory() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &["DATADIR2=1"]);
    run.assert_code_logged(0);
    assert_multi(
        &ctx,
        Layout::Fhs,
        &[
            "bin/tool.txt",
            "data2/modern.dat",
            "doc/readme.txt",
            "doc/license.txt",
        ],
        &run,
    );
}

#[test]
fn false_launch_condition_is_1603_with_its_message() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &["BLOCKME=1"]);
    run.assert_code_logged(1603);
    assert_root_empty(&ctx.root, &run);
    assert_eq!(
        log::ended(&run.log, "LaunchConditions"),
        Some(3),
        "{}",
        run.describe()
    );
    assert!(
        run.log
            .contains("rmsi multi cannot be installed while BLOCKME is set."),
        "{}",
        run.describe()
    );
    // Nothing after the failed action ran.
    assert!(!log::starts(&run.log).iter().any(|a| a == "InstallFiles"));
}

#[test]
fn ui_sequence_runs_only_at_full_ui() {
    // Spec 2.1/2.4: InstallUISequence is processed at Full or Reduced UI only.
    for (ui, level, marked) in [
        ("none", "2", None),
        ("basic", "3", None),
        ("full", "5", Some("ui-sequence-ran")),
    ] {
        let ctx = Ctx::new();
        let mut cmd = ctx.rmsi();
        cmd.arg("install")
            .arg(package("multi.msi"))
            .arg("--root")
            .arg(&ctx.root)
            .arg("--ui")
            .arg(ui)
            .arg("--log")
            .arg(&ctx.log);
        let run = ctx.finish(&mut cmd);
        run.assert_code_logged(0);
        let props = log::server_properties(&run.log);
        assert_eq!(
            props.get("UILevel").map(String::as_str),
            Some(level),
            "{ui}"
        );
        assert_eq!(
            props.get("UIMARKED").map(String::as_str),
            marked,
            "--ui {ui}\n{}",
            run.describe()
        );
        assert_multi(&ctx, Layout::Fhs, MULTI_DEFAULT, &run);
    }
}

#[test]
fn schedule_reboot_makes_the_install_end_with_3010() {
    // Spec 1.9: a reboot is needed; rmsi never restarts the machine, so 3010 whatever
    // REBOOT says (ReallySuppress, Suppress, or unset at no UI).
    for extra in [&[][..], &["--norestart"][..], &["REBOOT=Suppress"][..]] {
        let ctx = Ctx::new();
        let mut cmd = ctx.install_command(&package("multi.msi"), Layout::Fhs, &["SCHEDREBOOT=1"]);
        cmd.args(extra);
        let run = ctx.finish(&mut cmd);
        run.assert_code_logged(3010);
        assert_multi(&ctx, Layout::Fhs, MULTI_DEFAULT, &run);
    }
}

#[test]
fn reboot_force_makes_the_install_end_with_3010() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &["REBOOT=Force"]);
    run.assert_code_logged(3010);
    assert_multi(&ctx, Layout::Fhs, MULTI_DEFAULT, &run);
}

#[test]
fn multi_installdir_outside_is_placed_under_the_root() {
    let ctx = Ctx::new();
    let elsewhere = format!("/tmp/rmsi-e2e-elsewhere-{}", std::process::id());
    let run = ctx.install(
        &package("multi.msi"),
        Layout::Fhs,
        &[&format!("INSTALLDIR={elsewhere}/")],
    );
    run.assert_code_logged(0);
    assert!(
        !Path::new(&elsewhere).exists(),
        "wrote to {elsewhere} outside the root"
    );
    let under = ctx
        .root
        .join(elsewhere.trim_start_matches('/'))
        .join("bin/tool.txt");
    assert_eq!(
        fs::read(&under).ok(),
        Some(multi_src("bin/tool.txt")),
        "{} missing\n{}",
        under.display(),
        run.describe()
    );
}

#[test]
fn custom_action_folders_outside_are_placed_under_the_root() {
    // A type-51 action sets INSTALLDIR and a type-35 action sets DataDir from properties
    // the test points outside the root: the files land under the root all the same.
    for layout in [Layout::Fhs, Layout::Windows] {
        let ctx = Ctx::new();
        let (inst, data) = (ctx.path("elsewhere/inst"), ctx.path("elsewhere/data"));
        let run = ctx.install(
            &package("multi.msi"),
            layout,
            &[
                &format!("NEWINSTALLDIR={}/", inst.display()),
                &format!("NEWDATADIR={}/", data.display()),
            ],
        );
        run.assert_code_logged(0);
        assert!(!ctx.path("elsewhere").exists(), "wrote outside the root");
        let under = |p: &Path, f: &str| {
            ctx.root
                .join(p.strip_prefix("/").expect("absolute"))
                .join(f)
                .to_string_lossy()
                .into_owned()
        };
        let tool = under(&inst, "bin/tool.txt");
        let modern = under(&data, "modern.dat");
        for (path, src) in [(&tool, "bin/tool.txt"), (&modern, "data/modern.dat")] {
            assert_eq!(
                fs::read(path).ok(),
                Some(multi_src(src)),
                "{path} ({})\n{}",
                layout.as_str(),
                run.describe()
            );
        }
    }
}

// --- the verbose log ---

#[test]
fn multi_log_has_the_binding_lines() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let starts = log::starts(&run.log);
    let ends = log::ends(&run.log);
    // Every action started also ended, and the executed ones in sequence order.
    for name in &starts {
        assert!(
            ends.iter().any(|(n, _)| n == name),
            "`Action start` without `Action ended` for {name}\n{}",
            run.describe()
        );
    }
    let order = [
        "LaunchConditions",
        "CostInitialize",
        "FileCost",
        "CostFinalize",
        "MarkProperty",
        "InstallValidate",
        "InstallInitialize",
        "ProcessComponents",
        "RemoveFiles",
        "InstallFiles",
        "InstallFinalize",
    ];
    let mut last = 0;
    for name in order {
        let at = starts
            .iter()
            .position(|s| s == name)
            .unwrap_or_else(|| panic!("no `Action start` for {name}\n{}", run.describe()));
        assert!(
            at >= last,
            "{name} started out of sequence order: {starts:?}"
        );
        last = at;
        assert_eq!(
            log::ended(&run.log, name),
            Some(1),
            "{name}: {}",
            run.describe()
        );
    }
    assert_eq!(
        log::ended(&run.log, "INSTALL"),
        Some(1),
        "{}",
        run.describe()
    );
    // Condition false (CONFIGURE unset): the action does not run.
    assert!(!starts.iter().any(|s| s == "EnableConfig"), "{starts:?}");
    // The type-51 action's property change, and the final property dump.
    assert!(
        log::property_changes(&run.log).iter().any(|l| l.contains(
            "PROPERTY CHANGE: Adding MULTIMARKED property. Its value is 'set-by-custom-action'."
        )),
        "{}",
        run.describe()
    );
    let props = log::server_properties(&run.log);
    assert_eq!(
        props.get("MULTIMARKED").map(String::as_str),
        Some("set-by-custom-action")
    );
    assert_eq!(
        props.get("ProductVersion").map(String::as_str),
        Some("1.0.0")
    );
    assert_eq!(
        props.get("ProductCode").map(String::as_str),
        Some("{6F4E2B10-1A2B-4C3D-8E9F-0A1B2C3D4E51}")
    );
    assert_eq!(props.get("VersionNT").map(String::as_str), Some("601"));
    // The property dump follows the end of the top-level action and precedes the final
    // MainEngineThread line ("How To Read A Windows Installer Verbose Log").
    let lines: Vec<&str> = run.log.lines().collect();
    let install_end = lines
        .iter()
        .position(|l| l.starts_with("Action ended ") && l.contains(": INSTALL. Return value"))
        .expect("INSTALL ended");
    let main_engine = lines
        .iter()
        .position(|l| l.contains("MainEngineThread is returning 0"))
        .expect("MainEngineThread line");
    let dump: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("Property(S): "))
        .collect();
    assert!(!dump.is_empty(), "no property dump");
    assert!(
        dump.iter().all(|&i| install_end < i && i < main_engine),
        "the dump is not between the end of INSTALL and MainEngineThread\n{}",
        run.describe()
    );
    // A session was opened and closed.
    let rm = log::restart_manager(&run.log);
    assert!(rm.iter().any(|l| l.contains("Session opened")), "{rm:?}");
    assert!(rm.iter().any(|l| l.contains("Session closed")), "{rm:?}");
}

#[test]
fn multi_sequence_condition_skips_the_action() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &["MULTISKIP=1"]);
    run.assert_code_logged(0);
    assert!(!log::starts(&run.log).iter().any(|s| s == "MarkProperty"));
    assert!(!log::server_properties(&run.log).contains_key("MULTIMARKED"));
    assert_multi(&ctx, Layout::Fhs, MULTI_DEFAULT, &run);
}

#[test]
fn msiexec_syntax_installs_with_a_property() {
    let ctx = Ctx::new();
    let mut cmd = ctx.rmsi();
    cmd.arg("msiexec")
        .arg("--root")
        .arg(&ctx.root)
        .arg("--layout")
        .arg("windows")
        .arg("/i")
        .arg(package("multi.msi"))
        .arg("/qn")
        .arg("/l*v")
        .arg(&ctx.log)
        .arg("NODOCS=1");
    let run = ctx.finish(&mut cmd);
    run.assert_code_logged(0);
    assert_multi(
        &ctx,
        Layout::Windows,
        &["bin/tool.txt", "data/modern.dat"],
        &run,
    );
    assert_eq!(
        log::ended(&run.log, "INSTALL"),
        Some(1),
        "{}",
        run.describe()
    );
    assert_eq!(
        log::server_properties(&run.log)
            .get("UILevel")
            .map(String::as_str),
        Some("2")
    );
}

#[test]
fn msiexec_property_values_follow_the_quoting_rules() {
    // Spec 5.6: quotes around a value, a doubled quote for a literal one, "" to clear.
    let cases = [
        (
            r#"MULTIMARK="Acme ""Widgets"" and ""Gizmos.""""#,
            Some(r#"Acme "Widgets" and "Gizmos.""#),
        ),
        (
            r#"MULTIMARK="Embedded White Space""#,
            Some("Embedded White Space"),
        ),
        (r#"MULTIMARK="""#, None),
    ];
    for (arg, want) in cases {
        let ctx = Ctx::new();
        let mut cmd = ctx.rmsi();
        cmd.arg("msiexec")
            .arg("--root")
            .arg(&ctx.root)
            .arg("/i")
            .arg(package("multi.msi"))
            .arg("/qn")
            .arg("/l*v")
            .arg(&ctx.log)
            .arg(arg);
        let run = ctx.finish(&mut cmd);
        run.assert_code_logged(0);
        // MarkProperty copies MULTIMARK into MULTIMARKED; an empty value sets nothing.
        assert_eq!(
            log::server_properties(&run.log)
                .get("MULTIMARKED")
                .map(String::as_str),
            want,
            "{arg}\n{}",
            run.describe()
        );
    }
}

// --- exit codes ---

#[test]
fn msiexec_bad_syntax_is_1639() {
    let ctx = Ctx::new();
    let cases: [&[&str]; 2] = [&["/qn", "NOTAPROPERTY"], &["/qn", "/zz"]];
    for extra in cases {
        let mut cmd = ctx.rmsi();
        cmd.arg("msiexec")
            .arg("--root")
            .arg(&ctx.root)
            .arg("/i")
            .arg(package("multi.msi"))
            .args(extra);
        let run = ctx.finish(&mut cmd);
        run.assert_code(1639);
        assert_root_empty(&ctx.root, &run);
    }
    // `/i` without its package.
    let mut cmd = ctx.rmsi();
    cmd.arg("msiexec").arg("--root").arg(&ctx.root).arg("/i");
    let run = ctx.finish(&mut cmd);
    run.assert_code(1639);
    assert_root_empty(&ctx.root, &run);
}

#[test]
fn install_bad_syntax_is_1639() {
    let ctx = Ctx::new();
    let pkg = package("multi.msi");
    let root = ctx.root.to_string_lossy().into_owned();
    let pkg = pkg.to_string_lossy().into_owned();
    let cases: [&[&str]; 4] = [
        &[&pkg, "--root", &root, "NOTAPROPERTY"],
        &[&pkg, "--root", &root, "=value"],
        &[&pkg, "--root", &root, "--ui", "bogus"],
        &["--root", &root],
    ];
    for args in cases {
        let mut cmd = ctx.rmsi();
        cmd.arg("install").args(args);
        let run = ctx.finish(&mut cmd);
        run.assert_code(1639);
        assert_root_empty(&ctx.root, &run);
    }
}

#[test]
fn missing_package_is_1619() {
    let ctx = Ctx::new();
    let run = ctx.install(&ctx.path("no-such-package.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(1619);
    assert_root_empty(&ctx.root, &run);
}

#[test]
fn not_a_package_is_1620() {
    let ctx = Ctx::new();
    let text = ctx.path("text.msi");
    fs::write(&text, "this is not a compound file\n").expect("write text.msi");
    let run = ctx.install(&text, Layout::Fhs, &[]);
    run.assert_code_logged(1620);
    assert_root_empty(&ctx.root, &run);
    // A real package cut short: the compound file header is there, its sectors are not.
    let truncated = ctx.path("truncated.msi");
    let bytes = fs::read(package("multi.msi")).expect("read multi.msi");
    fs::write(&truncated, &bytes[..1536]).expect("write truncated.msi");
    let run = ctx.install(&truncated, Layout::Fhs, &[]);
    run.assert_code_logged(1620);
    assert_root_empty(&ctx.root, &run);
}

/// Corrupt data in the embedded cabinet — found while the files, already staged by their
/// names, are being inflated ahead — fails the script where InstallFiles' operations are,
/// as Windows fails it: InstallFinalize returns 3, nothing is left.
#[test]
fn corrupt_cabinet_data_is_1603_and_leaves_nothing() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("corrupt-cab.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(1603);
    assert_root_empty(&ctx.root, &run);
    assert!(ctx.outside_root().is_empty(), "{:?}", ctx.outside_root());
    assert!(
        run.log.contains("Action ended") && run.log.contains(": InstallFiles. Return value 1."),
        "{}",
        run.describe()
    );
    assert!(
        run.log.contains("Executing op: InstallFiles failed"),
        "{}",
        run.describe()
    );
    assert!(
        run.log.contains(": InstallFinalize. Return value 3."),
        "{}",
        run.describe()
    );
}

/// A deferred custom action that runs a program the package installs finds it, and the
/// files before it in the cabinet, whole: the files are inflated while the installation
/// goes on, and the script waits for them before it runs a custom action. Its mode is a
/// program's, set once its first bytes were written.
#[test]
fn a_deferred_action_finds_the_files_inflated_ahead_whole() {
    let ctx = Ctx::new();
    let size_file = ctx.path("size.txt");
    let run = ctx.install(
        &package("big-ca.msi"),
        Layout::Fhs,
        &[&format!("SIZEFILE={}", size_file.display())],
    );
    run.assert_code_logged(0);
    assert_eq!(
        fs::read_to_string(&size_file)
            .expect("the custom action wrote the size")
            .trim(),
        "33554432",
        "{}",
        run.describe()
    );
    let script = ctx.root.join("opt/rmsi-big-ca/file-size.sh");
    let mode = fs::metadata(&script)
        .expect("installed")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755, "{}", run.describe());
    let zeros = ctx.root.join("opt/rmsi-big-ca/zeros.bin");
    assert_eq!(fs::metadata(&zeros).expect("installed").len(), 33_554_432);
    assert_eq!(
        fs::metadata(&zeros)
            .expect("installed")
            .permissions()
            .mode()
            & 0o777,
        0o644
    );
}

#[test]
fn wrong_cabinet_checksum_is_1603_with_a_clear_message() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("corrupt-csum.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(1603);
    assert_root_empty(&ctx.root, &run);
    let said = format!("{}{}", run.stderr, run.log).to_lowercase();
    assert!(
        said.contains("checksum"),
        "no word of the checksum\n{}",
        run.describe()
    );
}

/// Properties Windows Installer sets during an install, each when Windows sets it:
/// PackageCode at initialization; CostingComplete 0 in CostInitialize and 1 at the end of
/// CostFinalize; OutOfDiskSpace, OutOfNoRbDiskSpace and the PrimaryVolumeSpace* properties
/// at the start of CostFinalize, and the primary volume's values once PRIMARYFOLDER's folder
/// is known; EXECUTEACTION when the execute sequence starts; SourceDir and SOURCEDIR only
/// from ResolveSource (or ProcessComponents, InstallFiles) on.
#[test]
fn installer_properties_are_set_when_windows_sets_them() {
    let ctx = Ctx::new();
    let run = ctx.install(
        &example("hello/hello.msi"),
        Layout::Windows,
        &["PRIMARYFOLDER=TARGETDIR"],
    );
    run.assert_code_logged(0);
    let lines: Vec<&str> = run.log.lines().collect();
    let find = |text: &str| {
        lines
            .iter()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("no line with {text:?}\n{}", run.describe()))
    };
    let action = |name: &str| {
        lines
            .iter()
            .position(|l| l.starts_with("Action start") && l.ends_with(&format!(": {name}.")))
            .unwrap_or_else(|| panic!("{name} did not run\n{}", run.describe()))
    };
    let package_code = find("Adding PackageCode property. Its value is '{");
    let cost_init = action("CostInitialize");
    let costing_0 = find("Adding CostingComplete property. Its value is '0'.");
    let cost_final = action("CostFinalize");
    let out_of_disk = find("Adding OutOfDiskSpace property. Its value is '0'.");
    let no_rb = find("Adding OutOfNoRbDiskSpace property. Its value is '0'.");
    let costing_1 =
        find("Modifying CostingComplete property. Its current value is '0'. Its new value: '1'.");
    let volume = find("Adding PrimaryVolumePath property. Its value is '");
    let available =
        find("Modifying PrimaryVolumeSpaceAvailable property. Its current value is '0'.");
    let execute = find("Adding EXECUTEACTION property. Its value is 'INSTALL'.");
    let source = find("Adding SourceDir property. Its value is '");
    assert!(package_code < cost_init, "{}", run.describe());
    assert!(
        cost_init < costing_0 && costing_0 < cost_final,
        "{}",
        run.describe()
    );
    assert!(cost_final < out_of_disk && out_of_disk < no_rb && no_rb < costing_1);
    assert!(costing_1 < volume && volume < available);
    assert!(
        available < execute || execute < cost_init,
        "{}",
        run.describe()
    );
    // SourceDir is first set by ResolveSource, ProcessComponents or InstallFiles.
    let first_setter = ["ResolveSource", "ProcessComponents", "InstallFiles"]
        .iter()
        .filter_map(|a| {
            lines
                .iter()
                .position(|l| l.starts_with("Action start") && l.ends_with(&format!(": {a}.")))
        })
        .min()
        .expect("a SourceDir setter ran");
    assert!(source > first_setter, "{}", run.describe());
}

/// The Template summary property is checked as Windows Installer checks it when it opens
/// the package: a platform this machine (64-bit Windows on x64) does not have is 1633, a
/// language list without a locale Windows knows 1623; nothing runs, nothing is written.
#[test]
fn template_platform_and_language_are_checked_before_anything_runs() {
    for (pkg, code) in [("template-intel64.msi", 1633), ("template-lang.msi", 1623)] {
        let ctx = Ctx::new();
        let run = ctx.install(&package(pkg), Layout::Windows, &[]);
        run.assert_code_logged(code);
        assert!(
            !run.log.contains("Action start"),
            "{pkg}\n{}",
            run.describe()
        );
        assert!(
            !ctx.root.exists() || test_support::e2e::tree(&ctx.root).is_empty(),
            "{pkg}"
        );
    }
}

/// A File row whose component does not exist is ignored, as Windows Installer ignores it:
/// the install succeeds without it (its file is in no cabinet, so trying it would fail).
#[test]
fn a_file_row_of_a_missing_component_is_ignored() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("orphan-file.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    assert!(ctx.root.join("opt/rmsi-hello/hello.txt").is_file());
    let names: Vec<String> = payload_files(&ctx.root, Layout::Fhs).into_keys().collect();
    assert!(
        !names.iter().any(|p| p.ends_with("orphan.txt")),
        "{names:?}\n{}",
        run.describe()
    );
}

/// A FileSize that disagrees with the cabinet is not an error: Windows Installer installs
/// the cabinet's bytes (FileSize only feeds costing). The mismatch is logged.
#[test]
fn wrong_file_size_installs_the_cabinets_bytes_and_logs_the_mismatch() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("bad-size.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let installed = fs::read(ctx.root.join("opt/rmsi-hello/hello.txt")).expect("hello.txt");
    let original = Ctx::new();
    original
        .install(&example("hello/hello.msi"), Layout::Fhs, &[])
        .assert_code(0);
    let expected = fs::read(original.root.join("opt/rmsi-hello/hello.txt")).expect("hello.txt");
    assert_eq!(installed, expected);
    assert_ne!(
        installed.len(),
        99,
        "the File table's size is not what was written"
    );
    assert!(
        run.log.contains(&format!(
            "the cabinet holds {} bytes, the File table says 99; the cabinet's bytes are installed",
            expected.len()
        )),
        "{}",
        run.describe()
    );
}

#[test]
fn package_without_feature_component_file_tables_installs_nothing() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("empty.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    assert!(
        payload_files(&ctx.root, Layout::Fhs).is_empty(),
        "{}",
        run.describe()
    );
}

#[test]
fn damaged_packages_fail_cleanly_and_never_panic() {
    // Deterministic damage (a fixed-seed generator): bytes flipped anywhere in a real
    // package, or the file cut short. Every result must be a clean Windows code, never a
    // panic, and a failure leaves the root empty.
    let original = fs::read(package("multi.msi")).expect("read multi.msi");
    let mut seed: u64 = 0x005e_ed0f_1603;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let cases: Vec<Vec<u8>> = (0..48)
        .map(|i| {
            let mut bytes = original.clone();
            if i % 4 == 3 {
                let len = next() % bytes.len();
                bytes.truncate(len);
            } else {
                for _ in 0..1 + next() % 8 {
                    let at = next() % bytes.len();
                    bytes[at] ^= 1 << (next() % 8);
                }
            }
            bytes
        })
        .collect();
    let allowed = [0, 1603 % 256, 1620 % 256];
    std::thread::scope(|scope| {
        for chunk in cases.chunks(12) {
            scope.spawn(move || {
                for bytes in chunk {
                    let ctx = Ctx::new();
                    let pkg = ctx.path("damaged.msi");
                    fs::write(&pkg, bytes).expect("write damaged.msi");
                    let run = ctx.install(&pkg, Layout::Fhs, &[]);
                    assert!(
                        !run.stderr.contains("panicked"),
                        "rmsi panicked\n{}",
                        run.describe()
                    );
                    assert!(
                        run.code.is_some_and(|c| allowed.contains(&c)),
                        "unexpected result\n{}",
                        run.describe()
                    );
                    if run.code != Some(0) {
                        assert_root_empty(&ctx.root, &run);
                    }
                    assert!(ctx.outside_root().iter().all(|p| p == &pkg));
                }
            });
        }
    });
}

/// Every entry under the root with the bytes of each regular file.
fn snapshot(root: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    test_support::e2e::tree(root)
        .into_iter()
        .map(|p| {
            let bytes = if p.ends_with('/') || p.ends_with('@') {
                None
            } else {
                fs::read(root.join(&p)).ok()
            };
            (p, bytes)
        })
        .collect()
}

#[test]
fn failed_install_leaves_a_populated_root_exactly_as_it_was() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    // ca.msi's payload.txt is already there, unmodified since its creation: the install
    // replaces it before its deferred action fails, so the rollback must put it back.
    let payload = ctx
        .root
        .join(Layout::Fhs.program_files())
        .join("rmsi-tests/ca/payload.txt");
    fs::create_dir_all(payload.parent().expect("ca/")).expect("mkdir ca");
    fs::write(&payload, "an older payload\n").expect("write payload.txt");
    if let Ok(born) = fs::metadata(&payload).and_then(|m| m.created()) {
        fs::File::options()
            .write(true)
            .open(&payload)
            .and_then(|f| f.set_modified(born))
            .expect("mark it unmodified");
    }
    let before = snapshot(&ctx.root);
    for (pkg, props) in [
        ("ca.msi", &["FAILDEF=1"][..]),
        ("ca.msi", &["FAILIMM=3"][..]),
        ("ca.msi", &["ERRORCA=no"][..]),
        ("corrupt-cab.msi", &[][..]),
    ] {
        let run = ctx.install(&package(pkg), Layout::Fhs, props);
        run.assert_code_logged(1603);
        assert!(
            snapshot(&ctx.root) == before,
            "{pkg} {props:?} changed the root: {:?}\n{}",
            test_support::e2e::tree(&ctx.root),
            run.describe()
        );
    }
}

#[test]
fn a_file_where_a_folder_must_go_is_1603_and_stays() {
    let ctx = Ctx::new();
    let opt = ctx.root.join(Layout::Fhs.program_files());
    fs::write(&opt, "a file, not a folder\n").expect("write opt");
    let before = snapshot(&ctx.root);
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(1603);
    assert!(
        snapshot(&ctx.root) == before,
        "{:?}",
        test_support::e2e::tree(&ctx.root)
    );
}

// --- hostile packages: nothing outside the root ---

/// Paths a hostile package tries to write; none may exist after the install.
const ESCAPES: &[&str] = &[
    "/rmsi-escaped-dotdot-dir.txt",
    "/rmsi-escaped-dotdot-file.txt",
    "/rmsi-escaped-long-file.txt",
    "/rmsi-escaped-backslash-file.txt",
    "/tmp/rmsi-escaped-slash-file.txt",
    "/tmp/rmsi-escaped-abs-file.txt",
    "/tmp/rmsi-escaped-abs-dir",
    "/tmp/rmsi-escaped-slash-dir",
];

/// Installs `pkg` in both layouts: nothing may land outside the root. Refusing the
/// package (1603, root empty) and installing it inside the root are both fine.
fn assert_stays_in_root(pkg: &str) {
    for layout in [Layout::Fhs, Layout::Windows] {
        let ctx = Ctx::new();
        let run = ctx.install(&package(pkg), layout, &[]);
        for path in ESCAPES {
            assert!(
                !Path::new(path).exists(),
                "{pkg} wrote {path} outside the root\n{}",
                run.describe()
            );
        }
        assert!(ctx.outside_root().is_empty(), "{:?}", ctx.outside_root());
        match run.code {
            Some(0) => {
                // The harmless file is there; nothing else escaped into the temp dir.
                assert!(
                    test_support::e2e::tree(&ctx.root)
                        .iter()
                        .any(|p| p.ends_with("files/inside.txt")),
                    "{pkg}: {:?}\n{}",
                    test_support::e2e::tree(&ctx.root),
                    run.describe()
                );
            }
            Some(c) if c == 1603 % 256 => {
                run.assert_code_logged(1603);
                assert_root_empty(&ctx.root, &run);
            }
            _ => panic!("{pkg}: unexpected result\n{}", run.describe()),
        }
    }
}

#[test]
fn directory_named_dotdot_stays_in_the_root() {
    assert_stays_in_root("hostile-dir-dotdot.msi");
}

#[test]
fn directory_with_a_dotdot_long_name_stays_in_the_root() {
    assert_stays_in_root("hostile-dir-long.msi");
}

#[test]
fn directory_with_a_dotdot_target_name_stays_in_the_root() {
    assert_stays_in_root("hostile-dir-target.msi");
}

#[test]
fn directory_with_an_absolute_name_stays_in_the_root() {
    assert_stays_in_root("hostile-dir-abs.msi");
}

#[test]
fn directory_name_with_slashes_stays_in_the_root() {
    assert_stays_in_root("hostile-dir-slash.msi");
}

#[test]
fn file_name_with_dotdot_stays_in_the_root() {
    assert_stays_in_root("hostile-file-dotdot.msi");
}

#[test]
fn file_name_with_slashes_stays_in_the_root() {
    assert_stays_in_root("hostile-file-slash.msi");
}

#[test]
fn absolute_file_name_stays_in_the_root() {
    assert_stays_in_root("hostile-file-abs.msi");
}

#[test]
fn file_with_a_dotdot_long_name_stays_in_the_root() {
    assert_stays_in_root("hostile-file-long.msi");
}

#[test]
fn file_name_with_backslashes_stays_in_the_root() {
    assert_stays_in_root("hostile-file-backslash.msi");
}

/// RemoveFile, MoveFile and DuplicateFile rows whose folder is a plain property set to a
/// folder outside the root: the files there are neither deleted, moved nor joined.
#[test]
fn remove_move_and_duplicate_file_rows_stay_in_the_root() {
    for pkg in [
        "hostile-removefile.msi",
        "hostile-movefile.msi",
        "hostile-duplicatefile.msi",
    ] {
        for layout in [Layout::Fhs, Layout::Windows] {
            let ctx = Ctx::new();
            let victim = ctx.path("victim");
            fs::create_dir(&victim).expect("mkdir victim");
            fs::write(victim.join("a.txt"), "victim a\n").expect("write a.txt");
            fs::write(victim.join("b.txt"), "victim b\n").expect("write b.txt");
            let before = snapshot(&victim);
            let run = ctx.install(
                &package(pkg),
                layout,
                &[&format!("VICTIMDIR={}/", victim.display())],
            );
            assert!(
                snapshot(&victim) == before,
                "{pkg} ({}) touched {}: {:?}\n{}",
                layout.as_str(),
                victim.display(),
                test_support::e2e::tree(&victim),
                run.describe()
            );
            assert!(
                matches!(run.code, Some(c) if c == 0 || c == 1603 % 256),
                "{pkg}\n{}",
                run.describe()
            );
        }
    }
}

#[test]
fn symlink_already_in_the_root_is_not_followed() {
    let ctx = Ctx::new();
    let outside = ctx.path("outside");
    fs::create_dir(&outside).expect("mkdir outside");
    std::os::unix::fs::symlink(&outside, ctx.root.join("Program Files (x86)"))
        .expect("plant a symlink");
    let run = ctx.install(&package("multi.msi"), Layout::Windows, &[]);
    let written: Vec<_> = fs::read_dir(&outside).expect("read outside").collect();
    assert!(
        written.is_empty(),
        "wrote through a symlink in the root\n{}",
        run.describe()
    );
    // Refusing (1603, root as it was) or installing beside the symlink are both fine.
    assert!(
        matches!(run.code, Some(c) if c == 0 || c == 1603 % 256),
        "{}",
        run.describe()
    );
}

#[test]
fn hard_link_in_the_root_to_an_outside_file_is_not_written_through() {
    // An unmodified tool.txt already in the root is replaced; here it is a hard link to a
    // file outside the root, which must keep its bytes (replace the name, not the inode).
    let ctx = Ctx::new();
    let outside = ctx.path("outside.txt");
    let original = b"outside the root\n".to_vec();
    fs::write(&outside, &original).expect("write outside.txt");
    let tool = ctx
        .root
        .join(Layout::Fhs.program_files())
        .join("rmsi-tests/multi/bin/tool.txt");
    fs::create_dir_all(tool.parent().expect("bin/")).expect("mkdir bin");
    fs::hard_link(&outside, &tool).expect("hard link into the root");
    if let Ok(born) = fs::metadata(&tool).and_then(|m| m.created()) {
        fs::File::options()
            .write(true)
            .open(&tool)
            .and_then(|f| f.set_modified(born))
            .expect("mark it unmodified");
    }
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &[]);
    assert_eq!(
        fs::read(&outside).ok(),
        Some(original),
        "wrote through a hard link"
    );
    assert!(
        matches!(run.code, Some(c) if c == 0 || c == 1603 % 256),
        "{}",
        run.describe()
    );
}

#[test]
fn fifo_at_a_target_path_does_not_hang_the_install() {
    let ctx = Ctx::new();
    let tool = ctx
        .root
        .join(Layout::Fhs.program_files())
        .join("rmsi-tests/multi/bin/tool.txt");
    fs::create_dir_all(tool.parent().expect("bin/")).expect("mkdir bin");
    let status = std::process::Command::new("mkfifo")
        .arg(&tool)
        .status()
        .expect("run mkfifo");
    assert!(status.success());
    let mut cmd = ctx.install_command(&package("multi.msi"), Layout::Fhs, &[]);
    let run =
        test_support::e2e::run_command_within(&mut cmd, Some(&ctx.log), Duration::from_secs(10));
    // Replacing it and refusing the install are both fine; waiting for a writer is not.
    assert!(
        matches!(run.code, Some(c) if c == 0 || c == 1603 % 256),
        "{}",
        run.describe()
    );
}

// --- the seed: MsiRestartManagerSessionKey around InstallValidate ---

fn is_key(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[test]
fn session_key_is_set_before_install_validate_and_cleared_after() {
    let ctx = Ctx::new();
    let keys = ctx.path("keys");
    fs::create_dir(&keys).expect("mkdir keys");
    let keydir = format!("KEYDIR={}/", keys.display());
    let run = ctx.install(&package("rmkey.msi"), Layout::Fhs, &[&keydir]);
    run.assert_code_logged(0);
    let before = fs::read_to_string(keys.join("key-before.txt")).expect("key-before.txt");
    let after = fs::read_to_string(keys.join("key-after.txt")).expect("key-after.txt");
    assert!(
        is_key(&before),
        "key before InstallValidate: {before:?}\n{}",
        run.describe()
    );
    assert_eq!(after, "", "key after InstallValidate must be empty");
    // The dump masks the key.
    for line in run.log.lines().filter(|l| l.starts_with("Property(S): ")) {
        assert!(!line.contains(&before), "unmasked key in the dump: {line}");
    }
    // The session ended with the install.
    let out = ctx
        .rstmgr()
        .args(["list", &before])
        .output()
        .expect("run rstmgr list");
    assert_eq!(
        out.status.code(),
        Some(1),
        "session still open after the install"
    );
    let pf = Layout::Fhs.program_files();
    assert!(
        ctx.root
            .join(format!("{pf}/rmsi-tests/rmkey/app.txt"))
            .is_file()
    );
}

#[test]
fn property_dump_masks_the_session_key() {
    // Without InstallValidate nothing clears the key: it reaches the final dump.
    let ctx = Ctx::new();
    let keys = ctx.path("keys");
    fs::create_dir(&keys).expect("mkdir keys");
    let keydir = format!("KEYDIR={}/", keys.display());
    let run = ctx.install(&package("rmkey-novalidate.msi"), Layout::Fhs, &[&keydir]);
    run.assert_code_logged(0);
    let before = fs::read_to_string(keys.join("key-before.txt")).expect("key-before.txt");
    let after = fs::read_to_string(keys.join("key-after.txt")).expect("key-after.txt");
    assert!(is_key(&before), "{before:?}\n{}", run.describe());
    assert_eq!(
        after, before,
        "nothing clears the key without InstallValidate"
    );
    let dumped = log::server_properties(&run.log);
    let shown = dumped
        .get("MsiRestartManagerSessionKey")
        .unwrap_or_else(|| panic!("the dump lacks the key's property\n{}", run.describe()));
    assert!(
        !shown.is_empty() && !shown.contains(&before),
        "unmasked: {shown:?}"
    );
    for line in run.log.lines().filter(|l| l.starts_with("Property(S): ")) {
        assert!(!line.contains(&before), "unmasked key in the dump: {line}");
    }
}

#[test]
fn custom_action_joins_the_session_and_its_file_holder_is_shut_down() {
    let ctx = Ctx::new();
    let keys = ctx.path("keys");
    fs::create_dir(&keys).expect("mkdir keys");
    let held = ctx.path("held.dat");
    fs::write(&held, vec![b'h'; 4096]).expect("write held.dat");
    let mut holder = Holder::map(&held);
    let pid = holder.pid();
    let run = ctx.install(
        &package("rmkey.msi"),
        Layout::Fhs,
        &[
            &format!("KEYDIR={}/", keys.display()),
            &format!("HELD={}", held.display()),
        ],
    );
    run.assert_code_logged(0);
    let before = fs::read_to_string(keys.join("key-before.txt")).expect("key-before.txt");
    assert!(is_key(&before), "{before:?}");
    assert_eq!(
        fs::read_to_string(keys.join("key-after.txt"))
            .ok()
            .as_deref(),
        Some("")
    );
    assert_eq!(
        log::ended(&run.log, "JoinRm"),
        Some(1),
        "{}",
        run.describe()
    );
    // The affected app registered by the custom action is in the log: pid, name, type.
    assert_app_listed(&run, pid, "python3");
    // Quiet install, MSIRMSHUTDOWN unset: the documented default shuts it down.
    assert!(
        holder.exited_within(Duration::from_secs(5)),
        "the holder of a registered file is still running\n{}",
        run.describe()
    );
}

#[test]
fn custom_action_registers_a_process_that_is_then_shut_down() {
    let ctx = Ctx::new();
    let mut sleeper = Holder::sleeper();
    let pid = sleeper.pid();
    let run = ctx.install(
        &package("rmkey.msi"),
        Layout::Fhs,
        &[&format!("HOLDPID={pid}")],
    );
    run.assert_code_logged(0);
    assert_eq!(
        log::ended(&run.log, "JoinRmPid"),
        Some(1),
        "{}",
        run.describe()
    );
    assert_app_listed(&run, pid, "python3");
    assert!(
        sleeper.exited_within(Duration::from_secs(5)),
        "the registered process is still running\n{}",
        run.describe()
    );
}

/// Installs rmkey.msi with SERVICE=NAME (JoinRmService registers it) and `props`, with
/// SVDIR pointing at a private runit service folder.
fn install_registering_a_service(
    props: &[&str],
) -> (
    Ctx,
    test_support::e2e::Run,
    test_support::e2e::RunitService,
    u32,
) {
    let ctx = Ctx::new();
    let service = test_support::e2e::RunitService::start(&ctx, "rmsidemo");
    let before = service.pid().expect("the service runs");
    let mut all = vec!["SERVICE=rmsidemo"];
    all.extend_from_slice(props);
    let mut cmd = ctx.install_command(&package("rmkey.msi"), Layout::Fhs, &all);
    cmd.env("SVDIR", &service.svdir);
    let run = ctx.finish(&mut cmd);
    (ctx, run, service, before)
}

#[test]
fn registered_service_is_stopped_and_started_again() {
    let (_ctx, run, service, before) = install_registering_a_service(&[]);
    run.assert_code_logged(0);
    assert_eq!(
        log::ended(&run.log, "JoinRmService"),
        Some(1),
        "{}",
        run.describe()
    );
    assert_app_listed(&run, before, "rmsidemo");
    // Services shut down for the update are restarted (MSIDISABLERMRESTART unset).
    let start = Instant::now();
    let mut now = service.pid();
    while now.is_none_or(|p| p == before) && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
        now = service.pid();
    }
    assert!(
        now.is_some_and(|p| p != before),
        "not restarted: pid {now:?} (was {before})\n{}",
        run.describe()
    );
}

#[test]
fn msidisablermrestart_leaves_a_stopped_service_down() {
    let (_ctx, run, service, _before) = install_registering_a_service(&["MSIDISABLERMRESTART=1"]);
    run.assert_code_logged(0);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        service.pid(),
        None,
        "restarted despite MSIDISABLERMRESTART=1\n{}",
        run.describe()
    );
}

// --- files in use: a process holds the replaced file open and mapped ---

fn libdemo(layout: Layout) -> String {
    format!("{}/rmsi-tests/inuse/lib/libdemo.so", layout.program_files())
}

/// Installs inuse-v1, maps its lib/libdemo.so from a child process, then installs v2
/// with `props`; returns the run, the holder and the file's path.
fn replace_mapped_file(
    ctx: &Ctx,
    props: &[&str],
) -> (test_support::e2e::Run, Holder, std::path::PathBuf) {
    let run = ctx.install(&package("inuse-v1.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let lib = ctx.root.join(libdemo(Layout::Fhs));
    let v1 = fs::read(package("src/inuse-v1/libdemo.so")).expect("v1 source");
    assert_eq!(fs::read(&lib).ok(), Some(v1), "{}", run.describe());
    let holder = Holder::map(&lib);
    let run = ctx.install(&package("inuse-v2.msi"), Layout::Fhs, props);
    (run, holder, lib)
}

fn names_pid(run: &test_support::e2e::Run, pid: u32) -> bool {
    log::restart_manager(&run.log).iter().any(|l| {
        l.split(|c: char| !c.is_ascii_digit())
            .any(|w| w == pid.to_string())
    })
}

/// The log lists the affected app with its pid, name and type on one `RESTART MANAGER:`
/// line (the type as RM_APP_TYPE names it, in either spelling).
fn assert_app_listed(run: &test_support::e2e::Run, pid: u32, name: &str) {
    const TYPES: &[&str] = &[
        "RmUnknownApp",
        "RmMainWindow",
        "RmOtherWindow",
        "RmService",
        "RmExplorer",
        "RmConsole",
        "RmCritical",
        "unknown",
        "main_window",
        "other_window",
        "service",
        "explorer",
        "console",
        "critical",
    ];
    let listed = log::restart_manager(&run.log).into_iter().any(|l| {
        l.split(|c: char| !c.is_ascii_digit())
            .any(|w| w == pid.to_string())
            && l.contains(name)
            && TYPES.iter().any(|t| l.contains(t))
    });
    assert!(
        listed,
        "no RESTART MANAGER line gives pid {pid}, name {name} and a type\n{}",
        run.describe()
    );
}

#[test]
fn mapped_file_holder_is_shut_down_at_ui_none() {
    let ctx = Ctx::new();
    let (run, mut holder, lib) = replace_mapped_file(&ctx, &[]);
    run.assert_code_logged(0);
    assert_app_listed(&run, holder.pid(), "python3");
    let rm = log::restart_manager(&run.log);
    for step in ["Session opened", "shut down", "Session closed"] {
        assert!(
            rm.iter().any(|l| l.contains(step)),
            "no `{step}` line: {rm:?}"
        );
    }
    assert!(
        holder.exited_within(Duration::from_secs(5)),
        "the holder still runs\n{}",
        run.describe()
    );
    let v2 = fs::read(package("src/inuse-v2/libdemo.so")).expect("v2 source");
    assert_eq!(fs::read(&lib).ok(), Some(v2), "libdemo.so was not replaced");
}

#[test]
fn mapped_file_holder_left_running_with_disable_shutdown_is_3010() {
    let ctx = Ctx::new();
    let (run, mut holder, _lib) =
        replace_mapped_file(&ctx, &["MSIRESTARTMANAGERCONTROL=DisableShutdown"]);
    run.assert_code_logged(3010);
    // Spec 1.3/1.9: in-use files replaced, a restart needed.
    assert_eq!(
        log::server_properties(&run.log)
            .get("ReplacedInUseFiles")
            .map(String::as_str),
        Some("1"),
        "{}",
        run.describe()
    );
    assert!(
        holder.is_running(),
        "DisableShutdown must not shut the holder down"
    );
    assert!(names_pid(&run, holder.pid()), "{}", run.describe());
}

#[test]
fn mapped_file_holder_not_registered_for_restart_with_rmshutdown_2_is_3010() {
    let ctx = Ctx::new();
    let (run, mut holder, _lib) = replace_mapped_file(&ctx, &["MSIRMSHUTDOWN=2"]);
    run.assert_code_logged(3010);
    assert!(
        holder.is_running(),
        "MSIRMSHUTDOWN=2 shuts down only restartable apps"
    );
    assert!(names_pid(&run, holder.pid()), "{}", run.describe());
}

/// Installs inuse-v1, maps its file from a holder that ignores SIGTERM, then installs v2
/// with `props` and a 1-second shutdown timeout (RSTMGR_SHUTDOWN_TIMEOUT, issue 4).
fn replace_file_held_by_a_stubborn_process(props: &[&str]) -> (test_support::e2e::Run, Holder) {
    let ctx = Ctx::new();
    let run = ctx.install(&package("inuse-v1.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let holder = Holder::map_ignoring_sigterm(&ctx.root.join(libdemo(Layout::Fhs)));
    let mut cmd = ctx.install_command(&package("inuse-v2.msi"), Layout::Fhs, props);
    cmd.env("RSTMGR_SHUTDOWN_TIMEOUT", "1");
    let run =
        test_support::e2e::run_command_within(&mut cmd, Some(&ctx.log), Duration::from_secs(15));
    (run, holder)
}

#[test]
fn msirmshutdown_1_forces_a_process_that_ignores_sigterm() {
    let (run, mut holder) = replace_file_held_by_a_stubborn_process(&["MSIRMSHUTDOWN=1"]);
    run.assert_code_logged(0);
    assert!(
        holder.exited_within(Duration::from_secs(5)),
        "{}",
        run.describe()
    );
}

#[test]
fn process_that_ignores_a_polite_shutdown_is_left_running_with_3010() {
    let (run, mut holder) = replace_file_held_by_a_stubborn_process(&[]);
    run.assert_code_logged(3010);
    assert!(holder.is_running(), "a polite shutdown must not kill");
    assert!(names_pid(&run, holder.pid()), "{}", run.describe());
}

#[test]
fn full_ui_without_a_terminal_behaves_as_basic() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("inuse-v1.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let lib = ctx.root.join(libdemo(Layout::Fhs));
    let mut holder = Holder::map(&lib);
    let mut cmd = ctx.rmsi();
    cmd.arg("install")
        .arg(package("inuse-v2.msi"))
        .arg("--root")
        .arg(&ctx.root)
        .arg("--ui")
        .arg("full")
        .arg("--log")
        .arg(&ctx.log);
    let run = ctx.finish(&mut cmd);
    // No terminal to ask: the files-in-use prompt is not shown, the quiet default applies.
    run.assert_code_logged(0);
    assert!(names_pid(&run, holder.pid()), "{}", run.describe());
    assert!(
        holder.exited_within(Duration::from_secs(5)),
        "{}",
        run.describe()
    );
}

/// Runs `rmsi install PKG --root … --ui full --log …` on a pseudo-terminal (util-linux
/// `script`), typing `answer` to the files-in-use prompt.
fn install_on_a_terminal(ctx: &Ctx, pkg: &Path, answer: &str) -> test_support::e2e::Run {
    install_on_a_terminal_at(ctx, pkg, &["--ui", "full"], answer)
}

/// Runs `rmsi install PKG --root … --layout fhs --log … EXTRA…` on a pseudo-terminal.
fn install_on_a_terminal_at(
    ctx: &Ctx,
    pkg: &Path,
    extra: &[&str],
    answer: &str,
) -> test_support::e2e::Run {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let (pkg, root, log) = (
        pkg.to_string_lossy(),
        ctx.root.to_string_lossy(),
        ctx.log.to_string_lossy(),
    );
    let mut args = vec![
        env!("CARGO_BIN_EXE_rmsi"),
        "install",
        &pkg,
        "--root",
        &root,
        "--layout",
        "fhs",
        "--log",
        &log,
    ];
    args.extend_from_slice(extra);
    let line = args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
    // The same environment as `ctx.rmsi()` gives rmsi, through script.
    let mut script = std::process::Command::new("script");
    for (key, value) in ctx.rmsi().get_envs() {
        match value {
            Some(value) => script.env(key, value),
            None => script.env_remove(key),
        };
    }
    let mut child = script
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run util-linux script");
    let mut stdin = child.stdin.take().expect("piped stdin");
    std::io::Write::write_all(&mut stdin, answer.as_bytes()).expect("type the answer");
    // Keep the terminal's input open until rmsi is done.
    let run = wait_run(child, Some(&ctx.log));
    drop(stdin);
    run
}

#[test]
fn default_ui_is_basic_on_a_terminal() {
    let ctx = Ctx::new();
    let run = install_on_a_terminal_at(&ctx, &package("multi.msi"), &[], "");
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let props = log::server_properties(&run.log);
    assert_eq!(
        props.get("UILevel").map(String::as_str),
        Some("3"),
        "{}",
        run.describe()
    );
    // The progress bar names the actions as they run (it redraws at its own pace, so
    // some action, not every one).
    let shown = log::starts(&run.log)
        .iter()
        .any(|a| a != "INSTALL" && run.stdout.contains(a.as_str()));
    assert!(shown, "no progress shown\n{}", run.describe());
}

#[test]
fn default_ui_is_none_without_a_terminal() {
    let ctx = Ctx::new();
    let mut cmd = ctx.rmsi();
    cmd.arg("install")
        .arg(package("multi.msi"))
        .arg("--root")
        .arg(&ctx.root)
        .arg("--log")
        .arg(&ctx.log);
    let run = ctx.finish(&mut cmd);
    run.assert_code_logged(0);
    let props = log::server_properties(&run.log);
    assert_eq!(
        props.get("UILevel").map(String::as_str),
        Some("2"),
        "{}",
        run.describe()
    );
    assert!(
        !run.stderr.contains("InstallFiles"),
        "progress on a pipe\n{}",
        run.describe()
    );
    // Without --layout: fhs.
    assert_multi(&ctx, Layout::Fhs, MULTI_DEFAULT, &run);
}

/// Installs inuse-v1, maps its file, then installs v2 at full UI on a terminal.
fn prompt_case(answer: &str) -> (Ctx, test_support::e2e::Run, Holder) {
    let ctx = Ctx::new();
    let run = ctx.install(&package("inuse-v1.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let holder = Holder::map(&ctx.root.join(libdemo(Layout::Fhs)));
    let run = install_on_a_terminal(&ctx, &package("inuse-v2.msi"), answer);
    assert!(
        run.stdout.contains(&holder.pid().to_string()),
        "the prompt does not list the holder\n{}",
        run.describe()
    );
    (ctx, run, holder)
}

#[test]
fn full_ui_prompt_close_applications_shuts_the_holder_down() {
    let (_ctx, run, mut holder) = prompt_case("1\n");
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert!(
        holder.exited_within(Duration::from_secs(5)),
        "{}",
        run.describe()
    );
}

#[test]
fn full_ui_prompt_do_not_close_is_3010() {
    let (_ctx, run, mut holder) = prompt_case("2\n");
    assert_eq!(run.code, Some(3010 % 256), "{}", run.describe());
    assert!(
        run.log.contains("MainEngineThread is returning 3010"),
        "{}",
        run.describe()
    );
    assert!(holder.is_running());
}

#[test]
fn full_ui_prompt_cancel_is_1602_and_leaves_the_root_as_it_was() {
    let (ctx, run, mut holder) = prompt_case("3\n");
    assert_eq!(run.code, Some(1602 % 256), "{}", run.describe());
    assert!(
        run.log.contains("MainEngineThread is returning 1602"),
        "{}",
        run.describe()
    );
    assert!(holder.is_running());
    let v1 = fs::read(package("src/inuse-v1/libdemo.so")).expect("v1 source");
    let path = libdemo(Layout::Fhs);
    assert_payload(&ctx.root, Layout::Fhs, &[(&path, &v1)], &[], &run);
}

/// Lines of `pidfile` (the pids of every holder instance so far).
fn pids(pidfile: &Path) -> Vec<u32> {
    fs::read_to_string(pidfile)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

#[test]
fn holder_registered_for_restart_is_restarted_after_the_files_are_in_place() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("inuse-v1.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let lib = ctx.root.join(libdemo(Layout::Fhs));
    let (pidfile, stopfile) = (ctx.path("pids"), ctx.path("stop"));
    let mut holder = Holder::map_restartable(&ctx, &lib, &pidfile, &stopfile);
    let first = holder.pid();
    let run = ctx.install(&package("inuse-v2.msi"), Layout::Fhs, &[]);
    // The relaunched instance stops by itself once `stop` exists.
    let _stop = StopFile(stopfile.clone());
    run.assert_code_logged(0);
    assert!(
        holder.exited_within(Duration::from_secs(5)),
        "{}",
        run.describe()
    );
    let start = Instant::now();
    while pids(&pidfile).len() < 2 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let all = pids(&pidfile);
    assert_eq!(
        all.len(),
        2,
        "not restarted: pids {all:?}\n{}",
        run.describe()
    );
    assert_eq!(all[0], first);
    assert_ne!(all[1], first);
    assert!(
        log::restart_manager(&run.log)
            .iter()
            .any(|l| l.contains("restarted")),
        "{}",
        run.describe()
    );
    // The log names the new instance, not the one that was shut down.
    let new = all[1].to_string();
    assert!(
        log::restart_manager(&run.log).iter().any(|l| {
            l.contains("Restarted") && l.split(|c: char| !c.is_ascii_digit()).any(|w| w == new)
        }),
        "no RESTART MANAGER line names the relaunched pid {new}\n{}",
        run.describe()
    );
}

#[test]
fn msidisablermrestart_keeps_a_shut_down_holder_down() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("inuse-v1.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let lib = ctx.root.join(libdemo(Layout::Fhs));
    let (pidfile, stopfile) = (ctx.path("pids"), ctx.path("stop"));
    let mut holder = Holder::map_restartable(&ctx, &lib, &pidfile, &stopfile);
    let run = ctx.install(
        &package("inuse-v2.msi"),
        Layout::Fhs,
        &["MSIDISABLERMRESTART=1"],
    );
    let _stop = StopFile(stopfile.clone());
    run.assert_code_logged(0);
    assert!(
        holder.exited_within(Duration::from_secs(5)),
        "{}",
        run.describe()
    );
    // A relaunch would write its pid within a moment of the install's end.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        pids(&pidfile).len(),
        1,
        "restarted despite MSIDISABLERMRESTART=1"
    );
}

/// Creates the stop file of restartable holders when dropped (also on a failed assert).
struct StopFile(std::path::PathBuf);

impl Drop for StopFile {
    fn drop(&mut self) {
        let _ = fs::write(&self.0, "stop");
    }
}

#[test]
fn symlink_in_the_root_is_never_followed_to_register_its_target() {
    let ctx = Ctx::new();
    // lib/libdemo.so already in the root, as a symlink to a file outside that a process
    // holds mapped: neither that process nor that file may be touched.
    let outside = ctx.path("outside.so");
    let original = b"outside the root\n".repeat(64);
    fs::write(&outside, &original).expect("write outside.so");
    let mut holder = Holder::map(&outside);
    let lib = ctx.root.join(libdemo(Layout::Fhs));
    fs::create_dir_all(lib.parent().expect("lib/")).expect("mkdir lib");
    std::os::unix::fs::symlink(&outside, &lib).expect("plant the symlink");
    let run = ctx.install(&package("inuse-v2.msi"), Layout::Fhs, &[]);
    assert!(
        holder.is_running(),
        "a process outside the root was shut down\n{}",
        run.describe()
    );
    assert!(!names_pid(&run, holder.pid()), "{}", run.describe());
    assert_eq!(
        fs::read(&outside).ok(),
        Some(original),
        "wrote through the symlink"
    );
    assert!(
        matches!(run.code, Some(c) if c == 0 || c == 1603 % 256),
        "{}",
        run.describe()
    );
}

// --- the Restart Manager unavailable or disabled ---

#[test]
fn unsafe_state_directory_installs_without_the_restart_manager() {
    let ctx = Ctx::new();
    fs::set_permissions(&ctx.state, fs::Permissions::from_mode(0o777)).expect("chmod 0777");
    let keys = ctx.path("keys");
    fs::create_dir(&keys).expect("mkdir keys");
    let run = ctx.install(
        &package("rmkey.msi"),
        Layout::Fhs,
        &[&format!("KEYDIR={}/", keys.display())],
    );
    run.assert_code_logged(0);
    let before = fs::read_to_string(keys.join("key-before.txt")).expect("key-before.txt");
    assert_eq!(before, "", "no session, no key\n{}", run.describe());
    let rm = log::restart_manager(&run.log);
    assert!(
        !rm.is_empty(),
        "the log does not say why there is no session\n{}",
        run.describe()
    );
    assert!(!rm.iter().any(|l| l.contains("Session opened")), "{rm:?}");
}

#[test]
fn msirestartmanagercontrol_disable_opens_no_session() {
    let ctx = Ctx::new();
    let keys = ctx.path("keys");
    fs::create_dir(&keys).expect("mkdir keys");
    let run = ctx.install(
        &package("rmkey.msi"),
        Layout::Fhs,
        &[
            &format!("KEYDIR={}/", keys.display()),
            "MSIRESTARTMANAGERCONTROL=Disable",
        ],
    );
    run.assert_code_logged(0);
    let before = fs::read_to_string(keys.join("key-before.txt")).expect("key-before.txt");
    assert_eq!(before, "", "{}", run.describe());
    assert!(
        !log::restart_manager(&run.log)
            .iter()
            .any(|l| l.contains("Session opened")),
        "{}",
        run.describe()
    );
}

// --- file versioning: an unversioned file already on disk ---

/// Puts `content` at multi.msi's bin/tool.txt in the root, with its modification time set
/// `offset_secs` from its birth time; None when the file system records no birth time.
fn existing_tool(ctx: &Ctx, content: &[u8], offset_secs: i64) -> Option<std::path::PathBuf> {
    let path = ctx
        .root
        .join(Layout::Fhs.program_files())
        .join("rmsi-tests/multi/bin/tool.txt");
    fs::create_dir_all(path.parent().expect("bin/")).expect("mkdir bin");
    fs::write(&path, content).expect("write tool.txt");
    let born = fs::metadata(&path).expect("stat tool.txt").created().ok()?;
    let modified = if offset_secs >= 0 {
        born + Duration::from_secs(offset_secs.unsigned_abs())
    } else {
        born - Duration::from_secs(offset_secs.unsigned_abs())
    };
    fs::File::options()
        .write(true)
        .open(&path)
        .expect("open tool.txt")
        .set_modified(modified)
        .expect("set the modification time");
    Some(path)
}

#[test]
fn unmodified_unversioned_file_is_replaced() {
    // Created = Modified: the file is the installer's own, not user data.
    for offset in [0, -3600] {
        let ctx = Ctx::new();
        let Some(path) = existing_tool(&ctx, b"an older tool.txt\n", offset) else {
            return; // no birth time here: covered by the engine's own rule for that case
        };
        let run = ctx.install(&package("multi.msi"), Layout::Fhs, &[]);
        run.assert_code_logged(0);
        assert_eq!(
            fs::read(&path).ok(),
            Some(multi_src("bin/tool.txt")),
            "Modified <= Created (offset {offset}): replaced\n{}",
            run.describe()
        );
    }
}

#[test]
fn user_modified_unversioned_file_is_kept_and_its_holder_left_alone() {
    let ctx = Ctx::new();
    let mine = b"the user's own tool.txt\n".to_vec();
    let Some(path) = existing_tool(&ctx, &mine, 3600) else {
        return; // no birth time here: the engine treats the file as unmodified
    };
    // A process holds it mapped: as the file is not replaced, it is not registered.
    let mut holder = Holder::map(&path);
    let run = ctx.install(&package("multi.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    assert_eq!(
        fs::read(&path).ok(),
        Some(mine),
        "user data overwritten\n{}",
        run.describe()
    );
    assert!(holder.is_running(), "{}", run.describe());
    assert!(!names_pid(&run, holder.pid()), "{}", run.describe());
}

// --- custom actions as host programs ---

#[test]
fn custom_action_command_line_is_split_by_windows_rules() {
    let ctx = Ctx::new();
    let args = ctx.path("args.txt");
    let run = ctx.install(
        &package("ca.msi"),
        Layout::Fhs,
        &[&format!("ARGSFILE={}", args.display())],
    );
    run.assert_code_logged(0);
    let got = fs::read_to_string(&args).expect("args.txt");
    assert_eq!(
        got,
        "<plain>\n<two words>\n<a\"quote>\n<back\\\\slash>\n<trail\\\\>\n<>\n<value with spaces>\n",
        "{}",
        run.describe()
    );
}

#[test]
fn type34_custom_action_runs_in_its_directory() {
    let ctx = Ctx::new();
    let cwd = ctx.path("cwd.txt");
    // windows layout: TARGETDIR is the root itself, which exists.
    let run = ctx.install(
        &package("ca.msi"),
        Layout::Windows,
        &[&format!("CWDFILE={}", cwd.display())],
    );
    run.assert_code_logged(0);
    let got = fs::read_to_string(&cwd).expect("cwd.txt");
    let root = fs::canonicalize(&ctx.root).expect("canonical root");
    assert_eq!(got.trim_end(), root.to_string_lossy(), "{}", run.describe());
}

#[test]
fn type2_custom_action_runs_from_the_binary_table() {
    let ctx = Ctx::new();
    let out = ctx.path("binary.txt");
    let run = ctx.install(
        &package("ca.msi"),
        Layout::Fhs,
        &[&format!("BINFILE={}", out.display())],
    );
    run.assert_code_logged(0);
    let got = fs::read_to_string(&out).expect("binary.txt");
    assert_eq!(
        got,
        format!("{}\none\ntwo words\n", out.display()),
        "{}",
        run.describe()
    );
}

#[test]
fn async_no_wait_custom_action_is_not_waited_for() {
    let ctx = Ctx::new();
    let out = ctx.path("async.txt");
    let start = Instant::now();
    let run = ctx.install(
        &package("ca.msi"),
        Layout::Fhs,
        &[&format!("ASYNCFILE={}", out.display())],
    );
    let took = start.elapsed();
    run.assert_code_logged(0);
    // The action sleeps 2 s before it writes: an install that waited would have taken
    // that long (a very slow machine proves nothing either way).
    if took < Duration::from_millis(1500) {
        assert!(
            !out.exists(),
            "the install waited for an asyncNoWait action"
        );
    }
    let start = Instant::now();
    while !out.exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        out.exists(),
        "the asyncNoWait action never ran\n{}",
        run.describe()
    );
}

#[test]
fn async_wait_custom_action_failure_is_checked_at_the_end_of_the_sequence() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("ca.msi"), Layout::Fhs, &["ASYNCFAIL=1"]);
    run.assert_code_logged(1603);
    assert_root_empty(&ctx.root, &run);
}

#[test]
fn async_custom_action_failure_names_its_location_and_command() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("ca.msi"), Layout::Fhs, &["ASYNCFAIL=1"]);
    run.assert_code_logged(1603);
    // Message 1722: "… Action [2], location: [3], command: [4]" ("Windows Installer Error
    // Messages").
    let line = run
        .log
        .lines()
        .find(|l| l.starts_with("Error 1722."))
        .unwrap_or_else(|| panic!("no Error 1722 line\n{}", run.describe()));
    assert!(
        line.contains("Action AsyncWaitFail, location: /bin/sh, command: -c \"sleep 1; exit 4\""),
        "{line}"
    );
}

#[test]
fn type18_custom_action_runs_an_installed_file() {
    let ctx = Ctx::new();
    let out = ctx.path("ran.txt");
    let run = ctx.install(
        &package("ca.msi"),
        Layout::Fhs,
        &[&format!("RUNFILE={}", out.display())],
    );
    run.assert_code_logged(0);
    let pf = format!("{}/rmsi-tests/ca", Layout::Fhs.program_files());
    let script = format!("{pf}/bin/installed-script.sh");
    let got = fs::read_to_string(&out).expect("ran.txt");
    assert_eq!(
        got,
        format!("ran {}\n", ctx.root.join(&script).display()),
        "{}",
        run.describe()
    );
    let payload = fs::read(package("src/ca/payload.txt")).expect("payload source");
    let source = fs::read(package("src/ca/installed-script.sh")).expect("script source");
    let path = format!("{pf}/payload.txt");
    assert_payload(
        &ctx.root,
        Layout::Fhs,
        &[(&path, &payload), (&script, &source)],
        &[],
        &run,
    );
}

#[test]
fn type19_custom_action_fails_the_install_with_its_message() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("ca.msi"), Layout::Fhs, &["ERRORCA=boom"]);
    run.assert_code_logged(1603);
    assert_root_empty(&ctx.root, &run);
    assert!(
        run.log.contains("Custom error from the package: boom"),
        "{}",
        run.describe()
    );
    assert_eq!(
        log::ended(&run.log, "INSTALL"),
        Some(3),
        "{}",
        run.describe()
    );
}

#[test]
fn failing_immediate_custom_action_is_1603_and_leaves_nothing() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("ca.msi"), Layout::Fhs, &["FAILIMM=5"]);
    run.assert_code_logged(1603);
    assert_root_empty(&ctx.root, &run);
    assert_eq!(
        log::ended(&run.log, "FailImmediate"),
        Some(3),
        "{}",
        run.describe()
    );
}

#[test]
fn ignored_custom_action_exit_code_does_not_fail() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("ca.msi"), Layout::Fhs, &["IGNEXIT=1"]);
    run.assert_code_logged(0);
    assert_eq!(
        log::ended(&run.log, "IgnoreExit"),
        Some(1),
        "{}",
        run.describe()
    );
    let payload = fs::read(package("src/ca/payload.txt")).expect("payload source");
    let path = format!("{}/rmsi-tests/ca/payload.txt", Layout::Fhs.program_files());
    assert_payload(&ctx.root, Layout::Fhs, &[(&path, &payload)], &[], &run);
}

#[test]
fn failing_deferred_custom_action_is_1603_and_leaves_nothing() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("ca.msi"), Layout::Fhs, &["FAILDEF=1"]);
    run.assert_code_logged(1603);
    assert_root_empty(&ctx.root, &run);
}

#[test]
fn no_custom_actions_refuses_an_install_that_needs_one() {
    let ctx = Ctx::new();
    let args = ctx.path("args.txt");
    let mut cmd = ctx.install_command(
        &package("ca.msi"),
        Layout::Fhs,
        &[&format!("ARGSFILE={}", args.display())],
    );
    cmd.arg("--no-custom-actions");
    let run = ctx.finish(&mut cmd);
    run.assert_code_logged(1603);
    assert_root_empty(&ctx.root, &run);
    assert!(
        !args.exists(),
        "a custom action ran despite --no-custom-actions"
    );
}

#[test]
fn second_install_on_the_same_root_is_1618() {
    let ctx = Ctx::new();
    let paused = ctx.path("paused");
    let first = ctx
        .install_command(
            &package("ca.msi"),
            Layout::Fhs,
            &["PAUSE=3", &format!("PAUSEFILE={}", paused.display())],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the first install");
    let start = Instant::now();
    while !paused.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the first install never reached its Pause action"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let second_log = ctx.path("second.log");
    let mut cmd = ctx.rmsi();
    cmd.arg("install")
        .arg(example("hello/hello.msi"))
        .arg("--root")
        .arg(&ctx.root)
        .arg("--ui")
        .arg("none")
        .arg("--log")
        .arg(&second_log);
    let second = test_support::e2e::run_command(&mut cmd, Some(&second_log));
    let first = wait_run(first, Some(&ctx.log));
    second.assert_code_logged(1618);
    first.assert_code_logged(0);
    let payload = fs::read(package("src/ca/payload.txt")).expect("payload source");
    let path = format!("{}/rmsi-tests/ca/payload.txt", Layout::Fhs.program_files());
    assert_payload(&ctx.root, Layout::Fhs, &[(&path, &payload)], &[], &first);
}

// --- uncompressed sources ---

#[test]
fn noncompressed_file_comes_from_the_source_root() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("uncompressed/uncompressed.msi"), Layout::Fhs, &[]);
    run.assert_code_logged(0);
    let a = fs::read(package("src/uncompressed/a.txt")).expect("a.txt source");
    // The copy beside the package, not the cabinet's (same size, other bytes).
    let b = fs::read(package("uncompressed/b.txt")).expect("b.txt source");
    let pf = format!("{}/rmsi-uncompressed", Layout::Fhs.program_files());
    let (pa, pb) = (format!("{pf}/a.txt"), format!("{pf}/sub/b.txt"));
    assert_payload(&ctx.root, Layout::Fhs, &[(&pa, &a), (&pb, &b)], &[], &run);
}

#[test]
fn missing_uncompressed_source_is_1603_and_leaves_nothing() {
    let ctx = Ctx::new();
    let alone = ctx.path("alone");
    fs::create_dir(&alone).expect("mkdir alone");
    let pkg = alone.join("uncompressed.msi");
    fs::copy(package("uncompressed/uncompressed.msi"), &pkg).expect("copy the package");
    let run = ctx.install(&pkg, Layout::Fhs, &[]);
    run.assert_code_logged(1603);
    assert_root_empty(&ctx.root, &run);
    assert_eq!(fs::read_dir(&alone).expect("read alone").count(), 1);
}

#[test]
fn killed_install_does_not_lock_the_root_for_ever() {
    let ctx = Ctx::new();
    let paused = ctx.path("paused");
    let mut first = ctx
        .install_command(
            &package("ca.msi"),
            Layout::Fhs,
            &["PAUSE=5", &format!("PAUSEFILE={}", paused.display())],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the first install");
    let start = Instant::now();
    while !paused.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the first install never reached its Pause action"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // SIGKILL, exactly that pid: no chance to clean up or to release anything by hand.
    first.kill().expect("kill the first install");
    first.wait().expect("reap the first install");
    let second_log = ctx.path("second.log");
    let mut cmd = ctx.rmsi();
    cmd.arg("install")
        .arg(example("hello/hello.msi"))
        .arg("--root")
        .arg(&ctx.root)
        .arg("--ui")
        .arg("none")
        .arg("--log")
        .arg(&second_log);
    let second = test_support::e2e::run_command(&mut cmd, Some(&second_log));
    second.assert_code_logged(0);
    let hello = format!("{}/rmsi-hello/hello.txt", Layout::Fhs.program_files());
    assert!(ctx.root.join(hello).is_file(), "{}", second.describe());
}

// --- 5,000 files ---

#[test]
fn many_files_install_byte_for_byte_as_msiextract_gives_them() {
    let ctx = Ctx::new();
    let pkg = package("many-files.msi");
    let run = ctx.install(&pkg, Layout::Windows, &[]);
    run.assert_code_logged(0);
    let extracted = ctx.path("extracted");
    fs::create_dir(&extracted).expect("mkdir extracted");
    let status = std::process::Command::new("msiextract")
        .arg("-C")
        .arg(&extracted)
        .arg(&pkg)
        .stdout(Stdio::null())
        .status()
        .expect("run msiextract (Debian's msitools)");
    assert!(status.success());
    // msiextract resolves ProgramFilesFolder as `Program Files`; the windows layout as a
    // 64-bit Windows 7 does, `Program Files (x86)` for this 32-bit package.
    let want: std::collections::BTreeMap<String, Vec<u8>> =
        payload_files(&extracted, Layout::Windows)
            .into_iter()
            .map(|(p, b)| (p.replacen("Program Files/", "Program Files (x86)/", 1), b))
            .collect();
    assert_eq!(want.len(), 5000);
    let got = payload_files(&ctx.root, Layout::Windows);
    assert_eq!(got.len(), 5000, "{}", run.describe());
    assert!(got == want, "installed files differ from msiextract's");
}
