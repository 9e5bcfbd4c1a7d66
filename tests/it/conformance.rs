//! Conformance with the real client: huggingface_hub's `hf download` (installed from PyPI by
//! `scripts/test.sh`) against the same fake Hub. Both must produce byte-identical cache trees,
//! and each must read the other's cache offline. This proves the fake Hub and hfx both speak
//! the real protocol and layout.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// The `hf` executable: `$HFX_HF_BIN`, else the venv `scripts/test.sh` creates.
fn hf_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("HFX_HF_BIN") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let candidates = [repo_root().join(".venv-hf/bin/hf"), home.join(".cache/hfx-ci/venv-hf/bin/hf")];
    candidates.into_iter().find(|p| p.is_file()).unwrap_or_else(|| {
        panic!("huggingface_hub's `hf` not found: run `scripts/test.sh` (it installs huggingface_hub==2.4.0) or set HFX_HF_BIN")
    })
}

fn hf(env: &TestEnv, hf_home: &Path, args: &[&str], offline: bool) -> String {
    let mut c = Command::new(hf_bin());
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("HF_HOME", hf_home)
        .env("HF_ENDPOINT", env.hub.url())
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_UPDATE_CHECK", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("HF_HUB_DISABLE_XET", "1")
        .args(["download"])
        .args(args)
        .args(["--format", "quiet"]);
    if offline {
        c.env("HF_HUB_OFFLINE", "1");
    }
    let out = c.output().expect("run hf");
    assert!(
        out.status.success(),
        "hf download {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().lines().last().unwrap_or_default().to_string()
}

fn hfx_at(env: &TestEnv, hf_home: &Path, args: &[&str], offline: bool) -> String {
    let mut c = env.hfx();
    c.env("HF_HOME", hf_home).arg("download").args(args);
    if offline {
        c.env("HF_HUB_OFFLINE", "1");
    }
    let out = c.output().unwrap();
    assert!(out.status.success(), "hfx download {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn hf_and_hfx_write_identical_caches_and_read_each_other() {
    let env = TestEnv::new();
    let commit = env.hub.add_repo(tiny_model("acme/tiny").file("nested/deep/notes.md", "deep\n"));
    env.hub.create_tag(RepoType::Model, "acme/tiny", "v1.0", &commit);
    let ds_commit = env.hub.add_repo(
        RepoSpec::new(RepoType::Dataset, "acme/data")
            .gitattributes()
            .file("data/train.jsonl", "{\"x\": 1}\n")
            .file("data/test.parquet", pseudo_random(100_000, 3)),
    );

    let py = env.dir.path().join("py");
    let rs = env.dir.path().join("rs");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["acme/tiny"], "models--acme--tiny"),
        (vec!["acme/tiny", "--revision", "v1.0"], "models--acme--tiny"),
        (vec!["acme/data", "--repo-type", "dataset"], "datasets--acme--data"),
    ];
    for (args, _) in &cases {
        let a = hf(&env, &py, args, false);
        let b = hfx_at(&env, &rs, args, false);
        assert_eq!(
            a.replace(py.to_str().unwrap(), ""),
            b.replace(rs.to_str().unwrap(), ""),
            "printed paths differ for {args:?}"
        );
    }
    for folder in ["models--acme--tiny", "datasets--acme--data"] {
        let a = tree_picture(&py.join("hub").join(folder));
        let b = tree_picture(&rs.join("hub").join(folder));
        assert_eq!(a, b, "cache trees differ for {folder}");
        assert!(a.iter().any(|(p, _)| p.starts_with("trees/")), "the 2.x tree listing is part of the comparison");
    }
    assert!(py.join(format!("hub/datasets--acme--data/snapshots/{ds_commit}/data/test.parquet")).exists());

    // Single files too, into fresh caches.
    let (py1, rs1) = (env.dir.path().join("py1"), env.dir.path().join("rs1"));
    hf(&env, &py1, &["acme/tiny", "model.safetensors"], false);
    hfx_at(&env, &rs1, &["acme/tiny", "model.safetensors"], false);
    assert_eq!(tree_picture(&py1.join("hub/models--acme--tiny")), tree_picture(&rs1.join("hub/models--acme--tiny")));

    // Each reads the other's cache offline, and the hub sees no request.
    env.hub.clear_log();
    let p = hf(&env, &rs, &["acme/tiny"], true);
    assert_eq!(p, rs.join(format!("hub/models--acme--tiny/snapshots/{commit}")).to_str().unwrap());
    let p = hf(&env, &rs, &["acme/tiny", "nested/deep/notes.md"], true);
    assert_eq!(fs_err::read_to_string(p).unwrap(), "deep\n");
    let p = hfx_at(&env, &py, &["acme/tiny"], true);
    assert_eq!(p, py.join(format!("hub/models--acme--tiny/snapshots/{commit}")).to_str().unwrap());
    let p = hfx_at(&env, &py, &["acme/tiny", "model.safetensors", "--revision", "v1.0"], true);
    assert_eq!(fs_err::read(p).unwrap(), pseudo_random(3 << 20, 7));
    let p = hfx_at(&env, &py, &["acme/data", "--repo-type", "dataset"], true);
    assert!(p.ends_with(&ds_commit));
    assert!(env.hub.log().is_empty(), "offline reads made requests");

    // hfx's verify accepts what Python downloaded.
    let out = env.hfx().env("HF_HOME", &py).args(["cache", "verify", "acme/tiny"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn hf_and_hfx_local_dirs_match() {
    let env = TestEnv::new();
    let _ = env.hub.add_repo(tiny_model("acme/tiny"));
    let (a, b) = (env.dir.path().join("a"), env.dir.path().join("b"));
    hf(&env, &env.dir.path().join("pyhome"), &["acme/tiny", "--local-dir", a.to_str().unwrap()], false);
    hfx_at(&env, &env.dir.path().join("rshome"), &["acme/tiny", "--local-dir", b.to_str().unwrap()], false);
    let strip = |v: Vec<(String, String)>| -> Vec<(String, String)> {
        v.into_iter().filter(|(p, _)| !p.starts_with(".cache")).collect()
    };
    assert_eq!(strip(tree_picture(&a)), strip(tree_picture(&b)));
    // Python accepts hfx's local-dir metadata as up to date (no file re-download).
    env.hub.clear_log();
    hf(&env, &env.dir.path().join("pyhome"), &["acme/tiny", "--local-dir", b.to_str().unwrap()], false);
    let gets = env.hub.log().iter().filter(|r| r.method == "GET" && r.path.contains("resolve")).count();
    assert_eq!(gets, 0, "hf re-downloaded files hfx had written");
}

/// `hf upload` against the fake Hub works (the fake Hub speaks the upload protocol), and what
/// either client uploads is the same repository content that both clients download.
#[test]
fn hf_upload_and_hfx_upload_agree() {
    let env = TestEnv::new();
    env.hub.set_lfs_chunk_size(1 << 20); // the 3 MB file goes multipart
    let src = env.dir.path().join("src");
    fs_err::create_dir_all(src.join("sub")).unwrap();
    fs_err::write(src.join("config.json"), "{\"a\": 1}\n").unwrap();
    fs_err::write(src.join("sub/notes.txt"), "notes\n").unwrap();
    fs_err::write(src.join("model.safetensors"), pseudo_random(3_000_000, 5)).unwrap();
    fs_err::write(src.join("small.bin"), pseudo_random(1000, 6)).unwrap();

    let out = Command::new(hf_bin())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("HF_HOME", env.dir.path().join("pyhome"))
        .env("HF_ENDPOINT", env.hub.url())
        .env("HF_TOKEN", TOKEN)
        .env("HF_HUB_DISABLE_XET", "1")
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_UPDATE_CHECK", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .args(["upload", "alice/from-python", src.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "hf upload failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(env.hub.log().iter().any(|r| r.path.contains("/part/")), "hf used the multipart transfer");
    let out =
        env.hfx().args(["upload", "alice/from-hfx", src.to_str().unwrap()]).env("HF_TOKEN", TOKEN).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Same git objects: same regular/LFS decisions, same blob ids.
    let files = |repo: &str| -> Vec<(String, String, String)> {
        let v: serde_json::Value = serde_json::from_str(&env.ok(&["repo", "info", repo, "--json"])).unwrap();
        let mut f: Vec<(String, String, String)> = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (s["path"].as_str().unwrap().to_string(), s["blob_id"].to_string(), s["lfs"]["sha256"].to_string())
            })
            .collect();
        f.sort();
        f
    };
    let py = files("alice/from-python");
    assert!(py.iter().all(|(_, blob, _)| blob.trim_matches('"').len() == 40), "{py:?}");
    assert_eq!(py.iter().filter(|(_, _, lfs)| lfs != "null").count(), 2, "two LFS files: {py:?}");
    assert_eq!(py, files("alice/from-hfx"));

    // Both clients download both repositories byte for byte.
    for repo in ["alice/from-python", "alice/from-hfx"] {
        let a = PathBuf::from(hf(&env, &env.dir.path().join(format!("dl-py-{}", repo.len())), &[repo], false));
        let b = PathBuf::from(hfx_at(&env, &env.dir.path().join(format!("dl-rs-{}", repo.len())), &[repo], false));
        for rel in ["config.json", "sub/notes.txt", "model.safetensors", "small.bin"] {
            let want = fs_err::read(src.join(rel)).unwrap();
            assert_eq!(fs_err::read(a.join(rel)).unwrap(), want, "hf download {repo} {rel}");
            assert_eq!(fs_err::read(b.join(rel)).unwrap(), want, "hfx download {repo} {rel}");
        }
    }
}

/// pyarrow (an independent parquet implementation, in the same venv as `hf`) reads the parquet
/// hfx writes, with the same rows as the jsonl it came from.
#[test]
fn pyarrow_reads_hfx_parquet_exports() {
    let env = TestEnv::new();
    crate::fixtures::serve_fixtures(&env);
    let out = env.dir.path().join("he.parquet");
    env.ok(&["dataset", "export", "openai/openai_humaneval", "--split", "train", "--to", out.to_str().unwrap()]);
    let python = hf_bin().with_file_name("python");
    let script = "import sys, json, pyarrow.parquet as pq\n\
                  t = pq.read_table(sys.argv[1])\n\
                  rows = t.to_pylist()\n\
                  print(json.dumps({'n': t.num_rows, 'names': t.schema.names, 'types': [str(x) for x in t.schema.types], 'last': rows[-1]['task_id'], 'prompt0': rows[0]['prompt']}))";
    let o = Command::new(python).args(["-c", script, out.to_str().unwrap()]).output().expect("run python");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["n"], 164);
    assert_eq!(v["names"], serde_json::json!(["task_id", "prompt", "entry_point", "canonical_solution", "test"]));
    assert_eq!(v["types"], serde_json::json!(["string", "string", "string", "string", "string"]));
    assert_eq!(v["last"], "HumanEval/163");
    assert!(v["prompt0"].as_str().unwrap().starts_with("from typing import List\n\n\ndef has_close_elements("));
}
