//! Hub metadata calls: whoami, search, repo info, tree listing, file metadata (HEAD).

use std::collections::BTreeMap;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use super::client::{ErrorContext, HubClient, Notifier, encode_revision, redirect_target};
use super::error::{HubError, Result};
use crate::cache::{RepoId, RepoType, TreeEntry};
use crate::settings::Secret;

/// `GET /api/whoami-v2`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WhoAmI {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default)]
    pub fullname: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub orgs: Vec<OrgInfo>,
    #[serde(default)]
    pub auth: Option<AuthInfo>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OrgInfo {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AuthInfo {
    #[serde(rename = "accessToken", default)]
    pub access_token: Option<AccessTokenInfo>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AccessTokenInfo {
    #[serde(rename = "displayName", default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
}

/// One search result, as the Hub returns it (camelCase on the wire).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoSummary {
    pub id: String,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub downloads: Option<u64>,
    #[serde(default)]
    pub likes: Option<u64>,
    #[serde(default)]
    pub last_modified: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub private: Option<bool>,
    #[serde(default)]
    pub gated: Option<serde_json::Value>,
    #[serde(default, rename = "pipeline_tag")]
    pub pipeline_tag: Option<String>,
    #[serde(default, rename = "library_name")]
    pub library_name: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub trending_score: Option<f64>,
}

/// Search parameters (`/api/{models,datasets,spaces}`).
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub repo_type: Option<RepoType>,
    pub search: Option<String>,
    pub author: Option<String>,
    pub filters: Vec<String>,
    /// API sort key: downloads, likes, trendingScore, createdAt, lastModified.
    pub sort: Option<String>,
    pub limit: usize,
}

/// `GET /api/{type}s/{repo}/revision/{rev}`: the fields hfx needs.
#[derive(Debug, Clone, Deserialize)]
pub struct RevisionInfo {
    pub sha: String,
    #[serde(default)]
    pub private: Option<bool>,
    #[serde(default)]
    pub gated: Option<serde_json::Value>,
}

/// One file of a revision with its size and LFS id (`blobs=true` siblings).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Sibling {
    #[serde(rename(deserialize = "rfilename"))]
    pub path: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default, rename(deserialize = "blobId"))]
    pub blob_id: Option<String>,
    #[serde(default)]
    pub lfs: Option<SiblingLfs>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SiblingLfs {
    pub sha256: String,
    pub size: u64,
}

/// `GET /api/{type}s/{repo}/revision/{rev}?blobs=true`.
#[derive(Debug, Clone, Deserialize)]
pub struct RepoDetails {
    pub sha: String,
    #[serde(default, rename = "lastModified")]
    pub last_modified: Option<String>,
    #[serde(default)]
    pub private: Option<bool>,
    #[serde(default)]
    pub gated: Option<serde_json::Value>,
    #[serde(default)]
    pub siblings: Vec<Sibling>,
}

/// One entry of a tree listing, files and folders.
#[derive(Debug, Clone, Serialize)]
pub struct PathEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
    pub size: u64,
    pub oid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lfs_sha256: Option<String>,
}

/// A branch or tag (`GET /api/{type}s/{repo}/refs`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct GitRef {
    pub name: String,
    #[serde(rename(deserialize = "targetCommit"))]
    pub target_commit: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Refs {
    #[serde(default)]
    pub branches: Vec<GitRef>,
    #[serde(default)]
    pub tags: Vec<GitRef>,
}

#[derive(Debug, Clone, Deserialize)]
struct TreeItem {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    oid: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    lfs: Option<LfsInfo>,
    #[serde(default, rename = "xetHash")]
    xet_hash: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct LfsInfo {
    oid: String,
    size: u64,
}

/// What a HEAD on a resolve URL tells (hub-protocol.md 2.6).
#[derive(Debug, Clone)]
pub struct FileMetadata {
    pub commit: String,
    pub etag: String,
    pub size: u64,
    /// Where to GET the bytes: the CDN location of an LFS file, or the final Hub URL.
    pub location: Url,
}

/// Next page from a GitHub-style `Link: <url>; rel="next"` header.
fn next_link(resp: &reqwest::Response) -> Option<Url> {
    let link = resp.headers().get(reqwest::header::LINK)?.to_str().ok()?;
    for part in link.split(',') {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        if pieces.any(|p| p.trim().replace(' ', "") == "rel=\"next\"") {
            let target = target.trim_start_matches('<').trim_end_matches('>');
            return Url::parse(target).ok();
        }
    }
    None
}

fn normalize_etag(raw: &str) -> String {
    raw.trim().trim_start_matches("W/").trim_matches('"').to_string()
}

fn get_header(h: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

impl HubClient {
    /// What a request is about, for error messages.
    pub(crate) fn ctx(&self, repo: Option<&RepoId>, revision: Option<&str>, path: Option<&str>) -> ErrorContext {
        ErrorContext {
            repo: repo.cloned(),
            revision: revision.map(str::to_string),
            path: path.map(str::to_string),
            endpoint: self.endpoint().to_string(),
        }
    }

    /// Read a JSON body, naming the URL when it does not parse.
    pub(crate) async fn json<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T> {
        let url = resp.url().to_string();
        let bytes = resp.bytes().await.map_err(|e| HubError::Network { url: url.clone(), source: e })?;
        serde_json::from_slice(&bytes).map_err(|e| HubError::InvalidResponse { url, reason: e.to_string() })
    }

    /// Who the token belongs to; `token` overrides the configured one (used by login).
    pub async fn whoami(&self, token: Option<&Secret>, notify: &dyn Notifier) -> Result<WhoAmI> {
        if token.is_none() && !self.has_token() {
            return Err(HubError::NotLoggedIn);
        }
        let url = self.url("api/whoami-v2")?;
        let resp = self
            .send(|| self.request_with_token(Method::GET, url.clone(), token), &self.ctx(None, None, None), notify)
            .await
            .map_err(|e| match e {
                HubError::RepoNotFound { .. } => {
                    HubError::InvalidToken { message: "Invalid credentials in Authorization header".into() }
                }
                other => other,
            })?;
        Self::json(resp).await
    }

    /// Search the Hub, following `Link` pagination until `limit` results.
    pub async fn search(&self, q: &SearchQuery, notify: &dyn Notifier) -> Result<Vec<RepoSummary>> {
        let kind = q.repo_type.unwrap_or(RepoType::Model).plural();
        let mut url = self.url(&format!("api/{kind}"))?;
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(s) = &q.search {
                pairs.append_pair("search", s);
            }
            if let Some(a) = &q.author {
                pairs.append_pair("author", a);
            }
            for f in &q.filters {
                pairs.append_pair("filter", f);
            }
            if let Some(s) = &q.sort {
                pairs.append_pair("sort", s);
            }
            if q.limit > 0 {
                pairs.append_pair("limit", &q.limit.to_string());
            }
        }
        let mut out = Vec::new();
        let mut next = Some(url);
        let ctx = self.ctx(None, None, None);
        while let Some(page) = next.take() {
            let resp = self.send(|| self.request(Method::GET, page.clone()), &ctx, notify).await?;
            next = next_link(&resp);
            let items: Vec<RepoSummary> = Self::json(resp).await?;
            let empty = items.is_empty();
            out.extend(items);
            if (q.limit > 0 && out.len() >= q.limit) || empty {
                break;
            }
        }
        if q.limit > 0 {
            out.truncate(q.limit);
        }
        Ok(out)
    }

    /// Resolve a revision to its commit (`/api/{type}s/{repo}/revision/{rev}`).
    pub async fn revision_info(&self, repo: &RepoId, revision: &str, notify: &dyn Notifier) -> Result<RevisionInfo> {
        let url = self.api_url(repo, &format!("revision/{}", encode_revision(revision)))?;
        let ctx = self.ctx(Some(repo), Some(revision), None);
        let resp = self.send(|| self.request(Method::GET, url.clone()), &ctx, notify).await?;
        let info: RevisionInfo = Self::json(resp).await?;
        if !crate::cache::is_commit_hash(&info.sha) {
            return Err(HubError::InvalidResponse {
                url: url.to_string(),
                reason: format!("`sha` is not a commit hash: {}", info.sha),
            });
        }
        Ok(info)
    }

    /// Commit, files, sizes and LFS ids of a revision.
    pub async fn repo_details(&self, repo: &RepoId, revision: &str, notify: &dyn Notifier) -> Result<RepoDetails> {
        let mut url = self.api_url(repo, &format!("revision/{}", encode_revision(revision)))?;
        url.query_pairs_mut().append_pair("blobs", "true");
        let ctx = self.ctx(Some(repo), Some(revision), None);
        let resp = self.send(|| self.request(Method::GET, url.clone()), &ctx, notify).await?;
        Self::json(resp).await
    }

    /// Files and folders under `path` (direct children, or everything with `recursive`).
    pub async fn list_path(
        &self,
        repo: &RepoId,
        revision: &str,
        path: &str,
        recursive: bool,
        notify: &dyn Notifier,
    ) -> Result<Vec<PathEntry>> {
        let suffix = if path.is_empty() {
            format!("tree/{}", encode_revision(revision))
        } else {
            format!("tree/{}/{}", encode_revision(revision), super::client::encode_path(path))
        };
        let mut url = self.api_url(repo, &suffix)?;
        url.query_pairs_mut()
            .append_pair("recursive", if recursive { "true" } else { "false" })
            .append_pair("expand", "false");
        let ctx = self.ctx(Some(repo), Some(revision), Some(path));
        let mut out = Vec::new();
        let mut next = Some(url);
        while let Some(page) = next.take() {
            let resp = self.send(|| self.request(Method::GET, page.clone()), &ctx, notify).await?;
            next = next_link(&resp);
            let items: Vec<TreeItem> = Self::json(resp).await?;
            out.extend(items.into_iter().map(|i| PathEntry {
                kind: i.kind,
                path: i.path,
                size: i.size,
                oid: i.oid,
                lfs_sha256: i.lfs.map(|l| l.oid),
            }));
        }
        Ok(out)
    }

    /// Branches and tags.
    pub async fn list_refs(&self, repo: &RepoId, notify: &dyn Notifier) -> Result<Refs> {
        let url = self.api_url(repo, "refs")?;
        let ctx = self.ctx(Some(repo), None, None);
        let resp = self.send(|| self.request(Method::GET, url.clone()), &ctx, notify).await?;
        Self::json(resp).await
    }

    /// Send a write call with a JSON body; 409 becomes [`HubError::Conflict`].
    async fn write_json(
        &self,
        method: Method,
        url: Url,
        body: serde_json::Value,
        ctx: &ErrorContext,
        notify: &dyn Notifier,
    ) -> Result<reqwest::Response> {
        let build = || Ok(self.request(method.clone(), url.clone())?.json(&body));
        match self.send(build, ctx, notify).await {
            Err(HubError::Http { status: 409, message, .. }) => Err(HubError::Conflict { message }),
            other => other,
        }
    }

    /// `POST /api/repos/create`; returns the repository URL. With `exist_ok`, an existing
    /// repository is fine.
    pub async fn create_repo(
        &self,
        repo: &RepoId,
        private: bool,
        exist_ok: bool,
        sdk: Option<&str>,
        notify: &dyn Notifier,
    ) -> Result<String> {
        let (org, name) = repo.id.split_once('/').map_or((None, repo.id.as_str()), |(o, n)| (Some(o), n));
        let mut body =
            serde_json::json!({"name": name, "organization": org, "type": repo.repo_type.as_str(), "private": private});
        if let Some(sdk) = sdk {
            body["sdk"] = serde_json::Value::String(sdk.to_string());
        }
        let url = self.url("api/repos/create")?;
        let page = format!("{}/{}{}", self.endpoint(), repo.repo_type.url_prefix(), repo.id);
        match self.write_json(Method::POST, url, body, &self.ctx(None, None, None), notify).await {
            Ok(resp) => {
                #[derive(Deserialize)]
                struct Created {
                    url: Option<String>,
                }
                Ok(Self::json::<Created>(resp).await.ok().and_then(|c| c.url).unwrap_or(page))
            }
            Err(HubError::Conflict { .. }) if exist_ok => Ok(page),
            Err(HubError::Conflict { .. }) => {
                Err(HubError::Conflict { message: format!("{} `{}` already exists", repo.repo_type, repo.id) })
            }
            Err(e) => Err(e),
        }
    }

    /// `DELETE /api/repos/delete`.
    pub async fn delete_repo(&self, repo: &RepoId, notify: &dyn Notifier) -> Result<()> {
        let (org, name) = repo.id.split_once('/').map_or((None, repo.id.as_str()), |(o, n)| (Some(o), n));
        let body = serde_json::json!({"name": name, "organization": org, "type": repo.repo_type.as_str()});
        let url = self.url("api/repos/delete")?;
        self.write_json(Method::DELETE, url, body, &self.ctx(Some(repo), None, None), notify).await?;
        Ok(())
    }

    /// Create (`from` = starting revision) or delete a branch.
    pub async fn write_branch(
        &self,
        repo: &RepoId,
        branch: &str,
        create: Option<Option<&str>>,
        notify: &dyn Notifier,
    ) -> Result<()> {
        let url = self.api_url(repo, &format!("branch/{}", encode_revision(branch)))?;
        let ctx = self.ctx(Some(repo), Some(branch), None);
        match create {
            Some(from) => {
                let body = from.map_or_else(|| serde_json::json!({}), |f| serde_json::json!({"startingPoint": f}));
                self.write_json(Method::POST, url, body, &ctx, notify).await?;
            }
            None => {
                self.write_json(Method::DELETE, url, serde_json::json!({}), &ctx, notify).await?;
            }
        }
        Ok(())
    }

    /// Create a tag on `revision`.
    pub async fn create_tag(
        &self,
        repo: &RepoId,
        tag: &str,
        revision: &str,
        message: Option<&str>,
        notify: &dyn Notifier,
    ) -> Result<()> {
        let url = self.api_url(repo, &format!("tag/{}", encode_revision(revision)))?;
        let mut body = serde_json::json!({"tag": tag});
        if let Some(m) = message {
            body["message"] = serde_json::Value::String(m.to_string());
        }
        self.write_json(Method::POST, url, body, &self.ctx(Some(repo), Some(revision), None), notify).await?;
        Ok(())
    }

    /// Delete a tag.
    pub async fn delete_tag(&self, repo: &RepoId, tag: &str, notify: &dyn Notifier) -> Result<()> {
        let url = self.api_url(repo, &format!("tag/{}", encode_revision(tag)))?;
        self.write_json(Method::DELETE, url, serde_json::json!({}), &self.ctx(Some(repo), Some(tag), None), notify)
            .await?;
        Ok(())
    }

    /// Every file at `commit`, recursively, following pagination.
    pub async fn list_tree(
        &self,
        repo: &RepoId,
        commit: &str,
        notify: &dyn Notifier,
    ) -> Result<BTreeMap<String, TreeEntry>> {
        let mut url = self.api_url(repo, &format!("tree/{}", encode_revision(commit)))?;
        url.query_pairs_mut().append_pair("recursive", "true").append_pair("expand", "false");
        let ctx = self.ctx(Some(repo), Some(commit), None);
        let mut out = BTreeMap::new();
        let mut next = Some(url);
        while let Some(page) = next.take() {
            let resp = self.send(|| self.request(Method::GET, page.clone()), &ctx, notify).await?;
            next = next_link(&resp);
            let items: Vec<TreeItem> = Self::json(resp).await?;
            for item in items.into_iter().filter(|i| i.kind == "file") {
                let entry = TreeEntry {
                    size: item.size,
                    blob_id: item.oid,
                    lfs_sha256: item.lfs.as_ref().map(|l| l.oid.clone()),
                    lfs_size: item.lfs.as_ref().map(|l| l.size),
                    xet_hash: item.xet_hash,
                };
                out.insert(item.path, entry);
            }
        }
        Ok(out)
    }

    /// HEAD a resolve URL: commit, etag, size and where the bytes are.
    pub async fn file_metadata(
        &self,
        repo: &RepoId,
        revision: &str,
        path: &str,
        notify: &dyn Notifier,
    ) -> Result<FileMetadata> {
        let url = self.resolve_url(repo, revision, path)?;
        let ctx = self.ctx(Some(repo), Some(revision), Some(path));
        let timeout = self.options().etag_timeout;
        let build = || {
            Ok(self
                .request(Method::HEAD, url.clone())?
                .header(reqwest::header::ACCEPT_ENCODING, "identity")
                .timeout(timeout))
        };
        let resp = match self.send(build, &ctx, notify).await {
            Ok(r) => r,
            Err(HubError::EntryNotFound { repo: r, revision: rev, path: p }) => {
                return Err(HubError::EntryNotFound { repo: r, revision: rev, path: p });
            }
            Err(e) => return Err(e),
        };
        let h = resp.headers();
        let final_url = resp.url().clone();
        let invalid =
            |reason: &str| HubError::InvalidResponse { url: final_url.to_string(), reason: reason.to_string() };
        let commit =
            get_header(h, "x-repo-commit").ok_or_else(|| invalid("no X-Repo-Commit header: is HF_ENDPOINT a Hub?"))?;
        let etag = get_header(h, "x-linked-etag")
            .or_else(|| get_header(h, "etag"))
            .map(|e| normalize_etag(&e))
            .ok_or_else(|| invalid("no ETag header"))?;
        let redirected = resp.status().is_redirection();
        let size = get_header(h, "x-linked-size")
            .or_else(|| if redirected { None } else { get_header(h, "content-length") })
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| invalid("no X-Linked-Size or Content-Length header"))?;
        let location = if redirected {
            redirect_target(&resp).ok_or_else(|| invalid("redirect without a valid Location"))?
        } else {
            final_url.clone()
        };
        Ok(FileMetadata { commit, etag, size, location })
    }

    /// Bytes `start..end` (exclusive) of a file located by `file_metadata`: a Range GET, for
    /// reading a parquet footer without the file. A server that ignores Range still works.
    pub async fn read_range(
        &self,
        repo: &RepoId,
        meta: &FileMetadata,
        path: &str,
        start: u64,
        end: u64,
        notify: &dyn Notifier,
    ) -> Result<bytes::Bytes> {
        let ctx = self.ctx(Some(repo), Some(&meta.commit), Some(path));
        let build = || {
            Ok(self
                .request(Method::GET, meta.location.clone())?
                .header(reqwest::header::RANGE, format!("bytes={start}-{}", end.saturating_sub(1)))
                .header(reqwest::header::ACCEPT_ENCODING, "identity"))
        };
        let resp = self.send(build, &ctx, notify).await?;
        let partial = resp.status() == reqwest::StatusCode::PARTIAL_CONTENT;
        let url = resp.url().to_string();
        let body = resp.bytes().await.map_err(|e| HubError::Network { url: url.clone(), source: e })?;
        let want = usize::try_from(end - start).unwrap_or(usize::MAX);
        if partial {
            if body.len() != want {
                return Err(HubError::InvalidResponse {
                    url,
                    reason: format!("asked for {want} bytes, got {}", body.len()),
                });
            }
            return Ok(body);
        }
        let (s, e) = (usize::try_from(start).unwrap_or(usize::MAX), usize::try_from(end).unwrap_or(usize::MAX));
        body.get(s..e)
            .map(|b| body.slice_ref(b))
            .ok_or_else(|| HubError::InvalidResponse { url, reason: "short body".into() })
    }

    /// The commit a 404 EntryNotFound on a resolve URL carried (for `.no_exist` markers).
    pub async fn entry_missing_commit(&self, repo: &RepoId, revision: &str, path: &str) -> Option<String> {
        let url = self.resolve_url(repo, revision, path).ok()?;
        let resp = self.request(Method::HEAD, url).ok()?.send().await.ok()?;
        get_header(resp.headers(), "x-repo-commit")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_normalised() {
        assert_eq!(normalize_etag("W/\"abc\""), "abc");
        assert_eq!(normalize_etag("\"abc\""), "abc");
        assert_eq!(normalize_etag("abc"), "abc");
    }
}
