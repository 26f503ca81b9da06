//! Reading the registry: the products installed, and which of them an Upgrade row matches
//! (FindRelatedProducts).

use rusqlite::{Connection, OptionalExtension, params};

use super::Registry;
use super::records::{ComponentRecord, ProductRecord};
use super::schema::{blob_path, files_of};
use crate::error::Result;
use crate::tables::upgrade::{self, UpgradeRow};
use package::Version;

impl Registry {
    /// The product installed with `product_code`, if any.
    ///
    /// In a Wine prefix, the prefix's registry has the last word: a product that Wine's
    /// own `msiexec /x` removed (its `Installer\UserData` registration gone) is not
    /// installed any more, whatever the database still records.
    pub fn product(&self, product_code: &str) -> Result<Option<ProductRecord>> {
        let Some(conn) = &self.conn else {
            return Ok(None);
        };
        let record = read_product(conn, product_code).map_err(|e| self.sql_err(e))?;
        if record.is_some() && self.wine.is_some() && !self.registered_in_prefix(product_code)? {
            return Ok(None);
        }
        Ok(record)
    }

    /// Whether the prefix's registry holds `product_code`'s registration (per-machine or
    /// per-user).
    fn registered_in_prefix(&self, product_code: &str) -> Result<bool> {
        let Ok(packed) = winreg::pack_guid(product_code) else {
            return Ok(true);
        };
        let user = self.user_sid();
        let found = self.read_winreg(|reg| {
            for sid in [crate::winstate::MACHINE_SID, user.as_str()] {
                let key = format!(
                    r"Software\Microsoft\Windows\CurrentVersion\Installer\UserData\{sid}\Products\{packed}"
                );
                if reg.key_exists(winreg::View::Native64, winreg::Root::LocalMachine, &key)? {
                    return Ok(true);
                }
            }
            Ok(false)
        })?;
        Ok(found.unwrap_or(true))
    }

    /// Whether `product_code` is installed (the `Installed` property).
    pub fn is_installed(&self, product_code: &str) -> Result<bool> {
        Ok(self.product(product_code)?.is_some())
    }

    /// Every installed product, by product code.
    pub fn products(&self) -> Result<Vec<ProductRecord>> {
        let Some(conn) = &self.conn else {
            return Ok(Vec::new());
        };
        let codes: Vec<String> = (|| {
            let mut stmt =
                conn.prepare("SELECT product_code FROM products ORDER BY product_code")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
        })()
        .map_err(|e| self.sql_err(e))?;
        let mut out = Vec::new();
        for code in codes {
            if let Some(p) = self.product(&code)? {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Products of the family `upgrade_code` (FindRelatedProducts).
    pub fn related(&self, upgrade_code: &str) -> Result<Vec<ProductRecord>> {
        Ok(self
            .products()?
            .into_iter()
            .filter(|p| {
                p.upgrade_code
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(upgrade_code))
            })
            .collect())
    }

    /// The context an installed product was registered in, as the `ALLUSERS` value that
    /// selects it (`"1"` per-machine, `""` per-user), from its `Installer\UserData` key; `None`
    /// when the registry does not say.
    pub(crate) fn installed_context(
        &self,
        product_code: &str,
    ) -> crate::error::Result<Option<&'static str>> {
        let Ok(packed) = winreg::pack_guid(product_code) else {
            return Ok(None);
        };
        let user = self.user_sid();
        let found = self.read_winreg(|reg| {
            for (sid, all_users) in [(crate::winstate::MACHINE_SID, "1"), (user.as_str(), "")] {
                let key = format!(
                    r"Software\Microsoft\Windows\CurrentVersion\Installer\UserData\{sid}\Products\{packed}"
                );
                if reg.key_exists(winreg::View::Native64, winreg::Root::LocalMachine, &key)? {
                    return Ok(Some(all_users));
                }
            }
            Ok(None)
        })?;
        Ok(found.flatten())
    }
}

fn read_product(conn: &Connection, code: &str) -> rusqlite::Result<Option<ProductRecord>> {
    let head = conn
        .query_row(
            "SELECT product_code, upgrade_code, version, name, manufacturer, language, package_path, cached_package
             FROM products WHERE product_code = ?1",
            params![code],
            |r| {
                Ok(ProductRecord {
                    product_code: r.get(0)?,
                    upgrade_code: r.get(1)?,
                    version: r.get(2)?,
                    name: r.get(3)?,
                    manufacturer: r.get(4)?,
                    language: r.get(5)?,
                    package_path: blob_path(r.get(6)?),
                    cached_package: r.get::<_, Option<Vec<u8>>>(7)?.map(blob_path),
                    features: Vec::new(),
                    components: Vec::new(),
                    files: Vec::new(),
                    folders: Vec::new(),
                })
            },
        )
        .optional()?;
    let Some(mut p) = head else {
        return Ok(None);
    };
    let mut stmt =
        conn.prepare("SELECT feature FROM features WHERE product_code = ?1 ORDER BY feature")?;
    p.features = stmt
        .query_map(params![code], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(
        "SELECT component, component_id, key_path FROM components WHERE product_code = ?1 ORDER BY component",
    )?;
    p.components = stmt
        .query_map(params![code], |r| {
            Ok(ComponentRecord {
                component: r.get(0)?,
                component_id: r.get(1)?,
                key_path: r.get::<_, Option<Vec<u8>>>(2)?.map(blob_path),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare("SELECT component, paths FROM files WHERE product_code = ?1")?;
    let lists = stmt
        .query_map(params![code], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    p.files = files_of(lists);
    let mut stmt =
        conn.prepare("SELECT path FROM folders WHERE product_code = ?1 ORDER BY path")?;
    p.folders = stmt
        .query_map(params![code], |r| Ok(blob_path(r.get(0)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(p))
}

/// Whether an installed product matches an Upgrade row ("FindRelatedProducts
/// action", "Upgrade table"): same upgrade code, version within the row's bounds
/// (first three fields; inclusive per the attribute bits), and language in
/// (or, with LanguagesExclusive, not in) the row's list.
pub fn upgrade_matches(row: &UpgradeRow, product: &ProductRecord) -> bool {
    if !product
        .upgrade_code
        .as_deref()
        .is_some_and(|u| u.eq_ignore_ascii_case(&row.upgrade_code))
    {
        return false;
    }
    let version = Version::parse(&product.version).unwrap_or_default();
    if let Some(min) = row.version_min.as_deref().and_then(Version::parse) {
        let inclusive = row.attributes & upgrade::ATTR_VERSION_MIN_INCLUSIVE != 0;
        match version.cmp3(&min) {
            std::cmp::Ordering::Less => return false,
            std::cmp::Ordering::Equal if !inclusive => return false,
            _ => {}
        }
    }
    if let Some(max) = row.version_max.as_deref().and_then(Version::parse) {
        let inclusive = row.attributes & upgrade::ATTR_VERSION_MAX_INCLUSIVE != 0;
        match version.cmp3(&max) {
            std::cmp::Ordering::Greater => return false,
            std::cmp::Ordering::Equal if !inclusive => return false,
            _ => {}
        }
    }
    let langs: Vec<&str> = row
        .language
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if !langs.is_empty() {
        let lang = product.language.as_deref().unwrap_or("0");
        let listed = langs.contains(&lang);
        let exclusive = row.attributes & upgrade::ATTR_LANGUAGES_EXCLUSIVE != 0;
        if listed == exclusive {
            return false;
        }
    }
    true
}
