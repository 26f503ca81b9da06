//! SelfRegModules and SelfUnregModules with `env.msi`'s SelfReg row (added by
//! `crates/engine/tests/packages/build.sh`): self-registration runs Windows code, so the
//! module is logged as failing to register (error 1904) and to unregister (1905), as
//! warnings — both actions succeed and so does the install and the uninstall.

use test_support::e2e::{Ctx, Layout, package};

const PRODUCT: &str = "{7C2E0B31-4D5F-4061-9B72-8C9D0E1F2A30}";

/// The log's lines for error `code` and how `action` ended.
fn check(log: &str, code: u32, verb: &str, action: &str, module: &str) {
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(&format!("Error {code}.")))
        .collect();
    assert_eq!(errors.len(), 1, "{log}");
    assert!(
        errors[0].contains(&format!(
            "Error {code}. Module {module} failed to {verb}.  HRESULT -2147024703.  Contact your support personnel."
        )),
        "{}",
        errors[0]
    );
    let ended = format!(": {action}. Return value 1.");
    assert!(
        log.lines()
            .any(|l| l.starts_with("Action ended") && l.ends_with(&ended)),
        "{log}"
    );
}

#[test]
fn self_registration_is_a_warning_1904_and_the_install_goes_on() {
    let ctx = Ctx::new();
    let module = format!(
        "{}/Program Files (x86)/rmsi-env/app.txt",
        ctx.root.display()
    );
    let run = ctx.install(&package("env.msi"), Layout::Windows, &[]);
    run.assert_code(0);
    check(&run.log, 1904, "register", "SelfRegModules", &module);
    // Nothing is being removed: SelfUnregModules has no module to log.
    assert!(!run.log.contains("Error 1905."), "{}", run.describe());
    assert!(std::path::Path::new(&module).is_file());

    let run = ctx.uninstall(PRODUCT, Layout::Windows, &[]);
    run.assert_code(0);
    check(&run.log, 1905, "unregister", "SelfUnregModules", &module);
    assert!(!run.log.contains("Error 1904."), "{}", run.describe());
    assert!(!std::path::Path::new(&module).exists());
}
