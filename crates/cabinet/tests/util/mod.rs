//! Shared helpers of the cabinet tests: extraction into memory, the cabinets of a real
//! package, the corpus and `wixl`/`msiextract`, and a writer of small synthetic cabinets
//! (stored or MSZIP) whose every field a test can bend.
#![allow(dead_code)] // Each test binary uses its own subset.

use fs_err as fs;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;

use cabinet::{CabinetEntry, CabinetError, FileWriter};
use test_support::msi;

/// A file extracted into memory.
pub(crate) type Extracted = Vec<(CabinetEntry, Vec<u8>)>;

/// Extracts a cabinet into memory through the public callback API, in extraction order.
pub(crate) fn extract_all(cab: &[u8]) -> Result<Extracted, CabinetError> {
    let out: Rc<RefCell<Extracted>> = Rc::default();
    let sink_out = Rc::clone(&out);
    cabinet::extract(Cursor::new(cab), &mut |entry: &CabinetEntry| {
        let mut files = sink_out.borrow_mut();
        files.push((entry.clone(), Vec::new()));
        let slot = files.len() - 1;
        Ok(Some(
            Box::new(Slot(Rc::clone(&sink_out), slot)) as FileWriter
        ))
    })?;
    Ok(out.take())
}

struct Slot(Rc<RefCell<Extracted>>, usize);

impl Write for Slot {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut()[self.1].1.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `../shared/corpus`, resolved from the crate directory (`RMSI_CORPUS` overrides); fails
/// clearly when it is missing.
pub(crate) fn corpus_dir() -> PathBuf {
    test_support::corpus_dir()
}

/// Every `.msi` in the corpus, sorted.
pub(crate) fn corpus_packages() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in fs::read_dir(corpus_dir()).expect("read the corpus") {
        let dir = dir.expect("corpus entry").path();
        if !dir.is_dir() {
            continue;
        }
        for f in fs::read_dir(&dir).expect("read a corpus folder") {
            let f = f.expect("corpus file").path();
            if f.extension().is_some_and(|e| e.eq_ignore_ascii_case("msi")) {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

/// One cabinet a package refers to: its Media table name and its bytes, or `None` when it
/// is external and absent.
pub(crate) struct PackageCabinet {
    pub(crate) name: String,
    pub(crate) bytes: Option<Vec<u8>>,
}

/// The cabinets a package's Media table names, read from its streams (`#name`) or from the
/// package's folder (case-insensitive, as on Windows). `Err` when `msi` cannot open it.
pub(crate) fn package_cabinets(msi_path: &Path) -> io::Result<Vec<PackageCabinet>> {
    let mut package = msi::open(msi_path)?;
    if !package.has_table("Media") {
        return Ok(Vec::new());
    }
    let rows: Vec<String> = package
        .select_rows(msi::Select::table("Media"))?
        .filter_map(|row| row["Cabinet"].as_str().map(str::to_owned))
        .filter(|c| !c.is_empty())
        .collect();
    let mut out = Vec::new();
    for name in rows {
        let bytes = if let Some(stream) = name.strip_prefix('#') {
            if package.has_stream(stream) {
                let mut data = Vec::new();
                io::copy(&mut package.read_stream(stream)?, &mut data)?;
                Some(data)
            } else {
                None
            }
        } else {
            let dir = msi_path.parent().unwrap_or(Path::new("."));
            fs::read_dir(dir)?
                .filter_map(Result::ok)
                .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(&name))
                .map(|e| fs::read(e.path()))
                .transpose()?
        };
        out.push(PackageCabinet { name, bytes });
    }
    Ok(out)
}

/// File key → long file name, from the File table.
pub(crate) fn file_names(msi_path: &Path) -> io::Result<BTreeMap<String, String>> {
    let mut package = msi::open(msi_path)?;
    if !package.has_table("File") {
        return Ok(BTreeMap::new());
    }
    Ok(package
        .select_rows(msi::Select::table("File"))?
        .filter_map(|row| {
            let key = row["File"].as_str()?.to_owned();
            let name = row["FileName"].as_str()?;
            let long = name.rsplit('|').next().unwrap_or(name).to_owned();
            Some((key, long))
        })
        .collect())
}

/// Runs `msiextract -C dir pkg`; returns whether it succeeded and every file it wrote, as
/// (base name, bytes) sorted.
pub(crate) fn msiextract(pkg: &Path, dir: &Path) -> (bool, Vec<(String, Vec<u8>)>) {
    let out = Command::new("msiextract")
        .arg("-C")
        .arg(dir)
        .arg(pkg)
        .output()
        .expect("run msiextract (Debian package msitools)");
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();
    (out.status.success(), files)
}

fn collect(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let path = e.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            let name = e.file_name().to_string_lossy().into_owned();
            out.push((name, fs::read(&path).expect("read an extracted file")));
        }
    }
}

/// Builds `wxs` (WiX source text) with `wixl` in `dir` and returns the package path.
pub(crate) fn wixl(dir: &Path, name: &str, wxs: &str) -> PathBuf {
    test_support::build::wixl_package(dir, name, wxs, &[], &[])
}

/// The only embedded cabinet of a package.
pub(crate) fn embedded_cabinet(pkg: &Path) -> Vec<u8> {
    let cabs = package_cabinets(pkg).expect("open the package");
    assert_eq!(cabs.len(), 1, "expected one cabinet in {}", pkg.display());
    cabs.into_iter()
        .next()
        .and_then(|c| c.bytes)
        .expect("the cabinet stream")
}

/// Deterministic, varied bytes (a xorshift stream), `text` restricting them to lowercase
/// words so that they compress as source files do.
pub(crate) fn pseudo_random(len: usize, seed: u64, text: bool) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if text {
                b"etaoin shrdlu\n"[(x % 14) as usize]
            } else {
                (x >> 24) as u8
            }
        })
        .collect()
}

// ====================================================================================== //
// A writer of synthetic cabinets.
// ====================================================================================== //

/// Compression of a synthetic folder.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Method {
    Stored,
    MsZip,
    /// MSZIP whose blocks end with a sync flush instead of a final deflate block: each
    /// inflates to its size and uses all its bytes, but never sets BFINAL.
    MsZipUnfinished,
    /// LZX (window 2^16) holding the folder as one LZX *uncompressed* block spread over the
    /// data blocks: real LZX framing (header bits, alignment, R0–R2, frames cut at 32 KiB)
    /// without an LZX compressor, which Debian lacks.
    LzxUncompressed,
}

/// One synthetic folder: its files (name, bytes) laid out back to back.
pub(crate) struct FolderSpec {
    pub(crate) method: Method,
    pub(crate) files: Vec<(String, Vec<u8>)>,
    /// Uncompressed bytes per block (at most 32 KiB for a valid cabinet).
    pub(crate) block_size: usize,
}

/// Options of the whole cabinet.
pub(crate) struct CabSpec {
    pub(crate) folders: Vec<FolderSpec>,
    /// Reserved bytes in the header, each folder entry and each data block.
    pub(crate) reserve: Option<(u16, u8, u8)>,
    /// Store checksums (otherwise 0: not computed).
    pub(crate) checksums: bool,
}

impl CabSpec {
    pub(crate) fn one(method: Method, files: Vec<(String, Vec<u8>)>) -> CabSpec {
        CabSpec {
            folders: vec![FolderSpec {
                method,
                files,
                block_size: 32 * 1024,
            }],
            reserve: None,
            checksums: true,
        }
    }
}

/// Where the pieces of a built cabinet are, for tests that damage them.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// Offset of every folder entry (CFFOLDER).
    pub(crate) folder_entries: Vec<usize>,
    /// Offset of every file entry (CFFILE).
    pub(crate) file_entries: Vec<usize>,
    /// Per folder, the offset of every data block (CFDATA header).
    pub(crate) blocks: Vec<Vec<usize>>,
}

/// The CFDATA checksum, written independently of this crate's.
pub(crate) fn cab_checksum(data: &[u8], seed: u32) -> u32 {
    let mut csum = seed;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        csum ^= u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    let mut ul = 0u32;
    for &b in chunks.remainder() {
        ul = (ul << 8) | u32::from(b);
    }
    csum ^ ul
}

/// Writes a cabinet as MS-CAB describes it; MSZIP blocks chain their dictionaries, so
/// the extractor's history handling is exercised.
pub(crate) fn build(spec: &CabSpec) -> (Vec<u8>, Layout) {
    let mut layout = Layout::default();
    let (hres, fres, dres) = spec.reserve.unwrap_or((0, 0, 0));
    let mut header_len = 36;
    if spec.reserve.is_some() {
        header_len += 4 + usize::from(hres);
    }
    let folders_len = spec.folders.len() * (8 + usize::from(fres));
    let files: Vec<(usize, &String, usize, u32)> = spec
        .folders
        .iter()
        .enumerate()
        .flat_map(|(fi, f)| {
            let mut off = 0u32;
            f.files.iter().map(move |(n, d)| {
                let e = (fi, n, d.len(), off);
                off += d.len() as u32;
                e
            })
        })
        .collect();
    let files_len: usize = files.iter().map(|f| 16 + f.1.len() + 1).sum();
    let coff_files = header_len + folders_len;
    let mut data = Vec::new();
    let mut blocks_per_folder = Vec::new();
    let data_start = coff_files + files_len;
    for folder in &spec.folders {
        let stream: Vec<u8> = folder.files.iter().flat_map(|f| f.1.clone()).collect();
        let mut offsets = Vec::new();
        let mut dict: Vec<u8> = Vec::new();
        let mut comp = flate2::Compress::new(flate2::Compression::default(), false);
        for (index, raw) in stream.chunks(folder.block_size.max(1)).enumerate() {
            let payload = match folder.method {
                Method::Stored => raw.to_vec(),
                Method::LzxUncompressed => {
                    let mut out = Vec::new();
                    if index == 0 {
                        out = lzx_uncompressed_header(stream.len());
                    }
                    out.extend_from_slice(raw);
                    out
                }
                Method::MsZip | Method::MsZipUnfinished => {
                    comp.reset();
                    if !dict.is_empty() {
                        comp.set_dictionary(&dict).expect("set dictionary");
                    }
                    let mut out = Vec::with_capacity(raw.len() + 1024);
                    out.extend_from_slice(b"CK");
                    let flush = if folder.method == Method::MsZip {
                        flate2::FlushCompress::Finish
                    } else {
                        flate2::FlushCompress::Sync
                    };
                    comp.compress_vec(raw, &mut out, flush).expect("deflate");
                    dict.extend_from_slice(raw);
                    if dict.len() > 32 * 1024 {
                        dict.drain(..dict.len() - 32 * 1024);
                    }
                    out
                }
            };
            offsets.push(data_start + data.len());
            let sizes = (payload.len() as u32) | ((raw.len() as u32) << 16);
            let reserve = vec![0xa5u8; usize::from(dres)];
            let csum = if spec.checksums {
                let c = cab_checksum(&payload, 0);
                let mut hdr = sizes.to_le_bytes().to_vec();
                hdr.extend_from_slice(&reserve);
                cab_checksum(&hdr, c)
            } else {
                0
            };
            data.extend_from_slice(&csum.to_le_bytes());
            data.extend_from_slice(&sizes.to_le_bytes());
            data.extend_from_slice(&reserve);
            data.extend_from_slice(&payload);
        }
        blocks_per_folder.push(offsets);
    }
    let total = data_start + data.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"MSCF");
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(coff_files as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&[3, 1]);
    out.extend_from_slice(&(spec.folders.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    let flags: u16 = if spec.reserve.is_some() { 4 } else { 0 };
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&0x1234u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    if spec.reserve.is_some() {
        out.extend_from_slice(&hres.to_le_bytes());
        out.push(fres);
        out.push(dres);
        out.extend(std::iter::repeat_n(0x5a, usize::from(hres)));
    }
    for (folder, offsets) in spec.folders.iter().zip(&blocks_per_folder) {
        layout.folder_entries.push(out.len());
        let first = offsets.first().copied().unwrap_or(total) as u32;
        out.extend_from_slice(&first.to_le_bytes());
        out.extend_from_slice(&(offsets.len() as u16).to_le_bytes());
        let method: u16 = match folder.method {
            Method::Stored => 0,
            Method::MsZip | Method::MsZipUnfinished => 1,
            Method::LzxUncompressed => 0x1003,
        };
        out.extend_from_slice(&method.to_le_bytes());
        out.extend(std::iter::repeat_n(0x3c, usize::from(fres)));
    }
    assert_eq!(out.len(), coff_files);
    for (folder, name, size, offset) in &files {
        layout.file_entries.push(out.len());
        out.extend_from_slice(&(*size as u32).to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(*folder as u16).to_le_bytes());
        out.extend_from_slice(&[0x21, 0x5b, 0x00, 0x60, 0x20, 0x00]);
        out.extend_from_slice(name.as_bytes());
        out.push(0);
    }
    out.extend_from_slice(&data);
    layout.blocks = blocks_per_folder;
    (out, layout)
}

/// The start of an LZX stream made of one uncompressed block of `len` bytes: the E8 flag (0),
/// block type 3 and the 24-bit size, padded to a 16-bit boundary, then R0, R1 and R2 (1 each).
/// LZX packs bits most-significant first into little-endian 16-bit words.
fn lzx_uncompressed_header(len: usize) -> Vec<u8> {
    assert!(len < 1 << 24, "one LZX block holds less than 16 MiB");
    // 1 + 3 + 24 = 28 bits, padded to 32: two words.
    let bits: u32 = (0b0011 << 28) | ((len as u32) << 4);
    let mut out = Vec::new();
    out.extend_from_slice(&((bits >> 16) as u16).to_le_bytes());
    out.extend_from_slice(&(bits as u16).to_le_bytes());
    for _ in 0..3 {
        out.extend_from_slice(&1u32.to_le_bytes());
    }
    out
}
