//! `hfx cache` subcommands.

use clap::{Args, Subcommand};

use super::RepoTypeArg;

#[derive(Debug, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub command: CacheCommand,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List cached repositories with sizes, refs and last access.
    #[command(visible_alias = "list")]
    Ls(CacheLsArgs),
    /// Delete repositories or revisions from the cache.
    Rm(CacheRmArgs),
    /// Delete detached revisions, orphan partial downloads and unreferenced blobs.
    Prune(CachePruneArgs),
    /// Re-hash cached files against their etags (sha256 for LFS, git-blob sha1 otherwise).
    Verify(CacheVerifyArgs),
}

#[derive(Debug, Args)]
pub struct CacheLsArgs {
    /// One row per revision instead of per repository.
    #[arg(long)]
    pub revisions: bool,
}

#[derive(Debug, Args)]
pub struct CacheRmArgs {
    /// What to delete: `org/name`, `dataset/org/name`, `hf://datasets/org/name`,
    /// `org/name@rev`, or a commit hash.
    #[arg(required = true)]
    pub targets: Vec<String>,

    /// Repository type for plain `org/name` targets.
    #[arg(long, value_enum, default_value = "model")]
    pub repo_type: RepoTypeArg,

    /// Show what would be deleted and how much space it frees.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct CachePruneArgs {
    /// Show what would be deleted.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct CacheVerifyArgs {
    /// Repository id (`org/name`, `org/name@rev`, `hf://...`).
    pub repo: String,

    /// Repository type.
    #[arg(long, value_enum)]
    pub repo_type: Option<RepoTypeArg>,

    /// Only this revision (branch, tag or commit); default: every cached revision.
    #[arg(long)]
    pub revision: Option<String>,
}
