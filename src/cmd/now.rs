//! `awsenv now`: what this shell has, read from its environment alone (no network, no
//! cache): account, session kind, identity, region and time left. Never a secret.

use super::{Context, Run};
use crate::cli;
use crate::clock;
use crate::error::Result;
use crate::session::SessionKind;
use crate::ui::{self, printable};

impl Run for cli::Now {
    fn run(self, context: &Context) -> Result<()> {
        now(context, self.json)
    }
}

fn now(context: &Context, json: bool) -> Result<()> {
    let current = &context.current;
    let account = current.account();
    let credentials = current.has_credentials();
    let expiration = current.expiration();
    let left = expiration
        .as_deref()
        .and_then(clock::parse_rfc3339)
        .map(|at| at - clock::now());
    let kind = current.kind();
    let identity = current.identity();
    let region = current.region();

    if json {
        let value = serde_json::json!({
            "account": account,
            "credentials": credentials,
            "kind": kind.map(SessionKind::as_str),
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
        _ if !credentials => format!("expired: run awsenv switch {}", printable(account)),
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
        printable(account),
        kind.map_or("-", SessionKind::describe),
        identity.as_deref().map_or_else(dash, printable),
        region.as_deref().map_or_else(dash, printable),
    ));
    Ok(())
}
