//! What this shell has now, as its environment says: the account selected, whether it holds
//! credentials and when they end, what kind of session they are, and the values awsenv saved
//! to restore. Parsed once per run; the hook, the prompt segment, `now`, `switch`, `clear` and
//! `exec` all read it from here, and tests build it from a list of variables.

use crate::clock;
use crate::session::SessionKind;
use std::collections::BTreeMap;

/// awsenv's own variables: what `now` shows and the prompt reads.
pub const ACCOUNT: &str = "AWSENV_ACCOUNT";
pub const KIND: &str = "AWSENV_KIND";
pub const IDENTITY: &str = "AWSENV_IDENTITY";

#[derive(Debug, Clone, Default)]
pub struct Current {
    /// The AWS_* and AWSENV_* variables that are set and not empty.
    vars: BTreeMap<String, String>,
    /// When this shell's credentials end; None without credentials (or an unreadable time).
    expires: Option<i64>,
}

impl Current {
    pub fn from_env() -> Current {
        Current::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    pub fn from_vars(all: impl IntoIterator<Item = (String, String)>) -> Current {
        let vars: BTreeMap<String, String> = all
            .into_iter()
            .filter(|(k, v)| (k.starts_with("AWS_") || k.starts_with("AWSENV_")) && !v.is_empty())
            .collect();
        let expires = vars
            .get("AWS_ACCESS_KEY_ID")
            .and(vars.get("AWS_CREDENTIAL_EXPIRATION"))
            .and_then(|e| clock::parse_rfc3339(e));
        Current { vars, expires }
    }

    /// Any AWS_* or AWSENV_* variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// `get` with an owned value, the form `vars` reads the shell through.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |name| self.get(name).map(str::to_owned)
    }

    /// The names of the set variables that start with `prefix`.
    pub fn names_with(&self, prefix: &str) -> impl Iterator<Item = &str> {
        self.vars
            .keys()
            .filter(move |k| k.starts_with(prefix))
            .map(String::as_str)
    }

    /// The account awsenv selected in this shell.
    pub fn account(&self) -> Option<&str> {
        self.get(ACCOUNT)
    }

    pub fn access_key_id(&self) -> Option<&str> {
        self.get("AWS_ACCESS_KEY_ID")
    }

    pub fn has_credentials(&self) -> bool {
        self.access_key_id().is_some()
    }

    /// When the credentials this shell holds end (Unix seconds).
    pub fn expires(&self) -> Option<i64> {
        self.expires
    }

    /// `AWS_CREDENTIAL_EXPIRATION` as written.
    pub fn expiration(&self) -> Option<&str> {
        self.get("AWS_CREDENTIAL_EXPIRATION")
    }

    pub fn kind(&self) -> Option<SessionKind> {
        self.get(KIND).and_then(SessionKind::parse)
    }

    pub fn identity(&self) -> Option<&str> {
        self.get(IDENTITY)
    }

    pub fn region(&self) -> Option<&str> {
        self.get("AWS_REGION")
            .or_else(|| self.get("AWS_DEFAULT_REGION"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(vars: &[(&str, &str)]) -> Current {
        Current::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn the_expiry_counts_only_with_credentials() {
        let at = "2026-11-21T20:00:00Z";
        let with = current(&[
            ("AWSENV_ACCOUNT", "personal"),
            ("AWS_ACCESS_KEY_ID", "ASIA"),
            ("AWS_CREDENTIAL_EXPIRATION", at),
            ("HOME", "/ignored"),
        ]);
        assert_eq!(with.account(), Some("personal"));
        assert_eq!(with.expires(), clock::parse_rfc3339(at));
        assert_eq!(with.get("HOME"), None);
        let without = current(&[
            ("AWSENV_ACCOUNT", "personal"),
            ("AWS_CREDENTIAL_EXPIRATION", at),
        ]);
        assert_eq!(without.expires(), None);
        assert!(!without.has_credentials());
        assert_eq!(current(&[("AWSENV_ACCOUNT", "")]).account(), None);
    }
}
