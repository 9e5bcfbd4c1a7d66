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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};
use sha1::Digest as _;

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
            let rd = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read_dir {}: {e}", d.display()));
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

// ---------------------------------------------------------------------------------------------
// Storage and git hashing

#[derive(Debug, Clone)]
struct StoredFile {
    source: FileSource,
    size: u64,
    sha256: String,
    oid: String,
    lfs: bool,
}

impl StoredFile {
    fn pointer_size(&self) -> u64 {
        lfs_pointer(&self.sha256, self.size).len() as u64
    }
    fn info(&self) -> FileInfo {
        FileInfo { size: self.size, sha256: self.sha256.clone(), oid: self.oid.clone(), lfs: self.lfs }
    }
}

#[derive(Debug)]
struct Commit {
    id: String,
    parent: Option<String>,
    message: String,
    files: BTreeMap<String, StoredFile>,
    /// Directory path (`""` = root) -> git tree id.
    trees: BTreeMap<String, String>,
    ts: u64,
    date: String,
}

#[derive(Debug)]
struct Repo {
    spec: RepoSpec,
    branches: BTreeMap<String, String>,
    tags: BTreeMap<String, String>,
    commits: HashMap<String, Arc<Commit>>,
    /// Commit ids in creation order.
    order: Vec<String>,
}

impl Repo {
    fn namespace(&self) -> &str {
        self.spec.id.split('/').next().unwrap_or("")
    }
    fn head(&self) -> Arc<Commit> {
        self.commits[&self.branches["main"]].clone()
    }
    fn last_modified(&self) -> Arc<Commit> {
        self.order
            .iter()
            .filter_map(|c| self.commits.get(c))
            .max_by_key(|c| c.ts)
            .cloned()
            .unwrap_or_else(|| self.head())
    }
    fn resolve(&self, rev: &str) -> Option<Arc<Commit>> {
        let rev = rev.strip_prefix("refs/heads/").or_else(|| rev.strip_prefix("refs/tags/")).unwrap_or(rev);
        if let Some(c) = self.branches.get(rev).or_else(|| self.tags.get(rev)) {
            return self.commits.get(c).cloned();
        }
        if rev.len() >= 7 && rev.len() <= 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            let rev = rev.to_ascii_lowercase();
            let matches: Vec<&String> = self.order.iter().filter(|c| c.starts_with(&rev)).collect();
            if matches.len() == 1 {
                return self.commits.get(matches[0]).cloned();
            }
        }
        None
    }
}

const LFS_EXTENSIONS: &[&str] = &[
    "7z",
    "arrow",
    "bin",
    "bz2",
    "ckpt",
    "ftz",
    "gguf",
    "gz",
    "h5",
    "joblib",
    "lz4",
    "mds",
    "mlmodel",
    "model",
    "msgpack",
    "npy",
    "npz",
    "onnx",
    "ot",
    "parquet",
    "pb",
    "pickle",
    "pkl",
    "pt",
    "pth",
    "rar",
    "safetensors",
    "tar",
    "tflite",
    "tgz",
    "wasm",
    "xz",
    "zip",
    "zst",
];

/// Whether the Hub stores `path` of `size` bytes with LFS.
pub fn is_lfs(path: &str, size: u64) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == ".gitattributes" {
        return false;
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    size > 10 * 1024 * 1024 || ext.is_some_and(|e| LFS_EXTENSIONS.contains(&e.as_str()))
}

/// The git-lfs pointer text stored in git for an LFS file.
pub fn lfs_pointer(sha256: &str, size: u64) -> String {
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n")
}

/// git blob id: sha1 of `"blob {len}\0" + content`.
pub fn git_blob_oid(content: &[u8]) -> String {
    git_object_id("blob", content)
}

fn git_object_id(kind: &str, body: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("{kind} {}\0", body.len()).as_bytes());
    h.update(body);
    hex::encode(h.finalize())
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

fn store_file(path: &str, src: FileSource) -> StoredFile {
    let (size, sha256, content_oid) = match &src {
        FileSource::Bytes(b) => {
            let lfs = is_lfs(path, b.len() as u64);
            (b.len() as u64, sha256_hex(b), if lfs { String::new() } else { git_blob_oid(b) })
        }
        FileSource::Parts(parts) => {
            let size: u64 = parts.iter().map(|p| p.len() as u64).sum();
            let lfs = is_lfs(path, size);
            let mut s2 = sha2::Sha256::new();
            let mut s1 = sha1::Sha1::new();
            s1.update(format!("blob {size}\0").as_bytes());
            for p in parts.iter() {
                s2.update(p);
                if !lfs {
                    s1.update(p);
                }
            }
            (size, hex::encode(s2.finalize()), if lfs { String::new() } else { hex::encode(s1.finalize()) })
        }
        FileSource::Path(p) => {
            let mut f = std::fs::File::open(p).unwrap_or_else(|e| panic!("open {}: {e}", p.display()));
            let size = f.metadata().unwrap().len();
            let lfs = is_lfs(path, size);
            let mut s2 = sha2::Sha256::new();
            let mut s1 = sha1::Sha1::new();
            s1.update(format!("blob {size}\0").as_bytes());
            let mut buf = vec![0u8; 1 << 20];
            let mut total = 0u64;
            loop {
                let n = f.read(&mut buf).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
                if n == 0 {
                    break;
                }
                total += n as u64;
                s2.update(&buf[..n]);
                if !lfs {
                    s1.update(&buf[..n]);
                }
            }
            assert_eq!(total, size, "{} changed while hashing", p.display());
            (size, hex::encode(s2.finalize()), if lfs { String::new() } else { hex::encode(s1.finalize()) })
        }
    };
    let lfs = is_lfs(path, size);
    let oid = if lfs { git_blob_oid(lfs_pointer(&sha256, size).as_bytes()) } else { content_oid };
    StoredFile { source: src, size, sha256, oid, lfs }
}

/// Hash many files, in parallel when there are several.
fn store_files(files: Vec<(String, FileSource)>) -> Vec<(String, StoredFile)> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    if files.len() <= 1 || threads == 1 {
        return files.into_iter().map(|(p, s)| (p.clone(), store_file(&p, s))).collect();
    }
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<StoredFile>>> = Mutex::new(vec![None; files.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(files.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((p, s)) = files.get(i) else { break };
                    let f = store_file(p, s.clone());
                    out.lock().unwrap()[i] = Some(f);
                }
            });
        }
    });
    let out = out.into_inner().unwrap();
    files.into_iter().zip(out).map(|((p, _), f)| (p, f.expect("hashed"))).collect()
}

/// git tree objects for every directory; returns dir path (`""` = root) -> tree id.
fn build_trees(files: &BTreeMap<String, StoredFile>) -> BTreeMap<String, String> {
    // dir -> entries (name, is_tree, oid); subdirectories are filled in deepest-first.
    let mut files_in: BTreeMap<String, Vec<(String, bool, String)>> = BTreeMap::new();
    let mut subdirs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    files_in.entry(String::new()).or_default();
    for (path, f) in files {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        files_in.entry(dir.to_string()).or_default().push((name.to_string(), false, f.oid.clone()));
        // Register every ancestor directory.
        let mut d = dir;
        while !d.is_empty() {
            let (parent, _) = d.rsplit_once('/').unwrap_or(("", d));
            files_in.entry(d.to_string()).or_default();
            subdirs.entry(parent.to_string()).or_default().insert(d.to_string());
            d = parent;
        }
    }
    let mut dirs: Vec<String> = files_in.keys().cloned().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(if d.is_empty() { 0 } else { d.matches('/').count() + 1 }));
    let mut oids: BTreeMap<String, String> = BTreeMap::new();
    for d in dirs {
        let mut entries = files_in.remove(&d).unwrap_or_default();
        for sub in subdirs.get(&d).into_iter().flatten() {
            let name = sub.rsplit('/').next().unwrap().to_string();
            entries.push((name, true, oids[sub].clone()));
        }
        // git order: byte order where a tree's name compares as `name/`.
        entries.sort_by(|a, b| {
            let ka = if a.1 { format!("{}/", a.0) } else { a.0.clone() };
            let kb = if b.1 { format!("{}/", b.0) } else { b.0.clone() };
            ka.as_bytes().cmp(kb.as_bytes())
        });
        let mut body = Vec::new();
        for (name, is_tree, oid) in &entries {
            body.extend_from_slice(format!("{} {name}\0", if *is_tree { "40000" } else { "100644" }).as_bytes());
            body.extend_from_slice(&hex::decode(oid).unwrap());
        }
        oids.insert(d, git_object_id("tree", &body));
    }
    oids
}

/// First commit timestamp; commit `n` (1-based, hub-wide) is at `BASE_TS + n * 60`.
pub const BASE_TS: u64 = 1_735_689_600;

fn make_commit(files: BTreeMap<String, StoredFile>, parent: Option<&str>, message: &str, n: u64) -> Commit {
    let trees = build_trees(&files);
    let ts = BASE_TS + n * 60;
    let mut body = format!("tree {}\n", trees[""]);
    if let Some(p) = parent {
        body.push_str(&format!("parent {p}\n"));
    }
    body.push_str(&format!(
        "author Fake Hub <hub@fake.invalid> {ts} +0000\ncommitter Fake Hub <hub@fake.invalid> {ts} +0000\n\n{message}\n"
    ));
    Commit {
        id: git_object_id("commit", body.as_bytes()),
        parent: parent.map(str::to_string),
        message: message.to_string(),
        files,
        trees,
        ts,
        date: rfc3339(ts),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.000Z` for a unix timestamp.
pub fn rfc3339(ts: u64) -> String {
    let days = (ts / 86_400) as i64;
    let secs = ts % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z", secs / 3600, secs / 60 % 60, secs % 60)
}

// ---------------------------------------------------------------------------------------------
// The server

#[derive(Default)]
struct Inner {
    repos: HashMap<(RepoType, String), Repo>,
    users: HashMap<String, UserSpec>,
    faults: Vec<Fault>,
    log: Vec<LoggedRequest>,
    /// sha256 -> LFS file, served by the CDN.
    cdn: HashMap<String, StoredFile>,
    commit_counter: u64,
    /// Multipart uploads in progress, by sha256.
    parts: HashMap<String, PartUpload>,
    /// LFS objects larger than this are uploaded in parts of this size (0 = 16 MiB).
    lfs_chunk_size: u64,
    /// When the LFS batch API answers `"transfer": "xet"`.
    xet: XetMode,
    /// The `transfers` list of every LFS upload batch request, in order.
    lfs_offers: Vec<Vec<String>>,
}

/// When the fake Hub's LFS batch API chooses Xet (it has no Xet storage behind it: a client
/// that follows the choice fails at the next step, which is what tests of the choice need).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum XetMode {
    /// Never: `multipart` when offered, else `basic`.
    #[default]
    Off,
    /// Like a Xet-enabled repository on the real Hub: `xet` when the client offers it.
    IfOffered,
    /// A misbehaving server: `xet` even when not offered.
    Always,
}

struct Shared {
    inner: Mutex<Inner>,
    hub_url: String,
    cdn_url: String,
    bandwidth: AtomicU64,
    page_size: AtomicUsize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The running fake Hub: a Hub origin and a separate CDN origin, both on 127.0.0.1, served by
/// a background thread with its own tokio runtime (usable from sync and async tests alike).
/// Dropping it shuts both servers down.
pub struct FakeHub {
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl FakeHub {
    /// Start on two ephemeral ports.
    pub fn start() -> FakeHub {
        let hub_l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind hub");
        let cdn_l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind cdn");
        Self::start_on(hub_l, cdn_l, 2)
    }

    /// Start on the given listeners with `workers` runtime threads.
    pub fn start_on(hub_l: std::net::TcpListener, cdn_l: std::net::TcpListener, workers: usize) -> FakeHub {
        hub_l.set_nonblocking(true).expect("nonblocking");
        cdn_l.set_nonblocking(true).expect("nonblocking");
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner::default()),
            hub_url: format!("http://{}", hub_l.local_addr().unwrap()),
            cdn_url: format!("http://{}", cdn_l.local_addr().unwrap()),
            bandwidth: AtomicU64::new(0),
            page_size: AtomicUsize::new(1000),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fake-hub".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers.max(1))
                    .thread_name("fake-hub-worker")
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                rt.block_on(async move {
                    let hub = tokio::net::TcpListener::from_std(hub_l).expect("hub listener");
                    let cdn = tokio::net::TcpListener::from_std(cdn_l).expect("cdn listener");
                    let hub_app = Router::new().fallback(hub_handler).with_state(st.clone());
                    let cdn_app = Router::new().fallback(cdn_handler).with_state(st);
                    let a = tokio::spawn(async move { axum::serve(hub, hub_app).await });
                    let b = tokio::spawn(async move { axum::serve(cdn, cdn_app).await });
                    let _ = rx.await;
                    a.abort();
                    b.abort();
                    // Aborted tasks are dropped (listeners closed) before these complete.
                    let _ = a.await;
                    let _ = b.await;
                });
                rt.shutdown_background();
            })
            .expect("spawn fake hub thread");
        FakeHub { shared, stop: Some(tx), thread: Some(thread) }
    }

    /// The Hub origin, `http://127.0.0.1:PORT` (use as `HF_ENDPOINT`).
    pub fn url(&self) -> String {
        self.shared.hub_url.clone()
    }

    /// The CDN origin LFS redirects point to.
    pub fn cdn_url(&self) -> String {
        self.shared.cdn_url.clone()
    }

    /// Create (or replace) a repo with one commit on `main`; returns the commit id.
    pub fn add_repo(&self, spec: RepoSpec) -> String {
        let files: BTreeMap<String, StoredFile> = store_files(spec.files.clone()).into_iter().collect();
        let mut inner = self.shared.lock();
        inner.commit_counter += 1;
        let commit = make_commit(files, None, "initial commit", inner.commit_counter);
        for f in commit.files.values().filter(|f| f.lfs) {
            inner.cdn.insert(f.sha256.clone(), f.clone());
        }
        let id = commit.id.clone();
        let mut repo = Repo {
            spec: RepoSpec { files: Vec::new(), ..spec.clone() },
            branches: BTreeMap::new(),
            tags: BTreeMap::new(),
            commits: HashMap::new(),
            order: vec![id.clone()],
        };
        repo.branches.insert("main".into(), id.clone());
        repo.commits.insert(id.clone(), Arc::new(commit));
        inner.repos.insert((spec.repo_type, spec.id.clone()), repo);
        id
    }

    /// A new commit on `branch` (created from main's head when missing): `files` are added or
    /// replaced, `deletes` removed. Returns the commit id.
    pub fn commit(
        &self,
        repo_type: RepoType,
        id: &str,
        branch: &str,
        files: Vec<(String, FileSource)>,
        deletes: &[&str],
        message: &str,
    ) -> String {
        let stored = store_files(files);
        let mut inner = self.shared.lock();
        inner.commit_counter += 1;
        let n = inner.commit_counter;
        let repo = inner.repos.get_mut(&(repo_type, id.to_string())).unwrap_or_else(|| panic!("no repo {id}"));
        let parent_id = repo.branches.get(branch).cloned().unwrap_or_else(|| repo.branches["main"].clone());
        let mut map = repo.commits[&parent_id].files.clone();
        for d in deletes {
            map.remove(*d);
        }
        map.extend(stored);
        let commit = make_commit(map, Some(&parent_id), message, n);
        let cid = commit.id.clone();
        let lfs: Vec<StoredFile> = commit.files.values().filter(|f| f.lfs).cloned().collect();
        repo.branches.insert(branch.to_string(), cid.clone());
        repo.order.push(cid.clone());
        repo.commits.insert(cid.clone(), Arc::new(commit));
        for f in lfs {
            inner.cdn.insert(f.sha256.clone(), f);
        }
        cid
    }

    /// Part size the LFS batch API hands out for multipart uploads (larger objects use it).
    pub fn set_lfs_chunk_size(&self, bytes: u64) {
        self.shared.lock().lfs_chunk_size = bytes;
    }

    /// When the LFS batch API chooses the Xet transfer.
    pub fn set_xet(&self, mode: XetMode) {
        self.shared.lock().xet = mode;
    }

    /// The `transfers` offered by each LFS upload batch request so far.
    pub fn lfs_offers(&self) -> Vec<Vec<String>> {
        self.shared.lock().lfs_offers.clone()
    }

    /// Whether the LFS store holds an object.
    pub fn has_lfs_object(&self, sha256: &str) -> bool {
        self.shared.lock().cdn.contains_key(sha256)
    }

    pub fn create_branch(&self, repo_type: RepoType, id: &str, branch: &str, from_rev: &str) {
        let mut inner = self.shared.lock();
        let repo = inner.repos.get_mut(&(repo_type, id.to_string())).unwrap_or_else(|| panic!("no repo {id}"));
        let c = repo.resolve(from_rev).unwrap_or_else(|| panic!("no revision {from_rev}")).id.clone();
        repo.branches.insert(branch.to_string(), c);
    }

    pub fn create_tag(&self, repo_type: RepoType, id: &str, tag: &str, rev: &str) {
        let mut inner = self.shared.lock();
        let repo = inner.repos.get_mut(&(repo_type, id.to_string())).unwrap_or_else(|| panic!("no repo {id}"));
        let c = repo.resolve(rev).unwrap_or_else(|| panic!("no revision {rev}")).id.clone();
        repo.tags.insert(tag.to_string(), c);
    }

    /// The commit id `rev` resolves to, if any.
    pub fn resolve_rev(&self, repo_type: RepoType, id: &str, rev: &str) -> Option<String> {
        let inner = self.shared.lock();
        inner.repos.get(&(repo_type, id.to_string()))?.resolve(rev).map(|c| c.id.clone())
    }

    /// Size, sha256, git oid and LFS-ness of `path` at `rev`.
    pub fn file_info(&self, repo_type: RepoType, id: &str, rev: &str, path: &str) -> Option<FileInfo> {
        let inner = self.shared.lock();
        inner.repos.get(&(repo_type, id.to_string()))?.resolve(rev)?.files.get(path).map(StoredFile::info)
    }

    /// sha256 of `path` at `rev`.
    pub fn file_sha256(&self, repo_type: RepoType, id: &str, rev: &str, path: &str) -> Option<String> {
        self.file_info(repo_type, id, rev, path).map(|f| f.sha256)
    }

    /// The etag a client caches `path` under (sha256 for LFS, git blob id otherwise).
    pub fn file_etag(&self, repo_type: RepoType, id: &str, rev: &str, path: &str) -> Option<String> {
        self.file_info(repo_type, id, rev, path).map(|f| f.etag().to_string())
    }

    pub fn add_user(&self, token: &str, user: UserSpec) {
        self.shared.lock().users.insert(token.to_string(), user);
    }

    pub fn add_fault(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Cap every response body at `bytes_per_sec` (`None` = unlimited).
    pub fn set_bandwidth_limit(&self, bytes_per_sec: Option<u64>) {
        self.shared.bandwidth.store(bytes_per_sec.unwrap_or(0), Ordering::SeqCst);
    }

    /// Page size of search and tree listings (default 1000).
    pub fn set_page_size(&self, n: usize) {
        self.shared.page_size.store(n.max(1), Ordering::SeqCst);
    }

    pub fn log(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }

    pub fn clear_log(&self) {
        self.shared.lock().log.clear();
    }

    /// Body bytes streamed by requests whose path contains `path_contains`.
    pub fn bytes_served(&self, path_contains: &str) -> u64 {
        self.shared.lock().log.iter().filter(|r| r.path.contains(path_contains)).map(LoggedRequest::bytes).sum()
    }

    /// Logged requests whose path contains `path_contains`.
    pub fn requests(&self, path_contains: &str) -> Vec<LoggedRequest> {
        self.shared.lock().log.iter().filter(|r| r.path.contains(path_contains)).cloned().collect()
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP handling

struct Ctx {
    user: Option<UserSpec>,
    token_invalid: bool,
    drop_after: Option<u64>,
    counter: Arc<AtomicU64>,
    log_index: usize,
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn hv(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

fn error(status: u16, code: Option<&str>, message: &str) -> Response {
    let mut r = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header("x-error-message", hv(message));
    if let Some(c) = code {
        r = r.header("x-error-code", c);
    }
    r.body(Body::from(json!({ "error": message }).to_string())).unwrap()
}

fn json_response(value: Value) -> Response {
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(value.to_string()))
        .unwrap()
}

fn with_link(mut r: Response, next: &str) -> Response {
    r.headers_mut().insert(header::LINK, hv(&format!("<{next}>; rel=\"next\"")));
    r
}

fn decode(seg: &str) -> String {
    percent_encoding::percent_decode_str(seg).decode_utf8_lossy().into_owned()
}

const PATH_SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encode a file path, keeping `/`.
fn encode_path(p: &str) -> String {
    p.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, PATH_SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encode one segment (revisions: nothing is safe).
fn encode_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

type Query = Vec<(String, String)>;

fn parse_query(q: &str) -> Query {
    url::form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn q_one<'a>(q: &'a Query, key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn q_true(q: &Query, key: &str) -> bool {
    q_one(q, key).is_some_and(|v| v == "true" || v == "1" || v == "True")
}

/// The same query with `cursor` replaced.
fn next_query(q: &Query, cursor: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in q.iter().filter(|(k, _)| k != "cursor") {
        s.append_pair(k, v);
    }
    s.append_pair("cursor", &cursor.to_string());
    s.finish()
}

/// Log the request and apply faults; returns the context or an early (fault) response.
fn begin<'a>(
    st: &'a Shared,
    server: Server,
    req: &Request,
) -> impl Future<Output = Result<Ctx, Response>> + Send + use<'a> {
    let path = req.uri().path_and_query().map_or_else(|| req.uri().path().to_string(), |p| p.to_string());
    let method = req.method().to_string();
    let headers = req.headers().clone();
    begin_parts(st, server, path, method, headers)
}

async fn begin_parts(
    st: &Shared,
    server: Server,
    path: String,
    method: String,
    headers: HeaderMap,
) -> Result<Ctx, Response> {
    let auth = header_str(&headers, header::AUTHORIZATION);
    let counter = Arc::new(AtomicU64::new(0));
    let (fault, user, token_invalid, log_index) = {
        let mut inner = st.lock();
        let log_index = inner.log.len();
        inner.log.push(LoggedRequest {
            server,
            method: method.clone(),
            path: path.clone(),
            status: 0,
            range: header_str(&headers, header::RANGE),
            has_authorization: auth.is_some(),
            authorization: auth.clone(),
            user_agent: header_str(&headers, header::USER_AGENT),
            bytes_sent: counter.clone(),
        });
        let mut fault = None;
        for f in inner.faults.iter_mut() {
            if f.times > 0
                && path.contains(&f.path_contains)
                && f.method.is_none_or(|m| m.eq_ignore_ascii_case(&method))
            {
                f.times -= 1;
                fault = Some(f.kind.clone());
                break;
            }
        }
        let token = auth
            .as_deref()
            .map(|a| a.strip_prefix("Bearer ").or_else(|| a.strip_prefix("bearer ")).unwrap_or(a).trim());
        let user = token.and_then(|t| inner.users.get(t).cloned());
        let token_invalid = server == Server::Hub && token.is_some() && user.is_none();
        (fault, user, token_invalid, log_index)
    };
    let mut ctx = Ctx { user, token_invalid, drop_after: None, counter, log_index };
    match fault {
        Some(FaultKind::Delay { ms }) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some(FaultKind::DropAfter { bytes }) => ctx.drop_after = Some(bytes),
        Some(FaultKind::Status { status, retry_after }) => {
            let reason = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("error");
            let mut r = error(status, None, &format!("Injected fault: {status} {reason}"));
            if let Some(s) = retry_after {
                r.headers_mut().insert(header::RETRY_AFTER, hv(&s.to_string()));
            }
            finish(st, &ctx, status);
            return Err(r);
        }
        None => {}
    }
    Ok(ctx)
}

fn finish(st: &Shared, ctx: &Ctx, status: u16) {
    if let Some(e) = st.lock().log.get_mut(ctx.log_index) {
        e.status = status;
    }
}

async fn hub_handler(State(st): State<Arc<Shared>>, req: Request) -> Response {
    let ctx = match begin(&st, Server::Hub, &req).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let resp = route(&st, &ctx, req).await;
    finish(&st, &ctx, resp.status().as_u16());
    resp
}

async fn cdn_handler(State(st): State<Arc<Shared>>, req: Request) -> Response {
    let ctx = match begin(&st, Server::Cdn, &req).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    // /repos/{folder}/{sha256}?expires=..&sig=..
    let segs: Vec<String> = req.uri().path().trim_start_matches('/').split('/').map(str::to_string).collect();
    if segs.first().map(String::as_str) == Some("upload") {
        let method = req.method().clone();
        let body = axum::body::to_bytes(req.into_body(), 4 << 30).await.unwrap_or_default();
        let resp = lfs_storage(&st, &method, &segs[1..], body);
        finish(&st, &ctx, resp.status().as_u16());
        return resp;
    }
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let file = match segs.as_slice() {
        ["repos", _, sha] => st.lock().cdn.get(*sha).cloned(),
        _ => None,
    };
    let resp = match file {
        Some(_) if !matches!(*req.method(), Method::GET | Method::HEAD) => error(405, None, "Method not allowed"),
        Some(f) => {
            let etag = format!("\"{}\"", f.sha256);
            serve_file(
                &st,
                &ctx,
                req.method(),
                req.headers(),
                &f,
                "application/octet-stream",
                vec![(header::ETAG.as_str(), etag)],
            )
        }
        None => error(404, Some("NoSuchKey"), "The specified key does not exist."),
    };
    finish(&st, &ctx, resp.status().as_u16());
    resp
}

fn can_see(repo: &Repo, user: Option<&UserSpec>) -> bool {
    !repo.spec.private
        || user.is_some_and(|u| u.name == repo.namespace() || u.orgs.iter().any(|o| o == repo.namespace()))
}

fn repo_not_found(ctx: &Ctx) -> Response {
    error(if ctx.user.is_some() { 404 } else { 401 }, Some("RepoNotFound"), "Repository not found")
}

fn not_found() -> Response {
    error(404, None, "Sorry, we can't find the page you are looking for.")
}

async fn route(st: &Shared, ctx: &Ctx, req: Request) -> Response {
    if ctx.token_invalid {
        return error(401, None, "Invalid credentials in Authorization header");
    }
    let method = req.method().clone();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let q = parse_query(&raw_query);
    let segs: Vec<String> = req.uri().path().trim_start_matches('/').split('/').map(decode).collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let get = method == Method::GET || method == Method::HEAD;
    match s.as_slice() {
        ["api", "whoami-v2"] if get => whoami(ctx),
        ["api", kind] if get && RepoType::from_plural(kind).is_some() => {
            search(st, ctx, RepoType::from_plural(kind).unwrap(), &q)
        }
        ["api", "resolve-cache", kind, org, name, commit, rest @ ..]
            if get && RepoType::from_plural(kind).is_some() && !rest.is_empty() =>
        {
            let rt = RepoType::from_plural(kind).unwrap();
            resolve_cache(st, ctx, &req, rt, &format!("{org}/{name}"), commit, &rest.join("/"))
        }
        ["api", "repos", action @ ("create" | "delete")] => {
            let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
            let create = *action == "create";
            if (create && method != Method::POST) || (!create && method != Method::DELETE) {
                return not_found();
            }
            repo_create_delete(st, ctx, create, &body)
        }
        ["api", kind, org, name, op @ ("preupload" | "commit"), r @ ..]
            if RepoType::from_plural(kind).is_some() && !r.is_empty() && method == Method::POST =>
        {
            let rt = RepoType::from_plural(kind).unwrap();
            let id = format!("{org}/{name}");
            let create_pr = q_true(&q, "create_pr");
            let body = axum::body::to_bytes(req.into_body(), 1 << 30).await.unwrap_or_default();
            if *op == "preupload" {
                preupload(st, ctx, rt, &id, &r.join("/"), &body)
            } else {
                commit_ndjson(st, ctx, rt, &id, &r.join("/"), create_pr, &body)
            }
        }
        ["api", kind, org, name, kind2 @ ("branch" | "tag"), r @ ..]
            if RepoType::from_plural(kind).is_some()
                && !r.is_empty()
                && (method == Method::POST || method == Method::DELETE) =>
        {
            let rt = RepoType::from_plural(kind).unwrap();
            let id = format!("{org}/{name}");
            let post = method == Method::POST;
            let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
            ref_write(st, ctx, rt, &id, *kind2 == "branch", post, &r.join("/"), &body)
        }
        ["api", kind, org, name, rest @ ..] if RepoType::from_plural(kind).is_some() => {
            let rt = RepoType::from_plural(kind).unwrap();
            let id = format!("{org}/{name}");
            match rest {
                [] if get => repo_info(st, ctx, rt, &id, None, &q),
                ["revision", rev @ ..] if get && !rev.is_empty() => {
                    repo_info(st, ctx, rt, &id, Some(&rev.join("/")), &q)
                }
                ["tree", rev, p @ ..] if get => {
                    let sub = p.join("/");
                    tree(st, ctx, rt, &id, rev, sub.trim_matches('/'), &q, req.uri().path())
                }
                ["paths-info", rev @ ..] if method == Method::POST && !rev.is_empty() => {
                    let rev = rev.join("/");
                    let body = axum::body::to_bytes(req.into_body(), 16 << 20).await.unwrap_or_default();
                    paths_info(st, ctx, rt, &id, &rev, &body)
                }
                ["refs"] if get => refs(st, ctx, rt, &id),
                ["commits", rev @ ..] if get && !rev.is_empty() => {
                    commits(st, ctx, rt, &id, &rev.join("/"), &q, req.uri().path())
                }
                _ => match lookup(st, ctx, rt, &id, None) {
                    Err(r) => r,
                    Ok(_) => not_found(),
                },
            }
        }
        _ => {
            // /{prefix}{org}/{name}/resolve/{rev}/{path}
            let (rt, rest) = match s.first() {
                Some(&"datasets") => (RepoType::Dataset, &s[1..]),
                Some(&"spaces") => (RepoType::Space, &s[1..]),
                _ => (RepoType::Model, &s[..]),
            };
            match rest {
                [org, git, "info", "lfs", "objects", action @ ("batch" | "verify")]
                    if git.ends_with(".git") && method == Method::POST =>
                {
                    let id = format!("{org}/{}", git.trim_end_matches(".git"));
                    let body = axum::body::to_bytes(req.into_body(), 64 << 20).await.unwrap_or_default();
                    lfs_api(st, ctx, rt, &id, *action == "batch", &body)
                }
                [org, name, "resolve", rev, p @ ..] if get && !p.is_empty() => {
                    resolve(st, ctx, rt, &format!("{org}/{name}"), rev, &p.join("/"), &method)
                }
                _ => not_found(),
            }
        }
    }
}

fn whoami(ctx: &Ctx) -> Response {
    let Some(u) = &ctx.user else {
        return error(401, None, "Invalid credentials in Authorization header");
    };
    json_response(json!({
        "type": "user",
        "id": fake_object_id(&format!("user:{}", u.name)),
        "name": u.name,
        "fullname": u.fullname,
        "email": format!("{}@example.com", u.name),
        "emailVerified": true,
        "isPro": false,
        "canPay": false,
        "avatarUrl": format!("/avatars/{}.svg", u.name),
        "periodEnd": null,
        "orgs": u.orgs.iter().map(|o| json!({
            "type": "org",
            "id": fake_object_id(&format!("org:{o}")),
            "name": o,
            "fullname": o,
            "avatarUrl": format!("/avatars/{o}.svg"),
            "roleInOrg": "write",
        })).collect::<Vec<_>>(),
        "auth": {
            "type": "access_token",
            "accessToken": {"displayName": u.token_name, "role": u.role, "createdAt": "2025-01-01T00:00:00.000Z"},
        },
    }))
}

/// A Mongo-style 24-hex id, stable for a given key.
fn fake_object_id(key: &str) -> String {
    sha256_hex(key.as_bytes())[..24].to_string()
}

fn summary(repo: &Repo) -> Value {
    let head = repo.head();
    let last = repo.last_modified();
    json!({
        "_id": fake_object_id(&format!("{}:{}", repo.spec.repo_type.singular(), repo.spec.id)),
        "id": repo.spec.id,
        "author": repo.namespace(),
        "sha": head.id,
        "lastModified": last.date,
        "createdAt": repo.spec.created_at,
        "private": repo.spec.private,
        "gated": repo.spec.gated.clone().map_or(Value::Bool(false), Value::String),
        "disabled": false,
        "downloads": repo.spec.downloads,
        "likes": repo.spec.likes,
        "library_name": repo.spec.library_name,
        "pipeline_tag": repo.spec.pipeline_tag,
        "tags": repo.spec.tags,
        "trendingScore": repo.spec.trending,
    })
}

fn search(st: &Shared, ctx: &Ctx, rt: RepoType, q: &Query) -> Response {
    let inner = st.lock();
    let search = q_one(q, "search").map(str::to_lowercase);
    let author = q_one(q, "author");
    let filters: Vec<&str> =
        q.iter().filter(|(k, _)| k == "filter").flat_map(|(_, v)| v.split(',')).filter(|f| !f.is_empty()).collect();
    let mut items: Vec<&Repo> = inner
        .repos
        .values()
        .filter(|r| r.spec.repo_type == rt && can_see(r, ctx.user.as_ref()))
        .filter(|r| search.as_ref().is_none_or(|s| r.spec.id.to_lowercase().contains(s)))
        .filter(|r| author.is_none_or(|a| r.namespace().eq_ignore_ascii_case(a)))
        .filter(|r| filters.iter().all(|f| r.spec.tags.iter().any(|t| t == f)))
        .filter(|r| q_one(q, "pipeline_tag").is_none_or(|p| r.spec.pipeline_tag.as_deref() == Some(p)))
        .collect();
    items.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
    match q_one(q, "sort") {
        Some("downloads") => items.sort_by_key(|r| std::cmp::Reverse(r.spec.downloads)),
        Some("likes") => items.sort_by_key(|r| std::cmp::Reverse(r.spec.likes)),
        Some("trendingScore") | Some("trending_score") => {
            items.sort_by(|a, b| b.spec.trending.partial_cmp(&a.spec.trending).unwrap_or(std::cmp::Ordering::Equal))
        }
        Some("createdAt") | Some("created_at") => items.sort_by(|a, b| b.spec.created_at.cmp(&a.spec.created_at)),
        Some("lastModified") | Some("last_modified") => items.sort_by_key(|r| std::cmp::Reverse(r.last_modified().ts)),
        _ => {}
    }
    let limit = q_one(q, "limit").and_then(|l| l.parse::<usize>().ok()).filter(|&l| l > 0);
    if let Some(l) = limit {
        items.truncate(l);
    }
    let page = limit.unwrap_or(usize::MAX).min(st.page_size.load(Ordering::SeqCst));
    let cursor = q_one(q, "cursor").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    let body: Vec<Value> = items.iter().skip(cursor).take(page).map(|r| summary(r)).collect();
    let resp = json_response(Value::Array(body));
    if cursor + page < items.len() {
        // `limit` stays in the next URL, so the cap is kept across pages: drop what was served.
        let next = format!("{}/api/{}?{}", st.hub_url, rt.plural(), next_query(q, cursor + page));
        return with_link(resp, &next);
    }
    resp
}

/// A visible repo and a revision (`None` = default branch).
fn lookup(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: Option<&str>) -> Result<Arc<Commit>, Response> {
    let inner = st.lock();
    let repo = match inner.repos.get(&(rt, id.to_string())) {
        Some(r) if can_see(r, ctx.user.as_ref()) => r,
        _ => return Err(repo_not_found(ctx)),
    };
    match rev {
        None => Ok(repo.head()),
        Some(rev) => {
            repo.resolve(rev).ok_or_else(|| error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {rev}")))
        }
    }
}

fn repo_info(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: Option<&str>, q: &Query) -> Response {
    let commit = match lookup(st, ctx, rt, id, rev) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let inner = st.lock();
    let Some(repo) = inner.repos.get(&(rt, id.to_string())) else { return repo_not_found(ctx) };
    let mut v = summary(repo);
    let blobs = q_true(q, "blobs");
    let siblings: Vec<Value> = commit
        .files
        .iter()
        .map(|(p, f)| {
            if blobs {
                let mut s = json!({"rfilename": p, "size": f.size, "blobId": f.oid});
                if f.lfs {
                    s["lfs"] = json!({"size": f.size, "sha256": f.sha256, "pointerSize": f.pointer_size()});
                }
                s
            } else {
                json!({"rfilename": p})
            }
        })
        .collect();
    v["sha"] = Value::String(commit.id.clone());
    v["lastModified"] = Value::String(commit.date.clone());
    v["siblings"] = Value::Array(siblings);
    v["usedStorage"] = json!(commit.files.values().map(|f| f.size).sum::<u64>());
    if rt == RepoType::Space {
        v["sdk"] = json!("static");
        v["runtime"] = json!({"stage": "RUNNING"});
    }
    json_response(v)
}

fn file_entry(path: &str, f: &StoredFile) -> Value {
    let mut e = json!({"type": "file", "oid": f.oid, "size": f.size, "path": path});
    if f.lfs {
        e["lfs"] = json!({"oid": f.sha256, "size": f.size, "pointerSize": f.pointer_size()});
    }
    e
}

fn dir_entry(path: &str, oid: &str) -> Value {
    json!({"type": "directory", "oid": oid, "size": 0, "path": path})
}

fn last_commit(c: &Commit) -> Value {
    json!({"id": c.id, "title": c.message.lines().next().unwrap_or(""), "date": c.date})
}

#[allow(clippy::too_many_arguments)]
fn tree(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str, sub: &str, q: &Query, path: &str) -> Response {
    let commit = match lookup(st, ctx, rt, id, Some(rev)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let recursive = q_true(q, "recursive");
    let expand = q_true(q, "expand");
    if !sub.is_empty() && !commit.trees.contains_key(sub) {
        return error(404, Some("EntryNotFound"), &format!("Entry not found: {sub} does not exist on \"{rev}\""));
    }
    let prefix = if sub.is_empty() { String::new() } else { format!("{sub}/") };
    let under = |p: &str| p.starts_with(&prefix) && (recursive || !p[prefix.len()..].contains('/'));
    let mut entries: Vec<(&str, Value)> = Vec::new();
    for (d, oid) in &commit.trees {
        if !d.is_empty() && under(d) {
            entries.push((d, dir_entry(d, oid)));
        }
    }
    for (p, f) in &commit.files {
        if under(p) {
            let mut e = file_entry(p, f);
            if expand {
                e["lastCommit"] = last_commit(&commit);
            }
            entries.push((p, e));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let page = st.page_size.load(Ordering::SeqCst);
    let cursor = q_one(q, "cursor").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    let body: Vec<Value> = entries.iter().skip(cursor).take(page).map(|(_, v)| v.clone()).collect();
    let resp = json_response(Value::Array(body));
    if cursor + page < entries.len() {
        return with_link(resp, &format!("{}{}?{}", st.hub_url, path, next_query(q, cursor + page)));
    }
    resp
}

fn paths_info(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str, body: &[u8]) -> Response {
    let commit = match lookup(st, ctx, rt, id, Some(rev)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let form: Query = url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let expand = q_true(&form, "expand");
    let mut out = Vec::new();
    for (k, v) in &form {
        if k != "paths" && k != "paths[]" {
            continue;
        }
        let p = v.trim_matches('/');
        if let Some(f) = commit.files.get(p) {
            let mut e = file_entry(p, f);
            if expand {
                e["lastCommit"] = last_commit(&commit);
            }
            out.push(e);
        } else if let Some(oid) = commit.trees.get(p).filter(|_| !p.is_empty()) {
            out.push(dir_entry(p, oid));
        }
    }
    json_response(Value::Array(out))
}

fn refs(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str) -> Response {
    let inner = st.lock();
    let repo = match inner.repos.get(&(rt, id.to_string())) {
        Some(r) if can_see(r, ctx.user.as_ref()) => r,
        _ => return repo_not_found(ctx),
    };
    let list = |m: &BTreeMap<String, String>, kind: &str| -> Vec<Value> {
        m.iter().map(|(n, c)| json!({"name": n, "ref": format!("refs/{kind}/{n}"), "targetCommit": c})).collect()
    };
    json_response(json!({"branches": list(&repo.branches, "heads"), "tags": list(&repo.tags, "tags"), "converts": []}))
}

fn commits(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str, q: &Query, path: &str) -> Response {
    let start = match lookup(st, ctx, rt, id, Some(rev)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let inner = st.lock();
    let Some(repo) = inner.repos.get(&(rt, id.to_string())) else { return repo_not_found(ctx) };
    let mut all = Vec::new();
    let mut cur = Some(start);
    while let Some(c) = cur {
        all.push(json!({
            "id": c.id,
            "title": c.message.lines().next().unwrap_or(""),
            "message": c.message,
            "date": c.date,
            "authors": [{"user": "fake-hub", "avatar": "/avatars/fake-hub.svg"}],
        }));
        cur = c.parent.as_ref().and_then(|p| repo.commits.get(p).cloned());
    }
    let page = st.page_size.load(Ordering::SeqCst);
    let cursor = q_one(q, "cursor").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    let resp = json_response(Value::Array(all.iter().skip(cursor).take(page).cloned().collect()));
    if cursor + page < all.len() {
        return with_link(resp, &format!("{}{}?{}", st.hub_url, path, next_query(q, cursor + page)));
    }
    resp
}

/// `None` when access to `path` is allowed; otherwise the GatedRepo error.
fn gate(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, path: &str) -> Option<Response> {
    let inner = st.lock();
    let repo = inner.repos.get(&(rt, id.to_string()))?;
    repo.spec.gated.as_ref()?;
    if path == ".gitattributes" || path == "README.md" {
        return None;
    }
    let url = format!("{}/{}{}", st.hub_url, rt.url_prefix(), id);
    let file_url = format!("{url}/resolve/main/{path}");
    match &ctx.user {
        None => Some(error(
            401,
            Some("GatedRepo"),
            &format!(
                "Access to {} {id} is restricted. You must have access to it and be authenticated to access it. Please log in. Cannot access gated repo for url {file_url}.",
                rt.singular()
            ),
        )),
        Some(u) if u.name == repo.namespace() || repo.spec.granted.contains(&u.name) => None,
        Some(_) => Some(error(
            403,
            Some("GatedRepo"),
            &format!(
                "Access to {} {id} is restricted and you are not in the authorized list. Visit {url} to ask for access. Cannot access gated repo for url {file_url}.",
                rt.singular()
            ),
        )),
    }
}

fn resolve(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str, path: &str, _method: &Method) -> Response {
    let commit = match lookup(st, ctx, rt, id, Some(rev)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(r) = gate(st, ctx, rt, id, path) {
        return r;
    }
    let Some(f) = commit.files.get(path) else {
        let mut r = error(404, Some("EntryNotFound"), "Entry not found");
        r.headers_mut().insert("x-repo-commit", hv(&commit.id));
        return r;
    };
    if f.lfs {
        let folder = sha256_hex(format!("{}/{id}", rt.plural()).as_bytes());
        let loc = format!(
            "{}/repos/{}/{}?response-content-disposition={}&expires=4102444800&sig={}",
            st.cdn_url,
            &folder[..16],
            f.sha256,
            encode_segment(&format!("attachment; filename=\"{}\"", path.rsplit('/').next().unwrap_or(path))),
            &sha256_hex(format!("{}{}", f.sha256, folder).as_bytes())[..32],
        );
        Response::builder()
            .status(302)
            .header(header::LOCATION, hv(&loc))
            .header("x-repo-commit", hv(&commit.id))
            .header("x-linked-etag", format!("\"{}\"", f.sha256))
            .header("x-linked-size", f.size.to_string())
            .header(header::ETAG, format!("\"{}\"", f.oid))
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(header::CONTENT_LENGTH, "0")
            .body(Body::empty())
            .unwrap()
    } else {
        let loc =
            format!("/api/resolve-cache/{}/{id}/{}/{}?etag=%22{}%22", rt.plural(), commit.id, encode_path(path), f.oid);
        Response::builder()
            .status(307)
            .header(header::LOCATION, hv(&loc))
            .header("x-repo-commit", hv(&commit.id))
            .header(header::ETAG, format!("\"{}\"", f.oid))
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(header::CONTENT_LENGTH, "0")
            .body(Body::empty())
            .unwrap()
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("json") => "application/json",
        Some("txt") | Some("md") | Some("py") | Some("yaml") | Some("yml") | Some("csv") => "text/plain; charset=utf-8",
        _ if path.ends_with(".gitattributes") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn resolve_cache(st: &Shared, ctx: &Ctx, req: &Request, rt: RepoType, id: &str, commit: &str, path: &str) -> Response {
    let c = match lookup(st, ctx, rt, id, Some(commit)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(r) = gate(st, ctx, rt, id, path) {
        return r;
    }
    let Some(f) = c.files.get(path).cloned() else {
        let mut r = error(404, Some("EntryNotFound"), "Entry not found");
        r.headers_mut().insert("x-repo-commit", hv(&c.id));
        return r;
    };
    serve_file(
        st,
        ctx,
        req.method(),
        req.headers(),
        &f,
        content_type(path),
        vec![("x-repo-commit", c.id.clone()), (header::ETAG.as_str(), format!("\"{}\"", f.oid))],
    )
}

/// Parse a single `bytes=` range against `size`: `Ok(None)` = whole body, `Err` = unsatisfiable.
fn parse_range(h: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(r) = header_str(h, header::RANGE) else { return Ok(None) };
    let Some(spec) = r.trim().strip_prefix("bytes=") else { return Ok(None) };
    let (a, b) = spec.trim().split_once('-').ok_or(())?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        (size.saturating_sub(n), size.saturating_sub(1))
    } else {
        let s: u64 = a.parse().map_err(|_| ())?;
        let e: u64 = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            b.parse::<u64>().map_err(|_| ())?.min(size.saturating_sub(1))
        };
        if !b.is_empty() && b.parse::<u64>().map_err(|_| ())? < s {
            return Err(());
        }
        (s, e)
    };
    if size == 0 || start >= size || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

#[allow(clippy::too_many_arguments)]
fn serve_file(
    st: &Shared,
    ctx: &Ctx,
    method: &Method,
    h: &HeaderMap,
    f: &StoredFile,
    ctype: &str,
    extra: Vec<(&str, String)>,
) -> Response {
    let (status, start, len, content_range) = match parse_range(h, f.size) {
        Ok(None) => (200, 0, f.size, None),
        Ok(Some((s, e))) => (206, s, e - s + 1, Some(format!("bytes {s}-{e}/{}", f.size))),
        Err(()) => {
            let mut r = error(416, None, "Requested Range Not Satisfiable");
            r.headers_mut().insert(header::CONTENT_RANGE, hv(&format!("bytes */{}", f.size)));
            return r;
        }
    };
    let mut b = Response::builder()
        .status(status)
        .header(header::CONTENT_LENGTH, len.to_string())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_TYPE, ctype);
    if let Some(cr) = content_range {
        b = b.header(header::CONTENT_RANGE, cr);
    }
    for (k, v) in extra {
        b = b.header(k, hv(&v));
    }
    if method == Method::HEAD || len == 0 {
        return b.body(Body::empty()).unwrap();
    }
    let rate = st.bandwidth.load(Ordering::SeqCst);
    b.body(Body::from_stream(body_stream(f.source.clone(), start, len, rate, ctx.drop_after, ctx.counter.clone())))
        .unwrap()
}

const CHUNK: u64 = 256 * 1024;

struct StreamState {
    source: FileSource,
    file: Option<Arc<std::fs::File>>,
    pos: u64,
    end: u64,
    sent: u64,
    rate: u64,
    started: Instant,
    drop_after: Option<u64>,
    counter: Arc<AtomicU64>,
}

fn body_stream(
    source: FileSource,
    start: u64,
    len: u64,
    rate: u64,
    drop_after: Option<u64>,
    counter: Arc<AtomicU64>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let state = StreamState {
        source,
        file: None,
        pos: start,
        end: start + len,
        sent: 0,
        rate,
        started: Instant::now(),
        drop_after,
        counter,
    };
    futures::stream::unfold(state, |mut s| async move {
        if s.pos >= s.end {
            return None;
        }
        if s.drop_after.is_some_and(|limit| s.sent >= limit) {
            // Give the connection a moment to flush what was sent, then abort mid-body: the
            // client sees a broken connection (fewer bytes than Content-Length), not a clean end.
            tokio::time::sleep(Duration::from_millis(30)).await;
            let err = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "fake hub: injected connection drop");
            return Some((Err(err), StreamState { pos: s.end, ..s }));
        }
        let mut n = (s.end - s.pos).min(CHUNK);
        if s.rate > 0 {
            // Small chunks so throttling is smooth (about 20 per second).
            n = n.min((s.rate / 20).max(1024));
        }
        if let Some(limit) = s.drop_after {
            n = n.min(limit - s.sent);
        }
        if s.rate > 0 {
            let due = s.started + Duration::from_secs_f64((s.sent + n) as f64 / s.rate as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        let chunk = match &s.source {
            FileSource::Bytes(b) => b.slice(s.pos as usize..(s.pos + n) as usize),
            FileSource::Parts(parts) => {
                // The part holding `pos`; a chunk never spans two parts.
                let mut start = 0u64;
                let mut out = Bytes::new();
                for p in parts.iter() {
                    let len = p.len() as u64;
                    if s.pos < start + len {
                        let from = s.pos - start;
                        n = n.min(len - from);
                        out = p.slice(from as usize..(from + n) as usize);
                        break;
                    }
                    start += len;
                }
                out
            }
            FileSource::Path(p) => {
                if s.file.is_none() {
                    match std::fs::File::open(p) {
                        Ok(f) => s.file = Some(Arc::new(f)),
                        Err(e) => return Some((Err(e), StreamState { pos: s.end, ..s })),
                    }
                }
                let file = s.file.clone().unwrap();
                let pos = s.pos;
                let read = tokio::task::spawn_blocking(move || {
                    use std::io::{Seek, SeekFrom};
                    let mut buf = vec![0u8; n as usize];
                    let mut f: &std::fs::File = &file;
                    f.seek(SeekFrom::Start(pos))?;
                    f.read_exact(&mut buf)?;
                    Ok(Bytes::from(buf))
                })
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
                match read {
                    Ok(b) => b,
                    Err(e) => return Some((Err(e), StreamState { pos: s.end, ..s })),
                }
            }
        };
        s.pos += n;
        s.sent += n;
        s.counter.fetch_add(n, Ordering::SeqCst);
        Some((Ok(chunk), s))
    })
}

// ---------------------------------------------------------------------------------------------
// Repository management (hub-protocol.md 2.7, 2.8)

/// A user allowed to write under `namespace` (their name or one of their orgs, non-read token).
fn writer<'a>(ctx: &'a Ctx, namespace: &str) -> Result<&'a UserSpec, Response> {
    let Some(u) = &ctx.user else {
        return Err(error(401, None, "You must be authenticated to do this"));
    };
    if u.role == "read" {
        return Err(error(403, None, "You don't have the rights to perform this action: your token is read-only"));
    }
    if u.name != namespace && !u.orgs.iter().any(|o| o == namespace) {
        return Err(error(
            403,
            None,
            &format!("You don't have the rights to create or change repositories in {namespace}"),
        ));
    }
    Ok(u)
}

fn repo_create_delete(st: &Shared, ctx: &Ctx, create: bool, body: &[u8]) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return error(400, None, "Invalid JSON body");
    };
    let Some(name) = v["name"].as_str() else {
        return error(400, None, "`name` is required");
    };
    let namespace = match (v["organization"].as_str(), &ctx.user) {
        (Some(o), _) => o.to_string(),
        (None, Some(u)) => u.name.clone(),
        (None, None) => return error(401, None, "You must be authenticated to do this"),
    };
    if let Err(r) = writer(ctx, &namespace) {
        return r;
    }
    let rt = match v["type"].as_str().unwrap_or("model") {
        "model" => RepoType::Model,
        "dataset" => RepoType::Dataset,
        "space" => RepoType::Space,
        _ => return error(400, None, "Invalid repo type"),
    };
    let id = format!("{namespace}/{name}");
    let url = format!("{}/{}{id}", st.hub_url, rt.url_prefix());
    let mut inner = st.lock();
    if !create {
        return match inner.repos.remove(&(rt, id)) {
            Some(_) => json_response(serde_json::json!({})),
            None => error(404, Some("RepoNotFound"), "Repository not found"),
        };
    }
    if inner.repos.contains_key(&(rt, id.clone())) {
        let mut r = error(409, None, &format!("You already created this {} repo", rt.singular()));
        if let Ok(body) = serde_json::to_vec(&serde_json::json!({"error": "You already created this repo", "url": url}))
        {
            *r.body_mut() = Body::from(body);
        }
        return r;
    }
    if rt == RepoType::Space && v["sdk"].as_str().is_none() {
        return error(400, None, "`sdk` is required for Spaces");
    }
    let private = v["private"].as_bool().unwrap_or(false) || v["visibility"].as_str() == Some("private");
    let files: BTreeMap<String, StoredFile> =
        store_files(vec![(".gitattributes".into(), FileSource::Bytes(Bytes::from_static(GITATTRIBUTES.as_bytes())))])
            .into_iter()
            .collect();
    inner.commit_counter += 1;
    let commit = make_commit(files, None, "initial commit", inner.commit_counter);
    let cid = commit.id.clone();
    let mut repo = Repo {
        spec: RepoSpec::new(rt, &id).private(private),
        branches: BTreeMap::new(),
        tags: BTreeMap::new(),
        commits: HashMap::new(),
        order: vec![cid.clone()],
    };
    repo.branches.insert("main".into(), cid.clone());
    repo.commits.insert(cid, Arc::new(commit));
    inner.repos.insert((rt, id.clone()), repo);
    json_response(serde_json::json!({"url": url, "name": id}))
}

#[allow(clippy::too_many_arguments)]
fn ref_write(
    st: &Shared,
    ctx: &Ctx,
    rt: RepoType,
    id: &str,
    branch: bool,
    post: bool,
    name_or_rev: &str,
    body: &[u8],
) -> Response {
    let namespace = id.split('/').next().unwrap_or_default();
    let mut inner = st.lock();
    let Some(repo) = inner.repos.get_mut(&(rt, id.to_string())) else {
        return repo_not_found(ctx);
    };
    if !can_see(repo, ctx.user.as_ref()) {
        return repo_not_found(ctx);
    }
    if let Err(r) = writer(ctx, namespace) {
        return r;
    }
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    match (branch, post) {
        (true, true) => {
            if repo.branches.contains_key(name_or_rev) {
                return error(409, None, &format!("Branch {name_or_rev} already exists"));
            }
            let start = v["startingPoint"].as_str().unwrap_or("main");
            let Some(c) = repo.resolve(start) else {
                return error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {start}"));
            };
            repo.branches.insert(name_or_rev.to_string(), c.id.clone());
        }
        (true, false) => {
            if name_or_rev == "main" {
                return error(403, None, "Cannot delete the default branch");
            }
            if repo.branches.remove(name_or_rev).is_none() {
                return error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {name_or_rev}"));
            }
        }
        (false, true) => {
            let Some(tag) = v["tag"].as_str() else {
                return error(400, None, "`tag` is required");
            };
            if repo.tags.contains_key(tag) {
                return error(409, None, &format!("Tag {tag} already exists"));
            }
            let Some(c) = repo.resolve(name_or_rev) else {
                return error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {name_or_rev}"));
            };
            repo.tags.insert(tag.to_string(), c.id.clone());
        }
        (false, false) => {
            if repo.tags.remove(name_or_rev).is_none() {
                return error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {name_or_rev}"));
            }
        }
    }
    json_response(serde_json::json!({}))
}

// ---------------------------------------------------------------------------------------------
// Uploads: preupload, LFS batch (basic and multipart) with storage on the CDN origin, verify,
// and NDJSON commits (hub-protocol.md 2.9)

fn writable_repo(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str) -> Result<(), Response> {
    let inner = st.lock();
    match inner.repos.get(&(rt, id.to_string())) {
        Some(r) if can_see(r, ctx.user.as_ref()) => {}
        _ => return Err(repo_not_found(ctx)),
    }
    drop(inner);
    writer(ctx, id.split('/').next().unwrap_or_default()).map(|_| ())
}

fn preupload(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str, body: &[u8]) -> Response {
    if let Err(r) = writable_repo(st, ctx, rt, id) {
        return r;
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return error(400, None, "Invalid JSON body");
    };
    let files = v["files"].as_array().cloned().unwrap_or_default();
    if files.len() > 256 {
        return error(400, None, "Too many files: at most 256 per request");
    }
    let head = {
        let inner = st.lock();
        inner.repos.get(&(rt, id.to_string())).and_then(|r| r.resolve(rev))
    };
    let mut out = Vec::new();
    for f in files {
        let path = f["path"].as_str().unwrap_or_default().to_string();
        let size = f["size"].as_u64().unwrap_or(0);
        let sample = base64_decode(f["sample"].as_str().unwrap_or_default());
        let lfs = size > 0 && (is_lfs(&path, size) || sample.contains(&0));
        let oid = head
            .as_ref()
            .and_then(|c| c.files.get(&path))
            .map(|sf| if sf.lfs { sf.sha256.clone() } else { sf.oid.clone() });
        out.push(serde_json::json!({"path": path, "uploadMode": if lfs { "lfs" } else { "regular" }, "shouldIgnore": false, "oid": oid}));
    }
    json_response(serde_json::json!({"files": out}))
}

fn lfs_json(value: Value) -> Response {
    let mut r = json_response(value);
    r.headers_mut().insert(header::CONTENT_TYPE, hv("application/vnd.git-lfs+json"));
    r
}

fn lfs_api(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, batch: bool, body: &[u8]) -> Response {
    if let Err(r) = writable_repo(st, ctx, rt, id) {
        return r;
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return error(400, None, "Invalid JSON body");
    };
    let mut inner = st.lock();
    if !batch {
        let oid = v["oid"].as_str().unwrap_or_default();
        return match inner.cdn.get(oid) {
            Some(f) if Some(f.size) == v["size"].as_u64() => lfs_json(serde_json::json!({})),
            _ => error(404, None, &format!("Object {oid} not found")),
        };
    }
    let chunk = if inner.lfs_chunk_size == 0 { 16 << 20 } else { inner.lfs_chunk_size };
    let transfers: Vec<&str> =
        v["transfers"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let multipart_ok = transfers.contains(&"multipart");
    inner.lfs_offers.push(transfers.iter().map(|t| t.to_string()).collect());
    let xet = match inner.xet {
        XetMode::Off => false,
        XetMode::IfOffered => transfers.contains(&"xet"),
        XetMode::Always => true,
    };
    let verify = format!("{}/{}{id}.git/info/lfs/objects/verify", st.hub_url, rt.url_prefix());
    let mut objects = Vec::new();
    for o in v["objects"].as_array().cloned().unwrap_or_default() {
        let oid = o["oid"].as_str().unwrap_or_default().to_string();
        let size = o["size"].as_u64().unwrap_or(0);
        if oid.len() != 64 || !oid.bytes().all(|b| b.is_ascii_hexdigit()) {
            objects
                .push(serde_json::json!({"oid": oid, "size": size, "error": {"code": 422, "message": "Invalid oid"}}));
            continue;
        }
        if inner.cdn.contains_key(&oid) {
            objects.push(serde_json::json!({"oid": oid, "size": size}));
            continue;
        }
        let verify_action = serde_json::json!({"href": verify, "header": {"X-Fake": "verify"}});
        if multipart_ok && size > chunk {
            let mut header = serde_json::Map::new();
            header.insert("chunk_size".into(), Value::String(chunk.to_string()));
            for n in 1..=size.div_ceil(chunk) {
                header
                    .insert(n.to_string(), Value::String(format!("{}/upload/{oid}/part/{n}?size={size}", st.cdn_url)));
            }
            objects.push(serde_json::json!({"oid": oid, "size": size, "actions": {
                "upload": {"href": format!("{}/upload/{oid}/complete?size={size}", st.cdn_url), "header": header},
                "verify": verify_action,
            }}));
        } else {
            objects.push(serde_json::json!({"oid": oid, "size": size, "actions": {
                "upload": {"href": format!("{}/upload/{oid}?size={size}", st.cdn_url)},
                "verify": verify_action,
            }}));
        }
    }
    let transfer = if multipart_ok { "multipart" } else { "basic" };
    if xet {
        // Objects to send carry no LFS actions: they would go to Xet storage.
        for o in &mut objects {
            if let Some(m) = o.as_object_mut() {
                m.remove("actions");
            }
        }
        return lfs_json(serde_json::json!({"transfer": "xet", "objects": objects}));
    }
    lfs_json(serde_json::json!({"transfer": transfer, "objects": objects}))
}

/// A multipart upload in progress. Parts are hashed as soon as they can be in order, while
/// later parts are still in flight, so completing a 1 GiB upload does not stall the client for
/// a whole sha256 pass (the real Hub's storage does not make clients wait on that either; the
/// upload benchmark measures clients, and client and fake server share the machine's cores).
#[derive(Default)]
struct PartUpload {
    parts: BTreeMap<u64, Bytes>,
    /// sha256 over parts 1..next_to_hash.
    hasher: sha2::Sha256,
    next_to_hash: u64,
    /// A part already hashed was sent again: hash everything again at completion.
    rehash: bool,
}

impl PartUpload {
    fn add(&mut self, n: u64, body: Bytes) {
        if self.next_to_hash == 0 {
            self.next_to_hash = 1;
        }
        if n < self.next_to_hash {
            self.rehash = true;
        }
        self.parts.insert(n, body);
        while let Some(p) = self.parts.get(&self.next_to_hash) {
            self.hasher.update(p);
            self.next_to_hash += 1;
        }
    }

    /// The sha256 of the parts in order.
    fn sha256(self) -> (String, Vec<Bytes>) {
        let complete = !self.rehash && self.next_to_hash == self.parts.len() as u64 + 1;
        let parts: Vec<Bytes> = self.parts.into_values().collect();
        let digest = if complete {
            self.hasher.finalize()
        } else {
            let mut h = sha2::Sha256::new();
            for p in &parts {
                h.update(p);
            }
            h.finalize()
        };
        (hex::encode(digest), parts)
    }
}

/// Store an uploaded object (one body, or the parts of a multipart upload in order) once its
/// sha256 matches.
fn store_object(st: &Shared, oid: &str, actual: String, parts: Vec<Bytes>) -> Response {
    if actual != oid {
        return error(400, None, &format!("sha256 mismatch: expected {oid}, got {actual}"));
    }
    let size = parts.iter().map(|p| p.len() as u64).sum();
    let source = match <[Bytes; 1]>::try_from(parts) {
        Ok([one]) => FileSource::Bytes(one),
        Err(parts) => FileSource::Parts(parts.into()),
    };
    let f =
        StoredFile { size, sha256: actual, oid: git_blob_oid(lfs_pointer(oid, size).as_bytes()), lfs: true, source };
    st.lock().cdn.insert(oid.to_string(), f);
    Response::builder().status(200).header(header::ETAG, format!("\"{oid}\"")).body(Body::empty()).unwrap()
}

fn lfs_storage(st: &Shared, method: &Method, segs: &[String], body: Bytes) -> Response {
    match (method, segs) {
        (&Method::PUT, [oid]) => store_object(st, oid, sha256_hex(&body), vec![body]),
        (&Method::PUT, [oid, part, n]) if part == "part" => {
            let Ok(n) = n.parse::<u64>() else { return error(400, None, "bad part number") };
            // Like S3, an opaque per-part tag; cheap so the fake server stays out of the way.
            let etag = part_etag(n, &body);
            st.lock().parts.entry(oid.clone()).or_default().add(n, body);
            Response::builder().status(200).header(header::ETAG, etag).body(Body::empty()).unwrap()
        }
        (&Method::POST, [oid, complete]) if complete == "complete" => {
            let Ok(v) = serde_json::from_slice::<Value>(&body) else { return error(400, None, "Invalid JSON body") };
            let Some(upload) = st.lock().parts.remove(oid) else { return error(404, None, "no upload in progress") };
            let parts = &upload.parts;
            let listed = v["parts"].as_array().cloned().unwrap_or_default();
            if listed.len() != parts.len() {
                return error(400, None, &format!("expected {} parts, got {}", parts.len(), listed.len()));
            }
            for (i, (n, bytes)) in parts.iter().enumerate() {
                let entry = &listed[i];
                let want = part_etag(*n, bytes);
                if entry["partNumber"].as_u64() != Some(*n)
                    || entry["etag"].as_str().map(|e| e.trim_matches('"')) != Some(want.trim_matches('"'))
                {
                    return error(400, None, &format!("part {n}: wrong number or etag"));
                }
            }
            let (actual, parts) = upload.sha256();
            store_object(st, oid, actual, parts)
        }
        _ => error(405, None, "Method not allowed"),
    }
}

fn part_etag(n: u64, data: &[u8]) -> String {
    let head = data.iter().take(64).fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b)));
    format!("\"{n}-{}-{head:x}\"", data.len())
}

fn base64_decode(s: &str) -> Vec<u8> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let Some(v) = T.iter().position(|&t| t == c) else { continue };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn commit_ndjson(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str, create_pr: bool, body: &[u8]) -> Response {
    if let Err(r) = writable_repo(st, ctx, rt, id) {
        return r;
    }
    let text = String::from_utf8_lossy(body);
    let mut summary = String::from("commit");
    let mut parent_commit: Option<String> = None;
    let mut adds: Vec<(String, StoredFile)> = Vec::new();
    let mut deletes: Vec<(String, bool)> = Vec::new();
    let mut inner = st.lock();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<Value>(line) else { return error(400, None, "Invalid NDJSON line") };
        let value = &v["value"];
        let path = value["path"].as_str().unwrap_or_default().to_string();
        let key = v["key"].as_str().unwrap_or_default();
        if key != "header"
            && (path.is_empty()
                || path.starts_with('/')
                || path.split('/').any(|c| c == ".." || c == "." || c.is_empty()))
        {
            return error(400, None, &format!("Invalid path: {path}"));
        }
        match key {
            "header" => {
                summary = value["summary"].as_str().unwrap_or("commit").to_string();
                parent_commit = value["parentCommit"].as_str().map(str::to_string);
            }
            "file" => {
                let data = base64_decode(value["content"].as_str().unwrap_or_default());
                if data.len() > 10 << 20 {
                    return error(400, None, "Your push was rejected because it contains files larger than 10 MiB");
                }
                let sf = StoredFile {
                    size: data.len() as u64,
                    sha256: sha256_hex(&data),
                    oid: git_blob_oid(&data),
                    lfs: false,
                    source: FileSource::Bytes(Bytes::from(data)),
                };
                adds.push((path, sf));
            }
            "lfsFile" => {
                let oid = value["oid"].as_str().unwrap_or_default();
                let Some(sf) = inner.cdn.get(oid).cloned() else {
                    return error(422, None, &format!("LFS object {oid} was not uploaded"));
                };
                adds.push((path, sf));
            }
            "deletedFile" => deletes.push((path, false)),
            "deletedFolder" => deletes.push((path, true)),
            _ => return error(400, None, &format!("Unknown key {key}")),
        }
    }
    inner.commit_counter += 1;
    let n = inner.commit_counter;
    let Some(repo) = inner.repos.get_mut(&(rt, id.to_string())) else { return repo_not_found(ctx) };
    let Some(base) = repo.resolve(rev) else {
        return error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {rev}"));
    };
    if !create_pr && !repo.branches.contains_key(rev) {
        return error(400, None, &format!("Cannot commit to {rev}: not a branch"));
    }
    if let Some(p) = &parent_commit
        && *p != base.id
    {
        return error(412, None, &format!("A commit has happened since {p}. Please refresh and try again."));
    }
    let mut files = base.files.clone();
    for (p, folder) in &deletes {
        if *folder {
            let prefix = format!("{}/", p.trim_end_matches('/'));
            files.retain(|k, _| !k.starts_with(&prefix));
        } else if files.remove(p).is_none() {
            return error(404, Some("EntryNotFound"), &format!("{p} does not exist"));
        }
    }
    files.extend(adds);
    let commit = make_commit(files, Some(&base.id), &summary, n);
    let cid = commit.id.clone();
    let branch = if create_pr {
        let num = repo.branches.keys().filter(|b| b.starts_with("refs/pr/")).count() + 1;
        format!("refs/pr/{num}")
    } else {
        rev.to_string()
    };
    repo.branches.insert(branch.clone(), cid.clone());
    repo.order.push(cid.clone());
    repo.commits.insert(cid.clone(), Arc::new(commit));
    let page = format!("{}/{}{id}", st.hub_url, rt.url_prefix());
    let mut out = serde_json::json!({"commitOid": cid, "commitUrl": format!("{page}/commit/{cid}"), "success": true});
    if create_pr {
        out["pullRequestUrl"] = Value::String(format!("{page}/discussions/{}", branch.trim_start_matches("refs/pr/")));
    }
    json_response(out)
}
