//! End-to-end tests of a major upgrade: `upgrade-v2.msi` finds `upgrade-v1.msi` installed
//! (FindRelatedProducts, through the Upgrade table) and RemoveExistingProducts removes it
//! with its cached package, `REMOVE=ALL` and `UPGRADINGPRODUCTCODE` set (v1's removal-time
//! custom action records that value), in both layouts. Files v2 keeps at the same paths
//! stay; v1's own files and folders go; one product is left registered, and removing it
//! leaves nothing of either. Also: RemoveExistingProducts after InstallFinalize
//! (`upgrade-v2-late.msi`), a removal that cannot run (its packages gone), which fails
//! the upgrade with error 1714 and leaves version 1 as it was, and MigrateFeatureStates:
//! the Extra feature keeps the state it had in version 1 unless the command line asks.

use std::fs;

use test_support::e2e::{Ctx, Layout, Run, log, package, tree};

const V1: &str = "{5D2E7A10-1B2C-4D3E-8F40-6A7B8C9D0E01}";
const V2: &str = "{5D2E7A10-1B2C-4D3E-8F40-6A7B8C9D0E02}";

/// The product's folder under the root, relative.
fn app_dir(layout: Layout) -> String {
    format!("{}/rmsi-tests/upgrade", layout.program_files())
}

/// The payload under the product's folder: relative names and contents.
fn app_files(ctx: &Ctx, layout: Layout) -> Vec<(String, String)> {
    let dir = ctx.root.join(app_dir(layout));
    let mut out: Vec<(String, String)> = tree(&dir)
        .into_iter()
        .map(|p| {
            let text = if p.ends_with('/') {
                String::new()
            } else {
                fs::read_to_string(dir.join(&p)).expect("read an installed file")
            };
            (p, text)
        })
        .collect();
    out.sort();
    out
}

/// What v1's removal-time custom action recorded, one line per removal.
fn removals(ctx: &Ctx, layout: Layout) -> String {
    fs::read_to_string(
        ctx.root
            .join(layout.common_app_data())
            .join("upgrade-removals.txt"),
    )
    .unwrap_or_default()
}

fn installed_v2(ctx: &Ctx, layout: Layout, run: &Run) {
    installed_v2_with(ctx, layout, run, true);
}

/// v2's files, with or without its Extra feature's.
fn installed_v2_with(ctx: &Ctx, layout: Layout, run: &Run, extra: bool) {
    let mut want = vec![
        ("app.txt".to_string(), "app version 2\n".to_string()),
        (
            "new-only.txt".to_string(),
            "only in version 2\n".to_string(),
        ),
        (
            "shared.txt".to_string(),
            "shared file, the same in both versions\n".to_string(),
        ),
    ];
    if extra {
        want.push(("extra/".to_string(), String::new()));
        want.push((
            "extra/extra.txt".to_string(),
            "extra version 2\n".to_string(),
        ));
    }
    want.sort();
    assert_eq!(app_files(ctx, layout), want, "{}", run.describe());
}

#[test]
fn a_major_upgrade_removes_the_old_product_first() {
    for layout in [Layout::Fhs, Layout::Windows] {
        let ctx = Ctx::new();
        ctx.install(&package("upgrade-v1.msi"), layout, &[])
            .assert_code(0);
        assert_eq!(
            app_files(&ctx, layout).len(),
            7,
            "v1: 5 files, olddir/ and extra/"
        );
        let run = ctx.install(&package("upgrade-v2.msi"), layout, &[]);
        run.assert_code(0);
        installed_v2(&ctx, layout, &run);
        // v1's removal ran its own sequence, with the upgrading product's code.
        assert_eq!(
            removals(&ctx, layout),
            format!("removed UPGRADINGPRODUCTCODE={V2}\n")
        );
        assert_eq!(log::ended(&run.log, "RemoveExistingProducts"), Some(1));
        assert!(
            run.log
                .contains(&format!("FindRelatedProducts: Found application: {V1}")),
            "{}",
            run.describe()
        );
        assert!(
            log::property_changes(&run.log)
                .iter()
                .any(|l| l.contains(&format!(
                    "Adding UPGRADINGPRODUCTCODE property. Its value is '{V2}'."
                ))),
            "{}",
            run.describe()
        );
        // Only v2 is installed: v1 is unknown now, and v2's removal takes everything,
        // the files it kept from v1 included.
        ctx.uninstall(V1, layout, &[]).assert_code(1605);
        let run = ctx.uninstall(V2, layout, &[]);
        run.assert_code(0);
        let left: Vec<String> = tree(&ctx.root)
            .into_iter()
            .filter(|p| {
                !layout
                    .common_app_data()
                    .starts_with(p.trim_end_matches('/'))
            })
            .filter(|p| !p.ends_with("upgrade-removals.txt"))
            .collect();
        assert!(left.is_empty(), "left {left:?}\n{}", run.describe());
    }
}

#[test]
fn removing_the_old_product_after_the_commit_keeps_the_new_files() {
    let layout = Layout::Fhs;
    let ctx = Ctx::new();
    ctx.install(&package("upgrade-v1.msi"), layout, &[])
        .assert_code(0);
    let run = ctx.install(&package("upgrade-v2-late.msi"), layout, &[]);
    run.assert_code(0);
    installed_v2(&ctx, layout, &run);
    assert!(
        run.log
            .contains("is removed once this installation is committed"),
        "{}",
        run.describe()
    );
    ctx.uninstall(V1, layout, &[]).assert_code(1605);
    ctx.uninstall(V2, layout, &[]).assert_code(0);
    assert!(!ctx.root.join(app_dir(layout)).exists());
}

#[test]
fn an_old_product_that_cannot_be_removed_fails_the_upgrade_with_1714() {
    let layout = Layout::Fhs;
    let ctx = Ctx::new();
    // v1 installed from a copy of its package; then the copy and the cached package go.
    let v1 = ctx.path("upgrade-v1.msi");
    fs::copy(package("upgrade-v1.msi"), &v1).expect("copy the package");
    ctx.install(&v1, layout, &[]).assert_code(0);
    fs::remove_file(&v1).expect("remove the copy");
    let cache = ctx.root.join(layout.state_dir()).join("packages");
    for e in fs::read_dir(&cache).expect("the package cache") {
        fs::remove_file(e.expect("entry").path()).expect("remove the cached package");
    }
    let before = tree(&ctx.root);
    let run = ctx.install(&package("upgrade-v2.msi"), layout, &[]);
    run.assert_code(1603);
    assert!(
        run.log
            .contains("Error 1714. The older version of rmsi upgrade cannot be removed."),
        "{}",
        run.describe()
    );
    assert_eq!(tree(&ctx.root), before, "{}", run.describe());
}

#[test]
fn feature_states_carry_over_unless_the_command_line_asks() {
    let layout = Layout::Fhs;
    // v1 without its Extra feature (only Main asked for): v2 leaves Extra out too.
    let ctx = Ctx::new();
    ctx.install(&package("upgrade-v1.msi"), layout, &["ADDLOCAL=Main"])
        .assert_code(0);
    assert!(!ctx.root.join(app_dir(layout)).join("extra").exists());
    let run = ctx.install(&package("upgrade-v2.msi"), layout, &[]);
    run.assert_code(0);
    installed_v2_with(&ctx, layout, &run, false);
    assert!(
        run.log.contains(
            "MigrateFeatureStates: based on existing product, setting feature 'Extra' to 'Absent' state."
        ),
        "{}",
        run.describe()
    );
    assert!(
        run.log.contains(
            "MigrateFeatureStates: based on existing product, setting feature 'Main' to 'Local' state."
        ),
        "{}",
        run.describe()
    );

    // A feature request on the command line wins: nothing is carried over.
    let ctx = Ctx::new();
    ctx.install(&package("upgrade-v1.msi"), layout, &["ADDLOCAL=Main"])
        .assert_code(0);
    let run = ctx.install(&package("upgrade-v2.msi"), layout, &["ADDLOCAL=ALL"]);
    run.assert_code(0);
    installed_v2_with(&ctx, layout, &run, true);
    assert!(
        !run.log.contains("MigrateFeatureStates: based on"),
        "{}",
        run.describe()
    );
    // Nothing to migrate: the action returns 0, as Windows logs it.
    assert!(
        run.log.lines().any(|l| l.starts_with("Action ended")
            && l.ends_with(": MigrateFeatureStates. Return value 0.")),
        "{}",
        run.describe()
    );
}

#[test]
fn a_removal_inside_the_transaction_succeeds_or_takes_the_new_files_back() {
    let layout = Layout::Fhs;
    // RemoveExistingProducts between InstallExecute and InstallFinalize.
    let ctx = Ctx::new();
    ctx.install(&package("upgrade-v1.msi"), layout, &[])
        .assert_code(0);
    let run = ctx.install(&package("upgrade-v2-exec.msi"), layout, &[]);
    run.assert_code(0);
    installed_v2(&ctx, layout, &run);
    ctx.uninstall(V1, layout, &[]).assert_code(1605);
    ctx.uninstall(V2, layout, &[]).assert_code(0);

    // v1's removal fails (its custom action cannot write its record: a folder is in the
    // way) after v2's files were placed by InstallExecute: both are rolled back.
    let ctx = Ctx::new();
    ctx.install(&package("upgrade-v1.msi"), layout, &[])
        .assert_code(0);
    fs::create_dir_all(
        ctx.root
            .join(layout.common_app_data())
            .join("upgrade-removals.txt"),
    )
    .expect("mkdir in the way");
    let before = tree(&ctx.root);
    let run = ctx.install(&package("upgrade-v2-exec.msi"), layout, &[]);
    run.assert_code(1603);
    assert!(
        run.log
            .contains("Error 1714. The older version of rmsi upgrade cannot be removed."),
        "{}",
        run.describe()
    );
    assert_eq!(tree(&ctx.root), before, "{}", run.describe());
    assert_eq!(
        fs::read_to_string(ctx.root.join(app_dir(layout)).join("app.txt")).expect("v1's app"),
        "app version 1\n"
    );
}
