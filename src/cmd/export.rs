//! `awsenv export ACCOUNT --format F`: the session for places without the shell integration:
//! another shell's syntax, a .env file, Windows cmd, or JSON in the AWS CLI's
//! credential_process schema. A profile with `credential_process = awsenv export ACCOUNT
//! --format json` thus gets awsenv's cached sessions in the AWS CLI, boto3 and the SDKs,
//! renewed when needed, with the MFA code asked for on the terminal.

use crate::cli::{Format, SessionArgs};
use crate::error::{Result, fail};
use crate::shell::{Change, Shell};
use crate::ui::{self, say};
use crate::vars;

pub fn run(account: &str, format: Format, args: &SessionArgs) -> Result<()> {
    let (account, _, got) = super::session(account, args, false)?;
    if !got.cached {
        say(&got.describe());
    }
    let session = &got.session;
    let vars = vars::exported(session, account.region.as_deref());
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
        Format::Dotenv => lines(&|name, value| Ok(format!("{name}={}\n", dotenv(value))))?,
        Format::Cmd => {
            lines(&|name, value| Ok(format!("set \"{name}={}\"\r\n", cmd(name, value)?)))?
        }
        Format::Json => {
            let json = serde_json::json!({
                "Version": 1,
                "AccessKeyId": session.access_key_id,
                "SecretAccessKey": session.secret_access_key.expose(),
                "SessionToken": session.session_token.expose(),
                "Expiration": session.expiration,
            });
            format!("{json}\n")
        }
    };
    ui::out(&text);
    Ok(())
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

/// Bare when plain, else double-quoted with the escapes dotenv readers know.
fn dotenv(value: &str) -> String {
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/=:._-".contains(&b));
    if plain && !value.is_empty() {
        return value.to_owned();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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

    #[test]
    fn dotenv_quotes_only_what_needs_it() {
        assert_eq!(dotenv("ASIA+/=x"), "ASIA+/=x");
        assert_eq!(dotenv("a b\"c\\\n"), "\"a b\\\"c\\\\\\n\"");
        assert_eq!(dotenv(""), "\"\"");
    }

    #[test]
    fn cmd_refuses_what_it_cannot_quote() {
        assert!(cmd("AWS_REGION", "eu-west-1").is_ok());
        assert!(cmd("AWS_REGION", "x%PATH%").is_err());
    }
}
