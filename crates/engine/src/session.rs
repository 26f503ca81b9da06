//! An install session: one package run into one root, from initialization to the final
//! `MainEngineThread is returning N`.
//!
//! [`install`] is the whole of it, in the order Windows Installer follows (spec 7.3, 2.1,
//! 3.9, 1.3):
//!
//! 1. take the root's install lock (1618 when another install holds it) and finish what an
//!    interrupted run left (its rollback, or an empty registry after its commit), then open
//!    the log (a run ending with 1618 never writes over an existing one), then open the
//!    package (1619, 1620);
//! 2. set the properties an installer sets at initialization, then the command line's;
//! 3. start the Restart Manager session and set `MsiRestartManagerSessionKey`;
//! 4. run the top-level INSTALL action: the UI sequence's non-dialog actions at reduced and
//!    full UI (its `ExecuteAction` runs the execute sequence), else the execute sequence;
//!    standard actions change nothing on disk until the script runs: InstallFiles extracts
//!    and checks every file into the [staging area](transaction::Transaction) and the script
//!    (InstallExecute, InstallFinalize) renames them into place, interleaved with deferred
//!    custom actions;
//! 5. on failure: the termination row (-2 or -3), then rollback — rollback custom actions in
//!    reverse order and every staged change undone, so the root is as it was; on success:
//!    commit custom actions, and the staging area removed;
//! 6. restart what the Restart Manager shut down, end its session, dump the properties, and
//!    report the code (3010 when applications still run on replaced files).

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use msi_expr::ConditionResult;

use crate::actions::Context;
use crate::custom_action::Running;
use crate::error::{Error, Outcome, Result};
use crate::layout::Layout;
use crate::log::Log;
use crate::properties::UiLevel;
use crate::rm::{Control, RmGlue};
use crate::sequence::{self, ActionResult, Which};
use crate::tables::custom_action::CustomActionRow;
use crate::tables::sequence::{SequenceRow, SequenceTable};
use crate::ui::{AppInUse, InstallUi};
use package::Package;
use transaction::{RootLock, Transaction as Stage};

/// Everything an installation is asked to do.
#[derive(Debug, Clone)]
pub struct InstallRequest {
    /// The package file.
    pub package: PathBuf,
    /// The target root (`/` for a real install). Created if missing (and removed again if
    /// the install fails).
    pub root: PathBuf,
    /// Where the standard folders point under the root.
    pub layout: Layout,
    /// The UI level.
    pub ui_level: UiLevel,
    /// The verbose log file, if any.
    pub log: Option<PathBuf>,
    /// Append to the log instead of replacing it (`/l+`).
    pub log_append: bool,
    /// Command-line properties, in order (names already upper-cased and checked).
    pub properties: Vec<(String, String)>,
    /// Whether executable custom actions may run (`--no-custom-actions` clears it: an
    /// install that needs one then fails with 1603).
    pub custom_actions: bool,
}

/// How an installation ended.
#[derive(Debug)]
pub struct InstallReport {
    /// Success (0 or 3010) or the error.
    pub result: Result<Outcome>,
    /// Applications left running on files the install replaced or removed (the reason for
    /// 3010).
    pub apps_left_running: Vec<AppInUse>,
    /// The log could not be written completely (the install's result stands).
    pub log_error: Option<io::Error>,
}

impl InstallReport {
    /// The Windows Installer code (`msiexec`'s exit code).
    pub fn code(&self) -> u32 {
        match &self.result {
            Ok(o) => o.code(),
            Err(e) => e.code(),
        }
    }

    /// The code's Windows name.
    pub fn name(&self) -> &'static str {
        match &self.result {
            Ok(o) => o.name(),
            Err(e) => e.name(),
        }
    }
}

/// Runs a package into a root (see the module documentation).
pub fn install(request: &InstallRequest, ui: &mut dyn InstallUi) -> InstallReport {
    // `ACTION=ADMIN` is an administrative install ("ACTION property"), into TARGETDIR.
    if request
        .properties
        .iter()
        .rev()
        .find(|(n, _)| n == "ACTION")
        .is_some_and(|(_, v)| v.trim().eq_ignore_ascii_case("ADMIN"))
    {
        let admin = crate::admin::AdminRequest {
            package: request.package.clone(),
            ui_level: request.ui_level,
            log: request.log.clone(),
            log_append: request.log_append,
            properties: request
                .properties
                .iter()
                .filter(|(n, _)| n != "ACTION")
                .cloned()
                .collect(),
        };
        return crate::admin::admin_install(&admin, ui);
    }
    if let Err(e) = refuse_special_file(&request.package) {
        return InstallReport::early(e);
    }
    run_entry(request, ui, None)
}

/// Builds, under the root's lock and after its recovery, the request a run executes (an
/// uninstall reads the product registry there).
pub(crate) type Resolve<'a> = &'a dyn Fn(&Path) -> Result<InstallRequest>;

impl InstallReport {
    /// A run that ended before its log and its lock (a refused package path).
    pub(crate) fn early(err: Error) -> InstallReport {
        InstallReport {
            result: Err(err),
            apps_left_running: Vec::new(),
            log_error: None,
        }
    }

    /// A run that ended before a session started, its log (when one is asked for) still
    /// saying so: the `RunEngine` line `what` describes, the error, and
    /// `MainEngineThread is returning N`.
    pub(crate) fn early_logged(
        log: Option<&Path>,
        append: bool,
        what: &str,
        err: Error,
    ) -> InstallReport {
        let mut log_error = None;
        if let Some(path) = log {
            match Log::open(path, append) {
                Ok(mut log) => {
                    log.engine(&format!("******* RunEngine: {what}"));
                    log.engine(&format!("{} {}: {err}", err.code(), err.name()));
                    log_error = log.finish(err.code());
                }
                Err(source) => {
                    return InstallReport::early(Error::LogFailure {
                        path: path.to_path_buf(),
                        source,
                    });
                }
            }
        }
        InstallReport {
            result: Err(err),
            apps_left_running: Vec::new(),
            log_error,
        }
    }
}

/// A package path that names a FIFO, a device or a socket is refused before anything is
/// opened, locked or created: opening a FIFO for reading waits for a writer for ever (with
/// the root's lock held), a device may never end. A missing path is left to the package's
/// opening (1619, after the root's recovery).
pub(crate) fn refuse_special_file(package: &Path) -> Result<()> {
    match fs_err::metadata(package) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => {
            Err(Error::Package(package::Error::PackageOpenFailed {
                path: package.to_path_buf(),
                source: io::Error::other("not a regular file (a FIFO, a device or a socket)"),
            }))
        }
        _ => Ok(()),
    }
}

/// Every run: the root (created when missing) and its lock first, with the recovery of an
/// interrupted run — before the log, so that a run ending with 1618 never opens the log
/// of the run that holds the root —, then the log, then (under the lock) `resolve`'s
/// request, and the session.
pub(crate) fn run_entry(
    base: &InstallRequest,
    ui: &mut dyn InstallUi,
    resolve: Option<Resolve<'_>>,
) -> InstallReport {
    // A Wine prefix must be one, and no wineserver may hold its registry (see `crate::wine`);
    // it is never created.
    if base.layout == Layout::Wine
        && let Err(e) = crate::wine::check_prefix(&base.root)
            .and_then(|()| crate::wine::check_no_wineserver(&base.root))
    {
        let what = format!(
            "Product: {}; Root: {}; Layout: {}; UI level: {}",
            base.package.display(),
            base.root.display(),
            base.layout,
            base.ui_level.value()
        );
        return InstallReport::early_logged(base.log.as_deref(), base.log_append, &what, e);
    }
    // The root: made absolute (Restart Manager resources are absolute paths), created when
    // missing and removed again if the install fails.
    let made_root = prepare_root(&base.root);
    let lock = made_root
        .as_ref()
        .map_err(|_| ())
        .and_then(|_| fs_err::canonicalize(&base.root).map_err(|_| ()));
    let locked = match (&made_root, lock) {
        (Ok(_), Ok(root)) => Some((
            RootLock::acquire(&root, crate::registry::state_files()),
            root,
        )),
        _ => None,
    };
    let busy = matches!(
        &locked,
        Some((Err(transaction::Error::AlreadyRunning { .. }), _))
    );
    let mut log = match &base.log {
        // The run holding the root may be writing this very file: only a new file is
        // written then.
        Some(path) if busy => Log::create_new(path).unwrap_or_else(|_| Log::none()),
        Some(path) => match Log::open(path, base.log_append) {
            Ok(log) => log,
            Err(source) => {
                drop(locked);
                if let Ok(made) = &made_root {
                    remove_made(made);
                }
                return InstallReport::early(Error::LogFailure {
                    path: path.clone(),
                    source,
                });
            }
        },
        None => Log::none(),
    };
    log.engine(&format!(
        "******* RunEngine: Product: {}; Root: {}; Layout: {}; UI level: {}",
        base.package.display(),
        base.root.display(),
        base.layout,
        base.ui_level.value()
    ));
    let (result, left) = match (made_root, locked) {
        (Err(e), _) => (Err(e), Vec::new()),
        (Ok(made), None) => {
            remove_made(&made);
            let e = fs_err::canonicalize(&base.root)
                .err()
                .map(|e| Error::io(&base.root, e))
                .unwrap_or_else(|| Error::failure("the target root cannot be resolved"));
            (Err(e), Vec::new())
        }
        (Ok(made), Some((Err(e), root))) => {
            if busy {
                log.engine(&format!(
                    "Another installation is in progress in {}: {e}",
                    root.display()
                ));
            }
            remove_made(&made);
            (Err(e.into()), Vec::new())
        }
        (Ok(made), Some((Ok(lock), root))) => {
            for line in lock.recovered() {
                log.engine(line);
            }
            // Where the files go: the root, or a Wine prefix's drive_c (the lock stays on
            // the prefix, so that the transaction covers its registry files too).
            let root = base.layout.files_root(&root);
            finish_tidy(&root, base.layout, &mut log);
            let request = match resolve {
                None => Ok(std::borrow::Cow::Borrowed(base)),
                Some(resolve) => resolve(&root).map(std::borrow::Cow::Owned),
            };
            match request {
                Ok(request) => run_locked(&request, ui, &mut log, lock, root, made),
                Err(e) => {
                    drop(lock);
                    remove_made(&made);
                    (Err(e), Vec::new())
                }
            }
        }
    };
    let code = match &result {
        Ok(o) => o.code(),
        Err(e) => e.code(),
    };
    if let Err(e) = &result {
        log.engine(&format!("{} {}: {e}", e.code(), e.name()));
    }
    let log_error = log.finish(code);
    InstallReport {
        result,
        apps_left_running: left,
        log_error,
    }
}

/// A registry left without any product (an uninstall of the last one killed after its
/// commit, before it removed the registry's files and state folders): removed now, under
/// the lock, as that uninstall would have.
fn finish_tidy(root: &Path, layout: crate::layout::Layout, log: &mut Log) {
    let Ok(mut registry) = crate::registry::Registry::for_root(root, layout) else {
        return;
    };
    if registry.exists() && matches!(registry.remove_if_empty(), Ok(true)) {
        log.engine(
            "No product is installed in this root any more: the product registry and its state folders left by an interrupted removal were removed.",
        );
    }
}

/// Everything after the lock: the package, the session.
fn run_locked(
    request: &InstallRequest,
    ui: &mut dyn InstallUi,
    log: &mut Log,
    lock: RootLock,
    root: PathBuf,
    made_root: Vec<PathBuf>,
) -> (Result<Outcome>, Vec<AppInUse>) {
    let started = std::time::Instant::now();
    let patch_set;
    let package = match Package::open(&request.package)
        .map_err(Error::from)
        .and_then(|p| crate::platform::check_template(p.summary()).map(|()| p))
    {
        Ok(mut p) => {
            tracing::debug!(ms = %crate::log::millis(started.elapsed()), "package opened");
            // Transforms change the tables before anything reads them (spec 7.3, step 3).
            // Then the product's patches, on the package as transformed ("Patching and
            // Upgrades").
            match crate::transforms::apply(&mut p, request, &root, log)
                .and_then(|()| crate::patches::apply(&mut p, request, &root, log))
            {
                Ok(set) => {
                    patch_set = set;
                    p
                }
                Err(e) => {
                    drop(lock);
                    remove_made(&made_root);
                    return (Err(e), Vec::new());
                }
            }
        }
        Err(e) => {
            drop(lock);
            remove_made(&made_root);
            return (Err(e), Vec::new());
        }
    };
    // An administrative image's AdminProperties come before the command line's.
    let with_admin;
    let request = match package.admin_properties() {
        Ok(admin) if !admin.is_empty() => {
            log.engine(&format!(
                "Administrative image: applying its AdminProperties ({})",
                admin
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let mut properties = admin;
            properties.extend(request.properties.iter().cloned());
            with_admin = InstallRequest {
                properties,
                ..request.clone()
            };
            &with_admin
        }
        _ => request,
    };
    let (result, left) = match Session::new(request, ui, &lock, root.clone(), package, log) {
        Ok(mut session) => {
            let result = session.run();
            let left = std::mem::take(&mut session.left);
            free_later(session.take_heavy());
            (result, left)
        }
        Err(e) => (Err(e), Vec::new()),
    };
    // The patches go with the product once the run succeeded.
    let result = match (result, &patch_set) {
        (Ok(outcome), Some(set)) => match crate::patches::record(&root, request, set) {
            Ok(()) => Ok(outcome),
            Err(e) => {
                log.engine(&format!("Recording the product's patches failed: {e}"));
                Err(e)
            }
        },
        (result, _) => result,
    };
    drop(lock);
    if result.is_err() {
        remove_made(&made_root);
    }
    (result, left)
}

/// Frees `garbage` on a thread of its own: the tens of thousands of strings of a large
/// package's tables and plan took 3 ms to free, 6% of a 5,000-file install, and the caller
/// (a process about to exit, often) need not wait for that. If no thread can be started,
/// it is freed here.
fn free_later(garbage: Box<dyn Send>) {
    let _ = std::thread::Builder::new()
        .name("rmsi-free".into())
        .spawn(move || drop(garbage));
}

/// Creates the root if needed; returns the folders created (outermost first).
fn prepare_root(root: &Path) -> Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut cur = Some(root);
    while let Some(p) = cur {
        if p.as_os_str().is_empty() || fs_err::symlink_metadata(p).is_ok() {
            break;
        }
        missing.push(p.to_path_buf());
        cur = p.parent();
    }
    missing.reverse();
    for dir in &missing {
        // 0755 at most, whatever the caller's umask.
        let made = {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new().mode(0o755).create(dir)
        };
        if let Err(e) = made
            && e.kind() != io::ErrorKind::AlreadyExists
        {
            remove_made(&missing);
            return Err(Error::io(dir, e));
        }
    }
    Ok(missing)
}

fn remove_made(made: &[PathBuf]) {
    for dir in made.iter().rev() {
        let _ = fs_err::remove_dir(dir);
    }
}

/// One deferred operation of the install script (spec 3.9).
#[derive(Debug)]
pub(crate) enum ScriptOp {
    /// Apply the next `n` staged changes (files placed, folders created, files removed).
    Stage(usize),
    /// A deferred custom action, its target already formatted.
    Deferred(DeferredAction),
    /// A rollback custom action: runs only if the install fails after this point.
    Rollback(DeferredAction),
    /// A commit custom action: runs after the script succeeded.
    Commit(DeferredAction),
    /// What a standard action found it could not do when it wrote its operations (a
    /// missing source, a file that cannot be written): the script fails here, so the
    /// error is InstallFinalize's (or InstallExecute's), as on Windows, while the action
    /// itself returned 1.
    Fail {
        /// The standard action that wrote the operation.
        action: &'static str,
        /// Why it cannot run.
        error: Error,
    },
}

/// An asynchronous custom action whose exit code is checked at the end of the sequence.
pub(crate) struct PendingAsync {
    /// The action.
    pub(crate) name: String,
    /// Its process.
    pub(crate) running: Running,
    /// Where the program is, for error 1722.
    pub(crate) location: String,
    /// Its command line as the log may show it, for error 1722.
    pub(crate) command: String,
}

/// A custom action written into the script.
#[derive(Debug, Clone)]
pub(crate) struct DeferredAction {
    /// The CustomAction row.
    pub(crate) row: CustomActionRow,
    /// The target formatted when the action was scheduled.
    pub(crate) target: String,
    /// The program's path, resolved when the action was scheduled (types 18, 34, 50).
    pub(crate) exe: Option<String>,
    /// The working folder (type 34).
    pub(crate) cwd: Option<PathBuf>,
}

/// The state of one install (see the module documentation). Fields are crate-visible so
/// that each action module can do its part.
///
/// `'l` is the root lock's lifetime, which the stage borrows: a removal run by this install's
/// RemoveExistingProducts (a session of a shorter `'a`) can take the stage over and give it
/// back.
pub(crate) struct Session<'a, 'l> {
    pub(crate) request: &'a InstallRequest,
    pub(crate) ui: &'a mut dyn InstallUi,
    pub(crate) log: &'a mut Log,
    pub(crate) root: PathBuf,
    pub(crate) lock: &'l RootLock,
    pub(crate) package: Package,
    pub(crate) ctx: Context,
    pub(crate) rm: Option<RmGlue>,
    pub(crate) stage: Option<Stage<'l>>,
    pub(crate) custom_actions: BTreeMap<String, CustomActionRow>,
    pub(crate) dialogs: HashSet<String>,
    pub(crate) execute_rows: Vec<SequenceRow>,
    pub(crate) ui_rows: Vec<SequenceRow>,
    /// Actions that ran in the UI sequence (skipped in the execute one when they must run
    /// once).
    pub(crate) ran_in_ui: HashSet<String>,
    pub(crate) ui_sequence_ran: bool,
    pub(crate) execute_sequence_ran: bool,
    /// Between InstallInitialize and InstallFinalize.
    pub(crate) in_transaction: bool,
    pub(crate) script: Vec<ScriptOp>,
    /// Stage operations already covered by a `ScriptOp::Stage`.
    pub(crate) staged_marked: usize,
    /// Rollback actions reached by the script, in script order.
    pub(crate) rollback_actions: Vec<DeferredAction>,
    /// Commit actions reached by the script, in script order.
    pub(crate) commit_actions: Vec<DeferredAction>,
    /// Asynchronous custom actions to wait for at the end of the sequence.
    pub(crate) pending_async: Vec<PendingAsync>,
    /// Private temp folder (custom action binaries and outputs), made when first needed:
    /// most installs run no custom action, and a folder on a disk costs its creation and
    /// removal.
    temp: Option<tempfile::TempDir>,
    /// A restart is required at the end (3010).
    pub(crate) reboot_required: bool,
    /// The error that made the install fail, for the caller (the sequence only carries the
    /// log value).
    pub(crate) error: Option<Error>,
    /// Applications left running on replaced files.
    pub(crate) left: Vec<AppInUse>,
    /// RegisterProduct ran: record the product in the registry after success.
    pub(crate) register_product: bool,
    /// File key → its staged file (for DuplicateFiles).
    pub(crate) staged_files: std::collections::HashMap<String, String>,
    /// A removal run by another install's RemoveExistingProducts: it leaves the product
    /// registry's files alone when it removes the last product (the upgrade records its
    /// own next).
    nested: bool,
    /// A removal inside the upgrading install's transaction: it works in that install's
    /// stage, which it gives back uncommitted (a later failure undoes both).
    pub(crate) shares_stage: bool,
    /// Paths this session must not remove: files the upgrading install puts or keeps there.
    pub(crate) protected: HashSet<PathBuf>,
    /// Related products RemoveExistingProducts removes once this install is committed.
    pub(crate) later_removals: Vec<crate::actions::Removal>,
    /// INI files this install edited, as it staged them (WriteIniValues, RemoveIniValues).
    pub(crate) ini_files: std::collections::HashMap<PathBuf, shell::ini::IniFile>,
    /// Services StartServices starts once the installation is committed (in a Wine
    /// prefix; see `actions::services::after_commit`).
    pub(crate) services_to_start: Vec<crate::actions::services::ServiceStart>,
}

impl<'a, 'l> Session<'a, 'l> {
    fn new(
        request: &'a InstallRequest,
        ui: &'a mut dyn InstallUi,
        lock: &'l RootLock,
        root: PathBuf,
        package: Package,
        log: &'a mut Log,
    ) -> Result<Session<'a, 'l>> {
        let custom_actions = package
            .custom_actions()?
            .into_iter()
            .map(|r| (r.action.clone(), r))
            .collect();
        let dialogs = package
            .table("Dialog")
            .map(|t| {
                let idx = t.column_index("Dialog").unwrap_or(0);
                t.rows
                    .iter()
                    .filter_map(|r| r.get(idx).map(|v| v.text()))
                    .collect()
            })
            .unwrap_or_default();
        let execute_rows = package.sequence(SequenceTable::InstallExecute)?;
        let ui_rows = package.sequence(SequenceTable::InstallUI)?;
        let ctx = Context::new(&package, request, &root)?;
        Ok(Session {
            request,
            ui,
            log,
            root,
            lock,
            package,
            ctx,
            rm: None,
            stage: None,
            custom_actions,
            dialogs,
            execute_rows,
            ui_rows,
            ran_in_ui: HashSet::new(),
            ui_sequence_ran: false,
            execute_sequence_ran: false,
            in_transaction: false,
            script: Vec::new(),
            staged_marked: 0,
            rollback_actions: Vec::new(),
            commit_actions: Vec::new(),
            pending_async: Vec::new(),
            temp: None,
            reboot_required: false,
            error: None,
            left: Vec::new(),
            staged_files: std::collections::HashMap::new(),
            register_product: false,
            nested: false,
            shares_stage: false,
            protected: HashSet::new(),
            later_removals: Vec::new(),
            ini_files: Default::default(),
            services_to_start: Vec::new(),
        })
    }

    /// A session for the removal of a related product during this one
    /// (RemoveExistingProducts), in the same root, under the same lock.
    pub(crate) fn nested(
        request: &'a InstallRequest,
        ui: &'a mut dyn InstallUi,
        lock: &'l RootLock,
        root: PathBuf,
        package: Package,
        log: &'a mut Log,
    ) -> Result<Session<'a, 'l>> {
        let mut s = Session::new(request, ui, lock, root, package, log)?;
        s.nested = true;
        Ok(s)
    }

    /// The session's large owned data (the package's tables, costing's tables and plan, the
    /// properties), taken out to be freed off the caller's path ([`free_later`]). The product
    /// registry is closed here, before the root's lock is released.
    fn take_heavy(&mut self) -> Box<dyn Send> {
        self.ctx.close_registry();
        Box::new((
            std::mem::take(&mut self.ctx),
            self.package.take_tables(),
            std::mem::take(&mut self.custom_actions),
            std::mem::take(&mut self.execute_rows),
            std::mem::take(&mut self.ui_rows),
            std::mem::take(&mut self.staged_files),
        ))
    }

    /// The private temp folder (owner-only, removed when the session ends).
    pub(crate) fn temp_dir(&mut self) -> Result<PathBuf> {
        if let Some(t) = &self.temp {
            return Ok(t.path().to_path_buf());
        }
        let t = tempfile::Builder::new()
            .prefix("rmsi-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let path = t.path().to_path_buf();
        self.temp = Some(t);
        Ok(path)
    }

    /// A property's value (`None` when unset; an empty property does not exist).
    pub(crate) fn prop(&self, name: &str) -> Option<String> {
        self.ctx.property(name)
    }

    /// Sets (or, with an empty value, deletes) a property, with its `PROPERTY CHANGE:` line.
    pub(crate) fn set_prop(&mut self, name: &str, value: &str) {
        let old = self.ctx.property(name);
        let new = (!value.is_empty()).then_some(value);
        if old.as_deref() == new {
            return;
        }
        self.ctx.set_property(name, value);
        if self.log.is_hidden(name) {
            self.log.add_secret(value);
        }
        self.log.property_change(name, old.as_deref(), new);
    }

    /// Formats a template (`[Property]`, `[#File]`, …) against the session.
    pub(crate) fn format(&self, text: &str) -> String {
        self.ctx.format(text)
    }

    /// Records why the install fails (the first reason wins) and returns the failure.
    pub(crate) fn fail(&mut self, err: impl Into<Error>) -> ActionResult {
        let err = err.into();
        self.log.engine(&format!("Error: {err}"));
        let result = match err {
            Error::UserExit => ActionResult::UserExit,
            _ => ActionResult::Failure,
        };
        self.error.get_or_insert(err);
        result
    }

    /// The staging area, created on first use.
    pub(crate) fn stage(&mut self) -> Result<&mut Stage<'l>> {
        if self.stage.is_none() {
            let state = self.rel(&self.request.layout.state_dir(&self.root))?;
            self.stage = Some(Stage::new(self.lock, &state)?);
        }
        self.stage
            .as_mut()
            .ok_or_else(|| Error::failure("the staging area could not be created"))
    }

    /// A path relative to the locked root (the transaction's), for a path under the files
    /// root. A path outside the files root is refused. The two roots are one, but for a Wine
    /// prefix, locked as a whole, whose files go under its `drive_c`.
    pub(crate) fn rel(&self, abs: &Path) -> Result<PathBuf> {
        let rel = abs
            .strip_prefix(&self.root)
            .map_err(|_| Error::OutsideRoot {
                root: self.root.clone(),
                path: abs.to_path_buf(),
            })?;
        if rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(Error::OutsideRoot {
                root: self.root.clone(),
                path: abs.to_path_buf(),
            });
        }
        Ok(match self.root.strip_prefix(self.lock.root()) {
            Ok(drive) if !drive.as_os_str().is_empty() => drive.join(rel),
            _ => rel.to_path_buf(),
        })
    }

    /// The Wine prefix the installation targets (`--wine-prefix`), if any: for what must run
    /// through Wine in it (starting services, say).
    pub(crate) fn wine_prefix(&self) -> Option<&Path> {
        (self.request.layout == Layout::Wine).then(|| self.lock.root())
    }

    /// In a Wine prefix: the path of the package copy Wine's msi opens to remove or repair
    /// the product, `C:\windows\Installer\<random hex>.msi` as Windows names its copies
    /// ("Windows Installer cache"), noted for the registration's `LocalPackage`. The copy
    /// an earlier run placed goes.
    fn choose_local_package(&mut self) -> Result<Option<PathBuf>> {
        if self.request.layout != Layout::Wine {
            return Ok(None);
        }
        self.remove_local_package()?;
        let folder = self.root.join("windows/Installer");
        let local = loop {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u32(std::process::id());
            let name = format!("{:x}.msi", h.finish() as u32);
            let path = folder.join(name);
            if self.lock.lstat(&self.rel(&path)?).is_none() {
                break path;
            }
        };
        self.ctx.set_local_package(Some(local.clone()));
        Ok(Some(local))
    }

    /// Places a copy of the product's cached package at `local` (see
    /// [`Session::choose_local_package`]), through the transaction.
    fn place_local_package(&mut self, local: &Path) -> Result<()> {
        let code = self.prop("ProductCode").unwrap_or_default();
        let Some(cached) = self.ctx.cached_package(&code)? else {
            return Ok(());
        };
        let mut file = fs_err::File::open(&cached).map_err(|e| Error::io(&cached, e))?;
        let rel = self.rel(local)?;
        let stage = self.stage()?;
        let (staged, _) = stage.copy_in(&mut file)?;
        stage.place(staged, rel)?;
        let pending = stage.pending();
        stage.apply_next(pending)?;
        self.log.engine(&format!(
            "Executing op: CacheLocalPackage(Path={})",
            self.ctx.path_text(local)
        ));
        Ok(())
    }

    /// In a Wine prefix: removes the package copy the product's registration names as
    /// `LocalPackage` (when it is in `C:\windows\Installer`), through the transaction.
    fn remove_local_package(&mut self) -> Result<()> {
        if self.request.layout != Layout::Wine {
            return Ok(());
        }
        let code = self.prop("ProductCode").unwrap_or_default();
        let Some(local) = self.ctx.registered_local_package(&code)? else {
            return Ok(());
        };
        if !local.starts_with(self.root.join("windows/Installer")) {
            return Ok(());
        }
        let rel = self.rel(&local)?;
        let stage = self.stage()?;
        stage.remove(rel)?;
        let pending = stage.pending();
        stage.apply_next(pending)?;
        Ok(())
    }

    /// Writes a Wine prefix's registry files that the registration changed, through the
    /// transaction (journaled: a failure or a kill before the commit puts them back).
    fn write_wine_registry(&mut self) -> Result<()> {
        let files = self.ctx.wine_files();
        if files.is_empty() {
            return Ok(());
        }
        for (path, text) in files {
            let rel = path
                .strip_prefix(self.lock.root())
                .map_err(|_| Error::OutsideRoot {
                    root: self.lock.root().to_path_buf(),
                    path: path.clone(),
                })?
                .to_path_buf();
            let stage = self.stage()?;
            let (staged, _) = stage.copy_in(&mut text.as_bytes())?;
            stage.place(staged, rel)?;
        }
        let stage = self.stage()?;
        let pending = stage.pending();
        stage.apply_next(pending)?;
        self.ctx.wine_files_written();
        if let Some(prefix) = self.wine_prefix() {
            let line = format!(
                "Executing op: WineRegistryWrite(Prefix={})",
                prefix.display()
            );
            self.log.engine(&line);
        }
        Ok(())
    }

    /// Marks every stage operation scheduled so far as part of the script (before a deferred
    /// custom action, and at InstallExecute/InstallFinalize).
    pub(crate) fn mark_staged(&mut self) {
        if let Some(stage) = self.stage.as_mut() {
            stage.seal();
        }
        let pending = self.stage.as_ref().map_or(0, Stage::pending);
        if pending > self.staged_marked {
            self.script
                .push(ScriptOp::Stage(pending - self.staged_marked));
            self.staged_marked = pending;
        }
    }

    /// Sets the properties of initialization and starts the Restart Manager session.
    fn initialize(&mut self) -> Result<()> {
        self.log.hide(KEY_PROPERTY);
        if let Some(hidden) = self.package.property("MsiHiddenProperties") {
            for name in hidden.split(';').map(str::trim).filter(|n| !n.is_empty()) {
                self.log.hide(name);
            }
        }
        let changes = self
            .ctx
            .initialize(&self.package, self.request, &self.root)?;
        for (name, value) in changes {
            if self.log.is_hidden(&name) {
                self.log.add_secret(&value);
            }
            self.log.property_change(&name, None, Some(&value));
        }
        for (name, value) in &self.request.properties {
            self.set_prop(name, value);
        }
        // Read before any custom action can run: changing it from one has no effect.
        let control = Control::from_property(self.prop("MSIRESTARTMANAGERCONTROL").as_deref());
        let rm = RmGlue::start(control, self.log);
        if let Some(key) = rm.key() {
            self.set_prop(KEY_PROPERTY, &key);
        }
        self.rm = Some(rm);
        Ok(())
    }

    /// The INSTALL top-level action.
    fn top_level(&mut self) -> ActionResult {
        let level = self.request.ui_level;
        if level >= UiLevel::Reduced && !self.ui_rows.is_empty() {
            self.log.engine("Running UISequence");
            let rows = self.ui_rows.clone();
            self.ui_sequence_ran = true;
            let r = sequence::run(&rows, Which::Ui, self);
            if r.stops() || self.execute_sequence_ran {
                return r;
            }
        }
        self.execute_sequence()
    }

    /// InstallExecuteSequence (started by ExecuteAction or by the top-level action).
    pub(crate) fn execute_sequence(&mut self) -> ActionResult {
        self.execute_sequence_ran = true;
        // The top-level action the execute sequence runs for ("EXECUTEACTION property").
        let action = self.prop("ACTION").unwrap_or_else(|| "INSTALL".to_string());
        self.set_prop("EXECUTEACTION", &action);
        self.log.engine("Running ExecuteSequence");
        let rows = self.execute_rows.clone();
        let r = sequence::run(&rows, Which::Execute, self);
        if r.stops() {
            return r;
        }
        // A sequence without InstallFinalize would leave its script unrun and every staged
        // file out of place while reporting success: run the rest of it as InstallFinalize
        // would.
        let pending = self.stage.as_ref().is_some_and(|st| st.pending() > 0);
        if pending || !self.script.is_empty() {
            self.log.engine(
                "The execute sequence ended with script operations not run (no InstallFinalize): running them now.",
            );
            let r = crate::actions::finish_script(self);
            if r.stops() {
                return r;
            }
        }
        self.end_sequence_asyncs()
    }

    /// Waits for the asynchronous custom actions still running and checks their exit codes
    /// (`Async` without `Continue`).
    fn end_sequence_asyncs(&mut self) -> ActionResult {
        let mut result = ActionResult::Success;
        for pending in std::mem::take(&mut self.pending_async) {
            let r = crate::actions::custom::finish(self, pending);
            if r.stops() && !result.stops() {
                result = r;
            }
        }
        result
    }

    /// Runs the termination row (-1 success, -2 user exit, -3 failure, -4 suspend) of the
    /// sequence that ran last: a custom action runs; a dialog cannot be shown here.
    fn termination(&mut self, flag: i32) {
        let rows = if self.ui_sequence_ran {
            &self.ui_rows
        } else {
            &self.execute_rows
        };
        let Some(row) = sequence::termination(rows, flag).cloned() else {
            return;
        };
        let which = if self.ui_sequence_ran {
            Which::Ui
        } else {
            Which::Execute
        };
        let _ = sequence::run_row(&row, which, self);
    }

    /// After success: commit custom actions, the product recorded in the registry (when
    /// RegisterProduct ran), then the staging area goes. A registry that cannot be written
    /// fails the install (the root is then rolled back).
    fn commit(&mut self) -> Result<()> {
        let mut commit_actions = std::mem::take(&mut self.commit_actions);
        if self.rollback_disabled() && !commit_actions.is_empty() {
            self.log.engine(
                "Rollback is disabled (RollbackDisabled): commit custom actions do not run.",
            );
            commit_actions.clear();
        }
        for action in commit_actions {
            let r = crate::actions::custom::run_deferred(self, &action, "commit");
            if r.stops() && !action_ignores_exit(&action) {
                self.log.engine(&format!(
                    "Commit custom action {} failed; its failure is logged and the installation stands.",
                    action.row.action
                ));
            }
        }
        // The product's complete removal unregisters it whatever the sequence holds, as
        // InstallFinalize does on Windows ("InstallFinalize Action"); see `crate::uninstall`.
        let removed = self.ctx.product_removed();
        // A Wine prefix's registry files are written through the stage: it must exist.
        if self.request.layout == Layout::Wine {
            self.stage()?;
        }
        if removed {
            if let Some(stage) = self.stage.as_mut() {
                stage.before_state_write()?;
            }
            self.remove_local_package()?;
            let db = self.ctx.unregister_product()?;
            self.log.engine(&format!(
                "Executing op: ProductUnregister(ProductCode={},Registry={})",
                self.prop("ProductCode").unwrap_or_default(),
                db.display()
            ));
        } else if self.register_product {
            if let Some(stage) = self.stage.as_mut() {
                stage.before_state_write()?;
            }
            let started = std::time::Instant::now();
            let local = self.choose_local_package()?;
            let db = self.ctx.record_product(&self.package)?;
            if let Some(local) = local {
                self.place_local_package(&local)?;
            }
            tracing::debug!(
                ms = %crate::log::millis(started.elapsed()),
                "product registered"
            );
            self.log.engine(&format!(
                "Executing op: ProductRegister(ProductCode={},Registry={})",
                self.prop("ProductCode").unwrap_or_default(),
                db.display()
            ));
        } else if self.ctx.has_registry_changes() {
            // Registry values of a package that registers no product.
            if let Some(stage) = self.stage.as_mut() {
                stage.before_state_write()?;
            }
            self.ctx.apply_registry_changes()?;
        }
        self.write_wine_registry()?;
        // The commit point: the journal's removal. Checked, since a journal left behind
        // would make the next run roll this "successful" install back.
        if !self.shares_stage
            && let Some(stage) = self.stage.take()
        {
            stage.commit()?;
        }
        if removed && !self.nested {
            self.tidy_state();
        }
        // Related products RemoveExistingProducts left for after the commit.
        for removal in std::mem::take(&mut self.later_removals) {
            crate::actions::upgrade::remove(
                self,
                &removal,
                crate::actions::upgrade::Placement::AfterCommit,
            )?;
        }
        // Services start once the registry that holds them is committed, and last: in a Wine
        // prefix starting one starts a wineserver, which keeps the registry in its memory and
        // saves it over the files, so no later change may write them.
        crate::actions::services::after_commit(self);
        Ok(())
    }

    /// After the product was unregistered and the staging area removed: when no product is
    /// left in the root, the registry's files and the state folders the first install made.
    fn tidy_state(&mut self) {
        match self.ctx.tidy_state() {
            Ok(true) => self.log.engine(
                "No product is installed in this root any more: the product registry and its state folders were removed.",
            ),
            Ok(false) => {}
            Err(e) => self.log.engine(&format!(
                "The product registry could not be removed (the removal stands): {e}"
            )),
        }
    }

    /// After a failure: rollback custom actions in reverse order, then every staged change
    /// undone and the staging area removed. A rollback that cannot finish keeps the
    /// journal and the staging folder for the next run, and says so.
    fn rollback(&mut self) -> std::result::Result<(), transaction::Error> {
        let mut actions = std::mem::take(&mut self.rollback_actions);
        if self.rollback_disabled() && !actions.is_empty() {
            // Spec 3.8: rollback custom actions do not run when rollback is disabled. The
            // staged file changes are still undone: a failed install leaves the root as it
            // was, whatever the package asks.
            self.log.engine(
                "Rollback is disabled (RollbackDisabled): rollback custom actions do not run.",
            );
            actions.clear();
        }
        if !actions.is_empty() || self.stage.is_some() {
            self.log.engine("Rolling back the installation.");
        }
        for action in actions.iter().rev() {
            let _ = crate::actions::custom::run_deferred(self, action, "rollback");
        }
        let undone = match self.stage.take() {
            Some(stage) => stage.rollback(),
            None => Ok(()),
        };
        for PendingAsync {
            name, mut running, ..
        } in std::mem::take(&mut self.pending_async)
        {
            let _ = running.child.wait();
            let _ = crate::custom_action::read_output(&running.output);
            self.log
                .engine(&format!("Asynchronous custom action {name} ended."));
        }
        undone
    }

    /// Rolls back after `err` ended the install: the result is `err`, unless the rollback
    /// could not finish — then that (the root is not as it was, and the next run must
    /// finish it), with `err` logged.
    fn rolled_back(&mut self, err: Error) -> Error {
        match self.rollback() {
            Ok(()) => err,
            Err(kept) => {
                self.log
                    .engine(&format!("The installation failed: {}: {err}", err.code()));
                self.log
                    .engine(&format!("Rollback could not finish: {kept}"));
                Error::from(kept)
            }
        }
    }

    /// Rollback disabled by `DISABLEROLLBACK=1` or the DisableRollback action (spec 3.9).
    fn rollback_disabled(&self) -> bool {
        self.prop("RollbackDisabled").is_some()
            || self
                .prop("DISABLEROLLBACK")
                .is_some_and(|v| v.trim() == "1")
    }

    /// The final `Property(S):` dump (hidden values masked by the log).
    fn dump_properties(&mut self) {
        let props = self.ctx.all_properties();
        self.log
            .property_dump(props.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    }

    /// The whole install, after initialization.
    pub(crate) fn run(&mut self) -> Result<Outcome> {
        self.initialize()?;
        self.log.action_start("INSTALL");
        let result = self.top_level();
        self.log.action_end("INSTALL", result.log_value());
        let result = match result {
            ActionResult::Success | ActionResult::NotCalled => match self.commit() {
                Ok(()) => {
                    self.termination(-1);
                    Ok(())
                }
                Err(e) => {
                    self.log.engine(&format!("Error: {e}"));
                    self.termination(-3);
                    Err(self.rolled_back(e))
                }
            },
            ActionResult::UserExit => {
                self.termination(-2);
                let e = self.error.take().unwrap_or(Error::UserExit);
                Err(self.rolled_back(e))
            }
            ActionResult::Suspend => {
                self.termination(-4);
                Err(self.rolled_back(Error::Suspended))
            }
            ActionResult::Failure => {
                self.termination(-3);
                let e = self
                    .error
                    .take()
                    .unwrap_or_else(|| Error::failure("the installation failed"));
                Err(self.rolled_back(e))
            }
        };
        let disable_restart = self.prop("MSIDISABLERMRESTART").as_deref() == Some("1");
        let mut left = Vec::new();
        if let Some(rm) = self.rm.take() {
            left = rm.left_running().to_vec();
            rm.finish(disable_restart, self.log);
        }
        if result.is_ok() && !left.is_empty() {
            for a in &left {
                self.log.rm(&format!(
                    "Application '{}' (id {}, type {}) still runs on files that were replaced or removed; a restart is required.",
                    a.name, a.pid, a.app_type
                ));
            }
            self.set_prop("ReplacedInUseFiles", "1");
            self.reboot_required = true;
        }
        self.dump_properties();
        let removal = self.ctx.removal_requested();
        let facts = crate::closing::Facts {
            product: self.prop("ProductName").unwrap_or_default(),
            version: self.prop("ProductVersion").unwrap_or_default(),
            language: self.prop("ProductLanguage").unwrap_or_default(),
            manufacturer: self.prop("Manufacturer").unwrap_or_default(),
            reboot_required: self.reboot_required,
        };
        crate::closing::write(self.log, &facts, removal, &result, &left);
        result?;
        self.left = left;
        // REBOOT=Force (first letter F, spec 1.9) makes a restart needed too.
        let forced = self
            .prop("REBOOT")
            .is_some_and(|v| v.starts_with(['F', 'f']));
        if self.reboot_required || forced {
            Ok(Outcome::RebootRequired)
        } else {
            Ok(Outcome::Success)
        }
    }
}

fn action_ignores_exit(action: &DeferredAction) -> bool {
    crate::custom_action::Flags::of(action.row.action_type).ignore_exit
}

/// The property the Restart Manager session key goes into.
pub(crate) const KEY_PROPERTY: &str = "MsiRestartManagerSessionKey";

/// Actions that run once across the UI and execute sequences (spec 2.2).
const ONCE_ACROSS_SEQUENCES: [&str; 3] =
    ["AppSearch", "FindRelatedProducts", "MigrateFeatureStates"];

impl sequence::Host for Session<'_, '_> {
    fn condition(&mut self, text: &str) -> ConditionResult {
        let result = self.ctx.condition(text);
        if result == ConditionResult::Error {
            self.error.get_or_insert_with(|| {
                Error::failure(format!(
                    "the sequence condition {text:?} is not a valid condition"
                ))
            });
        }
        result
    }

    fn log(&mut self) -> &mut Log {
        self.log
    }

    fn skip_reason(&mut self, action: &str, which: Which) -> Option<String> {
        if which == Which::Execute
            && ONCE_ACROSS_SEQUENCES.contains(&action)
            && self.ran_in_ui.contains(action)
        {
            return Some("it already ran in the UI sequence".into());
        }
        if which == Which::Execute
            && self.ui_sequence_ran
            && let Some(row) = self.custom_actions.get(action)
        {
            let flags = crate::custom_action::Flags::of(row.action_type);
            if flags.first_sequence || flags.once_per_process {
                return Some("it already ran in the UI sequence".into());
            }
        }
        None
    }

    fn run(&mut self, action: &str, which: Which) -> ActionResult {
        let started = std::time::Instant::now();
        let result = self.run_action(action, which);
        tracing::debug!(
            action,
            ms = %crate::log::millis(started.elapsed()),
            result = result.log_value(),
            "action ended"
        );
        result
    }
}

impl Session<'_, '_> {
    fn run_action(&mut self, action: &str, which: Which) -> ActionResult {
        if self.ui.cancelled() {
            self.log.engine("The user cancelled the installation.");
            return self.fail(Error::UserExit);
        }
        self.ui.action(action);
        if which == Which::Ui {
            self.ran_in_ui.insert(action.to_string());
        }
        if let Some(r) = crate::actions::run_standard(self, action) {
            return r;
        }
        if let Some(row) = self.custom_actions.get(action).cloned() {
            return crate::actions::custom::run(self, &row);
        }
        if self.dialogs.contains(action) {
            self.log.engine(&format!(
                "Dialog {action} is not shown: authored dialogs have no renderer on this platform."
            ));
            return ActionResult::NotCalled;
        }
        // Windows Installer logs internal error 2726 ("Action not found") as a note and
        // goes on: the action returns 0 and the sequence continues.
        self.log.engine(&format!("Note: 1: 2726 2: {action}"));
        ActionResult::NotCalled
    }
}
