//! The package of an administrative image: what `msiexec /a` writes beside the image's
//! files ("Administrative Installation", "InstallAdminPackage action", "Word Count Summary
//! property", "AdminProperties property").
//!
//! The copy is the package as it is in memory, marked as an administrative image (Word
//! Count bit 2 set) whose files are uncompressed (bit 1 cleared; bit 0 as the image's
//! names are long or short), without its embedded cabinets, its Media rows naming no
//! cabinet and its File rows no longer marked compressed, and with the properties the
//! administrator gave in its `AdminProperties` stream: installing from the image finds
//! each file at its source path and gets those properties.

use std::collections::HashSet;
use std::io::{Cursor, Read, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::package::Package;
use crate::streamname::SUMMARY_STREAM;
use crate::tables::{Value, file};
use crate::transform::summary::{Prop, read_props, write_props};

/// The summary property id of Word Count.
const PID_WORD_COUNT: u32 = 15;

/// The stream of an administrative image holding the properties given at `/a`.
pub const ADMIN_PROPERTIES_STREAM: &str = "AdminProperties";

impl Package {
    /// The package of an administrative image made from this one (see the module
    /// documentation): `properties` go to its `AdminProperties` stream; `short_names`
    /// says whether the image's files and folders have their short names
    /// (`SHORTFILENAMES`). Returns the `.msi` file's bytes.
    pub fn admin_image_bytes(
        &self,
        properties: &[(String, String)],
        short_names: bool,
    ) -> Result<Vec<u8>> {
        let mut image = self.clone();
        let cabinets: HashSet<String> = self
            .media()?
            .iter()
            .filter_map(|m| m.embedded_stream().map(str::to_string))
            .collect();
        image.streams.retain(|s| !cabinets.contains(s));
        image.overlay.retain(|s, _| !cabinets.contains(s));
        if let Some(media) = image.tables.get_mut("Media")
            && let Some(col) = media.column_index("Cabinet")
        {
            for row in &mut media.rows {
                row[col] = Value::Null;
            }
        }
        if let Some(files) = image.tables.get_mut("File")
            && let Some(col) = files.column_index("Attributes")
        {
            for row in &mut files.rows {
                if let Value::Int(a) = row[col] {
                    row[col] = Value::Int(a & !(file::ATTR_COMPRESSED | file::ATTR_NONCOMPRESSED));
                }
            }
        }
        image.streams.retain(|s| s != ADMIN_PROPERTIES_STREAM);
        image.overlay.remove(ADMIN_PROPERTIES_STREAM);
        if !properties.is_empty() {
            image.add_stream(
                ADMIN_PROPERTIES_STREAM,
                encode_properties(properties).into(),
            );
        }
        let bytes = image.to_bytes()?;
        // The summary stream is copied as it was: set its Word Count.
        let io = |e: std::io::Error| Error::io(self.path(), e);
        let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(io)?;
        let stream = Path::new("/").join(SUMMARY_STREAM);
        let mut old = Vec::new();
        if file.exists(&stream) {
            file.open_stream(&stream)
                .and_then(|mut s| s.read_to_end(&mut old))
                .map_err(io)?;
        }
        let mut props = if old.is_empty() {
            Default::default()
        } else {
            read_props(&old).map_err(|reason| Error::PackageInvalid {
                path: self.path().to_path_buf(),
                reason,
            })?
        };
        let mut word = self.summary.word_count;
        word |= 4;
        word &= !2;
        if short_names {
            word |= 1;
        } else {
            word &= !1;
        }
        props.insert(PID_WORD_COUNT, Prop::I4(word));
        let codepage = match props.get(&crate::transform::summary::pid::CODEPAGE) {
            Some(Prop::I2(cp)) => i32::from(*cp as u16),
            _ => self.summary.codepage,
        };
        // The copy is not the package that was signed: its signature would not verify.
        for name in ["\u{5}DigitalSignature", "\u{5}MsiDigitalSignatureEx"] {
            let path = Path::new("/").join(name);
            if file.exists(&path) {
                file.remove_stream(&path).map_err(io)?;
            }
        }
        let new = write_props(codepage, &props);
        file.create_stream(&stream)
            .and_then(|mut s| s.write_all(&new))
            .map_err(io)?;
        file.flush().map_err(io)?;
        Ok(file.into_inner().into_inner())
    }

    /// The properties of an administrative image's `AdminProperties` stream, in order
    /// (empty for any other package).
    pub fn admin_properties(&self) -> Result<Vec<(String, String)>> {
        if !self.summary.admin_image() || !self.has_stream(ADMIN_PROPERTIES_STREAM) {
            return Ok(Vec::new());
        }
        let mut data = Vec::new();
        self.read_stream(ADMIN_PROPERTIES_STREAM)?
            .read_to_end(&mut data)
            .map_err(|e| Error::io(self.path(), e))?;
        Ok(decode_properties(&data))
    }
}

/// `NAME="value" NAME2="value"` (a `"` in a value doubled), as msiexec's command line
/// writes properties, in UTF-16LE.
fn encode_properties(properties: &[(String, String)]) -> Vec<u8> {
    let text = properties
        .iter()
        .map(|(n, v)| format!("{n}=\"{}\"", v.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ");
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Reads what [`encode_properties`] writes.
fn decode_properties(data: &[u8]) -> Vec<(String, String)> {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16_lossy(&units);
    let chars: Vec<char> = text.trim_end_matches('\0').chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let start = i;
        while i < chars.len() && chars[i] != '=' && !chars[i].is_whitespace() {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        if i >= chars.len() || chars[i] != '=' {
            break;
        }
        i += 1;
        let mut value = String::new();
        let mut quoted = false;
        while i < chars.len() {
            let c = chars[i];
            if c == '"' {
                if quoted && chars.get(i + 1) == Some(&'"') {
                    value.push('"');
                    i += 2;
                    continue;
                }
                quoted = !quoted;
            } else if c.is_whitespace() && !quoted {
                break;
            } else {
                value.push(c);
            }
            i += 1;
        }
        if !name.is_empty() {
            out.push((name.to_ascii_uppercase(), value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_properties_round_trip() {
        let props = vec![
            (
                "COMPANYNAME".to_string(),
                "Acme \"Widgets\" Inc".to_string(),
            ),
            ("EMPTY".to_string(), String::new()),
            ("X".to_string(), "1".to_string()),
        ];
        assert_eq!(decode_properties(&encode_properties(&props)), props);
    }

    #[test]
    fn an_admin_image_package_is_marked_and_has_no_cabinets() {
        let package = Package::open(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello/hello.msi"),
        )
        .unwrap();
        assert!(package.summary().compressed());
        let props = vec![("X".to_string(), "y z".to_string())];
        let bytes = package.admin_image_bytes(&props, false).unwrap();
        let image = Package::from_bytes("image.msi", bytes).unwrap();
        assert!(image.summary().admin_image());
        assert!(!image.summary().compressed());
        assert!(image.media().unwrap().iter().all(|m| m.cabinet.is_none()));
        for m in package.media().unwrap() {
            if let Some(s) = m.embedded_stream() {
                assert!(!image.has_stream(s), "{s} is still there");
            }
        }
        assert_eq!(image.admin_properties().unwrap(), props);
        assert_eq!(image.files().unwrap().len(), package.files().unwrap().len());
        // The package itself has no admin properties.
        assert!(package.admin_properties().unwrap().is_empty());
    }
}
