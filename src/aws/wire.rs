//! The protocol between `awsenv` and `awsenv-aws`: one `Request` as JSON on the helper's stdin,
//! one `Reply` on its stdout. This is all the helper binary needs of the library; secrets are
//! `Secret`s, so no Debug output of a request or a reply shows them.

use crate::error::{Result, fail};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What awsenv asks of awsenv-aws: a call to AWS, or an operation on the OS keychain (whose
/// code only the helper links). awsenv sends one made of references.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Envelope<A = Request, K = KeychainRequest> {
    Aws(A),
    Keychain(K),
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub call: Call,
    pub credentials: Signing,
    /// A person is at hand: the keychain may ask them to unlock it.
    #[serde(default)]
    pub interactive: bool,
    pub region: String,
    /// The profile whose settings the SDK reads, as the AWS CLI would for it: endpoint URLs
    /// (its own, and its `services` section's), retries, FIPS and dual-stack endpoints, the
    /// user agent's app id. Never credentials: those are `credentials`.
    pub profile: String,
    /// For the whole call, retries included.
    pub timeout_secs: u64,
    pub debug: bool,
    /// The proxy for https endpoints (HTTPS_PROXY or ALL_PROXY) and for plain http ones
    /// (HTTP_PROXY or ALL_PROXY), each with NO_PROXY: only the SDK knows which endpoint a
    /// call goes to.
    #[serde(default)]
    pub https_proxy: Option<Proxy>,
    #[serde(default)]
    pub http_proxy: Option<Proxy>,
    /// A PEM file of CA certificates to trust besides the system's (AWS_CA_BUNDLE, or the
    /// profile's ca_bundle).
    #[serde(default)]
    pub ca_bundle: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proxy {
    /// `scheme://[user:password@]host:port`.
    pub url: Secret,
    /// The same without credentials, for --debug.
    pub shown: String,
    /// Hosts, domains and networks reached directly, as NO_PROXY lists them.
    pub no_proxy: Option<String>,
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
    /// ListVirtualMFADevices with AssignmentStatus=Unassigned: devices made but enabled for
    /// no one (a setup that did not finish). Answered with `Reply::Devices`.
    ListUnassignedVirtualMfaDevices,
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

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Sts => "STS",
            Service::Iam => "IAM",
        }
    }
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
            Call::ListUnassignedVirtualMfaDevices => "ListVirtualMFADevices",
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

/// The credentials that sign a call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signing {
    /// Credentials awsenv holds: a cached session, or keys from the shared files.
    Given(Credentials),
    /// An IAM user's key whose secret is in the OS keychain: the helper reads it there, so
    /// it never passes through awsenv.
    Keychain { access_key_id: String },
}

impl From<Credentials> for Signing {
    fn from(credentials: Credentials) -> Signing {
        Signing::Given(credentials)
    }
}

impl Signing {
    /// Made of the visible ASCII characters AWS uses (see `Credentials::look_valid`).
    pub fn look_valid(&self) -> bool {
        match self {
            Signing::Given(credentials) => credentials.look_valid(),
            Signing::Keychain { access_key_id } => {
                crate::profile::shape::access_key_id(access_key_id)
            }
        }
    }
}

/// An operation on the OS keychain, where awsenv keeps long-term secret keys (one item per
/// access key id).
#[derive(Debug, Serialize, Deserialize)]
pub struct KeychainRequest {
    pub op: KeychainOp,
    /// A person is at hand: the keychain may ask them to unlock it.
    pub interactive: bool,
    /// How long the keychain may take when it does not wait for a person.
    pub timeout_secs: u64,
    pub debug: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum KeychainOp {
    /// Whether it can be reached and is unlocked, and the keys it holds: `Reply::Keychain`.
    Status,
    /// Stores a secret, replacing any for that key: `Reply::Done`.
    Set {
        access_key_id: String,
        secret_access_key: Secret,
        label: String,
    },
    /// `Reply::Deleted`: whether there was one.
    Delete { access_key_id: String },
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
    /// The keychain's state: locked or not, and the access key ids it holds.
    Keychain {
        locked: bool,
        ids: Vec<String>,
    },
    /// A keychain item was deleted (true), or there was none.
    Deleted(bool),
    Done,
    Failed(Failure),
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Issued {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Unix seconds, by AWS's clock.
    pub expiration: i64,
    pub identity: String,
    /// AWS's clock minus this machine's, in seconds, from the Date of STS's answer (0 within
    /// a few seconds): the expiration by this machine's clock is `expiration - clock_offset`.
    #[serde(default)]
    pub clock_offset: i64,
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
    /// The request went to the proxy, which reaches the endpoint for it.
    #[serde(default)]
    pub via_proxy: bool,
    /// `scheme://host[:port]` of the endpoint the SDK resolved, once a request was made.
    #[serde(default)]
    pub endpoint: Option<String>,
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
    /// The proxy itself cannot be reached (refused, no such host).
    ProxyUnreachable,
    /// The proxy wants credentials (407), or refused the ones given.
    ProxyAuth,
    /// The proxy answered CONNECT with an error: it refused the credentials, or will not
    /// connect to the endpoint (hyper-util does not say which).
    ProxyRefused,
    /// The proxy URL is not one the HTTP client takes.
    BadProxy,
    /// The endpoint's certificate does not verify against the trusted CAs.
    Untrusted,
    /// The CA bundle cannot be read, or holds no certificate.
    BadCaBundle,
    /// A 5xx or a throttling answer: AWS (or something in between) is having trouble.
    Unavailable,
    /// An answer that is not AWS's (a captive portal's page, a proxy's error).
    NotAws,
    /// No keychain can be reached (no D-Bus session or Secret Service), or it did not answer.
    KeychainUnreachable,
    /// The keychain is locked and was not (or could not be) unlocked.
    KeychainLocked,
    /// The keychain holds no secret for the access key id.
    KeychainMissing,
    /// The keychain answered with an error of its own.
    KeychainFailed,
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

impl Reply {
    pub fn into_issued(self) -> Result<Issued> {
        match self {
            Reply::Issued(issued) => Ok(issued),
            other => Err(other.unexpected()),
        }
    }

    /// GetCallerIdentity's ARN and account ID.
    pub fn into_identity(self) -> Result<(String, String)> {
        match self {
            Reply::Identity { arn, account } => Ok((arn, account)),
            other => Err(other.unexpected()),
        }
    }

    pub fn into_devices(self) -> Result<Vec<String>> {
        match self {
            Reply::Devices(serials) => Ok(serials),
            other => Err(other.unexpected()),
        }
    }

    /// CreateVirtualMFADevice's serial and seed.
    pub fn into_created(self) -> Result<(String, Secret)> {
        match self {
            Reply::Created { serial, seed } => Ok((serial, seed)),
            other => Err(other.unexpected()),
        }
    }

    pub fn into_signin_token(self) -> Result<Secret> {
        match self {
            Reply::SigninToken(token) => Ok(token),
            other => Err(other.unexpected()),
        }
    }

    pub fn into_keys(self) -> Result<Vec<String>> {
        match self {
            Reply::Keys(ids) => Ok(ids),
            other => Err(other.unexpected()),
        }
    }

    /// CreateAccessKey's key ID and secret.
    pub fn into_new_key(self) -> Result<(String, Secret)> {
        match self {
            Reply::NewKey {
                access_key_id,
                secret_access_key,
            } => Ok((access_key_id, secret_access_key)),
            other => Err(other.unexpected()),
        }
    }

    pub fn into_done(self) -> Result<()> {
        match self {
            Reply::Done => Ok(()),
            other => Err(other.unexpected()),
        }
    }

    fn unexpected(&self) -> crate::error::Error {
        fail!(Failure, "awsenv-aws gave an unexpected answer: {self:?}")
    }
}
