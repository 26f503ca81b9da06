//! End-to-end tests of shortcuts and INI files (CreateShortcuts, RemoveShortcuts,
//! WriteIniValues, RemoveIniValues, AppSearch's IniLocator) with `shell.msi` (see
//! `crates/engine/tests/packages/shell.wxs`): real `.lnk` files in the `windows` layout,
//! read back with the Shell Link reader; desktop entries in the `fhs` layout, checked with
//! Debian's `desktop-file-validate`; INI files byte for byte; and an uninstall that leaves
//! the root as it was, but for what RemoveIniFile removed from a file of the root's own.
//!
//! Needs, besides the binaries: desktop-file-validate (desktop-file-utils).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use shell::lnk::{PropValue, ShellLink, ShellProperty};
use test_support::e2e::{Ctx, Layout, package};

const PRODUCT: &str = "{5E11A0B0-1C2D-4E3F-8A9B-0C1D2E3F4A50}";
/// `shared.ini`, before the install: what the RemoveIniFile rows edit and the IniLocator
/// rows read (its `[Paths]` name the WindowsFolder and the file itself, as `C:\...` paths).
fn shared_before(layout: Layout) -> String {
    let dir = format!("C:\\{}", windows_folder(layout).replace('/', "\\"));
    format!(
        "[Old]\r\nKeep=kept value\r\nObsolete=1\r\nTags=old,new,other\r\n[Paths]\r\nDir={dir}\r\nFile={dir}\\shared.ini\r\n"
    )
}

/// `shared.ini` after the install.
fn shared_after(layout: Layout) -> String {
    shared_before(layout)
        .replace("Obsolete=1\r\n", "")
        .replace("Tags=old,new,other", "Tags=new,other")
}

/// The layout's WindowsFolder under the root.
fn windows_folder(layout: Layout) -> &'static str {
    match layout {
        Layout::Windows => "Windows",
        Layout::Fhs => "usr/lib/windows",
    }
}

/// Every file and folder under `root` but the engine's state: path → contents.
fn snapshot(root: &Path, layout: Layout) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn rec(base: &Path, dir: &Path, skip: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        for e in fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            let rel = p.strip_prefix(base).expect("under the root").to_path_buf();
            if rel.starts_with(skip) {
                continue;
            }
            if p.is_dir() {
                out.insert(rel, None);
                rec(base, &p, skip, out);
            } else {
                out.insert(rel, Some(fs::read(&p).expect("read")));
            }
        }
    }
    let mut out = BTreeMap::new();
    rec(root, root, Path::new(layout.state_dir()), &mut out);
    out
}

/// A root holding `shared.ini` in its WindowsFolder (the RemoveIniFile rows' file, and
/// what the IniLocator rows read).
fn seed(ctx: &Ctx, layout: Layout) {
    let dir = ctx.root.join(windows_folder(layout));
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join("shared.ini"), shared_before(layout)).expect("write shared.ini");
}

/// What WriteIniValues writes, for an install folder `install` and the WindowsFolder `win`:
/// AppSearch found the raw values, the folder (Type 0) and the file (Type 1), and no
/// absent.ini.
fn expected_ini(install: &Path, win: &Path) -> String {
    format!(
        "[Settings]\r\nInstallDir={}/\r\nMode=fresh\r\n[Plugins]\r\nList=a,b\r\n[Search]\r\nFound=kept value\r\nField=new\r\nDir={w}/\r\nFile={w}/shared.ini\r\nNone=\r\n",
        install.display(),
        w = win.display()
    )
}

fn assert_ini_files(ctx: &Ctx, layout: Layout) {
    let install = ctx
        .root
        .join(layout.program_files())
        .join("rmsi-tests/shell");
    let win = ctx.root.join(windows_folder(layout));
    assert_eq!(
        fs::read_to_string(win.join("rmsi-shell.ini")).expect("rmsi-shell.ini"),
        expected_ini(&install, &win)
    );
    assert_eq!(
        fs::read_to_string(win.join("shared.ini")).expect("shared.ini"),
        shared_after(layout)
    );
    assert_eq!(
        fs::read_to_string(install.join("app.ini")).expect("app.ini"),
        format!("[Paths]\r\nHome={}/\r\n", install.display())
    );
}

/// Uninstalls and checks the root is as before the install, but for shared.ini, which
/// keeps what RemoveIniFile removed (nothing puts it back, as on Windows). The removal is
/// given no `ALLUSERS`: a per-machine product's maintenance runs per-machine, in the
/// context it was installed in, as on Windows, so its shortcuts are found where they were
/// put.
fn uninstall_restores(ctx: &Ctx, layout: Layout, before: &BTreeMap<PathBuf, Option<Vec<u8>>>) {
    let run = ctx.uninstall(PRODUCT, layout, &[]);
    run.assert_code(0);
    let mut expected = before.clone();
    expected.insert(
        Path::new(windows_folder(layout)).join("shared.ini"),
        Some(shared_after(layout).into_bytes()),
    );
    let after = snapshot(&ctx.root, layout);
    let diff: Vec<_> = expected
        .keys()
        .chain(after.keys())
        .filter(|k| expected.get(*k) != after.get(*k))
        .collect();
    assert!(diff.is_empty(), "left or lost by the uninstall: {diff:?}");
}

#[test]
fn windows_layout_writes_shell_links_and_ini_lines() {
    let ctx = Ctx::new();
    seed(&ctx, Layout::Windows);
    let before = snapshot(&ctx.root, Layout::Windows);
    let run = ctx.install(&package("shell.msi"), Layout::Windows, &["ALLUSERS=1"]);
    run.assert_code(0);
    assert!(
        run.log.contains("Action ended") && run.log.contains("CreateShortcuts. Return value 1."),
        "{}",
        run.describe()
    );

    let menu = ctx
        .root
        .join("ProgramData/Microsoft/Windows/Start Menu/Programs/rmsi-shell");
    let read = |p: PathBuf| {
        ShellLink::parse(&fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
            .expect("a Shell Link")
    };
    let app = read(menu.join("Shell App.lnk"));
    let dir = r"C:\Program Files (x86)\rmsi-tests\shell";
    assert_eq!(app.target, format!(r"{dir}\app.exe"));
    assert_eq!(app.target_size, 53);
    assert_eq!(
        app.arguments.as_deref(),
        Some(format!(r#"--config "{dir}\app.ini" -v"#).as_str())
    );
    assert_eq!(app.working_dir.as_deref(), Some(dir));
    assert_eq!(
        app.icon_location.as_deref(),
        Some(format!(r"C:\Windows\Installer\{PRODUCT}\app.ico").as_str())
    );
    assert_eq!(app.icon_index, 0);
    assert_eq!(app.show_command, 3);
    assert_eq!(app.hotkey, 1619);
    assert_eq!(
        app.description.as_deref(),
        Some("Starts the shell test app")
    );
    assert_eq!(
        app.relative_path.as_deref(),
        Some(r"..\..\..\..\..\..\Program Files (x86)\rmsi-tests\shell\app.exe")
    );
    // MsiShortcutProperty: the AppUserModel ID (formatted) and PreventPinning in the
    // property store; an unknown property is error 1946, a warning.
    let aumid = "{9F4C2855-9F79-4B39-A8D0-E1D42DE1D5F3}";
    assert_eq!(
        app.properties,
        [
            ShellProperty {
                format_id: aumid.into(),
                id: 5,
                value: PropValue::Str("rmsi.tests.rmsi shell".into()),
            },
            ShellProperty {
                format_id: aumid.into(),
                id: 9,
                value: PropValue::Bool(true),
            },
        ]
    );
    assert!(
        run.log
            .contains("Error 1946. Property 'System.NoSuchProperty' for shortcut 'Shell App' could not be set."),
        "{}",
        run.describe()
    );
    // The icon is the Icon table's file.
    assert_eq!(
        fs::read(
            ctx.root
                .join(format!("Windows/Installer/{PRODUCT}/app.ico"))
        )
        .expect("icon"),
        fs::read(package("src/shell/app.ico")).expect("source icon")
    );

    let readme = read(ctx.root.join("Users/Public/Desktop/Read Me.lnk"));
    assert_eq!(readme.target, format!(r"{dir}\readme.txt"));
    assert_eq!(readme.arguments, None);
    assert_eq!(readme.icon_location, None);
    assert_eq!(readme.show_command, 1);
    // The advertised shortcut: the component's key path, and the Darwin descriptor of the
    // product, its feature and the component.
    let adv = read(menu.join("Shell App (advertised).lnk"));
    assert_eq!(adv.target, format!(r"{dir}\app.exe"));
    assert_eq!(adv.description.as_deref(), Some("The advertised shortcut"));
    assert_eq!(
        adv.darwin,
        shell::lnk::darwin_descriptor(PRODUCT, "Main", "{5E11A0B0-1C2D-4E3F-8A9B-0C1D2E3F4A60}")
    );
    assert!(adv.darwin.as_deref().is_some_and(|d| d.contains("Main>")));
    assert_eq!(app.darwin, None);
    let tool = read(menu.join("Tool.lnk"));
    assert_eq!(tool.target, format!(r"{dir}\bin\tool"));
    assert_eq!(tool.arguments.as_deref(), Some("--verbose"));

    assert_ini_files(&ctx, Layout::Windows);
    uninstall_restores(&ctx, Layout::Windows, &before);
}

/// `desktop-file-validate FILE`: no error and no warning.
fn validate(path: &Path) {
    let out = Command::new("desktop-file-validate")
        .arg(path)
        .output()
        .expect("desktop-file-validate (desktop-file-utils) is installed by scripts/test.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.trim().is_empty(),
        "{}: {text}",
        path.display()
    );
}

#[test]
fn fhs_layout_writes_valid_desktop_entries_under_share_applications() {
    let ctx = Ctx::new();
    seed(&ctx, Layout::Fhs);
    let before = snapshot(&ctx.root, Layout::Fhs);
    let run = ctx.install(&package("shell.msi"), Layout::Fhs, &["ALLUSERS=1"]);
    run.assert_code(0);
    let menu = ctx.root.join("usr/share/applications/rmsi-shell");
    let install = ctx.root.join("opt/rmsi-tests/shell");
    let icon = ctx
        .root
        .join(format!("usr/lib/windows/Installer/{PRODUCT}/app.ico"));
    let app = menu.join("Shell App.desktop");
    validate(&app);
    assert_eq!(
        fs::read_to_string(&app).expect("Shell App.desktop"),
        format!(
            "[Desktop Entry]\nType=Application\nVersion=1.0\nName=Shell App\nComment=Starts the shell test app\nIcon={}\nExec=wine {i}/app.exe --config {i}/app.ini -v\nPath={i}\n",
            icon.display(),
            i = install.display()
        )
    );
    let tool = menu.join("Tool.desktop");
    validate(&tool);
    assert!(
        fs::read_to_string(&tool)
            .expect("Tool.desktop")
            .contains(&format!(
                "\nExec={}/bin/tool --verbose\n",
                install.display()
            ))
    );
    let readme = ctx.root.join("usr/share/desktop/Read Me.desktop");
    validate(&readme);
    assert_eq!(
        fs::read_to_string(&readme).expect("Read Me.desktop"),
        format!(
            "[Desktop Entry]\nType=Link\nVersion=1.0\nName=Read Me\nComment=The shell test's read-me\nURL=file://{}/readme.txt\n",
            install.display()
        )
    );
    assert_ini_files(&ctx, Layout::Fhs);
    uninstall_restores(&ctx, Layout::Fhs, &before);
}

#[test]
fn per_user_shortcuts_go_to_the_users_menu_and_desktop() {
    let ctx = Ctx::new();
    seed(&ctx, Layout::Fhs);
    let before = snapshot(&ctx.root, Layout::Fhs);
    ctx.install(&package("shell.msi"), Layout::Fhs, &[])
        .assert_code(0);
    let entries: Vec<String> = snapshot(&ctx.root, Layout::Fhs)
        .keys()
        .map(|p| p.display().to_string())
        .filter(|p| p.ends_with(".desktop"))
        .collect();
    assert_eq!(entries.len(), 4, "{entries:?}");
    for suffix in [
        "/.local/share/applications/rmsi-shell/Shell App.desktop",
        "/.local/share/applications/rmsi-shell/Tool.desktop",
        "/.local/share/applications/rmsi-shell/Shell App (advertised).desktop",
        "/Desktop/Read Me.desktop",
    ] {
        let e = entries
            .iter()
            .find(|e| e.ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix} in {entries:?}"));
        validate(&ctx.root.join(e));
    }
    uninstall_restores(&ctx, Layout::Fhs, &before);
}

#[test]
fn create_line_keeps_a_value_already_there() {
    let ctx = Ctx::new();
    seed(&ctx, Layout::Windows);
    let ini = ctx.root.join("Windows/rmsi-shell.ini");
    fs::write(&ini, "; mine\n[settings]\nmode = custom\n\n[Other]\nx=1\n").expect("write");
    ctx.install(&package("shell.msi"), Layout::Windows, &["ALLUSERS=1"])
        .assert_code(0);
    let install = ctx.root.join("Program Files (x86)/rmsi-tests/shell");
    assert_eq!(
        fs::read_to_string(&ini).expect("read"),
        format!(
            "; mine\r\n[settings]\r\nmode = custom\r\nInstallDir={}/\r\n\r\n[Other]\r\nx=1\r\n[Plugins]\r\nList=a,b\r\n[Search]\r\nFound=kept value\r\nField=new\r\nDir={w}/\r\nFile={w}/shared.ini\r\nNone=\r\n",
            install.display(),
            w = ctx.root.join("Windows").display()
        )
    );
}

/// A `.lnk` written into a fresh Wine prefix's drive is read by Wine's own shell: Wine's
/// `winemenubuilder` turns the Start-menu shortcut into a menu entry with the shortcut's
/// description, working folder, target program and icon. (Without `-w`: with it, a link
/// whose icon cannot be extracted makes it wait for its parent, the test, to end.)
#[test]
fn wines_menu_builder_reads_the_shell_links() {
    let Some(wine) = test_support::wine::Prefix::new() else {
        return;
    };
    let ctx = Ctx::new();
    let home = wine.home();
    let prefix = wine.path();
    let drive = wine.drive_c();
    let mut cmd = ctx.rmsi();
    cmd.arg("install")
        .arg(package("shell.msi"))
        .arg("--root")
        .arg(&drive)
        .args(["--layout", "windows", "--ui", "none", "ALLUSERS=1"]);
    let out = cmd.output().expect("rmsi");
    assert!(out.status.success(), "{out:?}");

    // And a link whose path is not ASCII, which names its target by the item ID list
    // alone (LinkInfo's path is ANSI).
    let programs = drive.join("ProgramData/Microsoft/Windows/Start Menu/Programs");
    fs::create_dir_all(drive.join("Program Files (x86)/Größe")).expect("mkdir");
    fs::write(drive.join("Program Files (x86)/Größe/spiel.exe"), "x").expect("write");
    let mut link = ShellLink::new(r"C:\Program Files (x86)\Größe\spiel.exe");
    link.description = Some("Ein Spiel".into());
    link.icon_location = Some(format!(r"C:\Windows\Installer\{PRODUCT}\app.ico"));
    let bytes = link.to_bytes().expect("a link");
    fs::write(programs.join("Spiel.lnk"), bytes).expect("write Spiel.lnk");

    let built = wine.wine(&[
        "winemenubuilder.exe",
        r"C:\ProgramData\Microsoft\Windows\Start Menu\Programs\rmsi-shell\Shell App.lnk",
    ]);
    let spiel = wine.wine(&[
        "winemenubuilder.exe",
        r"C:\ProgramData\Microsoft\Windows\Start Menu\Programs\Spiel.lnk",
    ]);
    wine.stop_server();
    assert!(built.status.success(), "{built:?}");
    assert!(spiel.status.success(), "{spiel:?}");
    let entry = home.join(".local/share/applications/wine/Programs/Spiel.desktop");
    let text = fs::read_to_string(&entry)
        .unwrap_or_else(|e| panic!("{}: {e} ({spiel:?})", entry.display()));
    for line in ["Comment=Ein Spiel", "StartupWMClass=spiel.exe"] {
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
    let entry = home.join(".local/share/applications/wine/Programs/rmsi-shell/Shell App.desktop");
    let text = fs::read_to_string(&entry)
        .unwrap_or_else(|e| panic!("{}: {e} ({built:?})", entry.display()));
    for line in [
        "Name=Shell App".to_string(),
        "Comment=Starts the shell test app".to_string(),
        format!(
            "Path={}/dosdevices/c:/Program Files (x86)/rmsi-tests/shell",
            prefix.display()
        ),
        "StartupWMClass=app.exe".to_string(),
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
    // The icon, from the Icon table's file the shortcut names, extracted by Wine.
    let icon = text
        .lines()
        .find_map(|l| l.strip_prefix("Icon="))
        .expect("an Icon line");
    let pngs: Vec<_> = walk(&home.join(".local/share/icons"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy() == format!("{icon}.png"))
        })
        .collect();
    assert!(!pngs.is_empty(), "no {icon}.png:\n{text}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Version 2 of the package (`shell-v2.msi`) removes version 1 after its own install was
/// committed (RemoveExistingProducts after InstallFinalize): the shortcuts, icon and INI
/// lines version 2 wrote at the same places stay, version 1's icon goes; removing version
/// 2 then leaves the root as it was. (Per-user: the removal of version 1 resolves the same
/// shell folders.)
#[test]
fn a_late_major_upgrade_keeps_the_new_products_shortcuts_and_ini_lines() {
    let ctx = Ctx::new();
    seed(&ctx, Layout::Windows);
    let before = snapshot(&ctx.root, Layout::Windows);
    ctx.install(&package("shell.msi"), Layout::Windows, &[])
        .assert_code(0);
    let v1_links: Vec<PathBuf> = snapshot(&ctx.root, Layout::Windows)
        .into_keys()
        .filter(|p| p.extension().is_some_and(|e| e == "lnk"))
        .collect();
    assert_eq!(v1_links.len(), 4, "{v1_links:?}");
    let run = ctx.install(&package("shell-v2.msi"), Layout::Windows, &[]);
    run.assert_code(0);
    assert!(
        run.log
            .contains(&format!("RemoveExistingProducts: {PRODUCT} was removed.")),
        "{}",
        run.describe()
    );
    let v2 = "{5E11A0B0-1C2D-4E3F-8A9B-0C1D2E3F4A52}";
    for p in &v1_links {
        let link = ShellLink::parse(
            &fs::read(ctx.root.join(p))
                .unwrap_or_else(|e| panic!("{}: {e}\n{}", p.display(), run.describe())),
        )
        .expect("a Shell Link");
        if link.icon_location.is_some() {
            assert_eq!(
                link.icon_location.as_deref(),
                Some(format!(r"C:\Windows\Installer\{v2}\app.ico").as_str())
            );
        }
    }
    assert!(
        ctx.root
            .join(format!("Windows/Installer/{v2}/app.ico"))
            .is_file()
    );
    assert!(
        !ctx.root
            .join(format!("Windows/Installer/{PRODUCT}"))
            .exists()
    );
    // Version 2's AppSearch read shared.ini as version 1 left it.
    let install = ctx.root.join("Program Files (x86)/rmsi-tests/shell");
    let win = ctx.root.join("Windows");
    assert_eq!(
        fs::read_to_string(win.join("rmsi-shell.ini")).expect("rmsi-shell.ini"),
        expected_ini(&install, &win).replace("Field=new", "Field=other")
    );

    let run = ctx.uninstall(v2, Layout::Windows, &[]);
    run.assert_code(0);
    let mut expected = before.clone();
    expected.insert(
        PathBuf::from("Windows/shared.ini"),
        Some(shared_after(Layout::Windows).into_bytes()),
    );
    let after = snapshot(&ctx.root, Layout::Windows);
    let diff: Vec<_> = expected
        .keys()
        .chain(after.keys())
        .filter(|k| expected.get(*k) != after.get(*k))
        .collect();
    assert!(diff.is_empty(), "left or lost: {diff:?}");
}
