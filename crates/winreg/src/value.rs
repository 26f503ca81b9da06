//! Registry values: a type number and bytes, as Windows keeps them, and the typed view of
//! the common types ("Registry Value Types").

/// The type numbers of "Registry Value Types" (winnt.h).
pub mod kind {
    /// `REG_NONE`: no defined type.
    pub const REG_NONE: u32 = 0;
    /// `REG_SZ`: a NUL-terminated UTF-16LE string.
    pub const REG_SZ: u32 = 1;
    /// `REG_EXPAND_SZ`: a string with unexpanded `%VARIABLE%` references.
    pub const REG_EXPAND_SZ: u32 = 2;
    /// `REG_BINARY`: bytes.
    pub const REG_BINARY: u32 = 3;
    /// `REG_DWORD`: a 32-bit little-endian number.
    pub const REG_DWORD: u32 = 4;
    /// `REG_DWORD_BIG_ENDIAN`.
    pub const REG_DWORD_BIG_ENDIAN: u32 = 5;
    /// `REG_LINK`: a symbolic link (Wine's `#link` keys hold one).
    pub const REG_LINK: u32 = 6;
    /// `REG_MULTI_SZ`: NUL-terminated strings followed by an empty one.
    pub const REG_MULTI_SZ: u32 = 7;
    /// `REG_QWORD`: a 64-bit little-endian number.
    pub const REG_QWORD: u32 = 11;
}

use kind::*;

/// A registry value's data.
///
/// Windows stores a type number and bytes; the typed variants are those bytes read the way
/// "Registry Value Types" defines them, and [`Value::Other`] holds whatever does not read
/// back to exactly the same bytes (another type number, a string without its terminating
/// NUL, a `REG_DWORD` of three bytes…). [`Value::from_raw`] and [`Value::to_bytes`] are exact
/// inverses: no data is lost through the typed view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `REG_NONE` with its bytes.
    None(Vec<u8>),
    /// `REG_SZ`. Stored as UTF-16LE with a terminating NUL.
    Sz(String),
    /// `REG_EXPAND_SZ`, unexpanded.
    ExpandSz(String),
    /// `REG_BINARY`.
    Binary(Vec<u8>),
    /// `REG_DWORD`.
    Dword(u32),
    /// `REG_MULTI_SZ`. Each string is non-empty and holds no NUL (an empty string ends the
    /// list on Windows); stored as each string and its NUL, then one more NUL.
    MultiSz(Vec<String>),
    /// `REG_QWORD`.
    Qword(u64),
    /// Any other type, or data that is not in its type's form.
    Other {
        /// The type number.
        kind: u32,
        /// The bytes.
        data: Vec<u8>,
    },
}

impl Value {
    /// The type number.
    pub fn kind(&self) -> u32 {
        match self {
            Value::None(_) => REG_NONE,
            Value::Sz(_) => REG_SZ,
            Value::ExpandSz(_) => REG_EXPAND_SZ,
            Value::Binary(_) => REG_BINARY,
            Value::Dword(_) => REG_DWORD,
            Value::MultiSz(_) => REG_MULTI_SZ,
            Value::Qword(_) => REG_QWORD,
            Value::Other { kind, .. } => *kind,
        }
    }

    /// The bytes Windows stores.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Value::None(b) | Value::Binary(b) => b.clone(),
            Value::Other { data, .. } => data.clone(),
            Value::Sz(s) | Value::ExpandSz(s) => {
                let mut out = utf16_bytes(s);
                out.extend_from_slice(&[0, 0]);
                out
            }
            Value::Dword(d) => d.to_le_bytes().to_vec(),
            Value::Qword(q) => q.to_le_bytes().to_vec(),
            Value::MultiSz(list) => {
                let mut out = Vec::new();
                for s in list {
                    out.extend(utf16_bytes(s));
                    out.extend_from_slice(&[0, 0]);
                }
                out.extend_from_slice(&[0, 0]);
                out
            }
        }
    }

    /// The value of type `kind` holding `data`: the typed variant when the bytes are in the
    /// type's form (so that [`to_bytes`](Value::to_bytes) gives them back unchanged),
    /// [`Value::Other`] otherwise.
    pub fn from_raw(kind: u32, data: &[u8]) -> Value {
        let typed = match kind {
            REG_NONE => Some(Value::None(data.to_vec())),
            REG_BINARY => Some(Value::Binary(data.to_vec())),
            REG_SZ => terminated_string(data).map(Value::Sz),
            REG_EXPAND_SZ => terminated_string(data).map(Value::ExpandSz),
            REG_DWORD => <[u8; 4]>::try_from(data)
                .ok()
                .map(|b| Value::Dword(u32::from_le_bytes(b))),
            REG_QWORD => <[u8; 8]>::try_from(data)
                .ok()
                .map(|b| Value::Qword(u64::from_le_bytes(b))),
            REG_MULTI_SZ => multi_string(data).map(Value::MultiSz),
            _ => None,
        };
        match typed {
            // The round trip decides: whatever would not come back byte for byte stays raw.
            Some(v) if v.to_bytes() == data => v,
            _ => Value::Other {
                kind,
                data: data.to_vec(),
            },
        }
    }

    /// The type's name as `reg query` prints it (`REG_SZ`, …; `REG_0x10` for a number
    /// without a name, as Windows' `reg` prints it).
    pub fn type_name(&self) -> String {
        type_name(self.kind())
    }

    /// The string of a `REG_SZ` or `REG_EXPAND_SZ` value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Sz(s) | Value::ExpandSz(s) => Some(s),
            _ => None,
        }
    }
}

/// The name of a type number as `reg query` prints it.
pub fn type_name(kind: u32) -> String {
    match kind {
        REG_NONE => "REG_NONE".into(),
        REG_SZ => "REG_SZ".into(),
        REG_EXPAND_SZ => "REG_EXPAND_SZ".into(),
        REG_BINARY => "REG_BINARY".into(),
        REG_DWORD => "REG_DWORD".into(),
        REG_DWORD_BIG_ENDIAN => "REG_DWORD_BIG_ENDIAN".into(),
        REG_LINK => "REG_LINK".into(),
        REG_MULTI_SZ => "REG_MULTI_SZ".into(),
        REG_QWORD => "REG_QWORD".into(),
        other => format!("REG_0x{other:x}"),
    }
}

pub(crate) fn utf16_bytes(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

pub(crate) fn utf16_units(data: &[u8]) -> Option<Vec<u16>> {
    if !data.len().is_multiple_of(2) {
        return None;
    }
    Some(
        data.chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect(),
    )
}

/// A string stored with its terminating NUL (NULs inside are kept).
fn terminated_string(data: &[u8]) -> Option<String> {
    let units = utf16_units(data)?;
    let (last, body) = units.split_last()?;
    if *last != 0 {
        return None;
    }
    String::from_utf16(body).ok()
}

/// NUL-terminated strings up to the first empty one.
fn multi_string(data: &[u8]) -> Option<Vec<String>> {
    let units = utf16_units(data)?;
    let mut out = Vec::new();
    for part in units.split(|u| *u == 0) {
        if part.is_empty() {
            break;
        }
        out.push(String::from_utf16(part).ok()?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typed_values_have_windows_bytes() {
        assert_eq!(Value::Sz("ab".into()).to_bytes(), b"a\0b\0\0\0");
        assert_eq!(Value::Dword(10).to_bytes(), [10, 0, 0, 0]);
        assert_eq!(
            Value::MultiSz(vec!["a".into(), "b".into()]).to_bytes(),
            b"a\0\0\0b\0\0\0\0\0"
        );
        assert_eq!(Value::MultiSz(vec![]).to_bytes(), [0, 0]);
        assert_eq!(Value::Qword(1).to_bytes(), [1, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn malformed_data_stays_raw() {
        // A string without its terminator, an odd byte count, a three-byte DWORD, a
        // multi-string missing its final empty string.
        for (kind, data) in [
            (REG_SZ, &b"a\0"[..]),
            (REG_SZ, &b"a\0\0"[..]),
            (REG_DWORD, &[1, 2, 3][..]),
            (REG_MULTI_SZ, &b"a\0\0\0"[..]),
            (REG_SZ, &[][..]),
        ] {
            assert_eq!(
                Value::from_raw(kind, data),
                Value::Other {
                    kind,
                    data: data.to_vec()
                },
                "{kind} {data:?}"
            );
        }
        assert_eq!(
            Value::from_raw(REG_MULTI_SZ, b"a\0\0\0"),
            Value::Other {
                kind: REG_MULTI_SZ,
                data: b"a\0\0\0".to_vec()
            }
        );
    }

    #[test]
    fn type_names_are_reg_s() {
        assert_eq!(type_name(REG_EXPAND_SZ), "REG_EXPAND_SZ");
        assert_eq!(type_name(0x10), "REG_0x10");
    }

    proptest! {
        #[test]
        fn raw_round_trip_is_exact(kind in prop_oneof![0u32..12, any::<u32>()],
                                   data in proptest::collection::vec(any::<u8>(), 0..40)) {
            let v = Value::from_raw(kind, &data);
            prop_assert_eq!(v.kind(), kind);
            prop_assert_eq!(v.to_bytes(), data);
        }

        #[test]
        fn strings_round_trip(s in "[^\u{0}]{0,20}") {
            let v = Value::Sz(s.clone());
            prop_assert_eq!(Value::from_raw(REG_SZ, &v.to_bytes()), v);
        }
    }
}
