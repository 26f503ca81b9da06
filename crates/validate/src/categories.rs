//! The column data types of the `_Validation` table's Category column
//! ("Column Data Types"), each as a check of one value: `None` when the
//! value is well formed, else ICE03's message heading ("ICE03") and, for
//! the two expression languages, where in the text the fault is.

use msi_expr::Condition;

use crate::formatted;

/// Why a value does not fit its category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    /// ICE03's heading: "Invalid identifier", "Bad conditional string", …
    pub(crate) heading: &'static str,
    /// For conditions and formatted text: what is wrong and where (a byte
    /// offset into the value).
    pub(crate) detail: Option<String>,
}

impl Fault {
    fn plain(heading: &'static str) -> Option<Fault> {
        Some(Fault {
            heading,
            detail: None,
        })
    }
}

/// The categories Windows Installer defines ("Column Data Types").
pub(crate) const KNOWN: &[&str] = &[
    "Text",
    "UpperCase",
    "LowerCase",
    "Integer",
    "DoubleInteger",
    "Time/Date",
    "Identifier",
    "Property",
    "Filename",
    "WildCardFilename",
    "Path",
    "Paths",
    "AnyPath",
    "DefaultDir",
    "RegPath",
    "Formatted",
    "FormattedSDDLText",
    "KeyFormatted",
    "Template",
    "Condition",
    "Guid",
    "GUID",
    "Version",
    "Language",
    "Binary",
    "CustomSource",
    "Cabinet",
    "Shortcut",
    "URL",
];

/// Checks `value` against `category`; `None` when it fits (or the category
/// checks nothing, as Text and Binary).
pub(crate) fn check(category: &str, value: &str) -> Option<Fault> {
    match category {
        "Identifier" => (!is_identifier(value))
            .then_some(())
            .and(Fault::plain("Invalid identifier")),
        "Property" => {
            let name = value.strip_prefix('%').unwrap_or(value);
            (!is_identifier(name))
                .then_some(())
                .and(Fault::plain("Invalid property string"))
        }
        "CustomSource" => (!is_identifier(value))
            .then_some(())
            .and(Fault::plain("Bad CustomSource data")),
        "UpperCase" => value
            .chars()
            .any(|c| c.is_lowercase())
            .then_some(())
            .and(Fault::plain("All UPPER case required")),
        "LowerCase" => value
            .chars()
            .any(|c| c.is_uppercase())
            .then_some(())
            .and(Fault::plain("All lower case required")),
        "Guid" | "GUID" => (!is_guid(value))
            .then_some(())
            .and(Fault::plain("Invalid GUID string")),
        "Version" => (!is_version(value))
            .then_some(())
            .and(Fault::plain("Invalid version string")),
        "Language" => (!is_language_list(value))
            .then_some(())
            .and(Fault::plain("Invalid Language Id")),
        "Filename" => (!is_filename(value, false))
            .then_some(())
            .and(Fault::plain("Invalid Filename")),
        "WildCardFilename" => (!is_filename(value, true))
            .then_some(())
            .and(Fault::plain("Invalid file name/usage of wildcards")),
        "DefaultDir" => (!is_default_dir(value))
            .then_some(())
            .and(Fault::plain("Invalid DefaultDir string")),
        "Cabinet" => (!is_cabinet(value))
            .then_some(())
            .and(Fault::plain("Bad cabinet syntax/name")),
        "Condition" => match Condition::parse(value) {
            Ok(_) => None,
            Err(err) => Some(Fault {
                heading: "Bad conditional string",
                detail: Some(format!("{} at {}", err.kind().describe(), err.span().start)),
            }),
        },
        "Formatted" | "FormattedSDDLText" | "KeyFormatted" => {
            formatted_fault(value, "Invalid format string")
        }
        "Template" => formatted_fault(value, "Invalid template string"),
        "RegPath" => {
            if value.starts_with('\\') {
                return Fault::plain("Invalid registry path");
            }
            formatted_fault(value, "Invalid registry path")
        }
        "Shortcut" => {
            // A feature (advertised shortcut) or formatted text naming the target.
            if value.contains('[') {
                formatted_fault(value, "Bad shortcut target")
            } else if is_identifier(value) {
                None
            } else {
                Fault::plain("Bad shortcut target")
            }
        }
        _ => None,
    }
}

fn formatted_fault(value: &str, heading: &'static str) -> Option<Fault> {
    formatted::check(value).err().map(|e| Fault {
        heading,
        detail: Some(format!("{} at {}", e.what, e.at)),
    })
}

/// "Identifier": a letter or `_` first, then letters, digits, `_` and `.`.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// "GUID": `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`, upper-case hexadecimal.
pub(crate) fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 38 || b[0] != b'{' || b[37] != b'}' {
        return false;
    }
    b[1..37].iter().enumerate().all(|(i, &c)| match i {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_digit() || (b'A'..=b'F').contains(&c),
    })
}

/// "Version": one to four fields separated by `.`, each an integer of at
/// most 65535.
pub(crate) fn is_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() <= 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 65535)
        })
}

/// "Language": decimal language identifiers separated by commas.
pub(crate) fn is_language_list(s: &str) -> bool {
    s.split(',').all(|p| {
        let p = p.trim();
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n <= 65535)
    })
}

/// Characters no file name may hold ("Filename").
const BAD_LONG: &[char] = &['\\', '?', '|', '>', '<', ':', '/', '*', '"'];
/// Characters a short (8.3) name may not hold besides those.
const BAD_SHORT: &[char] = &['+', ',', ';', '=', '[', ']', ' '];

/// "Filename" (and "WildCardFilename" when `wild`): a short name, or
/// `short|long`, or a long name alone.
pub(crate) fn is_filename(s: &str, wild: bool) -> bool {
    match s.split_once('|') {
        Some((short, long)) => is_short_name(short, wild) && is_long_name(long, wild),
        None => is_short_name(s, wild) || is_long_name(s, wild),
    }
}

fn allowed_wild(c: char, wild: bool) -> bool {
    wild && (c == '*' || c == '?')
}

fn is_short_name(s: &str, wild: bool) -> bool {
    if s.is_empty() || s.chars().any(|c| c.is_control()) {
        return false;
    }
    if s.chars()
        .any(|c| (BAD_LONG.contains(&c) && !allowed_wild(c, wild)) || BAD_SHORT.contains(&c))
    {
        return false;
    }
    let (base, ext) = match s.split_once('.') {
        Some((b, e)) => (b, Some(e)),
        None => (s, None),
    };
    if base.is_empty() || base.chars().count() > 8 {
        return false;
    }
    match ext {
        None => true,
        Some(e) => !e.contains('.') && e.chars().count() <= 3,
    }
}

fn is_long_name(s: &str, wild: bool) -> bool {
    !s.is_empty()
        && s.chars().count() <= 255
        && !s
            .chars()
            .any(|c| c.is_control() || (BAD_LONG.contains(&c) && !allowed_wild(c, wild)))
        && s.trim_end_matches([' ', '.']).len() == s.len()
}

/// "DefaultDir": `target[:source]`, each `.` or a file name.
pub(crate) fn is_default_dir(s: &str) -> bool {
    let part_ok = |p: &str| p == "." || is_filename(p, false);
    match s.split_once(':') {
        Some((t, src)) => part_ok(t) && part_ok(src),
        None => part_ok(s),
    }
}

/// "Cabinet": `#stream` for a cabinet inside the package, else a file name.
pub(crate) fn is_cabinet(s: &str) -> bool {
    match s.strip_prefix('#') {
        Some(stream) => {
            !stream.is_empty()
                && stream.len() <= 62
                && stream
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        }
        None => is_filename(s, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories() {
        assert!(check("Identifier", "File_1.a").is_none());
        assert!(check("Identifier", "1File").is_some());
        assert!(check("Guid", "{8D3C6C47-2E8A-4DE9-9AB0-1B9A8C7C0F11}").is_none());
        assert!(check("Guid", "{8d3c6c47-2e8a-4de9-9ab0-1b9a8c7c0f11}").is_some());
        assert!(check("Version", "1.2.3.4").is_none());
        assert!(check("Version", "1.2.3.65536").is_some());
        assert!(check("Version", "1.2.3.4.5").is_some());
        assert!(check("Language", "1033,0").is_none());
        assert!(check("Language", "en").is_some());
        assert!(check("Filename", "README~1.TXT|readme file.txt").is_none());
        assert!(check("Filename", "readme file.txt").is_none());
        assert!(check("Filename", "a:b").is_some());
        assert!(check("Filename", "TOOLONGNAME.TXT|x").is_some());
        assert!(check("WildCardFilename", "*.txt").is_none());
        assert!(check("Filename", "*.txt").is_some());
        assert!(check("DefaultDir", "SourceDir").is_none());
        assert!(check("DefaultDir", "PFILES|Program Files:.").is_none());
        assert!(check("Cabinet", "#product.cab").is_none());
        assert!(check("Cabinet", "#bad name").is_some());
        assert!(check("UpperCase", "ABC_1").is_none());
        assert!(check("UpperCase", "AbC").is_some());
    }

    #[test]
    fn conditions_report_where() {
        let f = check("Condition", "A = ").unwrap();
        assert_eq!(f.heading, "Bad conditional string");
        assert_eq!(f.detail.as_deref(), Some("expected a value, NOT or ( at 4"));
        assert!(check("Condition", "NOT Installed AND VersionNT >= 601").is_none());
    }

    proptest::proptest! {
        /// No value makes a category check panic (the checks index and slice bytes).
        #[test]
        fn any_value_any_category_never_panics(value in "\\PC{0,40}", i in 0usize..KNOWN.len()) {
            let _ = check(KNOWN[i], &value);
        }

        #[test]
        fn bracket_heavy_text_never_panics(value in "[\\[\\]{}\\\\#!$%~a-z0-9é ]{0,40}") {
            let _ = crate::formatted::check(&value);
            let _ = crate::formatted::references(&value);
            let _ = check("Formatted", &value);
            let _ = check("Condition", &value);
        }
    }
}
