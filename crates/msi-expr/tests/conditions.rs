//! The condition language against worked examples ("Conditional Statement Syntax", "Examples
//! of Conditional Statement Syntax", Wine's `test_condition`) and every operator, precedence
//! level and error case.

use msi_expr::{
    Condition, ConditionResult, InstallState, MapLookup, NEST_LIMIT, ParseErrorKind,
    evaluate_condition,
};

use ConditionResult::{Error as E, False as F, None as N, True as T};

fn lookup(props: &[(&str, &str)]) -> MapLookup {
    let mut l = MapLookup::new();
    l.isolate_env();
    for (k, v) in props {
        l.set_property(*k, *v);
    }
    l
}

#[track_caller]
fn check(expr: &str, props: &[(&str, &str)], want: ConditionResult) {
    let l = lookup(props);
    let got = evaluate_condition(expr, &l);
    assert_eq!(got, want, "condition {expr:?} with {props:?}");
    // The parse-once path must agree with the fused one.
    let again = match Condition::parse(expr) {
        Ok(c) => c.evaluate(&l),
        Err(_) => E,
    };
    assert_eq!(again, want, "Condition::parse path for {expr:?}");
}

/// An example: id, condition, properties, expected result.
type Example = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    ConditionResult,
);

/// Worked examples needing no feature or component states.
#[test]
fn worked_examples() {
    const NONE: &[(&str, &str)] = &[];
    let rows: &[Example] = &[
        ("E1", "NOT Installed", NONE, T),
        ("E2", "1", NONE, T),
        ("E3", "0", NONE, F),
        ("E4", "-1", NONE, T),
        ("E5", "\"0\"", NONE, T),
        ("E6", "1 AND \"\"", NONE, F),
        ("E7", "P", &[("P", "0")], T),
        ("E8", "not LicView", NONE, T),
        ("E9", "LicView <> \"1\"", NONE, T),
        ("E10", "LicView <> LicView", NONE, F),
        ("E11", "\"A\" = \"a\"", NONE, F),
        ("E12", "\"A\" ~= \"a\"", NONE, T),
        ("E13", "\"A\" ~ = \"a\"", NONE, E),
        ("E14", "\"1\" > \"12\"", NONE, F),
        ("E15", "\"100\" < \"21\"", NONE, T),
        ("E16", "1 = \"1\"", NONE, F),
        ("E17", "\"\"<>3", NONE, T),
        ("E18", "mm = 5", &[("mm", "5")], T),
        ("E19", "mm = \"5\"", &[("mm", "5")], T),
        ("E20", "bandalmael=0", NONE, F),
        ("E21", "bandalmael<>0", NONE, T),
        ("E22", "bandalmael~<>0", NONE, T),
        ("E23", "bandalmael=0", &[("bandalmael", "-0")], T),
        ("E24", "bandalmael=0", &[("bandalmael", "0000000000000")], T),
        ("E25", "bandalmael=0", &[("bandalmael", "+0")], F),
        ("E26", "bandalmael=0", &[("bandalmael", "0 ")], F),
        ("E27", "bandalmael=0", &[("bandalmael", "0.0")], F),
        ("E28", "bandalmael=0", &[("bandalmael", "0x00")], F),
        ("E29", "A <= X", &[("A", "7"), ("X", "50")], T),
        ("E30", "A <= X", &[("A", "7"), ("X", "50val")], F),
        ("E31", "2 <= X", &[("X", "50val")], F),
        ("E32", "3 >< 1", NONE, T),
        ("E33", "3 >< 4", NONE, F),
        ("E34", "one >< two", &[("one", "1234"), ("two", "1")], F),
        ("E35", "one >< two", &[("one", "one 1234"), ("two", "1")], T),
        ("E36", "one << two", &[("one", "1234"), ("two", "1")], F),
        ("E37", "one >> two", &[("one", "1234"), ("two", "4")], F),
        ("E38", "one << two", &[("one", "hithere"), ("two", "hi")], T),
        (
            "E39",
            "one >> two",
            &[("one", "hithere"), ("two", "there")],
            T,
        ),
        ("E40", "\"ASFD\" ~>< \"\"", NONE, T),
        ("E41", "one >< two", &[("two", "hi")], F),
        ("E42", "one >< two", NONE, F),
        ("E43", "Not LicView ~<< \"Testing\"", NONE, T),
        ("E44", "NOT 1 OR 0", NONE, F),
        ("E45", "0 AND 0 OR 1", NONE, T),
        ("E46", "1 IMP 0", NONE, F),
        ("E47", "0 EQV 0", NONE, T),
        ("E48", "1 IMP 1 OR 0", NONE, T),
        ("E49", "1 XOR 1 OR 1", NONE, F),
        ("E50", "0 EQV 0 OR 1", NONE, F),
        ("E51", "0 IMP 0 XOR 1", NONE, T),
        ("E52", "( 1 AND 1 ) = 2", NONE, E),
        ("E53", "(1<<1) == 2", NONE, E),
        ("E54", "0 < > 0", NONE, E),
        ("E55", "1 IMPL 1", NONE, E),
        ("E56", "(((((1))))))", NONE, E),
        ("E57", "X != \"\"", &[("X", "5.0")], E),
        ("E58", "\"2\" < \"1.1", NONE, E),
        ("E59", "MsiNetAssemblySupport < \"1.1.4322\"", NONE, T),
        (
            "E60",
            "MsiNetAssemblySupport < \"1.1.14322\"",
            &[("MsiNetAssemblySupport", "1.1.4322")],
            F,
        ),
        ("E61", "&nofeature", NONE, F),
        ("E62", "&nofeature=\"\"", NONE, T),
        ("E63", "&nofeature<>3", NONE, T),
        ("E64", "\"a\u{030A}\"=\"\u{00E5}\"", NONE, F),
        ("E65", "_1 = _1", NONE, T),
        ("E66", "P >< 4", &[("P", "5")], T),
        ("E67", "65537 >> 1", NONE, T),
        ("E68", "131072 << 2", NONE, T),
        (
            "E73",
            "PATCH AND PATCH >< MEDIASRCPROPNAME",
            &[("PATCH", "a.msp;b.msp"), ("MEDIASRCPROPNAME", "a.msp")],
            T,
        ),
        (
            "E74",
            "NOT SERVERNAME><QUOTES",
            &[("SERVERNAME", "srv\"x"), ("QUOTES", "\"")],
            F,
        ),
        ("E75", "1.5 = 1", NONE, T),
        ("E76", "2147483648 = 2147483647", NONE, T),
        ("E77", "NOT-1", NONE, F),
        ("E78", "NOT NOT 1", NONE, T),
        ("E79", "1 OR \t1", NONE, E),
    ];
    for (id, expr, props, want) in rows {
        let l = lookup(props);
        assert_eq!(evaluate_condition(expr, &l), *want, "{id}: {expr:?}");
        check(expr, props, *want);
    }
}

/// Feature and component states ("Conditional Statement Syntax").
#[test]
fn feature_and_component_states() {
    use InstallState::*;
    let mut l = lookup(&[]);
    l.set_feature("F", Absent, Local);
    l.set_component("C", Local, Local);
    l.set_component("D", Local, Unknown);
    let cases = [
        ("&F=3", T),                 // E69
        ("(&F=3) AND NOT(!F=3)", T), // E70
        ("?C=$C", T),                // E71
        ("$D", T),                   // E72: -1 is a non-zero integer
        ("$D=-1", T),                // no action is -1 ("Conditional Statement Syntax")
        ("!F=2", T),
        ("!F", T),
        ("& F = 3", T), // spaces between prefix and name
        ("!nofeature=\"\"", T),
        ("$nocomponent=\"\"", T),
        ("?nocomponent=\"\"", T),
        ("?nocomponent", F),
        ("&F = \"3\"", F), // integer state vs literal
        ("&F <> \"3\"", T),
        ("&F ~= 3", T),
        ("?C >< 1", T), // 3 & 1
        ("$", E),
        ("&1", E),
        ("!(F)", E),
    ];
    for (expr, want) in cases {
        assert_eq!(evaluate_condition(expr, &l), want, "{expr:?}");
    }
}

#[test]
fn empty_conditions_are_none() {
    check("", &[], N);
    check("   ", &[], N);
    assert!(Condition::parse(" ").unwrap().is_empty());
    check("()", &[], E);
    check("\t", &[], E);
}

#[test]
fn environment_variables() {
    let mut l = lookup(&[]);
    l.set_env("CrazyVar", "crazyval");
    l.set_env("NUM", "42");
    let cases = [
        ("%CRAZYVAR = \"crazyval\"", T),
        ("%crazyvar = \"crazyval\"", T), // names ignore case
        ("%NUM = 42", T),                // a Symbol converts to a number
        ("%NUM > \"5\"", T),             // a Symbol and two all-digit strings: 42 > 5 numerically
        ("%UNDEFINED", F),
        ("%UNDEFINED = \"\"", T),
        ("% NUM = 42", T),
        ("%1", E),
        ("%", E),
        ("%NOT", E),
    ];
    for (expr, want) in cases {
        assert_eq!(evaluate_condition(expr, &l), want, "{expr:?}");
    }
}

/// Every operator with integers, strings and the mixed kinds.
#[test]
fn operator_table() {
    let p: &[(&str, &str)] = &[
        ("S", "Hello"),
        ("N", "12"),
        ("M", "-3"),
        ("Z", "0"),
        ("BIG", "4294967297"),
    ];
    let rows: &[(&str, ConditionResult)] = &[
        // integer ⋄ integer
        ("1 = 1", T),
        ("1 <> 1", F),
        ("1 < 2", T),
        ("2 > 1", T),
        ("1 <= 1", T),
        ("1 >= 2", F),
        ("1 ~= 1", T),
        ("1 ~<> 2", T),
        ("1 ~< 2", T),
        ("1 ~> 2", F),
        ("1 ~<= 0", F),
        ("1 ~>= 1", T),
        ("0 ~> 1", F),
        ("6 >< 3", T),
        ("6 ~>< 1", F),
        ("-1 >< 1", T),
        ("65536 << 1", T),
        ("65536 ~<< 1", F),
        ("-1 << 65535", T),
        ("-1 << -1", F),
        ("65537 >> 1", T),
        ("65537 ~>> 1", F),
        ("-1 >> 65535", T),
        ("1 >> -1", F),
        // integer ⋄ literal: only <> holds
        ("1 = \"1\"", F),
        ("0 < \"100\"", F),
        ("100 > \"0\"", F),
        ("\"A\" ~= 1", F),
        ("1 <> \"1\"", T),
        ("1 ~<> \"x\"", T),
        ("\"x\" <> 1", T),
        ("1 >< \"1\"", F),
        ("1 << \"1\"", F),
        ("1 >> \"1\"", F),
        // integer ⋄ property
        ("N = 12", T),
        ("12 = N", T),
        ("N > 2", T),
        ("2 < N", T),
        ("M = -3", T),
        ("M < 0", T),
        ("N >< 4", T),
        ("N >> 12", T),
        ("BIG = 1", T),
        ("S = 0", F),
        ("S <> 0", T),
        ("S ~<> 0", T),
        ("S < 1", F),
        ("S >< 1", F),
        ("Z = 0", T),
        ("Z", T),
        // string ⋄ string, relational
        ("\"abc\" < \"abd\"", T),
        ("\"abc\" > \"ab\"", T),
        ("\"\" < \"a\"", T),
        ("\"a\" <= \"a\"", T),
        ("\"b\" >= \"a\"", T),
        ("\"a\" <> \"A\"", T),
        ("\"a\" ~<> \"A\"", F),
        ("\"B\" ~> \"a\"", T),
        ("\"_\" ~< \"a\"", T),
        ("\"_\" < \"a\"", T),
        ("\"_\" > \"A\"", T),
        ("\"a\" ~<= \"A\"", T),
        ("\"a\" ~>= \"B\"", F),
        ("\"Ä\" ~= \"ä\"", T),
        ("\"İ\" ~= \"i\"", T),
        ("N > \"5\"", T),      // a property and two all-digit strings: numeric
        ("\"12\" > \"5\"", F), // two literals: string order
        ("M < \"1\"", T),      // "-3" is not all-digit: string order '-' < '1'
        ("N = \"012\"", T),    // numeric: 12 = 12
        // string ⋄ string, substring
        ("S >< \"ell\"", T),
        ("S >< \"ELL\"", F),
        ("S ~>< \"ELL\"", T),
        ("S << \"He\"", T),
        ("S << \"he\"", F),
        ("S ~<< \"he\"", T),
        ("S >> \"llo\"", T),
        ("S ~>> \"LLO\"", T),
        ("S >> \"x\"", F),
        ("S >< \"\"", T),
        ("\"\" >< \"\"", F),
        ("\"\" >< S", F),
        ("\"3\" >< \"1\"", T),
        ("\"65536\" << \"1\"", T),
        ("\"12\" >> \"2\"", F),
        ("\"12\" ~<< \"0\"", F),
        ("\"Straße\" ~>< \"SS\"", F),
        ("\"ÄBC\" ~<< \"äb\"", T),
    ];
    for (expr, want) in rows {
        check(expr, p, *want);
    }
}

/// Precedence ("Conditional Statement Syntax"): comparison > NOT > AND > OR > XOR > EQV > IMP, all
/// left-associative.
#[test]
fn precedence_levels() {
    let rows: &[(&str, ConditionResult)] = &[
        ("NOT 0 AND 0", F),  // (NOT 0) AND 0
        ("NOT 1 = 2", T),    // NOT (1 = 2)
        ("1 OR 1 AND 0", T), // 1 OR (1 AND 0)
        ("0 AND 1 OR 1", T),
        ("1 OR 0 XOR 1", F),  // (1 OR 0) XOR 1
        ("1 XOR 0 OR 1", F),  // 1 XOR (0 OR 1)
        ("1 XOR 1 EQV 0", T), // (1 XOR 1) EQV 0
        ("0 EQV 1 XOR 1", T), // 0 EQV (1 XOR 1)
        ("1 EQV 0 IMP 0", T), // (1 EQV 0) IMP 0
        ("0 IMP 1 EQV 0", T), // 0 IMP (1 EQV 0) — the Doc order; Wine: (0 IMP 1) EQV 0 = F
        ("1 IMP 0 IMP 0", T), // left-assoc: (1 IMP 0) IMP 0
        ("0 IMP 0 IMP 0", F), // (0 IMP 0) IMP 0
        ("1 XOR 1 XOR 1", T),
        ("(1 XOR 1) OR 1", T),
        ("NOT (1 AND 0)", T),
        ("NOT(1)", F),
        ("not not not 0", T),
        ("1 and 0 or 1 xor 1 eqv 0 imp 1", T),
        ("1 AnD 1", T),
        ("((1)) AND ((0) OR (1))", T),
    ];
    for (expr, want) in rows {
        check(expr, &[], *want);
    }
}

#[track_caller]
fn check_err(expr: &str, kind: ParseErrorKind, span: std::ops::Range<usize>) {
    let err = Condition::parse(expr).expect_err(expr);
    assert_eq!((err.kind(), err.span()), (kind, span), "{expr:?}");
    assert_eq!(evaluate_condition(expr, &lookup(&[])), E, "{expr:?}");
}

/// Error cases, compared by kind and span.
#[test]
fn errors_by_kind_and_span() {
    use ParseErrorKind::*;
    check_err("\"A\" ~ = \"a\"", InvalidOperator, 4..5);
    check_err("~", InvalidOperator, 0..1);
    check_err("\"2\" < \"1.1", UnterminatedString, 6..10);
    check_err("1 OR \t1", UnexpectedCharacter, 5..6);
    check_err("1 + 1", UnexpectedCharacter, 2..3);
    check_err("[a]", UnexpectedCharacter, 0..1);
    check_err("é", UnexpectedCharacter, 0..2);
    check_err("1 IMPL 1", ExpectedOperator, 2..6);
    check_err("1a", ExpectedOperator, 1..2);
    check_err("0 >=", ExpectedValue, 4..4);
    check_err("( 1 AND 1 ) = 2", ExpectedOperator, 12..13);
    check_err("(1<<1) == 2", ExpectedOperator, 7..8);
    check_err("0 < > 0", ExpectedValue, 4..5);
    check_err("X != \"\"", ExpectedOperator, 2..3);
    check_err("(((((1))))))", UnmatchedParen, 11..12);
    check_err("((1)", UnclosedParen, 0..1);
    check_err("1 OR (", ExpectedValue, 6..6);
    check_err("1 = 2 = 3", ExpectedOperator, 6..7);
    check_err("AND 1", ExpectedValue, 0..3);
    check_err("1 NOT 1", ExpectedOperator, 2..5);
    check_err("NOT", ExpectedValue, 3..3);
    check_err("%1", ExpectedName, 1..2);
    check_err("$ ", ExpectedName, 2..2);
    check_err("1 == 1", ExpectedValue, 3..4);
    check_err("1 => 1", ExpectedValue, 3..4);
    let err = Condition::parse("\"A\" ~ = \"a\"").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid operator at 4..5\n\"A\" ~ = \"a\"\n    ^"
    );
}

#[test]
fn literals_are_not_formatted() {
    check(
        "MsiNetAssemblySupport < \"[a]\"",
        &[("MsiNetAssemblySupport", "1")],
        T,
    );
    check("P = \"[a]\"", &[("P", "[a]")], T);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let ok = format!("{}1{}", "(".repeat(NEST_LIMIT), ")".repeat(NEST_LIMIT));
    check(&ok, &[], T);
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    check_err(
        &deep,
        ParseErrorKind::NestTooDeep,
        NEST_LIMIT..NEST_LIMIT + 1,
    );
    let nots = format!("{}1", "NOT ".repeat(100_000));
    assert_eq!(evaluate_condition(&nots, &lookup(&[])), E);
    let even = format!("{}1", "NOT ".repeat(NEST_LIMIT));
    check(&even, &[], T);
    let long = vec!["1"; 100_000].join(" AND ");
    check(&long, &[], T);
}

#[test]
fn result_numbers_and_names() {
    assert_eq!(
        [F, T, N, E].map(|r| (r as i32, r.name(), r.word())),
        [
            (0, "MSICONDITION_FALSE", "false"),
            (1, "MSICONDITION_TRUE", "true"),
            (2, "MSICONDITION_NONE", "none"),
            (3, "MSICONDITION_ERROR", "error")
        ]
    );
    assert!(T.runs() && N.runs() && !F.runs() && !E.runs());
    use InstallState::*;
    let states = [
        NotUsed,
        BadConfig,
        Incomplete,
        SourceAbsent,
        MoreData,
        InvalidArg,
        Unknown,
        Broken,
        Advertised,
        Absent,
        Local,
        Source,
        Default,
    ];
    for (s, v) in states.iter().zip(-7..=5) {
        assert_eq!(s.value(), v);
        assert_eq!(InstallState::from_value(v), Some(*s));
    }
    assert_eq!(Local.name(), "INSTALLSTATE_LOCAL");
}

/// More Windows-verified expectations from the same conformance test (Wine's
/// `test_condition`): (properties, condition, result).
#[test]
fn more_windows_verified_vectors() {
    type Case = (
        &'static [(&'static str, &'static str)],
        &'static str,
        ConditionResult,
    );
    const NO: &[(&str, &str)] = &[];
    let cases: &[Case] = &[
        (NO, "0 = 0", T),
        (NO, "0 <> 0", F),
        (NO, "0 = 1", F),
        (NO, "0 > 1", F),
        (NO, "1 > 1", F),
        (NO, "1 ~> 1", F),
        (NO, "0 >= 1", F),
        (NO, "0 ~>= 1", F),
        (NO, "0 < 1", T),
        (NO, "0 ~< 1", T),
        (NO, "1 < 1", F),
        (NO, "1 ~< 1", F),
        (NO, "0 <= 1", T),
        (NO, "0 ~<= 1", T),
        (NO, "1 <= 1", T),
        (NO, "1 ~<= 1", T),
        (NO, "LicView <> \"0\"", T),
        (NO, "not 0", T),
        (NO, "\"Testing\" ~<< \"Testing\"", T),
        (NO, "LicView ~<< \"Testing\"", F),
        (NO, "not \"A\"", F),
        (NO, "~not \"A\"", E),
        (NO, "1 and 2", T),
        (NO, "not 0 and 3", T),
        (NO, "not 0 and 0", F),
        (NO, "not 0 or 1", T),
        (NO, "(0)", F),
        (NO, "(((((1)))))", T),
        (NO, " \"A\" < \"B\" ", T),
        (NO, " \"A\" > \"B\" ", F),
        (NO, " \"A\" = 1 ", F),
        (NO, " 1 ~= \"1\" ", F),
        (NO, " 0 = \"1\" ", F),
        (NO, "1 XOR 1", F),
        (NO, "1 IMP 1", T),
        (NO, "0 IMP 0", T),
        (NO, "0 EQV 1", F),
        (NO, "\"ASFD\" >< \"S\" ", T),
        (NO, "\"ASFD\" ~>< \"s\" ", T),
        (NO, "\"ASFD\" ~>< \"sss\" ", F),
        (&[("mm", "5")], "mm < 6", T),
        (&[("mm", "5")], "mm <= 5", T),
        (&[("mm", "5")], "mm > 4", T),
        (&[("mm", "5")], "mm < 12", T),
        (NO, "0 = \"\"", F),
        (NO, "0 AND \"\"", F),
        (NO, "1 AND \"1\"", T),
        (NO, "NOT 0 AND 1", T),
        (NO, "0 AND 1 OR 1", T),
        (NO, "NOT 0 AND 1 OR 0", T),
        (NO, "NOT ( 1 AND 1 )", F),
        (NO, "NOT A AND (BBBBBBBBBB=2 OR CCC=1) AND Ddddddddd", F),
        (NO, "Installed<>\"\"", F),
        (NO, "NOT 1 AND 0", F),
        (NO, "bandalmael<0", F),
        (NO, "bandalmael>0", F),
        (NO, "bandalmael>=0", F),
        (NO, "bandalmael<=0", F),
        (&[("bandalmael", "0")], "bandalmael=0", T),
        (&[("bandalmael", "asdf")], "bandalmael=0", F),
        (&[("bandalmael", "0asdf")], "bandalmael=0", F),
        (&[("bandalmael", "--0")], "bandalmael=0", F),
        (&[("bandalmael", "-")], "bandalmael=0", F),
        (&[("bandalmael", "0.0")], "bandalmael<>0", T),
        (&[("one", "hi"), ("two", "hithere")], "one >< two", F),
        (&[("one", "hithere"), ("two", "hi")], "one >< two", T),
        (&[("one", "hello"), ("two", "hi")], "one >< two", F),
        (&[("one", "hellohithere"), ("two", "hi")], "one >< two", T),
        (&[("one", "hi")], "one >< two", T),
        (&[("one", "hi"), ("two", "hithere")], "one << two", F),
        (&[("one", "hi"), ("two", "hi")], "one << two", T),
        (&[("one", "abcdhithere"), ("two", "hi")], "one << two", F),
        (&[("two", "hi")], "one << two", F),
        (&[("one", "hithere")], "one << two", T),
        (NO, "one << two", F),
        (&[("one", "1234 one"), ("two", "1")], "one << two", T),
        (&[("one", "hithere"), ("two", "hi")], "one >> two", F),
        (&[("one", "there"), ("two", "hithere")], "one >> two", F),
        (&[("one", "there"), ("two", "there")], "one >> two", T),
        (&[("one", "abcdhithere"), ("two", "hi")], "one >> two", F),
        (&[("two", "there")], "one >> two", F),
        (&[("one", "there")], "one >> two", T),
        (NO, "one >> two", F),
        (&[("one", "one 1234"), ("two", "4")], "one >> two", T),
        (NO, "MsiNetAssemblySupport > \"1.1.4322\"", F),
        (NO, "MsiNetAssemblySupport >= \"1.1.4322\"", F),
        (NO, "MsiNetAssemblySupport <= \"1.1.4322\"", T),
        (NO, "MsiNetAssemblySupport <> \"1.1.4322\"", T),
        (NO, "MsiNetAssemblySupport ~< \"1.1.4322\"", T),
        (NO, "MsiNetAssemblySupport < \"abcd\"", T),
        (NO, "MsiNetAssemblySupport < \"0000001.1.4322\"", T),
        (NO, "MsiNetAssemblySupport < \"0\"", T),
        (NO, "MsiNetAssemblySupport < \"-1\"", T),
        (NO, "MsiNetAssemblySupport < \" \"", T),
        (NO, "MsiNetAssemblySupport < \"{a\"", T),
        (NO, "MsiNetAssemblySupport < \"A\"", T),
        (NO, "\"2\" < \"1.1\"", F),
        (NO, "\"2\" < \"12.1\"", F),
        (NO, "\"02.1\" < \"2.11\"", T),
        (NO, "\"02.1.1\" < \"2.1\"", T),
        (
            &[("MsiNetAssemblySupport", "1.1.4322")],
            "MsiNetAssemblySupport < \"1.1.5\"",
            T,
        ),
        (
            &[("MsiNetAssemblySupport", "1.1.4322")],
            "MsiNetAssemblySupport < \"1.1\"",
            F,
        ),
        (
            &[("MsiNetAssemblySupport", "1.1.4322")],
            "MsiNetAssemblySupport < \"1\"",
            F,
        ),
        (&[("one", "1")], "one < \"1\"", F),
        (&[("X", "5.0")], "X =\"5.0\"", T),
        (&[("X", "5.0")], "X =\"5.1\"", F),
        (&[("X", "5.0")], "X =\"5.0\" or X =\"5.1\" or X =\"6.0\"", T),
        (
            &[("X", "5.0")],
            "(X =\"5.0\" or X =\"5.1\" or X =\"6.0\")",
            T,
        ),
        (
            &[("X", "5.0")],
            "X !=\"\" and (X =\"5.0\" or X =\"5.1\" or X =\"6.0\")",
            E,
        ),
        (&[("A", "2"), ("X", "50")], "2 <= X", T),
        (&[("A", "2"), ("X", "50")], "A <= X", T),
        (&[("A", "2"), ("X", "50")], "A <= 50", T),
        (&[("A", "2"), ("X", "50val")], "A <= X", T),
        (&[("A", "7"), ("X", "50")], "7 <= X", T),
        (&[("A", "7"), ("X", "50")], "A <= 50", T),
        (NO, "\"a\u{30A}\"<\"\u{E5}\"", T),
        (NO, "\"a\u{30A}\">\"\u{E5}\"", F),
        (NO, "\"a\u{30A}\"<>\"\u{E5}\"", T),
    ];
    for (props, expr, want) in cases {
        check(expr, props, *want);
    }
}
