//! `rmsi msiexec`: msiexec's own command-line syntax.
//!
//! ```text
//! rmsi msiexec [--root DIR] [--layout fhs|windows] /i PKG.msi [/qn|/qb|/qr|/qf|/quiet|/passive]
//!              [/l*v FILE] [/log FILE] [/norestart] [NAME=VALUE]...
//! rmsi msiexec [--root DIR] [--layout fhs|windows] /x (PKG.msi|{PRODUCT-CODE}) [/qn...]
//!              [/l*v FILE] [NAME=VALUE]...
//! rmsi msiexec [--root DIR] [--layout fhs|windows] /f[pecmsuavo] (PKG.msi|{PRODUCT-CODE})
//!              [/qn...] [/l*v FILE] [NAME=VALUE]...
//! ```
//!
//! As msiexec (spec 5.1–5.6): options are case-insensitive and start with `/` or `-`;
//! `/q` takes the level letters `n b r f` and the modifiers `+ - !`; `/l` takes logging
//! letters (`*`, `v`, `+` to append…) and a file; `/log FILE` is `/l*`; `NAME=VALUE` may
//! appear anywhere except between an option and its argument, names are upper-cased,
//! a value in quotes keeps its spaces, `""` inside quotes is a literal quote, and an
//! unbalanced quote is an invalid command line. Anything msiexec would reject (an unknown
//! option, a missing argument, a stray word) ends with 1639 and the usage text.
//! `/x` (`/uninstall`) removes a product, named by its package or its product code, as
//! [`engine::uninstall`] does (msiexec adds `REMOVE=ALL`). Repair, administrative installs,
//! advertising and patches are not part of this engine yet: they are refused with 1639 as
//! well, naming the option. `/i` and `/x` cannot be combined.
// This module prints msiexec-style usage errors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use engine::{InstallRequest, Layout, UiLevel, UninstallRequest};

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
}

/// What a command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Request {
    Install(Parsed),
    /// `/x`: `package` is the package or the product code.
    Uninstall(Parsed),
    Help,
}

pub(crate) fn run(args: MsiexecArgs) -> anyhow::Result<ExitCode> {
    match parse(&args.args) {
        Ok(Request::Help) => {
            println!("{}", usage());
            Ok(ExitCode::SUCCESS)
        }
        Ok(Request::Install(p)) => {
            let layout = match super::state::layout_for(&p.root, p.layout) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            // A repair by product code runs the product's package from its source (the
            // location recorded at install: the cached copy holds no payload).
            let p = match super::state::package_of(layout, p) {
                Ok(p) => p,
                Err(code) => return Ok(code),
            };
            let ui_level = p.ui.unwrap_or_else(super::install::default_ui);
            let request = InstallRequest {
                package: p.package,
                root: p.root,
                layout,
                ui_level,
                log: p.log,
                log_append: p.log_append,
                properties: p.properties,
                custom_actions: true,
            };
            Ok(super::install::execute(
                &request,
                super::Closing::for_msiexec(ui_level),
            ))
        }
        Ok(Request::Uninstall(p)) => {
            let layout = match super::state::layout_for(&p.root, p.layout) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            let ui_level = p.ui.unwrap_or_else(super::install::default_ui);
            let request = UninstallRequest {
                target: super::uninstall::target_of(&p.package.to_string_lossy()),
                root: p.root,
                layout,
                ui_level,
                log: p.log,
                log_append: p.log_append,
                properties: p.properties,
                custom_actions: true,
            };
            Ok(super::uninstall::execute(
                &request,
                super::Closing::for_msiexec(ui_level),
            ))
        }
        Err(msg) => Ok(super::usage_error(&format!("{msg}\n\n{}", usage()))),
    }
}

/// Every msiexec option, with what this engine does with it: `--help` and `/?` print it.
const OPTIONS: &str = "\
msiexec options (case-insensitive; / or - may start them):
  /i PKG, /package PKG   install PKG
  /x PKG|{PRODUCT-CODE}, /uninstall ...
                         remove the product (REMOVE=ALL); 1605 if it is not installed
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
Not supported yet, each ending with 1639 ERROR_INVALID_COMMAND_LINE and nothing done:
  /a                     administrative install
  /p, /update            apply patches
  /j[u|m], /y, /z        advertise, register and unregister the engine
This tool's own options: --root DIR (the target root, default /) and --layout fhs|windows.";

fn usage() -> String {
    format!(
        "Usage: rmsi msiexec [--root DIR] [--layout fhs|windows] /i PKG.msi [/qn|/qb|/qr|/qf|/quiet|/passive]\n\
     \x20                   [/l*v FILE|/log FILE] [/norestart] [NAME=VALUE]...\n\
     \x20      rmsi msiexec [--root DIR] [--layout fhs|windows] /x PKG.msi|{{PRODUCT-CODE}} [/qn...]\n\
     \x20                   [/l*v FILE|/log FILE] [/norestart] [NAME=VALUE]...\n\
     \n{OPTIONS}"
    )
}

/// Parses msiexec's arguments (spec section 5).
pub(crate) fn parse(args: &[String]) -> Result<Request, String> {
    let mut package: Option<PathBuf> = None;
    let mut uninstall = false;
    let mut root = PathBuf::from("/");
    let mut layout = None;
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
                if package.is_some() {
                    return Err("only one of /i and /x, with one package, may be given".into());
                }
                uninstall = matches!(lower.as_str(), "x" | "uninstall");
                package = Some(PathBuf::from(p));
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
            "a" | "j" | "ju" | "jm" | "p" | "update" | "y" | "z" => {
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
    let package = package.ok_or("no package: use /i PKG.msi or /x PKG.msi|{PRODUCT-CODE}")?;
    // Switches come after explicit properties (`/norestart` wins over REBOOT=...), as
    // msiexec appends them to the property string.
    properties.extend(extra);
    // /f's properties first: the command line's own may refine them.
    repair.extend(properties);
    let properties = repair;
    let parsed = Parsed {
        package,
        root,
        layout,
        ui,
        log,
        log_append,
        properties,
    };
    Ok(if uninstall {
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

/// `NAME=VALUE` with msiexec's quoting (spec 5.6): the name upper-cased; quotes removed,
/// `""` inside quotes is one literal quote; an unbalanced quote is an error.
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
            &["/a", "a"],
            &["/qn"],
            &["/i", "a", "/i", "b"],
            &["/i", "a", r#"P="x"#],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(parse(&args(&["/?"])), Ok(Request::Help));
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
