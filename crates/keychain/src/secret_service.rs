//! The Secret Service (freedesktop.org), which GNOME Keyring and KWallet provide on the
//! D-Bus session bus. Items carry the attributes `service` and `username`, as the keyring
//! crate and `secret-tool` use them: `secret-tool lookup service awsenv username AKIA...`
//! finds awsenv's items.
//!
//! The person is asked (a desktop dialog) only through a prompt object that a call returns:
//! Unlock and CreateCollection do, and the specification lets CreateItem and Delete do so
//! too, which GNOME Keyring does not for an unlocked collection or item. So without
//! `interactive` every path checks for a locked item or collection and stops there, before
//! any call that could return a prompt. Reading a locked item is an error, never a prompt.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use secret_service::blocking::{Collection, Item, SecretService};
use secret_service::{EncryptionType, Error as SsError};

use crate::{Error, Result, SERVICE};

pub const NAME: &str = "the Secret Service";

const LOCKED: &str = "the keychain is locked";

pub struct Keychain {
    // 'static only names no borrow at all: the collections and items it hands out borrow
    // it for as long as each call runs.
    ss: SecretService<'static>,
    interactive: bool,
}

fn attributes(access_key_id: &str) -> HashMap<&str, &str> {
    HashMap::from([("service", SERVICE), ("username", access_key_id)])
}

impl Keychain {
    pub fn open(interactive: bool) -> Result<Keychain> {
        // Dh: the secret crosses the bus encrypted, not readable to an eavesdropper on it.
        let ss = SecretService::connect(EncryptionType::Dh).map_err(error)?;
        Ok(Keychain { ss, interactive })
    }

    pub fn locked(&self) -> Result<bool> {
        match self.ss.get_default_collection() {
            Ok(collection) => collection.is_locked().map_err(error),
            // Nothing to read yet, so nothing to unlock either.
            Err(SsError::NoResult) => Ok(false),
            Err(e) => Err(error(e)),
        }
    }

    pub fn get(&self, access_key_id: &str) -> Result<Option<String>> {
        let found = self
            .ss
            .search_items(attributes(access_key_id))
            .map_err(error)?;
        let item = match (found.unlocked.first(), found.locked.first()) {
            (Some(item), _) => item,
            (None, Some(item)) => {
                self.unlock(&[item])?;
                item
            }
            (None, None) => return Ok(None),
        };
        let secret = item.get_secret().map_err(error)?;
        String::from_utf8(secret)
            .map(Some)
            .map_err(|_| Error::Failed("the stored secret is not text".into()))
    }

    pub fn set(&self, access_key_id: &str, secret: &str, label: &str) -> Result<()> {
        let collection = self.default_collection()?;
        if collection.is_locked().map_err(error)? {
            if !self.interactive {
                return Err(Error::Locked(LOCKED.into()));
            }
            collection.unlock().map_err(error)?;
        }
        let attributes = attributes(access_key_id);
        let item = collection
            .create_item(
                label,
                attributes.clone(),
                secret.as_bytes(),
                true,
                "text/plain",
            )
            .map_err(error)?;
        // replace=true replaces only an item of the same collection with exactly these
        // attributes; get() would still find a copy elsewhere or one with more attributes
        // (another tool's), and might return it instead.
        let found = self.ss.search_items(attributes).map_err(error)?;
        for other in &found.unlocked {
            if other.item_path != item.item_path {
                other.delete().map_err(error)?;
            }
        }
        Ok(())
    }

    pub fn delete(&self, access_key_id: &str) -> Result<bool> {
        let found = self
            .ss
            .search_items(attributes(access_key_id))
            .map_err(error)?;
        if found.unlocked.is_empty() && found.locked.is_empty() {
            return Ok(false);
        }
        // All or nothing: a locked copy left behind would be what get() finds next.
        if !found.locked.is_empty() {
            self.unlock(&found.locked.iter().collect::<Vec<_>>())?;
        }
        for item in found.unlocked.iter().chain(&found.locked) {
            item.delete().map_err(error)?;
        }
        Ok(true)
    }

    /// Never unlocks: GNOME Keyring shows the attributes of items it has unlocked once,
    /// but of a keyring still locked since it was loaded from disk only hashes of them.
    /// Then the ids cannot be known and this is `Error::Locked`.
    pub fn list(&self) -> Result<Vec<String>> {
        let found = self
            .ss
            .search_items(HashMap::from([("service", SERVICE)]))
            .map_err(error)?;
        let mut ids = Vec::new();
        for (item, locked) in found
            .unlocked
            .iter()
            .map(|item| (item, false))
            .chain(found.locked.iter().map(|item| (item, true)))
        {
            match item.get_attributes().map_err(error)?.remove("username") {
                Some(id) => ids.push(id),
                None if locked => return Err(Error::Locked(LOCKED.into())),
                // Someone else's item that happens to say service=awsenv.
                None => {}
            }
        }
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    fn unlock(&self, items: &[&Item]) -> Result<()> {
        if !self.interactive {
            return Err(Error::Locked(LOCKED.into()));
        }
        self.ss.unlock_all(items).map_err(error)
    }

    /// Where new items go. A GNOME Keyring that never had a login keyring (started without
    /// the login password) has no default collection, only the in-memory "session" one,
    /// which forgets everything at logout: create the default one, which asks for its new
    /// password, as libsecret does.
    fn default_collection(&self) -> Result<Collection<'_>> {
        match self.ss.get_default_collection() {
            Ok(collection) => Ok(collection),
            Err(SsError::NoResult) if self.interactive => {
                self.ss.create_collection("Login", "default").map_err(error)
            }
            Err(SsError::NoResult) => Err(Error::Locked(
                "the keychain has no default keyring yet".into(),
            )),
            Err(e) => Err(error(e)),
        }
    }
}

/// One short line, naming the D-Bus error where there is one; never the secret (the
/// service's errors carry no secret, and ours only ever go to it encrypted).
fn error(e: SsError) -> Error {
    match e {
        SsError::Unavailable => Error::Unreachable("no D-Bus session bus".into()),
        SsError::Locked => Error::Locked(LOCKED.into()),
        SsError::Prompt => {
            Error::Locked("the keychain stayed locked: unlocking was declined".into())
        }
        SsError::PromptDisconnected => {
            Error::Locked("the keychain stayed locked: its unlock prompt went away".into())
        }
        e => {
            if io_error(&e).is_some_and(|e| {
                matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                )
            }) {
                return Error::Unreachable("no D-Bus session bus".into());
            }
            // zbus is not a dependency of its own (it would be only for this), so its
            // errors are told apart by their D-Bus names, which are stable.
            let text = e.to_string();
            if [
                "org.freedesktop.DBus.Error.ServiceUnknown",
                "org.freedesktop.DBus.Error.NameHasNoOwner",
            ]
            .iter()
            .any(|name| text.contains(name))
            {
                Error::Unreachable(
                    "no Secret Service on the session bus (org.freedesktop.secrets)".into(),
                )
            } else if text.contains("org.freedesktop.DBus.Error.Spawn.") {
                // The bus knows a Secret Service to start (a .service file), but starting
                // it failed.
                Error::Unreachable(
                    "the Secret Service could not be started on the session bus".into(),
                )
            } else if text.contains("org.freedesktop.Secret.Error.IsLocked") {
                Error::Locked(LOCKED.into())
            } else {
                let line = text.lines().next().unwrap_or_default();
                let line = ["zbus error: ", "zbus fdo error: "]
                    .iter()
                    .find_map(|prefix| line.strip_prefix(prefix))
                    .unwrap_or(line);
                Error::Failed(format!("the Secret Service failed: {line}"))
            }
        }
    }
}

fn io_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a io::Error> {
    let mut source = e.source();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io);
        }
        if let Some(io) = e.downcast_ref::<Arc<io::Error>>() {
            return Some(io);
        }
        source = e.source();
    }
    None
}
