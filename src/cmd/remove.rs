//! `awsenv remove ACCOUNT [--sessions-only]`: forgets a user's key, as aws-vault's remove does.
//! The keychain item goes (unless another profile names the same key), the profile stops
//! naming it, and the cached sessions made from it go: the user's own and its roles'. It asks
//! first unless `--force`. Keys in a shared file are the user's to edit: awsenv does not
//! delete them.

use super::{Context, Run};
use crate::cli;
use crate::error::{Result, fail};
use crate::keychain::{self, Keychain};
use crate::mfa::Terminal;
use crate::profile::{KEYCHAIN, Kept, Profiles, Source, edit};
use crate::session::cache::Cache;
use crate::ui::say;

impl Run for cli::Remove {
    fn run(self, context: &Context) -> Result<()> {
        let settings = &context.settings;
        let name = &self.account;
        let profiles = Profiles::load(settings.files.clone())?;
        let account = profiles.account(name)?;
        let keys = match &account.source {
            Source::Keys(keys) => keys,
            Source::Role(role) => {
                return Err(fail!(
                    Config,
                    "{name} is a role, whose sessions come from the key of {0}: awsenv remove {0}",
                    role.from.name
                ));
            }
        };
        let id = &keys.access_key_id;
        let cache = Cache::new(settings);
        let sessions = cache.made_from(id).len();
        let ask = |question: String| -> Result<bool> {
            if self.force {
                return Ok(true);
            }
            let mut terminal = Terminal::open().ok_or_else(|| {
                fail!(
                    Usage,
                    "{name}: remove asks first, and there is no terminal to ask on: pass --force"
                )
            })?;
            terminal.confirm(name, &question)
        };
        if self.sessions_only {
            if sessions == 0 {
                say(&format!("{name}: no cached session was made from key {id}"));
                return Ok(());
            }
            if !ask(format!(
                "Delete the {sessions} cached session(s) made from key {id} of {name}?"
            ))? {
                say(&format!("{name}: nothing was deleted"));
                return Ok(());
            }
            let dropped = cache.drop_made_from(id);
            say(&format!(
                "{name}: {dropped} cached session(s) made from key {id} are deleted"
            ));
            return Ok(());
        }
        let Kept::Keychain { file } = &keys.kept else {
            return Err(fail!(
                Config,
                "{name}: its key {id} is {}, not in {}: awsenv deletes only keys it keeps (remove \
                 --sessions-only drops the sessions)",
                keys.whereabouts(),
                keychain::NAME
            ));
        };
        if !ask(format!(
            "Delete key {id} of {name} from {} and {sessions} cached session(s) made from it?",
            keychain::NAME
        ))? {
            say(&format!("{name}: nothing was deleted"));
            return Ok(());
        }
        // The item first: should the keychain fail, the profile still names a key it holds.
        let others: Vec<String> = profiles
            .using_key(id)
            .into_iter()
            .filter(|n| n != name)
            .collect();
        let item = if others.is_empty() {
            match Keychain::new(settings).delete(id)? {
                true => format!("is deleted from {}", keychain::NAME),
                false => format!("was not in {}", keychain::NAME),
            }
        } else {
            format!("stays in {} for {}", keychain::NAME, others.join(", "))
        };
        let kind = if *file == settings.files.config {
            edit::FileKind::Config
        } else {
            edit::FileKind::Credentials
        };
        edit::edit_file(file, kind, name, &[(KEYCHAIN, None)])?;
        // Others still use sessions made from the key; this profile's own is of no use now.
        let dropped = if others.is_empty() {
            cache.drop_made_from(id)
        } else {
            usize::from(cache.remove(name)?)
        };
        say(&format!(
            "{name}: key {id} {item}, profile {name} in {} no longer names it, and {dropped} \
             cached session(s) are deleted",
            file.display()
        ));
        Ok(())
    }
}
