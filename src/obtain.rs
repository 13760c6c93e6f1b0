//! How a session for an account comes to be: from the cache while it is fresh, otherwise from
//! STS under the account's lock (so concurrent terminals make one call and ask for one code).
//! A role's MFA is satisfied through its source profile's cached MFA session, so one code
//! serves every role made from it; only a role session longer than AWS's 1 h cap on chained
//! sessions goes to STS with its own code.

use crate::cache::{Cache, Lookup};
use crate::clock;
use crate::error::{Error, Result, fail};
use crate::mfa;
use crate::profile::{Account, Keys, Source};
use crate::secret::redact;
use crate::session::{self, Kind, Session};
use crate::sts::{self, Call, Credentials, Reason, Reply, Request};
use crate::ui::say;
use std::cell::RefCell;

/// AWS's limits, checked before any call so a mistake costs no MFA code.
const SESSION_TOKEN_LIMITS: (u32, u32) = (900, 129_600);
const ASSUME_ROLE_LIMITS: (u32, u32) = (900, 43_200);
/// AWS caps a role session assumed with temporary credentials (role chaining) at 1 h.
const CHAINED_MAX: u32 = 3600;
/// AssumeRole's own default.
const ROLE_DEFAULT: u32 = 3600;

pub struct Options<'a> {
    /// `--duration` or `AWSENV_SESSION_DURATION`, for the account asked for (not its sources).
    pub duration: Option<u32>,
    /// `awsenv mfa`: a new session even when a cached one is fresh.
    pub force: bool,
    /// `--code` or `AWSENV_MFA_CODE`.
    pub code: Option<&'a str>,
}

pub struct Obtained {
    pub session: Session,
    pub cached: bool,
}

impl Obtained {
    /// "using cached MFA session, 7h42m left" / "new role session, 1h".
    pub fn describe(&self) -> String {
        let left = clock::human(self.session.seconds_left());
        let kind = self.session.kind.describe();
        if self.cached {
            format!("{}: using cached {kind}, {left} left", self.session.account)
        } else {
            format!("{}: new {kind}, {left}", self.session.account)
        }
    }
}

/// A session for `account`, fresh for at least the expiry margin.
pub fn session(account: &Account, cache: &Cache, options: &Options) -> Result<Obtained> {
    let duration = options.duration.or(account.duration);
    check_duration(account, duration)?;
    let broker = Broker {
        cache,
        options,
        margin: margin()?,
        reported: RefCell::new(Vec::new()),
    };
    broker.obtain(account, duration, account.mfa_serial.as_deref())
}

pub const DEFAULT_MARGIN: i64 = 300;

/// `AWSENV_EXPIRY_MARGIN`: how long before its end a session counts as expired.
pub fn margin() -> Result<i64> {
    match std::env::var("AWSENV_EXPIRY_MARGIN") {
        Ok(v) if !v.is_empty() => Ok(clock::parse_duration(&v)
            .map_err(|e| fail!(Config, "AWSENV_EXPIRY_MARGIN: {e}"))?
            .into()),
        _ => Ok(DEFAULT_MARGIN),
    }
}

fn check_duration(account: &Account, duration: Option<u32>) -> Result<()> {
    let Some(d) = duration else { return Ok(()) };
    let name = &account.name;
    let (what, (min, max)) = match &account.source {
        Source::Keys(_) => ("GetSessionToken", SESSION_TOKEN_LIMITS),
        Source::Role(_) => ("AssumeRole", ASSUME_ROLE_LIMITS),
    };
    if !(min..=max).contains(&d) {
        return Err(fail!(
            Config,
            "{name}: a {what} session lasts {} to {}; {} was asked for",
            clock::human(min.into()),
            clock::human(max.into()),
            clock::human(d.into())
        ));
    }
    if let Source::Role(role) = &account.source
        && matches!(role.from.source, Source::Role(_))
        && d > CHAINED_MAX
    {
        return Err(fail!(
            Config,
            "{name}: AWS caps a role assumed from another role at 1h; {} was asked for: \
             use --duration 1h or less",
            clock::human(d.into())
        ));
    }
    Ok(())
}

struct Broker<'a> {
    cache: &'a Cache,
    options: &'a Options<'a>,
    margin: i64,
    /// Cache files already reported as unusable, so each is mentioned once.
    reported: RefCell<Vec<String>>,
}

/// Whose credentials signed a request, for saying what to do when AWS rejects them.
enum Signer<'a> {
    Keys(&'a Account, &'a Keys),
    Session(&'a Account),
}

impl Broker<'_> {
    fn obtain(
        &self,
        account: &Account,
        duration: Option<u32>,
        serial: Option<&str>,
    ) -> Result<Obtained> {
        if !self.options.force
            && let Some(session) = self.cached(account, serial)
        {
            return Ok(Obtained {
                session,
                cached: true,
            });
        }
        let lock = self.cache.lock(&account.name)?;
        // Whoever held the lock may just have made the session this process needs.
        if !self.options.force
            && let Some(session) = self.cached(account, serial)
        {
            return Ok(Obtained {
                session,
                cached: true,
            });
        }
        let session = self.create(account, duration, serial)?;
        self.cache.write(&lock, &session)?;
        Ok(Obtained {
            session,
            cached: false,
        })
    }

    fn cached(&self, account: &Account, serial: Option<&str>) -> Option<Session> {
        let name = &account.name;
        match self.cache.read(name) {
            Lookup::Found(s) if s.origin != account.origin() => {
                crate::debug!("cached session of {name} was made from another key or role");
                None
            }
            Lookup::Found(s) if serial.is_some() && s.mfa_serial.as_deref() != serial => {
                crate::debug!("cached session of {name} was made without this MFA device");
                None
            }
            Lookup::Found(s) if !s.is_fresh(self.margin) => {
                crate::debug!("cached session of {name} ends within the margin");
                None
            }
            Lookup::Found(s) => {
                crate::debug!("cached session of {name} is fresh");
                Some(s)
            }
            Lookup::Missing => {
                crate::debug!("no cached session of {name}");
                None
            }
            Lookup::Ignored(reason) => {
                let path = self.cache.file(name).display().to_string();
                if !self.reported.borrow().contains(&path) {
                    say(&format!(
                        "ignoring {path}: {reason}; a new session will replace it"
                    ));
                    self.reported.borrow_mut().push(path);
                }
                None
            }
        }
    }

    fn create(
        &self,
        account: &Account,
        duration: Option<u32>,
        serial: Option<&str>,
    ) -> Result<Session> {
        let code = |serial: &str| -> Result<sts::Mfa> {
            let process = account.mfa_process.as_deref();
            Ok(sts::Mfa {
                serial: serial.to_owned(),
                code: mfa::code(&account.name, serial, self.options.code, process)?,
            })
        };
        let (kind, issued) = match &account.source {
            Source::Keys(keys) => {
                let mfa = serial.map(code).transpose()?;
                let kind = if mfa.is_some() {
                    Kind::Mfa
                } else {
                    Kind::Session
                };
                let call = Call::GetSessionToken {
                    duration_seconds: duration,
                    mfa,
                };
                let signer = Signer::Keys(account, keys);
                (kind, self.call(account, call, keys.credentials(), &signer)?)
            }
            Source::Role(role) => {
                let source = &role.from;
                let long = duration.unwrap_or(ROLE_DEFAULT) > CHAINED_MAX;
                let (credentials, signer, mfa) = match &source.source {
                    // Keys straight to AssumeRole: the way without MFA, and with MFA the only
                    // way to a session longer than AWS allows a chained one.
                    Source::Keys(keys) if serial.is_none() || long => (
                        keys.credentials(),
                        Signer::Keys(source, keys),
                        serial.map(code).transpose()?,
                    ),
                    _ => {
                        let got = self.obtain(source, None, serial)?;
                        if !got.cached {
                            say(&got.describe());
                        }
                        (got.session.credentials(), Signer::Session(source), None)
                    }
                };
                let call = Call::AssumeRole {
                    role_arn: role.arn.clone(),
                    session_name: role
                        .session_name
                        .clone()
                        .unwrap_or_else(|| format!("awsenv-{}", clock::now())),
                    external_id: role.external_id.clone(),
                    duration_seconds: duration,
                    mfa,
                };
                (Kind::Role, self.call(account, call, credentials, &signer)?)
            }
        };
        Ok(Session {
            version: session::VERSION,
            account: account.name.clone(),
            kind,
            access_key_id: issued.access_key_id,
            secret_access_key: issued.secret_access_key,
            session_token: issued.session_token,
            expiration: clock::format_rfc3339(issued.expiration),
            identity: issued.identity,
            mfa_serial: serial.map(str::to_owned),
            origin: account.origin(),
        })
    }

    fn call(
        &self,
        account: &Account,
        call: Call,
        credentials: Credentials,
        signer: &Signer,
    ) -> Result<sts::Issued> {
        let request = Request {
            call,
            credentials,
            region: account.region.clone().unwrap_or_else(|| "us-east-1".into()),
            endpoint: sts::endpoint_from_env(),
            timeout_secs: timeout()?,
            debug: crate::debug::enabled(),
        };
        match sts::call(&request)? {
            Reply::Issued(issued) => Ok(issued),
            Reply::Failed(failure) => Err(explain(account, &request, signer, failure)),
        }
    }
}

/// `AWSENV_TIMEOUT`: seconds to wait for STS per attempt (default 10).
fn timeout() -> Result<u64> {
    match std::env::var("AWSENV_TIMEOUT") {
        Ok(v) if !v.is_empty() => Ok(clock::parse_duration(&v)
            .map_err(|e| fail!(Config, "AWSENV_TIMEOUT: {e}"))?
            .max(1)
            .into()),
        _ => Ok(10),
    }
}

/// Turns what STS said into one line that says what to do next.
fn explain(account: &Account, request: &Request, signer: &Signer, failure: sts::Failure) -> Error {
    let name = &account.name;
    let op = request.call.name();
    let code = failure.code.as_deref().unwrap_or("no code");
    let mut secrets = vec![&request.credentials.secret_access_key];
    secrets.extend(request.credentials.session_token.as_ref());
    let aws = redact(&failure.message, &secrets);
    let endpoint = request
        .endpoint
        .clone()
        .unwrap_or_else(|| format!("sts.{}.amazonaws.com", request.region));
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
        (Reason::Other, _) => fail!(Failure, "{name}: {op} failed ({code}): {aws}"),
    }
}
