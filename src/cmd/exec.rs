//! `awsenv exec ACCOUNT -- CMD ARGS...`: runs one command with the session in its environment,
//! no shell integration needed. awsenv becomes the command (exec), so signals and the exit
//! status are the command's own.

use super::env;
use crate::cli::SessionArgs;
use crate::error::{Result, fail};
use crate::shell::Change;
use crate::ui::say;
use crate::vars;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

pub fn run(account: &str, args: &SessionArgs, command: &[OsString]) -> Result<()> {
    let (account, _, got) = super::session(account, args, false)?;
    if !got.cached {
        say(&got.describe());
    }
    let (program, rest) = command.split_first().expect("clap requires a command");
    let mut child = Command::new(program);
    child.args(rest);
    // What a shell saved to restore later (the user's long-term keys, perhaps) is none of
    // the command's business.
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(vars::is_saved) {
            child.env_remove(name);
        }
    }
    for change in vars::activate(&got.session, account.region.as_deref(), env) {
        match change {
            Change::Set(name, _) if vars::is_saved(&name) => &mut child,
            Change::Set(name, value) => child.env(name, value),
            Change::Unset(name) => child.env_remove(name),
            // The prompt hook's state means nothing to a command.
            Change::Local(..) | Change::UnsetLocal(_) => &mut child,
        };
    }
    let error = child.exec();
    let program = program.to_string_lossy();
    Err(match error.kind() {
        std::io::ErrorKind::NotFound => fail!(NotFound, "{program}: command not found"),
        _ => fail!(CannotRun, "{program}: cannot run it: {error}"),
    })
}
