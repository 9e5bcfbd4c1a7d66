//! LFS objects to the Hub: the batch API, then a single PUT (`basic`) or parallel part PUTs
//! (`multipart`) and `verify`.

use super::*;

#[derive(Debug, Deserialize)]
struct LfsAction {
    href: String,
    #[serde(default)]
    header: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
struct LfsActions {
    upload: Option<LfsAction>,
    verify: Option<LfsAction>,
}

#[derive(Debug, Deserialize)]
struct LfsError {
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct LfsObject {
    oid: String,
    #[serde(default)]
    actions: Option<LfsActions>,
    #[serde(default)]
    error: Option<LfsError>,
}

#[derive(Debug, Deserialize)]
struct LfsBatchResponse {
    /// `basic`, `multipart` or `xet`; absent means `basic`.
    #[serde(default)]
    transfer: Option<String>,
    #[serde(default)]
    objects: Vec<LfsObject>,
}

impl Uploader<'_> {
    /// Upload the LFS objects the Hub does not have yet. When the Hub answers with the Xet
    /// transfer nothing is sent here: the commit goes through [`Self::commit_xet`].
    pub(super) async fn push_lfs(&self, repo: &RepoId, revision: &str, files: &[&LocalFile]) -> Result<Transfer> {
        let offered = offered_transfers(self.opts.xet);
        for chunk in files.chunks(256) {
            let url =
                self.client.url(&format!("{}{}.git/info/lfs/objects/batch", repo.repo_type.url_prefix(), repo.id))?;
            let body = serde_json::json!({
                "operation": "upload",
                "transfers": offered,
                "objects": chunk.iter().map(|f| serde_json::json!({"oid": f.sha256, "size": f.size})).collect::<Vec<_>>(),
                "hash_algo": "sha256",
                "ref": {"name": revision},
            });
            let ctx = self.ctx(repo, revision);
            let resp = self
                .client
                .send(
                    || {
                        Ok(self
                            .client
                            .request(Method::POST, url.clone())?
                            .header(reqwest::header::ACCEPT, LFS_MEDIA)
                            .header(reqwest::header::CONTENT_TYPE, LFS_MEDIA)
                            .body(body.to_string()))
                    },
                    &ctx,
                    self.reporter,
                )
                .await?;
            let batch: LfsBatchResponse = HubClient::json(resp).await?;
            if chosen_transfer(batch.transfer.as_deref(), offered, repo)? == Transfer::Xet {
                return Ok(Transfer::Xet);
            }
            let by_oid: HashMap<&str, &LocalFile> = chunk.iter().map(|f| (f.sha256.as_str(), *f)).collect();
            let mut jobs = Vec::new();
            for obj in batch.objects {
                let Some(file) = by_oid.get(obj.oid.as_str()).copied() else { continue };
                if let Some(e) = obj.error {
                    return Err(HubError::InvalidResponse {
                        url: url.to_string(),
                        reason: format!("`{}`: {}", file.path, e.message),
                    });
                }
                match obj.actions {
                    Some(actions) => jobs.push((file, actions)),
                    // Already stored: nothing to send.
                    None => self.reporter.uploaded(file.size),
                }
            }
            futures::stream::iter(jobs)
                .map(|(file, actions)| self.push_object(file, actions))
                .buffer_unordered(self.opts.max_workers.max(1))
                .try_collect::<Vec<()>>()
                .await?;
        }
        Ok(Transfer::Lfs)
    }

    async fn push_object(&self, file: &LocalFile, actions: LfsActions) -> Result<()> {
        if let Some(upload) = actions.upload {
            let header = upload.header.unwrap_or_default();
            match object_upload(&header) {
                ObjectUpload::Parts { chunk } => self.multipart(file, &upload.href, chunk, &header).await?,
                ObjectUpload::Single => self.basic(file, &upload.href, &header).await?,
            }
        }
        if let Some(verify) = actions.verify {
            let url = parse_url(&verify.href)?;
            let body = serde_json::json!({"oid": file.sha256, "size": file.size});
            let headers = verify.header.unwrap_or_default();
            self.client
                .send(
                    || {
                        let mut r = self
                            .client
                            .request(Method::POST, url.clone())?
                            .header(reqwest::header::CONTENT_TYPE, LFS_MEDIA)
                            .body(body.to_string());
                        r = with_headers(r, &headers);
                        Ok(r)
                    },
                    &ErrorContext::default(),
                    self.reporter,
                )
                .await?;
        }
        Ok(())
    }

    /// Read `len` bytes at `offset` (a part, or the whole small file).
    pub(super) fn read_range(file: &LocalFile, offset: u64, len: u64) -> Result<Vec<u8>> {
        use std::io::{Seek, SeekFrom};
        let io = |e: std::io::Error| local_error(&file.disk, e.to_string());
        let mut f = fs_err::File::open(&file.disk).map_err(io)?;
        f.seek(SeekFrom::Start(offset)).map_err(io)?;
        // `read_to_end` into reserved capacity: no zero-filling of a buffer about to be
        // overwritten (measurable at 16 MiB parts, 1 GiB per GiB uploaded).
        let mut buf = Vec::with_capacity(len as usize);
        f.take(len).read_to_end(&mut buf).map_err(io)?;
        if buf.len() as u64 != len {
            return Err(local_error(&file.disk, "the file got shorter while it was uploaded"));
        }
        Ok(buf)
    }

    /// PUT with retries; returns the response's ETag.
    async fn put(
        &self,
        url: &Url,
        data: bytes::Bytes,
        header: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Option<String>> {
        let resp = self
            .client
            .send(
                || {
                    let mut r = self.client.request(Method::PUT, url.clone())?.body(data.clone());
                    r = with_headers(r, header);
                    Ok(r)
                },
                &ErrorContext::default(),
                self.reporter,
            )
            .await?;
        let etag = resp.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_string);
        self.sent.fetch_add(data.len() as u64, Ordering::Relaxed);
        self.reporter.uploaded(data.len() as u64);
        Ok(etag)
    }

    async fn basic(
        &self,
        file: &LocalFile,
        href: &str,
        header: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<()> {
        let url = parse_url(href)?;
        // Streamed from disk so memory stays flat whatever the size; re-opened on each retry.
        self.client
            .send(
                || {
                    let f = fs_err::File::open(&file.disk).map_err(|e| local_error(&file.disk, e.to_string()))?;
                    let mut r = self
                        .client
                        .request(Method::PUT, url.clone())?
                        .header(reqwest::header::CONTENT_LENGTH, file.size)
                        .body(reqwest::Body::wrap_stream(read_stream(f.into_parts().0)));
                    r = with_headers(r, header);
                    Ok(r)
                },
                &ErrorContext::default(),
                self.reporter,
            )
            .await?;
        self.sent.fetch_add(file.size, Ordering::Relaxed);
        self.reporter.uploaded(file.size);
        Ok(())
    }

    async fn multipart(
        &self,
        file: &LocalFile,
        href: &str,
        chunk: u64,
        header: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<()> {
        let mut parts: BTreeMap<u64, Url> = BTreeMap::new();
        for (k, v) in header {
            if let (Ok(n), Some(u)) = (k.parse::<u64>(), v.as_str()) {
                parts.insert(n, parse_url(u)?);
            }
        }
        let expected = file.size.div_ceil(chunk);
        if parts.len() as u64 != expected {
            return Err(HubError::InvalidResponse {
                url: href.to_string(),
                reason: format!("{} part URLs for {expected} parts", parts.len()),
            });
        }
        // At most 4 parts in flight per file keeps memory at 4 x chunk size.
        let etags: Vec<(u64, String)> = futures::stream::iter(parts)
            .map(|(n, url)| async move {
                let offset = (n - 1) * chunk;
                let len = chunk.min(file.size - offset);
                let data = bytes::Bytes::from(tokio::task::block_in_place(|| Self::read_range(file, offset, len))?);
                let etag = self.put(&url, data, &serde_json::Map::new()).await?;
                let etag = etag.ok_or_else(|| HubError::InvalidResponse {
                    url: url.to_string(),
                    reason: "part upload without ETag".into(),
                })?;
                Ok::<_, HubError>((n, etag))
            })
            .buffer_unordered(4)
            .try_collect()
            .await?;
        let mut etags = etags;
        etags.sort();
        let url = parse_url(href)?;
        let body = serde_json::json!({
            "oid": file.sha256,
            "parts": etags.iter().map(|(n, e)| serde_json::json!({"partNumber": n, "etag": e})).collect::<Vec<_>>(),
        });
        self.client
            .send(
                || {
                    Ok(self
                        .client
                        .request(Method::POST, url.clone())?
                        .header(reqwest::header::CONTENT_TYPE, LFS_MEDIA)
                        .header(reqwest::header::ACCEPT, LFS_MEDIA)
                        .body(body.to_string()))
                },
                &ErrorContext::default(),
                self.reporter,
            )
            .await?;
        Ok(())
    }
}
