//! `rmsi transform create BASE.msi CHANGED.msi -o OUT.mst [--validate FLAGS]
//! [--error-conditions FLAGS]` and `rmsi transform apply BASE.msi T.mst -o OUT.msi`.
//!
//! `create` writes the difference between the two packages as a transform, as
//! `MsiDatabaseGenerateTransform` followed by `MsiCreateTransformSummaryInfo` do; FLAGS
//! are the documented names of the `MSITRANSFORM_VALIDATE_*` and `MSITRANSFORM_ERROR_*`
//! values, lower-cased without their prefix and comma-separated (`product,upgradecode,
//! majorversion`; `none` for none). `apply` writes a new package: BASE with the transform
//! applied as `MsiDatabaseApplyTransform` applies it (no validation; the error conditions
//! the transform's summary suppresses are suppressed).
//!
//! Both are silent on success. Exit status: 0; a package that cannot be opened ends with
//! its Windows code modulo 256 (1619 → 83, 1620 → 84), a transform that cannot be read or
//! applied with 1624 → 88, an unknown flag name with 1639 → 103; the code, its name and
//! the reason are printed on stderr (`rmsi: 1624 ERROR_INSTALL_TRANSFORM_FAILURE: ...`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use package::{ErrorConditions, Package, Transform, Validation};

/// Arguments of `rmsi transform`.
#[derive(Debug, clap::Args)]
pub(crate) struct TransformArgs {
    #[command(subcommand)]
    command: TransformCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TransformCommand {
    /// Write the difference between two packages as a transform (.mst).
    Create(CreateArgs),
    /// Write a new package: a package with a transform applied.
    Apply(ApplyArgs),
}

/// Arguments of `rmsi transform create`.
#[derive(Debug, clap::Args)]
struct CreateArgs {
    /// The package the transform applies to.
    base: PathBuf,
    /// The package the transform turns it into.
    changed: PathBuf,
    /// The transform to write.
    #[arg(short = 'o', long = "output", value_name = "OUT.mst")]
    output: PathBuf,
    /// What to check before applying: language, product, platform, majorversion,
    /// minorversion, updateversion, newlessbaseversion, newlessequalbaseversion,
    /// newequalbaseversion, newgreaterequalbaseversion, newgreaterbaseversion,
    /// upgradecode (comma-separated).
    #[arg(long, value_name = "FLAGS")]
    validate: Option<String>,
    /// Errors to suppress while applying: addexistingrow, delmissingrow,
    /// addexistingtable, delmissingtable, updatemissingrow, changecodepage,
    /// viewtransform (comma-separated).
    #[arg(long = "error-conditions", value_name = "FLAGS")]
    error_conditions: Option<String>,
}

/// Arguments of `rmsi transform apply`.
#[derive(Debug, clap::Args)]
struct ApplyArgs {
    /// The package to transform.
    base: PathBuf,
    /// The transform (.mst).
    transform: PathBuf,
    /// The package to write.
    #[arg(short = 'o', long = "output", value_name = "OUT.msi")]
    output: PathBuf,
}

/// A package error as the closing line and exit status.
pub(crate) fn fail(err: &package::Error) -> ExitCode {
    eprintln!("rmsi: {} {}: {err}", err.code(), err.name());
    ExitCode::from(engine::exit_status(err.code()))
}

pub(crate) fn run(args: TransformArgs) -> anyhow::Result<ExitCode> {
    Ok(match args.command {
        TransformCommand::Create(a) => create(a),
        TransformCommand::Apply(a) => apply(a),
    })
}

fn create(args: CreateArgs) -> ExitCode {
    let validation = match args.validate.as_deref().map(Validation::parse).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(e) => return super::usage_error(&format!("--validate: {e}")),
    };
    let conditions = match args
        .error_conditions
        .as_deref()
        .map(ErrorConditions::parse)
        .transpose()
    {
        Ok(v) => v.unwrap_or_default(),
        Err(e) => return super::usage_error(&format!("--error-conditions: {e}")),
    };
    let result = (|| {
        let base = Package::open(&args.base)?;
        let changed = Package::open(&args.changed)?;
        let mut transform = Transform::generate(&base, &changed)?;
        transform.set_name(args.output.display().to_string());
        transform.summary_mut().validation = validation;
        transform.summary_mut().error_conditions = conditions;
        let bytes = transform.to_bytes()?;
        write_file(&args.output, &bytes)
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn apply(args: ApplyArgs) -> ExitCode {
    let result = (|| {
        let mut base = Package::open(&args.base)?;
        let transform = Transform::open(&args.transform)?;
        base.apply_transform(&transform, transform.summary().error_conditions)?;
        let bytes = base.to_bytes()?;
        write_file(&args.output, &bytes)
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, renamed over it, so that
/// a failure leaves no half-written file.
fn write_file(path: &Path, bytes: &[u8]) -> package::Result<()> {
    let io = |e: std::io::Error| package::Error::io(path, e);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".rmsi-{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io)
}
