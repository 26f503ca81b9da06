//! `rmsi`: the Windows Installer engine on the command line.
fn main() -> std::process::ExitCode {
    cli::rmsi::main()
}
