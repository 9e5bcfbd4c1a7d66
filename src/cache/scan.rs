//! `hfx cache ls`: what is cached, how big it is, which refs point where.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::SystemTime;

use serde::{Serialize, Serializer};

use super::verify::walk_files;
use super::{Cache, RepoCache, Result};

fn rfc3339<S: Serializer>(t: &Option<SystemTime>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&humantime::format_rfc3339_seconds(*t).to_string()),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RevisionInfo {
    pub commit: String,
    pub refs: Vec<String>,
    pub nb_files: usize,
    pub size_on_disk: u64,
    #[serde(serialize_with = "rfc3339")]
    pub last_modified: Option<SystemTime>,
    pub snapshot_path: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepoInfo {
    pub repo_id: String,
    pub repo_type: String,
    pub repo_path: PathBuf,
    pub size_on_disk: u64,
    pub nb_files: usize,
    #[serde(serialize_with = "rfc3339")]
    pub last_accessed: Option<SystemTime>,
    #[serde(serialize_with = "rfc3339")]
    pub last_modified: Option<SystemTime>,
    pub refs: Vec<String>,
    pub revisions: Vec<RevisionInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CacheReport {
    pub cache_dir: PathBuf,
    pub size_on_disk: u64,
    pub repos: Vec<RepoInfo>,
    pub warnings: Vec<String>,
}

/// Snapshot file -> (blob identity, size). Blobs are counted once per repo.
fn max_time(a: Option<SystemTime>, b: Option<SystemTime>) -> Option<SystemTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (x, None) | (None, x) => x,
    }
}

pub fn scan_repo(repo: &RepoCache, warnings: &mut Vec<String>) -> RepoInfo {
    let refs = repo.refs();
    let mut refs_by_commit: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, commit) in &refs {
        refs_by_commit.entry(commit.clone()).or_default().push(name.clone());
    }
    let mut seen_blobs: HashSet<PathBuf> = HashSet::new();
    let mut size = 0u64;
    let mut nb_files = 0usize;
    let mut last_accessed = None;
    let mut last_modified = None;
    let mut revisions = Vec::new();
    match fs_err::read_dir(repo.snapshots_dir()) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let commit = entry.file_name().to_string_lossy().into_owned();
                if !entry.path().is_dir() {
                    warnings.push(format!("unexpected file in snapshots: {}", entry.path().display()));
                    continue;
                }
                let mut rev_size = 0u64;
                let mut rev_files = 0usize;
                let mut rev_modified = None;
                for (_, file) in walk_files(&entry.path()) {
                    let target = repo.blob_of(&file).unwrap_or_else(|| file.clone());
                    let Ok(meta) = fs_err::metadata(&target) else {
                        warnings.push(format!("broken snapshot entry: {}", file.display()));
                        continue;
                    };
                    rev_files += 1;
                    rev_size += meta.len();
                    rev_modified = max_time(rev_modified, meta.modified().ok());
                    if seen_blobs.insert(target) {
                        size += meta.len();
                        nb_files += 1;
                        last_accessed = max_time(last_accessed, meta.accessed().ok());
                        last_modified = max_time(last_modified, meta.modified().ok());
                    }
                }
                revisions.push(RevisionInfo {
                    refs: refs_by_commit.get(&commit).cloned().unwrap_or_default(),
                    commit,
                    nb_files: rev_files,
                    size_on_disk: rev_size,
                    last_modified: rev_modified,
                    snapshot_path: entry.path(),
                });
            }
        }
        Err(_) => warnings.push(format!("no snapshots folder in {}", repo.dir().display())),
    }
    revisions.sort_by(|a, b| b.last_modified.cmp(&a.last_modified).then(a.commit.cmp(&b.commit)));
    RepoInfo {
        repo_id: repo.repo().id.clone(),
        repo_type: repo.repo().repo_type.as_str().to_string(),
        repo_path: repo.dir().to_path_buf(),
        size_on_disk: size,
        nb_files,
        last_accessed,
        last_modified,
        refs: refs.into_iter().map(|(n, _)| n).collect(),
        revisions,
    }
}

/// Scan the whole cache.
pub fn scan(cache: &Cache) -> Result<CacheReport> {
    let mut warnings = Vec::new();
    let mut repos = Vec::new();
    for id in cache.repos()? {
        repos.push(scan_repo(&cache.repo(&id), &mut warnings));
    }
    Ok(CacheReport {
        cache_dir: cache.root().to_path_buf(),
        size_on_disk: repos.iter().map(|r| r.size_on_disk).sum(),
        repos,
        warnings,
    })
}
