//! `awsenv hook SHELL`: what the prompt hook runs at a transition: the session is inside its
//! expiry margin or over, its cache file is gone (`awsenv logout` elsewhere), or this shell has
//! no hook state yet. It reads what the shell has and one cache file, and prints shell code:
//! it never prompts, never touches the network, never waits on a lock, and says at most one
//! short line, only when something changed. `transition` decides, from its inputs alone.

use super::{Context, Run};
use crate::cli;
use crate::clock;
use crate::current::Current;
use crate::error::Result;
use crate::segment::{self, Flavor};
use crate::session::cache::{Cache, Lookup};
use crate::shell::{Change, Shell};
use crate::ui::{self, say};
use crate::vars;
use std::path::Path;

impl Run for cli::Hook {
    fn run(self, context: &Context) -> Result<()> {
        run(self, context)
    }
}

/// The hook without clap: `lib::main` calls it straight from the raw arguments.
pub fn run(hook: cli::Hook, context: &Context) -> Result<()> {
    let (shell, with_segment) = (hook.shell, hook.segment);
    let (current, settings) = (&context.current, &context.settings);
    let Some(account) = current.account() else {
        return Ok(());
    };
    let cache = Cache::new(settings);
    let file = cache.file(account);
    let now = clock::now();
    let margin = settings.margin_or_default();
    let mut step = transition(current, cache.read(account), &file, margin, now);
    if with_segment && step.cleared.is_none() {
        let flavor = match shell {
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
    ui::out(&shell.render(&step.changes));
    Ok(())
}

/// What the hook does to a shell: the changes, and at most one line for the person.
#[derive(Debug, PartialEq)]
pub struct Step {
    pub changes: Vec<Change>,
    /// When the credentials the shell is left with end.
    pub expires: Option<i64>,
    pub message: Option<String>,
    /// The whole selection was dropped (its cache file is gone), with this line.
    pub cleared: Option<String>,
}

/// The hook's decision for a shell that has `current`, whose account's cache file reads
/// `cached`, at `now`.
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
                message: None,
                cleared: Some(format!(
                    "{account}: cached session removed by awsenv logout; this shell is cleared"
                )),
            };
        }
        // switch and list say why a cache file is unusable; the hook would say it at every
        // prompt that calls it.
        Lookup::Ignored(reason) => {
            crate::debug!("ignoring the cache file of {account}: {reason}");
            None
        }
        Lookup::Found(session) => Some(session),
    };

    let (mut changes, expires, message) = match cached {
        // Another terminal made a newer session: take it instead of letting ours run out.
        Some(newer)
            if !ours_fresh
                && newer.seconds_left_at(now) > margin
                && Some(newer.access_key_id.as_str()) != ours =>
        {
            let message = format!(
                "{account}: using the session made in another terminal, {} left",
                clock::human(newer.seconds_left_at(now))
            );
            (
                vars::refresh(&newer),
                Some(newer.expires_at()),
                Some(message),
            )
        }
        _ if ours.is_some() && ours_expire.is_none_or(|at| at <= now) => {
            let message = format!("{account}: session expired; run awsenv switch {account}");
            (vars::expire(), None, Some(message))
        }
        _ => (Vec::new(), ours_expire, None),
    };
    changes.extend(vars::hook_state(account, expires, margin, file, now));
    Step {
        changes,
        expires,
        message,
        cleared: None,
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
        assert!(s.changes.contains(&Change::Local(
            "__awsenv_next".into(),
            (NOW + 3300).to_string()
        )));
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
