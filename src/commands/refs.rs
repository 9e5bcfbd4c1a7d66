//! Model and repository references as commands take them: a Hub repo id, or a model resolved
//! (downloaded into the shared cache when needed) and loaded, through hub's downloader.

use super::usage;
use crate::context::Context;

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
    // Before the weights and the threads allocate (see the function).
    crate::models::memory::keep_freed_memory();
    let device = m.device.open()?;
    use crate::cli::{FloatDtype, LoadQuant};
    use candle_core::quantized::GgmlDType;
    let dtype = match (m.dtype, m.quant) {
        (Some(FloatDtype::F32), _) => WeightDtype::F32,
        (Some(FloatDtype::F16), _) => WeightDtype::F16,
        (Some(FloatDtype::Bf16), _) => WeightDtype::Bf16,
        (None, Some(LoadQuant::Q8_0)) => WeightDtype::Quant(GgmlDType::Q8_0),
        (None, Some(LoadQuant::Q4_0)) => WeightDtype::Quant(GgmlDType::Q4_0),
        (None, Some(LoadQuant::Q4K)) => WeightDtype::Quant(GgmlDType::Q4K),
        (None, Some(LoadQuant::Q5K)) => WeightDtype::Quant(GgmlDType::Q5K),
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
