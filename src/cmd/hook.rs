//! `awsenv hook SHELL`: what the prompt hook runs at a transition: the session is inside its
//! expiry margin or over, its cache file is gone (`awsenv logout` elsewhere), or this shell has
//! no hook state yet. It reads the environment and one cache file, and prints shell code: it
//! never prompts, never touches the network, never waits on a lock, and says at most one
//! short line, only when something changed.

use super::env;
use super::prompt::{self, Flavor};
use crate::cache::{Cache, Lookup};
use crate::clock;
use crate::error::Result;
use crate::obtain;
use crate::shell::{Change, Shell};
use crate::ui::{self, say};
use crate::vars;

pub fn run(shell: Shell, with_segment: bool) -> Result<()> {
    let Some(account) = env(vars::ACCOUNT) else {
        return Ok(());
    };
    let cache = Cache::from_env();
    let margin = obtain::margin().unwrap_or(obtain::DEFAULT_MARGIN);
    let now = clock::now();
    let ours = env("AWS_ACCESS_KEY_ID");
    let ours_expire = ours
        .as_ref()
        .and(env("AWS_CREDENTIAL_EXPIRATION"))
        .as_deref()
        .and_then(clock::parse_rfc3339);
    let ours_fresh = ours_expire.is_some_and(|at| at - margin > now);

    let cached = match cache.read(&account) {
        Lookup::Missing => {
            say(&format!(
                "{account}: cached session removed by awsenv logout; this shell is cleared"
            ));
            ui::out(&shell.render(&vars::clear(env)));
            return Ok(());
        }
        // switch and list say why a cache file is unusable; the hook would say it at every
        // prompt that calls it.
        Lookup::Ignored(reason) => {
            crate::debug!("ignoring the cache file of {account}: {reason}");
            None
        }
        Lookup::Found(session) => Some(session),
    };

    let (mut changes, expires) = match cached {
        // Another terminal made a newer session: take it instead of letting ours run out.
        Some(newer)
            if !ours_fresh
                && newer.is_fresh(margin)
                && Some(&newer.access_key_id) != ours.as_ref() =>
        {
            say(&format!(
                "{account}: using the session made in another terminal, {} left",
                clock::human(newer.seconds_left())
            ));
            (vars::refresh(&newer), Some(newer.expires_at()))
        }
        _ if ours.is_some() && ours_expire.is_none_or(|at| at <= now) => {
            say(&format!(
                "{account}: session expired; run awsenv switch {account}"
            ));
            (vars::expire(), None)
        }
        _ => (Vec::new(), ours_expire),
    };
    changes.extend(vars::hook_state(
        expires,
        margin,
        &cache.file(&account),
        now,
    ));
    if with_segment {
        let flavor = match shell {
            Shell::Bash => Flavor::Bash,
            Shell::Zsh => Flavor::Zsh,
            Shell::Fish | Shell::Powershell => Flavor::Ansi,
        };
        let segment = prompt::segment(&account, expires, margin, now);
        let text = prompt::paint(&segment, flavor, prompt::colors());
        changes.push(Change::Local(vars::PROMPT.into(), text));
    }
    ui::out(&shell.render(&changes));
    Ok(())
}
