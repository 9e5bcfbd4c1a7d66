//! The upload engine (hub-protocol.md 2.9): hash local files once (streaming, in parallel),
//! ask `preupload` which are LFS and which are unchanged, push LFS objects through the batch
//! API (`basic` single PUT or `multipart` parallel part PUTs, then `verify`), and commit with
//! the NDJSON endpoint guarded by `parentCommit`. Large folders go in several bounded commits,
//! so an interrupted upload, re-run, skips what is committed or already stored.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use futures::{StreamExt, TryStreamExt};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use sha1::Digest as _;
use url::Url;

mod classify;
mod commit;
mod transfer;

use classify::{LocalFile, collect, hash_all, local_error};
use commit::Op;

use super::client::{ErrorContext, HubClient, Notifier, encode_revision, map_error};
use super::error::{HubError, Result};
use crate::cache::{RepoId, validate_repo_path};

/// What to upload where.
#[derive(Debug, Clone)]
pub struct UploadRequest {
    pub repo: RepoId,
    /// Branch to commit to.
    pub revision: String,
    /// A file or a folder.
    pub local: PathBuf,
    /// Destination in the repository (`""` = root for a folder, the file name for a file).
    pub path_in_repo: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Remote files matching these globs are deleted in the same commit.
    pub delete: Vec<String>,
    pub commit_message: Option<String>,
    pub commit_description: Option<String>,
    pub create_pr: bool,
    /// Used only when the repository has to be created.
    pub private: bool,
}

/// Limits; the defaults follow `hf upload` (hub-protocol.md 1.3, 2.9).
#[derive(Debug, Clone)]
pub struct UploadOptions {
    pub max_workers: usize,
    pub max_files_per_commit: usize,
    pub max_inline_bytes_per_commit: u64,
    /// Offer the Xet transfer to the LFS batch API (needs the `xet` feature, see `xet.rs`).
    pub xet: bool,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self { max_workers: 8, max_files_per_commit: 500, max_inline_bytes_per_commit: 64 << 20, xet: false }
    }
}

/// How the Hub asked for one commit's LFS objects to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transfer {
    /// The git-LFS protocol: each object by `basic` PUT or `multipart` parts ([`ObjectUpload`]).
    Lfs,
    /// Xet storage, through the hf-hub crate (the whole commit goes that way).
    Xet,
}

/// Transfers offered in an LFS batch request, in huggingface_hub's order.
fn offered_transfers(xet: bool) -> &'static [&'static str] {
    if xet { &["basic", "multipart", "xet"] } else { &["basic", "multipart"] }
}

/// The batch answer's `transfer`, checked against the offer (no answer means `basic`).
fn chosen_transfer(answer: Option<&str>, offered: &[&str], repo: &RepoId) -> Result<Transfer> {
    let t = answer.unwrap_or("basic");
    if !offered.contains(&t) {
        return Err(if t == "xet" {
            super::xet::not_built(repo)
        } else {
            HubError::InvalidResponse {
                url: "LFS batch".into(),
                reason: format!("the Hub chose the `{t}` transfer; hfx offered {}", offered.join(", ")),
            }
        });
    }
    Ok(if t == "xet" { Transfer::Xet } else { Transfer::Lfs })
}

/// How one LFS object goes up: a `chunk_size` in the upload action's header means multipart
/// (numbered part URLs in the same header), otherwise one PUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectUpload {
    Single,
    Parts { chunk: u64 },
}

fn object_upload(header: &serde_json::Map<String, serde_json::Value>) -> ObjectUpload {
    match header.get("chunk_size").and_then(|v| v.as_str().and_then(|s| s.parse::<u64>().ok()).or_else(|| v.as_u64())) {
        Some(chunk) if chunk > 0 => ObjectUpload::Parts { chunk },
        _ => ObjectUpload::Single,
    }
}

/// One commit of an upload: where it goes, what it builds on and what it changes.
#[derive(Clone, Copy)]
struct CommitPlan<'a> {
    repo: &'a RepoId,
    revision: &'a str,
    /// The branch head the commit must build on (sent as `parentCommit` unless `create_pr`).
    parent: &'a str,
    create_pr: bool,
    summary: &'a str,
    description: Option<&'a str>,
    ops: &'a [Op<'a>],
}

/// The message for a branch that moved under an upload (`parentCommit` refused).
pub(crate) fn moved_message(revision: &str, repo: &str) -> String {
    format!(
        "`{revision}` of `{repo}` moved while uploading (someone else committed); nothing was overwritten, re-run to upload on top of it"
    )
}

/// Progress, implemented by `output`.
pub trait UploadReporter: Notifier {
    fn hashing(&self, _files: usize, _bytes: u64) {}
    fn hashed(&self, _bytes: u64) {}
    fn uploading(&self, _bytes: u64) {}
    fn uploaded(&self, _bytes: u64) {}
    fn finish(&self) {}
}

/// A reporter that reports nothing.
pub struct NoUploadProgress;
impl Notifier for NoUploadProgress {}
impl UploadReporter for NoUploadProgress {}

#[derive(Debug, Clone, Serialize, Default)]
pub struct UploadOutcome {
    pub repo_id: String,
    pub repo_type: String,
    pub revision: String,
    /// The last commit made (None when everything was already up to date).
    pub commit_oid: Option<String>,
    pub commit_url: Option<String>,
    pub pr_url: Option<String>,
    pub commits: usize,
    pub files_committed: usize,
    pub files_unchanged: usize,
    pub files_deleted: usize,
    /// LFS bytes sent in this run (objects the Hub already had are not sent).
    pub lfs_bytes_uploaded: u64,
}

#[derive(Debug, Deserialize)]
struct PreuploadFile {
    path: String,
    #[serde(rename = "uploadMode")]
    upload_mode: String,
    #[serde(default, rename = "shouldIgnore")]
    should_ignore: bool,
    #[serde(default)]
    oid: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PreuploadResponse {
    files: Vec<PreuploadFile>,
}

const LFS_MEDIA: &str = "application/vnd.git-lfs+json";

/// Files above this are never committed inline (the commit endpoint rejects them).
const REGULAR_MAX: u64 = 10 << 20;

/// The Hub's hard per-file limit (hub-protocol.md 2.9).
const MAX_FILE_SIZE: u64 = 200_000_000_000;

/// Uploads through one client.
pub struct Uploader<'a> {
    client: &'a HubClient,
    opts: UploadOptions,
    reporter: &'a dyn UploadReporter,
    sent: AtomicU64,
}

impl<'a> Uploader<'a> {
    pub fn new(client: &'a HubClient, opts: UploadOptions, reporter: &'a dyn UploadReporter) -> Self {
        Self { client, opts, reporter, sent: AtomicU64::new(0) }
    }

    fn ctx(&self, repo: &RepoId, revision: &str) -> ErrorContext {
        self.client.ctx(Some(repo), Some(revision), None)
    }

    pub async fn upload(&self, req: &UploadRequest) -> Result<UploadOutcome> {
        if !self.client.has_token() {
            return Err(HubError::NotLoggedIn);
        }
        let listed = collect(req)?;
        if listed.is_empty() && req.delete.is_empty() {
            return Err(local_error(&req.local, "no files to upload (check --include/--exclude)"));
        }
        let files = tokio::task::block_in_place(|| hash_all(listed, self.reporter))?;

        // Create the repository if needed; a 403 is fine when it already exists.
        match self.client.create_repo(&req.repo, req.private, true, None, self.reporter).await {
            Ok(_) => {}
            Err(e @ (HubError::Forbidden { .. } | HubError::InvalidToken { .. })) => {
                if self.client.revision_info(&req.repo, &req.revision, self.reporter).await.is_err() {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
        let mut head = self.client.revision_info(&req.repo, &req.revision, self.reporter).await?.sha;

        // Which files are LFS, ignored or unchanged.
        let mut modes: HashMap<String, PreuploadFile> = HashMap::new();
        for chunk in files.chunks(256) {
            let body = serde_json::json!({
                "files": chunk.iter().map(|f| serde_json::json!({
                    "path": f.path,
                    "sample": base64::engine::general_purpose::STANDARD.encode(&f.sample),
                    "size": f.size,
                })).collect::<Vec<_>>()
            });
            let mut url = self.client.api_url(&req.repo, &format!("preupload/{}", encode_revision(&req.revision)))?;
            if req.create_pr {
                url.query_pairs_mut().append_pair("create_pr", "1");
            }
            let ctx = self.ctx(&req.repo, &req.revision);
            let resp = self
                .client
                .send(|| Ok(self.client.request(Method::POST, url.clone())?.json(&body)), &ctx, self.reporter)
                .await?;
            let parsed: PreuploadResponse = HubClient::json(resp).await?;
            for f in parsed.files {
                modes.insert(f.path.clone(), f);
            }
        }
        let mut ops = Vec::new();
        let mut unchanged = 0;
        for f in &files {
            let Some(m) = modes.get(&f.path) else {
                return Err(HubError::InvalidResponse {
                    url: "preupload".into(),
                    reason: format!("no answer for `{}`", f.path),
                });
            };
            if m.should_ignore {
                continue;
            }
            let lfs = m.upload_mode == "lfs" && f.size > 0;
            let local_oid = if lfs { &f.sha256 } else { &f.git_oid };
            if m.oid.as_deref() == Some(local_oid.as_str()) {
                unchanged += 1;
                continue;
            }
            ops.push(if lfs { Op::Lfs(f) } else { Op::Regular(f) });
        }
        let mut deleted = 0;
        if let Some(g) = super::fnmatch_globs(&req.delete)? {
            let uploading: std::collections::HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
            let remote = self.client.list_tree(&req.repo, &head, self.reporter).await?;
            for path in remote.keys().filter(|p| g.is_match(p.as_str()) && !uploading.contains(p.as_str())) {
                ops.push(Op::Delete(path.clone()));
                deleted += 1;
            }
        }
        let mut outcome = UploadOutcome {
            repo_id: req.repo.id.clone(),
            repo_type: req.repo.repo_type.as_str().into(),
            revision: req.revision.clone(),
            files_unchanged: unchanged,
            files_deleted: deleted,
            ..UploadOutcome::default()
        };
        if ops.is_empty() {
            self.reporter.finish();
            return Ok(outcome);
        }
        // Deletions first, then bounded batches: each batch is one commit.
        ops.sort_by_key(|o| !matches!(o, Op::Delete(_)));
        let mut batches: Vec<Vec<Op>> = vec![Vec::new()];
        let mut inline = 0u64;
        for op in ops {
            let size = match &op {
                Op::Regular(f) => f.size,
                _ => 0,
            };
            let last = batches.last().map_or(0, Vec::len);
            if last >= self.opts.max_files_per_commit
                || (last > 0 && inline + size > self.opts.max_inline_bytes_per_commit)
            {
                batches.push(Vec::new());
                inline = 0;
            }
            inline += size;
            if let Some(b) = batches.last_mut() {
                b.push(op);
            }
        }
        let lfs_total: u64 =
            batches.iter().flatten().filter_map(|o| if let Op::Lfs(f) = o { Some(f.size) } else { None }).sum();
        self.reporter.uploading(lfs_total);
        let mut revision = req.revision.clone();
        let mut create_pr = req.create_pr;
        let total = batches.len();
        for (i, batch) in batches.iter().enumerate() {
            let lfs: Vec<&LocalFile> =
                batch.iter().filter_map(|o| if let Op::Lfs(f) = o { Some(*f) } else { None }).collect();
            let transfer = self.push_lfs(&req.repo, &revision, &lfs).await?;
            let summary = match (&req.commit_message, total) {
                (Some(m), 1) => m.clone(),
                (Some(m), n) => format!("{m} (part {} of {n})", i + 1),
                (None, 1) => "Upload with hfx".to_string(),
                (None, n) => format!("Upload with hfx (part {} of {n})", i + 1),
            };
            let plan = CommitPlan {
                repo: &req.repo,
                revision: &revision,
                parent: &head,
                create_pr,
                summary: &summary,
                description: req.commit_description.as_deref(),
                ops: batch,
            };
            let resp = match transfer {
                Transfer::Lfs => self.commit(&plan).await?,
                Transfer::Xet => self.commit_xet(&plan).await?,
            };
            head = resp.commit_oid.clone();
            outcome.commits += 1;
            outcome.files_committed += batch.iter().filter(|o| !matches!(o, Op::Delete(_))).count();
            outcome.commit_oid = Some(resp.commit_oid);
            outcome.commit_url = resp.commit_url;
            if let Some(pr) = resp.pull_request_url {
                // Later parts go on the pull request's branch.
                if let Some(num) = pr.rsplit('/').next().filter(|n| n.parse::<u32>().is_ok()) {
                    revision = format!("refs/pr/{num}");
                }
                create_pr = false;
                outcome.pr_url = Some(pr);
            }
        }
        outcome.lfs_bytes_uploaded = self.sent.load(Ordering::Relaxed);
        self.reporter.finish();
        Ok(outcome)
    }
}

/// Add the string headers an LFS action asks for.
fn with_headers(
    mut r: reqwest::RequestBuilder,
    header: &serde_json::Map<String, serde_json::Value>,
) -> reqwest::RequestBuilder {
    for (k, v) in header {
        if let Some(v) = v.as_str() {
            r = r.header(k.as_str(), v);
        }
    }
    r
}

/// A file as a stream of 1 MiB chunks.
fn read_stream(file: std::fs::File) -> impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    futures::stream::try_unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 1 << 20];
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some((bytes::Bytes::from(buf), f)))
    })
}

fn parse_url(s: &str) -> Result<Url> {
    Url::parse(s).map_err(|e| HubError::InvalidResponse { url: s.to_string(), reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(local: &Path, dest: Option<&str>) -> UploadRequest {
        UploadRequest {
            repo: RepoId::new(crate::cache::RepoType::Model, "o/n").unwrap(),
            revision: "main".into(),
            local: local.to_path_buf(),
            path_in_repo: dest.map(str::to_string),
            include: vec![],
            exclude: vec!["*.tmp".into()],
            delete: vec![],
            commit_message: None,
            commit_description: None,
            create_pr: false,
            private: false,
        }
    }

    #[test]
    fn collects_folders_and_single_files() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        fs_err::create_dir_all(d.join("sub")).unwrap();
        fs_err::create_dir_all(d.join(".git")).unwrap();
        fs_err::write(d.join("a.txt"), "a").unwrap();
        fs_err::write(d.join("sub/b.bin"), "b").unwrap();
        fs_err::write(d.join("x.tmp"), "x").unwrap();
        fs_err::write(d.join(".git/HEAD"), "ref").unwrap();
        let paths: Vec<String> = collect(&req(d, Some("dst/"))).unwrap().into_iter().map(|(_, p, _)| p).collect();
        assert_eq!(paths, vec!["dst/a.txt", "dst/sub/b.bin"]);
        let one: Vec<String> = collect(&req(&d.join("a.txt"), None)).unwrap().into_iter().map(|(_, p, _)| p).collect();
        assert_eq!(one, vec!["a.txt"]);
        let renamed: Vec<String> =
            collect(&req(&d.join("a.txt"), Some("docs/readme.txt"))).unwrap().into_iter().map(|(_, p, _)| p).collect();
        assert_eq!(renamed, vec!["docs/readme.txt"]);
        assert!(collect(&req(&d.join("a.txt"), Some("../escape.txt"))).is_err());
        assert!(collect(&req(&d.join("missing"), None)).is_err());
    }

    #[test]
    fn transfer_selection() {
        let repo = RepoId::new(crate::cache::RepoType::Model, "o/n").unwrap();
        // Xet is offered only when the build has it and HF_HUB_DISABLE_XET is not set.
        assert_eq!(offered_transfers(false), ["basic", "multipart"]);
        assert_eq!(offered_transfers(true), ["basic", "multipart", "xet"]);
        for xet in [false, true] {
            let offered = offered_transfers(xet);
            assert_eq!(chosen_transfer(None, offered, &repo).unwrap(), Transfer::Lfs);
            assert_eq!(chosen_transfer(Some("basic"), offered, &repo).unwrap(), Transfer::Lfs);
            assert_eq!(chosen_transfer(Some("multipart"), offered, &repo).unwrap(), Transfer::Lfs);
            assert!(matches!(chosen_transfer(Some("ssh"), offered, &repo), Err(HubError::InvalidResponse { .. })));
        }
        // The Hub picking Xet: hf-hub's upload when offered, a clear error when it was not.
        assert_eq!(chosen_transfer(Some("xet"), offered_transfers(true), &repo).unwrap(), Transfer::Xet);
        let err = chosen_transfer(Some("xet"), offered_transfers(false), &repo).unwrap_err();
        assert!(matches!(err, HubError::Xet { .. }), "{err:?}");
        assert!(crate::report::Hint::hint(&err).is_some());

        // Per object, within the LFS transfer: a chunk size means multipart.
        let header = |v: serde_json::Value| v.as_object().cloned().unwrap();
        assert_eq!(object_upload(&header(serde_json::json!({}))), ObjectUpload::Single);
        assert_eq!(
            object_upload(&header(serde_json::json!({"chunk_size": "5000000", "1": "u1"}))),
            ObjectUpload::Parts { chunk: 5_000_000 }
        );
        assert_eq!(object_upload(&header(serde_json::json!({"chunk_size": 64}))), ObjectUpload::Parts { chunk: 64 });
        assert_eq!(object_upload(&header(serde_json::json!({"chunk_size": "0"}))), ObjectUpload::Single);
        assert_eq!(object_upload(&header(serde_json::json!({"chunk_size": "x"}))), ObjectUpload::Single);
    }
}
