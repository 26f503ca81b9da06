//! Every Windows Installer code `rmsi` can end with is documented in the `--help` of
//! `install`, `uninstall` and `msiexec` (and so in their man pages), with the exit status
//! it becomes. The codes are read from the sources that produce them: each error type's
//! code table (`(1603, "ERROR_INSTALL_FAILURE")` in the engine, package, transaction and
//! CLI crates) and the CLI's own `rmsi: CODE NAME: ...` lines, so a code added there
//! without its line in the help fails here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The crates whose errors end an `rmsi` run with their code.
const SOURCES: &[&str] = &["engine", "package", "transaction", "cabinet", "cli"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A Windows code at the start of `text` (four digits, `NNNN`), and what follows it.
fn code_at(text: &str) -> Option<(u32, &str)> {
    let digits = text.get(..4)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, &text[4..]))
}

/// `ERROR_...` at the start of `text`.
fn name_at(text: &str) -> Option<&str> {
    let end = text
        .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
        .unwrap_or(text.len());
    let name = &text[..end];
    (name.starts_with("ERROR_") && name.len() > "ERROR_".len()).then_some(name)
}

/// The `const NAME: u32 = NNNN;` of a file, by name.
fn constants(text: &str) -> BTreeMap<&str, u32> {
    text.lines()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix("const ")?;
            let (name, rest) = rest.split_once(": u32 = ")?;
            let (code, _) = code_at(rest)?;
            Some((name, code))
        })
        .collect()
}

/// Every (code, name) the sources produce: code tables `(NNNN, "ERROR_X")`, and stderr
/// lines `rmsi: NNNN ERROR_X` or `rmsi: {CONST} ERROR_X`; and every code the CLI turns
/// into an exit status with a literal (`exit_status(NNNN)`).
fn produced() -> (BTreeMap<u32, String>, Vec<u32>) {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut named = BTreeMap::new();
    let mut literal = Vec::new();
    for krate in SOURCES {
        let mut files = Vec::new();
        rust_files(&crates.join(krate).join("src"), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let consts = constants(&text);
            let mut add = |code: u32, name: &str| {
                if let Some(old) = named.insert(code, name.to_string()) {
                    assert_eq!(old, name, "{code} has two names ({})", file.display());
                }
            };
            for (i, _) in text.match_indices('(') {
                if let Some((code, rest)) = code_at(&text[i + 1..])
                    && let Some(name) = rest.strip_prefix(", \"").and_then(name_at)
                {
                    add(code, name);
                }
            }
            for (i, _) in text.match_indices("rmsi: ") {
                let rest = &text[i + "rmsi: ".len()..];
                let found = code_at(rest).or_else(|| {
                    let (name, after) = rest.strip_prefix('{')?.split_once('}')?;
                    Some((*consts.get(name)?, after))
                });
                if let Some((code, after)) = found
                    && let Some(name) = after.strip_prefix(' ').and_then(name_at)
                {
                    add(code, name);
                }
            }
            if *krate == "cli" {
                for (i, _) in text.match_indices("exit_status(") {
                    let rest = &text[i + "exit_status(".len()..];
                    let code = code_at(rest).map(|(c, _)| c).or_else(|| {
                        let name = rest.split(')').next()?;
                        consts.get(name).copied()
                    });
                    literal.extend(code);
                }
            }
        }
    }
    (named, literal)
}

#[test]
fn every_code_rmsi_ends_with_is_in_the_help_with_its_exit_status() {
    let (named, literal) = produced();
    // The scan finds the tables it reads (a scan that found nothing would pass anything).
    for code in [1603, 1619, 1618, 1639, 1641, 1647, 3010] {
        assert!(named.contains_key(&code), "{code} not found in {named:?}");
    }
    for code in &literal {
        assert!(
            named.contains_key(code),
            "the CLI exits with {code} but no source names it"
        );
    }
    for sub in ["install", "uninstall", "msiexec"] {
        let out = test_support::rmsi().args([sub, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let help = test_support::stdout(&out)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            help.contains("modulo 256") && help.contains(" 0 success "),
            "{help}"
        );
        let missing: Vec<String> = named
            .iter()
            .map(|(code, name)| format!("{code} {name} -> {}", engine::exit_status(*code)))
            .filter(|line| !help.contains(line.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "`rmsi {sub} --help` does not document {missing:#?}"
        );
    }
}
