//! Man pages and shell completions, generated from the same clap definitions as `--help`
//! (clap_mangen, clap_complete), so that they never drift from the code.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Command, ValueEnum};

/// The shells `completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Shell {
    /// GNU bash (bash-completion).
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
}

/// `rmsi completions SHELL` / `rstmgr completions SHELL`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the completion script of `cmd` for the asked shell on standard output.
pub(crate) fn print_completions(
    mut cmd: Command,
    args: &CompletionsArgs,
) -> anyhow::Result<std::process::ExitCode> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let name = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut out);
    io::stdout().lock().write_all(&out)?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// Writes the man pages of both tools into `dir`: one page for each command and each
/// visible subcommand (`rmsi.1`, `rmsi-install.1`, `rstmgr-who.1`, …). Returns the paths
/// written.
pub fn man_pages(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for cmd in [crate::rmsi::command(), crate::rstmgr::command()] {
        let mut cmd = cmd.disable_help_subcommand(true);
        cmd.build();
        write_pages(&cmd, dir, &mut written)?;
    }
    Ok(written)
}

fn write_pages(cmd: &Command, dir: &Path, written: &mut Vec<PathBuf>) -> io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    let man = clap_mangen::Man::new(cmd.clone()).manual("rmsi manual");
    let mut page = Vec::new();
    man.render(&mut page)?;
    let path = dir.join(man.get_filename());
    fs_err::write(&path, page)?;
    written.push(path);
    Ok(())
}
