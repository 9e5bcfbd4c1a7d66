//! `hfx cache ls|rm|prune` on real downloads.

use crate::common::*;

fn two_revisions(env: &TestEnv) -> (String, String) {
    let c1 = env.hub.add_repo(tiny_model("acme/tiny"));
    env.ok(&["download", "acme/tiny"]);
    let c2 = commit_config_v2(env, "acme/tiny");
    env.ok(&["download", "acme/tiny"]);
    env.hub.add_repo(RepoSpec::new(RepoType::Dataset, "acme/data").file("train.jsonl", "{}\n"));
    env.ok(&["download", "acme/data", "--repo-type", "dataset"]);
    (c1, c2)
}

#[test]
fn ls_reports_repos_revisions_and_sizes() {
    let env = TestEnv::new();
    let (c1, c2) = two_revisions(&env);
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["cache", "ls", "--json"])).unwrap();
    let repos = v["repos"].as_array().unwrap();
    assert_eq!(repos.len(), 2);
    let tiny = repos.iter().find(|r| r["repo_id"] == "acme/tiny").unwrap();
    assert_eq!(tiny["repo_type"], "model");
    assert_eq!(tiny["refs"], serde_json::json!(["main"]));
    assert_eq!(tiny["revisions"].as_array().unwrap().len(), 2);
    // Blobs shared by both revisions count once: 5 files + 1 new config.
    assert_eq!(tiny["nb_files"], 6);
    assert!(tiny["size_on_disk"].as_u64().unwrap() > 3 << 20);
    assert!(tiny["last_accessed"].as_str().unwrap().ends_with('Z'));
    let main_rev = tiny["revisions"].as_array().unwrap().iter().find(|r| r["commit"] == c2.as_str()).unwrap();
    assert_eq!(main_rev["refs"], serde_json::json!(["main"]));
    assert!(
        tiny["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["commit"] == c1.as_str() && r["refs"] == serde_json::json!([]))
    );
    assert_eq!(
        v["size_on_disk"].as_u64().unwrap(),
        repos.iter().map(|r| r["size_on_disk"].as_u64().unwrap()).sum::<u64>()
    );

    let (code, out, err) = env.run(&["cache", "ls"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("ID "), "{out}");
    assert!(out.contains("model/acme/tiny") && out.contains("dataset/acme/data"), "{out}");
    assert!(err.contains("found 2 repo(s) with 3 revision(s)"), "{err}");
    let out = env.ok(&["cache", "ls", "--revisions"]);
    assert!(out.contains(&c1) && out.contains(&c2));
}

#[test]
fn rm_needs_confirmation_off_a_terminal_and_supports_dry_run() {
    let env = TestEnv::new();
    let (c1, c2) = two_revisions(&env);
    let repo_dir = env.cache_dir().join("models--acme--tiny");
    let (code, _, err) = env.run(&["cache", "rm", "acme/tiny"]);
    assert_eq!(code, 1);
    assert!(err.contains("--yes"), "{err}");
    assert!(repo_dir.exists());
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["cache", "rm", "acme/tiny", "--dry-run", "--json"])).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["deletions"][0]["kind"], "repo");
    assert!(repo_dir.exists());

    // Removing the detached old revision frees only blobs nothing else uses.
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["cache", "rm", &c1, "--dry-run", "--json"])).unwrap();
    let blobs = v["deletions"][0]["blobs"].as_array().unwrap();
    assert_eq!(blobs.len(), 1, "only the old config.json blob is unique to {c1}: {blobs:?}");
    env.ok(&["cache", "rm", &format!("acme/tiny@{c1}"), "--yes"]);
    assert!(!repo_dir.join("snapshots").join(&c1).exists());
    assert!(repo_dir.join("snapshots").join(&c2).exists());
    env.ok(&["cache", "verify", "acme/tiny"]);

    env.ok(&["cache", "rm", "dataset/acme/data", "-y"]);
    assert!(!env.cache_dir().join("datasets--acme--data").exists());
    let (code, _, err) = env.run(&["cache", "rm", "acme/never", "-y"]);
    assert_eq!(code, 1);
    assert!(err.contains("not in the cache") && err.contains("hfx cache ls"), "{err}");
}

#[test]
fn prune_removes_detached_revisions_partials_and_orphans() {
    let env = TestEnv::new();
    let (c1, c2) = two_revisions(&env);
    let repo_dir = env.cache_dir().join("models--acme--tiny");
    fs_err::write(repo_dir.join("blobs/deadbeef.incomplete"), b"partial").unwrap();
    fs_err::write(repo_dir.join("blobs/0000000000000000000000000000000000000000"), b"orphan").unwrap();
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["cache", "prune", "--dry-run", "--json"])).unwrap();
    let kinds: Vec<&str> = v["deletions"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"revision") && kinds.contains(&"incomplete") && kinds.contains(&"blob"), "{kinds:?}");
    assert!(repo_dir.join("snapshots").join(&c1).exists());
    env.ok(&["cache", "prune", "--yes"]);
    assert!(!repo_dir.join("snapshots").join(&c1).exists());
    assert!(repo_dir.join("snapshots").join(&c2).exists());
    assert!(!repo_dir.join("blobs/deadbeef.incomplete").exists());
    assert!(!repo_dir.join("blobs/0000000000000000000000000000000000000000").exists());
    env.ok(&["cache", "verify", "acme/tiny"]);
    // Nothing left to prune.
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["cache", "prune", "--dry-run", "--json"])).unwrap();
    assert_eq!(v["deletions"].as_array().unwrap().len(), 0);
}
