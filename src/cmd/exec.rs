//! `awsenv exec ACCOUNT -- CMD ARGS...`: runs one command with the session in its environment,
//! no shell integration needed. awsenv becomes the command (exec), so signals and the exit
//! status are the command's own.

use crate::cli::SessionArgs;
use crate::error::{Result, fail};
use crate::ui::say;
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
    super::give_session(&mut child, &account, &got);
    let error = child.exec();
    let program = program.to_string_lossy();
    Err(match error.kind() {
        std::io::ErrorKind::NotFound => fail!(NotFound, "{program}: command not found"),
        _ => fail!(CannotRun, "{program}: cannot run it: {error}"),
    })
}
