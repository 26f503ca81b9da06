//! The Media table: which disk and cabinet holds each file.

use super::{Table, read_all};
use crate::error::Result;

/// A Media row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRow {
    /// The disk id (also the sort order).
    pub disk_id: i32,
    /// The last File sequence on this disk.
    pub last_sequence: i32,
    /// The prompt naming the disk.
    pub disk_prompt: Option<String>,
    /// `#stream` (embedded) or a cabinet file name at the source root.
    pub cabinet: Option<String>,
    /// The volume label.
    pub volume_label: Option<String>,
    /// The source property (patching only).
    pub source: Option<String>,
}

impl MediaRow {
    /// The embedded cabinet's stream name, for a `#name` cabinet.
    pub fn embedded_stream(&self) -> Option<&str> {
        self.cabinet.as_deref().and_then(|c| c.strip_prefix('#'))
    }
}

/// Reads the Media table, sorted by `DiskId`.
pub fn read(table: Option<&Table>) -> Result<Vec<MediaRow>> {
    let mut rows = read_all(table, |row| {
        Ok(MediaRow {
            disk_id: row.int("DiskId")?,
            last_sequence: row.opt_int("LastSequence")?.unwrap_or(0),
            disk_prompt: row.opt_str("DiskPrompt"),
            cabinet: row.opt_str("Cabinet"),
            volume_label: row.opt_str("VolumeLabel"),
            source: row.opt_str("Source"),
        })
    })?;
    rows.sort_by_key(|m| m.disk_id);
    Ok(rows)
}

/// The Media row holding a file of sequence `sequence`: the one with the
/// smallest `LastSequence` ≥ `sequence` ("Media table"), lowest
/// `DiskId` first among equals.
pub fn for_sequence(media: &[MediaRow], sequence: i32) -> Option<&MediaRow> {
    media
        .iter()
        .filter(|m| m.last_sequence >= sequence)
        .min_by_key(|m| (m.last_sequence, m.disk_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(disk_id: i32, last: i32) -> MediaRow {
        MediaRow {
            disk_id,
            last_sequence: last,
            disk_prompt: None,
            cabinet: Some(format!("#c{disk_id}")),
            volume_label: None,
            source: None,
        }
    }

    #[test]
    fn smallest_last_sequence_at_or_above() {
        let media = vec![m(1, 3), m(2, 10)];
        assert_eq!(for_sequence(&media, 1).unwrap().disk_id, 1);
        assert_eq!(for_sequence(&media, 3).unwrap().disk_id, 1);
        assert_eq!(for_sequence(&media, 4).unwrap().disk_id, 2);
        assert!(for_sequence(&media, 11).is_none());
        assert_eq!(media[0].embedded_stream(), Some("c1"));
    }
}
