//! `awsenv renew ACCOUNT`: the renewal the prompt hook starts and forgets. It runs in a
//! session of its own with nowhere to write, so it says nothing: the note it leaves beside the
//! cache file (`session::renewal`) is how the shells learn that it failed, and why.

use super::{Context, Run};
use crate::cli;
use crate::error::Result;
use crate::profile::Profiles;
use crate::session::renewal;

impl Run for cli::Renew {
    fn run(self, context: &Context) -> Result<()> {
        let settings = &context.settings;
        let account = Profiles::load(settings.files.clone())?.account(&self.account)?;
        if renewal::enabled(settings, &account) {
            renewal::renew(settings, &account, renewal::WORKER_PATIENCE);
        }
        Ok(())
    }
}
