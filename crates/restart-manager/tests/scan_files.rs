//! `who_uses` with real processes holding files open: matched by device and inode, so
//! hard links and renamed paths are caught and a new file at an old name is not.

mod scan_support;

use restart_manager::{AppStatus, Error, ScanOptions, UniqueProcess};
use scan_support::{bystander, hold_open, lists, scan, temp_file, use_of};

#[test]
fn an_open_file_is_found_by_its_holder_and_not_by_a_bystander() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "held.txt");
    let holder = hold_open(&file);
    let other = bystander();

    let report = scan(&[&file]);
    let u = use_of(&report, holder.pid(), &file).expect("the holder is listed");
    assert!(u.kinds.fd, "{u:?}");
    assert!(!u.kinds.exe && !u.kinds.cwd && !u.kinds.root, "{u:?}");
    assert_eq!(u.process, holder.unique());
    assert!(!lists(&report, other.pid()), "a bystander is not a user");

    let info = report
        .processes
        .iter()
        .find(|p| p.process.pid == holder.pid())
        .unwrap();
    assert_eq!(info.process, holder.unique());
    assert_eq!(info.app_name, "sleep");
    assert_eq!(info.status, AppStatus::RUNNING);
    assert_eq!(info.service_name, None);
    assert_eq!(
        info.exe.as_deref(),
        Some(scan_support::sleep_bin().as_path())
    );
    let session: u32 = std::fs::read_to_string(format!("/proc/{}/sessionid", holder.pid()))
        .map(|s| s.trim().parse().unwrap())
        .unwrap_or(u32::MAX);
    assert_eq!(info.session_id, session);
    // Our own child: this process may signal it, so it is no reboot reason.
    assert!(
        report.reboot_reasons.is_empty(),
        "{}",
        report.reboot_reasons
    );
}

#[test]
fn a_file_open_on_a_high_descriptor_is_found() {
    // Descriptors 3 to 8 are free (dash knows one-digit descriptors only): the scan must not stop at the first gaps.
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "high.txt");
    let holder = scan_support::Guard::spawn(
        std::process::Command::new("sh")
            .arg("-c")
            .arg("exec 9<\"$0\"; exec sleep 30")
            .arg(&file),
    );
    holder.wait_exe(&scan_support::sleep_bin());
    let report = scan(&[&file]);
    assert!(use_of(&report, holder.pid(), &file).is_some_and(|u| u.kinds.fd));
}

#[test]
fn a_hard_link_and_a_renamed_path_find_the_same_holder() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "original.txt");
    let holder = hold_open(&file);

    let link = dir.path().join("link.txt");
    std::fs::hard_link(&file, &link).unwrap();
    let report = scan(&[&link]);
    assert!(use_of(&report, holder.pid(), &link).is_some_and(|u| u.kinds.fd));

    let moved = dir.path().join("sub");
    std::fs::create_dir(&moved).unwrap();
    let renamed = moved.join("renamed.txt");
    std::fs::rename(&file, &renamed).unwrap();
    let report = scan(&[&renamed]);
    assert!(use_of(&report, holder.pid(), &renamed).is_some_and(|u| u.kinds.fd));
}

#[test]
fn a_new_file_at_the_old_name_is_not_the_held_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "config.txt");
    let holder = hold_open(&file);

    // Replace the file the way installers do: write a new one, rename it over the old.
    let fresh = temp_file(&dir, "config.txt.new");
    std::fs::rename(&fresh, &file).unwrap();
    let report = scan(&[&file]);
    // The holder has the old inode open, not the file now at that name: it is listed
    // (issue 17: `who` must not be blind once a file was replaced), but only as a user of
    // the old file.
    let uses: Vec<_> = report
        .uses
        .iter()
        .filter(|u| u.process.pid == holder.pid())
        .collect();
    assert!(!uses.is_empty(), "{report:?}");
    assert!(uses.iter().all(|u| u.old && u.kinds.fd), "{uses:?}");
}

#[test]
fn several_paths_are_answered_in_one_scan() {
    let dir = tempfile::tempdir().unwrap();
    let a = temp_file(&dir, "a.txt");
    let b = temp_file(&dir, "b.txt");
    let holder_a = hold_open(&a);
    let holder_b = hold_open(&b);

    let report = scan(&[&a, &b]);
    assert!(use_of(&report, holder_a.pid(), &a).is_some());
    assert!(use_of(&report, holder_b.pid(), &b).is_some());
    assert!(use_of(&report, holder_a.pid(), &b).is_none());
    assert!(use_of(&report, holder_b.pid(), &a).is_none());
    // Sorted by pid, each process once.
    let pids: Vec<u32> = report.processes.iter().map(|p| p.process.pid).collect();
    let mut sorted = pids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(pids, sorted);
}

#[test]
fn the_answer_does_not_depend_on_the_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_file(&dir, "held.txt");
    let _holders: Vec<_> = (0..3).map(|_| hold_open(&file)).collect();
    let paths = vec![file.clone()];
    let one = restart_manager::who_uses(
        &paths,
        &ScanOptions {
            threads: 1,
            ..ScanOptions::default()
        },
    )
    .unwrap();
    let four = restart_manager::who_uses(
        &paths,
        &ScanOptions {
            threads: 4,
            ..ScanOptions::default()
        },
    )
    .unwrap();
    let ids = |r: &restart_manager::ScanReport| -> Vec<UniqueProcess> {
        r.processes.iter().map(|p| p.process).collect()
    };
    assert_eq!(ids(&one), ids(&four));
    assert!(ids(&one).len() >= 3);
}

#[test]
fn a_missing_path_is_file_not_found_for_who_uses_but_not_for_a_session_list() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-there");
    let err = restart_manager::who_uses(std::slice::from_ref(&missing), &ScanOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::PathNotFound { .. }), "{err:?}");
    assert_eq!((err.name(), err.code()), ("ERROR_FILE_NOT_FOUND", 2));
    assert!(err.to_string().contains("not-there"), "{err}");

    // An installer registers files it is about to create: not an error there.
    let report =
        restart_manager::affected(std::slice::from_ref(&missing), &[], &ScanOptions::default())
            .unwrap();
    assert_eq!(report.missing, vec![missing]);
    assert!(report.processes.is_empty());
}
