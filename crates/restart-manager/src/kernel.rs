//! The running kernel against the newest installed one: a reason to restart the machine
//! that no service restart removes.
//!
//! The running kernel is `uname -r`. The installed ones are the versions named by
//! `/boot/vmlinuz-VERSION` and by the folders of `/lib/modules` and `/usr/lib/modules`
//! (under a system root, `/` by default); the newest is taken by Debian's version order
//! (`dpkg --compare-versions`, "Version" in Debian Policy §5.6.12), which is how the
//! kernel packages are ordered. When neither place names any kernel, the installed
//! version is unknown, and so is whether a restart is needed.

use std::cmp::Ordering;
use std::path::Path;

use serde::Serialize;

/// The kernel check's answer (`"kernel"` in `rstmgr stale --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelStatus {
    /// The running kernel's release (`uname -r`).
    pub running: String,
    /// The newest installed kernel's release; `None` when it cannot be determined.
    pub installed: Option<String>,
    /// Whether the newest installed kernel is not the running one.
    pub reboot_required: bool,
}

/// Checks the running kernel against the newest installed under `sysroot`.
pub fn kernel_status(sysroot: &Path) -> KernelStatus {
    let running = rustix::system::uname()
        .release()
        .to_string_lossy()
        .into_owned();
    let installed = newest_installed(sysroot);
    let reboot_required = installed.as_deref().is_some_and(|v| v != running);
    KernelStatus {
        running,
        installed,
        reboot_required,
    }
}

/// The newest kernel release named under `sysroot`'s `/boot` and module folders.
fn newest_installed(sysroot: &Path) -> Option<String> {
    let mut versions = Vec::new();
    if let Ok(entries) = std::fs::read_dir(sysroot.join("boot")) {
        for e in entries.flatten() {
            if let Some(v) = e
                .file_name()
                .to_str()
                .and_then(|n| n.strip_prefix("vmlinuz-"))
            {
                versions.push(v.to_owned());
            }
        }
    }
    for dir in ["lib/modules", "usr/lib/modules"] {
        if let Ok(entries) = std::fs::read_dir(sysroot.join(dir)) {
            for e in entries.flatten() {
                // A module folder without modules is what an uninstalled kernel leaves.
                if (e.path().join("modules.dep").exists() || e.path().join("kernel").is_dir())
                    && let Some(v) = e.file_name().to_str()
                {
                    versions.push(v.to_owned());
                }
            }
        }
    }
    versions.into_iter().max_by(|a, b| compare_versions(a, b))
}

/// Debian's version order for the upstream part of a version: alternating runs of
/// non-digits (compared character by character, letters before other characters, `~`
/// before everything, even the end) and digits (compared as numbers).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn order(c: Option<u8>) -> i32 {
        match c {
            None => 0,
            Some(b'~') => -1,
            Some(c) if c.is_ascii_digit() => 0,
            Some(c) if c.is_ascii_alphabetic() => i32::from(c),
            Some(c) => i32::from(c) + 256,
        }
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // Non-digit run.
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ca = a.get(i).copied().filter(|c| !c.is_ascii_digit());
            let cb = b.get(j).copied().filter(|c| !c.is_ascii_digit());
            let (oa, ob) = (order(ca), order(cb));
            if oa != ob {
                return oa.cmp(&ob);
            }
            if ca.is_some() {
                i += 1;
            }
            if cb.is_some() {
                j += 1;
            }
        }
        // Digit run, as a number (leading zeros do not count).
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        let si = i;
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        let sj = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let (da, db) = (&a[si..i], &b[sj..j]);
        let by_len = da.len().cmp(&db.len());
        if by_len != Ordering::Equal {
            return by_len;
        }
        let by_digits = da.cmp(db);
        if by_digits != Ordering::Equal {
            return by_digits;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_version_order() {
        use Ordering::*;
        for (a, b, want) in [
            ("6.1.0-13-amd64", "6.1.0-9-amd64", Greater),
            ("6.1.0-13-amd64", "6.1.0-13-amd64", Equal),
            ("6.10.0-1-amd64", "6.9.0-1-amd64", Greater),
            ("1.0~rc1", "1.0", Less),
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0+", Less),
            ("1.01", "1.1", Equal),
            ("5.10.0-28-cloud-amd64", "5.10.0-28-amd64", Greater),
        ] {
            assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn the_newest_installed_kernel_comes_from_boot_and_modules() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        assert_eq!(newest_installed(root), None, "nothing installed: unknown");
        std::fs::create_dir_all(root.join("boot")).unwrap();
        std::fs::write(root.join("boot/vmlinuz-6.1.0-9-amd64"), "").unwrap();
        std::fs::write(root.join("boot/config-6.1.0-20-amd64"), "").unwrap();
        assert_eq!(newest_installed(root).as_deref(), Some("6.1.0-9-amd64"));
        std::fs::create_dir_all(root.join("lib/modules/6.1.0-13-amd64/kernel")).unwrap();
        std::fs::create_dir_all(root.join("lib/modules/6.1.0-99-amd64")).unwrap();
        assert_eq!(newest_installed(root).as_deref(), Some("6.1.0-13-amd64"));
        let status = kernel_status(root);
        assert_eq!(status.installed.as_deref(), Some("6.1.0-13-amd64"));
        assert_eq!(status.reboot_required, status.running != "6.1.0-13-amd64");
    }
}
