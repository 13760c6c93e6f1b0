//! `awsenv add ACCOUNT`: an IAM user's access key into the OS keychain, as aws-vault adds one.
//! The key is asked for at the terminal (the secret without echo), read from stdin when that
//! is not a terminal, or taken from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY with `--env`; never
//! from an argument, which other users' `ps` shows. AWS proves it is an IAM user's working key
//! before anything is stored; then the keychain holds the secret, and the profile names the key
//! (`awsenv_keychain`), gaining the user's MFA device if it had none. No file gets the secret.

use super::{Context, Run};
use crate::aws::iam::{self, User};
use crate::aws::{Aws, Call, Signer};
use crate::cli;
use crate::error::{ErrorKind, Result, fail};
use crate::keychain::{self, Keychain};
use crate::mfa::Terminal;
use crate::profile::{Account, KEYCHAIN, Kept, Keys, Profiles, edit, shape};
use crate::secret::Secret;
use crate::session::cache::Cache;
use crate::settings::Settings;
use crate::ui::say;
use std::io::{IsTerminal, Read};

impl Run for cli::Add {
    fn run(self, context: &Context) -> Result<()> {
        let settings = &context.settings;
        let name = &self.account;
        let profiles = Profiles::load(settings.files.clone())?;
        let replaced = addable(&profiles, name, settings)?;
        // Said before the person types a secret for nothing.
        Keychain::new(settings).status()?;
        let (id, secret) = if self.env {
            from_env(name)?
        } else if std::io::stdin().is_terminal() {
            asked(name)?
        } else {
            from_stdin(name)?
        };
        let keys = Keys {
            access_key_id: id.clone(),
            kept: Kept::File {
                path: settings.files.credentials.clone(),
                secret: secret.clone(),
            },
            session_token: None,
        };
        let account = profiles.user_with(name, keys.clone())?;
        let aws = Aws::new(settings);
        let user = prove(&aws, &account, &keys)?;
        let serial = match profiles.value(name, "mfa_serial") {
            Some(_) => None,
            None => device(&aws, &account, &keys, &user),
        };
        store(settings, &profiles, name, &id, &secret, serial.as_deref())?;
        let config = settings.files.config.display();
        let mut said = format!(
            "{name}: key {id} of {} is in {}, and {} in {config} names it",
            user.arn,
            keychain::NAME,
            edit::section(edit::FileKind::Config, name)
        );
        if let Some(serial) = &serial {
            said.push_str(&format!("; its MFA device {serial} is saved as mfa_serial"));
        }
        say(&said);
        if let Some(old) = replaced.filter(|old| *old != id) {
            retire(settings, &profiles, name, &old);
        }
        Ok(())
    }
}

/// Refuses a profile whose keys live elsewhere; the key id it names in the keychain, if any
/// (which the new one replaces).
fn addable(profiles: &Profiles, name: &str, settings: &Settings) -> Result<Option<String>> {
    edit::writable(name)?;
    let file = |key: &str| profiles.value(name, key);
    if file("role_arn").is_some() {
        let source = file("source_profile").map_or(String::new(), |s| format!(", {s}"));
        return Err(fail!(
            Config,
            "{name} is a role, which has no keys of its own: add them to its source profile{source}"
        ));
    }
    if let Some(key) = profiles.served_elsewhere(name) {
        return Err(fail!(
            Config,
            "{name} gets its credentials from {key}, which awsenv does not manage"
        ));
    }
    if file("aws_access_key_id").is_some() || file("aws_secret_access_key").is_some() {
        return Err(fail!(
            Config,
            "{name} has keys in {}: move them into the keychain with awsenv import credentials \
             {name}",
            settings.files.credentials.display()
        ));
    }
    Ok(file(KEYCHAIN))
}

fn from_env(name: &str) -> Result<(String, Secret)> {
    let var = |v: &str| std::env::var(v).ok().filter(|s| !s.is_empty());
    if var("AWS_SESSION_TOKEN").is_some() {
        return Err(temporary(name));
    }
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => checked(name, id, Secret::new(secret)),
        _ => Err(fail!(
            Usage,
            "{name}: --env takes the key from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and \
             one is not set"
        )),
    }
}

/// Two lines on stdin, for scripts: the access key id, then the secret.
fn from_stdin(name: &str) -> Result<(String, Secret)> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| fail!(Usage, "{name}: cannot read stdin: {e}"))?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    match (lines.next(), lines.next()) {
        (Some(id), Some(secret)) => checked(name, id.to_owned(), Secret::new(secret)),
        _ => Err(fail!(
            Usage,
            "{name}: stdin must hold two lines, the access key id and then the secret access key"
        )),
    }
}

fn asked(name: &str) -> Result<(String, Secret)> {
    let mut terminal = Terminal::open().ok_or_else(|| {
        fail!(
            Usage,
            "{name}: no terminal to ask for the key: pipe it to stdin"
        )
    })?;
    let during = "at the key prompt";
    let id = terminal.ask_line(name, "Access key ID: ", false, during)?;
    let secret = terminal.ask_line(name, "Secret access key: ", true, during)?;
    checked(name, id, Secret::new(secret))
}

fn temporary(name: &str) -> crate::error::Error {
    fail!(
        Credentials,
        "{name}: that is a temporary key (from STS); awsenv add keeps an IAM user's long-term \
         key, whose id starts with AKIA"
    )
}

/// The key's shape, before AWS is asked anything.
fn checked(name: &str, id: String, secret: Secret) -> Result<(String, Secret)> {
    if id.starts_with("ASIA") {
        return Err(temporary(name));
    }
    let visible = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic());
    if !shape::access_key_id(&id) || !visible(secret.expose()) {
        return Err(fail!(
            Credentials,
            "{name}: that is not an access key (an id like AKIAIOSFODNN7EXAMPLE and a secret of \
             40 characters): copy both from the IAM console"
        ));
    }
    Ok((id, secret))
}

/// Who the key is: an IAM user's, or it is refused.
fn prove(aws: &Aws, account: &Account, keys: &Keys) -> Result<Arn> {
    let name = &account.name;
    let id = &keys.access_key_id;
    let signer = Signer::Keys(account, keys);
    let answer = aws.call(
        account,
        Call::GetCallerIdentity,
        keys.credentials(),
        &signer,
    );
    let (arn, account_id) = match answer.and_then(|r| r.into_identity()) {
        Ok(identity) => identity,
        Err(e) if e.kind == ErrorKind::Credentials => {
            return Err(fail!(
                Credentials,
                "{name}: AWS rejected key {id}: check the id and the secret; nothing was stored"
            ));
        }
        Err(e) => return Err(e),
    };
    let user = arn
        .split_once(":user/")
        .map(|(_, path)| path.rsplit('/').next().unwrap_or(path).to_owned())
        .ok_or_else(|| {
            fail!(
                Credentials,
                "{name}: key {id} is not an IAM user's ({arn}); nothing was stored"
            )
        })?;
    Ok(Arn {
        arn,
        user: User {
            name: user,
            account_id,
        },
    })
}

/// An IAM user, and its ARN.
struct Arn {
    arn: String,
    user: User,
}

/// The user's one MFA device, to complete the profile with; none when it has none, several,
/// or may not list them without MFA.
fn device(aws: &Aws, account: &Account, keys: &Keys, arn: &Arn) -> Option<String> {
    match iam::devices(aws, account, keys, &arn.user) {
        Ok(serials) if serials.len() == 1 => serials.into_iter().next(),
        Ok(_) => None,
        Err(e) => {
            crate::debug!("{}: no MFA device lookup: {e}", account.name);
            None
        }
    }
}

/// Secret into the keychain, then the profile names it; a profile that cannot be written
/// takes the new item back out, unless another profile names the same key.
fn store(
    settings: &Settings,
    profiles: &Profiles,
    name: &str,
    id: &str,
    secret: &Secret,
    serial: Option<&str>,
) -> Result<()> {
    let keychain = Keychain::new(settings);
    keychain.set(name, id, secret)?;
    let mut edits = vec![(KEYCHAIN, Some(id))];
    if let Some(serial) = serial {
        edits.push(("mfa_serial", Some(serial)));
    }
    let written = edit::edit_file(&settings.files.config, edit::FileKind::Config, name, &edits);
    if written.is_err() && profiles.using_key(id).iter().all(|n| n == name) {
        let _ = keychain.delete(id);
    }
    written
}

/// The key `old` that `name` named before: its item goes unless another profile names it, and
/// the sessions made from it go with it.
fn retire(settings: &Settings, profiles: &Profiles, name: &str, old: &str) {
    let others: Vec<String> = profiles
        .using_key(old)
        .into_iter()
        .filter(|n| n != name)
        .collect();
    if !others.is_empty() {
        say(&format!(
            "{name}: it replaces key {old}, which stays in {} for {}",
            keychain::NAME,
            others.join(", ")
        ));
        return;
    }
    if let Err(e) = Keychain::new(settings).delete(old) {
        say(&format!("{name}: the item of the old key {old} stays: {e}"));
    }
    let dropped = Cache::new(settings).drop_made_from(old);
    say(&format!(
        "{name}: it replaces key {old}; {dropped} cached session(s) made from {old} are dropped"
    ));
}
