//! Shared test support: a scrubbed environment per test and the fake Hub.

#![allow(dead_code, unreachable_pub)]

pub mod fake_hub;

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

pub use fake_hub::*;

/// A token the fake Hub knows, and the user behind it.
pub const TOKEN: &str = "hf_testtokenAbCdEf0123456789";
pub const USER: &str = "alice";

/// A temporary `HF_HOME` plus a running fake Hub.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub hub: FakeHub,
}

impl TestEnv {
    pub fn new() -> Self {
        let hub = FakeHub::start();
        hub.add_user(
            TOKEN,
            UserSpec {
                name: USER.into(),
                fullname: "Alice Example".into(),
                orgs: vec!["acme".into()],
                token_name: "laptop".into(),
                role: "write".into(),
            },
        );
        Self { dir: tempfile::tempdir().expect("tempdir"), hub }
    }

    pub fn hf_home(&self) -> PathBuf {
        self.dir.path().join("hf")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.hf_home().join("hub")
    }

    /// `hfx` with a scrubbed environment pointing at this test's Hub and cache.
    pub fn hfx(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.hfx_std())
    }

    /// Same, as a `std::process::Command` (for kill and concurrency tests).
    pub fn hfx_std(&self) -> StdCommand {
        let mut c = StdCommand::new(hfx_bin());
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("HF_HOME", self.hf_home())
            .env("HF_ENDPOINT", self.hub.url())
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100")
            .env("HFX_NO_PROGRESS", "1")
            .env("HFX_RETRY_BASE_MS", "50");
        c
    }

    /// Run hfx and return (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.hfx().args(args).output().expect("run hfx");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Run hfx, require success, return trimmed stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "hfx {args:?} failed\nstdout: {out}\nstderr: {err}");
        out.trim_end().to_string()
    }
}

pub fn hfx_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hfx"))
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The PyPI-shipped fixtures (`scripts/fetch-fixtures.sh`); a missing fixture fails the test.
pub fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("HFX_FIXTURES_DIR").map_or_else(|| repo_root().join("fixtures"), PathBuf::from);
    assert!(
        dir.join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").is_file(),
        "fixtures missing in {}: run `scripts/fetch-fixtures.sh` (scripts/test.sh does it)",
        dir.display()
    );
    dir
}

/// Every file under `root` as (relative path, kind) where kind is the symlink target or the
/// sha256 of the content: a comparable picture of a cache tree.
pub fn tree_picture(root: &Path) -> Vec<(String, String)> {
    use sha2::Digest;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs_err::read_dir(&d).expect("read_dir") {
            let e = e.expect("entry");
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let ft = e.file_type().unwrap();
            if ft.is_symlink() {
                out.push((rel, format!("-> {}", fs_err::read_link(&p).unwrap().display())));
            } else if ft.is_dir() {
                out.push((rel.clone(), "dir".into()));
                stack.push(p);
            } else {
                let bytes = fs_err::read(&p).unwrap();
                out.push((rel, hex::encode(sha2::Sha256::digest(&bytes))));
            }
        }
    }
    out.sort();
    out
}

/// Deterministic pseudo-random bytes (xorshift), so large test files need no fixture.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// A small model repo used by many tests.
pub fn tiny_model(id: &str) -> RepoSpec {
    RepoSpec::new(RepoType::Model, id)
        .gitattributes()
        .file("config.json", r#"{"model_type": "llama", "hidden_size": 8}"#)
        .file("README.md", "# tiny\n")
        .file("tokenizer/vocab.txt", "a\nb\nc\n")
        .file("model.safetensors", pseudo_random(3 << 20, 7))
        .tags(&["llama", "text-generation"])
}

/// A second commit on `main` of a `tiny_model` repo that changes only `config.json`.
pub fn commit_config_v2(env: &TestEnv, id: &str) -> String {
    env.hub.commit(
        RepoType::Model,
        id,
        "main",
        vec![("config.json".into(), FileSource::Bytes("{\"v\": 2}".into()))],
        &[],
        "v2",
    )
}

/// Links `link` to the (large) file `target` without copying it: a symlink, or on Windows
/// without the privilege for one, a copy.
pub fn link_file(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    let (target, link) = (target.as_ref(), link.as_ref());
    #[cfg(unix)]
    std::os::unix::fs::symlink(target, link).unwrap();
    #[cfg(windows)]
    if std::os::windows::fs::symlink_file(target, link).is_err() {
        fs_err::copy(target, link).unwrap();
    }
}

/// Waits until the fake Hub has received a `method` request whose path contains `path_contains`
/// (logged on arrival, before any injected delay): an event to act on instead of a sleep.
pub fn wait_for_request(hub: &FakeHub, method: &str, path_contains: &str) {
    let start = std::time::Instant::now();
    while !hub.log().iter().any(|r| r.method == method && r.path.contains(path_contains)) {
        assert!(start.elapsed().as_secs() < 60, "no {method} {path_contains} request within 60 s");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
