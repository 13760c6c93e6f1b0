//! The only door to AWS. The SDK and tokio live in a separate binary, `awsenv-aws`, so that
//! everything else (the prompt hook above all) starts as fast as a process can; this module
//! sends it one request as JSON on stdin and reads one reply on stdout. Secrets travel only
//! through that pipe, never in arguments or the environment. A failure comes back as an error
//! of one line that says what to do, with any secret of the request masked.

pub mod iam;
pub mod partition;
pub mod wire;

pub use wire::{
    Call, Credentials, Envelope, Failure, Issued, Mfa, Reason, Reply, Request, Service, Signing,
};

use crate::error::{Error, Result, fail};
use crate::profile::{Account, Kept, Keys};
use crate::secret::{Secret, redact};
use crate::settings::{Proxy, Settings};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// What the OS keychain is called in messages ("the Secret Service", "the macOS Keychain").
pub const KEYCHAIN: &str = awsenv_keychain::Keychain::NAME;

impl Keys {
    /// "in ~/.aws/credentials", "in the Secret Service": where a message says the key is.
    pub fn whereabouts(&self) -> String {
        match &self.kept {
            Kept::File { path, .. } => format!("in {}", path.display()),
            Kept::Keychain { .. } => format!("in {KEYCHAIN}"),
        }
    }

    /// The keys as they sign a request: a keychain's secret is fetched by the helper.
    pub fn credentials(&self) -> Signing {
        match &self.kept {
            Kept::File { secret, .. } => Signing::Given(Credentials {
                access_key_id: self.access_key_id.clone(),
                secret_access_key: secret.clone(),
                session_token: self.session_token.clone(),
            }),
            Kept::Keychain { .. } => Signing::Keychain {
                access_key_id: self.access_key_id.clone(),
            },
        }
    }
}

/// Credentials that no AWS credential looks like: say where they came from, not what they hold.
fn damaged(account: &Account, signer: &Signer) -> Error {
    match signer {
        Signer::Keys(owner, keys) => fail!(
            Credentials,
            "{}: the keys of [{}] {} hold characters no AWS key has: correct them",
            account.name,
            owner.name,
            keys.whereabouts()
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

/// The client side of the door: builds requests with the settings' timeout and endpoints.
pub struct Aws<'a> {
    settings: &'a Settings,
    /// A person is at hand: the keychain may ask them to unlock it.
    interactive: bool,
}

impl<'a> Aws<'a> {
    pub fn new(settings: &'a Settings) -> Aws<'a> {
        Aws {
            settings,
            interactive: true,
        }
    }

    /// For renewals nobody waits for: a locked keychain is an error, never a dialog.
    pub fn unattended(settings: &'a Settings) -> Aws<'a> {
        Aws {
            settings,
            interactive: false,
        }
    }

    /// Makes one call for `account` (whose region and name appear in messages), signed with
    /// `credentials`; `signer` says where they came from.
    pub fn call(
        &self,
        account: &Account,
        call: Call,
        credentials: impl Into<Signing>,
        signer: &Signer,
    ) -> Result<Reply> {
        let credentials = credentials.into();
        if !credentials.look_valid() {
            return Err(damaged(account, signer));
        }
        let route = Route {
            https: self.settings.proxy_for(Some("https://"))?,
            http: self.settings.proxy_for(Some("http://"))?,
            trust: self.trust(account),
        };
        let partition = account.partition();
        let wire = |proxy: &Option<Proxy>| {
            proxy.as_ref().map(|p| wire::Proxy {
                url: p.url.clone(),
                shown: p.shown.clone(),
                no_proxy: p.no_proxy.clone(),
            })
        };
        let request = Request {
            region: match call.service() {
                // IAM is global within its partition, and lives in the partition's region.
                Service::Iam => partition.region.into(),
                Service::Sts => account.sts_region(self.settings.sts_legacy(account)?),
            },
            profile: account.name.clone(),
            timeout_secs: self.settings.timeout()?,
            debug: crate::debug::enabled(),
            https_proxy: wire(&route.https),
            http_proxy: wire(&route.http),
            ca_bundle: route.trust.as_ref().map(|t| t.path.clone()),
            call,
            credentials,
            interactive: self.interactive,
        };
        let reply = spawn(&Envelope::Aws(&request), &describe(&request, &route))?;
        match reply {
            Reply::Failed(failure) => Err(explain(account, &request, &route, signer, failure)),
            reply => Ok(reply),
        }
    }

    /// The CA bundle, in the AWS CLI's order: `AWS_CA_BUNDLE`, the profile's `ca_bundle`,
    /// `REQUESTS_CA_BUNDLE`.
    fn trust(&self, account: &Account) -> Option<Trust> {
        let named = |path: &PathBuf, setting: &str| Trust {
            path: path.clone(),
            setting: setting.into(),
        };
        let settings = self.settings;
        settings
            .ca_bundle
            .as_ref()
            .map(|path| named(path, "AWS_CA_BUNDLE"))
            .or_else(|| {
                let bundle = account.ca_bundle.as_ref()?;
                let file = bundle.file.display();
                let setting = format!("ca_bundle of profile {} in {file}", bundle.profile);
                Some(named(&bundle.path, &setting))
            })
            .or_else(|| {
                let path = settings.requests_ca_bundle.as_ref()?;
                Some(named(path, "REQUESTS_CA_BUNDLE"))
            })
    }
}

/// How a request reaches AWS, as the settings say: for the helper, and for messages.
struct Route {
    /// The proxies for https and plain http endpoints.
    https: Option<Proxy>,
    http: Option<Proxy>,
    trust: Option<Trust>,
}

impl Route {
    /// The proxy for `endpoint`'s scheme (https when unknown).
    fn proxy(&self, endpoint: Option<&str>) -> Option<&Proxy> {
        match endpoint {
            Some(e) if e.to_ascii_lowercase().starts_with("http://") => self.http.as_ref(),
            _ => self.https.as_ref(),
        }
    }
}

/// A CA bundle and the setting that named it.
struct Trust {
    path: PathBuf,
    setting: String,
}

/// `awsenv-aws` beside this executable (as `cargo install` puts it), else on PATH.
fn helper() -> PathBuf {
    std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name("awsenv-aws"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("awsenv-aws"))
}

/// What --debug says of a call before it is made.
fn describe(request: &Request, route: &Route) -> String {
    let mut network = String::new();
    let http = route
        .http
        .as_ref()
        .filter(|p| route.https.as_ref() != Some(*p));
    for proxy in route.https.iter().chain(http) {
        network.push_str(&format!(", proxy {} from {}", proxy.shown, proxy.variable));
    }
    if let Some(trust) = &route.trust {
        network.push_str(&format!(
            ", CA bundle {} from {}",
            trust.path.display(),
            trust.setting
        ));
    }
    format!(
        "{} (region {}, profile {}{network})",
        request.call.name(),
        request.region,
        crate::ui::printable(&request.profile)
    )
}

/// Hands `envelope` to awsenv-aws and reads its one reply; `what` says it for --debug.
pub(crate) fn spawn(
    envelope: &Envelope<&Request, &wire::KeychainRequest>,
    what: &str,
) -> Result<Reply> {
    let helper = helper();
    crate::debug!("{what} via {}", helper.display());
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
    let body = serde_json::to_vec(envelope).map_err(|e| fail!(Failure, "{e}"))?;
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
fn explain(
    account: &Account,
    request: &Request,
    route: &Route,
    signer: &Signer,
    failure: Failure,
) -> Error {
    let name = &account.name;
    let op = request.call.name();
    let code = failure.code.as_deref().unwrap_or("no code");
    // A keychain's secret never reaches this process: the helper masks it itself.
    let mut secrets = Vec::new();
    if let Signing::Given(credentials) = &request.credentials {
        secrets.push(credentials.secret_access_key.clone());
        secrets.extend(credentials.session_token.clone());
    }
    // Either proxy's user and password, whichever the failure is about.
    for userinfo in [&route.https, &route.http]
        .into_iter()
        .flatten()
        .flat_map(|p| &p.credentials)
    {
        secrets.push(userinfo.clone());
        if let Some((_, password)) = userinfo.expose().split_once(':') {
            secrets.push(Secret::new(password));
        }
    }
    let proxy = route.proxy(failure.endpoint.as_deref());
    let aws = redact(&failure.message, &secrets.iter().collect::<Vec<_>>());
    let endpoint = match &failure.endpoint {
        Some(endpoint) => endpoint.clone(),
        None => format!("the {} endpoint", request.call.service().name()),
    };
    let (proxy_shown, proxy_var) = proxy.map_or(("", ""), |p| (p.shown.as_str(), p.variable));
    let via = match proxy {
        Some(p) if failure.via_proxy => format!(" through the proxy {}", p.shown),
        _ => String::new(),
    };
    match (failure.reason, signer) {
        (Reason::BadCredentials, Signer::Keys(owner, keys)) => {
            let fix = match keys.kept {
                Kept::File { .. } => "correct it or create a new key".to_owned(),
                Kept::Keychain { .. } => {
                    format!("store a working one with awsenv add {}", owner.name)
                }
            };
            fail!(
                Credentials,
                "{name}: AWS rejected the access key {} of [{}] {} ({code}): {fix}",
                keys.access_key_id,
                owner.name,
                keys.whereabouts()
            )
        }
        (Reason::BadCredentials, Signer::Session(source)) => fail!(
            Credentials,
            "{name}: AWS rejected the cached session of {0} ({code}): run awsenv logout {0} and try again",
            source.name
        ),
        (Reason::ExpiredCredentials, Signer::Keys(owner, keys)) => fail!(
            Credentials,
            "{name}: the temporary credentials of [{}] {} have expired: replace them",
            owner.name,
            keys.whereabouts()
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
            "{name}: no answer from {endpoint}{via} within {}s: check the network (AWSENV_TIMEOUT sets the wait)",
            request.timeout_secs
        ),
        (Reason::Unreachable, _) => fail!(
            Network,
            "{name}: cannot reach {endpoint}{via} ({aws}): check the network and AWS_ENDPOINT_URL"
        ),
        (Reason::ProxyUnreachable, _) => fail!(
            Network,
            "{name}: cannot reach the proxy {proxy_shown} that {proxy_var} names ({aws}): check \
             that it runs, or correct {proxy_var} (NO_PROXY lists the hosts to reach directly)"
        ),
        (Reason::ProxyAuth, _) => match proxy.and_then(|p| p.credentials.as_ref()) {
            Some(_) => fail!(
                Network,
                "{name}: the proxy {proxy_shown} refused the user and password in {proxy_var} \
                 ({aws}): correct them"
            ),
            None => fail!(
                Network,
                "{name}: the proxy {proxy_shown} asks for a user and password ({aws}): set \
                 {proxy_var} to http://USER:PASSWORD@host:port"
            ),
        },
        (Reason::ProxyRefused, _) => fail!(
            Network,
            "{name}: the proxy {proxy_shown} would not connect to {endpoint} ({aws}): check \
             that it lets this host and port through, and the user and password it needs in \
             {proxy_var} (http://USER:PASSWORD@host:port)"
        ),
        (Reason::BadProxy, _) => fail!(
            Config,
            "{name}: {proxy_var} is not a proxy URL ({aws}): set it as http://host:port, or \
             http://user:password@host:port"
        ),
        (Reason::Untrusted, _) => match &route.trust {
            Some(trust) => fail!(
                Network,
                "{name}: the certificate of {endpoint} is not trusted ({aws}), neither by the \
                 system's CAs nor by {} from {}: check that the file holds the CA that signs it",
                trust.path.display(),
                trust.setting
            ),
            None => fail!(
                Network,
                "{name}: the certificate of {endpoint} is not trusted by the system's CAs \
                 ({aws}), and no CA bundle is set: if your network inspects TLS, set \
                 AWS_CA_BUNDLE, or ca_bundle in the profile, to its CA certificate (a PEM file)"
            ),
        },
        (Reason::BadCaBundle, _) => {
            let (path, setting) = route.trust.as_ref().map_or((String::new(), ""), |t| {
                (t.path.display().to_string(), t.setting.as_str())
            });
            fail!(
                Config,
                "{name}: the CA bundle {path} {aws}: point {setting} at a PEM file of CA \
                 certificates"
            )
        }
        (Reason::Unavailable, _) => fail!(
            Network,
            "{name}: {endpoint}{via} answered {op} with HTTP {} ({code}): AWS or something in \
             between is having trouble; try again in a minute",
            status(&failure)
        ),
        (Reason::NotAws, _) => fail!(
            Network,
            "{name}: {endpoint}{via} answered {op} with HTTP {} and a page that is not from AWS \
             (a captive portal or a proxy?): sign in to the network, or check AWS_ENDPOINT_URL",
            status(&failure)
        ),
        (
            Reason::KeychainUnreachable
            | Reason::KeychainLocked
            | Reason::KeychainMissing
            | Reason::KeychainFailed,
            _,
        ) => {
            let owner = match signer {
                Signer::Keys(owner, _) => owner,
                Signer::Session(_) => account,
            };
            let id = match &request.credentials {
                Signing::Keychain { access_key_id } => access_key_id.as_str(),
                Signing::Given(_) => "",
            };
            keychain_failure(name, owner, id, request.interactive, &failure)
        }
        (Reason::Other, _) => fail!(Failure, "{name}: {op} failed ({code}): {aws}"),
    }
}

/// A call for `account`, signed with `owner`'s key `id` from the keychain, could not have the
/// secret.
fn keychain_failure(
    account: &str,
    owner: &Account,
    id: &str,
    interactive: bool,
    failure: &Failure,
) -> Error {
    let (owner, why) = (&owner.name, &failure.message);
    match failure.reason {
        Reason::KeychainMissing => fail!(
            Credentials,
            "{account}: {KEYCHAIN} holds no secret for {id}, the key of [{owner}]: store it again \
             with awsenv add {owner}"
        ),
        Reason::KeychainLocked if interactive => fail!(
            Keychain,
            "{account}: the key of [{owner}] is in {KEYCHAIN}, which stayed locked ({why}): unlock \
             it and try again"
        ),
        Reason::KeychainLocked => fail!(
            Keychain,
            "{account}: the key of [{owner}] is in {KEYCHAIN}, which is locked, and awsenv unlocks \
             it only for a person: run awsenv switch {account} at a terminal"
        ),
        Reason::KeychainFailed => fail!(
            Keychain,
            "{account}: the key of [{owner}] is in {KEYCHAIN}, which failed to give it: {why}"
        ),
        _ => fail!(
            Keychain,
            "{account}: the key of [{owner}] is in {KEYCHAIN}, which cannot be reached ({why}): run \
             awsenv in a desktop session that provides it"
        ),
    }
}
