//! One file of a commit: `Downloader::file` (huggingface_hub's `hf_hub_download`) and the step
//! every download shares, making a listed file present in the cache or a local folder.

use super::*;

impl Downloader<'_> {
    /// Download one file (huggingface_hub's `hf_hub_download`) and return its path.
    pub async fn file(
        &self,
        repo: &RepoId,
        revision: &str,
        path: &str,
        local_dir: Option<&Path>,
        dry_run: bool,
    ) -> Result<DownloadOutcome> {
        validate_repo_path(path)?;
        let rc = self.cache.repo(repo);
        let single = |p: PathBuf, commit: String, etag: String, size: u64, status| DownloadOutcome {
            path: p,
            repo_id: repo.id.clone(),
            repo_type: repo.repo_type.as_str().to_string(),
            revision: revision.to_string(),
            commit,
            files: vec![FileOutcome { path: path.to_string(), size, etag, status }],
            downloaded_bytes: self.downloaded.load(Ordering::Relaxed),
            total_files: 1,
        };
        let from_cache = |offline: bool| -> Result<DownloadOutcome> {
            let missing = || HubError::LocalEntryNotFound {
                repo: repo.id.clone(),
                revision: revision.into(),
                path: path.into(),
                offline,
            };
            if let Some(dir) = local_dir {
                let p = dir.join(path);
                return if p.exists() {
                    Ok(single(p, String::new(), String::new(), 0, FileState::Cached))
                } else {
                    Err(missing())
                };
            }
            let commit = rc.resolve_revision(revision).ok_or_else(missing)?;
            let p = rc.snapshot_file(&commit, path);
            if p.exists() {
                let size = fs_err::metadata(&p).map(|m| m.len()).unwrap_or(0);
                let etag = rc
                    .blob_of(&p)
                    .and_then(|b| b.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_default();
                Ok(single(p, commit, etag, size, FileState::Cached))
            } else {
                Err(missing())
            }
        };
        if self.client.is_offline() {
            return from_cache(true);
        }
        if is_commit_hash(revision)
            && !self.opts.force
            && local_dir.is_none()
            && rc.snapshot_file(revision, path).exists()
            && !dry_run
        {
            return from_cache(false);
        }
        let meta = match self.client.file_metadata(repo, revision, path, self.reporter).await {
            Ok(m) => m,
            Err(HubError::EntryNotFound { .. }) => {
                if let Some(commit) = self.client.entry_missing_commit(repo, revision, path).await
                    && local_dir.is_none()
                {
                    rc.mark_no_exist(&commit, path);
                    let _ = rc.write_ref(revision, &commit);
                }
                return Err(HubError::EntryNotFound {
                    repo: repo.id.clone(),
                    revision: revision.into(),
                    path: path.into(),
                });
            }
            Err(e) if e.is_transient() => {
                return match from_cache(false) {
                    Ok(out) => {
                        self.client.warn_fallback(self.reporter, &e, "the cached file");
                        Ok(out)
                    }
                    Err(_) => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        if dry_run {
            let present = match local_dir {
                Some(dir) => local_up_to_date(&local_paths(dir, path), &meta.etag),
                None => rc.snapshot_file(&meta.commit, path).exists(),
            };
            let status = if present && !self.opts.force { FileState::Cached } else { FileState::Planned };
            let p = local_dir.map_or_else(|| rc.snapshot_file(&meta.commit, path), |d| d.join(path));
            return Ok(single(p, meta.commit, meta.etag, meta.size, status));
        }
        if local_dir.is_none() {
            self.cache.ensure_root()?;
            rc.write_ref(revision, &meta.commit)?;
        }
        self.reporter.start(1, meta.size);
        let outcome = self
            .fetch_known(
                repo,
                &rc,
                &meta.commit,
                Remote { path, etag: &meta.etag, size: meta.size },
                local_dir,
                Some(meta.location.clone()),
            )
            .await?;
        self.reporter.finish();
        let p = local_dir.map_or_else(|| rc.snapshot_file(&meta.commit, path), |d| d.join(path));
        let mut out = single(p, meta.commit, meta.etag, meta.size, outcome.status);
        out.downloaded_bytes = self.downloaded.load(Ordering::Relaxed);
        Ok(out)
    }

    /// Make `file` at `commit` present, downloading its blob unless cached.
    pub(super) async fn fetch_known(
        &self,
        repo: &RepoId,
        rc: &RepoCache,
        commit: &str,
        file: Remote<'_>,
        local_dir: Option<&Path>,
        location: Option<Url>,
    ) -> Result<FileOutcome> {
        let Remote { path, etag, size } = file;
        let done = |status| FileOutcome { path: path.to_string(), size, etag: etag.to_string(), status };
        if let Some(dir) = local_dir {
            let lp = local_paths(dir, path);
            if !self.opts.force && local_up_to_date(&lp, etag) {
                self.reporter.progress(path, size);
                return Ok(done(FileState::Cached));
            }
            ensure_local_meta_dir(&self.dirs, &lp.meta_dir)?;
            if let Some(parent) = lp.file.parent() {
                self.dirs.ensure(parent).map_err(|e| HubError::io(parent, e))?;
            }
            let blob = rc.blob_path(etag);
            let status = if blob.is_file() && !self.opts.force {
                // Already in the shared cache: copy instead of downloading again.
                tracing::debug!("{path}: copying the cached blob into {}", lp.file.display());
                let tmp = crate::cache::tmp_sibling(&lp.file);
                fs_err::copy(&blob, &tmp).map_err(|e| HubError::io(&tmp, e))?;
                fs_err::rename(&tmp, &lp.file).map_err(|e| HubError::io(&lp.file, e))?;
                self.reporter.progress(path, size);
                FileState::Cached
            } else {
                let url = location.map_or_else(|| self.client.resolve_url(repo, commit, path), Ok)?;
                let files = BlobFiles { partial: lp.partial.clone(), lock: lp.lock.clone(), dest: lp.file.clone() };
                self.download_blob(url, file, files, true).await?
            };
            if let Some(parent) = lp.metadata.parent() {
                self.dirs.ensure(parent).map_err(|e| HubError::io(parent, e))?;
            }
            atomic_write(&lp.metadata, format!("{commit}\n{etag}\n{}\n", now_secs()).as_bytes())?;
            return Ok(done(status));
        }
        // A snapshot folder this run created holds no earlier run's files: probing each file in
        // it only costs a failing stat.
        let new_snapshot = self.dirs.created(&rc.snapshot_dir(commit));
        if !self.opts.force && !new_snapshot && rc.snapshot_file(commit, path).exists() {
            tracing::debug!("{path}: already in snapshot {commit}");
            self.reporter.progress(path, size);
            return Ok(done(FileState::Cached));
        }
        let (blobs, blob) = (rc.blobs_dir(), rc.blob_path(etag));
        // Likewise a new `blobs/`; the check under the blob's lock in `download_blob` still
        // catches a blob that a concurrent process, or an identical file of this snapshot, made.
        let new_blobs = self.dirs.ensure(&blobs).map_err(|e| HubError::io(&blobs, e))?;
        let status = if !self.opts.force && !new_blobs && blob.is_file() {
            tracing::debug!("{path}: blob {etag} already cached (another revision or file has it), linking it");
            self.reporter.progress(path, size);
            FileState::Cached
        } else {
            let url = location.map_or_else(|| self.client.resolve_url(repo, commit, path), Ok)?;
            let files = BlobFiles { partial: rc.incomplete_path(etag), lock: rc.lock_path(etag), dest: blob };
            self.download_blob(url, file, files, self.opts.force).await?
        };
        // Off the task, like the blob's own steps (`blocking`).
        let link = {
            let (rc, commit, path, etag) = (rc.clone(), commit.to_owned(), path.to_owned(), etag.to_owned());
            move || Ok(rc.link_snapshot_file(&commit, &path, &etag)?)
        };
        blocking(&rc.snapshot_file(commit, path), link).await?;
        Ok(done(status))
    }
}
