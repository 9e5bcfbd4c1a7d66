//! `hfx repo info|ls|tag list` against the fake Hub (write actions belong to issue #6).

use crate::common::*;

#[test]
fn info_lists_commit_files_sizes_and_lfs_ids() {
    let env = TestEnv::new();
    let commit = env.hub.add_repo(tiny_model("acme/tiny"));
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "info", "acme/tiny", "--json"])).unwrap();
    assert_eq!(v["sha"], commit.as_str());
    assert_eq!(v["repo_type"], "model");
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 5);
    let weights = files.iter().find(|f| f["path"] == "model.safetensors").unwrap();
    assert_eq!(weights["size"], 3 << 20);
    assert_eq!(weights["lfs"]["sha256"], sha256_hex(&pseudo_random(3 << 20, 7)));
    let config = files.iter().find(|f| f["path"] == "config.json").unwrap();
    assert!(config["lfs"].is_null());
    assert_eq!(v["total_size"].as_u64().unwrap(), files.iter().map(|f| f["size"].as_u64().unwrap()).sum::<u64>());
    let human = env.ok(&["repo", "info", "acme/tiny"]);
    assert!(human.contains(&format!("commit: {commit}")) && human.contains("model.safetensors"), "{human}");
    let (code, _, err) = env.run(&["repo", "info", "acme/nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn ls_lists_children_or_everything() {
    let env = TestEnv::new();
    env.hub.add_repo(tiny_model("acme/tiny").file("tokenizer/sub/deep.txt", "d"));
    let top: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "ls", "acme/tiny", "--json"])).unwrap();
    let paths: Vec<&str> = top.as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"tokenizer") && paths.contains(&"config.json"), "{paths:?}");
    assert!(!paths.contains(&"tokenizer/vocab.txt"), "not recursive by default: {paths:?}");
    let sub: serde_json::Value =
        serde_json::from_str(&env.ok(&["repo", "ls", "acme/tiny", "tokenizer", "-R", "--json"])).unwrap();
    let paths: Vec<&str> = sub.as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"tokenizer/vocab.txt") && paths.contains(&"tokenizer/sub/deep.txt"), "{paths:?}");
    let human = env.ok(&["repo", "ls", "acme/tiny"]);
    assert!(human.contains("tokenizer/") && human.contains("lfs"), "{human}");
    let (code, _, err) = env.run(&["repo", "ls", "acme/tiny", "nope"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nope"), "{err}");
    let (code, _, err) = env.run(&["repo", "ls", "acme/tiny", "../x"]);
    assert_eq!(code, 1);
    assert!(err.contains("../x"), "{err}");
}

#[test]
fn create_delete_and_permissions() {
    let env = TestEnv::new();
    let reader = "hf_readonlytoken0000000000";
    env.hub.add_user(
        reader,
        UserSpec {
            name: "bob".into(),
            fullname: "Bob".into(),
            orgs: vec![],
            token_name: "r".into(),
            role: "read".into(),
        },
    );
    let (code, _, err) = env.run(&["repo", "create", "alice/new"]);
    assert_eq!(code, 1);
    assert!(err.contains("not logged in"), "{err}");
    env.ok(&["login", "--token", TOKEN]);
    let url = env.ok(&["repo", "create", "alice/new"]);
    assert_eq!(url, format!("{}/alice/new", env.hub.url()));
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "info", "alice/new", "--json"])).unwrap();
    assert_eq!(v["files"][0]["path"], ".gitattributes");
    let (code, _, err) = env.run(&["repo", "create", "alice/new"]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists") && err.contains("--exist-ok"), "{err}");
    env.ok(&["repo", "create", "alice/new", "--exist-ok"]);
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["repo", "create", "acme/data", "--type", "dataset", "--private", "--json"]))
            .unwrap();
    assert_eq!(v["url"], format!("{}/datasets/acme/data", env.hub.url()));
    let (code, _, err) = env.run(&["repo", "create", "other/x"]);
    assert_eq!(code, 1);
    assert!(err.contains("403"), "{err}");
    let (code, _, _) = env.run(&["repo", "create", "demo/space", "--type", "space"]);
    assert_eq!(code, 2, "a Space needs --space-sdk");
    let out = env.hfx().args(["repo", "create", "bob/x"]).env("HF_TOKEN", reader).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("read-only"));
    // The private dataset is invisible to others.
    let out =
        env.hfx().args(["repo", "info", "acme/data", "--type", "dataset"]).env("HF_TOKEN", reader).output().unwrap();
    assert_eq!(out.status.code(), Some(1));

    let (code, _, err) = env.run(&["repo", "delete", "alice/new"]);
    assert_eq!(code, 1);
    assert!(err.contains("--yes"), "{err}");
    env.ok(&["repo", "delete", "alice/new", "--yes"]);
    let (code, _, err) = env.run(&["repo", "info", "alice/new"]);
    assert_eq!(code, 1);
    assert!(err.contains("not found") && err.contains("alice/new"), "{err}");
    let (code, _, err) = env.run(&["repo", "delete", "alice/new", "--yes"]);
    assert_eq!(code, 1);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn branches_and_tags() {
    let env = TestEnv::new();
    let c1 = env.hub.add_repo(tiny_model("acme/tiny"));
    let c2 = commit_config_v2(&env, "acme/tiny");
    env.ok(&["login", "--token", TOKEN]);
    env.ok(&["repo", "branch", "create", "acme/tiny", "old", "--revision", &c1]);
    let p = env.ok(&["download", "acme/tiny", "config.json", "--revision", "old"]);
    assert!(p.contains(&c1));
    let (code, _, err) = env.run(&["repo", "branch", "create", "acme/tiny", "old"]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    env.ok(&["repo", "branch", "delete", "acme/tiny", "old"]);
    let (code, _, err) =
        env.run(&["download", "acme/tiny", "config.json", "--revision", "old", "--cache-dir", "/tmp/hfx-none"]);
    assert_eq!(code, 1);
    assert!(err.contains("old") && err.contains("not found"), "{err}");

    env.ok(&["repo", "tag", "create", "acme/tiny", "v1.0", "--revision", &c1, "-m", "first"]);
    env.ok(&["repo", "tag", "create", "acme/tiny", "v2.0"]);
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "tag", "list", "acme/tiny", "--json"])).unwrap();
    let tags: Vec<(&str, &str)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["target_commit"].as_str().unwrap()))
        .collect();
    assert_eq!(tags, vec![("v1.0", c1.as_str()), ("v2.0", c2.as_str())]);
    env.ok(&["repo", "tag", "delete", "acme/tiny", "v1.0"]);
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "tag", "list", "acme/tiny", "--json"])).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    let (code, _, _) = env.run(&["repo", "tag", "create", "acme/tiny"]);
    assert_eq!(code, 2, "a tag name is required");
    let (code, _, err) = env.run(&["repo", "tag", "delete", "acme/tiny", "nope"]);
    assert_eq!(code, 1, "{err}");
}
