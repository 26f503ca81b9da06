//! The service actions: InstallServices (the ServiceInstall table), StopServices,
//! DeleteServices and StartServices (the ServiceControl table), MsiConfigureServices (the
//! MsiServiceConfig and MsiServiceConfigFailureActions tables) — "InstallServices action",
//! "StopServices action", "DeleteServices action", "StartServices action",
//! "MsiConfigureServices action" and their tables' pages.
//!
//! A service is what the service control manager keeps under
//! `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\<Name>` (the key Windows' and Wine's
//! service managers read at start): InstallServices writes there the values `CreateService`
//! leaves ([`install_change`]), MsiConfigureServices those `ChangeServiceConfig2` leaves
//! ([`config_values`], [`failure_actions`]), and DeleteServices removes the key. Like every
//! registry change, each becomes a [`RegChange`] applied when the installation commits, in
//! the transaction that records the product, and rolled back with it.
//!
//! * InstallServices: each ServiceInstall row whose component is being installed. The
//!   image path is the component's key file (quoted when it holds a blank) followed by
//!   Arguments; the Formatted columns are formatted. A row the service manager would refuse
//!   (a name with `/` or `\`, a driver type, a boot or system start, an interactive service
//!   under another account than LocalSystem, a component whose key path is not a file) is
//!   error 1923 ("Service '[2]' ([3]) could not be installed..."): it fails the installation
//!   when ErrorControl carries `msidbServiceInstallErrorControlVital` (0x8000), else it is
//!   logged and the installation goes on. A service that exists already is changed as
//!   `ChangeServiceConfig` changes it: the row's values replace the service's, null columns
//!   leave them. The Password is never written to the registry (Windows keeps it in the LSA's
//!   secrets, outside it): this engine keeps it nowhere and masks it in the log.
//! * DeleteServices: the ServiceControl rows with `msidbServiceControlEventDelete` (0x008)
//!   whose component is being installed, or `msidbServiceControlEventUninstallDelete`
//!   (0x080) whose component is being removed: the service's key goes. As the ServiceInstall
//!   table's page says, a service is not deleted at uninstall without such a row.
//! * StopServices and StartServices: the rows with the stop (0x002, 0x020) or start (0x001,
//!   0x010) events. No Windows service manager runs in the `windows` and `fhs` layouts:
//!   each is logged as not possible here and the installation goes on (the action returns 1).
//!   In a Wine prefix the services to start are kept on the session and started through
//!   Wine once the registry files are committed ([`start_in_wine`]); none can be running
//!   there before (no `wineserver` serves a prefix being installed into).
//! * MsiConfigureServices: the rows whose Event matches what happens to their component
//!   (install 1, uninstall 2, reinstall 4), for a service that exists or that this
//!   installation installs; any other is error 1939, which fails the installation.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use msi_expr::InstallState;
use winreg::{Root, Value, View};

use super::registry_values::{components, installing, removing};
use super::table_rows::Row;
use crate::layout::Layout;
use crate::log::Log;
use crate::sequence::ActionResult;
use crate::session::Session;
use crate::winstate::RegChange;
use crate::winstate::services::{ServiceChange, service_key};

/// `msidbServiceInstallErrorControlVital`: the installation fails when the service cannot
/// be installed.
const ERROR_CONTROL_VITAL: i32 = 0x8000;
/// `SERVICE_WIN32_OWN_PROCESS`, `SERVICE_WIN32_SHARE_PROCESS`, `SERVICE_INTERACTIVE_PROCESS`.
const OWN_PROCESS: i32 = 0x10;
const SHARE_PROCESS: i32 = 0x20;
const INTERACTIVE: i32 = 0x100;
/// `INFINITE`: a failure count never reset (a null ResetPeriod).
const INFINITE: u32 = 0xFFFF_FFFF;
/// The default preshutdown timeout, 3 minutes ("MsiServiceConfig table").
const DEFAULT_PRESHUTDOWN_MS: u32 = 180_000;
/// How long StartServices waits for a service with Wait null or 1 ("ServiceControl
/// table": at most 30 seconds).
const START_WAIT: Duration = Duration::from_secs(30);

/// A ServiceInstall row, its Formatted columns formatted (`[~]` is a NUL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ServiceRow {
    /// The ServiceInstall key.
    pub(crate) key: String,
    /// Name.
    pub(crate) name: String,
    /// DisplayName (`None`: null or empty).
    pub(crate) display_name: Option<String>,
    /// ServiceType.
    pub(crate) service_type: i32,
    /// StartType.
    pub(crate) start_type: i32,
    /// ErrorControl, with the vital flag.
    pub(crate) error_control: i32,
    /// LoadOrderGroup.
    pub(crate) load_order_group: Option<String>,
    /// Dependencies (NUL-separated).
    pub(crate) dependencies: Option<String>,
    /// StartName.
    pub(crate) start_name: Option<String>,
    /// Whether a Password is given (its value never leaves the action).
    pub(crate) has_password: bool,
    /// Arguments.
    pub(crate) arguments: Option<String>,
    /// Description (`Some("\0")`: `[~]`, erase it).
    pub(crate) description: Option<String>,
    /// Component_.
    pub(crate) component: String,
}

impl ServiceRow {
    /// The name shown in messages: the display name, else the name.
    fn shown(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }
}

/// Why the service manager would refuse the row (`CreateService`'s checks, and the
/// ServiceInstall table's unsupported types and start types); `None` when it accepts it.
pub(crate) fn refusal(row: &ServiceRow) -> Option<&'static str> {
    if row.name.is_empty() || row.name.chars().count() > 256 {
        return Some("the name is empty or longer than 256 characters (ERROR_INVALID_NAME)");
    }
    if row.name.contains(['/', '\\']) {
        return Some("the name holds '/' or '\\' (ERROR_INVALID_NAME)");
    }
    let base = row.service_type & !INTERACTIVE;
    if base != OWN_PROCESS && base != SHARE_PROCESS {
        return Some(
            "the service type is not SERVICE_WIN32_OWN_PROCESS or SERVICE_WIN32_SHARE_PROCESS (drivers are not supported)",
        );
    }
    if row.service_type & INTERACTIVE != 0
        && row
            .start_name
            .as_deref()
            .is_some_and(|n| !n.eq_ignore_ascii_case("LocalSystem"))
    {
        return Some("an interactive service must run as LocalSystem (ERROR_INVALID_PARAMETER)");
    }
    if !(2..=4).contains(&row.start_type) {
        return Some(
            "the start type is not SERVICE_AUTO_START, SERVICE_DEMAND_START or SERVICE_DISABLED",
        );
    }
    if !(0..=3).contains(&(row.error_control & !ERROR_CONTROL_VITAL)) {
        return Some("the error control is not a SERVICE_ERROR_* value (ERROR_INVALID_PARAMETER)");
    }
    None
}

/// The items of a NUL-separated list (empty items dropped).
fn nul_list(text: &str) -> Vec<String> {
    text.split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A value as `ChangeServiceConfig2` and the NUL-list columns take it: `None` for a null or
/// empty column, `Some("")` for `[~]` alone (erase).
fn erasable(text: Option<&str>) -> Option<Option<&str>> {
    match text {
        None | Some("") => None,
        Some("\0") => Some(None),
        Some(t) => Some(Some(t)),
    }
}

/// The image path `CreateService` is given: the key file, quoted when it holds a blank,
/// then the arguments.
pub(crate) fn image_path(file: &str, arguments: Option<&str>) -> String {
    let mut out = if file.contains([' ', '\t']) {
        format!("\"{file}\"")
    } else {
        file.to_string()
    };
    if let Some(args) = arguments.filter(|a| !a.is_empty()) {
        out.push(' ');
        out.push_str(args);
    }
    out
}

/// The values `CreateService` writes for `row` with this image path (and, for an existing
/// service, what `ChangeServiceConfig` changes).
pub(crate) fn install_change(row: &ServiceRow, image: &str) -> ServiceChange {
    // In the order the service manager writes them ("CreateService function").
    let mut set = Vec::new();
    // A null display name is written nowhere: the service manager shows the name.
    if let Some(d) = &row.display_name {
        set.push(("DisplayName".to_string(), Value::Sz(d.clone())));
    }
    set.extend([
        ("Type".to_string(), Value::Dword(row.service_type as u32)),
        ("Start".to_string(), Value::Dword(row.start_type as u32)),
        (
            "ErrorControl".to_string(),
            Value::Dword((row.error_control & !ERROR_CONTROL_VITAL) as u32),
        ),
        ("ImagePath".to_string(), Value::ExpandSz(image.to_string())),
    ]);
    let mut delete = Vec::new();
    let mut if_new = Vec::new();
    if let Some(g) = row.load_order_group.as_deref().filter(|g| !g.is_empty()) {
        set.push(("Group".into(), Value::Sz(g.to_string())));
    }
    if let Some(deps) = row.dependencies.as_deref() {
        let all = nul_list(deps);
        let (groups, services): (Vec<String>, Vec<String>) =
            all.into_iter().partition(|d| d.starts_with('+'));
        let groups: Vec<String> = groups
            .into_iter()
            .map(|g| g.trim_start_matches('+').to_string())
            .filter(|g| !g.is_empty())
            .collect();
        for (name, list) in [("DependOnService", services), ("DependOnGroup", groups)] {
            if list.is_empty() {
                delete.push(name.to_string());
            } else {
                set.push((name.to_string(), Value::MultiSz(list)));
            }
        }
    }
    match row.start_name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => set.push(("ObjectName".into(), Value::Sz(n.to_string()))),
        // "ServiceInstall table": CreateService runs a Win32 service as LocalSystem when
        // StartName is null.
        None => if_new.push(("ObjectName".into(), Value::Sz("LocalSystem".into()))),
    }
    match erasable(row.description.as_deref()) {
        // Null: the existing description stays.
        None => {}
        Some(None) => delete.push("Description".into()),
        Some(Some(d)) => set.push(("Description".into(), Value::Sz(d.to_string()))),
    }
    ServiceChange::Install {
        name: row.name.clone(),
        set,
        delete,
        if_new,
    }
}

/// Reads the ServiceInstall rows, formatted.
fn service_rows(s: &Session<'_, '_>) -> Vec<ServiceRow> {
    let formatted = |t: Option<String>| {
        t.map(|t| s.format(&t))
            .filter(|t| !t.is_empty() && !t.chars().all(char::is_whitespace))
    };
    Row::all(s.package.table("ServiceInstall"))
        .iter()
        .map(|r| ServiceRow {
            key: r.text("ServiceInstall").unwrap_or_default(),
            name: s.format(&r.text("Name").unwrap_or_default()),
            display_name: formatted(r.text("DisplayName")),
            service_type: r.int("ServiceType").unwrap_or(0),
            start_type: r.int("StartType").unwrap_or(0),
            error_control: r.int("ErrorControl").unwrap_or(0),
            load_order_group: formatted(r.text("LoadOrderGroup")),
            dependencies: formatted(r.text("Dependencies")),
            start_name: formatted(r.text("StartName")),
            has_password: formatted(r.text("Password")).is_some(),
            arguments: formatted(r.text("Arguments")),
            description: r.text("Description").map(|d| s.format(&d)),
            component: r.text("Component_").unwrap_or_default(),
        })
        .collect()
}

/// The formatted Password of ServiceInstall row `key`: added to the log's secrets, so
/// that no later line shows it, and then dropped.
fn mask_password(s: &mut Session<'_, '_>, key: &str) {
    let password = Row::all(s.package.table("ServiceInstall"))
        .iter()
        .find(|r| r.text("ServiceInstall").as_deref() == Some(key))
        .and_then(|r| r.text("Password"))
        .map(|p| s.format(&p));
    if let Some(p) = password {
        s.log.add_secret(&p);
    }
}

/// The component's key file as the service manager names it: the formatted `[#File]`,
/// as the system drive names it in the `windows` layout (`C:\...`). `None` when the
/// component's key path is not a file.
fn key_file(s: &Session<'_, '_>, component: &str) -> Option<String> {
    let c = s.ctx.plan()?.component(component)?;
    let file = c.key_path.as_deref()?;
    let not_file = package::tables::component::ATTR_REGISTRY_KEY_PATH
        | package::tables::component::ATTR_ODBC_DATA_SOURCE;
    if c.attributes & not_file != 0 {
        return None;
    }
    let text = s.format(&format!("[#{file}]"));
    if text.is_empty() {
        return None;
    }
    if s.request.layout == Layout::Windows
        && let Some(drive) = super::shortcuts::windows_path(&s.root, Path::new(&text))
    {
        return Some(drive);
    }
    Some(text)
}

/// Text that may hold host paths under the root, as the system drive names them in the
/// `windows` layout (as in its shortcuts); unchanged in any other.
fn windows_text(s: &Session<'_, '_>, text: &str) -> String {
    if s.request.layout == Layout::Windows {
        super::shortcuts::windows_text(&s.root, text)
    } else {
        text.to_string()
    }
}

/// Logs error 1923 for `row`; the installation fails when the row is vital.
fn not_installed(s: &mut Session<'_, '_>, row: &ServiceRow, why: &str) -> Option<ActionResult> {
    let message = format!(
        "Error 1923. Service '{}' ({}) could not be installed. Verify that you have sufficient privileges to install system services. ({why})",
        row.shown(),
        row.name
    );
    if row.error_control & ERROR_CONTROL_VITAL != 0 {
        Some(s.fail(crate::error::Error::failure(message)))
    } else {
        s.log.engine(&message);
        None
    }
}

/// InstallServices (see the module documentation).
pub(crate) fn install(s: &mut Session<'_, '_>) -> ActionResult {
    let comps = components(s);
    for row in service_rows(s) {
        let Some(&(_, action, _)) = comps.get(&row.component) else {
            continue;
        };
        if !installing(action) {
            continue;
        }
        if row.has_password {
            mask_password(s, &row.key);
        }
        let arguments = row.arguments.as_deref().map(|a| windows_text(s, a));
        let image = key_file(s, &row.component).map(|f| image_path(&f, arguments.as_deref()));
        s.log.engine(&format!(
            "Executing op: ServiceInstall(Name={},DisplayName={},ImagePath={},ServiceType={},StartType={},ErrorControl={},LoadOrderGroup={},Dependencies={},StartName={},Password={},Description={})",
            row.name,
            row.display_name.as_deref().unwrap_or(""),
            image.as_deref().unwrap_or(""),
            row.service_type,
            row.start_type,
            row.error_control,
            row.load_order_group.as_deref().unwrap_or(""),
            row.dependencies.as_deref().unwrap_or("").replace('\0', "[~]"),
            row.start_name.as_deref().unwrap_or(""),
            if row.has_password { "**********" } else { "" },
            row.description.as_deref().unwrap_or("").replace('\0', "[~]"),
        ));
        let Some(image) = image else {
            let why = "the component's key path is not the service's executable file";
            if let Some(r) = not_installed(s, &row, why) {
                return r;
            }
            continue;
        };
        if let Some(why) = refusal(&row) {
            if let Some(r) = not_installed(s, &row, why) {
                return r;
            }
            continue;
        }
        if row.has_password {
            s.log.engine(&format!(
                "InstallServices: the password of service '{}' is not stored: Windows keeps it in the LSA's secrets, outside the registry, and this platform has no such store.",
                row.name
            ));
        }
        s.ctx
            .push_reg(RegChange::Service(install_change(&row, &image)));
    }
    ActionResult::Success
}

/// A ServiceControl row, formatted.
struct ControlRow {
    name: String,
    arguments: Vec<String>,
    wait: bool,
}

/// The ServiceControl rows whose event (`bit` at install, `bit << 4` at uninstall) applies
/// to what happens to their component.
fn control_rows(s: &Session<'_, '_>, bit: i32) -> crate::error::Result<Vec<ControlRow>> {
    let comps = components(s);
    let kept = s.ctx.components_kept_on_removal()?;
    let mut out = Vec::new();
    for r in Row::all(s.package.table("ServiceControl")) {
        let component = r.text("Component_").unwrap_or_default();
        let Some(&(installed, action, _)) = comps.get(&component) else {
            continue;
        };
        let event = r.int("Event").unwrap_or(0);
        let applies = if installing(action) {
            event & bit != 0
        } else if removing(installed, action) && !kept.contains(&component) {
            event & (bit << 4) != 0
        } else {
            false
        };
        if !applies {
            continue;
        }
        out.push(ControlRow {
            name: s.format(&r.text("Name").unwrap_or_default()),
            arguments: r
                .text("Arguments")
                .map(|a| nul_list(&windows_text(s, &s.format(&a))))
                .unwrap_or_default(),
            // "ServiceControl table": null or 1 waits for the service (at most 30 s), 0
            // only until the service manager reports it pending.
            wait: r.int("Wait") != Some(0),
        });
    }
    Ok(out)
}

/// The name messages show for service `name`: the display name its ServiceInstall row
/// gives, else the name.
fn shown_name(s: &Session<'_, '_>, name: &str) -> String {
    Row::all(s.package.table("ServiceInstall"))
        .iter()
        .find(|r| {
            r.text("Name")
                .is_some_and(|n| s.format(&n).eq_ignore_ascii_case(name))
        })
        .and_then(|r| r.text("DisplayName"))
        .map(|d| s.format(&d))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| name.to_string())
}

/// The script line Windows logs for a ServiceControl operation (`action`: 1 start, 2 stop,
/// 8 delete).
fn log_control(s: &mut Session<'_, '_>, row: &ControlRow, action: i32) {
    s.log.engine(&format!(
        "Executing op: ServiceControl(,Name={},Action={action},Wait={},{})",
        row.name,
        i32::from(row.wait),
        row.arguments.join("[~]")
    ));
}

/// The Wine prefix the installation writes (`--wine-prefix DIR`), whose service manager
/// starts services after the commit; `None` in the `windows` and `fhs` layouts (no service
/// manager runs there).
fn wine_prefix(s: &Session<'_, '_>) -> Option<std::path::PathBuf> {
    s.wine_prefix().map(Path::to_path_buf)
}

/// StopServices (see the module documentation).
pub(crate) fn stop(s: &mut Session<'_, '_>) -> ActionResult {
    let rows = match control_rows(s, 0x002) {
        Ok(r) => r,
        Err(e) => return s.fail(e),
    };
    let in_prefix = wine_prefix(s).is_some();
    for row in rows {
        log_control(s, &row, 0x002);
        let shown = shown_name(s, &row.name);
        let why = if in_prefix {
            "no wineserver serves the prefix, so no service of it runs"
        } else {
            "no Windows service manager runs on this platform"
        };
        s.log.engine(&format!(
            "Info 1921. Service '{shown}' ({}) was not stopped: {why}. The installation goes on.",
            row.name
        ));
    }
    ActionResult::Success
}

/// DeleteServices (see the module documentation).
pub(crate) fn delete(s: &mut Session<'_, '_>) -> ActionResult {
    let rows = match control_rows(s, 0x008) {
        Ok(r) => r,
        Err(e) => return s.fail(e),
    };
    for row in rows {
        log_control(s, &row, 0x008);
        if row.name.is_empty() || row.name.contains('\\') {
            let shown = shown_name(s, &row.name);
            s.log.engine(&format!(
                "Error 1922. Service '{shown}' ({}) could not be deleted. Verify that you have sufficient privileges to remove system services. (not a service name)",
                row.name
            ));
            continue;
        }
        s.ctx.push_reg(RegChange::DeleteTree {
            view: View::Native64,
            root: Root::LocalMachine,
            key: service_key(&row.name),
        });
    }
    ActionResult::Success
}

/// A service StartServices starts after the commit (in a Wine prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceStart {
    /// The service's name.
    pub(crate) name: String,
    /// The name messages show.
    pub(crate) shown: String,
    /// The arguments `StartService` passes (ServiceControl's Arguments).
    pub(crate) arguments: Vec<String>,
    /// Wait until it runs (at most 30 s), else only until it is pending.
    pub(crate) wait: bool,
}

/// StartServices (see the module documentation).
pub(crate) fn start(s: &mut Session<'_, '_>) -> ActionResult {
    let rows = match control_rows(s, 0x001) {
        Ok(r) => r,
        Err(e) => return s.fail(e),
    };
    let prefix = wine_prefix(s);
    for row in rows {
        log_control(s, &row, 0x001);
        let shown = shown_name(s, &row.name);
        if prefix.is_some() {
            s.log.engine(&format!(
                "StartServices: service '{shown}' ({}) is started through Wine once the installation is committed.",
                row.name
            ));
            s.start_after_commit(ServiceStart {
                name: row.name.clone(),
                shown,
                arguments: row.arguments.clone(),
                wait: row.wait,
            });
        } else {
            s.log.engine(&format!(
                "Info 1920. Service '{shown}' ({}) was not started: no Windows service manager runs on this platform (a Wine prefix starts it through Wine). The installation goes on.",
                row.name
            ));
        }
    }
    ActionResult::Success
}

/// After the commit: the services StartServices kept are started through Wine in the
/// prefix the installation wrote (nothing outside a prefix).
pub(crate) fn after_commit(s: &mut Session<'_, '_>) {
    let queued = s.take_services_to_start();
    if queued.is_empty() {
        return;
    }
    if let Some(prefix) = wine_prefix(s) {
        start_in_wine(&prefix, &queued, s.log);
    }
}

/// Runs `wine ARGS` in `prefix` (its output captured), killed after `limit`.
fn wine(prefix: &Path, args: &[&str], limit: Duration) -> std::io::Result<(bool, String)> {
    let mut child = Command::new("wine")
        .args(args)
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        // No Mono or Gecko installer dialog if Wine updates the prefix first.
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let started = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output()?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

/// Starts `services` through Wine's service control in `prefix` (`wine sc start NAME
/// ARGS...`), after the registry files holding them were committed: Wine's service manager
/// reads them when it starts. Wine's `StartService` returns once the service reported its
/// state (or Wine's own timeout passed), and `sc` prints that state: a service with `wait`
/// must be running, one without only started (running or start pending), as the
/// ServiceControl table's Wait column says. A service that does not start is error 1920,
/// logged as a warning: the installation is committed already. Returns the names of those
/// that did not start.
///
/// Wine ends its service manager, and the services it runs, when the last Wine program of
/// the prefix ends: a service started here has started (and done what it does at start),
/// and runs again when a program of the prefix starts the service manager.
pub(crate) fn start_in_wine(
    prefix: &Path,
    services: &[ServiceStart],
    log: &mut Log,
) -> Vec<String> {
    let mut failed = Vec::new();
    for svc in services {
        let mut args = vec!["sc", "start", svc.name.as_str()];
        args.extend(svc.arguments.iter().map(String::as_str));
        let result = wine(prefix, &args, Duration::from_secs(60) + START_WAIT);
        let state = |text: &str, word: &str| {
            text.lines()
                .any(|l| l.contains("STATE") && l.split_whitespace().any(|w| w == word))
        };
        let started = match &result {
            Ok((true, text)) => {
                state(text, "RUNNING") || (!svc.wait && state(text, "START_PENDING"))
            }
            _ => false,
        };
        if started {
            log.engine(&format!(
                "StartServices: service '{}' ({}) started through Wine.",
                svc.shown, svc.name
            ));
        } else {
            let detail = match result {
                Ok((_, text)) => text.split_whitespace().collect::<Vec<_>>().join(" "),
                Err(e) => format!("wine cannot run: {e}"),
            };
            log.engine(&format!(
                "Error 1920. Service '{}' ({}) failed to start. Verify that you have sufficient privileges to start system services. (wine sc start: {detail}; the installation stands)",
                svc.shown, svc.name
            ));
            failed.push(svc.name.clone());
        }
    }
    failed
}

/// `msidbServiceConfigEvent*`: what happens to the component.
fn config_event(installed: InstallState, action: InstallState) -> i32 {
    if installing(action) {
        if installing(installed) { 4 } else { 1 }
    } else if removing(installed, action) {
        2
    } else {
        0
    }
}

/// The value `ChangeServiceConfig2` leaves for an MsiServiceConfig row: (name, value),
/// `None` for a value deleted; `Err` for a ConfigType or Argument it refuses.
pub(crate) fn config_values(
    config_type: i32,
    argument: Option<&str>,
) -> Result<(String, Option<Value>), &'static str> {
    let dword = |allowed: &[u32]| -> Result<Value, &'static str> {
        let n: u32 = argument
            .unwrap_or("")
            .trim()
            .parse()
            .map_err(|_| "the Argument is not a number")?;
        if allowed.is_empty() || allowed.contains(&n) {
            Ok(Value::Dword(n))
        } else {
            Err("the Argument is not a value this configuration takes")
        }
    };
    Ok(match config_type {
        // SERVICE_CONFIG_DELAYED_AUTO_START_INFO: fDelayedAutostart.
        3 => ("DelayedAutostart".into(), Some(dword(&[0, 1])?)),
        // SERVICE_CONFIG_FAILURE_ACTIONS_FLAG: fFailureActionsOnNonCrashFailures.
        4 => (
            "FailureActionsOnNonCrashFailures".into(),
            Some(dword(&[0, 1])?),
        ),
        // SERVICE_CONFIG_SERVICE_SID_INFO: none, unrestricted, restricted.
        5 => ("ServiceSidType".into(), Some(dword(&[0, 1, 3])?)),
        // SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO: a NUL-separated list.
        6 => {
            let list = nul_list(argument.unwrap_or(""));
            if list.is_empty() {
                ("RequiredPrivileges".into(), None)
            } else {
                ("RequiredPrivileges".into(), Some(Value::MultiSz(list)))
            }
        }
        // SERVICE_CONFIG_PRESHUTDOWN_INFO: milliseconds; empty resets to 3 minutes.
        7 => match argument.map(str::trim).filter(|a| !a.is_empty()) {
            None => (
                "PreshutdownTimeout".into(),
                Some(Value::Dword(DEFAULT_PRESHUTDOWN_MS)),
            ),
            Some(_) => ("PreshutdownTimeout".into(), Some(dword(&[])?)),
        },
        _ => return Err("the ConfigType is not one MsiServiceConfig takes"),
    })
}

/// The `FailureActions` value `ChangeServiceConfig2` stores (`SERVICE_FAILURE_ACTIONS` as
/// the service manager keeps it: the reset period, two empty string slots, the count, the
/// offset of the actions (20), then each `SC_ACTION` as its type and delay), from the
/// MsiServiceConfigFailureActions columns (Text lists separated by `[~]`).
pub(crate) fn failure_actions(
    reset_period: Option<i32>,
    actions: &str,
    delays: Option<&str>,
) -> Result<Vec<u8>, &'static str> {
    let list = |text: &str| -> Result<Vec<u32>, &'static str> {
        text.split("[~]")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse::<u32>()
                    .map_err(|_| "an action or delay is not a number")
            })
            .collect()
    };
    let types = list(actions)?;
    let delays = match delays {
        Some(d) => list(d)?,
        None => vec![0; types.len()],
    };
    if delays.len() != types.len() {
        return Err("DelayActions does not have one delay per action");
    }
    if types.iter().any(|t| *t > 3) {
        return Err("an action is not an SC_ACTION_* value");
    }
    let count = u32::try_from(types.len()).map_err(|_| "too many actions")?;
    let reset = reset_period.map_or(INFINITE, |r| r as u32);
    let mut out = Vec::with_capacity(20 + 8 * types.len());
    for word in [reset, 0, 0, count, if count > 0 { 20 } else { 0 }] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    for (t, d) in types.iter().zip(&delays) {
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&d.to_le_bytes());
    }
    Ok(out)
}

/// Whether service `name` exists when the installation commits: this installation
/// installs it, or it exists now and this installation does not delete it.
fn will_exist(s: &Session<'_, '_>, name: &str) -> crate::error::Result<bool> {
    let comps = components(s);
    let installed_here = service_rows(s).iter().any(|r| {
        r.name.eq_ignore_ascii_case(name)
            && comps
                .get(&r.component)
                .is_some_and(|&(_, action, _)| installing(action))
    });
    if installed_here {
        return Ok(true);
    }
    let deleted_here = control_rows(s, 0x008)?
        .iter()
        .any(|r| r.name.eq_ignore_ascii_case(name));
    let key = service_key(name);
    let exists = s
        .ctx
        .read_registry(|reg| reg.key_exists(View::Native64, Root::LocalMachine, &key))?
        .unwrap_or(false);
    Ok(exists && !deleted_here)
}

/// Logs error 1939 for service `name` and fails the installation.
fn not_configured(s: &mut Session<'_, '_>, name: &str, why: &str) -> ActionResult {
    let shown = shown_name(s, name);
    s.fail(crate::error::Error::failure(format!(
        "Error 1939. Service '{shown}' ({name}) could not be configured. This could be a problem with the package or your permissions. Verify that you have sufficient privileges to configure system services. ({why})"
    )))
}

/// MsiConfigureServices (see the module documentation).
pub(crate) fn configure(s: &mut Session<'_, '_>) -> ActionResult {
    let comps = components(s);
    let event_of = |component: &str| {
        comps
            .get(component)
            .map_or(0, |&(installed, action, _)| config_event(installed, action))
    };
    let mut changes = Vec::new();
    for r in Row::all(s.package.table("MsiServiceConfig")) {
        let event = event_of(&r.text("Component_").unwrap_or_default());
        if event == 0 || r.int("Event").unwrap_or(0) & event == 0 {
            continue;
        }
        let name = s.format(&r.text("Name").unwrap_or_default());
        let config_type = r.int("ConfigType").unwrap_or(0);
        let argument = r.text("Argument").map(|a| s.format(&a));
        s.log.engine(&format!(
            "Executing op: ServiceConfigure(Name={name},Event={event},ConfigType={config_type},Argument={})",
            argument.as_deref().unwrap_or("").replace('\0', "[~]")
        ));
        let (value_name, value) = match config_values(config_type, argument.as_deref()) {
            Ok(v) => v,
            Err(why) => return not_configured(s, &name, why),
        };
        let (set, delete) = match value {
            Some(v) => (vec![(value_name, v)], Vec::new()),
            None => (Vec::new(), vec![value_name]),
        };
        changes.push((name, set, delete));
    }
    for r in Row::all(s.package.table("MsiServiceConfigFailureActions")) {
        let event = event_of(&r.text("Component_").unwrap_or_default());
        if event == 0 || r.int("Event").unwrap_or(0) & event == 0 {
            continue;
        }
        let name = s.format(&r.text("Name").unwrap_or_default());
        let reset = r.int("ResetPeriod");
        let reboot = r.text("RebootMessage").map(|m| s.format(&m));
        let command = r.text("Command").map(|c| windows_text(s, &s.format(&c)));
        let actions = r.text("Actions");
        let delays = r.text("DelayActions");
        s.log.engine(&format!(
            "Executing op: ServiceConfigureFailureActions(Name={name},Event={event},ResetPeriod={},RebootMessage={},Command={},Actions={},DelayActions={})",
            reset.map(|r| r.to_string()).unwrap_or_default(),
            reboot.as_deref().unwrap_or("").replace('\0', "[~]"),
            command.as_deref().unwrap_or("").replace('\0', "[~]"),
            actions.as_deref().unwrap_or(""),
            delays.as_deref().unwrap_or(""),
        ));
        let (mut set, mut delete) = (Vec::new(), Vec::new());
        // A null Actions leaves the actions (and the reset period) as they are.
        if let Some(actions) = actions.as_deref().filter(|a| !a.is_empty()) {
            match failure_actions(reset, actions, delays.as_deref()) {
                Ok(bytes) => set.push(("FailureActions".to_string(), Value::Binary(bytes))),
                Err(why) => return not_configured(s, &name, why),
            }
        }
        // "" leaves the message or command; `[~]` deletes it.
        for (value_name, text) in [("RebootMessage", &reboot), ("FailureCommand", &command)] {
            match erasable(text.as_deref()) {
                None => {}
                Some(None) => delete.push(value_name.to_string()),
                Some(Some(t)) => set.push((value_name.to_string(), Value::Sz(t.to_string()))),
            }
        }
        changes.push((name, set, delete));
    }
    for (name, set, delete) in changes {
        match will_exist(s, &name) {
            Ok(true) => {}
            Ok(false) => {
                return not_configured(s, &name, "no such service is installed or being installed");
            }
            Err(e) => return s.fail(e),
        }
        s.ctx.push_reg(RegChange::Service(ServiceChange::Configure {
            name,
            set,
            delete,
        }));
    }
    ActionResult::Success
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::winstate::services::apply;
    use winreg::Registry;

    fn row() -> ServiceRow {
        ServiceRow {
            key: "S".into(),
            name: "RmsiSvc".into(),
            service_type: OWN_PROCESS,
            start_type: 3,
            error_control: 1 | ERROR_CONTROL_VITAL,
            component: "C".into(),
            ..ServiceRow::default()
        }
    }

    #[test]
    fn create_service_values() {
        let mut r = row();
        r.display_name = Some("Rmsi".into());
        r.load_order_group = Some("G".into());
        r.dependencies = Some("RpcSs\0+Grp\0Other\0\0".into());
        r.description = Some("d".into());
        let ServiceChange::Install {
            set,
            delete,
            if_new,
            ..
        } = install_change(&r, r#""C:\a b\svc.exe" -x"#)
        else {
            panic!("not an install");
        };
        assert_eq!(
            set,
            vec![
                ("DisplayName".into(), Value::Sz("Rmsi".into())),
                ("Type".into(), Value::Dword(16)),
                ("Start".into(), Value::Dword(3)),
                ("ErrorControl".into(), Value::Dword(1)),
                (
                    "ImagePath".into(),
                    Value::ExpandSz(r#""C:\a b\svc.exe" -x"#.into())
                ),
                ("Group".into(), Value::Sz("G".into())),
                (
                    "DependOnService".into(),
                    Value::MultiSz(vec!["RpcSs".into(), "Other".into()])
                ),
                ("DependOnGroup".into(), Value::MultiSz(vec!["Grp".into()])),
                ("Description".into(), Value::Sz("d".into())),
            ]
        );
        assert!(delete.is_empty());
        assert_eq!(
            if_new,
            vec![("ObjectName".into(), Value::Sz("LocalSystem".into()))]
        );
        // `[~]` erases the description; a null display name is written nowhere.
        r.description = Some("\0".into());
        r.display_name = None;
        let ServiceChange::Install { set, delete, .. } = install_change(&r, "x") else {
            panic!("not an install");
        };
        assert_eq!(delete, vec!["Description".to_string()]);
        assert!(set.iter().all(|(n, _)| n != "DisplayName"));
    }

    #[test]
    fn image_path_quotes_blanks_only() {
        assert_eq!(image_path("/opt/a/svc.exe", None), "/opt/a/svc.exe");
        assert_eq!(
            image_path(r"C:\Program Files\a.exe", Some("-x y")),
            r#""C:\Program Files\a.exe" -x y"#
        );
    }

    #[test]
    fn refused_rows() {
        assert_eq!(refusal(&row()), None);
        let mut r = row();
        r.name = r"a\b".into();
        assert!(refusal(&r).is_some());
        let mut r = row();
        r.service_type = 1;
        assert!(refusal(&r).is_some());
        let mut r = row();
        r.start_type = 0;
        assert!(refusal(&r).is_some());
        let mut r = row();
        r.service_type = OWN_PROCESS | INTERACTIVE;
        r.start_name = Some(r".\user".into());
        assert!(refusal(&r).is_some());
        r.start_name = Some("localsystem".into());
        assert_eq!(refusal(&r), None);
    }

    #[test]
    fn failure_actions_as_the_service_manager_keeps_them() {
        let bytes = failure_actions(Some(86400), "1[~]1[~]0", Some("60000[~]120000[~]0")).unwrap();
        let words: Vec<u32> = bytes
            .chunks(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(words, vec![86400, 0, 0, 3, 20, 1, 60000, 1, 120000, 0, 0]);
        let never = failure_actions(None, "2", Some("5")).unwrap();
        assert_eq!(&never[..4], &INFINITE.to_le_bytes());
        assert!(failure_actions(None, "1[~]1", Some("5")).is_err());
        assert!(failure_actions(None, "7", None).is_err());
    }

    #[test]
    fn config_values_by_type() {
        assert_eq!(
            config_values(3, Some("1")),
            Ok(("DelayedAutostart".into(), Some(Value::Dword(1))))
        );
        assert_eq!(
            config_values(7, None),
            Ok(("PreshutdownTimeout".into(), Some(Value::Dword(180_000))))
        );
        assert_eq!(
            config_values(6, Some("SeChangeNotifyPrivilege\0SeBackupPrivilege")),
            Ok((
                "RequiredPrivileges".into(),
                Some(Value::MultiSz(vec![
                    "SeChangeNotifyPrivilege".into(),
                    "SeBackupPrivilege".into()
                ]))
            ))
        );
        assert!(config_values(5, Some("2")).is_err());
        assert!(config_values(9, Some("1")).is_err());
    }

    /// A Wine prefix made for one test: its `wineserver` ended and its folder removed when
    /// dropped, whatever the test did.
    struct Prefix {
        dir: tempfile::TempDir,
    }

    impl Prefix {
        fn path(&self) -> std::path::PathBuf {
            self.dir.path().join("prefix")
        }

        fn command(&self, program: &str) -> Command {
            let mut c = Command::new(program);
            c.env("WINEPREFIX", self.path())
                .env("WINEDEBUG", "-all")
                .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
                .stdin(Stdio::null());
            c
        }
    }

    impl Drop for Prefix {
        fn drop(&mut self) {
            // Only this prefix's server (WINEPREFIX selects it), with the service it runs.
            let _ = self.command("wineserver").arg("-k").status();
            let _ = self.command("wineserver").arg("-w").status();
        }
    }

    fn need(tool: &str) {
        let found = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
        assert!(
            found,
            "{tool} is needed (Debian's wine and gcc-mingw-w64-x86-64; scripts/test.sh installs them)"
        );
    }

    /// The service keys this module writes, written into a real Wine prefix's registry files
    /// while no `wineserver` serves it, are a service Wine's service manager starts:
    /// `start_in_wine` starts it with arguments, and the program (a real Windows service,
    /// `tests/packages/src/services/svc.c` built with mingw-w64) sees both its ImagePath's
    /// arguments and StartService's.
    #[test]
    fn a_service_written_into_a_wine_prefix_starts_through_wine() {
        for tool in ["wine", "wineboot", "wineserver", "x86_64-w64-mingw32-gcc"] {
            need(tool);
        }
        let prefix = Prefix {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        let booted = prefix
            .command("wineboot")
            .arg("-i")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run wineboot");
        assert!(booted.success(), "wineboot -i failed: {booted}");
        // The registry files are edited only once the prefix's server has saved and ended.
        let ended = prefix
            .command("wineserver")
            .arg("-w")
            .status()
            .expect("wineserver -w");
        assert!(ended.success());

        let folder = prefix.path().join("drive_c/Program Files/rmsi svc");
        fs_err::create_dir_all(&folder).expect("mkdir");
        let source =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/src/services/svc.c");
        let built = Command::new("x86_64-w64-mingw32-gcc")
            .args(["-municode", "-O2", "-s", "-o"])
            .arg(folder.join("svc.exe"))
            .arg(&source)
            .status()
            .expect("run mingw-w64");
        assert!(built.success(), "svc.c does not build");

        let row = ServiceRow {
            name: "RmsiWineSvc".into(),
            display_name: Some("Rmsi Wine Service".into()),
            service_type: OWN_PROCESS,
            start_type: 3,
            error_control: 1,
            description: Some("started by the services test".into()),
            ..ServiceRow::default()
        };
        let image = image_path(
            r"C:\Program Files\rmsi svc\svc.exe",
            Some("--from-image-path"),
        );
        let mut reg = Registry::new(
            winreg::WinePrefix::open(&prefix.path()).expect("a Wine prefix"),
            winreg::DEFAULT_USER_SID,
        );
        apply(&mut reg, &install_change(&row, &image)).expect("write the service");
        let mut store = reg.into_store();
        store.save().expect("save the registry files");

        let log_path = prefix.dir.path().join("start.log");
        let mut log = Log::create_new(&log_path).expect("log");
        let failed = start_in_wine(
            &prefix.path(),
            &[ServiceStart {
                name: "RmsiWineSvc".into(),
                shown: "Rmsi Wine Service".into(),
                arguments: vec!["one".into(), "two words".into()],
                wait: true,
            }],
            &mut log,
        );
        log.flush();
        let text = fs_err::read_to_string(&log_path).expect("read the log");
        assert!(failed.is_empty(), "{text}");
        assert!(
            text.contains(
                "StartServices: service 'Rmsi Wine Service' (RmsiWineSvc) started through Wine."
            ),
            "{text}"
        );
        // What the service itself wrote once its service manager started it.
        let ran = fs_err::read_to_string(folder.join("service-ran.txt")).expect("the service ran");
        let lines: Vec<&str> = ran.lines().collect();
        assert!(
            lines[0].starts_with("command line: ") && lines[0].ends_with(" --from-image-path"),
            "{ran}"
        );
        assert!(
            lines[0].contains(r"C:\Program Files\rmsi svc\svc.exe"),
            "{ran}"
        );
        assert_eq!(
            &lines[1..],
            [
                "argument 0: RmsiWineSvc",
                "argument 1: one",
                "argument 2: two words"
            ],
            "{ran}"
        );
        // A service Wine does not know is error 1920, logged; nothing fails.
        let mut log = Log::none();
        let failed = start_in_wine(
            &prefix.path(),
            &[ServiceStart {
                name: "RmsiNoSuchSvc".into(),
                shown: "RmsiNoSuchSvc".into(),
                arguments: Vec::new(),
                wait: false,
            }],
            &mut log,
        );
        assert_eq!(failed, ["RmsiNoSuchSvc"]);
    }
}
