//! Git-style ids and LFS hashing, and the hub used from sync code and shut down on drop.

use super::*;

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
