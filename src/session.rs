//! A session is what STS returned, plus what awsenv needs to show and reuse it. This is also
//! the cache file's format, so its fields are a contract with other awsenv processes.

use crate::clock;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// Bumped when the file format changes; other versions are treated as absent.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// GetSessionToken with an MFA code.
    Mfa,
    /// GetSessionToken without MFA.
    Session,
    /// AssumeRole.
    Role,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mfa => "mfa",
            Kind::Session => "session",
            Kind::Role => "role",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Mfa, Kind::Session, Kind::Role]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// How switch and now describe it: "MFA session", "role session".
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Mfa => "MFA session",
            Kind::Session => "session (no MFA)",
            Kind::Role => "role session",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    pub account: String,
    pub kind: Kind,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// RFC 3339 UTC, as STS gave it.
    pub expiration: String,
    /// The ARN AWS sees: the IAM user, or the assumed role session.
    pub identity: String,
    /// The MFA device whose code made this session (or the session it was made from).
    pub mfa_serial: Option<String>,
    /// See `Account::origin`: what the session was made from.
    pub origin: String,
}

impl Session {
    pub fn expires_at(&self) -> i64 {
        clock::parse_rfc3339(&self.expiration).unwrap_or(0)
    }

    pub fn seconds_left(&self) -> i64 {
        self.expires_at() - clock::now()
    }

    pub fn credentials(&self) -> crate::aws::Credentials {
        crate::aws::Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: Some(self.session_token.clone()),
        }
    }

    /// Still usable for at least `margin` seconds.
    pub fn is_fresh(&self, margin: i64) -> bool {
        self.seconds_left() > margin
    }
}
