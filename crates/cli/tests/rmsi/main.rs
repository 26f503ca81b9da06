//! The `rmsi` tool's integration tests, one binary (run one family with
//! `cargo test -p rmsi-cli --test rmsi install::`). Each module runs the real binary; the
//! context they share (a private root per test, the packages, the runit supervisor) is
//! `test_support::e2e`.

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
