//! Where the keys physically live: the [`Store`] trait, over full physical paths.

use crate::error::Result;
use crate::value::Value;

/// The long name of the machine hive, the first name of its physical paths.
pub const HKEY_LOCAL_MACHINE: &str = "HKEY_LOCAL_MACHINE";
/// The long name of the users hive, the first name of its physical paths.
pub const HKEY_USERS: &str = "HKEY_USERS";

/// Physical registry storage: keys named by full physical paths (`["HKEY_LOCAL_MACHINE",
/// "SOFTWARE", "Wow6432Node", "X"]`), names compared as [`fold`](crate::fold) compares them
/// and kept in the case they were created with. Views, `HKEY_CURRENT_USER` and the merged
/// `HKEY_CLASSES_ROOT` are the [`Registry`](crate::Registry)'s business, above this trait.
///
/// A value name of `""` is the key's default value. Implemented by
/// [`SqliteStore`](crate::SqliteStore) and [`WinePrefix`](crate::WinePrefix).
pub trait Store {
    /// The key's names as stored, or `None` when it does not exist.
    fn key(&self, path: &[String]) -> Result<Option<Vec<String>>>;
    /// Creates the key and any missing ancestor.
    fn create_key(&mut self, path: &[String]) -> Result<()>;
    /// Deletes the key with its values; with `recursive`, its subkeys too, else a key with
    /// subkeys is [`Error::HasSubkeys`](crate::Error::HasSubkeys). Returns whether it existed.
    fn delete_key(&mut self, path: &[String], recursive: bool) -> Result<bool>;
    /// The names of the key's immediate subkeys, sorted as Windows enumerates them (by
    /// upper-cased name). Empty when the key does not exist.
    fn subkeys(&self, path: &[String]) -> Result<Vec<String>>;
    /// A value (its stored name and data).
    fn value(&self, path: &[String], name: &str) -> Result<Option<(String, Value)>>;
    /// Sets a value, creating the key when needed. An existing value keeps its name and
    /// place among the key's values.
    fn set_value(&mut self, path: &[String], name: &str, value: &Value) -> Result<()>;
    /// Deletes a value. Returns whether it existed.
    fn delete_value(&mut self, path: &[String], name: &str) -> Result<bool>;
    /// The key's values in the order they were first set (the order `RegEnumValue`
    /// returns). Empty when the key does not exist.
    fn values(&self, path: &[String]) -> Result<Vec<(String, Value)>>;
}

// A registry can borrow its store, or own one chosen at run time (`Box<dyn Store>`: SQLite
// for a root, Wine's files for a prefix): both pointers forward every call to the store
// they hold. Written as one macro rather than with a derive crate (`auto_impl`): it is one
// trait and two pointer types.
macro_rules! forward_store {
    ($($pointer:ty),+) => {$(
        impl<S: Store + ?Sized> Store for $pointer {
            fn key(&self, path: &[String]) -> Result<Option<Vec<String>>> {
                (**self).key(path)
            }
            fn create_key(&mut self, path: &[String]) -> Result<()> {
                (**self).create_key(path)
            }
            fn delete_key(&mut self, path: &[String], recursive: bool) -> Result<bool> {
                (**self).delete_key(path, recursive)
            }
            fn subkeys(&self, path: &[String]) -> Result<Vec<String>> {
                (**self).subkeys(path)
            }
            fn value(&self, path: &[String], name: &str) -> Result<Option<(String, Value)>> {
                (**self).value(path, name)
            }
            fn set_value(&mut self, path: &[String], name: &str, value: &Value) -> Result<()> {
                (**self).set_value(path, name, value)
            }
            fn delete_value(&mut self, path: &[String], name: &str) -> Result<bool> {
                (**self).delete_value(path, name)
            }
            fn values(&self, path: &[String]) -> Result<Vec<(String, Value)>> {
                (**self).values(path)
            }
        }
    )+};
}

forward_store!(&mut S, Box<S>);
