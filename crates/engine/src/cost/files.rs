//! File costing: each File row's source (a cabinet or an uncompressed file), target and
//! action, with NeverOverwrite components and the case-insensitive lookup of source files.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use msi_expr::InstallState;

use super::versioning::{ReinstallMode, decide};
use super::{
    CabinetLocation, ComponentPlan, CostTables, FileAction, FilePlan, FileSource, InstalledState,
    SkipReason,
};
use crate::directory::Directories;
use crate::error::Result;
use crate::properties::Properties;
use crate::tables::component;
use crate::tables::file::{self, FileRow};
use crate::tables::media::{self, MediaRow};

impl CostTables {
    pub(super) fn file_plans(
        &self,
        props: &Properties,
        dirs: &Directories,
        comps: &HashMap<&str, &ComponentPlan>,
        installed: &InstalledState,
    ) -> Result<Vec<FilePlan>> {
        let short_target = props.contains("SHORTFILENAMES");
        let mode = ReinstallMode::parse(props.get_str("REINSTALLMODE").unwrap_or("omus"));
        let hashes: HashMap<&str, [i32; 4]> = self
            .file_hashes
            .iter()
            .map(|h| (h.file.as_str(), h.hash))
            .collect();
        // Recorded paths by (component, file name): a removal deletes what
        // the installation put in place, wherever the folders were then.
        let recorded: HashMap<(&str, Option<std::ffi::OsString>), &Path> = installed
            .files
            .iter()
            .map(|(c, p)| {
                (
                    (c.as_str(), p.file_name().map(|n| n.to_os_string())),
                    p.as_path(),
                )
            })
            .collect();
        let mut plans = Vec::with_capacity(self.files.len());
        // Decisions are kept only for the files a companion file follows (usually none:
        // a map of every file's decision was a third of costing a 5,000-file package).
        let parents: HashSet<&str> = self.files.iter().filter_map(|f| f.companion_of()).collect();
        let mut decisions: HashMap<&str, bool> = HashMap::new();
        let mut absent_dirs = AbsentDirs::default();
        // Companion parents decide first.
        let mut order: Vec<&FileRow> = self.files.iter().collect();
        order.sort_by_key(|f| f.companion_of().is_some());
        for f in order {
            // `check` guarantees the component exists.
            let Some(c) = comps.get(f.component.as_str()) else {
                continue;
            };
            let name = f.file_name.pick(short_target);
            let target = c.target_dir.join(name);
            let action = match c.action {
                // Nothing can exist in a folder that does not: a first install into a new
                // tree decides every file without a `statx` of each target.
                InstallState::Local if absent_dirs.absent(&c.target_dir) => {
                    if parents.contains(f.file.as_str()) {
                        decisions.insert(&f.file, true);
                    }
                    FileAction::Install { overwrite: false }
                }
                InstallState::Local => {
                    let decision = if let Some(parent) = f.companion_of() {
                        match decisions.get(parent) {
                            Some(true) => FileAction::Install {
                                overwrite: exists(&target),
                            },
                            Some(false) if !exists(&target) => {
                                FileAction::Install { overwrite: false }
                            }
                            Some(false) => FileAction::Skip(SkipReason::CompanionKept),
                            None => decide(f, &target, mode, hashes.get(f.file.as_str())),
                        }
                    } else {
                        decide(f, &target, mode, hashes.get(f.file.as_str()))
                    };
                    if parents.contains(f.file.as_str()) {
                        decisions.insert(&f.file, matches!(decision, FileAction::Install { .. }));
                    }
                    decision
                }
                // Removed, or moved to run-from-source while installed
                // locally (how we read "RemoveFiles action", which is unclear here).
                InstallState::Absent | InstallState::Source
                    if c.installed == InstallState::Local =>
                {
                    FileAction::Remove
                }
                _ => continue,
            };
            let target = if action == FileAction::Remove {
                let name = target.file_name().map(|n| n.to_os_string());
                match recorded.get(&(f.component.as_str(), name)) {
                    Some(p) => p.to_path_buf(),
                    // Not recorded: the file was there before and costing kept it (a
                    // component is only installed with a record of its files). It is the
                    // user's, never removed.
                    None => continue,
                }
            } else {
                target
            };
            let source = if matches!(action, FileAction::Install { .. }) {
                self.file_source(f, dirs, c)
            } else {
                None
            };
            plans.push(FilePlan {
                file: f.file.clone(),
                component: f.component.clone(),
                target,
                size: f.file_size,
                sequence: f.sequence,
                attributes: f.attributes,
                source,
                action,
            });
        }
        plans.sort_by_key(|p| p.sequence);
        Ok(plans)
    }

    /// Where a Media row's cabinet is: a stream of the package (`#name`) or a file in the
    /// source folder; `None` when the row names no cabinet.
    pub fn cabinet_of(&self, m: &MediaRow) -> Option<CabinetLocation> {
        match m.cabinet.as_deref() {
            Some(c) if c.starts_with('#') => Some(CabinetLocation::Embedded(c[1..].to_string())),
            Some(c) if !c.is_empty() => Some(CabinetLocation::External(find_case_insensitive(
                &self.source_dir,
                c,
            ))),
            _ => None,
        }
    }

    /// The Media rows' cabinets in DiskId order, the order a cabinet set is read in ("Media
    /// table").
    pub fn cabinets_by_disk(&self) -> Vec<(i32, CabinetLocation)> {
        let mut rows: Vec<&MediaRow> = self.media.iter().collect();
        rows.sort_by_key(|m| m.disk_id);
        rows.into_iter()
            .filter_map(|m| Some((m.disk_id, self.cabinet_of(m)?)))
            .collect()
    }

    fn file_source(
        &self,
        f: &FileRow,
        dirs: &Directories,
        c: &ComponentPlan,
    ) -> Option<FileSource> {
        let compressed = if f.attributes & file::ATTR_COMPRESSED != 0 {
            true
        } else if f.attributes & file::ATTR_NONCOMPRESSED != 0 {
            false
        } else {
            self.word_count & 2 != 0
        };
        if compressed {
            let m = media::for_sequence(&self.media, f.sequence)?;
            let cabinet = self.cabinet_of(m)?;
            return Some(FileSource::Cabinet {
                disk_id: m.disk_id,
                cabinet,
                sequence: f.sequence,
                name: f.file.clone(),
            });
        }
        let short_source = self.word_count & 1 != 0;
        let name = f.file_name.pick(short_source);
        // A compressed package keeps its uncompressed files at the source
        // root ("Word Count Summary property").
        let dir = if self.word_count & 2 != 0 {
            self.source_dir.clone()
        } else {
            dirs.source(&c.directory)
                .map(Path::to_path_buf)
                .unwrap_or_else(|| self.source_dir.clone())
        };
        Some(FileSource::Uncompressed {
            path: find_case_insensitive(&dir, name),
        })
    }
}

pub(super) fn apply_never_overwrite(
    mut files: Vec<FilePlan>,
    components: &[ComponentPlan],
) -> Vec<FilePlan> {
    for c in components {
        if c.attributes & component::ATTR_NEVER_OVERWRITE == 0 || c.action != InstallState::Local {
            continue;
        }
        let Some(key) = &c.key_path else { continue };
        let key_exists = files.iter().any(|f| &f.file == key && exists(&f.target));
        if key_exists {
            for f in files.iter_mut().filter(|f| f.component == c.component) {
                if matches!(f.action, FileAction::Install { .. }) {
                    f.action = FileAction::Skip(SkipReason::NeverOverwrite);
                    f.source = None;
                }
            }
        }
    }
    files
}

/// Which folders are known to be missing, so that costing asks the file system once per
/// folder rather than once per file. A folder is missing when `lstat` says `ENOENT` (some
/// component of its path does not exist), or when its parent is missing; then no path
/// under it exists either. Anything else (present, a symlink, `ENOTDIR`, no permission)
/// counts as "maybe present" and each file is asked about as before.
#[derive(Default)]
struct AbsentDirs {
    known: HashMap<PathBuf, bool>,
}

impl AbsentDirs {
    fn absent(&mut self, dir: &Path) -> bool {
        if let Some(&absent) = self.known.get(dir) {
            return absent;
        }
        let parent_absent = match dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => self.absent(parent),
            _ => false,
        };
        let absent = parent_absent
            || fs_err::symlink_metadata(dir)
                .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
        self.known.insert(dir.to_path_buf(), absent);
        absent
    }
}

fn exists(path: &Path) -> bool {
    fs_err::symlink_metadata(path).is_ok()
}

/// `dir/name`, or the entry of `dir` whose name matches `name` ignoring
/// ASCII case when the exact name is absent (Windows file names are
/// case-insensitive; cabinets and sources authored on Windows rely on it).
pub fn find_case_insensitive(dir: &Path, name: &str) -> PathBuf {
    let exact = dir.join(name);
    if exists(&exact) {
        return exact;
    }
    fs_err::read_dir(dir)
        .ok()
        .and_then(|entries| {
            entries.flatten().find_map(|e| {
                e.file_name()
                    .to_str()
                    .filter(|n| n.eq_ignore_ascii_case(name))
                    .map(|_| e.path())
            })
        })
        .unwrap_or(exact)
}
