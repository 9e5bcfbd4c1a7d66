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
    let (code, _, _) = env.run(&["repo", "ls", "acme/tiny", "../x"]);
    assert_eq!(code, 1);
}

#[test]
fn tag_list_and_pending_write_actions() {
    let env = TestEnv::new();
    let c = env.hub.add_repo(tiny_model("acme/tiny"));
    env.hub.create_tag(RepoType::Model, "acme/tiny", "v1.0", &c);
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "tag", "list", "acme/tiny", "--json"])).unwrap();
    assert_eq!(v[0]["name"], "v1.0");
    assert_eq!(v[0]["target_commit"], c.as_str());
    for args in [
        &["repo", "create", "acme/new"][..],
        &["repo", "delete", "acme/tiny", "--yes"],
        &["repo", "tag", "create", "acme/tiny", "v2"],
    ] {
        let (code, _, err) = env.run(args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains("not implemented yet") && err.contains("#6"), "{err}");
    }
}
