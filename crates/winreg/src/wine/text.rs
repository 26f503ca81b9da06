//! The text of one value in a Wine registry file: a value line written as `wineserver`
//! writes it (`"name"=str(2):"…"`, `dword:`, `hex(b):` wrapped with `\`), read back, and
//! the C-style escaping of names and strings (`\xHHHH` outside ASCII).

use crate::value::{Value, kind, utf16_units};

/// A value as wineserver writes it, one string per line.
pub fn wine_value_lines(name: &str, value: &Value) -> Vec<String> {
    let mut line = if name.is_empty() {
        "@=".to_string()
    } else {
        format!("\"{}\"=", escape(name, "\""))
    };
    // wineserver counts the characters it wrote for the line wrap.
    let mut count = line.len();
    let data = value.to_bytes();
    let k = value.kind();
    if matches!(k, kind::REG_SZ | kind::REG_EXPAND_SZ | kind::REG_MULTI_SZ)
        && let Some(units) = utf16_units(&data)
        && units.last() == Some(&0)
    {
        if k != kind::REG_SZ {
            line.push_str(&format!("str({k:x}):"));
        }
        line.push('"');
        line.push_str(&escape_units(&units[..units.len() - 1], "\""));
        line.push('"');
        return vec![line];
    }
    if k == kind::REG_DWORD && data.len() == 4 {
        let d = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        line.push_str(&format!("dword:{d:08x}"));
        return vec![line];
    }
    let prefix = if k == kind::REG_BINARY {
        "hex:".to_string()
    } else {
        format!("hex({k:x}):")
    };
    count += prefix.len();
    line.push_str(&prefix);
    let mut lines = Vec::new();
    for (i, b) in data.iter().enumerate() {
        line.push_str(&format!("{b:02x}"));
        count += 2;
        if i + 1 < data.len() {
            line.push(',');
            count += 1;
            if count > 76 {
                line.push('\\');
                lines.push(std::mem::take(&mut line));
                line.push_str("  ");
                count = 2;
            }
        }
    }
    lines.push(line);
    lines
}

/// Escapes text as wineserver's `dump_strW` does, with `extra` the characters to escape
/// besides `\`.
pub(super) fn escape(text: &str, extra: &str) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    escape_units(&units, extra)
}

fn escape_units(units: &[u16], extra: &str) -> String {
    const C_ESCAPES: &[u8; 32] = b".......abtnvfr.............e....";
    let mut out = String::new();
    for (i, &u) in units.iter().enumerate() {
        let next = units.get(i + 1).copied();
        if u > 127 {
            if next.is_some_and(|n| n < 128 && (n as u8).is_ascii_hexdigit()) {
                out.push_str(&format!("\\x{u:04x}"));
            } else {
                out.push_str(&format!("\\x{u:x}"));
            }
        } else if u < 32 {
            let c = C_ESCAPES[u as usize];
            if c != b'.' {
                out.push('\\');
                out.push(char::from(c));
            } else if next.is_some_and(|n| (u16::from(b'0')..=u16::from(b'7')).contains(&n)) {
                out.push_str(&format!("\\{u:03o}"));
            } else {
                out.push_str(&format!("\\{u:o}"));
            }
        } else {
            let c = char::from(u as u8);
            if c == '\\' || extra.contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// Unescapes as wineserver's `parse_strW`, up to `end`: the UTF-16 units and the number of
/// bytes of `text` read (the end character included). `None` when `end` is missing.
pub(super) fn unescape(text: &str, end: char) -> Option<(Vec<u16>, usize)> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == end {
            return Some((out, i + c.len_utf8()));
        }
        if c != '\\' {
            let mut buf = [0u16; 2];
            out.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        let (_, e) = chars.next()?;
        match e {
            'a' => out.push(7),
            'b' => out.push(8),
            'e' => out.push(27),
            'f' => out.push(12),
            'n' => out.push(10),
            'r' => out.push(13),
            't' => out.push(9),
            'v' => out.push(11),
            'x' => {
                let mut v: u16 = 0;
                let mut n = 0;
                while n < 4 {
                    match chars.peek().and_then(|(_, c)| c.to_digit(16)) {
                        Some(d) => {
                            v = v.wrapping_mul(16).wrapping_add(d as u16);
                            chars.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                out.push(if n == 0 { u16::from(b'x') } else { v });
            }
            '0'..='7' => {
                let mut v = e as u16 - u16::from(b'0');
                for _ in 0..2 {
                    match chars.peek() {
                        Some((_, c @ '0'..='7')) => {
                            v = v * 8 + (*c as u16 - u16::from(b'0'));
                            chars.next();
                        }
                        _ => break,
                    }
                }
                out.push(v);
            }
            other => {
                let mut buf = [0u16; 2];
                out.extend_from_slice(other.encode_utf16(&mut buf));
            }
        }
    }
    None
}

pub(super) fn unescape_all(text: &str) -> Vec<u16> {
    // A character that cannot occur in a line ends nothing early.
    unescape(&format!("{text}\n"), '\n').map_or_else(Vec::new, |(u, _)| u)
}

/// Parses a whole value (continuation lines joined): its name and data.
pub(super) fn parse_value_line(text: &str) -> Option<(String, Value)> {
    let (name, rest) = if let Some(rest) = text.strip_prefix('@') {
        (String::new(), rest)
    } else {
        let (units, used) = unescape(text.strip_prefix('"')?, '"')?;
        (String::from_utf16_lossy(&units), &text[1 + used..])
    };
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let string_data = |body: &str| -> Option<Vec<u8>> {
        let (mut units, _) = unescape(body, '"')?;
        units.push(0);
        Some(units.iter().flat_map(|u| u.to_le_bytes()).collect())
    };
    let value = if let Some(body) = rest
        .strip_prefix('"')
        .or_else(|| rest.strip_prefix("str:\""))
    {
        Value::from_raw(kind::REG_SZ, &string_data(body)?)
    } else if let Some(body) = rest.strip_prefix("str(2):\"") {
        Value::from_raw(kind::REG_EXPAND_SZ, &string_data(body)?)
    } else if let Some(body) = rest.strip_prefix("str(7):\"") {
        Value::from_raw(kind::REG_MULTI_SZ, &string_data(body)?)
    } else if let Some(body) = rest.strip_prefix("dword:") {
        // strtoul: the hexadecimal digits at the start, 0 when there are none.
        let digits: String = body
            .trim_start()
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        // strtoul saturates at the (64-bit) unsigned long maximum; the DWORD keeps the low
        // 32 bits.
        let d = match u64::from_str_radix(&digits, 16) {
            Ok(v) => v as u32,
            Err(_) if digits.is_empty() => 0,
            Err(_) => u32::MAX,
        };
        Value::Dword(d)
    } else if let Some(body) = rest.strip_prefix("hex:") {
        Value::from_raw(kind::REG_BINARY, &parse_hex(body)?)
    } else if let Some(body) = rest.strip_prefix("hex(") {
        let close = body.find("):")?;
        let k = u32::from_str_radix(&body[..close], 16).ok()?;
        Value::from_raw(k, &parse_hex(&body[close + 2..])?)
    } else {
        return None;
    };
    Some((name, value))
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        out.push(u8::from_str_radix(part, 16).ok()?);
    }
    Some(out)
}
