//! File resolution: regular files, LFS redirects to the CDN, and ranges.

use super::*;

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
