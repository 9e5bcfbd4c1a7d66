//! Turning a model reference (repo id, `org/name@rev`, local folder, `.gguf` file) into local
//! files, downloading only what the purpose needs into the shared cache.

use std::path::{Path, PathBuf};

use crate::cache::{ModelRef, RepoId};

use super::error::ModelError;
use super::gguf::{split_file, split_name};

/// Local files of a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelFiles {
    /// A Hugging Face folder (config.json, tokenizer.json, weights...).
    Dir(PathBuf),
    /// One GGUF file (weights, tokenizer and template in one).
    Gguf(PathBuf),
    /// A tokenizer JSON file given by path (its folder may hold tokenizer_config.json).
    TokenizerJson(PathBuf),
}

/// What the caller is going to do with the model, which decides the files to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// tokenizer.json and its configuration only.
    Tokenizer,
    /// Everything to run the model: configuration, tokenizer, safetensors weights (or one GGUF),
    /// sentence-transformers module folders.
    Weights,
}

/// The files of a listing that running a model from an HF folder needs.
fn weight_files(files: &[&str]) -> Vec<String> {
    const EXT: &[&str] = &[".json", ".safetensors", ".jinja", ".txt", ".model"];
    files
        .iter()
        .filter(|f| match f.split_once('/') {
            None => EXT.iter().any(|e| f.ends_with(e)),
            // sentence-transformers modules: 1_Pooling/config.json, 2_Normalize/...
            Some((dir, rest)) => {
                (dir.ends_with("_Pooling") || dir.ends_with("_Normalize") || dir.ends_with("_Dense"))
                    && !rest.contains('/')
            }
        })
        .map(|f| (*f).to_string())
        .collect()
}

/// Small configuration files that come with a tokenizer.
const TOKENIZER_FILES: &[&str] = &[
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "chat_template.json",
    "config.json",
    "generation_config.json",
];

#[cfg(test)]
mod tests {
    use super::{default_gguf, has_quant_tag, pick_gguf};

    #[test]
    fn quant_tags_pick_one_file_and_the_default_follows_llama_cpp() {
        let files = ["m-Q4_0.gguf", "m-Q4_K_M.gguf", "m-Q4_K_S.gguf", "sub/m.Q8_0.gguf", "m-f16.gguf"];
        assert_eq!(pick_gguf("r", &files, Some("q8_0")).unwrap(), "sub/m.Q8_0.gguf");
        assert_eq!(pick_gguf("r", &files, Some("Q4_K_M")).unwrap(), "m-Q4_K_M.gguf");
        assert_eq!(pick_gguf("r", &files, Some("F16")).unwrap(), "m-f16.gguf");
        assert_eq!(pick_gguf("r", &files, Some("m-Q4_0.gguf")).unwrap(), "m-Q4_0.gguf");
        let e = pick_gguf("r", &files, Some("Q6_K")).unwrap_err().to_string();
        assert!(e.contains("Q6_K"), "{e}");
        assert!(!has_quant_tag("m-Q4_K_M.gguf", "Q4_K"));
        assert_eq!(default_gguf(&files), Some(("m-Q4_K_M.gguf", Some("Q4_K_M"))));
        assert_eq!(default_gguf(&["a-Q8_0.gguf", "a-Q4_0.gguf"]), Some(("a-Q4_0.gguf", Some("Q4_0"))));
        assert_eq!(default_gguf(&["b.gguf", "a.gguf"]), Some(("a.gguf", None)));
    }

    #[test]
    fn a_split_model_is_listed_once_and_fetched_whole() {
        let listing =
            ["m-Q8_0.gguf", "big/m-Q4_K_M-00001-of-00002.gguf", "big/m-Q4_K_M-00002-of-00002.gguf", "x-1-of-2.gguf"];
        let models = super::gguf_models(&listing);
        assert_eq!(models, ["m-Q8_0.gguf", "big/m-Q4_K_M-00001-of-00002.gguf", "x-1-of-2.gguf"]);
        assert_eq!(default_gguf(&models), Some(("big/m-Q4_K_M-00001-of-00002.gguf", Some("Q4_K_M"))));
        assert_eq!(
            super::tagged_gguf_files("r", &listing, "q4_k_m").unwrap(),
            ["big/m-Q4_K_M-00001-of-00002.gguf", "big/m-Q4_K_M-00002-of-00002.gguf"]
        );
        assert_eq!(super::tagged_gguf_files("r", &listing, "Q8_0").unwrap(), ["m-Q8_0.gguf"]);
    }

    #[test]
    fn weights_skip_other_formats() {
        let listing = [
            "config.json",
            "model.safetensors",
            "pytorch_model.bin",
            "tokenizer.json",
            "vocab.txt",
            "modules.json",
            "1_Pooling/config.json",
            "onnx/model.onnx",
            "onnx/config.json",
            "README.md",
            "tf_model.h5",
        ];
        assert_eq!(
            super::weight_files(&listing),
            [
                "config.json",
                "model.safetensors",
                "tokenizer.json",
                "vocab.txt",
                "modules.json",
                "1_Pooling/config.json"
            ]
        );
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

/// What resolving a Hub reference needs from the Hub and the cache. The command layer provides
/// it with hub's `Downloader`: models/ stays below hub/ and knows nothing of HTTP.
#[allow(async_fn_in_trait)]
pub trait Source {
    fn is_offline(&self) -> bool;
    /// The files of `revision` and the commit it points at (one request).
    async fn list(&self, repo: &RepoId, revision: &str) -> Result<(Vec<String>, String), FetchError>;
    /// Download these files of `commit`; the snapshot folder.
    async fn fetch(&self, repo: &RepoId, commit: &str, files: Vec<String>) -> Result<PathBuf, FetchError>;
    /// Record that `revision` now points at `commit`.
    fn remember_ref(&self, repo: &RepoId, revision: &str, commit: &str) -> Result<(), FetchError>;
    /// The cached snapshot folder of `revision`, without a request.
    fn cached_snapshot(&self, repo: &RepoId, revision: &str) -> Result<PathBuf, FetchError>;
    fn warn(&self, message: &str);
    /// Say once that `err` made resolution use `what` from the cache.
    fn warn_fallback(&self, err: &FetchError, what: &str);
}

/// A `Source` failure: its own error (hints and all, in the chain), and whether it means the
/// Hub is out of reach (then the cache is used if it has the files).
#[derive(Debug, thiserror::Error)]
#[error("{source}")]
pub struct FetchError {
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
    pub unreachable: bool,
}

impl crate::report::Hint for ResolveError {
    /// A fetch error's own hint is found further down the chain.
    fn hint(&self) -> Option<String> {
        match self {
            ResolveError::Model(e) => e.hint(),
            ResolveError::Fetch(_) => None,
        }
    }
}

/// Quantizations in the order a repository's GGUF file is picked when none is named: llama.cpp's
/// and ollama's default first, then the smaller-to-larger common ones.
pub const DEFAULT_QUANTS: &[&str] =
    &["Q4_K_M", "Q4_0", "Q4_K_S", "Q5_K_M", "Q5_0", "Q5_K_S", "Q6_K", "Q8_0", "Q4_1", "F16", "BF16", "F32"];

/// Whether the file `name` is of quantization `tag`: the tag, case-insensitive, between
/// separators of the file name (`model-Q4_K_M.gguf`, `model.q8_0.gguf`; `Q4_K` is not `Q4_K_M`).
pub fn has_quant_tag(name: &str, tag: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    let stem = file.strip_suffix(".gguf").unwrap_or(&file);
    let tag = tag.to_ascii_lowercase();
    let part_of_tag = |c: char| c.is_ascii_alphanumeric() || c == '_';
    stem.match_indices(tag.as_str()).any(|(i, _)| {
        stem[..i].chars().next_back().is_none_or(|c| !part_of_tag(c))
            && stem[i + tag.len()..].chars().next().is_none_or(|c| !part_of_tag(c))
    })
}

/// The quantization tags of `candidates` that hfx knows, for messages.
fn tags_of(candidates: &[&str]) -> String {
    let tags: Vec<&str> =
        DEFAULT_QUANTS.iter().copied().filter(|t| candidates.iter().any(|c| has_quant_tag(c, t))).collect();
    if tags.is_empty() { candidates.join(", ") } else { tags.join(", ") }
}

/// The GGUF files of a listing that name a model: whole files, and the first file of each split
/// model (`name-00001-of-00003.gguf`; the others come with it).
fn gguf_models<'a>(files: &[&'a str]) -> Vec<&'a str> {
    files
        .iter()
        .copied()
        .filter(|f| f.ends_with(".gguf"))
        .filter(|f| split_name(f.rsplit('/').next().unwrap_or(f)).is_none_or(|(_, no, _)| no == 1))
        .collect()
}

/// The files to fetch for the GGUF model `name`: it, and the other files of a split model.
fn gguf_files(name: &str) -> Vec<String> {
    let (dir, file) = name.rsplit_once('/').map_or(("", name), |(d, f)| (d, f));
    match split_name(file) {
        Some((prefix, _, count)) => (1..=count)
            .map(|i| {
                let f = split_file(prefix, i, count);
                if dir.is_empty() { f } else { format!("{dir}/{f}") }
            })
            .collect(),
        None => vec![name.to_string()],
    }
}

/// The files of the GGUF model of quantization `tag` in a repository listing (several for a
/// split model).
pub fn tagged_gguf_files(location: &str, listing: &[&str], tag: &str) -> Result<Vec<String>, ModelError> {
    Ok(gguf_files(pick_gguf(location, &gguf_models(listing), Some(tag))?))
}

/// Pick the GGUF file among `candidates` (repo paths or file names): the one `wanted` names (a
/// file name, or a quantization tag such as `Q4_K_M`), else the only one.
pub fn pick_gguf<'a>(location: &str, candidates: &[&'a str], wanted: Option<&str>) -> Result<&'a str, ModelError> {
    if let Some(w) = wanted {
        if let Some(c) = candidates.iter().copied().find(|c| *c == w || c.rsplit('/').next() == Some(w)) {
            return Ok(c);
        }
        if w.ends_with(".gguf") || w.contains('/') {
            return Err(ModelError::NotFound { path: PathBuf::from(format!("{location}/{w}")) });
        }
        let tagged: Vec<&str> = candidates.iter().copied().filter(|c| has_quant_tag(c, w)).collect();
        return match tagged.as_slice() {
            [one] => Ok(one),
            [] => Err(ModelError::NoSuchQuant {
                location: location.to_string(),
                tag: w.to_string(),
                available: tags_of(candidates),
            }),
            many => Err(ModelError::AmbiguousGguf { location: location.to_string(), candidates: many.join(", ") }),
        };
    }
    match candidates {
        [] => Err(ModelError::NoTokenizer { location: location.to_string() }),
        [one] => Ok(one),
        many => Err(ModelError::AmbiguousGguf { location: location.to_string(), candidates: many.join(", ") }),
    }
}

/// A repository's GGUF file when none is named: the first quantization of `DEFAULT_QUANTS` that
/// one file carries, else the first file by name; and the tag that chose it.
pub fn default_gguf<'a>(candidates: &[&'a str]) -> Option<(&'a str, Option<&'static str>)> {
    for tag in DEFAULT_QUANTS {
        if let [one] = candidates.iter().copied().filter(|c| has_quant_tag(c, tag)).collect::<Vec<_>>().as_slice() {
            return Some((one, Some(tag)));
        }
    }
    candidates.iter().copied().min().map(|c| (c, None))
}

/// Local paths: a `.gguf` file, or a folder (with tokenizer.json, or else exactly one GGUF).
pub fn local(path: &Path, gguf_file: Option<&str>) -> Result<ModelFiles, ModelError> {
    let path = PathBuf::from(shellexpand::tilde(&path.to_string_lossy()).as_ref());
    if path.is_file() {
        return Ok(if path.extension().is_some_and(|e| e == "json") {
            ModelFiles::TokenizerJson(path)
        } else {
            ModelFiles::Gguf(path)
        });
    }
    if !path.is_dir() {
        return Err(ModelError::NotFound { path });
    }
    if path.join("tokenizer.json").is_file() && gguf_file.is_none() {
        return Ok(ModelFiles::Dir(path));
    }
    let entries = fs_err::read_dir(&path)?;
    let mut names: Vec<String> =
        entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let refs: Vec<&str> = gguf_models(&names.iter().map(String::as_str).collect::<Vec<_>>());
    let name = pick_gguf(&path.display().to_string(), &refs, gguf_file)?;
    Ok(ModelFiles::Gguf(path.join(name)))
}

/// Resolve any reference, downloading from the Hub (or reading the cache offline) as needed.
pub async fn resolve(
    reference: &ModelRef,
    gguf_file: Option<&str>,
    purpose: Purpose,
    source: &impl Source,
) -> Result<ModelFiles, ResolveError> {
    match reference {
        ModelRef::Local(p) => Ok(local(p, gguf_file)?),
        ModelRef::Hub { repo, revision, path } => {
            let revision = revision.clone().unwrap_or_else(|| "main".into());
            let wanted = path.as_deref().or(gguf_file);
            hub(repo, &revision, wanted, purpose, source).await
        }
    }
}

async fn hub(
    repo: &RepoId,
    revision: &str,
    gguf_file: Option<&str>,
    purpose: Purpose,
    source: &impl Source,
) -> Result<ModelFiles, ResolveError> {
    if source.is_offline() {
        return offline(repo, revision, gguf_file, source);
    }
    // The listing (one call) decides what to fetch.
    let (listed, commit) = match source.list(repo, revision).await {
        Ok(listing) => listing,
        // No Hub, but the cache may hold what runs (a GGUF repo's one downloaded quantization
        // is not the complete snapshot the download fallback looks for).
        Err(e) if e.unreachable => {
            return match offline(repo, revision, gguf_file, source) {
                Ok(files) => {
                    source.warn_fallback(&e, &format!("the cached copy of {}", repo.id));
                    Ok(files)
                }
                Err(_) => Err(e.into()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    let files: Vec<&str> = listed.iter().map(String::as_str).collect();
    let folder = match purpose {
        Purpose::Tokenizer => files.contains(&"tokenizer.json"),
        Purpose::Weights => files.contains(&"config.json"),
    };
    if gguf_file.is_none() && folder {
        let allow: Vec<String> = match purpose {
            Purpose::Tokenizer => {
                TOKENIZER_FILES.iter().filter(|f| files.contains(f)).map(|f| (*f).to_string()).collect()
            }
            Purpose::Weights => weight_files(&files),
        };
        let path = source.fetch(repo, &commit, allow).await?;
        source.remember_ref(repo, revision, &commit)?;
        return Ok(ModelFiles::Dir(path));
    }
    let ggufs = gguf_models(&files);
    let name = match (gguf_file, default_gguf(&ggufs)) {
        (None, Some((name, tag))) if ggufs.len() > 1 => {
            let why = tag.map_or_else(|| "the first by name".to_string(), str::to_string);
            source.warn(&format!(
                "{} has {} GGUF files; using {name} ({why}). Pick another with `{}:TAG` ({}) or --gguf-file",
                repo.id,
                ggufs.len(),
                repo.id,
                tags_of(&ggufs)
            ));
            name
        }
        _ => pick_gguf(&repo.id, &ggufs, gguf_file)?,
    };
    let allow = gguf_files(name);
    let path = source.fetch(repo, &commit, allow).await?;
    source.remember_ref(repo, revision, &commit)?;
    Ok(ModelFiles::Gguf(path.join(name)))
}

/// Offline: whatever the cached snapshot of `revision` holds (it may be partial, e.g. only the
/// tokenizer files), with no request.
fn offline(
    repo: &RepoId,
    revision: &str,
    gguf_file: Option<&str>,
    source: &impl Source,
) -> Result<ModelFiles, ResolveError> {
    let snap = source.cached_snapshot(repo, revision)?;
    if gguf_file.is_none() && snap.join("tokenizer.json").is_file() {
        return Ok(ModelFiles::Dir(snap));
    }
    Ok(local(&snap, gguf_file)?)
}
