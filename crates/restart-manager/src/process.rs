//! One process instance, told apart from any later process that reuses its pid.
//!
//! Windows identifies a process by `RM_UNIQUE_PROCESS`: its pid and its creation time. The
//! Linux analogue of the creation time is field 22 of `/proc/PID/stat` (`starttime`, in
//! clock ticks since boot): the kernel never gives two processes with the same pid the same
//! start time, so the pair names exactly one process for as long as the machine is up.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Where the kernel's process table is mounted on every Linux system.
pub(crate) const DEFAULT_PROC_ROOT: &str = "/proc";

/// A process identified by its pid **and** its start time (`RM_UNIQUE_PROCESS`).
///
/// Invariant: `start_time` is the `starttime` field of `/proc/PID/stat` for that pid, in
/// clock ticks since boot. A pid that was reused by a later process has another start time,
/// so [`UniqueProcess::is_alive`] is false for the old value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UniqueProcess {
    /// The process id.
    pub pid: u32,
    /// Start time in clock ticks since boot (field 22 of `/proc/PID/stat`).
    pub start_time: u64,
}

impl UniqueProcess {
    /// Reads the start time of the live process `pid` from `/proc`.
    ///
    /// Fails with [`io::ErrorKind::NotFound`] when no such process exists, and with
    /// [`io::ErrorKind::InvalidData`] when its `stat` line cannot be parsed.
    pub fn of(pid: u32) -> io::Result<UniqueProcess> {
        UniqueProcess::of_in(Path::new(DEFAULT_PROC_ROOT), pid)
    }

    /// Like [`UniqueProcess::of`], with the `/proc` mount given (a fake tree in tests).
    pub fn of_in(proc_root: &Path, pid: u32) -> io::Result<UniqueProcess> {
        let stat = read_stat(proc_root, pid)?;
        Ok(UniqueProcess {
            pid,
            start_time: stat.start_time,
        })
    }

    /// The calling process itself.
    pub fn current() -> io::Result<UniqueProcess> {
        UniqueProcess::of(std::process::id())
    }

    /// Whether this very process is still running: the pid exists, has the same start
    /// time, and is not a zombie (a process that has exited counts as gone even before its
    /// parent reaps it).
    pub fn is_alive(&self) -> bool {
        self.is_alive_in(Path::new(DEFAULT_PROC_ROOT))
    }

    /// Like [`UniqueProcess::is_alive`], with the `/proc` mount given.
    pub fn is_alive_in(&self, proc_root: &Path) -> bool {
        match read_stat(proc_root, self.pid) {
            Ok(stat) => stat.start_time == self.start_time && !stat.is_gone(),
            Err(_) => false,
        }
    }
}

impl std::fmt::Display for UniqueProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (start time {})", self.pid, self.start_time)
    }
}

/// The fields of `/proc/PID/stat` this crate uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stat {
    /// Field 2, without its parentheses (the kernel truncates it to 15 bytes).
    pub(crate) comm: String,
    /// Field 3: `R`, `S`, `D`, `Z`, `T`, `X`...
    pub(crate) state: char,
    /// Field 4.
    pub(crate) ppid: u32,
    /// Field 7: the controlling terminal's device number, 0 when there is none.
    pub(crate) tty_nr: u64,
    /// Field 9: the kernel's `PF_*` flags.
    pub(crate) flags: u64,
    /// Field 22: clock ticks since boot.
    pub(crate) start_time: u64,
}

/// `PF_KTHREAD` from the kernel's `include/linux/sched.h`: set on kernel threads.
const PF_KTHREAD: u64 = 0x0020_0000;

impl Stat {
    /// Parses one `stat` line.
    ///
    /// Hand-written rather than through `procfs` because only six fields are needed and
    /// the scan reads this for every affected process. The command name (field 2) may
    /// itself hold spaces and parentheses — a program can name itself `a) b (c` — so the
    /// name runs from the first `(` to the **last** `)`, and the numbered fields follow it.
    pub(crate) fn parse(line: &str) -> Option<Stat> {
        let open = line.find('(')?;
        let close = line.rfind(')')?;
        if close < open {
            return None;
        }
        let comm = line[open + 1..close].to_owned();
        // Field 3 is the first token after the name.
        let mut rest = line[close + 1..].split_ascii_whitespace();
        let state = rest.next()?.chars().next()?;
        let mut field = |n: usize| -> Option<&str> { rest.nth(n) };
        // Positions are relative to the previous read: fields 4, 7, 9 and 22.
        let ppid = field(0)?.parse().ok()?;
        let tty_nr = field(2)?.parse::<i64>().ok()? as u64;
        let flags = field(1)?.parse().ok()?;
        let start_time = field(12)?.parse().ok()?;
        Some(Stat {
            comm,
            state,
            ppid,
            tty_nr,
            flags,
            start_time,
        })
    }

    /// A zombie (`Z`) or dead (`X`/`x`) process has exited: it holds no files any more.
    pub(crate) fn is_gone(&self) -> bool {
        matches!(self.state, 'Z' | 'X' | 'x')
    }

    /// Kernel threads have no executable, no mappings and no files of their own.
    pub(crate) fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }
}

/// Reads and parses `PROC/PID/stat`.
pub(crate) fn read_stat(proc_root: &Path, pid: u32) -> io::Result<Stat> {
    let path = proc_root.join(pid.to_string()).join("stat");
    let text = std::fs::read_to_string(path)?;
    parse_stat_or_err(&text)
}

pub(crate) fn parse_stat_or_err(text: &str) -> io::Result<Stat> {
    Stat::parse(text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("unexpected /proc stat line: {:?}", text.trim_end()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLEEP: &str = "4242 (sleep) S 4200 4242 4200 34816 4242 4194304 98 0 0 0 0 0 0 0 20 0 1 0 123456 2461696 131 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    #[test]
    fn parses_the_fields_used() {
        let s = Stat::parse(SLEEP).unwrap();
        assert_eq!(s.comm, "sleep");
        assert_eq!(s.state, 'S');
        assert_eq!(s.ppid, 4200);
        assert_eq!(s.tty_nr, 34816);
        assert_eq!(s.flags, 4194304);
        assert_eq!(s.start_time, 123456);
        assert!(!s.is_kernel_thread());
        assert!(!s.is_gone());
    }

    #[test]
    fn a_name_with_spaces_and_parentheses_is_taken_up_to_the_last_paren() {
        let line = SLEEP.replace("(sleep)", "(a) Z 1 (b ))");
        let s = Stat::parse(&line).unwrap();
        assert_eq!(s.comm, "a) Z 1 (b )");
        assert_eq!(s.state, 'S');
        assert_eq!(s.start_time, 123456);
    }

    #[test]
    fn kernel_threads_and_zombies_are_recognised() {
        let kthread = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0";
        let s = Stat::parse(kthread).unwrap();
        assert!(s.is_kernel_thread());
        assert_eq!(s.tty_nr, 0);
        let zombie = SLEEP.replace(") S ", ") Z ");
        assert!(Stat::parse(&zombie).unwrap().is_gone());
    }

    #[test]
    fn truncated_lines_are_refused() {
        assert_eq!(Stat::parse("12 (x) S 1 2 3"), None);
        assert_eq!(Stat::parse("12 x S"), None);
        assert_eq!(Stat::parse(""), None);
        assert!(parse_stat_or_err("garbage").is_err());
    }

    #[test]
    fn the_current_process_is_alive_and_a_wrong_start_time_is_not() {
        let me = UniqueProcess::current().unwrap();
        assert!(me.is_alive());
        let other = UniqueProcess {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(!other.is_alive());
    }

    #[test]
    fn serde_uses_pid_and_start_time() {
        let p = UniqueProcess {
            pid: 7,
            start_time: 99,
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"pid":7,"start_time":99}"#);
        assert_eq!(serde_json::from_str::<UniqueProcess>(&json).unwrap(), p);
    }
}
