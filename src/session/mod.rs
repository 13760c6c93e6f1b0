//! A session is what STS returned, plus what awsenv needs to show and reuse it. This is also
//! the cache file's format, so its fields are a contract with other awsenv processes.
//! `cache` keeps sessions on disk; `obtain` makes them; `renewal` makes them again without a
//! person.

pub mod cache;
pub mod obtain;
pub mod renewal;

use crate::clock;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

/// Bumped when the file format changes; other versions are treated as absent.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    /// GetSessionToken with an MFA code.
    Mfa,
    /// GetSessionToken without MFA.
    Session,
    /// AssumeRole.
    Role,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Mfa => "mfa",
            SessionKind::Session => "session",
            SessionKind::Role => "role",
        }
    }

    pub fn parse(s: &str) -> Option<SessionKind> {
        [SessionKind::Mfa, SessionKind::Session, SessionKind::Role]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// How switch and now describe it: "MFA session", "role session".
    pub fn describe(self) -> &'static str {
        match self {
            SessionKind::Mfa => "MFA session",
            SessionKind::Session => "session (no MFA)",
            SessionKind::Role => "role session",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    pub account: String,
    pub kind: SessionKind,
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
    /// The length asked for, in seconds (None: AWS's default), so that a later `--duration`
    /// asking for another gets a new session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked: Option<u32>,
    /// AWS's clock minus this machine's when the session was made (see `aws::Issued`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub clock_offset: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl Session {
    /// When the session ends by this machine's clock: what the shell, the prompt and every
    /// tool that reads AWS_CREDENTIAL_EXPIRATION compare with their own clock. A machine
    /// whose clock is off would otherwise show (and keep) a session an hour too long, or
    /// drop it at once.
    pub fn expires_at(&self) -> i64 {
        clock::parse_rfc3339(&self.expiration).unwrap_or(0) - self.clock_offset
    }

    /// `expires_at` as RFC 3339 UTC: the expiration awsenv gives out.
    pub fn expiration_here(&self) -> String {
        if self.clock_offset == 0 {
            self.expiration.clone()
        } else {
            clock::format_rfc3339(self.expires_at())
        }
    }

    pub fn seconds_left(&self) -> i64 {
        self.seconds_left_at(clock::now())
    }

    pub fn seconds_left_at(&self, now: i64) -> i64 {
        self.expires_at() - now
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
