//! `awsenv init SHELL`: the shell integration, from the scripts under shell/ (no shell logic
//! lives in Rust strings), preceded by the options chosen and the thresholds of the prompt's
//! colours. bash and zsh share their countdown (shell/posix/segment.sh, put where their
//! script's `#AWSENV_SEGMENT` line says); the completion registration goes where the
//! `#AWSENV_COMPLETIONS` line says.

use super::{Context, Run};
use crate::cli;
use crate::completion;
use crate::error::Result;
use crate::segment;
use crate::settings::DEFAULT_MARGIN;
use crate::shell::{Change, Shell};
use crate::ui;

impl Run for cli::Init {
    fn run(self, _: &Context) -> Result<()> {
        ui::out(&render(self.shell, !self.no_prompt, self.aws_wrapper));
        Ok(())
    }
}

fn render(shell: Shell, with_prompt: bool, aws_wrapper: bool) -> String {
    let local = |name: &str, value: i64| Change::Local(name.into(), value.to_string());
    let options = [
        local("__awsenv_opt_prompt", with_prompt.into()),
        local("__awsenv_opt_aws", aws_wrapper.into()),
        local("__awsenv_soon", segment::SOON),
        // The hook sets the margin (`__awsenv_margin`); this serves until it has run.
        local("__awsenv_default_margin", DEFAULT_MARGIN),
    ];
    let script = script(shell)
        .replacen(SEGMENT, SHARED_SEGMENT.trim_end(), 1)
        .replacen(COMPLETIONS, completion::registration(shell).trim_end(), 1);
    shell.render(&options) + &script
}

const COMPLETIONS: &str = "#AWSENV_COMPLETIONS";
const SEGMENT: &str = "#AWSENV_SEGMENT";

/// The prompt segment, in the language bash and zsh have in common.
const SHARED_SEGMENT: &str = include_str!("../../shell/posix/segment.sh");

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

    #[test]
    fn bash_and_zsh_share_the_segment() {
        for shell in Shell::value_variants() {
            let wanted = usize::from(matches!(shell, Shell::Bash | Shell::Zsh));
            assert_eq!(script(*shell).matches(SEGMENT).count(), wanted, "{shell:?}");
            let rendered = render(*shell, true, true);
            assert!(
                !rendered.contains("#AWSENV_"),
                "{shell:?}: a marker is left"
            );
            assert_eq!(
                rendered.contains("__awsenv_segment() {"),
                wanted == 1,
                "{shell:?}"
            );
        }
    }
}
