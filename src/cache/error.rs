//! Errors of the cache module, each with the path or id needed to act on it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("invalid repository id `{id}`")]
    InvalidRepoId { id: String },

    #[error("invalid revision `{revision}`")]
    InvalidRevision { revision: String },

    #[error("refusing unsafe file path `{path}` (absolute, `..` or empty components)")]
    UnsafePath { path: String },

    #[error("invalid model reference `{reference}`: {reason}")]
    InvalidReference { reference: String, reason: String },

    #[error("`{repo}` is not in the cache")]
    RepoNotCached { repo: String },

    #[error("revision `{revision}` of `{repo}` is not in the cache")]
    RevisionNotCached { repo: String, revision: String },

    #[error("corrupt cache file `{path}`: {reason}")]
    Corrupt { path: PathBuf, reason: String },

    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl crate::report::Hint for CacheError {
    /// An actionable suggestion, shown as `hint:` under the error.
    fn hint(&self) -> Option<String> {
        match self {
            CacheError::InvalidRepoId { .. } => {
                Some("repository ids look like `org/name`, with letters, digits, `-`, `_` and `.`".into())
            }
            CacheError::RepoNotCached { .. } => Some("list cached repositories with `hfx cache ls`".into()),
            CacheError::RevisionNotCached { repo, .. } => Some(format!(
                "list cached revisions with `hfx cache ls --revisions`, or download with `hfx download {repo}`"
            )),
            _ => None,
        }
    }
}
