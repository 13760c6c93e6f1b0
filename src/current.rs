//! What this shell has now, as its environment says: the account selected, whether it holds
//! credentials and when they end, what kind of session they are, and the values awsenv saved
//! to restore. Parsed once per run; the hook, the prompt segment, `now`, `switch`, `clear` and
//! `exec` all read it from here, and tests build it from a list of variables.
//! (AWS_* and AWSENV_* are all it is asked for.)

use crate::clock;
use crate::session::SessionKind;
#[cfg(test)]
use std::collections::BTreeMap;

/// awsenv's own variables: what `now` shows and the prompt reads.
pub const ACCOUNT: &str = "AWSENV_ACCOUNT";
pub const KIND: &str = "AWSENV_KIND";
pub const IDENTITY: &str = "AWSENV_IDENTITY";

#[derive(Debug, Clone)]
pub struct Current {
    vars: Vars,
    account: Option<String>,
    access_key_id: Option<String>,
    /// When this shell's credentials end; None without credentials (or an unreadable time).
    expires: Option<i64>,
}

/// Where the variables come from: the process (read one by one, as asked: copying the whole
/// environment would be most of what a prompt hook costs), or a list a test gives.
#[derive(Debug, Clone)]
enum Vars {
    Process,
    #[cfg(test)]
    Given(BTreeMap<String, String>),
}

impl Current {
    pub fn from_env() -> Current {
        Current::with(Vars::Process)
    }

    #[cfg(test)]
    pub fn from_vars(all: impl IntoIterator<Item = (String, String)>) -> Current {
        Current::with(Vars::Given(all.into_iter().collect()))
    }

    fn with(vars: Vars) -> Current {
        let mut current = Current {
            vars,
            account: None,
            access_key_id: None,
            expires: None,
        };
        current.account = current.get(ACCOUNT);
        current.access_key_id = current.get("AWS_ACCESS_KEY_ID");
        current.expires = current
            .access_key_id
            .as_ref()
            .and(current.get("AWS_CREDENTIAL_EXPIRATION"))
            .and_then(|e| clock::parse_rfc3339(&e));
        current
    }

    /// A variable that is set and not empty.
    pub fn get(&self, name: &str) -> Option<String> {
        match &self.vars {
            Vars::Process => std::env::var(name).ok(),
            #[cfg(test)]
            Vars::Given(vars) => vars.get(name).cloned(),
        }
        .filter(|v| !v.is_empty())
    }

    /// `get`, the form `vars` reads the shell through.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |name| self.get(name)
    }

    /// The names of the set variables that start with `prefix`.
    pub fn names_with(&self, prefix: &str) -> Vec<String> {
        let names: Vec<String> = match &self.vars {
            Vars::Process => std::env::vars_os()
                .filter_map(|(k, _)| k.into_string().ok())
                .collect(),
            #[cfg(test)]
            Vars::Given(vars) => vars.keys().cloned().collect(),
        };
        names
            .into_iter()
            .filter(|k| k.starts_with(prefix) && self.get(k).is_some())
            .collect()
    }

    /// The account awsenv selected in this shell.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    pub fn access_key_id(&self) -> Option<&str> {
        self.access_key_id.as_deref()
    }

    pub fn has_credentials(&self) -> bool {
        self.access_key_id().is_some()
    }

    /// When the credentials this shell holds end (Unix seconds).
    pub fn expires(&self) -> Option<i64> {
        self.expires
    }

    /// `AWS_CREDENTIAL_EXPIRATION` as written.
    pub fn expiration(&self) -> Option<String> {
        self.get("AWS_CREDENTIAL_EXPIRATION")
    }

    pub fn kind(&self) -> Option<SessionKind> {
        self.get(KIND).as_deref().and_then(SessionKind::parse)
    }

    pub fn identity(&self) -> Option<String> {
        self.get(IDENTITY)
    }

    pub fn region(&self) -> Option<String> {
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
        let without = current(&[
            ("AWSENV_ACCOUNT", "personal"),
            ("AWS_CREDENTIAL_EXPIRATION", at),
        ]);
        assert_eq!(without.expires(), None);
        assert!(!without.has_credentials());
        assert_eq!(current(&[("AWSENV_ACCOUNT", "")]).account(), None);
    }
}
