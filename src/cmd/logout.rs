//! `awsenv logout [ACCOUNT | --all]`: deletes cached sessions. Shells that use them notice at
//! their next prompt; the sessions themselves stay valid at AWS until they expire.

use super::{Context, Run};
use crate::cli;
use crate::error::{Result, fail};
use crate::session::cache::Cache;
use crate::ui::say;
use std::time::Duration;

impl Run for cli::Logout {
    fn run(self, context: &Context) -> Result<()> {
        let cache = Cache::new(&context.settings);
        if self.all {
            let mut removed = 0;
            for name in cache.accounts() {
                if cache.remove(&name)? {
                    removed += 1;
                }
            }
            say(&format!("removed {removed} cached session(s)"));
            return Ok(());
        }
        let account = self
            .account
            .as_deref()
            .or(context.current.account())
            .ok_or_else(|| {
                fail!(
                    Config,
                    "no account is selected in this shell: run awsenv logout ACCOUNT, or --all"
                )
            })?;
        // A renewal at work on the account would put a session back: let it finish first.
        let _lock = cache.lock_within(account, Duration::from_secs(2)).ok();
        if cache.remove(account)? {
            say(&format!("{account}: cached session removed"));
        } else {
            say(&format!("{account}: no cached session"));
        }
        Ok(())
    }
}
