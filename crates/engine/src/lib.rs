//! The Windows Installer execution engine (being built: see issue 6).

mod cabinet;
