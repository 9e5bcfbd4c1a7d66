//! `hfx auth list|switch`: stored tokens, as `hf auth` does.

use std::process::ExitCode;

use serde::Serialize;

use crate::cli::{AuthArgs, AuthCommand};
use crate::context::Context;
use crate::output::{Printer, Render, Table};

#[derive(Serialize)]
struct TokenRow {
    name: String,
    token: String,
    active: bool,
}

#[derive(Serialize)]
#[serde(transparent)]
struct TokenList(Vec<TokenRow>);

impl Render for TokenList {
    fn human(&self, p: &Printer) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let mut t = Table::new(["", "NAME", "TOKEN"]);
        for r in &self.0 {
            t.row([if r.active { "*" } else { "" }, r.name.as_str(), r.token.as_str()]);
        }
        t.render(p.width())
    }
}

pub(crate) fn run(ctx: &Context, args: AuthArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.token_store();
    let p = &ctx.printer;
    match args.command {
        AuthCommand::List => {
            let list = store.list()?;
            if list.is_empty() && !p.is_json() {
                p.info("no stored tokens; log in with `hfx login`");
            }
            // Tokens are masked: `hf_****abcd`.
            p.emit(&TokenList(
                list.into_iter()
                    .map(|t| TokenRow { token: t.token.masked(), name: t.name, active: t.active })
                    .collect(),
            ))?;
        }
        AuthCommand::Switch(s) => {
            let name = match s.token_name {
                Some(n) => n,
                None => {
                    let names: Vec<String> = store.list()?.into_iter().map(|t| t.name).collect();
                    if names.is_empty() {
                        return Err(super::hinted("no stored tokens", "log in with `hfx login` first"));
                    }
                    match p.select("Which token?", &names, 0)? {
                        Some(i) => names[i].clone(),
                        None => return Err(super::usage("`--token-name` is required when stdin is not a terminal")),
                    }
                }
            };
            store.switch(&name)?;
            p.success(&format!("switched to token `{name}`"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
