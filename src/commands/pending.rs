//! Subcommands whose issues have not landed yet: a clear failure, never a silent success.

use std::process::ExitCode;

pub(crate) fn run(name: &str, issue: u32) -> anyhow::Result<ExitCode> {
    let hint = if issue > 0 {
        format!("`hfx {name}` is tracked in issue #{issue}; `hfx download` and `hfx cache` work today")
    } else {
        format!("`hfx {name}` is planned; `hfx download` and `hfx cache` work today")
    };
    Err(super::hinted(format!("`hfx {name}` is not implemented yet"), hint))
}
