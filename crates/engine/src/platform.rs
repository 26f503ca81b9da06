//! The package's Template summary property against the machine the layouts model (64-bit
//! Windows 7 on x64, English (United States)), checked as Windows Installer checks it when
//! it opens a package, before anything runs ("Template Summary property").
//!
//! - No Template: accepted.
//! - No `;` between the platforms and the languages: not a valid installer summary
//!   (ERROR_PATCH_PACKAGE_INVALID, 1636, as the installer answers it).
//! - Platforms: the first one of a comma list that is recognised counts; a missing platform
//!   is Intel. Intel and x64 (or AMD64) run on this machine; Intel64 (Itanium), Arm and
//!   Arm64 do not (1633 ERROR_INSTALL_PLATFORM_UNSUPPORTED), nor does a list with no
//!   platform recognised. An x64 package needs schema (Page Count) 200 or more: below it the
//!   package is invalid (1620 ERROR_INSTALL_PACKAGE_INVALID).
//! - Languages: when listed, at least one must be a locale Windows knows (1623
//!   ERROR_INSTALL_LANGUAGE_UNSUPPORTED otherwise); a neutral primary language or sublanguage
//!   is completed from the system's default language, 1033.

use package::Summary;

use crate::error::{Error, Result};

/// The system default language of the modelled machine: English (United States).
const SYSTEM_LANGID: u16 = 0x0409;

/// The locale identifiers Windows defines (Microsoft's "Language Identifier Constants and
/// Strings" table, as Python's `locale.windows_locale` carries it). A sorted list: looked
/// up by binary search.
const LCIDS: &[u16] = &[
    0x0004, 0x0401, 0x0402, 0x0403, 0x0404, 0x0405, 0x0406, 0x0407, 0x0408, 0x0409, 0x040A, 0x040B,
    0x040C, 0x040D, 0x040E, 0x040F, 0x0410, 0x0411, 0x0412, 0x0413, 0x0414, 0x0415, 0x0416, 0x0417,
    0x0418, 0x0419, 0x041A, 0x041B, 0x041C, 0x041D, 0x041E, 0x041F, 0x0420, 0x0421, 0x0422, 0x0423,
    0x0424, 0x0425, 0x0426, 0x0427, 0x0428, 0x0429, 0x042A, 0x042B, 0x042C, 0x042D, 0x042E, 0x042F,
    0x0432, 0x0434, 0x0435, 0x0436, 0x0437, 0x0438, 0x0439, 0x043A, 0x043B, 0x043E, 0x043F, 0x0440,
    0x0441, 0x0442, 0x0443, 0x0444, 0x0445, 0x0446, 0x0447, 0x0448, 0x0449, 0x044A, 0x044B, 0x044C,
    0x044D, 0x044E, 0x044F, 0x0450, 0x0451, 0x0452, 0x0453, 0x0454, 0x0456, 0x0457, 0x045A, 0x045B,
    0x045D, 0x045E, 0x0461, 0x0462, 0x0463, 0x0464, 0x0465, 0x0468, 0x046A, 0x046B, 0x046C, 0x046D,
    0x046E, 0x046F, 0x0478, 0x047A, 0x047C, 0x047E, 0x0480, 0x0481, 0x0482, 0x0483, 0x0484, 0x0485,
    0x0486, 0x0487, 0x0488, 0x048C, 0x0801, 0x0804, 0x0807, 0x0809, 0x080A, 0x080C, 0x0810, 0x0813,
    0x0814, 0x0816, 0x081A, 0x081D, 0x0820, 0x082C, 0x082E, 0x083B, 0x083C, 0x083E, 0x0843, 0x0850,
    0x0851, 0x085D, 0x085F, 0x086B, 0x0C01, 0x0C04, 0x0C07, 0x0C09, 0x0C0A, 0x0C0C, 0x0C1A, 0x0C3B,
    0x0C6B, 0x1001, 0x1004, 0x1007, 0x1009, 0x100A, 0x100C, 0x101A, 0x103B, 0x1401, 0x1404, 0x1407,
    0x1409, 0x140A, 0x140C, 0x141A, 0x143B, 0x1801, 0x1809, 0x180A, 0x180C, 0x181A, 0x183B, 0x1C01,
    0x1C09, 0x1C0A, 0x1C1A, 0x1C3B, 0x2001, 0x2009, 0x200A, 0x201A, 0x203B, 0x2401, 0x2409, 0x240A,
    0x243B, 0x2801, 0x2809, 0x280A, 0x2C01, 0x2C09, 0x2C0A, 0x3001, 0x3009, 0x300A, 0x3401, 0x3409,
    0x340A, 0x3801, 0x380A, 0x3C01, 0x3C0A, 0x4001, 0x4009, 0x400A, 0x4409, 0x440A, 0x4809, 0x480A,
    0x4C0A, 0x500A, 0x540A, 0x7C04,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    Intel,
    Intel64,
    X64,
    Arm,
    Arm64,
}

fn parse_platform(s: &str) -> Option<Platform> {
    // Compared exactly, as the installer compares them (case-sensitive).
    match s {
        "" | "Intel" => Some(Platform::Intel),
        "Intel64" => Some(Platform::Intel64),
        "x64" | "AMD64" => Some(Platform::X64),
        "Arm" => Some(Platform::Arm),
        "Arm64" => Some(Platform::Arm64),
        _ => None,
    }
}

/// Checks the package's Template (and schema) as the installer does when it opens it.
pub(crate) fn check_template(summary: &Summary) -> Result<()> {
    let template = summary.template.as_str();
    if template.is_empty() {
        return Ok(());
    }
    let Some((platforms, languages)) = template.split_once(';') else {
        return Err(Error::TemplateInvalid {
            template: template.to_string(),
        });
    };
    let Some(platform) = platforms.split(',').find_map(parse_platform) else {
        return Err(Error::PlatformUnsupported {
            message: format!("the Template summary property {template:?} names no known platform"),
        });
    };
    match platform {
        Platform::Intel => {}
        Platform::X64 => {
            let schema = summary.page_count.unwrap_or(0);
            if schema < 200 {
                return Err(Error::SchemaTooLow {
                    template: template.to_string(),
                    schema,
                });
            }
        }
        Platform::Intel64 | Platform::Arm | Platform::Arm64 => {
            return Err(Error::PlatformUnsupported {
                message: format!(
                    "the package is for {platforms} (Template {template:?}); this machine is 64-bit Windows on x64"
                ),
            });
        }
    }
    if languages.is_empty() {
        return Ok(());
    }
    let supported = languages.split(',').any(|l| {
        // As wcstol reads it: leading digits, anything else 0.
        let digits: String = l
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let id = digits.parse::<u32>().unwrap_or(0) as u16;
        language_installed(id)
    });
    if supported {
        Ok(())
    } else {
        Err(Error::LanguageUnsupported {
            template: template.to_string(),
        })
    }
}

/// Whether `langid` names a locale of this machine, its neutral parts completed from the
/// system default language.
fn language_installed(langid: u16) -> bool {
    let (mut primary, mut sub) = (langid & 0x3ff, langid >> 10);
    if primary == 0 {
        primary = SYSTEM_LANGID & 0x3ff;
    }
    if sub == 0 {
        sub = SYSTEM_LANGID >> 10;
    }
    LCIDS.binary_search(&((sub << 10) | primary)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(template: &str, schema: i32) -> Option<(u32, &'static str)> {
        let summary = Summary {
            template: template.to_string(),
            page_count: Some(schema),
            ..Summary::default()
        };
        check_template(&summary).err().map(|e| (e.code(), e.name()))
    }

    #[test]
    fn platforms_as_the_installer_reads_them() {
        for ok in [
            "Intel;1033",
            ";1033",
            "x64;1033",
            "AMD64;1033",
            "Intel ,x64;1033",
            "",
            "Intel;",
        ] {
            assert_eq!(check(ok, 200), None, "{ok:?}");
        }
        assert_eq!(
            check("Intel64;1033", 200),
            Some((1633, "ERROR_INSTALL_PLATFORM_UNSUPPORTED"))
        );
        assert_eq!(
            check("Arm64;1033", 500),
            Some((1633, "ERROR_INSTALL_PLATFORM_UNSUPPORTED"))
        );
        assert_eq!(
            check("Arm;0", 500),
            Some((1633, "ERROR_INSTALL_PLATFORM_UNSUPPORTED"))
        );
        assert_eq!(
            check("Alpha;1033", 200),
            Some((1633, "ERROR_INSTALL_PLATFORM_UNSUPPORTED"))
        );
        // The first recognised platform of a list counts.
        assert_eq!(check("Alpha,Intel;1033", 200), None);
        assert_eq!(
            check("x64;1033", 150),
            Some((1620, "ERROR_INSTALL_PACKAGE_INVALID"))
        );
        assert_eq!(check("Intel;1033", 100), None);
        assert_eq!(
            check("Intel", 200),
            Some((1636, "ERROR_PATCH_PACKAGE_INVALID"))
        );
    }

    #[test]
    fn languages_need_one_that_windows_knows() {
        for ok in [
            "Intel;1033",
            "Intel;0",
            "Intel;9",
            "Intel;2057",
            "Intel;9999,1031",
            "Intel;1041",
        ] {
            assert_eq!(check(ok, 200), None, "{ok:?}");
        }
        assert_eq!(
            check("Intel;9999", 200),
            Some((1623, "ERROR_INSTALL_LANGUAGE_UNSUPPORTED"))
        );
        assert_eq!(check("Intel;1033x", 200), None);
    }
}
