//! A Wine prefix as an installation target (`--wine-prefix DIR`, [`Layout::Wine`]).
//!
//! The request's root is the prefix; its `drive_c` is the system drive the package's files
//! go under ([`Layout::files_root`]), and folder properties hold Windows paths
//! (`C:\Program Files (x86)\PuTTY\`, [`crate::PathStyle::Drive`]), mapped back to
//! `DIR/drive_c/...` by the same placement under the root every path goes through. The
//! folders are the prefix's own, read from its registry ([`folders`]): never a second
//! `Windows` or `Users` folder beside Wine's `windows` and `users`.
//!
//! The Windows registry is the prefix's `system.reg` and `user.reg` (the `winreg` crate's
//! [`winreg::WinePrefix`]), written through the install's transaction like every other
//! file, so that a failed or killed install leaves them as they were. The engine's own
//! records (its product database and package copies) are in [`STATE_DIR`] of `drive_c`.
//!
//! While a `wineserver` serves the prefix, the registry lives in its memory and it saves
//! it over the files when it exits: [`check_no_wineserver`] refuses then (or
//! [`wait_for_wineserver`] waits for it to exit).

use std::path::{Path, PathBuf};

use winreg::{Registry, Root, Store, Value, View, WinePrefix};

use crate::error::{Error, Result};
use crate::layout::Layout;

// Kept in `crate::layout`, which places a prefix's files (the layout imports nothing of
// this module).
pub use crate::layout::{DRIVE, STATE_DIR, WineFolders};

/// The folders of `drive_c/users/<user>/` that Wine links to the user's own folders (its
/// shell32 makes `Desktop`, `Documents`, `Downloads`, `Music`, `Pictures`, `Videos` and
/// `Templates` links to the XDG user folders or the home folder; older Wine named some
/// `My …`).
const SHELL_LINKS: [&str; 11] = [
    "Desktop",
    "Documents",
    "Downloads",
    "Music",
    "Pictures",
    "Videos",
    "Templates",
    "My Documents",
    "My Music",
    "My Pictures",
    "My Videos",
];

/// The links of the prefix `dir` an installation may write through: Wine's shell-folder
/// links of each user folder ([`SHELL_LINKS`]), each to a folder that must be inside the
/// home folder of the user running the installation (`$HOME`, else the account's), theirs
/// and writable by no one else (checked as it is walked: [`transaction::TrustedLink`]).
/// Windows puts a per-user shortcut on the user's desktop, and Wine's desktop is that
/// folder; any other link in the prefix is never followed.
pub fn trusted_links(dir: &Path) -> Vec<transaction::TrustedLink> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute())
        .unwrap_or_else(|| Path::new("/").join(crate::layout::Account::current().home));
    let Ok(within) = fs_err::canonicalize(&home) else {
        return Vec::new();
    };
    let users = Path::new(DRIVE).join("users");
    let Ok(entries) = fs_err::read_dir(dir.join(&users)) else {
        return Vec::new();
    };
    let mut links = Vec::new();
    for user in entries.flatten() {
        if !user.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        for name in SHELL_LINKS {
            let rel = users.join(user.file_name()).join(name);
            if fs_err::symlink_metadata(dir.join(&rel)).is_ok_and(|m| m.file_type().is_symlink()) {
                links.push(transaction::TrustedLink {
                    rel,
                    within: within.clone(),
                });
            }
        }
    }
    links
}

/// Checks that `dir` is a Wine prefix: a folder with `system.reg`, `user.reg` and
/// `drive_c` (what `wineboot` makes).
pub fn check_prefix(dir: &Path) -> Result<()> {
    let not = |reason: &str| Error::NotWinePrefix {
        prefix: dir.to_path_buf(),
        reason: reason.to_string(),
    };
    match fs_err::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(not("it is not a folder")),
        Err(_) => return Err(not("it does not exist")),
    }
    for file in ["system.reg", "user.reg"] {
        if !dir.join(file).is_file() {
            return Err(not(&format!("it has no {file}")));
        }
    }
    if !dir.join(DRIVE).is_dir() {
        return Err(not(&format!("it has no {DRIVE} folder")));
    }
    Ok(())
}

/// The folders a `wineserver` for the prefix `dir` may serve it from: `server-<dev>-<inode>`
/// (the prefix folder's device and inode in hexadecimal, so whatever path names it) in
/// `/tmp/.wine-<uid>/` (Wine's `server/request.c`, `create_server_dir`) or in a private
/// `/tmp/wine-XXXXXX/` folder, which Debian's Wine uses and names in the prefix's
/// `wineserver` file. Only folders that exist are returned.
pub fn server_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs_err::metadata(dir).map_err(|e| Error::io(dir, e))?;
    let uid = rustix::process::geteuid().as_raw();
    let name = format!("server-{:x}-{:x}", meta.dev(), meta.ino());
    let tmp = Path::new("/tmp");
    let mut parents = vec![tmp.join(format!(".wine-{uid}"))];
    // Debian's Wine writes the private folder's name when it starts a server for the
    // prefix (a plain name: anything else is not its).
    if let Ok(private) = fs_err::read_to_string(dir.join("wineserver")) {
        let private = private.trim();
        if private.starts_with("wine-") && !private.contains('/') {
            parents.push(tmp.join(private));
        }
    }
    Ok(parents
        .into_iter()
        .map(|p| p.join(&name))
        .filter(|p| fs_err::symlink_metadata(p).is_ok_and(|m| m.is_dir()))
        .collect())
}

/// A `wineserver` serving a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WineServer {
    /// Its process id.
    pub pid: u32,
    /// Its name (`wineserver`, or what `/proc/PID/comm` says).
    pub name: String,
}

/// The `wineserver` processes serving the prefix `dir`. A wineserver holds a write lock on
/// the first byte of its folder's `lock` file for its whole life, and Wine itself finds a
/// running server by asking who holds it (`wineserver -k`, `kill_lock_owner` in Wine's
/// `server/request.c`): one `fcntl` instead of a look at every process. Where the lock
/// cannot say (a file system without locks, an owner in another pid namespace), the
/// Restart Manager's process scan finds the processes whose current folder is the server
/// folder (a wineserver works from it for its whole life).
pub fn wineservers(dir: &Path) -> Result<Vec<WineServer>> {
    let servers = server_dirs(dir)?;
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for server in servers {
        match lock_owner(&server) {
            LockOwner::Free => {}
            LockOwner::Process(pid) => found.push(WineServer {
                pid,
                name: fs_err::read_to_string(format!("/proc/{pid}/comm"))
                    .map(|n| n.trim_end().to_string())
                    .unwrap_or_else(|_| "wineserver".to_string()),
            }),
            LockOwner::Unknown => unknown.push(server),
        }
    }
    if unknown.is_empty() {
        return Ok(found);
    }
    let opts = restart_manager::ScanOptions {
        skip_self: true,
        ..Default::default()
    };
    let report = match restart_manager::affected(&unknown, &[], &opts) {
        Ok(r) => r,
        Err(e) => {
            return Err(Error::failure_from(
                format!("looking for a wineserver of {}", dir.display()),
                e,
            ));
        }
    };
    found.extend(report.processes.iter().map(|p| WineServer {
        pid: p.process.pid,
        name: p.app_name.clone(),
    }));
    Ok(found)
}

/// Who holds a server folder's lock.
enum LockOwner {
    /// Nobody (or there is no lock file: a server makes it before anything else).
    Free,
    Process(u32),
    /// The lock cannot tell.
    Unknown,
}

fn lock_owner(server: &Path) -> LockOwner {
    use rustix::process::{Flock, FlockOffsetType, FlockType};
    use std::os::unix::fs::OpenOptionsExt;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(server.join("lock"))
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return LockOwner::Free,
        Err(_) => return LockOwner::Unknown,
    };
    let probe = Flock {
        start: 0,
        length: 1,
        pid: None,
        typ: FlockType::WriteLock,
        offset_type: FlockOffsetType::Set,
    };
    match rustix::process::fcntl_getlk(&file, &probe) {
        Ok(None) => LockOwner::Free,
        Ok(Some(lock)) => match lock.pid.map(|p| p.as_raw_nonzero().get()) {
            Some(pid) if pid > 0 => LockOwner::Process(pid.unsigned_abs()),
            _ => LockOwner::Unknown,
        },
        Err(_) => LockOwner::Unknown,
    }
}

/// Refuses to go on while a `wineserver` serves the prefix (its registry would overwrite
/// the files this install writes).
pub fn check_no_wineserver(dir: &Path) -> Result<()> {
    match wineservers(dir)?.into_iter().next() {
        Some(server) => Err(Error::WineServerRunning {
            prefix: dir.to_path_buf(),
            pid: server.pid,
            name: server.name,
        }),
        None => Ok(()),
    }
}

/// Waits until no `wineserver` serves the prefix (each one exits on its own a few seconds
/// after its last Wine program, or at `wineserver -k`).
pub fn wait_for_wineserver(dir: &Path) -> Result<()> {
    wait_for_wineserver_within(dir, std::time::Duration::MAX)
}

/// [`wait_for_wineserver`], for at most `limit`: then the server still there is the error
/// ([`check_no_wineserver`]'s).
pub(crate) fn wait_for_wineserver_within(dir: &Path, limit: std::time::Duration) -> Result<()> {
    let start = std::time::Instant::now();
    while !wineservers(dir)?.is_empty() {
        if start.elapsed() >= limit {
            return check_no_wineserver(dir);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok(())
}

/// Where each standard folder property comes from in a prefix's registry: the property,
/// then the per-user source and the per-machine one. `HKLM:` and `HKCU:` name a value of
/// `Software\Microsoft\Windows\CurrentVersion\Explorer\Shell Folders`; `CV:` a value of
/// `Software\Microsoft\Windows\CurrentVersion`; `ENV:` one of the user's `Environment`;
/// `SYS:` `SystemRoot` (`Software\Microsoft\Windows NT\CurrentVersion`), with the rest of
/// the path after it; `C:` the drive itself.
pub const FOLDER_SOURCES: [(&str, &str, &str); 28] = [
    ("ROOTDRIVE", "C:", "C:"),
    ("WindowsVolume", "C:", "C:"),
    ("WindowsFolder", "SYS:", "SYS:"),
    ("System64Folder", "SYS:system32", "SYS:system32"),
    ("SystemFolder", "SYS:syswow64", "SYS:syswow64"),
    ("System16Folder", "SYS:system", "SYS:system"),
    ("FontsFolder", "HKCU:Fonts", "HKCU:Fonts"),
    (
        "ProgramFiles64Folder",
        "CV:ProgramFilesDir",
        "CV:ProgramFilesDir",
    ),
    (
        "ProgramFilesFolder",
        "CV:ProgramFilesDir (x86)",
        "CV:ProgramFilesDir (x86)",
    ),
    (
        "CommonFiles64Folder",
        "CV:CommonFilesDir",
        "CV:CommonFilesDir",
    ),
    (
        "CommonFilesFolder",
        "CV:CommonFilesDir (x86)",
        "CV:CommonFilesDir (x86)",
    ),
    (
        "CommonAppDataFolder",
        "HKLM:Common AppData",
        "HKLM:Common AppData",
    ),
    ("AppDataFolder", "HKCU:AppData", "HKCU:AppData"),
    (
        "LocalAppDataFolder",
        "HKCU:Local AppData",
        "HKCU:Local AppData",
    ),
    ("TempFolder", "ENV:TEMP", "ENV:TEMP"),
    ("PersonalFolder", "HKCU:Personal", "HKCU:Personal"),
    ("MyPicturesFolder", "HKCU:My Pictures", "HKCU:My Pictures"),
    ("FavoritesFolder", "HKCU:Favorites", "HKCU:Favorites"),
    ("DesktopFolder", "HKCU:Desktop", "HKLM:Common Desktop"),
    (
        "StartMenuFolder",
        "HKCU:Start Menu",
        "HKLM:Common Start Menu",
    ),
    ("ProgramMenuFolder", "HKCU:Programs", "HKLM:Common Programs"),
    ("StartupFolder", "HKCU:StartUp", "HKLM:Common StartUp"),
    (
        "AdminToolsFolder",
        "HKCU:Administrative Tools",
        "HKLM:Common Administrative Tools",
    ),
    ("TemplateFolder", "HKCU:Templates", "HKLM:Common Templates"),
    ("SendToFolder", "HKCU:SendTo", "HKCU:SendTo"),
    ("RecentFolder", "HKCU:Recent", "HKCU:Recent"),
    ("NetHoodFolder", "HKCU:NetHood", "HKCU:NetHood"),
    ("PrintHoodFolder", "HKCU:PrintHood", "HKCU:PrintHood"),
];

const SHELL_FOLDERS: &str = r"Software\Microsoft\Windows\CurrentVersion\Explorer\Shell Folders";
const CURRENT_VERSION: &str = r"Software\Microsoft\Windows\CurrentVersion";
const NT_CURRENT_VERSION: &str = r"Software\Microsoft\Windows NT\CurrentVersion";

/// The standard folders of a prefix, per user and per machine, relative to its `drive_c`
/// (as [`Layout::folders`] gives them for the other layouts). A value the registry lacks
/// (a prefix that was never booted through) falls back to Wine's default; a value that is
/// not a path on `C:` is refused.
pub fn folders(prefix: &mut WinePrefix, account: &crate::layout::Account) -> Result<WineFolders> {
    let sid = prefix.user_sid().to_string();
    let dir = prefix.dir().to_path_buf();
    let reg = Registry::new(prefix, sid);
    let defaults = [
        Layout::Wine.folders(account, false),
        Layout::Wine.folders(account, true),
    ];
    let mut out: [Vec<(&'static str, PathBuf)>; 2] = [Vec::new(), Vec::new()];
    for (i, machine) in [false, true].into_iter().enumerate() {
        for (row, (name, user_source, machine_source)) in FOLDER_SOURCES.iter().enumerate() {
            let source = if machine { machine_source } else { user_source };
            let found = lookup(&reg, source)?;
            let rel = match found {
                Some(text) => drive_relative(&text).ok_or_else(|| Error::NotWinePrefix {
                    prefix: dir.clone(),
                    reason: format!("its registry names {text:?} for {name}, not a path on C:"),
                })?,
                None => defaults[i]
                    .get(row)
                    .map(|(_, p)| wine_case(p))
                    .unwrap_or_default(),
            };
            out[i].push((*name, rel));
        }
    }
    Ok(out)
}

/// Wine's own spelling of the `windows` layout's defaults (`windows`, `users`).
fn wine_case(p: &Path) -> PathBuf {
    let text = p.to_string_lossy();
    let text = text
        .strip_prefix("Windows")
        .map(|r| format!("windows{r}"))
        .or_else(|| text.strip_prefix("Users").map(|r| format!("users{r}")))
        .unwrap_or_else(|| text.into_owned());
    PathBuf::from(text)
}

fn lookup<S: Store>(reg: &Registry<S>, source: &str) -> Result<Option<String>> {
    let read = |root: Root, key: &str, name: &str| -> Result<Option<String>> {
        let value = reg
            .get(View::Native64, root, key, Some(name))
            .map_err(|e| crate::error::registry_failure("reading the prefix's folders", e))?;
        Ok(match value {
            Some(Value::Sz(s)) | Some(Value::ExpandSz(s)) => Some(s),
            _ => None,
        })
    };
    if source == "C:" {
        return Ok(Some("C:\\".into()));
    }
    if let Some(rest) = source.strip_prefix("SYS:") {
        let Some(system_root) = read(Root::LocalMachine, NT_CURRENT_VERSION, "SystemRoot")? else {
            return Ok(None);
        };
        return Ok(Some(if rest.is_empty() {
            system_root
        } else {
            format!("{}\\{rest}", system_root.trim_end_matches('\\'))
        }));
    }
    let (root, key, name) = if let Some(n) = source.strip_prefix("HKCU:") {
        (Root::CurrentUser, SHELL_FOLDERS, n)
    } else if let Some(n) = source.strip_prefix("HKLM:") {
        (Root::LocalMachine, SHELL_FOLDERS, n)
    } else if let Some(n) = source.strip_prefix("CV:") {
        (Root::LocalMachine, CURRENT_VERSION, n)
    } else if let Some(n) = source.strip_prefix("ENV:") {
        (Root::CurrentUser, "Environment", n)
    } else {
        return Ok(None);
    };
    // Expandable values (`%SystemRoot%\temp`) are left to the default: `Shell Folders`
    // and the user's `Environment` hold expanded paths in a booted prefix.
    Ok(read(root, key, name)?.filter(|v| !v.contains('%')))
}

/// A `C:\...` path as a path relative to `drive_c` (`None` for another drive or a
/// relative path, and for `..`).
pub fn drive_relative(text: &str) -> Option<PathBuf> {
    let bytes = text.as_bytes();
    if bytes.len() < 2 || !bytes[0].eq_ignore_ascii_case(&b'c') || bytes[1] != b':' {
        return None;
    }
    let mut out = PathBuf::new();
    for part in text[2..].split(['\\', '/']).filter(|p| !p.is_empty()) {
        if part == "." {
            continue;
        }
        if part == ".." {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drive_paths_are_relative_to_drive_c() {
        assert_eq!(
            drive_relative(r"C:\Program Files (x86)\"),
            Some(PathBuf::from("Program Files (x86)"))
        );
        assert_eq!(
            drive_relative(r"c:\users\root"),
            Some(PathBuf::from("users/root"))
        );
        assert_eq!(drive_relative("C:\\"), Some(PathBuf::new()));
        assert_eq!(drive_relative(r"D:\x"), None);
        assert_eq!(drive_relative(r"C:\a\..\..\etc"), None);
        assert_eq!(
            wine_case(Path::new("Windows/Fonts")),
            Path::new("windows/Fonts")
        );
        assert_eq!(
            wine_case(Path::new("Users/u/Desktop")),
            Path::new("users/u/Desktop")
        );
    }

    /// `LAYOUTS.md` lists every folder's source in the prefix's registry as the code reads it.
    #[test]
    fn layouts_md_lists_the_prefix_sources() {
        let doc = include_str!("../LAYOUTS.md");
        let start = doc.find("## `wine`").expect("the wine section");
        let section = &doc[start..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
        let rows: Vec<Vec<String>> = section
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| {
                l.trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().trim_matches('`').to_string())
                    .collect()
            })
            .collect();
        assert_eq!(rows.len(), FOLDER_SOURCES.len());
        for (row, (name, user, machine)) in rows.iter().zip(FOLDER_SOURCES) {
            assert_eq!(row[0], name);
            assert_eq!(row[1], user, "{name}");
            let m = if row[2] == "same" {
                user
            } else {
                row[2].as_str()
            };
            assert_eq!(m, machine, "{name}");
        }
    }
}
