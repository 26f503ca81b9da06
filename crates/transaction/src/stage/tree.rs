//! Staged trees: a folder the install creates is built whole inside the staging folder and
//! put in place with one rename, instead of a rename per file.
//!
//! A first install into a fresh folder is the common case, and there every file's own rename
//! at commit (with its journal record) was a fifth of the install's time. When a file's
//! folder does not exist, the first missing folder of its path becomes a *tree*: `tN` in the
//! staging folder stands for it, the file is created at its place under `tN`, and at commit
//! one `rename` of `tN` (refusing to replace anything) puts the whole folder in place.
//!
//! Order stays the script's: a tree's operation sits where its first file or folder was
//! scheduled, and a tree *closes* at every point another process may look at the root (a
//! deferred custom action runs; see [`Transaction::seal`](super::Transaction::seal)) and when a later
//! operation removes something under it. A closed tree takes nothing more: later files under
//! its folder are placed one by one, after it. A tree whose folder exists by commit time (a
//! custom action made it) is placed file by file instead, with the same records as any file.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode};
use rustix::io::Errno;

use crate::lock::RootLock;

/// A folder built in the staging folder, to be renamed into place whole.
#[derive(Debug)]
pub(super) struct Tree {
    /// The folder it becomes, relative to the root. It did not exist when the tree was
    /// opened; its parent did.
    pub(super) target: PathBuf,
    /// Its folder in the staging folder: one component, `tN`.
    pub(super) staged: String,
    /// Whether it still takes files and folders.
    pub(super) open: bool,
    /// Whether its operation is in the stage's list (at its first file or folder).
    pub(super) scheduled: bool,
    /// Files placed with it.
    pub(super) files: usize,
    /// Folders it creates, itself included.
    pub(super) folders: usize,
    /// Its sub-folders already made in the staging folder (relative to `target`).
    made: HashSet<PathBuf>,
}

/// What an `lstat` said of a folder of the root when it was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    Folder,
    Missing,
    /// A symlink, a file, or unreadable: never made a tree (the commit's walk judges it).
    Other,
}

/// The stage's trees and what it learned of the root's folders.
#[derive(Debug, Default)]
pub(super) struct Trees {
    trees: Vec<Tree>,
    known: HashMap<PathBuf, Known>,
    /// Staged names in trees given to a file already.
    taken: HashSet<String>,
    /// The last folder asked about and its answer: a folder's files come in a row.
    last: Option<(PathBuf, Option<(usize, String)>)>,
}

impl Trees {
    pub(super) fn get(&self, i: usize) -> &Tree {
        &self.trees[i]
    }

    pub(super) fn get_mut(&mut self, i: usize) -> &mut Tree {
        &mut self.trees[i]
    }

    /// Claims a staged name in a tree for a file; false if a file has it already.
    pub(super) fn take(&mut self, name: &str) -> bool {
        self.taken.insert(name.to_string())
    }

    /// The tree a staged name (`tN/...`) was created in.
    pub(super) fn owner_of(&self, staged: &str) -> Option<usize> {
        let (head, _) = staged.split_once('/')?;
        self.trees.iter().position(|t| t.staged == head)
    }

    /// The staged name a file at `target` has in its open tree (`tN/sub/name`), if its
    /// folder is in one.
    pub(super) fn staged_name(&self, target: &Path) -> Option<String> {
        let t = self
            .trees
            .iter()
            .find(|t| t.open && target.starts_with(&t.target))?;
        let rest = target.strip_prefix(&t.target).ok()?;
        Some(format!("{}/{}", t.staged, rest.to_str()?))
    }

    /// Closes every tree: nothing more goes into them.
    pub(super) fn close_all(&mut self) {
        for t in &mut self.trees {
            t.open = false;
        }
        self.last = None;
    }

    /// Closes the trees that `target` is in or contains (a removal there must come after
    /// them, in order).
    pub(super) fn close_around(&mut self, target: &Path) {
        for t in &mut self.trees {
            if t.target.starts_with(target) || target.starts_with(&t.target) {
                t.open = false;
            }
        }
        self.last = None;
    }

    /// The open tree the folder `dir` (relative to the root) belongs in, opening one at
    /// its first missing folder if needed, with `dir` made inside it; returns the tree and
    /// `dir`'s staged name. `None`: `dir` exists, or is under a closed tree, a symlink or
    /// something else that the commit's walk must judge.
    pub(super) fn folder(
        &mut self,
        lock: &RootLock,
        staging: &std::os::fd::OwnedFd,
        dir: &Path,
    ) -> Option<(usize, String)> {
        if let Some((last, answer)) = &self.last
            && last == dir
        {
            return answer.clone();
        }
        let answer = self.folder_uncached(lock, staging, dir);
        self.last = Some((dir.to_path_buf(), answer.clone()));
        answer
    }

    fn folder_uncached(
        &mut self,
        lock: &RootLock,
        staging: &std::os::fd::OwnedFd,
        dir: &Path,
    ) -> Option<(usize, String)> {
        // Only plain relative paths with UTF-8 names (staged names are strings).
        let plain = dir
            .components()
            .all(|c| matches!(c, Component::Normal(n) if n.to_str().is_some()));
        if !plain || dir.as_os_str().is_empty() {
            return None;
        }
        let i = match self.trees.iter().position(|t| dir.starts_with(&t.target)) {
            Some(i) if self.trees[i].open => i,
            Some(_) => return None,
            None => {
                let missing = self.first_missing(lock, dir)?;
                // A tree inside the missing folder (the root changed since it was opened):
                // leave both to the commit's walk.
                if self.trees.iter().any(|t| t.target.starts_with(&missing)) {
                    return None;
                }
                let staged = format!("t{}", self.trees.len() + 1);
                match rustix::fs::mkdirat(staging, staged.as_str(), Mode::from_raw_mode(0o755)) {
                    Ok(()) => {}
                    Err(_) => return None,
                }
                self.trees.push(Tree {
                    target: missing,
                    staged,
                    open: true,
                    scheduled: false,
                    files: 0,
                    folders: 1,
                    made: HashSet::new(),
                });
                self.trees.len() - 1
            }
        };
        let t = &mut self.trees[i];
        let rest = dir.strip_prefix(&t.target).ok()?.to_path_buf();
        let mut sub = PathBuf::new();
        for c in rest.components() {
            sub.push(c);
            if t.made.contains(&sub) {
                continue;
            }
            let name = format!("{}/{}", t.staged, sub.to_str()?);
            match rustix::fs::mkdirat(staging, name.as_str(), Mode::from_raw_mode(0o755)) {
                Ok(()) => t.folders += 1,
                Err(Errno::EXIST) => {}
                Err(_) => return None,
            }
            t.made.insert(sub.clone());
        }
        let name = if rest.as_os_str().is_empty() {
            t.staged.clone()
        } else {
            format!("{}/{}", t.staged, rest.to_str()?)
        };
        Some((i, name))
    }

    /// The first folder of `dir`'s path that does not exist, when every folder before it
    /// is a real folder (`lstat`, from the root, each prefix in turn: a symlink stops the
    /// search before anything under it is asked about).
    fn first_missing(&mut self, lock: &RootLock, dir: &Path) -> Option<PathBuf> {
        let mut prefix = PathBuf::new();
        for c in dir.components() {
            prefix.push(c);
            let known = match self.known.get(&prefix) {
                Some(&k) => k,
                None => {
                    let k = match rustix::fs::statat(lock.dir(), &prefix, AtFlags::SYMLINK_NOFOLLOW)
                    {
                        Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                            Known::Folder
                        }
                        Err(Errno::NOENT) => Known::Missing,
                        _ => Known::Other,
                    };
                    self.known.insert(prefix.clone(), k);
                    k
                }
            };
            match known {
                Known::Folder => continue,
                Known::Missing => return Some(prefix),
                Known::Other => return None,
            }
        }
        None
    }
}
