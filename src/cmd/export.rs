//! `awsenv export ACCOUNT --format F`: the session for places without the shell integration:
//! another shell's syntax, a .env file, Windows cmd, or JSON in the AWS CLI's
//! credential_process schema. A profile with `credential_process = awsenv export ACCOUNT
//! --format json` thus gets awsenv's cached sessions in the AWS CLI, boto3 and the SDKs,
//! renewed when needed, with the MFA code asked for on the terminal.

use super::{Context, Run};
use crate::cli::{self, Format};
use crate::error::{Result, fail};
use crate::profile::Profiles;
use crate::session::Session;
use crate::session::obtain;
use crate::shell::{Change, Shell};
use crate::ui::{self, say};
use crate::vars;

impl Run for cli::Export {
    fn run(self, context: &Context) -> Result<()> {
        ui::refuse_terminal(
            "this prints your credentials: send them to a file or a program (> .env, | ...), \
             not to the screen",
        )?;
        let settings = &context.settings;
        let account = self
            .region
            .apply(Profiles::load(settings.files.clone())?.account(&self.account)?);
        let got = obtain::session(settings, &account, &self.session.options(false))?;
        if !got.cached {
            say(&got.describe());
        }
        ui::out(&render(
            self.format,
            &got.session,
            account.region.as_deref(),
        )?);
        Ok(())
    }
}

/// The session (and region) in one format.
fn render(format: Format, session: &Session, region: Option<&str>) -> Result<String> {
    let vars = vars::exported(session, region);
    let shell = |shell: Shell| {
        let changes: Vec<Change> = vars
            .iter()
            .map(|(name, value)| Change::Set((*name).into(), value.clone()))
            .collect();
        shell.render(&changes)
    };
    let lines = |line: &dyn Fn(&str, &str) -> Result<String>| -> Result<String> {
        vars.iter().map(|(name, value)| line(name, value)).collect()
    };
    let text = match format {
        Format::Bash => shell(Shell::Bash),
        Format::Zsh => shell(Shell::Zsh),
        Format::Fish => shell(Shell::Fish),
        Format::Powershell => shell(Shell::Powershell),
        Format::Env => lines(&|name, value| Ok(format!("{name}={}\n", one_line(name, value)?)))?,
        Format::Dotenv => lines(&|name, value| Ok(format!("{name}={}\n", dotenv(name, value)?)))?,
        Format::Cmd => {
            lines(&|name, value| Ok(format!("set \"{name}={}\"\r\n", cmd(name, value)?)))?
        }
        Format::Json => {
            let json = serde_json::json!({
                "Version": 1,
                "AccessKeyId": session.access_key_id,
                "SecretAccessKey": session.secret_access_key.expose(),
                "SessionToken": session.session_token.expose(),
                "Expiration": session.expiration_here(),
            });
            format!("{json}\n")
        }
    };
    Ok(text)
}

/// `env` lines cannot carry a line break.
fn one_line<'a>(name: &str, value: &'a str) -> Result<&'a str> {
    if value.contains(['\n', '\r', '\0']) {
        return Err(fail!(
            Config,
            "{name} holds a line break, which --format env cannot carry"
        ));
    }
    Ok(value)
}

/// A .env line's value, for its three common readers: `set -a; . ./.env` in sh, python-dotenv
/// and docker compose. Bare when all three read it back as it is; else in single quotes, inside
/// which sh and compose take every character let through here literally (double quotes would
/// not do: sh and Ruby's dotenv run `$(...)` and backticks inside them). python-dotenv reads
/// `\` as an escape even there and expands `${...}`, compose skips `\'`, and python-dotenv
/// cannot parse sh's `'\''`; so a value with `'`, `\`, `${` or a control character (which the
/// readers split into lines differently) is refused.
fn dotenv(name: &str, value: &str) -> Result<String> {
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/=:._-".contains(&b));
    if plain && !value.is_empty() {
        return Ok(value.to_owned());
    }
    if value.contains(['\'', '\\']) || value.contains("${") || value.chars().any(char::is_control) {
        return Err(fail!(
            Config,
            "{name} holds a quote, a backslash, a ${{ or a control character, which no .env \
             quoting keeps as it is for every reader; use --format json or a shell's format"
        ));
    }
    Ok(format!("'{value}'"))
}

/// cmd.exe has no quoting that survives every character: refuse the ones it would act on.
fn cmd<'a>(name: &str, value: &'a str) -> Result<&'a str> {
    if value.contains(['"', '%', '!', '^', '&', '|', '<', '>'])
        || value.chars().any(char::is_control)
    {
        return Err(fail!(
            Config,
            "{name} holds a character cmd.exe would act on; use --format powershell"
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use clap::ValueEnum;

    /// Every format of a fixed session, against tests/golden/export/FORMAT.
    #[test]
    fn formats_match_the_golden_files() {
        let session = Session {
            version: crate::session::VERSION,
            account: "personal".into(),
            kind: crate::session::SessionKind::Mfa,
            access_key_id: "ASIAEXAMPLEEXAMPLE01".into(),
            secret_access_key: Secret::new("not+a/real=secret"),
            session_token: Secret::new("not-a-real-token+/=="),
            expiration: "2026-11-21T20:52:51Z".into(),
            identity: "arn:aws:iam::123456789012:user/alice".into(),
            mfa_serial: None,
            origin: "key:AKIA".into(),
            asked: None,
            clock_offset: 0,
        };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/export");
        for format in Format::value_variants() {
            let name = format.to_possible_value().unwrap().get_name().to_owned();
            let rendered = render(*format, &session, Some("eu-west-1")).unwrap();
            let golden = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
            assert!(
                rendered == golden,
                "{name} differs from its golden file:\n{rendered}"
            );
        }
    }

    #[test]
    fn dotenv_quotes_only_what_needs_it() {
        let quoted = |value| dotenv("AWS_REGION", value).unwrap();
        assert_eq!(quoted("ASIA+/=x"), "ASIA+/=x");
        assert_eq!(quoted(""), "''");
        // Inside single quotes no reader runs or expands anything.
        assert_eq!(quoted("$(touch x)"), "'$(touch x)'");
        assert_eq!(quoted("`touch x`"), "'`touch x`'");
        assert_eq!(quoted("a b\"c #d $HOME"), "'a b\"c #d $HOME'");
        for refused in [
            "it's", "a\\b", "${HOME}", "a\nB=x", "a\rb", "a\u{1b}b", "\0",
        ] {
            let e = dotenv("AWS_SESSION_TOKEN", refused).unwrap_err();
            assert_eq!(e.kind.exit_code(), 3);
            assert!(e.to_string().starts_with("AWS_SESSION_TOKEN holds"), "{e}");
        }
    }

    #[test]
    fn cmd_refuses_what_it_cannot_quote() {
        assert!(cmd("AWS_REGION", "eu-west-1").is_ok());
        assert!(cmd("AWS_REGION", "x%PATH%").is_err());
    }
}
