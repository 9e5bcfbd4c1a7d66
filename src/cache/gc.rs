//! Deleting from the cache: `hfx cache rm` (repos, revisions) and `hfx cache prune`
//! (detached revisions, orphan partial downloads, unreferenced blobs).
//!
//! Planning and executing are separate so `--dry-run` shows exactly what would go.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::verify::walk_files;
use super::{Cache, CacheError, FileLock, RepoCache, RepoId, Result, is_commit_hash};

/// One thing to delete, with the bytes it frees.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Deletion {
    Repo {
        repo_id: String,
        repo_type: String,
        path: PathBuf,
        bytes: u64,
    },
    Revision {
        repo_id: String,
        repo_type: String,
        commit: String,
        refs: Vec<String>,
        path: PathBuf,
        blobs: Vec<PathBuf>,
        bytes: u64,
    },
    Incomplete {
        repo_id: String,
        path: PathBuf,
        bytes: u64,
    },
    Blob {
        repo_id: String,
        path: PathBuf,
        bytes: u64,
    },
}

impl Deletion {
    pub fn bytes(&self) -> u64 {
        match self {
            Deletion::Repo { bytes, .. }
            | Deletion::Revision { bytes, .. }
            | Deletion::Incomplete { bytes, .. }
            | Deletion::Blob { bytes, .. } => *bytes,
        }
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Plan {
    pub deletions: Vec<Deletion>,
    pub freed_bytes: u64,
}

impl Plan {
    fn push(&mut self, d: Deletion) {
        self.freed_bytes += d.bytes();
        self.deletions.push(d);
    }
    pub fn is_empty(&self) -> bool {
        self.deletions.is_empty()
    }
}

/// What `hfx cache rm` was asked to remove.
#[derive(Debug, Clone)]
pub enum RmTarget {
    Repo(RepoId),
    Revision(RepoId, String),
    /// A bare commit hash: every cached repo's snapshot with that commit.
    Commit(String),
}

fn dir_size(path: &Path) -> u64 {
    walk_files(path).iter().filter_map(|(_, p)| fs_err::symlink_metadata(p).ok()).map(|m| m.len()).sum()
}

/// Blob paths referenced by every snapshot of `repo` except `skip`.
fn referenced_blobs(repo: &RepoCache, skip: Option<&str>) -> HashSet<PathBuf> {
    let mut set = HashSet::new();
    let Ok(entries) = fs_err::read_dir(repo.snapshots_dir()) else { return set };
    for entry in entries.flatten() {
        if skip.is_some_and(|s| entry.file_name().to_string_lossy() == s) {
            continue;
        }
        for (_, f) in walk_files(&entry.path()) {
            if let Some(b) = repo.blob_of(&f) {
                set.insert(b);
            }
        }
    }
    set
}

fn revision_deletion(repo: &RepoCache, commit: &str) -> Deletion {
    let snapshot = repo.snapshot_dir(commit);
    let others = referenced_blobs(repo, Some(commit));
    let mut blobs: Vec<PathBuf> = walk_files(&snapshot)
        .iter()
        .filter_map(|(_, f)| repo.blob_of(f))
        .filter(|b| !others.contains(b) && b.exists())
        .collect();
    blobs.sort();
    blobs.dedup();
    let bytes = blobs.iter().filter_map(|b| fs_err::metadata(b).ok()).map(|m| m.len()).sum::<u64>()
        + walk_files(&snapshot)
            .iter()
            .filter(|(_, f)| repo.blob_of(f).is_none())
            .filter_map(|(_, f)| fs_err::metadata(f).ok())
            .map(|m| m.len())
            .sum::<u64>();
    Deletion::Revision {
        repo_id: repo.repo().id.clone(),
        repo_type: repo.repo().repo_type.as_str().to_string(),
        commit: commit.to_string(),
        refs: repo.refs().into_iter().filter(|(_, c)| c == commit).map(|(n, _)| n).collect(),
        path: snapshot,
        blobs,
        bytes,
    }
}

/// Plan `hfx cache rm`.
pub fn plan_rm(cache: &Cache, targets: &[RmTarget]) -> Result<Plan> {
    let mut plan = Plan::default();
    for target in targets {
        match target {
            RmTarget::Repo(id) => {
                let repo = cache.repo(id);
                if !repo.dir().is_dir() {
                    return Err(CacheError::RepoNotCached { repo: id.id.clone() });
                }
                let bytes = dir_size(&repo.blobs_dir()) + dir_size(&repo.snapshots_dir());
                plan.push(Deletion::Repo {
                    repo_id: id.id.clone(),
                    repo_type: id.repo_type.as_str().to_string(),
                    path: repo.dir().to_path_buf(),
                    bytes,
                });
            }
            RmTarget::Revision(id, rev) => {
                let repo = cache.repo(id);
                if !repo.dir().is_dir() {
                    return Err(CacheError::RepoNotCached { repo: id.id.clone() });
                }
                let commit = repo
                    .resolve_revision(rev)
                    .filter(|c| repo.snapshot_dir(c).is_dir())
                    .ok_or_else(|| CacheError::RevisionNotCached { repo: id.id.clone(), revision: rev.clone() })?;
                plan.push(revision_deletion(&repo, &commit));
            }
            RmTarget::Commit(commit) => {
                let mut found = false;
                for id in cache.repos()? {
                    let repo = cache.repo(&id);
                    if is_commit_hash(commit) && repo.snapshot_dir(commit).is_dir() {
                        plan.push(revision_deletion(&repo, commit));
                        found = true;
                    }
                }
                if !found {
                    return Err(CacheError::RevisionNotCached {
                        repo: "any cached repository".into(),
                        revision: commit.clone(),
                    });
                }
            }
        }
    }
    Ok(plan)
}

/// Plan `hfx cache prune`.
pub fn plan_prune(cache: &Cache) -> Result<Plan> {
    let mut plan = Plan::default();
    for id in cache.repos()? {
        let repo = cache.repo(&id);
        let refs: HashSet<String> = repo.refs().into_iter().map(|(_, c)| c).collect();
        let mut detached = HashSet::new();
        if let Ok(entries) = fs_err::read_dir(repo.snapshots_dir()) {
            for entry in entries.flatten() {
                let commit = entry.file_name().to_string_lossy().into_owned();
                if !refs.contains(&commit) {
                    plan.push(revision_deletion(&repo, &commit));
                    detached.insert(commit);
                }
            }
        }
        // Blobs no remaining snapshot points at (including those of detached revisions,
        // already counted above).
        let mut kept = HashSet::new();
        if let Ok(entries) = fs_err::read_dir(repo.snapshots_dir()) {
            for entry in entries.flatten() {
                if detached.contains(&*entry.file_name().to_string_lossy()) {
                    continue;
                }
                for (_, f) in walk_files(&entry.path()) {
                    if let Some(b) = repo.blob_of(&f) {
                        kept.insert(b);
                    }
                }
            }
        }
        let already: HashSet<PathBuf> = plan
            .deletions
            .iter()
            .filter_map(|d| match d {
                Deletion::Revision { blobs, .. } => Some(blobs.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        let Ok(entries) = fs_err::read_dir(repo.blobs_dir()) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if let Some(etag) = name.strip_suffix(".incomplete").or_else(|| name.strip_suffix(".incomplete.state")) {
                // A download in progress holds the lock: leave it alone.
                let etag = etag.split('.').next().unwrap_or(etag);
                if FileLock::try_acquire(&repo.lock_path(etag))?.is_some() {
                    plan.push(Deletion::Incomplete { repo_id: id.id.clone(), path, bytes });
                }
            } else if !kept.contains(&path) && !already.contains(&path) && !name.starts_with('.') {
                plan.push(Deletion::Blob { repo_id: id.id.clone(), path, bytes });
            }
        }
    }
    Ok(plan)
}

/// Carry out a plan. Blobs go first so a crash never leaves snapshots pointing nowhere
/// without the revision also being on its way out.
pub fn execute(cache: &Cache, plan: &Plan) -> Result<()> {
    for d in &plan.deletions {
        match d {
            Deletion::Repo { path, .. } => remove_dir(path)?,
            Deletion::Revision { path, blobs, commit, repo_id, repo_type, .. } => {
                let repo_type = super::RepoType::from_singular(repo_type).unwrap_or(super::RepoType::Model);
                let repo = cache.repo(&RepoId { repo_type, id: repo_id.clone() });
                for (name, c) in repo.refs() {
                    if &c == commit {
                        let _ = fs_err::remove_file(repo.ref_path(&name));
                    }
                }
                remove_dir(path)?;
                for b in blobs {
                    remove_file(b)?;
                }
                let _ = fs_err::remove_file(repo.tree_path(commit));
                let _ = fs_err::remove_dir_all(
                    repo.no_exist_path(commit, "x").parent().unwrap_or(Path::new("/nonexistent")),
                );
            }
            Deletion::Incomplete { path, .. } | Deletion::Blob { path, .. } => remove_file(path)?,
        }
    }
    Ok(())
}

fn remove_dir(path: &Path) -> Result<()> {
    match fs_err::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

fn remove_file(path: &Path) -> Result<()> {
    match fs_err::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}
