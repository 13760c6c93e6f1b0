//! `awsenv hook SHELL`: what the prompt hook runs at a transition: the session is inside its
//! expiry margin or over, its cache file is gone (`awsenv logout` elsewhere), or this shell has
//! no hook state yet. It reads what the shell has and one cache file, and prints shell code:
//! it never prompts, never touches the network, never waits on a lock, and says at most one
//! short line, only when something changed. `transition` decides, from its inputs alone.
//!
//! Inside the margin it also sees to renewal (`session::renewal`): at a prompt it starts one
//! in the background and looks again soon; right before a command (`--before-command`) it
//! renews itself, so that the command starts with a fresh session. That one run, and only
//! it, calls AWS: the shell would otherwise run the command with credentials about to end.

use super::{Context, Run};
use crate::cli;
use crate::clock;
use crate::current::Current;
use crate::error::Result;
use crate::profile::{Account, Profiles};
use crate::segment::{self, Flavor};
use crate::session::SessionKind;
use crate::session::cache::{Cache, Lookup};
use crate::session::obtain;
use crate::session::renewal::{self, FOLLOW, Note, Outcome, Plan};
use crate::shell::{Change, Shell};
use crate::ui::{self, say};
use crate::vars;
use std::path::Path;
use std::time::Duration;

impl Run for cli::Hook {
    fn run(self, context: &Context) -> Result<()> {
        run(self, context)
    }
}

/// The hook without clap: `lib::main` calls it straight from the raw arguments.
pub fn run(hook: cli::Hook, context: &Context) -> Result<()> {
    let (current, settings) = (&context.current, &context.settings);
    let Some(account) = current.account() else {
        return Ok(());
    };
    let cache = Cache::new(settings);
    let file = cache.file(account);
    let now = clock::now();
    let margin = settings.margin_or_default();
    let mut step = transition(current, cache.read(account), &file, margin, now);
    if step.cleared.is_none() {
        let renewing = Renewing {
            hook: &hook,
            context,
            cache: &cache,
            account,
            margin,
            now,
        };
        renewing.see_to(&mut step);
        step.changes.extend(vars::hook_state(
            account,
            step.expires,
            step.next,
            margin,
            &file,
        ));
    }
    if hook.segment && step.cleared.is_none() {
        let flavor = match hook.shell {
            Shell::Bash => Flavor::Bash,
            Shell::Zsh => Flavor::Zsh,
            Shell::Fish | Shell::Powershell => Flavor::Ansi,
        };
        let segment = segment::segment(account, step.expires, margin, now);
        let text = segment::paint(&segment, flavor, settings.colors);
        step.changes.push(Change::Local(vars::PROMPT.into(), text));
    }
    if let Some(line) = step.cleared.or(step.message) {
        say(&line);
    }
    ui::out(&hook.shell.render(&step.changes));
    Ok(())
}

/// What the hook does to a shell: the changes, and at most one line for the person.
#[derive(Debug, PartialEq)]
pub struct Step {
    pub changes: Vec<Change>,
    /// When the credentials the shell is left with end.
    pub expires: Option<i64>,
    /// When the hook is next needed.
    pub next: i64,
    pub message: Option<String>,
    /// The whole selection was dropped (its cache file is gone), with this line.
    pub cleared: Option<String>,
}

impl Step {
    /// The shell takes `session` (renewed, or made in another terminal).
    fn take(&mut self, session: &crate::session::Session, margin: i64, now: i64) {
        // Its variables replace whatever this step did to the credentials.
        self.changes = vars::refresh(session);
        self.expires = Some(session.expires_at());
        self.next = vars::next_check(self.expires, margin, now);
        self.message = None;
    }

    /// A renewal is on its way: look for it in a moment, and do not tell the person to
    /// switch again meanwhile.
    fn look_again_soon(&mut self, now: i64) {
        self.next = self.next.min(now + FOLLOW);
        self.message = None;
    }
}

/// The hook's decision for a shell that has `current`, whose account's cache file reads
/// `cached`, at `now`. The hook state is added by `run`, after renewal has had its say.
pub fn transition(current: &Current, cached: Lookup, file: &Path, margin: i64, now: i64) -> Step {
    let account = current.account().unwrap_or_default();
    let ours = current.access_key_id();
    let ours_expire = current.expires();
    let ours_fresh = ours_expire.is_some_and(|at| at - margin > now);

    let cached = match cached {
        Lookup::Missing => {
            return Step {
                changes: vars::clear(current),
                expires: None,
                next: now,
                message: None,
                cleared: Some(format!(
                    "{account}: cached session removed by awsenv logout; this shell is cleared"
                )),
            };
        }
        // switch and list say why a cache file is unusable; the hook would say it at every
        // prompt that calls it.
        Lookup::Ignored(reason) => {
            crate::debug!("ignoring the cache file of {}: {reason}", file.display());
            None
        }
        Lookup::Found(session) => Some(session),
    };

    let (changes, expires, message) = match cached {
        // Another terminal (or a renewal) made a newer session: take it instead of letting
        // ours run out, even when it too is inside the margin (sessions no longer than the
        // margin): it is still the better one.
        Some(newer)
            if !ours_fresh
                && newer.expires_at() > ours_expire.unwrap_or(now).max(now)
                && Some(newer.access_key_id.as_str()) != ours =>
        {
            // Role and plain sessions renew themselves (`session::renewal`), silently; a new
            // MFA session means someone typed a code elsewhere, which is worth a line.
            let message = (newer.kind == SessionKind::Mfa).then(|| {
                format!(
                    "{account}: using the session made in another terminal, {} left",
                    clock::human(newer.seconds_left_at(now))
                )
            });
            (vars::refresh(&newer), Some(newer.expires_at()), message)
        }
        _ if ours.is_some() && ours_expire.is_none_or(|at| at <= now) => {
            let message = format!("{account}: session expired; run awsenv switch {account}");
            (vars::expire(), None, Some(message))
        }
        _ => (Vec::new(), ours_expire, None),
    };
    Step {
        changes,
        expires,
        next: vars::next_check(expires, margin, now),
        message,
        cleared: None,
    }
}

/// Renewal, as one hook run sees to it.
struct Renewing<'a> {
    hook: &'a cli::Hook,
    context: &'a Context,
    cache: &'a Cache,
    account: &'a str,
    margin: i64,
    now: i64,
}

impl Renewing<'_> {
    fn see_to(&self, step: &mut Step) {
        let kind = self.context.current.kind();
        if kind == Some(SessionKind::Mfa) {
            self.ends_for_want_of_a_code(step);
            return;
        }
        if !self.context.settings.renew {
            return;
        }
        let note = Note::read(self.cache, self.account);
        let written_after = |account: &str, at: i64| self.cache.written_after(account, at);
        let plan = renewal::plan(
            kind,
            step.expires,
            self.margin,
            self.now,
            &note,
            written_after,
        );
        match plan {
            Plan::Idle => {}
            // A command about to run with nothing: wait for the renewal under way.
            Plan::Await if self.hook.before_command && step.expires.is_none() => {
                if let Some(account) = self.renewable() {
                    let patience = self.context.settings.timeout().unwrap_or(10);
                    self.renew_now(step, &account, Duration::from_secs(patience));
                }
            }
            Plan::Await => step.look_again_soon(self.now),
            Plan::Held { since } => self.held(step, since),
            Plan::Blocked { until, failure } => {
                step.next = step.next.min(until);
                self.tell(step, 'f', failure.since, failure.line);
            }
            Plan::Renew => {
                let Some(account) = self.renewable() else {
                    return;
                };
                if obtain::needs_own_code(&account) {
                    // A role assumed with its own MFA code: like an MFA session.
                    self.ends_for_want_of_a_code(step);
                } else if self.hook.before_command && self.nearly_over(step) {
                    let patience = match step.expires {
                        Some(_) => Duration::ZERO,
                        None => renewal::WORKER_PATIENCE,
                    };
                    self.renew_now(step, &account, patience);
                } else {
                    self.start(step, note);
                }
            }
        }
    }

    /// The account's profile, if it is renewed without a person.
    fn renewable(&self) -> Option<Account> {
        let settings = &self.context.settings;
        let found = Profiles::load(settings.files.clone()).and_then(|p| p.account(self.account));
        match found {
            Ok(account) if renewal::enabled(settings, &account) => Some(account),
            Ok(_) => None,
            Err(e) => {
                // switch says it when the person next uses the account.
                crate::debug!("{}: no renewal: {e}", self.account);
                None
            }
        }
    }

    /// Before a command, a session this close to its end is renewed there and then; one
    /// with longer to go is renewed in the background, so that a network that is down
    /// does not hold up every command.
    fn nearly_over(&self, step: &Step) -> bool {
        let soon = (self.margin / 3).min(60);
        step.expires.is_none_or(|at| at - self.now <= soon)
    }

    /// Starts a renewal in the background. The note says so at once, for the other shells
    /// and for this one's next look; a note that cannot be written is said instead, since
    /// without it no shell would hear how the renewal went.
    fn start(&self, step: &mut Step, mut note: Note) {
        note.started = self.now;
        match note.write(self.cache, self.account) {
            Ok(()) => {
                renewal::spawn(self.account);
                step.look_again_soon(self.now);
            }
            Err(line) => {
                step.next = step.next.min(self.now + renewal::RETRY);
                self.tell(step, 'w', self.now / renewal::RETRY, line);
            }
        }
    }

    fn renew_now(&self, step: &mut Step, account: &Account, patience: Duration) {
        match renewal::renew(&self.context.settings, account, patience) {
            Outcome::Renewed(session) => step.take(&session, self.margin, self.now),
            Outcome::Busy { since } => self.held(step, since),
            Outcome::Failed(failure) => {
                step.next = step.next.min(failure.at + renewal::RETRY);
                self.tell(step, 'f', failure.since, failure.line);
            }
            Outcome::Gone => {}
        }
    }

    /// Another awsenv holds the account's lock (perhaps asking for a code): take its session
    /// when it comes. A shell left with nothing says why, once.
    fn held(&self, step: &mut Step, since: i64) {
        if step.expires.is_some() {
            step.next = step.next.min(self.now + renewal::RETRY);
            return;
        }
        step.look_again_soon(self.now);
        let line = format!(
            "{}: session expired; another awsenv is making the next one (it may be asking \
             for an MFA code)",
            self.account
        );
        self.tell(step, 'b', since, line);
    }

    /// A session that renews only with a person (an MFA session, a role assumed with its own
    /// code): say once, as it enters the margin, what to run.
    fn ends_for_want_of_a_code(&self, step: &mut Step) {
        let Some(at) = step.expires.filter(|&at| at - self.margin <= self.now) else {
            return;
        };
        let line = format!(
            "{}: the session ends in {} and needs an MFA code to renew: run awsenv mfa",
            self.account,
            clock::human(at - self.now)
        );
        self.tell(step, 'm', at, line);
    }

    /// Says `line` unless this shell was told it already: the token names what was said
    /// (`what`, `when`) and of which account, so that a switch to another account hears its
    /// own news.
    fn tell(&self, step: &mut Step, what: char, when: i64, line: String) {
        let token = format!("{what}{when}:{}", self.account);
        if self.hook.told.as_deref() == Some(token.as_str()) {
            return;
        }
        step.message = Some(line);
        step.changes
            .push(Change::Local(vars::HOOK_TOLD.into(), token));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::session::{Session, SessionKind, VERSION};

    const NOW: i64 = 1_800_000_000;
    const MARGIN: i64 = 300;

    fn shell(key: Option<&str>, left: i64) -> Current {
        let mut vars = vec![("AWSENV_ACCOUNT", "personal".to_owned())];
        if let Some(key) = key {
            vars.push(("AWS_ACCESS_KEY_ID", key.to_owned()));
            vars.push((
                "AWS_CREDENTIAL_EXPIRATION",
                clock::format_rfc3339(NOW + left),
            ));
        }
        Current::from_vars(vars.into_iter().map(|(k, v)| (k.to_owned(), v)))
    }

    fn cached(key: &str, left: i64) -> Lookup {
        Lookup::Found(Session {
            version: VERSION,
            account: "personal".into(),
            kind: SessionKind::Mfa,
            access_key_id: key.into(),
            secret_access_key: Secret::new("s"),
            session_token: Secret::new("t"),
            expiration: clock::format_rfc3339(NOW + left),
            identity: "arn:aws:iam::123456789012:user/alice".into(),
            mfa_serial: None,
            origin: "key:AKIA".into(),
            asked: None,
            clock_offset: 0,
        })
    }

    fn step(current: &Current, lookup: Lookup) -> Step {
        transition(current, lookup, Path::new("/c/personal.json"), MARGIN, NOW)
    }

    fn sets(step: &Step, name: &str) -> bool {
        step.changes
            .iter()
            .any(|c| matches!(c, Change::Set(n, _) if n == name))
    }

    fn unsets(step: &Step, name: &str) -> bool {
        step.changes
            .iter()
            .any(|c| matches!(c, Change::Unset(n) if n == name))
    }

    #[test]
    fn a_fresh_session_only_updates_the_hook_state() {
        let s = step(&shell(Some("ASIAOURS"), 3600), cached("ASIAOURS", 3600));
        assert_eq!((&s.message, &s.cleared), (&None, &None));
        assert_eq!(s.expires, Some(NOW + 3600));
        assert!(!sets(&s, "AWS_ACCESS_KEY_ID"));
        assert!(s.changes.is_empty());
        assert_eq!(s.next, NOW + 3300, "back when the margin starts");
    }

    #[test]
    fn a_newer_session_from_another_terminal_is_taken_inside_the_margin() {
        let s = step(&shell(Some("ASIAOURS"), 200), cached("ASIANEW", 3600));
        assert!(sets(&s, "AWS_ACCESS_KEY_ID"));
        assert_eq!(s.expires, Some(NOW + 3600));
        assert!(
            s.message
                .unwrap()
                .contains("made in another terminal, 1h left")
        );
        // Outside the margin ours is kept.
        let s = step(&shell(Some("ASIAOURS"), 3000), cached("ASIANEW", 3600));
        assert!(!sets(&s, "AWS_ACCESS_KEY_ID"));
    }

    #[test]
    fn an_expired_session_is_unset_once() {
        let s = step(&shell(Some("ASIAOURS"), -1), cached("ASIAOURS", -1));
        assert!(unsets(&s, "AWS_SECRET_ACCESS_KEY"));
        assert_eq!(s.expires, None);
        assert_eq!(
            s.message.as_deref(),
            Some("personal: session expired; run awsenv switch personal")
        );
        // Already unset: nothing more to say.
        let s = step(&shell(None, 0), cached("ASIAOURS", -1));
        assert_eq!(s.message, None);
        assert!(!unsets(&s, "AWS_SECRET_ACCESS_KEY"));
    }

    #[test]
    fn a_removed_cache_file_clears_the_shell() {
        let s = step(&shell(Some("ASIAOURS"), 3600), Lookup::Missing);
        assert!(
            s.cleared
                .as_ref()
                .unwrap()
                .contains("removed by awsenv logout")
        );
        assert!(unsets(&s, "AWSENV_ACCOUNT"));
    }

    #[test]
    fn an_unusable_cache_file_is_left_to_switch_to_report() {
        let s = step(
            &shell(Some("ASIAOURS"), 3600),
            Lookup::Ignored("bad".into()),
        );
        assert_eq!((s.message, s.cleared), (None, None));
        assert_eq!(s.expires, Some(NOW + 3600));
    }
}
