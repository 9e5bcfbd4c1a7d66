//! Xet transfers (hub-protocol.md 2.9): when the LFS batch API answers `"transfer": "xet"`,
//! the files of that commit go through the hf-hub crate, whose upload speaks the Xet CAS
//! protocol (content-defined chunking, deduplication) through hf-xet.
//!
//! hf-hub's Xet upload is only reachable through its own commit call, so a Xet commit is made
//! by hf-hub with the same operations, message and `parentCommit` hfx would have sent. It sits
//! behind the `xet` Cargo feature: hf-hub and hf-xet add about 230 crates to the build, and
//! without the feature hfx never offers `xet`, so the Hub answers with `basic`/`multipart`
//! (what huggingface_hub does under `HF_HUB_DISABLE_XET=1`). Nothing here can be exercised
//! offline (the fake Hub has no CAS server); the choice of transfer is unit-tested in
//! `upload/mod.rs`.

use std::path::PathBuf;

use super::error::{HubError, Result};
use crate::cache::RepoId;

/// Whether this build can upload through Xet.
pub const AVAILABLE: bool = cfg!(feature = "xet");

/// One commit to make through hf-hub.
#[cfg_attr(not(feature = "xet"), allow(dead_code))]
pub(crate) struct XetCommit<'a> {
    pub endpoint: &'a str,
    pub token: &'a str,
    pub repo: &'a RepoId,
    pub revision: &'a str,
    /// The branch head the commit must build on (None with `create_pr`).
    pub parent: Option<&'a str>,
    pub create_pr: bool,
    pub summary: &'a str,
    pub description: Option<&'a str>,
    /// (file on disk, path in the repository).
    pub adds: Vec<(PathBuf, String)>,
    pub deletes: Vec<String>,
}

/// What the commit produced.
pub(crate) struct XetCommitted {
    pub commit_oid: String,
    pub commit_url: Option<String>,
    pub pr_url: Option<String>,
}

#[cfg(feature = "xet")]
pub(crate) async fn commit(c: XetCommit<'_>) -> Result<XetCommitted> {
    use hf_hub::repository::{AddSource, CommitOperation};

    let client = hf_hub::HFClient::builder()
        .endpoint(c.endpoint)
        .token(c.token)
        .user_agent(format!("hfx/{}; rust; hf-hub", env!("CARGO_PKG_VERSION")))
        .cache_enabled(false)
        .build()
        .map_err(|e| xet_error(&c, e))?;
    let mut ops: Vec<CommitOperation> =
        c.deletes.iter().map(|p| CommitOperation::Delete { path_in_repo: p.clone() }).collect();
    ops.extend(
        c.adds
            .iter()
            .map(|(disk, path)| CommitOperation::Add { path_in_repo: path.clone(), source: AddSource::file(disk) }),
    );
    let (owner, name) = hf_hub::split_id(&c.repo.id);
    let info = match c.repo.repo_type {
        crate::cache::RepoType::Model => commit_on(client.model(owner, name), &c, ops).await,
        crate::cache::RepoType::Dataset => commit_on(client.dataset(owner, name), &c, ops).await,
        crate::cache::RepoType::Space => commit_on(client.space(owner, name), &c, ops).await,
        crate::cache::RepoType::Kernel => commit_on(client.kernel(owner, name), &c, ops).await,
    }
    .map_err(|e| xet_error(&c, e))?;
    let commit_oid = info.commit_oid.ok_or_else(|| HubError::InvalidResponse {
        url: format!("{}/api/{}/{}/commit", c.endpoint, c.repo.repo_type.plural(), c.repo.id),
        reason: "the commit answer has no commit id".into(),
    })?;
    Ok(XetCommitted { commit_oid, commit_url: info.commit_url, pr_url: info.pr_url })
}

#[cfg(feature = "xet")]
async fn commit_on<T: hf_hub::RepoType>(
    repo: hf_hub::HFRepository<T>,
    c: &XetCommit<'_>,
    ops: Vec<hf_hub::repository::CommitOperation>,
) -> hf_hub::HFResult<hf_hub::repository::CommitInfo> {
    repo.create_commit()
        .operations(ops)
        .commit_message(c.summary)
        .maybe_commit_description(c.description)
        .revision(c.revision)
        .create_pr(c.create_pr)
        .maybe_parent_commit(c.parent)
        .send()
        .await
}

/// hf-hub's error with hfx's context; a moved branch is the same conflict as on the LFS path.
#[cfg(feature = "xet")]
fn xet_error(c: &XetCommit<'_>, e: hf_hub::HFError) -> HubError {
    if let hf_hub::HFError::Http { context } = &e
        && matches!(context.status.as_u16(), 409 | 412)
    {
        return HubError::Conflict { message: super::upload::moved_message(c.revision, &c.repo.id) };
    }
    HubError::Xet { repo: c.repo.id.clone(), message: e.to_string() }
}

/// The Hub chose Xet but this build cannot speak it.
pub(crate) fn not_built(repo: &RepoId) -> HubError {
    HubError::Xet {
        repo: repo.id.clone(),
        message: "the Hub chose the Xet transfer, which this build of hfx does not include".into(),
    }
}

#[cfg(not(feature = "xet"))]
pub(crate) async fn commit(c: XetCommit<'_>) -> Result<XetCommitted> {
    Err(not_built(c.repo))
}
