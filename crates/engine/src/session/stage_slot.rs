//! Where a session's staging area lives: its own, or the upgrading install's, borrowed by
//! the removal its RemoveExistingProducts runs inside its transaction.

use std::collections::HashSet;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;

use transaction::Transaction as Stage;

/// A session's staging area, created on first use (`None` until then).
// Kept inline, as the session kept its stage before: one per session, never moved about.
#[allow(clippy::large_enum_variant)]
pub(crate) enum StageSlot<'a, 'l> {
    /// The session's own: committed or rolled back when the session ends.
    Own(Option<Stage<'l>>),
    /// The upgrading install's, for a removal inside its transaction: the removal works in
    /// it and leaves it uncommitted, so that a later failure undoes both; a failure of the
    /// removal rolls it back (and leaves it `None`).
    Borrowed(&'a mut Option<Stage<'l>>),
}

impl StageSlot<'_, '_> {
    /// Whether the staging area is the upgrading install's (its commit is that install's).
    pub(crate) fn is_borrowed(&self) -> bool {
        matches!(self, StageSlot::Borrowed(_))
    }
}

impl<'l> Deref for StageSlot<'_, 'l> {
    type Target = Option<Stage<'l>>;

    fn deref(&self) -> &Option<Stage<'l>> {
        match self {
            StageSlot::Own(stage) => stage,
            StageSlot::Borrowed(stage) => stage,
        }
    }
}

impl<'l> DerefMut for StageSlot<'_, 'l> {
    fn deref_mut(&mut self) -> &mut Option<Stage<'l>> {
        match self {
            StageSlot::Own(stage) => stage,
            StageSlot::Borrowed(stage) => stage,
        }
    }
}

/// What an upgrading install lends the removal of a related product
/// (RemoveExistingProducts).
pub(crate) struct Upgrading<'a, 'l> {
    /// Paths the removal must not remove: files the upgrading install puts or keeps there.
    pub(crate) protected: HashSet<PathBuf>,
    /// The upgrading install's staging area, when the removal runs inside its transaction.
    pub(crate) stage: Option<&'a mut Option<Stage<'l>>>,
}
