//! The `rstmgr` and `rmsi` command-line tools.
//!
//! This crate is glue: it parses arguments with clap, draws progress bars, prints
//! human or `--json` output and picks the exit status. Everything a library user
//! would also need lives in `restart-manager`, `msi-expr` or `engine`.

pub mod rmsi;
pub mod rstmgr;
