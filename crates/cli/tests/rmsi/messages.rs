//! One voice in messages: every error on standard error starts with the program's name,
//! then the Windows name and code where one applies, then a plain sentence — no byte
//! arrays, no clause said twice.

use std::process::{Command, Output};

use test_support::stderr;

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(test_support::bin(program))
        .args(args)
        .env(
            "RSTMGR_STATE_DIR",
            std::env::temp_dir().join("rmsi-messages-state"),
        )
        .output()
        .expect("run the tool")
}

#[test]
fn usage_errors_start_with_the_programs_name() {
    for (program, args) in [
        ("rstmgr", &["bogus"][..]),
        ("rstmgr", &["who"][..]),
        ("rmsi", &["bogus"][..]),
        ("rmsi", &["info"][..]),
        ("rmsi", &["install"][..]),
    ] {
        let out = run(program, args);
        assert!(!out.status.success(), "{program} {args:?}");
        let text = stderr(&out);
        assert!(
            text.starts_with(&format!("{program}: ")),
            "{program} {args:?}: {text}"
        );
        assert!(!text.contains("error: "), "{program} {args:?}: {text}");
    }
}

#[test]
fn a_file_that_is_not_a_package_says_what_it_is_in_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = dir.path().join("notes.msi");
    fs_err::write(&text, "hello, world\n").expect("write");
    let out = run("rmsi", &["info", text.to_str().expect("utf-8")]);
    let said = stderr(&out);
    assert!(
        said.starts_with("rmsi: 1620 ERROR_INSTALL_PACKAGE_INVALID: "),
        "{said}"
    );
    assert!(said.contains("it starts with \"hello, w\""), "{said}");
    assert!(!said.contains('['), "no byte array: {said}");
    let binary = dir.path().join("binary.msi");
    fs_err::write(&binary, [0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0]).expect("write");
    let said = stderr(&run("rmsi", &["info", binary.to_str().expect("utf-8")]));
    assert!(
        said.contains("it starts with 7f 45 4c 46 02 01 01 00"),
        "{said}"
    );
}

#[test]
fn a_log_that_cannot_be_opened_is_named_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("missing-folder/install.log");
    let log_s = log.to_str().expect("utf-8");
    let out = run(
        "rmsi",
        &[
            "install",
            test_support::example("hello/hello.msi")
                .to_str()
                .expect("utf-8"),
            "--root",
            dir.path().join("root").to_str().expect("utf-8"),
            "--ui",
            "none",
            "--log",
            log_s,
        ],
    );
    let said = stderr(&out);
    assert!(
        said.starts_with("rmsi: 1622 ERROR_INSTALL_LOG_FAILURE: "),
        "{said}"
    );
    assert_eq!(said.matches(log_s).count(), 1, "{said}");
}
