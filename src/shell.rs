//! The shells awsenv speaks, and how each writes a value so that evaluating it gives back the
//! very same bytes. Values are untrusted (account names, regions, keys, tokens), so every one
//! goes through `quote`; variable names are awsenv's own constants.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
}

/// One change to a shell's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Set(String, String),
    Unset(String),
}

impl Shell {
    /// The shell the output is for when `--shell` is not given: the integration sets
    /// `AWSENV_SHELL`; otherwise the login shell; otherwise POSIX syntax, which bash reads.
    pub fn detect() -> Shell {
        let from = |var: &str| {
            let value = std::env::var(var).ok()?;
            let name = value.rsplit('/').next()?.trim_start_matches('-');
            Shell::from_str(name, true).ok()
        };
        from("AWSENV_SHELL")
            .or_else(|| from("SHELL"))
            .unwrap_or(Shell::Bash)
    }

    pub fn quote(self, value: &str) -> String {
        match self {
            // Inside single quotes nothing is special but the quote itself.
            Shell::Bash | Shell::Zsh => format!("'{}'", value.replace('\'', r"'\''")),
            // fish single quotes know two escapes: \\ and \'.
            Shell::Fish => format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'")),
            // PowerShell treats the typographic single quotes as quotes too; doubling escapes.
            Shell::Powershell => {
                let mut out = String::from("'");
                for c in value.chars() {
                    if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
                        out.push(c);
                    }
                    out.push(c);
                }
                out.push('\'');
                out
            }
        }
    }

    pub fn render(self, changes: &[Change]) -> String {
        let mut out = String::new();
        for change in changes {
            let line = match change {
                Change::Set(name, value) => self.set(name, value),
                Change::Unset(name) => self.unset(name),
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    fn set(self, name: &str, value: &str) -> String {
        let value = self.quote(value);
        match self {
            Shell::Bash | Shell::Zsh => format!("export {name}={value};"),
            Shell::Fish => format!("set -gx {name} {value};"),
            Shell::Powershell => format!("$Env:{name} = {value};"),
        }
    }

    fn unset(self, name: &str) -> String {
        match self {
            Shell::Bash | Shell::Zsh => format!("unset {name};"),
            Shell::Fish => format!("set -e -g {name};"),
            Shell::Powershell => format!("Remove-Item -ErrorAction Ignore Env:{name};"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_only_what_each_shell_needs() {
        let v = r"it's a \ test";
        assert_eq!(Shell::Bash.quote(v), r"'it'\''s a \ test'");
        assert_eq!(Shell::Fish.quote(v), r"'it\'s a \\ test'");
        assert_eq!(Shell::Powershell.quote("it’s 'x'"), "'it’’s ''x'''");
    }

    #[test]
    fn renders_each_shell() {
        let changes = [
            Change::Set("AWS_REGION".into(), "eu-west-1".into()),
            Change::Unset("AWS_PROFILE".into()),
        ];
        assert_eq!(
            Shell::Zsh.render(&changes),
            "export AWS_REGION='eu-west-1';\nunset AWS_PROFILE;\n"
        );
        assert_eq!(
            Shell::Fish.render(&changes),
            "set -gx AWS_REGION 'eu-west-1';\nset -e -g AWS_PROFILE;\n"
        );
        assert_eq!(
            Shell::Powershell.render(&changes),
            "$Env:AWS_REGION = 'eu-west-1';\nRemove-Item -ErrorAction Ignore Env:AWS_PROFILE;\n"
        );
    }
}
