//! `rmsi`: the Windows Installer engine on the command line.
fn main() -> std::process::ExitCode {
    cli::tune_allocator();
    restart_manager::on_lost_apps(cli::report_lost_apps);
    cli::rmsi::main()
}
