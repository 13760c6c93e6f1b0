//! Errors that end a command. Each carries one line for the user (what happened and what to do)
//! and an exit status that tells scripts which kind of failure it was.

use std::fmt;

/// The kinds of failure, each with its own exit status (documented in `awsenv --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Anything unexpected: an I/O error, a bug.
    Failure,
    /// A command used in a way that cannot work (as clap's own usage errors).
    Usage,
    /// The AWS config names no such account, or the account is not usable as written.
    Config,
    /// The long-term keys behind an account are missing, or AWS rejected them.
    Credentials,
    /// No MFA code could be had, or AWS rejected the one given.
    Mfa,
    /// STS could not be reached, or did not answer in time.
    Network,
    /// AWS refused the request for another reason (access denied, invalid duration).
    Denied,
    /// The session cache is unsafe or cannot be written.
    Cache,
    /// Another awsenv held the account's lock for longer than an unattended renewal waits
    /// (most likely it is asking someone for an MFA code).
    Busy,
    /// The user pressed ctrl-C or closed the prompt.
    Interrupted,
    /// SIGHUP (the terminal closed) or SIGTERM while awsenv waited or worked; anything
    /// half-made was undone. 128 + the signal's number, as a shell reports a job it ended.
    Hangup,
    Terminated,
    /// `doctor` found something to fix.
    Findings,
    /// The OS keychain that holds an account's key cannot be reached, stays locked, or fails.
    Keychain,
    /// `exec`: the command cannot be run (126) or does not exist (127), as in a shell.
    CannotRun,
    NotFound,
}

impl ErrorKind {
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Failure => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Config => 3,
            ErrorKind::Credentials => 4,
            ErrorKind::Mfa => 5,
            ErrorKind::Network => 6,
            ErrorKind::Denied => 7,
            ErrorKind::Cache => 8,
            ErrorKind::Findings => 9,
            ErrorKind::Keychain => 10,
            // EX_TEMPFAIL: try again later.
            ErrorKind::Busy => 75,
            ErrorKind::Interrupted => 130,
            ErrorKind::Hangup => 129,
            ErrorKind::Terminated => 143,
            ErrorKind::CannotRun => 126,
            ErrorKind::NotFound => 127,
        }
    }
}

/// The exit statuses as shown by `awsenv --help` and the README.
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0    success
  1    unexpected failure (I/O error, bug)
  2    invalid command line, or shell code asked for on a terminal
  3    unknown account or unusable AWS config
  4    base keys missing, or rejected by AWS
  5    MFA code missing or rejected
  6    STS or its proxy unreachable, timed out, or its certificate not trusted
  7    denied by AWS for another reason
  8    session cache unsafe or unwritable
  9    doctor found something to fix
  10   the OS keychain cannot be reached, stays locked, or fails
  75   another awsenv was making the session (renewal without a terminal)
  129  the terminal closed (SIGHUP) at a prompt, in mfa_process or mfa-device setup
  130  interrupted (ctrl-C at a prompt)
  143  stopped by SIGTERM at a prompt, in mfa_process or mfa-device setup
  exec passes on the command's own status (126/127 when it cannot be run).";

#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shorthand for the error constructors used across the crate.
macro_rules! fail {
    ($kind:ident, $($arg:tt)*) => {
        $crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($arg)*))
    };
}
pub(crate) use fail;
