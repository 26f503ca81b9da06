//! The string pool of a database or transform: `_StringPool` (the code page, then a
//! length and reference count for each string id) and `_StringData` (the strings' bytes,
//! one after another, in that code page).
//!
//! As Windows writes it: the pool's first 32 bits are the code page, its top bit set when
//! string references in the tables are 3 bytes wide instead of 2 (a pool of more than
//! 65,535 strings). A string longer than 65,535 bytes takes two entries: a zero length
//! with its reference count, then its length's low and high 16 bits. An entry of zero
//! length and no references is an unused id. Id 0 is null.
//!
//! Hand-written because the msi crate keeps its string pool private.

use std::collections::HashMap;

/// The top bit of the pool's header: string references are 3 bytes.
const LONG_REFS: u32 = 0x8000_0000;

/// A string pool read from a transform or package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StringPool {
    /// The code page the strings are stored in (0 = neutral).
    pub(crate) codepage: i32,
    /// Whether string references are 3 bytes wide.
    pub(crate) long_refs: bool,
    /// The strings, id 1 first; unused ids hold "".
    strings: Vec<String>,
    /// Each string's reference count, as stored.
    refs: Vec<u16>,
}

fn codepage_of(id: i32) -> msi::CodePage {
    msi::CodePage::from_id(id).unwrap_or_default()
}

impl StringPool {
    /// Reads the pool from the two streams' bytes.
    pub(crate) fn read(pool: &[u8], data: &[u8]) -> Result<StringPool, String> {
        Self::read_as(pool, data, None)
    }

    /// Reads the pool, its strings decoded in `decode_as` when given instead of the
    /// header's code page (a neutral pool read as the system's ANSI code page).
    pub(crate) fn read_as(
        pool: &[u8],
        data: &[u8],
        decode_as: impl Into<Option<i32>>,
    ) -> Result<StringPool, String> {
        if pool.is_empty() {
            return Ok(StringPool::default());
        }
        if pool.len() < 4 {
            return Err(format!("_StringPool is {} bytes long", pool.len()));
        }
        let header = u32::from_le_bytes([pool[0], pool[1], pool[2], pool[3]]);
        let long_refs = header & LONG_REFS != 0;
        let codepage = i32::try_from(header & !LONG_REFS).unwrap_or(0);
        if msi::CodePage::from_id(codepage).is_none() {
            return Err(format!("unknown string pool code page {codepage}"));
        }
        let cp = codepage_of(decode_as.into().unwrap_or(codepage));
        let words: Vec<u16> = pool[4..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let mut strings = Vec::with_capacity(words.len() / 2);
        let mut counts = Vec::with_capacity(words.len() / 2);
        let mut offset = 0usize;
        let mut i = 0usize;
        while i + 1 < words.len() {
            let (mut len, refs) = (usize::from(words[i]), words[i + 1]);
            i += 2;
            if len == 0 && refs != 0 {
                // A long string: its length follows as the next entry's two words.
                if i + 1 >= words.len() {
                    return Err("_StringPool ends inside a long string's entry".into());
                }
                len = usize::from(words[i]) | (usize::from(words[i + 1]) << 16);
                i += 2;
            }
            let end = offset
                .checked_add(len)
                .filter(|&e| e <= data.len())
                .ok_or_else(|| {
                    format!(
                        "string {} runs past _StringData ({} bytes)",
                        strings.len() + 1,
                        data.len()
                    )
                })?;
            strings.push(cp.decode(&data[offset..end]));
            counts.push(refs);
            offset = end;
        }
        Ok(StringPool {
            codepage,
            long_refs,
            strings,
            refs: counts,
        })
    }

    /// The width of a string reference in table data.
    pub(crate) fn ref_width(&self) -> usize {
        if self.long_refs { 3 } else { 2 }
    }

    /// The string with id `id`; `None` for null (0) or an id past the pool.
    pub(crate) fn get(&self, id: u32) -> Option<&str> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.strings.get(index).map(String::as_str)
    }
}

/// Builds a string pool: strings interned as the tables are encoded, then written.
#[derive(Debug, Default)]
pub(crate) struct PoolBuilder {
    codepage: i32,
    strings: Vec<String>,
    refs: Vec<u32>,
    ids: HashMap<String, u32>,
}

impl PoolBuilder {
    /// An empty pool in `codepage`.
    pub(crate) fn new(codepage: i32) -> PoolBuilder {
        PoolBuilder {
            codepage,
            ..PoolBuilder::default()
        }
    }

    /// The id of `s` (added when new), counting one more reference to it.
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            self.refs[id as usize - 1] += 1;
            return id;
        }
        self.strings.push(s.to_string());
        self.refs.push(1);
        let id = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        self.ids.insert(s.to_string(), id);
        id
    }

    /// The pool built.
    pub(crate) fn finish(self) -> StringPool {
        StringPool {
            codepage: self.codepage,
            long_refs: self.strings.len() > 0xFFFF,
            refs: self
                .refs
                .iter()
                .map(|&r| u16::try_from(r).unwrap_or(u16::MAX))
                .collect(),
            strings: self.strings,
        }
    }
}

impl StringPool {
    /// The `_StringPool` and `_StringData` streams.
    pub(crate) fn write(&self) -> (Vec<u8>, Vec<u8>) {
        let cp = codepage_of(self.codepage);
        let mut header = u32::try_from(self.codepage).unwrap_or(0);
        if self.long_refs {
            header |= LONG_REFS;
        }
        let mut pool = header.to_le_bytes().to_vec();
        let mut data = Vec::new();
        for (i, s) in self.strings.iter().enumerate() {
            let bytes = cp.encode(s);
            let refs = self.refs.get(i).copied().unwrap_or(0);
            match u16::try_from(bytes.len()) {
                Ok(len) => {
                    pool.extend(len.to_le_bytes());
                    pool.extend(refs.to_le_bytes());
                }
                Err(_) => {
                    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
                    pool.extend(0u16.to_le_bytes());
                    pool.extend(refs.to_le_bytes());
                    pool.extend(len.to_le_bytes());
                }
            }
            data.extend(bytes);
        }
        (pool, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_round_trip_with_long_strings_and_unused_ids() {
        let mut b = PoolBuilder::new(1252);
        let long = "x".repeat(70_000);
        assert_eq!(b.intern("Property"), 1);
        assert_eq!(b.intern(&long), 2);
        assert_eq!(b.intern("Property"), 1);
        assert_eq!(b.intern("é"), 3);
        let (pool, data) = b.finish().write();
        // The long string's entry: zero length, its refs, then its 32-bit length.
        assert_eq!(&pool[8..16], &[0, 0, 1, 0, 0x70, 0x11, 1, 0]);
        let read = StringPool::read(&pool, &data).unwrap();
        assert_eq!(read.codepage, 1252);
        assert!(!read.long_refs);
        assert_eq!(read.get(1), Some("Property"));
        assert_eq!(read.get(2).map(str::len), Some(70_000));
        assert_eq!(read.get(3), Some("é"));
        assert_eq!(read.get(0), None);
        assert_eq!(read.get(4), None);
        // An unused entry (0, 0) still takes an id; the long-refs bit is read.
        let mut pool = vec![0xE4, 0x04, 0, 0x80, 0, 0, 0, 0, 1, 0, 1, 0];
        pool[3] = 0x80;
        let read = StringPool::read(&pool, b"a").unwrap();
        assert!(read.long_refs);
        assert_eq!(read.ref_width(), 3);
        assert_eq!(read.get(1), Some(""));
        assert_eq!(read.get(2), Some("a"));
        assert!(StringPool::read(&[0xE4, 0x04, 0, 0, 5, 0, 1, 0], b"ab").is_err());
    }
}
