//! How a session for an account comes to be: from the cache while it is fresh, otherwise from
//! STS under the account's lock (so concurrent terminals make one call and ask for one code).
//! A role's MFA is satisfied through its source profile's cached MFA session, so one code
//! serves every role made from it; only a role session longer than AWS's 1 h cap on chained
//! sessions goes to STS with its own code.

use crate::aws::{Aws, Call, Issued, Mfa, Signer, iam};
use crate::clock;
use crate::error::{ErrorKind, Result, fail};
use crate::mfa;
use crate::profile::{Account, Keys, Role, Source, edit};
use crate::session::cache::{Cache, Lookup};
use crate::session::{self, Session, SessionKind};
use crate::settings::Settings;
use crate::ui::say;
use std::cell::RefCell;
use std::time::Duration;

/// AWS's limits, checked before any call so a mistake costs no MFA code.
const SESSION_TOKEN_LIMITS: (u32, u32) = (900, 129_600);
const ASSUME_ROLE_LIMITS: (u32, u32) = (900, 43_200);
/// AWS caps a role session assumed with temporary credentials (role chaining) at 1 h.
const CHAINED_MAX: u32 = 3600;
/// A clock further off AWS's than this is worth a line.
const CLOCK_SAID: i64 = 60;
/// AssumeRole's own default.
const ROLE_DEFAULT: u32 = 3600;

pub struct Options<'a> {
    /// `--duration`, for the account asked for (not its sources).
    pub duration: Option<u32>,
    /// `awsenv mfa`: a new session even when a cached one is fresh.
    pub force: bool,
    /// `--code` or `AWSENV_MFA_CODE`.
    pub code: Option<&'a str>,
    /// `--save`: write a discovered MFA device into the profile as `mfa_serial`.
    pub save: bool,
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

/// A session for `account`, fresh for at least the expiry margin, from `settings`' cache.
pub fn session(settings: &Settings, account: &Account, options: &Options) -> Result<Obtained> {
    obtain_with(settings, account, options, None)
}

/// `session` for a renewal nobody waits at a terminal for (the credential endpoint, the
/// shell's background renewal): a session that needs an MFA code is an `Mfa` error instead of
/// a prompt, another awsenv holding the account's lock is waited for at most `patience` (then
/// `Busy`), and only problems are said, not progress.
pub fn session_unattended(
    settings: &Settings,
    account: &Account,
    duration: Option<u32>,
    patience: Duration,
) -> Result<Obtained> {
    let options = Options {
        duration,
        force: false,
        code: None,
        save: false,
    };
    obtain_with(settings, account, &options, Some(patience))
}

/// `patience`: None when a person is at the terminal (see `Broker::attended`).
fn obtain_with(
    settings: &Settings,
    account: &Account,
    options: &Options,
    patience: Option<Duration>,
) -> Result<Obtained> {
    if options.force && account.mfa_serial.is_none() && matches!(account.source, Source::Role(_)) {
        return Err(no_device(settings, account));
    }
    let broker = Broker {
        settings,
        aws: match patience {
            None => Aws::new(settings),
            Some(_) => Aws::unattended(settings),
        },
        cache: Cache::new(settings),
        options,
        attended: patience.is_none(),
        patience: patience.unwrap_or_default(),
        margin: settings.margin()?,
        reported: RefCell::new(Vec::new()),
    };
    broker.obtain(account, options.duration, account.mfa_serial.as_deref())
}

fn no_device(settings: &Settings, account: &Account) -> crate::error::Error {
    fail!(
        Config,
        "{0} has no MFA device: set one up with awsenv mfa-device setup {0}, or add its \
         mfa_serial to [profile {0}] in {1}",
        account.name,
        settings.files.config.display()
    )
}

/// Whether a new session of `account` needs an MFA code of its own, rather than a source's
/// cached session: an MFA user's, and a role assumed straight from keys with MFA (longer than
/// a chained session may be).
pub fn needs_own_code(account: &Account) -> bool {
    let Some(_) = &account.mfa_serial else {
        return false;
    };
    match &account.source {
        Source::Keys(_) => true,
        Source::Role(role) => {
            matches!(role.from.source, Source::Keys(_))
                && account.duration.unwrap_or(ROLE_DEFAULT) > CHAINED_MAX
        }
    }
}

/// `d` within AWS's `(min, max)` for `what` ("a GetSessionToken session"), or an error that
/// says so before any call is made.
pub fn within(name: &str, what: &str, (min, max): (u32, u32), d: u32) -> Result<()> {
    if (min..=max).contains(&d) {
        return Ok(());
    }
    Err(fail!(
        Config,
        "{name}: {what} lasts {} to {}; {} was asked for",
        clock::human(min.into()),
        clock::human(max.into()),
        clock::human(d.into())
    ))
}

/// How long a new session of an account is asked to last, and who said so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Length {
    pub seconds: u32,
    pub from: LengthFrom,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LengthFrom {
    /// `--duration` on the command line.
    Flag,
    /// The profile's `duration_seconds`.
    Profile,
    /// `AWSENV_SESSION_DURATION` or `AWSENV_ROLE_DURATION`.
    Env(&'static str),
}

/// The length of `account`'s next session: `--duration` (`flag`) first, then the profile's
/// `duration_seconds`, then the environment's default for its kind of session; None leaves
/// it to AWS.
pub fn length(settings: &Settings, account: &Account, flag: Option<u32>) -> Result<Option<Length>> {
    let with = |seconds, from| Length { seconds, from };
    if let Some(seconds) = flag {
        return Ok(Some(with(seconds, LengthFrom::Flag)));
    }
    if let Some(seconds) = account.duration {
        return Ok(Some(with(seconds, LengthFrom::Profile)));
    }
    let role = matches!(account.source, Source::Role(_));
    Ok(settings
        .default_duration(role)?
        .map(|(seconds, var)| with(seconds, LengthFrom::Env(var))))
}

/// Checks a length against AWS's limits, naming where it came from.
pub fn check_duration(account: &Account, length: Option<Length>) -> Result<()> {
    let Some(Length { seconds: d, from }) = length else {
        return Ok(());
    };
    let name = &account.name;
    let from = match from {
        LengthFrom::Flag => "--duration".to_owned(),
        LengthFrom::Profile => format!("duration_seconds of [profile {name}]"),
        LengthFrom::Env(var) => var.to_owned(),
    };
    let (what, limits) = match &account.source {
        Source::Keys(_) => ("a GetSessionToken session", SESSION_TOKEN_LIMITS),
        Source::Role(_) => ("an AssumeRole session", ASSUME_ROLE_LIMITS),
    };
    within(name, what, limits, d).map_err(|e| fail!(Config, "{e} (by {from})"))?;
    if let Source::Role(role) = &account.source
        && matches!(role.from.source, Source::Role(_))
        && d > CHAINED_MAX
    {
        return Err(fail!(
            Config,
            "{name}: AWS caps a role assumed from another role at 1h; {} was asked for by \
             {from}: ask for 1h or less",
            clock::human(d.into())
        ));
    }
    Ok(())
}

struct Broker<'a> {
    settings: &'a Settings,
    aws: Aws<'a>,
    cache: Cache,
    options: &'a Options<'a>,
    /// Someone is at the terminal: an MFA code may be asked for, progress is said, and a lock
    /// is waited for as long as it takes.
    attended: bool,
    /// Otherwise, how long a lock is waited for.
    patience: Duration,
    margin: i64,
    /// Cache files already reported as unusable, so each is mentioned once.
    reported: RefCell<Vec<String>>,
}

impl Broker<'_> {
    /// `flag`: the `--duration` asked for this account (not for its sources).
    fn obtain(
        &self,
        account: &Account,
        flag: Option<u32>,
        serial: Option<&str>,
    ) -> Result<Obtained> {
        let length = length(self.settings, account, flag)?;
        check_duration(account, length)?;
        if let Some(l) = length
            && i64::from(l.seconds) <= self.margin
        {
            return Err(fail!(
                Config,
                "{}: a session of {} would be inside the expiry margin ({}) from its start: \
                 ask for a longer one, or lower AWSENV_EXPIRY_MARGIN",
                account.name,
                clock::human(l.seconds.into()),
                clock::human(self.margin)
            ));
        }
        let duration = length.map(|l| l.seconds);
        let fresh = || {
            (!self.options.force)
                .then(|| self.cached(account, serial, flag))
                .flatten()
        };
        if let Some(session) = fresh() {
            return Ok(Obtained {
                session,
                cached: true,
            });
        }
        if !self.attended
            && let (Source::Keys(_), Some(serial)) = (&account.source, serial)
        {
            // Say so before taking the lock, which a terminal asking for that code may hold.
            self.code(account, serial)?;
        }
        let lock = if self.attended {
            self.cache.lock(&account.name)?
        } else {
            self.cache.lock_within(&account.name, self.patience)?
        };
        // Whoever held the lock may just have made the session this process needs.
        if let Some(session) = fresh() {
            return Ok(Obtained {
                session,
                cached: true,
            });
        }
        // Before any code is asked for or call made: a cache that cannot keep the session
        // must say so while nothing is spent.
        let pending = self.cache.prepare(&lock)?;
        let session = self.create(account, duration, serial)?;
        if self.attended && session.clock_offset.abs() > CLOCK_SAID {
            let (gap, side) = match session.clock_offset {
                o if o > 0 => (o, "behind"),
                o => (-o, "ahead of"),
            };
            say(&format!(
                "this machine's clock is {} {side} AWS's (by the time of STS's answer): awsenv \
                 counts the session's time by AWS's clock; set the clock right (NTP)",
                clock::human(gap)
            ));
        }
        if self.attended && session.seconds_left() <= self.margin {
            // AWS's default (or a cap) is no longer than the margin: every use would renew.
            say(&format!(
                "{}: this session lasts {}, no longer than the expiry margin ({}), so every \
                 use makes a new one: lower AWSENV_EXPIRY_MARGIN or ask for longer (--duration)",
                account.name,
                clock::human(session.seconds_left()),
                clock::human(self.margin)
            ));
        }
        if let Err(e) = pending.commit(&session) {
            // The code is spent and the session is good: use it, and say it was not kept.
            say(&format!(
                "{e}; this session is used now but not kept, so the next awsenv will make a \
                 new one"
            ));
        }
        Ok(Obtained {
            session,
            cached: false,
        })
    }

    fn cached(
        &self,
        account: &Account,
        serial: Option<&str>,
        flag: Option<u32>,
    ) -> Option<Session> {
        let name = &account.name;
        match self.cache.read(name) {
            // An explicit --duration is a request for that length, not for any session.
            Lookup::Found(s) if flag.is_some() && s.asked != flag => {
                crate::debug!("cached session of {name} was asked for another length");
                None
            }
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
        let (kind, issued, serial) = match &account.source {
            Source::Keys(keys) => self.user_session(account, keys, duration, serial)?,
            Source::Role(role) => {
                let issued = self.role_session(account, role, duration, serial)?;
                (SessionKind::Role, issued, serial.map(str::to_owned))
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
            mfa_serial: serial,
            origin: account.origin(),
            asked: duration,
            clock_offset: issued.clock_offset,
        })
    }

    /// The code for `serial`, from wherever the options and the profile say.
    fn code(&self, account: &Account, serial: &str) -> Result<Mfa> {
        if !self.attended {
            // Not even mfa_process: it may want a touch or a passphrase on the terminal,
            // which belongs to the command now.
            return Err(fail!(
                Mfa,
                "{0}: a new session needs an MFA code, which awsenv asks for only at a \
                 terminal: run awsenv mfa {0}",
                account.name
            ));
        }
        let process = match account.mfa_process.as_deref() {
            Some(command) => Some((command, self.settings.mfa_process_timeout()?)),
            None => None,
        };
        Ok(Mfa {
            serial: serial.to_owned(),
            code: mfa::code(&account.name, serial, self.options.code, process)?,
        })
    }

    /// GetSessionToken with the user's keys: with MFA when it has (or is found to have) a
    /// device. Returns the kind of session made and the device used.
    fn user_session(
        &self,
        account: &Account,
        keys: &Keys,
        duration: Option<u32>,
        serial: Option<&str>,
    ) -> Result<(SessionKind, Issued, Option<String>)> {
        let serial = match serial {
            Some(serial) => Some(serial.to_owned()),
            None => self.discover(account, keys)?,
        };
        if self.options.force && serial.is_none() {
            return Err(no_device(self.settings, account));
        }
        let mfa = serial
            .as_deref()
            .map(|s| self.code(account, s))
            .transpose()?;
        let kind = if mfa.is_some() {
            SessionKind::Mfa
        } else {
            SessionKind::Session
        };
        let call = Call::GetSessionToken {
            duration_seconds: duration,
            mfa,
        };
        let signer = Signer::Keys(account, keys);
        let issued = self
            .aws
            .call(account, call, keys.credentials(), &signer)?
            .into_issued()?;
        Ok((kind, issued, serial))
    }

    /// AssumeRole, signed with the source's cached session (so one MFA code serves every
    /// role), or with its keys where that is the only way.
    fn role_session(
        &self,
        account: &Account,
        role: &Role,
        duration: Option<u32>,
        serial: Option<&str>,
    ) -> Result<Issued> {
        let source = &role.from;
        let long = duration.unwrap_or(ROLE_DEFAULT) > CHAINED_MAX;
        let (credentials, signer, mfa) = match &source.source {
            // Keys straight to AssumeRole: the way without MFA, and with MFA the only way to a
            // session longer than AWS allows a chained one.
            Source::Keys(keys) if serial.is_none() || long => (
                keys.credentials(),
                Signer::Keys(source, keys),
                serial.map(|s| self.code(account, s)).transpose()?,
            ),
            _ => {
                let got = self.obtain(source, None, serial)?;
                if !got.cached && self.attended {
                    say(&got.describe());
                }
                (
                    got.session.credentials().into(),
                    Signer::Session(source),
                    None,
                )
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
        self.aws
            .call(account, call, credentials, &signer)?
            .into_issued()
    }

    /// An IAM user with an MFA device but no `mfa_serial` in its profile: find the device (as
    /// aws-session did), use it, and say how to keep it. Asked only when a new session is
    /// being made, so it costs two calls every 12 hours, not one per switch.
    fn discover(&self, account: &Account, keys: &Keys) -> Result<Option<String>> {
        let aws = &self.aws;
        let found =
            iam::user(aws, account, keys).and_then(|user| iam::devices(aws, account, keys, &user));
        let serial = match found {
            Ok(serials) => serials.into_iter().next(),
            // These would fail the session call next: say so now, once.
            Err(e)
                if matches!(
                    e.kind,
                    ErrorKind::Network | ErrorKind::Credentials | ErrorKind::Interrupted
                ) =>
            {
                return Err(e);
            }
            Err(e) => {
                crate::debug!("no MFA device discovery for {}: {e}", account.name);
                None
            }
        };
        let Some(serial) = serial else {
            return Ok(None);
        };
        let (name, config) = (&account.name, &self.settings.files.config);
        if !self.attended {
            crate::debug!("{name}: found MFA device {serial}");
        } else if self.options.save {
            edit::set_in_file(config, name, "mfa_serial", Some(&serial))?;
            say(&format!(
                "{name}: found MFA device {serial}, saved as mfa_serial in {}",
                config.display()
            ));
        } else {
            say(&format!(
                "{name}: found MFA device {serial}; to skip this lookup, add mfa_serial = \
                 {serial} to [profile {name}] in {} (or pass --save)",
                config.display()
            ));
        }
        Ok(Some(serial))
    }
}
