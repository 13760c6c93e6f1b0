//! `awsenv completions SHELL`: the registration script (see `completion`), for packagers.

use super::{Context, Run};
use crate::cli;
use crate::completion;
use crate::error::Result;

impl Run for cli::Completions {
    fn run(self, _: &Context) -> Result<()> {
        crate::ui::out(&completion::registration(self.shell));
        Ok(())
    }
}
