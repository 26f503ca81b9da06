//! A Wine prefix's three registry files as one [`Store`]: `system.reg` holds
//! `HKEY_LOCAL_MACHINE`, `user.reg` the user's hive under `HKEY_USERS`, `userdef.reg` the
//! default user's.

use std::path::{Path, PathBuf};

use super::{RenderedHive, WineHive};
use crate::error::{Error, Result};
use crate::path::fold;
use crate::store::{HKEY_LOCAL_MACHINE, HKEY_USERS, Store};
use crate::value::Value;

/// A Wine prefix's registry: `system.reg` is `HKEY_LOCAL_MACHINE`, `user.reg` the user's key
/// under `HKEY_USERS` (the SID its header names), `userdef.reg` (when present)
/// `HKEY_USERS\.Default`. Use it as the [`Store`] of a [`Registry`](crate::Registry) whose
/// user SID is [`user_sid`](WinePrefix::user_sid), then [`save`](WinePrefix::save).
#[derive(Debug, Clone)]
pub struct WinePrefix {
    dir: PathBuf,
    system: WineHive,
    user: WineHive,
    userdef: Option<WineHive>,
    user_sid: String,
}

/// Which hive of a prefix a physical path falls in.
enum Place {
    System,
    User,
    UserDefault,
    /// `HKEY_USERS` itself.
    UsersRoot,
    Outside,
}

impl WinePrefix {
    /// Reads the registry files of the prefix `dir`. A folder without `system.reg` and
    /// `user.reg` is not a (booted) Wine prefix and is refused.
    pub fn open(dir: &Path) -> Result<WinePrefix> {
        if !dir.join("system.reg").is_file() || !dir.join("user.reg").is_file() {
            return Err(Error::NotWinePrefix(dir.to_path_buf()));
        }
        let system = WineHive::load(&dir.join("system.reg"))?;
        let user = WineHive::load(&dir.join("user.reg"))?;
        let userdef_path = dir.join("userdef.reg");
        let userdef = if userdef_path.exists() {
            Some(WineHive::load(&userdef_path)?)
        } else {
            None
        };
        let user_sid = user
            .relative_to()
            .and_then(|r| r.rsplit('\\').next().map(str::to_string))
            .filter(|s| s.starts_with("S-"))
            .unwrap_or_else(|| crate::DEFAULT_USER_SID.to_string());
        Ok(WinePrefix {
            dir: dir.to_path_buf(),
            system,
            user,
            userdef,
            user_sid,
        })
    }

    /// The prefix's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The SID of the prefix's user (from `user.reg`'s header).
    pub fn user_sid(&self) -> &str {
        &self.user_sid
    }

    /// `system.reg`.
    pub fn system(&self) -> &WineHive {
        &self.system
    }

    /// `user.reg`.
    pub fn user(&self) -> &WineHive {
        &self.user
    }

    /// Writes the files that changed, each atomically (one after the other: a caller that
    /// needs both or neither writes [`commit_files`](WinePrefix::commit_files) through its
    /// own journal).
    pub fn save(&mut self) -> Result<()> {
        self.system.save()?;
        self.user.save()?;
        if let Some(u) = &mut self.userdef {
            u.save()?;
        }
        Ok(())
    }

    /// The files to write and their texts, for a caller that writes them itself; the
    /// prefix then counts as saved. Empty when nothing changed.
    pub fn commit_files(&mut self) -> Vec<(PathBuf, RenderedHive)> {
        let mut out = Vec::new();
        let hives = [
            Some(&mut self.system),
            Some(&mut self.user),
            self.userdef.as_mut(),
        ];
        for hive in hives.into_iter().flatten() {
            if let Some(text) = hive.commit_text() {
                out.push((hive.path.clone(), text));
            }
        }
        out
    }

    /// Whether anything changed since the files were read or saved.
    pub fn is_changed(&self) -> bool {
        self.system.is_changed()
            || self.user.is_changed()
            || self.userdef.as_ref().is_some_and(WineHive::is_changed)
    }

    fn place(&self, path: &[String]) -> (Place, usize) {
        match path {
            [hive, ..] if fold(hive) == HKEY_LOCAL_MACHINE => (Place::System, 1),
            [hive] if fold(hive) == HKEY_USERS => (Place::UsersRoot, 1),
            [hive, sid, ..] if fold(hive) == HKEY_USERS => {
                if fold(sid) == fold(&self.user_sid) {
                    (Place::User, 2)
                } else if fold(sid) == ".DEFAULT" && self.userdef.is_some() {
                    (Place::UserDefault, 2)
                } else {
                    (Place::Outside, 0)
                }
            }
            _ => (Place::Outside, 0),
        }
    }

    fn hive(&self, path: &[String]) -> Option<(&WineHive, Vec<String>, usize)> {
        let (place, skip) = self.place(path);
        let hive = match place {
            Place::System => &self.system,
            Place::User => &self.user,
            Place::UserDefault => self.userdef.as_ref()?,
            Place::UsersRoot | Place::Outside => return None,
        };
        Some((hive, path[skip..].to_vec(), skip))
    }

    fn hive_mut(&mut self, path: &[String]) -> Result<(&mut WineHive, Vec<String>)> {
        let (place, skip) = self.place(path);
        let hive = match place {
            Place::System => &mut self.system,
            Place::User => &mut self.user,
            Place::UserDefault => match self.userdef.as_mut() {
                Some(h) => h,
                None => return Err(Error::NotInPrefix(path.join("\\"))),
            },
            Place::UsersRoot | Place::Outside => {
                return Err(Error::NotInPrefix(path.join("\\")));
            }
        };
        Ok((hive, path[skip..].to_vec()))
    }
}

impl Store for WinePrefix {
    fn key(&self, path: &[String]) -> Result<Option<Vec<String>>> {
        if let (Place::UsersRoot, _) = self.place(path) {
            return Ok(Some(vec![HKEY_USERS.to_string()]));
        }
        let (place, _) = self.place(path);
        let mut out = vec![match place {
            Place::System => HKEY_LOCAL_MACHINE.to_string(),
            _ => HKEY_USERS.to_string(),
        }];
        match place {
            Place::User => out.push(self.user_sid.clone()),
            Place::UserDefault => out.push(".Default".to_string()),
            _ => {}
        }
        Ok(self.hive(path).and_then(|(hive, names, _)| {
            out.extend(hive.key(&names)?);
            Some(out)
        }))
    }

    fn create_key(&mut self, path: &[String]) -> Result<()> {
        if let (Place::UsersRoot, _) = self.place(path) {
            return Ok(());
        }
        let (hive, names) = self.hive_mut(path)?;
        hive.create_key(&names);
        Ok(())
    }

    fn delete_key(&mut self, path: &[String], recursive: bool) -> Result<bool> {
        let (hive, names) = self.hive_mut(path)?;
        if names.is_empty() {
            return Err(Error::NotInPrefix(path.join("\\")));
        }
        hive.delete_key(&names, recursive)
    }

    fn subkeys(&self, path: &[String]) -> Result<Vec<String>> {
        if let (Place::UsersRoot, _) = self.place(path) {
            let mut out = vec![self.user_sid.clone()];
            if self.userdef.is_some() {
                out.push(".Default".to_string());
            }
            out.sort_by_key(|n| fold(n));
            return Ok(out);
        }
        Ok(self
            .hive(path)
            .map(|(hive, names, _)| hive.subkeys(&names))
            .unwrap_or_default())
    }

    fn value(&self, path: &[String], name: &str) -> Result<Option<(String, Value)>> {
        Ok(self
            .hive(path)
            .and_then(|(hive, names, _)| hive.value(&names, name)))
    }

    fn set_value(&mut self, path: &[String], name: &str, value: &Value) -> Result<()> {
        let (hive, names) = self.hive_mut(path)?;
        hive.set_value(&names, name, value);
        Ok(())
    }

    fn delete_value(&mut self, path: &[String], name: &str) -> Result<bool> {
        let (hive, names) = self.hive_mut(path)?;
        Ok(hive.delete_value(&names, name))
    }

    fn values(&self, path: &[String]) -> Result<Vec<(String, Value)>> {
        Ok(self
            .hive(path)
            .map(|(hive, names, _)| hive.values(&names))
            .unwrap_or_default())
    }
}
