//! The command line, in clap's derive form (also the source of the shell completions).

use crate::clock;
use crate::cmd::completions::accounts;
use crate::error::EXIT_STATUS_HELP;
use crate::shell::Shell;
use clap::builder::FalseyValueParser;
use clap::{Args, Parser, Subcommand};
use clap_complete::engine::ArgValueCandidates;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "awsenv",
    version,
    about = "Keeps temporary AWS credentials (MFA sessions, roles) alive in your shell",
    after_help = EXIT_STATUS_HELP
)]
pub struct Cli {
    /// Show each step and each AWS call with its timing on stderr (never a secret)
    #[arg(long, global = true, env = "AWSENV_DEBUG", value_parser = FalseyValueParser::new())]
    pub debug: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Select an account in this shell: prints shell code that exports its session, asking
    /// for an MFA code only when no fresh session is cached
    Switch {
        #[arg(add = ArgValueCandidates::new(accounts))]
        account: String,
        #[command(flatten)]
        output: ShellArg,
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Make a new MFA session now, for the account selected in this shell or the one named
    Mfa {
        #[arg(add = ArgValueCandidates::new(accounts))]
        account: Option<String>,
        #[command(flatten)]
        output: ShellArg,
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Show what this shell has: account, session kind, identity, region, time left
    Now {
        #[arg(long)]
        json: bool,
    },
    /// Print shell code that drops every variable awsenv set and restores what it replaced
    Clear {
        #[command(flatten)]
        output: ShellArg,
    },
    /// Start a sub-shell of your shell with an account's session and the prompt segment, even
    /// without `awsenv init` in its rc file; leave it with exit
    #[command(name = "shell")]
    Subshell {
        #[arg(add = ArgValueCandidates::new(accounts))]
        account: String,
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Run a command with an account's session in its environment; exits with its status
    Exec {
        #[arg(add = ArgValueCandidates::new(accounts))]
        account: String,
        #[command(flatten)]
        session: SessionArgs,
        /// The command and its arguments (after `--`)
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<OsString>,
    },
    /// Print an account's session for other tools: a shell's syntax, a .env file, Windows
    /// cmd, or JSON for a profile's credential_process
    Export {
        #[arg(add = ArgValueCandidates::new(accounts))]
        account: String,
        #[arg(long, value_enum, default_value = "env")]
        format: Format,
        #[command(flatten)]
        session: SessionArgs,
    },
    /// List the accounts of the AWS config with their kind and any cached session
    List {
        #[arg(long)]
        json: bool,
    },
    /// Delete cached sessions (shells using them clear at their next prompt)
    Logout {
        /// The account (default: the one selected in this shell)
        #[arg(add = ArgValueCandidates::new(accounts))]
        account: Option<String>,
        /// Every cached session
        #[arg(long, conflicts_with = "account")]
        all: bool,
    },
    /// Set up or remove the virtual MFA device of an account's IAM user
    #[command(subcommand)]
    MfaDevice(MfaDevice),
    /// Bring accounts kept by older tools into the AWS shared files
    #[command(subcommand)]
    Import(Import),
    /// Open the AWS console signed in as the account (or print the sign-in URL)
    Login {
        #[arg(add = ArgValueCandidates::new(accounts))]
        account: String,
        /// Print the URL instead of opening it (it signs in whoever has it, for minutes)
        #[arg(long)]
        print: bool,
        /// The console page to land on [default: https://console.aws.amazon.com/]
        #[arg(long)]
        destination: Option<String>,
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Replace the access key of an account's IAM user: create, prove, write, delete the old
    Rotate {
        #[arg(add = ArgValueCandidates::new(accounts))]
        account: String,
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Check the AWS config and awsenv's installation, and say how to fix what is wrong
    Doctor,
    /// Print the shell integration; add `eval "$(awsenv init bash)"` to your rc file
    Init {
        shell: Shell,
        /// Do not add the account and time left to PS1 / PROMPT / fish_prompt / prompt
        #[arg(long)]
        no_prompt: bool,
        /// Also wrap `aws` so that it renews the session first when it is about to end
        #[arg(long)]
        aws_wrapper: bool,
    },
    /// Print the prompt segment ("personal 42m") for other prompt engines
    Prompt,
    /// Print the shell completion script
    Completions { shell: Shell },
    /// What the shell integration runs when a prompt finds something changed
    #[command(hide = true)]
    Hook {
        shell: Shell,
        /// Also set AWSENV_PROMPT, for shells that cannot tell the time themselves
        #[arg(long)]
        segment: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum Import {
    /// The ec2switch layout: NAME.access_key, NAME.secret_key, NAME.user and an accounts JSON
    AwsCreds {
        /// The directory [default: ~/aws-creds]
        dir: Option<PathBuf>,
        /// The JSON of names to `arn:aws:iam::ACCOUNT_ID:` [default: DIR/accounts.json]
        #[arg(long)]
        accounts: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MfaDevice {
    /// Create a virtual MFA device, show its QR code, enable it with two codes from your
    /// authenticator app, and save it as the profile's mfa_serial
    Setup {
        /// The account whose IAM user gets the device (default: the one selected in this shell)
        #[arg(add = ArgValueCandidates::new(accounts))]
        account: Option<String>,
        /// The device's name [default: the IAM user's name]
        #[arg(long)]
        name: Option<String>,
        /// Also write the QR code to this new .png or .svg file (it holds the device's secret)
        #[arg(long)]
        qr_file: Option<PathBuf>,
    },
    /// Deactivate and delete the user's MFA device (with an MFA session, as AWS requires),
    /// and remove mfa_serial from the profile
    Remove {
        /// The account whose IAM user loses the device (default: the one selected in this shell)
        #[arg(add = ArgValueCandidates::new(accounts))]
        account: Option<String>,
        /// The MFA code, instead of asking for it
        #[arg(long, env = "AWSENV_MFA_CODE", hide_env_values = true)]
        code: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// NAME=value lines
    Env,
    Bash,
    Zsh,
    Fish,
    Powershell,
    /// Windows cmd.exe: set "NAME=value"
    Cmd,
    /// The AWS CLI's credential_process schema (Version 1)
    Json,
    /// NAME=value, quoted where needed
    Dotenv,
}

#[derive(Debug, Args)]
pub struct ShellArg {
    /// The shell the printed code is for (default: $AWSENV_SHELL, else your login shell)
    #[arg(long, value_enum)]
    pub shell: Option<Shell>,
}

impl ShellArg {
    pub fn shell(&self) -> Shell {
        self.shell.unwrap_or_else(Shell::detect)
    }
}

#[derive(Debug, Args)]
pub struct SessionArgs {
    /// Length of a new session: 3600, 90m, 12h [default: AWS's, 12h for a user, 1h for a role]
    #[arg(long, env = "AWSENV_SESSION_DURATION", value_parser = duration)]
    pub duration: Option<u32>,

    /// The MFA code, instead of asking for it
    #[arg(long, env = "AWSENV_MFA_CODE", hide_env_values = true)]
    pub code: Option<String>,

    /// Save an MFA device found for an account without mfa_serial into its profile
    #[arg(long)]
    pub save: bool,
}

fn duration(text: &str) -> Result<u32, String> {
    clock::parse_duration(text).map_err(|e| e.to_string())
}
