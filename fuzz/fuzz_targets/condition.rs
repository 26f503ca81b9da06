//! Fuzzes the condition parser and evaluator: no input may panic, and the parse-once path
//! must agree with the fused parse-and-evaluate path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msi_expr::{Condition, ConditionResult, InstallState, MapLookup, evaluate_condition};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut l = MapLookup::new();
    l.isolate_env();
    l.set_property("A", "1").set_property("B", "abc").set_property("C", "-12");
    l.set_env("E", "42");
    l.set_feature("F", InstallState::Absent, InstallState::Local);
    l.set_component("C", InstallState::Local, InstallState::Unknown);
    let fused = evaluate_condition(text, &l);
    let parsed = Condition::parse(text).map_or(ConditionResult::Error, |c| c.evaluate(&l));
    assert_eq!(fused, parsed);
});
