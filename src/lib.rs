//! awsenv keeps temporary AWS credentials (STS sessions, with MFA where the account needs it)
//! alive in the user's own shell. The `awsenv` binary is everything but the AWS calls, which
//! the `awsenv-aws` binary makes (see `aws`); both are built from this library.

pub mod aws;
mod cli;
mod clock;
mod cmd;
mod completion;
mod current;
mod debug;
mod error;
mod keychain;
mod mfa;
mod profile;
mod qr;
pub mod secret;
mod segment;
mod server;
mod session;
mod settings;
mod shell;
mod ui;
mod vars;

use clap::Parser;
use cmd::Run;
use std::io::Write;

/// The `awsenv` binary: returns its exit status.
pub fn main() -> i32 {
    // A panic message could quote a value; say only where it happened.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| l.to_string()).unwrap_or_default();
        ui::say(&format!("internal error at {at}; please report it"));
    }));
    if let Some(hook) = hook_args() {
        return finish(cmd::hook::run(hook, &cmd::Context::from_env()));
    }
    completion::answer_if_asked();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    if cli.debug {
        debug::enable();
    }
    finish(cli.command.run(&cmd::Context::from_env()))
}

/// `awsenv hook SHELL [--segment] [--before-command] [--told TOKEN]`, read without clap:
/// building clap's command tree would be most of what a hook run costs. Anything else goes to
/// clap, which also explains mistakes.
fn hook_args() -> Option<cli::Hook> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != "hook" {
        return None;
    }
    let mut hook = cli::Hook {
        shell: clap::ValueEnum::from_str(args.next()?.to_str()?, false).ok()?,
        segment: false,
        before_command: false,
        told: None,
    };
    while let Some(arg) = args.next() {
        match arg.to_str()? {
            "--segment" => hook.segment = true,
            "--before-command" => hook.before_command = true,
            "--told" => hook.told = Some(args.next()?.into_string().ok()?),
            _ => return None,
        }
    }
    Some(hook)
}

/// clap prints help on stdout; but the shell integration evaluates what switch, mfa and
/// clear print, so their help goes to stderr, where it is read and not run.
fn clap_exit(e: clap::Error) -> i32 {
    let first_word = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let evaluated = matches!(first_word.as_deref(), Some("switch" | "mfa" | "clear"));
    let text = e.render().to_string();
    if e.use_stderr() || evaluated {
        eprint!("{text}");
    } else {
        ui::out(&text);
    }
    e.exit_code()
}

fn finish(result: error::Result<()>) -> i32 {
    let status = match result {
        Ok(()) => 0,
        Err(e) => {
            ui::say(&e.to_string());
            e.kind.exit_code()
        }
    };
    let _ = std::io::stdout().flush();
    status
}
