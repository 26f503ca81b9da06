//! A package from arbitrary bytes: opening it, reading its tables and costing it into a
//! root that does not exist must give a result or an error, never a panic (issue 6: a
//! corrupt or hostile package gives a clear error and exit code).
//!
//! The `msi` crate panics on some malformed system tables; `Package::open` runs it under
//! `catch_unwind` and turns that into 1620. libFuzzer's panic hook would abort on those
//! caught panics too, so this target's hook lets panics raised inside the `msi` crate
//! unwind to that `catch_unwind`, and aborts on any other (ours).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let in_msi = info
                .location()
                .is_some_and(|l| l.file().contains("/msi-0."));
            if !in_msi {
                eprintln!("{info}");
                std::process::abort();
            }
        }));
    });
    let Ok(package) = engine::Package::from_bytes("fuzz.msi", data.to_vec()) else {
        return;
    };
    for table in package.tables() {
        let _ = table.rows.len();
    }
    let _ = package.sequence(engine::tables::sequence::SequenceTable::InstallExecute);
    let _ = package.custom_actions();
    let mut props = engine::Properties::new();
    for row in package.properties().unwrap_or_default() {
        props.set(&row.name, &row.value);
    }
    let _ = engine::plan(
        &package,
        &mut props,
        std::path::Path::new("/nonexistent-rmsi-fuzz-root"),
        None,
    );
});
