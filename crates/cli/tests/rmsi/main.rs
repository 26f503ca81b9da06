//! The `rmsi` tool's integration tests, one binary (run one family with
//! `cargo test -p rmsi-cli --test rmsi install::`). Each module runs the real binary; the
//! context they share (a private root per test, the packages, the runit supervisor) is
//! `test_support::e2e`. The checks that span both tools (their messages, the JSON page,
//! the Debian package) are here too.

// Exit codes, stderr, --help and the verbose log's grammar.
mod install;
// rmsi msiexec /x and rmsi uninstall: the root ends as it was.
mod uninstall;
// Major upgrades: FindRelatedProducts, RemoveExistingProducts, MigrateFeatureStates.
mod upgrade;
// An install killed at any point is rolled back by the next run.
mod crash;
// Issue 11: injected I/O errors, the commit point, the lock, FIFOs, umask, stderr.
mod hardening;
// The installed tree in both layouts, custom actions, the Restart Manager.
mod e2e;
// Files in use without the Restart Manager.
mod filesinuse;
// The real packages of the shared corpus.
mod corpus;
// rmsi info.
mod info;
// rmsi condition and rmsi format.
mod expr;
// Shortcuts and INI files.
mod shell;
// Environment strings.
mod environment;
// Self-registration (error 1904).
mod self_reg;
// The Fonts registry entries.
mod fonts;
// Services: the service manager's keys, starting and stopping.
mod services;
// rmsi msiexec /p, /update and /uninstall PATCH with the corpus's real patches.
mod patch;
// rmsi msiexec /a and rmsi extract with the corpus's PuTTY.
mod admin;
// COM classes and file associations (Class, ProgId, Extension, Verb, MIME, AppId, TypeLib).
mod com;
// Cabinets spanning media, folders two products share.
mod media;
// A Windows program run with Wine reads the registry value its package wrote.
mod wine_program;
// --wine-prefix against a real Wine prefix.
mod wine;
// rmsi list, reg query/export, verify and msiexec /f over a root's machine state.
mod registry;
// rmsi transform create/apply, rmsi diff, and TRANSFORMS at install.
mod transform;
// rmsi validate: its outputs and exit statuses.
mod validate;
// The JSON outputs documented in crates/cli/JSON.md, run for real.
mod json_contract;
// One voice in both tools' error messages.
mod messages;
// The Debian package built by scripts/deb.sh, installed and removed with dpkg.
mod deb_package;
// Every Windows Installer code rmsi ends with is in the installer commands' --help.
mod exit_codes;
// The Add/Remove Programs registration, where Wine's msiexec parity run found rmsi off.
mod arp;
