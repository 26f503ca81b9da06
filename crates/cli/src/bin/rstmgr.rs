//! `rstmgr`: the Restart Manager for Linux on the command line.
fn main() -> std::process::ExitCode {
    cli::rstmgr::main()
}
