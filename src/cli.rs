//! The command line, in clap's derive form (also the source of the shell completions).

use crate::clock;
use crate::error::EXIT_STATUS_HELP;
use crate::profile::Profiles;
use crate::session::obtain::Options;
use crate::settings::Settings;
use crate::shell::Shell;
use clap::builder::FalseyValueParser;
use clap::{Args, Parser, Subcommand};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
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
    Switch(Switch),
    Mfa(Mfa),
    Now(Now),
    Clear(Clear),
    #[command(name = "shell")]
    Subshell(Subshell),
    Exec(Exec),
    Export(Export),
    List(List),
    Logout(Logout),
    Add(Add),
    Remove(Remove),
    #[command(subcommand)]
    Import(Import),
    #[command(subcommand)]
    MfaDevice(MfaDevice),
    Login(Login),
    Rotate(Rotate),
    Doctor(Doctor),
    Init(Init),
    Prompt(Prompt),
    Completions(Completions),
    #[command(hide = true)]
    Hook(Hook),
    #[command(hide = true)]
    Renew(Renew),
}

/// Select an account in this shell: prints shell code that exports its session, asking for an
/// MFA code only when no fresh session is cached
#[derive(Debug, Args)]
pub struct Switch {
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: String,
    #[command(flatten)]
    pub output: ShellArg,
    #[command(flatten)]
    pub session: SessionArgs,
    #[command(flatten)]
    pub region: RegionArg,
}

/// Make a new MFA session now, for the account selected in this shell or the one named
#[derive(Debug, Args)]
pub struct Mfa {
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: Option<String>,
    #[command(flatten)]
    pub output: ShellArg,
    #[command(flatten)]
    pub session: SessionArgs,
    #[command(flatten)]
    pub region: RegionArg,
}

/// Show what this shell has: account, session kind, identity, region, time left
#[derive(Debug, Args)]
pub struct Now {
    #[arg(long)]
    pub json: bool,
}

/// Print shell code that drops every variable awsenv set and restores what it replaced
#[derive(Debug, Args)]
pub struct Clear {
    #[command(flatten)]
    pub output: ShellArg,
}

/// Start a sub-shell of your shell with an account's session and the prompt segment, even
/// without `awsenv init` in its rc file; leave it with exit
#[derive(Debug, Args)]
pub struct Subshell {
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: String,
    #[command(flatten)]
    pub session: SessionArgs,
    #[command(flatten)]
    pub region: RegionArg,
    /// Give the shell a credential endpoint on 127.0.0.1 that renews the session, instead
    /// of keys that end with it: for commands that outlive a session
    #[arg(long)]
    pub server: bool,
}

/// Run a command with an account's session in its environment; exits with its status
#[derive(Debug, Args)]
pub struct Exec {
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: String,
    #[command(flatten)]
    pub session: SessionArgs,
    #[command(flatten)]
    pub region: RegionArg,
    /// Give the command a credential endpoint on 127.0.0.1 that renews the session, instead
    /// of keys that end with it: for commands that outlive a session
    #[arg(long)]
    pub server: bool,
    /// The command and its arguments (after `--`)
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<OsString>,
}

/// Print an account's session for other tools: a shell's syntax, a .env file, Windows cmd, or
/// JSON for a profile's credential_process
#[derive(Debug, Args)]
pub struct Export {
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: String,
    #[arg(long, value_enum, default_value = "env")]
    pub format: Format,
    #[command(flatten)]
    pub session: SessionArgs,
    #[command(flatten)]
    pub region: RegionArg,
}

/// List the accounts of the AWS config with their kind and any cached session
#[derive(Debug, Args)]
pub struct List {
    #[arg(long)]
    pub json: bool,
}

/// Delete cached sessions (shells using them clear at their next prompt)
#[derive(Debug, Args)]
pub struct Logout {
    /// The account (default: the one selected in this shell)
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: Option<String>,
    /// Every cached session
    #[arg(long, conflicts_with = "account")]
    pub all: bool,
}

/// Store an IAM user's access key in the OS keychain (asked for, or read from stdin), after
/// checking it with AWS; the profile in ~/.aws/config names the key, and no file holds its
/// secret
#[derive(Debug, Args)]
pub struct Add {
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: String,
    /// Take the key from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead
    #[arg(long)]
    pub env: bool,
}

/// Delete an account's key from the OS keychain, and the cached sessions made from it
#[derive(Debug, Args)]
pub struct Remove {
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: String,
    /// Only the cached sessions made from its key (its own and its roles'); keep the key
    #[arg(long, short = 's')]
    pub sessions_only: bool,
    /// Do not ask first
    #[arg(long, short = 'f')]
    pub force: bool,
}

/// Open the AWS console signed in as the account (or print the sign-in URL)
#[derive(Debug, Args)]
pub struct Login {
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: String,
    /// Print the URL instead of opening it (it signs in whoever has it, for minutes)
    #[arg(long)]
    pub print: bool,
    /// The console page to land on [default: the console of the account's partition,
    /// https://console.aws.amazon.com/ for most]
    #[arg(long)]
    pub destination: Option<String>,
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Replace the access key of an account's IAM user: create, prove, write, delete the old
#[derive(Debug, Args)]
pub struct Rotate {
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: String,
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Check the AWS config and awsenv's installation, and say how to fix what is wrong
#[derive(Debug, Args)]
pub struct Doctor {}

/// Print the shell integration; add `eval "$(awsenv init bash)"` to your rc file
#[derive(Debug, Args)]
pub struct Init {
    pub shell: Shell,
    /// Do not add the account and time left to PS1 / PROMPT / fish_prompt / prompt
    #[arg(long)]
    pub no_prompt: bool,
    /// Also wrap `aws` so that it renews the session first when it is about to end
    #[arg(long)]
    pub aws_wrapper: bool,
}

/// Print the prompt segment ("personal 42m") for other prompt engines
#[derive(Debug, Args)]
pub struct Prompt {}

/// Print the shell completion script
#[derive(Debug, Args)]
pub struct Completions {
    pub shell: Shell,
}

/// What the shell integration runs when a prompt finds something changed
#[derive(Debug, Args)]
pub struct Hook {
    pub shell: Shell,
    /// Also set AWSENV_PROMPT, for shells that cannot tell the time themselves
    #[arg(long)]
    pub segment: bool,
    /// Run right before a command: a session inside its margin is renewed now, not in the
    /// background, so that the command starts with a fresh one
    #[arg(long)]
    pub before_command: bool,
    /// What this shell was last told about its session (`__awsenv_told`), so that it is
    /// told once
    #[arg(long, value_name = "TOKEN")]
    pub told: Option<String>,
}

/// Renew an account's session without a person; the prompt hook starts this in the background
#[derive(Debug, Args)]
pub struct Renew {
    pub account: String,
}

#[derive(Debug, Subcommand)]
/// Bring accounts kept by older tools into the AWS shared files, or keys into the keychain
pub enum Import {
    AwsCreds(AwsCreds),
    Credentials(ImportCredentials),
}

/// Move IAM users' keys from the credentials file into the OS keychain: each is proven from
/// the keychain before its two lines leave the file
#[derive(Debug, Args)]
pub struct ImportCredentials {
    /// The accounts [default: every profile with an IAM user's keys in a file]
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub accounts: Vec<String>,
}

/// The ec2switch layout: NAME.access_key, NAME.secret_key, NAME.user and an accounts JSON
#[derive(Debug, Args)]
pub struct AwsCreds {
    /// The directory [default: ~/aws-creds]
    pub dir: Option<PathBuf>,
    /// The JSON of names to `arn:aws:iam::ACCOUNT_ID:` [default: DIR/accounts.json]
    #[arg(long)]
    pub accounts: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
/// Set up or remove the virtual MFA device of an account's IAM user
pub enum MfaDevice {
    Setup(MfaDeviceSetup),
    Remove(MfaDeviceRemove),
}

/// Create a virtual MFA device, show its QR code, enable it with two codes from your
/// authenticator app, and save it as the profile's mfa_serial
#[derive(Debug, Args)]
pub struct MfaDeviceSetup {
    /// The account whose IAM user gets the device (default: the one selected in this shell)
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: Option<String>,
    /// The device's name [default: the IAM user's name]
    #[arg(long)]
    pub name: Option<String>,
    /// Also write the QR code to this new .png or .svg file (it holds the device's secret)
    #[arg(long)]
    pub qr_file: Option<PathBuf>,
    /// First delete a device of that name left unassigned by a setup that did not finish
    #[arg(long)]
    pub replace: bool,
}

/// Deactivate and delete the user's MFA device (with an MFA session, as AWS requires), and
/// remove mfa_serial from the profile
#[derive(Debug, Args)]
pub struct MfaDeviceRemove {
    /// The account whose IAM user loses the device (default: the one selected in this shell)
    #[arg(add = ArgValueCandidates::new(accounts))]
    pub account: Option<String>,
    /// The MFA code, instead of asking for it
    #[arg(long, env = "AWSENV_MFA_CODE", hide_env_values = true)]
    pub code: Option<String>,
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
    /// `--shell`, else the shell the settings name.
    pub fn or(&self, settings: &Settings) -> Shell {
        self.shell.unwrap_or(settings.shell)
    }
}

#[derive(Debug, Args)]
pub struct SessionArgs {
    /// Length of the session: 3600, 90m, 12h; a cached one of another length is not used
    /// [default: the profile's duration_seconds, else AWSENV_SESSION_DURATION for a user and
    /// AWSENV_ROLE_DURATION for a role, else AWS's: 12h for a user, 1h for a role]
    #[arg(long, value_parser = duration)]
    pub duration: Option<u32>,

    /// The MFA code, instead of asking for it
    #[arg(long, env = "AWSENV_MFA_CODE", hide_env_values = true)]
    pub code: Option<String>,

    /// Save an MFA device found for an account without mfa_serial into its profile
    #[arg(long)]
    pub save: bool,
}

impl SessionArgs {
    /// How the session is to be had; `force`: a new one even if one is cached (`awsenv mfa`).
    pub fn options(&self, force: bool) -> Options<'_> {
        Options {
            duration: self.duration,
            force,
            code: self.code.as_deref(),
            save: self.save,
        }
    }
}

/// `--region`: what the shell or command gets as AWS_REGION, instead of the profile's.
#[derive(Debug, Args)]
pub struct RegionArg {
    /// The region the shell or command gets (AWS_REGION, AWS_DEFAULT_REGION), instead of
    /// the profile's
    #[arg(long, value_parser = region)]
    pub region: Option<String>,
}

impl RegionArg {
    /// The account, with this region in place of its profile's.
    pub fn apply(&self, mut account: crate::profile::Account) -> crate::profile::Account {
        if let Some(region) = &self.region {
            account.region = Some(region.clone());
        }
        account
    }
}

fn region(text: &str) -> Result<String, String> {
    if crate::profile::shape::region(text) {
        Ok(text.to_owned())
    } else {
        Err("not a region (like eu-west-1)".into())
    }
}

fn duration(text: &str) -> Result<u32, String> {
    clock::parse_duration(text).map_err(|e| e.to_string())
}

/// The accounts of the AWS config, offered where a command takes an ACCOUNT.
fn accounts() -> Vec<CompletionCandidate> {
    Profiles::load(Settings::from_env().files)
        .map(|p| p.names().map(CompletionCandidate::new).collect())
        .unwrap_or_default()
}
