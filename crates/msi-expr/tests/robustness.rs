//! Property tests: no input makes either parser panic, and both stay fast on any input.

use std::time::{Duration, Instant};

use msi_expr::{
    Condition, ConditionResult, Field, InstallState, MapLookup, Record, evaluate_condition,
    format_record, format_string,
};
use proptest::prelude::*;

fn lookup() -> MapLookup {
    let mut l = MapLookup::new();
    l.isolate_env();
    l.set_property("A", "1")
        .set_property("B", "[A]")
        .set_property("C", "\\x")
        .set_property("D", "{[B]}")
        .set_env("E", "env")
        .set_feature("F", InstallState::Absent, InstallState::Local)
        .set_component("G", InstallState::Local, InstallState::Unknown)
        .set_file_path("H", "/h");
    l
}

/// Text built mostly from the characters both languages give meaning to.
fn expression_text() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "{{",
        "}}",
        "\\",
        "~",
        "%",
        "#",
        "!",
        "$",
        "?",
        "&",
        "\"",
        "<",
        ">",
        "=",
        "-",
        ".",
        " ",
        "NOT ",
        " AND ",
        " OR ",
        " XOR ",
        " EQV ",
        " IMP ",
        "A",
        "B",
        "C",
        "D",
        "E",
        "F",
        "G",
        "H",
        "0",
        "1",
        "65536",
        "2147483648",
        "é",
        "\t",
        "\0",
        "[1]",
        "[0]",
        "[~]",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn conditions_never_panic(s in expression_text()) {
        let l = lookup();
        let fused = evaluate_condition(&s, &l);
        let parsed = Condition::parse(&s).map(|c| c.evaluate(&l)).unwrap_or(ConditionResult::Error);
        prop_assert_eq!(fused, parsed);
    }

    #[test]
    fn arbitrary_conditions_never_panic(s in any::<String>()) {
        let _ = evaluate_condition(&s, &lookup());
    }

    #[test]
    fn formatting_never_panics(
        t in expression_text(),
        fields in prop::collection::vec(prop_oneof![
            Just(Field::Null),
            any::<i32>().prop_map(Field::from),
            expression_text().prop_map(Field::from),
        ], 0..6),
    ) {
        let l = lookup();
        let r = Record::with_fields(t.as_str(), fields);
        let _ = format_record(&r, None);
        let _ = format_record(&r, Some(&l));
        let _ = format_string(&t, &l);
    }

    #[test]
    fn arbitrary_templates_never_panic(s in any::<String>()) {
        let _ = format_string(&s, &lookup());
    }

    /// Without a package, text with no brackets or braces comes out unchanged.
    #[test]
    fn plain_text_is_unchanged(s in "[^\\[\\]{}]*") {
        prop_assert_eq!(format_record(&Record::from_template(s.as_str()), None), s.clone());
        prop_assert_eq!(format_string(&s, &lookup()), s);
    }
}

/// Large adversarial inputs finish quickly (linear algorithms, no recursion).
#[test]
fn adversarial_inputs_are_fast() {
    let l = lookup();
    let inputs = [
        "(".repeat(200_000),
        "NOT ".repeat(200_000),
        "[".repeat(200_000),
        "[\\".repeat(100_000),
        "{".repeat(200_000),
        "{a".repeat(100_000),
        "[{".repeat(100_000),
        "[[A]".repeat(50_000),
        format!("{}A{}", "[".repeat(100_000), "]".repeat(100_000)),
        "\"".repeat(200_001),
        "1 AND ".repeat(100_000) + "1",
        "{{".repeat(100_000),
        "}}{".repeat(100_000),
    ];
    for s in &inputs {
        let start = Instant::now();
        let _ = evaluate_condition(s, &l);
        let _ = format_string(s, &l);
        let _ = format_record(&Record::from_template(s.as_str()), None);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "slow on {:?}…",
            &s[..20]
        );
    }
}
