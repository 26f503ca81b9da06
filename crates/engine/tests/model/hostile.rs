//! Corrupt packages never panic the model: a real package with bytes
//! changed at many places either opens (and then costs or fails with a
//! typed error) or is refused with 1620.

use std::io::Read;

use crate::model_util::model_package;
use engine::{InitOptions, Layout, Package, Properties, initialize, plan};

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn mutated_packages_fail_cleanly() {
    let (_d, msi) = model_package();
    let original = fs_err::read(&msi).unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut opened, mut refused) = (0, 0);
    for round in 0..400 {
        let mut bytes = original.clone();
        let changes = 1 + (rng.next() % 8) as usize;
        for _ in 0..changes {
            let at = (rng.next() % bytes.len() as u64) as usize;
            bytes[at] = rng.next() as u8;
        }
        if round % 50 == 0 {
            bytes.truncate((rng.next() % bytes.len() as u64) as usize);
        }
        let package = match Package::from_bytes("/pkg/mutated.msi", bytes) {
            Ok(p) => p,
            Err(err) => {
                assert!(matches!(err.code(), 1619 | 1620), "round {round}: {err}");
                refused += 1;
                continue;
            }
        };
        opened += 1;
        for name in package.stream_names().to_vec() {
            if let Ok(mut s) = package.read_stream(&name) {
                let mut sink = Vec::new();
                let _ = s.read_to_end(&mut sink);
            }
        }
        let mut props = Properties::new();
        let opts = InitOptions::new(root.path(), Layout::Fhs);
        if let Err(err) = initialize(&mut props, &package, &opts) {
            assert_eq!(err.code(), 1603, "round {round}: {err}");
            continue;
        }
        match plan(&package, &mut props, root.path(), None) {
            Ok(plan) => {
                for f in &plan.files {
                    assert!(f.target.starts_with(root.path()), "round {round}");
                }
            }
            Err(err) => assert_eq!(err.code(), 1603, "round {round}: {err}"),
        }
    }
    assert!(
        opened > 0 && refused > 0,
        "opened {opened}, refused {refused}"
    );
    assert_eq!(fs_err::read_dir(root.path()).unwrap().count(), 0);
}
