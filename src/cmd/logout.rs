//! `awsenv logout [ACCOUNT | --all]`: deletes cached sessions. Shells that use them notice at
//! their next prompt; the sessions themselves stay valid at AWS until they expire.

use super::env;
use crate::cache::Cache;
use crate::error::{Result, fail};
use crate::ui::say;
use crate::vars;

pub fn run(account: Option<String>, all: bool) -> Result<()> {
    let cache = Cache::from_env();
    if all {
        let mut removed = 0;
        for name in cache.accounts() {
            if cache.remove(&name)? {
                removed += 1;
            }
        }
        say(&format!("removed {removed} cached session(s)"));
        return Ok(());
    }
    let account = account.or_else(|| env(vars::ACCOUNT)).ok_or_else(|| {
        fail!(
            Config,
            "no account is selected in this shell: run awsenv logout ACCOUNT, or --all"
        )
    })?;
    if cache.remove(&account)? {
        say(&format!("{account}: cached session removed"));
    } else {
        say(&format!("{account}: no cached session"));
    }
    Ok(())
}
