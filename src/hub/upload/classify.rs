//! Which local files an upload takes (a file, a folder with include/exclude globs) and their
//! hashes (sha256 and git-blob sha1, streamed in parallel).

use super::*;

/// One local file, hashed.
#[derive(Debug, Clone)]
pub(super) struct LocalFile {
    pub(super) disk: PathBuf,
    pub(super) path: String,
    pub(super) size: u64,
    pub(super) sha256: String,
    /// Empty for files over [`REGULAR_MAX`], which are always LFS.
    pub(super) git_oid: String,
    pub(super) sample: Vec<u8>,
}

pub(super) fn local_error(path: &Path, reason: impl Into<String>) -> HubError {
    HubError::LocalPath { path: path.to_path_buf(), reason: reason.into() }
}

/// The files to upload with their paths in the repository and sizes.
pub(super) fn collect(req: &UploadRequest) -> Result<Vec<(PathBuf, String, u64)>> {
    let meta = fs_err::metadata(&req.local).map_err(|e| local_error(&req.local, e.to_string()))?;
    let dest = req.path_in_repo.clone().unwrap_or_default();
    let dest = dest.trim_matches('/');
    let mut out = Vec::new();
    if meta.is_file() {
        let name = req.local.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let path = if dest.is_empty() {
            name
        } else if req.path_in_repo.as_deref().is_some_and(|p| p.ends_with('/')) {
            format!("{dest}/{name}")
        } else {
            dest.to_string()
        };
        out.push((req.local.clone(), path));
    } else {
        let include = crate::hub::fnmatch_globs(&req.include)?;
        let exclude = crate::hub::fnmatch_globs(&req.exclude)?;
        let mut stack = vec![req.local.clone()];
        while let Some(dir) = stack.pop() {
            for entry in fs_err::read_dir(&dir).map_err(|e| local_error(&dir, e.to_string()))? {
                let entry = entry.map_err(|e| local_error(&dir, e.to_string()))?;
                let p = entry.path();
                let rel = p.strip_prefix(&req.local).unwrap_or(&p).to_string_lossy().replace('\\', "/");
                let ft = entry.file_type().map_err(|e| local_error(&p, e.to_string()))?;
                if ft.is_dir() {
                    // Never publish git internals or hfx/huggingface_hub bookkeeping.
                    if rel != ".git" && rel != ".cache/huggingface" && rel != ".cache" {
                        stack.push(p);
                    }
                    continue;
                }
                if include.as_ref().is_some_and(|g| !g.is_match(&rel))
                    || exclude.as_ref().is_some_and(|g| g.is_match(&rel))
                {
                    continue;
                }
                let path = if dest.is_empty() { rel } else { format!("{dest}/{rel}") };
                out.push((p, path));
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1));
    }
    let mut sized = Vec::with_capacity(out.len());
    for (disk, path) in out {
        validate_repo_path(&path)?;
        let size = fs_err::metadata(&disk).map_err(|e| local_error(&disk, e.to_string()))?.len();
        if size > MAX_FILE_SIZE {
            return Err(local_error(
                &disk,
                format!("{size} bytes is over the Hub's per-file limit of 200 GB; split it into shards"),
            ));
        }
        sized.push((disk, path, size));
    }
    Ok(sized)
}

/// sha256, git blob sha1 and the 512-byte sample of every file, on all cores, streaming.
pub(super) fn hash_all(files: Vec<(PathBuf, String, u64)>, reporter: &dyn UploadReporter) -> Result<Vec<LocalFile>> {
    let total: u64 = files.iter().map(|(_, _, size)| size).sum();
    reporter.hashing(files.len(), total);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(files.len()));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(files.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((disk, path, size)) = files.get(i) else { break };
                    let size = *size;
                    let r = (|| -> std::io::Result<LocalFile> {
                        let mut f = fs_err::File::open(disk)?;
                        let mut s256 = sha2::Sha256::new();
                        // The git blob id only matters for files small enough to be committed
                        // inline; skipping it halves the hashing of large LFS files.
                        let mut s1 = (size <= REGULAR_MAX).then(sha1::Sha1::new);
                        if let Some(s1) = s1.as_mut() {
                            s1.update(format!("blob {size}\0").as_bytes());
                        }
                        let mut sample = Vec::new();
                        let mut seen = 0u64;
                        loop {
                            let n = f.read(&mut buf)?;
                            if n == 0 {
                                break;
                            }
                            if sample.len() < 512 {
                                sample.extend_from_slice(&buf[..n.min(512 - sample.len())]);
                            }
                            s256.update(&buf[..n]);
                            if let Some(s1) = s1.as_mut() {
                                s1.update(&buf[..n]);
                            }
                            seen += n as u64;
                            reporter.hashed(n as u64);
                        }
                        if seen != size {
                            return Err(std::io::Error::other("the file changed while it was read"));
                        }
                        Ok(LocalFile {
                            disk: disk.clone(),
                            path: path.clone(),
                            size,
                            sha256: hex::encode(s256.finalize()),
                            git_oid: s1.map(|h| hex::encode(h.finalize())).unwrap_or_default(),
                            sample,
                        })
                    })()
                    .map_err(|e| local_error(disk, e.to_string()));
                    results.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(r);
                }
            });
        }
    });
    let mut out = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
