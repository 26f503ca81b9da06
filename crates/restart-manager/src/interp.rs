//! The main script of an interpreted program, from its command line alone.
//!
//! An interpreter (python, perl, ruby, node, java, a shell) runs code that is not in its
//! executable's mappings: replacing `/usr/bin/tool.py` leaves `python3` running the old
//! text with nothing marked `(deleted)`. The script is found by reading the interpreter's
//! command line the way the interpreter reads it — options, then the script — and
//! nothing else: no file is opened, parsed or executed (needrestart's interpreter
//! scanners, which ran code to find module paths, were the cause of several root
//! exploits). A program given on the command line as code (`-c`, `-e`) or as a module
//! (`-m`) has no script to check.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// Interpreter families, by how their command lines name the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Python,
    Perl,
    Ruby,
    Node,
    Java,
    Shell,
}

/// The family of an executable, by its file name (`python3.11`, `perl5.36.0`, `bash`...).
fn family(exe_name: &[u8]) -> Option<Family> {
    let versioned = |prefix: &[u8]| {
        exe_name
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.iter().all(|c| c.is_ascii_digit() || *c == b'.'))
    };
    if versioned(b"python") || versioned(b"pypy") {
        Some(Family::Python)
    } else if versioned(b"perl") {
        Some(Family::Perl)
    } else if versioned(b"ruby") {
        Some(Family::Ruby)
    } else if matches!(exe_name, b"node" | b"nodejs") {
        Some(Family::Node)
    } else if exe_name == b"java" {
        Some(Family::Java)
    } else if matches!(
        exe_name,
        b"sh" | b"bash" | b"dash" | b"zsh" | b"ksh" | b"ksh93" | b"mksh" | b"busybox"
    ) {
        Some(Family::Shell)
    } else {
        None
    }
}

/// Whether an executable's file name is an interpreter's [`main_script`] knows.
pub(crate) fn is_interpreter(exe_name: &[u8]) -> bool {
    family(exe_name).is_some()
}

/// The main script named by `args` (the whole command line, `argv[0]` first) of a process
/// whose executable's file name is `exe_name`; `None` when it is not an interpreter or
/// runs no script file.
pub(crate) fn main_script<'a>(exe_name: &[u8], args: &[&'a [u8]]) -> Option<&'a OsStr> {
    let family = family(exe_name)?;
    let mut rest = args.iter().skip(1).copied();
    // busybox is a shell only as `sh`/`ash`.
    if exe_name == b"busybox"
        && !args
            .first()
            .is_some_and(|a0| a0.ends_with(b"sh") || a0.ends_with(b"ash"))
    {
        return None;
    }
    while let Some(arg) = rest.next() {
        if arg == b"--" {
            return rest.next().filter(|a| *a != b"-").map(OsStr::from_bytes);
        }
        if !arg.starts_with(b"-") || arg == b"-" {
            // Java's first word is a class name, not a file.
            return (arg != b"-" && family != Family::Java).then(|| OsStr::from_bytes(arg));
        }
        // An option: does it end the options without a script, or take a value?
        match family {
            Family::Python => match arg {
                b"-c" | b"-m" => return None,
                b"-W" | b"-X" | b"-Q" => {
                    rest.next();
                }
                _ if arg.starts_with(b"-c") || arg.starts_with(b"-m") => return None,
                _ => {}
            },
            Family::Perl | Family::Ruby => match arg {
                b"-e" | b"-E" => return None,
                b"-I" | b"-r" | b"-C" => {
                    rest.next();
                }
                _ if arg.starts_with(b"-e") || arg.starts_with(b"-E") => return None,
                _ => {}
            },
            Family::Node => match arg {
                b"-e" | b"--eval" | b"-p" | b"--print" => return None,
                b"-r" | b"--require" | b"--import" | b"--loader" => {
                    rest.next();
                }
                _ => {}
            },
            Family::Java => match arg {
                b"-jar" => return rest.next().map(OsStr::from_bytes),
                b"-cp" | b"-classpath" | b"--class-path" | b"-p" | b"--module-path" => {
                    rest.next();
                }
                _ => {}
            },
            Family::Shell => match arg {
                b"-c" => return None,
                b"-o" | b"+o" => {
                    rest.next();
                }
                _ if arg.len() > 1 && arg[1..].contains(&b'c') && !arg.starts_with(b"--") => {
                    return None;
                }
                _ => {}
            },
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(exe: &str, cmd: &[&str]) -> Option<String> {
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        let found = main_script(exe.as_bytes(), &args)?;
        Some(found.to_string_lossy().into_owned())
    }

    #[test]
    fn scripts_are_read_off_the_command_line() {
        let cases: &[(&str, &[&str], Option<&str>)] = &[
            (
                "python3.11",
                &["python3", "-u", "/usr/bin/tool.py", "x"],
                Some("/usr/bin/tool.py"),
            ),
            (
                "python3",
                &["python3", "-W", "ignore", "app.py"],
                Some("app.py"),
            ),
            ("python3", &["python3", "-c", "print(1)"], None),
            ("python3", &["python3", "-m", "http.server"], None),
            ("python3", &["python3", "-mhttp.server"], None),
            ("python3", &["python3"], None),
            (
                "perl",
                &["/usr/bin/perl", "-w", "/usr/sbin/tool"],
                Some("/usr/sbin/tool"),
            ),
            ("perl", &["perl", "-e", "sleep 9"], None),
            ("ruby", &["ruby", "-r", "json", "s.rb"], Some("s.rb")),
            (
                "node",
                &["node", "--require", "x", "server.js"],
                Some("server.js"),
            ),
            ("node", &["node", "-e", "1"], None),
            (
                "java",
                &["java", "-Xmx1g", "-jar", "/opt/app.jar"],
                Some("/opt/app.jar"),
            ),
            ("java", &["java", "-cp", "/opt/lib", "Main"], None),
            (
                "dash",
                &["/bin/sh", "/etc/init.d/x", "start"],
                Some("/etc/init.d/x"),
            ),
            ("bash", &["bash", "-e", "--", "run.sh"], Some("run.sh")),
            ("bash", &["bash", "-ec", "echo"], None),
            ("sleep", &["sleep", "9"], None),
            ("pythonista", &["pythonista", "x.py"], None),
        ];
        for (exe, cmd, want) in cases {
            assert_eq!(script(exe, cmd).as_deref(), *want, "{exe} {cmd:?}");
        }
    }
}
