//! `TRANSFORMS` at install: the transforms applied to the package in memory right after
//! it is opened, before anything reads its tables and before the command line's
//! properties ("TRANSFORMS property", "Transforms", "Secured Transforms", "Embedded
//! Transforms").
//!
//! The value is a `;`-separated list, applied in order. `:Name` is a transform embedded in
//! the package as a substorage. A list starting with `@` is secured at the source (each
//! path relative to the package's folder); with `|`, each is a full path. An unsecured
//! relative path is looked up in the current directory, then beside the package. Each
//! transform's validation flags are checked against the package as transformed so far,
//! and its error conditions honoured; one that does not apply ends the install with 1624
//! (`ERROR_INSTALL_TRANSFORM_FAILURE`) and the reason in the log.
//!
//! `TRANSFORMSATSOURCE=1` finds an unsecured list at the source, as `@` does.
//! `MSINEWINSTANCE=1` installs a new instance: `TRANSFORMS` must be given (else 1639) and
//! its first transform must change the product code (else 1624).
//!
//! Without `TRANSFORMS`, an installed product's package gets the transforms it was
//! installed with again (kept in the product registry): maintenance and removal see the
//! product as it was installed.

use std::path::{Path, PathBuf};

use package::{Package, Transform};

use crate::error::{Error, Result};
use crate::log::Log;
use crate::registry::Registry;
use crate::request::InstallRequest;

/// How the list's paths are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Secure {
    /// Not secured: the current directory, then beside the package.
    No,
    /// `@`: relative to the package's folder.
    AtSource,
    /// `|`: full paths.
    FullPath,
}

/// The transforms `TRANSFORMS` names, in order, with how their paths resolve.
fn parse(value: &str) -> (Secure, Vec<String>) {
    let value = value.trim();
    let (secure, list) = match value.chars().next() {
        Some('@') => (Secure::AtSource, &value[1..]),
        Some('|') => (Secure::FullPath, &value[1..]),
        _ => (Secure::No, value),
    };
    let names = list
        .split(';')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    (secure, names)
}

fn resolve(name: &str, secure: Secure, package: &Package) -> PathBuf {
    let path = Path::new(name);
    match secure {
        Secure::FullPath => path.to_path_buf(),
        _ if path.is_absolute() => path.to_path_buf(),
        Secure::AtSource => package.source_dir().join(path),
        Secure::No if path.exists() => path.to_path_buf(),
        Secure::No => package.source_dir().join(path),
    }
}

/// Reads the transform `name` of the list.
fn read(name: &str, secure: Secure, package: &Package) -> package::Result<Transform> {
    match name.strip_prefix(':') {
        Some(embedded) => package.embedded_transform(embedded),
        None => {
            let mut t = Transform::open(resolve(name, secure, package))?;
            t.set_name(name);
            Ok(t)
        }
    }
}

/// Applies the transforms the request asks for (or those the product was installed
/// with) to `package`.
pub(crate) fn apply(
    package: &mut Package,
    request: &InstallRequest,
    root: &Path,
    log: &mut Log,
) -> Result<()> {
    let asked = request
        .property("TRANSFORMS")
        .map(str::to_string)
        .filter(|v| !v.trim().is_empty());
    let prop = |name: &str| request.property(name).map(|v| v.trim().to_string());
    // "MSINEWINSTANCE property": its presence requires TRANSFORMS, whose first transform
    // must be an instance transform (one that changes the product code). Without
    // TRANSFORMS the command line is incomplete (1639).
    let new_instance = prop("MSINEWINSTANCE").is_some_and(|v| !v.is_empty());
    if new_instance && asked.is_none() {
        return Err(Error::InvalidCommandLine {
            message: "MSINEWINSTANCE needs TRANSFORMS with an instance transform first".into(),
        });
    }
    let transforms: Vec<(String, package::Result<Transform>)> = match &asked {
        Some(value) => {
            let (mut secure, names) = parse(value);
            // "TRANSFORMSATSOURCE property": an unsecured list is found at the source.
            if secure == Secure::No && prop("TRANSFORMSATSOURCE").as_deref() == Some("1") {
                secure = Secure::AtSource;
            }
            names
                .into_iter()
                .map(|n| {
                    let t = read(&n, secure, package);
                    (n, t)
                })
                .collect()
        }
        None => {
            let code = package.property("ProductCode").unwrap_or_default();
            let registry = Registry::for_root(root, request.layout)?;
            registry
                .transforms(&code)?
                .into_iter()
                .map(|(name, cached)| {
                    let t = Transform::open(&cached).map(|mut t| {
                        t.set_name(name.clone());
                        t
                    });
                    (name, t)
                })
                .collect()
        }
    };
    let list = asked.clone().unwrap_or_else(|| {
        transforms
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(";")
    });
    let original_code = package.property("ProductCode").unwrap_or_default();
    for (i, (name, transform)) in transforms.into_iter().enumerate() {
        let applied = transform.and_then(|t| {
            log.engine(&format!(
                "Applying transform {name}: {}{} -> {}{} (validation {}; suppressed errors {})",
                t.summary().base_product_code,
                t.summary().base_version,
                t.summary().new_product_code,
                t.summary().new_version,
                flags(t.summary().validation.names()),
                flags(t.summary().error_conditions.names()),
            ));
            package.apply_transform_checked(&t)?;
            let code = package.property("ProductCode").unwrap_or_default();
            if new_instance && i == 0 && code.eq_ignore_ascii_case(&original_code) {
                return Err(package::Error::transform(
                    &name,
                    "MSINEWINSTANCE is set and the first transform is not an instance transform (it keeps the product code)",
                ));
            }
            Ok(())
        });
        if let Err(e) = applied {
            let why = match &e {
                package::Error::TransformFailure { reason, .. } => reason.clone(),
                other => other.to_string(),
            };
            log.engine(&format!("Transform {name} does not apply: {why}"));
            // The message names the list; say which of it when it has several.
            let reason = if list == name {
                why
            } else {
                format!("{name}: {why}")
            };
            return Err(Error::TransformFailure {
                transforms: list,
                reason,
            });
        }
    }
    if let Some(code) = package.property("ProductCode")
        && !package.applied_transforms().is_empty()
    {
        log.engine(&format!(
            "Transforms applied: {list}; the product code is now {code}"
        ));
    }
    Ok(())
}

fn flags(names: Vec<&str>) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_their_secure_forms() {
        assert_eq!(
            parse("a.mst;:Inst1; b.mst ;"),
            (
                Secure::No,
                vec!["a.mst".into(), ":Inst1".into(), "b.mst".into()]
            )
        );
        assert_eq!(
            parse("@a.mst;b.mst"),
            (Secure::AtSource, vec!["a.mst".into(), "b.mst".into()])
        );
        assert_eq!(
            parse("|/x/a.mst"),
            (Secure::FullPath, vec!["/x/a.mst".into()])
        );
    }
}
