//! The end of every session, whatever its result: the Restart Manager's session ended (with
//! the applications it shut down restarted), the properties dumped, the closing lines, and
//! the outcome (3010 when a restart is needed).

use crate::error::{Outcome, Result};

use super::Session;

impl Session<'_, '_> {
    /// Ends the session whose install ended with `result` (see the module documentation).
    pub(super) fn close(&mut self, result: Result<()>) -> Result<Outcome> {
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
        // REBOOT=Force (first letter F, "REBOOT property") makes a restart needed too.
        let forced = self
            .prop("REBOOT")
            .is_some_and(|v| v.starts_with(['F', 'f']));
        if self.reboot_required || forced {
            Ok(Outcome::RebootRequired)
        } else {
            Ok(Outcome::Success)
        }
    }

    /// The final `Property(S):` dump (hidden values masked by the log).
    fn dump_properties(&mut self) {
        let props = self.ctx.all_properties();
        self.log
            .property_dump(props.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    }
}
