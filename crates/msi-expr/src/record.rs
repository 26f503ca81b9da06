//! Records: field 0 (the template) and fields 1..=N, each null, an integer or a string.

/// Largest field count a record may have (`MsiCreateRecord` refuses 65536 and more).
pub const MAX_FIELDS: usize = 65535;

/// One record field.
///
/// Windows stores the empty string and `MSI_NULL_INTEGER` (`i32::MIN`) as null; [`Record`]
/// normalises both on the way in, so a field held by a record is never `Str("")` or
/// `Int(i32::MIN)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field {
    /// A null field (also what any index beyond the field count reads as).
    #[default]
    Null,
    /// An integer field, −2147483647…2147483647.
    Int(i32),
    /// A string field, never empty.
    Str(String),
}

impl Field {
    fn normalised(self) -> Field {
        match self {
            Field::Int(i32::MIN) => Field::Null,
            Field::Str(s) if s.is_empty() => Field::Null,
            f => f,
        }
    }

    /// Whether the field is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Field::Null)
    }

    /// The field as `MsiRecordGetString` reads it: integers in decimal, null as "".
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Field::Null => "".into(),
            Field::Int(i) => i.to_string().into(),
            Field::Str(s) => s.as_str().into(),
        }
    }

    /// The field as `MsiRecordGetInteger` reads it: `None` stands for `MSI_NULL_INTEGER`.
    ///
    /// Strings of the form `-`? digit+ convert modulo 2³² (Windows-verified: `"4294967297"` → 1);
    /// the lone `"-"` converts to 0 as in Wine (undocumented).
    pub fn integer(&self) -> Option<i32> {
        match self {
            Field::Null => None,
            Field::Int(i) => Some(*i),
            Field::Str(s) => {
                let digits = s.strip_prefix('-').unwrap_or(s);
                if s == "-" {
                    return Some(0);
                }
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let v = digits.bytes().fold(0u32, |acc, b| {
                    acc.wrapping_mul(10).wrapping_add(u32::from(b - b'0'))
                });
                let v = if s.starts_with('-') {
                    v.wrapping_neg()
                } else {
                    v
                };
                Some(v as i32)
            }
        }
    }
}

impl From<i32> for Field {
    fn from(v: i32) -> Field {
        Field::Int(v).normalised()
    }
}

impl From<&str> for Field {
    fn from(v: &str) -> Field {
        Field::Str(v.to_owned()).normalised()
    }
}

impl From<String> for Field {
    fn from(v: String) -> Field {
        Field::Str(v).normalised()
    }
}

impl From<Option<&str>> for Field {
    fn from(v: Option<&str>) -> Field {
        v.map_or(Field::Null, Field::from)
    }
}

/// A record: field 0 (the template) and fields 1..=[`Record::field_count`].
///
/// Invariant: `fields.len() == field_count + 1 <= MAX_FIELDS + 1`, and no field is an empty
/// string or `i32::MIN` (both are stored as [`Field::Null`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    fields: Vec<Field>,
}

static NULL_FIELD: Field = Field::Null;

impl Record {
    /// A record with `count` null fields and a null field 0; `None` if `count` exceeds
    /// [`MAX_FIELDS`].
    pub fn new(count: usize) -> Option<Record> {
        (count <= MAX_FIELDS).then(|| Record {
            fields: vec![Field::Null; count + 1],
        })
    }

    /// A record whose field 0 is `template` and fields 1..=n are `fields` (at most
    /// [`MAX_FIELDS`] of them: any beyond are dropped).
    pub fn with_fields(
        template: impl Into<Field>,
        fields: impl IntoIterator<Item = Field>,
    ) -> Record {
        let mut all = vec![template.into().normalised()];
        all.extend(fields.into_iter().take(MAX_FIELDS).map(Field::normalised));
        Record { fields: all }
    }

    /// A record holding only a template (field 0), with no other fields.
    pub fn from_template(template: impl Into<Field>) -> Record {
        Record::with_fields(template, [])
    }

    /// The number of fields after field 0.
    pub fn field_count(&self) -> usize {
        self.fields.len() - 1
    }

    /// Field `index` (0 is the template); null beyond the field count.
    pub fn field(&self, index: usize) -> &Field {
        self.fields.get(index).unwrap_or(&NULL_FIELD)
    }

    /// Sets field `index`; returns `false` (and changes nothing) beyond the field count, as
    /// `MsiRecordSetInteger` fails with `ERROR_INVALID_PARAMETER`.
    pub fn set(&mut self, index: usize, value: impl Into<Field>) -> bool {
        match self.fields.get_mut(index) {
            Some(slot) => {
                *slot = value.into().normalised();
                true
            }
            None => false,
        }
    }

    /// The template: field 0.
    pub fn template(&self) -> &Field {
        &self.fields[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_string_and_null_integer_are_null() {
        let mut r = Record::new(2).unwrap();
        r.set(1, "");
        r.set(2, i32::MIN);
        assert!(r.field(1).is_null() && r.field(2).is_null());
        assert!(!r.set(3, 1));
        assert!(r.field(100).is_null());
        assert!(Record::new(MAX_FIELDS + 1).is_none());
    }

    #[test]
    fn integer_conversion_matches_windows() {
        let cases: &[(&str, Option<i32>)] = &[
            ("42", Some(42)),
            ("-42", Some(-42)),
            ("2147483647", Some(2147483647)),
            ("-2147483647", Some(-2147483647)),
            ("1000000000000000", Some(-1530494976)),
            ("4294967297", Some(1)),
            (" 42", None),
            ("42 ", None),
            ("42.0", None),
            ("0x42", None),
            ("+1", None),
            ("foo", None),
            ("5apple", None),
            ("-", Some(0)),
        ];
        for (s, want) in cases {
            assert_eq!(Field::from(*s).integer(), *want, "{s:?}");
        }
        assert_eq!(Field::Int(-32).text(), "-32");
    }
}
