//! Transforms: the differences between two packages, as Windows Installer stores them in a
//! `.mst` file, an embedded substorage of a package (`TRANSFORMS=:Name`) or a patch's
//! substorages ("Database Transforms", "MsiDatabaseApplyTransform",
//! "MsiDatabaseGenerateTransform").
//!
//! A transform is a compound file (or a storage inside one) holding:
//! - its own string pool (`_StringPool`, `_StringData`), which the table differences refer
//!   to;
//! - one stream a changed table, named like the table's stream in a package (0x4840
//!   prefix): each record a 16-bit mask, then the cells it carries. A mask with the low
//!   bit set adds a row (its cells, up to `mask >> 8` columns, all present); mask 0
//!   deletes the row with the keys that follow; any other mask is a bitmask of the
//!   columns it changes (bit *i* for column *i*), the key columns always present.
//!   Integers are stored plus 0x8000 (2 bytes) or with the top bit flipped (4 bytes), 0
//!   being null; strings are references into the transform's pool, 2 or 3 bytes; a
//!   binary cell is 2 bytes and its data the stream `Table.Key` of the transform;
//! - `_Tables` and `_Columns` differences for added and dropped tables and added columns;
//! - streams and substorages to add to the package;
//! - its summary information ([`TransformSummary`]).
//!
//! [`Transform::open`] / [`Transform::from_bytes`] / [`Transform::from_storage`] read one;
//! [`crate::Package::apply_transform`] applies it to the in-memory database;
//! [`Transform::check`] validates it against a package as the installer does;
//! [`Transform::generate`] computes one from two packages and [`Transform::write`] stores
//! it.
//!
//! A patch (`.msp`) carries its transforms as pairs of substorages of its root: `Name`
//! (the changes to the product's tables) and `#Name` (the patch's own rows: Media,
//! PatchPackage, …), applied in that order, each validated against the product as patched
//! so far:
//!
//! ```no_run
//! # fn main() -> package::Result<()> {
//! use package::{Package, Transform};
//! let mut product = Package::open("product.msi")?;
//! let mut msp = cfb::open("patch.msp").map_err(|e| package::Error::io("patch.msp", e))?;
//! for name in ["rtmA.1", "#rtmA.1"] {
//!     let transform = Transform::from_storage(&mut msp, format!("/{name}"), name)?;
//!     transform.check(&product)?; // its validation flags (1624 when they refuse)
//!     product.apply_transform(&transform, transform.summary().error_conditions)?;
//! }
//! // The patch's cabinets are streams of the .msp: add them with Package::add_stream.
//! # Ok(()) }
//! ```

mod apply;
mod flags;
mod generate;
mod read;
pub(crate) mod record;
pub(crate) mod stringpool;
pub(crate) mod summary;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use flags::{ErrorConditions, Validation};
pub use summary::TransformSummary;

pub(crate) use generate::paste_storage;
pub(crate) use read::copy_storage;
pub(crate) use record::column_type_bits;

use stringpool::StringPool;

/// A transform read into memory.
///
/// Invariant: the table difference streams are kept encoded (they can only be decoded
/// against the column definitions of the database they are applied to, after the
/// transform's own `_Columns` changes); everything else is decoded.
#[derive(Debug, Clone)]
pub struct Transform {
    /// What names the transform in messages: its path, or `:Name` for an embedded one.
    name: String,
    summary: TransformSummary,
    pool: StringPool,
    /// Table difference streams, in the storage's order, by table name.
    tables: Vec<(String, Vec<u8>)>,
    /// Other streams (decoded names), to add to the package.
    streams: BTreeMap<String, Arc<[u8]>>,
    /// Substorages, each as a compound file of its own, to add to the package.
    storages: BTreeMap<String, Arc<[u8]>>,
    /// The code of the patch the transform came from, if any (see [`crate::Patch`]).
    patch: Option<String>,
}

impl Transform {
    /// What names the transform in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renames the transform (for messages).
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }

    /// Its summary information.
    pub fn summary(&self) -> &TransformSummary {
        &self.summary
    }

    /// Its summary information, to change the flags before writing it.
    pub fn summary_mut(&mut self) -> &mut TransformSummary {
        &mut self.summary
    }

    /// The code page of its string pool (0 = neutral).
    pub fn codepage(&self) -> i32 {
        self.pool.codepage
    }

    /// The names of the tables it changes (including `_Tables` and `_Columns`).
    pub fn table_names(&self) -> impl Iterator<Item = &str> {
        self.tables.iter().map(|(n, _)| n.as_str())
    }

    /// The names of the streams it adds or replaces.
    pub fn stream_names(&self) -> impl Iterator<Item = &str> {
        self.streams.keys().map(String::as_str)
    }

    /// The code of the patch the transform is one of (`None` for a `TRANSFORMS` one):
    /// an installed product keeps its transforms and its patches apart.
    pub fn patch_code(&self) -> Option<&str> {
        self.patch.as_deref()
    }

    /// Marks the transform as one of the patch `code`'s.
    pub fn set_patch_code(&mut self, code: impl Into<String>) {
        self.patch = Some(code.into());
    }

    /// The names of the substorages it adds or replaces.
    pub fn storage_names(&self) -> impl Iterator<Item = &str> {
        self.storages.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Package, transform::summary::read_props};

    fn pair() -> (Package, Package) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transforms");
        (
            Package::open(dir.join("site-base.msi")).unwrap(),
            Package::open(dir.join("site-changed.msi")).unwrap(),
        )
    }

    /// Broken transforms (cut short, bytes changed) are errors or apply, never a panic,
    /// and a failed application leaves the package as it was.
    #[test]
    fn broken_transforms_never_panic() {
        let (base, changed) = pair();
        let good = Transform::generate(&base, &changed).unwrap();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (i, (_, data)) in good.tables.iter().enumerate() {
            for cut in 0..data.len() {
                let mut t = good.clone();
                t.tables[i].1.truncate(cut);
                let mut p = base.clone();
                if p.apply_transform(&t, ErrorConditions(0)).is_err() {
                    assert_eq!(p.tables, base.tables);
                }
            }
            for _ in 0..200 {
                let mut t = good.clone();
                let bytes = &mut t.tables[i].1;
                if bytes.is_empty() {
                    break;
                }
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
                let mut p = base.clone();
                let _ = p.apply_transform(&t, ErrorConditions(0x3F));
            }
        }
        // The whole file, cut and changed.
        let bytes = good.to_bytes().unwrap();
        for _ in 0..300 {
            let mut b = bytes.clone();
            let at = (next() as usize) % b.len();
            b[at] = next() as u8;
            if let Ok(t) = Transform::from_bytes("x", b) {
                let _ = base.clone().apply_transform(&t, ErrorConditions(0));
            }
        }
        let summary = good.summary().write();
        for cut in 0..summary.len() {
            let _ = read_props(&summary[..cut]);
            let _ = TransformSummary::read(&summary[..cut]);
        }
        for _ in 0..500 {
            let mut s = summary.clone();
            let at = (next() as usize) % s.len();
            s[at] = next() as u8;
            let _ = TransformSummary::read(&s);
        }
        let (pool, data) = good.pool.write();
        for cut in 0..pool.len() {
            let _ = StringPool::read(&pool[..cut], &data);
        }
    }
}
