//! `hfx cache ls|rm|prune|verify`.

use std::process::ExitCode;

use serde::Serialize;

use crate::cache::gc::{self, Deletion, Plan, RmTarget};
use crate::cache::scan::{self, CacheReport};
use crate::cache::verify::{self, FileStatus, VerifyReport};
use crate::cache::{ModelRef, RepoId, RepoType, is_commit_hash};
use crate::cli::{CacheArgs, CacheCommand, CacheLsArgs, CachePruneArgs, CacheRmArgs, CacheVerifyArgs};
use crate::context::Context;
use crate::output::{Printer, Render, Table, VerifyProgress, age, human_bytes};

struct Ls<'a> {
    report: &'a CacheReport,
    revisions: bool,
}

impl Serialize for Ls<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.report.serialize(s)
    }
}

impl Render for Ls<'_> {
    fn human(&self, p: &Printer) -> String {
        let mut out;
        if self.revisions {
            let mut t = Table::new(["ID", "REVISION", "SIZE", "FILES", "LAST_MODIFIED", "REFS"]);
            for r in &self.report.repos {
                for rev in &r.revisions {
                    t.row([
                        format!("{}/{}", r.repo_type, r.repo_id),
                        rev.commit.clone(),
                        human_bytes(rev.size_on_disk),
                        rev.nb_files.to_string(),
                        age(rev.last_modified),
                        rev.refs.join(", "),
                    ]);
                }
            }
            out = t.render(p.width());
        } else {
            let mut t = Table::new(["ID", "SIZE", "FILES", "LAST_ACCESSED", "LAST_MODIFIED", "REFS"]);
            for r in &self.report.repos {
                t.row([
                    format!("{}/{}", r.repo_type, r.repo_id),
                    human_bytes(r.size_on_disk),
                    r.nb_files.to_string(),
                    age(r.last_accessed),
                    age(r.last_modified),
                    r.refs.join(", "),
                ]);
            }
            out = t.render(p.width());
        }
        let revs: usize = self.report.repos.iter().map(|r| r.revisions.len()).sum();
        p.info(&format!(
            "found {} repo(s) with {} revision(s), {} on disk in {}",
            self.report.repos.len(),
            revs,
            human_bytes(self.report.size_on_disk),
            self.report.cache_dir.display()
        ));
        if self.report.repos.is_empty() {
            out.clear();
        }
        out
    }
}

struct PlanOut<'a> {
    plan: &'a Plan,
    dry_run: bool,
}

impl Serialize for PlanOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct J<'b> {
            dry_run: bool,
            freed_bytes: u64,
            deletions: &'b [Deletion],
        }
        J { dry_run: self.dry_run, freed_bytes: self.plan.freed_bytes, deletions: &self.plan.deletions }.serialize(s)
    }
}

impl Render for PlanOut<'_> {
    fn human(&self, p: &Printer) -> String {
        let mut t = Table::new(["WHAT", "ID", "PATH", "SIZE"]);
        for d in &self.plan.deletions {
            let (what, id, path) = match d {
                Deletion::Repo { repo_id, repo_type, path, .. } => {
                    ("repo", format!("{repo_type}/{repo_id}"), path.display().to_string())
                }
                Deletion::Revision { repo_id, repo_type, commit, refs, .. } => {
                    let refs = if refs.is_empty() { String::new() } else { format!(" ({})", refs.join(", ")) };
                    ("revision", format!("{repo_type}/{repo_id}"), format!("{commit}{refs}"))
                }
                Deletion::Incomplete { repo_id, path, .. } => ("partial", repo_id.clone(), path.display().to_string()),
                Deletion::Blob { repo_id, path, .. } => ("blob", repo_id.clone(), path.display().to_string()),
            };
            t.row([what.to_string(), id, path, human_bytes(d.bytes())]);
        }
        let verb = if self.dry_run { "would free" } else { "freed" };
        p.info(&format!("{} item(s), {verb} {}", self.plan.deletions.len(), human_bytes(self.plan.freed_bytes)));
        if t.is_empty() { String::new() } else { t.render(p.width()) }
    }
}

impl Serialize for VerifyOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

struct VerifyOut<'a>(&'a VerifyReport);

impl Render for VerifyOut<'_> {
    fn human(&self, p: &Printer) -> String {
        let r = self.0;
        let mut out = String::new();
        for rev in &r.revisions {
            for f in &rev.files {
                let line = match f.status {
                    FileStatus::Mismatch => format!(
                        "MISMATCH {} ({}): expected {}, got {}\n",
                        f.path,
                        &rev.commit[..rev.commit.len().min(12)],
                        f.etag,
                        f.actual.as_deref().unwrap_or("?")
                    ),
                    FileStatus::Broken => {
                        format!("BROKEN   {}: the blob it points to is missing or unreadable\n", f.path)
                    }
                    // Partial snapshots are normal: list what is not downloaded only with -v.
                    FileStatus::Missing if p.verbose > 0 => format!("missing  {} (not downloaded)\n", f.path),
                    FileStatus::Unverifiable if p.verbose > 0 => {
                        format!("skipped  {} (etag `{}` is not a content hash)\n", f.path, f.etag)
                    }
                    FileStatus::Missing | FileStatus::Unverifiable => continue,
                    FileStatus::Ok => continue,
                };
                out.push_str(&line);
            }
        }
        let summary = format!(
            "verified {} file(s), {} in {} revision(s) of `{}`: {}",
            r.checked_files,
            human_bytes(r.checked_bytes),
            r.revisions.len(),
            r.repo_id,
            if r.failed() { format!("{} corrupt", r.mismatches) } else { "all match".into() }
        );
        if r.failed() {
            p.warn(&summary)
        } else {
            p.success(&summary)
        }
        out
    }
}

/// Decide on a deletion: `--yes`, a terminal prompt, or an error when neither is possible.
fn confirm(ctx: &Context, yes: bool, prompt: &str) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    match ctx.printer.confirm(prompt)? {
        Some(answer) => Ok(answer),
        None => Err(super::hinted(
            "refusing to delete without confirmation: stdin is not a terminal",
            "pass `--yes` to confirm, or `--dry-run` to see what would be deleted",
        )),
    }
}

fn parse_target(s: &str, default: RepoType) -> anyhow::Result<RmTarget> {
    if is_commit_hash(s) {
        return Ok(RmTarget::Commit(s.to_string()));
    }
    // `model/org/name`, `dataset/org/name` (the ids `hfx cache ls` prints).
    if let Some((kind, rest)) = s.split_once('/')
        && let Some(t) = RepoType::from_singular(kind)
        && rest.contains('/')
    {
        return parse_target(rest, t);
    }
    match ModelRef::parse(s, default)? {
        ModelRef::Hub { repo, revision: Some(rev), .. } => Ok(RmTarget::Revision(repo, rev)),
        ModelRef::Hub { repo, .. } => Ok(RmTarget::Repo(repo)),
        ModelRef::Local(_) => {
            let repo = RepoId::new(default, s)?;
            Ok(RmTarget::Repo(repo))
        }
    }
}

async fn rm(ctx: &Context, args: CacheRmArgs) -> anyhow::Result<ExitCode> {
    let cache = ctx.cache();
    let default = super::repo_type(args.repo_type);
    let targets = args.targets.iter().map(|t| parse_target(t, default)).collect::<anyhow::Result<Vec<_>>>()?;
    let plan = gc::plan_rm(&cache, &targets)?;
    apply(ctx, &cache, &plan, args.dry_run, args.yes)
}

fn apply(
    ctx: &Context,
    cache: &crate::cache::Cache,
    plan: &Plan,
    dry_run: bool,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    if dry_run || plan.is_empty() {
        ctx.printer.emit(&PlanOut { plan, dry_run: true })?;
        return Ok(ExitCode::SUCCESS);
    }
    if !ctx.printer.is_json() && !yes && ctx.printer.stdin_tty {
        // Show what is about to go before asking.
        ctx.printer.emit(&PlanOut { plan, dry_run: true })?;
    }
    if !confirm(
        ctx,
        yes,
        &format!("Delete {} item(s), freeing {}?", plan.deletions.len(), human_bytes(plan.freed_bytes)),
    )? {
        ctx.printer.info("nothing deleted");
        return Ok(ExitCode::SUCCESS);
    }
    gc::execute(cache, plan)?;
    if ctx.printer.is_json() {
        ctx.printer.emit(&PlanOut { plan, dry_run: false })?;
    } else {
        ctx.printer.success(&format!(
            "deleted {} item(s), freed {}",
            plan.deletions.len(),
            human_bytes(plan.freed_bytes)
        ));
    }
    Ok(ExitCode::SUCCESS)
}

async fn prune(ctx: &Context, args: CachePruneArgs) -> anyhow::Result<ExitCode> {
    let cache = ctx.cache();
    let plan = gc::plan_prune(&cache)?;
    apply(ctx, &cache, &plan, args.dry_run, args.yes)
}

async fn verify_cmd(ctx: &Context, args: CacheVerifyArgs) -> anyhow::Result<ExitCode> {
    let (repo, rev, _) = super::hub_repo(&args.repo, args.repo_type)?;
    let rev = rev.or(args.revision.clone());
    let cache = ctx.cache();
    let rc = cache.repo(&repo);
    if !rc.dir().is_dir() {
        return Err(crate::cache::CacheError::RepoNotCached { repo: repo.id.clone() }.into());
    }
    let commits: Vec<String> = match &rev {
        Some(r) => vec![rc.resolve_revision(r).filter(|c| rc.snapshot_dir(c).is_dir()).ok_or_else(|| {
            crate::cache::CacheError::RevisionNotCached { repo: repo.id.clone(), revision: r.clone() }
        })?],
        None => {
            let mut v: Vec<String> = fs_err::read_dir(rc.snapshots_dir())
                .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            v.sort();
            v
        }
    };
    let progress = VerifyProgress::new(ctx.printer.progress);
    let report = tokio::task::block_in_place(|| verify::verify(&rc, &commits, &progress))?;
    ctx.printer.emit(&VerifyOut(&report))?;
    if report.failed() {
        let first = report
            .revisions
            .iter()
            .flat_map(|r| &r.files)
            .find(|f| matches!(f.status, FileStatus::Mismatch | FileStatus::Broken));
        return Err(super::hinted(
            format!(
                "{} corrupt file(s) in `{}`{}",
                report.mismatches,
                repo.id,
                first.map(|f| format!(", first: `{}`", f.path)).unwrap_or_default()
            ),
            format!("re-download with `hfx download {} --force`", repo.id),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn run(ctx: &Context, args: CacheArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        CacheCommand::Ls(CacheLsArgs { revisions }) => {
            let report = scan::scan(&ctx.cache())?;
            if ctx.printer.verbose > 0 {
                for w in &report.warnings {
                    ctx.printer.warn(w);
                }
            }
            ctx.printer.emit(&Ls { report: &report, revisions })?;
            Ok(ExitCode::SUCCESS)
        }
        CacheCommand::Rm(a) => rm(ctx, a).await,
        CacheCommand::Prune(a) => prune(ctx, a).await,
        CacheCommand::Verify(a) => verify_cmd(ctx, a).await,
    }
}
