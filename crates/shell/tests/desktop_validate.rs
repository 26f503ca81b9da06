//! The desktop entries this crate writes pass Debian's `desktop-file-validate`
//! (desktop-file-utils, installed by scripts/test.sh).

use std::process::Command;

use shell::desktop::{DesktopEntry, Launch, split_windows_args};

fn validate(entry: &DesktopEntry, file_name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file_name);
    fs_err::write(&path, entry.to_text()).unwrap();
    let out = Command::new("desktop-file-validate")
        .arg(&path)
        .output()
        .expect("desktop-file-validate (desktop-file-utils) is installed by scripts/test.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{}:\n{}\n{text}",
        file_name,
        entry.to_text()
    );
    assert!(
        !text.contains("error") && !text.contains("warning"),
        "{}:\n{}\n{text}",
        file_name,
        entry.to_text()
    );
}

#[test]
fn applications_with_awkward_arguments_validate() {
    let mut argv = vec!["wine".to_string(), "/opt/My App/app.exe".to_string()];
    argv.extend(split_windows_args(
        r#"/open "C:\Users\Public\a b.txt" 100% $HOME `x` 'q' ~ #"#,
    ));
    let e = DesktopEntry {
        name: "My App (64-bit)".into(),
        comment: Some("Starts\tthe app\nnow".into()),
        icon: Some("/opt/My App/app.ico".into()),
        launch: Launch::Application {
            argv,
            path: Some("/opt/My App".into()),
        },
    };
    validate(&e, "My App.desktop");
}

#[test]
fn links_validate() {
    let e = DesktopEntry {
        name: " Read me".into(),
        comment: None,
        icon: None,
        launch: Launch::Link {
            target: "/opt/App/read me ü.txt".into(),
        },
    };
    validate(&e, "readme.desktop");
}

#[test]
fn a_broken_entry_is_refused_so_the_check_means_something() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.desktop");
    // A reserved character outside quotes, as an unquoted argument would leave it.
    fs_err::write(
        &path,
        "[Desktop Entry]\nType=Application\nName=x\nExec=app $HOME\n",
    )
    .unwrap();
    let out = Command::new("desktop-file-validate")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
}
