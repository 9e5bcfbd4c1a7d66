//! The download engine: snapshots and single files into the shared cache or a local folder.
//!
//! What it adds over huggingface_hub and the hf-hub crate (hub-protocol.md 4.4, 5):
//! - large files are fetched as parallel HTTP Range chunks into one pre-sized file;
//! - partial downloads resume across processes: `blobs/<etag>.incomplete` keeps the bytes and
//!   `blobs/<etag>.incomplete.state` records, per chunk, how many bytes are on disk (updated
//!   with an in-place 8-byte write after each data write, so a `kill -9` loses almost nothing);
//! - every blob is hashed while it streams (sha256 for LFS, git-blob sha1 otherwise) and a
//!   mismatch deletes it;
//! - retries with backoff on 408/429/5xx/timeouts/dropped connections, honouring `Retry-After`;
//! - one `.locks/<repo>/<etag>.lock` per blob, so concurrent processes share one download.
//!
//! Written on reqwest directly rather than the hf-hub crate because hf-hub 1.x has no resume,
//! no parallel ranges, no offline switch and maps 404s by call site instead of `X-Error-Code`.

use crate::positioned::FileAt;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use tokio::sync::Semaphore;
use url::Url;

mod file;
mod part;
mod transfer;

use super::client::{HubClient, Notifier, map_error, redirect_target, retry_after};
use super::error::{HubError, Result};
use crate::cache::verify::{EtagHasher, EtagKind};
use crate::cache::{
    Cache, FileLock, KnownDirs, RepoCache, RepoId, TreeEntry, atomic_write, is_commit_hash, read_tree_file,
    validate_repo_path, write_tree_file,
};

/// Tuning knobs; the defaults suit both laptops and CI runners.
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// Files downloaded at the same time.
    pub max_workers: usize,
    /// Re-download even when cached.
    pub force: bool,
    /// Files at least this large are split into Range chunks.
    pub chunk_threshold: u64,
    /// Size of one Range chunk.
    pub chunk_size: u64,
    /// Parallel connections for one large file.
    pub connections_per_file: usize,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self { max_workers: 8, force: false, chunk_threshold: 32 << 20, chunk_size: 16 << 20, connections_per_file: 8 }
    }
}

/// Progress of a download, implemented by `output` (indicatif on a terminal).
pub trait DownloadReporter: Notifier {
    fn start(&self, _files: usize, _bytes: u64) {}
    fn file_start(&self, _path: &str, _size: u64, _already: u64) {}
    fn progress(&self, _path: &str, _delta: u64) {}
    fn file_done(&self, _path: &str) {}
    fn finish(&self) {}
}

/// A reporter that reports nothing.
pub struct NoProgress;
impl Notifier for NoProgress {}
impl DownloadReporter for NoProgress {}

/// A file of a commit as the Hub lists it: path, content hash (the blob's name) and size.
#[derive(Debug, Clone, Copy)]
struct Remote<'a> {
    path: &'a str,
    etag: &'a str,
    size: u64,
}

/// Where a blob download goes: the partial file, the lock other processes wait on, the result.
struct BlobFiles {
    partial: PathBuf,
    lock: PathBuf,
    dest: PathBuf,
}

/// Run a blob's file-system steps on tokio's blocking pool. The files of a snapshot are futures
/// of one task, so a step made in place holds up all of them: where a metadata call takes 0.5 ms
/// the calls of eight files queued up one behind another (500 small files with 0.5 ms injected
/// per call: 3.3 s made in place, 0.65 s on the pool; with no delay the pool costs about 35 ms).
/// A panic in `step` goes on in the caller, as if the step had run there.
async fn blocking<T: Send + 'static>(path: &Path, step: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    match tokio::task::spawn_blocking(step).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(HubError::Io { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) }),
    }
}

/// What to download.
#[derive(Debug, Clone)]
pub struct SnapshotRequest {
    pub repo: RepoId,
    pub revision: String,
    /// fnmatch-style globs (a trailing `/` means the whole folder); empty = everything.
    pub allow: Vec<String>,
    pub ignore: Vec<String>,
    /// Real files in this folder instead of the shared cache.
    pub local_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    Downloaded,
    Cached,
    Planned,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    pub path: String,
    pub size: u64,
    pub etag: String,
    pub status: FileState,
}

#[derive(Debug, Clone, Serialize)]
pub struct DownloadOutcome {
    /// Snapshot folder, local folder, or the single file's path.
    pub path: PathBuf,
    pub repo_id: String,
    pub repo_type: String,
    pub revision: String,
    pub commit: String,
    pub files: Vec<FileOutcome>,
    /// Bytes that came over the network in this run.
    pub downloaded_bytes: u64,
    /// Files listed at this commit before filtering.
    pub total_files: usize,
}

fn select(tree: &BTreeMap<String, TreeEntry>, allow: &[String], ignore: &[String]) -> Result<Vec<(String, TreeEntry)>> {
    let allow = super::fnmatch_globs(allow)?;
    let ignore = super::fnmatch_globs(ignore)?;
    Ok(tree
        .iter()
        .filter(|(p, _)| allow.as_ref().is_none_or(|g| g.is_match(p.as_str())))
        .filter(|(p, _)| ignore.as_ref().is_none_or(|g| !g.is_match(p.as_str())))
        .map(|(p, e)| (p.clone(), e.clone()))
        .collect())
}

/// Downloads into one cache through one client.
pub struct Downloader<'a> {
    client: &'a HubClient,
    cache: &'a Cache,
    opts: DownloadOptions,
    reporter: &'a dyn DownloadReporter,
    connections: Arc<Semaphore>,
    downloaded: AtomicU64,
    /// Folders made sure of in this run: each costs its mkdir once, not once per file.
    dirs: KnownDirs,
}

struct LocalPaths {
    file: PathBuf,
    meta_dir: PathBuf,
    metadata: PathBuf,
    partial: PathBuf,
    lock: PathBuf,
}

fn local_paths(local_dir: &Path, path: &str) -> LocalPaths {
    let meta_dir = local_dir.join(".cache").join("huggingface");
    let dl = meta_dir.join("download");
    LocalPaths {
        file: local_dir.join(path),
        metadata: dl.join(format!("{path}.metadata")),
        partial: dl.join(format!("{path}.incomplete")),
        lock: dl.join(format!("{path}.lock")),
        meta_dir,
    }
}

fn now_secs() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// `local_dir/.cache/huggingface/download/<path>.metadata` says this exact file is there.
fn local_up_to_date(p: &LocalPaths, etag: &str) -> bool {
    let Ok(text) = fs_err::read_to_string(&p.metadata) else { return false };
    let mut lines = text.lines();
    let (_commit, meta_etag, ts) = (lines.next(), lines.next(), lines.next().and_then(|t| t.parse::<f64>().ok()));
    let Ok(meta) = fs_err::metadata(&p.file) else { return false };
    let mtime = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0.0, |d| d.as_secs_f64());
    meta_etag == Some(etag) && ts.is_some_and(|ts| mtime <= ts + 1.0)
}

/// Create `local_dir/.cache/huggingface` with its `.gitignore` and `CACHEDIR.TAG`, once per run.
fn ensure_local_meta_dir(dirs: &KnownDirs, meta_dir: &Path) -> Result<()> {
    if dirs.known(meta_dir) {
        return Ok(());
    }
    dirs.ensure(meta_dir).map_err(|e| HubError::io(meta_dir, e))?;
    let gi = meta_dir.join(".gitignore");
    if !gi.exists() {
        let _ = atomic_write(&gi, b"*");
    }
    let tag = meta_dir.join("CACHEDIR.TAG");
    if !tag.exists() {
        let _ = atomic_write(&tag, crate::cache::CACHEDIR_TAG.as_bytes());
    }
    Ok(())
}

impl<'a> Downloader<'a> {
    pub fn cache(&self) -> &Cache {
        self.cache
    }

    pub fn is_offline(&self) -> bool {
        self.client.is_offline()
    }

    /// A warning for the user, through the reporter (stderr in the CLI).
    pub fn warn(&self, message: &str) {
        self.reporter.warn(message);
    }

    /// Say (once per process) that cached files stand in for the Hub that failed with `err`.
    pub fn warn_fallback(&self, err: &HubError, what: &str) {
        self.client.warn_fallback(self.reporter, err, what);
    }

    pub fn client(&self) -> &HubClient {
        self.client
    }

    /// Record that `revision` pointed to `commit` (after fetching files by commit), so the same
    /// reference resolves offline later. Nothing to record offline.
    pub fn remember_ref(&self, repo: &RepoId, revision: &str, commit: &str) -> Result<()> {
        if !self.is_offline() {
            self.cache.repo(repo).write_ref(revision, commit)?;
        }
        Ok(())
    }

    /// The cached snapshot folder of `revision` (which may hold only some files), with no request.
    pub fn cached_snapshot(&self, repo: &RepoId, revision: &str) -> Result<(String, PathBuf)> {
        let rc = self.cache.repo(repo);
        let not_cached = || {
            HubError::from(crate::cache::CacheError::RevisionNotCached {
                repo: repo.id.clone(),
                revision: revision.to_string(),
            })
        };
        let commit = rc.resolve_revision(revision).ok_or_else(not_cached)?;
        let snap = rc.snapshot_dir(&commit);
        if !snap.is_dir() {
            return Err(not_cached());
        }
        Ok((commit, snap))
    }

    pub fn new(
        client: &'a HubClient,
        cache: &'a Cache,
        opts: DownloadOptions,
        reporter: &'a dyn DownloadReporter,
    ) -> Self {
        let permits = opts.max_workers.max(opts.connections_per_file).max(1) * 2;
        Self {
            client,
            cache,
            opts,
            reporter,
            connections: Arc::new(Semaphore::new(permits)),
            downloaded: AtomicU64::new(0),
            dirs: KnownDirs::default(),
        }
    }

    /// Download a snapshot (all files, or those the globs select) and return its folder.
    pub async fn snapshot(&self, req: &SnapshotRequest, dry_run: bool) -> Result<DownloadOutcome> {
        let rc = self.cache.repo(&req.repo);
        if self.client.is_offline() {
            return self.snapshot_from_cache(req, &rc, true);
        }
        // A pinned commit whose listing is cached and whose files are all present needs no
        // network at all.
        if is_commit_hash(&req.revision)
            && !self.opts.force
            && req.local_dir.is_none()
            && !dry_run
            && let Some(tree) = rc.read_tree(&req.revision)
        {
            let selected = select(&tree, &req.allow, &req.ignore)?;
            if selected.iter().all(|(p, _)| rc.snapshot_file(&req.revision, p).exists()) {
                return Ok(self.outcome(
                    req,
                    rc.snapshot_dir(&req.revision),
                    &req.revision,
                    &selected,
                    tree.len(),
                    FileState::Cached,
                ));
            }
        }
        let info = match self.client.revision_info(&req.repo, &req.revision, self.reporter).await {
            Ok(info) => info,
            Err(e) if e.is_transient() && req.local_dir.is_none() => {
                // Like huggingface_hub: unreachable Hub, but a complete cached snapshot is fine.
                return match self.snapshot_from_cache(req, &rc, false) {
                    Ok(out) => {
                        self.client.warn_fallback(self.reporter, &e, "the cached snapshot");
                        Ok(out)
                    }
                    Err(_) => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        let commit = info.sha;
        // The cached listing lives in the hub cache, or under `--local-dir`'s `.cache/huggingface`.
        let tree_file = match &req.local_dir {
            Some(dir) => dir.join(".cache").join("huggingface").join("trees").join(format!("{commit}.json")),
            None => rc.tree_path(&commit),
        };
        let (tree, fetched) = match read_tree_file(&tree_file) {
            Some(t) => (t, false),
            None => (self.client.list_tree(&req.repo, &commit, self.reporter).await?, true),
        };
        // A malicious listing is refused before anything is written.
        for path in tree.keys() {
            validate_repo_path(path)?;
        }
        if fetched && !dry_run {
            match &req.local_dir {
                Some(dir) => ensure_local_meta_dir(&self.dirs, &dir.join(".cache").join("huggingface"))?,
                None => self.cache.ensure_root()?,
            }
            write_tree_file(&tree_file, &tree)?;
        }
        let selected = select(&tree, &req.allow, &req.ignore)?;
        if dry_run {
            let mut out = self.outcome(
                req,
                req.local_dir.clone().unwrap_or_else(|| rc.snapshot_dir(&commit)),
                &commit,
                &selected,
                tree.len(),
                FileState::Planned,
            );
            for f in &mut out.files {
                let present = match &req.local_dir {
                    Some(dir) => local_up_to_date(&local_paths(dir, &f.path), &f.etag),
                    None => rc.snapshot_file(&commit, &f.path).exists(),
                };
                if present && !self.opts.force {
                    f.status = FileState::Cached;
                }
            }
            return Ok(out);
        }
        if req.local_dir.is_none() {
            self.cache.ensure_root()?;
            rc.write_ref(&req.revision, &commit)?;
            // Remembered as created when it is new, so `fetch_known` skips probing it per file.
            let snap = rc.snapshot_dir(&commit);
            self.dirs.ensure(&snap).map_err(|e| HubError::io(&snap, e))?;
        }
        let todo_bytes: u64 = selected.iter().map(|(_, e)| e.size).sum();
        self.reporter.start(selected.len(), todo_bytes);
        let results: Vec<FileOutcome> = futures::stream::iter(selected.iter())
            .map(|(path, entry)| {
                let file = Remote { path, etag: entry.etag(), size: entry.size };
                self.fetch_known(&req.repo, &rc, &commit, file, req.local_dir.as_deref(), None)
            })
            .buffer_unordered(self.opts.max_workers.max(1))
            .try_collect()
            .await?;
        self.reporter.finish();
        let mut files = results;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(DownloadOutcome {
            path: req.local_dir.clone().unwrap_or_else(|| rc.snapshot_dir(&commit)),
            repo_id: req.repo.id.clone(),
            repo_type: req.repo.repo_type.as_str().to_string(),
            revision: req.revision.clone(),
            commit,
            files,
            downloaded_bytes: self.downloaded.load(Ordering::Relaxed),
            total_files: tree.len(),
        })
    }

    fn outcome(
        &self,
        req: &SnapshotRequest,
        path: PathBuf,
        commit: &str,
        selected: &[(String, TreeEntry)],
        total: usize,
        status: FileState,
    ) -> DownloadOutcome {
        DownloadOutcome {
            path,
            repo_id: req.repo.id.clone(),
            repo_type: req.repo.repo_type.as_str().to_string(),
            revision: req.revision.clone(),
            commit: commit.to_string(),
            files: selected
                .iter()
                .map(|(p, e)| FileOutcome { path: p.clone(), size: e.size, etag: e.etag().to_string(), status })
                .collect(),
            downloaded_bytes: 0,
            total_files: total,
        }
    }

    /// Offline (or Hub unreachable): the snapshot a cached ref points to, checked for
    /// completeness against the cached listing when there is one.
    fn snapshot_from_cache(&self, req: &SnapshotRequest, rc: &RepoCache, offline: bool) -> Result<DownloadOutcome> {
        if let Some(dir) = &req.local_dir {
            if dir.is_dir() {
                return Ok(DownloadOutcome {
                    path: dir.clone(),
                    repo_id: req.repo.id.clone(),
                    repo_type: req.repo.repo_type.as_str().to_string(),
                    revision: req.revision.clone(),
                    commit: String::new(),
                    files: Vec::new(),
                    downloaded_bytes: 0,
                    total_files: 0,
                });
            }
            return Err(HubError::RevisionNotCached {
                repo: req.repo.id.clone(),
                revision: req.revision.clone(),
                offline,
            });
        }
        let not_cached =
            || HubError::RevisionNotCached { repo: req.repo.id.clone(), revision: req.revision.clone(), offline };
        let commit = rc.resolve_revision(&req.revision).ok_or_else(not_cached)?;
        let dir = rc.snapshot_dir(&commit);
        if !dir.is_dir() {
            return Err(not_cached());
        }
        let (selected, total) = match rc.read_tree(&commit) {
            Some(tree) => {
                let selected = select(&tree, &req.allow, &req.ignore)?;
                let missing: Vec<String> = selected
                    .iter()
                    .filter(|(p, _)| !rc.snapshot_file(&commit, p).exists())
                    .map(|(p, _)| p.clone())
                    .collect();
                if !missing.is_empty() {
                    return Err(HubError::IncompleteSnapshot { repo: req.repo.id.clone(), path: dir, missing });
                }
                (selected, tree.len())
            }
            None => (Vec::new(), 0),
        };
        Ok(self.outcome(req, dir, &commit, &selected, total, FileState::Cached))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(paths: &[&str]) -> BTreeMap<String, TreeEntry> {
        paths
            .iter()
            .map(|p| {
                (
                    (*p).to_string(),
                    TreeEntry { size: 1, blob_id: "x".into(), lfs_sha256: None, lfs_size: None, xet_hash: None },
                )
            })
            .collect()
    }

    #[test]
    fn globs_follow_fnmatch() {
        let t = tree(&["config.json", "sub/a.json", "model.safetensors", "onnx/model.onnx", "README.md"]);
        let names = |allow: &[&str], ignore: &[&str]| -> Vec<String> {
            let a: Vec<String> = allow.iter().map(|s| (*s).to_string()).collect();
            let i: Vec<String> = ignore.iter().map(|s| (*s).to_string()).collect();
            select(&t, &a, &i).unwrap().into_iter().map(|(p, _)| p).collect()
        };
        assert_eq!(names(&["*.json"], &[]), vec!["config.json", "sub/a.json"]);
        assert_eq!(names(&["onnx/"], &[]), vec!["onnx/model.onnx"]);
        assert_eq!(names(&[], &["*.onnx", "*.md"]), vec!["config.json", "model.safetensors", "sub/a.json"]);
    }
}
