#![allow(dead_code, unreachable_pub, clippy::result_large_err, clippy::too_many_arguments)]
//! An in-process fake of the Hugging Face Hub, faithful to `shared/docs/hub-protocol.md`
//! (sections 2.0-2.7): whoami-v2, search with `Link` pagination, repo info, tree (recursive or
//! not, paginated), paths-info, refs, commits, and `resolve` with a relative 307 for regular
//! files and an absolute 302 to a separate CDN origin for LFS files; `Range` (206/416);
//! `X-Error-Code`/`X-Error-Message` errors; private and gated repos; branches and tags.
//!
//! Commit, tree and blob ids are computed exactly the way git computes them. Faults (injected
//! statuses with `Retry-After`, connections dropped mid-body, delays) and a per-response
//! bandwidth cap can be injected, and every request is logged with the body bytes it actually
//! streamed.
//!
//! Also compiled into `examples/fake_hub.rs`, a standalone server for benchmarks.

mod files;
mod http;
mod reads;
mod repos;
mod server;
mod storage;
mod uploads;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

// The items below keep their `fake_hub::X` paths; a binary that compiles this module may use
// only some of them (like `dead_code` for the rest, allowed above).
#[allow(unused_imports)]
pub use server::{FakeHub, XetMode};
#[allow(unused_imports)]
pub use storage::{BASE_TS, git_blob_oid, is_lfs, lfs_pointer, rfc3339, sha256_hex};

// ---------------------------------------------------------------------------------------------
// Public types

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepoType {
    Model,
    Dataset,
    Space,
}

impl RepoType {
    /// `models`, `datasets`, `spaces` (API path segment, cache folder prefix).
    pub fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
        }
    }
    /// `model`, `dataset`, `space`.
    pub fn singular(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
        }
    }
    /// Prefix of file URLs: `""` for models, `datasets/`, `spaces/`.
    pub fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
            RepoType::Space => "spaces/",
        }
    }
    fn from_plural(s: &str) -> Option<Self> {
        match s {
            "models" => Some(RepoType::Model),
            "datasets" => Some(RepoType::Dataset),
            "spaces" => Some(RepoType::Space),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum FileSource {
    Bytes(Bytes),
    Path(PathBuf),
    /// An uploaded multipart object, kept as its parts (in order) rather than copied into one
    /// buffer: that copy cost the fake server about 0.3 s per GiB at completion.
    Parts(Arc<[Bytes]>),
}

/// A repository to create, built fluently.
#[derive(Debug, Clone)]
pub struct RepoSpec {
    repo_type: RepoType,
    id: String,
    files: Vec<(String, FileSource)>,
    private: bool,
    gated: Option<String>,
    granted: Vec<String>,
    tags: Vec<String>,
    downloads: u64,
    likes: u64,
    pipeline_tag: Option<String>,
    library_name: Option<String>,
    created_at: String,
    trending: f64,
}

/// The `.gitattributes` the Hub puts in every new repo.
pub const GITATTRIBUTES: &str = "*.7z filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.bz2 filter=lfs diff=lfs merge=lfs -text
*.ckpt filter=lfs diff=lfs merge=lfs -text
*.ftz filter=lfs diff=lfs merge=lfs -text
*.gz filter=lfs diff=lfs merge=lfs -text
*.h5 filter=lfs diff=lfs merge=lfs -text
*.joblib filter=lfs diff=lfs merge=lfs -text
*.lfs.* filter=lfs diff=lfs merge=lfs -text
*.mlmodel filter=lfs diff=lfs merge=lfs -text
*.model filter=lfs diff=lfs merge=lfs -text
*.msgpack filter=lfs diff=lfs merge=lfs -text
*.npy filter=lfs diff=lfs merge=lfs -text
*.npz filter=lfs diff=lfs merge=lfs -text
*.onnx filter=lfs diff=lfs merge=lfs -text
*.ot filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.pb filter=lfs diff=lfs merge=lfs -text
*.pickle filter=lfs diff=lfs merge=lfs -text
*.pkl filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.pth filter=lfs diff=lfs merge=lfs -text
*.rar filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
saved_model/**/* filter=lfs diff=lfs merge=lfs -text
*.tar.* filter=lfs diff=lfs merge=lfs -text
*.tar filter=lfs diff=lfs merge=lfs -text
*.tflite filter=lfs diff=lfs merge=lfs -text
*.tgz filter=lfs diff=lfs merge=lfs -text
*.wasm filter=lfs diff=lfs merge=lfs -text
*.xz filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
*.zst filter=lfs diff=lfs merge=lfs -text
*tfevents* filter=lfs diff=lfs merge=lfs -text
*.gguf filter=lfs diff=lfs merge=lfs -text
*.mds filter=lfs diff=lfs merge=lfs -text
*.lz4 filter=lfs diff=lfs merge=lfs -text
";

impl RepoSpec {
    /// `id` is `org/name`.
    pub fn new(repo_type: RepoType, id: &str) -> Self {
        Self {
            repo_type,
            id: id.to_string(),
            files: Vec::new(),
            private: false,
            gated: None,
            granted: Vec::new(),
            tags: Vec::new(),
            downloads: 0,
            likes: 0,
            pipeline_tag: None,
            library_name: None,
            created_at: "2025-01-01T00:00:00.000Z".into(),
            trending: 0.0,
        }
    }
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn repo_type(&self) -> RepoType {
        self.repo_type
    }
    pub fn file(mut self, path: &str, content: impl Into<Bytes>) -> Self {
        self.files.push((path.to_string(), FileSource::Bytes(content.into())));
        self
    }
    /// A file served from disk (streamed, never loaded whole into memory).
    pub fn file_from_disk(mut self, path: &str, disk: impl Into<PathBuf>) -> Self {
        self.files.push((path.to_string(), FileSource::Path(disk.into())));
        self
    }
    /// Every file under `root` (recursively; symlinks followed; `.git/` skipped), with paths
    /// relative to `root` and `/`-separated.
    pub fn dir(mut self, root: impl AsRef<Path>) -> Self {
        let root = root.as_ref();
        let mut found = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            let rd = fs_err::read_dir(&d).unwrap_or_else(|e| panic!("read_dir {}: {e}", d.display()));
            for e in rd {
                let p = e.expect("dir entry").path();
                if p.is_dir() {
                    if p.file_name().is_some_and(|n| n == ".git") {
                        continue;
                    }
                    stack.push(p);
                } else if p.is_file() {
                    let rel = p
                        .strip_prefix(root)
                        .unwrap()
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned());
                    found.push((rel.collect::<Vec<_>>().join("/"), FileSource::Path(p)));
                }
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        self.files.extend(found);
        self
    }
    /// Add the standard HF `.gitattributes` (a regular, non-LFS text file).
    pub fn gitattributes(self) -> Self {
        self.file(".gitattributes", GITATTRIBUTES)
    }
    pub fn private(mut self, yes: bool) -> Self {
        self.private = yes;
        self
    }
    /// `mode` is `"auto"` or `"manual"`; `granted_users` (and the namespace's own user) may
    /// download gated files.
    pub fn gated(mut self, mode: &str, granted_users: &[&str]) -> Self {
        self.gated = Some(mode.to_string());
        self.granted = granted_users.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn tags(mut self, tags: &[&str]) -> Self {
        self.tags = tags.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn downloads(mut self, n: u64) -> Self {
        self.downloads = n;
        self
    }
    pub fn likes(mut self, n: u64) -> Self {
        self.likes = n;
        self
    }
    pub fn pipeline_tag(mut self, t: &str) -> Self {
        self.pipeline_tag = Some(t.into());
        self
    }
    pub fn library_name(mut self, l: &str) -> Self {
        self.library_name = Some(l.into());
        self
    }
    pub fn created_at(mut self, rfc3339: &str) -> Self {
        self.created_at = rfc3339.into();
        self
    }
    pub fn trending_score(mut self, s: f64) -> Self {
        self.trending = s;
        self
    }
}

#[derive(Debug, Clone)]
pub struct UserSpec {
    pub name: String,
    pub fullname: String,
    pub orgs: Vec<String>,
    pub token_name: String,
    /// `read`, `write` or `fineGrained`.
    pub role: String,
}

/// An injected failure, matched against every request (Hub and CDN) in insertion order.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Option<&'static str>,
    pub path_contains: String,
    pub kind: FaultKind,
    pub times: usize,
}

impl Fault {
    /// A fault for any method.
    pub fn new(path_contains: &str, kind: FaultKind, times: usize) -> Self {
        Fault { method: None, path_contains: path_contains.to_string(), kind, times }
    }
}

#[derive(Debug, Clone)]
pub enum FaultKind {
    /// Answer this status (JSON error body, `Retry-After` when set) instead of the real answer.
    Status { status: u16, retry_after: Option<u64> },
    /// Send the headers and the first `bytes` body bytes, then abort the connection.
    DropAfter { bytes: u64 },
    /// Sleep, then answer normally.
    Delay { ms: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Hub,
    Cdn,
}

#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub server: Server,
    pub method: String,
    /// Path and query, as received (still percent-encoded).
    pub path: String,
    pub status: u16,
    pub range: Option<String>,
    pub has_authorization: bool,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    /// Body bytes streamed so far (updated while streaming).
    pub bytes_sent: Arc<AtomicU64>,
}

impl LoggedRequest {
    pub fn bytes(&self) -> u64 {
        self.bytes_sent.load(Ordering::SeqCst)
    }
}

/// What the Hub knows about one file at one commit.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub size: u64,
    pub sha256: String,
    /// git blob id (of the content; of the LFS pointer for LFS files).
    pub oid: String,
    pub lfs: bool,
}

impl FileInfo {
    /// The etag a client uses as blob name: sha256 for LFS files, git blob id otherwise.
    pub fn etag(&self) -> &str {
        if self.lfs { &self.sha256 } else { &self.oid }
    }
}
