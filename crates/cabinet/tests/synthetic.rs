//! Extraction of synthetic cabinets written by the test helper (stored and MSZIP, chained
//! MSZIP dictionaries, reserved areas, several folders, odd entries): what goes in must come
//! out, in the cabinet's order, through both public entry points.

mod util;

use std::io::{self, Cursor, Write};

use cabinet::{CabinetEntry, Sink};
use util::{CabSpec, FolderSpec, Method, build, extract_all, pseudo_random};

fn files(n: usize, len: usize, text: bool) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            (
                format!("file{i:04}"),
                pseudo_random(len + i * 7, i as u64, text),
            )
        })
        .collect()
}

fn assert_roundtrip(spec: &CabSpec) {
    let (cab, _) = build(spec);
    let got = extract_all(&cab).expect("extract");
    let want: Vec<&(String, Vec<u8>)> = spec.folders.iter().flat_map(|f| &f.files).collect();
    assert_eq!(got.len(), want.len());
    for ((entry, data), (name, bytes)) in got.iter().zip(want) {
        assert_eq!(&entry.name, name);
        assert_eq!(entry.size, bytes.len() as u64);
        assert!(data == bytes, "{name}: content differs");
    }
}

#[test]
fn stored_and_mszip_folders_roundtrip() {
    for method in [Method::Stored, Method::MsZip] {
        // Text files spanning many blocks, so MSZIP back-references cross block boundaries.
        assert_roundtrip(&CabSpec::one(method, files(40, 9_000, true)));
        // Incompressible data: deflate emits stored blocks.
        assert_roundtrip(&CabSpec::one(method, files(5, 70_000, false)));
    }
}

#[test]
fn small_blocks_and_many_tiny_files() {
    // 3,000 files of 1–20 bytes in 1,000-byte blocks: many files per block and files cut
    // by block boundaries.
    let tiny: Vec<(String, Vec<u8>)> = (0..3000)
        .map(|i| (format!("t{i}"), pseudo_random(1 + i % 20, i as u64, true)))
        .collect();
    for method in [Method::Stored, Method::MsZip] {
        assert_roundtrip(&CabSpec {
            folders: vec![FolderSpec {
                method,
                files: tiny.clone(),
                block_size: 1000,
            }],
            reserve: None,
            checksums: true,
        });
    }
}

#[test]
fn several_folders_reserved_areas_and_no_checksums() {
    let spec = CabSpec {
        folders: vec![
            FolderSpec {
                method: Method::MsZip,
                files: files(3, 50_000, true),
                block_size: 32 * 1024,
            },
            FolderSpec {
                method: Method::Stored,
                files: files(2, 100, false),
                block_size: 32 * 1024,
            },
            FolderSpec {
                method: Method::MsZip,
                files: files(4, 10, true),
                block_size: 7,
            },
        ],
        reserve: Some((20, 3, 5)),
        checksums: true,
    };
    assert_roundtrip(&spec);
    let spec = CabSpec {
        checksums: false,
        ..spec
    };
    assert_roundtrip(&spec);
}

#[test]
fn empty_files_and_empty_cabinet() {
    let mut list = files(3, 100, true);
    list.insert(0, ("empty-first".into(), Vec::new()));
    list.insert(2, ("empty-middle".into(), Vec::new()));
    list.push(("empty-last".into(), Vec::new()));
    assert_roundtrip(&CabSpec::one(Method::MsZip, list));
    // A folder of empty files only has no data block at all.
    assert_roundtrip(&CabSpec::one(
        Method::MsZip,
        vec![("a".into(), Vec::new()), ("b".into(), Vec::new())],
    ));
    // No folder, no file.
    let (cab, _) = build(&CabSpec {
        folders: Vec::new(),
        reserve: None,
        checksums: true,
    });
    assert!(extract_all(&cab).expect("extract").is_empty());
}

#[test]
fn same_name_twice_gives_both_entries() {
    let list = vec![
        ("dup".to_owned(), b"first".to_vec()),
        ("other".to_owned(), b"x".to_vec()),
        ("dup".to_owned(), b"second copy".to_vec()),
    ];
    let (cab, _) = build(&CabSpec::one(Method::MsZip, list));
    let got = extract_all(&cab).expect("extract");
    let dups: Vec<(usize, &[u8])> = got
        .iter()
        .filter(|(e, _)| e.name == "dup")
        .map(|(e, d)| (e.index, d.as_slice()))
        .collect();
    assert_eq!(dups, vec![(0, &b"first"[..]), (2, &b"second copy"[..])]);
}

#[test]
fn files_come_out_in_offset_order_whatever_the_entry_order() {
    // Reverse the CFFILE entries of a three-file cabinet (same layout, entries permuted).
    let list = files(3, 2000, true);
    let (mut cab, layout) = build(&CabSpec::one(Method::MsZip, list.clone()));
    let start = layout.file_entries[0];
    let end = layout.blocks[0][0];
    let entries: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            let s = layout.file_entries[i];
            let e = layout.file_entries.get(i + 1).copied().unwrap_or(end);
            cab[s..e].to_vec()
        })
        .collect();
    let reversed: Vec<u8> = entries.iter().rev().flatten().copied().collect();
    cab[start..end].copy_from_slice(&reversed);
    let listed: Vec<String> = cabinet::list(Cursor::new(&cab))
        .expect("list")
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(listed, ["file0002", "file0001", "file0000"]);
    let got = extract_all(&cab).expect("extract");
    let names: Vec<&str> = got.iter().map(|(e, _)| e.name.as_str()).collect();
    assert_eq!(names, ["file0000", "file0001", "file0002"]);
    for ((_, data), (_, want)) in got.iter().zip(&list) {
        assert!(data == want);
    }
}

/// A sink that records the calls it gets and skips every other file.
#[derive(Default)]
struct Recorder {
    calls: Vec<String>,
}

struct Counted(usize);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Sink for Recorder {
    type Writer = Counted;
    fn open(&mut self, entry: &CabinetEntry) -> io::Result<Option<Counted>> {
        self.calls.push(format!("open {}", entry.name));
        Ok(entry.index.is_multiple_of(2).then_some(Counted(0)))
    }
    fn finish(&mut self, entry: &CabinetEntry, writer: Counted) -> io::Result<()> {
        assert_eq!(writer.0 as u64, entry.size);
        self.calls
            .push(format!("finish {} {}", entry.name, writer.0));
        Ok(())
    }
}

#[test]
fn sink_opens_and_finishes_one_file_at_a_time_and_may_skip() {
    let list = files(4, 20_000, true);
    let (cab, _) = build(&CabSpec::one(Method::MsZip, list));
    let mut sink = Recorder::default();
    cabinet::extract_to(Cursor::new(&cab), &mut sink).expect("extract");
    assert_eq!(
        sink.calls,
        [
            "open file0000",
            "finish file0000 20000",
            "open file0001",
            "open file0002",
            "finish file0002 20014",
            "open file0003",
        ]
    );
}

#[test]
fn sink_errors_stop_extraction_and_name_the_file() {
    let (cab, _) = build(&CabSpec::one(Method::Stored, files(3, 10, true)));
    let err = cabinet::extract(Cursor::new(&cab), &mut |e: &CabinetEntry| {
        if e.name == "file0001" {
            Err(io::Error::other("disk full"))
        } else {
            Ok(None)
        }
    })
    .expect_err("the sink fails");
    assert!(matches!(&err, cabinet::CabinetError::Write { file, .. } if file == "file0001"));
    assert!(!err.is_bad_cabinet());
}

#[test]
fn lzx_folder_spanning_many_data_blocks() {
    // 150 KB in five LZX frames through `lzxd`, files cut by frame boundaries, plus an empty
    // file; the window (64 KiB) is smaller than the data, so it wraps.
    let mut list = files(7, 21_000, false);
    list.insert(3, ("empty".into(), Vec::new()));
    assert_roundtrip(&CabSpec::one(Method::LzxUncompressed, list));
}

#[test]
fn lzx_damage_is_an_error_for_that_block() {
    let (mut cab, layout) = build(&CabSpec {
        checksums: false,
        ..CabSpec::one(Method::LzxUncompressed, files(3, 30_000, true))
    });
    // Declare block 1 shorter than the raw bytes it holds: the uncompressed LZX block then
    // runs past the frame.
    let at = layout.blocks[0][1];
    let size = u16::from_le_bytes([cab[at + 6], cab[at + 7]]);
    cab[at + 6..at + 8].copy_from_slice(&(size - 100).to_le_bytes());
    match extract_all(&cab) {
        Err(cabinet::CabinetError::Corrupt { block, .. }) => assert!(block >= 1),
        Err(cabinet::CabinetError::SizeMismatch { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn cabinet_of_a_set_whose_files_are_self_contained_extracts() {
    // A cabinet declaring previous and next cabinets (flags 0x0003, four names after the
    // header) whose own files all start and end in it: those files extract.
    let list = files(2, 5000, true);
    let (cab, layout) = build(&CabSpec::one(Method::MsZip, list.clone()));
    let names = b"prev.cab\0disk 1\0next.cab\0disk 3\0";
    let shift = names.len() as u32;
    let mut set = cab[..36].to_vec();
    set.extend_from_slice(names);
    set.extend_from_slice(&cab[36..]);
    set[30] |= 0x03;
    let bump = |set: &mut Vec<u8>, at: usize| {
        let v = u32::from_le_bytes([set[at], set[at + 1], set[at + 2], set[at + 3]]) + shift;
        set[at..at + 4].copy_from_slice(&v.to_le_bytes());
    };
    bump(&mut set, 16); // coffFiles
    bump(&mut set, layout.folder_entries[0] + names.len()); // coffCabStart
    let got = extract_all(&set).expect("extract");
    assert_eq!(got.len(), 2);
    for ((entry, data), (name, want)) in got.iter().zip(&list) {
        assert_eq!(&entry.name, name);
        assert!(data == want);
    }
}
