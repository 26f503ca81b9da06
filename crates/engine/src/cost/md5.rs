//! The MsiFileHash value of a file: MD5, as four little-endian 32-bit integers
//! ("MsiFileHash table"), computed with RustCrypto's `md-5`. It is used only to compare
//! with the package's recorded hash and to check a cached package, never for security.

use std::io::Read;
use std::path::Path;

use md5::Digest;

/// An MD5 computation fed piece by piece: memory stays the same for any input size.
pub(crate) struct Md5(md5::Md5);

impl Md5 {
    pub(crate) fn new() -> Md5 {
        Md5(md5::Md5::new())
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub(crate) fn finish(self) -> [u8; 16] {
        self.0.finalize().into()
    }
}

/// The MD5 digest of `data`.
#[cfg(test)]
pub(crate) fn digest(data: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(data);
    h.finish()
}

/// The MD5 digest of what `reader` yields, read 64 KiB at a time (an installed file
/// may be of any size: it is never held in memory whole).
pub(crate) fn digest_reader(reader: &mut dyn Read) -> std::io::Result<[u8; 16]> {
    let mut h = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(h.finish()),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The file's hash as the four MsiFileHash parts, `None` if unreadable.
pub(crate) fn file_hash(path: &Path) -> Option<[i32; 4]> {
    let d = digest_reader(&mut fs_err::File::open(path).ok()?).ok()?;
    let part = |i: usize| i32::from_le_bytes([d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]]);
    Some([part(0), part(1), part(2), part(3)])
}
