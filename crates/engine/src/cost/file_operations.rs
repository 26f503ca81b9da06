//! The RemoveFile, DuplicateFile and MoveFile work costing plans, with the wildcards
//! RemoveFile and MoveFile names use.

use std::collections::HashMap;
use std::path::Path;

use msi_expr::InstallState;

use super::{ComponentPlan, CostTables, DuplicatePlan, FilePlan, MovePlan, RemoveFilePlan};
use crate::directory::place_under_root;
use crate::error::{Error, Result};
use crate::properties::Properties;
use crate::tables::folders;

impl CostTables {
    pub(super) fn remove_file_plans(
        &self,
        props: &Properties,
        root: &Path,
        comps: &HashMap<&str, &ComponentPlan>,
    ) -> Result<Vec<RemoveFilePlan>> {
        let mut out = Vec::new();
        for row in &self.remove_files {
            let Some(c) = comps.get(row.component.as_str()) else {
                continue;
            };
            let installing = matches!(c.action, InstallState::Local | InstallState::Source);
            let removing = c.action == InstallState::Absent;
            let wanted = match row.install_mode {
                folders::REMOVE_ON_INSTALL => installing,
                folders::REMOVE_ON_REMOVE => removing,
                folders::REMOVE_ON_BOTH => installing || removing,
                _ => false,
            };
            if !wanted {
                continue;
            }
            let Some(dir) = props.get_str(&row.dir_property) else {
                continue;
            };
            let pattern = row
                .file_name
                .as_deref()
                .map(|n| crate::tables::directory::NamePair::parse(n).long);
            if pattern
                .as_deref()
                .is_some_and(|p| p.contains(['/', '\\']) || p == "..")
            {
                return Err(Error::bad_row(
                    "RemoveFile",
                    &row.file_key,
                    "file name is not a plain name",
                ));
            }
            out.push(RemoveFilePlan {
                file_key: row.file_key.clone(),
                dir: place_under_root(root, dir)?,
                pattern,
            });
        }
        Ok(out)
    }

    pub(super) fn duplicate_plans(
        &self,
        props: &Properties,
        root: &Path,
        comps: &HashMap<&str, &ComponentPlan>,
        files: &[FilePlan],
    ) -> Result<Vec<DuplicatePlan>> {
        let mut out = Vec::new();
        for row in &self.duplicate_files {
            let Some(c) = comps.get(row.component.as_str()) else {
                continue;
            };
            let install = match c.action {
                InstallState::Local => true,
                InstallState::Absent => false,
                _ => continue,
            };
            let Some(original) = self.files.iter().find(|f| f.file == row.file) else {
                continue;
            };
            let Some(orig_comp) = comps.get(original.component.as_str()) else {
                continue;
            };
            let from = files
                .iter()
                .find(|p| p.file == row.file)
                .map(|p| p.target.clone())
                .unwrap_or_else(|| {
                    orig_comp
                        .target_dir
                        .join(original.file_name.pick(props.contains("SHORTFILENAMES")))
                });
            let dest_dir = match &row.dest_folder {
                None => orig_comp.target_dir.clone(),
                Some(prop) => match props.get_str(prop) {
                    Some(v) => place_under_root(root, v)?,
                    // Not a full path: nothing is done ("DuplicateFiles action", "MoveFiles
                    // action").
                    None => continue,
                },
            };
            let dest_name = match &row.dest_name {
                Some(n) => crate::tables::directory::NamePair::parse(n).long,
                None => original.file_name.long.clone(),
            };
            if dest_name.contains(['/', '\\']) || dest_name == ".." || dest_name == "." {
                return Err(Error::bad_row(
                    "DuplicateFile",
                    &row.file_key,
                    "destination name is not a plain name",
                ));
            }
            let to = dest_dir.join(&dest_name);
            if to == from {
                continue;
            }
            out.push(DuplicatePlan {
                file_key: row.file_key.clone(),
                original: row.file.clone(),
                from,
                to,
                install,
            });
        }
        Ok(out)
    }

    pub(super) fn move_plans(
        &self,
        props: &Properties,
        root: &Path,
        comps: &HashMap<&str, &ComponentPlan>,
    ) -> Result<Vec<MovePlan>> {
        let mut out = Vec::new();
        for row in &self.move_files {
            let Some(c) = comps.get(row.component.as_str()) else {
                continue;
            };
            if !matches!(c.action, InstallState::Local | InstallState::Source) {
                continue;
            }
            let (Some(src), Some(dest)) = (
                row.source_folder.as_deref().and_then(|p| props.get_str(p)),
                props.get_str(&row.dest_folder),
            ) else {
                continue;
            };
            let pattern = row
                .source_name
                .as_deref()
                .map(|n| crate::tables::directory::NamePair::parse(n).long);
            let dest_name = row
                .dest_name
                .as_deref()
                .map(|n| crate::tables::directory::NamePair::parse(n).long);
            for name in pattern.iter().chain(dest_name.iter()) {
                if name.contains(['/', '\\']) || name == ".." {
                    return Err(Error::bad_row(
                        "MoveFile",
                        &row.file_key,
                        "file name is not a plain name",
                    ));
                }
            }
            out.push(MovePlan {
                file_key: row.file_key.clone(),
                source_dir: place_under_root(root, src)?,
                pattern,
                dest_dir: place_under_root(root, dest)?,
                dest_name,
                move_file: row.options & folders::MOVE_FILE_OPTION_MOVE != 0,
            });
        }
        Ok(out)
    }
}

/// Whether `name` matches `pattern` with `*` (any run) and `?` (one
/// character), ignoring ASCII case as Windows does (RemoveFile, MoveFile).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let n: Vec<char> = name.chars().map(|c| c.to_ascii_lowercase()).collect();
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}
