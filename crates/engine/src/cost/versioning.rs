//! The file versioning rules: whether an existing file at a target is replaced, as
//! `REINSTALLMODE` and "File Versioning Rules" decide.

use std::path::Path;

use super::md5;
use super::{FileAction, SkipReason};
use crate::tables::file::FileRow;
use package::file_version;

/// The file-related letters of `REINSTALLMODE` ("REINSTALLMODE property").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReinstallMode {
    /// `p`: only missing files.
    pub missing: bool,
    /// `o`: missing or older.
    pub older: bool,
    /// `e`: missing, equal or older.
    pub equal: bool,
    /// `d`: missing or different.
    pub different: bool,
    /// `c`: verify checksums.
    pub verify: bool,
    /// `a`: all files.
    pub all: bool,
}

impl ReinstallMode {
    /// Parses the letters (case-insensitive, any order).
    pub fn parse(text: &str) -> ReinstallMode {
        let has = |c: char| text.chars().any(|x| x.eq_ignore_ascii_case(&c));
        ReinstallMode {
            missing: has('p'),
            older: has('o'),
            equal: has('e'),
            different: has('d'),
            verify: has('c'),
            all: has('a'),
        }
    }
}

/// The "File Versioning Rules" for one file whose target may
/// exist.
pub(super) fn decide(
    f: &FileRow,
    target: &Path,
    mode: ReinstallMode,
    hash: Option<&[i32; 4]>,
) -> FileAction {
    let Ok(meta) = fs_err::symlink_metadata(target) else {
        return FileAction::Install { overwrite: false };
    };
    let replace = FileAction::Install { overwrite: true };
    if mode.all {
        return replace;
    }
    let version_rules = mode.older || mode.equal || mode.different;
    if !version_rules {
        return FileAction::Skip(SkipReason::OnlyIfMissing);
    }
    let ours = f.own_version();
    let theirs = if meta.is_file() {
        file_version(target)
    } else {
        None
    };
    match (ours, theirs) {
        (Some(a), Some(b)) => {
            let install = if mode.different {
                a != b
            } else if a != b {
                a > b
            } else if mode.equal {
                true
            } else {
                // Equal versions: the languages would decide, but the
                // language of the file on disk is not read (its version
                // resource's translation table), so the file is kept, as
                // for equal languages.
                false
            };
            if install {
                replace
            } else if a < b {
                FileAction::Skip(SkipReason::NewerVersionOnDisk {
                    disk: b,
                    package: a,
                })
            } else {
                FileAction::Skip(SkipReason::SameVersion(a))
            }
        }
        (Some(_), None) => replace,
        (None, Some(b)) => FileAction::Skip(SkipReason::VersionedOnDisk(b)),
        (None, None) => {
            if user_modified(&meta) {
                return FileAction::Skip(SkipReason::UserModified);
            }
            // Only a regular file is hashed (lstat above): opening a FIFO planted at the
            // target would block for ever, and a symlink must not be followed.
            if let Some(expected) = hash
                && meta.is_file()
                && md5::file_hash(target).is_some_and(|h| &h == expected)
            {
                return FileAction::Skip(SkipReason::HashMatches);
            }
            replace
        }
    }
}

/// An unversioned file counts as modified when its modification time is
/// later than its birth time (the spec's reading: replace when Modified ≤
/// Created). Without a birth time it counts as unmodified.
fn user_modified(meta: &std::fs::Metadata) -> bool {
    match (meta.created(), meta.modified()) {
        // A second of slack: writing a file sets both nearly together.
        (Ok(created), Ok(modified)) => modified
            .duration_since(created)
            .is_ok_and(|d| d.as_secs() >= 1),
        _ => false,
    }
}
