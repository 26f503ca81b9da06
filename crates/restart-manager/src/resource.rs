//! Registered resources: files, processes and services ("RmRegisterResources
//! function").
//!
//! Registration is cumulative and there is no way to unregister ("RmRegisterResources function").
//! Duplicates are merged; the order of first registration is kept. Paths are kept
//! as given (made absolute against the caller's current folder) and compared with
//! what processes hold by device and inode at list time, so no canonicalisation is
//! needed here. Paths are arbitrary bytes on Linux; the state file stores a path as
//! a JSON string when it is UTF-8 and as an array of bytes otherwise.

use std::collections::HashSet;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, UniqueProcess};

/// A set of resources to register (or that are registered) in a session.
///
/// Invariant (for the registered set kept in a session): no duplicates, every
/// path absolute, every service name non-empty and at most 63 bytes without `/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    /// Files: the processes that open, map, execute or sit in them are affected.
    #[serde(with = "paths_serde")]
    pub files: Vec<PathBuf>,
    /// Processes, by pid and start time: affected as long as that very process runs.
    pub processes: Vec<UniqueProcess>,
    /// Services by short name (a systemd unit or a runit service directory name).
    pub services: Vec<String>,
}

impl Resources {
    /// An empty set.
    pub fn new() -> Resources {
        Resources::default()
    }

    /// Whether nothing is in the set.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.processes.is_empty() && self.services.is_empty()
    }

    /// The total number of resources.
    pub fn len(&self) -> usize {
        self.files.len() + self.processes.len() + self.services.len()
    }

    /// Checks the set and returns it normalised: paths made absolute (relative to
    /// the current folder), no empty path, service names as the service managers
    /// accept them (`check_service_name`: 1 to 63 bytes, no `/`, no leading `-`
    /// or `.`); `ERROR_BAD_ARGUMENTS` otherwise.
    pub(crate) fn validated(&self) -> Result<Resources, Error> {
        let cwd = std::env::current_dir().ok();
        let mut files = Vec::with_capacity(self.files.len());
        for path in &self.files {
            if path.as_os_str().is_empty() {
                return Err(Error::BadArguments(
                    "an empty file name was registered".into(),
                ));
            }
            if path.as_os_str().as_bytes().contains(&0) {
                return Err(Error::BadArguments(format!(
                    "{}: a file name cannot contain a NUL byte",
                    path.display()
                )));
            }
            if path.is_absolute() {
                files.push(path.clone());
            } else {
                match &cwd {
                    Some(cwd) => files.push(cwd.join(path)),
                    None => {
                        return Err(Error::BadArguments(format!(
                            "{}: not an absolute path, and the current folder is unknown",
                            path.display()
                        )));
                    }
                }
            }
        }
        for service in &self.services {
            crate::service::check_service_name(service)?;
        }
        Ok(Resources {
            files,
            processes: self.processes.clone(),
            services: self.services.clone(),
        })
    }

    /// Adds every resource of `other` not already present; returns how many were new.
    pub(crate) fn merge(&mut self, other: &Resources) -> usize {
        let before = self.len();
        merge_unique(&mut self.files, &other.files);
        merge_unique(&mut self.processes, &other.processes);
        merge_unique(&mut self.services, &other.services);
        self.len() - before
    }

    /// Whether `path` was registered (exactly as stored).
    pub fn has_file(&self, path: &Path) -> bool {
        self.files.iter().any(|p| p == path)
    }
}

fn merge_unique<T: Clone + Eq + std::hash::Hash>(into: &mut Vec<T>, from: &[T]) {
    let mut seen: HashSet<T> = into.iter().cloned().collect();
    for item in from {
        if seen.insert(item.clone()) {
            into.push(item.clone());
        }
    }
}

/// A path as JSON: a string when it is UTF-8, else its bytes.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum PathRepr {
    Text(String),
    Bytes(Vec<u8>),
}

impl PathRepr {
    pub(crate) fn from_path(path: &Path) -> PathRepr {
        match path.to_str() {
            Some(s) => PathRepr::Text(s.to_owned()),
            None => PathRepr::Bytes(path.as_os_str().as_bytes().to_vec()),
        }
    }

    pub(crate) fn into_path(self) -> PathBuf {
        match self {
            PathRepr::Text(s) => PathBuf::from(s),
            PathRepr::Bytes(b) => PathBuf::from(OsString::from_vec(b)),
        }
    }
}

/// Serde for one path that may not be UTF-8.
pub(crate) mod path_serde {
    use super::PathRepr;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::path::{Path, PathBuf};

    pub(crate) fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
        PathRepr::from_path(path).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        Ok(PathRepr::deserialize(d)?.into_path())
    }
}

/// Serde for a list of paths that may not be UTF-8.
pub(crate) mod paths_serde {
    use super::PathRepr;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::path::{Path, PathBuf};

    pub(crate) fn serialize<S: Serializer>(paths: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(paths.iter().map(|p| PathRepr::from_path(Path::new(p))))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
        Ok(Vec::<PathRepr>::deserialize(d)?
            .into_iter()
            .map(PathRepr::into_path)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_first_order_and_drops_duplicates() {
        let mut a = Resources {
            files: vec!["/a".into(), "/b".into()],
            ..Resources::default()
        };
        let b = Resources {
            files: vec!["/b".into(), "/c".into()],
            services: vec!["x.service".into()],
            ..Resources::default()
        };
        assert_eq!(a.merge(&b), 2);
        assert_eq!(a.files, vec![PathBuf::from("/a"), "/b".into(), "/c".into()]);
        assert_eq!(a.merge(&b), 0);
    }

    #[test]
    fn non_utf8_paths_survive_json() {
        let r = Resources {
            files: vec![
                PathBuf::from(OsString::from_vec(vec![b'/', 0xff, b'x'])),
                "/ok".into(),
            ],
            ..Resources::default()
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Resources>(&json).unwrap(), r);
    }

    #[test]
    fn bad_service_names_are_refused() {
        for bad in ["", "a/b", &"x".repeat(64), "-x", ".."] {
            let r = Resources {
                services: vec![bad.to_string()],
                ..Resources::default()
            };
            assert_eq!(r.validated().unwrap_err().code(), 160);
        }
    }
}
