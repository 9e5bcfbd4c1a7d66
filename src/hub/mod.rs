//! Talking to the Hub: HTTP client, metadata API, token storage and the download engine.
//! Knows nothing of clap or terminals; progress goes through [`download::DownloadReporter`].

pub mod api;
pub mod auth;
pub mod client;
pub mod download;
mod error;
pub mod upload;
pub mod xet;

pub use client::{ClientOptions, HubClient, Notifier, Silent};
pub use error::{HubError, Result};

/// A path as a glob that matches only itself (metacharacters bracketed).
pub fn literal_glob(path: &str) -> String {
    path.chars().map(|c| if matches!(c, '*' | '?' | '[' | ']') { format!("[{c}]") } else { c.to_string() }).collect()
}

/// Include/exclude matchers with huggingface_hub's fnmatch semantics: `*` crosses `/`, and a
/// pattern ending in `/` means the whole folder. `None` when there are no patterns.
pub(crate) fn fnmatch_globs(patterns: &[String]) -> Result<Option<globset::GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        let p = if p.ends_with('/') { format!("{p}*") } else { p.clone() };
        b.add(
            globset::Glob::new(&p)
                .map_err(|e| HubError::InvalidInput { message: format!("invalid glob `{p}`: {e}") })?,
        );
    }
    b.build().map(Some).map_err(|e| HubError::InvalidInput { message: e.to_string() })
}
