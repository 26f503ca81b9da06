//! `rmsi`: the Windows Installer engine on the command line.
fn main() -> std::process::ExitCode {
    restart_manager::on_lost_apps(cli::report_lost_apps);
    cli::rmsi::main()
}
