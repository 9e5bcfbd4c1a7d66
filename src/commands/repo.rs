//! `hfx repo`: inspect and manage repositories (info, ls, create, delete, branches, tags).

use std::process::ExitCode;

use serde::Serialize;

use crate::cache::{RepoId, RepoType};
use crate::cli::{
    RepoArgs, RepoCommand, RepoCreateArgs, RepoDeleteArgs, RepoInfoArgs, RepoLsArgs, RepoRefArgs, RepoTarget,
};
use crate::context::Context;
use crate::hub::api::{PathEntry, Sibling};
use crate::output::{Printer, Render, Table, human_bytes};

/// Write actions need a token: say so before the Hub answers 401.
fn client_with_token(ctx: &Context) -> anyhow::Result<crate::hub::HubClient> {
    let client = ctx.client()?;
    if !client.has_token() {
        return Err(crate::hub::HubError::NotLoggedIn.into());
    }
    Ok(client)
}

fn repo_id(t: &RepoTarget) -> anyhow::Result<(RepoId, Option<String>)> {
    let (repo, revision, _) = super::hub_repo(&t.repo, t.repo_type)?;
    Ok((repo, revision))
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

#[derive(Serialize)]
struct Done {
    repo_id: String,
    repo_type: String,
    action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

impl Render for Done {
    fn human(&self, _p: &Printer) -> String {
        // Data for scripts: the URL of a created repository; everything else is a message.
        self.url.as_ref().map_or_else(String::new, |u| format!("{u}\n"))
    }
}

async fn create(ctx: &Context, a: RepoCreateArgs) -> anyhow::Result<ExitCode> {
    let (repo, _) = repo_id(&a.target)?;
    if repo.repo_type == RepoType::Space && a.space_sdk.is_none() {
        return Err(super::usage("a Space needs `--space-sdk` (gradio, streamlit, docker or static)"));
    }
    let url = client_with_token(ctx)?
        .create_repo(&repo, a.private, a.exist_ok, a.space_sdk.as_deref(), &crate::hub::Silent)
        .await?;
    ctx.printer.success(&format!("{} `{}` is ready", repo.repo_type, repo.id));
    ctx.printer.emit(&Done {
        repo_id: repo.id.clone(),
        repo_type: repo.repo_type.as_str().into(),
        action: "create".into(),
        name: None,
        url: Some(url),
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn delete(ctx: &Context, a: RepoDeleteArgs) -> anyhow::Result<ExitCode> {
    let (repo, _) = repo_id(&a.target)?;
    if !a.yes {
        match ctx
            .printer
            .confirm(&format!("Delete the {} `{}` from the Hub? This cannot be undone", repo.repo_type, repo.id))?
        {
            Some(true) => {}
            Some(false) => {
                ctx.printer.info("nothing deleted");
                return Ok(ExitCode::SUCCESS);
            }
            None => {
                return Err(super::hinted(
                    "refusing to delete a repository without confirmation: stdin is not a terminal",
                    "pass `--yes` to confirm",
                ));
            }
        }
    }
    client_with_token(ctx)?.delete_repo(&repo, &crate::hub::Silent).await?;
    ctx.printer.success(&format!("deleted {} `{}`", repo.repo_type, repo.id));
    if ctx.printer.is_json() {
        ctx.printer.emit(&Done {
            repo_id: repo.id.clone(),
            repo_type: repo.repo_type.as_str().into(),
            action: "delete".into(),
            name: None,
            url: None,
        })?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn tags_or_branches(ctx: &Context, a: RepoRefArgs, tags: bool) -> anyhow::Result<ExitCode> {
    let (repo, _) = repo_id(&a.target)?;
    let what = if tags { "tag" } else { "branch" };
    let client = if a.action == "list" { ctx.client()? } else { client_with_token(ctx)? };
    let name =
        || a.name.clone().ok_or_else(|| super::usage(format!("`hfx repo {what} {}` needs a {what} name", a.action)));
    let notify = &crate::hub::Silent;
    match (a.action.as_str(), tags) {
        ("list", true) => {
            let refs = client.list_refs(&repo, notify).await?;
            ctx.printer.emit(&TagsOut(refs.tags))?;
            return Ok(ExitCode::SUCCESS);
        }
        ("list", false) => return Err(super::usage("`hfx repo branch` takes `create` or `delete`")),
        ("create", true) => {
            let rev = a.revision.clone().unwrap_or_else(|| "main".into());
            client.create_tag(&repo, &name()?, &rev, a.message.as_deref(), notify).await?;
        }
        ("delete", true) => client.delete_tag(&repo, &name()?, notify).await?,
        ("create", false) => client.write_branch(&repo, &name()?, Some(a.revision.as_deref()), notify).await?,
        _ => client.write_branch(&repo, &name()?, None, notify).await?,
    }
    let verb = if a.action == "create" { "created" } else { "deleted" };
    ctx.printer.success(&format!("{verb} {what} `{}` in `{}`", name()?, repo.id));
    if ctx.printer.is_json() {
        ctx.printer.emit(&Done {
            repo_id: repo.id.clone(),
            repo_type: repo.repo_type.as_str().into(),
            action: format!("{what} {}", a.action),
            name: a.name.clone(),
            url: None,
        })?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn run(ctx: &Context, args: RepoArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        RepoCommand::Info(a) => info(ctx, a).await,
        RepoCommand::Ls(a) => ls(ctx, a).await,
        RepoCommand::Tag(a) => tags_or_branches(ctx, a, true).await,
        RepoCommand::Branch(a) => tags_or_branches(ctx, a, false).await,
        RepoCommand::Create(a) => create(ctx, a).await,
        RepoCommand::Delete(a) => delete(ctx, a).await,
    }
}
