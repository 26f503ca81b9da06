//! The validation flags and error conditions of a transform, with the documented names
//! (`MSITRANSFORM_VALIDATE_*` and `MSITRANSFORM_ERROR_*` on "MsiCreateTransformSummaryInfo"),
//! lower-cased without their prefix for the command line.

use serde::Serialize;

/// What the installer checks before applying a transform ("Transform Validation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Validation(pub u16);

/// The error conditions suppressed while applying a transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ErrorConditions(pub u16);

impl Validation {
    /// `MSITRANSFORM_VALIDATE_LANGUAGE`: the default language must match the base's.
    pub const LANGUAGE: u16 = 0x0001;
    /// `MSITRANSFORM_VALIDATE_PRODUCT`: the ProductCode must match the base's.
    pub const PRODUCT: u16 = 0x0002;
    /// `MSITRANSFORM_VALIDATE_PLATFORM`: the platform must match the base's.
    pub const PLATFORM: u16 = 0x0004;
    /// `MSITRANSFORM_VALIDATE_MAJORVERSION`: compare major versions only.
    pub const MAJORVERSION: u16 = 0x0008;
    /// `MSITRANSFORM_VALIDATE_MINORVERSION`: compare major and minor versions.
    pub const MINORVERSION: u16 = 0x0010;
    /// `MSITRANSFORM_VALIDATE_UPDATEVERSION`: compare major, minor and update versions.
    pub const UPDATEVERSION: u16 = 0x0020;
    /// `MSITRANSFORM_VALIDATE_NEWLESSBASEVERSION`: installed < base.
    pub const NEWLESSBASEVERSION: u16 = 0x0040;
    /// `MSITRANSFORM_VALIDATE_NEWLESSEQUALBASEVERSION`: installed <= base.
    pub const NEWLESSEQUALBASEVERSION: u16 = 0x0080;
    /// `MSITRANSFORM_VALIDATE_NEWEQUALBASEVERSION`: installed = base.
    pub const NEWEQUALBASEVERSION: u16 = 0x0100;
    /// `MSITRANSFORM_VALIDATE_NEWGREATEREQUALBASEVERSION`: installed >= base.
    pub const NEWGREATEREQUALBASEVERSION: u16 = 0x0200;
    /// `MSITRANSFORM_VALIDATE_NEWGREATERBASEVERSION`: installed > base.
    pub const NEWGREATERBASEVERSION: u16 = 0x0400;
    /// `MSITRANSFORM_VALIDATE_UPGRADECODE`: the UpgradeCode must match the base's.
    pub const UPGRADECODE: u16 = 0x0800;

    /// Each flag's command-line name and value.
    pub const NAMES: [(&'static str, u16); 12] = [
        ("language", Self::LANGUAGE),
        ("product", Self::PRODUCT),
        ("platform", Self::PLATFORM),
        ("majorversion", Self::MAJORVERSION),
        ("minorversion", Self::MINORVERSION),
        ("updateversion", Self::UPDATEVERSION),
        ("newlessbaseversion", Self::NEWLESSBASEVERSION),
        ("newlessequalbaseversion", Self::NEWLESSEQUALBASEVERSION),
        ("newequalbaseversion", Self::NEWEQUALBASEVERSION),
        (
            "newgreaterequalbaseversion",
            Self::NEWGREATEREQUALBASEVERSION,
        ),
        ("newgreaterbaseversion", Self::NEWGREATERBASEVERSION),
        ("upgradecode", Self::UPGRADECODE),
    ];

    /// Whether `flag` is set.
    pub fn has(self, flag: u16) -> bool {
        self.0 & flag != 0
    }

    /// Parses `a,b,c` (names from [`Validation::NAMES`], or `none`).
    pub fn parse(list: &str) -> Result<Validation, String> {
        parse(list, &Self::NAMES).map(Validation)
    }

    /// The set flags' names.
    pub fn names(self) -> Vec<&'static str> {
        names(self.0, &Self::NAMES)
    }
}

impl ErrorConditions {
    /// `MSITRANSFORM_ERROR_ADDEXISTINGROW`: adding a row that exists.
    pub const ADDEXISTINGROW: u16 = 0x0001;
    /// `MSITRANSFORM_ERROR_DELMISSINGROW`: deleting a row that does not exist.
    pub const DELMISSINGROW: u16 = 0x0002;
    /// `MSITRANSFORM_ERROR_ADDEXISTINGTABLE`: adding a table that exists.
    pub const ADDEXISTINGTABLE: u16 = 0x0004;
    /// `MSITRANSFORM_ERROR_DELMISSINGTABLE`: deleting a table that does not exist.
    pub const DELMISSINGTABLE: u16 = 0x0008;
    /// `MSITRANSFORM_ERROR_UPDATEMISSINGROW`: updating a row that does not exist.
    pub const UPDATEMISSINGROW: u16 = 0x0010;
    /// `MSITRANSFORM_ERROR_CHANGECODEPAGE`: the transform's and database's code pages
    /// differ and neither is neutral.
    pub const CHANGECODEPAGE: u16 = 0x0020;
    /// `MSITRANSFORM_ERROR_VIEWTRANSFORM`: create the `_TransformView` table (Orca's view
    /// of a transform; has no effect here).
    pub const VIEWTRANSFORM: u16 = 0x0100;

    /// Each condition's command-line name and value.
    pub const NAMES: [(&'static str, u16); 7] = [
        ("addexistingrow", Self::ADDEXISTINGROW),
        ("delmissingrow", Self::DELMISSINGROW),
        ("addexistingtable", Self::ADDEXISTINGTABLE),
        ("delmissingtable", Self::DELMISSINGTABLE),
        ("updatemissingrow", Self::UPDATEMISSINGROW),
        ("changecodepage", Self::CHANGECODEPAGE),
        ("viewtransform", Self::VIEWTRANSFORM),
    ];

    /// Whether `flag` is suppressed.
    pub fn has(self, flag: u16) -> bool {
        self.0 & flag != 0
    }

    /// Parses `a,b,c` (names from [`ErrorConditions::NAMES`], or `none`).
    pub fn parse(list: &str) -> Result<ErrorConditions, String> {
        parse(list, &Self::NAMES).map(ErrorConditions)
    }

    /// The set conditions' names.
    pub fn names(self) -> Vec<&'static str> {
        names(self.0, &Self::NAMES)
    }
}

fn parse(list: &str, table: &[(&str, u16)]) -> Result<u16, String> {
    let mut value = 0;
    for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let word = word.to_ascii_lowercase();
        if word == "none" {
            continue;
        }
        match table.iter().find(|(name, _)| *name == word) {
            Some((_, v)) => value |= v,
            None => {
                let known: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown flag {word:?} (known: none, {})",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(value)
}

fn names(value: u16, table: &[(&'static str, u16)]) -> Vec<&'static str> {
    table
        .iter()
        .filter(|(_, v)| value & v != 0)
        .map(|(n, _)| *n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_by_their_documented_names() {
        let v = Validation::parse("product,UpgradeCode, majorversion").unwrap();
        assert_eq!(v.0, 0x0002 | 0x0800 | 0x0008);
        assert_eq!(v.names(), ["product", "majorversion", "upgradecode"]);
        assert_eq!(Validation::parse("none").unwrap().0, 0);
        assert!(Validation::parse("productcode").is_err());
        let e = ErrorConditions::parse("addexistingrow,changecodepage").unwrap();
        assert_eq!(e.0, 0x21);
    }
}
