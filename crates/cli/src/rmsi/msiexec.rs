//! `rmsi msiexec`: msiexec's own command-line syntax.
//!
//! ```text
//! rmsi msiexec [--root DIR] [--layout fhs|windows] /i PKG.msi [/qn|/qb|/qr|/qf|/quiet|/passive]
//!              [/l*v FILE] [/log FILE] [/norestart] [NAME=VALUE]...
//! rmsi msiexec [--root DIR] [--layout fhs|windows] /x (PKG.msi|{PRODUCT-CODE}) [/qn...]
//!              [/l*v FILE] [NAME=VALUE]...
//! rmsi msiexec [--root DIR] [--layout fhs|windows] /f[pecmsuavo] (PKG.msi|{PRODUCT-CODE})
//!              [/qn...] [/l*v FILE] [NAME=VALUE]...
//! rmsi msiexec [--root DIR] /p PATCH.msp [/p PATCH2.msp] [/qn] [/l*v LOG]
//! rmsi msiexec [--root DIR] /update PATCH.msp;PATCH2.msp [/qn]
//! rmsi msiexec [--root DIR] /uninstall PATCH.msp|{PATCH-CODE} /package PKG.msi|{PRODUCT}
//! rmsi msiexec /a PKG.msi TARGETDIR=DIR [/qn] [/l*v LOG]
//! rmsi msiexec --wine-prefix DIR [--wait-wineserver] /i|/x|/f|/p ...   (a Wine prefix)
//! ```
//!
//! As msiexec ("Command-Line Options"): options are case-insensitive and start with `/` or `-`;
//! `/q` takes the level letters `n b r f` and the modifiers `+ - !`; `/l` takes logging
//! letters (`*`, `v`, `+` to append…) and a file; `/log FILE` is `/l*`; `NAME=VALUE` may
//! appear anywhere except between an option and its argument, names are upper-cased,
//! a value in quotes keeps its spaces, `""` inside quotes is a literal quote, and an
//! unbalanced quote is an invalid command line. Anything msiexec would reject (an unknown
//! option, a missing argument, a stray word) ends with 1639 and the usage text.
//! `/x` (`/uninstall`) removes a product, named by its package or its product code, as
//! [`engine::uninstall`] does (msiexec adds `REMOVE=ALL`). `/p` and `/update` patch the
//! installed products the patches target ([`engine::patch`]); `/uninstall` of a `.msp` or
//! of a patch code with `/package` naming the product removes the patch
//! ([`engine::remove_patches`]). `/a` makes an administrative image under `TARGETDIR`
//! ([`engine::admin_install`]). Repair and advertising are not part of this engine yet:
//! they are refused with 1639 as well, naming the option. `/i`, `/x` and `/a` cannot be
//! combined, nor `/p` with any of them.
// This module prints msiexec-style usage errors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use engine::{
    AdminRequest, InstallRequest, Layout, PatchRemovalRequest, PatchRequest, UiLevel,
    UninstallRequest,
};

/// Arguments of `rmsi msiexec` (parsed by hand: msiexec's syntax is not clap's).
#[derive(Debug, clap::Args)]
#[command(after_help = format!("{OPTIONS}\n\n{}", super::EXIT_HELP))]
pub(crate) struct MsiexecArgs {
    /// msiexec options (listed below): /i PKG, /x PKG|{PRODUCT-CODE}, /qn, /l*v FILE,
    /// NAME=VALUE...; and this tool's --root DIR and --layout fhs|windows.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "OPTIONS"
    )]
    args: Vec<String>,
}

/// A parsed msiexec command line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// `/i`'s package, or `/x`'s package or product code.
    pub(crate) package: PathBuf,
    pub(crate) root: PathBuf,
    /// `None`: the root's layout, else fhs (`super::state::layout_for`).
    pub(crate) layout: Option<Layout>,
    pub(crate) ui: Option<UiLevel>,
    pub(crate) log: Option<PathBuf>,
    pub(crate) log_append: bool,
    pub(crate) properties: Vec<(String, String)>,
    /// `--wait-wineserver` (with `--wine-prefix`): wait for the prefix's wineserver to exit.
    pub(crate) wait_wineserver: bool,
}

/// What a command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Request {
    Install(Parsed),
    /// `/x`: `package` is the package or the product code.
    Uninstall(Parsed),
    /// `/a`: an administrative image of `package` (TARGETDIR among the properties).
    Admin(Parsed),
    /// `/p`, `/update`: the patches, in order (`package` is empty).
    Patch(Parsed, Vec<PathBuf>),
    /// `/uninstall PATCH`: the patches (paths or codes) and `/package`'s product, if any
    /// (`package` is empty).
    RemovePatch(Parsed, Vec<String>, Option<String>),
    Help,
}

/// An engine request on a root: the request's own fields, then what every run on a root
/// takes from the command line alike (the root, its layout, the UI level, the log, the
/// properties; custom actions run). The four request types name these fields the same.
macro_rules! root_request {
    ($kind:ident { $($own:ident $(: $value:expr)?),* }, $p:expr, $layout:expr, $ui:expr) => {
        $kind {
            $($own $(: $value)?,)*
            root: $p.root,
            layout: $layout,
            ui_level: $ui,
            log: $p.log,
            log_append: $p.log_append,
            properties: $p.properties,
            custom_actions: true,
        }
    };
}

pub(crate) fn run(args: MsiexecArgs) -> anyhow::Result<ExitCode> {
    let request = parse(&args.args);
    if let Ok(
        Request::Install(p)
        | Request::Uninstall(p)
        | Request::Patch(p, _)
        | Request::RemovePatch(p, _, _),
    ) = &request
        && p.layout == Some(Layout::Wine)
        && let Err(code) = super::state::target(&p.root, None, Some(&p.root), p.wait_wineserver)
    {
        return Ok(code);
    }
    match request {
        Ok(Request::Help) => {
            println!("{}", usage());
            Ok(ExitCode::SUCCESS)
        }
        Ok(Request::Install(p)) => Ok(in_root(p, |p, layout, ui_level| {
            // A repair by product code runs the product's package from its source (the
            // location recorded at install: the cached copy holds no payload).
            let p = match super::state::package_of(layout, p) {
                Ok(p) => p,
                Err(code) => return code,
            };
            let request = root_request!(InstallRequest { package: p.package }, p, layout, ui_level);
            as_msiexec(ui_level, |ui| engine::install(&request, ui))
        })),
        Ok(Request::Uninstall(p)) => Ok(in_root(p, |p, layout, ui_level| {
            let target = super::uninstall::target_of(&p.package.to_string_lossy());
            let request = root_request!(UninstallRequest { target }, p, layout, ui_level);
            as_msiexec(ui_level, |ui| engine::uninstall(&request, ui))
        })),
        Ok(Request::Admin(p)) => {
            let ui_level = p.ui.unwrap_or_else(super::install::default_ui);
            let request = AdminRequest {
                package: p.package,
                ui_level,
                log: p.log,
                log_append: p.log_append,
                properties: p.properties,
            };
            Ok(as_msiexec(ui_level, |ui| {
                engine::admin_install(&request, ui)
            }))
        }
        Ok(Request::Patch(p, patches)) => Ok(in_root(p, |p, layout, ui_level| {
            let request = root_request!(PatchRequest { patches }, p, layout, ui_level);
            as_msiexec(ui_level, |ui| engine::patch(&request, ui))
        })),
        Ok(Request::RemovePatch(p, patches, product)) => Ok(in_root(p, |p, layout, ui_level| {
            let product = product.map(|p| super::uninstall::target_of(&p));
            let request = root_request!(
                PatchRemovalRequest { patches, product },
                p,
                layout,
                ui_level
            );
            as_msiexec(ui_level, |ui| engine::remove_patches(&request, ui))
        })),
        Err(msg) => Ok(super::usage_error(&format!("{msg}\n\n{}", usage()))),
    }
}

/// Runs `run` with the root's layout (the one it was installed with, else `--layout`, else
/// fhs) and the UI level (`/q...`, else the terminal's default); a root whose layout cannot
/// be read ends with its status instead.
fn in_root(p: Parsed, run: impl FnOnce(Parsed, Layout, UiLevel) -> ExitCode) -> ExitCode {
    let layout = match super::state::layout_for(&p.root, p.layout) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let ui_level = p.ui.unwrap_or_else(super::install::default_ui);
    run(p, layout, ui_level)
}

/// Runs an engine call with the terminal UI at `ui_level` and ends as msiexec ends (its
/// closing line, its exit status).
fn as_msiexec(
    ui_level: UiLevel,
    call: impl FnOnce(&mut dyn engine::InstallUi) -> engine::InstallReport,
) -> ExitCode {
    super::install::execute_with(ui_level, super::Closing::for_msiexec(ui_level), call)
}

/// Every msiexec option, with what this engine does with it: `--help` and `/?` print it.
const OPTIONS: &str = "\
msiexec options (case-insensitive; / or - may start them):
  /i PKG, /package PKG   install PKG
  /x PKG|{PRODUCT-CODE}, /uninstall ...
                         remove the product (REMOVE=ALL); 1605 if it is not installed
  /p PATCH.msp           apply a patch to the installed products it targets (a maintenance
                         install with PATCH=, REINSTALL=ALL, REINSTALLMODE=omus); may repeat;
                         1642 if it targets no installed product
  /update A.msp;B.msp    apply several patches
  /a PKG TARGETDIR=DIR   administrative install: an uncompressed image of PKG under DIR (files
                         at their source paths, short names with SHORTFILENAMES=1, and a copy
                         of the package marked as an administrative image); nothing else
                         written
  /uninstall PATCH.msp|{PATCH-CODE} [/package PKG|{PRODUCT-CODE}]
                         remove a patch (MSIPATCHREMOVE=) when its AllowRemoval metadata
                         allows it (else 1646); 1647 if it is not applied
  /q, /qn, /quiet        no UI; /qb /passive basic, /qr reduced, /qf full; + - ! modifiers
                         are accepted (the terminal UI has no modal dialogs to hide)
  /l[iwearucmopvx+!*] FILE, /log FILE
                         the verbose log (the engine writes every category; + appends)
  /norestart             REBOOT=ReallySuppress;  /forcerestart REBOOT=Force;
  /promptrestart         REBOOTPROMPT=\"\" (this engine never restarts the machine)
  NAME=VALUE             a public property; \"quoted values\" keep their spaces
  /f[pecmsuavo] PKG|{PRODUCT-CODE}
                         repair: REINSTALL=ALL and REINSTALLMODE=the letters (default omus);
                         by product code, the package the product was installed from
  /?, /h, /help          this text
Not supported, each ending with 1639 ERROR_INVALID_COMMAND_LINE and nothing done:
  /j[u|m], /y, /z        advertise, register and unregister the engine
This tool's own options: --root DIR (the target root, default /) and --layout fhs|windows,
or --wine-prefix DIR (a Wine prefix as the target) with --wait-wineserver.";

fn usage() -> String {
    format!(
        "Usage: rmsi msiexec [--root DIR] [--layout fhs|windows] /i PKG.msi [/qn|/qb|/qr|/qf|/quiet|/passive]\n\
     \x20                   [/l*v FILE|/log FILE] [/norestart] [NAME=VALUE]...\n\
     \x20      rmsi msiexec [--root DIR] [--layout fhs|windows] /x PKG.msi|{{PRODUCT-CODE}} [/qn...]\n\
     \x20                   [/l*v FILE|/log FILE] [/norestart] [NAME=VALUE]...\n\
     \x20      rmsi msiexec --wine-prefix DIR [--wait-wineserver] /i|/x ... (into a Wine prefix)\n\
     \n{OPTIONS}"
    )
}

/// Parses msiexec's arguments ("Command-Line Options", "Standard Installer Command-Line
/// Options").
pub(crate) fn parse(args: &[String]) -> Result<Request, String> {
    let mut package: Option<PathBuf> = None;
    let mut uninstall = false;
    let mut admin = false;
    // `/package` after `/uninstall` names the product a patch is removed from.
    let mut product: Option<String> = None;
    let mut patches: Vec<PathBuf> = Vec::new();
    let mut root = PathBuf::from("/");
    let mut layout = None;
    let mut wait_wineserver = false;
    let mut ui = None;
    let mut log = None;
    let mut log_append = false;
    let mut properties: Vec<(String, String)> = Vec::new();
    let mut extra: Vec<(String, String)> = Vec::new();
    let mut repair: Vec<(String, String)> = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        // This tool's own options first (they are not msiexec's).
        if let Some(v) = arg.strip_prefix("--root=") {
            root = PathBuf::from(v);
            continue;
        }
        if let Some(v) = arg.strip_prefix("--layout=") {
            layout = Some(Layout::parse(v).ok_or_else(|| format!("unknown layout {v:?}"))?);
            continue;
        }
        if arg == "--root" {
            root = PathBuf::from(it.next().ok_or("--root needs a folder")?);
            continue;
        }
        // `--wine-prefix DIR`: the prefix is the root, in the Wine layout.
        if let Some(v) = arg.strip_prefix("--wine-prefix=") {
            root = PathBuf::from(v);
            layout = Some(Layout::Wine);
            continue;
        }
        if arg == "--wait-wineserver" {
            wait_wineserver = true;
            continue;
        }
        if arg == "--wine-prefix" {
            root = PathBuf::from(it.next().ok_or("--wine-prefix needs a folder")?);
            layout = Some(Layout::Wine);
            continue;
        }
        if arg == "--layout" {
            let v = it.next().ok_or("--layout needs fhs or windows")?;
            layout = Some(Layout::parse(v).ok_or_else(|| format!("unknown layout {v:?}"))?);
            continue;
        }
        let opt = match arg.strip_prefix('/').or_else(|| arg.strip_prefix('-')) {
            Some(o) if !o.is_empty() => o,
            _ => {
                if arg.contains('=') {
                    properties.push(parse_property(arg)?);
                    continue;
                }
                return Err(format!("unexpected argument {arg:?}"));
            }
        };
        let lower = opt.to_ascii_lowercase();
        match lower.as_str() {
            "i" | "package" | "x" | "uninstall" => {
                let p = it
                    .next()
                    .ok_or_else(|| format!("/{opt} needs a package or a product code"))?;
                if lower == "package" && uninstall && product.is_none() {
                    product = Some(p.clone());
                    continue;
                }
                if package.is_some() {
                    return Err("only one of /i, /x and /a, with one package, may be given".into());
                }
                uninstall = matches!(lower.as_str(), "x" | "uninstall");
                package = Some(PathBuf::from(p));
            }
            "a" => {
                let p = it.next().ok_or("/a needs a package")?;
                if package.is_some() {
                    return Err("only one of /i, /x and /a, with one package, may be given".into());
                }
                admin = true;
                package = Some(PathBuf::from(p));
            }
            "p" => {
                let p = it.next().ok_or("/p needs a patch package")?;
                patches.push(PathBuf::from(p));
            }
            "update" => {
                let list = it.next().ok_or("/update needs patch packages")?;
                let before = patches.len();
                patches.extend(
                    list.split(';')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(PathBuf::from),
                );
                if patches.len() == before {
                    return Err("/update needs patch packages".into());
                }
            }
            "quiet" => ui = Some(UiLevel::None),
            "passive" => {
                ui = Some(UiLevel::Basic);
                extra.push(("REBOOTPROMPT".into(), "S".into()));
            }
            "norestart" => extra.push(("REBOOT".into(), "ReallySuppress".into())),
            "forcerestart" => extra.push(("REBOOT".into(), "Force".into())),
            "promptrestart" => extra.push(("REBOOTPROMPT".into(), String::new())),
            "log" => {
                let f = it.next().ok_or("/log needs a file")?;
                log = Some(PathBuf::from(f));
            }
            "?" | "h" | "help" => return Ok(Request::Help),
            "j" | "ju" | "jm" | "y" | "z" => {
                return Err(format!("/{opt} is not supported by this engine yet"));
            }
            // Repair ("Command-Line Options", /f): the product again with REINSTALL=ALL
            // and the letters as REINSTALLMODE (`omus` when none are given).
            _ if lower.starts_with('f') && lower[1..].chars().all(|c| "pocemsuavd".contains(c)) => {
                let p = it
                    .next()
                    .ok_or_else(|| format!("/{opt} needs a package or a product code"))?;
                if package.is_some() {
                    return Err("only one of /i, /x and /f, with one package, may be given".into());
                }
                package = Some(PathBuf::from(p));
                let letters = if lower.len() > 1 { &opt[1..] } else { "omus" };
                repair.push(("REINSTALL".to_string(), "ALL".to_string()));
                repair.push(("REINSTALLMODE".to_string(), letters.to_string()));
            }
            _ if lower.starts_with('q') => ui = Some(parse_ui(&lower[1..], opt)?),
            _ if lower.starts_with('l') => {
                let flags = &lower[1..];
                if !flags.chars().all(|c| "iwearucmopvx+!*".contains(c)) {
                    return Err(format!("unknown logging flags in /{opt}"));
                }
                log_append = flags.contains('+');
                let f = it
                    .next()
                    .ok_or_else(|| format!("/{opt} needs a log file"))?;
                log = Some(PathBuf::from(f));
            }
            _ => return Err(format!("unknown option /{opt}")),
        }
    }
    // Switches come after explicit properties (`/norestart` wins over REBOOT=...), as
    // msiexec appends them to the property string.
    properties.extend(extra);
    // /f's properties first: the command line's own may refine them.
    repair.extend(properties);
    let properties = repair;
    if !patches.is_empty() {
        if package.is_some() {
            return Err("/p and /update cannot be combined with /i or /x".into());
        }
        return Ok(Request::Patch(
            Parsed {
                package: PathBuf::new(),
                root,
                layout,
                ui,
                log,
                log_append,
                properties,
                wait_wineserver,
            },
            patches,
        ));
    }
    // `/uninstall` of a patch: a .msp, or any target with `/package` naming the product.
    let patch_removal = uninstall
        && package.as_ref().is_some_and(|p| {
            product.is_some() || p.extension().is_some_and(|e| e.eq_ignore_ascii_case("msp"))
        });
    if patch_removal && let Some(patch) = package.take() {
        return Ok(Request::RemovePatch(
            Parsed {
                package: PathBuf::new(),
                root,
                layout,
                ui,
                log,
                log_append,
                properties,
                wait_wineserver,
            },
            patch
                .to_string_lossy()
                .split(';')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            product,
        ));
    }
    let package = package.ok_or("no package: use /i PKG.msi or /x PKG.msi|{PRODUCT-CODE}")?;
    let parsed = Parsed {
        package,
        root,
        layout,
        ui,
        log,
        log_append,
        properties,
        wait_wineserver,
    };
    Ok(if admin {
        Request::Admin(parsed)
    } else if uninstall {
        Request::Uninstall(parsed)
    } else {
        Request::Install(parsed)
    })
}

fn parse_ui(rest: &str, opt: &str) -> Result<UiLevel, String> {
    let mut chars = rest.chars();
    let level = match chars.clone().next() {
        None | Some('+') | Some('-') | Some('!') => UiLevel::None,
        Some('n') => {
            chars.next();
            UiLevel::None
        }
        Some('b') => {
            chars.next();
            UiLevel::Basic
        }
        Some('r') => {
            chars.next();
            UiLevel::Reduced
        }
        Some('f') => {
            chars.next();
            UiLevel::Full
        }
        Some(_) => return Err(format!("unknown UI level /{opt}")),
    };
    if !chars.all(|c| "+-!".contains(c)) {
        return Err(format!("unknown UI modifiers in /{opt}"));
    }
    Ok(level)
}

/// `NAME=VALUE` with msiexec's quoting ("Setting Public Property Values on the Command Line"): the
/// name upper-cased; quotes removed, `""` inside quotes is one literal quote; an unbalanced quote
/// is an error.
pub(crate) fn parse_property(arg: &str) -> Result<(String, String), String> {
    let (name, raw) = arg
        .split_once('=')
        .ok_or_else(|| format!("{arg:?} is not NAME=VALUE"))?;
    let name = super::check_property_name(name)?;
    let mut value = String::new();
    let mut in_quotes = false;
    let chars: Vec<char> = raw.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            if in_quotes && chars.get(i + 1) == Some(&'"') {
                value.push('"');
                i += 2;
                continue;
            }
            in_quotes = !in_quotes;
        } else {
            value.push(c);
        }
        i += 1;
    }
    if in_quotes {
        return Err(format!("unbalanced quotes in {arg:?}"));
    }
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    fn install(s: &[&str]) -> Parsed {
        match parse(&args(s)) {
            Ok(Request::Install(p)) => p,
            other => panic!("{s:?} gave {other:?}"),
        }
    }

    #[test]
    fn a_wine_prefix_is_the_root_in_the_wine_layout() {
        let p = install(&["--wine-prefix", "/p", "/i", "a.msi", "--wait-wineserver"]);
        assert_eq!(
            (p.root, p.layout, p.wait_wineserver),
            (PathBuf::from("/p"), Some(Layout::Wine), true)
        );
        let p = install(&["/i", "a.msi", "--wine-prefix=/q"]);
        assert_eq!(
            (p.root, p.layout, p.wait_wineserver),
            (PathBuf::from("/q"), Some(Layout::Wine), false)
        );
    }

    #[test]
    fn options_are_case_insensitive_with_slash_or_dash() {
        let p = install(&["/I", "a.msi", "/QN", "/L*V", "x.log"]);
        assert_eq!(p.package, PathBuf::from("a.msi"));
        assert_eq!(p.ui, Some(UiLevel::None));
        assert_eq!(p.log, Some(PathBuf::from("x.log")));
        let p = install(&["-i", "a.msi", "-qb!-", "-log", "y.log"]);
        assert_eq!(p.ui, Some(UiLevel::Basic));
        assert_eq!(p.log, Some(PathBuf::from("y.log")));
        assert_eq!(install(&["/i", "a", "/qf"]).ui, Some(UiLevel::Full));
        assert_eq!(install(&["/i", "a", "/qr"]).ui, Some(UiLevel::Reduced));
        assert_eq!(install(&["/i", "a", "/q"]).ui, Some(UiLevel::None));
        assert_eq!(install(&["/i", "a", "/quiet"]).ui, Some(UiLevel::None));
        assert_eq!(install(&["/package", "a"]).package, PathBuf::from("a"));
    }

    #[test]
    fn switches_become_properties() {
        let p = install(&["/i", "a", "/norestart", "/passive", "X=1"]);
        assert_eq!(p.ui, Some(UiLevel::Basic));
        assert_eq!(
            p.properties,
            [
                ("X".to_string(), "1".to_string()),
                ("REBOOT".to_string(), "ReallySuppress".to_string()),
                ("REBOOTPROMPT".to_string(), "S".to_string()),
            ]
        );
        assert!(install(&["/i", "a", "/l+", "f"]).log_append);
    }

    #[test]
    fn root_and_layout_anywhere() {
        let p = install(&["--root", "/tmp/r", "/i", "a", "--layout", "windows"]);
        assert_eq!(p.root, PathBuf::from("/tmp/r"));
        assert_eq!(p.layout, Some(Layout::Windows));
    }

    #[test]
    fn property_quoting_follows_spec_5_6() {
        let cases = [
            ("myProp=1", ("MYPROP", "1")),
            (r#"P="Embedded White Space""#, ("P", "Embedded White Space")),
            (r#"P="""#, ("P", "")),
            (
                r#"P="Embedded ""Quotes"" White Space""#,
                ("P", r#"Embedded "Quotes" White Space"#),
            ),
            (
                r#"COMPANYNAME="Acme ""Widgets"" and ""Gizmos.""""#,
                ("COMPANYNAME", r#"Acme "Widgets" and "Gizmos.""#),
            ),
            ("P=a=b", ("P", "a=b")),
        ];
        for (arg, (name, value)) in cases {
            assert_eq!(
                parse_property(arg),
                Ok((name.to_string(), value.to_string())),
                "{arg}"
            );
        }
        assert!(parse_property(r#"P="open"#).is_err());
        assert!(parse_property("1BAD=x").is_err());
        assert!(parse_property("=x").is_err());
    }

    #[test]
    fn bad_command_lines_are_errors() {
        for bad in [
            &["/i"][..],
            &["a.msi"],
            &["/i", "a", "stray"],
            &["/i", "a", "/qz"],
            &["/i", "a", "/l*v"],
            &["/i", "a", "/bogus"],
            &["/x"],
            &["/x", "a", "/i", "b"],
            &["/a"],
            &["/a", "a", "/i", "b"],
            &["/j", "a"],
            &["/qn"],
            &["/i", "a", "/i", "b"],
            &["/i", "a", r#"P="x"#],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(parse(&args(&["/?"])), Ok(Request::Help));
    }

    #[test]
    fn p_update_and_patch_removal() {
        let Ok(Request::Patch(p, patches)) =
            parse(&args(&["--root", "r", "/p", "a.msp", "/P", "b.msp", "/qn"]))
        else {
            panic!("/p was not a patch");
        };
        assert_eq!(patches, [PathBuf::from("a.msp"), PathBuf::from("b.msp")]);
        assert_eq!(p.ui, Some(UiLevel::None));
        let Ok(Request::Patch(_, patches)) = parse(&args(&["/update", "a.msp;b.msp"])) else {
            panic!("/update was not a patch");
        };
        assert_eq!(patches, [PathBuf::from("a.msp"), PathBuf::from("b.msp")]);
        assert_eq!(
            parse(&args(&["/uninstall", "{P}", "/package", "{Q}"])).map(|r| match r {
                Request::RemovePatch(_, p, q) => (p, q),
                _ => (vec![], None),
            }),
            Ok((vec!["{P}".to_string()], Some("{Q}".to_string())))
        );
        assert!(matches!(
            parse(&args(&["/uninstall", "x.MSP"])),
            Ok(Request::RemovePatch(_, _, None))
        ));
        for bad in [
            &["/p"][..],
            &["/update", ";"],
            &["/p", "a.msp", "/i", "b.msi"],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn x_uninstalls_a_package_or_product_code() {
        let Ok(Request::Uninstall(p)) = parse(&args(&["/X", "{A-B}", "/qn", "P=1"])) else {
            panic!("/X was not an uninstall");
        };
        assert_eq!(p.package, PathBuf::from("{A-B}"));
        assert_eq!(p.ui, Some(UiLevel::None));
        assert_eq!(p.properties, vec![("P".to_string(), "1".to_string())]);
        assert!(matches!(
            parse(&args(&["-uninstall", "a.msi"])),
            Ok(Request::Uninstall(_))
        ));
    }
}
