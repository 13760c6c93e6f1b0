//! `awsenv mfa-device setup|remove [ACCOUNT]`: from "I have access keys" to an MFA session
//! without the AWS console. Setup creates a virtual device, shows its QR code in the terminal,
//! takes two consecutive codes, enables it and saves `mfa_serial` in the profile; any failure
//! after the device exists takes it down again, so nothing is left half-made: ctrl-C, the
//! terminal closing (SIGHUP) and SIGTERM included. A device left by a setup killed outright
//! (SIGKILL, a crash) is named by the next one, which deletes it with `--replace`. The seed is
//! shown on the terminal only, and written to disk only where `--qr-file` says.

use super::{Context, Run};
use crate::aws::iam::{self, User};
use crate::aws::{Aws, Call, Credentials, Signer};
use crate::cli;
use crate::current::Current;
use crate::error::{Error, ErrorKind, Result, fail};
use crate::mfa::{self, SignalGuard, Terminal};
use crate::profile::{Account, Keys, Profiles, Source, edit};
use crate::qr::{self, Matrix};
use crate::secret::Secret;
use crate::session::cache::Cache;
use crate::session::obtain::{self, Options};
use crate::ui::{printable, say};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// What authenticator apps show above the code, as the AWS console names it.
const ISSUER: &str = "Amazon Web Services";

impl Run for cli::MfaDeviceSetup {
    fn run(self, context: &Context) -> Result<()> {
        let settings = &context.settings;
        let profiles = Profiles::load(settings.files.clone())?;
        let (account, keys) = user_account(&profiles, self.account.clone(), &context.current)?;
        let aws = Aws::new(settings);
        let user = iam::user(&aws, &account, &keys)?;
        let setup = Setup {
            config: &settings.files.config,
            device: self.name.clone().unwrap_or_else(|| user.name.clone()),
            aws,
            account: &account,
            keys: &keys,
            user,
        };
        setup.check(self.qr_file.as_deref())?;
        let mut terminal = Terminal::open().ok_or_else(|| {
            fail!(
                Mfa,
                "setting up an MFA device needs a terminal, to show its QR code and read codes"
            )
        })?;
        setup.clear_leftover(self.name.is_some(), self.replace)?;
        // From here to the end, a signal (ctrl-C, the terminal closing, SIGTERM) is caught
        // rather than ending the process, and stops the setup at its next step, where undo
        // runs. Held before the device is asked for, so that one made while the answer is on
        // its way is undone too.
        let _signals = SignalGuard::install();
        let (serial, seed) = setup.create()?;
        let mut enabled = Enabled::No;
        let result = setup.enable(
            &mut terminal,
            &serial,
            &seed,
            self.qr_file.as_deref(),
            &mut enabled,
        );
        if let Err(e) = result {
            return Err(setup.undo(&serial, enabled, e));
        }
        let name = &account.name;
        say(&format!(
            "{name}: MFA device {serial} is on, saved as mfa_serial in {}; awsenv switch {name} \
             now asks for its code",
            setup.config.display()
        ));
        Ok(())
    }
}

impl Run for cli::MfaDeviceRemove {
    fn run(self, context: &Context) -> Result<()> {
        remove(context, self.account, self.code)
    }
}

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

/// One setup of a virtual device for `user`, named `device`.
struct Setup<'a> {
    aws: Aws<'a>,
    account: &'a Account,
    keys: &'a Keys,
    user: User,
    device: String,
    config: &'a Path,
}

impl Setup<'_> {
    fn call(&self, call: Call) -> Result<crate::aws::Reply> {
        let signer = Signer::Keys(self.account, self.keys);
        self.aws
            .call(self.account, call, self.keys.credentials(), &signer)
    }

    /// What must hold before a device is made, so that a mistake costs nothing.
    fn check(&self, qr_file: Option<&Path>) -> Result<()> {
        let name = &self.account.name;
        if let Some(serial) = &self.account.mfa_serial {
            return Err(fail!(
                Config,
                "{name} already uses MFA device {serial}: run awsenv mfa-device remove {name} first"
            ));
        }
        if let Some(path) = qr_file {
            check_qr_file(path)?;
        }
        let user = &self.user;
        if let Some(existing) = iam::devices(&self.aws, self.account, self.keys, user)?.first() {
            return Err(fail!(
                Config,
                "{name}'s user {} already has MFA device {existing}: add mfa_serial = {existing} \
                 to [profile {name}] in {}, or remove that device first",
                user.name,
                self.config.display()
            ));
        }
        Ok(())
    }

    /// A device of this name left unassigned by a setup that was killed: named, or with
    /// `--replace` deleted.
    fn clear_leftover(&self, given_name: bool, replace: bool) -> Result<()> {
        let (name, device) = (&self.account.name, &self.device);
        let Some(leftover) = leftover(&self.aws, self.account, self.keys, device)? else {
            return Ok(());
        };
        if !replace {
            let again = if given_name {
                format!("awsenv mfa-device setup {name} --name {device} --replace")
            } else {
                format!("awsenv mfa-device setup {name} --replace")
            };
            return Err(fail!(
                Config,
                "{name}: MFA device {leftover} is left unassigned by a setup that did not \
                 finish: run {again} to delete it and start again"
            ));
        }
        let delete = Call::DeleteVirtualMfaDevice {
            serial: leftover.clone(),
        };
        self.call(delete)?;
        say(&format!(
            "{name}: deleted MFA device {leftover}, left unassigned by an earlier setup"
        ));
        Ok(())
    }

    /// CreateVirtualMFADevice: its serial and seed.
    fn create(&self) -> Result<(String, Secret)> {
        let create = Call::CreateVirtualMfaDevice {
            name: self.device.clone(),
        };
        match self.call(create).and_then(|reply| reply.into_created()) {
            Ok(created) => Ok(created),
            Err(e) => {
                let Some(signal) = mfa::caught() else {
                    return Err(e);
                };
                let stop = mfa::stopped(&self.account.name, signal, "during setup");
                // Ctrl-C or a hangup reaches awsenv-aws too: IAM may have made the device
                // after all, and none of that name was there before.
                let made = leftover(&self.aws, self.account, self.keys, &self.device);
                Err(match made {
                    Ok(Some(serial)) => self.undo(&serial, Enabled::No, stop),
                    _ => stop,
                })
            }
        }
    }

    /// Shows the QR code, takes two codes, enables the device and saves it in the profile;
    /// `enabled` says how far it got, for `undo`.
    fn enable(
        &self,
        terminal: &mut Terminal,
        serial: &str,
        seed: &Secret,
        qr_file: Option<&Path>,
        enabled: &mut Enabled,
    ) -> Result<()> {
        let name = &self.account.name;
        let go_on = || {
            mfa::caught().map_or(Ok(()), |signal| {
                Err(mfa::stopped(name, signal, "during setup"))
            })
        };
        go_on()?;
        let label = format!("{}@{}", self.user.name, self.user.account_id);
        let matrix = Matrix::encode(&qr::otpauth_uri(ISSUER, &label, seed.expose()))?;
        if let Some(path) = qr_file {
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
        go_on()?;
        let enable = Call::EnableMfaDevice {
            user_name: self.user.name.clone(),
            serial: serial.to_owned(),
            code1: first,
            code2: second,
        };
        match self.call(enable) {
            Ok(_) => *enabled = Enabled::Yes,
            // As for the device itself: the answer may be what the signal cut short.
            Err(_) if mfa::caught().is_some() => *enabled = Enabled::Maybe,
            Err(e) => return Err(e),
        }
        go_on()?;
        edit::set_in_file(self.config, name, "mfa_serial", Some(serial))
    }

    /// Takes down a device made by a setup that then failed, and says so in the error.
    fn undo(&self, serial: &str, enabled: Enabled, e: Error) -> Error {
        // An enabled device is the user's, which `remove` finds and takes down with an MFA
        // session; one never enabled is listed nowhere but by its serial.
        let cannot = |cleanup: Error| {
            let finish = if enabled == Enabled::No {
                format!("aws iam delete-virtual-mfa-device --serial-number {serial}")
            } else {
                format!("awsenv mfa-device remove {}", self.account.name)
            };
            fail!(
                Failure,
                "{e}; and the new device {serial} could not be removed ({cleanup}): run {finish}"
            )
        };
        if enabled != Enabled::No {
            let deactivate = Call::DeactivateMfaDevice {
                user_name: self.user.name.clone(),
                serial: serial.to_owned(),
            };
            match self.call(deactivate) {
                Ok(_) => {}
                // Not enabled after all: the delete below is all there is to do.
                Err(_) if enabled == Enabled::Maybe => {}
                Err(cleanup) => return cannot(cleanup),
            }
        }
        let delete = Call::DeleteVirtualMfaDevice {
            serial: serial.to_owned(),
        };
        if let Err(cleanup) = self.call(delete) {
            return cannot(cleanup);
        }
        Error::new(e.kind, format!("{e}; the new device was removed"))
    }
}

/// Whether the new device was enabled when setup failed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Enabled {
    No,
    Yes,
    /// EnableMFADevice was cut short by a signal: AWS may have done it.
    Maybe,
}

/// The serial of a virtual device named `device` that is enabled for no one: what a setup
/// killed before it could undo leaves behind. Where the user may not list devices, none is
/// known (and CreateVirtualMFADevice says EntityAlreadyExists itself).
fn leftover(aws: &Aws, account: &Account, keys: &Keys, device: &str) -> Result<Option<String>> {
    let signer = Signer::Keys(account, keys);
    let call = Call::ListUnassignedVirtualMfaDevices;
    match aws
        .call(account, call, keys.credentials(), &signer)
        .and_then(|reply| reply.into_devices())
    {
        Ok(serials) => {
            let suffix = format!(":mfa/{device}");
            Ok(serials.into_iter().find(|s| s.ends_with(&suffix)))
        }
        Err(e) if e.kind == ErrorKind::Denied => {
            crate::debug!("cannot look for unassigned MFA devices: {e}");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn remove(context: &Context, name: Option<String>, code: Option<String>) -> Result<()> {
    let settings = &context.settings;
    let aws = &Aws::new(settings);
    let profiles = Profiles::load(settings.files.clone())?;
    let (mut account, keys) = user_account(&profiles, name, &context.current)?;
    let config = &settings.files.config;
    let name = account.name.clone();
    let user = iam::user(aws, &account, &keys)?;
    let serial = match &account.mfa_serial {
        Some(serial) => serial.clone(),
        None => match iam::devices(aws, &account, &keys, &user)?
            .into_iter()
            .next()
        {
            Some(serial) => serial,
            None => {
                // A device no one enabled is not the user's: ListMFADevices never shows it.
                if let Some(leftover) = leftover(aws, &account, &keys, &user.name)? {
                    return Err(fail!(
                        Config,
                        "{name}'s user {} has no MFA device; {leftover} is left unassigned by a \
                         setup that did not finish: run awsenv mfa-device setup {name} --replace",
                        user.name
                    ));
                }
                return Err(fail!(
                    Config,
                    "{name}'s user {} has no MFA device",
                    user.name
                ));
            }
        },
    };
    // AWS's self-service policies let a user deactivate a device only from an MFA session.
    account.mfa_serial = Some(serial.clone());
    let options = Options {
        duration: None,
        force: false,
        code: code.as_deref(),
        save: false,
    };
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
    Cache::new(settings).remove(&name)?;
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
