//! The one place the package types come from. The package reader lives in the
//! engine for now; when it moves to its own crate only these lines change.

pub(crate) use engine::Package;
pub(crate) use engine::tables::{ColumnKind, Table, Value};
