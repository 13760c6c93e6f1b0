//! `awsenv switch ACCOUNT` and `awsenv mfa [ACCOUNT]`: print the code that makes an account's
//! session this shell's credentials.

use super::{Context, Run};
use crate::cli::{self, RegionArg, SessionArgs, ShellArg};
use crate::clock;
use crate::error::{Result, fail};
use crate::profile::Profiles;
use crate::session::cache::Cache;
use crate::session::obtain;
use crate::ui::{self, say};
use crate::vars;

impl Run for cli::Switch {
    fn run(self, context: &Context) -> Result<()> {
        switch(
            context,
            &self.account,
            &self.output,
            &self.session,
            &self.region,
            false,
        )
    }
}

impl Run for cli::Mfa {
    fn run(self, context: &Context) -> Result<()> {
        let account = self
            .account
            .as_deref()
            .or(context.current.account())
            .ok_or_else(|| {
                fail!(
                    Config,
                    "no account is selected in this shell: run awsenv mfa ACCOUNT or awsenv \
                     switch ACCOUNT"
                )
            })?;
        switch(
            context,
            account,
            &self.output,
            &self.session,
            &self.region,
            true,
        )
    }
}

fn switch(
    context: &Context,
    name: &str,
    output: &ShellArg,
    args: &SessionArgs,
    region: &RegionArg,
    force: bool,
) -> Result<()> {
    ui::refuse_terminal(ui::SHELL_CODE)?;
    let settings = &context.settings;
    let account = region.apply(Profiles::load(settings.files.clone())?.account(name)?);
    let got = obtain::session(settings, &account, &args.options(force))?;
    say(&got.describe());
    let mut changes = vars::activate(&got.session, account.region.as_deref(), &context.current);
    let (expires, margin) = (got.session.expires_at(), settings.margin()?);
    changes.extend(vars::hook_state(
        &account.name,
        Some(expires),
        vars::next_check(Some(expires), margin, clock::now()),
        margin,
        &Cache::new(settings).file(&account.name),
    ));
    ui::out(&output.or(settings).render(&changes));
    Ok(())
}
