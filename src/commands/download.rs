//! `hfx download`: a snapshot or files into the shared cache (or `--local-dir`); the path goes
//! to stdout so `$(hfx download ...)` works.

use std::process::ExitCode;

use serde::Serialize;

use crate::cache::{ModelRef, RepoType};
use crate::cli::DownloadArgs;
use crate::context::Context;
use crate::hub::download::{DownloadOutcome, Downloader, FileState, SnapshotRequest};
use crate::output::{DownloadProgress, Printer, Render, Table, human_bytes};

#[derive(Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    outcome: &'a DownloadOutcome,
    dry_run: bool,
}

impl Render for Output<'_> {
    fn human(&self, p: &Printer) -> String {
        if !self.dry_run {
            return format!("{}\n", self.outcome.path.display());
        }
        let todo: Vec<_> = self.outcome.files.iter().filter(|f| f.status == FileState::Planned).collect();
        let bytes: u64 = todo.iter().map(|f| f.size).sum();
        p.info(&format!(
            "will download {} file(s) (out of {} selected, {} in the repository) totalling {}",
            todo.len(),
            self.outcome.files.len(),
            self.outcome.total_files,
            human_bytes(bytes)
        ));
        let mut t = Table::new(["FILE", "SIZE", "STATUS"]);
        for f in &self.outcome.files {
            let status = if f.status == FileState::Planned { "to download" } else { "cached" };
            t.row([f.path.clone(), human_bytes(f.size), status.to_string()]);
        }
        t.render(p.width())
    }
}

pub(crate) async fn run(ctx: &Context, args: DownloadArgs) -> anyhow::Result<ExitCode> {
    let default_type = args.repo_type.map_or(RepoType::Model, super::repo_type);
    // `org/repo:Q4_K_M`: one quantization of a GGUF repository, as llama.cpp's `-hf` takes it.
    let (reference, tag) = crate::cache::split_quant_tag(&args.repo);
    if tag.is_some() && !args.files.is_empty() {
        return Err(super::usage("a `:TAG` picks the file; do not name files as well"));
    }
    let (repo, revision, uri_path) = match ModelRef::parse(reference, default_type)? {
        ModelRef::Hub { repo, revision, path } => {
            if args.repo.starts_with("hf://") && (args.repo_type.is_some() || args.revision.is_some()) {
                return Err(super::usage(
                    "`--repo-type` and `--revision` cannot be combined with an `hf://` URI (put them in the URI)",
                ));
            }
            if revision.is_some() && args.revision.is_some() {
                return Err(super::usage("give the revision either as `@rev` or with `--revision`, not both"));
            }
            (repo, revision.or(args.revision.clone()).unwrap_or_else(|| "main".into()), path)
        }
        ModelRef::Local(p) => {
            return Err(super::hinted(
                format!("`{}` is a local path, not a repository id", p.display()),
                "use `org/name` or `hf://datasets/org/name`",
            ));
        }
    };
    let client = ctx.client()?;
    let cache = ctx.cache();
    let opts = ctx.download_options(usize::from(args.max_workers), args.force);
    let progress = DownloadProgress::new(ctx.printer.progress && !args.dry_run, ctx.printer.quiet > 0);
    let downloader = Downloader::new(&client, &cache, opts, &progress);
    let mut files = args.files.clone();
    if let Some(p) = uri_path {
        files.insert(0, p);
    }
    if let Some(tag) = tag {
        let listing = SnapshotRequest {
            repo: repo.clone(),
            revision: revision.clone(),
            allow: Vec::new(),
            ignore: Vec::new(),
            local_dir: None,
        };
        let listing = downloader.snapshot(&listing, true).await?;
        let listed: Vec<&str> = listing.files.iter().map(|f| f.path.as_str()).collect();
        files = crate::models::resolve::tagged_gguf_files(&repo.id, &listed, tag)?;
    }
    let mut allow = args.include.clone();
    let single = files.len() == 1 && !files[0].ends_with('/');
    if single && (!args.include.is_empty() || !args.exclude.is_empty()) {
        ctx.printer.warn("`--include`/`--exclude` are ignored when a file name is given");
    }
    if !files.is_empty() && !single {
        if !args.include.is_empty() {
            return Err(super::usage("`--include` cannot be combined with file or folder arguments"));
        }
        allow = files.iter().map(|f| if f.ends_with('/') { format!("{f}*") } else { f.clone() }).collect();
    }

    let outcome = if single {
        downloader.file(&repo, &revision, &files[0], args.local_dir.as_deref(), args.dry_run).await?
    } else {
        let req = SnapshotRequest {
            repo,
            revision,
            allow,
            ignore: if single { Vec::new() } else { args.exclude.clone() },
            local_dir: args.local_dir.clone(),
        };
        downloader.snapshot(&req, args.dry_run).await?
    };
    if !args.dry_run && ctx.printer.verbose > 0 {
        let fetched = outcome.files.iter().filter(|f| f.status == FileState::Downloaded).count();
        ctx.printer.info(&format!(
            "{} file(s), {} downloaded ({}), {} cached",
            outcome.files.len(),
            fetched,
            human_bytes(outcome.downloaded_bytes),
            outcome.files.len() - fetched
        ));
    }
    ctx.printer.emit(&Output { outcome: &outcome, dry_run: args.dry_run })?;
    Ok(ExitCode::SUCCESS)
}
