//! An in-process fake of the Hugging Face Hub, faithful to `shared/docs/hub-protocol.md`:
//! whoami-v2, search with `Link` pagination, repo info, recursive tree, paths-info, refs, and
//! `resolve` with relative redirects for regular files and absolute redirects to a separate
//! CDN origin for LFS files, `Range`/206/416, `X-Error-Code` errors, private and gated repos,
//! branches and tags. Repos are built from bytes or directories; commit ids are computed the
//! way git computes them. Faults (dropped connections, statuses with `Retry-After`, delays) and
//! a per-connection bandwidth cap can be injected, and every request is logged.
//!
//! Also compiled into `examples/fake_hub.rs` to serve directories for benchmarks.

#![allow(dead_code, unreachable_pub, clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use sha1::Digest as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepoType {
    Model,
    Dataset,
    Space,
}

impl RepoType {
    fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
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
    fn kind(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
        }
    }
}

#[derive(Debug, Clone)]
pub enum FileSource {
    Bytes(Bytes),
    Path(PathBuf),
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

const GITATTRIBUTES: &str = "*.7z filter=lfs diff=lfs merge=lfs -text\n*.arrow filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n*.gguf filter=lfs diff=lfs merge=lfs -text\n*.gz filter=lfs diff=lfs merge=lfs -text\n*.h5 filter=lfs diff=lfs merge=lfs -text\n*.onnx filter=lfs diff=lfs merge=lfs -text\n*.parquet filter=lfs diff=lfs merge=lfs -text\n*.pt filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.zip filter=lfs diff=lfs merge=lfs -text\n*.zst filter=lfs diff=lfs merge=lfs -text\n";

impl RepoSpec {
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
    pub fn file(mut self, path: &str, content: impl Into<Bytes>) -> Self {
        self.files.push((path.to_string(), FileSource::Bytes(content.into())));
        self
    }
    pub fn file_from_disk(mut self, path: &str, disk: impl Into<PathBuf>) -> Self {
        self.files.push((path.to_string(), FileSource::Path(disk.into())));
        self
    }
    /// Every file under `root` (recursively; symlinks followed), with `/`-separated paths.
    pub fn dir(mut self, root: impl AsRef<Path>) -> Self {
        let root = root.as_ref();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("read_dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                    self.files.push((rel, FileSource::Path(p)));
                }
            }
        }
        self
    }
    pub fn gitattributes(self) -> Self {
        self.file(".gitattributes", GITATTRIBUTES)
    }
    pub fn private(mut self, yes: bool) -> Self {
        self.private = yes;
        self
    }
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
    pub role: String,
}

#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Option<&'static str>,
    pub path_contains: String,
    pub kind: FaultKind,
    pub times: usize,
}

#[derive(Debug, Clone)]
pub enum FaultKind {
    Status { status: u16, retry_after: Option<u64> },
    DropAfter { bytes: u64 },
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
    pub path: String,
    pub status: u16,
    pub range: Option<String>,
    pub has_authorization: bool,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    pub bytes_sent: Arc<AtomicU64>,
}

#[derive(Debug, Clone)]
struct StoredFile {
    source: FileSource,
    size: u64,
    sha256: String,
    /// git blob id (of the content, or of the LFS pointer for LFS files).
    oid: String,
    lfs: bool,
}

impl StoredFile {
    fn pointer_size(&self) -> u64 {
        lfs_pointer(&self.sha256, self.size).len() as u64
    }
}

#[derive(Debug)]
struct Commit {
    id: String,
    files: BTreeMap<String, StoredFile>,
    /// Directory path ("" for the root) -> tree oid.
    trees: BTreeMap<String, String>,
    date: String,
}

#[derive(Debug)]
struct Repo {
    spec: RepoSpec,
    branches: BTreeMap<String, String>,
    tags: BTreeMap<String, String>,
    commits: HashMap<String, Arc<Commit>>,
    order: Vec<String>,
}

impl Repo {
    fn namespace(&self) -> &str {
        self.spec.id.split('/').next().unwrap_or("")
    }
    fn head(&self) -> Arc<Commit> {
        self.commits[&self.branches["main"]].clone()
    }
    fn resolve(&self, rev: &str) -> Option<Arc<Commit>> {
        if let Some(c) = self.branches.get(rev).or_else(|| self.tags.get(rev)) {
            return self.commits.get(c).cloned();
        }
        if rev.len() >= 7 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            let matches: Vec<&String> = self.order.iter().filter(|c| c.starts_with(rev)).collect();
            if matches.len() == 1 {
                return self.commits.get(matches[0]).cloned();
            }
        }
        None
    }
}

#[derive(Default)]
struct Inner {
    repos: HashMap<(RepoType, String), Repo>,
    users: HashMap<String, UserSpec>,
    faults: Vec<Fault>,
    log: Vec<LoggedRequest>,
    cdn: HashMap<String, StoredFile>,
    commit_counter: u64,
}

struct Shared {
    inner: Mutex<Inner>,
    hub_url: String,
    cdn_url: String,
    bandwidth: AtomicU64,
    page_size: AtomicUsize,
}

/// The running fake Hub: a Hub origin and a separate CDN origin on 127.0.0.1.
pub struct FakeHub {
    shared: Arc<Shared>,
    stop: Option<std::sync::mpsc::Sender<()>>,
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

fn is_lfs(path: &str, size: u64) -> bool {
    const EXT: &[&str] = &[
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
    if path.ends_with(".gitattributes") {
        return false;
    }
    let ext = path.rsplit('/').next().and_then(|n| n.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase());
    size > 10 * 1024 * 1024 || ext.is_some_and(|e| EXT.contains(&e.as_str()))
}

fn lfs_pointer(sha256: &str, size: u64) -> String {
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n")
}

fn git_blob_oid(content: &[u8]) -> String {
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    hex::encode(h.finalize())
}

/// sha256 and git blob id of a file's content, streaming from disk when needed.
fn hash_source(src: &FileSource) -> (u64, String, String) {
    match src {
        FileSource::Bytes(b) => (b.len() as u64, hex::encode(sha2::Sha256::digest(b)), git_blob_oid(b)),
        FileSource::Path(p) => {
            let mut f = std::fs::File::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let size = f.metadata().unwrap().len();
            let mut s2 = sha2::Sha256::new();
            let mut s1 = sha1::Sha1::new();
            s1.update(format!("blob {size}\0").as_bytes());
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = f.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                s2.update(&buf[..n]);
                s1.update(&buf[..n]);
            }
            (size, hex::encode(s2.finalize()), hex::encode(s1.finalize()))
        }
    }
}

fn store_file(path: &str, src: FileSource) -> StoredFile {
    let (size, sha256, content_oid) = hash_source(&src);
    let lfs = is_lfs(path, size);
    let oid = if lfs { git_blob_oid(lfs_pointer(&sha256, size).as_bytes()) } else { content_oid };
    StoredFile { source: src, size, sha256, oid, lfs }
}

/// git tree objects for every directory, bottom-up; returns dir path -> tree oid.
fn build_trees(files: &BTreeMap<String, StoredFile>) -> BTreeMap<String, String> {
    // dir -> (name -> (is_tree, oid))
    let mut dirs: BTreeMap<String, BTreeMap<String, (bool, String)>> = BTreeMap::new();
    dirs.entry(String::new()).or_default();
    for (path, f) in files {
        let parts: Vec<&str> = path.split('/').collect();
        for i in 0..parts.len() - 1 {
            dirs.entry(parts[..=i].join("/")).or_default();
        }
        let dir = parts[..parts.len() - 1].join("/");
        dirs.entry(dir).or_default().insert(parts[parts.len() - 1].to_string(), (false, f.oid.clone()));
    }
    let mut oids: BTreeMap<String, String> = BTreeMap::new();
    let mut names: Vec<String> = dirs.keys().cloned().collect();
    names.sort_by_key(|d| std::cmp::Reverse(if d.is_empty() { 0 } else { d.split('/').count() }));
    for d in names {
        let mut entries: Vec<(String, bool, String)> =
            dirs[&d].iter().map(|(n, (t, o))| (n.clone(), *t, o.clone())).collect();
        // Subdirectories of d.
        for (sub, oid) in &oids {
            let parent = sub.rsplit_once('/').map_or("", |(p, _)| p);
            if parent == d && !sub.is_empty() {
                let name = sub.rsplit('/').next().unwrap().to_string();
                entries.push((name, true, oid.clone()));
            }
        }
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
        let mut h = sha1::Sha1::new();
        h.update(format!("tree {}\0", body.len()).as_bytes());
        h.update(&body);
        oids.insert(d, hex::encode(h.finalize()));
    }
    oids
}

fn make_commit(files: BTreeMap<String, StoredFile>, parent: Option<&str>, message: &str, n: u64) -> Commit {
    let trees = build_trees(&files);
    let ts = 1_735_689_600 + n * 60;
    let mut body = format!("tree {}\n", trees[""]);
    if let Some(p) = parent {
        body.push_str(&format!("parent {p}\n"));
    }
    body.push_str(&format!(
        "author Fake Hub <hub@fake.invalid> {ts} +0000\ncommitter Fake Hub <hub@fake.invalid> {ts} +0000\n\n{message}\n"
    ));
    let mut h = sha1::Sha1::new();
    h.update(format!("commit {}\0", body.len()).as_bytes());
    h.update(body.as_bytes());
    let date = humantime::format_rfc3339_millis(std::time::UNIX_EPOCH + Duration::from_secs(ts)).to_string();
    Commit { id: hex::encode(h.finalize()), files, trees, date }
}

impl FakeHub {
    pub fn start() -> FakeHub {
        let hub_l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind hub");
        let cdn_l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind cdn");
        Self::start_on(hub_l, cdn_l)
    }

    pub fn start_on(hub_l: std::net::TcpListener, cdn_l: std::net::TcpListener) -> FakeHub {
        hub_l.set_nonblocking(true).unwrap();
        cdn_l.set_nonblocking(true).unwrap();
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner::default()),
            hub_url: format!("http://{}", hub_l.local_addr().unwrap()),
            cdn_url: format!("http://{}", cdn_l.local_addr().unwrap()),
            bandwidth: AtomicU64::new(0),
            page_size: AtomicUsize::new(1000),
        });
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let st = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.spawn({
                let st = st.clone();
                async move {
                    let l = tokio::net::TcpListener::from_std(hub_l).unwrap();
                    let app = Router::new().fallback(hub_handler).with_state(st);
                    let _ = axum::serve(l, app).await;
                }
            });
            rt.spawn({
                let st = st.clone();
                async move {
                    let l = tokio::net::TcpListener::from_std(cdn_l).unwrap();
                    let app = Router::new().fallback(cdn_handler).with_state(st);
                    let _ = axum::serve(l, app).await;
                }
            });
            let _ = rx.recv();
            rt.shutdown_background();
        });
        FakeHub { shared, stop: Some(tx), thread: Some(thread) }
    }

    pub fn url(&self) -> String {
        self.shared.hub_url.clone()
    }
    pub fn cdn_url(&self) -> String {
        self.shared.cdn_url.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn add_repo(&self, spec: RepoSpec) -> String {
        let files: BTreeMap<String, StoredFile> =
            spec.files.iter().map(|(p, s)| (p.clone(), store_file(p, s.clone()))).collect();
        let mut inner = self.lock();
        inner.commit_counter += 1;
        let commit = make_commit(files, None, "initial commit", inner.commit_counter);
        for f in commit.files.values().filter(|f| f.lfs) {
            inner.cdn.insert(f.sha256.clone(), f.clone());
        }
        let id = commit.id.clone();
        let mut repo = Repo {
            spec: spec.clone(),
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

    /// A new commit on `branch` (created from main's head when missing).
    pub fn commit(
        &self,
        repo_type: RepoType,
        id: &str,
        branch: &str,
        files: Vec<(String, FileSource)>,
        deletes: &[&str],
        message: &str,
    ) -> String {
        let stored: Vec<(String, StoredFile)> =
            files.into_iter().map(|(p, s)| (p.clone(), store_file(&p, s))).collect();
        let mut inner = self.lock();
        inner.commit_counter += 1;
        let n = inner.commit_counter;
        let repo = inner.repos.get_mut(&(repo_type, id.to_string())).expect("repo exists");
        let parent_id = repo.branches.get(branch).cloned().unwrap_or_else(|| repo.branches["main"].clone());
        let mut map = repo.commits[&parent_id].files.clone();
        for d in deletes {
            map.remove(*d);
        }
        for (p, f) in stored {
            map.insert(p, f);
        }
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

    pub fn create_branch(&self, repo_type: RepoType, id: &str, branch: &str, from_rev: &str) {
        let mut inner = self.lock();
        let repo = inner.repos.get_mut(&(repo_type, id.to_string())).expect("repo exists");
        let c = repo.resolve(from_rev).expect("revision exists").id.clone();
        repo.branches.insert(branch.to_string(), c);
    }

    pub fn create_tag(&self, repo_type: RepoType, id: &str, tag: &str, rev: &str) {
        let mut inner = self.lock();
        let repo = inner.repos.get_mut(&(repo_type, id.to_string())).expect("repo exists");
        let c = repo.resolve(rev).expect("revision exists").id.clone();
        repo.tags.insert(tag.to_string(), c);
    }

    pub fn add_user(&self, token: &str, user: UserSpec) {
        self.lock().users.insert(token.to_string(), user);
    }

    pub fn add_fault(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    pub fn set_bandwidth_limit(&self, bytes_per_sec: Option<u64>) {
        self.shared.bandwidth.store(bytes_per_sec.unwrap_or(0), Ordering::SeqCst);
    }

    pub fn set_page_size(&self, n: usize) {
        self.shared.page_size.store(n.max(1), Ordering::SeqCst);
    }

    pub fn log(&self) -> Vec<LoggedRequest> {
        self.lock().log.clone()
    }

    pub fn clear_log(&self) {
        self.lock().log.clear();
    }

    /// Body bytes served by requests whose path contains `path_contains`.
    pub fn bytes_served(&self, path_contains: &str) -> u64 {
        self.lock()
            .log
            .iter()
            .filter(|r| r.path.contains(path_contains))
            .map(|r| r.bytes_sent.load(Ordering::Relaxed))
            .sum()
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

fn error(status: u16, code: Option<&str>, message: &str) -> Response {
    let mut r = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-error-message", HeaderValue::from_str(message).unwrap_or(HeaderValue::from_static("error")));
    if let Some(c) = code {
        r = r.header("x-error-code", c);
    }
    r.body(Body::from(serde_json::json!({ "error": message }).to_string())).unwrap()
}

fn json(value: serde_json::Value) -> Response {
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(value.to_string()))
        .unwrap()
}

fn decode(seg: &str) -> String {
    percent_encoding::percent_decode_str(seg).decode_utf8_lossy().into_owned()
}

/// Log the request and apply faults; returns the context or an early response.
fn parts(req: &Request) -> (String, String, HeaderMap) {
    let path = req.uri().path_and_query().map_or_else(|| req.uri().path().to_string(), |p| p.to_string());
    (path, req.method().to_string(), req.headers().clone())
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
        let mut inner = st.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
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
            if f.times > 0 && path.contains(&f.path_contains) && f.method.is_none_or(|m| m == method) {
                f.times -= 1;
                fault = Some(f.kind.clone());
                break;
            }
        }
        let token = auth.as_deref().and_then(|a| a.strip_prefix("Bearer ")).map(str::trim);
        let user = token.and_then(|t| inner.users.get(t).cloned());
        let token_invalid = token.is_some() && user.is_none();
        (fault, user, token_invalid, log_index)
    };
    let mut ctx = Ctx { user, token_invalid, drop_after: None, counter, log_index };
    match fault {
        Some(FaultKind::Delay { ms }) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some(FaultKind::DropAfter { bytes }) => ctx.drop_after = Some(bytes),
        Some(FaultKind::Status { status, retry_after }) => {
            let mut r = error(status, None, "injected fault");
            if let Some(s) = retry_after {
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_str(&s.to_string()).unwrap());
            }
            finish(st, &ctx, status);
            return Err(r);
        }
        None => {}
    }
    Ok(ctx)
}

fn finish(st: &Shared, ctx: &Ctx, status: u16) {
    let mut inner = st.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(e) = inner.log.get_mut(ctx.log_index) {
        e.status = status;
    }
}

async fn hub_handler(State(st): State<Arc<Shared>>, req: Request) -> Response {
    let (path, method, headers) = parts(&req);
    let ctx = match begin_parts(&st, Server::Hub, path, method, headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let resp = route(&st, &ctx, req).await;
    finish(&st, &ctx, resp.status().as_u16());
    resp
}

async fn cdn_handler(State(st): State<Arc<Shared>>, req: Request) -> Response {
    let (path, method, headers) = parts(&req);
    let ctx = match begin_parts(&st, Server::Cdn, path, method, headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    // /repos/<folder>/<sha256>?expires=..&sig=..
    let segs: Vec<&str> = req.uri().path().trim_start_matches('/').split('/').collect();
    let file = match segs.as_slice() {
        ["repos", _, sha] => st.inner.lock().unwrap().cdn.get(*sha).cloned(),
        _ => None,
    };
    let resp = match file {
        Some(f) => {
            let etag = format!("\"{}\"", f.sha256);
            serve_file(&st, &ctx, req.method(), req.headers(), &f, vec![(header::ETAG.as_str(), etag)])
        }
        None => error(404, None, "Not found"),
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

async fn route(st: &Shared, ctx: &Ctx, req: Request) -> Response {
    if ctx.token_invalid {
        return error(401, None, "Invalid credentials in Authorization header");
    }
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query: HashMap<String, Vec<String>> = {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
            m.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        m
    };
    let segs: Vec<String> = path.trim_start_matches('/').split('/').map(decode).collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["api", "whoami-v2"] => whoami(ctx),
        ["api", kind] if RepoType::from_plural(kind).is_some() && method == Method::GET => {
            search(st, ctx, RepoType::from_plural(kind).unwrap(), &query, req.uri().query().unwrap_or(""))
        }
        ["api", "resolve-cache", kind, org, name, commit, rest @ ..] if RepoType::from_plural(kind).is_some() => {
            let rt = RepoType::from_plural(kind).unwrap();
            resolve_cache(st, ctx, &req, rt, &format!("{org}/{name}"), commit, &rest.join("/"))
        }
        ["api", kind, org, name, rest @ ..] if RepoType::from_plural(kind).is_some() => {
            let rt = RepoType::from_plural(kind).unwrap();
            let id = format!("{org}/{name}");
            match rest {
                [] => repo_info(st, ctx, rt, &id, "main", &query),
                ["revision", rev @ ..] => repo_info(st, ctx, rt, &id, &rev.join("/"), &query),
                ["tree", rev, p @ ..] => tree(st, ctx, rt, &id, rev, &p.join("/"), &query, req.uri().path()),
                ["paths-info", rev] => {
                    let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
                    paths_info(st, ctx, rt, &id, rev, &body)
                }
                ["refs"] => refs(st, ctx, rt, &id),
                _ => error(404, None, "Not found"),
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
                [org, name, "resolve", rev, p @ ..] if !p.is_empty() => {
                    resolve(st, ctx, &method, rt, &format!("{org}/{name}"), rev, &p.join("/"))
                }
                _ => error(404, None, "Not found"),
            }
        }
    }
}

fn whoami(ctx: &Ctx) -> Response {
    let Some(u) = &ctx.user else {
        return error(401, None, "Invalid credentials in Authorization header");
    };
    json(serde_json::json!({
        "type": "user",
        "id": format!("id-{}", u.name),
        "name": u.name,
        "fullname": u.fullname,
        "email": format!("{}@example.com", u.name),
        "emailVerified": true,
        "isPro": false,
        "canPay": false,
        "avatarUrl": "/avatars/default.svg",
        "periodEnd": null,
        "orgs": u.orgs.iter().map(|o| serde_json::json!({"name": o, "fullname": o, "type": "org"})).collect::<Vec<_>>(),
        "auth": {"type": "access_token", "accessToken": {"displayName": u.token_name, "role": u.role, "createdAt": "2025-01-01T00:00:00.000Z"}},
    }))
}

fn summary(repo: &Repo) -> serde_json::Value {
    let head = repo.head();
    serde_json::json!({
        "_id": format!("id-{}", repo.spec.id),
        "id": repo.spec.id,
        "author": repo.namespace(),
        "sha": head.id,
        "lastModified": head.date,
        "createdAt": repo.spec.created_at,
        "private": repo.spec.private,
        "gated": repo.spec.gated.clone().map_or(serde_json::Value::Bool(false), serde_json::Value::String),
        "disabled": false,
        "downloads": repo.spec.downloads,
        "likes": repo.spec.likes,
        "library_name": repo.spec.library_name,
        "pipeline_tag": repo.spec.pipeline_tag,
        "tags": repo.spec.tags,
        "trendingScore": repo.spec.trending,
    })
}

fn search(st: &Shared, ctx: &Ctx, rt: RepoType, q: &HashMap<String, Vec<String>>, raw_query: &str) -> Response {
    let one = |k: &str| q.get(k).and_then(|v| v.first()).cloned();
    let inner = st.inner.lock().unwrap();
    let mut items: Vec<&Repo> = inner
        .repos
        .values()
        .filter(|r| r.spec.repo_type == rt && can_see(r, ctx.user.as_ref()))
        .filter(|r| one("search").is_none_or(|s| r.spec.id.to_lowercase().contains(&s.to_lowercase())))
        .filter(|r| one("author").is_none_or(|a| r.namespace() == a))
        .filter(|r| q.get("filter").is_none_or(|fs| fs.iter().all(|f| r.spec.tags.contains(f))))
        .collect();
    items.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
    if let Some(key) = one("sort") {
        let k = |r: &Repo| -> f64 {
            match key.as_str() {
                "downloads" => r.spec.downloads as f64,
                "likes" => r.spec.likes as f64,
                "trendingScore" => r.spec.trending,
                "createdAt" => humantime::parse_rfc3339_weak(&r.spec.created_at[..19])
                    .map_or(0.0, |t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()),
                _ => r.order.len() as f64 + r.head().date.len() as f64,
            }
        };
        items.sort_by(|a, b| k(b).partial_cmp(&k(a)).unwrap_or(std::cmp::Ordering::Equal));
    }
    let limit = one("limit").and_then(|l| l.parse::<usize>().ok());
    let page = limit.unwrap_or(usize::MAX).min(st.page_size.load(Ordering::SeqCst));
    let cursor = one("cursor").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    let body: Vec<serde_json::Value> = items.iter().skip(cursor).take(page).map(|r| summary(r)).collect();
    let mut resp = json(serde_json::Value::Array(body));
    if cursor + page < items.len() {
        let kept: Vec<String> = url::form_urlencoded::parse(raw_query.as_bytes())
            .filter(|(k, _)| k != "cursor")
            .map(|(k, v)| {
                format!("{}={}", k, percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC))
            })
            .collect();
        let next = format!("{}/api/{}?{}&cursor={}", st.hub_url, rt.plural(), kept.join("&"), cursor + page);
        resp.headers_mut().insert(header::LINK, HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).unwrap());
    }
    resp
}

/// Look up a visible repo and a revision.
fn lookup(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str) -> Result<(Arc<Commit>, RepoSpec), Response> {
    let inner = st.inner.lock().unwrap();
    let repo = match inner.repos.get(&(rt, id.to_string())) {
        Some(r) if can_see(r, ctx.user.as_ref()) => r,
        _ => return Err(repo_not_found(ctx)),
    };
    let commit =
        repo.resolve(rev).ok_or_else(|| error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {rev}")))?;
    Ok((commit, repo.spec.clone()))
}

fn repo_info(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str, q: &HashMap<String, Vec<String>>) -> Response {
    let (commit, _) = match lookup(st, ctx, rt, id, rev) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let inner = st.inner.lock().unwrap();
    let repo = &inner.repos[&(rt, id.to_string())];
    let mut v = summary(repo);
    let blobs = q.get("blobs").is_some_and(|b| b.iter().any(|x| x == "true"));
    let siblings: Vec<serde_json::Value> = commit
        .files
        .iter()
        .map(|(p, f)| {
            if blobs {
                let mut s = serde_json::json!({"rfilename": p, "size": f.size, "blobId": f.oid});
                if f.lfs {
                    s["lfs"] = serde_json::json!({"size": f.size, "sha256": f.sha256, "pointerSize": f.pointer_size()});
                }
                s
            } else {
                serde_json::json!({"rfilename": p})
            }
        })
        .collect();
    v["sha"] = serde_json::Value::String(commit.id.clone());
    v["lastModified"] = serde_json::Value::String(commit.date.clone());
    v["siblings"] = serde_json::Value::Array(siblings);
    v["usedStorage"] = serde_json::json!(commit.files.values().map(|f| f.size).sum::<u64>());
    json(v)
}

fn entry(path: &str, f: &StoredFile) -> serde_json::Value {
    let mut e = serde_json::json!({"type": "file", "oid": f.oid, "size": f.size, "path": path});
    if f.lfs {
        e["lfs"] = serde_json::json!({"oid": f.sha256, "size": f.size, "pointerSize": f.pointer_size()});
    }
    e
}

#[allow(clippy::too_many_arguments)]
fn tree(
    st: &Shared,
    ctx: &Ctx,
    rt: RepoType,
    id: &str,
    rev: &str,
    sub: &str,
    q: &HashMap<String, Vec<String>>,
    path: &str,
) -> Response {
    let (commit, _) = match lookup(st, ctx, rt, id, rev) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let recursive = q.get("recursive").is_some_and(|v| v.iter().any(|x| x == "true" || x == "1"));
    if !sub.is_empty() && !commit.trees.contains_key(sub) {
        return error(404, Some("EntryNotFound"), &format!("{sub} does not exist on \"{rev}\""));
    }
    let prefix = if sub.is_empty() { String::new() } else { format!("{sub}/") };
    let under = |p: &str| p.starts_with(&prefix) && (recursive || !p[prefix.len()..].contains('/'));
    let mut entries: Vec<(String, serde_json::Value)> = Vec::new();
    for (d, oid) in &commit.trees {
        if !d.is_empty() && under(d) {
            entries.push((d.clone(), serde_json::json!({"type": "directory", "oid": oid, "size": 0, "path": d})));
        }
    }
    for (p, f) in &commit.files {
        if under(p) {
            entries.push((p.clone(), entry(p, f)));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let page = st.page_size.load(Ordering::SeqCst);
    let cursor = q.get("cursor").and_then(|c| c.first()).and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    let body: Vec<serde_json::Value> = entries.iter().skip(cursor).take(page).map(|(_, v)| v.clone()).collect();
    let mut resp = json(serde_json::Value::Array(body));
    if cursor + page < entries.len() {
        let next = format!("{}{}?recursive={recursive}&expand=false&cursor={}", st.hub_url, path, cursor + page);
        resp.headers_mut().insert(header::LINK, HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")).unwrap());
    }
    resp
}

fn paths_info(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str, body: &[u8]) -> Response {
    let (commit, _) = match lookup(st, ctx, rt, id, rev) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut out = Vec::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if k != "paths" {
            continue;
        }
        if let Some(f) = commit.files.get(v.as_ref()) {
            out.push(entry(&v, f));
        } else if let Some(oid) = commit.trees.get(v.as_ref()) {
            out.push(serde_json::json!({"type": "directory", "oid": oid, "size": 0, "path": v}));
        }
    }
    json(serde_json::Value::Array(out))
}

fn refs(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str) -> Response {
    let inner = st.inner.lock().unwrap();
    let repo = match inner.repos.get(&(rt, id.to_string())) {
        Some(r) if can_see(r, ctx.user.as_ref()) => r,
        _ => return repo_not_found(ctx),
    };
    let list = |m: &BTreeMap<String, String>, kind: &str| -> Vec<serde_json::Value> {
        m.iter()
            .map(|(n, c)| serde_json::json!({"name": n, "ref": format!("refs/{kind}/{n}"), "targetCommit": c}))
            .collect()
    };
    json(
        serde_json::json!({"branches": list(&repo.branches, "heads"), "tags": list(&repo.tags, "tags"), "converts": []}),
    )
}

fn gate(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, path: &str) -> Option<Response> {
    let inner = st.inner.lock().unwrap();
    let repo = inner.repos.get(&(rt, id.to_string()))?;
    repo.spec.gated.as_ref()?;
    if path == ".gitattributes" || path == "README.md" {
        return None;
    }
    let url = format!(
        "{}/{}{}",
        st.hub_url,
        if rt == RepoType::Model { String::new() } else { format!("{}/", rt.plural()) },
        id
    );
    match &ctx.user {
        None => Some(error(
            401,
            Some("GatedRepo"),
            &format!(
                "Access to {} {id} is restricted. You must have access to it and be authenticated to access it. Please log in.",
                rt.kind()
            ),
        )),
        Some(u) if u.name == repo.namespace() || repo.spec.granted.contains(&u.name) => None,
        Some(_) => Some(error(
            403,
            Some("GatedRepo"),
            &format!(
                "Access to {} {id} is restricted and you are not in the authorized list. Visit {url} to ask for access.",
                rt.kind()
            ),
        )),
    }
}

fn encode_path(p: &str) -> String {
    p.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

fn resolve(st: &Shared, ctx: &Ctx, method: &Method, rt: RepoType, id: &str, rev: &str, path: &str) -> Response {
    let _ = method;
    let (commit, _) = match lookup(st, ctx, rt, id, rev) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(f) = commit.files.get(path) else {
        let mut r = error(404, Some("EntryNotFound"), "Entry not found");
        r.headers_mut().insert("x-repo-commit", HeaderValue::from_str(&commit.id).unwrap());
        return r;
    };
    if let Some(r) = gate(st, ctx, rt, id, path) {
        return r;
    }
    if f.lfs {
        let folder = format!("{}--{}", rt.plural(), id.replace('/', "--"));
        let loc = format!("{}/repos/{folder}/{}?expires=9999999999&sig=fake", st.cdn_url, f.sha256);
        Response::builder()
            .status(302)
            .header(header::LOCATION, loc)
            .header("x-repo-commit", &commit.id)
            .header("x-linked-etag", format!("\"{}\"", f.sha256))
            .header("x-linked-size", f.size.to_string())
            .header(header::ETAG, format!("\"{}\"", f.oid))
            .header(header::CONTENT_LENGTH, "0")
            .body(Body::empty())
            .unwrap()
    } else {
        let loc =
            format!("/api/resolve-cache/{}/{id}/{}/{}?etag=%22{}%22", rt.plural(), commit.id, encode_path(path), f.oid);
        Response::builder()
            .status(307)
            .header(header::LOCATION, loc)
            .header("x-repo-commit", &commit.id)
            .header(header::ETAG, format!("\"{}\"", f.oid))
            .header(header::CONTENT_LENGTH, "0")
            .body(Body::empty())
            .unwrap()
    }
}

fn resolve_cache(st: &Shared, ctx: &Ctx, req: &Request, rt: RepoType, id: &str, commit: &str, path: &str) -> Response {
    let (c, _) = match lookup(st, ctx, rt, id, commit) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(f) = c.files.get(path).cloned() else {
        return error(404, Some("EntryNotFound"), "Entry not found");
    };
    if let Some(r) = gate(st, ctx, rt, id, path) {
        return r;
    }
    serve_file(
        st,
        ctx,
        req.method(),
        req.headers(),
        &f,
        vec![("x-repo-commit", c.id.clone()), (header::ETAG.as_str(), format!("\"{}\"", f.oid))],
    )
}

/// Parse a single `bytes=` range against `size`: Ok(None) = whole, Err = unsatisfiable.
fn parse_range(h: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(r) = header_str(h, header::RANGE) else { return Ok(None) };
    let Some(spec) = r.trim().strip_prefix("bytes=") else { return Ok(None) };
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| ())?;
        (size.saturating_sub(n), size.saturating_sub(1))
    } else {
        let s: u64 = a.parse().map_err(|_| ())?;
        let e: u64 = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            b.parse::<u64>().map_err(|_| ())?.min(size.saturating_sub(1))
        };
        (s, e)
    };
    if start >= size || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

fn serve_file(
    st: &Shared,
    ctx: &Ctx,
    method: &Method,
    h: &HeaderMap,
    f: &StoredFile,
    extra: Vec<(&str, String)>,
) -> Response {
    let (status, start, len, content_range) = match parse_range(h, f.size) {
        Ok(None) => (200, 0, f.size, None),
        Ok(Some((s, e))) => (206, s, e - s + 1, Some(format!("bytes {s}-{e}/{}", f.size))),
        Err(()) => {
            return Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{}", f.size))
                .body(Body::empty())
                .unwrap();
        }
    };
    let mut b = Response::builder()
        .status(status)
        .header(header::CONTENT_LENGTH, len.to_string())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_TYPE, "application/octet-stream");
    if let Some(cr) = content_range {
        b = b.header(header::CONTENT_RANGE, cr);
    }
    for (k, v) in extra {
        b = b.header(k, v);
    }
    if method == Method::HEAD {
        return b.body(Body::empty()).unwrap();
    }
    let rate = st.bandwidth.load(Ordering::SeqCst);
    let stream = body_stream(f.source.clone(), start, len, rate, ctx.drop_after, ctx.counter.clone());
    b.body(Body::from_stream(stream)).unwrap()
}

struct StreamState {
    source: FileSource,
    file: Option<std::fs::File>,
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
        if let Some(limit) = s.drop_after
            && s.sent >= limit
        {
            // Abort mid-body: the client sees a broken connection, not a clean end.
            return Some((
                Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected drop")),
                StreamState { pos: s.end, ..s },
            ));
        }
        let mut n = (s.end - s.pos).min(64 * 1024);
        if let Some(limit) = s.drop_after {
            n = n.min(limit - s.sent).max(1);
        }
        if s.rate > 0 {
            let due = s.started + Duration::from_secs_f64((s.sent + n) as f64 / s.rate as f64);
            tokio::time::sleep_until(due.into()).await;
        }
        let chunk = match &s.source {
            FileSource::Bytes(b) => b.slice(s.pos as usize..(s.pos + n) as usize),
            FileSource::Path(p) => {
                use std::os::unix::fs::FileExt;
                if s.file.is_none() {
                    match std::fs::File::open(p) {
                        Ok(f) => s.file = Some(f),
                        Err(e) => return Some((Err(e), StreamState { pos: s.end, ..s })),
                    }
                }
                let mut buf = vec![0u8; n as usize];
                if let Err(e) = s.file.as_ref().unwrap().read_exact_at(&mut buf, s.pos) {
                    return Some((Err(e), StreamState { pos: s.end, ..s }));
                }
                Bytes::from(buf)
            }
        };
        s.pos += n;
        s.sent += n;
        s.counter.fetch_add(n, Ordering::Relaxed);
        Some((Ok(chunk), s))
    })
}
