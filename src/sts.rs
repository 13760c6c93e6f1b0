//! The only door to AWS. The SDK and tokio live in a separate binary, `awsenv-sts`, so that
//! everything else (the prompt hook above all) starts as fast as a process can; this module
//! sends it one request as JSON on stdin and reads one reply on stdout. Secrets travel only
//! through that pipe, never in arguments or the environment.

use crate::error::{Result, fail};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub call: Call,
    pub credentials: Credentials,
    pub region: String,
    /// `AWS_ENDPOINT_URL_STS` or `AWS_ENDPOINT_URL`; None for AWS itself.
    pub endpoint: Option<String>,
    /// Per attempt; the SDK tries twice.
    pub timeout_secs: u64,
    pub debug: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Call {
    /// Also asks GetCallerIdentity with the new credentials, for the identity they carry.
    GetSessionToken {
        duration_seconds: Option<u32>,
        mfa: Option<Mfa>,
    },
    AssumeRole {
        role_arn: String,
        session_name: String,
        external_id: Option<String>,
        duration_seconds: Option<u32>,
        mfa: Option<Mfa>,
    },
}

impl Call {
    pub fn name(&self) -> &'static str {
        match self {
            Call::GetSessionToken { .. } => "GetSessionToken",
            Call::AssumeRole { .. } => "AssumeRole",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Mfa {
    pub serial: String,
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Issued(Issued),
    Failed(Failure),
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Issued {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Unix seconds.
    pub expiration: i64,
    pub identity: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Failure {
    pub reason: Reason,
    /// AWS's error code, when AWS answered.
    pub code: Option<String>,
    pub message: String,
}

/// What went wrong, in the terms the caller needs to say what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The signing key is unknown, inactive, or the secret is wrong.
    BadCredentials,
    /// The signing credentials were temporary and have expired.
    ExpiredCredentials,
    MfaRejected,
    /// AccessDenied, ValidationError and the like: AWS understood and said no.
    Denied,
    Timeout,
    Unreachable,
    Other,
}

/// The STS endpoint override, as the AWS CLI and SDKs read it.
pub fn endpoint_from_env() -> Option<String> {
    let ignore = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
}

/// `awsenv-sts` beside this executable (as `cargo install` and the release archive put it),
/// else on PATH.
fn helper() -> PathBuf {
    std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name("awsenv-sts"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("awsenv-sts"))
}

pub fn call(request: &Request) -> Result<Reply> {
    let helper = helper();
    crate::debug!(
        "{} via {} (region {}, endpoint {})",
        request.call.name(),
        helper.display(),
        request.region,
        request.endpoint.as_deref().unwrap_or("AWS")
    );
    let mut child = Command::new(&helper)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            fail!(
                Failure,
                "cannot start {} ({e}): reinstall awsenv, which needs it beside the awsenv binary",
                helper.display()
            )
        })?;
    let body = serde_json::to_vec(request).map_err(|e| fail!(Failure, "{e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that died early shows up in its exit status below.
        let _ = stdin.write_all(&body);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| fail!(Failure, "awsenv-sts: {e}"))?;
    if out.status.signal() == Some(nix::libc::SIGINT) {
        return Err(fail!(Interrupted, "interrupted; nothing was changed"));
    }
    serde_json::from_slice(&out.stdout).map_err(|_| {
        fail!(
            Failure,
            "awsenv-sts ended without an answer ({}); run with --debug for details",
            out.status
        )
    })
}
