//! The credential endpoint of `exec --server` and `shell --server`. A command that runs for
//! hours gets no static keys, which would end with the session, but the address of a small
//! HTTP server on loopback that hands out the account's session in the ECS container
//! credentials format: what botocore, the AWS CLI and every SDK read from
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI`, sending `AWS_CONTAINER_AUTHORIZATION_TOKEN` as the
//! `Authorization` header. The endpoint renews the session inside the expiry margin through
//! `obtain`, under the account lock, so every process shares one renewal; it never asks for
//! an MFA code. awsenv stays the command's parent: the endpoint lives exactly as long as the
//! command, signals sent to awsenv reach the command, and awsenv exits with its status.
//!
//! The server is std's `TcpListener` and a thread per connection, one GET per connection: the
//! awsenv binary carries no async runtime, so that the prompt hook starts fast.

use crate::clock;
use crate::current::{ACCOUNT, Current, IDENTITY, KIND};
use crate::error::{Error, ErrorKind, Result, fail};
use crate::profile::{Account, Profiles};
use crate::secret::Secret;
use crate::session::{Session, obtain};
use crate::settings::Settings;
use crate::shell::Change;
use crate::ui::say;
use crate::vars;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, pthread_sigmask};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

const FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
const TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
/// Variables with which an SDK would take credentials from elsewhere before the endpoint: a
/// profile's, the relative URI and the token file (which win over the full URI and the token),
/// and a web identity, tried before any container.
const RIVALS: [&str; 5] = [
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
];
/// Profile keys with which the default profile gives credentials of its own, which every SDK
/// takes before a container endpoint's.
const DEFAULT_CREDENTIALS: [&str; 6] = [
    "aws_access_key_id",
    "role_arn",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
];

const PATH: &str = "/credentials";
/// An SDK's request head is a few hundred bytes.
const HEAD_LIMIT: usize = 8 * 1024;
/// How long a client may take to take the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client has to send its request head (an SDK sends it at once), and how long one
/// read of it may wait.
const HEAD_WAIT: Duration = Duration::from_secs(2);
const HEAD_READ: Duration = Duration::from_millis(500);
/// Connections served at once; more are closed unanswered. Only local processes can connect,
/// but one of them could open thousands.
const MAX_CONNECTIONS: usize = 64;
/// Inside the margin the old session is handed out while a new one is being made, as long as
/// it has this long left: an SDK signs with what it gets at once.
const FLOOR: i64 = 5;
/// How long a request waits for a renewal once the old session is spent: less than botocore's
/// 2 s timeout, so that it gets an answer, and retries.
const RENEWAL_WAIT: Duration = Duration::from_millis(1500);
/// Renewals are this far apart at least: after a failure (which is answered meanwhile), and
/// after a success that is already inside a margin longer than the session itself.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Refuses `--server` where the command's SDKs would not use the endpoint: AWS_PROFILE is not
/// passed on, so they read the default profile, and take its credentials first.
pub fn check_default_profile(profiles: &Profiles, account: &Account) -> Result<()> {
    let Some(key) = DEFAULT_CREDENTIALS
        .into_iter()
        .find(|key| profiles.value("default", key).is_some())
    else {
        return Ok(());
    };
    Err(fail!(
        Config,
        "{}: the default profile has {key}, and AWS tools take the default profile's \
         credentials before a credential endpoint's: move them to a named profile, or run \
         without --server",
        account.name
    ))
}

/// Runs `command` with a credential endpoint for `account` instead of static keys, starting
/// from `session`, and exits with the command's status. Returns only if it cannot start.
/// `not_started` says why the command could not be started.
/// Starts `command` with `account`'s session, as `exec` and `shell` do: with `server`, behind
/// the endpoint, awsenv staying its parent; otherwise with the keys in its environment,
/// awsenv becoming the command (exec). Returns only when the command could not start.
pub fn start(
    settings: &Settings,
    current: &Current,
    account: &Account,
    (session, duration): (Session, Option<u32>),
    server: bool,
    mut command: Command,
    not_started: impl FnOnce(std::io::Error) -> Error,
) -> Result<()> {
    if server {
        return run(
            settings,
            current,
            account,
            duration,
            session,
            command,
            not_started,
        );
    }
    let region = account.region.as_deref();
    for change in vars::for_command(&session, region, current) {
        change.apply_to(&mut command);
    }
    Err(not_started(command.exec()))
}

fn run(
    settings: &Settings,
    current: &Current,
    account: &Account,
    duration: Option<u32>,
    session: Session,
    mut command: Command,
    not_started: impl FnOnce(std::io::Error) -> Error,
) -> Result<()> {
    let margin = settings.margin()?;
    // Blocked before any thread starts, so that every thread inherits the mask and only the
    // forwarder takes these signals: one that came before the command started would otherwise
    // end awsenv and leave the command running without its endpoint.
    let signals = forwarded();
    signals
        .thread_block()
        .map_err(|e| fail!(Failure, "cannot block signals: {e}"))?;
    // The command would inherit the mask, and never see them.
    // SAFETY: pthread_sigmask is async-signal-safe, as what runs between fork and exec must be.
    unsafe {
        command.pre_exec(move || {
            pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&signals), None)
                .map_err(std::io::Error::from)
        });
    }
    for change in environment(&session, account.region.as_deref(), current) {
        change.apply_to(&mut command);
    }
    let supply = Arc::new(Supply {
        settings: settings.clone(),
        account: account.clone(),
        duration,
        margin,
        state: Mutex::new(State {
            session,
            renewing: false,
            failure: None,
            attempted: None,
            said: Vec::new(),
        }),
        renewed: Condvar::new(),
    });
    let endpoint = Endpoint::start(supply)?;
    command.env(FULL_URI, &endpoint.url);
    command.env(TOKEN, endpoint.token.expose());
    let mut child = command.spawn().map_err(not_started)?;
    let pid = Pid::from_raw(child.id() as i32);
    let exited = Arc::new(Mutex::new(false));
    let forwarder = exited.clone();
    if let Err(e) = thread::Builder::new().spawn(move || forward(signals, pid, &forwarder)) {
        // The command must not run on with an endpoint that is about to go away.
        let _ = child.kill();
        let _ = child.wait();
        return Err(fail!(Failure, "cannot start a thread: {e}"));
    }
    // Waits without reaping, so that the forwarder never signals a process id the system
    // has given to another process.
    let exit = WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT;
    while let Err(nix::errno::Errno::EINTR) = waitid(Id::Pid(pid), exit) {}
    *lock(&exited) = true;
    let status = child
        .wait()
        .map_err(|e| fail!(Failure, "cannot wait for the command: {e}"))?;
    if let Some(code) = status.code() {
        std::process::exit(code);
    }
    let signal = status.signal().unwrap_or(0);
    die_of(signal);
    std::process::exit(128 + signal)
}

/// What the command gets: what `exec` gives it (region, none of the values a shell saved),
/// but the endpoint instead of the session's keys, none of the other credential sources an
/// SDK would try first, and no selected account: the shell integration would take the cached
/// session's keys into a sub-shell at its first prompt.
fn environment(session: &Session, region: Option<&str>, current: &Current) -> Vec<Change> {
    let secret: Vec<&str> = vars::credentials(session)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let mut changes: Vec<Change> = vars::for_command(session, region, current)
        .into_iter()
        .map(|change| match change {
            Change::Set(name, _) if secret.contains(&name.as_str()) || name == ACCOUNT => {
                Change::Unset(name)
            }
            other => other,
        })
        .collect();
    changes.extend(
        RIVALS
            .into_iter()
            .chain([KIND, IDENTITY, FULL_URI, TOKEN])
            .map(|name| Change::Unset(name.into())),
    );
    changes
}

fn forwarded() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        set.add(signal);
    }
    set
}

/// Passes SIGINT, SIGTERM and SIGHUP sent to awsenv on to the command, until it has exited.
fn forward(signals: SigSet, child: Pid, exited: &Mutex<bool>) {
    loop {
        let mut info = std::mem::MaybeUninit::<nix::libc::siginfo_t>::zeroed();
        // SAFETY: `signals` is a valid set and `info` has room for a siginfo_t.
        let number = unsafe { nix::libc::sigwaitinfo(signals.as_ref(), info.as_mut_ptr()) };
        if number < 0 {
            continue;
        }
        // SAFETY: sigwaitinfo succeeded, so it filled `info` in.
        let info = unsafe { info.assume_init() };
        // A positive code means the kernel sent it: the terminal signals its whole foreground
        // process group, the command included, and a second ctrl-C makes terraform drop its
        // graceful stop. Nor is a signal from the command itself sent back to it.
        // SAFETY: si_pid is set for signals sent by a process (code <= 0).
        if info.si_code > 0 || unsafe { info.si_pid() } == child.as_raw() {
            continue;
        }
        let Ok(signal) = Signal::try_from(number) else {
            continue;
        };
        let exited = lock(exited);
        if !*exited {
            crate::debug!("passing {signal} on to the command");
            let _ = kill(child, signal);
        }
    }
}

/// Ends awsenv by the signal that ended the command, as a shell reports it to its parent (a
/// script that runs `awsenv exec` stops at ctrl-C too); not for signals that dump core.
fn die_of(number: i32) {
    let Ok(signal) = Signal::try_from(number) else {
        return;
    };
    if !matches!(
        signal,
        Signal::SIGINT | Signal::SIGTERM | Signal::SIGHUP | Signal::SIGPIPE | Signal::SIGKILL
    ) {
        return;
    }
    let default = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::SigDfl,
        nix::sys::signal::SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: sets the default disposition, which runs no code of ours.
    let _ = unsafe { nix::sys::signal::sigaction(signal, &default) };
    let mut only = SigSet::empty();
    only.add(signal);
    let _ = pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&only), None);
    let _ = nix::sys::signal::raise(signal);
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The session the endpoint hands out, and its renewal.
struct Supply {
    settings: Settings,
    account: Account,
    duration: Option<u32>,
    margin: i64,
    state: Mutex<State>,
    /// Signalled when a renewal ends.
    renewed: Condvar,
}

struct State {
    session: Session,
    renewing: bool,
    /// Why the last renewal failed: its kind and line.
    failure: Option<(ErrorKind, String)>,
    /// When the last renewal ended.
    attempted: Option<Instant>,
    /// The lines said on stderr since the last good renewal: each is said once.
    said: Vec<String>,
}

impl State {
    fn say_once(&mut self, line: String) {
        if !self.said.contains(&line) {
            say(&line);
            self.said.push(line);
        }
    }
}

impl Supply {
    /// A session with time left, or the line that says why there is none.
    fn session(self: &Arc<Self>) -> std::result::Result<Session, String> {
        let mut state = lock(&self.state);
        if state.session.is_fresh(self.margin) {
            return Ok(state.session.clone());
        }
        let retry = state.attempted.is_none_or(|at| at.elapsed() >= RETRY_AFTER);
        if !state.renewing && retry {
            state.renewing = true;
            let supply = Arc::clone(self);
            if thread::Builder::new()
                .spawn(move || supply.renew())
                .is_err()
            {
                state.renewing = false;
            }
        }
        let deadline = Instant::now() + RENEWAL_WAIT;
        while state.renewing && state.session.seconds_left() <= FLOOR {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .renewed
                .wait_timeout(state, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        if state.session.seconds_left() > FLOOR {
            return Ok(state.session.clone());
        }
        let name = &self.account.name;
        let line = match &state.failure {
            Some((ErrorKind::Mfa, _)) => format!(
                "{name}: the session has ended, and a new one needs an MFA code: run awsenv mfa \
                 {name}, and the command gets the new session at its next AWS call"
            ),
            Some((_, line)) => line.clone(),
            None => format!("{name}: awsenv is still renewing the session; try again"),
        };
        if state.failure.is_some() {
            state.say_once(line.clone());
        }
        Err(line)
    }

    fn renew(&self) {
        // Bounded: a terminal asking for this account's MFA code holds the lock meanwhile.
        let patience = Duration::from_secs(self.settings.timeout().unwrap_or(10));
        let renewed =
            obtain::session_unattended(&self.settings, &self.account, self.duration, patience);
        let mut state = lock(&self.state);
        let name = &self.account.name;
        match renewed {
            Ok(got) => {
                crate::debug!("credential endpoint: {}", got.describe());
                if state.failure.take().is_some() {
                    say(&format!(
                        "{name}: the credential endpoint has a session again, {} left",
                        clock::human(got.session.seconds_left())
                    ));
                }
                state.said.clear();
                state.session = got.session;
            }
            Err(e) => {
                crate::debug!("credential endpoint: no new session: {e}");
                if state.session.seconds_left() > FLOOR {
                    let line = match e.kind {
                        ErrorKind::Mfa => format!(
                            "{name}: the session is about to end, and a new one needs an MFA \
                             code: run awsenv mfa {name}, and the command gets the new session \
                             at its next AWS call"
                        ),
                        _ => e.to_string(),
                    };
                    state.say_once(line);
                }
                state.failure = Some((e.kind, e.to_string()));
            }
        }
        state.attempted = Some(Instant::now());
        state.renewing = false;
        self.renewed.notify_all();
    }
}

/// A listening endpoint: its URL and the token a request must carry.
struct Endpoint {
    url: String,
    token: Secret,
}

impl Endpoint {
    fn start(supply: Arc<Supply>) -> Result<Endpoint> {
        let cannot =
            |e: std::io::Error| fail!(Failure, "cannot start the credential endpoint: {e}");
        // Loopback only: no other machine may ask, and every SDK accepts plain HTTP there.
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(cannot)?;
        let port = listener.local_addr().map_err(cannot)?.port();
        let token = new_token()?;
        let served = token.clone();
        thread::Builder::new()
            .spawn(move || accept(&listener, &served, &supply))
            .map_err(cannot)?;
        crate::debug!("credential endpoint on 127.0.0.1:{port}");
        Ok(Endpoint {
            url: format!("http://127.0.0.1:{port}{PATH}"),
            token,
        })
    }
}

/// 32 bytes from the kernel's generator, in hex: a header value any SDK passes as it is.
fn new_token() -> Result<Secret> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .map_err(|e| fail!(Failure, "cannot read /dev/urandom: {e}"))?;
    Ok(Secret::new(
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    ))
}

fn accept(listener: &TcpListener, token: &Secret, supply: &Arc<Supply>) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            // Out of file descriptors, say: let the command close some.
            thread::sleep(Duration::from_millis(50));
            continue;
        };
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let (token, supply, done) = (token.clone(), supply.clone(), open.clone());
        let started = thread::Builder::new().spawn(move || {
            serve(stream, &token, &supply);
            done.fetch_sub(1, Ordering::SeqCst);
        });
        if started.is_err() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Answers one request on `stream`.
fn serve(mut stream: TcpStream, token: &Secret, supply: &Arc<Supply>) {
    // Any local user can connect before the token is checked: a client that sends its head
    // slowly holds a connection slot for HEAD_WAIT (and one read) at most.
    let _ = stream.set_read_timeout(Some(HEAD_READ));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let head = read_head(&mut stream, Instant::now() + HEAD_WAIT).and_then(|h| parse_head(&h));
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let (status, body) = match head {
        Err(Bad::Gone) => return,
        Err(Bad::TooLarge) => refusal(431, "RequestTooLarge", "the request head is too large"),
        Err(Bad::Malformed) => refusal(400, "BadRequest", "not an HTTP/1.1 request"),
        Ok(head) => match verdict(&head, token) {
            Verdict::Refuse(status, code, message) => refusal(status, code, message),
            Verdict::Serve => match supply.session() {
                Ok(session) => (200, credentials(&session)),
                Err(line) => refusal(503, "SessionUnavailable", &line),
            },
        },
    };
    crate::debug!("credential endpoint: answered {status}");
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.shutdown(Shutdown::Write);
}

/// The ECS container credentials format.
fn credentials(session: &Session) -> String {
    serde_json::json!({
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key.expose(),
        "Token": session.session_token.expose(),
        "Expiration": session.expiration_here(),
    })
    .to_string()
}

/// An error in the shape the SDKs show (`code`, `message`).
fn refusal(status: u16, code: &str, message: &str) -> (u16, String) {
    let body = serde_json::json!({ "code": code, "message": format!("awsenv: {message}") });
    (status, body.to_string())
}

#[derive(Debug, PartialEq)]
enum Bad {
    /// The client closed the connection or took too long: nobody to answer.
    Gone,
    TooLarge,
    Malformed,
}

/// What matters of a request.
#[derive(Debug, PartialEq)]
struct Head {
    method: String,
    target: String,
    authorization: Option<String>,
}

/// The request head, up to its blank line, at most HEAD_LIMIT bytes, read before `deadline`
/// (each read also has the stream's own timeout).
fn read_head(stream: &mut impl Read, deadline: Instant) -> std::result::Result<Vec<u8>, Bad> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        if let Some(end) = end_of_head(&head) {
            head.truncate(end);
            return Ok(head);
        }
        if head.len() >= HEAD_LIMIT {
            return Err(Bad::TooLarge);
        }
        if Instant::now() >= deadline {
            return Err(Bad::Gone);
        }
        let n = stream.read(&mut buf).map_err(|_| Bad::Gone)?;
        if n == 0 {
            return Err(Bad::Gone);
        }
        head.extend_from_slice(&buf[..n]);
    }
}

/// Where the head ends (the start of its blank line), if it is within the limit.
fn end_of_head(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = bytes.windows(2).position(|w| w == b"\n\n");
    let end = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    (end <= HEAD_LIMIT).then_some(end)
}

fn parse_head(head: &[u8]) -> std::result::Result<Head, Bad> {
    let text = std::str::from_utf8(head).map_err(|_| Bad::Malformed)?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut parts = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Bad::Malformed);
    };
    if method.is_empty() || !target.starts_with('/') || !matches!(version, "HTTP/1.1" | "HTTP/1.0")
    {
        return Err(Bad::Malformed);
    }
    let mut authorization = None;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(Bad::Malformed)?;
        // Also refuses folded lines, which start with a space.
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(Bad::Malformed);
        }
        if name.eq_ignore_ascii_case("authorization") {
            // Two of them: a proxy or a trick, and no telling which one counts.
            if authorization.is_some() {
                return Err(Bad::Malformed);
            }
            authorization = Some(value.trim_matches([' ', '\t']).to_owned());
        }
    }
    Ok(Head {
        method: method.to_owned(),
        target: target.to_owned(),
        authorization,
    })
}

#[derive(Debug, PartialEq)]
enum Verdict {
    Serve,
    Refuse(u16, &'static str, &'static str),
}

/// Whether a request gets the session. Nothing is told without the token, not even whether
/// the path is right.
fn verdict(head: &Head, token: &Secret) -> Verdict {
    let Some(given) = &head.authorization else {
        return Verdict::Refuse(
            401,
            "Unauthorized",
            "send the value of AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header",
        );
    };
    if !same(given.as_bytes(), token.expose().as_bytes()) {
        return Verdict::Refuse(403, "Forbidden", "wrong authorization token");
    }
    if head.method != "GET" {
        return Verdict::Refuse(405, "MethodNotAllowed", "only GET is served");
    }
    if head.target != PATH {
        return Verdict::Refuse(404, "NotFound", "the credentials are at /credentials");
    }
    Verdict::Serve
}

/// Equal, in a time that does not depend on where the two first differ (a token's length is
/// no secret: it is always 64).
fn same(given: &[u8], token: &[u8]) -> bool {
    if given.len() != token.len() {
        return false;
    }
    let difference = given
        .iter()
        .zip(token)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> std::result::Result<Head, Bad> {
        parse_head(text.as_bytes())
    }

    fn request(authorization: Option<&str>, method: &str, target: &str) -> Head {
        Head {
            method: method.into(),
            target: target.into(),
            authorization: authorization.map(str::to_owned),
        }
    }

    #[test]
    fn a_request_of_an_sdk_is_read() {
        let h = head(
            "GET /credentials HTTP/1.1\r\nHost: 127.0.0.1:4242\r\nAccept-Encoding: identity\r\n\
             authorization:  abc123 \r\nUser-Agent: Boto3/1.44",
        )
        .unwrap();
        assert_eq!(h, request(Some("abc123"), "GET", "/credentials"));
        let h = head("GET /credentials HTTP/1.0\nHost: x").unwrap();
        assert_eq!(h.authorization, None);
    }

    #[test]
    fn what_is_not_one_request_is_malformed() {
        for bad in [
            "",
            "GET /credentials",
            "GET /credentials HTTP/2",
            "GET  /credentials HTTP/1.1",
            "GET credentials HTTP/1.1",
            "GET /credentials HTTP/1.1 extra",
            "GET /credentials HTTP/1.1\r\nno colon",
            "GET /credentials HTTP/1.1\r\nHost: x\r\n folded: value",
            "GET /credentials HTTP/1.1\r\nBad Name: x",
            "GET /credentials HTTP/1.1\r\nAuthorization: a\r\nAuthorization: b",
        ] {
            assert_eq!(head(bad), Err(Bad::Malformed), "{bad:?}");
        }
        assert_eq!(
            parse_head(b"GET / HTTP/1.1\r\nX: \xff"),
            Err(Bad::Malformed)
        );
    }

    #[test]
    fn the_head_ends_at_its_blank_line_within_the_limit() {
        let deadline = Instant::now() + Duration::from_secs(5);
        let text = b"GET /credentials HTTP/1.1\r\nHost: x\r\n\r\nbody";
        let got = read_head(&mut &text[..], deadline).unwrap();
        assert_eq!(got, b"GET /credentials HTTP/1.1\r\nHost: x");
        let unfinished = b"GET /credentials HTTP/1.1\r\nHost: x\r\n";
        assert_eq!(read_head(&mut &unfinished[..], deadline), Err(Bad::Gone));
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(HEAD_LIMIT));
        assert_eq!(
            read_head(&mut huge.as_bytes(), deadline),
            Err(Bad::TooLarge)
        );
        let late = Instant::now() - Duration::from_secs(1);
        assert_eq!(read_head(&mut &text[..], late), Err(Bad::Gone));
    }

    #[test]
    fn only_the_token_opens_the_endpoint() {
        let token = Secret::new("0123456789abcdef");
        let verdict_for = |auth: Option<&str>| verdict(&request(auth, "GET", PATH), &token);
        assert_eq!(verdict_for(Some("0123456789abcdef")), Verdict::Serve);
        assert!(matches!(verdict_for(None), Verdict::Refuse(401, ..)));
        for wrong in [
            "",
            "0123456789abcde",
            "0123456789abcdeF",
            "0123456789abcdef0",
        ] {
            assert!(
                matches!(verdict_for(Some(wrong)), Verdict::Refuse(403, ..)),
                "{wrong}"
            );
        }
        // The path and the method are judged only with the token.
        let elsewhere = request(None, "POST", "/other");
        assert!(matches!(
            verdict(&elsewhere, &token),
            Verdict::Refuse(401, ..)
        ));
        let post = request(Some("0123456789abcdef"), "POST", PATH);
        assert!(matches!(verdict(&post, &token), Verdict::Refuse(405, ..)));
        let other = request(Some("0123456789abcdef"), "GET", "/credentials/x");
        assert!(matches!(verdict(&other, &token), Verdict::Refuse(404, ..)));
    }

    #[test]
    fn comparison_needs_every_byte() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"xbc", b"abc"));
        assert!(!same(b"ab", b"abc"));
        assert!(same(b"", b""));
    }

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn the_command_gets_the_endpoint_not_the_keys() {
        use crate::session::{SessionKind, VERSION};
        let session = Session {
            version: VERSION,
            account: "work".into(),
            kind: SessionKind::Role,
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("s3cr3t"),
            session_token: Secret::new("t0k3n"),
            expiration: "2026-11-21T20:00:00Z".into(),
            identity: "arn:aws:sts::123456789012:assumed-role/r/s".into(),
            mfa_serial: None,
            origin: "role:x".into(),
            asked: None,
            clock_offset: 0,
        };
        let current = Current::from_vars(
            [
                ("AWS_ACCESS_KEY_ID", "AKIAPARENT"),
                ("AWS_SECRET_ACCESS_KEY", "parent-secret"),
                ("AWSENV_ACCOUNT", "personal"),
                ("AWSENV_SAVED_AWS_ACCESS_KEY_ID", "AKIAUSER"),
                ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x"),
                ("AWS_PROFILE", "personal"),
                ("AWSENV_EXPIRY_MARGIN", "1m"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let changes = environment(&session, Some("eu-west-1"), &current);
        let mut env: std::collections::BTreeMap<String, String> = current
            .names_with("")
            .into_iter()
            .map(|n| {
                let value = current.get(&n).unwrap();
                (n, value)
            })
            .collect();
        for change in &changes {
            match change {
                Change::Set(k, v) => {
                    env.insert(k.clone(), v.clone());
                }
                Change::Unset(k) => {
                    env.remove(k);
                }
                _ => {}
            }
        }
        let names: Vec<&str> = env.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["AWSENV_EXPIRY_MARGIN", "AWS_DEFAULT_REGION", "AWS_REGION"],
            "{env:?}"
        );
        assert!(!format!("{changes:?}").contains("s3cr3t"));
    }
}
