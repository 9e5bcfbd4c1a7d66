//! Hub errors, mapped from HTTP responses as huggingface_hub does (hub-protocol.md 2.0), each
//! with the repo, revision, path or URL needed to act on it.

use std::path::PathBuf;

use crate::cache::CacheError;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("offline mode is on, so `{what}` cannot be fetched from the Hub")]
    Offline { what: String },

    #[error("{kind} `{repo}` not found (HTTP {status})")]
    RepoNotFound { kind: String, repo: String, status: u16 },

    #[error("revision `{revision}` not found in `{repo}`")]
    RevisionNotFound { repo: String, revision: String },

    #[error("file `{path}` not found in `{repo}` at revision `{revision}`")]
    EntryNotFound { repo: String, revision: String, path: String },

    #[error("access to `{repo}` is restricted (gated repository, HTTP {status}): {message}")]
    GatedRepo { repo: String, status: u16, message: String, url: String },

    #[error("the Hub rejected the token: {message}")]
    InvalidToken { message: String },

    #[error("not logged in")]
    NotLoggedIn,

    #[error("forbidden (HTTP 403) for {url}: {message}")]
    Forbidden { url: String, message: String },

    #[error("{message}")]
    Conflict { message: String },

    #[error("Xet upload to `{repo}` failed: {message}")]
    Xet { repo: String, message: String },

    #[error("cannot upload `{path}`: {reason}")]
    LocalPath { path: PathBuf, reason: String },

    #[error("{message}")]
    InvalidInput { message: String },

    #[error("HTTP {status} for {url}{}", message_suffix(message, request_id))]
    Http { status: u16, url: String, message: String, request_id: Option<String> },

    #[error("network error for {url}")]
    Network {
        url: String,
        #[source]
        source: reqwest::Error,
    },

    #[error("{} the Hub at {endpoint} ({reason})", if *timed_out { "no answer from" } else { "cannot reach" })]
    Unreachable { endpoint: String, reason: String, timed_out: bool },

    #[error("unexpected response from {url}: {reason}")]
    InvalidResponse { url: String, reason: String },

    #[error("checksum mismatch for `{path}`: expected {expected}, got {actual}")]
    ChecksumMismatch { path: String, expected: String, actual: String },

    #[error("`{path}` of `{repo}` at `{revision}` is not in the local cache")]
    LocalEntryNotFound { repo: String, revision: String, path: String, offline: bool },

    #[error("revision `{revision}` of `{repo}` is not in the local cache")]
    RevisionNotCached { repo: String, revision: String, offline: bool },

    #[error("the cached snapshot {path} of `{repo}` is incomplete: {} file(s) missing (first: `{}`)", missing.len(), missing.first().map_or("", String::as_str))]
    IncompleteSnapshot { repo: String, path: PathBuf, missing: Vec<String> },

    #[error("I/O error on {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file-system error that names its path itself (fs-err's errors do).
    #[error(transparent)]
    File(#[from] std::io::Error),

    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// The two timeouts a request can run into, as huggingface_hub names them.
const TIMEOUTS: &str = "the timeout (`HF_HUB_ETAG_TIMEOUT` for metadata, `HF_HUB_DOWNLOAD_TIMEOUT` for file transfers; 10 s each by default)";

fn message_suffix(message: &str, request_id: &Option<String>) -> String {
    let mut s = String::new();
    if !message.is_empty() {
        s.push_str(": ");
        s.push_str(message);
    }
    if let Some(id) = request_id {
        s.push_str(&format!(" (request id {id})"));
    }
    s
}

impl HubError {
    /// An I/O error on `path`, named once: fs-err's errors already say which path and what the
    /// call was (they carry a custom payload); a bare OS error gets the path added.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        if source.get_ref().is_some() {
            HubError::File(source)
        } else {
            HubError::Io { path: path.to_path_buf(), source }
        }
    }

    /// Errors worth retrying: rate limits, server errors, timeouts, dropped connections.
    pub fn is_transient(&self) -> bool {
        match self {
            HubError::Http { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            HubError::Network { .. } | HubError::Unreachable { .. } => true,
            _ => false,
        }
    }
}

pub type Result<T, E = HubError> = std::result::Result<T, E>;

impl crate::report::Hint for HubError {
    /// An actionable suggestion, shown as `hint:` under the error.
    fn hint(&self) -> Option<String> {
        Some(match self {
            HubError::Offline { .. } => {
                "download it once without `--offline`/`HF_HUB_OFFLINE`, then it is read from the cache".into()
            }
            HubError::RepoNotFound { repo, .. } => format!(
                "check the spelling and `--repo-type`; if `{repo}` is private, log in with `hfx login` or pass `--token`"
            ),
            HubError::RevisionNotFound { .. } => "use a branch, tag or full commit hash that exists on the Hub".into(),
            HubError::EntryNotFound { .. } => "list the repository's files with `hfx download --dry-run`".into(),
            HubError::GatedRepo { url, status, .. } => {
                if *status == 401 {
                    format!("log in with `hfx login` after accepting the conditions at {url}")
                } else {
                    format!(
                        "request access at {url}; fine-grained tokens also need the \"public gated repositories\" permission"
                    )
                }
            }
            HubError::InvalidToken { .. } => {
                "log in again with a valid token (`hfx login`), or go anonymous with `hfx logout` and no `HF_TOKEN`"
                    .into()
            }
            HubError::NotLoggedIn => "run `hfx login`, or set `HF_TOKEN`".into(),
            HubError::Forbidden { .. } => "make sure your token has the permissions this action needs".into(),
            HubError::Conflict { message } if message.contains("moved while uploading") => {
                "run the same command again: files already committed are skipped".into()
            }
            HubError::Conflict { .. } => {
                "it already exists; pass `--exist-ok` to accept that, or pick another name".into()
            }
            HubError::LocalPath { .. } => "check the local path and its permissions".into(),
            HubError::Xet { .. } if !super::xet::AVAILABLE => {
                "this repository takes uploads through Xet only: build hfx with `--features xet`".into()
            }
            HubError::Xet { .. } => "set `HF_HUB_DISABLE_XET=1` to upload through plain LFS instead".into(),
            HubError::Http { status: 429, .. } => {
                "you are rate limited; wait a few minutes or log in for a higher limit".into()
            }
            HubError::Network { source, .. } if source.is_timeout() => format!(
                "nothing arrived for {TIMEOUTS}; raise them on a slow link. Re-running resumes partial downloads"
            ),
            HubError::Network { .. } => {
                "check your connection or `HF_ENDPOINT`; re-running resumes partial downloads".into()
            }
            HubError::Unreachable { timed_out: true, .. } => format!(
                "something accepted the connection but sent nothing back for {TIMEOUTS}: check `HF_ENDPOINT` and any proxy, or raise the timeouts on a slow link; models already in the cache run without the Hub (`--offline`)"
            ),
            HubError::Unreachable { .. } => "check your connection, proxy and `HF_ENDPOINT`; models already in the cache run without the Hub (`--offline` or `HF_HUB_OFFLINE=1` skips it)".into(),
            HubError::ChecksumMismatch { .. } => "the corrupt download was deleted; run the command again".into(),
            HubError::LocalEntryNotFound { offline: true, .. } | HubError::RevisionNotCached { offline: true, .. } => {
                "download it first without `--offline` (and without `HF_HUB_OFFLINE`)".into()
            }
            HubError::LocalEntryNotFound { .. } | HubError::RevisionNotCached { .. } => {
                "the Hub could not be reached and nothing usable is cached; check your connection".into()
            }
            HubError::IncompleteSnapshot { repo, .. } => format!("complete it with `hfx download {repo}` while online"),
            HubError::Cache(e) => return e.hint(),
            _ => return None,
        })
    }
}
