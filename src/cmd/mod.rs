//! One small module per subcommand, each implementing `Run` for its own arguments (defined in
//! `cli`); this one only dispatches. A command gets the settings and what the shell has, read
//! once, in a `Context`.

mod add;
mod clear;
mod completions;
mod doctor;
mod exec;
mod export;
pub mod hook;
mod import;
mod import_credentials;
mod init;
mod list;
mod login;
mod logout;
mod mfa_device;
mod now;
mod prompt;
mod remove;
mod renew;
mod rotate;
mod subshell;
mod switch;

use crate::cli::{Command, Import, MfaDevice};
use crate::current::Current;
use crate::error::Result;
use crate::settings::Settings;

pub struct Context {
    pub settings: Settings,
    pub current: Current,
}

impl Context {
    pub fn from_env() -> Context {
        Context {
            settings: Settings::from_env(),
            current: Current::from_env(),
        }
    }
}

pub trait Run {
    fn run(self, context: &Context) -> Result<()>;
}

impl Run for Command {
    fn run(self, context: &Context) -> Result<()> {
        match self {
            Command::Switch(c) => c.run(context),
            Command::Mfa(c) => c.run(context),
            Command::Now(c) => c.run(context),
            Command::Clear(c) => c.run(context),
            Command::Subshell(c) => c.run(context),
            Command::Exec(c) => c.run(context),
            Command::Export(c) => c.run(context),
            Command::List(c) => c.run(context),
            Command::Logout(c) => c.run(context),
            Command::MfaDevice(MfaDevice::Setup(c)) => c.run(context),
            Command::MfaDevice(MfaDevice::Remove(c)) => c.run(context),
            Command::Import(Import::AwsCreds(c)) => c.run(context),
            Command::Import(Import::Credentials(c)) => c.run(context),
            Command::Add(c) => c.run(context),
            Command::Remove(c) => c.run(context),
            Command::Login(c) => c.run(context),
            Command::Rotate(c) => c.run(context),
            Command::Doctor(c) => c.run(context),
            Command::Init(c) => c.run(context),
            Command::Prompt(c) => c.run(context),
            Command::Completions(c) => c.run(context),
            Command::Hook(c) => c.run(context),
            Command::Renew(c) => c.run(context),
        }
    }
}
