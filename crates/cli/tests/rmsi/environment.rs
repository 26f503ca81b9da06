//! WriteEnvironmentStrings and RemoveEnvironmentStrings with `env.msi` (see
//! `crates/engine/tests/packages/env.wxs` and its Environment rows in `build.sh`): the
//! system and user Environment keys after the install, read back with `rmsi reg query`,
//! and after the uninstall only what the product added is gone.

use test_support::e2e::{Ctx, Layout, package};

const PRODUCT: &str = "{7C2E0B31-4D5F-4061-9B72-8C9D0E1F2A30}";
const SYSTEM: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment";
const USER: &str = r"HKCU\Environment";

/// `rmsi reg query KEY` in the context's root: its text output.
fn query(ctx: &Ctx, key: &str) -> String {
    let (code, text) = ctx.reg_query(key);
    assert_eq!(code, Some(0), "{text}");
    text
}

#[test]
fn environment_rows_are_written_and_taken_back() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("env.msi"), Layout::Windows, &[]);
    run.assert_code(0);
    for action in ["WriteEnvironmentStrings", "RemoveEnvironmentStrings"] {
        let ended = format!(": {action}. Return value 1.");
        assert!(
            run.log
                .lines()
                .any(|l| l.starts_with("Action ended") && l.ends_with(&ended)),
            "{action}: {}",
            run.describe()
        );
    }
    let dir = format!("{}/Program Files (x86)/rmsi-env/", ctx.root.display());
    // `=-*PATH` `[~];[INSTALLDIR]bin` appends to the system Path (the name matches
    // whatever case the variable has) and keeps its REG_EXPAND_SZ; `=-*RMSI_HOME` is set.
    assert_eq!(
        query(&ctx, SYSTEM),
        format!(
            "\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment\n    \
             Path    REG_EXPAND_SZ    %SystemRoot%\\system32;{dir}bin\n    \
             RMSI_HOME    REG_SZ    {dir}\n"
        )
    );
    // User variables: `[INSTALLDIR];[~]` prepends, `+` leaves an existing value alone, `!`
    // removes the matching one, and a value holding `%` is REG_EXPAND_SZ.
    assert_eq!(
        query(&ctx, USER),
        format!(
            "\nHKEY_CURRENT_USER\\Environment\n    \
             RMSI_LIST    REG_SZ    {dir};C:\\old\n    \
             RMSI_KEEP    REG_SZ    kept\n    \
             RMSI_USER    REG_EXPAND_SZ    %USERPROFILE%\\rmsi\n"
        )
    );

    ctx.uninstall(PRODUCT, Layout::Windows, &[]).assert_code(0);
    // Only the appended and prepended parts and the variables the product set are gone
    // (the Permanent component's values stay, as the machine's own would).
    assert_eq!(
        query(&ctx, SYSTEM),
        "\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment\n    \
         Path    REG_EXPAND_SZ    %SystemRoot%\\system32\n"
    );
    assert_eq!(
        query(&ctx, USER),
        "\nHKEY_CURRENT_USER\\Environment\n    \
         RMSI_LIST    REG_SZ    C:\\old\n    \
         RMSI_KEEP    REG_SZ    kept\n"
    );
}
