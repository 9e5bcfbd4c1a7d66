//! The shared content-addressed cache, laid out exactly like the Hugging Face hub cache so
//! Python's huggingface_hub, transformers and hfx read each other's downloads
//! (hub-protocol.md section 3):
//!
//! ```text
//! $HF_HUB_CACHE/
//! ├── CACHEDIR.TAG
//! ├── .locks/models--org--name/<etag>.lock        one lock file per blob
//! └── models--org--name/                          also datasets--, spaces--, kernels--
//!     ├── blobs/<etag>                            sha256 (LFS) or git-blob sha1 (regular)
//!     ├── blobs/<etag>.incomplete                 hfx: resumable partial download
//!     ├── blobs/<etag>.incomplete.state           hfx: which byte ranges are on disk
//!     ├── refs/<revision>                         commit hash, no newline
//!     ├── snapshots/<commit>/<path> -> ../../blobs/<etag>   relative symlinks
//!     ├── trees/<commit>.json                     cached recursive listing (format 1)
//!     └── .no_exist/<commit>/<path>               "absent at that commit" markers
//! ```
//!
//! [`Cache`] and [`RepoCache`] are the only code that builds these paths.

mod error;
mod files;
pub mod gc;
pub mod reference;
pub mod scan;
mod tree;
pub mod verify;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use error::CacheError;
pub use files::{FileLock, KnownDirs, atomic_write, tmp_sibling, with_parent};
pub use reference::{ModelRef, split_quant_tag};
pub use tree::{TreeEntry, read_tree_file, write_tree_file};

pub type Result<T, E = CacheError> = std::result::Result<T, E>;

/// Content of the standard cache directory tag (https://bford.info/cachedir/).
pub const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by hfx.\n\
# For information about cache directory tags, see:\n\
#\thttps://bford.info/cachedir/\n";

/// Kinds of repositories on the Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepoType {
    Model,
    Dataset,
    Space,
    Kernel,
}

impl RepoType {
    /// Plural form used in API paths and cache folder names.
    pub fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
            RepoType::Kernel => "kernels",
        }
    }

    /// Singular name, as in `--repo-type dataset`.
    pub fn as_str(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
            RepoType::Kernel => "kernel",
        }
    }

    /// Prefix of file URLs (`/{prefix}{repo}/resolve/...`): none for models.
    pub fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
            RepoType::Space => "spaces/",
            RepoType::Kernel => "kernels/",
        }
    }

    pub fn from_plural(s: &str) -> Option<Self> {
        match s {
            "models" => Some(RepoType::Model),
            "datasets" => Some(RepoType::Dataset),
            "spaces" => Some(RepoType::Space),
            "kernels" => Some(RepoType::Kernel),
            _ => None,
        }
    }

    pub fn from_singular(s: &str) -> Option<Self> {
        match s {
            "model" => Some(RepoType::Model),
            "dataset" => Some(RepoType::Dataset),
            "space" => Some(RepoType::Space),
            "kernel" => Some(RepoType::Kernel),
            _ => None,
        }
    }
}

impl std::fmt::Display for RepoType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A repository on the Hub: type plus `org/name` (or a bare `name`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoId {
    pub repo_type: RepoType,
    pub id: String,
}

impl RepoId {
    /// Validate the id the way the Hub does (letters, digits, `-_.`, one optional `/`).
    pub fn new(repo_type: RepoType, id: &str) -> Result<Self> {
        let invalid = || CacheError::InvalidRepoId { id: id.to_string() };
        let parts: Vec<&str> = id.split('/').collect();
        if parts.is_empty() || parts.len() > 2 || id.contains("--") || id.contains("..") {
            return Err(invalid());
        }
        for p in &parts {
            let ok = !p.is_empty()
                && p.len() <= 96
                && !p.starts_with(['-', '.'])
                && !p.ends_with(['-', '.'])
                && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(invalid());
            }
        }
        Ok(Self { repo_type, id: id.to_string() })
    }

    /// `models--org--name`.
    pub fn folder_name(&self) -> String {
        format!("{}--{}", self.repo_type.plural(), self.id.replace('/', "--"))
    }

    /// Inverse of [`RepoId::folder_name`].
    pub fn from_folder_name(name: &str) -> Option<Self> {
        let (kind, rest) = name.split_once("--")?;
        let repo_type = RepoType::from_plural(kind)?;
        Some(Self { repo_type, id: rest.replace("--", "/") })
    }
}

impl std::fmt::Display for RepoId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
}

/// Whether `s` is a full 40-hex commit hash.
pub fn is_commit_hash(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Reject repository file paths that could escape the snapshot folder: absolute paths, `..`,
/// backslashes, drive letters, empty components. A malicious listing must not write outside
/// the cache.
pub fn validate_repo_path(path: &str) -> Result<()> {
    let bad = || CacheError::UnsafePath { path: path.to_string() };
    if path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path.contains('\0')
        || path.split('/').any(|c| c.is_empty() || c == "." || c == "..")
        || (path.len() >= 2 && path.as_bytes()[1] == b':')
    {
        return Err(bad());
    }
    if Path::new(path).components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(bad());
    }
    Ok(())
}

/// Handle on one cache root (`$HF_HUB_CACHE`).
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
    symlinks: bool,
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), symlinks: true }
    }

    /// Store real files in snapshots instead of symlinks (`HF_HUB_DISABLE_SYMLINKS`).
    pub fn with_symlinks(mut self, enabled: bool) -> Self {
        self.symlinks = enabled;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn repo(&self, repo: &RepoId) -> RepoCache {
        RepoCache {
            dir: self.root.join(repo.folder_name()),
            locks: self.root.join(".locks").join(repo.folder_name()),
            repo: repo.clone(),
            symlinks: self.symlinks,
        }
    }

    /// Create the root and its `CACHEDIR.TAG` if missing.
    pub fn ensure_root(&self) -> Result<()> {
        fs_err::create_dir_all(&self.root)?;
        let tag = self.root.join("CACHEDIR.TAG");
        if !tag.exists() {
            // Losing a race with another writer is fine: the content is the same.
            let _ = atomic_write(&tag, CACHEDIR_TAG.as_bytes());
        }
        Ok(())
    }

    /// Every repository folder in the cache.
    pub fn repos(&self) -> Result<Vec<RepoId>> {
        let mut out = Vec::new();
        let entries = match fs_err::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            if let Some(id) = entry.file_name().to_str().and_then(RepoId::from_folder_name) {
                out.push(id);
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Paths and small operations inside one repository folder.
#[derive(Debug, Clone)]
pub struct RepoCache {
    repo: RepoId,
    dir: PathBuf,
    locks: PathBuf,
    symlinks: bool,
}

impl RepoCache {
    pub fn repo(&self) -> &RepoId {
        &self.repo
    }
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn blobs_dir(&self) -> PathBuf {
        self.dir.join("blobs")
    }
    pub fn blob_path(&self, etag: &str) -> PathBuf {
        self.dir.join("blobs").join(etag)
    }
    /// Stable partial-download name keyed by etag, so a later process resumes it.
    pub fn incomplete_path(&self, etag: &str) -> PathBuf {
        self.dir.join("blobs").join(format!("{etag}.incomplete"))
    }
    pub fn lock_path(&self, etag: &str) -> PathBuf {
        self.locks.join(format!("{etag}.lock"))
    }
    pub fn locks_dir(&self) -> &Path {
        &self.locks
    }
    pub fn snapshots_dir(&self) -> PathBuf {
        self.dir.join("snapshots")
    }
    pub fn snapshot_dir(&self, commit: &str) -> PathBuf {
        self.dir.join("snapshots").join(commit)
    }
    pub fn snapshot_file(&self, commit: &str, path: &str) -> PathBuf {
        self.snapshot_dir(commit).join(path)
    }
    pub fn refs_dir(&self) -> PathBuf {
        self.dir.join("refs")
    }
    pub fn ref_path(&self, revision: &str) -> PathBuf {
        self.dir.join("refs").join(revision)
    }
    pub fn tree_path(&self, commit: &str) -> PathBuf {
        self.dir.join("trees").join(format!("{commit}.json"))
    }
    pub fn no_exist_path(&self, commit: &str, path: &str) -> PathBuf {
        self.dir.join(".no_exist").join(commit).join(path)
    }

    /// The commit a revision points to, from the cache alone (offline resolution).
    pub fn resolve_revision(&self, revision: &str) -> Option<String> {
        if is_commit_hash(revision) {
            return Some(revision.to_string());
        }
        let content = fs_err::read_to_string(self.ref_path(revision)).ok()?;
        let commit = content.trim();
        is_commit_hash(commit).then(|| commit.to_string())
    }

    /// Write `refs/<revision>` atomically, only if the content changed (read-only caches keep
    /// working) and only when the revision is not itself the commit.
    pub fn write_ref(&self, revision: &str, commit: &str) -> Result<()> {
        if revision == commit {
            return Ok(());
        }
        validate_repo_path(revision).map_err(|_| CacheError::InvalidRevision { revision: revision.to_string() })?;
        let path = self.ref_path(revision);
        if fs_err::read_to_string(&path).is_ok_and(|c| c == commit) {
            return Ok(());
        }
        atomic_write(&path, commit.as_bytes())
    }

    /// All refs as (name, commit), nested names such as `refs/pr/1` included.
    pub fn refs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let root = self.refs_dir();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs_err::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let (Ok(rel), Ok(content)) = (p.strip_prefix(&root), fs_err::read_to_string(&p)) {
                    let name = rel.to_string_lossy().replace('\\', "/");
                    out.push((name, content.trim().to_string()));
                }
            }
        }
        out.sort();
        out
    }

    pub fn read_tree(&self, commit: &str) -> Option<BTreeMap<String, TreeEntry>> {
        read_tree_file(&self.tree_path(commit))
    }

    pub fn write_tree(&self, commit: &str, files: &BTreeMap<String, TreeEntry>) -> Result<()> {
        write_tree_file(&self.tree_path(commit), files)
    }

    /// Record that `path` does not exist at `commit` (best effort, as huggingface_hub).
    pub fn mark_no_exist(&self, commit: &str, path: &str) {
        if validate_repo_path(path).is_err() {
            return;
        }
        let marker = self.no_exist_path(commit, path);
        let _ = with_parent(&marker, || fs_err::File::create(&marker));
    }

    /// Point `snapshots/<commit>/<path>` at `blobs/<etag>` with a relative symlink (or copy the
    /// blob when symlinks are disabled or unsupported).
    pub fn link_snapshot_file(&self, commit: &str, path: &str, etag: &str) -> Result<PathBuf> {
        validate_repo_path(path)?;
        let dest = self.snapshot_file(commit, path);
        // `snapshots/<commit>/a/b` -> `../../../blobs/<etag>`: one `..` per directory level.
        let depth = path.split('/').count() + 1;
        let mut target = PathBuf::new();
        for _ in 0..depth {
            target.push("..");
        }
        target.push("blobs");
        target.push(etag);
        let linked_already = || fs_err::read_link(&dest).is_ok_and(|t| t == target);
        if self.symlinks && SYMLINKS_HOLD.get() != Some(&false) {
            // Link first and look only when that fails: in a fresh snapshot the link is the one
            // call per file (it was mkdir, stat and lstat before it).
            let link = || symlink(&target, &dest);
            let mut made = with_parent(&dest, link);
            if made.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::AlreadyExists) {
                if linked_already() {
                    return Ok(dest);
                }
                // Another target, or a copy: replace it.
                fs_err::remove_file(&dest)?;
                made = link();
            }
            match made {
                // The first link of the process is looked at once: Wine's CreateSymbolicLinkW
                // reports success and makes nothing, which left every snapshot empty.
                Ok(())
                    if *SYMLINKS_HOLD.get_or_init(|| fs_err::symlink_metadata(&dest).is_ok_and(|m| m.is_symlink())) =>
                {
                    return Ok(dest);
                }
                Ok(()) => {}
                // Another process linked it first (concurrent downloads of one repo).
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && linked_already() => return Ok(dest),
                Err(_) => {}
            }
        }
        // A copy (no symlinks: Windows without developer mode, HF_HUB_DISABLE_SYMLINKS): copied
        // next to its place and renamed over whatever is there, so the parent is made only when
        // missing and nothing is probed first.
        let tmp = tmp_sibling(&dest);
        with_parent(&dest, || fs_err::copy(self.blob_path(etag), &tmp))?;
        fs_err::rename(&tmp, &dest).inspect_err(|_| {
            let _ = fs_err::remove_file(&tmp);
        })?;
        Ok(dest)
    }

    /// The blob a snapshot file points at, when it is a symlink into `blobs/`.
    pub fn blob_of(&self, snapshot_file: &Path) -> Option<PathBuf> {
        let target = fs_err::read_link(snapshot_file).ok()?;
        let resolved = snapshot_file.parent()?.join(target);
        let name = resolved.file_name()?.to_owned();
        Some(self.blobs_dir().join(name))
    }
}

/// Whether a symlink this process made turned out to exist (checked on the first one).
static SYMLINKS_HOLD: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_file(target, link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_round_trip() {
        let r = RepoId::new(RepoType::Dataset, "HuggingFaceFW/fineweb").unwrap();
        assert_eq!(r.folder_name(), "datasets--HuggingFaceFW--fineweb");
        assert_eq!(RepoId::from_folder_name("datasets--HuggingFaceFW--fineweb"), Some(r));
        assert_eq!(RepoId::new(RepoType::Model, "gpt2").unwrap().folder_name(), "models--gpt2");
    }

    #[test]
    fn rejects_bad_repo_ids() {
        for bad in ["a/b/c", "../x", "a--b/c", "", "a/", "-a/b", "a b/c"] {
            assert!(RepoId::new(RepoType::Model, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_path_traversal() {
        for bad in ["../etc/passwd", "/abs", "a/../../b", "a//b", "C:evil", "a\\b", "./a", ""] {
            assert!(validate_repo_path(bad).is_err(), "{bad}");
        }
        for ok in ["config.json", "a/b/c.bin", ".gitattributes", "dir/.hidden"] {
            validate_repo_path(ok).unwrap();
        }
    }

    #[test]
    fn snapshot_links_are_relative_and_resolve() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::new(tmp.path());
        let repo = cache.repo(&RepoId::new(RepoType::Model, "o/n").unwrap());
        let etag = "a".repeat(40);
        atomic_write(&repo.blob_path(&etag), b"hello").unwrap();
        let commit = "c".repeat(40);
        let p = repo.link_snapshot_file(&commit, "sub/dir/f.txt", &etag).unwrap();
        assert_eq!(fs_err::read_link(&p).unwrap(), PathBuf::from(format!("../../../../blobs/{etag}")));
        assert_eq!(fs_err::read(&p).unwrap(), b"hello");
        assert_eq!(repo.blob_of(&p).unwrap(), repo.blob_path(&etag));
        // A link to another blob is replaced; the right one is kept.
        let other = "b".repeat(40);
        atomic_write(&repo.blob_path(&other), b"other").unwrap();
        repo.link_snapshot_file(&commit, "sub/dir/f.txt", &other).unwrap();
        assert_eq!(fs_err::read(&p).unwrap(), b"other");
        repo.link_snapshot_file(&commit, "sub/dir/f.txt", &other).unwrap();
        assert_eq!(fs_err::read_link(&p).unwrap(), PathBuf::from(format!("../../../../blobs/{other}")));
    }

    #[test]
    fn refs_and_offline_resolution() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Cache::new(tmp.path()).repo(&RepoId::new(RepoType::Model, "o/n").unwrap());
        let commit = "0123456789abcdef0123456789abcdef01234567";
        repo.write_ref("main", commit).unwrap();
        repo.write_ref("refs/pr/1", commit).unwrap();
        assert_eq!(fs_err::read_to_string(repo.ref_path("main")).unwrap(), commit);
        assert_eq!(repo.resolve_revision("main").as_deref(), Some(commit));
        assert_eq!(repo.resolve_revision(commit).as_deref(), Some(commit));
        assert_eq!(repo.resolve_revision("v2"), None);
        let names: Vec<String> = repo.refs().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, vec!["main", "refs/pr/1"]);
        assert!(repo.write_ref("../evil", commit).is_err());
    }

    #[test]
    fn tree_file_matches_python_format() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Cache::new(tmp.path()).repo(&RepoId::new(RepoType::Model, "o/n").unwrap());
        let mut files = BTreeMap::new();
        files.insert(
            "é.txt".to_string(),
            TreeEntry { size: 2, blob_id: "b".into(), lfs_sha256: None, lfs_size: None, xet_hash: None },
        );
        files.insert(
            "m.bin".to_string(),
            TreeEntry { size: 5, blob_id: "p".into(), lfs_sha256: Some("s".into()), lfs_size: Some(5), xet_hash: None },
        );
        repo.write_tree("c", &files).unwrap();
        let text = fs_err::read_to_string(repo.tree_path("c")).unwrap();
        assert_eq!(
            text,
            "{\n \"format_version\": 1,\n \"files\": {\n  \"m.bin\": {\n   \"size\": 5,\n   \"blob_id\": \"p\",\n   \"lfs_sha256\": \"s\",\n   \"lfs_size\": 5\n  },\n  \"\\u00e9.txt\": {\n   \"size\": 2,\n   \"blob_id\": \"b\"\n  }\n }\n}"
        );
        assert_eq!(repo.read_tree("c").unwrap(), files);
    }
}
