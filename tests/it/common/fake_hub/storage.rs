// ---------------------------------------------------------------------------------------------
// Storage and git hashing

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use sha1::Digest as _;

use super::{FileInfo, FileSource, RepoSpec};

#[derive(Debug, Clone)]
pub(super) struct StoredFile {
    pub(super) source: FileSource,
    pub(super) size: u64,
    pub(super) sha256: String,
    pub(super) oid: String,
    pub(super) lfs: bool,
}

impl StoredFile {
    pub(super) fn pointer_size(&self) -> u64 {
        lfs_pointer(&self.sha256, self.size).len() as u64
    }
    pub(super) fn info(&self) -> FileInfo {
        FileInfo { size: self.size, sha256: self.sha256.clone(), oid: self.oid.clone(), lfs: self.lfs }
    }
}

#[derive(Debug)]
pub(super) struct Commit {
    pub(super) id: String,
    pub(super) parent: Option<String>,
    pub(super) message: String,
    pub(super) files: BTreeMap<String, StoredFile>,
    /// Directory path (`""` = root) -> git tree id.
    pub(super) trees: BTreeMap<String, String>,
    pub(super) ts: u64,
    pub(super) date: String,
}

#[derive(Debug)]
pub(super) struct Repo {
    pub(super) spec: RepoSpec,
    pub(super) branches: BTreeMap<String, String>,
    pub(super) tags: BTreeMap<String, String>,
    pub(super) commits: HashMap<String, Arc<Commit>>,
    /// Commit ids in creation order.
    pub(super) order: Vec<String>,
}

impl Repo {
    pub(super) fn namespace(&self) -> &str {
        self.spec.id.split('/').next().unwrap_or("")
    }
    pub(super) fn head(&self) -> Arc<Commit> {
        self.commits[&self.branches["main"]].clone()
    }
    pub(super) fn last_modified(&self) -> Arc<Commit> {
        self.order
            .iter()
            .filter_map(|c| self.commits.get(c))
            .max_by_key(|c| c.ts)
            .cloned()
            .unwrap_or_else(|| self.head())
    }
    pub(super) fn resolve(&self, rev: &str) -> Option<Arc<Commit>> {
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
            let mut f = fs_err::File::open(p).unwrap();
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
pub(super) fn store_files(files: Vec<(String, FileSource)>) -> Vec<(String, StoredFile)> {
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

pub(super) fn make_commit(files: BTreeMap<String, StoredFile>, parent: Option<&str>, message: &str, n: u64) -> Commit {
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
