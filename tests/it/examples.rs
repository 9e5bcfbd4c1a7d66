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
    let missing = 3 << 20; // model.safetensors was not included
    let readme_etc: usize = out.len(); // sanity: non-empty
    assert!(readme_etc > 0);
    assert!(out.starts_with(&format!("commit={commit} missing_bytes=")), "{out}");
    let missing_got: u64 =
        out.split("missing_bytes=").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(missing_got >= missing, "{out}");
    let on_disk: u64 = out.split("on_disk_bytes=").nth(1).unwrap().trim().parse().unwrap();
    assert!(on_disk > 0 && on_disk < 1000, "only the json file is on disk: {out}");
}
