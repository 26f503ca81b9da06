//! `rmsi uninstall`: remove an installed product from a target root.
//!
//! ```text
//! rmsi uninstall (PKG.msi | {PRODUCT-CODE}) [--root DIR] [--layout fhs|windows]
//!                [--ui none|basic|full] [--log FILE] [--norestart] [--no-custom-actions]
//!                [NAME=VALUE]...
//! ```
//!
//! As `msiexec /x`: the engine runs the product's package again with `REMOVE=ALL` (see
//! [`engine::uninstall`]); a product that is not installed in the root ends with 1605
//! ERROR_UNKNOWN_PRODUCT. The options are `rmsi install`'s ([`super::install::RunArgs`]).

use std::path::PathBuf;
use std::process::ExitCode;

use engine::{UninstallRequest, UninstallTarget};

use super::install::{RunArgs, default_ui, execute_with};

/// Arguments of `rmsi uninstall`.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_HELP)]
pub(crate) struct UninstallArgs {
    /// The package the product was installed from, or its product code ({GUID}).
    #[arg(value_name = "PKG.msi|{PRODUCT-CODE}")]
    target: String,
    #[command(flatten)]
    common: RunArgs,
}

/// A product code is written in braces (`{…}`); anything else names a package file.
pub(crate) fn target_of(arg: &str) -> UninstallTarget {
    let t = arg.trim();
    if t.len() > 2 && t.starts_with('{') && t.ends_with('}') {
        UninstallTarget::ProductCode(t.to_string())
    } else {
        UninstallTarget::Package(PathBuf::from(arg))
    }
}

pub(crate) fn run(args: UninstallArgs) -> anyhow::Result<ExitCode> {
    let properties = match args.common.property_list() {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let c = args.common;
    let (root, layout) = match c.target() {
        Ok(t) => t,
        Err(code) => return Ok(code),
    };
    let request = UninstallRequest {
        target: target_of(&args.target),
        root,
        layout,
        ui_level: c.ui.unwrap_or_else(default_ui),
        log: c.log,
        log_append: false,
        properties,
        custom_actions: !c.no_custom_actions,
    };
    Ok(execute(&request, super::Closing::Always))
}

/// Runs an uninstall with the terminal UI and turns its result into the exit status.
pub(crate) fn execute(request: &UninstallRequest, closing: super::Closing) -> ExitCode {
    execute_with(request.ui_level, closing, |ui| {
        engine::uninstall(request, ui)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_make_a_product_code() {
        assert_eq!(
            target_of("{0D4F6B50-5E6F-4071-8233-4E5F60718291}"),
            UninstallTarget::ProductCode("{0D4F6B50-5E6F-4071-8233-4E5F60718291}".into())
        );
        assert_eq!(
            target_of("hello.msi"),
            UninstallTarget::Package("hello.msi".into())
        );
        assert_eq!(target_of("{}"), UninstallTarget::Package("{}".into()));
    }
}
