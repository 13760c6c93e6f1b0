//! `awsenv prompt`: the prompt segment (see `segment`) for other prompt engines.

use super::{Context, Run};
use crate::cli;
use crate::error::Result;
use crate::segment::{self, Flavor};

impl Run for cli::Prompt {
    fn run(self, context: &Context) -> Result<()> {
        if let Some(segment) = segment::current(&context.current, &context.settings, Flavor::Ansi) {
            crate::ui::out(&format!("{segment}\n"));
        }
        Ok(())
    }
}
