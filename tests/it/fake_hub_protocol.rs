//! The fake Hub itself speaks the protocol of hub-protocol.md (checked with plain HTTP and
//! against git's own hashing).

use std::process::Command;

use crate::common::*;

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn h(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[test]
fn commit_tree_and_blob_ids_are_computed_like_git() {
    let hub = FakeHub::start();
    let commit = hub.add_repo(
        RepoSpec::new(RepoType::Model, "o/n").file("a.txt", "hello\n").file("sub/b.txt", "b\n").file("sub-x", "x"),
    );
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_AUTHOR_NAME", "Fake Hub")
            .env("GIT_AUTHOR_EMAIL", "hub@fake.invalid")
            .env("GIT_AUTHOR_DATE", "1735689660 +0000")
            .env("GIT_COMMITTER_NAME", "Fake Hub")
            .env("GIT_COMMITTER_EMAIL", "hub@fake.invalid")
            .env("GIT_COMMITTER_DATE", "1735689660 +0000")
            .output()
            .expect("git is installed");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q"]);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("a.txt"), "hello\n").unwrap();
    std::fs::write(dir.path().join("sub/b.txt"), "b\n").unwrap();
    std::fs::write(dir.path().join("sub-x"), "x").unwrap();
    git(&["add", "."]);
    let tree = git(&["write-tree"]);
    let git_commit = git(&["commit-tree", &tree, "-m", "initial commit"]);
    assert_eq!(commit, git_commit, "commit hash computed git-style");
}

#[tokio::test]
async fn resolve_redirects_headers_ranges_and_errors() {
    let hub = FakeHub::start();
    let data = pseudo_random(100_000, 1);
    let commit = hub
        .add_repo(RepoSpec::new(RepoType::Model, "o/n").file("config.json", "{}").file("w.safetensors", data.clone()));
    let c = http();
    // Regular file: relative redirect on the Hub, metadata on the final response.
    let r = c.head(format!("{}/o/n/resolve/main/config.json", hub.url())).send().await.unwrap();
    assert_eq!(r.status(), 307);
    assert!(h(&r, "location").starts_with("/api/resolve-cache/models/o/n/"));
    let r = c.head(format!("{}{}", hub.url(), h(&r, "location"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, "x-repo-commit"), commit);
    assert_eq!(h(&r, "etag"), "\"9e26dfeeb6e641a33dae4961196235bdb965b21b\"");
    assert_eq!(h(&r, "content-length"), "2");
    // LFS file: absolute redirect to the CDN origin with X-Linked-*.
    let r = c.head(format!("{}/o/n/resolve/{commit}/w.safetensors", hub.url())).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(h(&r, "x-linked-etag"), format!("\"{}\"", sha256_hex(&data)));
    assert_eq!(h(&r, "x-linked-size"), "100000");
    let loc = h(&r, "location");
    assert!(loc.starts_with(&hub.cdn_url()));
    let r = c.get(&loc).header("range", "bytes=10-19").send().await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(h(&r, "content-range"), "bytes 10-19/100000");
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[10..20]);
    let r = c.get(&loc).header("range", "bytes=-5").send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[data.len() - 5..]);
    let r = c.get(&loc).header("range", "bytes=100000-").send().await.unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(h(&r, "content-range"), "bytes */100000");
    // Errors carry X-Error-Code.
    let r = c.head(format!("{}/o/n/resolve/main/nope", hub.url())).send().await.unwrap();
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (404, "EntryNotFound".to_string()));
    assert_eq!(h(&r, "x-repo-commit"), commit);
    let r = c.get(format!("{}/api/models/o/n/revision/v9", hub.url())).send().await.unwrap();
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (404, "RevisionNotFound".to_string()));
    let r = c.get(format!("{}/api/models/o/missing", hub.url())).send().await.unwrap();
    assert_eq!((r.status().as_u16(), h(&r, "x-error-code")), (401, "RepoNotFound".to_string()));
    let r = c.get(format!("{}/api/whoami-v2", hub.url())).bearer_auth("hf_nope").send().await.unwrap();
    assert_eq!(r.status(), 401);
    // The log saw every request, and body bytes are counted.
    assert!(hub.bytes_served(&loc[hub.cdn_url().len()..hub.cdn_url().len() + 10]) >= 15);
}

#[tokio::test]
async fn tree_paginates_with_link_headers() {
    let hub = FakeHub::start();
    let mut spec = RepoSpec::new(RepoType::Dataset, "o/d");
    for i in 0..7 {
        spec = spec.file(&format!("data/part-{i}.jsonl"), "{}\n");
    }
    hub.add_repo(spec);
    hub.set_page_size(3);
    let c = http();
    let mut url = format!("{}/api/datasets/o/d/tree/main?recursive=true&expand=false", hub.url());
    let mut paths = Vec::new();
    let mut pages = 0;
    loop {
        let r = c.get(&url).send().await.unwrap();
        let next = h(&r, "link");
        let items: Vec<serde_json::Value> = r.json().await.unwrap();
        paths.extend(items.iter().map(|i| i["path"].as_str().unwrap().to_string()));
        pages += 1;
        if next.is_empty() {
            break;
        }
        url = next.trim_start_matches('<').split('>').next().unwrap().to_string();
    }
    assert_eq!(pages, 3);
    assert_eq!(paths.len(), 8, "7 files + the data directory: {paths:?}");
}
