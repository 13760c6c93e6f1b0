//! `awsenv now`: what this shell has, read from its environment alone (no network, no
//! cache): account, session kind, identity, region and time left. Never a secret.

use super::env;
use crate::clock;
use crate::error::Result;
use crate::session::Kind;
use crate::ui::{self, printable};
use crate::vars;

pub fn run(json: bool) -> Result<()> {
    let account = env(vars::ACCOUNT);
    let credentials = env("AWS_ACCESS_KEY_ID").is_some();
    let expiration = env("AWS_CREDENTIAL_EXPIRATION");
    let left = expiration
        .as_deref()
        .and_then(clock::parse_rfc3339)
        .map(|at| at - clock::now());
    let kind = env(vars::KIND).as_deref().and_then(Kind::parse);
    let identity = env(vars::IDENTITY);
    let region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));

    if json {
        let value = serde_json::json!({
            "account": account,
            "credentials": credentials,
            "kind": kind.map(Kind::as_str),
            "identity": identity,
            "region": region,
            "expiration": expiration,
            "seconds_left": left,
        });
        ui::out(&format!("{}\n", ui::json_safe(&value.to_string())));
        return Ok(());
    }
    let Some(account) = account else {
        ui::out(if credentials {
            "AWS credentials are set, but not by awsenv\n"
        } else {
            "No credentials set\n"
        });
        return Ok(());
    };
    let dash = || "-".to_owned();
    let status = match left {
        _ if !credentials => format!("expired: run awsenv switch {}", printable(&account)),
        Some(secs) if secs <= 0 => format!(
            "{} (expired {} ago)",
            expiration.unwrap_or_default(),
            clock::human(-secs)
        ),
        Some(secs) => format!(
            "{} ({} left)",
            expiration.unwrap_or_default(),
            clock::human(secs)
        ),
        None => dash(),
    };
    ui::out(&format!(
        "account   {}\nkind      {}\nidentity  {}\nregion    {}\nexpires   {status}\n",
        printable(&account),
        kind.map_or("-", Kind::describe),
        identity.map_or_else(dash, |i| printable(&i)),
        region.map_or_else(dash, |r| printable(&r)),
    ));
    Ok(())
}
