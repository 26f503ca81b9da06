//! Where the standard folder properties point under a target root.
//!
//! Three layouts, documented in `crates/engine/LAYOUTS.md` (a test keeps that
//! file and [`Layout::folders`] in step):
//!
//! * [`Layout::Windows`] — the tree of a 64-bit Windows 7 system drive, as
//!   Windows 7 SP1 x64 resolves each property for a 32-bit or 64-bit package
//!   (`ProgramFilesFolder` is `Program Files (x86)`, `SystemFolder` is
//!   `Windows/SysWOW64`), so results compare with a Wine prefix's `drive_c`.
//! * [`Layout::Fhs`] — a Linux layout: `/opt` for programs, `/var/lib` for
//!   machine data, the XDG base directories under the user's home for user
//!   data, `/usr/share/fonts`, `/usr/share/applications` for menus.
//! * [`Layout::Wine`] — a Wine prefix (`--wine-prefix`): its `drive_c` with the
//!   folders its own registry names (`crate::wine`), written as `C:\` paths in
//!   properties ([`PathStyle::Drive`]).
//!
//! Per-machine installs (`ALLUSERS` set) swap the shell folders (desktop,
//! menus, startup, templates) for the all-users ones, as "DesktopFolder property"
//! and its siblings say; `AppDataFolder` and friends stay per-user.

use std::fmt;
use std::path::{Path, PathBuf};

/// A Wine prefix's standard folders relative to its `drive_c`: per user, then per machine.
pub type WineFolders = [Vec<(&'static str, PathBuf)>; 2];

/// A Wine prefix's system drive, `C:\`.
pub const DRIVE: &str = "drive_c";

/// The engine's state folder in a Wine prefix, relative to the system drive
/// (`C:\windows\Installer\rmsi`).
pub const STATE_DIR: &str = "windows/Installer/rmsi";

/// The target-tree layout of a root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Layout {
    /// A Linux file-system-hierarchy layout (the default).
    #[default]
    Fhs,
    /// A 64-bit Windows 7 system drive under the root.
    Windows,
    /// A Wine prefix (`--wine-prefix`): the root is the prefix, its `drive_c` the system
    /// drive, the folders are the ones the prefix's own registry names (see `crate::wine`),
    /// and folder properties hold `C:\...` paths.
    Wine,
}

impl Layout {
    /// Parses `fhs` or `windows` (the `--layout` values).
    pub fn parse(text: &str) -> Option<Layout> {
        match text {
            "fhs" => Some(Layout::Fhs),
            "windows" => Some(Layout::Windows),
            _ => None,
        }
    }

    /// The `--layout` spelling (`wine` for a Wine prefix, which `--wine-prefix` selects).
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Fhs => "fhs",
            Layout::Windows => "windows",
            Layout::Wine => "wine",
        }
    }

    /// Whether the target is a Windows system drive (`windows` or a Wine prefix): 32-bit
    /// components write the registry's 32-bit view, shortcuts are `.lnk` files.
    pub fn is_windows(self) -> bool {
        matches!(self, Layout::Windows | Layout::Wine)
    }

    /// The folder the package's files go under, for a request's `root`: the root itself, or
    /// a Wine prefix's `drive_c` (its `C:\`). Every path the engine computes is under it.
    pub fn files_root(self, root: &Path) -> PathBuf {
        match self {
            Layout::Wine => root.join(DRIVE),
            Layout::Windows | Layout::Fhs => root.to_path_buf(),
        }
    }

    /// The engine's own state folder for the files root `root` (product registry, cached
    /// packages, lock): `Windows/Installer/rmsi/`, `var/lib/rmsi/`, or in a Wine prefix
    /// `drive_c/windows/Installer/rmsi/`.
    pub fn state_dir(self, root: &Path) -> PathBuf {
        match self {
            Layout::Windows => root.join("Windows/Installer/rmsi"),
            Layout::Fhs => root.join("var/lib/rmsi"),
            Layout::Wine => root.join(STATE_DIR),
        }
    }

    /// How folder properties write a path under the files root `root`.
    pub fn path_style(self, root: &Path) -> PathStyle {
        match self {
            Layout::Wine => PathStyle::Drive(root.to_path_buf()),
            Layout::Windows | Layout::Fhs => PathStyle::Host,
        }
    }

    /// Every standard folder property with its path relative to the root,
    /// for `account`, per-machine (`ALLUSERS` set) or per-user. The order is
    /// the order of the tables in `LAYOUTS.md`.
    pub fn folders(self, account: &Account, per_machine: bool) -> Vec<(&'static str, PathBuf)> {
        match self {
            // A prefix's folders are read from its registry (`crate::wine::folders`); these
            // are Wine's defaults, for a caller without the prefix.
            Layout::Windows | Layout::Wine => windows_folders(&account.name, per_machine),
            Layout::Fhs => fhs_folders(&account.home, per_machine),
        }
    }

    /// The program-files folders of a dual-purpose package installed per user
    /// (`ALLUSERS=2` with `MSIINSTALLPERUSER=1`): Windows Installer 5 points
    /// ProgramFilesFolder, ProgramFiles64Folder, CommonFilesFolder and
    /// CommonFiles64Folder at the user's own (FOLDERID_UserProgramFiles and
    /// FOLDERID_UserProgramFilesCommon; "Single Package Authoring").
    pub fn per_user_program_folders(self, account: &Account) -> Vec<(&'static str, PathBuf)> {
        let programs = match self {
            Layout::Windows | Layout::Wine => {
                PathBuf::from(format!("Users/{}/AppData/Local/Programs", account.name))
            }
            Layout::Fhs => account.home.join(".local/opt"),
        };
        user_program_folders(programs)
    }
}

/// The four program-files folder properties of a per-user installation, for the user's
/// `programs` folder (FOLDERID_UserProgramFiles; its `Common` subfolder is
/// FOLDERID_UserProgramFilesCommon).
pub(crate) fn user_program_folders(programs: PathBuf) -> Vec<(&'static str, PathBuf)> {
    let common = programs.join("Common");
    vec![
        ("ProgramFilesFolder", programs.clone()),
        ("ProgramFiles64Folder", programs),
        ("CommonFilesFolder", common.clone()),
        ("CommonFiles64Folder", common),
    ]
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The account an installation runs as: the effective uid's name and home.
///
/// Invariant: `home` is relative (it is placed under the target root) and
/// `name` is never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The effective uid.
    pub uid: u32,
    /// The account name (`LogonUser`; `<user>` in the Windows layout).
    pub name: String,
    /// The home folder relative to `/` (e.g. `home/alice`, `root`).
    pub home: PathBuf,
}

impl Account {
    /// The account of the effective uid, from `/etc/passwd`.
    ///
    /// Read by hand (not `getpwuid_r`) to stay in safe code; an account
    /// that `/etc/passwd` does not list (NSS/LDAP) falls back to `$USER` or
    /// `uid<N>`, with home `home/<name>`.
    pub fn current() -> Account {
        let uid = rustix::process::geteuid().as_raw();
        let passwd = fs_err::read_to_string("/etc/passwd").unwrap_or_default();
        Self::from_passwd(uid, &passwd).unwrap_or_else(|| {
            let name = std::env::var("USER")
                .ok()
                .filter(|n| is_plain_name(n))
                .unwrap_or_else(|| format!("uid{uid}"));
            Account {
                uid,
                home: PathBuf::from("home").join(&name),
                name,
            }
        })
    }

    /// Looks `uid` up in the text of a passwd file.
    pub fn from_passwd(uid: u32, passwd: &str) -> Option<Account> {
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() < 7 || fields[2].parse::<u32>().ok()? != uid {
                return None;
            }
            let name = fields[0];
            if !is_plain_name(name) {
                return None;
            }
            let home = relative_home(fields[5]).unwrap_or_else(|| PathBuf::from("home").join(name));
            Some(Account {
                uid,
                name: name.to_string(),
                home,
            })
        })
    }
}

/// A name usable as one path component.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0'])
}

/// A passwd home made relative, refusing `..` and an empty or root home.
fn relative_home(home: &str) -> Option<PathBuf> {
    let rel: PathBuf = Path::new(home)
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(Ok(PathBuf::from(s))),
            std::path::Component::ParentDir => Some(Err(())),
            _ => None,
        })
        .collect::<Result<PathBuf, ()>>()
        .ok()?;
    (!rel.as_os_str().is_empty()).then_some(rel)
}

fn windows_folders(user: &str, per_machine: bool) -> Vec<(&'static str, PathBuf)> {
    let profile = format!("Users/{user}");
    let roaming = format!("{profile}/AppData/Roaming");
    let local = format!("{profile}/AppData/Local");
    // The shell folders of the current user, or of All Users when the
    // installation is per-machine (Windows 7: Public and ProgramData).
    let user_shell = format!("{roaming}/Microsoft/Windows");
    let shell = if per_machine {
        "ProgramData/Microsoft/Windows".to_string()
    } else {
        user_shell.clone()
    };
    let desktop = if per_machine {
        "Users/Public/Desktop".to_string()
    } else {
        format!("{profile}/Desktop")
    };
    let rows: Vec<(&'static str, String)> = vec![
        ("ROOTDRIVE", String::new()),
        ("WindowsVolume", String::new()),
        ("WindowsFolder", "Windows".into()),
        ("System64Folder", "Windows/System32".into()),
        ("SystemFolder", "Windows/SysWOW64".into()),
        ("System16Folder", "Windows/system".into()),
        ("FontsFolder", "Windows/Fonts".into()),
        ("ProgramFiles64Folder", "Program Files".into()),
        ("ProgramFilesFolder", "Program Files (x86)".into()),
        ("CommonFiles64Folder", "Program Files/Common Files".into()),
        (
            "CommonFilesFolder",
            "Program Files (x86)/Common Files".into(),
        ),
        ("CommonAppDataFolder", "ProgramData".into()),
        ("AppDataFolder", roaming.clone()),
        ("LocalAppDataFolder", local.clone()),
        ("TempFolder", format!("{local}/Temp")),
        ("PersonalFolder", format!("{profile}/Documents")),
        ("MyPicturesFolder", format!("{profile}/Pictures")),
        ("FavoritesFolder", format!("{profile}/Favorites")),
        ("DesktopFolder", desktop),
        ("StartMenuFolder", format!("{shell}/Start Menu")),
        ("ProgramMenuFolder", format!("{shell}/Start Menu/Programs")),
        (
            "StartupFolder",
            format!("{shell}/Start Menu/Programs/Startup"),
        ),
        (
            "AdminToolsFolder",
            format!("{shell}/Start Menu/Programs/Administrative Tools"),
        ),
        ("TemplateFolder", format!("{shell}/Templates")),
        ("SendToFolder", format!("{user_shell}/SendTo")),
        ("RecentFolder", format!("{user_shell}/Recent")),
        ("NetHoodFolder", format!("{user_shell}/Network Shortcuts")),
        ("PrintHoodFolder", format!("{user_shell}/Printer Shortcuts")),
    ];
    rows.into_iter()
        .map(|(k, v)| (k, PathBuf::from(v)))
        .collect()
}

fn fhs_folders(home: &Path, per_machine: bool) -> Vec<(&'static str, PathBuf)> {
    let home = home.to_string_lossy();
    let data = format!("{home}/.local/share");
    let menus = if per_machine {
        "usr/share/applications".to_string()
    } else {
        format!("{data}/applications")
    };
    let rows: Vec<(&'static str, String)> = vec![
        ("ROOTDRIVE", "opt".into()),
        ("WindowsVolume", "opt".into()),
        ("WindowsFolder", "usr/lib/windows".into()),
        ("System64Folder", "usr/lib".into()),
        ("SystemFolder", "usr/lib32".into()),
        ("System16Folder", "usr/lib32".into()),
        ("FontsFolder", "usr/share/fonts".into()),
        ("ProgramFiles64Folder", "opt".into()),
        ("ProgramFilesFolder", "opt".into()),
        ("CommonFiles64Folder", "opt/common".into()),
        ("CommonFilesFolder", "opt/common".into()),
        ("CommonAppDataFolder", "var/lib".into()),
        ("AppDataFolder", data.clone()),
        ("LocalAppDataFolder", format!("{home}/.local/state")),
        ("TempFolder", "tmp".into()),
        ("PersonalFolder", format!("{home}/Documents")),
        ("MyPicturesFolder", format!("{home}/Pictures")),
        ("FavoritesFolder", format!("{data}/favorites")),
        (
            "DesktopFolder",
            if per_machine {
                "usr/share/desktop".to_string()
            } else {
                format!("{home}/Desktop")
            },
        ),
        ("StartMenuFolder", menus.clone()),
        ("ProgramMenuFolder", menus.clone()),
        (
            "StartupFolder",
            if per_machine {
                "etc/xdg/autostart".to_string()
            } else {
                format!("{home}/.config/autostart")
            },
        ),
        ("AdminToolsFolder", format!("{menus}/admin")),
        (
            "TemplateFolder",
            if per_machine {
                "usr/share/templates".to_string()
            } else {
                format!("{home}/Templates")
            },
        ),
        ("SendToFolder", format!("{data}/sendto")),
        ("RecentFolder", format!("{data}/recent")),
        ("NetHoodFolder", format!("{data}/nethood")),
        ("PrintHoodFolder", format!("{data}/printhood")),
    ];
    rows.into_iter()
        .map(|(k, v)| (k, PathBuf::from(v)))
        .collect()
}

/// How a target's paths are written in property values (and so in registry values,
/// shortcuts and everything formatted from them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PathStyle {
    /// As the host names them (`/root/opt/App/`): the `fhs` and `windows` layouts.
    #[default]
    Host,
    /// As Windows names them, with this folder as `C:\` (`C:\Program Files\App\`): a
    /// Wine prefix's `drive_c`. A path outside it keeps its host spelling.
    Drive(PathBuf),
}

impl PathStyle {
    /// A file's path.
    pub fn path_text(&self, path: &Path) -> String {
        match self {
            PathStyle::Host => path.to_string_lossy().into_owned(),
            PathStyle::Drive(drive) => match path.strip_prefix(drive) {
                Ok(rel) => {
                    let parts: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    format!("C:\\{}", parts.join("\\"))
                }
                Err(_) => path.to_string_lossy().into_owned(),
            },
        }
    }

    /// A folder's path, ending with one separator (as every folder property does).
    pub fn folder_text(&self, path: &Path) -> String {
        match self {
            PathStyle::Drive(drive) if path.starts_with(drive) => {
                let mut text = self.path_text(path);
                if !text.ends_with('\\') {
                    text.push('\\');
                }
                text
            }
            _ => folder_value(path),
        }
    }

    /// A host folder outside the target (the package's source folder), with one trailing
    /// separator, as the target's own programs name it: in a Wine prefix, through the drive
    /// letter the prefix's `dosdevices` maps to it (`z:` is `/` in a fresh prefix), which
    /// is how Wine's msiexec registers a source folder; otherwise, and for a folder no drive
    /// maps, `text` as it is.
    pub fn outside_folder_text(&self, text: &str) -> String {
        let PathStyle::Drive(drive) = self else {
            return text.to_string();
        };
        let path = Path::new(text);
        if path.starts_with(drive) {
            return self.folder_text(path);
        }
        let Some(devices) = drive.parent().map(|p| p.join("dosdevices")) else {
            return text.to_string();
        };
        // Wine compares resolved paths: a link on the way to either side is followed.
        let real = fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let Ok(entries) = fs_err::read_dir(&devices) else {
            return text.to_string();
        };
        let mut best: Option<(char, PathBuf)> = None;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_ascii_uppercase();
            let mut chars = name.chars();
            let (Some(letter), Some(':'), None) = (chars.next(), chars.next(), chars.next()) else {
                continue;
            };
            if !letter.is_ascii_alphabetic() {
                continue;
            }
            let Ok(target) = fs_err::canonicalize(entry.path()) else {
                continue;
            };
            let longer = best
                .as_ref()
                .is_none_or(|(_, b)| target.components().count() > b.components().count());
            if real.starts_with(&target) && longer {
                best = Some((letter, target));
            }
        }
        let Some((letter, target)) = best else {
            return text.to_string();
        };
        let mut out = format!("{letter}:");
        if let Ok(rel) = real.strip_prefix(&target) {
            for c in rel.components() {
                out.push('\\');
                out.push_str(&c.as_os_str().to_string_lossy());
            }
        }
        out.push('\\');
        out
    }

    /// A host path's text (as [`PathStyle::Host`] wrote it) in this style: what costing's
    /// `[#file]` and `[$component]` paths become.
    pub fn convert_text(&self, text: &str) -> String {
        match self {
            PathStyle::Host => text.to_string(),
            PathStyle::Drive(_) if text.ends_with('/') => self.folder_text(Path::new(text)),
            PathStyle::Drive(_) => self.path_text(Path::new(text)),
        }
    }
}

/// The value of a folder property for an absolute `path`: the path with one
/// trailing `/`, as every resolved folder property ends with a separator.
pub fn folder_value(path: &Path) -> String {
    let mut text = path.to_string_lossy().into_owned();
    while text.len() > 1 && text.ends_with('/') {
        text.pop();
    }
    if !text.ends_with('/') {
        text.push('/');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Account {
        Account {
            uid: 1000,
            name: "<user>".into(),
            home: PathBuf::from("home/<user>"),
        }
    }

    /// `LAYOUTS.md` documents exactly what the code does: every table row
    /// `| Property | per-user | per-machine |` of each layout's section.
    #[test]
    fn layouts_md_matches_code() {
        let doc = include_str!("../LAYOUTS.md");
        for layout in [Layout::Windows, Layout::Fhs] {
            let header = format!("## `{}`", layout.as_str());
            let start = doc.find(&header).expect("section present");
            let section = &doc[start + header.len()..];
            let section = &section[..section.find("\n## ").unwrap_or(section.len())];
            let rows: Vec<(String, String, String)> = section
                .lines()
                .filter(|l| l.starts_with("| `"))
                .map(|l| {
                    let cells: Vec<String> = l
                        .trim_matches('|')
                        .split('|')
                        .map(|c| c.trim().trim_matches('`').to_string())
                        .collect();
                    (cells[0].clone(), cells[1].clone(), cells[2].clone())
                })
                .collect();
            let per_user = layout.folders(&user(), false);
            let machine = layout.folders(&user(), true);
            assert_eq!(rows.len(), per_user.len(), "{layout}: row count");
            for (i, (name, u, m)) in rows.iter().enumerate() {
                assert_eq!(name, per_user[i].0, "{layout} row {i}");
                assert_eq!(
                    *u,
                    format!("/{}", per_user[i].1.display()).replace("//", "/")
                );
                let expect_m = if m == "same" { u.clone() } else { m.clone() };
                assert_eq!(
                    expect_m,
                    format!("/{}", machine[i].1.display()).replace("//", "/"),
                    "{layout} {name}"
                );
            }
        }
    }

    #[test]
    fn windows_layout_is_a_windows_7_x64_drive() {
        let f: std::collections::HashMap<_, _> = Layout::Windows
            .folders(&user(), false)
            .into_iter()
            .collect();
        assert_eq!(f["ProgramFilesFolder"], Path::new("Program Files (x86)"));
        assert_eq!(f["ProgramFiles64Folder"], Path::new("Program Files"));
        assert_eq!(f["SystemFolder"], Path::new("Windows/SysWOW64"));
        assert_eq!(f["System64Folder"], Path::new("Windows/System32"));
        assert_eq!(
            f["AppDataFolder"],
            Path::new("Users/<user>/AppData/Roaming")
        );
        assert_eq!(
            f["TempFolder"],
            Path::new("Users/<user>/AppData/Local/Temp")
        );
        assert_eq!(
            Layout::Windows.state_dir(Path::new("/r")),
            Path::new("/r/Windows/Installer/rmsi")
        );
        assert_eq!(
            Layout::Fhs.state_dir(Path::new("/r")),
            Path::new("/r/var/lib/rmsi")
        );
    }

    #[test]
    fn account_from_passwd() {
        let passwd = "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nodd:x:7:7::/:/bin/sh\nevil:x:8:8::/../../etc:/bin/sh\n";
        let a = Account::from_passwd(1000, passwd).unwrap();
        assert_eq!(a.name, "alice");
        assert_eq!(a.home, Path::new("home/alice"));
        assert_eq!(
            Account::from_passwd(0, passwd).unwrap().home,
            Path::new("root")
        );
        assert_eq!(
            Account::from_passwd(7, passwd).unwrap().home,
            Path::new("home/odd")
        );
        assert_eq!(
            Account::from_passwd(8, passwd).unwrap().home,
            Path::new("home/evil")
        );
        assert_eq!(Account::from_passwd(42, passwd), None);
        assert!(!Account::current().name.is_empty());
    }

    #[test]
    fn a_wine_prefix_writes_its_drive_as_c() {
        let drive = Path::new("/p/drive_c");
        let style = Layout::Wine.path_style(drive);
        assert_eq!(Layout::Wine.files_root(Path::new("/p")), drive);
        assert_eq!(
            style.folder_text(&drive.join("Program Files (x86)/PuTTY")),
            "C:\\Program Files (x86)\\PuTTY\\"
        );
        assert_eq!(style.folder_text(drive), "C:\\");
        assert_eq!(
            style.path_text(&drive.join("windows/Installer/1a.msi")),
            "C:\\windows\\Installer\\1a.msi"
        );
        assert_eq!(
            style.convert_text("/p/drive_c/users/root/"),
            "C:\\users\\root\\"
        );
        // Outside the drive: the host's spelling.
        assert_eq!(style.path_text(Path::new("/p/system.reg")), "/p/system.reg");
        assert_eq!(
            Layout::Windows
                .path_style(drive)
                .folder_text(&drive.join("x")),
            "/p/drive_c/x/"
        );
        assert_eq!(
            Layout::Wine.state_dir(drive),
            Path::new("/p/drive_c/windows/Installer/rmsi")
        );
    }

    #[test]
    fn folder_values_end_with_one_slash() {
        assert_eq!(folder_value(Path::new("/r/opt")), "/r/opt/");
        assert_eq!(folder_value(Path::new("/r/opt//")), "/r/opt/");
        assert_eq!(folder_value(Path::new("/")), "/");
    }
}
