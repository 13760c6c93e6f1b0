//! What a shell gets: the session's credentials in the variables every AWS tool reads, the
//! region when the profile has one, and awsenv's own `AWSENV_*` state. Activation first saves
//! whatever it is about to replace (`AWSENV_SAVED_<NAME>`), so that `clear` puts the shell
//! back exactly as it was. `AWS_PROFILE` is set aside while a session is active: next to
//! exported keys it makes some SDKs pick the profile's credentials instead.
//!
//! Beside those, the shell keeps the prompt hook's state in variables of its own (not
//! exported): when the session ends, when the hook next needs the binary, the margin and the
//! cache file. With them a bash, zsh, fish or PowerShell prompt decides with builtins alone
//! whether anything has changed.

use crate::current::Current;
use crate::session::Session;
use crate::shell::Change;
use std::path::Path;

use crate::current::{ACCOUNT, IDENTITY, KIND};
const SAVED_PREFIX: &str = "AWSENV_SAVED_";

const CREDENTIALS: [&str; 5] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    // Older tools (boto 2, some SDKs) read this name.
    "AWS_SECURITY_TOKEN",
    // RFC 3339 UTC: botocore checks it, starship's aws module counts down from it.
    "AWS_CREDENTIAL_EXPIRATION",
];
const REGION: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];
const PROFILE: [&str; 2] = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"];
const STATE: [&str; 3] = [ACCOUNT, KIND, IDENTITY];

/// The prompt hook's state (see the shell scripts under shell/).
const HOOK_EXPIRES: &str = "__awsenv_exp";
const HOOK_NEXT: &str = "__awsenv_next";
const HOOK_MARGIN: &str = "__awsenv_margin";
const HOOK_FILE: &str = "__awsenv_file";
/// The account's name as a prompt may show it (`ui::printable`), for the shells that build
/// their segment themselves: one escaping function for every prompt.
const HOOK_LABEL: &str = "__awsenv_label";
/// What this shell was last told about its session (a token the hook chose), so that each
/// thing is said once; the shell hands it back with `awsenv hook --told`.
pub const HOOK_TOLD: &str = "__awsenv_told";
/// The prompt segment, for shells that get it from the binary (those without a clock builtin).
pub const PROMPT: &str = "AWSENV_PROMPT";
/// Inside the margin, or once expired, the hook looks again this often for a session another
/// terminal made.
const RECHECK: i64 = 30;

fn managed() -> impl Iterator<Item = &'static str> {
    CREDENTIALS.into_iter().chain(REGION).chain(PROFILE)
}

fn saved_name(var: &str) -> String {
    format!("{SAVED_PREFIX}{var}")
}

/// The variables that keep what activation replaced (the user's own keys, perhaps).
fn is_saved(name: &str) -> bool {
    name.starts_with(SAVED_PREFIX)
}

/// The changes that make `session` this shell's credentials, where the shell has `current`.
pub fn activate(session: &Session, region: Option<&str>, current: &Current) -> Vec<Change> {
    let env = current.lookup();
    let first = env(ACCOUNT).is_none();
    let mut changes = Vec::new();
    let mut saved = |var: &str| -> Option<String> {
        if let Some(value) = env(&saved_name(var)) {
            return Some(value);
        }
        let value = env(var).filter(|_| first)?;
        changes.push(Change::Set(saved_name(var), value.clone()));
        Some(value)
    };
    let mut sets: Vec<Change> = Vec::new();
    for var in CREDENTIALS {
        saved(var);
    }
    sets.extend(refresh(session));
    for var in REGION {
        let previous = saved(var);
        sets.push(match region.map(str::to_owned).or(previous) {
            Some(value) => Change::Set(var.into(), value),
            None => Change::Unset(var.into()),
        });
    }
    for var in PROFILE {
        if saved(var).is_some() {
            sets.push(Change::Unset(var.into()));
        }
    }
    sets.push(Change::Set(ACCOUNT.into(), session.account.clone()));
    changes.extend(sets);
    changes
}

/// The session in the credential variables every AWS tool reads.
pub fn credentials(session: &Session) -> Vec<(&'static str, String)> {
    let token = session.session_token.expose();
    let expiration = session.expiration_here();
    let values = [
        session.access_key_id.as_str(),
        session.secret_access_key.expose(),
        token,
        token,
        expiration.as_str(),
    ];
    CREDENTIALS
        .into_iter()
        .zip(values.map(str::to_owned))
        .collect()
}

/// The credential variables and, if the account has one, the region: what `export` gives.
pub fn exported(session: &Session, region: Option<&str>) -> Vec<(&'static str, String)> {
    let mut vars = credentials(session);
    if let Some(region) = region {
        vars.extend(REGION.map(|var| (var, region.to_owned())));
    }
    vars
}

/// The changes that give a session's credentials to a shell that already has the account
/// selected (a session another terminal made); region and saved values stay as they are.
pub fn refresh(session: &Session) -> Vec<Change> {
    let mut changes: Vec<Change> = credentials(session)
        .into_iter()
        .map(|(var, value)| Change::Set(var.into(), value))
        .collect();
    changes.push(Change::Set(KIND.into(), session.kind.as_str().into()));
    changes.push(Change::Set(IDENTITY.into(), session.identity.clone()));
    changes
}

/// The changes for a session that has ended: its credentials go (stale keys must not linger),
/// the account stays so the prompt can say it expired.
pub fn expire() -> Vec<Change> {
    CREDENTIALS
        .into_iter()
        .map(|var| Change::Unset(var.into()))
        .collect()
}

/// The prompt hook's state for `account`'s session ending at `expires` (None: no
/// credentials).
pub fn hook_state(
    account: &str,
    expires: Option<i64>,
    next: i64,
    margin: i64,
    file: &Path,
) -> Vec<Change> {
    let local = |name: &str, value: String| Change::Local(name.into(), value);
    let mut changes = Vec::new();
    match expires {
        Some(at) => changes.push(local(HOOK_EXPIRES, at.to_string())),
        None => changes.push(Change::UnsetLocal(HOOK_EXPIRES.into())),
    }
    changes.push(local(HOOK_NEXT, next.to_string()));
    changes.push(local(HOOK_MARGIN, margin.to_string()));
    changes.push(local(HOOK_FILE, file.to_string_lossy().into_owned()));
    changes.push(local(HOOK_LABEL, crate::ui::printable(account)));
    changes
}

/// When the prompt hook next needs the binary: when the session enters the expiry margin;
/// after that, and once it has expired, every RECHECK seconds.
pub fn next_check(expires: Option<i64>, margin: i64, now: i64) -> i64 {
    match expires {
        Some(at) if at - margin > now => at - margin,
        Some(at) if at > now => (now + RECHECK).min(at),
        _ => now + RECHECK,
    }
}

/// What a command started with a session gets (exec, shell): what a shell would, less the
/// values a shell saved to restore later (the user's long-term keys, perhaps), which are none
/// of the command's business, and less the prompt hook's state.
pub fn for_command(session: &Session, region: Option<&str>, current: &Current) -> Vec<Change> {
    let mut changes: Vec<Change> = current
        .names_with(SAVED_PREFIX)
        .into_iter()
        .map(Change::Unset)
        .collect();
    changes.extend(
        activate(session, region, current)
            .into_iter()
            .filter(|change| match change {
                Change::Set(name, _) => !is_saved(name),
                Change::Unset(_) => true,
                Change::Local(..) | Change::UnsetLocal(_) => false,
            }),
    );
    changes
}

/// The changes that drop everything awsenv set and put back what it replaced. Empty when
/// awsenv has nothing active in this shell.
pub fn clear(current: &Current) -> Vec<Change> {
    let env = current.lookup();
    let mut changes = Vec::new();
    let active = env(ACCOUNT).is_some();
    for var in managed() {
        let saved = saved_name(var);
        match env(&saved) {
            Some(value) => {
                changes.push(Change::Set(var.into(), value));
                changes.push(Change::Unset(saved));
            }
            None if active => changes.push(Change::Unset(var.into())),
            None => {}
        }
    }
    if active {
        changes.extend(STATE.iter().map(|v| Change::Unset((*v).into())));
        changes.extend(
            [HOOK_EXPIRES, HOOK_NEXT, HOOK_MARGIN, HOOK_FILE, HOOK_LABEL]
                .iter()
                .map(|v| Change::UnsetLocal((*v).into())),
        );
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::session::{SessionKind, VERSION};
    use std::collections::HashMap;

    fn session() -> Session {
        Session {
            version: VERSION,
            account: "personal".into(),
            kind: SessionKind::Mfa,
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("s3cr3t"),
            session_token: Secret::new("t0k3n"),
            expiration: "2026-11-21T20:00:00Z".into(),
            identity: "arn:aws:iam::123456789012:user/alice".into(),
            mfa_serial: None,
            origin: "key:AKIA".into(),
            asked: None,
            clock_offset: 0,
        }
    }

    /// Applies changes to a map, as a shell would.
    fn apply(env: &mut HashMap<String, String>, changes: &[Change]) {
        for c in changes {
            match c {
                Change::Set(k, v) | Change::Local(k, v) => env.insert(k.clone(), v.clone()),
                Change::Unset(k) | Change::UnsetLocal(k) => env.remove(k),
            };
        }
    }

    #[test]
    fn activate_then_clear_restores_the_shell() {
        let before: HashMap<String, String> = [
            ("AWS_PROFILE", "default"),
            ("AWS_REGION", "us-west-2"),
            ("AWS_ACCESS_KEY_ID", "AKIAUSERS"),
            ("HOME", "/home/u"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut env = before.clone();

        let current = |env: &HashMap<String, String>| Current::from_vars(env.clone());
        let first = activate(&session(), Some("eu-west-1"), &current(&env));
        apply(&mut env, &first);
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "ASIAEXAMPLE");
        assert_eq!(env["AWS_SECURITY_TOKEN"], "t0k3n");
        assert_eq!(env["AWS_REGION"], "eu-west-1");
        assert_eq!(env["AWS_DEFAULT_REGION"], "eu-west-1");
        assert!(!env.contains_key("AWS_PROFILE"));
        assert_eq!(env["AWSENV_ACCOUNT"], "personal");

        // A second account without a region gets the user's own region back, and switching
        // again must not overwrite what was saved the first time.
        let second = activate(&session(), None, &current(&env));
        apply(&mut env, &second);
        assert_eq!(env["AWS_REGION"], "us-west-2");
        assert!(!env.contains_key("AWS_DEFAULT_REGION"));
        assert_eq!(env["AWSENV_SAVED_AWS_ACCESS_KEY_ID"], "AKIAUSERS");

        let cleared = clear(&current(&env));
        apply(&mut env, &cleared);
        assert_eq!(env, before);
        assert!(clear(&current(&env)).is_empty());
    }
}

#[cfg(test)]
mod hook_tests {
    use super::next_check;

    #[test]
    fn the_hook_wakes_at_the_margin_then_every_recheck() {
        let (margin, now) = (300, 1_000_000);
        assert_eq!(next_check(Some(now + 3600), margin, now), now + 3300);
        assert_eq!(next_check(Some(now + 100), margin, now), now + 30);
        assert_eq!(next_check(Some(now + 10), margin, now), now + 10);
        assert_eq!(next_check(Some(now - 10), margin, now), now + 30);
        assert_eq!(next_check(None, margin, now), now + 30);
    }
}
