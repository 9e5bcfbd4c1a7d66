//! `hfx repo`: inspect repositories (info, ls, tag list). Creating, deleting, branching and
//! tagging are write operations tracked with uploads in issue #6.

use std::process::ExitCode;

use serde::Serialize;

use crate::cache::{ModelRef, RepoId, RepoType};
use crate::cli::{RepoArgs, RepoCommand, RepoInfoArgs, RepoLsArgs, RepoRefArgs, RepoTarget};
use crate::context::Context;
use crate::hub::api::{PathEntry, Sibling};
use crate::output::{Printer, Render, Table, human_bytes};

fn repo_id(t: &RepoTarget) -> anyhow::Result<(RepoId, Option<String>)> {
    let default = t.repo_type.map_or(RepoType::Model, super::repo_type);
    match ModelRef::parse(&t.repo, default)? {
        ModelRef::Hub { repo, revision, .. } => Ok((repo, revision)),
        ModelRef::Local(p) => Err(super::usage(format!("`{}` is a local path, not a repository id", p.display()))),
    }
}

#[derive(Serialize)]
struct InfoOut {
    repo_id: String,
    repo_type: String,
    revision: String,
    sha: String,
    last_modified: Option<String>,
    private: Option<bool>,
    gated: Option<serde_json::Value>,
    total_size: u64,
    files: Vec<Sibling>,
}

impl Render for InfoOut {
    fn human(&self, p: &Printer) -> String {
        let mut s = format!(
            "{} {} at {}\ncommit: {}\nfiles: {} ({})\n",
            self.repo_type,
            p.bold(&self.repo_id),
            self.revision,
            self.sha,
            self.files.len(),
            human_bytes(self.total_size)
        );
        let mut t = Table::new(["FILE", "SIZE", "LFS_SHA256"]);
        for f in &self.files {
            t.row([
                f.path.clone(),
                f.size.map_or_else(|| "-".into(), human_bytes),
                f.lfs.as_ref().map_or_else(String::new, |l| l.sha256.clone()),
            ]);
        }
        s.push_str(&t.render(p.width()));
        s
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct LsOut(Vec<PathEntry>);

impl Render for LsOut {
    fn human(&self, p: &Printer) -> String {
        let mut t = Table::new(["PATH", "SIZE", "TYPE"]);
        for e in &self.0 {
            let path = if e.kind == "directory" { format!("{}/", e.path) } else { e.path.clone() };
            let size = if e.kind == "directory" { "-".to_string() } else { human_bytes(e.size) };
            let kind = if e.lfs_sha256.is_some() {
                "lfs"
            } else if e.kind == "directory" {
                "dir"
            } else {
                "file"
            };
            t.row([path, size, kind.to_string()]);
        }
        t.render(p.width())
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct TagsOut(Vec<crate::hub::api::GitRef>);

impl Render for TagsOut {
    fn human(&self, p: &Printer) -> String {
        let mut t = Table::new(["TAG", "COMMIT"]);
        for r in &self.0 {
            t.row([r.name.clone(), r.target_commit.clone()]);
        }
        t.render(p.width())
    }
}

async fn info(ctx: &Context, a: RepoInfoArgs) -> anyhow::Result<ExitCode> {
    let (repo, rev) = repo_id(&a.target)?;
    let revision = rev.or(a.revision).unwrap_or_else(|| "main".into());
    let d = ctx.client()?.repo_details(&repo, &revision, &crate::hub::Silent).await?;
    ctx.printer.emit(&InfoOut {
        repo_id: repo.id.clone(),
        repo_type: repo.repo_type.as_str().into(),
        revision,
        sha: d.sha,
        last_modified: d.last_modified,
        private: d.private,
        gated: d.gated,
        total_size: d.siblings.iter().filter_map(|s| s.size).sum(),
        files: d.siblings,
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn ls(ctx: &Context, a: RepoLsArgs) -> anyhow::Result<ExitCode> {
    let (repo, rev) = repo_id(&a.target)?;
    let revision = rev.or(a.revision).unwrap_or_else(|| "main".into());
    let path = a.path.unwrap_or_default();
    let path = path.trim_matches('/');
    if !path.is_empty() {
        crate::cache::validate_repo_path(path)?;
    }
    let entries = ctx.client()?.list_path(&repo, &revision, path, a.recursive, &crate::hub::Silent).await?;
    ctx.printer.emit(&LsOut(entries))?;
    Ok(ExitCode::SUCCESS)
}

async fn tags_or_branches(ctx: &Context, a: RepoRefArgs, tags: bool) -> anyhow::Result<ExitCode> {
    match a.action.as_str() {
        "list" if tags => {
            let (repo, _) = repo_id(&a.target)?;
            let refs = ctx.client()?.list_refs(&repo, &crate::hub::Silent).await?;
            ctx.printer.emit(&TagsOut(refs.tags))?;
            Ok(ExitCode::SUCCESS)
        }
        "list" => Err(super::usage("`hfx repo branch` takes `create` or `delete`")),
        action => super::pending::run(&format!("repo {} {action}", if tags { "tag" } else { "branch" }), 6),
    }
}

pub(crate) async fn run(ctx: &Context, args: RepoArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        RepoCommand::Info(a) => info(ctx, a).await,
        RepoCommand::Ls(a) => ls(ctx, a).await,
        RepoCommand::Tag(a) => tags_or_branches(ctx, a, true).await,
        RepoCommand::Branch(a) => tags_or_branches(ctx, a, false).await,
        RepoCommand::Create(_) => super::pending::run("repo create", 6),
        RepoCommand::Delete(_) => super::pending::run("repo delete", 6),
    }
}
