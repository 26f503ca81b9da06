//! What `RegisterTypeLib` reads from a type library file in the MSFT format (the format
//! `ICreateTypeLib2`, MIDL and Wine's `widl` write): the library's header, and for each of
//! its type descriptions the kind, the type flags, the GUID and the name.
//!
//! Hand-written: no crate reads type libraries, and only these fields are needed. The
//! layout is the file's own: a header of 21 little-endian words (`MSFT` magic, the LCID at
//! 12, the SYSKIND in the low nibble of the flags at 20, the version at 24 — major in the
//! low word —, the LIBFLAGS at 28, the number of type descriptions at 32), one offset per
//! type description (and one more word when the flags carry the help DLL bit), then the
//! segment directory: 15 segments of (offset, length, -1, 0x0F), the first the type
//! descriptions (0x64 bytes each), the sixth the GUIDs, the eighth the names. A package
//! controls these bytes: every read is bounds-checked, and a type description that cannot
//! be read is reported on its own, so the others are still registered.

use thiserror::Error;

/// The library as `RegisterTypeLib` describes it in `TypeLib\{LIBID}\<version>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LibHeader {
    pub(super) lcid: u32,
    /// `SYS_WIN16` 0, `SYS_WIN32` 1, `SYS_MAC` 2, `SYS_WIN64` 3.
    pub(super) syskind: u32,
    pub(super) major: u32,
    pub(super) minor: u32,
    pub(super) flags: u32,
}

/// `TYPEKIND`'s `TKIND_INTERFACE`: an interface with a vtable.
pub(super) const TKIND_INTERFACE: u32 = 3;
/// `TKIND_DISPATCH`: a dispinterface (a dual interface's dispatch half is one too).
pub(super) const TKIND_DISPATCH: u32 = 4;
/// `TYPEFLAGS`' `TYPEFLAG_FDUAL`.
pub(super) const TYPEFLAG_FDUAL: u16 = 0x40;
/// `TYPEFLAGS`' `TYPEFLAG_FOLEAUTOMATION`.
pub(super) const TYPEFLAG_FOLEAUTOMATION: u16 = 0x100;

/// One type description of a library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TypeInfo {
    /// `TYPEKIND`: `TKIND_INTERFACE`, `TKIND_DISPATCH`, …
    pub(super) kind: u32,
    /// `TYPEFLAGS`.
    pub(super) flags: u16,
    /// Registry form: `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`, upper case.
    pub(super) guid: String,
    pub(super) name: String,
}

impl TypeInfo {
    /// Whether `RegisterTypeLib` writes its `Interface\{IID}` key: every dispinterface
    /// (dual interfaces included) and every `[oleautomation]` interface ("Registering
    /// Interfaces": Automation registers the dispinterfaces and the Automation-compatible
    /// interfaces a library describes).
    pub(super) fn registered(&self) -> bool {
        self.kind == TKIND_DISPATCH
            || (self.kind == TKIND_INTERFACE && self.flags & TYPEFLAG_FOLEAUTOMATION != 0)
    }

    /// The proxy/stub class `ProxyStubClsid` and `ProxyStubClsid32` name: the universal
    /// marshaler (`PSOAInterface`) for an interface with a vtable (dual or
    /// `[oleautomation]`), `IDispatch`'s own (`PSDispatch`) for a pure dispinterface.
    pub(super) fn proxy_stub(&self) -> &'static str {
        if self.kind == TKIND_INTERFACE || self.flags & TYPEFLAG_FDUAL != 0 {
            "{00020424-0000-0000-C000-000000000046}"
        } else {
            "{00020420-0000-0000-C000-000000000046}"
        }
    }
}

/// Why (part of) a type library cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(super) enum Malformed {
    /// The file does not start with the MSFT header.
    #[error("not an MSFT type library (no MSFT header)")]
    NotMsft,
    /// The segment directory lies outside the file or is not one.
    #[error("its segment directory at {0:#x} is missing or damaged")]
    SegmentDirectory(usize),
    /// A type description's record lies outside its segment.
    #[error("type description {index}: its record is outside the file")]
    Record {
        /// The description's index in the library.
        index: usize,
    },
    /// A type description's GUID lies outside the GUID segment.
    #[error("type description {index}: its GUID (at {offset:#x}) is outside the GUID table")]
    Guid {
        /// The description's index in the library.
        index: usize,
        /// The GUID's offset in the GUID table.
        offset: i32,
    },
    /// A type description's name lies outside the name segment.
    #[error("type description {index}: its name (at {offset:#x}) is outside the name table")]
    Name {
        /// The description's index in the library.
        index: usize,
        /// The name's offset in the name table.
        offset: i32,
    },
}

/// Size of the fixed header, before the per-type offsets.
const HEADER: usize = 0x54;
/// `HELPDLLFLAG` in the header's flags: one more word follows the per-type offsets.
const HELPDLL: u32 = 0x100;
/// Size of a segment directory entry and of a type description record.
const SEGMENT: usize = 16;
const RECORD: usize = 0x64;
/// The segments this reader uses.
const SEG_TYPEINFO: usize = 0;
const SEG_GUID: usize = 5;
const SEG_NAME: usize = 7;
/// The marker of the first two segment entries (`res0c`), which a loader checks to know
/// it found the directory.
const SEG_MARK: u32 = 0x0F;

/// The little-endian word at `at`, if the bytes hold it.
fn word(bytes: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    Some(u32::from_le_bytes(bytes.get(at..end)?.try_into().ok()?))
}

/// The header of an MSFT type library, if `bytes` begins with one.
pub(super) fn header(bytes: &[u8]) -> Option<LibHeader> {
    if bytes.get(0..4)? != b"MSFT" {
        return None;
    }
    let version = word(bytes, 24)?;
    Some(LibHeader {
        lcid: word(bytes, 12)?,
        syskind: word(bytes, 20)? & 0xF,
        major: version & 0xFFFF,
        minor: version >> 16,
        flags: word(bytes, 28)? & 0xFFFF,
    })
}

/// A segment of the file: where it starts and how long it is, checked to lie inside it.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: usize,
    len: usize,
}

impl Segment {
    /// `len` bytes at `offset` within the segment (a negative offset is none).
    fn slice<'a>(&self, bytes: &'a [u8], offset: i32, len: usize) -> Option<&'a [u8]> {
        let offset = usize::try_from(offset).ok()?;
        let end = offset.checked_add(len)?;
        if end > self.len {
            return None;
        }
        bytes.get(self.start + offset..self.start + end)
    }
}

/// The type descriptions of the library `bytes` holds, in order: each one read, or why it
/// could not be; an error alone when the library's directory cannot be found.
pub(super) fn type_infos(bytes: &[u8]) -> Result<Vec<Result<TypeInfo, Malformed>>, Malformed> {
    if header(bytes).is_none() {
        return Err(Malformed::NotMsft);
    }
    let count = word(bytes, 32).ok_or(Malformed::NotMsft)?;
    let helpdll = word(bytes, 20).ok_or(Malformed::NotMsft)? & HELPDLL != 0;
    let directory = usize::try_from(count)
        .ok()
        .and_then(|n| n.checked_mul(4))
        .and_then(|n| n.checked_add(HEADER + if helpdll { 4 } else { 0 }))
        .ok_or(Malformed::SegmentDirectory(usize::MAX))?;
    let segment = |i: usize| -> Option<Segment> {
        let at = directory.checked_add(i * SEGMENT)?;
        let start = usize::try_from(word(bytes, at)?).ok()?;
        let len = usize::try_from(word(bytes, at.checked_add(4)?)?).ok()?;
        // An empty segment's offset may be -1: it holds nothing.
        if len == 0 {
            return Some(Segment { start: 0, len: 0 });
        }
        (start.checked_add(len)? <= bytes.len()).then_some(Segment { start, len })
    };
    let marked = |i: usize| {
        directory
            .checked_add(i * SEGMENT + 12)
            .and_then(|at| word(bytes, at))
            == Some(SEG_MARK)
    };
    let (Some(infos), Some(guids), Some(names)) =
        (segment(SEG_TYPEINFO), segment(SEG_GUID), segment(SEG_NAME))
    else {
        return Err(Malformed::SegmentDirectory(directory));
    };
    if !marked(0) || !marked(1) {
        return Err(Malformed::SegmentDirectory(directory));
    }
    // At most as many records as the segment holds: a count a package inflates costs
    // nothing.
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    Ok((0..count.min(infos.len / RECORD + 1))
        .map(|index| type_info(bytes, index, infos, guids, names))
        .collect())
}

/// Type description `index`.
fn type_info(
    bytes: &[u8],
    index: usize,
    infos: Segment,
    guids: Segment,
    names: Segment,
) -> Result<TypeInfo, Malformed> {
    let record = i32::try_from(index * RECORD)
        .ok()
        .and_then(|at| infos.slice(bytes, at, RECORD))
        .ok_or(Malformed::Record { index })?;
    let field = |at: usize| word(record, at).map(|w| i32::from_ne_bytes(w.to_ne_bytes()));
    let record_word = |at: usize| field(at).ok_or(Malformed::Record { index });
    let kind = u32::from_ne_bytes(record_word(0x00)?.to_ne_bytes()) & 0xF;
    let guid_at = record_word(0x2C)?;
    let flags = (record_word(0x30)? & 0xFFFF) as u16;
    let name_at = record_word(0x34)?;
    let guid = guids
        .slice(bytes, guid_at, 16)
        .and_then(|b| b.try_into().ok())
        .map(guid_text)
        .ok_or(Malformed::Guid {
            index,
            offset: guid_at,
        })?;
    let name = name(bytes, names, name_at).ok_or(Malformed::Name {
        index,
        offset: name_at,
    })?;
    Ok(TypeInfo {
        kind,
        flags,
        guid,
        name,
    })
}

/// The name at `offset` in the name table: a 12-byte introduction whose third word's low
/// byte is the length, then the name's bytes (the library's ANSI code page; MIDL's
/// identifiers are ASCII, anything else is taken as UTF-8, lossily).
fn name(bytes: &[u8], names: Segment, offset: i32) -> Option<String> {
    let intro = names.slice(bytes, offset, 12)?;
    let len = usize::from(*intro.get(8)?);
    let text = names.slice(bytes, offset.checked_add(12)?, len)?;
    Some(String::from_utf8_lossy(text).into_owned())
}

/// A GUID's 16 bytes (`Data1`-`Data3` little-endian, `Data4` as stored) in the registry's
/// form.
fn guid_text(b: &[u8; 16]) -> String {
    let mut out = format!(
        "{{{:08X}-{:04X}-{:04X}-",
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_le_bytes([b[4], b[5]]),
        u16::from_le_bytes([b[6], b[7]]),
    );
    for (i, byte) in b.iter().skip(8).enumerate() {
        if i == 2 {
            out.push('-');
        }
        out.push_str(&format!("{byte:02X}"));
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn rmsi_tlb() -> Vec<u8> {
        fs_err::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/src/com/rmsi.tlb"))
            .unwrap()
    }

    #[test]
    fn a_type_library_header_gives_what_register_type_lib_writes() {
        // Built by widl from tests/packages/src/com/rmsi.idl: version 1.2, LCID 0x409,
        // control|hidden, for 32-bit Windows.
        let tlb = rmsi_tlb();
        assert_eq!(
            header(&tlb),
            Some(LibHeader {
                lcid: 0x409,
                syskind: 1,
                major: 1,
                minor: 2,
                flags: 6,
            })
        );
        assert_eq!(header(&tlb[..31]), None);
        assert_eq!(header(b"MZ\x90\x00 not a type library, a module"), None);
    }

    #[test]
    fn a_type_library_lists_its_interfaces_kinds_flags_guids_and_names() {
        let tlb = rmsi_tlb();
        let infos: Vec<TypeInfo> = type_infos(&tlb)
            .unwrap()
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        let seen: Vec<(u32, u16, &str, &str, bool)> = infos
            .iter()
            .map(|t| {
                (
                    t.kind,
                    t.flags,
                    t.guid.as_str(),
                    t.name.as_str(),
                    t.registered(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                // TKIND_ENUM
                (
                    0,
                    0,
                    "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AA0}",
                    "RmsiValue",
                    false
                ),
                // dual: the dispatch half, FDUAL|FOLEAUTOMATION|FDISPATCHABLE
                (
                    TKIND_DISPATCH,
                    0x1140,
                    "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AB0}",
                    "IRmsiDual",
                    true
                ),
                (
                    TKIND_INTERFACE,
                    TYPEFLAG_FOLEAUTOMATION,
                    "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AB1}",
                    "IRmsiAuto",
                    true
                ),
                // FDISPATCHABLE
                (
                    TKIND_DISPATCH,
                    0x1000,
                    "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AB2}",
                    "DRmsiEvents",
                    true
                ),
                (
                    TKIND_INTERFACE,
                    0,
                    "{6A1B2C3D-4E5F-4061-8A9B-0C1D2E3F4AB3}",
                    "IRmsiPlain",
                    false
                ),
            ]
        );
        let proxies: Vec<&str> = infos[1..4].iter().map(TypeInfo::proxy_stub).collect();
        assert_eq!(
            proxies,
            [
                "{00020424-0000-0000-C000-000000000046}",
                "{00020424-0000-0000-C000-000000000046}",
                "{00020420-0000-0000-C000-000000000046}",
            ]
        );
    }

    #[test]
    fn a_truncated_or_garbage_type_library_gives_what_it_can_and_never_panics() {
        let tlb = rmsi_tlb();
        // Cut at every length: never a panic; the header alone is no directory.
        for len in 0..tlb.len() {
            let _ = type_infos(&tlb[..len]);
        }
        assert_eq!(
            type_infos(&tlb[..0x60]).unwrap_err(),
            Malformed::SegmentDirectory(0x68)
        );
        assert_eq!(type_infos(b"MZ not one").unwrap_err(), Malformed::NotMsft);
        // The name table cut off: the GUIDs still read, the names do not.
        let names = word(&tlb, 0x68 + SEG_NAME * SEGMENT).unwrap() as usize;
        let mut cut = tlb.clone();
        // (The library's name, 0x14 bytes, then RmsiValue's, 0x18, then the others.)
        cut.truncate(names + 0x30);
        let len_at = 0x68 + SEG_NAME * SEGMENT + 4;
        cut[len_at..len_at + 4].copy_from_slice(&0x30u32.to_le_bytes());
        let read = type_infos(&cut).unwrap();
        assert_eq!(read.len(), 5);
        assert!(read[0].is_ok(), "{:?}", read[0]);
        assert!(
            read.iter()
                .any(|r| matches!(r, Err(Malformed::Name { .. }))),
            "{read:?}"
        );
        // A count a package inflates reads no further than the records there are.
        let mut inflated = tlb.clone();
        inflated[32..36].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
        assert!(type_infos(&inflated).is_err());
        // Garbage after a genuine header, every byte flipped in turn: no panic.
        for at in 0..tlb.len() {
            let mut bad = tlb.clone();
            bad[at] ^= 0xFF;
            let _ = type_infos(&bad);
        }
        // A GUID offset out of its table: that description alone is lost.
        let infos_at = word(&tlb, 0x68).unwrap() as usize;
        let mut bad = tlb.clone();
        let guid_field = infos_at + 2 * RECORD + 0x2C;
        bad[guid_field..guid_field + 4].copy_from_slice(&0x7000_0000u32.to_le_bytes());
        let read = type_infos(&bad).unwrap();
        assert_eq!(
            read[2],
            Err(Malformed::Guid {
                index: 2,
                offset: 0x7000_0000
            })
        );
        assert_eq!(read.iter().filter(|r| r.is_ok()).count(), 4);
    }
}
