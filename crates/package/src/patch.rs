//! Patches (`.msp`): what a patch holds, whether it applies to a product, applying it to
//! the product's package in memory, and the order several patches apply in ("Patch
//! Packages", "Patching and Upgrades", "Sequencing Patches", "Removing Patches").
//!
//! A patch is a compound file (class id `000C1086-…`) with:
//! - its summary information, whose properties mean ("Summary Information Stream Property
//!   Set" for patches): Template the product codes it targets (`;`-separated), Revision
//!   Number its patch code followed by the codes of the patches it obsoletes, Last Saved
//!   By its transforms (`:rtmA.1;:#rtmA.1;…`);
//! - its transforms as substorages, in pairs: `Name` changes the product's tables and
//!   `#Name` adds the patch's own rows (Media rows pointing at its cabinets, PatchPackage,
//!   …), applied in that order;
//! - its own small database: `MsiPatchMetadata` (AllowRemoval, Classification,
//!   MinorUpdateTargetRTM, DisplayName…) and `MsiPatchSequence` (its patch families and
//!   its place in each);
//! - its cabinets, as streams of the root storage, added to the product's package as
//!   streams so that the Media rows of the `#` transform find them.
//!
//! [`Patch::apply_to`] applies the transform pairs whose validation accepts the package (a
//! patch for several products has one pair per product); none accepting is
//! [`Error::PatchTargetNotFound`] (1642). Files the patch replaces whole (from its
//! cabinets) are what it supports; a patch that updates files by binary deltas (rows in
//! the `Patch` table) is refused with [`Error::PatchUnsupported`] (1637) before anything
//! changed. [`sequence`] orders patches and says which are
//! superseded or obsoleted.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::streamname::{self, SUMMARY_STREAM};
use crate::tables::{Table, read_all};
use crate::transform::summary::{Prop, pid, read_props};
use crate::{Package, Transform};

/// The summary information of a patch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PatchSummary {
    /// Title.
    pub title: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Comments.
    pub comments: Option<String>,
    /// Template: the product codes the patch targets.
    pub targets: Vec<String>,
    /// Revision Number's first GUID: the patch code.
    pub patch_code: String,
    /// Revision Number's other GUIDs: the patches this one obsoletes.
    pub obsoletes: Vec<String>,
    /// Last Saved By: the transforms, `:` removed, in order.
    pub transforms: Vec<String>,
    /// Creating application.
    pub creating_application: Option<String>,
}

/// A row of `MsiPatchMetadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatchMetadataRow {
    /// Company (null for the standard properties).
    pub company: Option<String>,
    /// Property.
    pub property: String,
    /// Value.
    pub value: String,
}

/// A row of `MsiPatchSequence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatchSequenceRow {
    /// PatchFamily.
    pub family: String,
    /// ProductCode: the product the row is for (null: every product).
    pub product_code: Option<String>,
    /// Sequence: the patch's place in the family, a dotted version.
    pub sequence: String,
    /// Attributes: 1 is `msidbPatchSequenceSupersedeEarlier`.
    pub attributes: i32,
}

/// `MsiPatchSequence.Attributes`: the patch supersedes the earlier ones of its family.
pub const SUPERSEDE_EARLIER: i32 = 1;

/// A patch read into memory (patches are small: their payload is the changed files).
#[derive(Debug, Clone)]
pub struct Patch {
    path: PathBuf,
    bytes: Arc<[u8]>,
    summary: PatchSummary,
    metadata: Vec<PatchMetadataRow>,
    sequences: Vec<PatchSequenceRow>,
    streams: Vec<String>,
}

const PATCH_CLSID: &str = "000c1086-0000-0000-c000-000000000046";

impl Patch {
    /// Reads the patch at `path`: missing or unreadable → [`Error::PatchOpenFailed`] (1635),
    /// not a patch → [`Error::PatchInvalid`] (1636).
    // std's error on purpose: PatchOpenFailed names the path already.
    #[allow(clippy::disallowed_methods)]
    pub fn open(path: impl AsRef<Path>) -> Result<Patch> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::PatchOpenFailed {
            path: path.to_path_buf(),
            source,
        })?;
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        Patch::from_bytes(absolute, bytes)
    }

    /// Reads a patch held in memory; `path` names it.
    pub fn from_bytes(path: impl AsRef<Path>, bytes: Vec<u8>) -> Result<Patch> {
        let path = path.as_ref().to_path_buf();
        let invalid = |reason: String| Error::PatchInvalid {
            path: path.clone(),
            reason,
        };
        let bytes: Arc<[u8]> = bytes.into();
        let mut file = cfb::CompoundFile::open(Cursor::new(bytes.clone()))
            .map_err(|e| invalid(format!("not a compound file: {e}")))?;
        let clsid = file.root_entry().clsid().hyphenated().to_string();
        if clsid != PATCH_CLSID {
            return Err(invalid(format!("its class id {clsid} is not a patch's")));
        }
        let entries: Vec<(String, bool)> = file
            .read_root_storage()
            .map(|e| (e.name().to_string(), e.is_storage()))
            .collect();
        let mut summary = None;
        let mut streams = Vec::new();
        for (stored, is_storage) in entries {
            if is_storage {
                continue;
            }
            if stored == SUMMARY_STREAM {
                let mut data = Vec::new();
                file.open_stream(format!("/{stored}"))
                    .and_then(|mut s| s.read_to_end(&mut data))
                    .map_err(|e| invalid(format!("summary information: {e}")))?;
                summary = Some(read_summary(&data).map_err(&invalid)?);
                continue;
            }
            let (decoded, is_table) = streamname::decode(&stored);
            if !is_table && !stored.starts_with('\u{5}') {
                streams.push(decoded);
            }
        }
        let summary = summary.ok_or_else(|| invalid("no summary information".into()))?;
        if summary.patch_code.is_empty() {
            return Err(invalid("its Revision Number holds no patch code".into()));
        }
        let (metadata, sequences) = read_tables(&bytes).map_err(&invalid)?;
        Ok(Patch {
            path,
            bytes,
            summary,
            metadata,
            sequences,
            streams,
        })
    }

    /// The patch's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The patch file's bytes (to cache it).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its summary information.
    pub fn summary(&self) -> &PatchSummary {
        &self.summary
    }

    /// The patch code, `{GUID}` as the summary gives it.
    pub fn code(&self) -> &str {
        &self.summary.patch_code
    }

    /// `MsiPatchMetadata`'s rows.
    pub fn metadata(&self) -> &[PatchMetadataRow] {
        &self.metadata
    }

    /// The standard metadata property `name` (Company null).
    pub fn metadata_value(&self, name: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|m| m.company.is_none() && m.property == name)
            .map(|m| m.value.as_str())
    }

    /// `MsiPatchSequence`'s rows.
    pub fn sequences(&self) -> &[PatchSequenceRow] {
        &self.sequences
    }

    /// What names the patch to a user: DisplayName, else the title, else the file name.
    pub fn display_name(&self) -> String {
        self.metadata_value("DisplayName")
            .map(str::to_string)
            .or_else(|| self.summary.title.clone())
            .unwrap_or_else(|| {
                self.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
    }

    /// Whether the patch may be removed (`MsiPatchMetadata` AllowRemoval = 1, "Uninstallable
    /// Patches").
    pub fn allows_removal(&self) -> bool {
        self.metadata_value("AllowRemoval").map(str::trim) == Some("1")
    }

    /// Whether it is a minor-update patch that targets the original product
    /// (MinorUpdateTargetRTM = 1): such patches are sequenced first.
    pub fn targets_rtm(&self) -> bool {
        self.metadata_value("MinorUpdateTargetRTM").map(str::trim) == Some("1")
    }

    /// The cabinet streams (and any other streams) the patch carries for the product.
    pub fn stream_names(&self) -> &[String] {
        &self.streams
    }

    /// Whether Template names `product_code`.
    pub fn targets(&self, product_code: &str) -> bool {
        self.summary
            .targets
            .iter()
            .any(|t| t.eq_ignore_ascii_case(product_code.trim()))
    }

    /// Reads the transform `name` (a substorage of the patch), tagged with the patch code.
    pub fn transform(&self, name: &str) -> Result<Transform> {
        let mut file = cfb::CompoundFile::open(Cursor::new(self.bytes.clone()))
            .map_err(|e| self.invalid(e.to_string()))?;
        let label = format!("{}:{name}", self.path.display());
        let mut t = Transform::from_storage(&mut file, Path::new("/").join(name), &label)?;
        t.set_patch_code(self.code());
        Ok(t)
    }

    /// The transform pairs, in the order Last Saved By lists them: each the transform of
    /// the product's tables and the patch's own (`#`) one.
    pub fn transform_pairs(&self) -> Result<Vec<(Transform, Option<Transform>)>> {
        let mut out: Vec<(Transform, Option<Transform>)> = Vec::new();
        for name in &self.summary.transforms {
            if name.starts_with('#') {
                let t = self.transform(name)?;
                match out.last_mut() {
                    Some((_, own @ None)) => *own = Some(t),
                    _ => {
                        return Err(self.invalid(format!(
                            "its transform {name} follows no transform of the product"
                        )));
                    }
                }
            } else {
                out.push((self.transform(name)?, None));
            }
        }
        Ok(out)
    }

    /// Applies the patch to `package` in memory: each pair whose product transform
    /// validates against the package as patched so far (a patch for several products
    /// holds one pair per product), then the patch's streams. On error the package is
    /// unchanged; no pair validating is [`Error::PatchTargetNotFound`] (1642). Returns
    /// the names of the pairs applied.
    pub fn apply_to(&self, package: &mut Package) -> Result<Vec<String>> {
        let product = package.property("ProductCode").unwrap_or_default();
        let not_found = |reason: String| Error::PatchTargetNotFound {
            patch: self.path.display().to_string(),
            target: product.clone(),
            reason,
        };
        if !self.targets(&product) {
            return Err(not_found(format!(
                "it targets {}",
                self.summary.targets.join(";")
            )));
        }
        let mut work = package.clone();
        let mut applied = Vec::new();
        let mut refusals = Vec::new();
        for (forward, own) in self.transform_pairs()? {
            if let Err(e) = forward.check(&work) {
                refusals.push(match e {
                    Error::TransformFailure { reason, .. } => reason,
                    other => other.to_string(),
                });
                continue;
            }
            work.apply_transform(&forward, forward.summary().error_conditions)?;
            if let Some(own) = own {
                own.check(&work)?;
                work.apply_transform(&own, own.summary().error_conditions)?;
            }
            applied.push(forward.name().to_string());
        }
        // Binary deltas ("Patch table", "PatchFiles"): files patched in place from the
        // installed copy are not supported; refused before anything changed.
        let deltas = |p: &Package| p.table("Patch").map_or(0, |t| t.rows.len());
        if deltas(&work) > deltas(package) {
            let files: Vec<String> = work
                .table("Patch")
                .map(|t| {
                    t.rows
                        .iter()
                        .filter_map(|r| r.first().map(|v| v.text()))
                        .collect()
                })
                .unwrap_or_default();
            return Err(Error::PatchUnsupported {
                patch: self.path.display().to_string(),
                reason: format!(
                    "it updates files by binary deltas (Patch table: {}), which rmsi does not apply",
                    files.join(", ")
                ),
            });
        }
        if applied.is_empty() {
            return Err(not_found(if refusals.is_empty() {
                "it holds no transform".to_string()
            } else {
                refusals.join("; ")
            }));
        }
        let mut file = cfb::CompoundFile::open(Cursor::new(self.bytes.clone()))
            .map_err(|e| self.invalid(e.to_string()))?;
        for name in &self.streams {
            let stored = streamname::encode(name, false);
            let mut data = Vec::new();
            file.open_stream(format!("/{stored}"))
                .and_then(|mut s| s.read_to_end(&mut data))
                .map_err(|e| self.invalid(format!("stream {name}: {e}")))?;
            work.add_stream(name, data.into());
        }
        *package = work;
        Ok(applied)
    }

    fn invalid(&self, reason: String) -> Error {
        Error::PatchInvalid {
            path: self.path.clone(),
            reason,
        }
    }
}

fn read_summary(bytes: &[u8]) -> std::result::Result<PatchSummary, String> {
    let props = read_props(bytes)?;
    let text = |id: u32| match props.get(&id) {
        Some(Prop::Str(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let list = |id: u32| -> Vec<String> {
        text(id)
            .unwrap_or_default()
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let revision = text(pid::REVISION).unwrap_or_default();
    // Revision Number: GUIDs one after the other, the first the patch's own.
    let mut guids: Vec<String> = revision
        .split_inclusive('}')
        .map(|g| g.trim_matches(|c: char| c == ';' || c.is_whitespace()))
        .filter(|g| g.starts_with('{') && g.ends_with('}'))
        .map(str::to_ascii_uppercase)
        .collect();
    let patch_code = if guids.is_empty() {
        String::new()
    } else {
        guids.remove(0)
    };
    Ok(PatchSummary {
        title: text(pid::TITLE),
        subject: text(pid::SUBJECT),
        author: text(pid::AUTHOR),
        comments: text(pid::COMMENTS),
        targets: list(pid::TEMPLATE),
        patch_code,
        obsoletes: guids,
        transforms: list(pid::LAST_AUTHOR)
            .into_iter()
            .map(|t| t.trim_start_matches(':').to_string())
            .collect(),
        creating_application: text(pid::APP_NAME),
    })
}

type PatchTables = (Vec<PatchMetadataRow>, Vec<PatchSequenceRow>);

/// Reads the patch's own database: `MsiPatchMetadata` and `MsiPatchSequence`.
fn read_tables(bytes: &Arc<[u8]>) -> std::result::Result<PatchTables, String> {
    let read = || -> std::io::Result<BTreeMap<String, Table>> {
        let mut db = msi::Package::open(Cursor::new(bytes.clone()))?;
        let names: Vec<String> = db.tables().map(|t| t.name().to_string()).collect();
        let mut tables = BTreeMap::new();
        for name in ["MsiPatchMetadata", "MsiPatchSequence"] {
            if names.iter().any(|n| n == name) {
                tables.insert(
                    name.to_string(),
                    crate::package::read_table(&mut db, name, &[])?,
                );
            }
        }
        Ok(tables)
    };
    // The msi crate panics on some malformed system tables (see Package::open).
    let tables = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .map_err(|_| "malformed database (parser panicked)".to_string())?
        .map_err(|e| e.to_string())?;
    let metadata = read_all(tables.get("MsiPatchMetadata"), |row| {
        Ok(PatchMetadataRow {
            company: row.opt_str("Company"),
            property: row.str("Property")?,
            value: row.opt_str("Value").unwrap_or_default(),
        })
    })
    .map_err(|e| e.to_string())?;
    let sequences = read_all(tables.get("MsiPatchSequence"), |row| {
        Ok(PatchSequenceRow {
            family: row.str("PatchFamily")?,
            product_code: row.opt_str("ProductCode"),
            sequence: row.opt_str("Sequence").unwrap_or_default(),
            attributes: row.opt_int("Attributes")?.unwrap_or(0),
        })
    })
    .map_err(|e| e.to_string())?;
    Ok((metadata, sequences))
}

/// Where a patch stands among the patches of a product after sequencing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchState {
    /// Applied to the product.
    Applied,
    /// A later patch of its family supersedes it: kept, not applied.
    Superseded,
    /// Another patch obsoletes it (its Revision Number lists it): kept, not applied.
    Obsoleted,
}

impl PatchState {
    /// The state as `rmsi list` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            PatchState::Applied => "applied",
            PatchState::Superseded => "superseded",
            PatchState::Obsoleted => "obsoleted",
        }
    }
}

/// Compares two dotted sequence values field by field as numbers.
fn compare_sequence(a: &str, b: &str) -> Ordering {
    let parse = |s: &str| -> Vec<u64> {
        s.split('.')
            .map(|f| f.trim().parse::<u64>().unwrap_or(0))
            .collect()
    };
    let (a, b) = (parse(a), parse(b));
    let n = a.len().max(b.len());
    for i in 0..n {
        let o = a
            .get(i)
            .copied()
            .unwrap_or(0)
            .cmp(&b.get(i).copied().unwrap_or(0));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// The patch's sequence rows that concern `product_code`.
fn rows_for<'a>(patch: &'a Patch, product_code: &str) -> Vec<&'a PatchSequenceRow> {
    patch
        .sequences
        .iter()
        .filter(|r| {
            r.product_code
                .as_deref()
                .is_none_or(|p| p.eq_ignore_ascii_case(product_code))
        })
        .collect()
}

/// Orders the patches of `product_code` as the installer does ("Sequencing Patches"), in
/// their order of application otherwise: minor-update patches that target the original
/// product first; within that, patches sharing a family by their Sequence there, patches
/// with sequence data before those without. A patch superseded by a later one of its
/// family (`SUPERSEDE_EARLIER`), or whose code another patch's Revision Number obsoletes,
/// is not applied. Returns indexes into `patches` with their states, in order.
pub fn sequence(patches: &[&Patch], product_code: &str) -> Vec<(usize, PatchState)> {
    let mut order: Vec<usize> = (0..patches.len()).collect();
    let group = |i: usize| -> (u8, u8) {
        (
            u8::from(!patches[i].targets_rtm()),
            u8::from(rows_for(patches[i], product_code).is_empty()),
        )
    };
    order.sort_by_key(|&i| group(i));
    // Patches sharing a family go by their sequence there (a stable bubble: the relation
    // is only defined between patches of a family).
    let shared = |a: usize, b: usize| -> Ordering {
        for ra in rows_for(patches[a], product_code) {
            for rb in rows_for(patches[b], product_code) {
                if ra.family == rb.family {
                    return compare_sequence(&ra.sequence, &rb.sequence);
                }
            }
        }
        Ordering::Equal
    };
    for _ in 0..order.len() {
        for k in 1..order.len() {
            let (a, b) = (order[k - 1], order[k]);
            if group(a) == group(b) && shared(a, b) == Ordering::Greater {
                order.swap(k - 1, k);
            }
        }
    }
    order
        .iter()
        .map(|&i| {
            let obsoleted = patches.iter().enumerate().any(|(j, other)| {
                j != i
                    && other
                        .summary
                        .obsoletes
                        .iter()
                        .any(|o| o.eq_ignore_ascii_case(patches[i].code()))
            });
            let superseded = rows_for(patches[i], product_code).iter().any(|mine| {
                patches.iter().enumerate().any(|(j, other)| {
                    j != i
                        && rows_for(other, product_code).iter().any(|theirs| {
                            theirs.family == mine.family
                                && theirs.attributes & SUPERSEDE_EARLIER != 0
                                && compare_sequence(&theirs.sequence, &mine.sequence)
                                    == Ordering::Greater
                        })
                })
            });
            let state = if obsoleted {
                PatchState::Obsoleted
            } else if superseded {
                PatchState::Superseded
            } else {
                PatchState::Applied
            };
            (i, state)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_values_compare_as_numbers() {
        assert_eq!(compare_sequence("1.0.10.0", "1.0.9"), Ordering::Greater);
        assert_eq!(compare_sequence("1.0", "1.0.0.0"), Ordering::Equal);
        assert_eq!(compare_sequence("1", "2"), Ordering::Less);
    }

    #[test]
    fn revision_number_holds_the_patch_code_then_obsoleted_ones() {
        let mut props = BTreeMap::new();
        props.insert(pid::CODEPAGE, Prop::I2(1252));
        props.insert(
            pid::REVISION,
            Prop::Str(
                "{7a59e0be-5179-4d9c-a7f0-b9f0955315a0}{11111111-2222-3333-4444-555555555555}"
                    .into(),
            ),
        );
        props.insert(pid::TEMPLATE, Prop::Str("{A};{B}".into()));
        props.insert(pid::LAST_AUTHOR, Prop::Str(":t.1;:#t.1".into()));
        let bytes = crate::transform::summary::write_props(1252, &props);
        let s = read_summary(&bytes).unwrap();
        assert_eq!(s.patch_code, "{7A59E0BE-5179-4D9C-A7F0-B9F0955315A0}");
        assert_eq!(s.obsoletes, vec!["{11111111-2222-3333-4444-555555555555}"]);
        assert_eq!(s.targets, vec!["{A}", "{B}"]);
        assert_eq!(s.transforms, vec!["t.1", "#t.1"]);
    }

    fn corpus_patch(name: &str) -> Patch {
        Patch::open(
            test_support::corpus_dir()
                .join("wix3-PerMachineMsisMsps-patches")
                .join(name),
        )
        .unwrap()
    }

    fn product_a() -> Package {
        Package::open(
            test_support::corpus_dir().join("wix3-PerMachineMsisMsps-prodAv100/prodAv100.msi"),
        )
        .unwrap()
    }

    /// PatchAv101 with its `#rtmA.1` transform replaced by one that also adds a Patch
    /// table row (a binary delta of product.wxs): refused with 1637, the package unchanged.
    #[test]
    fn binary_deltas_are_refused_and_change_nothing() {
        use crate::tables::{Column, ColumnKind, Value};
        let patch = corpus_patch("PatchAv101.msp");
        let pairs = patch.transform_pairs().unwrap();
        let (forward, own) = &pairs[0];
        let mut before = product_a();
        before
            .apply_transform(forward, forward.summary().error_conditions)
            .unwrap();
        let own = own.as_ref().unwrap();
        let mut after = before.clone();
        after
            .apply_transform(own, own.summary().error_conditions)
            .unwrap();
        after.tables.insert(
            "Patch".into(),
            Table {
                name: "Patch".into(),
                columns: vec![
                    Column::new("File_", ColumnKind::Str(72), true, false),
                    Column::new("Sequence", ColumnKind::Int32, true, false),
                    Column::new("PatchSize", ColumnKind::Int32, false, false),
                    Column::new("Attributes", ColumnKind::Int16, false, false),
                    Column::new("Header", ColumnKind::Binary, false, true),
                    Column::new("StreamRef_", ColumnKind::Str(72), false, true),
                ],
                rows: vec![vec![
                    Value::Str("F_Source".into()),
                    Value::Int(2),
                    Value::Int(10),
                    Value::Int(0),
                    Value::Null,
                    Value::Null,
                ]],
            },
        );
        let mut delta = Transform::generate(&before, &after).unwrap();
        *delta.summary_mut() = own.summary().clone();
        let bytes = delta.to_bytes().unwrap();
        // The patch file with the new `#rtmA.1`.
        let mut file = cfb::CompoundFile::open(Cursor::new(patch.bytes().to_vec())).unwrap();
        file.remove_storage_all("/#rtmA.1").unwrap();
        crate::transform::paste_storage(&mut file, "#rtmA.1", &bytes).unwrap();
        file.flush().unwrap();
        let changed = Patch::from_bytes("delta.msp", file.into_inner().into_inner()).unwrap();
        let mut package = product_a();
        let err = changed.apply_to(&mut package).unwrap_err();
        assert_eq!(err.code(), 1637, "{err}");
        assert!(err.to_string().contains("F_Source"), "{err}");
        assert_eq!(package.tables, product_a().tables);
        assert!(package.applied_transforms().is_empty());
    }

    /// A later patch of a family with SupersedeEarlier supersedes the earlier; a patch
    /// whose code another's Revision Number lists is obsoleted.
    #[test]
    fn supersedence_and_obsolescence() {
        let a = corpus_patch("PatchAv101.msp");
        let mut later = a.clone();
        later.summary.patch_code = "{00000000-0000-0000-0000-000000000001}".into();
        later.sequences[0].sequence = "1.0.2.0".into();
        let code = "{6EA3AE83-A14F-4B8B-8A86-BB977A9E7833}";
        assert_eq!(
            sequence(&[&later, &a], code),
            vec![(1, PatchState::Superseded), (0, PatchState::Applied)]
        );
        // Without SupersedeEarlier, both apply, in sequence order.
        later.sequences[0].attributes = 0;
        assert_eq!(
            sequence(&[&later, &a], code),
            vec![(1, PatchState::Applied), (0, PatchState::Applied)]
        );
        let mut obsoleting = corpus_patch("PatchABv101.msp");
        obsoleting.summary.obsoletes = vec![a.code().to_string()];
        assert_eq!(
            sequence(&[&a, &obsoleting], code),
            vec![(0, PatchState::Obsoleted), (1, PatchState::Applied)]
        );
    }
}
