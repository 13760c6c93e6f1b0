//! `awsenv switch ACCOUNT` and `awsenv mfa [ACCOUNT]`: print the code that makes an account's
//! session this shell's credentials.

use super::env;
use crate::cli::SessionArgs;
use crate::clock;
use crate::error::{Result, fail};
use crate::obtain;
use crate::shell::Shell;
use crate::ui::{self, say};
use crate::vars;

pub fn run(account: &str, shell: Shell, args: &SessionArgs, force: bool) -> Result<()> {
    let (account, cache, got) = super::session(account, args, force)?;
    say(&got.describe());
    let mut changes = vars::activate(&got.session, account.region.as_deref(), env);
    changes.extend(vars::hook_state(
        Some(got.session.expires_at()),
        obtain::margin()?,
        &cache.file(&account.name),
        clock::now(),
    ));
    ui::out(&shell.render(&changes));
    Ok(())
}

pub fn run_mfa(account: Option<String>, shell: Shell, args: &SessionArgs) -> Result<()> {
    let account = account.or_else(|| env(vars::ACCOUNT)).ok_or_else(|| {
        fail!(
            Config,
            "no account is selected in this shell: run awsenv mfa ACCOUNT or awsenv switch ACCOUNT"
        )
    })?;
    run(&account, shell, args, true)
}
