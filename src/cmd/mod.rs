//! One small module per subcommand; this one dispatches and holds what they share.

pub mod completions;
mod exec;
mod hook;
mod init;
mod list;
mod logout;
mod mfa_device;
mod now;
mod prompt;
mod switch;

use crate::cli::{Command, MfaDevice};
use crate::error::Result;
use crate::shell::Shell;
use crate::vars;

pub fn run(command: Command) -> Result<()> {
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
        Command::Prompt => prompt::run(),
        Command::Completions { shell } => completions::run(shell),
        Command::Hook { shell, segment } => hook(shell, segment),
    }
}

pub use hook::run as hook;

/// The process environment, as the shell that started awsenv exported it.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn clear(shell: Shell) {
    print!("{}", shell.render(&vars::clear(env)));
}
