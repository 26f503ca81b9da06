//! Windows 7's WOW64 registry redirection: which keys a 32-bit process sees under
//! `Wow6432Node` and which it shares with 64-bit processes.
//!
//! The tables are the "Windows Server 2008 R2, Windows 7, and Newer" column of Microsoft's
//! "Registry Keys Affected by WOW64". Subkeys inherit the behaviour of the nearest listed
//! ancestor; a key with no listed ancestor is shared. Registry reflection (Vista and older)
//! is gone since Windows 7 and is not modelled. The page's symbolic links
//! (`HKLM\SOFTWARE\Wow6432Node\Classes` → `HKLM\SOFTWARE\Classes\Wow6432Node`, and `AppId`,
//! `Protocols`, `TypeLib` under the latter → their 64-bit keys) are followed in both views,
//! so a path spelled with `Wow6432Node` reaches the same key it reaches on Windows.

use crate::path::{View, same_name};

/// Whether a 32-bit process's access to a key is redirected or shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// The 32-bit view has its own copy under `Wow6432Node`.
    Redirected,
    /// Both views see the same key.
    Shared,
}

use Sharing::{Redirected, Shared};

/// Which physical tree a path lies in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tree {
    /// Below `HKEY_LOCAL_MACHINE`.
    Machine,
    /// Below a user's key (`HKEY_CURRENT_USER`, `HKEY_USERS\<SID>`).
    User,
}

/// Keys below `HKEY_LOCAL_MACHINE`, Windows 7 column.
const MACHINE: &[(&str, Sharing)] = &[
    ("SOFTWARE", Redirected),
    ("SOFTWARE\\Classes", Shared),
    ("SOFTWARE\\Classes\\Appid", Shared),
    ("SOFTWARE\\Classes\\CLSID", Redirected),
    ("SOFTWARE\\Classes\\DirectShow", Redirected),
    ("SOFTWARE\\Classes\\HCP", Shared),
    ("SOFTWARE\\Classes\\Interface", Redirected),
    ("SOFTWARE\\Classes\\Media Type", Redirected),
    ("SOFTWARE\\Classes\\MediaFoundation", Redirected),
    ("SOFTWARE\\Clients", Shared),
    ("SOFTWARE\\Microsoft\\COM3", Shared),
    ("SOFTWARE\\Microsoft\\Cryptography\\Calais\\Current", Shared),
    ("SOFTWARE\\Microsoft\\Cryptography\\Calais\\Readers", Shared),
    ("SOFTWARE\\Microsoft\\Cryptography\\Services", Shared),
    ("SOFTWARE\\Microsoft\\CTF\\SystemShared", Shared),
    ("SOFTWARE\\Microsoft\\CTF\\TIP", Shared),
    ("SOFTWARE\\Microsoft\\DFS", Shared),
    ("SOFTWARE\\Microsoft\\Driver Signing", Shared),
    ("SOFTWARE\\Microsoft\\EnterpriseCertificates", Shared),
    ("SOFTWARE\\Microsoft\\EventSystem", Shared),
    ("SOFTWARE\\Microsoft\\MSMQ", Shared),
    ("SOFTWARE\\Microsoft\\Non-Driver Signing", Shared),
    ("SOFTWARE\\Microsoft\\Notepad\\DefaultFonts", Shared),
    ("SOFTWARE\\Microsoft\\OLE", Shared),
    ("SOFTWARE\\Microsoft\\RAS", Shared),
    ("SOFTWARE\\Microsoft\\RPC", Shared),
    // The page spells this row `SOFTWARE\Microsoft\SOFTWARE\Microsoft\Shared Tools\MSInfo`,
    // a doubled prefix; the key Windows shares is `SOFTWARE\Microsoft\Shared Tools\MSInfo`.
    ("SOFTWARE\\Microsoft\\Shared Tools\\MSInfo", Shared),
    ("SOFTWARE\\Microsoft\\SystemCertificates", Shared),
    ("SOFTWARE\\Microsoft\\TermServLicensing", Shared),
    ("SOFTWARE\\Microsoft\\TransactionServer", Shared),
    (
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\App Paths",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Control Panel\\Cursors\\Schemes",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\AutoplayHandlers",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\DriveIcons",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\KindMap",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Group Policy",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\PreviewHandlers",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Telephony\\Locations",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Console",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\FontDpi",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\FontLink",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\FontMapper",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Fonts",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\FontSubstitutes",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Gre_Initialize",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Language Pack",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\NetworkCards",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Perflib",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Ports",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Print",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList",
        Shared,
    ),
    (
        "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Time Zones",
        Shared,
    ),
    ("SOFTWARE\\Policies", Shared),
    ("SOFTWARE\\RegisteredApplications", Shared),
];

/// Keys below a user's key, Windows 7 column (everything else there is shared).
const USER: &[(&str, Sharing)] = &[
    ("SOFTWARE\\Classes\\CLSID", Redirected),
    ("SOFTWARE\\Classes\\DirectShow", Redirected),
    ("SOFTWARE\\Classes\\Interface", Redirected),
    ("SOFTWARE\\Classes\\Media Type", Redirected),
    ("SOFTWARE\\Classes\\MediaFoundation", Redirected),
];

const WOW6432NODE: &str = "Wow6432Node";

fn is_wow_node(name: &str) -> bool {
    name.eq_ignore_ascii_case(WOW6432NODE)
}

fn starts_with(names: &[String], prefix: &str) -> bool {
    let mut names = names.iter();
    prefix
        .split('\\')
        .all(|p| names.next().is_some_and(|n| same_name(n, p)))
}

/// Whether the key `names` (below the root of `tree`) is redirected for 32-bit processes.
pub fn sharing(tree: Tree, names: &[String]) -> Sharing {
    let table = match tree {
        Tree::Machine => MACHINE,
        Tree::User => USER,
    };
    table
        .iter()
        .filter(|(prefix, _)| starts_with(names, prefix))
        .max_by_key(|(prefix, _)| prefix.matches('\\').count())
        .map_or(Shared, |(_, s)| *s)
}

/// The physical names of the key `names` below the root of `tree` in `view`: the 32-bit
/// view's redirected keys get `Wow6432Node` after `SOFTWARE` (or after
/// `SOFTWARE\Classes` for the redirected class keys), and Windows 7's symbolic links are
/// followed in both views.
pub fn physical(tree: Tree, names: &[String], view: View) -> Vec<String> {
    let mut out = names.to_vec();
    if view == View::Wow32 && sharing(tree, names) == Redirected {
        let at = if starts_with(names, "SOFTWARE\\Classes") {
            2
        } else {
            1
        };
        // A path already spelled with its Wow6432Node is not redirected twice.
        if !out.get(at).is_some_and(|n| is_wow_node(n)) {
            out.insert(at.min(out.len()), WOW6432NODE.to_string());
        }
    }
    if tree == Tree::Machine {
        follow_links(&mut out);
    }
    out
}

/// Windows 7's WOW64 symbolic links below `HKEY_LOCAL_MACHINE`.
fn follow_links(names: &mut Vec<String>) {
    // SOFTWARE\Wow6432Node\Classes → SOFTWARE\Classes\Wow6432Node
    if names.len() >= 3
        && same_name(&names[0], "SOFTWARE")
        && is_wow_node(&names[1])
        && same_name(&names[2], "CLASSES")
    {
        names.swap(1, 2);
    }
    // SOFTWARE\Classes\Wow6432Node\{AppId,Protocols,TypeLib} → SOFTWARE\Classes\…
    if names.len() >= 4
        && same_name(&names[0], "SOFTWARE")
        && same_name(&names[1], "CLASSES")
        && is_wow_node(&names[2])
        && ["APPID", "PROTOCOLS", "TYPELIB"]
            .iter()
            .any(|k| same_name(&names[3], k))
    {
        names.remove(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(tree: Tree, path: &str, view: View) -> String {
        let names: Vec<String> = path.split('\\').map(String::from).collect();
        physical(tree, &names, view).join("\\")
    }

    #[test]
    fn software_is_redirected_and_classes_shared() {
        use Tree::Machine;
        use View::*;
        assert_eq!(
            p(Machine, "Software\\Vendor", Wow32),
            "Software\\Wow6432Node\\Vendor"
        );
        assert_eq!(p(Machine, "Software\\Vendor", Native64), "Software\\Vendor");
        assert_eq!(
            p(Machine, "Software\\Classes\\.ppk", Wow32),
            "Software\\Classes\\.ppk"
        );
        assert_eq!(
            p(Machine, "Software\\Classes\\CLSID\\{X}", Wow32),
            "Software\\Classes\\Wow6432Node\\CLSID\\{X}"
        );
        assert_eq!(p(Machine, "SYSTEM\\X", Wow32), "SYSTEM\\X");
    }

    #[test]
    fn links_are_followed() {
        use Tree::Machine;
        use View::*;
        assert_eq!(
            p(Machine, "Software\\Wow6432Node\\Classes\\CLSID", Native64),
            "Software\\Classes\\Wow6432Node\\CLSID"
        );
        assert_eq!(
            p(
                Machine,
                "Software\\Classes\\Wow6432Node\\TypeLib\\{T}",
                Native64
            ),
            "Software\\Classes\\TypeLib\\{T}"
        );
        assert_eq!(
            p(Machine, "Software\\Wow6432Node\\X", Wow32),
            "Software\\Wow6432Node\\X"
        );
    }

    #[test]
    fn user_classes_redirect_only_com_keys() {
        use Tree::User;
        use View::*;
        assert_eq!(p(User, "Software\\Vendor", Wow32), "Software\\Vendor");
        assert_eq!(
            p(User, "Software\\Classes\\Interface\\{I}", Wow32),
            "Software\\Classes\\Wow6432Node\\Interface\\{I}"
        );
    }
}
