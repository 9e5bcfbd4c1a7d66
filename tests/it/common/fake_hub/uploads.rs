// ---------------------------------------------------------------------------------------------
// Uploads: preupload, LFS batch (basic and multipart) with storage on the CDN origin, verify,
// and NDJSON commits (hub-protocol.md 2.9)

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;
use sha1::Digest as _;

use super::http::{Ctx, can_see, error, hv, json_response, repo_not_found};
use super::repos::writer;
use super::server::{Shared, XetMode};
use super::storage::{StoredFile, git_blob_oid, is_lfs, lfs_pointer, make_commit, sha256_hex};
use super::{FileSource, RepoType};

fn writable_repo(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str) -> Result<(), Response> {
    let inner = st.lock();
    match inner.repos.get(&(rt, id.to_string())) {
        Some(r) if can_see(r, ctx.user.as_ref()) => {}
        _ => return Err(repo_not_found(ctx)),
    }
    drop(inner);
    writer(ctx, id.split('/').next().unwrap_or_default()).map(|_| ())
}

pub(super) fn preupload(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, rev: &str, body: &[u8]) -> Response {
    if let Err(r) = writable_repo(st, ctx, rt, id) {
        return r;
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return error(400, None, "Invalid JSON body");
    };
    let files = v["files"].as_array().cloned().unwrap_or_default();
    if files.len() > 256 {
        return error(400, None, "Too many files: at most 256 per request");
    }
    let head = {
        let inner = st.lock();
        inner.repos.get(&(rt, id.to_string())).and_then(|r| r.resolve(rev))
    };
    let mut out = Vec::new();
    for f in files {
        let path = f["path"].as_str().unwrap_or_default().to_string();
        let size = f["size"].as_u64().unwrap_or(0);
        let sample = base64_decode(f["sample"].as_str().unwrap_or_default());
        let lfs = size > 0 && (is_lfs(&path, size) || sample.contains(&0));
        let oid = head
            .as_ref()
            .and_then(|c| c.files.get(&path))
            .map(|sf| if sf.lfs { sf.sha256.clone() } else { sf.oid.clone() });
        out.push(serde_json::json!({"path": path, "uploadMode": if lfs { "lfs" } else { "regular" }, "shouldIgnore": false, "oid": oid}));
    }
    json_response(serde_json::json!({"files": out}))
}

fn lfs_json(value: Value) -> Response {
    let mut r = json_response(value);
    r.headers_mut().insert(header::CONTENT_TYPE, hv("application/vnd.git-lfs+json"));
    r
}

pub(super) fn lfs_api(st: &Shared, ctx: &Ctx, rt: RepoType, id: &str, batch: bool, body: &[u8]) -> Response {
    if let Err(r) = writable_repo(st, ctx, rt, id) {
        return r;
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return error(400, None, "Invalid JSON body");
    };
    let mut inner = st.lock();
    if !batch {
        let oid = v["oid"].as_str().unwrap_or_default();
        return match inner.cdn.get(oid) {
            Some(f) if Some(f.size) == v["size"].as_u64() => lfs_json(serde_json::json!({})),
            _ => error(404, None, &format!("Object {oid} not found")),
        };
    }
    let chunk = if inner.lfs_chunk_size == 0 { 16 << 20 } else { inner.lfs_chunk_size };
    let transfers: Vec<&str> =
        v["transfers"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let multipart_ok = transfers.contains(&"multipart");
    inner.lfs_offers.push(transfers.iter().map(|t| t.to_string()).collect());
    let xet = match inner.xet {
        XetMode::Off => false,
        XetMode::IfOffered => transfers.contains(&"xet"),
        XetMode::Always => true,
    };
    let verify = format!("{}/{}{id}.git/info/lfs/objects/verify", st.hub_url, rt.url_prefix());
    let mut objects = Vec::new();
    for o in v["objects"].as_array().cloned().unwrap_or_default() {
        let oid = o["oid"].as_str().unwrap_or_default().to_string();
        let size = o["size"].as_u64().unwrap_or(0);
        if oid.len() != 64 || !oid.bytes().all(|b| b.is_ascii_hexdigit()) {
            objects
                .push(serde_json::json!({"oid": oid, "size": size, "error": {"code": 422, "message": "Invalid oid"}}));
            continue;
        }
        if inner.cdn.contains_key(&oid) {
            objects.push(serde_json::json!({"oid": oid, "size": size}));
            continue;
        }
        let verify_action = serde_json::json!({"href": verify, "header": {"X-Fake": "verify"}});
        if multipart_ok && size > chunk {
            let mut header = serde_json::Map::new();
            header.insert("chunk_size".into(), Value::String(chunk.to_string()));
            for n in 1..=size.div_ceil(chunk) {
                header
                    .insert(n.to_string(), Value::String(format!("{}/upload/{oid}/part/{n}?size={size}", st.cdn_url)));
            }
            objects.push(serde_json::json!({"oid": oid, "size": size, "actions": {
                "upload": {"href": format!("{}/upload/{oid}/complete?size={size}", st.cdn_url), "header": header},
                "verify": verify_action,
            }}));
        } else {
            objects.push(serde_json::json!({"oid": oid, "size": size, "actions": {
                "upload": {"href": format!("{}/upload/{oid}?size={size}", st.cdn_url)},
                "verify": verify_action,
            }}));
        }
    }
    let transfer = if multipart_ok { "multipart" } else { "basic" };
    if xet {
        // Objects to send carry no LFS actions: they would go to Xet storage.
        for o in &mut objects {
            if let Some(m) = o.as_object_mut() {
                m.remove("actions");
            }
        }
        return lfs_json(serde_json::json!({"transfer": "xet", "objects": objects}));
    }
    lfs_json(serde_json::json!({"transfer": transfer, "objects": objects}))
}

/// A multipart upload in progress. Parts are hashed as soon as they can be in order, while
/// later parts are still in flight, so completing a 1 GiB upload does not stall the client for
/// a whole sha256 pass (the real Hub's storage does not make clients wait on that either; the
/// upload benchmark measures clients, and client and fake server share the machine's cores).
#[derive(Default)]
pub(super) struct PartUpload {
    parts: BTreeMap<u64, Bytes>,
    /// sha256 over parts 1..next_to_hash.
    hasher: sha2::Sha256,
    next_to_hash: u64,
    /// A part already hashed was sent again: hash everything again at completion.
    rehash: bool,
}

impl PartUpload {
    fn add(&mut self, n: u64, body: Bytes) {
        if self.next_to_hash == 0 {
            self.next_to_hash = 1;
        }
        if n < self.next_to_hash {
            self.rehash = true;
        }
        self.parts.insert(n, body);
        while let Some(p) = self.parts.get(&self.next_to_hash) {
            self.hasher.update(p);
            self.next_to_hash += 1;
        }
    }

    /// The sha256 of the parts in order.
    fn sha256(self) -> (String, Vec<Bytes>) {
        let complete = !self.rehash && self.next_to_hash == self.parts.len() as u64 + 1;
        let parts: Vec<Bytes> = self.parts.into_values().collect();
        let digest = if complete {
            self.hasher.finalize()
        } else {
            let mut h = sha2::Sha256::new();
            for p in &parts {
                h.update(p);
            }
            h.finalize()
        };
        (hex::encode(digest), parts)
    }
}

/// Store an uploaded object (one body, or the parts of a multipart upload in order) once its
/// sha256 matches.
fn store_object(st: &Shared, oid: &str, actual: String, parts: Vec<Bytes>) -> Response {
    if actual != oid {
        return error(400, None, &format!("sha256 mismatch: expected {oid}, got {actual}"));
    }
    let size = parts.iter().map(|p| p.len() as u64).sum();
    let source = match <[Bytes; 1]>::try_from(parts) {
        Ok([one]) => FileSource::Bytes(one),
        Err(parts) => FileSource::Parts(parts.into()),
    };
    let f =
        StoredFile { size, sha256: actual, oid: git_blob_oid(lfs_pointer(oid, size).as_bytes()), lfs: true, source };
    st.lock().cdn.insert(oid.to_string(), f);
    Response::builder().status(200).header(header::ETAG, format!("\"{oid}\"")).body(Body::empty()).unwrap()
}

pub(super) fn lfs_storage(st: &Shared, method: &Method, segs: &[String], body: Bytes) -> Response {
    match (method, segs) {
        (&Method::PUT, [oid]) => store_object(st, oid, sha256_hex(&body), vec![body]),
        (&Method::PUT, [oid, part, n]) if part == "part" => {
            let Ok(n) = n.parse::<u64>() else { return error(400, None, "bad part number") };
            // Like S3, an opaque per-part tag; cheap so the fake server stays out of the way.
            let etag = part_etag(n, &body);
            st.lock().parts.entry(oid.clone()).or_default().add(n, body);
            Response::builder().status(200).header(header::ETAG, etag).body(Body::empty()).unwrap()
        }
        (&Method::POST, [oid, complete]) if complete == "complete" => {
            let Ok(v) = serde_json::from_slice::<Value>(&body) else { return error(400, None, "Invalid JSON body") };
            let Some(upload) = st.lock().parts.remove(oid) else { return error(404, None, "no upload in progress") };
            let parts = &upload.parts;
            let listed = v["parts"].as_array().cloned().unwrap_or_default();
            if listed.len() != parts.len() {
                return error(400, None, &format!("expected {} parts, got {}", parts.len(), listed.len()));
            }
            for (i, (n, bytes)) in parts.iter().enumerate() {
                let entry = &listed[i];
                let want = part_etag(*n, bytes);
                if entry["partNumber"].as_u64() != Some(*n)
                    || entry["etag"].as_str().map(|e| e.trim_matches('"')) != Some(want.trim_matches('"'))
                {
                    return error(400, None, &format!("part {n}: wrong number or etag"));
                }
            }
            let (actual, parts) = upload.sha256();
            store_object(st, oid, actual, parts)
        }
        _ => error(405, None, "Method not allowed"),
    }
}

fn part_etag(n: u64, data: &[u8]) -> String {
    let head = data.iter().take(64).fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b)));
    format!("\"{n}-{}-{head:x}\"", data.len())
}

fn base64_decode(s: &str) -> Vec<u8> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let Some(v) = T.iter().position(|&t| t == c) else { continue };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
pub(super) fn commit_ndjson(
    st: &Shared,
    ctx: &Ctx,
    rt: RepoType,
    id: &str,
    rev: &str,
    create_pr: bool,
    body: &[u8],
) -> Response {
    if let Err(r) = writable_repo(st, ctx, rt, id) {
        return r;
    }
    let text = String::from_utf8_lossy(body);
    let mut summary = String::from("commit");
    let mut parent_commit: Option<String> = None;
    let mut adds: Vec<(String, StoredFile)> = Vec::new();
    let mut deletes: Vec<(String, bool)> = Vec::new();
    let mut inner = st.lock();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<Value>(line) else { return error(400, None, "Invalid NDJSON line") };
        let value = &v["value"];
        let path = value["path"].as_str().unwrap_or_default().to_string();
        let key = v["key"].as_str().unwrap_or_default();
        if key != "header"
            && (path.is_empty()
                || path.starts_with('/')
                || path.split('/').any(|c| c == ".." || c == "." || c.is_empty()))
        {
            return error(400, None, &format!("Invalid path: {path}"));
        }
        match key {
            "header" => {
                summary = value["summary"].as_str().unwrap_or("commit").to_string();
                parent_commit = value["parentCommit"].as_str().map(str::to_string);
            }
            "file" => {
                let data = base64_decode(value["content"].as_str().unwrap_or_default());
                if data.len() > 10 << 20 {
                    return error(400, None, "Your push was rejected because it contains files larger than 10 MiB");
                }
                let sf = StoredFile {
                    size: data.len() as u64,
                    sha256: sha256_hex(&data),
                    oid: git_blob_oid(&data),
                    lfs: false,
                    source: FileSource::Bytes(Bytes::from(data)),
                };
                adds.push((path, sf));
            }
            "lfsFile" => {
                let oid = value["oid"].as_str().unwrap_or_default();
                let Some(sf) = inner.cdn.get(oid).cloned() else {
                    return error(422, None, &format!("LFS object {oid} was not uploaded"));
                };
                adds.push((path, sf));
            }
            "deletedFile" => deletes.push((path, false)),
            "deletedFolder" => deletes.push((path, true)),
            _ => return error(400, None, &format!("Unknown key {key}")),
        }
    }
    inner.commit_counter += 1;
    let n = inner.commit_counter;
    let Some(repo) = inner.repos.get_mut(&(rt, id.to_string())) else { return repo_not_found(ctx) };
    let Some(base) = repo.resolve(rev) else {
        return error(404, Some("RevisionNotFound"), &format!("Invalid rev id: {rev}"));
    };
    if !create_pr && !repo.branches.contains_key(rev) {
        return error(400, None, &format!("Cannot commit to {rev}: not a branch"));
    }
    if let Some(p) = &parent_commit
        && *p != base.id
    {
        return error(412, None, &format!("A commit has happened since {p}. Please refresh and try again."));
    }
    let mut files = base.files.clone();
    for (p, folder) in &deletes {
        if *folder {
            let prefix = format!("{}/", p.trim_end_matches('/'));
            files.retain(|k, _| !k.starts_with(&prefix));
        } else if files.remove(p).is_none() {
            return error(404, Some("EntryNotFound"), &format!("{p} does not exist"));
        }
    }
    files.extend(adds);
    let commit = make_commit(files, Some(&base.id), &summary, n);
    let cid = commit.id.clone();
    let branch = if create_pr {
        let num = repo.branches.keys().filter(|b| b.starts_with("refs/pr/")).count() + 1;
        format!("refs/pr/{num}")
    } else {
        rev.to_string()
    };
    repo.branches.insert(branch.clone(), cid.clone());
    repo.order.push(cid.clone());
    repo.commits.insert(cid.clone(), Arc::new(commit));
    let page = format!("{}/{}{id}", st.hub_url, rt.url_prefix());
    let mut out = serde_json::json!({"commitOid": cid, "commitUrl": format!("{page}/commit/{cid}"), "success": true});
    if create_pr {
        out["pullRequestUrl"] = Value::String(format!("{page}/discussions/{}", branch.trim_start_matches("refs/pr/")));
    }
    json_response(out)
}
