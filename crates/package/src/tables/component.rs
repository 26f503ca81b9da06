//! The Component and FeatureComponents tables.

use super::{Table, read_all};
use crate::error::Result;

/// `msidbComponentAttributesSourceOnly`.
pub const ATTR_SOURCE_ONLY: i32 = 0x0001;
/// `msidbComponentAttributesOptional`.
pub const ATTR_OPTIONAL: i32 = 0x0002;
/// `msidbComponentAttributesRegistryKeyPath`.
pub const ATTR_REGISTRY_KEY_PATH: i32 = 0x0004;
/// `msidbComponentAttributesPermanent`.
pub const ATTR_PERMANENT: i32 = 0x0010;
/// `msidbComponentAttributesODBCDataSource`.
pub const ATTR_ODBC_DATA_SOURCE: i32 = 0x0020;
/// `msidbComponentAttributesTransitive`.
pub const ATTR_TRANSITIVE: i32 = 0x0040;
/// `msidbComponentAttributesNeverOverwrite`.
pub const ATTR_NEVER_OVERWRITE: i32 = 0x0080;
/// `msidbComponentAttributes64bit`.
pub const ATTR_64BIT: i32 = 0x0100;

/// A Component row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentRow {
    /// The key.
    pub component: String,
    /// The component GUID; `None` ⇒ not registered.
    pub component_id: Option<String>,
    /// The Directory key (or property) of the component's folder.
    pub directory: String,
    /// `msidbComponentAttributes*` bits.
    pub attributes: i32,
    /// The condition; `None` ⇒ always enabled.
    pub condition: Option<String>,
    /// The key path: a File key, a Registry/ODBC key per the attributes, or
    /// `None` (the folder is the key path).
    pub key_path: Option<String>,
}

impl ComponentRow {
    /// Whether `KeyPath` names a File row (neither the registry nor the
    /// ODBC attribute is set).
    pub fn key_path_is_file(&self) -> bool {
        self.attributes & (ATTR_REGISTRY_KEY_PATH | ATTR_ODBC_DATA_SOURCE) == 0
            && self.key_path.is_some()
    }
}

/// Reads the Component table.
pub fn read(table: Option<&Table>) -> Result<Vec<ComponentRow>> {
    read_all(table, |row| {
        Ok(ComponentRow {
            component: row.str("Component")?,
            component_id: row.opt_str("ComponentId"),
            directory: row.str("Directory_")?,
            attributes: row.opt_int("Attributes")?.unwrap_or(0),
            condition: row.opt_str("Condition"),
            key_path: row.opt_str("KeyPath"),
        })
    })
}

/// A FeatureComponents row: `component` belongs to `feature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureComponentsRow {
    /// The Feature key.
    pub feature: String,
    /// The Component key.
    pub component: String,
}

/// Reads the FeatureComponents table.
pub fn read_feature_components(table: Option<&Table>) -> Result<Vec<FeatureComponentsRow>> {
    read_all(table, |row| {
        Ok(FeatureComponentsRow {
            feature: row.str("Feature_")?,
            component: row.str("Component_")?,
        })
    })
}
