//! One file per subcommand: resolve inputs, call the domain modules, hand results to `output`.

mod auth;
mod bench;
mod cache;
pub mod completions;
mod convert;
mod dataset;
mod download;
mod env;
mod finetune;
mod login;
mod logout;
mod repo;
mod run;
mod search;
mod serve;
mod tokenize;
mod upload;
mod whoami;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::cli::{Cli, Command};
use crate::context::Context;
use crate::output::{Printer, render_error};
use crate::settings::{Overrides, Settings};

/// A command-level error with a hint (domain errors carry their own).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

/// Wrong use of the command line that clap cannot catch: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl crate::report::Hint for Hinted {
    fn hint(&self) -> Option<String> {
        Some(self.hint.clone())
    }
}

pub(crate) fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    Hinted { message: message.into(), hint: hint.into() }.into()
}

pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let debug = std::env::var(crate::settings::vars::HF_DEBUG).is_ok_and(|v| crate::settings::is_truthy(&v));
    // Never trace the HTTP stack's internals globally: only hfx and reqwest's own summaries.
    let default = match (verbose, debug) {
        (0, false) => "off",
        (0, true) | (1, _) => "hfx=debug",
        _ => "hfx=trace,reqwest=debug",
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

/// candle asks for its thread count on every matmul and, without `RAYON_NUM_THREADS`, works it
/// out from /proc each time (measured on SmolLM2 decode: 25 -> 36 tok/s once pinned). Pin it once,
/// to `--threads` or the CPUs available, while the process has a single thread.
fn pin_compute_threads(command: &Command) {
    let asked = match command {
        Command::Run(a) => a.model.threads,
        Command::Bench(a) => a.model.threads,
        Command::Serve(a) => a.model.threads,
        Command::Finetune(a) => a.model.threads,
        _ => None,
    };
    if asked.is_none() && std::env::var_os("RAYON_NUM_THREADS").is_some() {
        return;
    }
    let n = asked.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    // SAFETY: `main` runs on the binary's only thread, before the async runtime, rayon pools or
    // anything else that could read the environment concurrently exists (see `hfx::run`).
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
}

/// While non-zero, Ctrl-C sets `INTERRUPTED` instead of ending the process (the chat stops the
/// current answer, not the session).
static CATCHING: AtomicUsize = AtomicUsize::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ctrl-C is caught while this lives.
pub(crate) struct CatchInterrupt;

impl CatchInterrupt {
    pub(crate) fn new() -> Self {
        CATCHING.fetch_add(1, Ordering::SeqCst);
        Self
    }
}

impl Drop for CatchInterrupt {
    fn drop(&mut self) {
        CATCHING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The flag Ctrl-C sets while caught (long jobs poll it between steps).
pub(crate) fn interrupt_flag() -> &'static AtomicBool {
    &INTERRUPTED
}

/// Whether Ctrl-C was pressed since the last call.
pub(crate) fn take_interrupt() -> bool {
    INTERRUPTED.swap(false, Ordering::SeqCst)
}

/// Run a parsed command line to completion.
pub fn main(cli: Cli) -> ExitCode {
    pin_compute_threads(&cli.command);
    let g = cli.global.clone();
    init_logging(g.verbose);
    let overrides = Overrides {
        endpoint: g.endpoint.clone(),
        token: g.token.clone(),
        cache_dir: g.cache_dir.clone(),
        offline: g.offline,
    };
    let settings = Settings::from_env(&overrides);
    let printer = Printer::new(g.effective_format(), g.quiet, g.verbose, g.color, settings.disable_progress_bars);
    let ctx = Context { settings, printer, global: g };

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            render_error(&anyhow::Error::new(e).context("cannot start the async runtime"), ctx.printer.color, 0);
            return ExitCode::from(2);
        }
    };
    runtime.spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            if CATCHING.load(Ordering::SeqCst) > 0 {
                INTERRUPTED.store(true, Ordering::SeqCst);
                continue;
            }
            // Partial downloads are persisted as they go, so stopping here loses nothing.
            let _ = console::Term::stderr().show_cursor();
            std::process::exit(130);
        }
    });
    let result = runtime.block_on(dispatch(cli.command, &ctx));
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            render_error(&err, ctx.printer.color, ctx.printer.quiet);
            if err.downcast_ref::<UsageError>().is_some() { ExitCode::from(2) } else { ExitCode::from(1) }
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

async fn dispatch(command: Command, ctx: &Context) -> anyhow::Result<ExitCode> {
    match command {
        Command::Login(args) => login::run(ctx, args).await,
        Command::Logout(args) => logout::run(ctx, args),
        Command::Whoami => whoami::run(ctx).await,
        Command::Auth(args) => auth::run(ctx, args),
        Command::Search(args) => search::run(ctx, args).await,
        Command::Download(args) => download::run(ctx, args).await,
        Command::Cache(args) => cache::run(ctx, args).await,
        Command::Env => env::run(ctx),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(ctx, args),
        Command::Upload(args) => upload::run(ctx, args).await,
        Command::Repo(args) => repo::run(ctx, args).await,
        Command::Dataset(a) => dataset::run(ctx, a).await,
        Command::Tokenize(a) => tokenize::run(ctx, a).await,
        Command::Run(a) => run::run(ctx, a).await,
        Command::Convert(a) => convert::run(ctx, a).await,
        Command::Bench(a) => bench::run(ctx, a).await,
        Command::Finetune(a) => finetune::run(ctx, *a).await,
        Command::Serve(a) => serve::run(ctx, a).await,
    }
}

/// A Hub repository reference (`org/name[@rev]`, `hf://...[/path]`) as (repo, revision, path);
/// a local path is a usage error.
pub(crate) fn hub_repo(
    input: &str,
    repo_type: Option<crate::cli::RepoTypeArg>,
) -> anyhow::Result<(crate::cache::RepoId, Option<String>, Option<String>)> {
    let default = repo_type.map_or(crate::cache::RepoType::Model, self::repo_type);
    match crate::cache::ModelRef::parse(input, default)? {
        crate::cache::ModelRef::Hub { repo, revision, path } => Ok((repo, revision, path)),
        crate::cache::ModelRef::Local(p) => {
            Err(usage(format!("`{}` is a local path, not a repository id", p.display())))
        }
    }
}

/// Map the CLI's repo type to the cache's.
pub(crate) fn repo_type(arg: crate::cli::RepoTypeArg) -> crate::cache::RepoType {
    match arg {
        crate::cli::RepoTypeArg::Model => crate::cache::RepoType::Model,
        crate::cli::RepoTypeArg::Dataset => crate::cache::RepoType::Dataset,
        crate::cli::RepoTypeArg::Space => crate::cache::RepoType::Space,
    }
}

/// Resolve `m.model` (downloading into the shared cache when needed) and load it.
pub(crate) async fn load_model(
    ctx: &Context,
    m: &crate::cli::ModelArgs,
) -> anyhow::Result<crate::models::load::Loaded> {
    use crate::models::decoder::WeightDtype;
    let device = crate::models::device::DeviceSpec::parse(&m.device)
        .ok_or_else(|| usage(format!("unknown device `{}` (cpu, cuda, cuda:N or metal)", m.device)))?
        .open(&m.device)?;
    use crate::cli::{FloatDtype, LoadQuant};
    use candle_core::quantized::GgmlDType;
    let dtype = match (m.dtype, m.quant) {
        (Some(FloatDtype::F32), _) => WeightDtype::F32,
        (Some(FloatDtype::F16), _) => WeightDtype::F16,
        (Some(FloatDtype::Bf16), _) => WeightDtype::Bf16,
        (None, Some(LoadQuant::Q8_0)) => WeightDtype::Quant(GgmlDType::Q8_0),
        (None, Some(LoadQuant::Q4_0)) => WeightDtype::Quant(GgmlDType::Q4_0),
        (None, Some(LoadQuant::Q4K)) => WeightDtype::Quant(GgmlDType::Q4K),
        (None, Some(LoadQuant::Q6K)) => WeightDtype::Quant(GgmlDType::Q6K),
        (None, None) => WeightDtype::Native,
    };
    let files = resolve_model(ctx, &m.model, m.gguf_file.as_deref(), crate::models::resolve::Purpose::Weights).await?;
    // On this thread (the runtime's block_on): the peak-memory figures in README are measured so,
    // and `serve` answers /health from the runtime's workers meanwhile.
    Ok(crate::models::load::load(files, &device, dtype)?)
}

/// A model reference's local files for `purpose`: a path as it is, a Hub repo downloaded into the
/// shared cache (with progress bars for weights; a tokenizer's few small files get none).
pub(crate) async fn resolve_model(
    ctx: &Context,
    model: &str,
    gguf_file: Option<&str>,
    purpose: crate::models::resolve::Purpose,
) -> anyhow::Result<crate::models::resolve::ModelFiles> {
    use crate::cache::{ModelRef, RepoType, split_quant_tag};
    use crate::models::resolve::{self, ModelFiles, Purpose};
    let (model, tag) = split_quant_tag(model);
    if tag.is_some() && gguf_file.is_some() {
        return Err(usage(format!("`{model}:{}` and --gguf-file both pick a file; give one", tag.unwrap_or_default())));
    }
    let gguf_file = gguf_file.or(tag);
    let reference = ModelRef::parse(model, RepoType::Model)?;
    Ok(match &reference {
        ModelRef::Local(p) => {
            if purpose == Purpose::Weights && p.is_dir() && p.join("config.json").is_file() && gguf_file.is_none() {
                ModelFiles::Dir(p.clone())
            } else {
                resolve::local(p, gguf_file)?
            }
        }
        ModelRef::Hub { .. } => {
            let client = ctx.client()?;
            let cache = ctx.cache();
            let bars = ctx.printer.progress && purpose == Purpose::Weights;
            let progress = crate::output::DownloadProgress::new(bars, ctx.printer.quiet > 0);
            let downloader =
                crate::hub::download::Downloader::new(&client, &cache, ctx.download_options(8, false), &progress);
            resolve::resolve(&reference, gguf_file, purpose, &HubSource(downloader)).await?
        }
    })
}

/// Model resolution's view of the Hub: hub's downloader behind `models::resolve::Source`.
struct HubSource<'a>(crate::hub::download::Downloader<'a>);

fn fetch_error(e: crate::hub::HubError) -> crate::models::resolve::FetchError {
    crate::models::resolve::FetchError { unreachable: e.is_transient(), source: Box::new(e) }
}

impl crate::models::resolve::Source for HubSource<'_> {
    fn is_offline(&self) -> bool {
        self.0.is_offline()
    }

    async fn list(
        &self,
        repo: &crate::cache::RepoId,
        revision: &str,
    ) -> Result<(Vec<String>, String), crate::models::resolve::FetchError> {
        let listing =
            self.0.snapshot(&snapshot_request(repo, revision, Vec::new()), true).await.map_err(fetch_error)?;
        Ok((listing.files.into_iter().map(|f| f.path).collect(), listing.commit))
    }

    async fn fetch(
        &self,
        repo: &crate::cache::RepoId,
        commit: &str,
        files: Vec<String>,
    ) -> Result<std::path::PathBuf, crate::models::resolve::FetchError> {
        let allow = files.iter().map(|f| crate::hub::literal_glob(f)).collect();
        Ok(self.0.snapshot(&snapshot_request(repo, commit, allow), false).await.map_err(fetch_error)?.path)
    }

    fn remember_ref(
        &self,
        repo: &crate::cache::RepoId,
        revision: &str,
        commit: &str,
    ) -> Result<(), crate::models::resolve::FetchError> {
        self.0.remember_ref(repo, revision, commit).map_err(fetch_error)
    }

    fn cached_snapshot(
        &self,
        repo: &crate::cache::RepoId,
        revision: &str,
    ) -> Result<std::path::PathBuf, crate::models::resolve::FetchError> {
        self.0.cached_snapshot(repo, revision).map(|(_, path)| path).map_err(fetch_error)
    }

    fn warn(&self, message: &str) {
        self.0.warn(message);
    }

    fn warn_fallback(&self, err: &crate::models::resolve::FetchError, what: &str) {
        if let Some(e) = err.source.downcast_ref::<crate::hub::HubError>() {
            self.0.warn_fallback(e, what);
        }
    }
}

fn snapshot_request(
    repo: &crate::cache::RepoId,
    revision: &str,
    allow: Vec<String>,
) -> crate::hub::download::SnapshotRequest {
    crate::hub::download::SnapshotRequest {
        repo: repo.clone(),
        revision: revision.to_string(),
        allow,
        ignore: Vec::new(),
        local_dir: None,
    }
}
