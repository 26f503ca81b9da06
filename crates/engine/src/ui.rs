//! What the engine asks of its user interface, and what it tells it: the [`InstallUi`]
//! trait (progress, the files-in-use prompts, cancellation), the applications shown at a
//! files-in-use prompt ([`AppInUse`]) and the user's choices there. The engine's other
//! modules use these types; this module uses none of theirs.

/// What the user chose at a files-in-use prompt (the MsiRMFilesInUse dialog's choices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilesInUseChoice {
    /// "Automatically close applications and restart them."
    CloseAndRestart,
    /// "Do not close applications. (A reboot will be required.)"
    DoNotClose,
    /// Cancel the installation (1602).
    Cancel,
}

/// What the user chose at the legacy FilesInUse prompt (the `FilesInUse` dialog's
/// `EndDialog` values, "FilesInUse Dialog"), shown when the Restart Manager is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyFilesInUseChoice {
    /// Look again for the files' holders (the user closed some); ask again while any holds.
    Retry,
    /// Go on: the files are replaced under the running holders and a restart is required.
    Ignore,
    /// Cancel the installation (1602).
    Exit,
}

/// One application holding files the install replaces or removes, as shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInUse {
    /// Process id.
    pub pid: u32,
    /// The application's name (executable or service name).
    pub name: String,
    /// The Restart Manager's application type name (`RmConsole`, `RmService`, …).
    pub app_type: &'static str,
    /// Whether the Restart Manager can restart it.
    pub restartable: bool,
}

/// What the engine asks of its user interface. Every method has a silent default.
pub trait InstallUi {
    /// An action starts.
    fn action(&mut self, _name: &str) {}
    /// Files extracted so far, of the total.
    fn progress(&mut self, _done: u64, _total: u64) {}
    /// At full UI: applications hold files the install replaces. `None`: nobody to ask;
    /// the quiet default applies (shut them down).
    fn files_in_use(&mut self, _apps: &[AppInUse]) -> Option<FilesInUseChoice> {
        None
    }
    /// At full UI, without the Restart Manager: the legacy FilesInUse prompt (Retry, Ignore,
    /// Exit). `None`: nobody to ask; the quiet default applies (leave them running).
    fn files_in_use_legacy(&mut self, _apps: &[AppInUse]) -> Option<LegacyFilesInUseChoice> {
        None
    }
    /// Whether the user asked to cancel (Ctrl-C): checked before each action and between
    /// files; the install then ends as a user exit (1602) and is rolled back.
    fn cancelled(&mut self) -> bool {
        false
    }
}

/// The flag [`cancel_on_signals`] sets.
static CANCEL_REQUESTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn request_cancel(_signal: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    CANCEL_REQUESTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Makes SIGINT and SIGTERM request a cancel instead of killing the process, so that an
/// interrupted install rolls back (1602) rather than leaving the root half-changed. Returns
/// the flag they set, for [`InstallUi::cancelled`].
pub fn cancel_on_signals() -> &'static std::sync::atomic::AtomicBool {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        for signal in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: `sigaction` with a zeroed struct, an empty mask and a handler that
            // only stores to an atomic (async-signal-safe); SA_RESTART keeps blocking calls
            // (waiting for a custom action) going. No other code of this process installs
            // handlers for these signals.
            #[allow(unsafe_code)]
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = request_cancel as *const () as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    });
    &CANCEL_REQUESTED
}

/// A user interface that shows nothing and asks nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoUi;

impl InstallUi for NoUi {}
