//! `rmsi install`: run a package into a target root.
//!
//! ```text
//! rmsi install PKG.msi [--root DIR] [--layout fhs|windows] [--ui none|basic|full]
//!                      [--log FILE] [--norestart] [--no-custom-actions] [NAME=VALUE]...
//! rmsi install PKG.msi --wine-prefix DIR [--wait-wineserver] [...]
//! ```
//!
//! The engine does the work; this module turns arguments into an
//! [`engine::InstallRequest`], draws the progress bar (basic UI), asks the files-in-use
//! question on the terminal (full UI), and reports the Windows code (see [`super::finish`]).
// This module prints the install's progress and questions on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use engine::{
    AppInUse, FilesInUseChoice, InstallRequest, InstallUi, Layout, LegacyFilesInUseChoice, UiLevel,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Arguments of `rmsi install`.
#[derive(Debug, clap::Args)]
#[command(after_help = super::EXIT_HELP)]
pub(crate) struct InstallArgs {
    /// The package to install.
    package: PathBuf,
    #[command(flatten)]
    common: RunArgs,
}

/// The options `rmsi install` and `rmsi uninstall` share.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// Place every target folder under DIR (as DESTDIR does for `make install`).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub(crate) root: PathBuf,
    /// Where the standard folders point under the root. Default: the layout the root was
    /// installed with, else fhs.
    #[arg(long, value_name = "fhs|windows", value_parser = parse_layout)]
    pub(crate) layout: Option<Layout>,
    /// UI level: none (silent), basic (progress bar), full (also the files-in-use prompt).
    /// Default: basic on a terminal, none otherwise.
    #[arg(long, value_name = "none|basic|full", value_parser = parse_ui)]
    pub(crate) ui: Option<UiLevel>,
    /// Write a verbose log (as msiexec /l*v FILE).
    #[arg(long, value_name = "FILE")]
    pub(crate) log: Option<PathBuf>,
    /// Never restart (REBOOT=ReallySuppress).
    #[arg(long)]
    pub(crate) norestart: bool,
    /// Refuse to run any executable custom action (a run that needs one ends with 1603).
    #[arg(long)]
    pub(crate) no_custom_actions: bool,
    /// Target the Wine prefix DIR instead of a root: files under its drive_c with Wine's
    /// folder names, registry changes in its system.reg and user.reg.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["layout", "root"])]
    pub(crate) wine_prefix: Option<PathBuf>,
    /// With --wine-prefix: wait for a wineserver serving the prefix to exit, instead of
    /// refusing (1618).
    #[arg(long, requires = "wine_prefix")]
    pub(crate) wait_wineserver: bool,
    /// Public properties, NAME=VALUE (names are upper-cased, as msiexec does).
    #[arg(value_name = "NAME=VALUE")]
    pub(crate) properties: Vec<String>,
}

impl RunArgs {
    /// The command line's properties (`--norestart` last, as msiexec appends it); a bad
    /// one is the usage error's exit status.
    pub(crate) fn property_list(&self) -> Result<Vec<(String, String)>, ExitCode> {
        let mut properties = Vec::new();
        for p in &self.properties {
            match super::parse_property(p) {
                Ok(pair) => properties.push(pair),
                Err(msg) => return Err(super::usage_error(&msg)),
            }
        }
        if self.norestart {
            properties.push(("REBOOT".to_string(), "ReallySuppress".to_string()));
        }
        Ok(properties)
    }

    /// The root and layout to run with: a Wine prefix's, else `--root` and the layout
    /// [`super::state::layout_for`] picks.
    pub(crate) fn target(&self) -> Result<(PathBuf, Layout), ExitCode> {
        super::state::target(
            &self.root,
            self.layout,
            self.wine_prefix.as_deref(),
            self.wait_wineserver,
        )
    }
}

fn parse_layout(s: &str) -> Result<Layout, String> {
    Layout::parse(s).ok_or_else(|| format!("unknown layout {s:?} (fhs or windows)"))
}

fn parse_ui(s: &str) -> Result<UiLevel, String> {
    match s {
        "none" => Ok(UiLevel::None),
        "basic" => Ok(UiLevel::Basic),
        "full" => Ok(UiLevel::Full),
        _ => Err(format!("unknown UI level {s:?} (none, basic or full)")),
    }
}

pub(crate) fn run(args: InstallArgs) -> anyhow::Result<ExitCode> {
    let properties = match args.common.property_list() {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let c = args.common;
    let (root, layout) = match c.target() {
        Ok(t) => t,
        Err(code) => return Ok(code),
    };
    let request = InstallRequest {
        package: args.package,
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

/// The default UI level: basic on a terminal, none otherwise.
pub(crate) fn default_ui() -> UiLevel {
    if std::io::stderr().is_terminal() {
        UiLevel::Basic
    } else {
        UiLevel::None
    }
}

/// Runs the request with the terminal UI and turns its result into the exit status.
pub(crate) fn execute(request: &InstallRequest, closing: super::Closing) -> ExitCode {
    execute_with(request.ui_level, closing, |ui| engine::install(request, ui))
}

/// Runs `engine::install` or `engine::uninstall` with the terminal UI at `level` and turns
/// its result into the exit status.
pub(crate) fn execute_with(
    level: UiLevel,
    closing: super::Closing,
    run: impl FnOnce(&mut dyn InstallUi) -> engine::InstallReport,
) -> ExitCode {
    let mut ui = TerminalUi::new(level);
    // Ctrl-C or SIGTERM: cancel (1602) and roll back instead of dying half-way.
    ui.cancel = Some(engine::cancel_on_signals());
    // A bug in the engine must still end as msiexec ends on a fatal error (1603), after
    // the staging area was dropped (which puts the root back as it was).
    let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&mut ui)));
    ui.done();
    match report {
        Ok(report) => super::finish(&report, closing),
        Err(_) => {
            eprintln!("rmsi: 1603 ERROR_INSTALL_FAILURE: internal error (a bug in rmsi)");
            ExitCode::from(engine::exit_status(1603))
        }
    }
}

/// Progress bar and files-in-use prompt on the terminal.
struct TerminalUi {
    level: UiLevel,
    bar: Option<ProgressBar>,
    cancel: Option<&'static std::sync::atomic::AtomicBool>,
}

impl TerminalUi {
    fn new(level: UiLevel) -> TerminalUi {
        let bar = if level >= UiLevel::Basic && std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} {msg:<20} [{bar:30}] {pos}/{len}")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            Some(bar)
        } else {
            None
        };
        TerminalUi {
            level,
            bar,
            cancel: None,
        }
    }

    fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl InstallUi for TerminalUi {
    fn cancelled(&mut self) -> bool {
        self.cancel
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
    }

    fn action(&mut self, name: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(name.to_string());
            bar.tick();
        }
    }

    fn progress(&mut self, done: u64, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    fn files_in_use(&mut self, apps: &[AppInUse]) -> Option<FilesInUseChoice> {
        self.ask_on_terminal(
            "The following applications are using files that need to be updated by this setup:",
            apps,
            [
                (
                    "Automatically close applications and restart them.",
                    FilesInUseChoice::CloseAndRestart,
                ),
                (
                    "Do not close applications. (A restart will be required.)",
                    FilesInUseChoice::DoNotClose,
                ),
                ("Cancel the installation.", FilesInUseChoice::Cancel),
            ],
        )
    }

    fn files_in_use_legacy(&mut self, apps: &[AppInUse]) -> Option<LegacyFilesInUseChoice> {
        // The FilesInUse dialog's Retry/Ignore/Exit ("FilesInUse Dialog"), with message 1607's
        // text.
        self.ask_on_terminal(
            "The following applications should be closed before continuing the install:",
            apps,
            [
                ("Retry (after closing them).", LegacyFilesInUseChoice::Retry),
                (
                    "Ignore. (The files are replaced; a restart will be required.)",
                    LegacyFilesInUseChoice::Ignore,
                ),
                ("Exit the installation.", LegacyFilesInUseChoice::Exit),
            ],
        )
    }
}

impl TerminalUi {
    /// A files-in-use prompt: the heading, the apps, three numbered choices (the first is
    /// the default; end of input picks the last, the way out). Only at full UI and with
    /// someone at the terminal: otherwise `None`, and the engine applies the quiet default.
    fn ask_on_terminal<T: Copy>(
        &self,
        heading: &str,
        apps: &[AppInUse],
        choices: [(&str, T); 3],
    ) -> Option<T> {
        if self.level < UiLevel::Full
            || !std::io::stdin().is_terminal()
            || !std::io::stderr().is_terminal()
        {
            return None;
        }
        let ask = || -> std::io::Result<T> {
            let mut err = std::io::stderr().lock();
            writeln!(err, "{heading}")?;
            for a in apps {
                writeln!(err, "  {} (pid {}, {})", a.name, a.pid, a.app_type)?;
            }
            for (n, (text, _)) in choices.iter().enumerate() {
                writeln!(err, "  {}) {text}", n + 1)?;
            }
            let stdin = std::io::stdin();
            loop {
                write!(err, "Choice [1]: ")?;
                err.flush()?;
                let mut line = String::new();
                if stdin.lock().read_line(&mut line)? == 0 {
                    return Ok(choices[2].1);
                }
                match line.trim() {
                    "" | "1" => return Ok(choices[0].1),
                    "2" => return Ok(choices[1].1),
                    "3" => return Ok(choices[2].1),
                    _ => writeln!(err, "Please answer 1, 2 or 3.")?,
                }
            }
        };
        match &self.bar {
            Some(bar) => bar.suspend(|| ask().ok()),
            None => ask().ok(),
        }
    }
}
