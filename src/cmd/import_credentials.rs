//! `awsenv import credentials [ACCOUNT...]`: IAM users' keys out of the plain-text shared files
//! and into the OS keychain. For each account, in this order: AWS proves the key in the file,
//! the keychain stores it, AWS proves the keychain's copy (read back by the helper), the
//! profile names it (`awsenv_keychain`), and only then do its two lines leave the file; every
//! other byte of the file stays. A step that fails leaves the file's key in place. Sessions
//! made from the key stay valid: the key is the same.

use super::{Context, Run};
use crate::aws::{Aws, Call, Signer};
use crate::cli;
use crate::error::{Error, Result, fail};
use crate::keychain::{self, Keychain};
use crate::profile::{Account, KEYCHAIN, Kept, Keys, Profiles, Source, edit};
use crate::settings::Settings;
use crate::ui::say;

impl Run for cli::ImportCredentials {
    fn run(self, context: &Context) -> Result<()> {
        let settings = &context.settings;
        let profiles = Profiles::load(settings.files.clone())?;
        let named = !self.accounts.is_empty();
        let names: Vec<String> = if named {
            self.accounts.clone()
        } else {
            profiles
                .names()
                .filter(|n| profiles.value(n, "aws_secret_access_key").is_some())
                .map(str::to_owned)
                .collect()
        };
        if names.is_empty() {
            say(&format!(
                "no profile has an IAM user's keys in {} or {}",
                settings.files.credentials.display(),
                settings.files.config.display()
            ));
            return Ok(());
        }
        // Said once, before any account, and with nothing touched.
        Keychain::new(settings).status()?;
        let mut first_failure: Option<Error> = None;
        let mut moved = 0;
        for name in &names {
            match import(settings, &profiles, name) {
                Ok(Some(said)) => {
                    moved += 1;
                    say(&said);
                }
                Ok(None) => {}
                Err(e) => {
                    say(&e.to_string());
                    first_failure.get_or_insert(e);
                }
            }
        }
        match first_failure {
            Some(e) => Err(Error::new(
                e.kind,
                format!(
                    "{moved} of {} account(s) moved into {}; the others keep their keys where \
                     they were (see above)",
                    names.len(),
                    keychain::NAME
                ),
            )),
            None => Ok(()),
        }
    }
}

/// Moves one account's key; what to say, or None when it has nothing to move.
fn import(settings: &Settings, profiles: &Profiles, name: &str) -> Result<Option<String>> {
    let account = profiles.account(name)?;
    let keys = match &account.source {
        Source::Keys(keys) => keys,
        Source::Role(role) => {
            say(&format!(
                "{name}: a role, with no keys of its own (its source is {})",
                role.from.name
            ));
            return Ok(None);
        }
    };
    let Kept::File { path, secret } = &keys.kept else {
        say(&format!("{name}: its key is in {} already", keychain::NAME));
        return Ok(None);
    };
    if keys.session_token.is_some() {
        say(&format!(
            "{name}: temporary credentials (aws_session_token), left in {}",
            path.display()
        ));
        return Ok(None);
    }
    let id = &keys.access_key_id;
    let aws = Aws::new(settings);
    let arn = identity(&aws, &account, keys)?;
    if !arn.contains(":user/") {
        return Err(fail!(
            Credentials,
            "{name}: key {id} is not an IAM user's ({arn}): left in {}",
            path.display()
        ));
    }
    let keychain = Keychain::new(settings);
    keychain.set(name, id, secret)?;
    let stored = Keys {
        access_key_id: id.clone(),
        kept: Kept::Keychain {
            file: settings.files.config.clone(),
        },
        session_token: None,
    };
    if let Err(e) = identity(&aws, &account, &stored) {
        // Unless another profile already keeps the same key there.
        if !profiles
            .names()
            .any(|n| n != name && profiles.value(n, KEYCHAIN).as_deref() == Some(id.as_str()))
        {
            let _ = keychain.delete(id);
        }
        return Err(Error::new(
            e.kind,
            format!("{e}; the key stays in {}", path.display()),
        ));
    }
    let config = &settings.files.config;
    let mark = (KEYCHAIN, Some(id.as_str()));
    let unkey = [("aws_access_key_id", None), ("aws_secret_access_key", None)];
    // Named first, then taken out: a crash between leaves both, and the file's key wins.
    let written = if path == config {
        edit::edit_file(
            config,
            edit::FileKind::Config,
            name,
            &[mark, unkey[0], unkey[1]],
        )
    } else {
        edit::edit_file(config, edit::FileKind::Config, name, &[mark])
            .and_then(|()| edit::edit_file(path, edit::FileKind::Credentials, name, &unkey))
    };
    written.map_err(|e| {
        Error::new(
            e.kind,
            format!("{name}: {e}; its key stays in {}", path.display()),
        )
    })?;
    Ok(Some(format!(
        "{name}: key {id} of {arn} moved from {} into {}",
        path.display(),
        keychain::NAME
    )))
}

/// The ARN the key signs as.
fn identity(aws: &Aws, account: &Account, keys: &Keys) -> Result<String> {
    let signer = Signer::Keys(account, keys);
    let reply = aws.call(
        account,
        Call::GetCallerIdentity,
        keys.credentials(),
        &signer,
    )?;
    Ok(reply.into_identity()?.0)
}
