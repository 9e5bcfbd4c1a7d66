// ---------------------------------------------------------------------------------------------
// The server

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;

use super::http::{cdn_handler, hub_handler};
use super::storage::{Repo, StoredFile, make_commit, store_files};
use super::uploads::PartUpload;
use super::{Fault, FileInfo, FileSource, LoggedRequest, RepoSpec, RepoType, UserSpec};

#[derive(Default)]
pub(super) struct Inner {
    pub(super) repos: HashMap<(RepoType, String), Repo>,
    pub(super) users: HashMap<String, UserSpec>,
    pub(super) faults: Vec<Fault>,
    pub(super) log: Vec<LoggedRequest>,
    /// sha256 -> LFS file, served by the CDN.
    pub(super) cdn: HashMap<String, StoredFile>,
    pub(super) commit_counter: u64,
    /// Multipart uploads in progress, by sha256.
    pub(super) parts: HashMap<String, PartUpload>,
    /// LFS objects larger than this are uploaded in parts of this size (0 = 16 MiB).
    pub(super) lfs_chunk_size: u64,
    /// When the LFS batch API answers `"transfer": "xet"`.
    pub(super) xet: XetMode,
    /// The `transfers` list of every LFS upload batch request, in order.
    pub(super) lfs_offers: Vec<Vec<String>>,
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

pub(super) struct Shared {
    inner: Mutex<Inner>,
    pub(super) hub_url: String,
    pub(super) cdn_url: String,
    pub(super) bandwidth: AtomicU64,
    pub(super) page_size: AtomicUsize,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
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
                    // TCP_NODELAY, as real front ends set it: without it a response's body waits
                    // for the client's delayed ACK of the headers (Nagle), 40 ms per file.
                    use axum::serve::ListenerExt;
                    let nodelay = |t: &mut tokio::net::TcpStream| {
                        let _ = t.set_nodelay(true);
                    };
                    let (hub, cdn) = (hub.tap_io(nodelay), cdn.tap_io(nodelay));
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
