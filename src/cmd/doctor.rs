//! `awsenv doctor`: checks the AWS config and awsenv's installation, and says how to fix each
//! finding, one line each. The exit status says whether anything was found. It reuses what
//! the reader and the session logic already know, so its verdicts are theirs.

use super::{Context, Run};
use crate::cli;
use crate::error::{ErrorKind, Result, fail};
use crate::keychain::{self, Keychain};
use crate::profile::{self, FileKind, Files, Kept, Profiles, Source};
use crate::session::cache::{Cache, Lookup};
use crate::session::obtain;
use crate::settings::Settings;
use crate::ui::{self, printable};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

impl Run for cli::Doctor {
    fn run(self, context: &Context) -> Result<()> {
        doctor(&context.settings)
    }
}

fn doctor(settings: &Settings) -> Result<()> {
    let files = &settings.files;
    let mut findings = Vec::new();
    files_themselves(files, &mut findings);
    match Profiles::load(files.clone()) {
        Ok(profiles) => {
            accounts(&profiles, &mut findings);
            keys(settings, &profiles, &mut findings);
        }
        Err(e) => findings.push(e.to_string()),
    }
    cache(settings, &mut findings);
    shell_integration(settings, &mut findings);
    installation(settings, &mut findings);
    // One loop reached from several profiles is one finding.
    let mut seen = BTreeSet::new();
    findings.retain(|f| seen.insert(f.clone()));
    let mut out = String::new();
    for finding in &findings {
        out.push_str(&printable(finding));
        out.push('\n');
    }
    match findings.len() {
        0 => out.push_str("no problems found\n"),
        n => out.push_str(&format!("{n} finding(s)\n")),
    }
    ui::out(&out);
    if findings.is_empty() {
        Ok(())
    } else {
        Err(fail!(
            Findings,
            "doctor found {} thing(s) to fix",
            findings.len()
        ))
    }
}

/// Each file as AWS's tools read it: every line that botocore (the AWS CLI) reads otherwise
/// than the AWS SDKs and awsenv, and a key the two files set differently (the credentials
/// file wins).
fn files_themselves(files: &Files, findings: &mut Vec<String>) {
    let mut merged: [BTreeMap<String, BTreeMap<String, String>>; 2] = Default::default();
    for (i, (path, kind)) in [
        (&files.config, FileKind::Config),
        (&files.credentials, FileKind::Credentials),
    ]
    .into_iter()
    .enumerate()
    {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let file = path.display();
        if kind == FileKind::Credentials
            && let Ok(meta) = std::fs::metadata(path)
            && meta.mode() & 0o077 != 0
        {
            findings.push(format!(
                "{file} holds keys and others may read it (mode {:o}): run chmod 600 {file}",
                meta.mode() & 0o777
            ));
        }
        findings.extend(profile::disagree::findings(&file.to_string(), kind, &text));
        // A file that cannot be read says so when the profiles are loaded.
        merged[i] = profile::read_file(kind, &text).unwrap_or_default();
    }
    let [config, credentials] = &merged;
    for (name, keys) in config {
        for (key, value) in keys {
            if let Some(other) = credentials.get(name).and_then(|c| c.get(key))
                && other != value
            {
                // Secrets and tokens are named, never shown.
                let (value, other) = if key.contains("secret") || key.contains("token") {
                    ("one value", "another")
                } else {
                    (value.as_str(), other.as_str())
                };
                findings.push(format!(
                    "{name}: {key} is {value} in {} but {other} in {}; the credentials file wins: \
                     keep one",
                    files.config.display(),
                    files.credentials.display()
                ));
            }
        }
    }
}

/// Every profile as awsenv would use it: roles and their sources, chains, the shapes of
/// ARNs, regions and IDs (checked where profiles are read), durations.
fn accounts(profiles: &Profiles, findings: &mut Vec<String>) {
    let sources: BTreeSet<String> = profiles
        .names()
        .filter_map(|n| profiles.value(n, "source_profile"))
        .collect();
    for name in profiles.names() {
        let account = match profiles.account(name) {
            Ok(account) => account,
            // A profile with only settings (a region for [default]) is not an account.
            Err(e)
                if e.kind == ErrorKind::Credentials
                    && !sources.contains(name)
                    && ["aws_access_key_id", "aws_secret_access_key", "mfa_serial"]
                        .iter()
                        .all(|k| profiles.value(name, k).is_none()) =>
            {
                continue;
            }
            // Profiles that other tools serve (SSO, credential_source, web identity) are
            // fine as they are; awsenv just does not manage them.
            Err(_) if profiles.served_elsewhere(name).is_some() => continue,
            Err(e) => {
                findings.push(e.to_string());
                continue;
            }
        };
        let length = account.duration.map(|seconds| obtain::Length {
            seconds,
            from: obtain::LengthFrom::Profile,
        });
        if let Err(e) = obtain::check_duration(&account, length) {
            findings.push(e.to_string());
        }
    }
}

/// Where users' long-term keys are: an MFA user's key in plain text is half of what MFA
/// guards, and belongs in the keychain when there is one; a key the profile says is in the
/// keychain must be there, and the keychain usable. The keychain is asked only when some
/// profile has a key to keep there.
fn keys(settings: &Settings, profiles: &Profiles, findings: &mut Vec<String>) {
    let (mut kept, mut plain) = (Vec::new(), Vec::new());
    for name in profiles.names() {
        let Ok(account) = profiles.account(name) else {
            continue;
        };
        let Source::Keys(keys) = account.source else {
            continue;
        };
        match &keys.kept {
            Kept::Keychain { .. } => kept.push((name.to_owned(), keys.access_key_id)),
            Kept::File { path, .. }
                if account.mfa_serial.is_some() && keys.session_token.is_none() =>
            {
                plain.push((name.to_owned(), path.clone()));
            }
            Kept::File { .. } => {}
        }
    }
    if kept.is_empty() && plain.is_empty() {
        return;
    }
    let names = |list: &[(String, String)]| {
        list.iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let status = match Keychain::new(settings).status() {
        Ok(status) => status,
        // Without a keychain the files are the only place: nothing to move them to.
        Err(_) if kept.is_empty() => return,
        Err(e) => {
            findings.push(format!("{e}; it holds the keys of {}", names(&kept)));
            return;
        }
    };
    if status.locked && !kept.is_empty() {
        findings.push(format!(
            "{} is locked: unlock it, or the sessions of {} are renewed only at a terminal",
            keychain::NAME,
            names(&kept)
        ));
    }
    for (name, id) in &kept {
        if status.ids.as_ref().is_some_and(|ids| !ids.contains(id)) {
            findings.push(format!(
                "{name}: {} holds no secret for its key {id}: store it with awsenv add {name}",
                keychain::NAME
            ));
        }
    }
    for (name, file) in &plain {
        findings.push(format!(
            "{name}: the long-term key of a user with MFA is in plain text in {}: move it into \
             {} with awsenv import credentials {name}",
            file.display(),
            keychain::NAME
        ));
    }
}

/// The cache directory must be private, and each session file usable.
fn cache(settings: &Settings, findings: &mut Vec<String>) {
    let cache = Cache::new(settings);
    let dir = cache.dir();
    if let Ok(meta) = std::fs::metadata(dir)
        && (meta.mode() & 0o077 != 0 || meta.uid() != nix::unistd::geteuid().as_raw())
    {
        findings.push(format!(
            "the cache directory {} is open to others (mode {:o}) or not yours: run chmod 700 on it",
            dir.display(),
            meta.mode() & 0o777
        ));
    }
    for account in cache.accounts() {
        if let Lookup::Ignored(reason) = cache.read(&account) {
            findings.push(format!(
                "{account}: its cached session is not used, {reason}: run awsenv logout {account}"
            ));
        }
    }
}

/// The rc file of the login shell: the integration line present, and not undone later.
fn shell_integration(settings: &Settings, findings: &mut Vec<String>) {
    let shell = settings.login_shell.clone().unwrap_or_default();
    let name = shell.rsplit('/').next().unwrap_or_default();
    let home = settings.home.clone();
    let (rc, line, undoers): (PathBuf, &str, &[&str]) = match name {
        "bash" => (
            home.join(".bashrc"),
            "eval \"$(awsenv init bash)\"",
            // A DEBUG trap set later replaces the one that renews before a command.
            &["PROMPT_COMMAND=", "trap "],
        ),
        "zsh" => {
            let dir = settings.zdotdir.clone().unwrap_or_else(|| home.clone());
            (
                dir.join(".zshrc"),
                "eval \"$(awsenv init zsh)\"",
                &["precmd_functions=(", "preexec_functions=("],
            )
        }
        "fish" => (
            home.join(".config/fish/config.fish"),
            "awsenv init fish | source",
            &["function fish_prompt"],
        ),
        _ => return,
    };
    let text = std::fs::read_to_string(&rc).unwrap_or_default();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let Some(at) = lines
        .iter()
        .position(|l| l.contains("awsenv init") && !l.starts_with('#'))
    else {
        findings.push(format!(
            "the shell integration is not in {}: add the line {line}",
            rc.display()
        ));
        return;
    };
    let undoer = |l: &&&str| {
        undoers
            .iter()
            .any(|u| l.starts_with(u) && (*u != "trap " || l.ends_with(" DEBUG")))
            && ![
                "$PROMPT_COMMAND",
                "${PROMPT_COMMAND",
                "$precmd_functions",
                "${precmd_functions",
                "$preexec_functions",
                "${preexec_functions",
            ]
            .iter()
            .any(|kept| l.contains(kept))
    };
    if let Some(later) = lines[at + 1..].iter().find(undoer) {
        findings.push(format!(
            "{} undoes awsenv after its line ({later}): move the awsenv line below it",
            rc.display()
        ));
    }
}

/// The awsenv that PATH finds is this one, with its helper beside it.
fn installation(settings: &Settings, findings: &mut Vec<String>) {
    let Ok(me) = std::env::current_exe().and_then(std::fs::canonicalize) else {
        return;
    };
    let helper = me.with_file_name("awsenv-aws");
    if !helper.is_file() {
        findings.push(format!(
            "{} is missing: reinstall awsenv (cargo install --locked --path .)",
            helper.display()
        ));
    }
    let first = settings.path.as_ref().and_then(|path| {
        std::env::split_paths(path)
            .map(|dir| dir.join("awsenv"))
            .find(|p| is_executable(p))
    });
    match first.and_then(|p| std::fs::canonicalize(&p).ok()) {
        Some(found) if found != me => findings.push(format!(
            "the awsenv on PATH is {}, not this one ({}): remove the old one or put this one first",
            found.display(),
            me.display()
        )),
        None => findings.push(format!(
            "no awsenv on PATH: add {} to PATH",
            me.parent().unwrap_or(Path::new("/")).display()
        )),
        _ => {}
    }
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
}
