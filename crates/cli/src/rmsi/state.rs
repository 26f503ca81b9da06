//! `rmsi list`, `rmsi reg query`, `rmsi reg export` and `rmsi verify`: what a root holds,
//! as Windows tools show it.
//!
//! ```text
//! rmsi list [--root DIR] [--json]
//! rmsi reg query KEY [--value NAME] [--root DIR] [--json]
//! rmsi reg export [KEY] [--root DIR]
//! rmsi verify {PRODUCT}|PKG.msi [--root DIR] [--json]
//! ```
//!
//! Each reads the root's product database in the layout the root was installed with
//! ([`engine::remembered_layout`]); a root nothing was installed into has no products
//! and an empty registry. `reg query` reads the 64-bit view, the 32-bit view through its
//! `Wow6432Node` path, as on 64-bit Windows, and fails as `reg query` does for a key that
//! does not exist: exit status 1 and `ERROR_FILE_NOT_FOUND (2)` on stderr.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use engine::winreg::{self, LineEnding, QueryResult, Root, View};
use engine::{Layout, Registry};

/// Arguments of `rmsi list`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// The target root.
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// Read the Wine prefix DIR instead of a root.
    #[arg(long, value_name = "DIR", conflicts_with = "root")]
    wine_prefix: Option<PathBuf>,
    /// Print JSON: {"products":[{"product_code","name","version","package","features","patches"}]}.
    #[arg(long)]
    json: bool,
}

/// Arguments of `rmsi reg`.
#[derive(Debug, clap::Args)]
pub(crate) struct RegArgs {
    #[command(subcommand)]
    command: RegCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RegCommand {
    /// Show a key's values and subkeys (as `reg query`), in the 64-bit view.
    Query {
        /// The key: HKLM\Software\X, HKCU\…, HKU\…, HKCR\.ext (long names too).
        key: String,
        /// Only this value (an empty name is the default value).
        #[arg(long, value_name = "NAME")]
        value: Option<String>,
        /// The target root.
        #[arg(long, value_name = "DIR", default_value = "/")]
        root: PathBuf,
        /// Read the Wine prefix DIR's registry instead of a root's.
        #[arg(long, value_name = "DIR", conflicts_with = "root")]
        wine_prefix: Option<PathBuf>,
        /// Print JSON: {"key","values":[{"name","type","data"}],"subkeys":[..]}.
        #[arg(long)]
        json: bool,
    },
    /// Print keys as a .reg file ("Windows Registry Editor Version 5.00"), UTF-8.
    Export {
        /// The key to export with its subkeys (all of HKLM and HKU by default).
        key: Option<String>,
        /// The target root.
        #[arg(long, value_name = "DIR", default_value = "/")]
        root: PathBuf,
        /// Read the Wine prefix DIR's registry instead of a root's.
        #[arg(long, value_name = "DIR", conflicts_with = "root")]
        wine_prefix: Option<PathBuf>,
    },
}

/// Arguments of `rmsi verify`.
#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// The product: its code ({GUID}) or its package.
    #[arg(value_name = "{PRODUCT}|PKG.msi")]
    target: String,
    /// The target root.
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// Print JSON: {"product_code","ok","differences":[{"kind","path","problem"}]}.
    #[arg(long)]
    json: bool,
}

/// `rmsi list --json`, its fields in the order the contract gives.
#[derive(serde::Serialize)]
struct ProductList<'a> {
    products: Vec<ProductJson<'a>>,
}

#[derive(serde::Serialize)]
struct ProductJson<'a> {
    product_code: &'a str,
    name: &'a str,
    version: &'a str,
    package: String,
    features: &'a [String],
    patches: Vec<PatchJson>,
}

/// A patch recorded with a product, in `rmsi list --json`.
#[derive(serde::Serialize)]
struct PatchJson {
    patch_code: String,
    name: String,
    state: String,
}

/// `rmsi verify --json`.
#[derive(serde::Serialize)]
struct VerifyJson<'a> {
    product_code: &'a str,
    ok: bool,
    differences: Vec<DifferenceJson<'a>>,
}

#[derive(serde::Serialize)]
struct DifferenceJson<'a> {
    kind: &'static str,
    path: &'a str,
    problem: &'static str,
}

/// The layout a command runs with: the one asked for, else the one the root was installed
/// with, else `fhs`. Asking for another layout than the root's is a usage error (1639)
/// that names both, not a product missing from the other layout's state folder.
pub(crate) fn layout_for(root: &Path, asked: Option<Layout>) -> Result<Layout, ExitCode> {
    match (asked, engine::remembered_layout(root)) {
        (Some(a), Some(r)) if a != r => Err(super::usage_error(&format!(
            "the root {} was installed with --layout {r}; --layout {a} does not match it (leave --layout out to use the root's)",
            root.display()
        ))),
        (Some(a), _) => Ok(a),
        (None, Some(r)) => Ok(r),
        (None, None) => Ok(Layout::Fhs),
    }
}

/// The root and layout a command runs with: with `--wine-prefix`, the prefix (checked to be
/// one: 1639 otherwise) and [`Layout::Wine`], after waiting for its wineserver when
/// `wait` says so; else `root` and [`layout_for`]'s layout.
pub(crate) fn target(
    root: &Path,
    asked: Option<Layout>,
    wine_prefix: Option<&Path>,
    wait: bool,
) -> Result<(PathBuf, Layout), ExitCode> {
    let Some(prefix) = wine_prefix else {
        return layout_for(root, asked).map(|l| (root.to_path_buf(), l));
    };
    let checked = engine::wine::check_prefix(prefix).and_then(|()| {
        if wait {
            engine::wine::wait_for_wineserver(prefix)
        } else {
            Ok(())
        }
    });
    if let Err(e) = checked {
        eprintln!("rmsi: {} {}: {e}", e.code(), e.name());
        return Err(ExitCode::from(engine::exit_status(e.code())));
    }
    Ok((prefix.to_path_buf(), Layout::Wine))
}

/// For `msiexec /f {PRODUCT}`: the product's package as it was installed from (its
/// source; the cached copy holds no payload), or 1605 for a product not installed and 1612
/// (`ERROR_INSTALL_SOURCE_ABSENT`) for a source that is gone.
pub(crate) fn package_of(
    layout: Layout,
    mut parsed: super::msiexec::Parsed,
) -> Result<super::msiexec::Parsed, ExitCode> {
    let engine::UninstallTarget::ProductCode(code) =
        super::uninstall::target_of(&parsed.package.to_string_lossy())
    else {
        return Ok(parsed);
    };
    let root = parsed.root.clone();
    let product = Registry::for_root(&root, layout)
        .ok()
        .and_then(|r| r.products().ok())
        .and_then(|ps| {
            ps.into_iter()
                .find(|p| p.product_code.eq_ignore_ascii_case(code.trim()))
        });
    let Some(product) = product else {
        eprintln!(
            "rmsi: 1605 ERROR_UNKNOWN_PRODUCT: {code} is not installed in {}",
            root.display()
        );
        return Err(ExitCode::from(engine::exit_status(1605)));
    };
    if !product.package_path.is_file() {
        eprintln!(
            "rmsi: 1612 ERROR_INSTALL_SOURCE_ABSENT: the source of {code}, {}, is not available",
            product.package_path.display()
        );
        return Err(ExitCode::from(engine::exit_status(1612)));
    }
    parsed.package = product.package_path;
    Ok(parsed)
}

/// The root's product registry, in the layout it was installed with; a Wine prefix's.
fn open(root: &Path, wine_prefix: Option<&Path>) -> anyhow::Result<(Registry, Layout)> {
    if let Some(prefix) = wine_prefix {
        engine::wine::check_prefix(prefix)?;
        let layout = Layout::Wine;
        return Ok((
            Registry::for_root(&layout.files_root(prefix), layout)?,
            layout,
        ));
    }
    let layout = engine::remembered_layout(root).unwrap_or_default();
    Ok((Registry::for_root(root, layout)?, layout))
}

/// A `--wine-prefix` that names no Wine prefix: the refusal (1639) printed, and its exit
/// status.
fn refused_prefix(wine_prefix: Option<&Path>) -> Option<ExitCode> {
    let e = engine::wine::check_prefix(wine_prefix?).err()?;
    eprintln!("rmsi: {} {}: {e}", e.code(), e.name());
    Some(ExitCode::from(engine::exit_status(e.code())))
}

pub(crate) fn run_list(args: ListArgs) -> anyhow::Result<ExitCode> {
    if let Some(code) = refused_prefix(args.wine_prefix.as_deref()) {
        return Ok(code);
    }
    let (registry, _) = open(&args.root, args.wine_prefix.as_deref())?;
    let products = registry.products()?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut json = Vec::with_capacity(products.len());
        for p in &products {
            let patches = registry
                .patches(&p.product_code)?
                .into_iter()
                .map(|r| PatchJson {
                    patch_code: r.patch_code,
                    name: r.name,
                    state: r.state,
                })
                .collect();
            json.push(ProductJson {
                product_code: &p.product_code,
                name: &p.name,
                version: &p.version,
                package: p.package_path.display().to_string(),
                features: &p.features,
                patches,
            });
        }
        let list = ProductList { products: json };
        writeln!(out, "{}", serde_json::to_string(&list)?)?;
    } else {
        for p in &products {
            writeln!(
                out,
                "{}\t{}\t{}\tinstalled",
                p.product_code, p.name, p.version
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `reg query`'s failure for a key or value that does not exist.
fn not_found(what: &str) -> ExitCode {
    eprintln!("rmsi: ERROR_FILE_NOT_FOUND (2): {what} does not exist");
    ExitCode::from(1)
}

pub(crate) fn run_reg(args: RegArgs) -> anyhow::Result<ExitCode> {
    let (RegCommand::Query { wine_prefix, .. } | RegCommand::Export { wine_prefix, .. }) =
        &args.command;
    if let Some(code) = refused_prefix(wine_prefix.as_deref()) {
        return Ok(code);
    }
    match args.command {
        RegCommand::Query {
            key,
            value,
            root,
            wine_prefix,
            json,
        } => query(&key, value.as_deref(), &root, wine_prefix.as_deref(), json),
        RegCommand::Export {
            key,
            root,
            wine_prefix,
        } => export(key.as_deref(), &root, wine_prefix.as_deref()),
    }
}

fn query(
    key: &str,
    value: Option<&str>,
    root: &Path,
    wine_prefix: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let (hive, path) = Root::split(key)?;
    let (registry, _) = open(root, wine_prefix)?;
    let wanted = value.map(|v| (!v.is_empty()).then_some(v));
    let found = registry
        .read_winreg(|reg| QueryResult::query(reg, View::Native64, hive, path, wanted))?
        .flatten();
    let Some(result) = found else {
        return Ok(not_found(match value {
            Some(_) => "the registry value",
            None => "the registry key",
        }));
    };
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(&result)?)?;
    } else {
        write!(out, "{}", query_text(&result))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `reg query`'s text: a blank line, the key, its values indented (name, type, data), then
/// a blank line and each subkey's full path.
fn query_text(result: &QueryResult) -> String {
    let mut text = format!("\n{}\n", result.key);
    for v in &result.values {
        let data = match &v.data {
            serde_json::Value::String(s) if v.kind == "REG_BINARY" => s.to_ascii_uppercase(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => match n.as_u64() {
                Some(n) => format!("0x{n:x}"),
                None => n.to_string(),
            },
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\\0"),
            other => other.to_string(),
        };
        text.push_str(&format!(
            "    {}    {}    {data}\n",
            v.name.as_deref().unwrap_or("(Default)"),
            v.kind
        ));
    }
    if !result.subkeys.is_empty() {
        text.push('\n');
        for s in &result.subkeys {
            text.push_str(&format!("{}\\{s}\n", result.key));
        }
    }
    text
}

fn export(key: Option<&str>, root: &Path, wine_prefix: Option<&Path>) -> anyhow::Result<ExitCode> {
    let keys: Vec<(Root, &str)> = match key {
        Some(k) => vec![Root::split(k)?],
        None => Vec::new(),
    };
    let (registry, _) = open(root, wine_prefix)?;
    let text = match registry.read_winreg(|reg| winreg::export_reg(reg, &keys, LineEnding::Crlf))? {
        Some(text) => text,
        None => format!("{}\r\n\r\n", winreg::REG_HEADER),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn run_verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let layout = engine::remembered_layout(&args.root).unwrap_or_default();
    let target = super::uninstall::target_of(&args.target);
    let report = match engine::verify(&args.root, layout, &target) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rmsi: {} {}: {e}", e.code(), e.name());
            return Ok(ExitCode::from(engine::exit_status(e.code())));
        }
    };
    let word = |p: engine::Problem| match p {
        engine::Problem::Missing => "missing",
        engine::Problem::Changed => "changed",
    };
    let kind = |k: engine::DifferenceKind| match k {
        engine::DifferenceKind::File => "file",
        engine::DifferenceKind::Registry => "registry",
    };
    let ok = report.differences.is_empty();
    let mut out = std::io::stdout().lock();
    if args.json {
        let json = VerifyJson {
            product_code: &report.product_code,
            ok,
            differences: report
                .differences
                .iter()
                .map(|d| DifferenceJson {
                    kind: kind(d.kind),
                    path: &d.path,
                    problem: word(d.problem),
                })
                .collect(),
        };
        writeln!(out, "{}", serde_json::to_string(&json)?)?;
    } else {
        for d in &report.differences {
            writeln!(out, "{}\t{}\t{}", word(d.problem), kind(d.kind), d.path)?;
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
