//! The Debian package: `scripts/deb.sh` builds it, `dpkg -i` installs it on this machine,
//! then the tools are on the PATH, their man pages open with `man`, the bash completion
//! completes a subcommand, and `dpkg -r` removes it all again.
//!
//! It installs into the real system (as the issue asks: the package is tried the way an
//! administrator would), so it runs only as root, and refuses to run if an `rmsi` package
//! is installed already (it would replace the administrator's).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use test_support::{is_root, stdout as text};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run command");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Removes the package when the test ends, however it ends.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["--purge", "rmsi"]).output();
    }
}

#[test]
fn deb_installs_tools_man_pages_and_completions_and_removes_cleanly() {
    if !is_root() {
        eprintln!("skipped: installing a .deb needs root");
        return;
    }
    let status = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", "rmsi"])
        .output()
        .expect("dpkg-query");
    if String::from_utf8_lossy(&status.stdout).contains("installed") {
        panic!("an rmsi package is installed on this machine already; not replacing it");
    }

    // Packaging is tested on the binaries these tests run (RMSI_DEB_TOOLS; only xtask, which
    // writes the man pages, is built, as RMSI_DEB_PROFILE=dev): rebuilding them here would
    // replace them under the other tests of this binary. Release builds differ only in their
    // compiler options.
    let tools = test_support::bin("rmsi");
    let tools = tools.parent().expect("the folder of rmsi");
    assert!(
        tools.join("rstmgr").is_file(),
        "rstmgr beside {}",
        tools.display()
    );
    let out = run(Command::new(workspace().join("scripts/deb.sh"))
        .env("RMSI_DEB_PROFILE", "dev")
        .env("RMSI_DEB_TOOLS", tools));
    let deb = PathBuf::from(text(&out).trim());
    let name = deb.file_name().unwrap().to_string_lossy().into_owned();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        name.starts_with(&format!("rmsi_{version}_")) && name.ends_with(".deb"),
        "{name}"
    );

    let contents = text(&run(Command::new("dpkg-deb").arg("--contents").arg(&deb)));
    for path in [
        "./usr/bin/rmsi",
        "./usr/bin/rstmgr",
        "./usr/share/man/man1/rmsi.1.gz",
        "./usr/share/man/man1/rmsi-install.1.gz",
        "./usr/share/man/man1/rmsi-msiexec.1.gz",
        "./usr/share/man/man1/rstmgr.1.gz",
        "./usr/share/man/man1/rstmgr-who.1.gz",
        "./usr/share/bash-completion/completions/rmsi",
        "./usr/share/bash-completion/completions/rstmgr",
        "./usr/share/zsh/vendor-completions/_rmsi",
        "./usr/share/zsh/vendor-completions/_rstmgr",
        "./usr/share/fish/vendor_completions.d/rmsi.fish",
        "./usr/share/fish/vendor_completions.d/rstmgr.fish",
        "./etc/apt/apt.conf.d/50rstmgr",
        "./usr/share/doc/rmsi/copyright",
        "./usr/share/doc/rmsi/README.md",
    ] {
        assert!(
            contents.lines().any(|l| l.ends_with(path)),
            "{path} missing from the package:\n{contents}"
        );
    }

    let _installed = Installed;
    run(Command::new("dpkg").arg("-i").arg(&deb));
    let on_path = text(&run(
        Command::new("sh").args(["-c", "command -v rmsi; command -v rstmgr"])
    ));
    assert_eq!(on_path, "/usr/bin/rmsi\n/usr/bin/rstmgr\n");
    let version_line = text(&run(Command::new("rmsi").arg("--version")));
    assert_eq!(version_line.trim(), format!("rmsi {version}"));

    // The apt hook is installed switched off: no uncommented line in the snippet.
    let snippet = fs_err::read_to_string("/etc/apt/apt.conf.d/50rstmgr").unwrap();
    assert!(
        snippet
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with("//")),
        "{snippet}"
    );

    for (page, expect) in [
        ("rmsi", "rmsi-install"),
        ("rstmgr", "rstmgr-who"),
        ("rmsi-msiexec", "/uninstall"),
    ] {
        let out = run(Command::new("man")
            .arg(page)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100"));
        let page_text = text(&out);
        assert!(page_text.contains(expect), "man {page}:\n{page_text}");
    }

    // Source the installed completion and ask it to complete `rmsi ins` and `rstmgr wh`.
    for (tool, partial, expect) in [("rmsi", "ins", "install"), ("rstmgr", "wh", "who")] {
        let script = format!(
            "source /usr/share/bash-completion/completions/{tool}\n\
             COMP_WORDS=({tool} {partial}); COMP_CWORD=1; COMP_LINE='{tool} {partial}'; COMP_POINT=${{#COMP_LINE}}\n\
             _{tool} {tool} {partial} {tool}\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let out = run(Command::new("bash").arg("-c").arg(script));
        assert_eq!(text(&out).trim(), expect, "completing `{tool} {partial}`");
    }

    run(Command::new("dpkg").args(["--purge", "rmsi"]));
    for gone in [
        "/usr/bin/rmsi",
        "/usr/bin/rstmgr",
        "/usr/share/man/man1/rmsi.1.gz",
        "/etc/apt/apt.conf.d/50rstmgr",
        "/usr/share/bash-completion/completions/rmsi",
    ] {
        assert!(!Path::new(gone).exists(), "{gone} left after dpkg --purge");
    }
}
