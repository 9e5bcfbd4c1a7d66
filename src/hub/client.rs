//! The HTTP client: authentication, user agent, retries with backoff, and mapping of Hub
//! error responses (`X-Error-Code`, status) to [`HubError`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use url::Url;

use super::error::{HubError, Result};
use crate::cache::RepoId;
use crate::settings::Secret;

/// What the client needs to know; built by `commands` from the resolved settings.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub endpoint: String,
    pub token: Option<Secret>,
    pub offline: bool,
    pub user_agent_origin: Option<String>,
    pub etag_timeout: Duration,
    pub read_timeout: Duration,
    /// Base delay of the exponential backoff (doubles up to 8x, as huggingface_hub).
    pub retry_base: Duration,
    pub max_retries: u32,
}

impl ClientOptions {
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            token: None,
            offline: false,
            user_agent_origin: None,
            etag_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(1),
            max_retries: 5,
        }
    }
}

/// Receives notices worth showing a user (retries, fallbacks); implemented by `output`.
pub trait Notifier: Send + Sync {
    fn warn(&self, _message: &str) {}
}

/// A notifier that drops everything.
pub struct Silent;
impl Notifier for Silent {}

/// A cheap-to-clone client for one endpoint.
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    opts: ClientOptions,
    endpoint: Url,
    reach: Arc<Reach>,
}

/// Whether the Hub can be reached, learnt once per process (shared by clones). A connection that
/// fails before the Hub ever answered means it is unreachable (no network, dead proxy, wrong
/// endpoint): like huggingface_hub, callers with a cached copy use it at once instead of retrying
/// for half a minute, and later requests fail at once instead of trying again. Once the Hub has
/// answered, a failed connection is a blip and is retried with backoff.
#[derive(Default)]
struct Reach {
    answered: AtomicBool,
    unreachable: OnceLock<String>,
    warned: AtomicBool,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClient").field("endpoint", &self.opts.endpoint).finish_non_exhaustive()
    }
}

/// Percent-encode a revision as one path segment (nothing is safe: `refs/pr/1` -> `refs%2Fpr%2F1`).
pub fn encode_revision(rev: &str) -> String {
    percent_encoding::utf8_percent_encode(rev, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Percent-encode a file path keeping `/`.
pub fn encode_path(path: &str) -> String {
    const SET: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(path, SET).to_string()
}

impl HubClient {
    pub fn new(opts: ClientOptions) -> Result<Self> {
        let endpoint = Url::parse(&format!("{}/", opts.endpoint.trim_end_matches('/'))).map_err(|e| {
            HubError::InvalidResponse { url: opts.endpoint.clone(), reason: format!("invalid endpoint URL: {e}") }
        })?;
        let mut ua = format!("hfx/{}; rust", env!("CARGO_PKG_VERSION"));
        if let Some(origin) = &opts.user_agent_origin {
            ua.push_str("; origin/");
            ua.push_str(origin);
        }
        // Follow redirects only within the same origin (relative redirects of regular files);
        // a redirect to another host (the LFS CDN) is returned so the caller reads the
        // metadata on it and fetches the location without the Authorization header.
        let policy = reqwest::redirect::Policy::custom(|attempt| {
            let same = attempt.previous().first().is_some_and(|first| first.origin() == attempt.url().origin());
            if attempt.previous().len() > 10 || !same { attempt.stop() } else { attempt.follow() }
        });
        let http = reqwest::Client::builder()
            .user_agent(ua)
            .redirect(policy)
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(opts.read_timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| HubError::Network { url: opts.endpoint.clone(), source: e })?;
        Ok(Self { http, opts, endpoint, reach: Arc::default() })
    }

    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    pub fn endpoint(&self) -> &str {
        self.opts.endpoint.trim_end_matches('/')
    }

    pub fn is_offline(&self) -> bool {
        self.opts.offline
    }

    fn unreachable_error(&self, reason: &str) -> HubError {
        HubError::Unreachable {
            endpoint: self.endpoint().to_string(),
            reason: reason.to_string(),
            timed_out: reason == TIMED_OUT,
        }
    }

    /// Say once per process that cached files stand in for the unreachable Hub.
    pub fn warn_fallback(&self, notify: &dyn Notifier, err: &HubError, what: &str) {
        if !self.reach.warned.swap(true, Ordering::Relaxed) {
            notify.warn(&format!("{err}; using {what}"));
        }
    }

    pub fn has_token(&self) -> bool {
        self.opts.token.is_some()
    }

    /// `{endpoint}/{path}`.
    pub fn url(&self, path: &str) -> Result<Url> {
        self.endpoint
            .join(path.trim_start_matches('/'))
            .map_err(|e| HubError::InvalidResponse { url: path.to_string(), reason: e.to_string() })
    }

    /// `{endpoint}/{prefix}{repo}/resolve/{rev}/{path}`.
    pub fn resolve_url(&self, repo: &RepoId, revision: &str, path: &str) -> Result<Url> {
        self.url(&format!(
            "{}{}/resolve/{}/{}",
            repo.repo_type.url_prefix(),
            repo.id,
            encode_revision(revision),
            encode_path(path)
        ))
    }

    /// `{endpoint}/api/{type}s/{repo}/{suffix}`.
    pub fn api_url(&self, repo: &RepoId, suffix: &str) -> Result<Url> {
        let base = format!("api/{}/{}", repo.repo_type.plural(), repo.id);
        self.url(&if suffix.is_empty() { base } else { format!("{base}/{suffix}") })
    }

    /// Whether `url` is on the Hub itself (the token is only ever sent there).
    pub fn is_hub_url(&self, url: &Url) -> bool {
        url.origin() == self.endpoint.origin()
    }

    /// A request with the token attached when `url` is on the Hub, the given token overriding.
    pub fn request_with_token(&self, method: Method, url: Url, token: Option<&Secret>) -> Result<RequestBuilder> {
        if self.opts.offline {
            return Err(HubError::Offline { what: url.to_string() });
        }
        if let Some(reason) = self.reach.unreachable.get() {
            return Err(self.unreachable_error(reason));
        }
        let send_auth = self.is_hub_url(&url);
        let mut req = self.http.request(method, url);
        if send_auth && let Some(t) = token.or(self.opts.token.as_ref()) {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", t.expose())).map_err(|_| {
                HubError::InvalidToken { message: "the token contains characters not allowed in an HTTP header".into() }
            })?;
            value.set_sensitive(true);
            let mut h = HeaderMap::new();
            h.insert(reqwest::header::AUTHORIZATION, value);
            req = req.headers(h);
        }
        Ok(req)
    }

    pub fn request(&self, method: Method, url: Url) -> Result<RequestBuilder> {
        self.request_with_token(method, url, None)
    }

    /// Send with retries on 408/429/5xx and network errors, honouring `Retry-After`.
    /// Non-success responses come back as errors mapped by [`map_error`].
    pub async fn send(
        &self,
        build: impl Fn() -> Result<RequestBuilder>,
        ctx: &ErrorContext,
        notify: &dyn Notifier,
    ) -> Result<Response> {
        let mut attempt = 0u32;
        loop {
            let req = build()?.build().map_err(|e| {
                let url = e.url().map(ToString::to_string).unwrap_or_default();
                HubError::Network { url, source: e }
            })?;
            let (method, target) = (req.method().clone(), req.url().clone());
            let started = std::time::Instant::now();
            let sent = self.http.execute(req).await;
            let ms = started.elapsed().as_millis();
            match &sent {
                Ok(resp) => {
                    self.reach.answered.store(true, Ordering::Relaxed);
                    tracing::debug!("{method} {target} -> {} in {ms} ms", resp.status().as_u16());
                }
                Err(e) => tracing::debug!("{method} {target} -> failed after {ms} ms: {}", innermost(e)),
            }
            let outcome = match sent {
                Ok(resp) if resp.status().is_success() || resp.status().is_redirection() => return Ok(resp),
                Ok(resp) => {
                    let retry_after = retry_after(&resp);
                    let url = resp.url().to_string();
                    (map_error(resp, ctx).await, retry_after, url)
                }
                Err(e) if !self.reach.answered.load(Ordering::Relaxed) => {
                    let reason = self.reach.unreachable.get_or_init(|| innermost(&e));
                    return Err(self.unreachable_error(reason));
                }
                Err(e) => {
                    let url = e.url().map(ToString::to_string).unwrap_or_default();
                    (HubError::Network { url: url.clone(), source: e }, None, url)
                }
            };
            let (err, retry_after, url) = outcome;
            if !err.is_transient() || attempt >= self.opts.max_retries {
                return Err(err);
            }
            let wait = self.backoff(attempt, retry_after);
            notify.warn(&format!("{} ({url}); retrying in {:.1}s", short_reason(&err), wait.as_secs_f64()));
            tracing::debug!(attempt, ?wait, "retrying request");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Backoff for retry number `attempt` (0-based): `Retry-After` when given (capped at a
    /// minute), else base * 2^attempt capped at 8x base.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(Duration::from_secs(60));
        }
        let factor = 1u32 << attempt.min(3);
        self.opts.retry_base * factor
    }
}

fn short_reason(err: &HubError) -> String {
    match err {
        HubError::Http { status, .. } => format!("HTTP {status}"),
        HubError::Network { source, .. } => {
            if source.is_timeout() {
                "timed out".into()
            } else {
                "connection error".into()
            }
        }
        other => other.to_string(),
    }
}

const TIMED_OUT: &str = "timed out";

/// The innermost cause of a network error ("Connection refused (os error 111)", "failed to
/// lookup address information: ..."): reqwest's own message is only "error sending request".
fn innermost(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if e.is_timeout() { TIMED_OUT.into() } else { cause.to_string() }
}

/// Where a redirect response points, resolved against the URL that answered.
pub fn redirect_target(resp: &Response) -> Option<Url> {
    let loc = resp.headers().get(reqwest::header::LOCATION)?.to_str().ok()?;
    resp.url().join(loc).ok()
}

/// `Retry-After` in seconds (the only form the Hub sends).
pub fn retry_after(resp: &Response) -> Option<Duration> {
    let v = resp.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<f64>().ok().filter(|s| *s >= 0.0).map(Duration::from_secs_f64)
}

/// What a request was about, so a 404 can say which repo/revision/file was missing.
#[derive(Debug, Clone, Default)]
pub struct ErrorContext {
    pub repo: Option<RepoId>,
    pub revision: Option<String>,
    pub path: Option<String>,
    pub endpoint: String,
}

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Map an error response like huggingface_hub's `hf_raise_for_status`.
pub async fn map_error(resp: Response, ctx: &ErrorContext) -> HubError {
    let status = resp.status();
    let url = resp.url().to_string();
    let code = header(&resp, "x-error-code");
    let header_msg = header(&resp, "x-error-message");
    let request_id = header(&resp, "x-request-id").or_else(|| header(&resp, "x-amzn-trace-id"));
    let body = resp.text().await.unwrap_or_default();
    let body_msg = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|v| match v.get("error") {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Array(a)) => Some(a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("; ")),
        _ => None,
    });
    let message =
        header_msg.clone().or(body_msg).unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_string());
    let repo = ctx.repo.as_ref().map(|r| r.id.clone()).unwrap_or_default();
    let kind = ctx.repo.as_ref().map_or("repository", |r| match r.repo_type {
        crate::cache::RepoType::Model => "model",
        crate::cache::RepoType::Dataset => "dataset",
        crate::cache::RepoType::Space => "space",
        crate::cache::RepoType::Kernel => "kernel",
    });
    let revision = ctx.revision.clone().unwrap_or_else(|| "main".into());
    match code.as_deref() {
        Some("RevisionNotFound") => return HubError::RevisionNotFound { repo, revision },
        Some("EntryNotFound") => {
            return HubError::EntryNotFound { repo, revision, path: ctx.path.clone().unwrap_or_default() };
        }
        Some("GatedRepo") => {
            let page = ctx.repo.as_ref().map_or_else(String::new, |r| {
                format!("{}/{}{}", ctx.endpoint.trim_end_matches('/'), r.repo_type.url_prefix(), r.id)
            });
            return HubError::GatedRepo { repo, status: status.as_u16(), message, url: page };
        }
        Some("RepoNotFound") => return HubError::RepoNotFound { kind: kind.into(), repo, status: status.as_u16() },
        _ => {}
    }
    if status == StatusCode::UNAUTHORIZED {
        if message.contains("Invalid credentials") || message.contains("invalid token") {
            return HubError::InvalidToken { message };
        }
        if ctx.repo.is_some() {
            // The Hub answers 401 for private, gated-anonymous and missing repos alike.
            return HubError::RepoNotFound { kind: kind.into(), repo, status: 401 };
        }
        return HubError::InvalidToken { message };
    }
    if status == StatusCode::FORBIDDEN {
        return HubError::Forbidden { url, message };
    }
    HubError::Http { status: status.as_u16(), url, message, request_id }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_huggingface_hub() {
        assert_eq!(encode_revision("refs/pr/1"), "refs%2Fpr%2F1");
        assert_eq!(encode_revision("main"), "main");
        assert_eq!(encode_path("dir/a b#.json"), "dir/a%20b%23.json");
    }

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        let mut o = ClientOptions::new("http://x");
        o.retry_base = Duration::from_millis(100);
        let c = HubClient::new(o).unwrap();
        assert_eq!(c.backoff(0, None), Duration::from_millis(100));
        assert_eq!(c.backoff(2, None), Duration::from_millis(400));
        assert_eq!(c.backoff(9, None), Duration::from_millis(800));
        assert_eq!(c.backoff(0, Some(Duration::from_secs(3))), Duration::from_secs(3));
    }

    #[test]
    fn token_only_sent_to_the_hub() {
        let mut o = ClientOptions::new("http://127.0.0.1:9");
        o.token = Some(Secret::new("hf_secret"));
        let c = HubClient::new(o).unwrap();
        let hub = c.request(Method::GET, Url::parse("http://127.0.0.1:9/api/x").unwrap()).unwrap().build().unwrap();
        assert!(hub.headers().contains_key("authorization"));
        let cdn = c.request(Method::GET, Url::parse("http://127.0.0.1:10/blob").unwrap()).unwrap().build().unwrap();
        assert!(!cdn.headers().contains_key("authorization"));
    }
}
