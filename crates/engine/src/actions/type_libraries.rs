//! RegisterTypeLibraries and UnregisterTypeLibraries: the TypeLib table ("TypeLib table",
//! "RegisterTypeLibraries action", "UnregisterTypeLibraries action").
//!
//! A type library is registered as `RegisterTypeLib` registers it ("RegisterTypeLib
//! function"), from the library itself when its component's key file is a type library
//! file ([`super::type_library`]): version, LCID, SYSKIND and LIBFLAGS under
//! `TypeLib\{LIBID}`, and under `Interface\{IID}` each interface an automation client can
//! marshal — every dispinterface (dual ones included) and every `[oleautomation]`
//! interface — with its name, its `ProxyStubClsid` and `ProxyStubClsid32` and its
//! `TypeLib` ("Registering Interfaces"), in both registry views of the `windows` layout as
//! 64-bit Windows writes them. A library inside a module's resources is not read: the
//! table's Version and Language stand in, without FLAGS or interfaces, and that is logged.
//! The keys are always the machine's, even per-user; they are written and taken back as
//! the classes' are ([`super::classes`]): a value goes only while it still holds what the
//! product wrote.

use winreg::{Root, View};

use crate::sequence::ActionResult;
use crate::session::Session;

use super::classes::{CLASSES, Entry, Fate, Selection, key_file, push, sz};
use super::table_rows::Row;
use super::type_library;

/// The most of a type library file read: `RegisterTypeLib` maps the whole file, but a
/// package controls its size; a library cut here registers what lies before the cut.
const LIBRARY_READ_LIMIT: u64 = 64 << 20;

/// The File table's `file` at `target` (its first [`LIBRARY_READ_LIMIT`] bytes): the copy
/// this installation staged, else the file in place (a regular file only: a symlink in the
/// root is not followed). `target` is the path as registered: a Windows path in a Wine
/// prefix, which is placed under the root as the system drive.
fn library_file(s: &mut Session<'_, '_>, file: &str, target: &str) -> Option<Vec<u8>> {
    use std::io::Read;
    let path = match s.staged_file(file) {
        Some(staged) => s.stage().ok()?.dir_path().join(staged),
        None => {
            let host = super::shortcuts::host_path(s, target)?;
            let rel = host.strip_prefix(s.lock.root()).ok()?;
            let st = s.lock.lstat(rel)?;
            if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile
            {
                return None;
            }
            host
        }
    };
    let mut bytes = Vec::new();
    fs_err::File::open(path)
        .ok()?
        .take(LIBRARY_READ_LIMIT)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
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
/// `HELPDIR` with Directory_'s path (the key file's folder when null), and the library's
/// automation interfaces under `Interface\{IID}`, always under `HKEY_LOCAL_MACHINE`
/// ("TypeLib table", "RegisterTypeLib function").
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
        let bytes = comp
            .key_path
            .clone()
            .and_then(|key| library_file(s, &key, &path));
        let header = bytes.as_deref().and_then(type_library::header);
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
        // The interfaces the library describes, when it is a type library file: each one
        // that cannot be read is logged and left out, the others are registered.
        let interfaces = match bytes.as_deref().filter(|_| header.is_some()) {
            Some(b) => match type_library::type_infos(b) {
                Ok(infos) => infos
                    .into_iter()
                    .filter_map(|info| match info {
                        Ok(info) => info.registered().then_some(info),
                        Err(e) => {
                            s.log.engine(&format!(
                                "TypeLib {libid}: {path}: {e}; its interface, if it is one, is not registered."
                            ));
                            None
                        }
                    })
                    .collect(),
                Err(e) => {
                    s.log.engine(&format!(
                        "TypeLib {libid}: {path}: {e}; its interfaces are not registered."
                    ));
                    Vec::new()
                }
            },
            None => Vec::new(),
        };
        s.log.engine(&format!(
            "Executing op: {}(LibID={libid},Version={major}.{minor},Language={lcid},FilePath={path}) [{}]",
            if remove { "TypeLibraryUnregister" } else { "TypeLibraryRegister" },
            if header.is_some() {
                format!("{} interface(s) under Interface", interfaces.len())
            } else {
                "not a type library file this platform reads: its FLAGS and interfaces are not registered, the table's version, language and component bitness stand in".to_string()
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
        // RegisterTypeLib writes the interfaces in both registry views of 64-bit Windows
        // (`Interface` is redirected: the 32-bit view's is under `Wow6432Node`); a
        // layout that is not Windows' has one view.
        let views = if sel.layout.is_windows() {
            vec![View::Native64, View::Wow32]
        } else {
            vec![view]
        };
        for info in &interfaces {
            let key = format!(r"{CLASSES}\Interface\{}", info.guid);
            for &view in &views {
                let entry = |key: String, name: Option<&str>, value: &str| Entry {
                    view,
                    root: Root::LocalMachine,
                    key,
                    name: name.map(str::to_string),
                    value: sz(value),
                };
                entries.push(entry(key.clone(), None, &info.name));
                for proxy in ["ProxyStubClsid", "ProxyStubClsid32"] {
                    entries.push(entry(format!(r"{key}\{proxy}"), None, info.proxy_stub()));
                }
                entries.push(entry(format!(r"{key}\TypeLib"), None, &libid));
                entries.push(entry(
                    format!(r"{key}\TypeLib"),
                    Some("Version"),
                    &format!("{major:x}.{minor:x}"),
                ));
            }
        }
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
