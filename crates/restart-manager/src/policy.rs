//! Which services `rstmgr stale --restart` never restarts.
//!
//! Restarting some services takes the machine or the caller down with them: the D-Bus
//! system bus (everything that talks over it loses its connection), systemd-logind (the
//! users' sessions), the getty and display-manager units (whoever is logged in on them),
//! the user managers (`user@UID.service`: a user's whole session), and the services this
//! very command runs under — the ssh daemon serving the administrator who typed it, or
//! the unit running apt. needrestart keeps a similar list (`override_rc`). A policy file
//! adds more: one service name or glob (`*` any run of characters, `?` one) a line;
//! empty lines and lines starting with `#` are skipped.

use std::path::Path;

use crate::Error;

/// The services never restarted, whatever the policy file says.
pub const BUILTIN_DENY: &[&str] = &[
    "dbus.service",
    "dbus-broker.service",
    "dbus",
    "systemd-logind.service",
    "getty@*.service",
    "serial-getty@*.service",
    "console-getty.service",
    "container-getty@*.service",
    "getty*",
    "user@*.service",
    "display-manager.service",
    "gdm*.service",
    "lightdm.service",
    "sddm.service",
    "xdm.service",
    "emergency.service",
    "rescue.service",
];

/// The deny list of a restart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Globs of service names never restarted, with where each comes from.
    pub deny: Vec<(String, String)>,
}

impl RestartPolicy {
    /// The built-in list plus the services the given processes (the caller and its
    /// ancestors) belong to.
    pub fn builtin(caller_services: &[String]) -> RestartPolicy {
        let mut deny: Vec<(String, String)> = BUILTIN_DENY
            .iter()
            .map(|g| ((*g).to_owned(), "built-in".to_owned()))
            .collect();
        for s in caller_services {
            deny.push((s.clone(), "serves this command".to_owned()));
        }
        RestartPolicy { deny }
    }

    /// Adds the globs of a policy file.
    pub fn add_file(&mut self, path: &Path) -> Result<(), Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read the policy {}", path.display()), e))?;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.deny
                .push((line.to_owned(), format!("policy {}", path.display())));
        }
        Ok(())
    }

    /// Why `service` must not be restarted, if it must not.
    pub fn denies(&self, service: &str) -> Option<&str> {
        self.deny
            .iter()
            .find(|(glob, _)| glob_match(glob.as_bytes(), service.as_bytes()))
            .map(|(_, why)| why.as_str())
    }
}

/// `*` and `?` globbing, hand-written: two wildcards over short names do not need a
/// crate (the classic backtracking matcher, linear for one `*` and bounded by the
/// lengths otherwise).
fn glob_match(glob: &[u8], text: &[u8]) -> bool {
    let (mut g, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if g < glob.len() && (glob[g] == b'?' || glob[g] == text[t]) {
            g += 1;
            t += 1;
        } else if g < glob.len() && glob[g] == b'*' {
            star = Some((g, t));
            g += 1;
        } else if let Some((sg, st)) = star {
            g = sg + 1;
            t = st + 1;
            star = Some((sg, st + 1));
        } else {
            return false;
        }
    }
    glob[g..].iter().all(|c| *c == b'*')
}

/// The services that the process `pid` and its ancestors belong to, by `service_of`:
/// a restart must not cut the branch it sits on.
pub fn services_of_ancestors(pid: u32, service_of: &dyn Fn(u32) -> Option<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut p = pid;
    for _ in 0..64 {
        if p <= 1 {
            break;
        }
        if let Some(s) = service_of(p)
            && !out.contains(&s)
        {
            out.push(s);
        }
        match crate::process::read_stat(Path::new("/proc"), p) {
            Ok(st) => p = st.ppid,
            Err(_) => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"getty@*.service", b"getty@tty1.service"));
        assert!(!glob_match(b"getty@*.service", b"getty@tty1.socket"));
        assert!(glob_match(b"a?c", b"abc"));
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"*x*y", b"axbxy"));
        assert!(!glob_match(b"dbus.service", b"dbus.service2"));
    }

    #[test]
    fn builtin_callers_and_files_deny() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("policy");
        std::fs::write(&file, "# mine\n\npostgres*\n").unwrap();
        let mut p = RestartPolicy::builtin(&["ssh.service".to_owned()]);
        p.add_file(&file).unwrap();
        assert_eq!(p.denies("dbus.service"), Some("built-in"));
        assert_eq!(p.denies("ssh.service"), Some("serves this command"));
        assert!(
            p.denies("postgresql@15-main.service")
                .unwrap()
                .starts_with("policy ")
        );
        assert_eq!(p.denies("nginx.service"), None);
    }
}
