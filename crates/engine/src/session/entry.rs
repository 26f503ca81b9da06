//! A run from its start to its session: the administrative install's detour, the package
//! path checked, the root made and locked (with an interrupted run's recovery), the log
//! opened, the package opened with its transforms and patches, then the session, and the
//! patches recorded after it.

use std::io;
use std::path::{Path, PathBuf};

use super::Session;
use crate::error::{Error, Outcome, Result};
use crate::layout::Layout;
use crate::log::Log;
use crate::request::Resolve;
use crate::request::{InstallReport, InstallRequest};
use crate::ui::{AppInUse, InstallUi};
use package::Package;
use transaction::RootLock;

/// Runs a package into a root (see the module documentation).
pub fn install(request: &InstallRequest, ui: &mut dyn InstallUi) -> InstallReport {
    // `ACTION=ADMIN` is an administrative install ("ACTION property"), into TARGETDIR.
    if request
        .property("ACTION")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("ADMIN"))
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
    // The package's cabinets are inflated from here on (`super::inflate_ahead`): reading the
    // package needs neither the root nor its lock.
    let ahead = match resolve {
        None => super::InflateAhead::start(&base.package, base),
        Some(_) => None,
    };
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
            RootLock::acquire_trusting(
                &root,
                crate::registry::state_files(),
                match base.layout {
                    crate::layout::Layout::Wine => crate::wine::trusted_links(&root),
                    _ => Vec::new(),
                },
            ),
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
            if base.layout == crate::layout::Layout::Wine {
                crate::registry::preload_prefix(&root);
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
                Ok(request) => run_locked(&request, ui, &mut log, lock, root, made, ahead),
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
    tracing::debug!("run ended");
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
    ahead: Option<super::InflateAhead>,
) -> (Result<Outcome>, Vec<AppInUse>) {
    let started = std::time::Instant::now();
    let patch_set;
    let package = match Package::open(&request.package)
        .map_err(Error::from)
        .and_then(|p| crate::platform::check_template(p.summary()).map(|()| p))
    {
        Ok(mut p) => {
            tracing::debug!(ms = %crate::log::millis(started.elapsed()), "package opened");
            // Transforms change the tables before anything reads them ("TRANSFORMS property").
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
    let package = std::sync::Arc::new(package);
    let (result, left) = match Session::new(request, ui, &lock, root.clone(), package, log) {
        Ok(mut session) => {
            session.inflate_ahead = ahead;
            if let Some(set) = &patch_set {
                session.ctx.set_patches(set.registrations());
            }
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
pub(super) fn free_later(garbage: Box<dyn Send>) {
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
