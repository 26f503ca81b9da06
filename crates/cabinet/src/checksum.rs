//! The CFDATA checksum of MS-CAB (`CSUMCompute`): an XOR of little-endian 32-bit words, with
//! the trailing 1–3 bytes folded in most-significant first.

/// Continues a checksum over `data` from `seed`, exactly as `CSUMCompute(data, len, seed)`.
///
/// The words are XORed eight bytes at a time (two words per `u64`, folded at the end), which
/// the compiler vectorizes; the result is the same as word by word because XOR commutes.
pub(super) fn compute(data: &[u8], seed: u32) -> u32 {
    let mut wide = data.chunks_exact(8);
    let mut acc: u64 = 0;
    for chunk in &mut wide {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        acc ^= u64::from_le_bytes(word);
    }
    let mut csum = seed ^ (acc as u32) ^ ((acc >> 32) as u32);
    let mut narrow = wide.remainder().chunks_exact(4);
    for chunk in &mut narrow {
        let mut word = [0u8; 4];
        word.copy_from_slice(chunk);
        csum ^= u32::from_le_bytes(word);
    }
    // The reference code's `switch (cb % 4)` falls through: the first left-over byte lands
    // highest (bits 16 for three bytes, 8 for two, 0 for one).
    let tail = narrow
        .remainder()
        .iter()
        .fold(0u32, |ul, &b| (ul << 8) | u32::from(b));
    csum ^ tail
}

/// The checksum of a CFDATA block as the spec defines it: over the data first, then over the
/// `cbData`/`cbUncomp` fields and the block's reserved bytes.
pub(super) fn data_block(sizes: [u8; 4], reserve: &[u8], data: &[u8]) -> u32 {
    let csum = compute(data, 0);
    // `sizes` is exactly one word, so continuing with it and then with the reserve gives what
    // one call over the contiguous header bytes would.
    let csum = compute(&sizes, csum);
    compute(reserve, csum)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference algorithm, word by word, to check the fast path against.
    fn reference(data: &[u8], seed: u32) -> u32 {
        let mut csum = seed;
        let words = data.len() / 4;
        for i in 0..words {
            let p = &data[i * 4..];
            csum ^= u32::from(p[0])
                | (u32::from(p[1]) << 8)
                | (u32::from(p[2]) << 16)
                | (u32::from(p[3]) << 24);
        }
        let rest = &data[words * 4..];
        let mut ul = 0u32;
        match rest.len() {
            3 => ul = (u32::from(rest[0]) << 16) | (u32::from(rest[1]) << 8) | u32::from(rest[2]),
            2 => ul = (u32::from(rest[0]) << 8) | u32::from(rest[1]),
            1 => ul = u32::from(rest[0]),
            _ => {}
        }
        csum ^ ul
    }

    #[test]
    fn matches_the_reference_for_every_length_and_alignment() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 37 + 11) as u8).collect();
        for start in 0..8 {
            for end in start..data.len() {
                for seed in [0, 0xdead_beef] {
                    assert_eq!(
                        compute(&data[start..end], seed),
                        reference(&data[start..end], seed),
                        "range {start}..{end} seed {seed:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn known_block_from_a_real_cabinet() {
        // The single CFDATA block of wix3 basicproduct's media1.cab (corpus), as stored:
        // csum 0x61f7562a, cbData 0x14, cbUncomp 0x10.
        let data = [
            0x43, 0x4b, 0x2b, 0x4e, 0xcc, 0x2d, 0xc8, 0x49, 0x55, 0x28, 0x49, 0xad, 0x28, 0x51,
            0x48, 0xcb, 0xcc, 0x49, 0x05, 0x00,
        ];
        assert_eq!(
            data_block([0x14, 0x00, 0x10, 0x00], &[], &data),
            0x61f7_562a
        );
    }
}
