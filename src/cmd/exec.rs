//! `awsenv exec ACCOUNT -- CMD ARGS...`: runs one command with the session in its environment,
//! no shell integration needed. awsenv becomes the command (exec), so signals and the exit
//! status are the command's own.

use super::{Context, Run};
use crate::cli;
use crate::error::{Result, fail};
use crate::profile::Profiles;
use crate::session::obtain;
use crate::ui::say;
use crate::vars;
use std::os::unix::process::CommandExt;
use std::process::Command;

impl Run for cli::Exec {
    fn run(self, context: &Context) -> Result<()> {
        let settings = &context.settings;
        let account = Profiles::load(settings.files.clone())?.account(&self.account)?;
        let got = obtain::session(settings, &account, &self.session.options(false))?;
        if !got.cached {
            say(&got.describe());
        }
        let (program, rest) = self.command.split_first().expect("clap requires a command");
        let mut child = Command::new(program);
        child.args(rest);
        let region = account.region.as_deref();
        for change in vars::for_command(&got.session, region, &context.current) {
            change.apply_to(&mut child);
        }
        let error = child.exec();
        let program = program.to_string_lossy();
        Err(match error.kind() {
            std::io::ErrorKind::NotFound => fail!(NotFound, "{program}: command not found"),
            _ => fail!(CannotRun, "{program}: cannot run it: {error}"),
        })
    }
}
