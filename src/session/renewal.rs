//! Renewal without a person. A role session, or the session of a user without MFA, that
//! enters its expiry margin in a shell is renewed by a process the prompt hook starts and
//! forgets (`awsenv renew`: its own session, no terminal, output nowhere), or right before a
//! command by the hook itself, so that the command starts with a fresh session. An MFA
//! session is never renewed this way: a code needs a person (and a key's touch, a terminal).
//!
//! The account's lock turns the renewals many shells ask for into one call. A note beside the
//! cache file (`ACCOUNT.renewal`) tells every shell that one is under way, or that one failed
//! and why: a failure is retried after `RETRY`, not at every prompt, and each shell says it
//! once.

use crate::clock;
use crate::error::{Error, ErrorKind};
use crate::profile::{Account, Source};
use crate::session::cache::{Cache, Lookup, RENEWAL_NOTE as NOTE};
use crate::session::obtain;
use crate::session::{Session, SessionKind};
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// After a renewal starts, the hook looks for its result this soon.
pub const FOLLOW: i64 = 2;
/// A renewal that started this recently is taken to be still at work: more than its call's
/// timeout.
const PATIENCE: i64 = 30;
/// A failed renewal is tried again after this, or as soon as the session it comes from is
/// renewed (`awsenv mfa` in any terminal).
pub const RETRY: i64 = 60;
/// How far ahead of this clock a time in the note may be and still count.
const SKEW: i64 = 2;
/// A failure with the same line that many seconds after the last one is a new one, said again.
const FORGET: i64 = 2 * RETRY;
/// A background renewal waits this long for the lock: another shell's renewal will be done
/// by then, a terminal asking for an MFA code will not.
pub const WORKER_PATIENCE: Duration = Duration::from_secs(3);

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// When a renewal last started.
    pub started: i64,
    /// Since when renewals have found the account's lock held by another awsenv for longer
    /// than they wait (most likely a terminal asking for an MFA code).
    #[serde(default)]
    pub busy: Option<i64>,
    pub failed: Option<Failure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// When this failure (this line) was first met: a shell says it once per `since`.
    pub since: i64,
    /// When it was last met.
    pub at: i64,
    /// What to tell the person.
    pub line: String,
    /// The account at the root of the source chain, whose session the renewal needs.
    pub source: String,
}

impl Note {
    pub fn read(cache: &Cache, account: &str) -> Note {
        cache
            .read_beside(account, NOTE)
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Writes the note; an error means no shell would hear of this renewal.
    pub fn write(&self, cache: &Cache, account: &str) -> Result<(), String> {
        let text = serde_json::to_string(self).map_err(|e| e.to_string())?;
        cache
            .write_beside(account, NOTE, &text)
            .map_err(|e| format!("{account}: not renewed: {e}"))
    }
}

#[derive(Debug, PartialEq)]
pub enum Plan {
    /// The session is fresh, or not one awsenv renews unattended.
    Idle,
    /// A renewal is under way: look again in `FOLLOW`.
    Await,
    /// Another awsenv holds the account's lock, since `since`: wait for its session.
    Held { since: i64 },
    /// Start one.
    Renew,
    /// The last one failed, and is not tried again before `until`.
    Blocked { until: i64, failure: Failure },
}

/// What a shell whose credentials (of `kind`) end at `expires` does about renewal at `now`,
/// given the account's note; `changed_after(account, t)` says whether that account's session
/// was replaced after `t`. A time in the note later than `now` (a clock set back, another
/// host's clock on a shared cache) counts for nothing.
pub fn plan(
    kind: Option<SessionKind>,
    expires: Option<i64>,
    margin: i64,
    now: i64,
    note: &Note,
    changed_after: impl Fn(&str, i64) -> bool,
) -> Plan {
    if !matches!(kind, Some(SessionKind::Role | SessionKind::Session))
        || expires.is_some_and(|at| at - margin > now)
    {
        return Plan::Idle;
    }
    let recent = |at: i64, within: i64| at + within > now && at <= now + SKEW;
    let failed = note.failed.as_ref().filter(|f| f.at <= now + SKEW);
    if let Some(since) = note.busy.filter(|&since| recent(since, PATIENCE)) {
        return Plan::Held { since };
    }
    if recent(note.started, PATIENCE) && failed.is_none_or(|f| f.at < note.started) {
        return Plan::Await;
    }
    match failed {
        Some(f) if recent(f.at, RETRY) && !changed_after(&f.source, f.at) => Plan::Blocked {
            until: f.at + RETRY,
            failure: f.clone(),
        },
        _ => Plan::Renew,
    }
}

/// Whether `account` is renewed without a person at all (settings, profile, kind of source).
pub fn enabled(settings: &Settings, account: &Account) -> bool {
    settings.renew && account.renew
}

pub enum Outcome {
    Renewed(Session),
    /// Another awsenv held the account's lock for longer than `patience`.
    Busy {
        since: i64,
    },
    Failed(Failure),
    /// The session was logged out meanwhile: nothing to renew.
    Gone,
}

/// Renews `account`'s session now, waiting at most `patience` for another awsenv at work on
/// it, and leaves a note for the other shells.
pub fn renew(settings: &Settings, account: &Account, patience: Duration) -> Outcome {
    let cache = Cache::new(settings);
    let name = &account.name;
    // `awsenv logout` since this renewal was asked for: a new session would undo it.
    if matches!(cache.read(name), Lookup::Missing) {
        return Outcome::Gone;
    }
    let mut note = Note::read(&cache, name);
    let now = clock::now();
    note.started = now;
    if let Err(line) = note.write(&cache, name) {
        return Outcome::Failed(failed(&cache, account, &mut note, line));
    }
    match obtain::session_unattended(settings, account, None, patience) {
        Ok(got) => {
            let margin = settings.margin_or_default();
            if got.session.seconds_left() <= margin {
                // The shell takes it, but renewing again would only make another like it.
                let line = format!(
                    "{name}: its sessions last {}, no longer than the expiry margin ({}): \
                     lower AWSENV_EXPIRY_MARGIN or raise duration_seconds",
                    clock::human(got.session.seconds_left()),
                    clock::human(margin)
                );
                failed(&cache, account, &mut note, line);
            } else {
                cache.remove_beside(name, NOTE);
            }
            Outcome::Renewed(got.session)
        }
        Err(e) if e.kind == ErrorKind::Busy => {
            let since = note.busy.filter(|&b| b + PATIENCE > now).unwrap_or(now);
            note.busy = Some(since);
            let _ = note.write(&cache, name);
            Outcome::Busy { since }
        }
        Err(e) => Outcome::Failed(failed(
            &cache,
            account,
            &mut note,
            failure_line(account, &e),
        )),
    }
}

/// Records a failure in the note (the same line as the last, not long ago, keeps its
/// `since`: the shells that said it stay quiet).
fn failed(cache: &Cache, account: &Account, note: &mut Note, line: String) -> Failure {
    let now = clock::now();
    let since = match &note.failed {
        Some(f) if f.line == line && f.at + FORGET > now => f.since,
        _ => now,
    };
    let failure = Failure {
        since,
        at: now,
        line,
        source: root(account).name.clone(),
    };
    note.busy = None;
    note.failed = Some(failure.clone());
    let _ = note.write(cache, &account.name);
    failure
}

/// Starts `awsenv renew ACCOUNT` and lets it go: in a session of its own (no controlling
/// terminal, so nothing it runs can prompt, and no job-control line in the shell), with
/// nothing of the terminal's. The hook exits right after, so init reaps it: no zombie.
pub fn spawn(account: &str) {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut command = Command::new(exe);
    command
        .args(["renew", "--", account])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe, and nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| nix::unistd::setsid().map(drop).map_err(Into::into));
    }
    if let Err(e) = command.spawn() {
        crate::debug!("{account}: cannot start a renewal: {e}");
    }
}

/// The line a shell says once when renewal failed: what happened and what to run.
fn failure_line(account: &Account, e: &Error) -> String {
    let name = &account.name;
    match e.kind {
        ErrorKind::Mfa => format!(
            "{name}: not renewed, {} needs a new MFA code: run awsenv mfa",
            root(account).name
        ),
        _ => {
            let e = e.to_string();
            let reason = e.strip_prefix(&format!("{name}: ")).unwrap_or(&e);
            format!("{name}: not renewed: {reason}")
        }
    }
}

/// The account at the root of `account`'s source chain: the user whose keys (and MFA
/// session) every role of the chain is made from.
fn root(account: &Account) -> &Account {
    match &account.source {
        Source::Role(role) => root(&role.from),
        Source::Keys(_) => account,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const MARGIN: i64 = 15;

    fn failure(at: i64) -> Failure {
        Failure {
            since: at,
            at,
            line: "admin: not renewed".into(),
            source: "personal".into(),
        }
    }

    fn plan_for(kind: SessionKind, left: Option<i64>, note: &Note) -> Plan {
        plan(
            Some(kind),
            left.map(|l| NOW + l),
            MARGIN,
            NOW,
            note,
            |_, _| false,
        )
    }

    #[test]
    fn only_role_and_plain_sessions_inside_the_margin_are_renewed() {
        let none = Note::default();
        assert_eq!(plan_for(SessionKind::Role, Some(60), &none), Plan::Idle);
        assert_eq!(plan_for(SessionKind::Role, Some(10), &none), Plan::Renew);
        assert_eq!(plan_for(SessionKind::Session, Some(10), &none), Plan::Renew);
        // Expired (the shell has no credentials left) is renewable too.
        assert_eq!(plan_for(SessionKind::Role, None, &none), Plan::Renew);
        assert_eq!(plan_for(SessionKind::Mfa, Some(10), &none), Plan::Idle);
        assert_eq!(
            plan(None, None, MARGIN, NOW, &none, |_, _| false),
            Plan::Idle
        );
    }

    #[test]
    fn a_renewal_under_way_is_awaited_not_repeated() {
        let note = Note {
            started: NOW - 5,
            ..Note::default()
        };
        assert_eq!(plan_for(SessionKind::Role, Some(10), &note), Plan::Await);
        // One that started long ago died without a word: start another.
        let note = Note {
            started: NOW - PATIENCE,
            ..Note::default()
        };
        assert_eq!(plan_for(SessionKind::Role, Some(10), &note), Plan::Renew);
        // A start in the future is a clock set back, or another host's: it counts for nothing.
        let note = Note {
            started: NOW + 600,
            ..Note::default()
        };
        assert_eq!(plan_for(SessionKind::Role, Some(10), &note), Plan::Renew);
    }

    #[test]
    fn a_lock_held_elsewhere_is_waited_out_not_fought_over() {
        let note = Note {
            started: NOW - 5,
            busy: Some(NOW - 4),
            failed: None,
        };
        assert_eq!(
            plan_for(SessionKind::Role, None, &note),
            Plan::Held { since: NOW - 4 }
        );
        let note = Note {
            busy: Some(NOW - PATIENCE),
            ..Note::default()
        };
        assert_eq!(plan_for(SessionKind::Role, None, &note), Plan::Renew);
    }

    #[test]
    fn a_failure_waits_for_retry_or_a_renewed_source() {
        let note = Note {
            started: NOW - 10,
            busy: None,
            failed: Some(failure(NOW - 9)),
        };
        assert_eq!(
            plan_for(SessionKind::Role, Some(10), &note),
            Plan::Blocked {
                until: NOW - 9 + RETRY,
                failure: failure(NOW - 9)
            }
        );
        let renewed_source = plan(
            Some(SessionKind::Role),
            Some(NOW + 10),
            MARGIN,
            NOW,
            &note,
            |account, after| account == "personal" && after == NOW - 9,
        );
        assert_eq!(renewed_source, Plan::Renew);
        let note = Note {
            started: NOW - RETRY - 1,
            busy: None,
            failed: Some(failure(NOW - RETRY)),
        };
        assert_eq!(plan_for(SessionKind::Role, Some(10), &note), Plan::Renew);
    }
}
