//! Costing's unit tests: MD5, wildcards and `REINSTALLMODE` letters.

use super::*;

#[test]
fn md5_matches_rfc_1321() {
    let hex = |d: [u8; 16]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(hex(md5::digest(b"")), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(
        hex(md5::digest(b"The quick brown fox jumps over the lazy dog")),
        "9e107d9d372bb6826bd81d3542a419d6"
    );
    assert_eq!(
        hex(md5::digest(&[b'a'; 200])),
        "887f30b43b2867f4a9accceee7d16e6c"
    );
}

#[test]
fn md5_of_a_file_is_streamed_in_pieces_of_any_size() {
    let hex = |d: [u8; 16]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    // A million 'a's, never in memory whole.
    let mut a = std::io::Read::take(std::io::repeat(b'a'), 1_000_000);
    assert_eq!(
        hex(md5::digest_reader(&mut a).expect("read")),
        "7707d6ae4e027c70eea2a935c2296f21"
    );
    // Fed in uneven pieces, across every block boundary.
    let data: Vec<u8> = (0..200_003u32).map(|i| (i % 251) as u8).collect();
    let mut h = md5::Md5::new();
    for piece in data.chunks(61) {
        h.update(piece);
    }
    assert_eq!(hex(h.finish()), "21f7cf2b00eeb45c5855fc12fe97bfe1");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("f");
    fs_err::write(&file, &data).expect("write");
    let d = md5::digest(&data);
    let parts = md5::file_hash(&file).expect("hash");
    assert_eq!(parts[0], i32::from_le_bytes([d[0], d[1], d[2], d[3]]));
    assert_eq!(parts[3], i32::from_le_bytes([d[12], d[13], d[14], d[15]]));
}

#[test]
fn wildcards() {
    assert!(wildcard_match("*.txt", "A.TXT"));
    assert!(wildcard_match("a?c", "abc"));
    assert!(!wildcard_match("a?c", "ac"));
    assert!(wildcard_match("*", ""));
    assert!(wildcard_match("*a*b", "xxaYYb"));
    assert!(!wildcard_match("*.log", "a.txt"));
}

#[test]
fn reinstall_mode_letters() {
    let m = ReinstallMode::parse("omus");
    assert!(m.older && !m.all && !m.equal);
    assert!(ReinstallMode::parse("A").all);
}
