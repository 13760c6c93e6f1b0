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

/// One change to a shell's variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// An environment variable, exported to every command the shell runs.
    Set(String, String),
    Unset(String),
    /// A variable of the shell's own, not exported: the prompt hook's state.
    Local(String, String),
    UnsetLocal(String),
}

impl Change {
    /// Applies an environment change to a command about to start (local ones are a shell's).
    pub fn apply_to(&self, command: &mut std::process::Command) {
        match self {
            Change::Set(name, value) => {
                command.env(name, value);
            }
            Change::Unset(name) => {
                command.env_remove(name);
            }
            Change::Local(..) | Change::UnsetLocal(_) => {}
        }
    }
}

impl Shell {
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
                Change::Local(name, value) => self.local(name, value),
                Change::UnsetLocal(name) => self.unset_local(name),
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

    fn local(self, name: &str, value: &str) -> String {
        let value = self.quote(value);
        match self {
            Shell::Bash | Shell::Zsh => format!("{name}={value};"),
            Shell::Fish => format!("set -g {name} {value};"),
            Shell::Powershell => format!("$global:{name} = {value};"),
        }
    }

    fn unset_local(self, name: &str) -> String {
        match self {
            // Kept, as $null: under Set-StrictMode a removed variable is an error to read.
            Shell::Powershell => format!("$global:{name} = $null;"),
            _ => self.unset(name),
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
            Change::Local("__awsenv_next".into(), "42".into()),
            Change::UnsetLocal("__awsenv_file".into()),
        ];
        assert_eq!(
            Shell::Zsh.render(&changes),
            "export AWS_REGION='eu-west-1';\nunset AWS_PROFILE;\n__awsenv_next='42';\nunset __awsenv_file;\n"
        );
        assert_eq!(
            Shell::Fish.render(&changes),
            "set -gx AWS_REGION 'eu-west-1';\nset -e -g AWS_PROFILE;\nset -g __awsenv_next '42';\nset -e -g __awsenv_file;\n"
        );
        assert_eq!(
            Shell::Powershell.render(&changes),
            "$Env:AWS_REGION = 'eu-west-1';\nRemove-Item -ErrorAction Ignore Env:AWS_PROFILE;\n\
             $global:__awsenv_next = '42';\n$global:__awsenv_file = $null;\n"
        );
    }

    /// Random values from what breaks quoting: every ASCII character but NUL (it cannot be in
    /// a variable), quotes of all kinds, and multi-byte characters.
    fn values() -> Vec<String> {
        let alphabet: Vec<char> = (1u8..128)
            .map(char::from)
            .chain("'\"\\$`!%\u{2018}\u{2019}\u{201A}\u{201B}é日本\u{1F600}\u{85}\u{2028}".chars())
            .collect();
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut values: Vec<String> = ["", "'", "\\", "\\'", "'\\''", "$(touch x)", "a\nb", "--"]
            .map(String::from)
            .into();
        for _ in 0..300 {
            let len = (next() % 24) as usize;
            values.push(
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect(),
            );
        }
        values
    }

    #[test]
    fn real_shells_read_every_value_back() {
        let values = values();
        for (shell, argv) in [
            (Shell::Bash, &["bash", "--norc", "--noprofile", "-c"][..]),
            (Shell::Zsh, &["zsh", "-f", "-c"][..]),
            (Shell::Fish, &["fish", "--no-config", "-c"][..]),
        ] {
            let changes: Vec<Change> = values
                .iter()
                .enumerate()
                .map(|(i, v)| Change::Set(format!("V_{i}"), v.clone()))
                .collect();
            let mut script = shell.render(&changes);
            script.push_str("printf '%s\\0'");
            for i in 0..values.len() {
                script.push_str(&match shell {
                    Shell::Fish => format!(" $V_{i}"),
                    _ => format!(" \"$V_{i}\""),
                });
            }
            let out = std::process::Command::new(argv[0])
                .args(&argv[1..])
                .arg(&script)
                .env("LC_ALL", "C.UTF-8")
                .output()
                .unwrap_or_else(|e| {
                    panic!("{} is needed by this test ({e}): run scripts/test", argv[0])
                });
            assert!(
                out.status.success(),
                "{shell:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let read: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
            assert_eq!(read.len(), values.len() + 1, "{shell:?}");
            for (i, value) in values.iter().enumerate() {
                assert_eq!(
                    read[i],
                    value.as_bytes(),
                    "{shell:?} read back value {i} ({value:?}) wrong"
                );
            }
        }
    }
}
