//! The fake Hub speaks the protocol of `shared/docs/hub-protocol.md` (checked with plain HTTP).

use std::time::{Duration, Instant};

use crate::common::fake_hub::*;

const TOKEN: &str = "hf_protoTestToken0123456789";
const OTHER: &str = "hf_otherUserToken0123456789";

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build().unwrap()
}

fn h(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

fn user(name: &str, orgs: &[&str]) -> UserSpec {
    UserSpec {
        name: name.into(),
        fullname: format!("{name} Example"),
        orgs: orgs.iter().map(|o| o.to_string()).collect(),
        token_name: "laptop".into(),
        role: "write".into(),
    }
}

/// A hub with user `alice` (org `acme`) behind TOKEN and user `bob` behind OTHER.
fn hub() -> FakeHub {
    let hub = FakeHub::start();
    hub.add_user(TOKEN, user("alice", &["acme"]));
    hub.add_user(OTHER, user("bob", &[]));
    hub
}

fn big(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn model(id: &str) -> RepoSpec {
    RepoSpec::new(RepoType::Model, id)
        .gitattributes()
        .file("config.json", "{\"a\": 1}\n")
        .file("README.md", "# hi\n")
        .file("sub/notes.txt", "notes\n")
        .file("sub/deeper/z.txt", "z\n")
        .file("model.safetensors", big(300_000))
}

#[test]
fn ids_are_computed_like_git() {
    assert_eq!(git_blob_oid(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    assert_eq!(git_blob_oid(b"hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
    let hub = FakeHub::start();
    // `sub-x` sorts before the tree `sub` in git order (trees compare as `sub/`).
    let commit = hub.add_repo(
        RepoSpec::new(RepoType::Model, "o/n").file("a.txt", "hello\n").file("sub/b.txt", "b\n").file("sub-x", "x"),
    );
    // Values from `git commit` with GIT_{AUTHOR,COMMITTER}_DATE="1735689660 +0000", "Fake Hub <hub@fake.invalid>".
    assert_eq!(commit, "e7188b8725e90a16a7934b900813928e87e045fe");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let tree: serde_json::Value =
            http().get(format!("{}/api/models/o/n/tree/main", hub.url())).send().await.unwrap().json().await.unwrap();
        let sub = tree.as_array().unwrap().iter().find(|e| e["path"] == "sub").unwrap();
        assert_eq!(sub["type"], "directory");
        assert_eq!(sub["oid"], "f8f7aefc2900a3d737cea9eee45729fd55761e1a");
    });
    // LFS files are hashed as their pointer.
    let info = hub.file_info(RepoType::Model, "o/n", "main", "a.txt").unwrap();
    assert!(!info.lfs);
    let c2 = hub.commit(
        RepoType::Model,
        "o/n",
        "main",
        vec![("w.bin".into(), FileSource::Bytes("abc".into()))],
        &["sub-x"],
        "add",
    );
    let w = hub.file_info(RepoType::Model, "o/n", &c2, "w.bin").unwrap();
    assert!(w.lfs);
    assert_eq!(w.sha256, sha256_hex(b"abc"));
    assert_eq!(w.oid, git_blob_oid(lfs_pointer(&w.sha256, 3).as_bytes()));
    assert!(hub.file_info(RepoType::Model, "o/n", &c2, "sub-x").is_none());
    assert!(hub.file_info(RepoType::Model, "o/n", &commit, "sub-x").is_some());
}

#[tokio::test]
async fn whoami_and_bad_tokens() {
    let hub = hub();
    let c = http();
    let r = c.get(format!("{}/api/whoami-v2", hub.url())).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["type"], "user");
    assert_eq!(v["name"], "alice");
    assert_eq!(v["fullname"], "alice Example");
    assert_eq!(v["orgs"][0]["name"], "acme");
    assert_eq!(v["orgs"][0]["type"], "org");
    assert_eq!(v["auth"]["type"], "access_token");
    assert_eq!(v["auth"]["accessToken"]["displayName"], "laptop");
    assert_eq!(v["auth"]["accessToken"]["role"], "write");
    for k in ["id", "email", "emailVerified", "isPro", "canPay", "avatarUrl"] {
        assert!(!v[k].is_null(), "{k}");
    }
    let r = c.get(format!("{}/api/whoami-v2", hub.url())).send().await.unwrap();
    assert_eq!(r.status(), 401);
    hub.add_repo(model("acme/m"));
    for url in ["/api/whoami-v2", "/api/models/acme/m", "/acme/m/resolve/main/config.json"] {
        let r = c.get(format!("{}{url}", hub.url())).bearer_auth("hf_nope").send().await.unwrap();
        assert_eq!(r.status(), 401, "{url}");
        assert_eq!(h(&r, "x-error-message"), "Invalid credentials in Authorization header");
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"].is_string());
    }
}

#[tokio::test]
async fn repo_info_with_blobs_and_revisions() {
    let hub = hub();
    let c1 = hub.add_repo(
        model("acme/m")
            .tags(&["llama"])
            .downloads(5)
            .likes(2)
            .pipeline_tag("text-generation")
            .library_name("transformers"),
    );
    let c2 = hub.commit(
        RepoType::Model,
        "acme/m",
        "main",
        vec![("new.txt".into(), FileSource::Bytes("n".into()))],
        &[],
        "second",
    );
    let c = http();
    let v: serde_json::Value =
        c.get(format!("{}/api/models/acme/m", hub.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["id"], "acme/m");
    assert_eq!(v["author"], "acme");
    assert_eq!(v["sha"], c2);
    assert_eq!(v["private"], false);
    assert_eq!(v["gated"], false);
    assert_eq!(v["downloads"], 5);
    assert_eq!(v["pipeline_tag"], "text-generation");
    assert_eq!(v["library_name"], "transformers");
    assert_eq!(v["tags"][0], "llama");
    for k in ["_id", "lastModified", "createdAt", "disabled", "likes", "usedStorage"] {
        assert!(!v[k].is_null(), "{k}");
    }
    assert!(v["siblings"].as_array().unwrap().iter().any(|s| s["rfilename"] == "new.txt"));
    // By short sha, with blobs=true.
    let v: serde_json::Value = c
        .get(format!("{}/api/models/acme/m/revision/{}?blobs=true", hub.url(), &c1[..7]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["sha"], c1);
    let sibs = v["siblings"].as_array().unwrap();
    assert!(!sibs.iter().any(|s| s["rfilename"] == "new.txt"));
    let st = sibs.iter().find(|s| s["rfilename"] == "model.safetensors").unwrap();
    assert_eq!(st["size"], 300_000);
    assert_eq!(st["lfs"]["size"], 300_000);
    assert_eq!(st["lfs"]["sha256"], sha256_hex(&big(300_000)));
    assert!(st["lfs"]["pointerSize"].as_u64().unwrap() > 100);
    let cfg = sibs.iter().find(|s| s["rfilename"] == "config.json").unwrap();
    assert_eq!(cfg["blobId"], git_blob_oid(b"{\"a\": 1}\n"));
    assert!(cfg["lfs"].is_null());
    // Revision not found; repo not found (401 anonymous, 404 with a valid token).
    let r = c.get(format!("{}/api/models/acme/m/revision/nope", hub.url())).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(h(&r, "x-error-code"), "RevisionNotFound");
    let r = c.get(format!("{}/api/models/acme/missing", hub.url())).send().await.unwrap();
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (401, "RepoNotFound".into()));
    assert_eq!(h(&r, "x-error-message"), "Repository not found");
    let r = c.get(format!("{}/api/models/acme/missing", hub.url())).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (404, "RepoNotFound".into()));
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"], "Repository not found");
}

#[tokio::test]
async fn refs_branches_tags_and_encoded_revisions() {
    let hub = hub();
    let c1 = hub.add_repo(model("acme/m"));
    hub.create_tag(RepoType::Model, "acme/m", "v1.0", "main");
    let c2 = hub.commit(
        RepoType::Model,
        "acme/m",
        "refs/pr/1",
        vec![("pr.txt".into(), FileSource::Bytes("p".into()))],
        &[],
        "pr",
    );
    hub.create_branch(RepoType::Model, "acme/m", "dev", &c1);
    let c = http();
    let v: serde_json::Value =
        c.get(format!("{}/api/models/acme/m/refs", hub.url())).send().await.unwrap().json().await.unwrap();
    let branches = v["branches"].as_array().unwrap();
    assert!(branches.iter().any(|b| b["name"] == "main" && b["ref"] == "refs/heads/main" && b["targetCommit"] == c1));
    assert!(branches.iter().any(|b| b["name"] == "dev" && b["targetCommit"] == c1));
    assert_eq!(v["tags"][0]["name"], "v1.0");
    assert_eq!(v["tags"][0]["ref"], "refs/tags/v1.0");
    assert_eq!(v["converts"], serde_json::json!([]));
    // Percent-encoded revision with slashes.
    let r = c.head(format!("{}/acme/m/resolve/refs%2Fpr%2F1/pr.txt", hub.url())).send().await.unwrap();
    assert_eq!(r.status(), 307);
    assert_eq!(h(&r, "x-repo-commit"), c2);
    let r = c.head(format!("{}/acme/m/resolve/v1.0/pr.txt", hub.url())).send().await.unwrap();
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (404, "EntryNotFound".into()));
    assert_eq!(h(&r, "x-repo-commit"), c1);
    let v: serde_json::Value = c
        .get(format!("{}/api/models/acme/m/commits/refs%2Fpr%2F1", hub.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v[0]["id"], c2);
    assert_eq!(v[1]["id"], c1);
}

#[tokio::test]
async fn tree_listing_recursive_and_paginated() {
    let hub = hub();
    hub.add_repo(model("acme/m"));
    let c = http();
    let get = |u: String| {
        let c = c.clone();
        async move { c.get(u).send().await.unwrap() }
    };
    let v: serde_json::Value = get(format!("{}/api/models/acme/m/tree/main", hub.url())).await.json().await.unwrap();
    let paths: Vec<&str> = v.as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, [".gitattributes", "README.md", "config.json", "model.safetensors", "sub"]);
    let st = v.as_array().unwrap().iter().find(|e| e["path"] == "model.safetensors").unwrap();
    assert_eq!(st["type"], "file");
    assert_eq!(st["size"], 300_000);
    assert_eq!(st["lfs"]["oid"], sha256_hex(&big(300_000)));
    assert!(st["lfs"]["pointerSize"].is_u64());
    let v: serde_json::Value =
        get(format!("{}/api/models/acme/m/tree/main/sub", hub.url())).await.json().await.unwrap();
    let paths: Vec<&str> = v.as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["sub/deeper", "sub/notes.txt"]);
    let r = get(format!("{}/api/models/acme/m/tree/main/nope", hub.url())).await;
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (404, "EntryNotFound".into()));
    // Recursive, three per page, following Link rel="next".
    hub.set_page_size(3);
    let mut url = format!("{}/api/models/acme/m/tree/main?recursive=true&expand=false", hub.url());
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        let r = get(url.clone()).await;
        assert_eq!(r.status(), 200);
        let link = h(&r, "link");
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v.as_array().unwrap().len() <= 3);
        all.extend(v.as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap().to_string()));
        pages += 1;
        if link.is_empty() {
            break;
        }
        assert!(link.ends_with("; rel=\"next\""), "{link}");
        url = link.trim_start_matches('<').split('>').next().unwrap().to_string();
        assert!(url.starts_with(&hub.url()) && url.contains("recursive=true") && url.contains("cursor="), "{url}");
    }
    assert_eq!(pages, 3);
    assert_eq!(
        all,
        [
            ".gitattributes",
            "README.md",
            "config.json",
            "model.safetensors",
            "sub",
            "sub/deeper",
            "sub/deeper/z.txt",
            "sub/notes.txt"
        ]
    );
}

#[tokio::test]
async fn paths_info_returns_existing_entries() {
    let hub = hub();
    hub.add_repo(model("acme/m"));
    let r = http()
        .post(format!("{}/api/models/acme/m/paths-info/main", hub.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("paths=config.json&paths=sub&paths=missing.txt&paths=model.safetensors&expand=false")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    let v = v.as_array().unwrap();
    assert_eq!(v.len(), 3);
    assert_eq!(v[0]["path"], "config.json");
    assert_eq!(v[0]["oid"], git_blob_oid(b"{\"a\": 1}\n"));
    assert_eq!(v[1]["type"], "directory");
    assert_eq!(v[2]["lfs"]["size"], 300_000);
}

#[tokio::test]
async fn search_filters_sorts_and_paginates() {
    let hub = hub();
    for i in 0..5u64 {
        let tags: &[&str] = if i % 2 == 0 { &["llama", "gguf"] } else { &["bert"] };
        hub.add_repo(
            RepoSpec::new(RepoType::Model, &format!("org{}/Model-{i}", i % 2))
                .tags(tags)
                .downloads(i * 10)
                .likes(100 - i),
        );
    }
    hub.add_repo(RepoSpec::new(RepoType::Model, "acme/secret-model").private(true));
    hub.add_repo(RepoSpec::new(RepoType::Dataset, "org0/model-data"));
    let c = http();
    let ids = |v: serde_json::Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect()
    };
    let get = |q: &str, tok: Option<&str>| {
        let mut rb = c.get(format!("{}/api/models?{q}", hub.url()));
        if let Some(t) = tok {
            rb = rb.bearer_auth(t);
        }
        rb.send()
    };
    let v: serde_json::Value = get("search=MODEL&sort=downloads", None).await.unwrap().json().await.unwrap();
    assert_eq!(ids(v.clone()), ["org0/Model-4", "org1/Model-3", "org0/Model-2", "org1/Model-1", "org0/Model-0"]);
    let item = &v[0];
    for k in [
        "_id",
        "author",
        "sha",
        "lastModified",
        "createdAt",
        "private",
        "gated",
        "disabled",
        "downloads",
        "likes",
        "tags",
        "trendingScore",
    ] {
        assert!(item.get(k).is_some(), "{k}");
    }
    let v = get("filter=llama&filter=gguf&author=org0&sort=likes", None).await.unwrap().json().await.unwrap();
    assert_eq!(ids(v), ["org0/Model-0", "org0/Model-2", "org0/Model-4"]);
    let v = get("search=secret", None).await.unwrap().json().await.unwrap();
    assert!(ids(v).is_empty());
    let v = get("search=secret", Some(OTHER)).await.unwrap().json().await.unwrap();
    assert!(ids(v).is_empty());
    let v = get("search=secret", Some(TOKEN)).await.unwrap().json().await.unwrap();
    assert_eq!(ids(v), ["acme/secret-model"]);
    // limit caps the total; page size 2 gives Link headers.
    hub.set_page_size(2);
    let r = get("sort=downloads&limit=3", None).await.unwrap();
    let link = h(&r, "link");
    assert_eq!(ids(r.json().await.unwrap()), ["org0/Model-4", "org1/Model-3"]);
    let next = link.trim_start_matches('<').split('>').next().unwrap().to_string();
    assert!(next.starts_with(&format!("{}/api/models?", hub.url())) && next.contains("sort=downloads"), "{link}");
    let r = c.get(next).send().await.unwrap();
    assert_eq!(h(&r, "link"), "");
    assert_eq!(ids(r.json().await.unwrap()), ["org0/Model-2"]);
    let v = c.get(format!("{}/api/datasets?search=model", hub.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(ids(v), ["org0/model-data"]);
}

#[tokio::test]
async fn resolve_regular_file_relative_redirect_then_content() {
    let hub = hub();
    let commit = hub.add_repo(model("acme/m"));
    let c = http();
    let r = c.head(format!("{}/acme/m/resolve/main/sub/notes.txt", hub.url())).send().await.unwrap();
    assert_eq!(r.status(), 307);
    let loc = h(&r, "location");
    assert!(loc.starts_with(&format!("/api/resolve-cache/models/acme/m/{commit}/sub/notes.txt?")), "{loc}");
    assert!(loc.contains("etag="));
    assert_eq!(h(&r, "x-repo-commit"), commit);
    for method in [reqwest::Method::HEAD, reqwest::Method::GET] {
        let r = c
            .request(method.clone(), format!("{}{loc}", hub.url()))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(h(&r, "x-repo-commit"), commit);
        assert_eq!(h(&r, "etag"), format!("\"{}\"", git_blob_oid(b"notes\n")));
        assert_eq!(h(&r, "content-length"), "6");
        assert_eq!(h(&r, "accept-ranges"), "bytes");
        assert_eq!(h(&r, "content-encoding"), "");
        assert!(!h(&r, "content-type").is_empty());
        if method == reqwest::Method::GET {
            assert_eq!(r.bytes().await.unwrap(), "notes\n");
        }
    }
    // Missing file: EntryNotFound with the commit.
    let r = c.get(format!("{}/acme/m/resolve/main/none.txt", hub.url())).send().await.unwrap();
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (404, "EntryNotFound".into()));
    assert_eq!(h(&r, "x-repo-commit"), commit);
    // Datasets live under datasets/.
    hub.add_repo(RepoSpec::new(RepoType::Dataset, "acme/d").file("data/x y.csv", "a,b\n"));
    let r = c.head(format!("{}/datasets/acme/d/resolve/main/data/x%20y.csv", hub.url())).send().await.unwrap();
    assert_eq!(r.status(), 307);
    assert!(h(&r, "location").starts_with("/api/resolve-cache/datasets/acme/d/"));
    let r = c.head(format!("{}/acme/d/resolve/main/data/x%20y.csv", hub.url())).send().await.unwrap();
    assert_eq!(h(&r, "x-error-code"), "RepoNotFound");
}

#[tokio::test]
async fn resolve_lfs_file_redirects_to_cdn() {
    let hub = hub();
    let commit = hub.add_repo(model("acme/m"));
    let data = big(300_000);
    let sha = sha256_hex(&data);
    let c = http();
    let r =
        c.head(format!("{}/acme/m/resolve/main/model.safetensors", hub.url())).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let loc = h(&r, "location");
    assert!(loc.starts_with(&format!("{}/repos/", hub.cdn_url())) && loc.contains(&sha), "{loc}");
    assert_eq!(h(&r, "x-repo-commit"), commit);
    assert_eq!(h(&r, "x-linked-etag"), format!("\"{sha}\""));
    assert_eq!(h(&r, "x-linked-size"), "300000");
    assert!(!h(&r, "etag").is_empty());
    let r = c.head(&loc).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, "content-length"), "300000");
    assert_eq!(h(&r, "accept-ranges"), "bytes");
    assert_eq!(h(&r, "etag"), format!("\"{sha}\""));
    let r = c.get(&loc).send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap(), data);
    let log = hub.log();
    let cdn: Vec<_> = log.iter().filter(|l| l.server == Server::Cdn).collect();
    assert_eq!(cdn.len(), 2);
    assert!(cdn.iter().all(|l| !l.has_authorization && l.status == 200));
    assert_eq!(cdn[1].bytes(), 300_000);
    let hub_entry = log.iter().find(|l| l.server == Server::Hub).unwrap();
    assert_eq!(hub_entry.authorization.as_deref(), Some(&*format!("Bearer {TOKEN}")));
    assert_eq!(hub_entry.status, 302);
}

#[tokio::test]
async fn ranges_206_and_416() {
    let hub = hub();
    let dir = tempfile::tempdir().unwrap();
    let data = big(1_000_000);
    fs_err::write(dir.path().join("w.bin"), &data).unwrap();
    hub.add_repo(
        RepoSpec::new(RepoType::Model, "acme/r")
            .file_from_disk("w.bin", dir.path().join("w.bin"))
            .file("t.txt", "0123456789"),
    );
    let c = http();
    let r = c.head(format!("{}/acme/r/resolve/main/w.bin", hub.url())).send().await.unwrap();
    let cdn = h(&r, "location");
    let r = c.head(format!("{}/acme/r/resolve/main/t.txt", hub.url())).send().await.unwrap();
    let small = format!("{}{}", hub.url(), h(&r, "location"));
    for (url, body, size) in [(cdn.as_str(), &data[..], 1_000_000u64), (small.as_str(), &b"0123456789"[..], 10)] {
        let get = |range: String| c.get(url).header("range", range).send();
        let r = get("bytes=2-5".into()).await.unwrap();
        assert_eq!(r.status(), 206);
        assert_eq!(h(&r, "content-range"), format!("bytes 2-5/{size}"));
        assert_eq!(h(&r, "content-length"), "4");
        assert_eq!(r.bytes().await.unwrap(), body[2..6]);
        let r = get(format!("bytes={}-", size - 3)).await.unwrap();
        assert_eq!(r.status(), 206);
        assert_eq!(r.bytes().await.unwrap(), body[body.len() - 3..]);
        let r = get("bytes=-4".into()).await.unwrap();
        assert_eq!(h(&r, "content-range"), format!("bytes {}-{}/{size}", size - 4, size - 1));
        assert_eq!(r.bytes().await.unwrap(), body[body.len() - 4..]);
        let r = get(format!("bytes={size}-")).await.unwrap();
        assert_eq!(r.status(), 416);
        assert_eq!(h(&r, "content-range"), format!("bytes */{size}"));
    }
    // Whole file from disk, streamed.
    let r = c.get(&cdn).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap(), data);
}

#[tokio::test]
async fn private_repos_only_for_namespace_members() {
    let hub = hub();
    hub.add_repo(RepoSpec::new(RepoType::Model, "acme/p").file("a.txt", "a").private(true));
    hub.add_repo(RepoSpec::new(RepoType::Model, "bob/p").file("a.txt", "a").private(true));
    let c = http();
    let status = |path: &'static str, tok: Option<&'static str>| {
        let mut rb = c.get(format!("{}{path}", hub.url()));
        if let Some(t) = tok {
            rb = rb.bearer_auth(t);
        }
        async move {
            let r = rb.send().await.unwrap();
            (r.status().as_u16(), h(&r, "x-error-code"))
        }
    };
    assert_eq!(status("/api/models/acme/p", None).await, (401, "RepoNotFound".into()));
    assert_eq!(status("/api/models/acme/p", Some(OTHER)).await, (404, "RepoNotFound".into()));
    assert_eq!(status("/api/models/acme/p", Some(TOKEN)).await.0, 200);
    assert_eq!(status("/acme/p/resolve/main/a.txt", None).await, (401, "RepoNotFound".into()));
    assert_eq!(status("/acme/p/resolve/main/a.txt", Some(TOKEN)).await.0, 307);
    assert_eq!(status("/api/models/acme/p/tree/main", Some(OTHER)).await.0, 404);
    assert_eq!(status("/api/models/bob/p/tree/main", Some(OTHER)).await.0, 200);
    assert_eq!(status("/api/models/bob/p/refs", Some(TOKEN)).await.0, 404);
}

#[tokio::test]
async fn gated_repos_need_a_granted_user_for_files() {
    let hub = hub();
    hub.add_repo(model("meta/g").gated("manual", &["alice"]));
    let c = http();
    let get = |path: &str, tok: Option<&str>| {
        let mut rb = c.head(format!("{}{path}", hub.url()));
        if let Some(t) = tok {
            rb = rb.bearer_auth(t);
        }
        rb.send()
    };
    let v: serde_json::Value =
        c.get(format!("{}/api/models/meta/g", hub.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["gated"], "manual");
    assert_eq!(get("/api/models/meta/g/tree/main", None).await.unwrap().status(), 200);
    assert_eq!(get("/meta/g/resolve/main/README.md", None).await.unwrap().status(), 307);
    assert_eq!(get("/meta/g/resolve/main/.gitattributes", None).await.unwrap().status(), 307);
    let r = get("/meta/g/resolve/main/config.json", None).await.unwrap();
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (401, "GatedRepo".into()));
    assert!(h(&r, "x-error-message").contains("restricted"), "{}", h(&r, "x-error-message"));
    let r = get("/meta/g/resolve/main/model.safetensors", Some(OTHER)).await.unwrap();
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (403, "GatedRepo".into()));
    assert!(h(&r, "x-error-message").contains("not in the authorized list"));
    assert_eq!(get("/meta/g/resolve/main/model.safetensors", Some(TOKEN)).await.unwrap().status(), 302);
}

#[tokio::test]
async fn fault_status_with_retry_after_then_recovers() {
    let hub = hub();
    hub.add_repo(model("acme/m"));
    hub.add_fault(Fault {
        method: Some("GET"),
        path_contains: "/api/models/acme/m".into(),
        kind: FaultKind::Status { status: 503, retry_after: Some(7) },
        times: 2,
    });
    let c = http();
    let url = format!("{}/api/models/acme/m", hub.url());
    // HEAD does not match a GET-only fault.
    assert_eq!(c.head(&url).send().await.unwrap().status(), 200);
    for _ in 0..2 {
        let r = c.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(h(&r, "retry-after"), "7");
        assert!(!h(&r, "x-error-message").is_empty());
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"].is_string());
    }
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    let statuses: Vec<u16> = hub.log().iter().map(|l| l.status).collect();
    assert_eq!(statuses, [200, 503, 503, 200]);
    hub.add_fault(Fault::new("/api/models", FaultKind::Status { status: 429, retry_after: None }, 5));
    hub.clear_faults();
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn fault_drop_after_breaks_the_body() {
    let hub = hub();
    hub.add_repo(model("acme/m"));
    let c = http();
    let loc =
        h(&c.head(format!("{}/acme/m/resolve/main/model.safetensors", hub.url())).send().await.unwrap(), "location");
    hub.add_fault(Fault::new("/repos/", FaultKind::DropAfter { bytes: 100_000 }, 1));
    let mut r = c.get(&loc).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut got = 0usize;
    let err = loop {
        match r.chunk().await {
            Ok(Some(b)) => got += b.len(),
            Ok(None) => panic!("clean end of body after {got} bytes"),
            Err(e) => break e,
        }
    };
    assert_eq!(got, 100_000, "{err}");
    assert_eq!(hub.bytes_served("/repos/"), 100_000);
    // Resume with a range.
    let r = c.get(&loc).header("range", "bytes=100000-").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap(), big(300_000)[100_000..]);
    assert_eq!(hub.bytes_served("/repos/"), 300_000);
    assert_eq!(hub.log().last().unwrap().range.as_deref(), Some("bytes=100000-"));
}

#[tokio::test]
async fn fault_delay_and_bandwidth_limit() {
    let hub = hub();
    hub.add_repo(RepoSpec::new(RepoType::Model, "acme/b").file("w.bin", big(200_000)));
    let c = http();
    // Lower bounds are exact; the upper bounds leave a loaded 2-core machine 10x its usual time
    // for a local request, far below the injected costs they tell apart.
    hub.add_fault(Fault::new("/api/models/acme/b", FaultKind::Delay { ms: 1500 }, 1));
    let t = Instant::now();
    assert_eq!(c.get(format!("{}/api/models/acme/b", hub.url())).send().await.unwrap().status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(1500));
    let t = Instant::now();
    assert_eq!(c.get(format!("{}/api/models/acme/b", hub.url())).send().await.unwrap().status(), 200);
    assert!(t.elapsed() < Duration::from_millis(1000), "the fault fired twice: {:?}", t.elapsed());

    let loc = h(&c.head(format!("{}/acme/b/resolve/main/w.bin", hub.url())).send().await.unwrap(), "location");
    hub.set_bandwidth_limit(Some(100_000));
    let t = Instant::now();
    let mut r = c.get(&loc).send().await.unwrap();
    // Partway through, the log already shows a partial count.
    let mut got = 0;
    let mut seen_partial = false;
    while let Some(b) = r.chunk().await.unwrap() {
        got += b.len();
        let served = hub.bytes_served("/repos/");
        if served > 0 && served < 200_000 {
            seen_partial = true;
        }
    }
    assert_eq!(got, 200_000);
    assert!(seen_partial);
    assert!(t.elapsed() >= Duration::from_millis(1600), "{:?}", t.elapsed());
    hub.set_bandwidth_limit(None);
    let t = Instant::now();
    c.get(&loc).send().await.unwrap().bytes().await.unwrap();
    assert!(t.elapsed() < Duration::from_millis(1000), "still capped: {:?}", t.elapsed());
}

#[test]
fn usable_from_sync_code_and_shuts_down_on_drop() {
    let hub = FakeHub::start();
    hub.add_repo(RepoSpec::new(RepoType::Space, "acme/s").file("app.py", "print(1)\n"));
    let addr = hub.url().trim_start_matches("http://").to_string();
    {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "GET /api/spaces/acme/s HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: proto-test/1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        assert!(out.contains("\"app.py\""));
    }
    let log = hub.log();
    assert_eq!(log[0].path, "/api/spaces/acme/s");
    assert_eq!(log[0].user_agent.as_deref(), Some("proto-test/1"));
    assert!(!log[0].has_authorization);
    hub.clear_log();
    assert!(hub.log().is_empty());
    drop(hub);
    assert!(std::net::TcpStream::connect(&addr).is_err());
}

#[test]
fn big_disk_file_is_hashed_streaming() {
    let dir = tempfile::tempdir().unwrap();
    let mut content = big(11 << 20);
    content[5] = 7;
    fs_err::create_dir_all(dir.path().join("nested/deep")).unwrap();
    fs_err::write(dir.path().join("nested/deep/big.dat"), &content).unwrap();
    fs_err::write(dir.path().join("small.dat"), b"abc").unwrap();
    let hub = FakeHub::start();
    hub.add_repo(RepoSpec::new(RepoType::Model, "acme/d").dir(dir.path()));
    // Over 10 MiB: LFS whatever the extension; small .dat file: regular.
    let f = hub.file_info(RepoType::Model, "acme/d", "main", "nested/deep/big.dat").unwrap();
    assert!(f.lfs);
    assert_eq!(f.sha256, sha256_hex(&content));
    assert_eq!(f.etag(), f.sha256);
    let s = hub.file_info(RepoType::Model, "acme/d", "main", "small.dat").unwrap();
    assert!(!s.lfs);
    assert_eq!(s.etag(), git_blob_oid(b"abc"));
}
