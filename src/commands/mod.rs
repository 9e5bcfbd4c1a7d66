//! One file per subcommand: resolve inputs, call the domain modules, hand results to `output`.

mod auth;
mod bench;
mod cache;
pub mod completions;
mod convert;
mod dataset;
mod download;
mod env;
mod finetune;
mod login;
mod logout;
mod repo;
mod run;
mod search;
mod serve;
mod tokenize;
mod upload;
mod whoami;

mod refs;

use std::process::ExitCode;

pub(crate) use crate::app::{CatchInterrupt, interrupt_flag, take_interrupt};
use crate::cli::Command;
use crate::context::Context;
pub use crate::output::{Hinted, UsageError};
pub(crate) use crate::output::{hinted, usage};
pub(crate) use refs::{hub_repo, load_model, repo_type, resolve_model};

pub(crate) async fn dispatch(command: Command, ctx: &Context) -> anyhow::Result<ExitCode> {
    match command {
        Command::Login(args) => login::run(ctx, args).await,
        Command::Logout(args) => logout::run(ctx, args),
        Command::Whoami => whoami::run(ctx).await,
        Command::Auth(args) => auth::run(ctx, args),
        Command::Search(args) => search::run(ctx, args).await,
        Command::Download(args) => download::run(ctx, args).await,
        Command::Cache(args) => cache::run(ctx, args).await,
        Command::Env => env::run(ctx),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(ctx, args),
        Command::Upload(args) => upload::run(ctx, args).await,
        Command::Repo(args) => repo::run(ctx, args).await,
        Command::Dataset(a) => dataset::run(ctx, a).await,
        Command::Tokenize(a) => tokenize::run(ctx, a).await,
        Command::Run(a) => run::run(ctx, a).await,
        Command::Convert(a) => convert::run(ctx, a).await,
        Command::Bench(a) => bench::run(ctx, a).await,
        Command::Finetune(a) => finetune::run(ctx, *a).await,
        Command::Serve(a) => serve::run(ctx, a).await,
    }
}
