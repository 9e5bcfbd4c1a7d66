//! The repo API: info, refs, tree listings, paths-info and search.

use super::*;

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
