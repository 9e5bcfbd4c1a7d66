//! `hfx login`: validate a token with whoami-v2 and store it like huggingface_hub.

use std::process::ExitCode;

use serde::Serialize;

use crate::cli::LoginArgs;
use crate::context::Context;
use crate::hub::HubError;
use crate::output::{Printer, Render};
use crate::settings::Secret;

#[derive(Serialize)]
struct LoginOutput {
    user: String,
    token_name: String,
    token_path: std::path::PathBuf,
}

impl Render for LoginOutput {
    fn human(&self, _p: &Printer) -> String {
        String::new()
    }
}

pub(crate) async fn run(ctx: &Context, args: LoginArgs) -> anyhow::Result<ExitCode> {
    let p = &ctx.printer;
    let store = ctx.token_store();
    let explicit = ctx.global.token.clone();
    let raw = match explicit {
        Some(t) => t,
        None => {
            if !args.force && store.active().is_some() && p.stdin_tty {
                p.info("a token is already stored; use `--force` to replace it");
                return Ok(ExitCode::SUCCESS);
            }
            match p.password("Enter your Hugging Face token (input is hidden)")? {
                Some(t) => t,
                None => p.read_stdin()?,
            }
        }
    };
    let token = raw.trim();
    if token.is_empty() {
        return Err(super::hinted(
            "no token given",
            "pass `--token`, pipe it on stdin (`echo $TOKEN | hfx login`), or run `hfx login` in a terminal",
        ));
    }
    if token.starts_with("api_org") {
        return Err(super::hinted(
            "organization tokens (`api_org...`) cannot be used to log in",
            "create a user access token at https://huggingface.co/settings/tokens",
        ));
    }
    let secret = Secret::new(token);
    let client = ctx.client()?;
    let me = client.whoami(Some(&secret), &crate::hub::Silent).await.map_err(|e| match e {
        HubError::NotLoggedIn => HubError::InvalidToken { message: "empty token".into() },
        other => other,
    })?;
    let name = me
        .auth
        .as_ref()
        .and_then(|a| a.access_token.as_ref())
        .and_then(|t| t.display_name.clone())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "token".into());
    store.save(&name, &secret)?;
    if p.is_json() {
        p.emit(&LoginOutput { user: me.name.clone(), token_name: name, token_path: store.token_path.clone() })?;
    } else {
        p.success(&format!(
            "logged in as `{}`; token `{name}` saved to {} and made active",
            me.name,
            store.token_path.display()
        ));
    }
    if std::env::var(crate::settings::vars::HF_TOKEN).is_ok_and(|t| !t.trim().is_empty()) {
        p.warn("`HF_TOKEN` is set and takes precedence over the stored token");
    }
    Ok(ExitCode::SUCCESS)
}
