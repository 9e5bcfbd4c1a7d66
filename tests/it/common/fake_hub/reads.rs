// ---------------------------------------------------------------------------------------------
// HTTP handling: the API's reads (whoami, search, repo info, tree, paths-info, refs, commits)

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::response::Response;
use serde_json::{Value, json};

use super::RepoType;
use super::http::{Ctx, Query, can_see, error, json_response, next_query, q_one, q_true, repo_not_found, with_link};
use super::server::Shared;
use super::storage::{Commit, Repo, StoredFile, sha256_hex};

pub(super) fn whoami(ctx: &Ctx) -> Response {
    let Some(u) = &ctx.user else {
        return error(401, None, "Invalid credentials in Authorization header");
    };
    json_response(json!({
        "type": "user",
        "id": fake_object_id(&format!("user:{}", u.name)),
        "name": u.name,
        "fullname": u.fullname,
        "email": format!("{}@example.com", u.name),
        "emailVerified": true,
        "isPro": false,
        "canPay": false,
        "avatarUrl": format!("/avatars/{}.svg", u.name),
        "periodEnd": null,
        "orgs": u.orgs.iter().map(|o| json!({
            "type": "org",
            "id": fake_object_id(&format!("org:{o}")),
            "name": o,
            "fullname": o,
            "avatarUrl": format!("/avatars/{o}.svg"),
            "roleInOrg": "write",
        })).collect::<Vec<_>>(),
        "auth": {
            "type": "access_token",
            "accessToken": {"displayName": u.token_name, "role": u.role, "createdAt": "2025-01-01T00:00:00.000Z"},
        },
    }))
}

/// A Mongo-style 24-hex id, stable for a given key.
fn fake_object_id(key: &str) -> String {
    sha256_hex(key.as_bytes())[..24].to_string()
}

fn summary(repo: &Repo) -> Value {
    let head = repo.head();
    let last = repo.last_modified();
    json!({
        "_id": fake_object_id(&format!("{}:{}", repo.spec.repo_type.singular(), repo.spec.id)),
        "id": repo.spec.id,
        "author": repo.namespace(),
        "sha": head.id,
        "lastModified": last.date,
        "createdAt": repo.spec.created_at,
        "private": repo.spec.private,
        "gated": repo.spec.gated.clone().map_or(Value::Bool(false), Value::String),
        "disabled": false,
        "downloads": repo.spec.downloads,
        "likes": repo.spec.likes,
        "library_name": repo.spec.library_name,
        "pipeline_tag": repo.spec.pipeline_tag,
        "tags": repo.spec.tags,
        "trendingScore": repo.spec.trending,
    })
}

pub(super) fn search(st: &Shared, ctx: &Ctx, rt: RepoType, q: &Query) -> Response {
    let inner = st.lock();
    let search = q_one(q, "search").map(str::to_lowercase);
    let author = q_one(q, "author");
    let filters: Vec<&str> =
        q.iter().filter(|(k, _)| k == "filter").flat_map(|(_, v)| v.split(',')).filter(|f| !f.is_empty()).collect();
    let mut items: Vec<&Repo> = inner
        .repos
        .values()
        .filter(|r| r.spec.repo_type == rt && can_see(r, ctx.user.as_ref()))
        .filter(|r| search.as_ref().is_none_or(|s| r.spec.id.to_lowercase().contains(s)))
        .filter(|r| author.is_none_or(|a| r.namespace().eq_ignore_ascii_case(a)))
        .filter(|r| filters.iter().all(|f| r.spec.tags.iter().any(|t| t == f)))
        .filter(|r| q_one(q, "pipeline_tag").is_none_or(|p| r.spec.pipeline_tag.as_deref() == Some(p)))
        .collect();
    items.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
    match q_one(q, "sort") {
        Some("downloads") => items.sort_by_key(|r| std::cmp::Reverse(r.spec.downloads)),
        Some("likes") => items.sort_by_key(|r| std::cmp::Reverse(r.spec.likes)),
        Some("trendingScore") | Some("trending_score") => {
            items.sort_by(|a, b| b.spec.trending.partial_cmp(&a.spec.trending).unwrap_or(std::cmp::Ordering::Equal))
        }
        Some("createdAt") | Some("created_at") => items.sort_by(|a, b| b.spec.created_at.cmp(&a.spec.created_at)),
        Some("lastModified") | Some("last_modified") => items.sort_by_key(|r| std::cmp::Reverse(r.last_modified().ts)),
        _ => {}
    }
    let limit = q_one(q, "limit").and_then(|l| l.parse::<usize>().ok()).filter(|&l| l > 0);
    if let Some(l) = limit {
        items.truncate(l);
    }
    let page = limit.unwrap_or(usize::MAX).min(st.page_size.load(Ordering::SeqCst));
    let cursor = q_one(q, "cursor").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    let body: Vec<Value> = items.iter().skip(cursor).take(page).map(|r| summary(r)).collect();
    let resp = json_response(Value::Array(body));
    if cursor + page < items.len() {
        // `limit` stays in the next URL, so the cap is kept across pages: drop what was served.
        let next = format!("{}/api/{}?{}", st.hub_url, rt.plural(), next_query(q, cursor + page));
        return with_link(resp, &next);
    }
    resp
}

/// A visible repo and a revision (`None` = default branch).
pub(super) fn lookup(
    st: &Shared,
    ctx: &Ctx,
    rt: RepoType,
    id: &str,
    rev: Option<&str>,
) -> Result<Arc<Commit>, Response> {
    let inner = st.lock();
    let repo = match inner.repos.get(&(rt, id.to_string())) {
        Some(r) if can_see(r, ctx.user.as_ref()) => r,
        _ => return Err(repo_not_found(ctx)),
    };
    match rev {
        None => Ok(repo.head()),
        Some(rev) => {
            repo.resolve(rev).ok_or_else(|| error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {rev}")))
        }
    }
}

pub(super) fn repo_info(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: Option<&str>, q: &Query) -> Response {
    let commit = match lookup(st, ctx, rt, id, rev) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let inner = st.lock();
    let Some(repo) = inner.repos.get(&(rt, id.to_string())) else { return repo_not_found(ctx) };
    let mut v = summary(repo);
    let blobs = q_true(q, "blobs");
    let siblings: Vec<Value> = commit
        .files
        .iter()
        .map(|(p, f)| {
            if blobs {
                let mut s = json!({"rfilename": p, "size": f.size, "blobId": f.oid});
                if f.lfs {
                    s["lfs"] = json!({"size": f.size, "sha256": f.sha256, "pointerSize": f.pointer_size()});
                }
                s
            } else {
                json!({"rfilename": p})
            }
        })
        .collect();
    v["sha"] = Value::String(commit.id.clone());
    v["lastModified"] = Value::String(commit.date.clone());
    v["siblings"] = Value::Array(siblings);
    v["usedStorage"] = json!(commit.files.values().map(|f| f.size).sum::<u64>());
    if rt == RepoType::Space {
        v["sdk"] = json!("static");
        v["runtime"] = json!({"stage": "RUNNING"});
    }
    json_response(v)
}

fn file_entry(path: &str, f: &StoredFile) -> Value {
    let mut e = json!({"type": "file", "oid": f.oid, "size": f.size, "path": path});
    if f.lfs {
        e["lfs"] = json!({"oid": f.sha256, "size": f.size, "pointerSize": f.pointer_size()});
    }
    e
}

fn dir_entry(path: &str, oid: &str) -> Value {
    json!({"type": "directory", "oid": oid, "size": 0, "path": path})
}

fn last_commit(c: &Commit) -> Value {
    json!({"id": c.id, "title": c.message.lines().next().unwrap_or(""), "date": c.date})
}

#[allow(clippy::too_many_arguments)]
pub(super) fn tree(
    st: &Shared,
    ctx: &Ctx,
    rt: RepoType,
    id: &str,
    rev: &str,
    sub: &str,
    q: &Query,
    path: &str,
) -> Response {
    let commit = match lookup(st, ctx, rt, id, Some(rev)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let recursive = q_true(q, "recursive");
    let expand = q_true(q, "expand");
    if !sub.is_empty() && !commit.trees.contains_key(sub) {
        return error(404, Some("EntryNotFound"), &format!("Entry not found: {sub} does not exist on \"{rev}\""));
    }
    let prefix = if sub.is_empty() { String::new() } else { format!("{sub}/") };
    let under = |p: &str| p.starts_with(&prefix) && (recursive || !p[prefix.len()..].contains('/'));
    let mut entries: Vec<(&str, Value)> = Vec::new();
    for (d, oid) in &commit.trees {
        if !d.is_empty() && under(d) {
            entries.push((d, dir_entry(d, oid)));
        }
    }
    for (p, f) in &commit.files {
        if under(p) {
            let mut e = file_entry(p, f);
            if expand {
                e["lastCommit"] = last_commit(&commit);
            }
            entries.push((p, e));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let page = st.page_size.load(Ordering::SeqCst);
    let cursor = q_one(q, "cursor").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    let body: Vec<Value> = entries.iter().skip(cursor).take(page).map(|(_, v)| v.clone()).collect();
    let resp = json_response(Value::Array(body));
    if cursor + page < entries.len() {
        return with_link(resp, &format!("{}{}?{}", st.hub_url, path, next_query(q, cursor + page)));
    }
    resp
}

pub(super) fn paths_info(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str, body: &[u8]) -> Response {
    let commit = match lookup(st, ctx, rt, id, Some(rev)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let form: Query = url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let expand = q_true(&form, "expand");
    let mut out = Vec::new();
    for (k, v) in &form {
        if k != "paths" && k != "paths[]" {
            continue;
        }
        let p = v.trim_matches('/');
        if let Some(f) = commit.files.get(p) {
            let mut e = file_entry(p, f);
            if expand {
                e["lastCommit"] = last_commit(&commit);
            }
            out.push(e);
        } else if let Some(oid) = commit.trees.get(p).filter(|_| !p.is_empty()) {
            out.push(dir_entry(p, oid));
        }
    }
    json_response(Value::Array(out))
}

pub(super) fn refs(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str) -> Response {
    let inner = st.lock();
    let repo = match inner.repos.get(&(rt, id.to_string())) {
        Some(r) if can_see(r, ctx.user.as_ref()) => r,
        _ => return repo_not_found(ctx),
    };
    let list = |m: &BTreeMap<String, String>, kind: &str| -> Vec<Value> {
        m.iter().map(|(n, c)| json!({"name": n, "ref": format!("refs/{kind}/{n}"), "targetCommit": c})).collect()
    };
    json_response(json!({"branches": list(&repo.branches, "heads"), "tags": list(&repo.tags, "tags"), "converts": []}))
}

pub(super) fn commits(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str, q: &Query, path: &str) -> Response {
    let start = match lookup(st, ctx, rt, id, Some(rev)) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let inner = st.lock();
    let Some(repo) = inner.repos.get(&(rt, id.to_string())) else { return repo_not_found(ctx) };
    let mut all = Vec::new();
    let mut cur = Some(start);
    while let Some(c) = cur {
        all.push(json!({
            "id": c.id,
            "title": c.message.lines().next().unwrap_or(""),
            "message": c.message,
            "date": c.date,
            "authors": [{"user": "fake-hub", "avatar": "/avatars/fake-hub.svg"}],
        }));
        cur = c.parent.as_ref().and_then(|p| repo.commits.get(p).cloned());
    }
    let page = st.page_size.load(Ordering::SeqCst);
    let cursor = q_one(q, "cursor").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
    let resp = json_response(Value::Array(all.iter().skip(cursor).take(page).cloned().collect()));
    if cursor + page < all.len() {
        return with_link(resp, &format!("{}{}?{}", st.hub_url, path, next_query(q, cursor + page)));
    }
    resp
}
