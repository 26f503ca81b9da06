//! The registry as a program sees it: roots, views, `HKEY_CURRENT_USER` and the merged
//! `HKEY_CLASSES_ROOT`, over any [`Store`].

use crate::error::{Error, Result};
use crate::path::{Root, View, fold, split_key};
use crate::store::{HKEY_LOCAL_MACHINE, HKEY_USERS, Store};
use crate::value::Value;
use crate::wow64::{self, Tree};

/// The SID of the user a registry's `HKEY_CURRENT_USER` belongs to when the caller names
/// none: Wine's interactive user (`user.reg` is relative to `\Registry\User\S-1-5-21-0-0-0-1000`).
pub const DEFAULT_USER_SID: &str = "S-1-5-21-0-0-0-1000";

/// Where a logical key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// One physical key.
    Key(Vec<String>),
    /// A key of `HKEY_CLASSES_ROOT`: its per-user and per-machine halves.
    Merged {
        /// Below `HKEY_CURRENT_USER\Software\Classes`.
        user: Vec<String>,
        /// Below `HKEY_LOCAL_MACHINE\Software\Classes`.
        machine: Vec<String>,
    },
}

/// The registry of one installation root (or Wine prefix): the keys a program opens, mapped
/// onto the physical keys of a [`Store`].
///
/// * `HKEY_LOCAL_MACHINE` and `HKEY_USERS` are the physical hives.
/// * `HKEY_CURRENT_USER` is `HKEY_USERS\<SID>` of the installing user.
/// * `HKEY_CLASSES_ROOT` merges `HKEY_CURRENT_USER\Software\Classes` and
///   `HKEY_LOCAL_MACHINE\Software\Classes` as "Merged View of HKEY_CLASSES_ROOT" and
///   "HKEY_CLASSES_ROOT Key" describe: a key present in the user's half is read from there
///   (values and all), otherwise from the machine's; subkeys are the union of both halves;
///   values are written to the user's half when the key exists there, else to the
///   machine's; keys are created in the machine's.
/// * [`View::Wow32`] redirects as [`wow64`](crate::wow64) says.
///
/// Key paths are relative to the root, backslash-separated; a value name of `None` or
/// `Some("")` is the default value.
#[derive(Debug)]
pub struct Registry<S> {
    store: S,
    user_sid: String,
}

impl<S: Store> Registry<S> {
    /// The registry kept in `store`, whose `HKEY_CURRENT_USER` is `HKEY_USERS\<user_sid>`.
    pub fn new(store: S, user_sid: impl Into<String>) -> Registry<S> {
        Registry {
            store,
            user_sid: user_sid.into(),
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, to change it directly.
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Gives the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// The SID whose key is `HKEY_CURRENT_USER`.
    pub fn user_sid(&self) -> &str {
        &self.user_sid
    }

    /// Where the key `key` of `root` lives in `view`.
    pub fn locate(&self, view: View, root: Root, key: &str) -> Result<Location> {
        let names = split_key(key)?;
        Ok(match root {
            Root::LocalMachine => Location::Key(machine(&names, view)),
            Root::CurrentUser => Location::Key(user(&self.user_sid, &names, view)),
            Root::Users => Location::Key(match names.split_first() {
                Some((sid, rest)) => user(sid, rest, view),
                None => vec![HKEY_USERS.to_string()],
            }),
            Root::ClassesRoot => {
                let mut classes = vec!["Software".to_string(), "Classes".to_string()];
                classes.extend(names);
                Location::Merged {
                    user: user(&self.user_sid, &classes, view),
                    machine: machine(&classes, view),
                }
            }
        })
    }

    /// The physical key reads of `key` use: for `HKEY_CLASSES_ROOT`, the user's half when
    /// the key exists there, else the machine's.
    pub fn read_path(&self, view: View, root: Root, key: &str) -> Result<Vec<String>> {
        match self.locate(view, root, key)? {
            Location::Key(p) => Ok(p),
            Location::Merged { user, machine } => Ok(if self.store.key(&user)?.is_some() {
                user
            } else {
                machine
            }),
        }
    }

    /// The physical key a value written to `key` goes to (the read rule: through
    /// `HKEY_CLASSES_ROOT`, the user's half when the key exists there, else the machine's).
    pub fn write_path(&self, view: View, root: Root, key: &str) -> Result<Vec<String>> {
        self.read_path(view, root, key)
    }

    /// The physical key a key created as `key` goes to: through `HKEY_CLASSES_ROOT`, always
    /// the machine's half ("HKEY_CLASSES_ROOT Key": keys written under it are stored under
    /// `HKEY_LOCAL_MACHINE\Software\Classes`).
    pub fn create_path(&self, view: View, root: Root, key: &str) -> Result<Vec<String>> {
        Ok(match self.locate(view, root, key)? {
            Location::Key(p) => p,
            Location::Merged { machine, .. } => machine,
        })
    }

    /// Whether the key exists.
    pub fn key_exists(&self, view: View, root: Root, key: &str) -> Result<bool> {
        Ok(match self.locate(view, root, key)? {
            Location::Key(p) => self.store.key(&p)?.is_some(),
            Location::Merged { user, machine } => {
                self.store.key(&user)?.is_some() || self.store.key(&machine)?.is_some()
            }
        })
    }

    /// Creates the key (and its missing ancestors); see [`create_path`](Registry::create_path).
    pub fn create_key(&mut self, view: View, root: Root, key: &str) -> Result<()> {
        let path = self.create_path(view, root, key)?;
        self.store.create_key(&path)
    }

    /// Sets a value, creating the key when needed (`RegSetKeyValue`).
    pub fn set(
        &mut self,
        view: View,
        root: Root,
        key: &str,
        name: Option<&str>,
        value: &Value,
    ) -> Result<()> {
        let path = self.write_path(view, root, key)?;
        self.store.set_value(&path, name.unwrap_or(""), value)
    }

    /// A value, or `None` when the key or the value does not exist.
    pub fn get(
        &self,
        view: View,
        root: Root,
        key: &str,
        name: Option<&str>,
    ) -> Result<Option<Value>> {
        let path = self.read_path(view, root, key)?;
        Ok(self.store.value(&path, name.unwrap_or(""))?.map(|(_, v)| v))
    }

    /// Deletes a value. Returns whether it existed.
    pub fn delete_value(
        &mut self,
        view: View,
        root: Root,
        key: &str,
        name: Option<&str>,
    ) -> Result<bool> {
        let path = self.write_path(view, root, key)?;
        self.store.delete_value(&path, name.unwrap_or(""))
    }

    /// Deletes a key with its values; with `recursive` its subkeys too (`RegDeleteTree`),
    /// else a key with subkeys is [`Error::HasSubkeys`] (`RegDeleteKeyEx`). The predefined
    /// keys themselves cannot be deleted. Returns whether the key existed.
    pub fn delete_key(
        &mut self,
        view: View,
        root: Root,
        key: &str,
        recursive: bool,
    ) -> Result<bool> {
        if split_key(key)?.is_empty() {
            return Err(Error::InvalidKey {
                path: key.to_string(),
                reason: "a predefined key cannot be deleted",
            });
        }
        let path = self.write_path(view, root, key)?;
        self.store.delete_key(&path, recursive)
    }

    /// The names of the key's subkeys, or `None` when the key does not exist. For
    /// `HKEY_CLASSES_ROOT`, the union of both halves (the user's spelling first).
    pub fn subkeys(&self, view: View, root: Root, key: &str) -> Result<Option<Vec<String>>> {
        match self.locate(view, root, key)? {
            Location::Key(p) => {
                if self.store.key(&p)?.is_none() {
                    return Ok(None);
                }
                Ok(Some(self.store.subkeys(&p)?))
            }
            Location::Merged { user, machine } => {
                let in_user = self.store.key(&user)?.is_some();
                let in_machine = self.store.key(&machine)?.is_some();
                if !in_user && !in_machine {
                    return Ok(None);
                }
                let mut names = if in_user {
                    self.store.subkeys(&user)?
                } else {
                    Vec::new()
                };
                if in_machine {
                    for name in self.store.subkeys(&machine)? {
                        let f = fold(&name);
                        if !names.iter().any(|n| fold(n) == f) {
                            names.push(name);
                        }
                    }
                }
                names.sort_by_key(|n| fold(n));
                Ok(Some(names))
            }
        }
    }

    /// The key's values in enumeration order (`None` for the default value), or `None`
    /// when the key does not exist.
    pub fn values(&self, view: View, root: Root, key: &str) -> Result<Option<Vec<NamedValue>>> {
        let path = self.read_path(view, root, key)?;
        if self.store.key(&path)?.is_none() {
            return Ok(None);
        }
        Ok(Some(
            self.store
                .values(&path)?
                .into_iter()
                .map(|(name, value)| NamedValue {
                    name: (!name.is_empty()).then_some(name),
                    value,
                })
                .collect(),
        ))
    }

    /// Deletes the key if it has neither values nor subkeys, then its parent on the same
    /// terms, and so on up to (not including) the hive or the user's key: what Windows
    /// Installer does after removing a product's last value from a key ("Registry table":
    /// the installer removes a registry key after removing the last value or subkey under
    /// it). Returns how many keys were deleted.
    pub fn delete_empty_keys(&mut self, view: View, root: Root, key: &str) -> Result<usize> {
        let mut path = self.write_path(view, root, key)?;
        // HKEY_LOCAL_MACHINE, or HKEY_USERS\<SID>, stays.
        let keep = if fold(&path[0]) == HKEY_USERS { 2 } else { 1 };
        let mut deleted = 0;
        while path.len() > keep {
            if self.store.key(&path)?.is_none() {
                path.pop();
                continue;
            }
            if !self.store.values(&path)?.is_empty() || !self.store.subkeys(&path)?.is_empty() {
                break;
            }
            self.store.delete_key(&path, false)?;
            deleted += 1;
            path.pop();
        }
        Ok(deleted)
    }
}

/// A value with its name (`None` for the default value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedValue {
    /// The name, `None` for the default value.
    pub name: Option<String>,
    /// The data.
    pub value: Value,
}

fn machine(names: &[String], view: View) -> Vec<String> {
    let mut out = vec![HKEY_LOCAL_MACHINE.to_string()];
    out.extend(wow64::physical(Tree::Machine, names, view));
    out
}

fn user(sid: &str, names: &[String], view: View) -> Vec<String> {
    let mut out = vec![HKEY_USERS.to_string(), sid.to_string()];
    out.extend(wow64::physical(Tree::User, names, view));
    out
}
