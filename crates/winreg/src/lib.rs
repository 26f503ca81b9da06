//! The Windows registry of an installation root, as Windows Installer writes and reads it.
//!
//! A [`Registry`] is what a program opens: the predefined keys ([`Root`]: `HKEY_LOCAL_MACHINE`,
//! `HKEY_CURRENT_USER` of the installing user, `HKEY_USERS`, and `HKEY_CLASSES_ROOT` merged
//! from the user's and the machine's `Software\Classes`), each in the 64-bit or the 32-bit
//! [`View`] with Windows 7's WOW64 redirection ([`wow64`]). Key names compare without regard
//! to case and keep the case they were created with; values are a type number and bytes
//! ([`Value`]), exactly as Windows keeps them.
//!
//! Below it, a [`Store`] keeps the physical keys:
//!
//! * [`SqliteStore`] in SQLite tables ([`schema`]) on a connection the caller owns, so that
//!   one transaction covers the caller's records and the registry;
//! * [`WinePrefix`] in a Wine prefix's `system.reg` and `user.reg`, Wine's own text format,
//!   read and written back with everything the change does not touch kept byte for byte.
//!
//! Around it:
//!
//! * [`msi`]: the Registry table's Value grammar (`#`, `#x`, `#%`, `##`, `[~]`), its special
//!   Name values (`+`, `-`, `*`), the Root column, what uninstall and the RemoveRegistry table
//!   remove, and AppSearch's rendering of a value it finds (RegLocator).
//! * [`export_reg`]: "Windows Registry Editor Version 5.00" text as `regedit` writes it.
//! * [`QueryResult`]: the JSON that `rmsi reg query --json` prints.
//! * [`pack_guid`] / [`unpack_guid`]: the packed GUIDs of `Installer\Products` and friends.
//!
//! The crate knows nothing of packages or of the engine: it is given formatted column
//! values, installation context and views, and answers with registry changes.
//!
//! # Example
//!
//! ```
//! use winreg::{Registry, Root, SqliteStore, Value, View, DEFAULT_USER_SID};
//!
//! let mut conn = rusqlite::Connection::open_in_memory()?;
//! let tx = conn.transaction()?;
//! winreg::schema(&tx)?;
//! let mut reg = Registry::new(SqliteStore::new(&tx), DEFAULT_USER_SID);
//! // A 32-bit component's value lands under Wow6432Node…
//! reg.set(View::Wow32, Root::LocalMachine, r"Software\Vendor", Some("Level"), &Value::Dword(3))?;
//! assert_eq!(
//!     reg.get(View::Native64, Root::LocalMachine, r"SOFTWARE\WOW6432NODE\vendor", Some("level"))?,
//!     Some(Value::Dword(3))
//! );
//! // …and a file association is shared by both views.
//! reg.set(View::Wow32, Root::LocalMachine, r"Software\Classes\.ppk", None, &Value::Sz("PuTTY".into()))?;
//! assert!(reg.key_exists(View::Native64, Root::ClassesRoot, ".ppk")?);
//! drop(reg);
//! tx.rollback()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod error;
mod guid;
pub mod msi;
mod path;
mod query;
mod regfile;
mod registry;
mod sqlite;
mod store;
mod value;
mod wine;
pub mod wow64;

pub use error::{Error, Result};
pub use guid::{pack_guid, unpack_guid};
pub use path::{MAX_KEY_NAME, Root, View, fold, same_name, split_key};
pub use query::{QueryResult, QueryValue};
pub use regfile::{LineEnding, REG_HEADER, export_reg, value_line};
pub use registry::{DEFAULT_USER_SID, Location, NamedValue, Registry};
pub use sqlite::{SCHEMA_VERSION, SqliteStore, schema};
pub use store::{HKEY_LOCAL_MACHINE, HKEY_USERS, Store};
pub use value::{Value, kind, type_name};
pub use wine::{RenderedHive, WINE_HEADER, WineHive, WinePrefix, wine_value_lines};
