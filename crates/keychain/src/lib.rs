//! awsenv's long-term keys in the operating system's keychain: the Secret Service on Linux
//! (GNOME Keyring, KWallet), the login Keychain on macOS. One item per access key, found by
//! the service `awsenv` and the access key id, holding the secret access key. Only the
//! `awsenv-aws` binary links this crate, so the prompt hook never pays for it.
//!
//! Calls block, and a keychain that asks the person to unlock it waits for them: callers
//! bound the time themselves.

use std::fmt;

/// The service every item is stored under.
pub const SERVICE: &str = "awsenv";

#[derive(Debug)]
pub enum Error {
    /// No keychain can be reached: no D-Bus session, no Secret Service on it, or a platform
    /// without a keychain awsenv knows.
    Unreachable(String),
    /// The keychain is locked, and unlocking it was not allowed, or the person declined.
    Locked(String),
    /// Anything else, as the platform said it.
    Failed(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unreachable(why) | Error::Locked(why) | Error::Failed(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// A connection to this platform's keychain.
pub struct Keychain {
    inner: platform::Keychain,
}

impl Keychain {
    /// What the keychain is called in messages ("the Secret Service").
    pub const NAME: &'static str = platform::NAME;

    /// Connects. `interactive`: the keychain may ask the person to unlock it (a desktop
    /// dialog); otherwise a locked keychain is `Error::Locked`, at once.
    pub fn open(interactive: bool) -> Result<Keychain> {
        platform::Keychain::open(interactive).map(|inner| Keychain { inner })
    }

    /// Whether reading a secret now would need the keychain unlocked first.
    pub fn locked(&self) -> Result<bool> {
        self.inner.locked()
    }

    /// The secret access key stored for `access_key_id`, None when there is none.
    pub fn get(&self, access_key_id: &str) -> Result<Option<String>> {
        self.inner.get(access_key_id)
    }

    /// Stores the secret of `access_key_id`, replacing any; `label` is what the keychain's
    /// own window shows.
    pub fn set(&self, access_key_id: &str, secret: &str, label: &str) -> Result<()> {
        self.inner.set(access_key_id, secret, label)
    }

    /// Deletes the item of `access_key_id`; false when there was none.
    pub fn delete(&self, access_key_id: &str) -> Result<bool> {
        self.inner.delete(access_key_id)
    }

    /// The access key ids that have an item, sorted. Never asks to unlock, even when
    /// interactive: `Error::Locked` when a locked keychain hides them.
    pub fn list(&self) -> Result<Vec<String>> {
        self.inner.list()
    }
}

#[cfg(target_os = "linux")]
#[path = "secret_service.rs"]
mod platform;

#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod platform;

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
#[path = "none.rs"]
mod platform;
