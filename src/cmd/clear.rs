//! `awsenv clear`: the code that drops every variable awsenv set in this shell and puts back
//! what it replaced.

use super::{Context, Run};
use crate::cli;
use crate::error::Result;
use crate::ui;
use crate::vars;

impl Run for cli::Clear {
    fn run(self, context: &Context) -> Result<()> {
        ui::refuse_terminal(ui::SHELL_CODE)?;
        let shell = self.output.or(&context.settings);
        ui::out(&shell.render(&vars::clear(&context.current)));
        Ok(())
    }
}
