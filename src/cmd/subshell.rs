//! `awsenv shell ACCOUNT`: a sub-shell of the user's shell with the session and the prompt
//! segment, even without `awsenv init` in the rc file (aws-session's `shell`). The user's own
//! rc file runs first, then the integration (sourcing it twice is harmless). awsenv becomes
//! the shell (exec): leaving it leaves the parent shell as it was. With `--server` awsenv stays
//! its parent instead, serving the session from a credential endpoint (see `server`).

use super::{Context, Run};
use crate::cli;
use crate::error::{Result, fail};
use crate::profile::Profiles;
use crate::server;
use crate::session::cache::Cache;
use crate::session::obtain;
use crate::shell::Shell;
use crate::ui::say;
use clap::ValueEnum;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::Command;

impl Run for cli::Subshell {
    fn run(self, context: &Context) -> Result<()> {
        subshell(context, &self)
    }
}

fn subshell(context: &Context, args: &cli::Subshell) -> Result<()> {
    let settings = &context.settings;
    let profiles = Profiles::load(settings.files.clone())?;
    let account = args.region.apply(profiles.account(&args.account)?);
    if args.server {
        server::check_default_profile(&profiles, &account)?;
    }
    let got = obtain::session(settings, &account, &args.session.options(false))?;
    let cache = Cache::new(settings);
    let program = settings
        .login_shell
        .clone()
        .unwrap_or_else(|| "/bin/bash".into());
    let name = program.rsplit('/').next().unwrap_or(&program).to_owned();
    let mut shell = Command::new(&program);
    // Kept alive until the shell starts: bash reads its rc file from this pipe.
    let mut _rc_pipe: Option<OwnedFd> = None;
    match Shell::from_str(&name, true).ok() {
        Some(Shell::Bash) => {
            let rc = "[ -f ~/.bashrc ] && . ~/.bashrc\neval \"$(command awsenv init bash)\"\n";
            let fd = rc_pipe(rc)?;
            shell.args(["--rcfile", &format!("/dev/fd/{}", fd.as_raw_fd()), "-i"]);
            _rc_pipe = Some(fd);
        }
        Some(Shell::Zsh) => {
            shell
                .env("ZDOTDIR", zdotdir(cache.private_dir()?)?)
                .arg("-i");
            shell.env(
                "__AWSENV_USER_ZDOTDIR",
                settings.zdotdir.as_ref().unwrap_or(&settings.home),
            );
        }
        Some(Shell::Fish) => {
            shell.args(["-i", "-C", "awsenv init fish | source"]);
        }
        Some(Shell::Powershell) => {
            shell.args([
                "-NoExit",
                "-Command",
                "Invoke-Expression (& awsenv init powershell | Out-String)",
            ]);
        }
        // Another shell gets the session without the prompt integration.
        None => {}
    }
    say(&format!("{}; exit the shell to leave it", got.describe()));
    let cannot_start = |error| fail!(CannotRun, "cannot start {program}: {error}");
    server::start(
        settings,
        &context.current,
        &account,
        (got.session, args.session.duration),
        args.server,
        shell,
        cannot_start,
    )
}

/// A pipe holding `text`, whose read end the shell inherits (not close-on-exec).
fn rc_pipe(text: &str) -> Result<OwnedFd> {
    let (read, write) = nix::unistd::pipe().map_err(|e| fail!(Failure, "pipe: {e}"))?;
    // A few lines: far below the pipe's buffer, so this cannot block.
    std::fs::File::from(write)
        .write_all(text.as_bytes())
        .map_err(|e| fail!(Failure, "pipe: {e}"))?;
    nix::fcntl::fcntl(
        &read,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
    )
    .map_err(|e| fail!(Failure, "pipe: {e}"))?;
    Ok(read)
}

/// A one-time ZDOTDIR whose files hand over to the user's own, add the integration, and then
/// remove the directory: zsh reads its rc files from a directory, not from a pipe.
fn zdotdir(parent: PathBuf) -> Result<PathBuf> {
    let dir = parent.join(format!("zsh-{}", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let user = "${__AWSENV_USER_ZDOTDIR:-$HOME}";
        let ours = Shell::Zsh.quote(&dir.to_string_lossy());
        // A .zshenv that points ZDOTDIR elsewhere (the XDG layout) names the user's rc
        // directory: remember it, and keep ours until our .zshrc has run.
        std::fs::write(
            dir.join(".zshenv"),
            format!(
                "[[ -f {user}/.zshenv ]] && source {user}/.zshenv\n\
                 if [[ $ZDOTDIR != {ours} ]]; then\n\
                 __AWSENV_USER_ZDOTDIR=$ZDOTDIR; ZDOTDIR={ours}\nfi\n"
            ),
        )?;
        std::fs::write(
            dir.join(".zshrc"),
            format!(
                "__awsenv_once=$ZDOTDIR\nZDOTDIR={user}\nunset __AWSENV_USER_ZDOTDIR\n\
                 [[ -f $ZDOTDIR/.zshrc ]] && source $ZDOTDIR/.zshrc\n\
                 eval \"$(command awsenv init zsh)\"\n\
                 command rm -rf -- \"$__awsenv_once\"; unset __awsenv_once\n"
            ),
        )
    })();
    written.map_err(|e| fail!(Failure, "cannot prepare zsh in {}: {e}", dir.display()))?;
    Ok(dir)
}
