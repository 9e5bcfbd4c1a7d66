//! Model references accepted by every command: `org/name`, `org/name@rev`,
//! `hf://[models/|datasets/|spaces/]org/name[@rev][/path]`, and local paths.

use std::path::{Path, PathBuf};

use super::{CacheError, RepoId, RepoType, Result, validate_repo_path};

/// What a user typed to name a model, dataset or file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRef {
    /// A directory or file on disk.
    Local(PathBuf),
    /// A repository on the Hub, optionally pinned and optionally one file inside it.
    Hub { repo: RepoId, revision: Option<String>, path: Option<String> },
}

impl ModelRef {
    /// Parse a reference. `default_type` applies when no `hf://datasets/`-style prefix says
    /// otherwise. An existing local path wins over a repo id of the same spelling, as
    /// transformers' `from_pretrained` does.
    pub fn parse(input: &str, default_type: RepoType) -> Result<Self> {
        let invalid =
            |reason: &str| CacheError::InvalidReference { reference: input.to_string(), reason: reason.to_string() };
        if let Some(rest) = input.strip_prefix("hf://") {
            let (repo_type, rest) = match rest.split_once('/') {
                Some((kind, tail)) if RepoType::from_plural(kind).is_some() => {
                    (RepoType::from_plural(kind).unwrap_or(default_type), tail)
                }
                _ => (default_type, rest),
            };
            if rest.starts_with("buckets/") {
                return Err(invalid("bucket URIs are not repositories"));
            }
            let mut parts = rest.splitn(3, '/');
            let org = parts.next().unwrap_or_default();
            let name_rev = parts.next().ok_or_else(|| invalid("expected `org/name`"))?;
            let file = parts.next().filter(|p| !p.is_empty());
            let (name, revision) = split_rev(name_rev);
            let repo = RepoId::new(repo_type, &format!("{org}/{name}"))?;
            if let Some(f) = file {
                validate_repo_path(f.trim_end_matches('/'))?;
            }
            return Ok(ModelRef::Hub { repo, revision, path: file.map(str::to_string) });
        }
        let looks_local = input.starts_with('.')
            || input.starts_with('/')
            || input.starts_with('~')
            || input.ends_with(".gguf")
            || Path::new(input).exists();
        if looks_local {
            return Ok(ModelRef::Local(PathBuf::from(input)));
        }
        let (id, revision) = split_rev(input);
        let repo = RepoId::new(default_type, id)
            .map_err(|_| invalid("not an existing local path nor a repository id like `org/name`"))?;
        Ok(ModelRef::Hub { repo, revision, path: None })
    }
}

/// `org/repo:TAG` (llama.cpp's and ollama's way to name one quantization of a GGUF repository)
/// as the reference and the tag; anything else (a local path, `hf://...`, a Windows drive) whole.
pub fn split_quant_tag(input: &str) -> (&str, Option<&str>) {
    if input.starts_with("hf://") || Path::new(input).exists() {
        return (input, None);
    }
    match input.rsplit_once(':') {
        Some((reference, tag))
            if reference.matches('/').count() == 1
                && !tag.is_empty()
                && tag.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) =>
        {
            (reference, Some(tag))
        }
        _ => (input, None),
    }
}

fn split_rev(s: &str) -> (&str, Option<String>) {
    match s.split_once('@') {
        Some((name, rev)) if !rev.is_empty() => {
            (name, Some(percent_encoding::percent_decode_str(rev).decode_utf8_lossy().into_owned()))
        }
        Some((name, _)) => (name, None),
        None => (s, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(t: RepoType, id: &str, rev: Option<&str>, path: Option<&str>) -> ModelRef {
        ModelRef::Hub { repo: RepoId::new(t, id).unwrap(), revision: rev.map(Into::into), path: path.map(Into::into) }
    }

    #[test]
    fn parses_every_form() {
        let m = RepoType::Model;
        assert_eq!(ModelRef::parse("org/name", m).unwrap(), hub(m, "org/name", None, None));
        assert_eq!(ModelRef::parse("org/name@v1.0", m).unwrap(), hub(m, "org/name", Some("v1.0"), None));
        assert_eq!(ModelRef::parse("hf://org/name", m).unwrap(), hub(m, "org/name", None, None));
        assert_eq!(
            ModelRef::parse("hf://datasets/openai/openai_humaneval@main/data/x.parquet", m).unwrap(),
            hub(RepoType::Dataset, "openai/openai_humaneval", Some("main"), Some("data/x.parquet"))
        );
        assert_eq!(
            ModelRef::parse("hf://models/a/b@refs%2Fpr%2F1", m).unwrap(),
            hub(m, "a/b", Some("refs/pr/1"), None)
        );
        assert_eq!(ModelRef::parse("./local", m).unwrap(), ModelRef::Local("./local".into()));
        assert_eq!(ModelRef::parse("/abs/model.gguf", m).unwrap(), ModelRef::Local("/abs/model.gguf".into()));
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().to_str().unwrap();
        assert_eq!(ModelRef::parse(p, m).unwrap(), ModelRef::Local(p.into()));
    }

    #[test]
    fn quant_tags_split_off_repo_ids_only() {
        assert_eq!(
            split_quant_tag("Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M"),
            ("Qwen/Qwen2.5-0.5B-Instruct-GGUF", Some("Q4_K_M"))
        );
        assert_eq!(split_quant_tag("org/name@main:q8_0"), ("org/name@main", Some("q8_0")));
        assert_eq!(split_quant_tag("org/name"), ("org/name", None));
        assert_eq!(split_quant_tag("hf://org/name:x"), ("hf://org/name:x", None));
        assert_eq!(split_quant_tag("C:model.gguf"), ("C:model.gguf", None));
        assert_eq!(split_quant_tag("org/name:a/b"), ("org/name:a/b", None));
    }

    #[test]
    fn rejects_garbage() {
        assert!(ModelRef::parse("a/b/c", RepoType::Model).is_err());
        assert!(ModelRef::parse("hf://org", RepoType::Model).is_err());
        assert!(ModelRef::parse("hf://org/name/../../x", RepoType::Model).is_err());
        assert!(ModelRef::parse("hf://buckets/a/b", RepoType::Model).is_err());
    }
}
