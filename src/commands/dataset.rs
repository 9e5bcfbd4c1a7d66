//! `hfx dataset fetch|info|preview|export`: datasets through the shared cache.

use std::process::ExitCode;

use serde::Serialize;
use serde_json::Value;

use crate::cache::{ModelRef, RepoType};
use crate::cli::models::{DatasetExportArgs, DatasetFetchArgs, DatasetInfoArgs, DatasetPreviewArgs, DatasetRepoArgs};
use crate::cli::{DatasetArgs, DatasetCommand};
use crate::context::Context;
use crate::data::layout::{DataFile, Source};
use crate::data::{self, ConfigInfo, Dataset, Location};
use crate::hub::download::{Downloader, SnapshotRequest};
use crate::output::{BytesProgress, DownloadProgress, Printer, Render, Table, human_bytes};

pub(crate) async fn run(ctx: &Context, args: DatasetArgs) -> anyhow::Result<ExitCode> {
    let client = ctx.client()?;
    let cache = ctx.cache();
    let progress = DownloadProgress::new(ctx.printer.progress, ctx.printer.quiet > 0);
    let downloader = Downloader::new(&client, &cache, ctx.download_options(8, false), &progress);
    match args.command {
        DatasetCommand::Fetch(a) => fetch(ctx, &downloader, a).await,
        DatasetCommand::Info(a) => info(ctx, &downloader, a).await,
        DatasetCommand::Preview(a) => preview(ctx, &downloader, a).await,
        DatasetCommand::Export(a) => export(ctx, &downloader, a).await,
    }
}

fn location(args: &DatasetRepoArgs) -> anyhow::Result<Location> {
    Ok(match ModelRef::parse(&args.repo, RepoType::Dataset)? {
        ModelRef::Local(p) => Location::Local(p),
        ModelRef::Hub { repo, revision, path } => {
            if path.is_some() {
                return Err(super::usage("name the dataset repository, not a file inside it"));
            }
            if revision.is_some() && args.revision.is_some() {
                return Err(super::usage("give the revision either as `@rev` or with `--revision`, not both"));
            }
            if repo.repo_type != RepoType::Dataset {
                return Err(super::usage(format!("`{}` is not a dataset repository", args.repo)));
            }
            Location::Hub { repo, revision: revision.or(args.revision.clone()).unwrap_or_else(|| "main".into()) }
        }
    })
}

async fn discover(downloader: &Downloader<'_>, args: &DatasetRepoArgs) -> anyhow::Result<Dataset> {
    Ok(Dataset::discover(location(args)?, downloader).await?)
}

// ---- fetch ----

#[derive(Serialize)]
struct Fetched {
    path: std::path::PathBuf,
    files: Vec<DataFile>,
}

impl Render for Fetched {
    fn human(&self, _: &Printer) -> String {
        format!("{}\n", self.path.display())
    }
}

async fn fetch(ctx: &Context, downloader: &Downloader<'_>, a: DatasetFetchArgs) -> anyhow::Result<ExitCode> {
    let ds = discover(downloader, &a.repo).await?;
    // The chosen config/splits, or every data file of every config.
    let mut files: Vec<DataFile> = Vec::new();
    let configs: Vec<_> = match &a.config {
        Some(_) => vec![ds.layout.config(a.config.as_deref())?],
        None => ds.layout.configs.iter().collect(),
    };
    for c in configs {
        if a.split.is_empty() {
            files.extend(c.splits.iter().flat_map(|s| s.files.iter().cloned()));
        } else {
            for s in &a.split {
                files.extend(c.split(Some(s))?.files.iter().cloned());
            }
        }
    }
    if !a.include.is_empty() {
        let globs = crate::hub::fnmatch_globs(&a.include)?;
        files.retain(|f| globs.as_ref().is_none_or(|g| g.is_match(&f.path)));
    }
    files.sort_by(|x, y| x.path.cmp(&y.path));
    files.dedup();
    let path = match (&ds.location, &ds.commit) {
        (Location::Hub { repo, .. }, Some(commit)) => {
            // The card comes along so the layout is known offline later.
            let mut allow: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
            if ds.layout.source == Source::Card || ds.revision.as_deref() != Some(data::PARQUET_BRANCH) {
                allow.push("README.md".into());
            }
            let req = SnapshotRequest {
                repo: repo.clone(),
                revision: commit.clone(),
                allow: allow.iter().map(|p| crate::hub::literal_glob(p)).collect(),
                ignore: Vec::new(),
                local_dir: a.local_dir.clone(),
            };
            downloader.snapshot(&req, false).await?.path
        }
        (Location::Local(dir), _) => dir.clone(),
        (Location::Hub { .. }, None) => unreachable!("hub datasets always resolve a commit"),
    };
    ctx.printer.emit(&Fetched { path, files })?;
    Ok(ExitCode::SUCCESS)
}

// ---- info ----

#[derive(Serialize)]
struct Info {
    dataset: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<String>,
    source: Source,
    configs: Vec<ConfigInfo>,
}

impl Render for Info {
    fn human(&self, p: &Printer) -> String {
        let how = match self.source {
            Source::Card => "configs from the dataset card",
            Source::Conventions => "splits from file names",
            Source::ParquetConversion => "from the Hub's parquet conversion",
        };
        let mut out = format!("{} ({how})\n", p.bold(&self.dataset));
        let mut t = Table::new(["CONFIG", "SPLIT", "ROWS", "SIZE", "FILES"]);
        for c in &self.configs {
            let name =
                if c.default && self.configs.len() > 1 { format!("{} (default)", c.name) } else { c.name.clone() };
            for s in &c.splits {
                t.row([
                    name.clone(),
                    s.name.clone(),
                    s.num_rows.to_string(),
                    human_bytes(s.num_bytes),
                    s.files.len().to_string(),
                ]);
            }
        }
        out.push_str(&t.render(p.width()));
        for c in &self.configs {
            out.push_str(&format!("\ncolumns of {}:\n", c.name));
            let mut t = Table::new(["COLUMN", "TYPE"]);
            for col in &c.columns {
                t.row([col.name.clone(), col.dtype.clone()]);
            }
            out.push_str(&t.render(p.width()));
        }
        out
    }
}

async fn info(ctx: &Context, downloader: &Downloader<'_>, a: DatasetInfoArgs) -> anyhow::Result<ExitCode> {
    let ds = discover(downloader, &a.repo).await?;
    let configs: Vec<_> = match &a.config {
        Some(_) => vec![ds.layout.config(a.config.as_deref())?.clone()],
        None => ds.layout.configs.clone(),
    };
    let mut described = Vec::new();
    for c in &configs {
        described.push(ds.describe(c, downloader).await?);
    }
    ctx.printer.emit(&Info {
        dataset: a.repo.repo.clone(),
        revision: ds.revision.clone(),
        commit: ds.commit.clone(),
        source: ds.layout.source,
        configs: described,
    })?;
    Ok(ExitCode::SUCCESS)
}

// ---- preview ----

/// A cell for a terminal table: strings as they are, other values as JSON, one line.
fn cell(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let one_line = crate::output::escape_bytes(s.as_bytes());
    if one_line.chars().count() > 60 {
        format!("{}…", one_line.chars().take(59).collect::<String>())
    } else {
        one_line
    }
}

async fn preview(ctx: &Context, downloader: &Downloader<'_>, a: DatasetPreviewArgs) -> anyhow::Result<ExitCode> {
    let ds = discover(downloader, &a.repo).await?;
    let (_, split) = ds.split(a.config.as_deref(), a.split.as_deref())?;
    // Only the files the first rows can come from: the first file, more only if it is short.
    let mut rows = Vec::new();
    for f in &split.files {
        if rows.len() >= a.rows {
            break;
        }
        let r = ds.fetch(&[f], downloader).await?;
        let one = crate::data::layout::Split { name: split.name.clone(), files: vec![f.clone()] };
        rows.extend(data::head(&r, &one, a.rows - rows.len(), &a.columns)?);
    }
    let p = &ctx.printer;
    if p.is_json() {
        use std::io::Write;
        let mut out = p.stdout();
        for r in &rows {
            serde_json::to_writer(&mut out, r)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let headers: Vec<String> = match rows.first() {
        Some(r) => r.keys().cloned().collect(),
        None => a.columns.clone(),
    };
    let mut t = Table::new(headers.clone());
    for r in &rows {
        t.row(headers.iter().map(|h| r.get(h).map(cell).unwrap_or_default()));
    }
    p.data_line(t.render(p.width()).trim_end())?;
    Ok(ExitCode::SUCCESS)
}

// ---- export ----

#[derive(Serialize)]
struct Exported {
    path: std::path::PathBuf,
    rows: u64,
    split: String,
    config: String,
}

impl Render for Exported {
    fn human(&self, _: &Printer) -> String {
        format!("{}\n", self.path.display())
    }
}

async fn export(ctx: &Context, downloader: &Downloader<'_>, a: DatasetExportArgs) -> anyhow::Result<ExitCode> {
    let ds = discover(downloader, &a.repo).await?;
    let (config, split) = ds.split(a.config.as_deref(), Some(&a.split))?;
    data::write::OutFormat::from_path(&a.to)?;
    let files: Vec<&DataFile> = split.files.iter().collect();
    let root = ds.fetch(&files, downloader).await?;
    let progress = BytesProgress::rows(ctx.printer.progress);
    let rows = data::export(&root, split, &a.to, &progress)?;
    ctx.printer.info(&format!("exported {rows} row(s) of {}/{} to {}", config.name, split.name, a.to.display()));
    ctx.printer.emit(&Exported { path: a.to.clone(), rows, split: split.name.clone(), config: config.name.clone() })?;
    Ok(ExitCode::SUCCESS)
}
