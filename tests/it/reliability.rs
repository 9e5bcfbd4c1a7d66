//! Failure handling: resume after kill -9, dropped connections, 429/503 retries, concurrent
//! processes, corruption, path traversal.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;

const MB: usize = 1 << 20;

fn big_repo(env: &TestEnv, id: &str, size: usize) -> (String, Vec<u8>) {
    let data = pseudo_random(size, 42);
    let commit = env
        .hub
        .add_repo(RepoSpec::new(RepoType::Model, id).file("config.json", "{}").file("model.safetensors", data.clone()));
    (commit, data)
}

fn cdn_bytes(env: &TestEnv) -> u64 {
    env.hub
        .log()
        .iter()
        .filter(|r| matches!(r.server, Server::Cdn))
        .map(|r| r.bytes_sent.load(std::sync::atomic::Ordering::Relaxed))
        .sum()
}

/// kill -9 in the middle of a 200 MB download, then re-run: the second run fetches only what
/// is missing (less than 10% of the file is transferred twice).
#[test]
fn resume_after_kill_9_transfers_under_10_percent_again() {
    let env = TestEnv::new();
    let size = 200 * MB;
    let (commit, data) = big_repo(&env, "acme/big", size);
    env.hub.set_bandwidth_limit(Some(6 * MB as u64));
    let mut child =
        env.hfx_std().args(["download", "acme/big"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    while cdn_bytes(&env) < (size as u64) / 2 {
        assert!(start.elapsed() < Duration::from_secs(60), "download too slow: {} bytes", cdn_bytes(&env));
        assert!(child.try_wait().unwrap().is_none(), "finished before the kill");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let first = cdn_bytes(&env);
    let blobs = env.cache_dir().join("models--acme--big/blobs");
    let etag = sha256_hex(&data);
    assert!(blobs.join(format!("{etag}.incomplete")).is_file(), "the partial file stays for resume");
    assert!(!blobs.join(&etag).exists());

    env.hub.set_bandwidth_limit(None);
    env.hub.clear_log();
    let path = env.ok(&["download", "acme/big"]);
    let second = cdn_bytes(&env);
    assert!(path.ends_with(&commit));
    assert_eq!(fs_err::read(PathBuf::from(&path).join("model.safetensors")).unwrap(), data);
    let again = (first + second).saturating_sub(size as u64);
    assert!(again < (size as u64) / 10, "transferred {first} + {second} bytes for a {size}-byte file: {again} twice");
    assert!(second < size as u64, "the second run resumed with Range requests");
    assert!(env.hub.log().iter().any(|r| r.range.is_some()));
    assert!(
        !blobs.join(format!("{etag}.incomplete")).exists() && !blobs.join(format!("{etag}.incomplete.state")).exists()
    );
}

#[test]
fn dropped_connection_is_finished_with_range() {
    let env = TestEnv::new();
    let (_, data) = big_repo(&env, "acme/drop", 3 * MB);
    env.hub.add_fault(Fault {
        method: Some("GET"),
        path_contains: sha256_hex(&data),
        kind: FaultKind::DropAfter { bytes: MB as u64 },
        times: 1,
    });
    let path = env.ok(&["download", "acme/drop", "model.safetensors"]);
    assert_eq!(fs_err::read(&path).unwrap(), data);
    let gets: Vec<_> =
        env.hub.log().into_iter().filter(|r| matches!(r.server, Server::Cdn) && r.method == "GET").collect();
    assert_eq!(gets.len(), 2, "one dropped GET, one resumed GET");
    let resumed = gets[1].range.clone().expect("the retry sends Range");
    let from: u64 = resumed.trim_start_matches("bytes=").split('-').next().unwrap().parse().unwrap();
    assert!(from >= 512 * 1024, "resumed from {from}, not from scratch");
    assert!(cdn_bytes(&env) < (3 * MB + MB) as u64);
}

#[test]
fn dropped_connection_in_parallel_chunks() {
    let env = TestEnv::new();
    let (_, data) = big_repo(&env, "acme/chunks", 40 * MB);
    env.hub.add_fault(Fault {
        method: Some("GET"),
        path_contains: sha256_hex(&data),
        kind: FaultKind::DropAfter { bytes: 2 * MB as u64 },
        times: 3,
    });
    let out = env
        .hfx()
        .args(["download", "acme/chunks", "model.safetensors"])
        .env("HFX_CHUNK_THRESHOLD", (8 * MB).to_string())
        .env("HFX_CHUNK_SIZE", (4 * MB).to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let path = String::from_utf8(out.stdout).unwrap();
    assert_eq!(fs_err::read(path.trim()).unwrap(), data);
    let ranged = env.hub.log().iter().filter(|r| matches!(r.server, Server::Cdn) && r.range.is_some()).count();
    assert!(ranged >= 10, "expected parallel range requests, saw {ranged}");
}

#[test]
fn rate_limits_and_server_errors_are_retried() {
    let env = TestEnv::new();
    let (_, data) = big_repo(&env, "acme/flaky", 2 * MB);
    env.hub.add_fault(Fault {
        method: None,
        path_contains: "/revision/".into(),
        kind: FaultKind::Status { status: 429, retry_after: Some(1) },
        times: 1,
    });
    env.hub.add_fault(Fault {
        method: None,
        path_contains: "/tree/".into(),
        kind: FaultKind::Status { status: 503, retry_after: None },
        times: 2,
    });
    env.hub.add_fault(Fault {
        method: Some("GET"),
        path_contains: sha256_hex(&data),
        kind: FaultKind::Status { status: 503, retry_after: None },
        times: 2,
    });
    let started = Instant::now();
    let (code, out, err) = env.run(&["download", "acme/flaky"]);
    assert_eq!(code, 0, "{err}");
    assert!(started.elapsed() >= Duration::from_millis(900), "Retry-After: 1 was honoured");
    assert_eq!(fs_err::read(PathBuf::from(out.trim()).join("model.safetensors")).unwrap(), data);
    let statuses: Vec<u16> = env.hub.log().iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 4);
    assert!(err.contains("retrying"), "retries are reported on stderr: {err}");

    // Persistent failure: a clear error after the retries, exit 1.
    let env = TestEnv::new();
    big_repo(&env, "acme/down", 1024);
    env.hub.add_fault(Fault {
        method: None,
        path_contains: "/revision/".into(),
        kind: FaultKind::Status { status: 500, retry_after: None },
        times: usize::MAX,
    });
    let (code, _, err) = env.run(&["download", "acme/down"]);
    assert_eq!(code, 1);
    assert!(err.contains("HTTP 500"), "{err}");
    let tries = env.hub.log().iter().filter(|r| r.path.contains("/revision/")).count();
    assert_eq!(tries, 6, "1 try + 5 retries");
}

#[test]
fn concurrent_downloads_share_one_blob() {
    let env = TestEnv::new();
    let (commit, data) = big_repo(&env, "acme/shared", 30 * MB);
    env.hub.set_bandwidth_limit(Some(20 * MB as u64));
    let spawn = || {
        env.hfx_std().args(["download", "acme/shared"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert_eq!(a.stdout, b.stdout);
    let blobs: Vec<String> = fs_err::read_dir(env.cache_dir().join("models--acme--shared/blobs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(blobs.iter().filter(|b| b.len() == 64).count(), 1, "{blobs:?}");
    assert!(blobs.iter().all(|b| !b.contains("incomplete")), "{blobs:?}");
    let snap = env.cache_dir().join(format!("models--acme--shared/snapshots/{commit}/model.safetensors"));
    assert_eq!(fs_err::read(snap).unwrap(), data);
    // The second process waited on the lock instead of downloading again.
    assert!(cdn_bytes(&env) < (data.len() + data.len() / 2) as u64, "served {} bytes", cdn_bytes(&env));
}

#[test]
fn corrupted_blob_fails_verify_and_names_the_file() {
    let env = TestEnv::new();
    let commit = env.hub.add_repo(tiny_model("acme/tiny"));
    env.ok(&["download", "acme/tiny"]);
    let (code, _, err) = env.run(&["cache", "verify", "acme/tiny"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("all match"), "{err}");
    let snap = env.cache_dir().join(format!("models--acme--tiny/snapshots/{commit}"));
    let blob = fs_err::canonicalize(snap.join("model.safetensors")).unwrap();
    let mut bytes = fs_err::read(&blob).unwrap();
    bytes[1000] ^= 0xff;
    fs_err::write(&blob, bytes).unwrap();
    let (code, out, err) = env.run(&["cache", "verify", "acme/tiny"]);
    assert_eq!(code, 1);
    assert!(out.contains("MISMATCH model.safetensors"), "{out}");
    assert!(err.contains("1 corrupt file(s) in `acme/tiny`, first: `model.safetensors`"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&env.run(&["cache", "verify", "acme/tiny", "--json"]).1).unwrap();
    assert_eq!(v["mismatches"], 1);
    // `--force` repairs it.
    env.ok(&["download", "acme/tiny", "--force"]);
    env.ok(&["cache", "verify", "acme/tiny"]);
}

#[test]
fn corrupt_partial_download_is_caught_by_the_streaming_hash() {
    let env = TestEnv::new();
    let (_, data) = big_repo(&env, "acme/resume", 2 * MB);
    let etag = sha256_hex(&data);
    let blobs = env.cache_dir().join("models--acme--resume/blobs");
    fs_err::create_dir_all(&blobs).unwrap();
    // A partial file whose state claims the first half is done, but with wrong bytes.
    let mut junk = vec![0u8; data.len()];
    junk[..MB].fill(0xAB);
    fs_err::write(blobs.join(format!("{etag}.incomplete")), &junk).unwrap();
    let mut state = b"HFXPART1".to_vec();
    for v in [data.len() as u64, data.len() as u64, 1u64, MB as u64] {
        state.extend_from_slice(&v.to_le_bytes());
    }
    fs_err::write(blobs.join(format!("{etag}.incomplete.state")), &state).unwrap();
    let (code, _, err) = env.run(&["download", "acme/resume", "model.safetensors"]);
    assert_eq!(code, 1);
    assert!(err.contains("checksum mismatch for `model.safetensors`"), "{err}");
    assert!(!blobs.join(&etag).exists() && !blobs.join(format!("{etag}.incomplete")).exists());
    let path = env.ok(&["download", "acme/resume", "model.safetensors"]);
    assert_eq!(fs_err::read(path).unwrap(), data);
}

#[test]
fn path_traversal_in_a_listing_is_refused() {
    let env = TestEnv::new();
    env.hub.add_repo(
        RepoSpec::new(RepoType::Model, "evil/repo").file("config.json", "{}").file("../../../escape.txt", "pwned"),
    );
    let (code, out, err) = env.run(&["download", "evil/repo"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("unsafe file path"), "{err}");
    let escaped = walk_all(env.dir.path()).into_iter().any(|p| p.ends_with("escape.txt"));
    assert!(!escaped, "a file escaped the cache");
    let (code, _, err) = env.run(&["download", "evil/repo", "../../../escape.txt"]);
    assert_eq!(code, 1, "{err}");
}

fn walk_all(root: &std::path::Path) -> Vec<String> {
    tree_picture(root).into_iter().map(|(p, _)| p).collect()
}

/// Ctrl-C (SIGINT) stops with exit code 130 and leaves a resumable partial download.
#[test]
fn interrupt_exits_130_and_resumes() {
    let env = TestEnv::new();
    let size = 40 * MB;
    let (_, data) = big_repo(&env, "acme/int", size);
    env.hub.set_bandwidth_limit(Some(2 * MB as u64));
    let child =
        env.hfx_std().args(["download", "acme/int"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let start = Instant::now();
    while cdn_bytes(&env) < 4 * MB as u64 {
        assert!(start.elapsed() < Duration::from_secs(30), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    let blobs = env.cache_dir().join("models--acme--int/blobs");
    assert!(blobs.join(format!("{}.incomplete", sha256_hex(&data))).is_file());
    env.hub.set_bandwidth_limit(None);
    let first = cdn_bytes(&env);
    env.hub.clear_log();
    let path = env.ok(&["download", "acme/int"]);
    assert_eq!(fs_err::read(PathBuf::from(path).join("model.safetensors")).unwrap(), data);
    assert!(first + cdn_bytes(&env) < (size + size / 10) as u64);
}

/// `HF_HUB_ETAG_TIMEOUT` bounds the metadata request (the HEAD of a file): a Hub that takes 3 s
/// fails a 0.5 s timeout at once with a clear error, or, with the file cached, the cached copy is
/// used with a warning (huggingface_hub's fallback); a timeout above the delay waits for it.
#[test]
fn etag_timeout_bounds_the_metadata_request() {
    let env = TestEnv::new();
    env.hub.add_repo(tiny_model("acme/tiny"));
    let slow_head = |ms: u64| {
        env.hub.add_fault(Fault {
            method: Some("HEAD"),
            path_contains: "/resolve/main/config.json".into(),
            kind: FaultKind::Delay { ms },
            times: 1,
        });
    };
    let download = |timeout: &str| {
        let started = Instant::now();
        let out = env
            .hfx()
            .env("HF_HUB_ETAG_TIMEOUT", timeout)
            .args(["download", "acme/tiny", "config.json"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).trim().to_string(), err, started.elapsed())
    };

    // Nothing cached: a clear error after about the timeout, not after the Hub's 3 s.
    slow_head(3000);
    let (code, out, err, took) = download("0.5");
    assert_eq!(code, Some(1), "{err}");
    assert!(out.is_empty(), "{out}");
    // Said as what happened (no answer in time, not "cannot reach"), with the knob to turn.
    assert!(err.contains("error: no answer from the Hub at http://127.0.0.1:") && err.contains("(timed out)"), "{err}");
    assert!(
        err.contains("hint: something accepted the connection but sent nothing back")
            && err.contains("`HF_HUB_ETAG_TIMEOUT`"),
        "{err}"
    );
    assert!(took >= Duration::from_millis(450) && took < Duration::from_millis(2500), "failed after {took:?}");
    let landed = env.cache_dir().is_dir()
        && tree_picture(&env.cache_dir()).iter().any(|(p, k)| p.ends_with("config.json") && k != "dir");
    assert!(!landed, "a file was cached by a failed download");

    // A timeout longer than the delay: the request is waited for.
    slow_head(1000);
    let (code, out, err, took) = download("5");
    assert_eq!(code, Some(0), "{err}");
    assert!(took >= Duration::from_millis(1000), "did not wait for the Hub: {took:?}");
    assert_eq!(fs_err::read_to_string(&out).unwrap(), r#"{"model_type": "llama", "hidden_size": 8}"#);

    // Cached now: the slow Hub times out again, and the cached file stands in, with a warning.
    slow_head(3000);
    let (code, cached, err, took) = download("0.5");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(cached, out);
    assert!(err.contains("warning:") && err.contains("timed out") && err.contains("cached"), "{err}");
    assert!(took < Duration::from_millis(2500), "fell back after {took:?}");
}

/// `HF_HUB_DOWNLOAD_TIMEOUT` is the read timeout of transfers: a file whose bytes do not start
/// within it is retried (the Hub has answered), then fails with a clear error, long before the
/// 2 s each stalled attempt would take; a timeout above the stall waits for it.
#[test]
fn download_timeout_bounds_a_stalled_transfer() {
    let env = TestEnv::new();
    let (_, data) = big_repo(&env, "acme/stall", 2 * MB);
    let sha = sha256_hex(&data);
    env.hub.add_fault(Fault {
        method: Some("GET"),
        path_contains: sha.clone(),
        kind: FaultKind::Delay { ms: 2000 },
        times: usize::MAX,
    });
    let started = Instant::now();
    let out = env
        .hfx()
        .env("HF_HUB_DOWNLOAD_TIMEOUT", "0.3")
        .args(["download", "acme/stall", "model.safetensors"])
        .output()
        .unwrap();
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("error:") && err.contains("timed out"), "{err}");
    assert!(
        err.contains("hint: nothing arrived for the timeout")
            && err.contains("`HF_HUB_DOWNLOAD_TIMEOUT` for file transfers"),
        "{err}"
    );
    let tries = env.hub.log().iter().filter(|r| r.method == "GET" && r.path.contains(&sha)).count();
    assert_eq!(tries, 6, "1 try + 5 retries");
    // 6 x 0.3 s plus 1.15 s of backoff; without the timeout, 6 x 2 s.
    assert!(took < Duration::from_secs(8), "gave up after {took:?}");
    assert!(!env.cache_dir().join(format!("models--acme--stall/blobs/{sha}")).exists());

    env.hub.clear_faults();
    env.hub.add_fault(Fault {
        method: Some("GET"),
        path_contains: sha.clone(),
        kind: FaultKind::Delay { ms: 1000 },
        times: 1,
    });
    env.hub.clear_log();
    let out = env
        .hfx()
        .env("HF_HUB_DOWNLOAD_TIMEOUT", "5")
        .args(["download", "acme/stall", "model.safetensors"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fs_err::read(String::from_utf8(out.stdout).unwrap().trim()).unwrap(), data);
    let gets = env.hub.log().iter().filter(|r| r.method == "GET" && r.path.contains(&sha)).count();
    assert_eq!(gets, 1, "waited for the stalled transfer instead of retrying it");
}
