//! awsenv-aws: the one process that talks to AWS (STS and IAM). It reads a single request
//! (JSON) on stdin, makes the call with the credentials it was handed, and writes a single
//! reply on stdout. Kept apart from `awsenv` so that the SDK, TLS and tokio cost nothing on
//! any other path. With --debug it logs call names, outcome and timing; never a credential.
//!
//! Every request, the SDK's and the console sign-in's, goes through one connector of the SDK's
//! own HTTP client, built here with the proxy and the CA bundle awsenv passed in the request.

use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{Connector, tls};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::shared::IntoShared;
use aws_smithy_types::date_time::{DateTime, Format};
use aws_types::SdkConfig;
use awsenv::aws::wire::{
    self as aws, Call, Envelope, Failure, Issued, Reason, Reply, Request, Signing,
};
use awsenv::secret::{Secret, redact};
use hyper_util::client::proxy::matcher::Matcher;
use std::error::Error;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod keychain;

fn main() {
    // A panic message could quote a value; say only where it happened.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| l.to_string()).unwrap_or_default();
        eprintln!("awsenv-aws: internal error at {at}; please report it");
    }));
    let mut input = Vec::new();
    let reply = match std::io::stdin().read_to_end(&mut input) {
        Ok(_) => match serde_json::from_slice::<Envelope>(&input) {
            Ok(Envelope::Aws(request)) => call(&request),
            Ok(Envelope::Keychain(request)) => keychain::answer(&request),
            Err(e) => failed(format!("bad request: {e}")),
        },
        Err(e) => failed(format!("cannot read request: {e}")),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = serde_json::to_writer(&mut stdout, &reply);
    let _ = stdout.flush();
}

fn failed(message: String) -> Reply {
    Reply::Failed(other(&message))
}

/// A call to AWS, signed with the credentials handed over, or with a key whose secret is read
/// from the keychain first (before any runtime starts: the keychain's client runs its own).
fn call(request: &Request) -> Reply {
    let creds = match &request.credentials {
        Signing::Given(creds) => creds.clone(),
        Signing::Keychain { access_key_id } => match keychain::secret(access_key_id, request) {
            Ok(secret) => aws::Credentials {
                access_key_id: access_key_id.clone(),
                secret_access_key: secret,
                session_token: None,
            },
            Err(failure) => return Reply::Failed(failure),
        },
    };
    match run(request, &creds) {
        // Masked here: awsenv never sees a keychain's secret, so it cannot.
        Reply::Failed(mut failure) => {
            failure.message = redact(&failure.message, &[&creds.secret_access_key]);
            Reply::Failed(failure)
        }
        reply => reply,
    }
}

fn run(request: &Request, creds: &aws::Credentials) -> Reply {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return failed(format!("cannot start: {e}")),
    };
    runtime
        .block_on(answer(request, creds))
        .unwrap_or_else(Reply::Failed)
}

/// How this request reaches AWS: one connector per scheme (so one connection pool, and one
/// tunnel through a proxy), with the system's CAs and the CA bundle, through that scheme's
/// proxy unless NO_PROXY lists the endpoint's host. The SDK resolves the endpoint (from the
/// profile, its `services` section, the environment, the partition); the connector sees
/// where each request goes, and keeps it for a failure to name.
struct Net {
    https: Route,
    http: Route,
    /// What the answers said of AWS's clock, and where the last request went.
    seen: Arc<Mutex<Seen>>,
    debug: bool,
}

/// The connector of one scheme, and its proxy's rules for naming it in a failure.
#[derive(Clone)]
struct Route {
    connector: SharedHttpConnector,
    proxy: Option<Arc<(Matcher, String)>>,
}

impl Route {
    /// Whether the request to `uri` goes through the proxy, and the proxy as shown.
    fn proxy_for(&self, uri: &http::Uri) -> Option<&str> {
        let (matcher, shown) = self.proxy.as_deref()?;
        matcher.intercept(uri).map(|_| shown.as_str())
    }
}

#[derive(Default)]
struct Seen {
    /// AWS's clock minus this machine's, from the Date of AWS's last answer.
    clock: Option<i64>,
    /// `scheme://host[:port]` of the last request, and whether it went to a proxy.
    endpoint: Option<String>,
    via_proxy: bool,
}

impl Net {
    fn new(request: &Request) -> Result<Net, Failure> {
        let timeout = Duration::from_secs(request.timeout_secs.max(1));
        let mut trust = tls::TrustStore::default();
        if let Some(path) = &request.ca_bundle {
            trust = trust.with_pem_certificate(ca_bundle(path)?);
        }
        let context = tls::TlsContext::builder()
            .with_trust_store(trust)
            .build()
            .map_err(|e| other(&format!("TLS settings: {e}")))?;
        let route = |proxy: Option<&aws::Proxy>| -> Result<Route, Failure> {
            let settings = HttpConnectorSettings::builder()
                .connect_timeout(timeout.min(Duration::from_secs(3)))
                .build();
            let mut builder = Connector::builder().connector_settings(settings);
            let mut named = None;
            if let Some(proxy) = proxy {
                let bad = |e: &dyn std::fmt::Display| Failure {
                    reason: Reason::BadProxy,
                    message: e.to_string(),
                    ..other("")
                };
                let no_proxy = proxy.no_proxy.clone().unwrap_or_default();
                let config = ProxyConfig::all(proxy.url.expose()).map_err(|e| bad(&e))?;
                builder = builder.proxy_config(config.no_proxy(&no_proxy));
                // The client's own rules decide; asked here only to name the proxy.
                let matcher = Matcher::builder()
                    .all(proxy.url.expose())
                    .no(no_proxy.as_str())
                    .build();
                named = Some(Arc::new((matcher, proxy.shown.clone())));
            }
            let connector = builder
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::Ring,
                ))
                .tls_context(context.clone())
                .build()
                .into_shared();
            Ok(Route {
                connector,
                proxy: named,
            })
        };
        let https = route(request.https_proxy.as_ref())?;
        // Mostly the same proxy, or none: then one connector serves both schemes.
        let http = if request.http_proxy == request.https_proxy {
            https.clone()
        } else {
            route(request.http_proxy.as_ref())?
        };
        Ok(Net {
            https,
            http,
            seen: Arc::default(),
            debug: request.debug,
        })
    }

    /// The connector every request goes through, the SDK's and the sign-in token's.
    fn connector(&self) -> SharedHttpConnector {
        Watch {
            https: self.https.clone(),
            http: self.http.clone(),
            seen: self.seen.clone(),
            debug: self.debug,
        }
        .into_shared()
    }

    /// The SDK's HTTP client: always this request's connector.
    fn http_client(&self) -> SharedHttpClient {
        let connector = self.connector();
        http_client_fn(move |_, _| connector.clone())
    }

    /// How far AWS's clock is ahead of this machine's (behind when negative), in seconds; 0
    /// when no answer said, or when the gap is within what the Date header's whole seconds
    /// and the network's delay can account for.
    fn clock_offset(&self) -> i64 {
        let offset = self.seen.lock().map(|s| s.clock.unwrap_or(0)).unwrap_or(0);
        if offset.abs() < CLOCK_NOISE {
            0
        } else {
            offset
        }
    }

    /// A failure of the last request: where it went, and whether through the proxy.
    fn failure(&self, reason: Reason, message: String) -> Failure {
        let (endpoint, via_proxy) = self
            .seen
            .lock()
            .map(|s| (s.endpoint.clone(), s.via_proxy))
            .unwrap_or_default();
        Failure {
            reason,
            code: None,
            message,
            status: None,
            via_proxy,
            endpoint,
        }
    }

    fn via_proxy(&self) -> bool {
        self.seen.lock().is_ok_and(|s| s.via_proxy)
    }
}

/// Below this, a clock offset is the Date header's rounding and the network's delay.
const CLOCK_NOISE: i64 = 5;

/// Sends each request through its scheme's route, noting where it went and the Date header
/// of every answer (AWS's clock).
#[derive(Clone)]
struct Watch {
    https: Route,
    http: Route,
    seen: Arc<Mutex<Seen>>,
    debug: bool,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watch")
    }
}

impl HttpConnector for Watch {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let uri: Option<http::Uri> = request.uri().parse().ok();
        let plain = uri.as_ref().and_then(|u| u.scheme_str()) == Some("http");
        let route = if plain { &self.http } else { &self.https };
        if let Some(uri) = &uri {
            let proxy = route.proxy_for(uri);
            // Never the path or the query (the sign-in token's query holds the session), nor
            // a user and password written into an endpoint URL.
            let port = uri.port().map(|p| format!(":{p}")).unwrap_or_default();
            let endpoint = format!(
                "{}://{}{port}",
                uri.scheme_str().unwrap_or("https"),
                uri.host().unwrap_or("")
            );
            if self.debug {
                let how = match proxy {
                    Some(p) => format!("through the proxy {p}"),
                    None if route.proxy.is_some() => "directly (NO_PROXY)".into(),
                    None => "directly".into(),
                };
                eprintln!("awsenv-aws: debug {endpoint} {how}");
            }
            if let Ok(mut seen) = self.seen.lock() {
                seen.endpoint = Some(endpoint);
                seen.via_proxy = proxy.is_some();
            }
        }
        let answer = route.connector.call(request);
        let seen = self.seen.clone();
        HttpConnectorFuture::new(async move {
            let response = answer.await?;
            let date = response.headers().get("date").map(str::to_owned);
            if let Some(aws) = date.and_then(|d| DateTime::from_str(&d, Format::HttpDate).ok()) {
                let local = DateTime::from(std::time::SystemTime::now()).secs();
                if let Ok(mut seen) = seen.lock() {
                    seen.clock = Some(aws.secs() - local);
                }
            }
            Ok(response)
        })
    }
}

/// The CA bundle's certificates, checked as the TLS client will load them (it would panic on
/// what it cannot read): a file that is not PEM certificates is named, not half used.
fn ca_bundle(path: &Path) -> Result<Vec<u8>, Failure> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let bad = |message: String| Failure {
        reason: Reason::BadCaBundle,
        message,
        ..other("")
    };
    let pem = std::fs::read(path).map_err(|e| bad(format!("cannot be read ({e})")))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("is not a PEM file ({e})")))?;
    if certs.is_empty() {
        return Err(bad("holds no PEM certificate".into()));
    }
    let mut roots = rustls::RootCertStore::empty();
    for (n, cert) in certs.into_iter().enumerate() {
        roots.add(cert).map_err(|e| {
            bad(format!(
                "has a certificate ({}.) that cannot be used ({e})",
                n + 1
            ))
        })?;
    }
    Ok(pem)
}

/// The SDK settings for one request, shared by the STS and IAM clients: what `aws-config`
/// reads for the profile (endpoint URLs, `services` sections, retries, FIPS and dual-stack,
/// the app id), with the region, the connector and the credentials awsenv handed over. The
/// credentials are set, so the loader builds no provider chain and reads no key.
async fn sdk_config(request: &Request, creds: &aws::Credentials, net: &Net) -> SdkConfig {
    // The SDK waits forever by default: an endpoint that never answers must fail fast, and
    // retries must not stretch the wait the user set.
    let timeout = Duration::from_secs(request.timeout_secs.max(1));
    aws_config::defaults(BehaviorVersion::latest())
        .profile_name(&request.profile)
        .region(Region::new(request.region.clone()))
        .credentials_provider(provider(creds))
        .http_client(net.http_client())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(timeout.min(Duration::from_secs(3)))
                .operation_timeout(timeout)
                .build(),
        )
        .load()
        .await
}

fn provider(creds: &aws::Credentials) -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(Credentials::new(
        &creds.access_key_id,
        creds.secret_access_key.expose(),
        creds.session_token.as_ref().map(|t| t.expose().to_owned()),
        None,
        "awsenv",
    ))
}

/// One request, one call (two for GetSessionToken), one reply.
async fn answer(request: &Request, creds: &aws::Credentials) -> Result<Reply, Failure> {
    let net = &Net::new(request)?;
    let config = sdk_config(request, creds, net).await;
    let sts = Sts {
        client: aws_sdk_sts::Client::new(&config),
        config: &config,
        net,
    };
    let iam = Iam {
        client: aws_sdk_iam::Client::new(&config),
        config: &config,
        net,
    };
    match &request.call {
        Call::GetSessionToken {
            duration_seconds,
            mfa,
        } => sts.session_token(*duration_seconds, mfa.as_ref()).await,
        Call::AssumeRole {
            role_arn,
            session_name,
            external_id,
            duration_seconds,
            mfa,
        } => {
            let role = (
                role_arn.as_str(),
                session_name.as_str(),
                external_id.clone(),
            );
            sts.assume_role(role, *duration_seconds, mfa.as_ref()).await
        }
        Call::GetCallerIdentity => sts.caller_identity().await,
        Call::GetFederationToken {
            name,
            duration_seconds,
        } => sts.federation_token(name, *duration_seconds).await,
        Call::GetSigninToken {
            federation_url,
            session_duration,
        } => {
            let start = Instant::now();
            let token = signin_token(request, creds, net, federation_url, *session_duration).await;
            if request.debug {
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                let outcome = if token.is_ok() { "ok" } else { "failed" };
                eprintln!("awsenv-aws: debug getSigninToken {outcome} in {ms:.1}ms");
            }
            Ok(Reply::SigninToken(token?))
        }
        Call::ListMfaDevices { user_name } => iam.mfa_devices(user_name).await,
        Call::ListUnassignedVirtualMfaDevices => iam.unassigned_devices().await,
        Call::CreateVirtualMfaDevice { name } => iam.create_device(name).await,
        Call::EnableMfaDevice {
            user_name,
            serial,
            code1,
            code2,
        } => iam.enable_device(user_name, serial, [code1, code2]).await,
        Call::DeactivateMfaDevice { user_name, serial } => {
            iam.deactivate_device(user_name, serial).await
        }
        Call::DeleteVirtualMfaDevice { serial } => iam.delete_device(serial).await,
        Call::ListAccessKeys { user_name } => iam.access_keys(user_name).await,
        Call::CreateAccessKey { user_name } => iam.create_access_key(user_name).await,
        Call::DeleteAccessKey {
            user_name,
            access_key_id,
        } => iam.delete_access_key(user_name, access_key_id).await,
    }
}

struct Sts<'a> {
    client: aws_sdk_sts::Client,
    config: &'a SdkConfig,
    net: &'a Net,
}

impl Sts<'_> {
    /// GetSessionToken, then GetCallerIdentity with the new credentials: GetSessionToken does
    /// not say whose session it is; the new keys can.
    async fn session_token(
        &self,
        duration_seconds: Option<u32>,
        mfa: Option<&aws::Mfa>,
    ) -> Result<Reply, Failure> {
        let mut op = self
            .client
            .get_session_token()
            .set_duration_seconds(duration_seconds.map(|d| d as i32));
        if let Some(mfa) = mfa {
            op = op.serial_number(&mfa.serial).token_code(&mfa.code);
        }
        let out = timed(self.net, "sts:GetSessionToken", op.send()).await?;
        let mut issued = issued(out.credentials)?;
        issued.clock_offset = self.net.clock_offset();
        let creds = aws::Credentials {
            access_key_id: issued.access_key_id.clone(),
            secret_access_key: issued.secret_access_key.clone(),
            session_token: Some(issued.session_token.clone()),
        };
        let who = aws_sdk_sts::config::Builder::from(self.config)
            .credentials_provider(provider(&creds))
            .build();
        let who = aws_sdk_sts::Client::from_conf(who);
        let send = who.get_caller_identity().send();
        issued.identity = timed(self.net, "sts:GetCallerIdentity", send)
            .await?
            .arn
            .unwrap_or_default();
        Ok(Reply::Issued(issued))
    }

    /// AssumeRole of (role ARN, session name, external ID).
    async fn assume_role(
        &self,
        (role_arn, session_name, external_id): (&str, &str, Option<String>),
        duration_seconds: Option<u32>,
        mfa: Option<&aws::Mfa>,
    ) -> Result<Reply, Failure> {
        let mut op = self
            .client
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .set_external_id(external_id)
            .set_duration_seconds(duration_seconds.map(|d| d as i32));
        if let Some(mfa) = mfa {
            op = op.serial_number(&mfa.serial).token_code(&mfa.code);
        }
        let out = timed(self.net, "sts:AssumeRole", op.send()).await?;
        let mut issued = issued(out.credentials)?;
        issued.clock_offset = self.net.clock_offset();
        issued.identity = out.assumed_role_user.map(|u| u.arn).unwrap_or_default();
        Ok(Reply::Issued(issued))
    }

    async fn caller_identity(&self) -> Result<Reply, Failure> {
        let send = self.client.get_caller_identity().send();
        let out = timed(self.net, "sts:GetCallerIdentity", send).await?;
        Ok(Reply::Identity {
            arn: out.arn.unwrap_or_default(),
            account: out.account.unwrap_or_default(),
        })
    }

    /// A console session with the user's own rights: a federation token has the intersection
    /// of the user's policies and this one.
    async fn federation_token(
        &self,
        name: &str,
        duration_seconds: Option<u32>,
    ) -> Result<Reply, Failure> {
        let allow_all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let send = self
            .client
            .get_federation_token()
            .name(name)
            .policy(allow_all)
            .set_duration_seconds(duration_seconds.map(|d| d as i32))
            .send();
        let out = timed(self.net, "sts:GetFederationToken", send).await?;
        let mut issued = issued(out.credentials)?;
        issued.identity = out.federated_user.map(|u| u.arn).unwrap_or_default();
        Ok(Reply::Issued(issued))
    }
}

struct Iam<'a> {
    client: aws_sdk_iam::Client,
    config: &'a SdkConfig,
    net: &'a Net,
}

impl Iam<'_> {
    async fn mfa_devices(&self, user_name: &str) -> Result<Reply, Failure> {
        let send = self.client.list_mfa_devices().user_name(user_name).send();
        let out = timed(self.net, "iam:ListMFADevices", send).await?;
        let serials = out.mfa_devices.into_iter().map(|d| d.serial_number);
        Ok(Reply::Devices(serials.collect()))
    }

    /// Virtual devices enabled for no one (a setup that did not finish), every page.
    async fn unassigned_devices(&self) -> Result<Reply, Failure> {
        let mut serials = Vec::new();
        let mut marker = None;
        loop {
            let send = self
                .client
                .list_virtual_mfa_devices()
                .assignment_status(aws_sdk_iam::types::AssignmentStatusType::Unassigned)
                .set_marker(marker)
                .send();
            let out = timed(self.net, "iam:ListVirtualMFADevices", send).await?;
            serials.extend(out.virtual_mfa_devices.into_iter().map(|d| d.serial_number));
            match out.marker {
                Some(next) if out.is_truncated => marker = Some(next),
                _ => break,
            }
        }
        Ok(Reply::Devices(serials))
    }

    async fn create_device(&self, name: &str) -> Result<Reply, Failure> {
        let send = self
            .client
            .create_virtual_mfa_device()
            .virtual_mfa_device_name(name)
            .send();
        let device = timed(self.net, "iam:CreateVirtualMFADevice", send)
            .await?
            .virtual_mfa_device
            .ok_or_else(|| other("IAM answered without the device"))?;
        let seed = device
            .base32_string_seed
            .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
            .ok_or_else(|| other("IAM answered without the device's seed"))?;
        Ok(Reply::Created {
            serial: device.serial_number,
            seed: Secret::new(seed),
        })
    }

    async fn enable_device(
        &self,
        user_name: &str,
        serial: &str,
        [code1, code2]: [&String; 2],
    ) -> Result<Reply, Failure> {
        let send = self
            .client
            .enable_mfa_device()
            .user_name(user_name)
            .serial_number(serial)
            .authentication_code1(code1)
            .authentication_code2(code2)
            .send();
        timed(self.net, "iam:EnableMFADevice", send).await?;
        Ok(Reply::Done)
    }

    async fn deactivate_device(&self, user_name: &str, serial: &str) -> Result<Reply, Failure> {
        let send = self
            .client
            .deactivate_mfa_device()
            .user_name(user_name)
            .serial_number(serial)
            .send();
        timed(self.net, "iam:DeactivateMFADevice", send).await?;
        Ok(Reply::Done)
    }

    async fn delete_device(&self, serial: &str) -> Result<Reply, Failure> {
        let send = self
            .client
            .delete_virtual_mfa_device()
            .serial_number(serial)
            .send();
        timed(self.net, "iam:DeleteVirtualMFADevice", send).await?;
        Ok(Reply::Done)
    }

    async fn access_keys(&self, user_name: &str) -> Result<Reply, Failure> {
        let send = self.client.list_access_keys().user_name(user_name).send();
        let out = timed(self.net, "iam:ListAccessKeys", send).await?;
        let ids = out.access_key_metadata.into_iter();
        Ok(Reply::Keys(ids.filter_map(|k| k.access_key_id).collect()))
    }

    /// Not retried: a retry after a lost answer would make a second key.
    async fn create_access_key(&self, user_name: &str) -> Result<Reply, Failure> {
        let once = aws_sdk_iam::config::Builder::from(self.config)
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .build();
        let once = aws_sdk_iam::Client::from_conf(once);
        let send = once.create_access_key().user_name(user_name).send();
        let key = timed(self.net, "iam:CreateAccessKey", send)
            .await?
            .access_key
            .ok_or_else(|| other("IAM answered without the key"))?;
        Ok(Reply::NewKey {
            access_key_id: key.access_key_id,
            secret_access_key: Secret::new(key.secret_access_key),
        })
    }

    async fn delete_access_key(
        &self,
        user_name: &str,
        access_key_id: &str,
    ) -> Result<Reply, Failure> {
        let send = self
            .client
            .delete_access_key()
            .user_name(user_name)
            .access_key_id(access_key_id)
            .send();
        timed(self.net, "iam:DeleteAccessKey", send).await?;
        Ok(Reply::Done)
    }
}

/// GET {federation_url}?Action=getSigninToken&Session={...}: the credentials go in the query,
/// as the federation endpoint wants them, and only to that endpoint.
async fn signin_token(
    request: &Request,
    creds: &aws::Credentials,
    net: &Net,
    federation_url: &str,
    session_duration: Option<u32>,
) -> Result<Secret, Failure> {
    use http_body_util::BodyExt;
    let session = serde_json::json!({
        "sessionId": creds.access_key_id,
        "sessionKey": creds.secret_access_key.expose(),
        "sessionToken": creds.session_token.as_ref().map(|t| t.expose()).unwrap_or_default(),
    });
    let mut url = format!(
        "{federation_url}?Action=getSigninToken&Session={}",
        aws::url_encode(&session.to_string())
    );
    if let Some(duration) = session_duration {
        url.push_str(&format!("&SessionDuration={duration}"));
    }
    let uri: http::Uri = url
        .parse()
        .map_err(|e| other(&format!("bad sign-in endpoint {federation_url}: {e}")))?;
    // The query carries the session's secret: plain http only to this machine.
    let loopback = matches!(
        uri.host(),
        Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
    );
    if uri.scheme_str() != Some("https") && !loopback {
        return Err(other(&format!(
            "the sign-in endpoint {federation_url} must be https"
        )));
    }
    let get = aws_smithy_runtime_api::http::Request::get(url)
        .map_err(|e| other(&format!("bad sign-in endpoint {federation_url}: {e}")))?;
    let wait = Duration::from_secs(request.timeout_secs.max(1));
    // The whole exchange, body included, under the timeout.
    let exchange = async {
        let response = net
            .connector()
            .call(get)
            .await
            .map_err(|e| unsent(&e, false, net))?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await;
        let body = body.map_err(|e| unsent(e.as_ref(), false, net))?.to_bytes();
        Ok::<_, Failure>((status, body))
    };
    let timed_out = net.failure(Reason::Timeout, "no answer in time".into());
    let (status, body) = tokio::time::timeout(wait, exchange)
        .await
        .map_err(|_| timed_out)??;
    if matches!(status, 401 | 407) && net.via_proxy() {
        let message = format!("it answered HTTP {status}");
        return Err(Failure {
            status: Some(status),
            ..net.failure(Reason::ProxyAuth, message)
        });
    }
    if !(200..300).contains(&status) {
        let message = format!("the sign-in endpoint answered HTTP {status}");
        return Err(Failure {
            code: Some(status.to_string()),
            status: Some(status),
            ..net.failure(Reason::Denied, message)
        });
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: String,
    }
    let answer: Answer = serde_json::from_slice(&body)
        .map_err(|_| other("the sign-in endpoint answered without a SigninToken"))?;
    Ok(Secret::new(answer.signin_token))
}

fn other(message: &str) -> Failure {
    Failure {
        reason: Reason::Other,
        code: None,
        message: message.into(),
        status: None,
        via_proxy: false,
        endpoint: None,
    }
}

fn issued(creds: Option<aws_sdk_sts::types::Credentials>) -> Result<Issued, Failure> {
    let creds = creds.ok_or_else(|| other("STS answered without credentials"))?;
    Ok(Issued {
        access_key_id: creds.access_key_id,
        secret_access_key: Secret::new(creds.secret_access_key),
        session_token: Secret::new(creds.session_token),
        expiration: creds.expiration.secs(),
        identity: String::new(),
        clock_offset: 0,
    })
}

async fn timed<T, E>(
    net: &Net,
    name: &str,
    send: impl std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<T, Failure>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let start = Instant::now();
    let result = send.await.map_err(|e| classify(e, net));
    if net.debug {
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(f) => format!("{:?} {}", f.reason, f.code.as_deref().unwrap_or("")),
        };
        eprintln!("awsenv-aws: debug {name} {outcome} in {ms:.1}ms");
    }
    result
}

fn classify<E>(err: SdkError<E, HttpResponse>, net: &Net) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().filter(|c| !c.is_empty());
    let (reason, message) = match &err {
        SdkError::TimeoutError(_) => (Reason::Timeout, "no answer in time".to_owned()),
        SdkError::DispatchFailure(d) => return unsent(&err, d.is_timeout(), net),
        // A proxy that wants credentials answers a request it forwards (plain http) itself:
        // 407, or 401 for wrong ones (tinyproxy), never with an AWS error code.
        SdkError::ServiceError(_) | SdkError::ResponseError(_)
            if net.via_proxy() && code.is_none() && matches!(status, Some(401 | 407)) =>
        {
            let status = status.unwrap_or_default();
            (Reason::ProxyAuth, format!("it answered HTTP {status}"))
        }
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            let message = err.message().unwrap_or("").to_owned();
            (answer_reason(code, &message, status), message)
        }
        _ => (Reason::Other, root_cause(&err)),
    };
    Failure {
        code: code.map(str::to_owned),
        status,
        ..net.failure(reason, message)
    }
}

/// A request that got no answer: the endpoint's certificate was not trusted, the proxy could
/// not be reached or refused the tunnel, or the endpoint could not be reached.
fn unsent(err: &(dyn Error + 'static), timeout: bool, net: &Net) -> Failure {
    let chain: Vec<&(dyn Error + 'static)> = chain(err).collect();
    let failure = |reason, message: String| net.failure(reason, message);
    if let Some(tls) = chain.iter().find_map(|e| e.downcast_ref::<rustls::Error>()) {
        let reason = match tls {
            rustls::Error::InvalidCertificate(_) => Reason::Untrusted,
            _ => Reason::Unreachable,
        };
        return failure(reason, tls.to_string());
    }
    if timeout {
        return failure(Reason::Timeout, "no answer in time".into());
    }
    if net.via_proxy() {
        // hyper-util's tunnel errors are private types: their text is what there is.
        let says = |text: &str| chain.iter().any(|e| e.to_string() == text);
        if says("tunnel error: proxy authorization required") {
            return failure(Reason::ProxyAuth, "it answered HTTP 407".into());
        }
        if says("tunnel error: unsuccessful") {
            let message = "it answered CONNECT with an error".into();
            return failure(Reason::ProxyRefused, message);
        }
        // Through a proxy, the only connection made is the one to the proxy.
        let connecting = chain.iter().any(|e| {
            e.downcast_ref::<hyper_util::client::legacy::Error>()
                .is_some_and(|e| e.is_connect())
        });
        if connecting {
            return failure(Reason::ProxyUnreachable, root_cause(err));
        }
    }
    failure(Reason::Unreachable, root_cause(err))
}

/// `err` and each error behind it. After an `io::Error` comes what it wraps (`get_ref`):
/// its `source()` skips that, and a TLS error sits there.
fn chain<'a>(err: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(err), |&e| match e.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &(dyn Error + 'static)),
        None => e.source(),
    })
}

/// What an answer that came back means, from AWS's error code and the HTTP status.
fn answer_reason(code: Option<&str>, message: &str, status: Option<u16>) -> Reason {
    match code {
        Some(
            "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "UnrecognizedClientException"
            | "InvalidAccessKeyId",
        ) => Reason::BadCredentials,
        Some("ExpiredToken" | "ExpiredTokenException") => Reason::ExpiredCredentials,
        Some("AccessDenied") if message.contains("MultiFactorAuthentication") => {
            Reason::MfaRejected
        }
        Some("InvalidAuthenticationCode") => Reason::MfaRejected,
        Some(
            "AccessDenied"
            | "ValidationError"
            | "RegionDisabledException"
            | "EntityAlreadyExists"
            | "NoSuchEntity"
            | "LimitExceeded"
            | "DeleteConflict",
        ) => Reason::Denied,
        Some(
            "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "ServiceUnavailable",
        ) => Reason::Unavailable,
        _ if status.is_some_and(|s| s >= 500) => Reason::Unavailable,
        // Every error AWS sends names itself; an answer without a code is someone else's.
        None => Reason::NotAws,
        Some(_) => Reason::Other,
    }
}

/// The innermost error says what actually happened ("Connection refused").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
