//! The standard actions, one module per action or family, and the dispatcher that maps a
//! sequence row's name to one of them.
//!
//! The registry is the root's own (`registry_values`, `reg_search`, `register`, `services`),
//! COM classes and file associations are registered under `Software\Classes` (`classes`,
//! `type_libraries`), and shortcuts and INI files are made (`shortcuts`, `ini_files`).
//! Actions that only mean something on Windows (COM+, ODBC, assemblies) are logged as
//! skipped on this platform and end with `Return value 0` ("action not executed"): they are
//! never silently claimed as done.

mod classes;
mod context;
pub(crate) mod custom;
mod duplicate_files;
pub(crate) mod environment;
mod folders;
mod fonts;
mod ini_files;
mod install_files;
mod install_validate;
mod move_files;
mod reg_search;
pub(crate) mod register;
mod registry_values;
mod remove_files;
mod script;
mod search;
mod self_reg;
pub(crate) mod services;
mod shortcuts;
mod table_rows;
mod type_libraries;
mod type_library;
pub(crate) mod upgrade;

pub(crate) use context::{Context, FileJob};
pub(crate) use upgrade::Removal;

use crate::sequence::ActionResult;
use crate::session::Session;

/// Standard actions that act on Windows-only state; skipped here (log value 0).
const WINDOWS_ONLY: &[&str] = &[
    "AllocateRegistrySpace",
    "BindImage",
    "InstallODBC",
    "InstallSFPCatalogFile",
    "InstallAdminPackage",
    "IsolateComponents",
    "MsiPublishAssemblies",
    "MsiUnpublishAssemblies",
    "PatchFiles",
    "PublishComponents",
    "RegisterComPlus",
    "RemoveODBC",
    "RMCCPSearch",
    "SetODBCFolders",
    "UnpublishComponents",
    "UnregisterComPlus",
];

/// Runs what is left of the script and ends the transaction (InstallFinalize's work), for a
/// sequence that ended without InstallFinalize.
pub(crate) fn finish_script(s: &mut Session<'_, '_>) -> ActionResult {
    script::install_finalize(s)
}

/// Runs `name` if it is a standard action; `None` when it is not one.
pub(crate) fn run_standard(s: &mut Session<'_, '_>, name: &str) -> Option<ActionResult> {
    let r = match name {
        "LaunchConditions" => search::launch_conditions(s),
        "AppSearch" => search::app_search(s),
        "CCPSearch" => search::ccp_search(s),
        "FindRelatedProducts" => search::find_related_products(s),
        "CostInitialize" => {
            let r = cost(s, |c, p| c.cost_initialize(p));
            if r == ActionResult::Success {
                s.set_prop("CostingComplete", "0");
            }
            r
        }
        "FileCost" => cost(s, |c, p| c.file_cost(p)),
        "CostFinalize" => {
            // What Windows sets at the start of CostFinalize, before the volumes are costed.
            for name in [
                "OutOfDiskSpace",
                "OutOfNoRbDiskSpace",
                "PrimaryVolumeSpaceAvailable",
                "PrimaryVolumeSpaceRequired",
                "PrimaryVolumeSpaceRemaining",
            ] {
                s.set_prop(name, "0");
            }
            let r = cost_finalize(s);
            if r == ActionResult::Success {
                s.set_prop("CostingComplete", "1");
                primary_volume(s);
            }
            r
        }
        "InstallValidate" => install_validate::run(s),
        "WriteRegistryValues" => registry_values::write(s),
        "RemoveRegistryValues" => registry_values::remove(s),
        "InstallInitialize" => script::install_initialize(s),
        "ProcessComponents" => {
            s.ctx.note_ran("ProcessComponents");
            set_source_dir(s);
            process_components(s)
        }
        "RemoveFiles" => remove_files::run(s),
        "RemoveFolders" => folders::remove_folders(s),
        "CreateFolders" => folders::create_folders(s),
        "MoveFiles" => move_files::run(s),
        "InstallFiles" => {
            set_source_dir(s);
            install_files::run(s)
        }
        "DuplicateFiles" => duplicate_files::run(s),
        "CreateShortcuts" => shortcuts::create(s),
        "RemoveShortcuts" => shortcuts::remove(s),
        "WriteIniValues" => ini_files::write(s),
        "RemoveIniValues" => ini_files::remove(s),
        "RemoveDuplicateFiles" => duplicate_files::remove(s),
        "InstallExecute" | "InstallExecuteAgain" => script::install_execute(s),
        "InstallFinalize" => script::install_finalize(s),
        "ResolveSource" => {
            set_source_dir(s);
            ActionResult::Success
        }
        "RegisterProduct" => {
            // Recorded in the root's product registry once the install succeeded (a failed
            // install leaves no state behind).
            s.register_product_at_commit();
            s.ctx.note_ran("RegisterProduct");
            ActionResult::Success
        }
        // Their keys are written with the product's record when the installation commits
        // (`register`).
        // The product's keys go with it when the installation commits (`register`).
        "UnpublishFeatures" => ActionResult::Success,
        "PublishProduct" => {
            s.ctx.note_ran("PublishProduct");
            classes::product_icon(s)
        }
        "PublishFeatures" | "RegisterUser" => {
            s.ctx.note_ran(match name {
                "PublishFeatures" => "PublishFeatures",
                _ => "RegisterUser",
            });
            ActionResult::Success
        }
        "ScheduleReboot" => {
            s.log
                .engine("ScheduleReboot: a restart will be required at the end.");
            s.require_restart();
            ActionResult::Success
        }
        "ForceReboot" => {
            s.log.engine(
                "ForceReboot: the installation is suspended until a restart (this engine never restarts the machine).",
            );
            ActionResult::Suspend
        }
        "DisableRollback" => {
            s.set_prop("RollbackDisabled", "1");
            ActionResult::Success
        }
        "ValidateProductID" => {
            if let Some(pid) = s.prop("PIDKEY") {
                s.set_prop("ProductID", &pid);
            }
            ActionResult::Success
        }
        "WriteEnvironmentStrings" => environment::write(s),
        "RemoveEnvironmentStrings" => environment::remove(s),
        "StopServices" => services::stop(s),
        "DeleteServices" => services::delete(s),
        "InstallServices" => services::install(s),
        "MsiConfigureServices" => services::configure(s),
        "StartServices" => services::start(s),
        "RegisterFonts" => fonts::register(s),
        "UnregisterFonts" => fonts::unregister(s),
        "RegisterClassInfo" => classes::register_class_info(s),
        "UnregisterClassInfo" => classes::unregister_class_info(s),
        "RegisterProgIdInfo" => classes::register_progid_info(s),
        "UnregisterProgIdInfo" => classes::unregister_progid_info(s),
        "RegisterExtensionInfo" => classes::register_extension_info(s),
        "UnregisterExtensionInfo" => classes::unregister_extension_info(s),
        "RegisterMIMEInfo" => classes::register_mime_info(s),
        "UnregisterMIMEInfo" => classes::unregister_mime_info(s),
        "RegisterTypeLibraries" => type_libraries::register(s),
        "UnregisterTypeLibraries" => type_libraries::unregister(s),
        "SelfRegModules" => self_reg::register(s),
        "SelfUnregModules" => self_reg::unregister(s),
        "RemoveExistingProducts" => upgrade::run(s),
        "MigrateFeatureStates" => match upgrade::migrated_states(s) {
            // Nothing to migrate: Windows logs the action with return value 0.
            Ok(None) => ActionResult::NotCalled,
            // Costed again with the states carried over.
            Ok(Some(states)) => {
                s.ctx.set_migrated(states);
                cost_finalize(s)
            }
            Err(e) => s.fail(e),
        },
        // Starts the execute sequence once, from the UI sequence; anywhere else (a package
        // that sequences it in InstallExecuteSequence, or twice) it would recurse.
        "ExecuteAction" if !s.execute_sequence_ran() => s.execute_sequence(),
        "ExecuteAction" => {
            s.log
                .engine("ExecuteAction: the execute sequence already ran; not started again.");
            ActionResult::NotCalled
        }
        _ if WINDOWS_ONLY.contains(&name) => {
            s.log.engine(&format!(
                "{name} changes Windows-only state (COM+, ODBC, assemblies...): not executed on this platform."
            ));
            ActionResult::NotCalled
        }
        _ => return None,
    };
    Some(r)
}

/// The primary volume's properties, once costing knows the folder `PRIMARYFOLDER` names
/// ("PrimaryVolumePath property", "PrimaryVolumeSpaceAvailable property"…): the volume is
/// the target root (what the layouts make the system drive), the spaces are in units of
/// 512 bytes. Nothing when the package sets no `PRIMARYFOLDER`.
fn primary_volume(s: &mut Session<'_, '_>) {
    let Some(folder) = s.prop("PRIMARYFOLDER") else {
        return;
    };
    if s.prop(&folder).is_none() {
        return;
    }
    let Some((available, required)) = install_validate::volume_space(s) else {
        return;
    };
    let volume = s.root.display().to_string();
    s.set_prop("PrimaryVolumePath", &volume);
    let (available, required) = (available / 512, required.div_ceil(512));
    s.set_prop("PrimaryVolumeSpaceAvailable", &available.to_string());
    s.set_prop("PrimaryVolumeSpaceRequired", &required.to_string());
    s.set_prop(
        "PrimaryVolumeSpaceRemaining",
        &available.saturating_sub(required).to_string(),
    );
}

/// ResolveSource, ProcessComponents and InstallFiles set `SourceDir` and `SOURCEDIR` to
/// the package's folder when they are not set yet ("SourceDir property").
fn set_source_dir(s: &mut Session<'_, '_>) {
    let mut text = s.package.source_dir().display().to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    for name in ["SourceDir", "SOURCEDIR"] {
        if s.prop(name).is_none() {
            s.set_prop(name, &text);
        }
    }
}

/// CostFinalize: the plan, and its `Feature:`/`Component:` lines in the log.
fn cost_finalize(s: &mut Session<'_, '_>) -> ActionResult {
    let r = cost(s, |c, p| c.cost_finalize(p));
    if r == ActionResult::Success {
        let lines = s.ctx.state_lines();
        for line in lines {
            s.log.engine(&line);
        }
    }
    r
}

fn cost(
    s: &mut Session<'_, '_>,
    f: impl FnOnce(&mut Context, &package::Package) -> crate::error::Result<context::Changes>,
) -> ActionResult {
    match f(&mut s.ctx, &s.package) {
        Ok(changes) => {
            for (prop, old, new) in changes {
                s.log.property_change(&prop, old.as_deref(), Some(&new));
            }
            ActionResult::Success
        }
        Err(e) => s.fail(e),
    }
}

/// ProcessComponents: the components' key paths, logged here; they are written to the root's
/// product registry with the product once the install succeeded (RegisterProduct).
fn process_components(s: &mut Session<'_, '_>) -> ActionResult {
    for line in s.ctx.component_registrations() {
        s.log.engine(&line);
    }
    ActionResult::Success
}
