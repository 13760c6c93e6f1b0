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
use crate::error::{Result, fail};
use crate::shell::Shell;
use crate::vars;
use std::io::IsTerminal;

pub fn run(command: Command) -> Result<()> {
    if let Command::Switch { .. } | Command::Mfa { .. } | Command::Clear { .. } = command {
        code_for_a_shell()?;
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

/// switch, mfa and clear print shell code holding the session's secrets: for a shell to run,
/// never for a terminal to show (or a scrollback to keep). Checked before any MFA prompt.
fn code_for_a_shell() -> Result<()> {
    if std::io::stdout().is_terminal() {
        return Err(fail!(
            Usage,
            "this prints shell code with your credentials in it, for your shell to run: set up \
             the shell integration (awsenv init --help), or run eval \"$(awsenv ...)\""
        ));
    }
    Ok(())
}

/// The process environment, as the shell that started awsenv exported it.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn clear(shell: Shell) {
    crate::ui::out(&shell.render(&vars::clear(env)));
}
