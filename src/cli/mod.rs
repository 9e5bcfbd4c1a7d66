//! clap definitions only: no I/O, no network. `Cli::command()` builds the whole tree for
//! completions, man pages and help without loading any domain code.

mod cache;
mod hub;
pub mod models;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use cache::{CacheArgs, CacheCommand, CacheLsArgs, CachePruneArgs, CacheRmArgs, CacheVerifyArgs};
pub use hub::{
    AuthArgs, AuthCommand, AuthSwitchArgs, DownloadArgs, LoginArgs, LogoutArgs, RepoArgs, RepoCommand, RepoCreateArgs,
    RepoDeleteArgs, RepoInfoArgs, RepoLsArgs, RepoRefArgs, RepoTarget, SearchArgs, SearchSort, UploadArgs,
};
pub use models::{
    BenchArgs, ConvertArgs, ConvertQuant, ConvertTo, DatasetArgs, DatasetCommand, FinetuneArgs, FloatDtype, LoadQuant,
    ModelArgs, RunArgs, ServeArgs, TokenizeArgs,
};

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    known failure (not found, auth or gating, offline cache miss, network after retries,
       checksum mismatch, bad input data)
  2    usage error or unexpected internal error
  130  interrupted (Ctrl-C); partial downloads stay resumable";

/// One tool for the Hugging Face ecosystem: find, download, run, fine-tune and serve models.
#[derive(Debug, Parser)]
#[command(
    name = "hfx",
    version,
    propagate_version = true,
    after_long_help = EXIT_CODES,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Output format of data commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Tables and plain lines for people.
    #[default]
    Human,
    /// JSON on stdout (snake_case fields, sizes in bytes, RFC 3339 times).
    Json,
}

/// When to use colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Flags accepted by every subcommand.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Output format for data written to stdout.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Shorthand for `--format json`.
    #[arg(long, global = true)]
    pub json: bool,

    /// Hide progress and messages (repeat to silence errors' hints too); data still goes to stdout.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,

    /// More logging on stderr (`-v` debug, `-vv` trace); `RUST_LOG` overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Colour output: auto (terminal and no `NO_COLOR`), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Never touch the network; read only the local cache (same as `HF_HUB_OFFLINE=1`).
    #[arg(long, global = true)]
    pub offline: bool,

    /// Hub endpoint URL (overrides `HF_ENDPOINT`; default https://huggingface.co).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Access token (overrides `HF_TOKEN` and the stored token); never printed.
    #[arg(long, global = true, value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Hub cache directory (overrides `HF_HUB_CACHE`; default `$HF_HOME/hub`).
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl GlobalArgs {
    pub fn effective_format(&self) -> Format {
        if self.json { Format::Json } else { self.format }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to the Hub with an access token and store it like huggingface_hub does.
    Login(LoginArgs),
    /// Remove the active token, or one stored token with `--token-name`.
    Logout(LogoutArgs),
    /// Show the logged-in user and organizations.
    Whoami,
    /// Manage stored tokens (list, switch).
    Auth(AuthArgs),
    /// Search models, datasets or spaces on the Hub.
    Search(SearchArgs),
    /// Download a repository snapshot or files into the shared cache and print the path.
    Download(DownloadArgs),
    /// Upload files or folders to a Hub repository.
    Upload(UploadArgs),
    /// Create and manage Hub repositories.
    Repo(RepoArgs),
    /// Inspect and clean the local cache.
    Cache(CacheArgs),
    /// Fetch, inspect and preview datasets.
    Dataset(DatasetArgs),
    /// Tokenize text with a model's tokenizer.
    Tokenize(TokenizeArgs),
    /// Run a model locally on a prompt.
    Run(RunArgs),
    /// Export a model to safetensors or GGUF (quantized, LoRA merged), or an adapter to a LoRA GGUF.
    Convert(ConvertArgs),
    /// Measure prompt processing and generation speed (llama-bench style).
    Bench(BenchArgs),
    /// Fine-tune a model with LoRA.
    Finetune(Box<FinetuneArgs>),
    /// Serve a model over an OpenAI- and TGI-compatible HTTP API.
    Serve(ServeArgs),
    /// Print the resolved settings: endpoint, cache and token paths, features, devices.
    Env,
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Write man pages (one per subcommand) into a directory.
    #[command(hide = true)]
    Man(ManArgs),
}

/// Shells `hfx completions` can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Target shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Output directory.
    #[arg(long, default_value = "man")]
    pub dir: PathBuf,
}

/// Repository kinds on the Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RepoTypeArg {
    Model,
    Dataset,
    Space,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn json_shorthand_and_globals_after_subcommand() {
        let cli = Cli::try_parse_from(["hfx", "whoami", "--json", "--offline", "-vv"]).unwrap();
        assert_eq!(cli.global.effective_format(), Format::Json);
        assert!(cli.global.offline);
        assert_eq!(cli.global.verbose, 2);
    }

    #[test]
    fn download_flags() {
        let cli = Cli::try_parse_from([
            "hfx",
            "download",
            "org/m",
            "a.json",
            "--include",
            "*.json",
            "--include",
            "*.txt",
            "--exclude",
            "x*",
            "--revision",
            "v1",
            "--max-workers",
            "4",
            "--repo-type",
            "dataset",
        ])
        .unwrap();
        let Command::Download(d) = cli.command else { panic!("not download") };
        assert_eq!(d.include, vec!["*.json", "*.txt"]);
        assert_eq!(d.files, vec!["a.json"]);
        assert_eq!(d.max_workers, 4);
        assert_eq!(d.repo_type, Some(RepoTypeArg::Dataset));
    }

    #[test]
    fn unknown_flag_is_usage_error() {
        let err = Cli::try_parse_from(["hfx", "download", "--nope"]).unwrap_err();
        assert!(err.use_stderr());
    }

    #[test]
    fn search_limit_and_sort() {
        let cli = Cli::try_parse_from([
            "hfx", "search", "llama", "--sort", "likes", "--limit", "5", "--filter", "gguf", "--filter", "en",
        ])
        .unwrap();
        let Command::Search(s) = cli.command else { panic!("not search") };
        assert_eq!(s.limit, 5);
        assert_eq!(s.sort, Some(SearchSort::Likes));
        assert_eq!(s.filter.len(), 2);
    }
}
