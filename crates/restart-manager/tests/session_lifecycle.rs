//! Sessions through the library: start, join by key, register, the primary-only
//! calls, end, the 64-session limit and stale sessions. Every test uses its own
//! state folder.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::{Child, Command};

use restart_manager::{
    Error, FilterAction, FilterTarget, JoinedSession, MAX_SESSIONS, Opened, Resources, Session,
    SessionKey, ShutdownOptions, StateDir, UniqueProcess,
};

fn state() -> (tempfile::TempDir, StateDir) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = StateDir::open(tmp.path().join("state")).unwrap();
    (tmp, dir)
}

/// A child process killed (exactly that pid) when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sleeper() -> Guard {
    Guard(Command::new("sleep").arg("30").spawn().unwrap())
}

#[test]
fn a_started_session_can_be_joined_by_key_and_registrations_add_up() {
    let (_tmp, state) = state();
    let primary = Session::start_in(state.clone()).unwrap();
    let text = primary.key().to_string();
    assert_eq!(text.len(), 32);
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );

    let key = SessionKey::parse(&text).unwrap();
    let joined = JoinedSession::join_in(state.clone(), &key).unwrap();
    joined
        .register(&Resources {
            files: vec!["/etc/hostname".into()],
            ..Resources::default()
        })
        .unwrap();
    primary
        .register(&Resources {
            files: vec!["/etc/hostname".into(), "/etc/passwd".into()],
            services: vec!["cron".into()],
            ..Resources::default()
        })
        .unwrap();
    let all = joined.registered().unwrap();
    assert_eq!(
        all.files,
        vec![PathBuf::from("/etc/hostname"), PathBuf::from("/etc/passwd")]
    );
    assert_eq!(all.services, vec!["cron".to_string()]);

    // The session folder is named by a hash, never by the key.
    let names: Vec<String> = std::fs::read_dir(state.path().join("sessions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(&text)), "{names:?}");
    primary.end().unwrap();
}

#[test]
fn an_unknown_key_is_refused_with_invalid_handle() {
    let (_tmp, state) = state();
    let _s = Session::start_in(state.clone()).unwrap();
    let other = SessionKey::generate().unwrap();
    let err = JoinedSession::join_in(state.clone(), &other).unwrap_err();
    assert_eq!((err.name(), err.code()), ("ERROR_INVALID_HANDLE", 6));
    assert_eq!(err.to_string(), "no session with this key");
    let err = SessionKey::parse("not-a-key").unwrap_err();
    assert_eq!(err.code(), 1219);
}

#[test]
fn a_secondary_is_refused_primary_only_calls_with_credential_conflict() {
    let (_tmp, state) = state();
    let primary = Session::start_in(state.clone()).unwrap();
    let joined = JoinedSession::join_in(state.clone(), primary.key()).unwrap();
    let conflict = |e: Error| {
        assert_eq!(
            (e.name(), e.code()),
            ("ERROR_SESSION_CREDENTIAL_CONFLICT", 1219)
        )
    };
    conflict(
        joined
            .shutdown(&ShutdownOptions::default(), &mut |_| {})
            .unwrap_err(),
    );
    conflict(joined.restart(&mut |_| {}).unwrap_err());
    let t = FilterTarget::Service("x".into());
    conflict(joined.add_filter(FilterAction::NoRestart, &t).unwrap_err());
    conflict(joined.remove_filter(&t).unwrap_err());
    conflict(joined.filters().unwrap_err());
    conflict(joined.cancel().unwrap_err());
    // A secondary may list.
    joined.list().unwrap();

    // The primary may filter.
    primary.add_filter(FilterAction::NoShutdown, &t).unwrap();
    primary.add_filter(FilterAction::NoRestart, &t).unwrap();
    let filters = primary.filters().unwrap();
    assert_eq!(filters.len(), 1);
    assert_eq!(
        filters.iter().next().unwrap().action,
        FilterAction::NoRestart
    );
    primary.remove_filter(&t).unwrap();
    let err = primary.remove_filter(&t).unwrap_err();
    assert_eq!(err.code(), 2);
}

#[test]
fn restart_before_shutdown_is_out_of_sequence() {
    let (_tmp, state) = state();
    let primary = Session::start_in(state).unwrap();
    let err = primary.restart(&mut |_| {}).unwrap_err();
    assert_eq!(
        (err.name(), err.code()),
        ("ERROR_REQUEST_OUT_OF_SEQUENCE", 776)
    );
}

#[test]
fn ending_a_secondary_leaves_the_session_and_ending_the_primary_ends_it() {
    let (_tmp, state) = state();
    let primary = Session::start_in(state.clone()).unwrap();
    let key = primary.key().clone();
    JoinedSession::join_in(state.clone(), &key)
        .unwrap()
        .end()
        .unwrap();
    // Still there.
    let again = JoinedSession::join_in(state.clone(), &key).unwrap();
    primary.end().unwrap();
    let err = again.register(&Resources::default()).unwrap_err();
    assert_eq!(err.code(), 6);
    assert_eq!(JoinedSession::join_in(state, &key).unwrap_err().code(), 6);
}

#[test]
fn at_most_64_sessions_and_an_ended_one_frees_a_place() {
    let (_tmp, state) = state();
    let mut sessions: Vec<Session> = (0..MAX_SESSIONS)
        .map(|_| Session::start_in(state.clone()).unwrap())
        .collect();
    let err = Session::start_in(state.clone()).unwrap_err();
    assert_eq!(
        (err.name(), err.code()),
        ("ERROR_MAX_SESSIONS_REACHED", 353)
    );
    sessions.pop().unwrap().end().unwrap();
    sessions.push(Session::start_in(state.clone()).unwrap());
    for s in sessions {
        s.end().unwrap();
    }
}

#[test]
fn a_session_whose_owner_died_is_stale_invalid_and_uncounted() {
    let (_tmp, state) = state();
    let mut child = sleeper();
    let owner = UniqueProcess::of(child.0.id()).unwrap();
    let s = Session::start_for_owner(state.clone(), owner).unwrap();
    let key = s.key().clone();
    // The owner's child (or anyone showing the owner) resumes as primary.
    assert!(matches!(
        Session::open(state.clone(), &key, owner).unwrap(),
        Opened::Primary(_)
    ));
    // Fill up the rest of the limit.
    let others: Vec<Session> = (1..MAX_SESSIONS)
        .map(|_| Session::start_in(state.clone()).unwrap())
        .collect();
    assert_eq!(Session::start_in(state.clone()).unwrap_err().code(), 353);

    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let err = JoinedSession::join_in(state.clone(), &key).unwrap_err();
    assert_eq!(err.code(), 6);
    // The stale session no longer counts, and its folder is gone.
    let extra = Session::start_in(state.clone()).unwrap();
    assert!(!state.path().join("sessions").join(key.dir_name()).exists());
    extra.end().unwrap();
    for s in others {
        s.end().unwrap();
    }
}

#[test]
fn a_library_session_is_never_resumed_as_primary_from_another_process() {
    let (_tmp, state) = state();
    let s = Session::start_in(state.clone()).unwrap();
    let me = UniqueProcess::current().unwrap();
    // Even the owner's own identity does not make an `rstmgr`-style caller primary.
    let err = Session::resume(state.clone(), s.key(), me).unwrap_err();
    assert_eq!(err.code(), 1219);
    s.end().unwrap();
}

#[test]
fn session_files_are_owner_only() {
    let (_tmp, state) = state();
    let s = Session::start_in(state.clone()).unwrap();
    s.register(&Resources {
        files: vec!["/etc/hostname".into()],
        ..Resources::default()
    })
    .unwrap();
    let dir = state.path().join("sessions").join(s.key().dir_name());
    for entry in std::fs::read_dir(&dir).unwrap() {
        let meta = entry.unwrap().metadata().unwrap();
        assert_eq!(meta.mode() & 0o077, 0, "{:o}", meta.mode());
    }
    assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    s.end().unwrap();
    assert!(!dir.exists());
}

#[test]
fn a_registered_directory_makes_list_fail_with_access_denied() {
    let (tmp, state) = state();
    let s = Session::start_in(state).unwrap();
    s.register(&Resources {
        files: vec![tmp.path().to_path_buf()],
        ..Resources::default()
    })
    .unwrap();
    let err = s.list().unwrap_err();
    assert_eq!((err.name(), err.code()), ("ERROR_ACCESS_DENIED", 5));
    s.end().unwrap();
}

#[test]
fn many_threads_registering_at_once_lose_nothing() {
    let (_tmp, state) = state();
    let s = Session::start_in(state.clone()).unwrap();
    let key = s.key().clone();
    std::thread::scope(|scope| {
        for t in 0..8 {
            let state = state.clone();
            let key = key.clone();
            scope.spawn(move || {
                let j = JoinedSession::join_in(state, &key).unwrap();
                for i in 0..10 {
                    j.register(&Resources {
                        files: vec![PathBuf::from(format!("/nonexistent/{t}/{i}"))],
                        ..Resources::default()
                    })
                    .unwrap();
                }
            });
        }
    });
    assert_eq!(s.registered().unwrap().files.len(), 80);
    s.end().unwrap();
}

#[test]
fn a_too_small_buffer_gets_more_data_with_the_count_needed() {
    let (tmp, state) = state();
    let file = tmp.path().join("held");
    std::fs::write(&file, "x").unwrap();
    let _h = Guard(
        Command::new("sh")
            .arg("-c")
            .arg("exec 3<\"$0\"; exec sleep 30")
            .arg(&file)
            .spawn()
            .unwrap(),
    );
    let pid = _h.0.id();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::fs::read_link(format!("/proc/{pid}/fd/3")).is_err() {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let s = Session::start_in(state).unwrap();
    s.register(&Resources {
        files: vec![file.clone()],
        ..Resources::default()
    })
    .unwrap();
    let list = s.list().unwrap();
    assert_eq!(list.apps.len(), 1);
    assert_eq!(list.apps[0].process.pid, pid);
    let err = list.copy_to(&mut []).unwrap_err();
    assert_eq!((err.name(), err.code()), ("ERROR_MORE_DATA", 234));
    assert!(matches!(err, Error::MoreData { needed: 1 }));
    let mut buf = vec![list.apps[0].clone(); 3];
    assert_eq!(list.copy_to(&mut buf).unwrap(), 1);
    s.end().unwrap();
}
