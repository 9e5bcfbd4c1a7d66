//! `hfx download` behaviour against the fake Hub: cache layout, revisions, filters, offline,
//! local dirs, errors.

use std::path::PathBuf;

use crate::common::*;

#[test]
fn snapshot_download_builds_the_hub_cache_layout() {
    let env = TestEnv::new();
    let commit = env.hub.add_repo(tiny_model("acme/tiny"));
    let path = env.ok(&["download", "acme/tiny"]);
    let repo_dir = env.cache_dir().join("models--acme--tiny");
    assert_eq!(PathBuf::from(&path), repo_dir.join("snapshots").join(&commit));
    assert_eq!(fs_err::read_to_string(repo_dir.join("refs/main")).unwrap(), commit);
    assert!(env.cache_dir().join("CACHEDIR.TAG").is_file());
    // Relative symlinks into blobs named by etag: git sha1 for regular files, sha256 for LFS.
    let link = fs_err::read_link(repo_dir.join("snapshots").join(&commit).join("tokenizer/vocab.txt")).unwrap();
    assert!(link.starts_with("../../../blobs/"), "{}", link.display());
    let weights = pseudo_random(3 << 20, 7);
    let lfs = fs_err::read_link(repo_dir.join("snapshots").join(&commit).join("model.safetensors")).unwrap();
    assert_eq!(lfs, PathBuf::from(format!("../../blobs/{}", sha256_hex(&weights))));
    assert_eq!(fs_err::read(PathBuf::from(&path).join("model.safetensors")).unwrap(), weights);
    // `echo -n 'a\nb\nc\n' | git hash-object --stdin`
    assert!(repo_dir.join("blobs/de980441c3ab03a8c07dda1ad27b8a11f39deb1e").is_file());
    // The 2.x tree listing cache.
    let tree: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(repo_dir.join(format!("trees/{commit}.json"))).unwrap()).unwrap();
    assert_eq!(tree["format_version"], 1);
    assert_eq!(tree["files"]["model.safetensors"]["lfs_sha256"], sha256_hex(&weights));
    // The token-less CDN served the LFS file; nothing else left behind.
    assert!(
        fs_err::read_dir(repo_dir.join("blobs")).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("incomplete"))
    );
    assert!(env.cache_dir().join(".locks/models--acme--tiny").is_dir());
}

#[test]
fn cached_pinned_snapshot_needs_no_network() {
    let env = TestEnv::new();
    let commit = env.hub.add_repo(tiny_model("acme/tiny"));
    env.ok(&["download", "acme/tiny", "--revision", &commit]);
    env.hub.clear_log();
    let path = env.ok(&["download", "acme/tiny", "--revision", &commit]);
    assert!(path.ends_with(&commit));
    assert!(
        env.hub.log().is_empty(),
        "pinned + cached must not touch the network: {:?}",
        env.hub.log().iter().map(|r| r.path.clone()).collect::<Vec<_>>()
    );
    // A branch costs exactly one metadata call and no file transfer.
    env.ok(&["download", "acme/tiny"]);
    let log = env.hub.log();
    assert_eq!(log.len(), 1, "{:?}", log.iter().map(|r| r.path.clone()).collect::<Vec<_>>());
    assert!(log[0].path.contains("/revision/main"));
}

#[test]
fn single_file_prints_file_path_and_json() {
    let env = TestEnv::new();
    let commit = env.hub.add_repo(tiny_model("acme/tiny"));
    let path = env.ok(&["download", "acme/tiny", "config.json"]);
    assert!(path.ends_with(&format!("snapshots/{commit}/config.json")), "{path}");
    assert_eq!(fs_err::read_to_string(&path).unwrap(), r#"{"model_type": "llama", "hidden_size": 8}"#);
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["download", "hf://acme/tiny/model.safetensors", "--json"])).unwrap();
    assert_eq!(v["commit"], commit.as_str());
    assert_eq!(v["files"][0]["path"], "model.safetensors");
    assert_eq!(v["files"][0]["size"], 3 << 20);
    assert_eq!(v["files"][0]["status"], "downloaded");
    assert!(v["path"].as_str().unwrap().ends_with("model.safetensors"));
    // Again: served from cache.
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["download", "acme/tiny", "model.safetensors", "--json"])).unwrap();
    assert_eq!(v["files"][0]["status"], "cached");
    assert_eq!(v["downloaded_bytes"], 0);
}

#[test]
fn include_exclude_and_folder_arguments() {
    let env = TestEnv::new();
    let commit = env.hub.add_repo(tiny_model("acme/tiny"));
    let path = PathBuf::from(env.ok(&["download", "acme/tiny", "--include", "*.json", "--include", "tokenizer/*"]));
    let mut got: Vec<String> = walk(&path);
    got.sort();
    assert_eq!(got, vec!["config.json", "tokenizer/vocab.txt"]);
    let path = PathBuf::from(env.ok(&["download", "acme/tiny", "--exclude", "*.safetensors", "--exclude", ".git*"]));
    assert!(!path.join("model.safetensors").exists() && path.join("README.md").exists());
    assert!(path.ends_with(&commit));
    // Several files or a `dir/` argument: a snapshot download of just those.
    let dir = env.dir.path().join("c2");
    let out = env
        .hfx()
        .args(["download", "acme/tiny", "tokenizer/", "README.md"])
        .env("HF_HUB_CACHE", &dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let p = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    let mut got = walk(&p);
    got.sort();
    assert_eq!(got, vec!["README.md", "tokenizer/vocab.txt"]);
}

fn walk(root: &std::path::Path) -> Vec<String> {
    tree_picture(root).into_iter().filter(|(_, k)| k != "dir").map(|(p, _)| p).collect()
}

#[test]
fn branches_tags_and_commits() {
    let env = TestEnv::new();
    let c1 = env.hub.add_repo(tiny_model("acme/tiny"));
    env.hub.create_tag(RepoType::Model, "acme/tiny", "v1.0", &c1);
    let c2 = commit_config_v2(&env, "acme/tiny");
    let c3 = env.hub.commit(
        RepoType::Model,
        "acme/tiny",
        "dev",
        vec![("extra.txt".into(), FileSource::Bytes("x".into()))],
        &[],
        "dev",
    );
    assert_ne!(c1, c2);
    let p_tag = env.ok(&["download", "acme/tiny", "config.json", "--revision", "v1.0"]);
    assert!(p_tag.contains(&c1));
    let p_main = env.ok(&["download", "acme/tiny@main", "config.json"]);
    assert!(p_main.contains(&c2));
    assert_eq!(fs_err::read_to_string(&p_main).unwrap(), "{\"v\": 2}");
    let p_dev = env.ok(&["download", "acme/tiny", "--revision", "dev"]);
    assert!(p_dev.ends_with(&c3) && PathBuf::from(&p_dev).join("extra.txt").exists());
    let p_short = env.ok(&["download", "acme/tiny", "config.json", "--revision", &c1[..10]]);
    assert!(p_short.contains(&c1));
    let refs = env.cache_dir().join("models--acme--tiny/refs");
    assert_eq!(fs_err::read_to_string(refs.join("v1.0")).unwrap(), c1);
    assert_eq!(fs_err::read_to_string(refs.join("main")).unwrap(), c2);
    assert_eq!(fs_err::read_to_string(refs.join("dev")).unwrap(), c3);
    // Unchanged files share one blob across revisions: every snapshot entry resolves into
    // blobs/, each blob is used, and there are fewer blobs than entries.
    env.ok(&["download", "acme/tiny", "--revision", "v1.0"]);
    let repo = env.cache_dir().join("models--acme--tiny");
    let blobs: std::collections::BTreeSet<PathBuf> =
        fs_err::read_dir(repo.join("blobs")).unwrap().map(|e| e.unwrap().path().canonicalize().unwrap()).collect();
    let entries: Vec<PathBuf> = [&c1, &c2, &c3]
        .iter()
        .flat_map(|c| walk(&repo.join("snapshots").join(c)).into_iter().map(move |f| (c.to_string(), f)))
        .map(|(c, f)| repo.join("snapshots").join(c).join(f).canonicalize().unwrap())
        .collect();
    let used: std::collections::BTreeSet<PathBuf> = entries.iter().cloned().collect();
    assert_eq!(used, blobs);
    // v1.0 in full (5 files), main's config.json, dev in full (6): 12 entries over 7 contents
    // (two config.json versions, extra.txt, four files unchanged since v1.0).
    assert_eq!((entries.len(), blobs.len()), (12, 7));
    // config.json changed between the tag and main: two blobs there.
    let config = |c: &str| repo.join("snapshots").join(c).join("config.json").canonicalize().unwrap();
    assert_ne!(config(&c1), config(&c2));
}

#[test]
fn offline_reads_the_cache_with_zero_requests() {
    let env = TestEnv::new();
    let commit = env.hub.add_repo(tiny_model("acme/tiny"));
    let online = env.ok(&["download", "acme/tiny"]);
    env.hub.clear_log();
    let off = env.ok(&["download", "acme/tiny", "--offline"]);
    assert_eq!(off, online);
    let off_env = env.hfx().args(["download", "acme/tiny", "config.json"]).env("HF_HUB_OFFLINE", "1").output().unwrap();
    assert!(off_env.status.success());
    assert!(String::from_utf8_lossy(&off_env.stdout).contains(&commit));
    assert!(env.hub.log().is_empty(), "offline mode made requests");
    // Missing things fail clearly, still without requests.
    let (code, out, err) = env.run(&["download", "acme/tiny", "nope.bin", "--offline"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("not in the local cache") && err.contains("hint:"), "{err}");
    let (code, _, err) = env.run(&["download", "acme/other", "--offline"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("acme/other") && err.contains("hint:"), "{err}");
    let (code, _, err) = env.run(&["download", "acme/tiny", "--revision", "v9", "--offline"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("v9") && err.contains("hint:"), "{err}");
    assert!(env.hub.log().is_empty());
    // A partial snapshot is detected from the cached listing.
    let partial = env.dir.path().join("partial");
    let out = env
        .hfx()
        .args(["download", "acme/tiny", "--include", "*.json"])
        .env("HF_HUB_CACHE", &partial)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = env.hfx().args(["download", "acme/tiny", "--offline"]).env("HF_HUB_CACHE", &partial).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("incomplete"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = env
        .hfx()
        .args(["download", "acme/tiny", "--offline", "--include", "*.json"])
        .env("HF_HUB_CACHE", &partial)
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn dry_run_lists_without_downloading() {
    let env = TestEnv::new();
    env.hub.add_repo(tiny_model("acme/tiny"));
    let (code, out, err) = env.run(&["download", "acme/tiny", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("will download 5 file(s)"), "{err}");
    assert!(out.contains("model.safetensors") && out.contains("to download"), "{out}");
    assert!(!env.cache_dir().join("models--acme--tiny/snapshots").exists());
    env.ok(&["download", "acme/tiny", "config.json"]);
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["download", "acme/tiny", "--dry-run", "--json"])).unwrap();
    let statuses: Vec<(&str, &str)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert!(
        statuses.contains(&("config.json", "cached")) && statuses.contains(&("README.md", "planned")),
        "{statuses:?}"
    );
}

#[test]
fn local_dir_gets_real_files_and_metadata() {
    let env = TestEnv::new();
    let commit = env.hub.add_repo(tiny_model("acme/tiny"));
    let dir = env.dir.path().join("out");
    let printed = env.ok(&["download", "acme/tiny", "--local-dir", dir.to_str().unwrap()]);
    assert_eq!(PathBuf::from(printed), dir);
    let weights = dir.join("model.safetensors");
    assert!(!fs_err::symlink_metadata(&weights).unwrap().file_type().is_symlink());
    assert_eq!(fs_err::read(&weights).unwrap(), pseudo_random(3 << 20, 7));
    let meta = fs_err::read_to_string(dir.join(".cache/huggingface/download/model.safetensors.metadata")).unwrap();
    let lines: Vec<&str> = meta.lines().collect();
    assert_eq!(lines[0], commit);
    assert_eq!(lines[1], sha256_hex(&pseudo_random(3 << 20, 7)));
    assert_eq!(fs_err::read_to_string(dir.join(".cache/huggingface/.gitignore")).unwrap(), "*");
    assert!(!env.cache_dir().join("models--acme--tiny").exists(), "local-dir does not fill the cache");
    // Up to date: nothing transferred the second time.
    env.hub.clear_log();
    env.ok(&["download", "acme/tiny", "--local-dir", dir.to_str().unwrap()]);
    assert!(env.hub.log().iter().all(|r| !r.path.contains("resolve") && matches!(r.server, Server::Hub)));
}

#[test]
fn errors_are_clear_and_exit_1() {
    let env = TestEnv::new();
    env.hub.add_repo(tiny_model("acme/tiny"));
    env.hub.add_repo(tiny_model("acme/private").private(true));
    env.hub.add_repo(tiny_model("acme/gated").gated("manual", &["bob"]));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["download", "acme/nope"], "model `acme/nope` not found"),
        (vec!["download", "acme/private"], "not found"),
        (vec!["download", "acme/tiny", "--revision", "v404"], "revision `v404` not found"),
        (vec!["download", "acme/tiny", "missing.bin"], "file `missing.bin` not found in `acme/tiny`"),
        (vec!["download", "acme/gated", "config.json"], "restricted"),
        (vec!["download", "acme/tiny", "--repo-type", "dataset"], "dataset `acme/tiny` not found"),
    ];
    for (args, needle) in cases {
        let (code, out, err) = env.run(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?} printed on stdout: {out}");
        assert!(err.starts_with("error: ") && err.contains(needle), "{args:?}: {err}");
        assert!(err.contains("\nhint: "), "{args:?} has no hint: {err}");
    }
    // EntryNotFound leaves a `.no_exist` marker like huggingface_hub.
    let no_exist = env.cache_dir().join("models--acme--tiny/.no_exist");
    assert!(walk(&no_exist).iter().any(|p| p.ends_with("missing.bin")));
    // Gated with a token that is not granted: 403 with the access URL.
    let out = env.hfx().args(["download", "acme/gated", "config.json"]).env("HF_TOKEN", TOKEN).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("HTTP 403") && err.contains("/acme/gated"), "{err}");
    // Private with the owner's token works.
    let out = env.hfx().args(["download", "acme/private", "config.json"]).env("HF_TOKEN", TOKEN).output().unwrap();
    assert!(out.status.success());
    // Usage errors exit 2.
    let (code, _, err) = env.run(&["download", "hf://acme/tiny", "--revision", "main"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: ") && err.contains("--revision"), "{err}");
    let (code, _, err) = env.run(&["download", "acme/tiny", "a", "b", "--include", "*.json"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: ") && err.contains("--include"), "{err}");
}

#[test]
fn datasets_and_spaces_use_their_prefixes() {
    let env = TestEnv::new();
    let c = env.hub.add_repo(RepoSpec::new(RepoType::Dataset, "acme/data").file("data/train.jsonl", "{\"a\": 1}\n"));
    let p = env.ok(&["download", "acme/data", "--repo-type", "dataset"]);
    assert_eq!(PathBuf::from(&p), env.cache_dir().join(format!("datasets--acme--data/snapshots/{c}")));
    let p2 = env.ok(&["download", "hf://datasets/acme/data@main/data/train.jsonl"]);
    assert!(p2.ends_with("data/train.jsonl"));
    env.hub.add_repo(RepoSpec::new(RepoType::Space, "acme/demo").file("app.py", "print(1)\n"));
    let p3 = env.ok(&["download", "acme/demo", "--repo-type", "space"]);
    assert!(p3.contains("spaces--acme--demo"));
}

#[test]
fn without_symlinks_snapshots_hold_real_files_that_stay_cached_and_verify() {
    // HF_HUB_DISABLE_SYMLINKS=1 asks for what Windows without developer mode gets anyway.
    let env = TestEnv::new();
    env.hub.add_repo(tiny_model("acme/tiny"));
    let run = |args: &[&str]| {
        let out = env.hfx().env("HF_HUB_DISABLE_SYMLINKS", "1").args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim_end().to_string()
    };
    let snap = PathBuf::from(run(&["download", "acme/tiny"]));
    let files: Vec<_> = tree_picture(&snap).into_iter().filter(|(_, kind)| kind != "dir").collect();
    assert!(files.len() == 5 && files.iter().all(|(_, kind)| !kind.starts_with("->")), "{files:?}");
    assert_eq!(fs_err::read(snap.join("model.safetensors")).unwrap(), pseudo_random(3 << 20, 7));
    assert_eq!(fs_err::read_to_string(snap.join("tokenizer/vocab.txt")).unwrap(), "a\nb\nc\n");
    // The real files count as present: the next download asks for the revision and nothing else.
    env.hub.clear_log();
    run(&["download", "acme/tiny"]);
    let log = env.hub.log();
    assert_eq!(log.len(), 1, "{:?}", log.iter().map(|r| r.path.clone()).collect::<Vec<_>>());
    // And they re-hash to their etags.
    let v: serde_json::Value =
        serde_json::from_str(&run(&["cache", "verify", "acme/tiny", "--format", "json"])).unwrap();
    assert_eq!(v["mismatches"], 0, "{v}");
    assert_eq!(v["checked_files"].as_u64(), Some(5), "{v}");
}

/// `--max-workers N` caps the files in flight: with each file held 300 ms by the Hub, one worker
/// never has two file requests open at once, while the default (8) does.
#[test]
fn max_workers_caps_the_files_transferred_at_once() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let env = TestEnv::new();
    let mut spec = RepoSpec::new(RepoType::Model, "acme/six");
    for i in 0..6 {
        spec = spec.file(&format!("f{i}.txt"), format!("file {i}\n"));
    }
    env.hub.add_repo(spec);
    env.hub.add_fault(Fault {
        method: Some("GET"),
        path_contains: "/resolve/".into(),
        kind: FaultKind::Delay { ms: 300 },
        times: usize::MAX,
    });
    // Largest number of file requests the Hub had received but not yet answered, sampled while
    // the download ran.
    let peak = |extra: &[&str]| -> (usize, Duration) {
        env.hub.clear_log();
        let cache = env.dir.path().join(format!("cache{}", extra.join("")));
        let started = Instant::now();
        let mut child = env
            .hfx_std()
            .args(["download", "acme/six", "--cache-dir", cache.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut peak = 0;
        while child.try_wait().unwrap().is_none() {
            let open = env
                .hub
                .log()
                .iter()
                .filter(|r| r.method == "GET" && r.path.contains("/resolve/") && r.status == 0)
                .count();
            peak = peak.max(open);
            assert!(started.elapsed() < Duration::from_secs(60), "download too slow");
            std::thread::sleep(Duration::from_millis(5));
        }
        let elapsed = started.elapsed();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
        let snap = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        for i in 0..6 {
            assert_eq!(fs_err::read_to_string(snap.join(format!("f{i}.txt"))).unwrap(), format!("file {i}\n"));
        }
        let gets = env.hub.log().iter().filter(|r| r.method == "GET" && r.path.contains("/resolve/")).count();
        assert_eq!(gets, 6, "one request per file");
        (peak, elapsed)
    };
    let (one, one_took) = peak(&["--max-workers", "1"]);
    assert_eq!(one, 1, "--max-workers 1 had {one} files in flight at once");
    assert!(one_took >= Duration::from_millis(1800), "six 300 ms files one at a time took {one_took:?}");
    let (default, default_took) = peak(&[]);
    assert!(default >= 2, "the default 8 workers never overlapped (peak {default})");
    assert!(default_took < one_took, "{default_took:?} with 8 workers, {one_took:?} with 1");
    let (three, _) = peak(&["--max-workers", "3"]);
    assert!((2..=3).contains(&three), "--max-workers 3 had {three} files in flight at once");

    let (code, _, err) = env.run(&["download", "acme/six", "--max-workers", "0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--max-workers"), "{err}");
}
