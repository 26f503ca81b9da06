//! The services' keys the service actions change (InstallServices, MsiConfigureServices,
//! DeleteServices: see `crate::actions::services`), and how a change applies to the
//! registry when the installation commits.

use winreg::{Registry, Root, Store, Value, View};

/// The service manager's database under `HKEY_LOCAL_MACHINE`.
pub(crate) const SERVICES_KEY: &str = r"SYSTEM\CurrentControlSet\Services";

/// The key of service `name` under `HKEY_LOCAL_MACHINE`.
pub(crate) fn service_key(name: &str) -> String {
    format!(r"{SERVICES_KEY}\{name}")
}

/// A change to a service's key, applied at commit ([`apply`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServiceChange {
    /// InstallServices: `CreateService`, or `ChangeServiceConfig` when the service exists.
    Install {
        /// The service's name (its key's name).
        name: String,
        /// Values written in both cases.
        set: Vec<(String, Value)>,
        /// Values deleted in both cases (a Description erased with `[~]`).
        delete: Vec<String>,
        /// Values written only when the service is created (what `CreateService` fills in
        /// for a null argument, where `ChangeServiceConfig` changes nothing).
        if_new: Vec<(String, Value)>,
    },
    /// MsiConfigureServices: `ChangeServiceConfig2`, on a service that exists at commit.
    Configure {
        /// The service's name.
        name: String,
        /// Values written.
        set: Vec<(String, Value)>,
        /// Values deleted.
        delete: Vec<String>,
    },
}

/// Applies one service change to `reg` (the 64-bit view: `HKLM\SYSTEM` is shared by both).
pub(crate) fn apply<S: Store>(reg: &mut Registry<S>, change: &ServiceChange) -> winreg::Result<()> {
    let (view, root) = (View::Native64, Root::LocalMachine);
    match change {
        ServiceChange::Install {
            name,
            set,
            delete,
            if_new,
        } => {
            let key = service_key(name);
            let new = !reg.key_exists(view, root, &key)?;
            reg.create_key(view, root, &key)?;
            for (value_name, value) in set.iter().chain(if_new.iter().filter(|_| new)) {
                reg.set(view, root, &key, Some(value_name), value)?;
            }
            for value_name in delete {
                reg.delete_value(view, root, &key, Some(value_name))?;
            }
        }
        ServiceChange::Configure { name, set, delete } => {
            let key = service_key(name);
            // Deleted since the action ran: nothing to configure (the action checked that it
            // would exist).
            if !reg.key_exists(view, root, &key)? {
                return Ok(());
            }
            for (value_name, value) in set {
                reg.set(view, root, &key, Some(value_name), value)?;
            }
            for value_name in delete {
                reg.delete_value(view, root, &key, Some(value_name))?;
            }
        }
    }
    Ok(())
}
