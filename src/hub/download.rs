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

use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use tokio::sync::Semaphore;
use url::Url;

use super::client::{HubClient, Notifier, map_error, redirect_target, retry_after};
use super::error::{HubError, Result};
use crate::cache::verify::{EtagHasher, EtagKind};
use crate::cache::{
    Cache, FileLock, RepoCache, RepoId, TreeEntry, atomic_write, is_commit_hash, read_tree_file, validate_repo_path,
    write_tree_file,
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
struct BlobFiles<'a> {
    partial: &'a Path,
    lock: &'a Path,
    dest: &'a Path,
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

fn ensure_local_meta_dir(meta_dir: &Path) -> Result<()> {
    fs_err::create_dir_all(meta_dir).map_err(|e| io_err(meta_dir, e))?;
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

fn io_err(path: &Path, source: std::io::Error) -> HubError {
    HubError::Io { path: path.to_path_buf(), source }
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
                Some(dir) => ensure_local_meta_dir(&dir.join(".cache").join("huggingface"))?,
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
            fs_err::create_dir_all(rc.snapshot_dir(&commit)).map_err(|e| io_err(&rc.snapshot_dir(&commit), e))?;
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

    /// Download one file (huggingface_hub's `hf_hub_download`) and return its path.
    pub async fn file(
        &self,
        repo: &RepoId,
        revision: &str,
        path: &str,
        local_dir: Option<&Path>,
        dry_run: bool,
    ) -> Result<DownloadOutcome> {
        validate_repo_path(path)?;
        let rc = self.cache.repo(repo);
        let single = |p: PathBuf, commit: String, etag: String, size: u64, status| DownloadOutcome {
            path: p,
            repo_id: repo.id.clone(),
            repo_type: repo.repo_type.as_str().to_string(),
            revision: revision.to_string(),
            commit,
            files: vec![FileOutcome { path: path.to_string(), size, etag, status }],
            downloaded_bytes: self.downloaded.load(Ordering::Relaxed),
            total_files: 1,
        };
        let from_cache = |offline: bool| -> Result<DownloadOutcome> {
            if let Some(dir) = local_dir {
                let p = dir.join(path);
                return if p.exists() {
                    Ok(single(p, String::new(), String::new(), 0, FileState::Cached))
                } else {
                    Err(HubError::LocalEntryNotFound {
                        repo: repo.id.clone(),
                        revision: revision.into(),
                        path: path.into(),
                        offline,
                    })
                };
            }
            let commit = rc.resolve_revision(revision).ok_or_else(|| HubError::LocalEntryNotFound {
                repo: repo.id.clone(),
                revision: revision.into(),
                path: path.into(),
                offline,
            })?;
            let p = rc.snapshot_file(&commit, path);
            if p.exists() {
                let size = fs_err::metadata(&p).map(|m| m.len()).unwrap_or(0);
                let etag = rc
                    .blob_of(&p)
                    .and_then(|b| b.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_default();
                Ok(single(p, commit, etag, size, FileState::Cached))
            } else {
                Err(HubError::LocalEntryNotFound {
                    repo: repo.id.clone(),
                    revision: revision.into(),
                    path: path.into(),
                    offline,
                })
            }
        };
        if self.client.is_offline() {
            return from_cache(true);
        }
        if is_commit_hash(revision)
            && !self.opts.force
            && local_dir.is_none()
            && rc.snapshot_file(revision, path).exists()
            && !dry_run
        {
            return from_cache(false);
        }
        let meta = match self.client.file_metadata(repo, revision, path, self.reporter).await {
            Ok(m) => m,
            Err(HubError::EntryNotFound { .. }) => {
                if let Some(commit) = self.client.entry_missing_commit(repo, revision, path).await
                    && local_dir.is_none()
                {
                    rc.mark_no_exist(&commit, path);
                    let _ = rc.write_ref(revision, &commit);
                }
                return Err(HubError::EntryNotFound {
                    repo: repo.id.clone(),
                    revision: revision.into(),
                    path: path.into(),
                });
            }
            Err(e) if e.is_transient() => {
                return match from_cache(false) {
                    Ok(out) => {
                        self.client.warn_fallback(self.reporter, &e, "the cached file");
                        Ok(out)
                    }
                    Err(_) => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        if dry_run {
            let present = match local_dir {
                Some(dir) => local_up_to_date(&local_paths(dir, path), &meta.etag),
                None => rc.snapshot_file(&meta.commit, path).exists(),
            };
            let status = if present && !self.opts.force { FileState::Cached } else { FileState::Planned };
            let p = local_dir.map_or_else(|| rc.snapshot_file(&meta.commit, path), |d| d.join(path));
            return Ok(single(p, meta.commit, meta.etag, meta.size, status));
        }
        if local_dir.is_none() {
            self.cache.ensure_root()?;
            rc.write_ref(revision, &meta.commit)?;
        }
        self.reporter.start(1, meta.size);
        let outcome = self
            .fetch_known(
                repo,
                &rc,
                &meta.commit,
                Remote { path, etag: &meta.etag, size: meta.size },
                local_dir,
                Some(meta.location.clone()),
            )
            .await?;
        self.reporter.finish();
        let p = local_dir.map_or_else(|| rc.snapshot_file(&meta.commit, path), |d| d.join(path));
        let mut out = single(p, meta.commit, meta.etag, meta.size, outcome.status);
        out.downloaded_bytes = self.downloaded.load(Ordering::Relaxed);
        Ok(out)
    }

    /// Make `file` at `commit` present, downloading its blob unless cached.
    async fn fetch_known(
        &self,
        repo: &RepoId,
        rc: &RepoCache,
        commit: &str,
        file: Remote<'_>,
        local_dir: Option<&Path>,
        location: Option<Url>,
    ) -> Result<FileOutcome> {
        let Remote { path, etag, size } = file;
        let done = |status| FileOutcome { path: path.to_string(), size, etag: etag.to_string(), status };
        if let Some(dir) = local_dir {
            let lp = local_paths(dir, path);
            if !self.opts.force && local_up_to_date(&lp, etag) {
                self.reporter.progress(path, size);
                return Ok(done(FileState::Cached));
            }
            ensure_local_meta_dir(&lp.meta_dir)?;
            if let Some(parent) = lp.file.parent() {
                fs_err::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
            }
            let blob = rc.blob_path(etag);
            let status = if blob.is_file() && !self.opts.force {
                // Already in the shared cache: copy instead of downloading again.
                let tmp = crate::cache::tmp_sibling(&lp.file);
                fs_err::copy(&blob, &tmp).map_err(|e| io_err(&tmp, e))?;
                fs_err::rename(&tmp, &lp.file).map_err(|e| io_err(&lp.file, e))?;
                self.reporter.progress(path, size);
                FileState::Cached
            } else {
                let url = match location {
                    Some(u) => u,
                    None => self.client.resolve_url(repo, commit, path)?,
                };
                let files = BlobFiles { partial: &lp.partial, lock: &lp.lock, dest: &lp.file };
                self.download_blob(url, file, files, true).await?
            };
            if let Some(parent) = lp.metadata.parent() {
                fs_err::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
            }
            atomic_write(&lp.metadata, format!("{commit}\n{etag}\n{}\n", now_secs()).as_bytes())?;
            return Ok(done(status));
        }
        if !self.opts.force && rc.snapshot_file(commit, path).exists() {
            self.reporter.progress(path, size);
            return Ok(done(FileState::Cached));
        }
        let blob = rc.blob_path(etag);
        let status = if blob.is_file() && !self.opts.force {
            self.reporter.progress(path, size);
            FileState::Cached
        } else {
            let url = match location {
                Some(u) => u,
                None => self.client.resolve_url(repo, commit, path)?,
            };
            fs_err::create_dir_all(rc.blobs_dir()).map_err(|e| io_err(&rc.blobs_dir(), e))?;
            let (partial, lock) = (rc.incomplete_path(etag), rc.lock_path(etag));
            let files = BlobFiles { partial: &partial, lock: &lock, dest: &blob };
            self.download_blob(url, file, files, self.opts.force).await?
        };
        rc.link_snapshot_file(commit, path, etag)?;
        Ok(done(status))
    }

    /// Download `file` into `files.partial` under `files.lock`, verify, and rename to `files.dest`.
    async fn download_blob(&self, url: Url, file: Remote<'_>, files: BlobFiles<'_>, force: bool) -> Result<FileState> {
        let Remote { path: label, etag, size } = file;
        let BlobFiles { partial, lock, dest } = files;
        let lock_path = lock.to_path_buf();
        // Wait for a concurrent download of the same blob (another process) to finish.
        let guard = tokio::task::spawn_blocking(move || FileLock::acquire(&lock_path))
            .await
            .map_err(|e| io_err(lock, std::io::Error::other(e.to_string())))??;
        if dest.is_file() && !force {
            self.reporter.progress(label, size);
            drop(guard);
            return Ok(FileState::Cached);
        }
        if let Some(parent) = partial.parent() {
            fs_err::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
        }
        let state_path = state_path_of(partial);
        let part = Arc::new(
            Part::open(partial, &state_path, size, self.opts.chunk_size_for(size), force)
                .map_err(|e| io_err(partial, e))?,
        );
        let already = part.prefix_total();
        self.reporter.file_start(label, size, already);
        self.reporter.progress(label, already);

        let kind = EtagKind::of(etag);
        let hasher = Hasher::spawn(part.clone(), kind);
        let result = self.transfer(url, label, &part).await;
        let digest = match result {
            Ok(()) => {
                part.finished.store(true, Ordering::Release);
                hasher.join()
            }
            Err(e) => {
                part.aborted.store(true, Ordering::Release);
                let _ = hasher.join();
                return Err(e);
            }
        };
        drop(part);
        if let Some(actual) = digest
            && actual != etag
        {
            let _ = fs_err::remove_file(partial);
            let _ = fs_err::remove_file(&state_path);
            return Err(HubError::ChecksumMismatch { path: label.to_string(), expected: etag.to_string(), actual });
        }
        fs_err::rename(partial, dest).map_err(|e| io_err(dest, e))?;
        let _ = fs_err::remove_file(&state_path);
        self.reporter.file_done(label);
        drop(guard);
        Ok(FileState::Downloaded)
    }

    /// Fetch every missing byte of `part` from `url`.
    async fn transfer(&self, url: Url, label: &str, part: &Arc<Part>) -> Result<()> {
        if part.size == 0 {
            return Ok(());
        }
        // Several connections: resolve the Hub URL to its final location (the CDN for LFS
        // files) once, instead of once per connection.
        let url = if part.chunks() > 1 && self.client.is_hub_url(&url) { self.locate(url).await? } else { url };
        let location = Arc::new(tokio::sync::Mutex::new(url));
        let pending: Vec<usize> = (0..part.chunks()).filter(|&i| !part.chunk_complete(i)).collect();
        if pending.is_empty() {
            return Ok(());
        }
        let queue = Arc::new(std::sync::Mutex::new(std::collections::VecDeque::from(pending)));
        let workers = self.opts.connections_per_file.max(1).min(queue.lock().map(|q| q.len()).unwrap_or(1));
        let run = futures::future::try_join_all((0..workers).map(|_| {
            let queue = queue.clone();
            let location = location.clone();
            async move {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(i) = next else { return Ok::<(), HubError>(()) };
                    self.fetch_chunk(&location, label, part, i).await?;
                }
            }
        }))
        .await;
        match run {
            Ok(_) => Ok(()),
            Err(HubError::InvalidResponse { reason, .. }) if reason == RANGE_IGNORED => {
                // The server ignores Range: one plain stream from the start.
                self.reporter.warn("the server ignores HTTP Range requests; downloading in one stream");
                part.reset();
                self.fetch_chunk(&location, label, part, usize::MAX).await
            }
            Err(e) => Err(e),
        }
    }

    /// Where the bytes behind a Hub resolve URL are: the redirect target on another origin, or
    /// the final same-origin URL.
    async fn locate(&self, url: Url) -> Result<Url> {
        let ctx = super::client::ErrorContext::default();
        let resp = self
            .client
            .send(
                || {
                    Ok(self
                        .client
                        .request(Method::HEAD, url.clone())?
                        .header(reqwest::header::ACCEPT_ENCODING, "identity"))
                },
                &ctx,
                self.reporter,
            )
            .await?;
        if resp.status().is_redirection() {
            return redirect_target(&resp).ok_or_else(|| HubError::InvalidResponse {
                url: url.to_string(),
                reason: "redirect without Location".into(),
            });
        }
        Ok(resp.url().clone())
    }

    /// Fetch chunk `i` (or, with `usize::MAX`, the whole file in one stream), resuming at
    /// the bytes already on disk and retrying transient failures.
    async fn fetch_chunk(&self, location: &tokio::sync::Mutex<Url>, label: &str, part: &Part, i: usize) -> Result<()> {
        let whole = i == usize::MAX;
        let (start, end) = if whole { (0, part.size) } else { part.bounds(i) };
        let mut failures = 0u32;
        loop {
            let offset = if whole { 0 } else { start + part.done[i].load(Ordering::Acquire) };
            if offset >= end {
                return Ok(());
            }
            let url = location.lock().await.clone();
            let permit = self
                .connections
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| HubError::InvalidResponse { url: url.to_string(), reason: "shutting down".into() })?;
            let mut req = self.client.request(Method::GET, url.clone())?;
            if !whole {
                req = req.header(reqwest::header::RANGE, format!("bytes={offset}-{}", end - 1));
            }
            let before = part.prefix_total_quick(i, whole);
            let attempt: Result<()> = async {
                let resp = req.send().await.map_err(|e| HubError::Network { url: url.to_string(), source: e })?;
                let status = resp.status();
                if status.is_redirection() {
                    // Cross-origin redirect (the LFS CDN): fetch there, without the token.
                    let loc = redirect_target(&resp).ok_or_else(|| HubError::InvalidResponse {
                        url: url.to_string(),
                        reason: "redirect without Location".into(),
                    })?;
                    *location.lock().await = loc;
                    return Err(HubError::InvalidResponse { url: url.to_string(), reason: REDIRECTED.into() });
                }
                if !status.is_success() {
                    let ra = retry_after(&resp);
                    let err = map_error(resp, &Default::default()).await;
                    if let Some(ra) = ra {
                        return Err(HubError::Http {
                            status: status.as_u16(),
                            url: url.to_string(),
                            message: format!("retry after {}s", ra.as_secs_f64()),
                            request_id: None,
                        });
                    }
                    return Err(err);
                }
                if !whole && status != StatusCode::PARTIAL_CONTENT {
                    if offset == 0 && end == part.size {
                        // A full 200 answers a full-file range: fine.
                    } else {
                        return Err(HubError::InvalidResponse { url: url.to_string(), reason: RANGE_IGNORED.into() });
                    }
                }
                if whole {
                    part.reset();
                }
                let mut stream = resp.bytes_stream();
                let mut buf: Vec<u8> = Vec::with_capacity(WRITE_BUFFER);
                let mut pos = offset;
                let mut stream_err = None;
                while let Some(item) = stream.next().await {
                    let bytes = match item {
                        Ok(b) => b,
                        Err(e) => {
                            // Keep what arrived before the failure: the retry resumes after it.
                            stream_err = Some(HubError::Network { url: url.to_string(), source: e });
                            break;
                        }
                    };
                    let room = (end - pos - buf.len() as u64) as usize;
                    buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
                    if buf.len() >= WRITE_BUFFER {
                        part.write(pos, &buf, if whole { None } else { Some(i) }).map_err(|e| io_err(&part.path, e))?;
                        self.note_progress(label, buf.len() as u64);
                        pos += buf.len() as u64;
                        buf.clear();
                    }
                    if pos + buf.len() as u64 >= end {
                        break;
                    }
                }
                if !buf.is_empty() {
                    part.write(pos, &buf, if whole { None } else { Some(i) }).map_err(|e| io_err(&part.path, e))?;
                    self.note_progress(label, buf.len() as u64);
                    pos += buf.len() as u64;
                }
                if let Some(e) = stream_err {
                    return Err(e);
                }
                if pos < end {
                    return Err(HubError::InvalidResponse {
                        url: url.to_string(),
                        reason: format!("connection closed after {} of {} bytes", pos - offset, end - offset),
                    });
                }
                Ok(())
            }
            .await;
            drop(permit);
            match attempt {
                Ok(()) => return Ok(()),
                Err(HubError::InvalidResponse { reason, .. }) if reason == REDIRECTED => continue,
                Err(e) => {
                    let transient = e.is_transient()
                        || matches!(&e, HubError::InvalidResponse { reason, .. } if reason.starts_with("connection closed"));
                    let progressed = part.prefix_total_quick(i, whole) > before;
                    if progressed {
                        failures = 0;
                    }
                    if !transient || failures >= self.client.options().max_retries {
                        return Err(e);
                    }
                    let wait = match &e {
                        HubError::Http { message, .. } if message.starts_with("retry after ") => message
                            .trim_start_matches("retry after ")
                            .trim_end_matches('s')
                            .parse::<f64>()
                            .ok()
                            .map(Duration::from_secs_f64),
                        _ => None,
                    };
                    let wait = if progressed && wait.is_none() {
                        Duration::from_millis(50)
                    } else {
                        self.client.backoff(failures, wait)
                    };
                    self.reporter.warn(&format!("{label}: {e}; retrying in {:.1}s", wait.as_secs_f64()));
                    tokio::time::sleep(wait).await;
                    failures += 1;
                }
            }
        }
    }

    fn note_progress(&self, label: &str, n: u64) {
        self.downloaded.fetch_add(n, Ordering::Relaxed);
        self.reporter.progress(label, n);
    }
}

const RANGE_IGNORED: &str = "server ignored the Range header";
const REDIRECTED: &str = "redirected";
const WRITE_BUFFER: usize = 256 << 10;
/// Files smaller than this are not worth a resume state file.
const RESUME_MIN: u64 = 1 << 20;

impl DownloadOptions {
    fn chunk_size_for(&self, size: u64) -> u64 {
        if size >= self.chunk_threshold { self.chunk_size.max(1 << 20) } else { size.max(1) }
    }
}

fn state_path_of(partial: &Path) -> PathBuf {
    let mut name = partial.file_name().unwrap_or_default().to_os_string();
    name.push(".state");
    partial.with_file_name(name)
}

const STATE_MAGIC: &[u8; 8] = b"HFXPART1";
const STATE_HEADER: u64 = 32;

/// A partial download: the pre-sized data file plus per-chunk progress counters mirrored
/// into the state file (`HFXPART1`, size, chunk size, count, then one u64 per chunk).
struct Part {
    path: PathBuf,
    file: std::fs::File,
    state: Option<std::fs::File>,
    size: u64,
    chunk_size: u64,
    done: Vec<AtomicU64>,
    finished: AtomicBool,
    aborted: AtomicBool,
}

impl Part {
    fn open(partial: &Path, state_path: &Path, size: u64, chunk_size: u64, force: bool) -> std::io::Result<Self> {
        let resumable = size >= RESUME_MIN;
        if !force
            && resumable
            && let Some(p) = Self::resume(partial, state_path, size)?
        {
            return Ok(p);
        }
        let file =
            fs_err::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(partial)?.into_parts().0;
        // Pre-size the file so chunks can be written at their offsets.
        file.set_len(size)?;
        let n = size.div_ceil(chunk_size).max(1);
        let state = if resumable {
            let mut header = Vec::with_capacity((STATE_HEADER + 8 * n) as usize);
            header.extend_from_slice(STATE_MAGIC);
            header.extend_from_slice(&size.to_le_bytes());
            header.extend_from_slice(&chunk_size.to_le_bytes());
            header.extend_from_slice(&n.to_le_bytes());
            header.resize((STATE_HEADER + 8 * n) as usize, 0);
            let f = fs_err::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(state_path)?
                .into_parts()
                .0;
            f.write_all_at(&header, 0)?;
            Some(f)
        } else {
            let _ = fs_err::remove_file(state_path);
            None
        };
        Ok(Self {
            path: partial.to_path_buf(),
            file,
            state,
            size,
            chunk_size,
            done: (0..n).map(|_| AtomicU64::new(0)).collect(),
            finished: AtomicBool::new(false),
            aborted: AtomicBool::new(false),
        })
    }

    /// Pick up a partial download left by an earlier process, if its state is coherent.
    fn resume(partial: &Path, state_path: &Path, size: u64) -> std::io::Result<Option<Self>> {
        let (Ok(file), Ok(state)) = (
            fs_err::OpenOptions::new().read(true).write(true).open(partial),
            fs_err::OpenOptions::new().read(true).write(true).open(state_path),
        ) else {
            return Ok(None);
        };
        let (file, state) = (file.into_parts().0, state.into_parts().0);
        let mut header = [0u8; STATE_HEADER as usize];
        if state.read_exact_at(&mut header, 0).is_err() || &header[..8] != STATE_MAGIC {
            return Ok(None);
        }
        let word = |k: usize| u64::from_le_bytes(header[8 * k..8 * k + 8].try_into().unwrap_or([0; 8]));
        let (s, cs, n) = (word(1), word(2), word(3));
        if s != size || cs == 0 || n != size.div_ceil(cs).max(1) || file.metadata()?.len() != size {
            return Ok(None);
        }
        let mut raw = vec![0u8; (8 * n) as usize];
        if state.read_exact_at(&mut raw, STATE_HEADER).is_err() {
            return Ok(None);
        }
        let done: Vec<AtomicU64> = raw
            .chunks_exact(8)
            .enumerate()
            .map(|(i, b)| {
                let v = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                let len = (size - (i as u64) * cs).min(cs);
                AtomicU64::new(v.min(len))
            })
            .collect();
        Ok(Some(Self {
            path: partial.to_path_buf(),
            file,
            state: Some(state),
            size,
            chunk_size: cs,
            done,
            finished: AtomicBool::new(false),
            aborted: AtomicBool::new(false),
        }))
    }

    fn chunks(&self) -> usize {
        self.done.len()
    }

    fn bounds(&self, i: usize) -> (u64, u64) {
        let start = i as u64 * self.chunk_size;
        (start, (start + self.chunk_size).min(self.size))
    }

    fn chunk_complete(&self, i: usize) -> bool {
        let (s, e) = self.bounds(i);
        self.done[i].load(Ordering::Acquire) >= e - s
    }

    fn reset(&self) {
        for (i, d) in self.done.iter().enumerate() {
            d.store(0, Ordering::Release);
            self.persist(i);
        }
    }

    /// Write `data` at `pos`, then record it: data first, so the counter never claims bytes
    /// that are not on disk.
    fn write(&self, pos: u64, data: &[u8], chunk: Option<usize>) -> std::io::Result<()> {
        self.file.write_all_at(data, pos)?;
        match chunk {
            Some(i) => {
                self.done[i].fetch_add(data.len() as u64, Ordering::AcqRel);
                self.persist(i);
            }
            None => {
                // One stream across every chunk: advance the counters it passes.
                let end = pos + data.len() as u64;
                for i in 0..self.chunks() {
                    let (s, e) = self.bounds(i);
                    if s < end && e > pos {
                        let new = end.min(e) - s;
                        self.done[i].store(new, Ordering::Release);
                        self.persist(i);
                    }
                }
            }
        }
        Ok(())
    }

    fn persist(&self, i: usize) {
        if let Some(state) = &self.state {
            let v = self.done[i].load(Ordering::Acquire);
            let _ = state.write_all_at(&v.to_le_bytes(), STATE_HEADER + 8 * i as u64);
        }
    }

    /// Bytes on disk counting every chunk.
    fn prefix_total(&self) -> u64 {
        self.done.iter().map(|d| d.load(Ordering::Acquire)).sum()
    }

    fn prefix_total_quick(&self, i: usize, whole: bool) -> u64 {
        if whole { self.prefix_total() } else { self.done[i].load(Ordering::Acquire) }
    }

    /// Length of the contiguous run of written bytes from offset 0.
    fn contiguous(&self) -> u64 {
        for i in 0..self.chunks() {
            let (s, e) = self.bounds(i);
            let d = self.done[i].load(Ordering::Acquire);
            if d < e - s {
                return s + d;
            }
        }
        self.size
    }
}

/// Files up to this size are hashed after the transfer instead of by a following thread.
const FOLLOW_HASH_MIN: u64 = 8 << 20;

/// Hash the contiguous prefix of `part` as it grows (sleeping while it waits), until the whole
/// file is hashed, the transfer aborts, or it finishes short. `Some("")` means incomplete.
fn hash_following(part: &Part, kind: EtagKind) -> Option<String> {
    if matches!(kind, EtagKind::Unknown) {
        return None;
    }
    let mut hasher = EtagHasher::new(kind, part.size);
    let mut cursor = 0u64;
    let mut buf = vec![0u8; part.size.clamp(1, 4 << 20) as usize];
    loop {
        if part.aborted.load(Ordering::Acquire) {
            return None;
        }
        let finished = part.finished.load(Ordering::Acquire);
        let ready = part.contiguous();
        if cursor < ready {
            let n = ((ready - cursor) as usize).min(buf.len());
            if part.file.read_exact_at(&mut buf[..n], cursor).is_err() {
                return Some(String::new());
            }
            hasher.update(&buf[..n]);
            cursor += n as u64;
        } else if cursor >= part.size {
            return hasher.finish();
        } else if finished {
            return Some(String::new());
        } else {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Hashes a download while it streams: large files on their own thread, following the bytes
/// as they land, so the digest is ready moments after the last one; small files at the end
/// (a thread per small file costs more than it saves).
enum Hasher {
    Following(std::thread::JoinHandle<Option<String>>),
    Deferred(Arc<Part>, EtagKind),
}

impl Hasher {
    fn spawn(part: Arc<Part>, kind: EtagKind) -> Self {
        if part.size < FOLLOW_HASH_MIN {
            return Hasher::Deferred(part, kind);
        }
        Hasher::Following(std::thread::spawn(move || hash_following(&part, kind)))
    }

    fn join(self) -> Option<String> {
        match self {
            Hasher::Following(h) => h.join().unwrap_or(None),
            Hasher::Deferred(part, kind) => tokio::task::block_in_place(|| hash_following(&part, kind)),
        }
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

    #[test]
    fn part_state_survives_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let partial = tmp.path().join("x.incomplete");
        let state = state_path_of(&partial);
        let size = 3 << 20;
        {
            let p = Part::open(&partial, &state, size, 1 << 20, false).unwrap();
            p.write(0, &[1u8; 1000], Some(0)).unwrap();
            p.write(1 << 20, &[2u8; 5000], Some(1)).unwrap();
            assert_eq!(p.contiguous(), 1000);
        }
        let p = Part::open(&partial, &state, size, 1 << 20, false).unwrap();
        assert_eq!(p.done[0].load(Ordering::Relaxed), 1000);
        assert_eq!(p.done[1].load(Ordering::Relaxed), 5000);
        assert_eq!(p.prefix_total(), 6000);
        // A different size means a different file: start over.
        let p = Part::open(&partial, &state, size + 1, 1 << 20, false).unwrap();
        assert_eq!(p.prefix_total(), 0);
    }
}
