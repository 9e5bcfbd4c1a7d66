//! Hub subcommands: login, logout, auth, search, download, upload, repo.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::RepoTypeArg;

/// The token comes from the global `--token`, a hidden prompt on a terminal, or stdin.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Replace the active token even if already logged in.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Remove only this stored token (default: the active token and every stored token).
    #[arg(long)]
    pub token_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// List stored tokens (masked); `*` marks the active one.
    #[command(visible_alias = "ls")]
    List,
    /// Make a stored token the active one.
    Switch(AuthSwitchArgs),
}

#[derive(Debug, Args)]
pub struct AuthSwitchArgs {
    /// Name of the stored token (prompted for on a terminal when omitted).
    #[arg(long)]
    pub token_name: Option<String>,
}

/// Sort keys for `hfx search` (results come back descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SearchSort {
    Downloads,
    Likes,
    Trending,
    Created,
    Modified,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Text matched against repository ids.
    pub query: Option<String>,

    /// What to search.
    #[arg(long = "type", value_enum, default_value = "model", id = "search_type")]
    pub repo_type: RepoTypeArg,

    /// Only repositories of this user or organization.
    #[arg(long)]
    pub author: Option<String>,

    /// Tag filter (repeatable; all must match), e.g. `gguf`, `license:apache-2.0`.
    #[arg(long)]
    pub filter: Vec<String>,

    /// Sort key (descending).
    #[arg(long, value_enum)]
    pub sort: Option<SearchSort>,

    /// Maximum number of results (pages are followed until reached).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Repository id (`org/name`, `org/name@rev`) or `hf://[datasets/|spaces/]org/name[@rev][/path]`.
    pub repo: String,

    /// Files to download (one file prints the file path; none downloads the whole snapshot).
    pub files: Vec<String>,

    /// Repository type (default: model, or as given by an `hf://` prefix).
    #[arg(long, value_enum)]
    pub repo_type: Option<RepoTypeArg>,

    /// Branch, tag or commit (default: main).
    #[arg(long)]
    pub revision: Option<String>,

    /// Only files matching this glob (repeatable; `dir/` means the whole folder).
    #[arg(long)]
    pub include: Vec<String>,

    /// Skip files matching this glob (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,

    /// Write real files into this directory instead of the shared cache.
    #[arg(long, value_name = "DIR")]
    pub local_dir: Option<PathBuf>,

    /// Download again even if the files are cached.
    #[arg(long, alias = "force-download")]
    pub force: bool,

    /// Show what would be downloaded without downloading.
    #[arg(long)]
    pub dry_run: bool,

    /// Files downloaded at the same time.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub max_workers: u16,
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Repository id (`org/name`); created if missing.
    pub repo: String,
    /// Local file or folder (default: the current directory).
    pub local_path: Option<PathBuf>,
    /// Destination path inside the repository (default: the root, or the file's name).
    pub path_in_repo: Option<String>,
    /// Repository type.
    #[arg(long = "type", alias = "repo-type", value_enum, id = "upload_type")]
    pub repo_type: Option<RepoTypeArg>,
    /// Branch to commit to (default: main).
    #[arg(long)]
    pub revision: Option<String>,
    /// Create the repository as private if it does not exist.
    #[arg(long)]
    pub private: bool,
    /// Only files matching this glob (repeatable).
    #[arg(long)]
    pub include: Vec<String>,
    /// Skip files matching this glob (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Delete remote files matching this glob in the same commit (repeatable).
    #[arg(long)]
    pub delete: Vec<String>,
    /// Commit message.
    #[arg(long)]
    pub commit_message: Option<String>,
    /// Commit description.
    #[arg(long)]
    pub commit_description: Option<String>,
    /// Open a pull request instead of committing to the branch.
    #[arg(long)]
    pub create_pr: bool,
}

#[derive(Debug, Args)]
pub struct RepoArgs {
    #[command(subcommand)]
    pub command: RepoCommand,
}

/// Which repository, for every `hfx repo` subcommand.
#[derive(Debug, Args)]
pub struct RepoTarget {
    /// Repository id (`org/name`) or `hf://[datasets/|spaces/]org/name`.
    pub repo: String,
    /// Repository type (default: model, or as given by an `hf://` prefix).
    #[arg(long = "type", alias = "repo-type", value_enum, id = "repo_kind")]
    pub repo_type: Option<RepoTypeArg>,
}

#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Commit, files with sizes and LFS ids of a revision.
    Info(RepoInfoArgs),
    /// List files and folders (a tree listing).
    Ls(RepoLsArgs),
    /// Create a repository.
    Create(RepoCreateArgs),
    /// Delete a repository.
    Delete(RepoDeleteArgs),
    /// Create or delete a branch.
    Branch(RepoRefArgs),
    /// Create, delete or list tags.
    Tag(RepoRefArgs),
}

#[derive(Debug, Args)]
pub struct RepoInfoArgs {
    #[command(flatten)]
    pub target: RepoTarget,
    /// Branch, tag or commit (default: main).
    #[arg(long)]
    pub revision: Option<String>,
}

#[derive(Debug, Args)]
pub struct RepoLsArgs {
    #[command(flatten)]
    pub target: RepoTarget,
    /// Folder inside the repository.
    pub path: Option<String>,
    /// List every file below, not just direct children.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Branch, tag or commit (default: main).
    #[arg(long)]
    pub revision: Option<String>,
}

#[derive(Debug, Args)]
pub struct RepoCreateArgs {
    #[command(flatten)]
    pub target: RepoTarget,
    /// Create it private.
    #[arg(long)]
    pub private: bool,
    /// Succeed if it already exists.
    #[arg(long)]
    pub exist_ok: bool,
    /// SDK of a new Space (gradio, streamlit, docker, static).
    #[arg(long)]
    pub space_sdk: Option<String>,
}

#[derive(Debug, Args)]
pub struct RepoDeleteArgs {
    #[command(flatten)]
    pub target: RepoTarget,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct RepoRefArgs {
    /// `create`, `delete` or (tags only) `list`.
    #[arg(value_parser = ["create", "delete", "list"])]
    pub action: String,
    #[command(flatten)]
    pub target: RepoTarget,
    /// Branch or tag name.
    pub name: Option<String>,
    /// Where a new branch or tag points (default: main).
    #[arg(long)]
    pub revision: Option<String>,
    /// Tag message.
    #[arg(short, long)]
    pub message: Option<String>,
}
