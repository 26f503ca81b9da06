//! The validator over the 81 real packages of the shared corpus (`../shared/corpus/`, read in
//! place; `RMSI_CORPUS` overrides the path): none makes it fail or panic, and the number of
//! findings of each rule in each package is exactly what `corpus.expected` records, so that a
//! change in any rule shows here. `UPDATE_EXPECT=1` rewrites the file instead of comparing.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use validate::{Options, validate};

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("RMSI_CORPUS").map_or_else(
        || {
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpus"
            ))
            .to_path_buf()
        },
        PathBuf::from,
    );
    assert!(
        dir.join("README.md").is_file(),
        "the shared corpus is missing: expected it at {} (or set RMSI_CORPUS)",
        dir.display()
    );
    dir
}

#[test]
fn corpus_findings_are_recorded() {
    let mut packages: Vec<PathBuf> = fs_err::read_dir(corpus_dir())
        .unwrap()
        .flat_map(|e| fs_err::read_dir(e.unwrap().path()).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "msi"))
        .collect();
    packages.sort();
    assert_eq!(packages.len(), 81, "the corpus holds 81 .msi packages");
    let mut text = String::new();
    for path in &packages {
        let id = format!(
            "{}/{}",
            path.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy(),
            path.file_name().unwrap().to_string_lossy()
        );
        let package = match package::Package::open(path) {
            Ok(p) => p,
            Err(e) => {
                writeln!(text, "{id}: unreadable ({})", e.name()).unwrap();
                continue;
            }
        };
        let report = validate(&package, &Options::default());
        let mut counts: Vec<(String, usize)> = Vec::new();
        for f in &report.findings {
            let key = format!("{}/{}", f.rule, f.severity);
            match counts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1,
                None => counts.push((key, 1)),
            }
        }
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k}={n}")).collect();
        writeln!(
            text,
            "{id}: {}",
            if parts.is_empty() {
                "clean".to_string()
            } else {
                parts.join(" ")
            }
        )
        .unwrap();
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus.expected");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        fs_err::write(&file, &text).unwrap();
        return;
    }
    let expected = fs_err::read_to_string(&file).unwrap();
    assert_eq!(
        text,
        expected,
        "the corpus findings changed (see {})",
        file.display()
    );
}
