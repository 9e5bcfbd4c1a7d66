//! Re-hash cached files against their etags: sha256 for LFS blobs, git-blob sha1 otherwise.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use sha1::Digest as _;

use super::{RepoCache, Result};

/// How an etag was computed, recognised from its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EtagKind {
    /// 64 hex digits: sha256 of the content (LFS and Xet files).
    Sha256,
    /// 40 hex digits: git blob id, sha1 of `"blob {len}\0" + content`.
    GitSha1,
    /// Anything else (some mirrors): cannot be verified.
    Unknown,
}

impl EtagKind {
    pub fn of(etag: &str) -> Self {
        let hex = etag.bytes().all(|b| b.is_ascii_hexdigit());
        match etag.len() {
            64 if hex => EtagKind::Sha256,
            40 if hex => EtagKind::GitSha1,
            _ => EtagKind::Unknown,
        }
    }
}

/// Incremental hasher matching an etag kind; fed in order, finished once.
pub enum EtagHasher {
    Sha256(sha2::Sha256),
    GitSha1(sha1::Sha1),
    None,
}

impl EtagHasher {
    /// `size` is needed up front for the git blob header.
    pub fn new(kind: EtagKind, size: u64) -> Self {
        match kind {
            EtagKind::Sha256 => EtagHasher::Sha256(sha2::Sha256::new()),
            EtagKind::GitSha1 => {
                let mut h = sha1::Sha1::new();
                h.update(format!("blob {size}\0").as_bytes());
                EtagHasher::GitSha1(h)
            }
            EtagKind::Unknown => EtagHasher::None,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            EtagHasher::Sha256(h) => h.update(data),
            EtagHasher::GitSha1(h) => h.update(data),
            EtagHasher::None => {}
        }
    }

    /// Hex digest, or `None` for unverifiable etags.
    pub fn finish(self) -> Option<String> {
        match self {
            EtagHasher::Sha256(h) => Some(hex::encode(h.finalize())),
            EtagHasher::GitSha1(h) => Some(hex::encode(h.finalize())),
            EtagHasher::None => None,
        }
    }
}

/// Hash a file the way its etag was computed.
pub fn hash_file(path: &Path, kind: EtagKind) -> std::io::Result<Option<String>> {
    let mut f = fs_err::File::open(path)?;
    let size = f.metadata()?.len();
    let mut hasher = EtagHasher::new(kind, size);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Ok,
    Mismatch,
    /// Listed in `trees/<commit>.json` but not in the snapshot (partial downloads are normal).
    Missing,
    /// The snapshot entry points at a blob that does not exist.
    Broken,
    /// The etag is not a sha256 nor a git sha1.
    Unverifiable,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    pub path: String,
    pub etag: String,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RevisionCheck {
    pub commit: String,
    pub files: Vec<FileCheck>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub repo_id: String,
    pub repo_type: String,
    pub revisions: Vec<RevisionCheck>,
    pub checked_files: usize,
    pub checked_bytes: u64,
    pub mismatches: usize,
}

impl VerifyReport {
    pub fn failed(&self) -> bool {
        self.mismatches > 0
    }
}

/// Progress of a verification, implemented by `output`.
pub trait VerifyReporter: Sync {
    fn start(&self, _files: usize, _bytes: u64) {}
    fn file_done(&self, _path: &str, _bytes: u64) {}
    fn finish(&self) {}
}

/// A reporter that reports nothing.
pub struct NoVerifyReport;
impl VerifyReporter for NoVerifyReport {}

/// Every file below `dir` as a `/`-separated relative path.
pub(crate) fn walk_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push((rel.to_string_lossy().replace('\\', "/"), p));
            }
        }
    }
    out.sort();
    out
}

/// Verify the given commits (all cached snapshots when empty).
pub fn verify(repo: &RepoCache, commits: &[String], reporter: &dyn VerifyReporter) -> Result<VerifyReport> {
    struct Job {
        rev: usize,
        path: String,
        file: PathBuf,
        etag: String,
        size: u64,
    }
    let mut revisions = Vec::new();
    let mut jobs = Vec::new();
    for commit in commits {
        let tree = repo.read_tree(commit);
        let mut files = Vec::new();
        let listed = walk_files(&repo.snapshot_dir(commit));
        for (path, file) in &listed {
            let etag = repo
                .blob_of(file)
                .and_then(|b| b.file_name().map(|n| n.to_string_lossy().into_owned()))
                .or_else(|| tree.as_ref().and_then(|t| t.get(path)).map(|e| e.etag().to_string()))
                .unwrap_or_default();
            match fs_err::metadata(file) {
                Ok(meta) => jobs.push(Job {
                    rev: revisions.len(),
                    path: path.clone(),
                    file: file.clone(),
                    etag,
                    size: meta.len(),
                }),
                Err(_) => files.push(FileCheck {
                    path: path.clone(),
                    etag,
                    status: FileStatus::Broken,
                    actual: None,
                    size: 0,
                }),
            }
        }
        if let Some(tree) = &tree {
            for (path, entry) in tree {
                if !listed.iter().any(|(p, _)| p == path) {
                    files.push(FileCheck {
                        path: path.clone(),
                        etag: entry.etag().to_string(),
                        status: FileStatus::Missing,
                        actual: None,
                        size: entry.size,
                    });
                }
            }
        }
        revisions.push(RevisionCheck { commit: commit.clone(), files });
    }

    let total_bytes: u64 = jobs.iter().map(|j| j.size).sum();
    reporter.start(jobs.len(), total_bytes);
    // Hash on every core: verification of multi-GB snapshots is CPU-bound.
    let results: Mutex<Vec<(usize, FileCheck)>> = Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let kind = EtagKind::of(&job.etag);
                    let (status, actual) = match (kind, hash_file(&job.file, kind)) {
                        (EtagKind::Unknown, _) => (FileStatus::Unverifiable, None),
                        (_, Ok(Some(h))) if h == job.etag => (FileStatus::Ok, None),
                        (_, Ok(h)) => (FileStatus::Mismatch, h),
                        (_, Err(_)) => (FileStatus::Broken, None),
                    };
                    reporter.file_done(&job.path, job.size);
                    let check =
                        FileCheck { path: job.path.clone(), etag: job.etag.clone(), status, actual, size: job.size };
                    results.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((job.rev, check));
                }
            });
        }
    });
    reporter.finish();
    for (rev, check) in results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
        revisions[rev].files.push(check);
    }
    let mut mismatches = 0;
    let mut checked_files = 0;
    for r in &mut revisions {
        r.files.sort_by(|a, b| a.path.cmp(&b.path));
        for f in &r.files {
            match f.status {
                FileStatus::Mismatch | FileStatus::Broken => mismatches += 1,
                _ => {}
            }
            if f.status != FileStatus::Missing {
                checked_files += 1;
            }
        }
    }
    Ok(VerifyReport {
        repo_id: repo.repo().id.clone(),
        repo_type: repo.repo().repo_type.as_str().to_string(),
        revisions,
        checked_files,
        checked_bytes: total_bytes,
        mismatches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_blob_sha1_matches_git() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("f");
        fs_err::write(&p, b"").unwrap();
        assert_eq!(hash_file(&p, EtagKind::GitSha1).unwrap().unwrap(), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        fs_err::write(&p, b"hello world\n").unwrap();
        // `echo 'hello world' | git hash-object --stdin`
        assert_eq!(hash_file(&p, EtagKind::GitSha1).unwrap().unwrap(), "3b18e512dba79e4c8300dd08aeb37f8e728b8dad");
        assert_eq!(
            hash_file(&p, EtagKind::Sha256).unwrap().unwrap(),
            "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
        );
    }

    #[test]
    fn etag_kinds() {
        assert_eq!(EtagKind::of(&"a".repeat(64)), EtagKind::Sha256);
        assert_eq!(EtagKind::of(&"0".repeat(40)), EtagKind::GitSha1);
        assert_eq!(EtagKind::of("xyz"), EtagKind::Unknown);
    }
}
