//! `hfx logout`: remove the active token (and stored tokens), or one named token.

use std::process::ExitCode;

use crate::cli::LogoutArgs;
use crate::context::Context;

pub(crate) fn run(ctx: &Context, args: LogoutArgs) -> anyhow::Result<ExitCode> {
    let p = &ctx.printer;
    let removed = ctx.token_store().logout(args.token_name.as_deref())?;
    match (&args.token_name, removed) {
        (Some(name), _) => p.success(&format!("removed stored token `{name}`")),
        (None, true) => p.success("logged out: removed the active token and all stored tokens"),
        (None, false) => p.info("not logged in: no token was stored"),
    }
    if std::env::var(crate::settings::vars::HF_TOKEN).is_ok_and(|t| !t.trim().is_empty()) {
        p.warn("`HF_TOKEN` is still set in the environment, so requests stay authenticated");
    }
    Ok(ExitCode::SUCCESS)
}
