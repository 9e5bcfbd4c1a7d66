//! The shell recipes in `examples/` run against the fake Hub, so they cannot rot.

use std::process::Command;

use crate::common::*;

fn run_example(env: &TestEnv, script: &str, vars: &[(&str, &str)]) -> (bool, String, String) {
    let mut c = Command::new("bash");
    c.arg(repo_root().join("examples").join(script))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("HF_HOME", env.hf_home())
        .env("HF_ENDPOINT", env.hub.url())
        .env("HFX", hfx_bin())
        .env("HFX_NO_PROGRESS", "1")
        .current_dir(env.dir.path());
    for (k, v) in vars {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ci_pinned_download_recipe() {
    let env = TestEnv::new();
    let commit = env.hub.add_repo(tiny_model("acme/tiny"));
    env.hub.create_tag(RepoType::Model, "acme/tiny", "v1.0", &commit);
    let cache = env.dir.path().join("ci-cache");
    let (ok, out, err) = run_example(
        &env,
        "ci-pinned-download.sh",
        &[("REPO", "acme/tiny"), ("REVISION", "v1.0"), ("HF_HUB_CACHE", cache.to_str().unwrap())],
    );
    assert!(ok, "{err}");
    let snapshot = std::path::PathBuf::from(out.trim());
    assert_eq!(snapshot, cache.join(format!("models--acme--tiny/snapshots/{commit}")));
    assert!(snapshot.join("config.json").is_file() && snapshot.join("model.safetensors").is_file());
    assert!(!snapshot.join("README.md").exists(), "include globs respected");
}

#[test]
fn json_with_jq_recipe() {
    let env = TestEnv::new();
    let commit = env.hub.add_repo(tiny_model("acme/tiny"));
    let (ok, out, err) = run_example(&env, "json-with-jq.sh", &[("REPO", "acme/tiny")]);
    assert!(ok, "{err}");
    // Everything but config.json is missing (.gitattributes 1646 bytes, README.md 7,
    // model.safetensors 3 MiB, tokenizer/vocab.txt 6); config.json's 41 bytes are on disk.
    let missing = 1646 + 7 + (3 << 20) + 6;
    assert_eq!(out.trim(), format!("commit={commit} missing_bytes={missing} on_disk_bytes=41"));
}
