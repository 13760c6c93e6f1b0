//! The OS keychain as awsenv sees it: where `awsenv add` and `awsenv import credentials` keep
//! IAM users' secret keys instead of ~/.aws/credentials. The keychain's code lives in the
//! `awsenv-aws` helper (crates/keychain), so this side only asks it, over the same pipe as the
//! calls to AWS; a secret read from the keychain to sign a call never comes back here.

use crate::aws::wire::{KeychainOp, KeychainRequest};
use crate::aws::{Envelope, Failure, Reason, Reply, spawn};
use crate::error::{Error, Result, fail};
use crate::secret::Secret;
use crate::settings::Settings;
use crate::ui::printable;

pub use crate::aws::KEYCHAIN as NAME;

/// The keychain, for a person at the terminal (it may ask them to unlock it).
pub struct Keychain<'a> {
    settings: &'a Settings,
}

/// The keychain's state.
pub struct Status {
    pub locked: bool,
    /// The access key ids it holds secrets for; None when it is too locked to tell (GNOME
    /// Keyring hides the attributes of a keyring not unlocked since it was loaded).
    pub ids: Option<Vec<String>>,
}

impl<'a> Keychain<'a> {
    pub fn new(settings: &'a Settings) -> Keychain<'a> {
        Keychain { settings }
    }

    fn ask(&self, op: KeychainOp) -> Result<Reply> {
        let what = match &op {
            KeychainOp::Status => "keychain status".to_owned(),
            KeychainOp::Set { access_key_id, .. } => format!("keychain set {access_key_id}"),
            KeychainOp::Delete { access_key_id } => format!("keychain delete {access_key_id}"),
        };
        let request = KeychainRequest {
            op,
            interactive: true,
            timeout_secs: self.settings.timeout()?,
            debug: crate::debug::enabled(),
        };
        spawn(&Envelope::Keychain(&request), &what)
    }

    /// Whether it can be reached and is unlocked, and what it holds. A locked keychain is
    /// not an error here: a person at the terminal can unlock it when it is used.
    pub fn status(&self) -> Result<Status> {
        match self.ask(KeychainOp::Status)? {
            Reply::Keychain { locked, ids } => Ok(Status {
                locked,
                ids: Some(ids),
            }),
            Reply::Failed(failure) if failure.reason == Reason::KeychainLocked => Ok(Status {
                locked: true,
                ids: None,
            }),
            reply => Err(answered(reply)),
        }
    }

    /// Stores the secret of `access_key_id` for `account`, replacing any.
    pub fn set(&self, account: &str, access_key_id: &str, secret: &Secret) -> Result<()> {
        self.ask(KeychainOp::Set {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret.clone(),
            // The keychain's window shows it: no control character of a profile name.
            label: format!("awsenv: {} ({access_key_id})", printable(account)),
        })
        .and_then(|reply| match reply {
            Reply::Done => Ok(()),
            reply => Err(answered(reply)),
        })
    }

    /// Deletes the secret of `access_key_id`; false when there was none.
    pub fn delete(&self, access_key_id: &str) -> Result<bool> {
        match self.ask(KeychainOp::Delete {
            access_key_id: access_key_id.to_owned(),
        })? {
            Reply::Deleted(deleted) => Ok(deleted),
            reply => Err(answered(reply)),
        }
    }
}

/// A failure the helper reported, or an answer to another question.
fn answered(reply: Reply) -> Error {
    match reply {
        Reply::Failed(failure) => unusable(&failure),
        other => fail!(Failure, "awsenv-aws gave an unexpected answer: {other:?}"),
    }
}

/// The keychain cannot be used at all: one line that says what to do. Profiles whose keys are
/// in the shared files never get here.
fn unusable(failure: &Failure) -> Error {
    let why = &failure.message;
    match failure.reason {
        Reason::KeychainLocked => fail!(
            Keychain,
            "{NAME} is locked ({why}): unlock it (log in to your desktop, or open its keyring \
             manager) and try again"
        ),
        Reason::KeychainUnreachable => fail!(
            Keychain,
            "cannot reach {NAME} ({why}): run awsenv where a desktop session provides one (GNOME \
             Keyring or KWallet on Linux), or keep the keys in the credentials file"
        ),
        _ => fail!(Keychain, "{NAME} failed: {why}"),
    }
}
