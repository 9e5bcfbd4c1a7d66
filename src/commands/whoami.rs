//! `hfx whoami`: the user and organizations behind the active token.

use std::process::ExitCode;

use serde::Serialize;

use crate::context::Context;
use crate::output::{Printer, Render};
use crate::settings::TokenSource;

#[derive(Serialize)]
struct WhoamiOutput {
    user: String,
    fullname: Option<String>,
    orgs: Vec<String>,
    endpoint: String,
    token_name: Option<String>,
    token_role: Option<String>,
    token_source: Option<TokenSource>,
}

impl Render for WhoamiOutput {
    fn human(&self, p: &Printer) -> String {
        let mut s = format!("user: {}\n", p.bold(&self.user));
        if !self.orgs.is_empty() {
            s.push_str(&format!("orgs: {}\n", self.orgs.join(", ")));
        }
        if let Some(n) = &self.token_name {
            s.push_str(&format!("token: {n}"));
            if let Some(r) = &self.token_role {
                s.push_str(&format!(" ({r})"));
            }
            s.push('\n');
        }
        if self.endpoint != crate::settings::DEFAULT_ENDPOINT {
            s.push_str(&format!("endpoint: {}\n", self.endpoint));
        }
        s
    }
}

pub(crate) async fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let me = client.whoami(None, &crate::hub::Silent).await?;
    let token = me.auth.as_ref().and_then(|a| a.access_token.as_ref());
    ctx.printer.emit(&WhoamiOutput {
        user: me.name.clone(),
        fullname: me.fullname.clone(),
        orgs: me.orgs.iter().map(|o| o.name.clone()).collect(),
        endpoint: ctx.settings.endpoint.clone(),
        token_name: token.and_then(|t| t.display_name.clone()),
        token_role: token.and_then(|t| t.role.clone()),
        token_source: ctx.settings.token_source,
    })?;
    Ok(ExitCode::SUCCESS)
}
