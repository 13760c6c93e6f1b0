//! `awsenv login ACCOUNT`: a signed AWS console URL for the account, from the federation
//! sign-in endpoint, opened in the browser (or printed with --print). An IAM user's console
//! session comes from GetFederationToken with the user's own rights; a role's from its role
//! session. The URL signs in whoever has it for a few minutes: it is the one output that
//! carries a credential, and goes only to the opener or to stdout when asked.

use super::{Context, Run};
use crate::aws::wire::url_encode;
use crate::aws::{Aws, Call, Credentials, Signer, iam};
use crate::cli;
use crate::error::{Result, fail};
use crate::profile::{Account, Keys, Profiles, Source};
use crate::session::obtain;
use crate::settings::Settings;
use crate::ui::{self, say};

/// GetFederationToken's limits, and the console's default for it.
const FEDERATION_LIMITS: (u32, u32) = (900, 129_600);
const FEDERATION_DEFAULT: u32 = 43_200;

impl Run for cli::Login {
    fn run(self, context: &Context) -> Result<()> {
        let settings = &context.settings;
        let account = Profiles::load(settings.files.clone())?.account(&self.account)?;
        let (credentials, session_duration) = match &account.source {
            Source::Keys(keys) => (federation_token(settings, &account, keys, &self)?, None),
            // Role credentials take SessionDuration: the console session lasts as long as the
            // role session has left, within the endpoint's 15m to 12h.
            Source::Role(_) => {
                let got = obtain::session(settings, &account, &self.session.options(false))?;
                let left = got.session.seconds_left().clamp(900, 43_200);
                (got.session.credentials(), u32::try_from(left).ok())
            }
        };
        let url = signin_url(settings, &account, credentials, session_duration, &self)?;
        if self.print {
            ui::out(&format!("{url}\n"));
            return Ok(());
        }
        open(&account.name, &url)
    }
}

/// An IAM user's console credentials: a federation token with the user's own rights, named
/// after the user (it shows in CloudTrail).
fn federation_token(
    settings: &Settings,
    account: &Account,
    keys: &Keys,
    args: &cli::Login,
) -> Result<Credentials> {
    let duration = args.session.duration.unwrap_or(FEDERATION_DEFAULT);
    let what = "a console session of an IAM user";
    obtain::within(&account.name, what, FEDERATION_LIMITS, duration)?;
    let aws = Aws::new(settings);
    // Within IAM's 32 characters for a federated user's name.
    let user = iam::user(&aws, account, keys)?.name;
    let call = Call::GetFederationToken {
        name: user.chars().take(32).collect(),
        duration_seconds: Some(duration),
    };
    let signer = Signer::Keys(account, keys);
    // The federation token's own duration is the console session's.
    let issued = aws
        .call(account, call, keys.credentials(), &signer)?
        .into_issued()?;
    Ok(Credentials {
        access_key_id: issued.access_key_id,
        secret_access_key: issued.secret_access_key,
        session_token: Some(issued.session_token),
    })
}

/// The console URL: a sign-in token from the federation endpoint of the account's
/// partition, for `credentials`.
fn signin_url(
    settings: &Settings,
    account: &Account,
    credentials: Credentials,
    session_duration: Option<u32>,
    args: &cli::Login,
) -> Result<String> {
    let partition = account.partition();
    let endpoint = settings
        .signin_url
        .clone()
        .unwrap_or_else(|| partition.federation.into());
    let call = Call::GetSigninToken {
        federation_url: endpoint.clone(),
        session_duration,
    };
    let signer = Signer::Session(account);
    let token = Aws::new(settings)
        .call(account, call, credentials, &signer)?
        .into_signin_token()?;
    Ok(format!(
        "{endpoint}?Action=login&Issuer=awsenv&Destination={}&SigninToken={}",
        url_encode(args.destination.as_deref().unwrap_or(partition.console)),
        url_encode(token.expose())
    ))
}

/// Hands the URL to the desktop's opener (an argument, as aws-vault does).
fn open(name: &str, url: &str) -> Result<()> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener).arg(url).status() {
        Ok(status) if status.success() => {
            say(&format!("{name}: opened the AWS console in your browser"));
            Ok(())
        }
        _ => Err(fail!(
            Failure,
            "{name}: could not open a browser with {opener}: run awsenv login {name} --print"
        )),
    }
}
