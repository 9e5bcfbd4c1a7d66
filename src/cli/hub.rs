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
    /// Repository id.
    pub repo: String,
    /// Local file or folder (default: current directory).
    pub local_path: Option<PathBuf>,
    /// Destination path inside the repository.
    pub path_in_repo: Option<String>,
    /// Repository type.
    #[arg(long, value_enum)]
    pub repo_type: Option<RepoTypeArg>,
    /// Branch to commit to.
    #[arg(long)]
    pub revision: Option<String>,
    /// Commit message.
    #[arg(long)]
    pub commit_message: Option<String>,
    /// Create the repository as private if it does not exist.
    #[arg(long)]
    pub private: bool,
    /// Only files matching this glob (repeatable).
    #[arg(long)]
    pub include: Vec<String>,
    /// Skip files matching this glob (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RepoArgs {
    /// Action and arguments, e.g. `create org/name`, `delete org/name`, `branch create ...`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}
