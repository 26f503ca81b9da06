//! RegisterTypeLibraries and UnregisterTypeLibraries: the TypeLib table ("TypeLib table",
//! "RegisterTypeLibraries action", "UnregisterTypeLibraries action").
//!
//! A type library is registered as `RegisterTypeLib` registers it, from its own header when
//! its component's key file is a type library file (version, LCID, SYSKIND, LIBFLAGS); one
//! inside a module's resources is not read, and the table's Version and Language stand in,
//! without FLAGS. The interfaces a library describes (`Interface\{IID}`) are not
//! registered: that is logged. The keys are always the machine's, even per-user; they are
//! written and taken back as the classes' are ([`super::classes`]).

use std::path::Path;

use winreg::Root;

use crate::sequence::ActionResult;
use crate::session::Session;

use super::classes::{CLASSES, Entry, Fate, Selection, key_file, push, sz};
use super::table_rows::Row;

/// What `RegisterTypeLib` takes from a type library itself, read from the header of a
/// type library in the MSFT format (the format MIDL and Wine's `widl` write: the `MSFT`
/// magic, then the LCID at 12, the SYSKIND in the low nibble of the flags at 20, the
/// version at 24 — major in the low word — and the LIBFLAGS at 28).
///
/// Hand-written: no crate reads type libraries; only these header fields are needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LibHeader {
    lcid: u32,
    /// `SYS_WIN16` 0, `SYS_WIN32` 1, `SYS_MAC` 2, `SYS_WIN64` 3.
    syskind: u32,
    major: u32,
    minor: u32,
    flags: u32,
}

fn lib_header(bytes: &[u8]) -> Option<LibHeader> {
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    if bytes.get(0..4)? != b"MSFT" {
        return None;
    }
    let version = word(24)?;
    Some(LibHeader {
        lcid: word(12)?,
        syskind: word(20)? & 0xF,
        major: version & 0xFFFF,
        minor: version >> 16,
        flags: word(28)? & 0xFFFF,
    })
}

/// The first bytes of the File table's `file` at `target`: the copy this installation
/// staged, else the file in place (a regular file only: a symlink in the root is not
/// followed).
fn file_head(s: &mut Session<'_, '_>, file: &str, target: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let path = match s.staged_file(file) {
        Some(staged) => s.stage().ok()?.dir_path().join(staged),
        None => {
            let rel = s.rel(target).ok()?;
            let st = s.lock.lstat(&rel)?;
            if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile
            {
                return None;
            }
            target.to_path_buf()
        }
    };
    let mut head = Vec::with_capacity(32);
    fs_err::File::open(path)
        .ok()?
        .take(32)
        .read_to_end(&mut head)
        .ok()?;
    Some(head)
}

/// A TypeLib row.
struct TypeLib {
    libid: String,
    language: i32,
    component: String,
    version: Option<i32>,
    description: Option<String>,
    directory: Option<String>,
}

/// RegisterTypeLibraries and UnregisterTypeLibraries: for each TypeLib row whose component
/// is installed (or removed), `TypeLib\{LibID}\<major>.<minor>` (hexadecimal, as
/// `RegisterTypeLib` writes them) with the Description, `<lcid>\win32` (`win64`, `win16`
/// as the library's SYSKIND says) with the key file's path, `FLAGS` with its LIBFLAGS, and
/// `HELPDIR` with Directory_'s path (the key file's folder when null), always under
/// `HKEY_LOCAL_MACHINE` ("TypeLib table", "RegisterTypeLib function").
fn type_libraries(s: &mut Session<'_, '_>, remove: bool) -> ActionResult {
    let sel = match Selection::new(s) {
        Ok(c) => c,
        Err(e) => return s.fail(e),
    };
    let rows: Vec<TypeLib> = Row::all(s.package.table("TypeLib"))
        .iter()
        .filter_map(|r| {
            Some(TypeLib {
                libid: r.text("LibID")?,
                language: r.int("Language")?,
                component: r.text("Component_")?,
                version: r.int("Version"),
                description: r.text("Description"),
                directory: r.text("Directory_"),
            })
        })
        .collect();
    for TypeLib {
        libid,
        language,
        component,
        version,
        description,
        directory,
    } in rows
    {
        let Some(comp) = sel.components.get(&component) else {
            continue;
        };
        let reinstalled = super::registry_values::installing(comp.installed);
        let fate = if super::registry_values::installing(comp.action)
            && comp.enabled
            && (sel.rewrite || !reinstalled)
        {
            Fate::Install
        } else if (super::registry_values::removing(comp.installed, comp.action)
            || sel.product_removed)
            && !sel.kept.contains(&component)
        {
            Fate::Remove
        } else {
            continue;
        };
        if (fate == Fate::Remove) != remove {
            continue;
        }
        let Some(path) = key_file(s, &sel, &component) else {
            s.log.engine(&format!(
                "TypeLib {libid}: component {component} has no key file; nothing registered."
            ));
            continue;
        };
        // RegisterTypeLib registers the library as it describes itself; the table's
        // values stand in when it cannot be read (a library inside a module's resources).
        let header = comp
            .key_path
            .clone()
            .and_then(|key| file_head(s, &key, Path::new(&path)))
            .and_then(|head| lib_header(&head));
        let bits64 = comp.attributes & package::tables::component::ATTR_64BIT != 0;
        let (major, minor, lcid, platform, flags) = match (header, version) {
            (Some(h), _) => (
                h.major,
                h.minor,
                h.lcid,
                match h.syskind {
                    0 => "win16",
                    3 => "win64",
                    _ => "win32",
                },
                Some(h.flags),
            ),
            (None, Some(v)) => {
                let v = u32::from_ne_bytes(v.to_ne_bytes());
                (
                    (v >> 8) & 0xFFFF,
                    v & 0xFF,
                    u32::from_ne_bytes(language.to_ne_bytes()),
                    if bits64 { "win64" } else { "win32" },
                    None,
                )
            }
            (None, None) => {
                s.log.engine(&format!(
                    "TypeLib {libid}: {path} is not a type library this platform reads, and the table gives no Version; nothing registered."
                ));
                continue;
            }
        };
        s.log.engine(&format!(
            "Executing op: {}(LibID={libid},Version={major}.{minor},Language={lcid},FilePath={path}) [{}]",
            if remove { "TypeLibraryUnregister" } else { "TypeLibraryRegister" },
            if header.is_some() {
                "the library's interfaces (Interface keys) are not registered on this platform"
            } else {
                "not a type library file this platform reads: its FLAGS and interfaces are not registered, the table's version, language and component bitness stand in"
            },
        ));
        let view = sel.view(&component);
        let base = format!(r"{CLASSES}\TypeLib\{libid}\{major:x}.{minor:x}");
        let help = directory
            .and_then(|d| s.ctx.dir_path(&d))
            .map(|p| p.display().to_string())
            .or_else(|| {
                path.rsplit_once(['/', '\\'])
                    .map(|(dir, _)| dir.to_string())
            })
            .unwrap_or_default();
        let entry = |key: String, value: String| Entry {
            view,
            root: Root::LocalMachine,
            key,
            name: None,
            value: sz(&value),
        };
        let mut entries = Vec::new();
        if let Some(d) = description {
            entries.push(entry(base.clone(), d));
        }
        entries.push(entry(format!(r"{base}\{lcid:x}\{platform}"), path));
        if let Some(f) = flags {
            entries.push(entry(format!(r"{base}\FLAGS"), f.to_string()));
        }
        entries.push(entry(format!(r"{base}\HELPDIR"), help));
        push(s, entries, remove);
    }
    ActionResult::Success
}

/// RegisterTypeLibraries.
pub(crate) fn register(s: &mut Session<'_, '_>) -> ActionResult {
    type_libraries(s, false)
}

/// UnregisterTypeLibraries.
pub(crate) fn unregister(s: &mut Session<'_, '_>) -> ActionResult {
    type_libraries(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_library_header_gives_what_register_type_lib_writes() {
        // Built by widl from tests/packages/src/com/rmsi.idl: version 1.2, LCID 0x409,
        // control|hidden, for 32-bit Windows.
        let tlb = fs_err::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/src/com/rmsi.tlb"),
        )
        .unwrap();
        assert_eq!(
            lib_header(&tlb),
            Some(LibHeader {
                lcid: 0x409,
                syskind: 1,
                major: 1,
                minor: 2,
                flags: 6,
            })
        );
        assert_eq!(lib_header(&tlb[..31]), None);
        assert_eq!(lib_header(b"MZ\x90\x00 not a type library, a module"), None);
    }
}
