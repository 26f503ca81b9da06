//! What `rmsi reg query --json` prints: a key's values and subkeys, typed for JSON.
//!
//! ```json
//! {"key":"HKEY_LOCAL_MACHINE\\Software\\X",
//!  "values":[{"name":null,"type":"REG_SZ","data":"text"},
//!            {"name":"n","type":"REG_DWORD","data":10},
//!            {"name":"m","type":"REG_MULTI_SZ","data":["a","b"]},
//!            {"name":"b","type":"REG_BINARY","data":"0a0b1c"}],
//!  "subkeys":["Sub"]}
//! ```
//!
//! A `REG_DWORD` or `REG_QWORD` is a number, a `REG_MULTI_SZ` an array of strings, a string
//! type a string; every other type (and data not in its type's form) is one string of
//! lower-case hexadecimal digits. Subkeys are names, not paths.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::path::{Root, View, split_key};
use crate::registry::{NamedValue, Registry};
use crate::store::Store;
use crate::value::Value;

/// A key as `rmsi reg query --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryResult {
    /// The key, with its root's long name (`HKEY_LOCAL_MACHINE\Software\X`).
    pub key: String,
    /// Its values, in enumeration order.
    pub values: Vec<QueryValue>,
    /// The names of its subkeys, in enumeration order.
    pub subkeys: Vec<String>,
}

/// One value of a [`QueryResult`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryValue {
    /// The name; `null` for the default value.
    pub name: Option<String>,
    /// The type's name (`REG_SZ`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The data, typed as the module documentation says.
    pub data: serde_json::Value,
}

impl QueryValue {
    /// The JSON form of a value.
    pub fn new(v: &NamedValue) -> QueryValue {
        let data = match &v.value {
            Value::Sz(s) | Value::ExpandSz(s) => serde_json::Value::from(s.as_str()),
            Value::Dword(d) => serde_json::Value::from(*d),
            Value::Qword(q) => serde_json::Value::from(*q),
            Value::MultiSz(list) => serde_json::Value::from(list.clone()),
            other => serde_json::Value::from(hex(&other.to_bytes())),
        };
        QueryValue {
            name: v.name.clone(),
            kind: v.value.type_name(),
            data,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl QueryResult {
    /// Queries `key` of `root` in `view`, as `reg query` does: all values and subkeys, or with
    /// `value` only that value (`Some(None)` is the default value) and no subkeys. `None`
    /// when the key, or the value asked for, does not exist (`reg query` then fails with
    /// `ERROR_FILE_NOT_FOUND`).
    pub fn query<S: Store>(
        registry: &Registry<S>,
        view: View,
        root: Root,
        key: &str,
        value: Option<Option<&str>>,
    ) -> Result<Option<QueryResult>> {
        let Some(values) = registry.values(view, root, key)? else {
            return Ok(None);
        };
        let mut name = root.long_name().to_string();
        for n in split_key(key)? {
            name.push('\\');
            name.push_str(&n);
        }
        let (values, subkeys) = match value {
            None => (
                values.iter().map(QueryValue::new).collect(),
                registry.subkeys(view, root, key)?.unwrap_or_default(),
            ),
            Some(wanted) => {
                let wanted = wanted.filter(|w| !w.is_empty()).map(crate::path::fold);
                let found: Vec<QueryValue> = values
                    .iter()
                    .filter(|v| v.name.as_deref().map(crate::path::fold) == wanted)
                    .map(QueryValue::new)
                    .collect();
                if found.is_empty() {
                    return Ok(None);
                }
                (found, Vec::new())
            }
        };
        Ok(Some(QueryResult {
            key: name,
            values,
            subkeys,
        }))
    }
}
