//! Fuzzes the formatter: templates and record fields from the input; no input may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msi_expr::{Field, FormatOptions, MapLookup, Record, format_record, format_string_with};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first NUL-separated part is the template, the others are fields.
    let mut parts = text.split('\0');
    let template = parts.next().unwrap_or_default();
    let fields: Vec<Field> = parts
        .take(20)
        .map(|p| match p.parse::<i32>() {
            Ok(i) => Field::from(i),
            Err(_) => Field::from(p),
        })
        .collect();
    let mut l = MapLookup::new();
    l.isolate_env();
    l.set_property("A", "1")
        .set_property("B", "[A]")
        .set_property("P", "\\x")
        .set_property("Q", "{[B]}");
    l.set_env("E", "env");
    l.set_file_path("F", "/f").set_component_directory("C", "/c/");
    let record = Record::with_fields(template, fields);
    let _ = format_record(&record, None);
    let _ = format_record(&record, Some(&l));
    let _ = format_string_with(template, &l, FormatOptions::registry_value());
});
