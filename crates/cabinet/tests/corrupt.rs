//! Damaged and hostile cabinets: each must fail with the error that names what is wrong,
//! never panic, never allocate what a header merely claims.

mod util;

use std::io::Cursor;

use cabinet::{CabinetError, Compression};
use proptest::prelude::*;
use util::{CabSpec, FolderSpec, Method, build, cab_checksum, extract_all, pseudo_random};

fn three_files(method: Method) -> (Vec<u8>, util::Layout) {
    let list = (0..3)
        .map(|i| (format!("f{i}"), pseudo_random(30_000, i, true)))
        .collect();
    build(&CabSpec::one(method, list))
}

fn put_u16(cab: &mut [u8], at: usize, v: u16) {
    cab[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put_u32(cab: &mut [u8], at: usize, v: u32) {
    cab[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Recomputes the checksum of the CFDATA block at `at` (no reserve) after a test edited it.
fn reseal(cab: &mut [u8], at: usize) {
    let len = usize::from(u16::from_le_bytes([cab[at + 4], cab[at + 5]]));
    let c = cab_checksum(&cab[at + 8..at + 8 + len], 0);
    let c = cab_checksum(&cab[at + 4..at + 8], c);
    put_u32(cab, at, c);
}

#[test]
fn flipped_data_byte_is_a_checksum_mismatch_naming_the_block() {
    for method in [Method::Stored, Method::MsZip] {
        let (cab, layout) = three_files(method);
        for block in 0..layout.blocks[0].len() {
            let mut bad = cab.clone();
            bad[layout.blocks[0][block] + 8 + 5] ^= 0x40;
            match extract_all(&bad) {
                Err(CabinetError::ChecksumMismatch {
                    folder: 0,
                    block: b,
                    ..
                }) => assert_eq!(b as usize, block),
                other => panic!("{method:?} block {block}: {other:?}"),
            }
        }
    }
}

#[test]
fn flipped_size_field_is_a_checksum_mismatch() {
    let (mut cab, layout) = three_files(Method::MsZip);
    cab[layout.blocks[0][1] + 6] ^= 0x01; // cbUncomp, covered by the checksum
    assert!(matches!(
        extract_all(&cab),
        Err(CabinetError::ChecksumMismatch { block: 1, .. })
    ));
}

#[test]
fn corrupt_deflate_without_checksum_is_a_decode_error() {
    let (mut cab, layout) = three_files(Method::MsZip);
    let at = layout.blocks[0][1];
    put_u32(&mut cab, at, 0); // no checksum: only the decoder can notice
    cab[at + 8] = b'X'; // the CK signature
    let err = extract_all(&cab).expect_err("bad signature");
    assert!(
        matches!(&err, CabinetError::Corrupt { folder: 0, block: 1, reason } if reason.contains("CK")),
        "{err}"
    );
    let (mut cab, layout) = three_files(Method::MsZip);
    let at = layout.blocks[0][0];
    for b in &mut cab[at + 10..at + 40] {
        *b = 0xff;
    }
    reseal(&mut cab, at);
    assert!(matches!(
        extract_all(&cab),
        Err(CabinetError::Corrupt { block: 0, .. })
    ));
}

#[test]
fn block_decoding_to_another_size_than_declared_is_corrupt() {
    let (mut cab, layout) = three_files(Method::MsZip);
    let at = layout.blocks[0][0];
    let declared = u16::from_le_bytes([cab[at + 6], cab[at + 7]]);
    put_u16(&mut cab, at + 6, declared - 1);
    reseal(&mut cab, at);
    let err = extract_all(&cab).expect_err("size");
    assert!(
        matches!(err, CabinetError::Corrupt { block: 0, .. }),
        "{err}"
    );
}

#[test]
fn every_truncation_fails_cleanly() {
    // Every length of a small two-folder cabinet, and a sample of a larger one's.
    let small = small_cab();
    let (large, layout) = three_files(Method::MsZip);
    let cases = (0..small.len())
        .map(|len| (&small[..], len))
        .chain((0..large.len()).step_by(997).map(|len| (&large[..], len)));
    for (cab, len) in cases {
        let err = extract_all(&cab[..len]).expect_err("a truncated cabinet must fail");
        assert!(err.is_bad_cabinet(), "length {len}: {err}");
        if cab.len() == large.len() && len >= layout.blocks[0][0] {
            assert!(
                matches!(err, CabinetError::Truncated { .. }),
                "length {len}: {err}"
            );
        }
    }
    // Cut inside the header region too: the error says what was cut.
    let err = extract_all(&large[..20]).expect_err("short header");
    assert!(err.to_string().contains("header"), "{err}");
}

#[test]
fn file_larger_than_its_folder_is_a_size_mismatch() {
    let (mut cab, layout) = three_files(Method::MsZip);
    // The last file claims 100 more bytes than the folder holds.
    let at = layout.file_entries[2];
    put_u32(&mut cab, at, 30_100);
    match extract_all(&cab) {
        Err(CabinetError::SizeMismatch {
            file,
            expected,
            got,
        }) => {
            assert_eq!((file.as_str(), expected, got), ("f2", 30_100, 30_000));
        }
        other => panic!("{other:?}"),
    }
    // A file past the end of its folder's data entirely.
    let (mut cab, layout) = three_files(Method::Stored);
    put_u32(&mut cab, layout.file_entries[0] + 4, 1_000_000);
    assert!(matches!(
        extract_all(&cab),
        Err(CabinetError::SizeMismatch { file, got: 0, .. }) if file == "f0"
    ));
}

#[test]
fn zero_length_file_in_a_folder_whose_declared_block_is_absent() {
    // osslsigncode's unsigned.msi: one empty file, a folder declaring one data block that
    // starts at the very end of the cabinet. cabextract and msiextract read it.
    let (mut cab, layout) = build(&CabSpec::one(
        Method::Stored,
        vec![("e".into(), Vec::new())],
    ));
    put_u16(&mut cab, layout.folder_entries[0] + 4, 1);
    let got = extract_all(&cab).expect("extract");
    assert_eq!(got.len(), 1);
    assert!(got[0].1.is_empty());
}

#[test]
fn block_sizes_outside_the_format_are_refused() {
    // cbUncomp 0 (data continued in another cabinet) and > 32 KiB.
    for bad in [0u16, 40_000] {
        let (mut cab, layout) = three_files(Method::Stored);
        let at = layout.blocks[0][0];
        put_u16(&mut cab, at + 6, bad);
        reseal(&mut cab, at);
        let err = extract_all(&cab).expect_err("bad block size");
        assert!(
            matches!(err, CabinetError::Corrupt { block: 0, .. }),
            "{bad}: {err}"
        );
    }
}

#[test]
fn hostile_counts_and_offsets_fail_without_huge_allocations() {
    let (cab, layout) = three_files(Method::MsZip);
    // 65,535 folders and files declared in a small cabinet.
    let mut bad = cab.clone();
    put_u16(&mut bad, 26, u16::MAX);
    assert!(extract_all(&bad).is_err());
    let mut bad = cab.clone();
    put_u16(&mut bad, 28, u16::MAX);
    // The extra "entries" are read from the data blocks: refused as malformed or truncated.
    let err = extract_all(&bad).expect_err("65,535 files");
    assert!(
        matches!(
            err,
            CabinetError::Truncated { .. } | CabinetError::Malformed { .. }
        ),
        "{err}"
    );
    // File table and first data block past the end.
    let mut bad = cab.clone();
    put_u32(&mut bad, 16, u32::MAX);
    assert!(extract_all(&bad).is_err());
    let mut bad = cab.clone();
    put_u32(&mut bad, layout.folder_entries[0], u32::MAX - 3);
    assert!(matches!(
        extract_all(&bad),
        Err(CabinetError::Truncated { .. })
    ));
    // 65,535 data blocks declared.
    let mut bad = cab.clone();
    put_u16(&mut bad, layout.folder_entries[0] + 4, u16::MAX);
    let got = extract_all(&bad).expect("extra declared blocks are never read");
    assert_eq!(got.len(), 3);
    // A file naming a folder that does not exist.
    let mut bad = cab.clone();
    put_u16(&mut bad, layout.file_entries[1] + 8, 7);
    assert!(matches!(
        extract_all(&bad),
        Err(CabinetError::Malformed { .. })
    ));
    // A name without its terminating NUL within 256 bytes.
    let mut bad = cab.clone();
    let name_at = layout.file_entries[0] + 16;
    for b in &mut bad[name_at..name_at + 300] {
        if *b == 0 {
            *b = b'a';
        }
    }
    assert!(extract_all(&bad).is_err());
    // Signature and version.
    let mut bad = cab.clone();
    bad[0] = b'X';
    assert!(matches!(
        extract_all(&bad),
        Err(CabinetError::NotACabinet { .. })
    ));
    let mut bad = cab;
    bad[25] = 2;
    assert!(matches!(
        extract_all(&bad),
        Err(CabinetError::UnsupportedVersion { major: 2, minor: 3 })
    ));
}

#[test]
fn quantum_and_unknown_methods_are_unsupported() {
    for (bits, want) in [
        (
            0x1472u16,
            Compression::Quantum {
                level: 7,
                memory: 20,
            },
        ),
        (0x0007, Compression::Unknown(7)),
        (0x1e03, Compression::Lzx { window_bits: 30 }),
    ] {
        let (mut cab, layout) = three_files(Method::Stored);
        put_u16(&mut cab, layout.folder_entries[0] + 6, bits);
        match extract_all(&cab) {
            Err(CabinetError::Unsupported {
                folder: 0,
                compression,
            }) => assert_eq!(compression, want),
            other => panic!("{bits:#x}: {other:?}"),
        }
        // Listing needs no decoder.
        assert_eq!(cabinet::list(Cursor::new(&cab)).expect("list").len(), 3);
    }
}

/// A file marked continued from or into another cabinet, in a cabinet whose header names
/// neither a previous nor a next one (a set's cabinets are read in `synthetic.rs`).
#[test]
fn files_continued_into_cabinets_the_header_does_not_name_are_refused() {
    for marker in [0xfffdu16, 0xfffe, 0xffff] {
        let (mut cab, layout) = three_files(Method::Stored);
        put_u16(&mut cab, layout.file_entries[2] + 8, marker);
        assert!(matches!(
            extract_all(&cab),
            Err(CabinetError::Spanning { file }) if file == "f2"
        ));
    }
}

fn small_cab() -> Vec<u8> {
    build(&CabSpec {
        folders: vec![
            FolderSpec {
                method: Method::MsZip,
                files: vec![
                    ("a".into(), pseudo_random(3000, 1, true)),
                    ("b".into(), Vec::new()),
                    ("c".into(), pseudo_random(500, 2, false)),
                ],
                block_size: 1024,
            },
            FolderSpec {
                method: Method::Stored,
                files: vec![("d".into(), pseudo_random(700, 3, true))],
                block_size: 512,
            },
        ],
        reserve: Some((4, 2, 2)),
        checksums: false,
    })
    .0
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Random damage (with checksums off, so it reaches the decoders and the router) ends in
    /// an error or in files of exactly their declared sizes, never in a panic.
    #[test]
    fn random_damage_never_panics(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut cab = small_cab();
        for (at, value) in edits {
            let i = at.index(cab.len());
            cab[i] = value;
        }
        if let Ok(files) = extract_all(&cab) {
            for (entry, data) in files {
                prop_assert_eq!(entry.size, data.len() as u64);
            }
        }
        let _ = cabinet::list(Cursor::new(&cab));
    }

    /// Arbitrary bytes after a valid-looking LZX folder header reach `lzxd`; whatever it
    /// makes of them, the result is an error or correctly sized files.
    #[test]
    fn random_lzx_data_never_panics(data in prop::collection::vec(any::<u8>(), 1..600), window in 15u16..=21) {
        let (mut cab, layout) = build(&CabSpec::one(Method::Stored, vec![("x".into(), vec![0u8; data.len()])]));
        put_u16(&mut cab, layout.folder_entries[0] + 6, 0x0003 | (window << 8));
        let at = layout.blocks[0][0];
        cab[at + 8..at + 8 + data.len()].copy_from_slice(&data);
        put_u32(&mut cab, at, 0);
        put_u16(&mut cab, at + 6, 2000);
        put_u32(&mut cab, layout.file_entries[0], 2000);
        if let Ok(files) = extract_all(&cab) {
            prop_assert_eq!(files[0].1.len(), 2000);
        }
    }
}
