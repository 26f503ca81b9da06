//! The other ways a process uses a file: mapped (a shared library), as its executable,
//! as its current directory and as its root directory.

mod scan_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use scan_support::{Guard, bystander, lists, scan, sleep_bin, use_of};

/// A library that `sleep` does not need, so preloading a copy of it maps the copy and
/// nothing else uses it.
fn spare_library() -> PathBuf {
    let candidates = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/lib64/libm.so.6",
        "/usr/lib64/libm.so.6",
        "/lib/aarch64-linux-gnu/libm.so.6",
    ];
    candidates
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .expect("the C library's libm.so.6 is installed")
        .to_path_buf()
}

#[test]
fn a_preloaded_library_is_found_as_a_mapping_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("libspare.so");
    std::fs::copy(spare_library(), &lib).unwrap();
    let user = Guard::spawn(Command::new(sleep_bin()).arg("30").env("LD_PRELOAD", &lib));
    user.wait_exe(&sleep_bin());
    user.wait_mapped(&lib);
    let other = bystander();

    let report = scan(&[&lib]);
    let u = use_of(&report, user.pid(), &lib).expect("the mapping is found");
    assert!(u.kinds.mapped, "{u:?}");
    assert!(
        !u.kinds.fd,
        "the loader closes the file after mapping it: {u:?}"
    );
    assert!(!u.kinds.exe, "{u:?}");
    assert!(!lists(&report, other.pid()));

    // A hard link to the library is the same inode, so the same answer.
    let link = dir.path().join("link.so");
    std::fs::hard_link(&lib, &link).unwrap();
    let report = scan(&[&link]);
    assert!(use_of(&report, user.pid(), &link).is_some_and(|u| u.kinds.mapped));
}

#[test]
fn a_copied_executable_is_found_as_exe_and_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("my-sleep");
    std::fs::copy(sleep_bin(), &exe).unwrap();
    let runner = Guard::spawn(Command::new(&exe).arg("30"));
    runner.wait_exe(&exe);
    let other = bystander();

    let report = scan(&[&exe]);
    let u = use_of(&report, runner.pid(), &exe).expect("the runner is found");
    assert!(u.kinds.exe && u.kinds.mapped, "{u:?}");
    assert!(
        !lists(&report, other.pid()),
        "the original sleep is another file"
    );
    let info = report
        .processes
        .iter()
        .find(|p| p.process.pid == runner.pid())
        .unwrap();
    assert_eq!(info.app_name, "my-sleep");

    // Renamed while it runs: still found under the new name.
    let renamed = dir.path().join("renamed-sleep");
    std::fs::rename(&exe, &renamed).unwrap();
    let report = scan(&[&renamed]);
    assert!(use_of(&report, runner.pid(), &renamed).is_some_and(|u| u.kinds.exe));
}

#[test]
fn a_process_in_a_directory_is_found_as_cwd() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let inside = Guard::spawn(Command::new(sleep_bin()).arg("30").current_dir(&work));
    inside.wait_exe(&sleep_bin());
    let other = bystander();

    let report = scan(&[&work]);
    let u = use_of(&report, inside.pid(), &work).expect("found by its cwd");
    assert!(u.kinds.cwd && !u.kinds.root && !u.kinds.fd, "{u:?}");
    assert!(!lists(&report, other.pid()));
}

#[test]
fn a_directory_held_open_is_found_as_a_descriptor() {
    let dir = tempfile::tempdir().unwrap();
    let held = dir.path().join("held");
    std::fs::create_dir(&held).unwrap();
    let holder = scan_support::hold_open(&held);
    let report = scan(&[&held]);
    let u = use_of(&report, holder.pid(), &held).expect("found by its descriptor");
    assert!(u.kinds.fd && !u.kinds.cwd, "{u:?}");
}

#[test]
fn every_process_has_the_root_directory_as_root() {
    let p = bystander();
    let report = scan(&[Path::new("/")]);
    let u = use_of(&report, p.pid(), Path::new("/")).expect("found by its root");
    assert!(u.kinds.root, "{u:?}");
}

/// Copies `sleep` with the libraries and loader it needs into `root`, at the same paths.
fn populate_chroot(root: &Path) {
    let out = Command::new("ldd")
        .arg(sleep_bin())
        .output()
        .expect("ldd runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut files = vec![sleep_bin()];
    for line in text.lines() {
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            files.push(PathBuf::from(p));
        }
    }
    for f in files {
        let dest = root.join(f.strip_prefix("/").unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", f.display()));
    }
}

#[test]
fn a_chrooted_process_is_found_as_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("jail");
    populate_chroot(&root);
    let sleep_inside = Path::new("/").join(sleep_bin().strip_prefix("/").unwrap());
    // Root may chroot; anyone else does it inside a user namespace of their own.
    let mut cmd = if rustix::process::geteuid().is_root() {
        Command::new("chroot")
    } else {
        let mut c = Command::new("unshare");
        c.args(["--map-root-user", "chroot"]);
        c
    };
    let jailed = Guard::spawn(cmd.arg(&root).arg(&sleep_inside).arg("30"));
    scan_support::wait_for("the jailed sleep to start", || {
        std::fs::read_link(format!("/proc/{}/root", jailed.pid())).is_ok_and(|p| p == root)
    });

    let report = scan(&[&root]);
    let u = use_of(&report, jailed.pid(), &root).expect("found by its root");
    assert!(
        u.kinds.root && u.kinds.cwd,
        "chroot(8) also changes into the new root: {u:?}"
    );
}
