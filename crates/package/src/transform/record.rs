//! The records of a table difference stream and of a database table stream: cells in the
//! column types' stored forms ("Table streams" as Windows writes them).

use super::stringpool::StringPool;
use crate::tables::{Column, ColumnKind, Value};

/// `_Columns.Type` bits ("_Columns table"; the same bits Windows and Wine use).
pub(crate) mod bits {
    pub(crate) const SIZE: i32 = 0x00FF;
    pub(crate) const VALID: i32 = 0x0100;
    pub(crate) const LOCALIZABLE: i32 = 0x0200;
    pub(crate) const NONBINARY: i32 = 0x0400;
    pub(crate) const STRING: i32 = 0x0800;
    pub(crate) const NULLABLE: i32 = 0x1000;
    pub(crate) const KEY: i32 = 0x2000;
}

/// The `_Columns.Type` value of `column`.
pub(crate) fn column_type_bits(column: &Column) -> i32 {
    let mut t = match column.kind {
        ColumnKind::Int16 => bits::VALID | bits::NONBINARY | 2,
        // As Windows writes them: 0x0502 for i2, but 0x0104 for i4.
        ColumnKind::Int32 => bits::VALID | 4,
        ColumnKind::Str(n) => {
            bits::VALID | bits::NONBINARY | bits::STRING | i32::try_from(n.min(255)).unwrap_or(0)
        }
        ColumnKind::Binary => bits::VALID | bits::STRING,
    };
    if column.nullable {
        t |= bits::NULLABLE;
    }
    if column.primary_key {
        t |= bits::KEY;
    }
    if column.localizable {
        t |= bits::LOCALIZABLE;
    }
    t
}

/// The column a `_Columns` row describes.
pub(crate) fn column_from_bits(name: &str, t: i32) -> Column {
    let kind = if t & !bits::NULLABLE == bits::STRING | bits::VALID {
        ColumnKind::Binary
    } else if t & bits::STRING != 0 {
        ColumnKind::Str(usize::try_from(t & bits::SIZE).unwrap_or(0))
    } else if t & bits::SIZE == 4 {
        ColumnKind::Int32
    } else {
        ColumnKind::Int16
    };
    Column {
        name: name.to_string(),
        kind,
        primary_key: t & bits::KEY != 0,
        nullable: t & bits::NULLABLE != 0,
        localizable: t & bits::LOCALIZABLE != 0,
    }
}

/// A cell's width in table data.
pub(crate) fn width(kind: ColumnKind, ref_width: usize) -> usize {
    match kind {
        ColumnKind::Int16 | ColumnKind::Binary => 2,
        ColumnKind::Int32 => 4,
        ColumnKind::Str(_) => ref_width,
    }
}

/// One record of a table difference stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// The record's mask.
    pub(crate) mask: u16,
    /// Each column's cell, `None` when the record does not carry it. A binary cell is
    /// `Int(raw)`: its data is the stream `Table.Key` of the transform.
    pub(crate) cells: Vec<Option<Value>>,
}

impl Record {
    /// Adds a row (or, where it exists, replaces it).
    pub(crate) fn is_insert(&self) -> bool {
        self.mask & 1 != 0
    }

    /// Deletes the row.
    pub(crate) fn is_delete(&self) -> bool {
        self.mask == 0
    }
}

/// Which columns a record with `mask` carries.
fn carried(mask: u16, columns: &[Column]) -> Result<Vec<bool>, String> {
    if mask & 1 != 0 {
        let n = usize::from(mask >> 8);
        if n > columns.len() {
            return Err(format!(
                "a record carries {n} columns, the table has {}",
                columns.len()
            ));
        }
        Ok((0..columns.len()).map(|i| i < n).collect())
    } else {
        Ok(columns
            .iter()
            .enumerate()
            .map(|(i, c)| c.primary_key || (i < 16 && mask & (1 << i) != 0))
            .collect())
    }
}

fn read_uint(data: &[u8], at: usize, width: usize) -> u32 {
    (0..width).fold(0, |acc, k| acc | (u32::from(data[at + k]) << (8 * k)))
}

/// Decodes a table difference stream against the table's columns.
pub(crate) fn decode(
    data: &[u8],
    columns: &[Column],
    pool: &StringPool,
) -> Result<Vec<Record>, String> {
    let rw = pool.ref_width();
    let mut records = Vec::new();
    let mut at = 0;
    while at < data.len() {
        if at + 2 > data.len() {
            return Err(format!("a record's mask is cut short at byte {at}"));
        }
        let mask = u16::from_le_bytes([data[at], data[at + 1]]);
        at += 2;
        let carried = carried(mask, columns)?;
        let size: usize = columns
            .iter()
            .zip(&carried)
            .filter(|(_, c)| **c)
            .map(|(col, _)| width(col.kind, rw))
            .sum();
        if at + size > data.len() {
            return Err(format!(
                "a record runs past the end of the stream ({} bytes)",
                data.len()
            ));
        }
        let mut cells = Vec::with_capacity(columns.len());
        for (col, carried) in columns.iter().zip(&carried) {
            if !carried {
                cells.push(None);
                continue;
            }
            let w = width(col.kind, rw);
            let raw = read_uint(data, at, w);
            at += w;
            cells.push(Some(match col.kind {
                ColumnKind::Int16 if raw == 0 => Value::Null,
                ColumnKind::Int16 => Value::Int(raw as i32 - 0x8000),
                ColumnKind::Int32 if raw == 0 => Value::Null,
                ColumnKind::Int32 => Value::Int((raw ^ 0x8000_0000) as i32),
                ColumnKind::Binary => Value::Int(raw as i32),
                ColumnKind::Str(_) if raw == 0 => Value::Null,
                ColumnKind::Str(_) => match pool.get(raw) {
                    Some("") => Value::Null,
                    Some(s) => Value::Str(s.to_string()),
                    None => {
                        return Err(format!(
                            "column {} refers to string {raw}, past the string pool",
                            col.name
                        ));
                    }
                },
            }));
        }
        records.push(Record { mask, cells });
    }
    Ok(records)
}

/// A cell ready to be written: its stored integer, and its width decided later for strings.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stored {
    /// A 2-byte cell.
    U16(u16),
    /// A 4-byte cell.
    U32(u32),
    /// A string reference.
    Str(u32),
}

impl Stored {
    /// Writes the cell.
    pub(crate) fn put(self, out: &mut Vec<u8>, ref_width: usize) {
        match self {
            Stored::U16(v) => out.extend(v.to_le_bytes()),
            Stored::U32(v) => out.extend(v.to_le_bytes()),
            Stored::Str(id) => out.extend(&id.to_le_bytes()[..ref_width]),
        }
    }
}

/// The stored form of `value` in a column of `kind` (strings interned through `intern`).
pub(crate) fn store(
    kind: ColumnKind,
    value: &Value,
    intern: &mut dyn FnMut(&str) -> u32,
) -> Stored {
    match (kind, value) {
        (ColumnKind::Int16, Value::Int(i)) => Stored::U16((*i + 0x8000) as u16),
        (ColumnKind::Int32, Value::Int(i)) => Stored::U32((*i as u32) ^ 0x8000_0000),
        (ColumnKind::Int16 | ColumnKind::Binary, Value::Null) => Stored::U16(0),
        (ColumnKind::Int32, Value::Null) => Stored::U32(0),
        // A binary cell only says that the row has its stream.
        (ColumnKind::Binary, _) => Stored::U16(1),
        (ColumnKind::Str(_), Value::Null) => Stored::Str(0),
        (ColumnKind::Str(_), v) => Stored::Str(intern(&v.text())),
        (ColumnKind::Int16, Value::Str(s)) => {
            Stored::U16(s.trim().parse::<i32>().map_or(0, |i| (i + 0x8000) as u16))
        }
        (ColumnKind::Int32, Value::Str(s)) => Stored::U32(
            s.trim()
                .parse::<i32>()
                .map_or(0, |i| (i as u32) ^ 0x8000_0000),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::stringpool::PoolBuilder;

    /// A pool of more than 65,535 strings has 3-byte references, in transforms as in
    /// tables; records decode by their masks.
    #[test]
    fn records_with_long_string_refs_decode_by_their_masks() {
        let mut b = PoolBuilder::new(1252);
        for i in 0..70_000 {
            b.intern(&format!("s{i}"));
        }
        let key = b.intern("s69999");
        let value = b.intern("the value");
        let pool = b.finish();
        assert!(pool.long_refs);
        let (p, d) = pool.write();
        let pool = StringPool::read(&p, &d).unwrap();
        assert_eq!(pool.ref_width(), 3);
        let columns = vec![
            Column::new("Key", ColumnKind::Str(72), true, false),
            Column::new("Value", ColumnKind::Str(0), false, true),
            Column::new("Number", ColumnKind::Int32, false, true),
        ];
        let mut data = Vec::new();
        // An added row: all three columns.
        data.extend(0x0301u16.to_le_bytes());
        Stored::Str(key).put(&mut data, 3);
        Stored::Str(value).put(&mut data, 3);
        Stored::U32(7u32 ^ 0x8000_0000).put(&mut data, 4);
        // An update of column 2 only (the key always present).
        data.extend(0x0004u16.to_le_bytes());
        Stored::Str(key).put(&mut data, 3);
        Stored::U32(0).put(&mut data, 4);
        // A deletion.
        data.extend(0u16.to_le_bytes());
        Stored::Str(key).put(&mut data, 3);
        let records = decode(&data, &columns, &pool).unwrap();
        let k = Some(Value::Str("s69999".into()));
        assert_eq!(records.len(), 3);
        assert!(records[0].is_insert());
        assert_eq!(
            records[0].cells,
            [
                k.clone(),
                Some(Value::Str("the value".into())),
                Some(Value::Int(7))
            ]
        );
        assert_eq!(records[1].cells, [k.clone(), None, Some(Value::Null)]);
        assert!(records[2].is_delete());
        assert_eq!(records[2].cells, [k, None, None]);
        // Cut inside a record: an error, not a panic.
        assert!(decode(&data[..data.len() - 1], &columns, &pool).is_err());
    }
}
