//! Accounts are the profiles of the AWS shared config and credentials files, read as the AWS
//! SDKs read them (see `ini`): `[profile x]` in config, `[x]` in credentials, the credentials
//! file winning where both set a key. Long-term keys are read from where the user keeps them
//! and never leave this process except to sign a request.

#[cfg(test)]
mod differential;
pub mod disagree;
pub mod edit;
mod ini;
pub mod shape;

pub use ini::FileKind;
pub(crate) use ini::header;

use crate::clock;
use crate::error::{Result, fail};
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The profile key that says an account's secret key is in the OS keychain; its value is the
/// access key id, so that sessions and messages know the key without reading the keychain.
pub const KEYCHAIN: &str = "awsenv_keychain";

/// Where AWS keeps its shared files, as the CLI finds them.
#[derive(Debug, Clone)]
pub struct Files {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

/// One setting and the file it came from (messages name the file to edit).
#[derive(Debug, Clone)]
struct Setting {
    value: String,
    file: PathBuf,
}

/// Every profile of both files, merged.
#[derive(Debug)]
pub struct Profiles {
    files: Files,
    profiles: BTreeMap<String, BTreeMap<String, Setting>>,
}

/// An account awsenv can make sessions for.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    /// The profile's `region`, or its source chain's (so a role works in the shell its user's
    /// region set up, as in aws-vault).
    pub region: Option<String>,
    /// The account's own `mfa_serial`, or the one its source chain has.
    pub mfa_serial: Option<String>,
    /// A command that prints an MFA code (a YubiKey or password-manager CLI); inherited too.
    pub mfa_process: Option<String>,
    /// `duration_seconds` from the profile.
    pub duration: Option<u32>,
    /// `awsenv_renew`: whether a shell renews this account's session without a person
    /// (default true; the account's own setting, not inherited).
    pub renew: bool,
    /// `ca_bundle`, or the one its source chain has (as `region`).
    pub ca_bundle: Option<CaBundle>,
    /// `sts_regional_endpoints`: `legacy` (true) sends STS calls of the regions that had
    /// none of their own before 2019 to the global endpoint; `regional` (false), the default.
    pub sts_legacy: Option<bool>,
    pub source: Source,
}

/// `sts_regional_endpoints` (or `AWS_STS_REGIONAL_ENDPOINTS`): `legacy` (true) or `regional`
/// (false), in any case, as botocore takes them.
pub fn sts_legacy(value: &str) -> std::result::Result<bool, ()> {
    match value.to_ascii_lowercase().as_str() {
        "legacy" => Ok(true),
        "regional" => Ok(false),
        _ => Err(()),
    }
}

/// A profile's `ca_bundle`: a PEM file of CA certificates trusted besides the system's.
#[derive(Debug, Clone)]
pub struct CaBundle {
    pub path: PathBuf,
    /// The profile that sets it, and its file: messages say where to change it.
    pub profile: String,
    pub file: PathBuf,
}

#[derive(Debug, Clone)]
pub enum Source {
    /// An IAM user's long-term keys.
    Keys(Keys),
    /// A role assumed with the credentials of another account.
    Role(Role),
}

#[derive(Debug, Clone)]
pub struct Keys {
    pub access_key_id: String,
    pub kept: Kept,
    /// Set when the profile holds temporary credentials rather than an IAM user's keys.
    pub session_token: Option<Secret>,
}

/// Where the secret access key is: in a shared file as plain text, or in the OS keychain
/// (`awsenv_keychain = ACCESS_KEY_ID` in the profile). A keychain's secret is read by
/// awsenv-aws when a call needs it, never by this process.
#[derive(Debug, Clone)]
pub enum Kept {
    File {
        path: PathBuf,
        secret: Secret,
    },
    /// `file` is the one that names the key (`awsenv_keychain`).
    Keychain {
        file: PathBuf,
    },
}

impl Keys {
    /// The file that names the key: the one to edit.
    pub fn file(&self) -> &PathBuf {
        match &self.kept {
            Kept::File { path, .. } => path,
            Kept::Keychain { file } => file,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Role {
    pub arn: String,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    pub from: Box<Account>,
}

impl Account {
    pub fn kind(&self) -> &'static str {
        match self.source {
            Source::Keys(_) => "user",
            Source::Role(_) => "role",
        }
    }

    /// What a cached session must have been made from to still stand for this account: the
    /// same base key, or the same role reached the same way. A session made before the user
    /// edited the profile or rotated the key is not used.
    pub fn origin(&self) -> String {
        match &self.source {
            Source::Keys(keys) => format!("key:{}", keys.access_key_id),
            Source::Role(role) => format!(
                "role:{}|{}|{}",
                role.arn,
                role.external_id.as_deref().unwrap_or(""),
                role.from.origin()
            ),
        }
    }
}

impl Profiles {
    pub fn load(files: Files) -> Result<Profiles> {
        let mut profiles: BTreeMap<String, BTreeMap<String, Setting>> = BTreeMap::new();
        // Config first, then credentials, so that the credentials file wins as in the SDKs.
        for (path, kind) in [
            (&files.config, FileKind::Config),
            (&files.credentials, FileKind::Credentials),
        ] {
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                // No file, or no directory for it: no profiles there.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                    ) =>
                {
                    crate::debug!("no {}", path.display());
                    continue;
                }
                Err(e) => return Err(fail!(Config, "cannot read {}: {e}", path.display())),
            };
            crate::debug!("read {}", path.display());
            let sections = ini::parse(&text)
                .map_err(|e| fail!(Config, "{} {}", path.display(), e.describe()))?;
            merge(kind, &sections, &mut profiles, |value| Setting {
                value: value.to_owned(),
                file: path.clone(),
            });
        }
        Ok(Profiles { files, profiles })
    }

    pub fn files(&self) -> &Files {
        &self.files
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    fn get(&self, profile: &str, key: &str) -> Option<&Setting> {
        self.profiles
            .get(profile)?
            .get(key)
            .filter(|s| !s.value.is_empty())
    }

    pub fn value(&self, profile: &str, key: &str) -> Option<String> {
        self.get(profile, key).map(|s| s.value.clone())
    }

    /// Resolves a profile into an account, following `source_profile` to its keys.
    /// The key that makes `name` a profile other tools serve (a credential process, SSO,
    /// an instance role, web identity), which awsenv leaves to them.
    pub fn served_elsewhere(&self, name: &str) -> Option<&'static str> {
        [
            "credential_process",
            "sso_session",
            "sso_start_url",
            "credential_source",
            "web_identity_token_file",
        ]
        .into_iter()
        .find(|k| self.value(name, k).is_some())
    }

    pub fn account(&self, name: &str) -> Result<Account> {
        let mut chain = Vec::new();
        let mut account = self.resolve(name, &mut chain)?;
        // The account's own: a user who turns it off for herself still has her roles renewed.
        account.renew = self.flag(name, "awsenv_renew", true)?;
        crate::debug!(
            "account {name}: {} ({}), MFA {}",
            account.kind(),
            chain.join(" <- "),
            account.mfa_serial.as_deref().unwrap_or("none")
        );
        Ok(account)
    }

    fn resolve(&self, name: &str, chain: &mut Vec<String>) -> Result<Account> {
        self.enter(name, chain)?;
        let source = match self.checked(name, "role_arn")? {
            Some(arn) => Source::Role(self.role(name, arn, chain)?),
            None => Source::Keys(self.keys(name)?),
        };
        self.complete(name, source)
    }

    /// The account `name` would be with `keys` (which `awsenv add` is about to store): the
    /// profile's region and settings, if it exists yet.
    pub fn user_with(&self, name: &str, keys: Keys) -> Result<Account> {
        self.complete(name, Source::Keys(keys))
    }

    /// The profiles that name the access key `id`, in a file or as their keychain key.
    pub fn using_key(&self, id: &str) -> Vec<String> {
        self.names()
            .filter(|n| {
                ["aws_access_key_id", KEYCHAIN]
                    .iter()
                    .any(|k| self.value(n, k).as_deref() == Some(id))
            })
            .map(str::to_owned)
            .collect()
    }

    /// The account `name` whose credentials come from `source`.
    fn complete(&self, name: &str, source: Source) -> Result<Account> {
        let duration = self.duration(name)?;
        // A role works in the region, and with the MFA device, its source chain has.
        let inherited = |pick: fn(&Account) -> &Option<String>| match &source {
            Source::Role(role) => pick(&role.from).clone(),
            Source::Keys(_) => None,
        };
        Ok(Account {
            name: name.to_owned(),
            region: self
                .checked(name, "region")?
                .or_else(|| inherited(|a| &a.region)),
            mfa_serial: self
                .checked(name, "mfa_serial")?
                .or_else(|| inherited(|a| &a.mfa_serial)),
            mfa_process: self
                .value(name, "mfa_process")
                .or_else(|| inherited(|a| &a.mfa_process)),
            duration,
            renew: true,
            ca_bundle: self
                .get(name, "ca_bundle")
                .map(|s| CaBundle {
                    path: PathBuf::from(&s.value),
                    profile: name.to_owned(),
                    file: s.file.clone(),
                })
                .or_else(|| match &source {
                    Source::Role(role) => role.from.ca_bundle.clone(),
                    Source::Keys(_) => None,
                }),
            sts_legacy: self.sts_legacy(name)?,
            source,
        })
    }

    /// `sts_regional_endpoints`, which the AWS CLI refuses unless `legacy` or `regional`.
    fn sts_legacy(&self, name: &str) -> Result<Option<bool>> {
        let key = "sts_regional_endpoints";
        let Some(s) = self.get(name, key) else {
            return Ok(None);
        };
        sts_legacy(&s.value).map(Some).map_err(|_| {
            fail!(
                Config,
                "{name}: {key} = {} in {} must be legacy or regional",
                s.value,
                s.file.display()
            )
        })
    }

    /// A yes/no setting: `true`/`false` as the AWS CLI writes its own, and the words awsenv's
    /// environment settings take (`1`/`0`, `yes`/`no`, `on`/`off`), in any case.
    fn flag(&self, name: &str, key: &str, default: bool) -> Result<bool> {
        let Some(s) = self.get(name, key) else {
            return Ok(default);
        };
        match s.value.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(fail!(
                Config,
                "{name}: {key} = {} in {} must be true or false",
                s.value,
                s.file.display()
            )),
        }
    }

    /// Adds `name` to the chain of profiles being resolved, unless it closes a loop or does
    /// not exist.
    fn enter(&self, name: &str, chain: &mut Vec<String>) -> Result<()> {
        if let Some(start) = chain.iter().position(|n| n == name) {
            // The loop itself, from its smallest name: one message whichever profile led in.
            let mut cycle = chain[start..].to_vec();
            let first = (0..cycle.len()).min_by_key(|&i| &cycle[i]).unwrap_or(0);
            cycle.rotate_left(first);
            cycle.push(cycle[0].clone());
            return Err(fail!(
                Config,
                "the source_profile chain loops: {}",
                cycle.join(" -> ")
            ));
        }
        if !self.profiles.contains_key(name) {
            return Err(match chain.last() {
                Some(parent) => fail!(
                    Config,
                    "{parent}: source_profile '{name}' does not exist: add [profile {name}] to {}",
                    self.files.config.display()
                ),
                None => self.unknown(name),
            });
        }
        chain.push(name.to_owned());
        Ok(())
    }

    /// `duration_seconds`, as seconds or a span.
    fn duration(&self, name: &str) -> Result<Option<u32>> {
        let Some(s) = self.get(name, "duration_seconds") else {
            return Ok(None);
        };
        clock::parse_duration(&s.value).map(Some).map_err(|_| {
            fail!(
                Config,
                "{name}: duration_seconds = {} in {} is not a number of seconds",
                s.value,
                s.file.display()
            )
        })
    }

    /// The role `name` assumes with its `source_profile`'s credentials, resolved in turn.
    fn role(&self, name: &str, arn: String, chain: &mut Vec<String>) -> Result<Role> {
        let from = match self.value(name, "source_profile") {
            Some(src) if src == name => {
                return Err(fail!(
                    Config,
                    "{name}: source_profile names the profile itself; move its keys to a \
                     profile of their own and name that one"
                ));
            }
            Some(src) => self.resolve(&src, chain)?,
            None if self.get(name, "credential_source").is_some() => {
                return Err(fail!(
                    Config,
                    "{name}: credential_source is not supported; use source_profile"
                ));
            }
            None => {
                return Err(fail!(
                    Config,
                    "{name}: role_arn needs a source_profile (the profile whose keys assume the \
                     role)"
                ));
            }
        };
        Ok(Role {
            arn,
            external_id: self.checked(name, "external_id")?,
            session_name: self.checked(name, "role_session_name")?,
            from: Box::new(from),
        })
    }

    /// A value that reaches AWS or a shell, checked against the shape AWS gives it when the
    /// profile is read: a hostile or mistyped value is named here (exit 3), not turned into an
    /// SDK error or carried into a shell.
    fn checked(&self, name: &str, key: &str) -> Result<Option<String>> {
        let Some(setting) = self.get(name, key) else {
            return Ok(None);
        };
        let value = &setting.value;
        let file = setting.file.display();
        let (wrong, fix) = match key {
            "region" if !shape::region(value) => ("is not a region (like eu-west-1)", "correct it"),
            "role_arn" if !shape::arn(value, "role/") => {
                ("is not arn:aws:iam::ACCOUNT_ID:role/NAME", "correct it")
            }
            "mfa_serial" if !shape::mfa_serial(value) => (
                "is neither arn:aws:iam::ACCOUNT_ID:mfa/NAME nor a hardware serial",
                "copy it from the IAM console",
            ),
            "external_id" if !shape::external_id(value) => (
                "is not an external ID (2 to 1224 of letters, digits and +=,.@:/-)",
                "correct it",
            ),
            "role_session_name" if !shape::session_name(value) => (
                "is not a session name (2 to 64 of letters, digits and +=,.@-)",
                "correct it",
            ),
            _ => return Ok(Some(value.clone())),
        };
        Err(fail!(
            Config,
            "{name}: {key} {value} {wrong}: {fix} in {file}"
        ))
    }

    fn keys(&self, name: &str) -> Result<Keys> {
        let id = self.get(name, "aws_access_key_id");
        let secret = self.get(name, "aws_secret_access_key");
        let creds = self.files.credentials.display();
        match (id, secret) {
            // Keys in a file win over a keychain's, as the AWS CLI sees only them; import
            // writes awsenv_keychain before it removes them, so a crash between leaves both.
            (Some(id), Some(secret)) => Ok(Keys {
                access_key_id: id.value.clone(),
                kept: Kept::File {
                    path: secret.file.clone(),
                    secret: Secret::new(secret.value.clone()),
                },
                session_token: self
                    .get(name, "aws_session_token")
                    .map(|s| Secret::new(s.value.clone())),
            }),
            (None, None) if let Some(kept) = self.get(name, KEYCHAIN) => {
                if !shape::access_key_id(&kept.value) {
                    return Err(fail!(
                        Config,
                        "{name}: {KEYCHAIN} = {} in {} is not an access key id (like \
                         AKIAIOSFODNN7EXAMPLE): correct it, or store the key again with awsenv \
                         add {name}",
                        kept.value,
                        kept.file.display()
                    ));
                }
                Ok(Keys {
                    access_key_id: kept.value.clone(),
                    kept: Kept::Keychain {
                        file: kept.file.clone(),
                    },
                    session_token: None,
                })
            }
            (Some(_), None) => Err(fail!(
                Credentials,
                "{name}: aws_secret_access_key is missing: add it to [{name}] in {creds}"
            )),
            (None, Some(_)) => Err(fail!(
                Credentials,
                "{name}: aws_access_key_id is missing: add it to [{name}] in {creds}"
            )),
            (None, None)
                if self.get(name, "sso_session").is_some()
                    || self.get(name, "sso_start_url").is_some() =>
            {
                Err(fail!(
                    Config,
                    "{name} is an IAM Identity Center (SSO) profile, which awsenv does not \
                     manage; use `aws sso login --profile {name}`"
                ))
            }
            (None, None) if let Some(key) = self.served_elsewhere(name) => Err(fail!(
                Config,
                "{name} gets its credentials from {key}, which awsenv does not manage; use \
                 it as the AWS CLI does, with AWS_PROFILE={name}"
            )),
            (None, None) => Err(fail!(
                Credentials,
                "{name} has no access keys: add aws_access_key_id and aws_secret_access_key \
                 to [{name}] in {creds}, or role_arn and source_profile to [profile {name}]"
            )),
        }
    }

    fn unknown(&self, name: &str) -> crate::error::Error {
        if self.profiles.is_empty() {
            return fail!(
                Config,
                "unknown account '{name}': no profiles in {} or {}",
                self.files.config.display(),
                self.files.credentials.display()
            );
        }
        let config = self.files.config.display();
        match suggestions(name, self.names()).as_slice() {
            [] => fail!(
                Config,
                "unknown account '{name}' (awsenv list shows the {} known): add [profile {name}] \
                 to {config}",
                self.profiles.len()
            ),
            close => fail!(
                Config,
                "unknown account '{name}' (did you mean {}?): add [profile {name}] to {config}",
                close.join(", ")
            ),
        }
    }
}

/// The profiles of one file, key by key, as the SDKs read them.
pub(crate) fn read_file(
    kind: FileKind,
    text: &str,
) -> std::result::Result<BTreeMap<String, BTreeMap<String, String>>, ini::ParseError> {
    let mut profiles = BTreeMap::new();
    merge(kind, &ini::parse(text)?, &mut profiles, str::to_owned);
    Ok(profiles)
}

/// Adds the profiles of one file to `profiles`, each key as `setting` makes it from its value.
/// Keys the SDKs do not take (`a b = c`) are left out, as they leave them out.
fn merge<T>(
    kind: FileKind,
    sections: &[ini::Section],
    profiles: &mut BTreeMap<String, BTreeMap<String, T>>,
    setting: impl Fn(&str) -> T,
) {
    for (name, section) in ini::profiles(kind, sections) {
        let profile = profiles.entry(name).or_default();
        for property in &section.properties {
            if ini::identifier(&property.key) {
                profile.insert(property.key.clone(), setting(&property.value));
            }
        }
    }
}

/// The few known names closest to a mistyped one, closest first: with thousands of profiles,
/// listing them all would make the message useless.
fn suggestions<'a>(typed: &str, known: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let limit = (typed.chars().count() / 3).max(2);
    let mut close: Vec<(usize, &str)> = known
        .filter_map(|name| Some((edit_distance(typed, name, limit)?, name)))
        .collect();
    close.sort();
    close.into_iter().take(3).map(|(_, name)| name).collect()
}

/// Levenshtein distance, or None once it must exceed `limit` (names can be very long).
fn edit_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
        if row.iter().min().is_some_and(|&m| m > limit) {
            return None;
        }
    }
    Some(row[b.len()]).filter(|&d| d <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profiles(config: &str, credentials: &str) -> Profiles {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("awsenv-profile-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files = Files {
            config: dir.join("config"),
            credentials: dir.join("credentials"),
        };
        std::fs::write(&files.config, config).unwrap();
        std::fs::write(&files.credentials, credentials).unwrap();
        let p = Profiles::load(files).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        p
    }

    const CONFIG: &str = "\
# a comment
[default]
region = us-east-1

[profile personal]
region=eu-west-1
MFA_Serial = arn:aws:iam::111111111111:mfa/alice
s3 =
  max_concurrent_requests = 10

[sso-session corp]
sso_region = us-east-1

[profile work-admin] ; the admin role
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = personal
duration_seconds = 3600
external_id = xyz

[profile \"spaced name\"]
role_arn = arn:aws:iam::222222222222:role/ro
source_profile = work-admin
mfa_serial = arn:aws:iam::111111111111:mfa/other

[profile loop-a]
role_arn = arn:aws:iam::111111111111:role/a
source_profile = loop-b
[profile loop-b]
role_arn = arn:aws:iam::111111111111:role/b
source_profile = loop-a
[profile orphan]
role_arn = arn:aws:iam::111111111111:role/o
[profile half]
aws_access_key_id = AKIAHALF
";

    const CREDENTIALS: &str = "\
[personal]
aws_access_key_id = AKIAEXAMPLEPERSONAL
aws_secret_access_key = secret/with=equals
[profile personal]
aws_access_key_id = NOT-THIS-ONE
";

    #[test]
    fn user_profile_merges_both_files() {
        let p = profiles(CONFIG, CREDENTIALS);
        let a = p.account("personal").unwrap();
        assert_eq!(a.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            a.mfa_serial.as_deref(),
            Some("arn:aws:iam::111111111111:mfa/alice")
        );
        let Source::Keys(k) = &a.source else {
            panic!("personal is a user")
        };
        assert_eq!(k.access_key_id, "AKIAEXAMPLEPERSONAL");
        let Kept::File { secret, .. } = &k.kept else {
            panic!("the key is in the file")
        };
        assert_eq!(secret.expose(), "secret/with=equals");
        assert_eq!(a.origin(), "key:AKIAEXAMPLEPERSONAL");
    }

    #[test]
    fn awsenv_keychain_names_a_key_in_the_keychain_and_a_file_key_wins() {
        let p = profiles(
            "[profile kc]\nawsenv_keychain = AKIAEXAMPLEKEYCHAIN\n\
             [profile both]\nawsenv_keychain = AKIAEXAMPLEKEYCHAIN\n\
             [profile bad]\nawsenv_keychain = x\n",
            "[both]\naws_access_key_id = AKIAEXAMPLEINFILE00\naws_secret_access_key = s\n",
        );
        let key = |name: &str| match p.account(name).unwrap().source {
            Source::Keys(keys) => keys,
            Source::Role(_) => panic!("{name} is a user"),
        };
        let kc = key("kc");
        assert!(matches!(kc.kept, Kept::Keychain { .. }));
        assert_eq!(p.account("kc").unwrap().origin(), "key:AKIAEXAMPLEKEYCHAIN");
        assert_eq!(kc.whereabouts(), format!("in {}", crate::aws::KEYCHAIN));
        // An import that stopped between its two edits: the file's key is the one in use.
        assert_eq!(key("both").access_key_id, "AKIAEXAMPLEINFILE00");
        let bad = p.account("bad").unwrap_err();
        assert!(bad.to_string().contains("awsenv_keychain = x"), "{bad}");
        assert_eq!(p.using_key("AKIAEXAMPLEKEYCHAIN"), ["both", "kc"]);
    }

    #[test]
    fn profiles_served_elsewhere_say_by_what_and_the_partition_comes_from_arns() {
        let p = profiles(
            "[profile cp]\ncredential_process = pass aws\n\
             [profile sso]\nsso_session = corp\n\
             [profile cn]\nmfa_serial = arn:aws-cn:iam::111111111111:mfa/a\n\
             [profile cn-role]\nrole_arn = arn:aws-cn:iam::111111111111:role/r\n\
             source_profile = cn\nregion = cn-northwest-1\n\
             [profile legacy]\nsts_regional_endpoints = Legacy\n",
            "[cn]\naws_access_key_id = AKIAEXAMPLECN\naws_secret_access_key = s\n\
             [legacy]\naws_access_key_id = AKIAEXAMPLELEGACY\naws_secret_access_key = s\n",
        );
        let message = |name| p.account(name).unwrap_err().to_string();
        assert!(message("cp").contains("cp gets its credentials from credential_process"));
        assert!(message("sso").contains("IAM Identity Center"));
        let cn = p.account("cn").unwrap();
        assert_eq!(cn.partition().id, "aws-cn");
        assert_eq!(
            cn.sts_region(true),
            "cn-north-1",
            "no global endpoint in China"
        );
        let role = p.account("cn-role").unwrap();
        assert_eq!(role.partition().id, "aws-cn");
        assert_eq!(role.sts_region(false), "cn-northwest-1");
        let legacy = p.account("legacy").unwrap();
        assert_eq!(legacy.sts_legacy, Some(true));
        assert_eq!(legacy.partition().id, "aws");
        assert_eq!(legacy.sts_region(true), "aws-global");
    }

    #[test]
    fn roles_inherit_mfa_and_chain() {
        let p = profiles(CONFIG, CREDENTIALS);
        let admin = p.account("work-admin").unwrap();
        assert_eq!(admin.kind(), "role");
        assert_eq!(admin.duration, Some(3600));
        assert_eq!(admin.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            admin.mfa_serial.as_deref(),
            Some("arn:aws:iam::111111111111:mfa/alice")
        );
        let Source::Role(r) = &admin.source else {
            panic!()
        };
        assert_eq!(r.external_id.as_deref(), Some("xyz"));
        assert_eq!(r.from.name, "personal");

        let spaced = p.account("spaced name").unwrap();
        assert_eq!(
            spaced.mfa_serial.as_deref(),
            Some("arn:aws:iam::111111111111:mfa/other")
        );
        assert!(spaced.origin().contains("key:AKIAEXAMPLEPERSONAL"));
    }

    #[test]
    fn values_with_the_wrong_shape_are_named_with_their_file() {
        let bad = [
            ("region", "eu-west-1;touch x"),
            ("region", "eu-west-1#Ireland"),
            ("region", "eu-west-1 Ireland"),
            ("mfa_serial", "arn:aws:iam::111111111111:mfa/a'b"),
            ("mfa_serial", "arn:aws:iam::111111111111:mfa/\u{1b}[2J"),
            ("external_id", "a b"),
            ("role_session_name", "x"),
        ];
        for (key, value) in bad {
            let config = "[profile r]\nrole_arn = arn:aws:iam::222222222222:role/r\n";
            let config = format!("{config}source_profile = personal\n{key} = {value}\n");
            let p = profiles(&config, CREDENTIALS);
            let e = p.account("r").unwrap_err();
            assert_eq!(e.kind, crate::error::ErrorKind::Config, "{key}");
            let msg = e.to_string();
            assert!(msg.starts_with(&format!("r: {key} {value} is ")), "{msg}");
            assert!(msg.ends_with("/config"), "{msg}");
        }
        let p = profiles(
            "[profile r]\nrole_arn = arn:aws:iam::222222222222:role/a\"b\nsource_profile = personal\n",
            CREDENTIALS,
        );
        assert!(p.account("r").unwrap_err().to_string().contains("role_arn"));
        for good in ["us-gov-west-1", "cn-north-1", "eu-west-1", "local"] {
            assert!(shape::region(good), "{good}");
        }
        assert!(shape::arn(
            "arn:aws-cn:iam::123456789012:role/path/x",
            "role/"
        ));
        assert!(shape::mfa_serial("GAHT12345678"));
    }

    #[test]
    fn an_inline_comment_is_not_part_of_the_value() {
        let p = profiles(
            "[profile r]\nregion = eu-west-1 # Ireland\nrole_arn = arn:aws:iam::222222222222:role/r ; ro\n\
             source_profile = personal\n",
            CREDENTIALS,
        );
        let r = p.account("r").unwrap();
        assert_eq!(r.region.as_deref(), Some("eu-west-1"));
        let Source::Role(role) = &r.source else {
            panic!("r is a role")
        };
        assert_eq!(role.arn, "arn:aws:iam::222222222222:role/r");
    }

    #[test]
    fn a_file_the_sdks_refuse_is_refused_with_its_line() {
        for (config, line) in [
            ("[profile r]\nregion: eu-west-1\n", 2),
            ("region = eu-west-1\n", 1),
            ("[profile r]\nregion = eu-west-1\n[profile s] x\n", 3),
            ("[profile r]\n  region = eu-west-1\n", 2),
            ("[profile r]\nAKIAEXAMPLESECRETLINE\n", 2),
        ] {
            let dir = std::env::temp_dir().join(format!("awsenv-refused-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let files = Files {
                config: dir.join("config"),
                credentials: dir.join("credentials"),
            };
            std::fs::write(&files.config, config).unwrap();
            let e = Profiles::load(files).unwrap_err();
            std::fs::remove_dir_all(&dir).unwrap();
            assert_eq!(e.kind, crate::error::ErrorKind::Config, "{config}");
            let msg = e.to_string();
            assert!(msg.contains(&format!("/config line {line}: ")), "{msg}");
            assert!(!msg.contains("eu-west-1") && !msg.contains("AKIA"), "{msg}");
        }
    }

    #[test]
    fn a_bracket_inside_a_profile_name_is_part_of_it() {
        let p = profiles(
            "[profile a]b]\nregion = eu-west-1\n[profile c] ; note\n",
            "",
        );
        let names: Vec<&str> = p.names().collect();
        assert_eq!(names, ["a]b", "c"]);
    }

    #[test]
    fn suggestions_are_few_and_closest_first() {
        let known = ["alice", "alicia", "alex", "bob", "alison", "personal"];
        assert_eq!(suggestions("alcie", known.into_iter()), ["alice", "alicia"]);
        assert!(suggestions("zzzzzz", known.into_iter()).is_empty());
        assert_eq!(edit_distance("kitten", "sitting", 5), Some(3));
        assert_eq!(edit_distance("kitten", "sitting", 2), None);
    }

    #[test]
    fn bad_profiles_say_what_to_fix() {
        let p = profiles(CONFIG, CREDENTIALS);
        let msg = |name: &str| p.account(name).unwrap_err().to_string();
        assert!(msg("loop-a").contains("loop-a -> loop-b -> loop-a"));
        assert!(msg("orphan").contains("needs a source_profile"));
        assert!(msg("half").contains("aws_secret_access_key is missing"));
        assert!(msg("default").contains("has no access keys"));
        let unknown = msg("nope");
        assert!(unknown.contains("unknown account 'nope'"), "{unknown}");
        assert!(
            unknown.contains("awsenv list shows the 9 known"),
            "{unknown}"
        );
        let typo = msg("persnal");
        assert!(typo.contains("(did you mean personal?)"), "{typo}");
        assert!(
            !p.names().any(|n| n == "corp"),
            "sso-session is not a profile"
        );
    }
}
