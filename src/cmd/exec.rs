//! `awsenv exec ACCOUNT -- CMD ARGS...`: runs one command with the session in its environment,
//! no shell integration needed. awsenv becomes the command (exec), so signals and the exit
//! status are the command's own. With `--server` awsenv stays its parent instead, serving the
//! session from a credential endpoint that renews it (see `server`).

use super::{Context, Run};
use crate::cli;
use crate::error::{Error, Result, fail};
use crate::profile::Profiles;
use crate::server;
use crate::session::obtain;
use crate::ui::say;
use std::ffi::OsStr;
use std::process::Command;

impl Run for cli::Exec {
    fn run(self, context: &Context) -> Result<()> {
        let settings = &context.settings;
        let profiles = Profiles::load(settings.files.clone())?;
        let account = self.region.apply(profiles.account(&self.account)?);
        if self.server {
            server::check_default_profile(&profiles, &account)?;
        }
        let got = obtain::session(settings, &account, &self.session.options(false))?;
        if !got.cached {
            say(&got.describe());
        }
        let (program, rest) = self.command.split_first().expect("clap requires a command");
        let mut child = Command::new(program);
        child.args(rest);
        server::start(
            settings,
            &context.current,
            &account,
            (got.session, self.session.duration),
            self.server,
            child,
            |e| cannot_run(program, e),
        )
    }
}

/// 127 for a command that does not exist, 126 for one that cannot run, as in a shell.
fn cannot_run(program: &OsStr, error: std::io::Error) -> Error {
    let program = program.to_string_lossy();
    match error.kind() {
        std::io::ErrorKind::NotFound => fail!(NotFound, "{program}: command not found"),
        _ => fail!(CannotRun, "{program}: cannot run it: {error}"),
    }
}
