//! Transactional changes to a target root: one install at a time, every change written to a
//! journal before it is made, and the root put back as it was when the install fails or the
//! process dies half-way.
//!
//! [`RootLock::acquire`] opens a root: it takes the root's lock (a second install gets
//! `ERROR_INSTALL_ALREADY_RUNNING`, 1618) and, when it finds the journal of an install that
//! died, rolls that install back before handing the lock out ([`RootLock::recovered`] says
//! what it undid). Under the lock, a [`Transaction`] records changes: files written into a
//! private staging folder ([`Transaction::create`], [`StageDir`] for writer threads), then
//! scheduled ([`Transaction::place`], [`Transaction::remove`], …) and applied as renames
//! ([`Transaction::apply_next`]), each written to the journal first. [`Transaction::commit`]
//! keeps the changes — removing the journal is the commit point — and a transaction dropped
//! without it (or [`Transaction::rollback`]) undoes every change it applied.
//!
//! The root-confined helpers ([`RootLock::open_dir`], [`RootLock::lstat`]) walk every path
//! from the root's open folder without following symbolic links, so nothing is ever read or
//! written outside the root — but through the links the caller names as trusted
//! ([`TrustedLink`]: a Wine prefix's shell folders, which Wine links to the user's own
//! folders), each checked as it is walked.
//!
//! This crate knows no product registry and no folder layout: the caller says, with
//! [`StateFiles`], where its state folders are and which state files a transaction must be
//! able to put back ([`Transaction::before_state_write`]).
//!
//! # Example
//!
//! ```
//! use std::io::Write;
//! use std::path::Path;
//!
//! use transaction::{RootLock, StateFiles, Transaction};
//!
//! let root = tempfile::tempdir().unwrap();
//! let state = StateFiles::new(["var/lib/app"], "state.db", "cache");
//! let lock = RootLock::acquire(root.path(), state).unwrap();
//! let mut tx = Transaction::new(&lock, Path::new("var/lib/app")).unwrap();
//! let mut file = tx.create().unwrap();
//! file.write_all(b"hello\n").unwrap();
//! let staged = tx.close(file).unwrap();
//! tx.place(staged, "opt/app/hello.txt".into()).unwrap();
//! tx.apply_next(tx.pending()).unwrap();
//! tx.commit().unwrap();
//! assert!(root.path().join("opt/app/hello.txt").is_file());
//! ```
#![warn(missing_docs)]

mod confined;
mod error;
mod journal;
mod lock;
mod stage;

use std::path::PathBuf;

pub use error::{Error, Result};
pub use lock::{RootLock, TrustedLink};
pub use stage::{StageDir, StagedFile, Summary, Transaction, set_mode};

/// The caller's state, as far as transactions need to know it: where state folders may be
/// (a journal is looked for in each when the lock is taken), and the files in them that
/// [`Transaction::before_state_write`] saves so that a rollback puts them back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateFiles {
    /// The state folders, relative to the root (one per layout the caller knows).
    pub dirs: Vec<PathBuf>,
    /// A file of the state folder that is rewritten in place (a database): copied before
    /// the first write, the copy renamed back on rollback.
    pub database: String,
    /// Files its writer keeps beside it while writing (a database's own journal), removed
    /// on rollback.
    pub companions: Vec<String>,
    /// A folder of the state folder whose files are replaced by renames: each kept as a
    /// hard link before the first write, what it gained removed on rollback.
    pub cache: String,
}

impl StateFiles {
    /// State folders `dirs` holding the file `database` (without companions) and the
    /// folder `cache`.
    pub fn new(
        dirs: impl IntoIterator<Item = impl Into<PathBuf>>,
        database: impl Into<String>,
        cache: impl Into<String>,
    ) -> StateFiles {
        StateFiles {
            dirs: dirs.into_iter().map(Into::into).collect(),
            database: database.into(),
            companions: Vec::new(),
            cache: cache.into(),
        }
    }
}
