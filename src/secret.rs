//! A string that must only ever reach the code a shell evals or a child's environment:
//! it has no Display, and its Debug output is a placeholder, so a stray `{:?}` in a log
//! line or an error message cannot leak it.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Replaces every occurrence of the given secrets in `text`, for messages that carry text
/// from elsewhere (an AWS error message, a child's output) before they reach a terminal.
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        if !secret.0.is_empty() {
            out = out.replace(&secret.0, "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("wJalrXUtnFEMI");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"wJalrXUtnFEMI\"");
    }

    #[test]
    fn redact_replaces_every_occurrence() {
        let a = Secret::new("abc");
        let empty = Secret::new("");
        assert_eq!(redact("x abc y abc", &[&a, &empty]), "x *** y ***");
    }
}
