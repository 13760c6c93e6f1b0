//! `awsenv rotate ACCOUNT`: a new access key for the account's IAM user. It creates the key,
//! writes it where the old one is kept (the file the old one came from, only that section's
//! two keys changing; or a new keychain item, then `awsenv_keychain` in the profile), proves
//! it works from there, then deletes the old key and drops the cached sessions made from it.
//! A step that fails leaves a working key where the profile looks: the old one until the new
//! one is proven and written, the new one after.

use super::{Context, Run};
use crate::aws::{Aws, Call, Credentials, Signer, iam};
use crate::cli;
use crate::error::{Error, ErrorKind, Result, fail};
use crate::keychain::Keychain;
use crate::profile::edit::{self, FileKind};
use crate::profile::{Account, KEYCHAIN, Kept, Keys, Profiles, Source};
use crate::secret::Secret;
use crate::session::cache::Cache;
use crate::session::obtain;
use crate::settings::Settings;
use crate::ui::say;
use std::time::Duration;

impl Run for cli::Rotate {
    fn run(self, context: &Context) -> Result<()> {
        let settings = &context.settings;
        let account = Profiles::load(settings.files.clone())?.account(&self.account)?;
        let keys = long_term_keys(&account)?;
        let aws = Aws::new(settings);
        let user = iam::user(&aws, &account, &keys)?.name;
        // Self-service key policies usually ask for MFA: sign with the MFA session if there
        // is a device, else with the keys themselves.
        let session = match &account.mfa_serial {
            Some(_) => {
                let got = obtain::session(settings, &account, &self.session.options(false))?;
                Some(got.session.credentials())
            }
            None => None,
        };
        let rotation = Rotation {
            settings,
            aws,
            account: &account,
            keys: &keys,
            user,
            session,
        };
        let existing = rotation.room_for_one_more()?;
        let (new_id, new_secret) = rotation.create(&existing)?;
        let new_keys = rotation.place(new_id, new_secret)?;
        // From here the file holds the new, proven key: whatever fails, a key works.
        rotation.retire_old(&new_keys)
    }
}

/// The IAM user's own keys: temporary credentials and roles have none to rotate.
fn long_term_keys(account: &Account) -> Result<Keys> {
    let name = &account.name;
    match &account.source {
        Source::Keys(keys) if keys.session_token.is_none() => Ok(keys.clone()),
        Source::Keys(_) => Err(fail!(
            Config,
            "{name} holds temporary credentials, which cannot be rotated"
        )),
        Source::Role(role) => Err(fail!(
            Config,
            "{name} is a role: rotate the keys of its source, {}",
            role.from.name
        )),
    }
}

struct Rotation<'a> {
    settings: &'a Settings,
    aws: Aws<'a>,
    account: &'a Account,
    keys: &'a Keys,
    user: String,
    /// The MFA session that signs the IAM calls, when the user has a device.
    session: Option<Credentials>,
}

impl Rotation<'_> {
    /// Makes an IAM call signed with the MFA session, else with `keys`.
    fn call(&self, call: Call, keys: &Keys) -> Result<crate::aws::Reply> {
        match &self.session {
            Some(credentials) => {
                let signer = Signer::Session(self.account);
                self.aws
                    .call(self.account, call, credentials.clone(), &signer)
            }
            None => {
                let signer = Signer::Keys(self.account, keys);
                self.aws
                    .call(self.account, call, keys.credentials(), &signer)
            }
        }
    }

    fn list(&self) -> Result<Vec<String>> {
        let user_name = self.user.clone();
        self.call(Call::ListAccessKeys { user_name }, self.keys)?
            .into_keys()
    }

    /// The user's keys now, if IAM lets it have one more.
    fn room_for_one_more(&self) -> Result<Vec<String>> {
        let existing = self.list()?;
        if existing.len() >= 2 {
            let other = existing
                .iter()
                .find(|id| **id != self.keys.access_key_id)
                .unwrap_or(&existing[0]);
            let (user, name) = (&self.user, &self.account.name);
            return Err(fail!(
                Config,
                "{user} already has two access keys, the most IAM allows: delete {other}, which \
                 [{name}] does not use (aws iam delete-access-key --user-name {user} \
                 --access-key-id {other}), then rotate again"
            ));
        }
        Ok(existing)
    }

    /// CreateAccessKey, once: a key AWS made although its answer was lost is named.
    fn create(&self, existing: &[String]) -> Result<(String, Secret)> {
        let user_name = self.user.clone();
        let created = self.call(Call::CreateAccessKey { user_name }, self.keys);
        let created = created.map_err(|e| {
            let now = self.list().unwrap_or_default();
            match now.iter().find(|id| !existing.contains(id)) {
                Some(unknown) => Error::new(
                    e.kind,
                    format!(
                        "{e}; AWS made key {unknown} all the same: delete it with aws iam \
                         delete-access-key --user-name {} --access-key-id {unknown}",
                        self.user
                    ),
                ),
                None => e,
            }
        })?;
        created.into_new_key()
    }

    /// Writes the new key where the old one is kept and proves it from there; deletes it
    /// again if either fails, so the profile keeps a working key.
    fn place(&self, new_id: String, new_secret: Secret) -> Result<Keys> {
        let (name, user) = (&self.account.name, &self.user);
        let file = self.keys.file();
        let kind = if *file == self.settings.files.config {
            FileKind::Config
        } else {
            FileKind::Credentials
        };
        let keychain = Keychain::new(self.settings);
        let (new_keys, placed) = match &self.keys.kept {
            Kept::File { path, .. } => {
                let new_keys = Keys {
                    access_key_id: new_id.clone(),
                    kept: Kept::File {
                        path: path.clone(),
                        secret: new_secret.clone(),
                    },
                    session_token: None,
                };
                let placed = prove(&self.aws, self.account, &new_keys).and_then(|()| {
                    let edits = [
                        ("aws_access_key_id", Some(new_id.as_str())),
                        ("aws_secret_access_key", Some(new_secret.expose())),
                    ];
                    edit::edit_file(path, kind, name, &edits)
                });
                (new_keys, placed)
            }
            // A new item beside the old: until the profile names it, the old key stands.
            Kept::Keychain { file } => {
                let new_keys = Keys {
                    access_key_id: new_id.clone(),
                    kept: Kept::Keychain { file: file.clone() },
                    session_token: None,
                };
                let placed = keychain
                    .set(name, &new_id, &new_secret)
                    .and_then(|()| prove(&self.aws, self.account, &new_keys))
                    .and_then(|()| {
                        edit::edit_file(file, kind, name, &[(KEYCHAIN, Some(new_id.as_str()))])
                    });
                if placed.is_err() {
                    let _ = keychain.delete(&new_id);
                }
                (new_keys, placed)
            }
        };
        let Err(e) = placed else {
            return Ok(new_keys);
        };
        let delete = Call::DeleteAccessKey {
            user_name: user.clone(),
            access_key_id: new_id.clone(),
        };
        Err(match self.call(delete, self.keys) {
            Ok(_) => Error::new(
                e.kind,
                format!("{e}; the new key was deleted and [{name}] keeps its old key"),
            ),
            Err(undo) => fail!(
                Failure,
                "{e}; and the new key {new_id} could not be deleted ({undo}): delete it with aws \
                 iam delete-access-key --user-name {user} --access-key-id {new_id}"
            ),
        })
    }

    /// Deletes the old key, unless another profile still uses it, and drops its sessions.
    fn retire_old(&self, new_keys: &Keys) -> Result<()> {
        let (name, user) = (&self.account.name, &self.user);
        let (old, new_id) = (&self.keys.access_key_id, &new_keys.access_key_id);
        let file = self.keys.whereabouts();
        // Deleting the old key must not strand another profile that still uses it (keys
        // copied to [default], or a section twice where another copy counts).
        let reloaded = Profiles::load(self.settings.files.clone())?;
        let still_old: Vec<String> = reloaded
            .using_key(old)
            .iter()
            .map(|n| format!("[{n}]"))
            .collect();
        if !still_old.is_empty() {
            return Err(fail!(
                Config,
                "{name}: the new key {new_id} is {file} and works, but {} still use the old \
                 key {old}, so it was not deleted: copy the new key there, then delete {old} \
                 with aws iam delete-access-key --user-name {user} --access-key-id {old}",
                still_old.join(", ")
            ));
        }
        let delete_old = Call::DeleteAccessKey {
            user_name: user.clone(),
            access_key_id: old.clone(),
        };
        if let Err(e) = self.call(delete_old, new_keys) {
            return Err(fail!(
                Denied,
                "{name}: the new key {new_id} is {file} and works, but the old key {old} could \
                 not be deleted ({e}): delete it with aws iam delete-access-key --user-name \
                 {user} --access-key-id {old}"
            ));
        }
        let dropped = Cache::new(self.settings).drop_made_from(old);
        say(&format!(
            "{name}: access key {new_id} replaces {old} {file}; {old} is deleted, and \
             {dropped} cached session(s) made from it are dropped"
        ));
        if let Kept::Keychain { .. } = self.keys.kept {
            // The old secret opens nothing any more; a failure here leaves only clutter.
            if let Err(e) = Keychain::new(self.settings).delete(old) {
                say(&format!(
                    "{name}: the old key's item stays in the keychain: {e}"
                ));
            }
        }
        Ok(())
    }
}

/// A new IAM key takes a few seconds to work everywhere: ask who it is until it answers.
fn prove(aws: &Aws, account: &Account, keys: &Keys) -> Result<()> {
    let signer = Signer::Keys(account, keys);
    let mut attempts = 0;
    loop {
        match aws.call(
            account,
            Call::GetCallerIdentity,
            keys.credentials(),
            &signer,
        ) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind == ErrorKind::Credentials && attempts < 10 => {
                attempts += 1;
                std::thread::sleep(Duration::from_secs(1));
            }
            Err(e) => {
                return Err(Error::new(
                    e.kind,
                    format!(
                        "{}: the new key {} did not work ({e})",
                        account.name, keys.access_key_id
                    ),
                ));
            }
        }
    }
}
