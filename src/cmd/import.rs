//! `awsenv import aws-creds [DIR]`: moves the ec2switch layout (`~/aws-creds`: NAME.access_key,
//! NAME.secret_key, an optional NAME.user, and an accounts JSON mapping names to
//! `arn:aws:iam::ACCOUNT:`) into profiles of the AWS shared files, with the `mfa_serial` the
//! old tools derived (`arn:aws:iam::ACCOUNT:mfa/USER`). A profile that exists in either file
//! is left as it is; every account gets one line saying what happened to it.

use crate::config_edit::{self, Kind};
use crate::error::{Result, fail};
use crate::profile::{Files, Profiles, home};
use crate::ui::say;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn aws_creds(dir: Option<PathBuf>, accounts: Option<PathBuf>) -> Result<()> {
    let dir = dir.unwrap_or_else(|| home().join("aws-creds"));
    let accounts = accounts.unwrap_or_else(|| dir.join("accounts.json"));
    let ids = account_ids(&accounts)?;
    let files = Files::from_env();
    let existing = Profiles::load(files.clone())?;
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| fail!(Config, "cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".access_key").map(str::to_owned))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(fail!(
            Config,
            "no NAME.access_key files in {}",
            dir.display()
        ));
    }
    let mut imported = 0;
    for name in names {
        if existing.names().any(|n| n == name) {
            say(&format!(
                "{name}: a profile of that name exists; left as it is"
            ));
            continue;
        }
        let read = |ext: &str| read_trimmed(&dir.join(format!("{name}.{ext}")));
        let (Some(key_id), Some(secret)) = (read("access_key")?, read("secret_key")?) else {
            say(&format!(
                "{name}: no {name}.secret_key beside the access key; skipped"
            ));
            continue;
        };
        // The old tools took the IAM user to be the Unix user unless NAME.user said otherwise.
        let user = match read("user")? {
            Some(user) => user,
            None => std::env::var("USER").unwrap_or_default(),
        };
        let serial = match (ids.get(&name), user.is_empty()) {
            (Some(id), false) => Some(format!("arn:aws:iam::{id}:mfa/{user}")),
            _ => None,
        };
        config_edit::edit_file(
            &files.credentials,
            Kind::Credentials,
            &name,
            &[
                ("aws_access_key_id", Some(&key_id)),
                ("aws_secret_access_key", Some(&secret)),
            ],
        )?;
        if let Some(serial) = &serial {
            config_edit::edit_file(
                &files.config,
                Kind::Config,
                &name,
                &[("mfa_serial", Some(serial))],
            )?;
        }
        imported += 1;
        say(&format!(
            "{name}: imported as a profile, {}",
            match &serial {
                Some(serial) => format!("mfa_serial {serial}"),
                None => format!(
                    "without mfa_serial ({name} is not in {})",
                    accounts.display()
                ),
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

fn read_trimmed(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.trim().to_owned()).filter(|t| !t.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(fail!(Config, "cannot read {}: {e}", path.display())),
    }
}
