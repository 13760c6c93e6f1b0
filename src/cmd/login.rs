//! `awsenv login ACCOUNT`: a signed AWS console URL for the account, from the federation
//! sign-in endpoint, opened in the browser (or printed with --print). An IAM user's console
//! session comes from GetFederationToken with the user's own rights; a role's from its role
//! session. The URL signs in whoever has it for a few minutes: it is the one output that
//! carries a credential, and goes only to the opener or to stdout when asked.

use crate::aws::{self, Call, Reply, Signer, url_encode};
use crate::cli::SessionArgs;
use crate::error::{Result, fail};
use crate::iam;
use crate::obtain;
use crate::profile::{Files, Profiles, Source};
use crate::ui::{self, say};

const FEDERATION: &str = "https://signin.aws.amazon.com/federation";
const CONSOLE: &str = "https://console.aws.amazon.com/";
/// GetFederationToken's limits, and the console's default for it.
const FEDERATION_LIMITS: (u32, u32) = (900, 129_600);
const FEDERATION_DEFAULT: u32 = 43_200;

pub fn run(name: &str, print: bool, destination: Option<String>, args: &SessionArgs) -> Result<()> {
    let profiles = Profiles::load(Files::from_env())?;
    let account = profiles.account(name)?;
    let (credentials, session_duration) = match &account.source {
        Source::Keys(keys) => {
            let duration = args.duration.unwrap_or(FEDERATION_DEFAULT);
            let what = "a console session of an IAM user";
            obtain::within(name, what, FEDERATION_LIMITS, duration)?;
            // The token's name shows in CloudTrail: the user's, within IAM's 32 characters.
            let user = iam::user(&account, keys)?.name;
            let call = Call::GetFederationToken {
                name: user.chars().take(32).collect(),
                duration_seconds: Some(duration),
            };
            match aws::call(
                &account,
                call,
                keys.credentials(),
                &Signer::Keys(&account, keys),
            )? {
                // The federation token's own duration is the console session's.
                Reply::Issued(issued) => (
                    aws::Credentials {
                        access_key_id: issued.access_key_id,
                        secret_access_key: issued.secret_access_key,
                        session_token: Some(issued.session_token),
                    },
                    None,
                ),
                other => return Err(iam::unexpected(&other)),
            }
        }
        // Role credentials take SessionDuration: the console session lasts as long as the
        // role session has left, within the endpoint's 15m to 12h.
        Source::Role(_) => {
            let (_, _, got) = super::session(name, args, false)?;
            let left = got.session.seconds_left().clamp(900, 43_200);
            (got.session.credentials(), u32::try_from(left).ok())
        }
    };
    let endpoint = std::env::var("AWSENV_SIGNIN_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| FEDERATION.into());
    let call = Call::GetSigninToken {
        federation_url: endpoint.clone(),
        session_duration,
    };
    let token = match aws::call(&account, call, credentials, &Signer::Session(&account))? {
        Reply::SigninToken(token) => token,
        other => return Err(iam::unexpected(&other)),
    };
    let url = format!(
        "{endpoint}?Action=login&Issuer=awsenv&Destination={}&SigninToken={}",
        url_encode(destination.as_deref().unwrap_or(CONSOLE)),
        url_encode(token.expose())
    );
    if print {
        ui::out(&format!("{url}\n"));
        return Ok(());
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener).arg(&url).status() {
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
