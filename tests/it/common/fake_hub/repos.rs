// ---------------------------------------------------------------------------------------------
// Repository management (hub-protocol.md 2.7, 2.8)

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;

use super::http::{Ctx, can_see, error, json_response, repo_not_found};
use super::server::Shared;
use super::storage::{Repo, StoredFile, make_commit, store_files};
use super::{FileSource, GITATTRIBUTES, RepoSpec, RepoType, UserSpec};

/// A user allowed to write under `namespace` (their name or one of their orgs, non-read token).
pub(super) fn writer<'a>(ctx: &'a Ctx, namespace: &str) -> Result<&'a UserSpec, Response> {
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

pub(super) fn repo_create_delete(st: &Shared, ctx: &Ctx, create: bool, body: &[u8]) -> Response {
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
pub(super) fn ref_write(
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
