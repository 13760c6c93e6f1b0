//! The only door to AWS. The SDK and tokio live in a separate binary, `awsenv-aws`, so that
//! everything else (the prompt hook above all) starts as fast as a process can; this module
//! sends it one request as JSON on stdin and reads one reply on stdout. Secrets travel only
//! through that pipe, never in arguments or the environment. A failure comes back as an error
//! of one line that says what to do, with any secret of the request masked.

use crate::error::{Error, Result, fail};
use crate::profile::{Account, Keys};
use crate::secret::{Secret, redact};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub call: Call,
    pub credentials: Credentials,
    pub region: String,
    /// `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL`; None for AWS itself.
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
    GetCallerIdentity,
    ListMfaDevices {
        user_name: String,
    },
    CreateVirtualMfaDevice {
        name: String,
    },
    EnableMfaDevice {
        user_name: String,
        serial: String,
        code1: String,
        code2: String,
    },
    DeactivateMfaDevice {
        user_name: String,
        serial: String,
    },
    DeleteVirtualMfaDevice {
        serial: String,
    },
    /// Credentials for a console session with the user's own rights.
    GetFederationToken {
        name: String,
        duration_seconds: Option<u32>,
    },
    /// The federation endpoint's sign-in token for the request's credentials.
    GetSigninToken {
        federation_url: String,
        session_duration: Option<u32>,
    },
    ListAccessKeys {
        user_name: String,
    },
    CreateAccessKey {
        user_name: String,
    },
    DeleteAccessKey {
        user_name: String,
        access_key_id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Sts,
    Iam,
}

impl Call {
    pub fn name(&self) -> &'static str {
        match self {
            Call::GetSessionToken { .. } => "GetSessionToken",
            Call::AssumeRole { .. } => "AssumeRole",
            Call::GetCallerIdentity => "GetCallerIdentity",
            Call::ListMfaDevices { .. } => "ListMFADevices",
            Call::CreateVirtualMfaDevice { .. } => "CreateVirtualMFADevice",
            Call::EnableMfaDevice { .. } => "EnableMFADevice",
            Call::DeactivateMfaDevice { .. } => "DeactivateMFADevice",
            Call::DeleteVirtualMfaDevice { .. } => "DeleteVirtualMFADevice",
            Call::GetFederationToken { .. } => "GetFederationToken",
            Call::GetSigninToken { .. } => "getSigninToken",
            Call::ListAccessKeys { .. } => "ListAccessKeys",
            Call::CreateAccessKey { .. } => "CreateAccessKey",
            Call::DeleteAccessKey { .. } => "DeleteAccessKey",
        }
    }

    pub fn service(&self) -> Service {
        match self {
            Call::GetSessionToken { .. }
            | Call::AssumeRole { .. }
            | Call::GetCallerIdentity
            | Call::GetFederationToken { .. }
            | Call::GetSigninToken { .. } => Service::Sts,
            _ => Service::Iam,
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
    /// GetCallerIdentity: the caller's ARN and account.
    Identity {
        arn: String,
        account: String,
    },
    /// ListMFADevices: the serials of the user's devices.
    Devices(Vec<String>),
    /// CreateVirtualMFADevice: its serial and the Base32 seed (shown once, to be scanned).
    Created {
        serial: String,
        seed: Secret,
    },
    /// getSigninToken: what the console's login URL carries.
    SigninToken(Secret),
    /// ListAccessKeys: the user's access key ids.
    Keys(Vec<String>),
    /// CreateAccessKey: the new key.
    NewKey {
        access_key_id: String,
        secret_access_key: Secret,
    },
    Done,
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
    /// The HTTP status of the answer, when there was one.
    #[serde(default)]
    pub status: Option<u16>,
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
    /// AccessDenied, ValidationError, EntityAlreadyExists and the like: AWS said no.
    Denied,
    Timeout,
    Unreachable,
    /// A 5xx or a throttling answer: AWS (or something in between) is having trouble.
    Unavailable,
    /// An answer that is not AWS's (a captive portal's page, a proxy's error).
    NotAws,
    Other,
}

/// Percent-encoding for URL query values (everything but unreserved characters).
pub fn url_encode(text: &str) -> String {
    percent_encode(text, b"")
}

/// Percent-encodes all but unreserved characters and those in `plain`.
pub fn percent_encode(text: &str, plain: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || plain.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Credentials {
    /// Made of the visible ASCII characters AWS uses: anything else cannot even be sent (the
    /// key travels in an HTTP header).
    pub fn look_valid(&self) -> bool {
        let visible = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic());
        visible(&self.access_key_id)
            && visible(self.secret_access_key.expose())
            && self
                .session_token
                .as_ref()
                .is_none_or(|t| visible(t.expose()))
    }
}

/// Credentials that no AWS credential looks like: say where they came from, not what they hold.
fn damaged(account: &Account, signer: &Signer) -> Error {
    match signer {
        Signer::Keys(owner, keys) => fail!(
            Credentials,
            "{}: the keys of [{}] in {} hold characters no AWS key has: correct them",
            account.name,
            owner.name,
            keys.file.display()
        ),
        Signer::Session(source) => fail!(
            Cache,
            "{}: the cached session of {1} is damaged: run awsenv logout {1} and try again",
            account.name,
            source.name
        ),
    }
}

/// Whose credentials sign a request, for saying what to do when AWS rejects them.
pub enum Signer<'a> {
    /// An IAM user's keys from the shared files.
    Keys(&'a Account, &'a Keys),
    /// A cached session of this account.
    Session(&'a Account),
}

/// Makes one call for `account` (whose region and name appear in messages), signed with
/// `credentials`; `signer` says where they came from.
pub fn call(
    account: &Account,
    call: Call,
    credentials: Credentials,
    signer: &Signer,
) -> Result<Reply> {
    if !credentials.look_valid() {
        return Err(damaged(account, signer));
    }
    let service = call.service();
    let request = Request {
        region: match service {
            // IAM is global: its endpoint lives in us-east-1.
            Service::Iam => "us-east-1".into(),
            Service::Sts => account.region.clone().unwrap_or_else(|| "us-east-1".into()),
        },
        endpoint: match &call {
            Call::GetSigninToken { federation_url, .. } => Some(federation_url.clone()),
            _ => endpoint_from_env(service),
        },
        timeout_secs: timeout()?,
        debug: crate::debug::enabled(),
        call,
        credentials,
    };
    match spawn(&request)? {
        Reply::Failed(failure) => Err(explain(account, &request, signer, failure)),
        reply => Ok(reply),
    }
}

/// The endpoint override, as the AWS CLI and SDKs read it.
fn endpoint_from_env(service: Service) -> Option<String> {
    let ignore = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    let specific = match service {
        Service::Sts => "AWS_ENDPOINT_URL_STS",
        Service::Iam => "AWS_ENDPOINT_URL_IAM",
    };
    [specific, "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
}

/// `AWSENV_TIMEOUT`: how long to wait for AWS per attempt (default 10s).
fn timeout() -> Result<u64> {
    match std::env::var("AWSENV_TIMEOUT") {
        Ok(v) if !v.is_empty() => Ok(crate::clock::parse_duration(&v)
            .map_err(|e| fail!(Config, "AWSENV_TIMEOUT: {e}"))?
            .max(1)
            .into()),
        _ => Ok(10),
    }
}

/// `awsenv-aws` beside this executable (as `cargo install` puts it), else on PATH.
fn helper() -> PathBuf {
    std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name("awsenv-aws"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("awsenv-aws"))
}

fn spawn(request: &Request) -> Result<Reply> {
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
        .map_err(|e| fail!(Failure, "awsenv-aws: {e}"))?;
    serde_json::from_slice(&out.stdout).map_err(|_| {
        fail!(
            Failure,
            "awsenv-aws ended without an answer ({}); run with --debug for details",
            out.status
        )
    })
}

fn status(failure: &Failure) -> String {
    failure
        .status
        .map_or_else(|| "no status".into(), |s| s.to_string())
}

/// Turns what AWS said into one line that says what to do next.
fn explain(account: &Account, request: &Request, signer: &Signer, failure: Failure) -> Error {
    let name = &account.name;
    let op = request.call.name();
    let code = failure.code.as_deref().unwrap_or("no code");
    let mut secrets = vec![&request.credentials.secret_access_key];
    secrets.extend(request.credentials.session_token.as_ref());
    let aws = redact(&failure.message, &secrets);
    let endpoint = request
        .endpoint
        .clone()
        .unwrap_or_else(|| match request.call.service() {
            Service::Sts => format!("sts.{}.amazonaws.com", request.region),
            Service::Iam => "iam.amazonaws.com".into(),
        });
    match (failure.reason, signer) {
        (Reason::BadCredentials, Signer::Keys(owner, keys)) => fail!(
            Credentials,
            "{name}: AWS rejected the access key of [{}] in {} ({code}): correct it or create a new key",
            owner.name,
            keys.file.display()
        ),
        (Reason::BadCredentials, Signer::Session(source)) => fail!(
            Credentials,
            "{name}: AWS rejected the cached session of {0} ({code}): run awsenv logout {0} and try again",
            source.name
        ),
        (Reason::ExpiredCredentials, Signer::Keys(owner, keys)) => fail!(
            Credentials,
            "{name}: the temporary credentials of [{}] in {} have expired: replace them",
            owner.name,
            keys.file.display()
        ),
        (Reason::ExpiredCredentials, Signer::Session(source)) => fail!(
            Credentials,
            "{name}: the session of {0} has expired: run awsenv mfa {0}",
            source.name
        ),
        (Reason::MfaRejected, _) => fail!(
            Mfa,
            "{name}: AWS rejected the MFA code: wait for the next code and try again"
        ),
        (Reason::Denied, _) => fail!(Denied, "{name}: AWS refused {op} ({code}): {aws}"),
        (Reason::Timeout, _) => fail!(
            Network,
            "{name}: no answer from {endpoint} within {}s: check the network (AWSENV_TIMEOUT sets the wait)",
            request.timeout_secs
        ),
        (Reason::Unreachable, _) => fail!(
            Network,
            "{name}: cannot reach {endpoint} ({aws}): check the network and AWS_ENDPOINT_URL"
        ),
        (Reason::Unavailable, _) => fail!(
            Network,
            "{name}: {endpoint} answered {op} with HTTP {} ({code}): AWS or something in \
             between is having trouble; try again in a minute",
            status(&failure)
        ),
        (Reason::NotAws, _) => fail!(
            Network,
            "{name}: {endpoint} answered {op} with HTTP {} and a page that is not from AWS (a \
             captive portal or a proxy?): sign in to the network, or check AWS_ENDPOINT_URL",
            status(&failure)
        ),
        (Reason::Other, _) => fail!(Failure, "{name}: {op} failed ({code}): {aws}"),
    }
}
