//! RegisterFonts and UnregisterFonts with `fonts.msi` (see
//! `crates/engine/tests/packages/fonts.wxs` and its Font rows in `build.sh`): Debian's
//! DejaVuSans.ttf, whose Font row leaves the title null, is entered under the title its
//! `name` table gives; a row with a FontTitle under that title; uninstall removes both.

use test_support::e2e::{Ctx, Layout, package};

const PRODUCT: &str = "{8D3F1C42-5E60-4172-8C83-9D0E1F2A3B40}";
const FONTS: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Fonts";

/// `rmsi reg query KEY` in the context's root: its exit status and text output.
fn query(ctx: &Ctx, key: &str) -> (Option<i32>, String) {
    ctx.reg_query(key)
}

#[test]
fn fonts_are_registered_under_their_titles_and_unregistered() {
    let ctx = Ctx::new();
    let run = ctx.install(&package("fonts.msi"), Layout::Windows, &[]);
    run.assert_code(0);
    for action in ["RegisterFonts", "UnregisterFonts"] {
        let ended = format!(": {action}. Return value 1.");
        assert!(
            run.log
                .lines()
                .any(|l| l.starts_with("Action ended") && l.ends_with(&ended)),
            "{action}: {}",
            run.describe()
        );
    }
    assert!(ctx.root.join("Windows/Fonts/DejaVuSans.ttf").is_file());
    assert_eq!(
        query(&ctx, FONTS),
        (
            Some(0),
            "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Fonts\n    \
             DejaVu Sans (TrueType)    REG_SZ    DejaVuSans.ttf\n    \
             Titled Font (TrueType)    REG_SZ    titled.txt\n"
                .to_string()
        )
    );

    let run = ctx.uninstall(PRODUCT, Layout::Windows, &[]);
    run.assert_code(0);
    // The title of the font being removed is read from the installed file again.
    assert!(
        run.log.contains(
            "Executing op: FontUnregister(Title=DejaVu Sans (TrueType),FontFile=DejaVuSans.ttf)"
        ),
        "{}",
        run.describe()
    );
    assert!(!ctx.root.join("Windows/Fonts/DejaVuSans.ttf").exists());
    // Both entries are gone, and with them the key they alone were in.
    assert_eq!(query(&ctx, FONTS), (Some(1), String::new()));
}
