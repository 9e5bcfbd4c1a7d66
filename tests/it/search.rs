//! `hfx search`: filters, sort, limit, pagination, table and JSON.

use crate::common::*;

fn seed(env: &TestEnv) {
    for (id, dl, likes, tags) in [
        ("acme/llama-tiny", 500, 3, &["gguf", "llama"][..]),
        ("acme/llama-small", 900, 1, &["safetensors", "llama"]),
        ("other/llama-gguf", 100, 50, &["gguf", "llama"]),
        ("other/bert-base", 10_000, 7, &["bert"]),
        ("acme/llama-private", 5, 0, &["llama"]),
    ] {
        let mut spec =
            RepoSpec::new(RepoType::Model, id).file("config.json", "{}").downloads(dl).likes(likes).tags(tags);
        if id.ends_with("private") {
            spec = spec.private(true);
        }
        env.hub.add_repo(spec);
    }
    env.hub.add_repo(RepoSpec::new(RepoType::Dataset, "acme/llama-data").file("a.jsonl", "{}\n").downloads(3));
}

#[test]
fn search_filters_sorts_and_follows_pages() {
    let env = TestEnv::new();
    seed(&env);
    env.hub.set_page_size(1);
    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["search", "llama", "--sort", "downloads", "--json"])).unwrap();
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["acme/llama-small", "acme/llama-tiny", "other/llama-gguf"], "private repos are hidden");
    // One page per result: pagination was followed through `Link` headers.
    let pages = env.hub.log().iter().filter(|r| r.path.starts_with("/api/models")).count();
    assert!(pages >= 3, "expected one request per page, saw {pages}");
    let first = &v[0];
    assert_eq!(first["downloads"], 900);
    assert!(first["tags"].is_array());
    assert!(first.get("last_modified").is_some(), "snake_case fields");

    let v: serde_json::Value = serde_json::from_str(
        &env.ok(&["search", "--filter", "gguf", "--filter", "llama", "--sort", "likes", "--json"]),
    )
    .unwrap();
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["other/llama-gguf", "acme/llama-tiny"]);

    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["search", "llama", "--author", "acme", "--limit", "1", "--json"])).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);

    let v: serde_json::Value =
        serde_json::from_str(&env.ok(&["search", "llama", "--type", "dataset", "--json"])).unwrap();
    assert_eq!(v[0]["id"], "acme/llama-data");

    // With the owner's token the private repo shows up.
    let out = env.hfx().args(["search", "private", "--json"]).env("HF_TOKEN", TOKEN).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["id"], "acme/llama-private");
}

#[test]
fn search_table_fits_the_terminal() {
    let env = TestEnv::new();
    seed(&env);
    let out = env.hfx().args(["search", "llama", "--sort", "downloads"]).env("COLUMNS", "40").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("ID"), "{text}");
    assert!(text.lines().all(|l| console_width(l) <= 40), "{text}");
    let (code, out, err) = env.run(&["search", "nothing-matches-this"]);
    assert_eq!(code, 0);
    assert!(out.is_empty() && err.contains("no results"));
}

fn console_width(s: &str) -> usize {
    s.chars().count()
}
