//! Extraction of synthetic cabinets written by the test helper (stored and MSZIP, chained
//! MSZIP dictionaries, reserved areas, several folders, odd entries): what goes in must come
//! out, in the cabinet's order, through both public entry points.

mod util;

use std::io::{self, Cursor, Write};
use std::sync::atomic::AtomicBool;

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

/// libmspack accepts an MSZIP block that inflates to its size and uses all its bytes without
/// the final flag, and so do we: libdeflate refuses such a block, zlib decodes it again.
#[test]
fn mszip_blocks_without_the_final_flag_are_accepted() {
    assert_roundtrip(&CabSpec::one(
        Method::MsZipUnfinished,
        files(40, 9_000, true),
    ));
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

// ====================================================================================== //
// Cabinet sets: `tests/data/span/`, made by Wine's `cabarc` (see its `make.sh`).
// ====================================================================================== //

/// The set's cabinets, in order.
fn span(n: usize) -> Vec<u8> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/span");
    fs_err::read(dir.join(format!("span{n}.cab"))).expect("read a cabinet of the set")
}

/// What the set holds: the payloads `make.sh` gave `cabarc`.
fn span_payload() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("Alpha", pseudo_random(3640, 1, true)),
        ("Bravo", pseudo_random(110_000, 2, false)),
        ("Charlie", pseudo_random(41_240, 3, true)),
    ]
}

/// A sink keeping every file in memory and handing out the next cabinets it was given, in
/// order, recording what each request said.
#[derive(Default)]
struct SetSink {
    next: std::collections::VecDeque<Vec<u8>>,
    asked: Vec<cabinet::NextCabinet>,
    files: Vec<(String, Vec<u8>)>,
}

impl Sink for SetSink {
    type Writer = Vec<u8>;
    fn open(&mut self, _: &CabinetEntry) -> io::Result<Option<Vec<u8>>> {
        Ok(Some(Vec::new()))
    }
    fn finish(&mut self, entry: &CabinetEntry, writer: Vec<u8>) -> io::Result<()> {
        self.files.push((entry.name.clone(), writer));
        Ok(())
    }
    fn next_cabinet(
        &mut self,
        next: &cabinet::NextCabinet,
    ) -> io::Result<Option<Box<dyn cabinet::ReadSeek>>> {
        self.asked.push(next.clone());
        Ok(self
            .next
            .pop_front()
            .map(|cab| Box::new(Cursor::new(cab)) as Box<dyn cabinet::ReadSeek>))
    }
}

fn set_sink(next: &[usize]) -> SetSink {
    SetSink {
        next: next.iter().map(|&n| span(n)).collect(),
        ..SetSink::default()
    }
}

#[test]
fn a_file_spanning_three_cabinets_extracts_in_one_pass() {
    let mut sink = set_sink(&[2, 3]);
    cabinet::extract_to(Cursor::new(span(1)), &mut sink).expect("extract the set");
    let names: Vec<&str> = sink.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Alpha", "Bravo", "Charlie"]);
    for ((name, got), (want_name, want)) in sink.files.iter().zip(span_payload()) {
        assert_eq!(name, want_name);
        assert!(*got == want, "{name}: content differs");
    }
    // Each cabinet asked for its next, by the name and position its header gives.
    let asked: Vec<(&str, u16, u16, &str)> = sink
        .asked
        .iter()
        .map(|n| (n.name.as_str(), n.set_id, n.index, n.file.as_str()))
        .collect();
    assert_eq!(
        asked,
        [
            ("span2.cab", 4242, 1, "Bravo"),
            ("span3.cab", 4242, 2, "Bravo")
        ]
    );
}

#[test]
fn continued_entries_are_listed_with_their_markers() {
    let flags = |n| -> Vec<(String, u16, bool, bool)> {
        cabinet::list(Cursor::new(span(n)))
            .expect("list")
            .into_iter()
            .map(|e| {
                (
                    e.name,
                    e.folder,
                    e.continued_from_previous,
                    e.continued_to_next,
                )
            })
            .collect()
    };
    let e = |n: &str, f, p, q| (n.to_owned(), f, p, q);
    assert_eq!(
        flags(1),
        [e("Alpha", 0, false, false), e("Bravo", 0, false, true)]
    );
    assert_eq!(flags(2), [e("Bravo", 0, true, true)]);
    assert_eq!(
        flags(3),
        [e("Bravo", 0, true, false), e("Charlie", 1, false, false)]
    );
}

#[test]
fn without_its_next_cabinet_the_continued_file_fails_and_names_itself() {
    let mut sink = set_sink(&[]);
    match cabinet::extract_to(Cursor::new(span(1)), &mut sink) {
        Err(cabinet::CabinetError::Spanning { file }) => assert_eq!(file, "Bravo"),
        other => panic!("{other:?}"),
    }
    // The file before it was complete and handed over; the continued one never was.
    let names: Vec<&str> = sink.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Alpha"]);
}

#[test]
fn a_cabinet_out_of_order_or_from_another_set_is_refused() {
    // span3 given where span2 belongs: cabinet 2 of the set, not 1.
    let mut sink = set_sink(&[3]);
    match cabinet::extract_to(Cursor::new(span(1)), &mut sink) {
        Err(cabinet::CabinetError::WrongCabinet { name, reason }) => {
            assert_eq!(name, "span2.cab");
            assert!(reason.contains("cabinet 2 of set 0x1092"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // span2 with another set ID.
    let mut other_set = span(2);
    other_set[32..34].copy_from_slice(&7u16.to_le_bytes());
    let mut sink = SetSink {
        next: [other_set, span(3)].into(),
        ..SetSink::default()
    };
    assert!(matches!(
        cabinet::extract_to(Cursor::new(span(1)), &mut sink),
        Err(cabinet::CabinetError::WrongCabinet { .. })
    ));
    // A cabinet that is not in any set.
    let (lone, _) = build(&CabSpec::one(Method::MsZip, files(1, 100, true)));
    let mut sink = SetSink {
        next: [lone].into(),
        ..SetSink::default()
    };
    assert!(matches!(
        cabinet::extract_to(Cursor::new(span(1)), &mut sink),
        Err(cabinet::CabinetError::WrongCabinet { .. })
    ));
}

#[test]
fn a_damaged_second_part_of_a_split_block_fails_its_checksum() {
    // span2's first block is the rest of the block span1 began: damage its data.
    let mut damaged = span(2);
    let start = {
        // CFFOLDER 0 follows the header (36 bytes) and the two pairs of names.
        let names = b"span1.cab\0\0span3.cab\0\0".len();
        let at = 36 + names;
        u32::from_le_bytes([
            damaged[at],
            damaged[at + 1],
            damaged[at + 2],
            damaged[at + 3],
        ]) as usize
    };
    damaged[start + 8 + 100] ^= 0x55;
    let mut sink = SetSink {
        next: [damaged, span(3)].into(),
        ..SetSink::default()
    };
    match cabinet::extract_to(Cursor::new(span(1)), &mut sink) {
        Err(cabinet::CabinetError::ChecksumMismatch { block: 0, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_pass_starting_in_the_middle_of_a_set_skips_the_continued_folder() {
    // span3 alone: Bravo began two cabinets back and cannot be decoded from here; Charlie,
    // in a folder of its own, extracts.
    let mut sink = set_sink(&[]);
    cabinet::extract_to(Cursor::new(span(3)), &mut sink).expect("extract");
    assert_eq!(sink.files.len(), 1);
    assert_eq!(sink.files[0].0, "Charlie");
    assert!(sink.files[0].1 == pseudo_random(41_240, 3, true));
}

// ====================================================================================== //
// Inflating ahead: `Inflated::read`, then `Inflated::replay` into a sink.
// ====================================================================================== //

#[test]
fn a_cabinet_inflated_ahead_replays_what_extraction_gives() {
    let mut lzx = files(3, 30_000, false);
    lzx.insert(1, ("empty".into(), Vec::new()));
    let spec = CabSpec {
        folders: vec![
            FolderSpec {
                method: Method::MsZip,
                files: files(6, 40_000, true),
                block_size: 32 * 1024,
            },
            FolderSpec {
                method: Method::Stored,
                files: files(2, 100, false),
                block_size: 32 * 1024,
            },
            FolderSpec {
                method: Method::LzxUncompressed,
                files: lzx,
                block_size: 32 * 1024,
            },
        ],
        reserve: Some((20, 3, 5)),
        checksums: true,
    };
    let (cab, _) = build(&spec);
    let total: u64 = spec
        .folders
        .iter()
        .flat_map(|f| &f.files)
        .map(|(_, b)| b.len() as u64)
        .sum();
    let inflate = || {
        cabinet::Inflated::read(Cursor::new(&cab), total, &AtomicBool::new(false))
            .expect("inflate")
            .expect("within the limit")
    };
    let inflated = inflate();
    assert_eq!(inflated.len(), total);
    let mut sink = SetSink::default();
    inflated.replay(&mut sink).expect("replay");
    let want = extract_all(&cab).expect("extract");
    assert_eq!(sink.files.len(), want.len());
    for ((name, got), (entry, data)) in sink.files.iter().zip(&want) {
        assert_eq!(name, &entry.name);
        assert!(got == data, "{name}: content differs");
    }
    // A sink that skips files gets the same calls as from the extraction itself.
    let (mut replayed, mut extracted) = (Recorder::default(), Recorder::default());
    inflate().replay(&mut replayed).expect("replay");
    cabinet::extract_to(Cursor::new(&cab), &mut extracted).expect("extract");
    assert_eq!(replayed.calls, extracted.calls);
}

#[test]
fn nothing_is_inflated_ahead_past_the_limit_or_from_a_cabinet_set() {
    let list = files(4, 10_000, true);
    let total: u64 = list.iter().map(|(_, b)| b.len() as u64).sum();
    let (cab, _) = build(&CabSpec::one(Method::MsZip, list));
    let read = |limit| {
        cabinet::Inflated::read(Cursor::new(&cab), limit, &AtomicBool::new(false)).expect("inflate")
    };
    assert!(read(total - 1).is_none());
    assert!(read(total).is_some());
    // The first cabinet of a set goes on in the next one, the last continues the previous.
    for n in [1, 2, 3] {
        let got = cabinet::Inflated::read(Cursor::new(span(n)), u64::MAX, &AtomicBool::new(false))
            .expect("inflate");
        assert!(got.is_none(), "span{n}.cab is part of a set");
    }
}

#[test]
fn a_corrupt_cabinet_inflated_ahead_fails_as_its_extraction_does() {
    let (mut cab, layout) = build(&CabSpec::one(Method::MsZip, files(3, 20_000, true)));
    // A data byte of the second block flipped: its checksum no longer matches.
    cab[layout.blocks[0][1] + 8 + 10] ^= 0x55;
    let ahead = cabinet::Inflated::read(Cursor::new(&cab), u64::MAX, &AtomicBool::new(false))
        .expect_err("corrupt");
    let extracted = extract_all(&cab).expect_err("corrupt");
    assert_eq!(ahead.to_string(), extracted.to_string());
    assert!(ahead.is_bad_cabinet());
}

#[test]
fn a_sink_error_during_a_replay_names_the_file() {
    let (cab, _) = build(&CabSpec::one(Method::Stored, files(3, 10, true)));
    let inflated = cabinet::Inflated::read(Cursor::new(&cab), u64::MAX, &AtomicBool::new(false))
        .expect("inflate")
        .expect("small");
    struct Full;
    impl Sink for Full {
        type Writer = Vec<u8>;
        fn open(&mut self, e: &CabinetEntry) -> io::Result<Option<Vec<u8>>> {
            match e.name.as_str() {
                "file0001" => Err(io::Error::other("disk full")),
                _ => Ok(None),
            }
        }
    }
    let err = inflated.replay(&mut Full).expect_err("the sink fails");
    assert!(matches!(&err, cabinet::CabinetError::Write { file, .. } if file == "file0001"));
}

#[test]
fn inflating_ahead_stops_when_asked() {
    let (cab, _) = build(&CabSpec::one(Method::MsZip, files(3, 1000, true)));
    let err = cabinet::Inflated::read(Cursor::new(&cab), u64::MAX, &AtomicBool::new(true))
        .expect_err("stopped");
    match err {
        cabinet::CabinetError::Write { file, source } => {
            assert_eq!(file, "file0000");
            assert_eq!(source.to_string(), "stopped");
        }
        other => panic!("{other:?}"),
    }
}

/// Asked to stop in the middle of a file (here: once the reader went past the first data
/// block), the inflating ends there with the stop's error rather than trying the write
/// again for ever.
#[test]
fn inflating_ahead_stops_in_the_middle_of_a_file() {
    use std::io::{Read, Seek};
    use std::sync::atomic::Ordering;
    struct StopAfter<'s> {
        inner: Cursor<Vec<u8>>,
        after: u64,
        stop: &'s AtomicBool,
    }
    impl Read for StopAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.inner.position() > self.after {
                self.stop.store(true, Ordering::Relaxed);
            }
            self.inner.read(buf)
        }
    }
    impl Seek for StopAfter<'_> {
        fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
            self.inner.seek(to)
        }
    }
    let spec = CabSpec {
        folders: vec![FolderSpec {
            method: Method::Stored,
            files: files(1, 200_000, false),
            block_size: 4 * 1024,
        }],
        reserve: None,
        checksums: true,
    };
    let (cab, _) = build(&spec);
    let stop = AtomicBool::new(false);
    let reader = StopAfter {
        after: 8 * 1024,
        inner: Cursor::new(cab),
        stop: &stop,
    };
    let err = cabinet::Inflated::read(reader, u64::MAX, &stop).expect_err("stopped");
    assert!(
        matches!(&err, cabinet::CabinetError::Write { file, source }
        if file == "file0000" && source.to_string() == "stopped"),
        "{err:?}"
    );
}
