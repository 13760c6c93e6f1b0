//! `awsenv rotate ACCOUNT`: a new access key for the account's IAM user. It creates the key,
//! proves it works, writes it into the file the old one came from (only that section's two
//! keys change), then deletes the old key and drops the cached sessions made from it. A step
//! that fails leaves a working key in the file: the old one until the new one is proven and
//! written, the new one after.

use crate::aws::{self, Call, Credentials, Reply, Signer};
use crate::cache::{Cache, Lookup};
use crate::cli::SessionArgs;
use crate::config_edit::{self, Kind};
use crate::error::{Error, Kind as ErrorKind, Result, fail};
use crate::iam;
use crate::profile::{Account, Files, Keys, Profiles, Source};
use crate::ui::say;
use std::time::Duration;

pub fn run(name: &str, args: &SessionArgs) -> Result<()> {
    let files = Files::from_env();
    let profiles = Profiles::load(files.clone())?;
    let account = profiles.account(name)?;
    let keys = match &account.source {
        Source::Keys(keys) if keys.session_token.is_none() => keys.clone(),
        Source::Keys(_) => {
            return Err(fail!(
                Config,
                "{name} holds temporary credentials, which cannot be rotated"
            ));
        }
        Source::Role(role) => {
            return Err(fail!(
                Config,
                "{name} is a role: rotate the keys of its source, {}",
                role.from.name
            ));
        }
    };
    let user = iam::user(&account, &keys)?.name;
    let cache = Cache::from_env();
    // Self-service key policies usually ask for MFA: sign with the MFA session if there is a
    // device, else with the keys themselves.
    let (credentials, from_session) = match &account.mfa_serial {
        Some(_) => {
            let (_, _, got) = super::session(name, args, false)?;
            (got.session.credentials(), true)
        }
        None => (keys.credentials(), false),
    };
    let signer = if from_session {
        Signer::Session(&account)
    } else {
        Signer::Keys(&account, &keys)
    };
    let call = |call: Call, credentials: &Credentials| {
        aws::call(&account, call, credentials.clone(), &signer)
    };

    let existing = match call(
        Call::ListAccessKeys {
            user_name: user.clone(),
        },
        &credentials,
    )? {
        Reply::Keys(ids) => ids,
        other => return Err(iam::unexpected(&other)),
    };
    if existing.len() >= 2 {
        let other = existing
            .iter()
            .find(|id| **id != keys.access_key_id)
            .unwrap_or(&existing[0]);
        return Err(fail!(
            Config,
            "{user} already has two access keys, the most IAM allows: delete {other}, which \
             [{name}] does not use (aws iam delete-access-key --user-name {user} \
             --access-key-id {other}), then rotate again"
        ));
    }
    let created = call(
        Call::CreateAccessKey {
            user_name: user.clone(),
        },
        &credentials,
    );
    let created = created.map_err(|e| {
        // A key AWS made although its answer was lost would be a key nobody knows of.
        let now = match call(
            Call::ListAccessKeys {
                user_name: user.clone(),
            },
            &credentials,
        ) {
            Ok(Reply::Keys(ids)) => ids,
            _ => Vec::new(),
        };
        match now.iter().find(|id| !existing.contains(id)) {
            Some(unknown) => Error::new(
                e.kind,
                format!(
                    "{e}; AWS made key {unknown} all the same: delete it with aws iam \
                     delete-access-key --user-name {user} --access-key-id {unknown}"
                ),
            ),
            None => e,
        }
    })?;
    let (new_id, new_secret) = match created {
        Reply::NewKey {
            access_key_id,
            secret_access_key,
        } => (access_key_id, secret_access_key),
        other => return Err(iam::unexpected(&other)),
    };
    let new_keys = Keys {
        access_key_id: new_id.clone(),
        secret_access_key: new_secret.clone(),
        session_token: None,
        file: keys.file.clone(),
    };
    let kind = if keys.file == files.config {
        Kind::Config
    } else {
        Kind::Credentials
    };
    let placed = prove(&account, &new_keys).and_then(|()| {
        config_edit::edit_file(
            &keys.file,
            kind,
            name,
            &[
                ("aws_access_key_id", Some(&new_id)),
                ("aws_secret_access_key", Some(new_secret.expose())),
            ],
        )
    });
    if let Err(e) = placed {
        let delete = Call::DeleteAccessKey {
            user_name: user.clone(),
            access_key_id: new_id.clone(),
        };
        return Err(match call(delete, &credentials) {
            Ok(_) => Error::new(
                e.kind,
                format!("{e}; the new key was deleted and [{name}] keeps its old key"),
            ),
            Err(undo) => fail!(
                Failure,
                "{e}; and the new key {new_id} could not be deleted ({undo}): delete it with aws \
                 iam delete-access-key --user-name {user} --access-key-id {new_id}"
            ),
        });
    }

    // From here the file holds the new, proven key: whatever fails, a key works.
    let old = keys.access_key_id.clone();
    // Deleting the old key must not strand another profile that still uses it (keys copied
    // to [default], or a section twice where another copy counts).
    let reloaded = Profiles::load(files.clone())?;
    let still_old: Vec<String> = reloaded
        .names()
        .filter(|n| reloaded.value(n, "aws_access_key_id").as_deref() == Some(old.as_str()))
        .map(|n| format!("[{n}]"))
        .collect();
    if !still_old.is_empty() {
        return Err(fail!(
            Config,
            "{name}: the new key {new_id} is in {} and works, but {} still use the old key {old}, \
             so it was not deleted: copy the new key there, then delete {old} with aws iam \
             delete-access-key --user-name {user} --access-key-id {old}",
            keys.file.display(),
            still_old.join(", ")
        ));
    }
    let delete_old = Call::DeleteAccessKey {
        user_name: user.clone(),
        access_key_id: old.clone(),
    };
    let signing = if from_session {
        credentials
    } else {
        new_keys.credentials()
    };
    if let Err(e) = call(delete_old, &signing) {
        return Err(fail!(
            Denied,
            "{name}: the new key {new_id} is in {} and works, but the old key {old} could not be \
             deleted ({e}): delete it with aws iam delete-access-key --user-name {user} \
             --access-key-id {old}",
            keys.file.display()
        ));
    }
    let dropped = drop_sessions_of(&cache, &old);
    say(&format!(
        "{name}: access key {new_id} replaces {old} in {}; {old} is deleted, and {dropped} cached \
         session(s) made from it are dropped",
        keys.file.display()
    ));
    Ok(())
}

/// A new IAM key takes a few seconds to work everywhere: ask who it is until it answers.
fn prove(account: &Account, keys: &Keys) -> Result<()> {
    let signer = Signer::Keys(account, keys);
    let mut attempts = 0;
    loop {
        match aws::call(
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

/// Drops the cached sessions made from `key`: the account's own, and those of roles assumed
/// from it (their origin ends with the key). Best effort: the rotation is done, and a session
/// left behind is not used anyway, being made from another key than the profile's.
fn drop_sessions_of(cache: &Cache, key: &str) -> usize {
    let origin = format!("key:{key}");
    let mut dropped = 0;
    for account in cache.accounts() {
        if let Lookup::Found(session) = cache.read(&account)
            && session.origin.ends_with(&origin)
        {
            match cache.remove(&account) {
                Ok(true) => dropped += 1,
                Ok(false) => {}
                Err(e) => say(&format!("{e}")),
            }
        }
    }
    dropped
}
