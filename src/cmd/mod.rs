//! One small module per subcommand; this one dispatches and holds what they share.

pub mod completions;
mod doctor;
mod exec;
mod export;
mod hook;
mod import;
mod init;
mod list;
mod login;
mod logout;
mod mfa_device;
mod now;
mod prompt;
mod rotate;
mod subshell;
mod switch;

use crate::cache::Cache;
use crate::cli::{Command, Import, MfaDevice, SessionArgs};
use crate::error::{Result, fail};
use crate::obtain::{self, Obtained, Options};
use crate::profile::{Account, Files, Profiles};
use crate::shell::{Change, Shell};
use crate::vars;
use std::io::IsTerminal;

pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Switch { .. } | Command::Mfa { .. } | Command::Clear { .. } => not_a_terminal(
            "this prints shell code with your credentials in it, for your shell to run: set up \
             the shell integration (awsenv init --help), or run eval \"$(awsenv ...)\"",
        )?,
        Command::Export { .. } => not_a_terminal(
            "this prints your credentials: send them to a file or a program (> .env, | ...), \
             not to the screen",
        )?,
        _ => {}
    }
    match command {
        Command::Switch {
            account,
            output,
            session,
        } => switch::run(&account, output.shell(), &session, false),
        Command::Mfa {
            account,
            output,
            session,
        } => switch::run_mfa(account, output.shell(), &session),
        Command::Now { json } => now::run(json),
        Command::Clear { output } => {
            clear(output.shell());
            Ok(())
        }
        Command::Exec {
            account,
            session,
            command,
        } => exec::run(&account, &session, &command),
        Command::Export {
            account,
            format,
            session,
        } => export::run(&account, format, &session),
        Command::Subshell { account, session } => subshell::run(&account, &session),
        Command::List { json } => list::run(json),
        Command::Logout { account, all } => logout::run(account, all),
        Command::Init {
            shell,
            no_prompt,
            aws_wrapper,
        } => init::run(shell, !no_prompt, aws_wrapper),
        Command::MfaDevice(MfaDevice::Setup {
            account,
            name,
            qr_file,
        }) => mfa_device::setup(account, name, qr_file),
        Command::MfaDevice(MfaDevice::Remove { account, code }) => {
            mfa_device::remove(account, code)
        }
        Command::Import(Import::AwsCreds { dir, accounts }) => import::aws_creds(dir, accounts),
        Command::Doctor => doctor::run(),
        Command::Login {
            account,
            print,
            destination,
            session,
        } => login::run(&account, print, destination, &session),
        Command::Rotate { account, session } => rotate::run(&account, &session),
        Command::Prompt => prompt::run(),
        Command::Completions { shell } => completions::run(shell),
        Command::Hook { shell, segment } => hook(shell, segment),
    }
}

pub use hook::run as hook;

/// switch, mfa, clear and export print the session's secrets: for a shell or a program to
/// read, never for a terminal to show (or a scrollback to keep). Checked before any prompt.
fn not_a_terminal(why: &str) -> Result<()> {
    if std::io::stdout().is_terminal() {
        return Err(fail!(Usage, "{why}"));
    }
    Ok(())
}

/// An account's session, as switch, mfa, exec and export get it: cached while fresh, else new.
fn session(name: &str, args: &SessionArgs, force: bool) -> Result<(Account, Cache, Obtained)> {
    let profiles = Profiles::load(Files::from_env())?;
    let account = profiles.account(name)?;
    let options = Options {
        duration: args.duration,
        force,
        code: args.code.as_deref(),
        save: args.save,
    };
    let cache = Cache::from_env();
    let got = obtain::session(&account, &cache, &options)?;
    Ok((account, cache, got))
}

/// Puts an account's session into a command's environment (exec, shell): what a shell would
/// get, less the values a shell saved to restore later (the user's long-term keys, perhaps),
/// which are none of the command's business, and less the prompt hook's state.
fn give_session(command: &mut std::process::Command, account: &Account, got: &Obtained) {
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(vars::is_saved) {
            command.env_remove(name);
        }
    }
    for change in vars::activate(&got.session, account.region.as_deref(), env) {
        match change {
            Change::Set(name, value) if !vars::is_saved(&name) => {
                command.env(name, value);
            }
            Change::Unset(name) => {
                command.env_remove(name);
            }
            Change::Set(..) | Change::Local(..) | Change::UnsetLocal(_) => {}
        }
    }
}

/// The process environment, as the shell that started awsenv exported it.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn clear(shell: Shell) {
    crate::ui::out(&shell.render(&vars::clear(env)));
}
