//! The shell integration as a person meets it: real bash, zsh and fish, interactive, on a
//! pseudo-terminal, with `awsenv init` in their rc file; patched moto plays AWS and the real
//! AWS CLI runs inside them.

#[path = "../support/mod.rs"]
mod support;

mod assets;
mod completion;
mod frameworks;
mod hook;
mod preexec;
mod renewal;
mod session;

use std::path::PathBuf;
use support::pty::Pty;
use support::{AWSENV, Home, User, moto};

/// Every prompt ends with this, after the awsenv segment.
const PROMPT: &str = "PROMPT> ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sh {
    Bash,
    Zsh,
    Fish,
}

pub const ALL: [Sh; 3] = [Sh::Bash, Sh::Zsh, Sh::Fish];

/// An interactive shell on a pty.
pub struct Terminal {
    pub pty: Pty,
    done: usize,
    /// What every prompt ends with.
    end: &'static str,
}

/// How a terminal is set up: its rc file around the `awsenv init` line, and its environment.
#[derive(Default)]
pub struct Rc<'a> {
    pub init_args: &'a str,
    pub before: &'a str,
    pub after: &'a str,
    pub env: &'a [(&'a str, &'a str)],
}

impl Terminal {
    pub fn start(home: &Home, sh: Sh) -> Terminal {
        Self::start_with(home, sh, &Rc::default())
    }

    /// Starts `sh` with an rc file that sets a plain prompt, then `before`, the integration,
    /// and `after`.
    pub fn start_with(home: &Home, sh: Sh, rc: &Rc) -> Terminal {
        let dir = home.dir.join(format!("{sh:?}-{}", next()));
        std::fs::create_dir_all(&dir).unwrap();
        let Rc {
            init_args,
            before,
            after,
            env,
        } = rc;
        let mut cmd = match sh {
            Sh::Bash => {
                let rc = dir.join("bashrc");
                let text = format!(
                    "PS1='{PROMPT}'\n{before}\neval \"$(awsenv init bash {init_args})\"\n{after}\n"
                );
                std::fs::write(&rc, text).unwrap();
                let mut cmd = home.command("bash");
                cmd.args(["--noprofile", "--rcfile"]).arg(&rc).arg("-i");
                cmd
            }
            Sh::Zsh => {
                let text = format!(
                    "PROMPT='{PROMPT}'\nunsetopt prompt_sp\nautoload -Uz compinit && compinit -u\n\
                     {before}\neval \"$(awsenv init zsh {init_args})\"\n{after}\n"
                );
                std::fs::write(dir.join(".zshrc"), text).unwrap();
                let mut cmd = home.command("zsh");
                cmd.env("ZDOTDIR", &dir).arg("-i");
                cmd
            }
            Sh::Fish => {
                let rc = dir.join("config.fish");
                let text = format!(
                    "function fish_prompt; printf '{PROMPT}'; end\nfunction fish_greeting; end\n\
                     {before}\nawsenv init fish {init_args} | source\n{after}\n"
                );
                std::fs::write(&rc, text).unwrap();
                let mut cmd = home.command("fish");
                cmd.args(["--no-config", "-i", "-C"])
                    .arg(format!("source {}", rc.display()));
                cmd
            }
        };
        cmd.env("TERM", "dumb").current_dir(&dir);
        for (k, v) in *env {
            cmd.env(k, v);
        }
        Self::attach(cmd, PROMPT)
    }

    /// An interactive zsh whose .zshrc is `zshrc`, each of whose prompts ends with `end`.
    pub fn zsh(home: &Home, zshrc: &str, end: &'static str, env: &[(&str, &str)]) -> Terminal {
        let dir = home.dir.join(format!("zsh-{}", next()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(".zshrc"), zshrc).unwrap();
        let mut cmd = home.command("zsh");
        cmd.env("ZDOTDIR", &dir)
            .env("TERM", "dumb")
            .envs(env.iter().copied())
            .current_dir(&dir)
            .arg("-i");
        Self::attach(cmd, end)
    }

    fn attach(cmd: std::process::Command, end: &'static str) -> Terminal {
        let mut terminal = Terminal {
            pty: Pty::attached(cmd),
            done: 0,
            end,
        };
        terminal.pty.wait_for(end);
        terminal
    }

    /// Runs a command line and returns what it printed (up to a marker echoed after it).
    pub fn run(&mut self, line: &str) -> String {
        self.done += 1;
        let n = self.done;
        // The marker is split in the typed line, so only the output matches it whole.
        self.pty
            .send(&format!("{line}; echo __AWSENV_\"\"DONE_{n}__\n"));
        self.pty.wait_for(&format!("DONE_{n}__"));
        let out = self.pty.wait_for(&format!("__AWSENV_DONE_{n}__"));
        let out = out.trim_end_matches(&format!("__AWSENV_DONE_{n}__"));
        self.pty.wait_for(self.end);
        out.to_owned()
    }

    /// Presses enter at an empty prompt; returns the awsenv part of the prompt that follows.
    pub fn prompt(&mut self) -> String {
        self.pty.send("\n");
        self.next_prompt()
    }

    /// The awsenv part of the next prompt drawn (what stands before the fixed tail).
    pub fn next_prompt(&mut self) -> String {
        let chunk = self.pty.wait_for(self.end);
        let line = chunk.rsplit(['\n', '\r']).next().unwrap_or("");
        line.trim_end_matches(self.end).trim_end().to_owned()
    }

    /// The value of a variable in the shell (empty when unset).
    pub fn var(&mut self, name: &str) -> String {
        let out = self.run(&format!("printf '<%s>' \"${name}\""));
        let start = out.rfind('<').expect("printf output");
        let end = out.rfind('>').unwrap();
        out[start + 1..end].to_owned()
    }

    /// The credential and awsenv variables, as `env` shows them in the shell.
    pub fn awsenv_vars(&mut self) -> Vec<String> {
        let out = self.run("env");
        let mut vars: Vec<String> = out
            .lines()
            .map(|l| l.trim_matches(['\r', '\n']).to_owned())
            .filter(|l| {
                [
                    "AWS_ACCESS_KEY_ID=",
                    "AWS_SECRET_ACCESS_KEY=",
                    "AWS_SESSION_TOKEN=",
                    "AWS_SECURITY_TOKEN=",
                    "AWS_CREDENTIAL_EXPIRATION=",
                    "AWS_REGION=",
                    "AWS_DEFAULT_REGION=",
                    "AWSENV_",
                ]
                .iter()
                .any(|p| l.starts_with(p))
            })
            .collect();
        vars.sort();
        vars
    }

    /// `awsenv switch ACCOUNT`, answering the MFA prompt on the terminal.
    pub fn switch_with_mfa(&mut self, account: &str, user: &User) {
        self.pty.send(&format!("awsenv switch {account}\n"));
        self.pty.wait_for(&format!("MFA code for {account} ("));
        self.pty.wait_for("): ");
        self.pty.send(&format!("{}\n", moto().code(user)));
        self.pty
            .wait_for(&format!("awsenv: {account}: new MFA session"));
    }
}

/// A terminal (with `AWSENV_EXPIRY_MARGIN=0` and `init_args`) whose session of `alice` has
/// just run out, in the cache and in the shell, with nothing said about it yet.
pub fn terminal_with_ended_session(sh: Sh, init_args: &str) -> (Home, User, Terminal) {
    let (home, alice) = alice_home();
    let rc = Rc {
        init_args,
        env: &[("AWSENV_EXPIRY_MARGIN", "0")],
        ..Rc::default()
    };
    let mut t = Terminal::start_with(&home, sh, &rc);
    t.switch_with_mfa("alice", &alice);
    t.next_prompt();
    let mut cached = home.read_cache("alice");
    cached["expiration"] = support::time_in(2).into();
    home.write_cache("alice", &cached);
    t.run("awsenv switch alice");
    std::thread::sleep(std::time::Duration::from_secs(3));
    (home, alice, t)
}

/// An `awsenv` first on PATH that logs each start of the binary (its arguments, one line,
/// each in brackets) and then runs the real one.
pub struct Shim {
    dir: PathBuf,
    log: PathBuf,
}

impl Shim {
    pub fn new(home: &Home) -> Shim {
        let dir = home.dir.join("shim");
        std::fs::create_dir_all(&dir).unwrap();
        let log = home.dir.join("starts.log");
        let script = format!(
            "#!/bin/sh\n{{ printf '[%s]' \"$@\"; echo; }} >> '{}'\nexec {AWSENV} \"$@\"\n",
            log.display()
        );
        std::fs::write(dir.join("awsenv"), script).unwrap();
        std::fs::set_permissions(
            dir.join("awsenv"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        Shim { dir, log }
    }

    /// The rc line that puts the shim first on PATH.
    pub fn rc_line(&self, sh: Sh) -> String {
        match sh {
            Sh::Fish => format!("set -gx PATH '{}' $PATH", self.dir.display()),
            _ => format!("export PATH='{}':\"$PATH\"", self.dir.display()),
        }
    }

    /// Every start so far, e.g. `[hook][bash][--before-command]`.
    pub fn starts(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

fn next() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// A home with a user `alice` (MFA) and her account.
pub fn alice_home() -> (Home, User) {
    let home = Home::new();
    let alice = moto().user(true);
    home.user_account("alice", &alice);
    (home, alice)
}
