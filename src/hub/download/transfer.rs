//! Moving a blob's bytes: one lock per blob, parallel Range chunks into the part file with
//! retries, the hash checked while it streams, then the rename into place.

use super::part::{Hasher, Part, state_path_of};
use super::*;

const RANGE_IGNORED: &str = "server ignored the Range header";
const REDIRECTED: &str = "redirected";
const WRITE_BUFFER: usize = 256 << 10;

impl DownloadOptions {
    fn chunk_size_for(&self, size: u64) -> u64 {
        if size >= self.chunk_threshold { self.chunk_size.max(1 << 20) } else { size.max(1) }
    }
}

impl Downloader<'_> {
    /// Download `file` into `files.partial` under `files.lock`, verify, and rename to `files.dest`.
    pub(super) async fn download_blob(
        &self,
        url: Url,
        file: Remote<'_>,
        files: BlobFiles,
        force: bool,
    ) -> Result<FileState> {
        let Remote { path: label, etag, size } = file;
        let BlobFiles { partial, lock, dest } = files;
        if let Some(parent) = partial.parent() {
            self.dirs.ensure(parent).map_err(|e| HubError::io(parent, e))?;
        }
        let state_path = state_path_of(&partial);
        let chunk_size = self.opts.chunk_size_for(size);
        let opened = blocking(&partial, {
            let (partial, state_path, dest) = (partial.clone(), state_path.clone(), dest.clone());
            move || {
                // Wait for a concurrent download of the same blob (another process, or an
                // identical file of this snapshot), then see whether it made the blob.
                let guard = FileLock::acquire(&lock)?;
                if dest.is_file() && !force {
                    return Ok(None);
                }
                let part = Part::open(&partial, &state_path, size, chunk_size, force)
                    .map_err(|e| HubError::io(&partial, e))?;
                Ok(Some((guard, part)))
            }
        })
        .await?;
        let Some((guard, part)) = opened else {
            tracing::debug!("{label}: made by a concurrent download meanwhile");
            self.reporter.progress(label, size);
            return Ok(FileState::Cached);
        };
        let part = Arc::new(part);
        let already = part.prefix_total();
        tracing::debug!("{label}: downloading {size} bytes into {} ({already} already there)", partial.display());
        self.reporter.file_start(label, size, already);
        self.reporter.progress(label, already);

        let kind = EtagKind::of(etag);
        let hasher = Hasher::spawn(part.clone(), kind);
        let result = self.transfer(url, label, &part).await;
        let digest = match result {
            Ok(()) => {
                part.finished.store(true, Ordering::Release);
                hasher.join()
            }
            Err(e) => {
                part.aborted.store(true, Ordering::Release);
                let _ = hasher.join();
                return Err(e);
            }
        };
        // Closes the part's files (before the rename, for Windows) and removes its state. Small
        // files have none: removing it anyway was a failing unlink per file. The state goes
        // before its partial, so no state is ever left without one (`Part::open`).
        let close = move || {
            let had_state = part.state.is_some();
            drop(part);
            if had_state {
                let _ = fs_err::remove_file(&state_path);
            }
        };
        let checked =
            if digest.is_some() { "checksum verified" } else { "no checksum to verify (the ETag is not a hash)" };
        if let Some(actual) = digest
            && actual != etag
        {
            close();
            let _ = fs_err::remove_file(&partial);
            return Err(HubError::ChecksumMismatch { path: label.to_string(), expected: etag.to_string(), actual });
        }
        let target = dest.clone();
        blocking(&target, move || {
            close();
            fs_err::rename(&partial, &dest).map_err(|e| HubError::io(&dest, e))?;
            drop(guard);
            Ok(())
        })
        .await?;
        tracing::debug!("{label}: {checked}, stored as {}", target.display());
        self.reporter.file_done(label);
        Ok(FileState::Downloaded)
    }

    /// Fetch every missing byte of `part` from `url`.
    async fn transfer(&self, url: Url, label: &str, part: &Arc<Part>) -> Result<()> {
        if part.size == 0 {
            return Ok(());
        }
        // Several connections: resolve the Hub URL to its final location (the CDN for LFS
        // files) once, instead of once per connection.
        let url = if part.chunks() > 1 && self.client.is_hub_url(&url) { self.locate(url).await? } else { url };
        let location = Arc::new(tokio::sync::Mutex::new(url));
        let pending: Vec<usize> = (0..part.chunks()).filter(|&i| !part.chunk_complete(i)).collect();
        if pending.is_empty() {
            return Ok(());
        }
        let queue = Arc::new(std::sync::Mutex::new(std::collections::VecDeque::from(pending)));
        let workers = self.opts.connections_per_file.max(1).min(queue.lock().map(|q| q.len()).unwrap_or(1));
        let run = futures::future::try_join_all((0..workers).map(|_| {
            let queue = queue.clone();
            let location = location.clone();
            async move {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(i) = next else { return Ok::<(), HubError>(()) };
                    self.fetch_chunk(&location, label, part, i).await?;
                }
            }
        }))
        .await;
        match run {
            Ok(_) => Ok(()),
            Err(HubError::InvalidResponse { reason, .. }) if reason == RANGE_IGNORED => {
                // The server ignores Range: one plain stream from the start.
                self.reporter.warn("the server ignores HTTP Range requests; downloading in one stream");
                part.reset();
                self.fetch_chunk(&location, label, part, usize::MAX).await
            }
            Err(e) => Err(e),
        }
    }

    /// Where the bytes behind a Hub resolve URL are: the redirect target on another origin, or
    /// the final same-origin URL.
    async fn locate(&self, url: Url) -> Result<Url> {
        let ctx = crate::hub::client::ErrorContext::default();
        let resp = self
            .client
            .send(
                || {
                    Ok(self
                        .client
                        .request(Method::HEAD, url.clone())?
                        .header(reqwest::header::ACCEPT_ENCODING, "identity"))
                },
                &ctx,
                self.reporter,
            )
            .await?;
        if resp.status().is_redirection() {
            return redirect_target(&resp).ok_or_else(|| HubError::InvalidResponse {
                url: url.to_string(),
                reason: "redirect without Location".into(),
            });
        }
        Ok(resp.url().clone())
    }

    /// Fetch chunk `i` (or, with `usize::MAX`, the whole file in one stream), resuming at
    /// the bytes already on disk and retrying transient failures.
    async fn fetch_chunk(&self, location: &tokio::sync::Mutex<Url>, label: &str, part: &Part, i: usize) -> Result<()> {
        let whole = i == usize::MAX;
        let (start, end) = if whole { (0, part.size) } else { part.bounds(i) };
        let mut failures = 0u32;
        loop {
            let offset = if whole { 0 } else { start + part.done[i].load(Ordering::Acquire) };
            if offset >= end {
                return Ok(());
            }
            let url = location.lock().await.clone();
            let permit = self
                .connections
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| HubError::InvalidResponse { url: url.to_string(), reason: "shutting down".into() })?;
            let mut req = self.client.request(Method::GET, url.clone())?;
            if !whole {
                req = req.header(reqwest::header::RANGE, format!("bytes={offset}-{}", end - 1));
            }
            let before = part.prefix_total_quick(i, whole);
            let attempt: Result<()> = async {
                let resp = req.send().await.map_err(|e| HubError::Network { url: url.to_string(), source: e })?;
                let status = resp.status();
                tracing::debug!("GET {url} bytes {offset}-{} -> {}", end.max(1) - 1, status.as_u16());
                if status.is_redirection() {
                    // Cross-origin redirect (the LFS CDN): fetch there, without the token.
                    let loc = redirect_target(&resp).ok_or_else(|| HubError::InvalidResponse {
                        url: url.to_string(),
                        reason: "redirect without Location".into(),
                    })?;
                    *location.lock().await = loc;
                    return Err(HubError::InvalidResponse { url: url.to_string(), reason: REDIRECTED.into() });
                }
                if !status.is_success() {
                    let ra = retry_after(&resp);
                    let err = map_error(resp, &Default::default()).await;
                    if let Some(ra) = ra {
                        return Err(HubError::Http {
                            status: status.as_u16(),
                            url: url.to_string(),
                            message: format!("retry after {}s", ra.as_secs_f64()),
                            request_id: None,
                        });
                    }
                    return Err(err);
                }
                if !whole && status != StatusCode::PARTIAL_CONTENT {
                    if offset == 0 && end == part.size {
                        // A full 200 answers a full-file range: fine.
                    } else {
                        return Err(HubError::InvalidResponse { url: url.to_string(), reason: RANGE_IGNORED.into() });
                    }
                }
                if whole {
                    part.reset();
                }
                let mut stream = resp.bytes_stream();
                let mut buf: Vec<u8> = Vec::with_capacity(WRITE_BUFFER);
                let mut pos = offset;
                let mut stream_err = None;
                while let Some(item) = stream.next().await {
                    let bytes = match item {
                        Ok(b) => b,
                        Err(e) => {
                            // Keep what arrived before the failure: the retry resumes after it.
                            stream_err = Some(HubError::Network { url: url.to_string(), source: e });
                            break;
                        }
                    };
                    let room = (end - pos - buf.len() as u64) as usize;
                    buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
                    if buf.len() >= WRITE_BUFFER {
                        part.write(pos, &buf, if whole { None } else { Some(i) })
                            .map_err(|e| HubError::io(&part.path, e))?;
                        self.note_progress(label, buf.len() as u64);
                        pos += buf.len() as u64;
                        buf.clear();
                    }
                    if pos + buf.len() as u64 >= end {
                        break;
                    }
                }
                if !buf.is_empty() {
                    part.write(pos, &buf, if whole { None } else { Some(i) })
                        .map_err(|e| HubError::io(&part.path, e))?;
                    self.note_progress(label, buf.len() as u64);
                    pos += buf.len() as u64;
                }
                if let Some(e) = stream_err {
                    return Err(e);
                }
                if pos < end {
                    return Err(HubError::InvalidResponse {
                        url: url.to_string(),
                        reason: format!("connection closed after {} of {} bytes", pos - offset, end - offset),
                    });
                }
                Ok(())
            }
            .await;
            drop(permit);
            match attempt {
                Ok(()) => return Ok(()),
                Err(HubError::InvalidResponse { reason, .. }) if reason == REDIRECTED => continue,
                Err(e) => {
                    let transient = e.is_transient()
                        || matches!(&e, HubError::InvalidResponse { reason, .. } if reason.starts_with("connection closed"));
                    let progressed = part.prefix_total_quick(i, whole) > before;
                    if progressed {
                        failures = 0;
                    }
                    if !transient || failures >= self.client.options().max_retries {
                        return Err(e);
                    }
                    let wait = match &e {
                        HubError::Http { message, .. } if message.starts_with("retry after ") => message
                            .trim_start_matches("retry after ")
                            .trim_end_matches('s')
                            .parse::<f64>()
                            .ok()
                            .map(Duration::from_secs_f64),
                        _ => None,
                    };
                    let wait = if progressed && wait.is_none() {
                        Duration::from_millis(50)
                    } else {
                        self.client.backoff(failures, wait)
                    };
                    self.reporter.warn(&format!("{label}: {e}; retrying in {:.1}s", wait.as_secs_f64()));
                    tokio::time::sleep(wait).await;
                    failures += 1;
                }
            }
        }
    }

    fn note_progress(&self, label: &str, n: u64) {
        self.downloaded.fetch_add(n, Ordering::Relaxed);
        self.reporter.progress(label, n);
    }
}
