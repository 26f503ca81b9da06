//! SelfRegModules and SelfUnregModules: the SelfReg table ("SelfReg table",
//! "SelfRegModules action", "SelfUnregModules action").
//!
//! Self-registration calls the module's own `DllRegisterServer` (or
//! `DllUnregisterServer`): Windows code, which cannot run on this platform. Each module
//! that would be registered is logged as Windows logs a module that failed to — error 1904
//! ("Module [2] failed to register.  HRESULT [3].", 1905 for unregistering), a warning:
//! the installation goes on and the action succeeds. The HRESULT is
//! `HRESULT_FROM_WIN32(ERROR_BAD_EXE_FORMAT)`, what loading a module that cannot run here
//! gives.

use crate::sequence::ActionResult;
use crate::session::Session;
use crate::tables::Value as Cell;

use super::registry_values::{components, installing, removing};

/// `HRESULT_FROM_WIN32(ERROR_BAD_EXE_FORMAT)` (0x800700C1), as Windows logs it.
const BAD_EXE_FORMAT: i32 = 0x8007_00C1_u32 as i32;

/// The SelfReg table's File keys.
fn files(s: &Session<'_, '_>) -> Vec<String> {
    let Some(t) = s.package.table("SelfReg") else {
        return Vec::new();
    };
    let Some(fi) = t.column_index("File_") else {
        return Vec::new();
    };
    t.rows
        .iter()
        .filter_map(|cells| match cells.get(fi) {
            Some(Cell::Str(f)) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// Logs error `code` for each SelfReg module whose component `selected` picks.
fn run(
    s: &mut Session<'_, '_>,
    code: u32,
    verb: &str,
    selected: impl Fn(msi_expr::InstallState, msi_expr::InstallState) -> bool,
) -> ActionResult {
    let comps = components(s);
    let modules: Vec<String> = files(s)
        .into_iter()
        .filter_map(|file| {
            let plan = s.ctx.plan()?;
            let f = plan.files.iter().find(|f| f.file == file)?;
            let &(installed, action, _) = comps.get(&f.component)?;
            selected(installed, action).then(|| f.target.display().to_string())
        })
        .collect();
    for module in modules {
        s.log.engine(&format!(
            "Error {code}. Module {module} failed to {verb}.  HRESULT {BAD_EXE_FORMAT}.  Contact your support personnel. (self-registration runs Windows code, which cannot run on this platform)"
        ));
    }
    ActionResult::Success
}

/// SelfRegModules: the modules of the components being installed.
pub(crate) fn register(s: &mut Session<'_, '_>) -> ActionResult {
    run(s, 1904, "register", |_, action| installing(action))
}

/// SelfUnregModules: the modules of the components being removed.
pub(crate) fn unregister(s: &mut Session<'_, '_>) -> ActionResult {
    run(s, 1905, "unregister", removing)
}
