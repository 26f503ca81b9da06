//! `cargo run -p xtask -- man DIR`: writes the man pages of `rmsi` and `rstmgr` (one page
//! per command and subcommand, `rmsi.1`, `rmsi-install.1`, …) into DIR. They are
//! generated from the same clap definitions as `--help`, so they never drift from the code.

use std::path::PathBuf;

// A build tool: printing the pages it wrote is its output.
#[allow(clippy::print_stdout)]
fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let task = args.next().map(|a| a.to_string_lossy().into_owned());
    match (task.as_deref(), args.next()) {
        (Some("man"), Some(dir)) => {
            let dir = PathBuf::from(dir);
            fs_err::create_dir_all(&dir)?;
            for page in cli::man_pages(&dir)? {
                println!("{}", page.display());
            }
            Ok(())
        }
        _ => anyhow::bail!("usage: cargo run -p xtask -- man DIR"),
    }
}
