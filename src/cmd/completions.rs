//! Shell completions, clap_complete's dynamic kind: the shell asks `awsenv` itself at each
//! TAB (with `COMPLETE=SHELL` set), so `awsenv switch <TAB>` offers the accounts of the
//! current config. `awsenv completions SHELL` prints the small registration script (checked
//! in under completions/); `awsenv init` includes it, regenerated at every shell start so it
//! always matches the binary.

use crate::cli::Cli;
use crate::error::Result;
use crate::profile::{Files, Profiles};
use crate::shell::Shell;
use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, CompleteEnv, EnvCompleter, Fish, Powershell, Zsh};

/// The environment variable that turns a run of awsenv into a completion request.
const VAR: &str = "COMPLETE";

/// Answers a completion request and exits, if this run is one.
pub fn answer_if_asked() {
    CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .bin("awsenv")
        .completer("awsenv")
        .complete();
}

pub fn registration(shell: Shell) -> String {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Powershell => &Powershell,
    };
    let mut script = Vec::new();
    completer
        .write_registration(VAR, "awsenv", "awsenv", "awsenv", &mut script)
        .expect("writing to memory cannot fail");
    String::from_utf8(script).expect("clap_complete writes UTF-8")
}

pub fn run(shell: Shell) -> Result<()> {
    crate::ui::out(&registration(shell));
    Ok(())
}

/// The accounts of the AWS config, for completing ACCOUNT arguments.
pub fn accounts() -> Vec<CompletionCandidate> {
    Profiles::load(Files::from_env())
        .map(|p| p.names().map(CompletionCandidate::new).collect())
        .unwrap_or_default()
}
