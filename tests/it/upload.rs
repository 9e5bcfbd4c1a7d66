//! `hfx upload` against the fake Hub: preupload, LFS basic and multipart, verify, NDJSON
//! commits with `parentCommit`, multi-commit folders, and the round trip through download.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::*;

fn write(dir: &Path, rel: &str, data: &[u8]) {
    let p = dir.join(rel);
    fs_err::create_dir_all(p.parent().unwrap()).unwrap();
    fs_err::write(p, data).unwrap();
}

fn folder(env: &TestEnv) -> PathBuf {
    let d = env.dir.path().join("model");
    write(&d, "config.json", br#"{"model_type": "llama"}"#);
    write(&d, "README.md", b"# my model\n");
    write(&d, "empty.txt", b"");
    write(&d, "tokenizer/vocab.txt", b"a\nb\n");
    write(&d, "model.safetensors", &pseudo_random(3 << 20, 11));
    write(&d, ".git/HEAD", b"ref: refs/heads/main\n");
    d
}

fn logged_in() -> TestEnv {
    let env = TestEnv::new();
    env.ok(&["login", "--token", TOKEN]);
    env
}

#[test]
fn upload_folder_then_download_it_back_identically() {
    let env = logged_in();
    let d = folder(&env);
    let url = env.ok(&["upload", "alice/new", d.to_str().unwrap(), "--commit-message", "first"]);
    assert!(url.starts_with(&format!("{}/alice/new/commit/", env.hub.url())), "{url}");
    let commit = url.rsplit('/').next().unwrap().to_string();
    // The LFS file went through the batch API to storage, then was verified.
    let log = env.hub.log();
    assert!(log.iter().any(|r| r.path.contains(".git/info/lfs/objects/batch")));
    assert!(log.iter().any(|r| r.method == "PUT" && matches!(r.server, Server::Cdn)));
    assert!(log.iter().any(|r| r.path.contains("/objects/verify")));
    assert!(
        log.iter().filter(|r| matches!(r.server, Server::Cdn)).all(|r| !r.has_authorization),
        "no token to storage"
    );

    let fresh = env.dir.path().join("fresh");
    let out = env.hfx().args(["download", "alice/new", "--cache-dir", fresh.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let snap = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    assert!(snap.ends_with(&commit));
    for rel in ["config.json", "README.md", "empty.txt", "tokenizer/vocab.txt", "model.safetensors"] {
        assert_eq!(fs_err::read(snap.join(rel)).unwrap(), fs_err::read(d.join(rel)).unwrap(), "{rel}");
    }
    assert!(!snap.join(".git").exists(), "git internals are never uploaded");
    assert!(snap.join(".gitattributes").exists(), "the repo was created with its .gitattributes");
    let weights = fs_err::canonicalize(snap.join("model.safetensors")).unwrap();
    assert_eq!(
        weights.file_name().unwrap().to_str().unwrap(),
        sha256_hex(&pseudo_random(3 << 20, 11)),
        "stored as LFS"
    );
    let out =
        env.hfx().args(["cache", "verify", "alice/new", "--cache-dir", fresh.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());

    // Again: nothing changed, nothing committed, no LFS bytes sent.
    env.hub.clear_log();
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["upload", "alice/new", d.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(v["commits"], 0);
    assert_eq!(v["files_unchanged"], 5);
    assert!(env.hub.log().iter().all(|r| r.method != "PUT" && !r.path.contains("/commit/")));

    // One file changed: one commit with just that file; `--delete` removes remote files.
    write(&d, "config.json", br#"{"model_type": "llama", "v": 2}"#);
    let v: serde_json::Value = serde_json::from_str(&env.ok(&[
        "upload",
        "alice/new",
        d.to_str().unwrap(),
        "--delete",
        "*.md",
        "--exclude",
        "README.md",
        "--json",
    ]))
    .unwrap();
    assert_eq!(
        (v["commits"].as_u64(), v["files_committed"].as_u64(), v["files_deleted"].as_u64()),
        (Some(1), Some(1), Some(1))
    );
    let info: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "info", "alice/new", "--json"])).unwrap();
    let paths: Vec<&str> = info["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(!paths.contains(&"README.md") && paths.contains(&"config.json"), "{paths:?}");
}

#[test]
fn single_file_path_in_repo_and_pull_requests() {
    let env = logged_in();
    let d = folder(&env);
    env.ok(&["repo", "create", "alice/one"]);
    env.ok(&["upload", "alice/one", d.join("config.json").to_str().unwrap(), "configs/base.json"]);
    let p = env.ok(&["download", "alice/one", "configs/base.json"]);
    assert_eq!(fs_err::read(p).unwrap(), fs_err::read(d.join("config.json")).unwrap());
    let before: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "info", "alice/one", "--json"])).unwrap();
    let v: serde_json::Value = serde_json::from_str(&env.ok(&[
        "upload",
        "alice/one",
        d.join("README.md").to_str().unwrap(),
        "--create-pr",
        "--json",
    ]))
    .unwrap();
    assert!(v["pr_url"].as_str().unwrap().contains("/alice/one/discussions/1"), "{v}");
    let after: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "info", "alice/one", "--json"])).unwrap();
    assert_eq!(before["sha"], after["sha"], "main is untouched by a pull request");
    let p = env.ok(&["download", "alice/one", "README.md", "--revision", "refs/pr/1"]);
    assert_eq!(fs_err::read(p).unwrap(), b"# my model\n");
}

#[test]
fn large_file_goes_multipart_and_a_failed_part_is_retried() {
    let env = logged_in();
    let d = env.dir.path().join("big");
    fs_err::create_dir_all(&d).unwrap();
    // 40 MiB in 4 MiB parts: the same ten parts as a large model, a tenth of the disk (CI
    // machines share theirs), and still over the 32 MiB above which the download goes in chunks.
    let mut data = Vec::with_capacity(40 << 20);
    for i in 0..40u64 {
        data.extend_from_slice(&pseudo_random(1 << 20, i + 1));
    }
    fs_err::write(d.join("model.safetensors"), &data).unwrap();
    env.hub.set_lfs_chunk_size(4 << 20);
    env.hub.add_fault(Fault {
        method: Some("PUT"),
        path_contains: "/part/2?".into(),
        kind: FaultKind::Status { status: 500, retry_after: None },
        times: 1,
    });
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["upload", "alice/big", d.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(v["lfs_bytes_uploaded"], 40u64 << 20);
    let log = env.hub.log();
    let parts: Vec<_> = log.iter().filter(|r| r.method == "PUT" && r.path.contains("/part/")).collect();
    assert_eq!(parts.len(), 11, "10 parts of 4 MiB plus one retried");
    assert!(parts.iter().any(|r| r.status == 500), "the injected failure happened");
    assert!(log.iter().any(|r| r.method == "POST" && r.path.contains("/complete")));
    assert!(env.hub.has_lfs_object(&sha256_hex(&data)));
    let p = env.ok(&["download", "alice/big", "model.safetensors"]);
    let blob = fs_err::canonicalize(p).unwrap();
    assert_eq!(blob.file_name().unwrap().to_str().unwrap(), sha256_hex(&data));
}

#[test]
fn a_big_folder_goes_in_several_commits() {
    let env = logged_in();
    let d = env.dir.path().join("many");
    for i in 0..2000 {
        write(&d, &format!("shard-{:02}/file-{i:04}.txt", i % 20), format!("row {i}\n").as_bytes());
    }
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["upload", "acme/many", d.to_str().unwrap(), "--type", "dataset", "--json"]))
            .unwrap();
    assert_eq!(v["commits"], 4, "2,000 files in commits of at most 500");
    assert_eq!(v["files_committed"], 2000);
    let preuploads = env.hub.log().iter().filter(|r| r.path.contains("/preupload/")).count();
    assert_eq!(preuploads, 8, "batches of 256");
    let info: serde_json::Value =
        serde_json::from_str(&env.ok(&["repo", "info", "acme/many", "--type", "dataset", "--json"])).unwrap();
    assert_eq!(info["files"].as_array().unwrap().len(), 2001);
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["upload", "acme/many", d.to_str().unwrap(), "--type", "dataset", "--json"]))
            .unwrap();
    assert_eq!((v["commits"].as_u64(), v["files_unchanged"].as_u64()), (Some(0), Some(2000)));
}

#[test]
fn a_concurrent_commit_is_reported_not_overwritten() {
    let env = logged_in();
    let d = folder(&env);
    env.hub.add_repo(RepoSpec::new(RepoType::Model, "alice/busy").file("config.json", "{}"));
    env.hub.add_fault(Fault {
        method: Some("POST"),
        path_contains: "/preupload/".into(),
        kind: FaultKind::Delay { ms: 1500 },
        times: 1,
    });
    let child = env
        .hfx_std()
        .args(["upload", "alice/busy", d.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The preupload call comes after the upload has read its parent commit; it is held 1.5 s.
    wait_for_request(&env.hub, "POST", "/preupload/");
    let theirs = env.hub.commit(
        RepoType::Model,
        "alice/busy",
        "main",
        vec![("other.txt".into(), FileSource::Bytes("x".into()))],
        &[],
        "someone else",
    );
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("moved while uploading") && err.contains("hint: run the same command again"), "{err}");
    let info: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "info", "alice/busy", "--json"])).unwrap();
    assert_eq!(info["sha"], theirs.as_str(), "their commit stands");
    // Re-running uploads on top of it.
    env.ok(&["upload", "alice/busy", d.to_str().unwrap()]);
}

#[test]
fn bad_input_is_a_clear_error_and_commits_nothing() {
    let env = TestEnv::new();
    let d = folder(&env);
    let (code, _, err) = env.run(&["upload", "alice/x", d.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("not logged in"), "{err}");
    env.ok(&["login", "--token", TOKEN]);
    let (code, _, err) = env.run(&["upload", "alice/x", "/nonexistent/dir"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot upload `/nonexistent/dir`") && err.contains("hint:"), "{err}");
    let (code, _, err) = env.run(&["upload", "alice/x", d.join("config.json").to_str().unwrap(), "../escape.json"]);
    assert_eq!(code, 1);
    assert!(err.contains("unsafe file path"), "{err}");
    let reader = "hf_readonlytoken0000000000";
    env.hub.add_user(
        reader,
        UserSpec {
            name: "alice".into(),
            fullname: "A".into(),
            orgs: vec![],
            token_name: "r".into(),
            role: "read".into(),
        },
    );
    env.hub.add_repo(RepoSpec::new(RepoType::Model, "alice/ro").file("a.txt", "a"));
    let before = env.hub.log().len();
    let out = env.hfx().args(["upload", "alice/ro", d.to_str().unwrap()]).env("HF_TOKEN", reader).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("403") || err.contains("read-only"), "{err}");
    assert!(env.hub.log()[before..].iter().all(|r| !r.path.contains("/commit/")));
    let info: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "info", "alice/ro", "--json"])).unwrap();
    assert_eq!(info["files"].as_array().unwrap().len(), 1);
}

#[test]
fn no_right_to_create_and_per_file_limit() {
    let env = logged_in();
    let d = folder(&env);
    let (code, _, err) = env.run(&["upload", "other/x", d.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("403"), "{err}");
    // A sparse file over the 200 GB limit is refused before anything is hashed or sent.
    let huge = env.dir.path().join("huge.bin");
    fs_err::File::create(&huge).unwrap().set_len(200_000_000_001).unwrap();
    let before = env.hub.log().len();
    let (code, _, err) = env.run(&["upload", "alice/x", huge.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("per-file limit"), "{err}");
    assert_eq!(env.hub.log().len(), before, "no request was made");
}

/// Killed mid-upload, a re-run sends only what the Hub does not have yet.
#[test]
fn interrupted_upload_resumes_without_resending() {
    let env = logged_in();
    let d = env.dir.path().join("shards");
    // Many small objects: what a kill can waste is bounded by the uploads in flight (8).
    let n = 200;
    for i in 0..n {
        write(&d, &format!("shard-{i:03}.safetensors"), &pseudo_random(512 << 10, 100 + i as u64));
    }
    env.hub.add_fault(Fault {
        method: Some("PUT"),
        path_contains: "/upload/".into(),
        kind: FaultKind::Delay { ms: 150 },
        times: usize::MAX,
    });
    let puts_ok = |env: &TestEnv| env.hub.log().iter().filter(|r| r.method == "PUT" && r.status == 200).count();
    let mut child = env
        .hfx_std()
        .args(["upload", "alice/shards", d.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while puts_ok(&env) < n / 2 {
        assert!(start.elapsed() < Duration::from_secs(60), "upload too slow");
        assert!(child.try_wait().unwrap().is_none(), "finished before the kill");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let first = env.hub.log().iter().filter(|r| r.method == "PUT").count();
    env.hub.clear_faults();
    env.hub.clear_log();
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["upload", "alice/shards", d.to_str().unwrap(), "--json"])).unwrap();
    let second = env.hub.log().iter().filter(|r| r.method == "PUT").count();
    assert_eq!(v["files_committed"], n);
    assert!(first + second <= n + n / 10, "{first} + {second} PUTs for {n} objects");
    assert!(second < n, "the re-run skipped objects already stored");
}

#[test]
fn xet_is_offered_only_by_builds_that_have_it() {
    let env = logged_in();
    let d = folder(&env);
    // A Xet-enabled repository (the Hub answers `xet` to clients that offer it): this build
    // has no `xet` feature, so it does not offer Xet and the upload goes through multipart.
    env.hub.set_xet(XetMode::IfOffered);
    env.hub.set_lfs_chunk_size(1 << 20);
    env.ok(&["upload", "alice/xet-repo", d.to_str().unwrap()]);
    let offers = env.hub.lfs_offers();
    assert_eq!(offers, vec![vec!["basic".to_string(), "multipart".to_string()]], "{offers:?}");
    assert!(env.hub.log().iter().any(|r| r.path.contains("/part/")), "multipart was used");

    // A server choosing Xet anyway: a clear error naming the feature, and nothing committed.
    env.hub.set_xet(XetMode::Always);
    write(&d, "model-2.safetensors", &pseudo_random(2 << 20, 12));
    let head = |env: &TestEnv| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&env.ok(&["repo", "info", "alice/xet-repo", "--json"])).unwrap()["sha"]
            .clone()
    };
    let before = head(&env);
    let (code, _, err) = env.run(&["upload", "alice/xet-repo", d.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("Xet") && err.contains("hint:") && err.contains("--features xet"), "{err}");
    assert_eq!(head(&env), before, "nothing committed");
    // HF_HUB_DISABLE_XET is honoured (and is what a user sets to avoid Xet in `xet` builds).
    let out = env.hfx().args(["env", "--json"]).env("HF_HUB_DISABLE_XET", "1").output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["disable_xet"], true);
}

/// `--include` commits only the files its globs match (fnmatch: `*` crosses `/`, `dir/` is the
/// whole folder), and `--exclude` then removes some of those.
#[test]
fn include_commits_only_the_matching_files() {
    let env = logged_in();
    let d = folder(&env);
    write(&d, "nested/extra.json", b"{}");
    let v: serde_json::Value = serde_json::from_str(&env.ok(&[
        "upload",
        "alice/picked",
        d.to_str().unwrap(),
        "--include",
        "*.json",
        "--include",
        "tokenizer/",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["files_committed"], 3, "{v}");
    let info: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "info", "alice/picked", "--json"])).unwrap();
    let commit = info["sha"].as_str().unwrap();
    let mut paths: Vec<&str> = info["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    paths.sort_unstable();
    assert_eq!(paths, [".gitattributes", "config.json", "nested/extra.json", "tokenizer/vocab.txt"]);
    // What the Hub stores, file by file: the included ones with their bytes, the rest absent.
    for (rel, committed) in [
        ("config.json", true),
        ("nested/extra.json", true),
        ("tokenizer/vocab.txt", true),
        ("README.md", false),
        ("empty.txt", false),
        ("model.safetensors", false),
    ] {
        let stored = env.hub.file_info(RepoType::Model, "alice/picked", commit, rel);
        match stored {
            Some(f) => {
                assert!(committed, "{rel} was committed");
                assert_eq!(f.sha256, sha256_hex(&fs_err::read(d.join(rel)).unwrap()), "{rel}");
            }
            None => assert!(!committed, "{rel} is missing"),
        }
    }
    assert!(env.hub.log().iter().all(|r| r.method != "PUT"), "no LFS upload: the weights were not included");

    // `--exclude` narrows what `--include` picked.
    let v: serde_json::Value = serde_json::from_str(&env.ok(&[
        "upload",
        "alice/picked2",
        d.to_str().unwrap(),
        "--include",
        "*.json",
        "--exclude",
        "nested/*",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["files_committed"], 1, "{v}");
    let main = env.hub.resolve_rev(RepoType::Model, "alice/picked2", "main").unwrap();
    assert!(env.hub.file_info(RepoType::Model, "alice/picked2", &main, "config.json").is_some());
    assert!(env.hub.file_info(RepoType::Model, "alice/picked2", &main, "nested/extra.json").is_none());
}
