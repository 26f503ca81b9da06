//! The one place the package types come from: the package crate (rmsi-package).

pub(crate) use package::Package;
pub(crate) use package::{ColumnKind, Table, Value};
