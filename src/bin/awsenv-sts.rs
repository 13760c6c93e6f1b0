//! awsenv-sts: the one process that talks to AWS. It reads a single request (JSON) on stdin,
//! makes the STS call with the credentials it was handed, and writes a single reply on stdout.
//! Kept apart from `awsenv` so that the SDK, TLS and tokio cost nothing on any other path.
//! It logs call names, status and timing with --debug; never a credential.

use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls;
use awsenv::secret::Secret;
use awsenv::sts::{self, Call, Failure, Issued, Reason, Reply, Request};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn main() {
    // A panic message could quote a value; say only where it happened.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| l.to_string()).unwrap_or_default();
        eprintln!("awsenv-sts: internal error at {at}; please report it");
    }));
    let mut input = Vec::new();
    let reply = match std::io::stdin().read_to_end(&mut input) {
        Ok(_) => match serde_json::from_slice::<Request>(&input) {
            Ok(request) => run(request),
            Err(e) => failed(Reason::Other, None, format!("bad request: {e}")),
        },
        Err(e) => failed(Reason::Other, None, format!("cannot read request: {e}")),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = serde_json::to_writer(&mut stdout, &reply);
    let _ = stdout.flush();
}

fn failed(reason: Reason, code: Option<String>, message: String) -> Reply {
    Reply::Failed(Failure {
        reason,
        code,
        message,
    })
}

fn run(request: Request) -> Reply {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return failed(Reason::Other, None, format!("cannot start: {e}")),
    };
    match runtime.block_on(call(&request)) {
        Ok(issued) => Reply::Issued(issued),
        Err(failure) => Reply::Failed(failure),
    }
}

fn sts_client(request: &Request, creds: &sts::Credentials) -> aws_sdk_sts::Client {
    let timeout = Duration::from_secs(request.timeout_secs.max(1));
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(request.region.clone()))
        .credentials_provider(Credentials::new(
            &creds.access_key_id,
            creds.secret_access_key.expose(),
            creds.session_token.as_ref().map(|t| t.expose().to_owned()),
            None,
            "awsenv",
        ))
        .http_client(http)
        // The SDK waits forever by default: an endpoint that never answers must fail fast.
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(timeout.min(Duration::from_secs(3)))
                .operation_attempt_timeout(timeout)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(2));
    if let Some(endpoint) = &request.endpoint {
        config = config.endpoint_url(endpoint);
    }
    aws_sdk_sts::Client::from_conf(config.build())
}

async fn call(request: &Request) -> Result<Issued, Failure> {
    let client = sts_client(request, &request.credentials);
    match &request.call {
        Call::GetSessionToken {
            duration_seconds,
            mfa,
        } => {
            let mut op = client.get_session_token();
            if let Some(d) = duration_seconds {
                op = op.duration_seconds(*d as i32);
            }
            if let Some(mfa) = mfa {
                op = op.serial_number(&mfa.serial).token_code(&mfa.code);
            }
            let out = timed(request, "GetSessionToken", op.send()).await?;
            let mut issued = issued(out.credentials)?;
            // GetSessionToken does not say whose session it is; the new keys can.
            let creds = sts::Credentials {
                access_key_id: issued.access_key_id.clone(),
                secret_access_key: issued.secret_access_key.clone(),
                session_token: Some(issued.session_token.clone()),
            };
            let who = sts_client(request, &creds).get_caller_identity().send();
            issued.identity = timed(request, "GetCallerIdentity", who)
                .await?
                .arn
                .unwrap_or_default();
            Ok(issued)
        }
        Call::AssumeRole {
            role_arn,
            session_name,
            external_id,
            duration_seconds,
            mfa,
        } => {
            let mut op = client
                .assume_role()
                .role_arn(role_arn)
                .role_session_name(session_name)
                .set_external_id(external_id.clone())
                .set_duration_seconds(duration_seconds.map(|d| d as i32));
            if let Some(mfa) = mfa {
                op = op.serial_number(&mfa.serial).token_code(&mfa.code);
            }
            let out = timed(request, "AssumeRole", op.send()).await?;
            let mut issued = issued(out.credentials)?;
            issued.identity = out.assumed_role_user.map(|u| u.arn).unwrap_or_default();
            Ok(issued)
        }
    }
}

fn issued(creds: Option<aws_sdk_sts::types::Credentials>) -> Result<Issued, Failure> {
    let creds = creds.ok_or_else(|| Failure {
        reason: Reason::Other,
        code: None,
        message: "STS answered without credentials".into(),
    })?;
    Ok(Issued {
        access_key_id: creds.access_key_id,
        secret_access_key: Secret::new(creds.secret_access_key),
        session_token: Secret::new(creds.session_token),
        expiration: creds.expiration.secs(),
        identity: String::new(),
    })
}

async fn timed<T, E, R>(
    request: &Request,
    name: &str,
    send: impl std::future::Future<Output = Result<T, SdkError<E, R>>>,
) -> Result<T, Failure>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let start = Instant::now();
    let result = send.await.map_err(classify);
    if request.debug {
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(f) => format!("{:?} {}", f.reason, f.code.as_deref().unwrap_or("")),
        };
        eprintln!("awsenv-sts: debug sts:{name} {outcome} in {ms:.1}ms");
    }
    result
}

fn classify<E, R>(err: SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let (reason, message) = match &err {
        SdkError::TimeoutError(_) => (Reason::Timeout, "no answer in time".to_owned()),
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            (Reason::Timeout, "no answer in time".to_owned())
        }
        SdkError::DispatchFailure(_) => (Reason::Unreachable, root_cause(&err)),
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("");
            let message = err.message().unwrap_or("").to_owned();
            let reason = match code {
                "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "UnrecognizedClientException"
                | "InvalidAccessKeyId" => Reason::BadCredentials,
                "ExpiredToken" | "ExpiredTokenException" => Reason::ExpiredCredentials,
                "AccessDenied" if message.contains("MultiFactorAuthentication") => {
                    Reason::MfaRejected
                }
                "AccessDenied" | "ValidationError" | "RegionDisabledException" => Reason::Denied,
                _ => Reason::Other,
            };
            (reason, message)
        }
        _ => (Reason::Other, root_cause(&err)),
    };
    Failure {
        reason,
        code: err.code().map(str::to_owned),
        message,
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
