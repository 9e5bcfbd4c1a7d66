//! `hfx upload`: a file or folder to a Hub repository; prints the commit URL.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::UploadArgs;
use crate::context::Context;
use crate::hub::upload::{UploadOptions, UploadOutcome, UploadRequest, Uploader};
use crate::output::{Printer, Render, UploadProgress, human_bytes};

#[derive(Serialize)]
struct Output<'a>(&'a UploadOutcome);

impl Render for Output<'_> {
    fn human(&self, p: &Printer) -> String {
        let o = self.0;
        p.info(&format!(
            "{} commit(s): {} file(s) committed, {} unchanged, {} deleted, {} of LFS data sent",
            o.commits,
            o.files_committed,
            o.files_unchanged,
            o.files_deleted,
            human_bytes(o.lfs_bytes_uploaded)
        ));
        match (&o.pr_url, &o.commit_url) {
            (Some(pr), _) => format!("{pr}\n"),
            (None, Some(url)) => format!("{url}\n"),
            (None, None) => {
                p.info("everything is already up to date: nothing to commit");
                String::new()
            }
        }
    }
}

pub(crate) async fn run(ctx: &Context, args: UploadArgs) -> anyhow::Result<ExitCode> {
    let (repo, rev, path) = super::hub_repo(&args.repo, args.repo_type)?;
    if path.is_some() {
        return Err(super::usage("give the destination path as the third argument, not in the URI"));
    }
    if rev.is_some() && args.revision.is_some() {
        return Err(super::usage("give the revision either as `@rev` or with `--revision`, not both"));
    }
    let req = UploadRequest {
        repo,
        revision: rev.or(args.revision).unwrap_or_else(|| "main".into()),
        local: args.local_path.unwrap_or_else(|| PathBuf::from(".")),
        path_in_repo: args.path_in_repo,
        include: args.include,
        exclude: args.exclude,
        delete: args.delete,
        commit_message: args.commit_message,
        commit_description: args.commit_description,
        create_pr: args.create_pr,
        private: args.private,
    };
    let client = ctx.client()?;
    let progress = UploadProgress::new(ctx.printer.progress, ctx.printer.quiet > 0);
    let opts =
        UploadOptions { xet: crate::hub::xet::AVAILABLE && !ctx.settings.disable_xet, ..UploadOptions::default() };
    let outcome = Uploader::new(&client, opts, &progress).upload(&req).await?;
    ctx.printer.emit(&Output(&outcome))?;
    Ok(ExitCode::SUCCESS)
}
