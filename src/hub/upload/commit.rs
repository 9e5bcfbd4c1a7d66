//! The commit: NDJSON guarded by `parentCommit`, or through Xet when the Hub asks for it.

use super::*;

#[derive(Debug, Deserialize)]
pub(super) struct CommitResponse {
    #[serde(rename = "commitOid")]
    pub(super) commit_oid: String,
    #[serde(default, rename = "commitUrl")]
    pub(super) commit_url: Option<String>,
    #[serde(default, rename = "pullRequestUrl")]
    pub(super) pull_request_url: Option<String>,
}

pub(super) enum Op<'a> {
    Regular(&'a LocalFile),
    Lfs(&'a LocalFile),
    Delete(String),
}

impl Uploader<'_> {
    /// One NDJSON commit, never retried (a lost answer must not commit twice).
    pub(super) async fn commit(&self, plan: &CommitPlan<'_>) -> Result<CommitResponse> {
        let CommitPlan { repo, revision, parent, create_pr, summary, description, ops } = *plan;
        let mut lines = Vec::with_capacity(ops.len() + 1);
        let mut header = serde_json::json!({"summary": summary, "description": description.unwrap_or("")});
        if !create_pr {
            header["parentCommit"] = serde_json::Value::String(parent.to_string());
        }
        lines.push(serde_json::json!({"key": "header", "value": header}).to_string());
        for op in ops {
            let line = match op {
                Op::Regular(f) => {
                    let content = tokio::task::block_in_place(|| Self::read_range(f, 0, f.size))?;
                    serde_json::json!({"key": "file", "value": {
                        "path": f.path,
                        "content": base64::engine::general_purpose::STANDARD.encode(content),
                        "encoding": "base64",
                    }})
                }
                Op::Lfs(f) => {
                    serde_json::json!({"key": "lfsFile", "value": {"path": f.path, "algo": "sha256", "oid": f.sha256, "size": f.size}})
                }
                Op::Delete(p) => serde_json::json!({"key": "deletedFile", "value": {"path": p}}),
            };
            lines.push(line.to_string());
        }
        let mut url = self.client.api_url(repo, &format!("commit/{}", encode_revision(revision)))?;
        if create_pr {
            url.query_pairs_mut().append_pair("create_pr", "1");
        }
        let body = lines.join("\n") + "\n";
        let resp = self
            .client
            .request(Method::POST, url.clone())?
            .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
            .body(body)
            .send()
            .await
            .map_err(|e| HubError::Network { url: url.to_string(), source: e })?;
        if resp.status() == reqwest::StatusCode::PRECONDITION_FAILED || resp.status() == reqwest::StatusCode::CONFLICT {
            return Err(HubError::Conflict { message: moved_message(revision, &repo.id) });
        }
        if !resp.status().is_success() {
            return Err(map_error(resp, &self.ctx(repo, revision)).await);
        }
        HubClient::json(resp).await
    }

    /// One commit through hf-hub's Xet upload (see `xet.rs`), guarded by the same parent.
    pub(super) async fn commit_xet(&self, plan: &CommitPlan<'_>) -> Result<CommitResponse> {
        let CommitPlan { repo, revision, parent, create_pr, summary, description, ops } = *plan;
        let token = self.client.options().token.as_ref().ok_or(HubError::NotLoggedIn)?;
        let mut adds = Vec::new();
        let mut deletes = Vec::new();
        let mut lfs_bytes = 0;
        for op in ops {
            match op {
                Op::Regular(f) => adds.push((f.disk.clone(), f.path.clone())),
                Op::Lfs(f) => {
                    lfs_bytes += f.size;
                    adds.push((f.disk.clone(), f.path.clone()));
                }
                Op::Delete(p) => deletes.push(p.clone()),
            }
        }
        let done = crate::hub::xet::commit(crate::hub::xet::XetCommit {
            endpoint: self.client.endpoint(),
            token: token.expose(),
            repo,
            revision,
            parent: (!create_pr).then_some(parent),
            create_pr,
            summary,
            description,
            adds,
            deletes,
        })
        .await?;
        self.sent.fetch_add(lfs_bytes, Ordering::Relaxed);
        self.reporter.uploaded(lfs_bytes);
        Ok(CommitResponse { commit_oid: done.commit_oid, commit_url: done.commit_url, pull_request_url: done.pr_url })
    }
}
