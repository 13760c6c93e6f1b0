//! `awsenv mfa-device setup|remove [ACCOUNT]`: from "I have access keys" to an MFA session
//! without the AWS console. Setup creates a virtual device, shows its QR code in the terminal,
//! takes two consecutive codes, enables it and saves `mfa_serial` in the profile; any failure
//! after the device exists takes it down again, so nothing is left half-made. The seed is shown
//! on the terminal only, and written to disk only where `--qr-file` says.

use super::{Context, Run};
use crate::aws::iam::{self, User};
use crate::aws::{Aws, Call, Credentials, Signer};
use crate::cli;
use crate::current::Current;
use crate::error::{Error, Result, fail};
use crate::mfa::Terminal;
use crate::profile::edit;
use crate::profile::{Account, Keys, Profiles, Source};
use crate::qr::{self, Matrix};
use crate::session::cache::Cache;
use crate::session::obtain::{self, Options};
use crate::ui::{printable, say};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// What authenticator apps show above the code, as the AWS console names it.
const ISSUER: &str = "Amazon Web Services";

/// The account named, or the one selected in this shell, and its keys: it must be an IAM user.
fn user_account(
    profiles: &Profiles,
    name: Option<String>,
    current: &Current,
) -> Result<(Account, Keys)> {
    let name = name
        .or_else(|| current.account().map(str::to_owned))
        .ok_or_else(|| {
            fail!(
                Config,
                "no account is selected in this shell: name the account whose user gets the device"
            )
        })?;
    let account = profiles.account(&name)?;
    match &account.source {
        Source::Keys(keys) => Ok((account.clone(), keys.clone())),
        Source::Role(role) => Err(fail!(
            Config,
            "{name} is a role; MFA devices belong to IAM users: use its source, {}",
            role.from.name
        )),
    }
}

impl Run for cli::MfaDeviceSetup {
    fn run(self, context: &Context) -> Result<()> {
        setup(context, self.account, self.name, self.qr_file)
    }
}

impl Run for cli::MfaDeviceRemove {
    fn run(self, context: &Context) -> Result<()> {
        remove(context, self.account, self.code)
    }
}

fn setup(
    context: &Context,
    name: Option<String>,
    device: Option<String>,
    qr_file: Option<PathBuf>,
) -> Result<()> {
    let settings = &context.settings;
    let aws = &Aws::new(settings);
    let profiles = Profiles::load(settings.files.clone())?;
    let (account, keys) = user_account(&profiles, name, &context.current)?;
    let keys = &keys;
    let config = &profiles.files().config;
    let name = &account.name;
    if let Some(serial) = &account.mfa_serial {
        return Err(fail!(
            Config,
            "{name} already uses MFA device {serial}: run awsenv mfa-device remove {name} first"
        ));
    }
    if let Some(path) = &qr_file {
        check_qr_file(path)?;
    }
    let user = iam::user(aws, &account, keys)?;
    if let Some(existing) = iam::devices(aws, &account, keys, &user)?.first() {
        return Err(fail!(
            Config,
            "{name}'s user {} already has MFA device {existing}: add mfa_serial = {existing} to \
             [profile {name}] in {}, or remove that device first",
            user.name,
            config.display()
        ));
    }
    let mut terminal = Terminal::open().ok_or_else(|| {
        fail!(
            Mfa,
            "setting up an MFA device needs a terminal, to show its QR code and read codes"
        )
    })?;
    let signer = Signer::Keys(&account, keys);
    let create = Call::CreateVirtualMfaDevice {
        name: device.unwrap_or_else(|| user.name.clone()),
    };
    let (serial, seed) = aws
        .call(&account, create, keys.credentials(), &signer)?
        .into_created()?;

    let mut enabled = false;
    let result = (|| {
        let label = format!("{}@{}", user.name, user.account_id);
        let matrix = Matrix::encode(&qr::otpauth_uri(ISSUER, &label, seed.expose()))?;
        if let Some(path) = &qr_file {
            write_qr_file(path, &matrix)?;
            say(&format!(
                "wrote the QR code to {}: it holds the device's secret, delete it once scanned",
                path.display()
            ));
        }
        terminal.write(&format!(
            "Scan this QR code with your authenticator app:\n\n{}\nOr enter this key by hand: \
             {}\n\n",
            matrix.terminal(),
            grouped(seed.expose())
        ));
        let first = terminal.ask_code(name, "First code from the app: ")?;
        let mut second = terminal.ask_code(name, "Next code (wait for it to change): ")?;
        if second == first {
            second = terminal.ask_code(name, "That is the same code; the next one, please: ")?;
        }
        let enable = Call::EnableMfaDevice {
            user_name: user.name.clone(),
            serial: serial.clone(),
            code1: first,
            code2: second,
        };
        aws.call(&account, enable, keys.credentials(), &signer)?;
        enabled = true;
        edit::set_in_file(config, name, "mfa_serial", Some(&serial))
    })();
    if let Err(e) = result {
        return Err(undo(aws, &account, keys, &user, &serial, enabled, e));
    }
    say(&format!(
        "{name}: MFA device {serial} is on, saved as mfa_serial in {}; awsenv switch {name} \
         now asks for its code",
        config.display()
    ));
    Ok(())
}

/// Takes down a device made by a setup that then failed, and says so in the error.
fn undo(
    aws: &Aws,
    account: &Account,
    keys: &Keys,
    user: &User,
    serial: &str,
    enabled: bool,
    e: Error,
) -> Error {
    let signer = Signer::Keys(account, keys);
    let mut calls = Vec::new();
    if enabled {
        calls.push(Call::DeactivateMfaDevice {
            user_name: user.name.clone(),
            serial: serial.to_owned(),
        });
    }
    calls.push(Call::DeleteVirtualMfaDevice {
        serial: serial.to_owned(),
    });
    for call in calls {
        if let Err(cleanup) = aws.call(account, call, keys.credentials(), &signer) {
            // An enabled device is the user's, which `remove` finds and takes down with an
            // MFA session; one never enabled is listed nowhere but by its serial.
            let finish = if enabled {
                format!("awsenv mfa-device remove {}", account.name)
            } else {
                format!("aws iam delete-virtual-mfa-device --serial-number {serial}")
            };
            return fail!(
                Failure,
                "{e}; and the new device {serial} could not be removed ({cleanup}): run {finish}"
            );
        }
    }
    Error::new(e.kind, format!("{e}; the new device was removed"))
}

fn remove(context: &Context, name: Option<String>, code: Option<String>) -> Result<()> {
    let settings = &context.settings;
    let aws = &Aws::new(settings);
    let profiles = Profiles::load(settings.files.clone())?;
    let (mut account, keys) = user_account(&profiles, name, &context.current)?;
    let config = &profiles.files().config;
    let name = account.name.clone();
    let user = iam::user(aws, &account, &keys)?;
    let serial = match &account.mfa_serial {
        Some(serial) => serial.clone(),
        None => iam::devices(aws, &account, &keys, &user)?
            .into_iter()
            .next()
            .ok_or_else(|| fail!(Config, "{name}'s user {} has no MFA device", user.name))?,
    };
    // AWS's self-service policies let a user deactivate a device only from an MFA session.
    account.mfa_serial = Some(serial.clone());
    let options = Options {
        duration: None,
        force: false,
        code: code.as_deref(),
        save: false,
    };
    let cache = Cache::new(settings);
    let session = obtain::session(settings, &account, &options)?.session;
    let signer = Signer::Session(&account);
    let credentials: Credentials = session.credentials();
    let deactivate = Call::DeactivateMfaDevice {
        user_name: user.name.clone(),
        serial: serial.clone(),
    };
    aws.call(&account, deactivate, credentials.clone(), &signer)?;
    // Hardware devices have a plain serial number; only virtual ones (ARNs) are deleted.
    if serial.starts_with("arn:") {
        let delete = Call::DeleteVirtualMfaDevice {
            serial: serial.clone(),
        };
        aws.call(&account, delete, credentials, &signer)?;
    }
    edit::set_in_file(config, &name, "mfa_serial", None)?;
    cache.remove(&name)?;
    say(&format!(
        "{name}: MFA device {serial} deactivated and deleted; mfa_serial removed from {}",
        config.display()
    ));
    Ok(())
}

/// The seed in groups of four, easier to type.
fn grouped(seed: &str) -> String {
    let chars: Vec<char> = seed.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checked before the device exists, so a typo costs nothing.
fn check_qr_file(path: &Path) -> Result<()> {
    let display = printable(&path.display().to_string());
    match path.extension().and_then(|e| e.to_str()) {
        Some("png" | "svg") => {}
        _ => {
            return Err(fail!(
                Config,
                "--qr-file {display}: name a .png or .svg file"
            ));
        }
    }
    if path.exists() {
        return Err(fail!(Config, "--qr-file {display} exists: name a new file"));
    }
    Ok(())
}

fn write_qr_file(path: &Path, matrix: &Matrix) -> Result<()> {
    let bytes = match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => matrix.svg().into_bytes(),
        _ => matrix.png(),
    };
    // The file holds the seed: private from the moment it exists.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(&bytes))
        .map_err(|e| fail!(Failure, "cannot write {}: {e}", path.display()))
}
