//! The MsiFileHash value of a file: MD5, as four little-endian 32-bit
//! integers.
//!
//! MD5 is hand-written (RFC 1321) because the workspace has no MD5 crate
//! and MsiFileHash needs nothing else; it is used only to compare with the
//! package's recorded hash, never for security.

use std::io::Read;
use std::path::Path;

const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
    14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
    21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];

fn k(i: usize) -> u32 {
    // floor(abs(sin(i + 1)) * 2^32), as RFC 1321 defines the table.
    ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32
}

/// An MD5 computation fed piece by piece: memory stays the same for any input size.
pub(crate) struct Md5 {
    state: [u32; 4],
    /// Bytes of the current 64-byte block not yet compressed.
    block: [u8; 64],
    filled: usize,
    len: u64,
}

impl Md5 {
    pub(crate) fn new() -> Md5 {
        Md5 {
            state: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476],
            block: [0; 64],
            filled: 0,
            len: 0,
        }
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let take = (64 - self.filled).min(data.len());
            self.block[self.filled..self.filled + take].copy_from_slice(&data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled == 64 {
                let block = self.block;
                self.compress(&block);
                self.filled = 0;
            }
        }
    }

    pub(crate) fn finish(mut self) -> [u8; 16] {
        let bit_len = self.len.wrapping_mul(8);
        self.update(&[0x80]);
        while self.filled != 56 {
            self.update(&[0]);
        }
        self.update(&bit_len.to_le_bytes());
        let mut out = [0u8; 16];
        for (i, s) in self.state.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&s.to_le_bytes());
        }
        out
    }

    fn compress(&mut self, chunk: &[u8; 64]) {
        let mut m = [0u32; 16];
        for (w, bytes) in m.iter_mut().zip(chunk.chunks_exact(4)) {
            *w = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let [mut a, mut b, mut c, mut d] = self.state;
        for (i, shift) in S.iter().enumerate() {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k(i)).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(*shift));
        }
        self.state[0] = self.state[0].wrapping_add(a);
        self.state[1] = self.state[1].wrapping_add(b);
        self.state[2] = self.state[2].wrapping_add(c);
        self.state[3] = self.state[3].wrapping_add(d);
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
