//! `awsenv import aws-creds [DIR]`: moves the ec2switch layout (`~/aws-creds`: NAME.access_key,
//! NAME.secret_key, an optional NAME.user, and an accounts JSON mapping names to
//! `arn:aws:iam::ACCOUNT:`) into profiles of the AWS shared files, with the `mfa_serial` the
//! old tools derived (`arn:aws:iam::ACCOUNT:mfa/USER`). A profile that exists in either file
//! is left as it is; every account gets one line saying what happened to it.
//!
//! The directory's contents are untrusted: a secret key file holding
//! `x\n[default]\ncredential_process = ...` must not add a section that the AWS CLI runs.
//! Every name, key, secret and user is checked against the shape AWS gives it before
//! anything is written, and an account that fails is named and skipped whole, so neither
//! file ever gets a section (or half of one) the user did not have.

use super::{Context, Run};
use crate::cli;
use crate::error::{Result, fail};
use crate::profile::edit::{self, FileKind};
use crate::profile::{Files, Profiles};
use crate::ui::say;
use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

impl Run for cli::AwsCreds {
    fn run(self, context: &Context) -> Result<()> {
        let settings = &context.settings;
        let dir = self.dir.unwrap_or_else(|| settings.home.join("aws-creds"));
        let accounts = self.accounts.unwrap_or_else(|| dir.join("accounts.json"));
        let ids = account_ids(&accounts)?;
        let files = &settings.files;
        let existing = Profiles::load(files.clone())?;
        let mut imported = 0;
        for name in names_in(&dir)? {
            if existing.names().any(|n| n == name) {
                say(&format!(
                    "{name}: a profile of that name exists; left as it is"
                ));
                continue;
            }
            let Some(found) = read_account(&dir, &name, settings.user.as_deref())? else {
                continue;
            };
            let serial = match (ids.get(&name), &found.user) {
                (Some(id), Ok(user)) => Ok(format!("arn:aws:iam::{id}:mfa/{user}")),
                (Some(_), Err(why)) => Err(why.clone()),
                (None, _) => Err(format!("{name} is not in {}", accounts.display())),
            };
            write(files, &name, &found, serial.as_deref().ok())?;
            imported += 1;
            say(&format!(
                "{name}: imported as a profile, {}",
                match &serial {
                    Ok(serial) => format!("mfa_serial {serial}"),
                    Err(why) => format!("without mfa_serial ({why})"),
                }
            ));
        }
        say(&format!(
            "imported {imported} account(s) into {} and {}",
            files.credentials.display(),
            files.config.display()
        ));
        Ok(())
    }
}

/// The names that have a NAME.access_key in `dir`, sorted; an error when there are none.
fn names_in(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| fail!(Config, "cannot read {}: {e}", dir.display()))?
        .filter_map(|e| {
            let file = e.ok()?.file_name();
            let name = file.as_bytes().strip_suffix(b".access_key")?;
            // Lossy only to name it: a name that is not UTF-8 fails the profile-name check.
            Some(String::from_utf8_lossy(name).into_owned())
        })
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(fail!(
            Config,
            "no NAME.access_key files in {}",
            dir.display()
        ));
    }
    Ok(names)
}

/// One account's files, if each has the shape AWS gives it.
struct Found {
    key_id: String,
    secret: String,
    /// The IAM user, or why there is none to name the MFA device after.
    user: std::result::Result<String, String>,
}

/// Reads and checks `name`'s files; says why and gives None when it is skipped. `say` shows
/// every name through `ui::printable`: a file name may hold anything.
fn read_account(dir: &Path, name: &str, unix_user: Option<&str>) -> Result<Option<Found>> {
    let skip = |why: String| {
        say(&format!("{name}: {why}; skipped"));
        Ok(None)
    };
    if !profile_name(name) {
        say(&format!(
            "{name}: not a profile name awsenv imports (1 to 64 of A-Z, a-z, 0-9 and _.-+@=, \
             not starting with . or - nor ending with .); skipped, rename its files to import it"
        ));
        return Ok(None);
    }
    let read = |ext: &str| read_trimmed(&dir.join(format!("{name}.{ext}")));
    let (Some(key_id), Some(secret)) = (read("access_key")?, read("secret_key")?) else {
        return skip(format!("no {name}.secret_key beside the access key"));
    };
    // Neither file's content is shown: one may hold the other (or anything else).
    if !access_key_id(&key_id) {
        return skip(format!(
            "{name}.access_key does not hold an access key ID (16 to 128 of A-Z and 0-9)"
        ));
    }
    if !secret_access_key(&secret) {
        return skip(format!(
            "{name}.secret_key does not hold a secret access key (one line of A-Z, a-z, 0-9 \
             and +/=)"
        ));
    }
    // The old tools took the IAM user to be the Unix user unless NAME.user said otherwise.
    let user = match read("user")? {
        Some(user) if iam_user_name(&user) => Ok(user),
        Some(user) => {
            return skip(format!(
                "{name}.user holds \"{user}\", not an IAM user name (1 to 64 of A-Z, a-z, 0-9 \
                 and _+=,.@-)"
            ));
        }
        None => match unix_user {
            Some(user) if iam_user_name(user) => Ok(user.to_owned()),
            Some(user) => Err(format!(
                "$USER is \"{user}\", not an IAM user name; write the user into {name}.user"
            )),
            None => Err(format!("no $USER; write the IAM user into {name}.user")),
        },
    };
    Ok(Some(Found {
        key_id,
        secret,
        user,
    }))
}

/// `[name]` with the keys in the credentials file, and `mfa_serial` in the config file.
fn write(files: &Files, name: &str, found: &Found, serial: Option<&str>) -> Result<()> {
    edit::edit_file(
        &files.credentials,
        FileKind::Credentials,
        name,
        &[
            ("aws_access_key_id", Some(&found.key_id)),
            ("aws_secret_access_key", Some(&found.secret)),
        ],
    )?;
    if let Some(serial) = serial {
        edit::edit_file(
            &files.config,
            FileKind::Config,
            name,
            &[("mfa_serial", Some(serial))],
        )?;
    }
    Ok(())
}

/// The accounts JSON: `{"personal": "arn:aws:iam::987654321012:"}` gives personal's ID.
fn account_ids(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(fail!(Config, "cannot read {}: {e}", path.display())),
    };
    let map: BTreeMap<String, String> = serde_json::from_str(&text).map_err(|e| {
        fail!(
            Config,
            "{} is not a JSON object of names to ARNs: {e}",
            path.display()
        )
    })?;
    let mut ids = BTreeMap::new();
    for (name, arn) in map {
        let id = arn
            .strip_prefix("arn:aws:iam::")
            .map(|rest| rest.trim_end_matches(':'))
            .filter(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()));
        match id {
            Some(id) => {
                ids.insert(name, id.to_owned());
            }
            // One odd entry must not stop the others: this name just gets no mfa_serial.
            None => say(&format!(
                "{}: {name} is {arn}, not arn:aws:iam::ACCOUNT_ID:; {name} gets no mfa_serial",
                path.display()
            )),
        }
    }
    Ok(ids)
}

/// The rule for an imported profile's name, stricter than AWS (which documents none): 1 to
/// 64 of ASCII letters, digits and `_.-+@=,` (the characters of IAM names, which accounts
/// are often named after), not starting with `.` or `-` and not ending with `.`. Nothing in
/// it means anything to an INI header, a shell, a terminal or a path; a leading `-` would
/// read as an option in `awsenv switch NAME`, and `.`/`..`-like names as paths.
fn profile_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-+@=,".contains(&b))
        && !name.starts_with(['.', '-'])
        && !name.ends_with('.')
}

/// The shape of an access key ID as IAM documents it.
fn access_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A secret access key is base64-like text on one line.
fn secret_access_key(secret: &str) -> bool {
    !secret.is_empty()
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
}

/// IAM's user name pattern, `[\w+=,.@-]{1,64}`: the name becomes part of the mfa_serial ARN.
fn iam_user_name(user: &str) -> bool {
    (1..=64).contains(&user.len())
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// The file's text without surrounding white space. Bytes that are not UTF-8 are kept as
/// U+FFFD, which no check lets through: such a file skips its account, not the import.
fn read_trimmed(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail!(Config, "cannot read {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keys_secrets_and_users_have_the_shape_aws_gives_them() {
        for ok in [
            "personal",
            "work-prod",
            "a.b",
            "x_1+y@z=w,v",
            "default",
            "A",
        ] {
            assert!(profile_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "trailing.",
            "-flag",
            "a b",
            "a]b",
            "a[b",
            "a\nb",
            "a/b",
            "a\u{fffd}",
            "é",
            "a$(x)",
            &"n".repeat(65),
        ] {
            assert!(!profile_name(bad), "{bad:?}");
        }
        assert!(access_key_id("AKIAIOSFODNN7EXAMPLE"));
        for bad in [
            "AKIA",
            "akiaiosfodnn7example",
            "AKIAIOSFODNN7EXAMPLE\n[x]",
            &"A".repeat(129),
        ] {
            assert!(!access_key_id(bad), "{bad:?}");
        }
        assert!(secret_access_key(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY+="
        ));
        for bad in [
            "",
            "secret\n[default]\ncredential_process = touch pwned",
            "a b",
            "a\tb",
        ] {
            assert!(!secret_access_key(bad), "{bad:?}");
        }
        for ok in ["alice", "a_b+c=d,e.f@g-h", &"u".repeat(64)] {
            assert!(iam_user_name(ok), "{ok}");
        }
        for bad in ["", "a b", "a/b", "a\n[x]", "DOMAIN\\alice", &"u".repeat(65)] {
            assert!(!iam_user_name(bad), "{bad:?}");
        }
    }
}
