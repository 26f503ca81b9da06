//! An install session: one package run into one root, from initialization to the final
//! `MainEngineThread is returning N`.
//!
//! [`install`] is the whole of it, in the order Windows Installer follows ("Property
//! Reference", "ACTION property", "Rollback Installation", "Using Windows Installer with Restart
//! Manager"):
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
//!
//! What a run is asked and what it reports are `crate::request`'s. The session's modules:
//! `entry` (a run from the root's lock to the session, and the administrative install's
//! detour), `script` (the deferred operations the actions write, and the transaction),
//! `stage_slot` (a staging area owned or borrowed), `commit` (commit and rollback, with the
//! product's registration), `prefix_files` (what a Wine prefix's installation writes
//! through the transaction), `later` (what actions leave the session to do later) and
//! `closing` (the Restart Manager's end and the closing lines), `package_copy` (the package
//! cache's copy, made while the files are written), `inflate_ahead` (the embedded cabinets,
//! inflated while the session initialises and costs).

mod closing;
mod commit;
mod entry;
mod inflate_ahead;
mod later;
mod package_copy;

pub(crate) use inflate_ahead::{Ahead, InflateAhead};
mod prefix_files;
mod script;
mod stage_slot;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use msi_expr::ConditionResult;

use crate::actions::Context;
use crate::error::{Error, Outcome, Result};
use crate::layout::Layout;
use crate::log::Log;
use crate::properties::UiLevel;
use crate::rm::{Control, RmGlue, ValidateInput, Validated};
use crate::sequence::{self, ActionResult, Which};
use crate::tables::custom_action::CustomActionRow;
use crate::tables::sequence::{SequenceRow, SequenceTable};
use crate::ui::{AppInUse, InstallUi};
use package::Package;
use transaction::{RootLock, Transaction as Stage};

use crate::request::InstallRequest;
pub use entry::install;
pub(crate) use entry::{refuse_special_file, run_entry};
pub(crate) use script::{DeferredAction, PendingAsync, ScriptOp};
pub(crate) use stage_slot::{StageSlot, Upgrading};

/// The state of one install (see the module documentation). The fields most actions work
/// on (the request, UI, log, root, lock, package, context and stage) are crate-visible;
/// the others are private, behind the methods of `script` (the transaction and its
/// script), `later` (what an action leaves for later) and the few below.
///
/// `'l` is the root lock's lifetime, which the stage borrows: a removal run by this install's
/// RemoveExistingProducts (a session of a shorter `'a`) can borrow this install's stage
/// (see [`StageSlot`]).
pub(crate) struct Session<'a, 'l> {
    pub(crate) request: &'a InstallRequest,
    pub(crate) ui: &'a mut dyn InstallUi,
    pub(crate) log: &'a mut Log,
    pub(crate) root: PathBuf,
    pub(crate) lock: &'l RootLock,
    /// Shared with the thread that makes the package cache's copy (`package_copy`).
    pub(crate) package: std::sync::Arc<Package>,
    pub(crate) ctx: Context,
    rm: Option<RmGlue>,
    pub(crate) stage: StageSlot<'a, 'l>,
    custom_actions: BTreeMap<String, CustomActionRow>,
    dialogs: HashSet<String>,
    execute_rows: Vec<SequenceRow>,
    ui_rows: Vec<SequenceRow>,
    /// Actions that ran in the UI sequence (skipped in the execute one when they must run
    /// once).
    ran_in_ui: HashSet<String>,
    ui_sequence_ran: bool,
    execute_sequence_ran: bool,
    /// Between InstallInitialize and InstallFinalize.
    in_transaction: bool,
    script: Vec<ScriptOp>,
    /// Stage operations already covered by a `ScriptOp::Stage`.
    staged_marked: usize,
    /// Rollback actions reached by the script, in script order.
    rollback_actions: Vec<DeferredAction>,
    /// Commit actions reached by the script, in script order.
    commit_actions: Vec<DeferredAction>,
    /// Asynchronous custom actions to wait for at the end of the sequence.
    pending_async: Vec<PendingAsync>,
    /// Private temp folder (custom action binaries and outputs), made when first needed:
    /// most installs run no custom action, and a folder on a disk costs its creation and
    /// removal.
    temp: Option<tempfile::TempDir>,
    /// A restart is required at the end (3010).
    reboot_required: bool,
    /// The error that made the install fail, for the caller (the sequence only carries the
    /// log value).
    error: Option<Error>,
    /// Applications left running on replaced files.
    left: Vec<AppInUse>,
    /// RegisterProduct ran: record the product in the registry after success.
    register_product: bool,
    /// File key → its staged file (for DuplicateFiles).
    staged_files: std::collections::HashMap<String, String>,
    /// A removal run by another install's RemoveExistingProducts: it leaves the product
    /// registry's files alone when it removes the last product (the upgrade records its
    /// own next).
    nested: bool,
    /// Paths this session must not remove: files the upgrading install puts or keeps there.
    protected: HashSet<PathBuf>,
    /// Related products RemoveExistingProducts removes once this install is committed.
    later_removals: Vec<crate::actions::Removal>,
    /// INI files this install edited, as it staged them (WriteIniValues, RemoveIniValues).
    ini_files: std::collections::HashMap<PathBuf, shell::ini::IniFile>,
    /// Services StartServices starts once the installation is committed (in a Wine
    /// prefix; see `actions::services::after_commit`).
    services_to_start: Vec<crate::actions::services::ServiceStart>,
    /// The package cache's copy of the package, being made (`package_copy`).
    package_copy: Option<std::thread::JoinHandle<Option<Result<Vec<u8>>>>>,
    /// The embedded cabinets, being inflated for InstallFiles (`inflate_ahead`).
    pub(crate) inflate_ahead: Option<InflateAhead>,
    /// The registration ([`Session::register`]) was done, at the end of InstallFinalize's
    /// script.
    registered: bool,
    /// A custom action ran a Windows program with Wine (`prefix_files`).
    wine_programs: bool,
}

impl<'a, 'l> Session<'a, 'l> {
    fn new(
        request: &'a InstallRequest,
        ui: &'a mut dyn InstallUi,
        lock: &'l RootLock,
        root: PathBuf,
        package: std::sync::Arc<Package>,
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
            ctx,
            package,
            rm: None,
            stage: StageSlot::Own(None),
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
            protected: HashSet::new(),
            later_removals: Vec::new(),
            ini_files: Default::default(),
            services_to_start: Vec::new(),
            package_copy: None,
            inflate_ahead: None,
            registered: false,
            wine_programs: false,
        })
    }

    /// A session for the removal of a related product during this one
    /// (RemoveExistingProducts), in the same root, under the same lock, with what the
    /// upgrading install lends it.
    pub(crate) fn nested(
        request: &'a InstallRequest,
        ui: &'a mut dyn InstallUi,
        lock: &'l RootLock,
        root: PathBuf,
        package: Package,
        log: &'a mut Log,
        upgrading: Upgrading<'a, 'l>,
    ) -> Result<Session<'a, 'l>> {
        let mut s = Session::new(request, ui, lock, root, std::sync::Arc::new(package), log)?;
        s.nested = true;
        s.protected = upgrading.protected;
        if let Some(stage) = upgrading.stage {
            s.stage = StageSlot::Borrowed(stage);
        }
        Ok(s)
    }

    /// The session's large owned data (the package's tables, costing's tables and plan, the
    /// properties), taken out to be freed off the caller's path (`entry::free_later`). The product
    /// registry is closed here, before the root's lock is released.
    fn take_heavy(&mut self) -> Box<dyn Send> {
        self.ctx.close_registry();
        Box::new((
            std::mem::take(&mut self.ctx),
            std::sync::Arc::get_mut(&mut self.package).map(Package::take_tables),
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
            *self.stage = Some(Stage::new(self.lock, &state)?);
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

    /// Whether the execute sequence ran already (ExecuteAction runs it once).
    pub(crate) fn execute_sequence_ran(&self) -> bool {
        self.execute_sequence_ran
    }

    /// The Restart Manager's files-in-use check of InstallValidate, asking the user through
    /// the session's UI; `None` when no Restart Manager session was started.
    pub(crate) fn validate_files_in_use(&mut self, input: &ValidateInput<'_>) -> Option<Validated> {
        let rm = self.rm.as_mut()?;
        Some(rm.validate(input, &mut *self.ui, self.log))
    }

    /// The INI file at `path` as this install staged it so far, if it staged it.
    pub(crate) fn staged_ini_file(&self, path: &Path) -> Option<&shell::ini::IniFile> {
        self.ini_files.get(path)
    }

    /// Keeps the INI file this install staged at `path` (WriteIniValues, RemoveIniValues).
    pub(crate) fn keep_staged_ini_file(&mut self, path: PathBuf, file: shell::ini::IniFile) {
        self.ini_files.insert(path, file);
    }

    /// The staged file of File key `key`, once InstallFiles staged it (DuplicateFiles, fonts
    /// and type libraries use it).
    pub(crate) fn staged_file(&self, key: &str) -> Option<String> {
        self.staged_files.get(key).cloned()
    }

    /// Notes the staged file of File key `key` (InstallFiles).
    pub(crate) fn note_staged_file(&mut self, key: String, staged: String) {
        self.staged_files.insert(key, staged);
    }

    /// Whether this session must leave `path` alone: a file the upgrading install puts or
    /// keeps there (a removal RemoveExistingProducts runs).
    pub(crate) fn is_protected(&self, path: &Path) -> bool {
        self.protected.contains(path)
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

    /// The whole install, after initialization.
    pub(crate) fn run(&mut self) -> Result<Outcome> {
        self.start_package_copy_early();
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
        self.close(result)
    }
}

/// The property the Restart Manager session key goes into.
pub(crate) const KEY_PROPERTY: &str = "MsiRestartManagerSessionKey";

/// Actions that run once across the UI and execute sequences ("Using a Sequence Table").
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
        // Files InstallFiles took early are whole before an action that may read them.
        if self.ahead_pending()
            && !inflate_ahead::reads_no_files(action)
            && let Err(e) = self.settle_ahead(true)
        {
            return self.fail(e);
        }
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
