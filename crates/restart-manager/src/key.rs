//! The session key: 16 random bytes shown as 32 lowercase hex digits ("RmStartSession
//! function": `CCH_RM_SESSION_KEY` = 32).
//!
//! The key is the only credential needed to join a session, so it is compared in
//! constant time and never used as a file name: the session folder is named by
//! the SHA-256 of the key instead ([`SessionKey::dir_name`]).

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::Error;

/// Number of random bytes in a key (`RM_SESSION_KEY_LEN`).
pub const SESSION_KEY_LEN: usize = 16;

/// Number of characters of a key's text form (`CCH_RM_SESSION_KEY`).
pub const CCH_SESSION_KEY: usize = SESSION_KEY_LEN * 2;

/// A session key.
///
/// Invariant: always exactly 16 bytes; its text form is always 32 lowercase hex
/// digits. Equality is constant-time.
#[derive(Clone)]
pub struct SessionKey([u8; SESSION_KEY_LEN]);

impl SessionKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<SessionKey, Error> {
        let mut bytes = [0u8; SESSION_KEY_LEN];
        getrandom::fill(&mut bytes).map_err(|e| {
            Error::io(
                "cannot read the system random source",
                std::io::Error::other(e.to_string()),
            )
        })?;
        Ok(SessionKey(bytes))
    }

    /// Parses a key's text form: 32 hex digits. Upper-case digits are accepted and
    /// surrounding whitespace (a trailing newline from stdin) is ignored. A malformed
    /// key "cannot be validated": `ERROR_SESSION_CREDENTIAL_CONFLICT`, as
    /// `RmJoinSession` documents.
    pub fn parse(text: &str) -> Result<SessionKey, Error> {
        let text = text.trim();
        let bad = || {
            Error::SessionCredentialConflict(format!(
                "the session key cannot be validated: a key is {CCH_SESSION_KEY} hex digits, not {:?}",
                truncate(text)
            ))
        };
        if text.len() != CCH_SESSION_KEY || !text.is_ascii() {
            return Err(bad());
        }
        let mut bytes = [0u8; SESSION_KEY_LEN];
        for (i, pair) in text.as_bytes().chunks_exact(2).enumerate() {
            let hi = hex_value(pair[0]).ok_or_else(bad)?;
            let lo = hex_value(pair[1]).ok_or_else(bad)?;
            bytes[i] = (hi << 4) | lo;
        }
        Ok(SessionKey(bytes))
    }

    /// The name of this session's folder inside the state folder: the SHA-256 of
    /// the key, in hex, so that listing the state folder reveals no key.
    pub fn dir_name(&self) -> String {
        hex(&Sha256::digest(self.0))
    }

    /// Constant-time comparison with another key.
    pub fn matches(&self, other: &SessionKey) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

impl PartialEq for SessionKey {
    fn eq(&self, other: &SessionKey) -> bool {
        self.matches(other)
    }
}

impl Eq for SessionKey {}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

/// Debug never prints the key itself: it is a credential.
impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl FromStr for SessionKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<SessionKey, Error> {
        SessionKey::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_32_lowercase_hex_and_distinct() {
        let a = SessionKey::generate().unwrap();
        let b = SessionKey::generate().unwrap();
        let text = a.to_string();
        assert_eq!(text.len(), 32);
        assert!(
            text.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert_ne!(a, b);
        assert_eq!(SessionKey::parse(&text).unwrap(), a);
        assert_eq!(
            SessionKey::parse(&format!("{}\n", text.to_uppercase())).unwrap(),
            a
        );
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in ["", "abc", &"g".repeat(32), &"a".repeat(33), &"é".repeat(16)] {
            let err = SessionKey::parse(bad).unwrap_err();
            assert_eq!(err.code(), 1219, "{bad:?}");
        }
    }

    #[test]
    fn dir_name_is_not_the_key() {
        let k = SessionKey::generate().unwrap();
        assert_eq!(k.dir_name().len(), 64);
        assert!(!k.dir_name().contains(&k.to_string()));
        assert_eq!(format!("{k:?}"), "SessionKey(..)");
    }
}
