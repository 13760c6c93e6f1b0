//! `awsenv init SHELL`: the shell integration, from the scripts under shell/ (no shell logic
//! lives in Rust strings), preceded by the options chosen, with the completion registration
//! put where the script's `#AWSENV_COMPLETIONS` line says.

use super::{Context, Run};
use crate::cli;
use crate::completion;
use crate::error::Result;
use crate::shell::{Change, Shell};
use crate::ui;

impl Run for cli::Init {
    fn run(self, _: &Context) -> Result<()> {
        init(self.shell, !self.no_prompt, self.aws_wrapper)
    }
}

fn init(shell: Shell, prompt: bool, aws_wrapper: bool) -> Result<()> {
    let flag = |name: &str, on: bool| Change::Local(name.into(), u8::from(on).to_string());
    let options = [
        flag("__awsenv_opt_prompt", prompt),
        flag("__awsenv_opt_aws", aws_wrapper),
    ];
    ui::out(&shell.render(&options));
    ui::out(&script(shell).replacen(COMPLETIONS, &completion::registration(shell), 1));
    Ok(())
}

const COMPLETIONS: &str = "#AWSENV_COMPLETIONS";

fn script(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => include_str!("../../shell/bash/init.bash"),
        Shell::Zsh => include_str!("../../shell/zsh/init.zsh"),
        Shell::Fish => include_str!("../../shell/fish/init.fish"),
        Shell::Powershell => include_str!("../../shell/powershell/init.ps1"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_script_has_a_place_for_the_completions() {
        for shell in Shell::value_variants() {
            assert_eq!(script(*shell).matches(COMPLETIONS).count(), 1, "{shell:?}");
        }
    }
}
