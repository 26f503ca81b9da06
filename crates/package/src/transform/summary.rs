//! A transform's summary information ("Summary Information Stream Property Set"), and the
//! property set format it is stored in.
//!
//! For a transform the properties mean ("Summary Information Stream Property Set",
//! "MsiCreateTransformSummaryInfo"): Template is the base package's `platform;language`,
//! Last Saved By the changed package's; Revision Number is
//! `{BaseProductCode}BaseVersion;{NewProductCode}NewVersion;{UpgradeCode}`; Character
//! Count holds the validation flags in its upper 16 bits and the error conditions to
//! suppress in its lower 16 ("Character Count Summary property").
//!
//! The property set reader and writer are hand-written because the msi crate keeps its
//! own private; only the types a summary stream uses are handled (VT_I2, VT_I4,
//! VT_LPSTR, VT_FILETIME).

use std::collections::BTreeMap;

use serde::Serialize;

use super::flags::{ErrorConditions, Validation};

/// The format id of the summary information property set, as stored (little-endian
/// fields of F29F85E0-4FF9-1068-AB91-08002B27B3D9).
const FMTID: [u8; 16] = [
    0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9,
];

const VT_I2: u32 = 2;
const VT_I4: u32 = 3;
const VT_LPSTR: u32 = 30;
const VT_FILETIME: u32 = 64;

/// Property ids of the summary information stream.
pub(crate) mod pid {
    pub(crate) const CODEPAGE: u32 = 1;
    pub(crate) const TITLE: u32 = 2;
    pub(crate) const SUBJECT: u32 = 3;
    pub(crate) const AUTHOR: u32 = 4;
    pub(crate) const KEYWORDS: u32 = 5;
    pub(crate) const COMMENTS: u32 = 6;
    pub(crate) const TEMPLATE: u32 = 7;
    pub(crate) const LAST_AUTHOR: u32 = 8;
    pub(crate) const REVISION: u32 = 9;
    pub(crate) const PAGE_COUNT: u32 = 14;
    pub(crate) const CHAR_COUNT: u32 = 16;
    pub(crate) const APP_NAME: u32 = 18;
    pub(crate) const SECURITY: u32 = 19;
}

/// One property value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prop {
    I2(i16),
    I4(i32),
    Str(String),
    FileTime(u64),
}

/// Reads a property set stream: property id → value. Unknown types are skipped.
pub(crate) fn read_props(bytes: &[u8]) -> Result<BTreeMap<u32, Prop>, String> {
    let u16_at = |o: usize| -> Result<u16, String> {
        bytes
            .get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(|| format!("summary information truncated at {o}"))
    };
    let u32_at = |o: usize| -> Result<u32, String> {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| format!("summary information truncated at {o}"))
    };
    if u16_at(0)? != 0xFFFE {
        return Err("summary information: not a property set".into());
    }
    if u32_at(24)? == 0 {
        return Ok(BTreeMap::new());
    }
    let section = u32_at(44)? as usize;
    let count = u32_at(section + 4)? as usize;
    let mut entries = Vec::new();
    for i in 0..count.min(1024) {
        let id = u32_at(section + 8 + i * 8)?;
        let offset = u32_at(section + 12 + i * 8)? as usize;
        entries.push((id, section + offset));
    }
    let codepage = entries
        .iter()
        .find(|(id, _)| *id == pid::CODEPAGE)
        .map(|&(_, o)| u16_at(o + 4))
        .transpose()?
        .map_or(1252, |c| i32::from(c as i16) & 0xFFFF);
    let cp = msi::CodePage::from_id(codepage).unwrap_or_default();
    let mut props = BTreeMap::new();
    for (id, o) in entries {
        let value = match u32_at(o)? {
            VT_I2 => Prop::I2(u16_at(o + 4)? as i16),
            VT_I4 => Prop::I4(u32_at(o + 4)? as i32),
            VT_LPSTR => {
                let len = u32_at(o + 4)? as usize;
                let raw = bytes
                    .get(o + 8..o + 8 + len)
                    .ok_or("summary information: a string runs past the stream")?;
                let raw = raw.split(|&b| b == 0).next().unwrap_or(&[]);
                Prop::Str(cp.decode(raw))
            }
            VT_FILETIME => {
                let lo = u64::from(u32_at(o + 4)?);
                let hi = u64::from(u32_at(o + 8)?);
                Prop::FileTime(lo | (hi << 32))
            }
            _ => continue,
        };
        props.insert(id, value);
    }
    Ok(props)
}

/// Writes a property set stream holding `props` (the code page property is written from
/// `codepage`, and strings are encoded in it).
pub(crate) fn write_props(codepage: i32, props: &BTreeMap<u32, Prop>) -> Vec<u8> {
    let cp = msi::CodePage::from_id(codepage).unwrap_or_default();
    let mut all: Vec<(u32, Vec<u8>)> = Vec::new();
    let cp_value = u16::try_from(codepage).unwrap_or(1252);
    let mut v = VT_I2.to_le_bytes().to_vec();
    v.extend(cp_value.to_le_bytes());
    v.extend([0, 0]);
    all.push((pid::CODEPAGE, v));
    for (&id, prop) in props.iter().filter(|(id, _)| **id != pid::CODEPAGE) {
        let mut v = Vec::new();
        match prop {
            Prop::I2(n) => {
                v.extend(VT_I2.to_le_bytes());
                v.extend(n.to_le_bytes());
                v.extend([0, 0]);
            }
            Prop::I4(n) => {
                v.extend(VT_I4.to_le_bytes());
                v.extend(n.to_le_bytes());
            }
            Prop::Str(s) => {
                let mut raw = cp.encode(s);
                raw.push(0);
                v.extend(VT_LPSTR.to_le_bytes());
                v.extend(u32::try_from(raw.len()).unwrap_or(0).to_le_bytes());
                v.extend(&raw);
                while v.len() % 4 != 0 {
                    v.push(0);
                }
            }
            Prop::FileTime(t) => {
                v.extend(VT_FILETIME.to_le_bytes());
                v.extend(t.to_le_bytes());
            }
        }
        all.push((id, v));
    }
    let mut out = Vec::new();
    out.extend(0xFFFEu16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    // OS version: Windows, as Windows writes it.
    out.extend(0x0002_0006u32.to_le_bytes());
    out.extend([0u8; 16]);
    out.extend(1u32.to_le_bytes());
    out.extend(FMTID);
    out.extend(48u32.to_le_bytes());
    let header = 8 + all.len() * 8;
    let size = header + all.iter().map(|(_, v)| v.len()).sum::<usize>();
    out.extend(u32::try_from(size).unwrap_or(0).to_le_bytes());
    out.extend(u32::try_from(all.len()).unwrap_or(0).to_le_bytes());
    let mut offset = header;
    for (id, v) in &all {
        out.extend(id.to_le_bytes());
        out.extend(u32::try_from(offset).unwrap_or(0).to_le_bytes());
        offset += v.len();
    }
    for (_, v) in &all {
        out.extend(v);
    }
    out
}

/// A transform's summary information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct TransformSummary {
    /// Template: the base package's platform (`Intel`, `x64`, …; may be empty).
    pub base_platform: String,
    /// Template: the base package's languages.
    pub base_languages: Vec<u16>,
    /// Last Saved By: the changed package's platform.
    pub new_platform: String,
    /// Last Saved By: the changed package's languages.
    pub new_languages: Vec<u16>,
    /// Revision: the base package's ProductCode.
    pub base_product_code: String,
    /// Revision: the base package's ProductVersion.
    pub base_version: String,
    /// Revision: the changed package's ProductCode.
    pub new_product_code: String,
    /// Revision: the changed package's ProductVersion.
    pub new_version: String,
    /// Revision: the UpgradeCode (empty when the package has none).
    pub upgrade_code: String,
    /// What to check before applying ("Transform Validation").
    pub validation: Validation,
    /// The error conditions to suppress while applying.
    pub error_conditions: ErrorConditions,
    /// Page Count: the installer version the transform needs (× 100).
    pub page_count: Option<i32>,
    /// The summary stream's code page.
    pub codepage: i32,
    /// Title, Subject, Author, Keywords, Comments, Creating Application: as written.
    pub text: BTreeMap<String, String>,
}

fn split_template(s: &str) -> (String, Vec<u16>) {
    let (platform, langs) = s.split_once(';').unwrap_or((s, ""));
    let languages = langs
        .split(',')
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    (platform.trim().to_string(), languages)
}

fn join_template(platform: &str, languages: &[u16]) -> String {
    let langs: Vec<String> = languages.iter().map(u16::to_string).collect();
    format!("{platform};{}", langs.join(","))
}

/// Splits `{CODE}version` into the code and the version.
fn split_code_version(s: &str) -> (String, String) {
    let s = s.trim();
    match s.find('}') {
        Some(end) if s.starts_with('{') => (s[..=end].to_string(), s[end + 1..].to_string()),
        _ => (String::new(), s.to_string()),
    }
}

const TEXT_PROPS: [(u32, &str); 6] = [
    (pid::TITLE, "Title"),
    (pid::SUBJECT, "Subject"),
    (pid::AUTHOR, "Author"),
    (pid::KEYWORDS, "Keywords"),
    (pid::COMMENTS, "Comments"),
    (pid::APP_NAME, "Creating Application"),
];

impl TransformSummary {
    /// Reads the summary from the stream's bytes.
    pub(crate) fn read(bytes: &[u8]) -> Result<TransformSummary, String> {
        let props = read_props(bytes)?;
        let text = |id| match props.get(&id) {
            Some(Prop::Str(s)) => s.clone(),
            _ => String::new(),
        };
        let int = |id| match props.get(&id) {
            Some(Prop::I4(n)) => Some(*n),
            Some(Prop::I2(n)) => Some(i32::from(*n)),
            _ => None,
        };
        let (base_platform, base_languages) = split_template(&text(pid::TEMPLATE));
        let (new_platform, new_languages) = split_template(&text(pid::LAST_AUTHOR));
        let revision = text(pid::REVISION);
        let mut parts = revision.split(';');
        let (base_product_code, base_version) = split_code_version(parts.next().unwrap_or(""));
        let (new_product_code, new_version) = split_code_version(parts.next().unwrap_or(""));
        let upgrade_code = parts.next().unwrap_or("").trim().to_string();
        let flags = int(pid::CHAR_COUNT).unwrap_or(0) as u32;
        Ok(TransformSummary {
            base_platform,
            base_languages,
            new_platform,
            new_languages,
            base_product_code,
            base_version,
            new_product_code,
            new_version,
            upgrade_code,
            validation: Validation((flags >> 16) as u16),
            error_conditions: ErrorConditions((flags & 0xFFFF) as u16),
            page_count: int(pid::PAGE_COUNT),
            codepage: match props.get(&pid::CODEPAGE) {
                Some(Prop::I2(c)) => i32::from(*c as u16),
                _ => 1252,
            },
            text: TEXT_PROPS
                .iter()
                .filter_map(|&(id, name)| match props.get(&id) {
                    Some(Prop::Str(s)) => Some((name.to_string(), s.clone())),
                    _ => None,
                })
                .collect(),
        })
    }

    /// The Revision Number property as a transform stores it.
    pub fn revision(&self) -> String {
        format!(
            "{}{};{}{};{}",
            self.base_product_code,
            self.base_version,
            self.new_product_code,
            self.new_version,
            self.upgrade_code
        )
    }

    /// The stream's bytes.
    pub(crate) fn write(&self) -> Vec<u8> {
        let mut props = BTreeMap::new();
        for &(id, name) in &TEXT_PROPS {
            if let Some(v) = self.text.get(name) {
                props.insert(id, Prop::Str(v.clone()));
            }
        }
        props.insert(
            pid::TEMPLATE,
            Prop::Str(join_template(&self.base_platform, &self.base_languages)),
        );
        props.insert(
            pid::LAST_AUTHOR,
            Prop::Str(join_template(&self.new_platform, &self.new_languages)),
        );
        props.insert(pid::REVISION, Prop::Str(self.revision()));
        if let Some(p) = self.page_count {
            props.insert(pid::PAGE_COUNT, Prop::I4(p));
        }
        let flags = (u32::from(self.validation.0) << 16) | u32::from(self.error_conditions.0);
        props.insert(pid::CHAR_COUNT, Prop::I4(flags as i32));
        // Read-only recommended, as Windows marks transforms.
        props.insert(pid::SECURITY, Prop::I4(4));
        write_props(self.codepage, &props)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_summaries_round_trip() {
        let mut s = TransformSummary {
            base_platform: "Intel".into(),
            base_languages: vec![1033],
            new_platform: "x64".into(),
            new_languages: vec![1033, 1031],
            base_product_code: "{11111111-1111-1111-1111-111111111111}".into(),
            base_version: "1.0.0".into(),
            new_product_code: "{22222222-2222-2222-2222-222222222222}".into(),
            new_version: "1.0.1".into(),
            upgrade_code: "{33333333-3333-3333-3333-333333333333}".into(),
            validation: Validation(Validation::PRODUCT | Validation::MAJORVERSION),
            error_conditions: ErrorConditions(ErrorConditions::ADDEXISTINGROW),
            page_count: Some(200),
            codepage: 1252,
            text: BTreeMap::new(),
        };
        s.text.insert("Title".into(), "Transform é".into());
        let read = TransformSummary::read(&s.write()).unwrap();
        assert_eq!(read, s);
        assert_eq!(
            read.revision(),
            "{11111111-1111-1111-1111-111111111111}1.0.0;{22222222-2222-2222-2222-222222222222}1.0.1;{33333333-3333-3333-3333-333333333333}"
        );
        // The flags: validation in the upper word of Character Count.
        let props = read_props(&s.write()).unwrap();
        assert_eq!(props.get(&pid::CHAR_COUNT), Some(&Prop::I4(0x000A_0001)));
    }
}
