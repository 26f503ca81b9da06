//! Packages built at test time from sources the tests hold: Debian's `wixl` writes the
//! package, `msibuild` (msitools) then runs SQL queries on it for what `wixl` cannot author
//! (a component condition, the Condition table, a custom action type it refuses).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes `files` and `wxs` (as `<name>.wxs`) into the folder `dir`, builds `<name>.msi`
/// there with `wixl`, then runs each of `sql` on it with `msibuild -q`. Returns the
/// package's path.
pub fn wixl_package(
    dir: &Path,
    name: &str,
    wxs: &str,
    files: &[(&str, &[u8])],
    sql: &[&str],
) -> PathBuf {
    for (file, data) in files {
        fs_err::write(dir.join(file), data).expect("write a payload file");
    }
    let src = dir.join(format!("{name}.wxs"));
    let msi = dir.join(format!("{name}.msi"));
    fs_err::write(&src, wxs).expect("write the .wxs");
    let out = Command::new("wixl")
        .arg("-o")
        .arg(&msi)
        .arg(&src)
        .current_dir(dir)
        .output()
        .expect("run wixl (Debian package wixl)");
    assert!(
        out.status.success(),
        "wixl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for query in sql {
        msibuild(&msi, query);
    }
    msi
}

/// Runs one SQL query on the package `msi` with `msibuild -q`.
pub fn msibuild(msi: &Path, query: &str) {
    let out = Command::new("msibuild")
        .arg(msi)
        .arg("-q")
        .arg(query)
        .output()
        .expect("run msibuild (Debian package msitools)");
    assert!(
        out.status.success(),
        "msibuild {query}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
