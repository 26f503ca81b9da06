//! Formatted strings against worked examples from Wine's `test_formatrecord` (all
//! Windows-verified) and the file, component and environment rules of "Formatted".

use msi_expr::{
    Field, FormatOptions, InstallState, Lookup, MapLookup, Record, format_record,
    format_record_with, format_string, format_string_with,
};

#[derive(Clone, Copy)]
enum V {
    S(&'static str),
    I(i32),
}

fn record(template: Option<&str>, count: usize, fields: &[(usize, V)]) -> Record {
    let mut r = Record::new(count).expect("small record");
    if let Some(t) = template {
        r.set(0, t);
    }
    for (i, v) in fields {
        let f = match v {
            V::S(s) => Field::from(*s),
            V::I(n) => Field::from(*n),
        };
        assert!(r.set(*i, f));
    }
    r
}

fn package(props: &[(&str, &str)]) -> MapLookup {
    let mut l = MapLookup::new();
    l.isolate_env();
    for (k, v) in props {
        l.set_property(*k, *v);
    }
    l
}

type Row = (
    &'static str,
    Option<&'static str>,
    usize,
    &'static [(usize, V)],
    Option<&'static [(&'static str, &'static str)]>,
    &'static str,
);

use V::{I, S};

const F12: &[(usize, V)] = &[(1, S("2")), (2, S("hey")), (3, S("1")), (12, S("big"))];
const BOO_HOO: &[(usize, V)] = &[(1, S("boo")), (2, S("hoo"))];
const NOPROPS: Option<&[(&str, &str)]> = Some(&[]);

const ROWS: &[Row] = &[
    ("X1", None, 4, &[], None, "1:  2:  3:  4:  "),
    (
        "X2",
        Some(""),
        6,
        BOO_HOO,
        None,
        "1: boo 2: hoo 3:  4:  5:  6:  ",
    ),
    (
        "X3",
        Some(""),
        6,
        &[(1, S("123")), (2, I(4567))],
        None,
        "1: 123 2: 4567 3:  4:  5:  6:  ",
    ),
    ("X4", None, 0, &[], None, ""),
    ("X5", Some("%1"), 6, &[], None, "%1"),
    ("X6", Some("[1]"), 6, &[], None, ""),
    (
        "X7",
        Some("[1] test [0]"),
        6,
        &[(1, S("boo"))],
        None,
        "boo test [1] test [0]",
    ),
    (
        "X8",
        Some("[[1]] [2]"),
        6,
        &[(1, S("2")), (2, S("hey"))],
        None,
        "hey hey",
    ),
    (
        "X9",
        Some("[[1]] [2]"),
        6,
        &[(1, S("[2]")), (2, S("hey"))],
        None,
        "[[2]] hey",
    ),
    ("X10", Some("[[3][1]] [2]"), 12, F12, None, "big hey"),
    (
        "X11",
        Some("[[3][[4]][1]] [2]"),
        12,
        F12,
        None,
        "[1[]2] hey",
    ),
    (
        "X12",
        Some("[[[3][[4]][1]] [2]"),
        12,
        F12,
        None,
        "[[[3][[4]][1]] [2]",
    ),
    (
        "X13",
        Some("[[3][[4]][1]] [2]]"),
        12,
        F12,
        None,
        "[1[]2] hey]",
    ),
    ("X14", Some("[01]"), 12, &[(1, S("hoo"))], None, "hoo"),
    ("X15", Some("[ 1]"), 12, &[(1, S("hoo"))], None, "[ 1]"),
    ("X16", Some("[-1]"), 12, &[], None, "[-1]"),
    ("X17", Some("[100]"), 12, &[], None, ""),
    ("X18", Some("[0]"), 12, &[], None, "[0]"),
    ("X19", Some("[]"), 12, &[], None, "[]"),
    (
        "X20",
        Some("[1] [2] [property]"),
        12,
        BOO_HOO,
        None,
        "boo hoo [property]",
    ),
    ("X21", Some("[\\x]"), 12, &[], None, "[\\x]"),
    ("X22", Some("[1] [~] [2]"), 12, BOO_HOO, None, "boo [~] hoo"),
    ("X23", Some("[%FOO]"), 12, &[], None, "[%FOO]"),
    (
        "X24",
        Some("[1] [2]"),
        12,
        &[(1, I(100)), (2, I(-100))],
        None,
        "100 -100",
    ),
    ("X25", Some("{[3][1]} [2]"), 12, F12, None, "12 hey"),
    ("X26", Some("{[1][2][3][4]} [2]"), 12, F12, None, " hey"),
    ("X27", Some("a{b[1]c}d"), 12, &[], None, "ad"),
    ("X28", Some("{test} [2]"), 12, F12, None, "{test} hey"),
    ("X29", Some("{[test]} [2]"), 12, F12, None, "{[test]} hey"),
    (
        "X30",
        Some("{[1][2][3][4][dummy]} [2]"),
        12,
        F12,
        None,
        "{2hey1[dummy]} hey",
    ),
    ("X31", Some("{}"), 12, &[], None, ""),
    ("X32", Some("{ }"), 12, &[], None, "{ }"),
    ("X33", Some("{{[1]}}"), 12, &[(1, S("hoo"))], None, ""),
    ("X34", Some("{{a} b}}"), 12, &[], None, ""),
    ("X35", Some(" {{a}}}"), 12, &[], None, " }"),
    ("X36", Some("{{{def}}hi{jk}}"), 12, &[], None, "hi{jk}}"),
    (
        "X37",
        Some("{{[1]} }"),
        12,
        &[(1, S("hoo"))],
        None,
        "{{hoo} }",
    ),
    (
        "X38",
        Some("{{[1]}[2]} {[4]}{[1][2]}"),
        12,
        &[(1, S("1")), (2, S("2")), (3, S("3"))],
        None,
        "{{1}2} {}{12}",
    ),
    (
        "X39",
        Some("{[1][2]} {{[1][2]}[3]} {[1][2]}"),
        12,
        &[(1, S("1")), (2, S("2")), (3, S("3"))],
        None,
        "12 {{12}3} {12}",
    ),
    (
        "X40",
        Some("{ {[1]}}"),
        12,
        &[(1, S("hoo"))],
        None,
        " {hoo}",
    ),
    (
        "X41",
        Some("0{1{2{3{4[1]5}6}7}8}9"),
        12,
        &[(1, S("hoo"))],
        None,
        "01{2{3{4hoo56}7}8}9",
    ),
    (
        "X42",
        Some("{[{[1]}]}"),
        12,
        &[(1, S("2"))],
        None,
        "{[{[1]}]}",
    ),
    ("X43", Some("{[1][}"), 12, &[(1, S("2"))], None, "2["),
    ("X44", Some("[{[3][1]}] [2]"), 12, F12, None, "[12] hey"),
    (
        "X45",
        Some("[[1]{}[1]]"),
        12,
        &[(1, S("2"))],
        None,
        "[[1]2]",
    ),
    ("X46", Some("[{{boo}}1]"), 12, &[(1, S("hoo"))], None, "[1]"),
    (
        "X47",
        Some("{[1]{{boo} }}"),
        12,
        &[(1, S("hoo"))],
        None,
        "hoo{{boo }}",
    ),
    (
        "X48",
        Some("{a[0]b}"),
        12,
        &[(1, S("foo"))],
        None,
        "a{a[0]b}b",
    ),
    (
        "X49",
        Some("[1] [2] [\\3asdf]"),
        12,
        BOO_HOO,
        NOPROPS,
        "boo hoo 3",
    ),
    (
        "X50",
        Some("[\\[]Bracket Text[\\]]"),
        12,
        &[],
        NOPROPS,
        "[Bracket Text]",
    ),
    ("X51", Some("[\\a[]"), 12, &[], NOPROPS, "a"),
    ("X52", Some("[\\["), 12, &[], NOPROPS, "[\\["),
    ("X53", Some("[[]"), 12, &[], NOPROPS, "[[]"),
    ("X54", Some("[abc\\x]"), 12, &[], NOPROPS, ""),
    (
        "X55",
        Some("[1] [~] [2]"),
        12,
        BOO_HOO,
        NOPROPS,
        "boo \0 hoo",
    ),
    (
        "X56",
        Some("[1] [~abc] [2]"),
        12,
        BOO_HOO,
        NOPROPS,
        "boo  hoo",
    ),
    (
        "X57",
        Some("[1] [invalid] [2]"),
        12,
        BOO_HOO,
        NOPROPS,
        "boo  hoo",
    ),
    (
        "X58",
        Some("[dummy[1]] [dummy[2]] [[1]dummy[3]]"),
        12,
        &[(1, S("a")), (2, S("b")), (3, S("c"))],
        Some(&[("dummya", "foo"), ("dummyb", "baa"), ("adummyc", "whoa")]),
        "foo baa whoa",
    ),
    (
        "X59",
        Some("[dummya] [[dummya]] [dummyb]"),
        12,
        &[(1, S("aaa")), (2, S("bbb")), (3, S("ccc"))],
        Some(&[("dummya", "1"), ("dummyb", "[2]")]),
        "1 [1] [2]",
    ),
    (
        "X60",
        Some("[dummyc] [[dummyc]] [dummy[dummyb]]"),
        12,
        &[],
        Some(&[("dummya", "1"), ("dummyb", "a"), ("dummyc", "\\blath")]),
        "\\blath b 1",
    ),
    (
        "X61",
        Some("[1] [2] [[3]]"),
        12,
        &[(1, S("boo")), (2, S("hoo")), (3, S("\\help"))],
        NOPROPS,
        "boo hoo h",
    ),
    (
        "X62",
        Some("[1] [2] [[\\3asdf]]"),
        12,
        &[(1, S("boo")), (2, S("hoo")), (3, S("yeah"))],
        NOPROPS,
        "boo hoo [3]",
    ),
    (
        "X63",
        Some("[PropC]"),
        12,
        &[],
        Some(&[("PropB", "[PropA]"), ("PropC", "[PropB]")]),
        "[PropB]",
    ),
    (
        "X64",
        Some("[[PropC]]"),
        12,
        &[],
        Some(&[
            ("PropA", "surprise"),
            ("PropB", "[PropA]"),
            ("PropC", "[PropB]"),
        ]),
        "",
    ),
    (
        "X65",
        Some("[[[PropC]]]"),
        12,
        &[],
        Some(&[
            ("PropA", "surprise"),
            ("PropB", "PropA"),
            ("PropC", "PropB"),
        ]),
        "surprise",
    ),
    (
        "X66",
        Some("{a[one]bc[two]de[one]f}"),
        12,
        &[],
        Some(&[("one", "mercury"), ("two", "venus")]),
        "amercurybcvenusdemercuryf",
    ),
    (
        "X67",
        Some("{a[one]bc[bad]de[two]f}"),
        12,
        &[],
        Some(&[("one", "mercury"), ("two", "venus")]),
        "",
    ),
    (
        "X68",
        Some("[1] {[noprop] [one]} {abcdef}"),
        12,
        &[(1, S("one"))],
        Some(&[("one", "mercury")]),
        "one  {abcdef}",
    ),
    (
        "X69",
        Some("{abc{d[one]ef}"),
        12,
        &[],
        Some(&[("one", "mercury")]),
        "abc{dmercuryef",
    ),
    (
        "X70",
        None,
        12,
        &[
            (1, S("[2]")),
            (2, S("stuff")),
            (3, S("prop")),
            (4, S("[prop]")),
            (5, S("[noprop]")),
        ],
        Some(&[("prop", "val")]),
        "1: [2] 2: stuff 3: prop 4: val 5:  6:  7:  8:  9:  10:  11:  12:  ",
    ),
    ("X72", Some("[~]np"), 1, &[], NOPROPS, "\0np"),
];

#[test]
fn worked_examples() {
    for (id, template, count, fields, props, want) in ROWS {
        let r = record(*template, *count, fields);
        let got = match props {
            None => format_record(&r, None),
            Some(p) => format_record(&r, Some(&package(p) as &dyn Lookup)),
        };
        assert_eq!(got, *want, "{id}: template {template:?}");
    }
}

#[test]
fn environment_in_a_field_value() {
    // X71: default template, field 1 = [%crazyvar], environment CRAZYVAR = crazyval.
    let r = record(None, 1, &[(1, S("[%crazyvar]"))]);
    let mut l = package(&[]);
    l.set_env("CRAZYVAR", "crazyval");
    assert_eq!(format_record(&r, Some(&l)), "1: crazyval ");
    assert_eq!(format_string("[%idontexist]", &l), "");
    assert_eq!(format_string("{[%CrAzYvAr]}", &l), "{crazyval}");
}

/// "Formatted": the file and component rows of test_formatrecord_tables, with the engine's
/// answers supplied through the lookup.
#[test]
fn files_and_components() {
    let mut l = package(&[]);
    l.set_file_path("frontal_file", "C:\\frontal.txt");
    l.set_file_path(
        "temporal_file",
        "C:\\I am a really long directory\\temporal.txt",
    );
    l.set_file_short_path("temporal_file", "C:\\IAMARE~1\\temporal.txt");
    l.set_component_directory("temporal", "C:\\I am a really long directory\\");
    assert_eq!(format_string("[#frontal_file]", &l), "C:\\frontal.txt");
    assert_eq!(format_string("[!frontal_file]", &l), "C:\\frontal.txt");
    assert_eq!(
        format_string("[!temporal_file]", &l),
        "C:\\I am a really long directory\\temporal.txt",
        "outside Registry/IniFile values [!key] is the long path"
    );
    assert_eq!(
        format_string_with("[!temporal_file]", &l, FormatOptions::registry_value()),
        "C:\\IAMARE~1\\temporal.txt"
    );
    assert_eq!(
        format_string_with("[!frontal_file]", &l, FormatOptions::registry_value()),
        "C:\\frontal.txt",
        "no short path known: the full path"
    );
    assert_eq!(
        format_string("[$temporal]", &l),
        "C:\\I am a really long directory\\"
    );
    assert_eq!(format_string("[#nofile]", &l), "");
    assert_eq!(format_string("[$nocomp]x", &l), "x");
    // Other-only groups keep their braces (undocumented; Wine's rule).
    assert_eq!(format_string("{[#nofile]}", &l), "{}");
    assert_eq!(
        format_string("[\\[]Bracket Text[\\]]", &l),
        "[Bracket Text]"
    );
    assert_eq!(format_string("[\\xabcd]", &l), "x");
    assert_eq!(format_string("[abcd\\xefgh]", &l), "");
    assert_eq!(format_string("[~]np", &l), "\0np");
    let _ = InstallState::Local;
}

#[test]
fn formatted_columns() {
    let l = package(&[
        ("INSTALLDIR", "/opt/app/"),
        ("Key", "MsiRestartManagerSessionKey"),
        ("MsiRestartManagerSessionKey", "abc"),
    ]);
    assert_eq!(format_string("", &l), "");
    assert_eq!(format_string("plain text", &l), "plain text");
    assert_eq!(format_string("[INSTALLDIR]bin", &l), "/opt/app/bin");
    assert_eq!(format_string("/key [[Key]]", &l), "/key abc");
    // A Formatted column is a one-field record with a null field 1 (as in Wine; "Formatted" does
    // not list `[n]`).
    assert_eq!(format_string("[0]", &l), "[0]");
    assert_eq!(format_string("a[1]b[2]", &l), "ab");
    assert_eq!(format_string("{[1]}x", &l), "x");
    assert_eq!(format_string("[a[1]b", &l), "[a[1]b");
    assert_eq!(format_string("{x[INSTALLDIR]y}", &l), "x/opt/app/y");
    assert_eq!(format_string("{x[NOPE]y}z", &l), "z");
}

#[test]
fn escape_edge_cases() {
    let l = package(&[("a", "A")]);
    let cases = [
        ("[\\[]", "["),
        ("[\\[]]", "[]"),
        ("[\\[a]", "["),
        ("[\\]", "[\\]"), // undocumented; unclosed: the escape ends after its character
        ("[\\]a]", "]"),  // undocumented
        ("[\\é]", "é"),
        ("[[\\a]]", "A"), // escape inside a key: key "a"
        ("[\\", "[\\"),
    ];
    for (t, want) in cases {
        assert_eq!(format_string(t, &l), want, "{t:?}");
    }
}

#[test]
fn records_without_a_package() {
    let r = Record::with_fields(
        "format this field: [1], format this property: [property]",
        [Field::from("value from field 1")],
    );
    assert_eq!(
        format_record(&r, None),
        "format this field: value from field 1, format this property: [property]"
    );
    let r = Record::with_fields(Field::Int(7), []);
    assert_eq!(format_record(&r, None), "7");
    let r = Record::with_fields("[0]", []);
    assert_eq!(format_record(&r, None), "[0]");
    let r = Record::with_fields("[00000000000000000000001]", [Field::from("x")]);
    assert_eq!(format_record(&r, None), "x", "leading zeros do not count");
    let r = Record::with_fields("[4294967297]", [Field::from("x")]);
    assert_eq!(
        format_record(&r, None),
        "",
        "an index beyond 32 bits is absent (O18)"
    );
    let r = Record::with_fields("{[1]}", [Field::Int(0)]);
    assert_eq!(
        format_record(&r, None),
        "0",
        "an integer field is never absent"
    );
    let r = Record::with_fields("[1]", [Field::from("[2]"), Field::from("x")]);
    assert_eq!(
        format_record(&r, None),
        "[2]",
        "inserted values are not re-scanned"
    );
    let _ = format_record_with(&r, None, FormatOptions::default());
}

#[test]
fn deep_nesting_is_linear_and_safe() {
    let l = package(&[("P", "v")]);
    let deep = format!("{}P{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(format_string(&deep, &l), "");
    let unclosed = "[".repeat(200_000);
    assert_eq!(format_string(&unclosed, &l), unclosed);
    let braces = "{a".repeat(100_000);
    assert_eq!(format_string(&braces, &l), braces);
    let mixed = "[{[".repeat(50_000);
    let _ = format_string(&mixed, &l);
    let r = Record::with_fields(Field::Null, (0..65535).map(Field::Int));
    assert!(format_record(&r, Some(&l)).starts_with("1: 0 2: 1 "));
}

/// More Windows-verified expectations from the same conformance tests (Wine's
/// `test_formatrecord`): (template, fields 1.., package properties or None, result).
#[test]
fn more_windows_verified_vectors() {
    type Case = (
        &'static str,
        &'static [&'static str],
        Option<&'static [(&'static str, &'static str)]>,
        &'static str,
    );
    let hoo: &[&str] = &["hoo"];
    let two: &[&str] = &["2"];
    let cases: &[Case] = &[
        ("[[[3]]] [2]", &["2", "hey", "1"], None, "hey hey"),
        (
            "[[3][4][1]] [2]",
            &["2", "hey", "1", "", "", "", "", "", "", "", "", "big"],
            None,
            "big hey",
        ),
        (
            "{{[1][2]}[3][4][dummy]}",
            &["2", "hey", "1"],
            None,
            "{{2hey}1[dummy]}",
        ),
        ("{{[1][2]}[3]{[4][dummy]}}", &["2", "hey", "1"], None, ""),
        (
            "{[4]}{[1][2]} {{[1][2]}[3]} {[1][2]}",
            &["1", "2", "3"],
            None,
            "12 {{12}3} {12}",
        ),
        (
            "{blah} {[4]}{[1][2]} {{[1][2]}[3]} {[1][2]}",
            &["1", "2", "3"],
            None,
            "{blah} 12 {{12}3} {12}",
        ),
        ("{{[1]}} {[4]}{[1][2]}", &["1", "2", "3"], None, " 12"),
        ("{{{[1]}} {[4]}{[1][2]}", &["1", "2", "3"], None, " 12"),
        (
            "[1] [2] [\\3asdf]",
            &["boo", "hoo"],
            None,
            "boo hoo [\\3asdf]",
        ),
        ("{\\x}", &[], None, "{\\x}"),
        ("[abc\\x]", &[], None, "[abc\\x]"),
        (
            "[\\[]Bracket Text[\\]]",
            &[],
            None,
            "[\\[]Bracket Text[\\]]",
        ),
        ("[~]", &[], None, "[~]"),
        ("{[]}", &[], None, "{[]}"),
        ("{[1] [2]}", &["boo", "hoo"], None, "boo hoo"),
        ("{foo}", &[], None, "{foo}"),
        ("{boo [1]}", hoo, None, "boo hoo"),
        ("{{ [1]}}", hoo, None, ""),
        ("{{a}{b}{c }{ d}{any text}}", &[], None, ""),
        ("{{a} }", &[], None, "{{a} }"),
        ("{{a} {b}}", &[], None, ""),
        ("{{ almost {{ any }} text }}", &[], None, " text }}"),
        ("{{ } { hidden ][ [ }}", &[], None, ""),
        ("{{test}} [01", hoo, None, " [01"),
        ("[01.]", hoo, None, "[01.]"),
        ("{{[1]}", hoo, None, "{{hoo}"),
        ("{{ {[1]}", hoo, None, "{{ {hoo}"),
        ("{{ {{[1]}", hoo, None, "{{ {{hoo}"),
        ("[1]}", hoo, None, "hoo}"),
        ("{{ {{a}", &[], None, "{{ {{a}"),
        ("0{1{2[1]3}4", hoo, None, "01{2hoo34"),
        ("{[1.} [1]", hoo, None, "{[1.} hoo"),
        ("[1{{boo}}]", hoo, None, "[1]"),
        ("{[1{{boo}}]}", hoo, None, "{[1{{boo}}]}"),
        ("{[1{{bo}o}}]}", hoo, None, "{[1{{bo}o}}]}"),
        ("{[1{{b{o}o}}]}", hoo, None, "{[1{{b{o}o}}]}"),
        ("{ {[1]}", hoo, None, " {hoo"),
        ("[[1]{}]", two, None, "[[1]]"),
        ("[a[1]b[1]c{}d[1]e]", two, None, "[a[1]b[1]cd2e]"),
        ("a[1]b]", two, None, "a2b]"),
        ("]a[1]b", two, None, "]a2b"),
        ("\\[1]", two, None, "\\2"),
        ("\\{[1]}", two, None, "\\2"),
        ("{[1][-1][1]}", &["foo"], None, "{foo[-1]foo}"),
        ("{abc{d[one]ef}}", &[], None, "{abc{d[one]ef}}"),
        ("{abc}{{def}hi{j[one]k}}", &[], None, "{abc}"),
        ("{{def}hi{j[one]k}}", &[], None, ""),
        ("{{def}hi{{jk}}}", &[], None, "}"),
        ("{{def}{jk}}", &[], None, ""),
        ("{a{b}c}", &[], None, "{a{b}c}"),
        ("{a{b}}", &[], None, "{a{b}}"),
        ("{{b}c}", &[], None, "{{b}c}"),
        ("{{{{}}}}", &[], None, "}}"),
        (
            "[1] {[noprop] [twoprop]} {abcdef}",
            &["one"],
            None,
            "one {[noprop] [twoprop]} {abcdef}",
        ),
        // With a package.
        ("[\\x]", &[], Some(&[]), "x"),
        ("{\\x}", &[], Some(&[]), "{\\x}"),
        ("[abc\\xdef]", &[], Some(&[]), ""),
        ("\\x", &[], Some(&[]), "\\x"),
        ("[\\[]]", &[], Some(&[]), "[]"),
        ("[\\[a]", &[], Some(&[]), "["),
        (
            "[prop] [pro\\pblah] [prop]",
            &[],
            Some(&[("prop", "val")]),
            "val  val",
        ),
        ("[\\b]", &[], Some(&[("b", "ball")]), "b"),
        ("[\\[]prop]", &[], Some(&[("prop", "val")]), "[prop]"),
        ("[\\a]prop]", &[], Some(&[("prop", "val")]), "aprop]"),
        (
            "[1] [dummy] [2]",
            &["boo", "hoo"],
            Some(&[("dummy", "Bork")]),
            "boo Bork hoo",
        ),
        (
            "[PropC]",
            &[],
            Some(&[("PropB", "PropA"), ("PropC", "PropB")]),
            "PropB",
        ),
        (
            "[[PropC]]",
            &[],
            Some(&[("PropB", "[PropA]"), ("PropC", "PropB")]),
            "[PropA]",
        ),
        (
            "[[PropC]]",
            &[],
            Some(&[("PropB", "PropA"), ("PropC", "PropB")]),
            "PropA",
        ),
        ("{abcd}", &[], Some(&[]), "{abcd}"),
        ("{[bad]}", &[], Some(&[]), ""),
        (
            "{abc{d[one]ef}}",
            &[],
            Some(&[("one", "mercury")]),
            "abc{dmercuryef}",
        ),
        (
            "{abc}{{def}hi{j[one]k}}",
            &[],
            Some(&[("one", "mercury")]),
            "{abc}",
        ),
        (
            "[1] {[one]} {abcdef}",
            &["one"],
            Some(&[("one", "mercury")]),
            "one mercury {abcdef}",
        ),
    ];
    for (template, fields, props, want) in cases {
        let r = Record::with_fields(*template, fields.iter().map(|f| Field::from(*f)));
        let got = match props {
            None => format_record(&r, None),
            Some(p) => format_record(&r, Some(&package(p) as &dyn Lookup)),
        };
        assert_eq!(
            got, *want,
            "template {template:?} fields {fields:?} package {props:?}"
        );
    }
    // A record of 12 fields with [1] set, as in the package tests: [idontexist] and
    // [imaprop] inside a field value are resolved by pass 2.
    let l = package(&[("imaprop", "ringer")]);
    for (field, want) in [("[idontexist]", "1:  "), ("[imaprop]", "1: ringer ")] {
        let r = Record::with_fields(Field::Null, [Field::from(field)]);
        assert_eq!(format_record(&r, Some(&l)), want);
    }
}

/// `[0]` inserts field 0's text once: with a package, the property pass copies that text
/// as it is instead of formatting what it contains a second time (MsiFormatRecord: the
/// template is not re-scanned where it was inserted).
#[test]
fn field_zero_inserted_text_is_not_formatted_again() {
    let pkg = package(&[("Prop", "x"), ("Empty", "")]);
    type Case = (&'static str, &'static [(usize, V)], &'static str);
    let cases: &[Case] = &[
        ("[0] [Prop]", &[], "[0] [Prop] x"),
        ("[1] test [0]", &[(1, V::S("boo"))], "boo test [1] test [0]"),
        ("[Prop]-[0]-[\\[]", &[], "x-[Prop]-[0]-[\\[]-["),
        ("{a[0]b} [Prop]", &[], "a{a[0]b} [Prop]b x"),
        // Text from other fields is still formatted in the property pass.
        ("[1] [0]", &[(1, V::S("[Prop]"))], "x [1] [0]"),
    ];
    for (template, fields, expected) in cases {
        let r = record(Some(template), 3, fields);
        assert_eq!(
            format_record(&r, Some(&pkg)),
            *expected,
            "template {template:?}"
        );
    }
    // A Formatted column is formatted as a record whose field 0 is the value.
    assert_eq!(format_string("[Prop]:[0]", &pkg), "x:[Prop]:[0]");
    // Without a package nothing changes: pass 1 never re-reads what it inserted.
    let r = record(Some("[0] [Prop]"), 3, &[]);
    assert_eq!(format_record(&r, None), "[0] [Prop] [Prop]");
}
