//! Rows of Microsoft's "Registry Keys Affected by WOW64" (Windows 7 column) and the
//! physical keys a 32-bit component's writes land in.

use winreg::View;
use winreg::wow64::{Sharing, Tree, physical, sharing};

fn names(path: &str) -> Vec<String> {
    path.split('\\').map(String::from).collect()
}

#[test]
fn the_windows_7_column() {
    use Sharing::*;
    use Tree::*;
    let rows = [
        (Machine, "SOFTWARE", Redirected),
        (Machine, "SOFTWARE\\Vendor\\App", Redirected),
        (Machine, "SOFTWARE\\Classes", Shared),
        (Machine, "SOFTWARE\\Classes\\.ppk", Shared),
        (Machine, "SOFTWARE\\Classes\\AppID\\{A}", Shared),
        (
            Machine,
            "SOFTWARE\\Classes\\CLSID\\{C}\\InprocServer32",
            Redirected,
        ),
        (Machine, "SOFTWARE\\Classes\\DirectShow", Redirected),
        (Machine, "SOFTWARE\\Classes\\HCP", Shared),
        (Machine, "SOFTWARE\\Classes\\Interface\\{I}", Redirected),
        (Machine, "SOFTWARE\\Classes\\Media Type", Redirected),
        (Machine, "SOFTWARE\\Classes\\MediaFoundation", Redirected),
        (Machine, "SOFTWARE\\Classes\\TypeLib\\{T}", Shared),
        (Machine, "SOFTWARE\\Clients\\Mail", Shared),
        (Machine, "SOFTWARE\\Microsoft\\OLE", Shared),
        (Machine, "SOFTWARE\\Microsoft\\Shared Tools\\MSInfo", Shared),
        (
            Machine,
            "SOFTWARE\\Microsoft\\Shared Tools\\Other",
            Redirected,
        ),
        (
            Machine,
            "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\App Paths\\x.exe",
            Shared,
        ),
        (
            Machine,
            "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{P}",
            Redirected,
        ),
        (
            Machine,
            "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
            Redirected,
        ),
        (
            Machine,
            "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Fonts",
            Shared,
        ),
        (
            Machine,
            "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon",
            Redirected,
        ),
        (Machine, "SOFTWARE\\Policies\\Vendor", Shared),
        (Machine, "SOFTWARE\\RegisteredApplications", Shared),
        (Machine, "SYSTEM\\CurrentControlSet\\Services\\svc", Shared),
        (User, "Software\\Vendor", Shared),
        (User, "Software\\Classes\\.ppk", Shared),
        (User, "Software\\Classes\\CLSID\\{C}", Redirected),
        (User, "Software\\Classes\\MediaFoundation", Redirected),
        (User, "Environment", Shared),
    ];
    for (tree, path, expected) in rows {
        assert_eq!(sharing(tree, &names(path)), expected, "{tree:?} {path}");
        // Names compare without regard to case.
        assert_eq!(
            sharing(tree, &names(&path.to_lowercase())),
            expected,
            "{tree:?} {path}"
        );
        let native = physical(tree, &names(path), View::Native64);
        assert_eq!(native, names(path), "the 64-bit view is not redirected");
        let wow = physical(tree, &names(path), View::Wow32);
        match expected {
            Shared => assert_eq!(wow, names(path), "{path}"),
            Redirected => assert!(
                wow.iter().any(|n| n == "Wow6432Node") && wow.len() == names(path).len() + 1,
                "{path}: {wow:?}"
            ),
        }
    }
}

#[test]
fn where_redirected_keys_land() {
    let cases = [
        (Tree::Machine, "SOFTWARE", "SOFTWARE\\Wow6432Node"),
        (
            Tree::Machine,
            "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{P}",
            "Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{P}",
        ),
        (
            Tree::Machine,
            "Software\\Classes\\CLSID\\{C}",
            "Software\\Classes\\Wow6432Node\\CLSID\\{C}",
        ),
        (
            Tree::User,
            "Software\\Classes\\Interface\\{I}",
            "Software\\Classes\\Wow6432Node\\Interface\\{I}",
        ),
        // Already spelled with its Wow6432Node: not doubled.
        (
            Tree::Machine,
            "Software\\Wow6432Node\\Vendor",
            "Software\\Wow6432Node\\Vendor",
        ),
        // "WOW64 symbolic links": followed in both views.
        (
            Tree::Machine,
            "Software\\Wow6432Node\\Classes\\CLSID\\{C}",
            "Software\\Classes\\Wow6432Node\\CLSID\\{C}",
        ),
        (
            Tree::Machine,
            "Software\\Classes\\Wow6432Node\\AppId\\{A}",
            "Software\\Classes\\AppId\\{A}",
        ),
        (
            Tree::Machine,
            "Software\\Classes\\Wow6432Node\\Protocols\\Handler",
            "Software\\Classes\\Protocols\\Handler",
        ),
    ];
    for (tree, path, expected) in cases {
        assert_eq!(
            physical(tree, &names(path), View::Wow32).join("\\"),
            expected,
            "{path}"
        );
    }
    assert_eq!(
        physical(
            Tree::Machine,
            &names("Software\\Wow6432Node\\Classes\\Interface"),
            View::Native64
        )
        .join("\\"),
        "Software\\Classes\\Wow6432Node\\Interface"
    );
}
