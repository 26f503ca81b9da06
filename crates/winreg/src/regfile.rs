//! "Windows Registry Editor Version 5.00" export, as `regedit /e` and `reg export` write
//! it: a key header per key (`[HKEY_LOCAL_MACHINE\...]`, depth first, subkeys in
//! enumeration order), then its values in enumeration order — `"name"=` or `@=` for the
//! default value, a string quoted with `\` and `"` escaped, `dword:0000000a`, and every other
//! type as comma-separated hexadecimal bytes (`hex:` for `REG_BINARY`, `hex(2):` for
//! `REG_EXPAND_SZ` in UTF-16LE, `hex(7):`, `hex(b):`, `hex(0):`…), wrapped before column 80
//! with a `\` and a two-space indent. The text is returned as a Rust string: the caller
//! prints it as UTF-8 (regedit itself writes UTF-16LE with a byte-order mark).

use crate::error::{Error, Result};
use crate::path::{Root, View, split_key};
use crate::registry::Registry;
use crate::store::Store;
use crate::value::{Value, kind, utf16_units};

/// The first line of the export.
pub const REG_HEADER: &str = "Windows Registry Editor Version 5.00";

/// Line ends of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// `\r\n`, as regedit writes.
    #[default]
    Crlf,
    /// `\n`.
    Lf,
}

impl LineEnding {
    fn as_str(self) -> &'static str {
        match self {
            LineEnding::Crlf => "\r\n",
            LineEnding::Lf => "\n",
        }
    }
}

/// Where hexadecimal data wraps: after the comma that brings the line to this many
/// characters (Wine's `reg export`, which matches Windows', calls it `MAX_HEX_CHARS`).
const WRAP_AT: usize = 77;

/// Exports the trees of `keys` (each a root and a key below it, in the 64-bit view) in the
/// order given; with no keys, the whole registry: `HKEY_LOCAL_MACHINE`, then `HKEY_USERS`
/// (`HKEY_CURRENT_USER` and `HKEY_CLASSES_ROOT` are views of those and would repeat them).
/// A key that does not exist is [`Error::KeyNotFound`]. Each tree's first header spells
/// the key as given (with the root's long name), as `reg export` does; the keys below it are
/// spelled as stored.
pub fn export_reg<S: Store>(
    registry: &Registry<S>,
    keys: &[(Root, &str)],
    ending: LineEnding,
) -> Result<String> {
    let eol = ending.as_str();
    let mut out = String::from(REG_HEADER);
    out.push_str(eol);
    let all = [(Root::LocalMachine, ""), (Root::Users, "")];
    let keys = if keys.is_empty() { &all[..] } else { keys };
    for (root, key) in keys {
        let names = split_key(key)?;
        let mut header = root.long_name().to_string();
        for name in &names {
            header.push('\\');
            header.push_str(name);
        }
        if !names.is_empty() && !registry.key_exists(View::Native64, *root, key)? {
            return Err(Error::KeyNotFound(header));
        }
        export_tree(registry, *root, &names.join("\\"), &header, eol, &mut out)?;
    }
    out.push_str(eol);
    Ok(out)
}

fn export_tree<S: Store>(
    registry: &Registry<S>,
    root: Root,
    key: &str,
    header: &str,
    eol: &str,
    out: &mut String,
) -> Result<()> {
    out.push_str(eol);
    out.push('[');
    out.push_str(header);
    out.push(']');
    out.push_str(eol);
    for v in registry
        .values(View::Native64, root, key)?
        .unwrap_or_default()
    {
        out.push_str(&value_line(v.name.as_deref(), &v.value, eol));
        out.push_str(eol);
    }
    let subkeys = registry
        .subkeys(View::Native64, root, key)?
        .unwrap_or_default();
    for sub in subkeys {
        let child = if key.is_empty() {
            sub.clone()
        } else {
            format!("{key}\\{sub}")
        };
        export_tree(
            registry,
            root,
            &child,
            &format!("{header}\\{sub}"),
            eol,
            out,
        )?;
    }
    Ok(())
}

/// Escapes a name or string as regedit does: `\`, `"`, and CR and LF as `\r`, `\n`; the
/// text ends at its first NUL.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\0' => break,
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

/// One value as regedit writes it (wrapped lines joined by `\`, `eol` and two spaces; no
/// final line end).
pub fn value_line(name: Option<&str>, value: &Value, eol: &str) -> String {
    let mut line = match name {
        Some(n) if !n.is_empty() => format!("\"{}\"=", escape(n)),
        _ => "@=".to_string(),
    };
    let data = value.to_bytes();
    match value.kind() {
        kind::REG_SZ => {
            // The data up to its last unit (the terminator), up to the first NUL.
            let units = utf16_units(&data[..data.len() & !1]).unwrap_or_default();
            let body = &units[..units.len().saturating_sub(1)];
            line.push('"');
            line.push_str(&escape(&String::from_utf16_lossy(body)));
            line.push('"');
        }
        kind::REG_DWORD if data.len() == 4 => {
            let d = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
            line.push_str(&format!("dword:{d:08x}"));
        }
        k => {
            // Lengths are counted in UTF-16 units, as regedit counts them.
            let mut line_len = line.encode_utf16().count();
            let prefix = if k == kind::REG_BINARY {
                "hex:".to_string()
            } else {
                format!("hex({k:x}):")
            };
            line_len += prefix.len();
            line.push_str(&prefix);
            for (i, byte) in data.iter().enumerate() {
                line.push_str(&format!("{byte:02x}"));
                if i + 1 == data.len() {
                    break;
                }
                line.push(',');
                line_len += 3;
                if line_len >= WRAP_AT {
                    line.push('\\');
                    line.push_str(eol);
                    line.push_str("  ");
                    line_len = 2;
                }
            }
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_render_as_regedit_writes_them() {
        let l = |n: Option<&str>, v: Value| value_line(n, &v, "\n");
        assert_eq!(l(Some("a"), Value::Dword(10)), "\"a\"=dword:0000000a");
        assert_eq!(
            l(None, Value::Sz("C:\\x \"q\"".into())),
            "@=\"C:\\\\x \\\"q\\\"\""
        );
        assert_eq!(l(Some("b"), Value::Binary(vec![])), "\"b\"=hex:");
        assert_eq!(
            l(Some("e"), Value::ExpandSz("%A%".into())),
            "\"e\"=hex(2):25,00,41,00,25,00,00,00"
        );
        assert_eq!(
            l(Some("m"), Value::MultiSz(vec!["a".into(), "b".into()])),
            "\"m\"=hex(7):61,00,00,00,62,00,00,00,00,00"
        );
        assert_eq!(
            l(Some("q"), Value::Qword(1)),
            "\"q\"=hex(b):01,00,00,00,00,00,00,00"
        );
        assert_eq!(l(Some("n"), Value::None(vec![])), "\"n\"=hex(0):");
        assert_eq!(
            l(Some("line\nbreak"), Value::Sz("x\r\ny".into())),
            "\"line\\nbreak\"=\"x\\r\\ny\""
        );
    }

    #[test]
    fn long_hex_wraps_before_column_80() {
        let line = value_line(Some("Data"), &Value::Binary((0..60).collect()), "\n");
        for l in line.lines() {
            assert!(l.len() <= 80, "{l}");
        }
        assert_eq!(
            line.lines().next().unwrap(),
            "\"Data\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,\\"
        );
        assert!(line.lines().nth(1).unwrap().starts_with("  16,17,"));
    }
}
