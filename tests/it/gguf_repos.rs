//! The GGUF repositories people download (#21): README's first command against the Hub under its
//! real name, several quantizations in one repo, split models, and a cached model starting at
//! once when the Hub cannot be reached.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use candle_core::quantized::gguf_file::{self, Value};

use crate::common::*;

const REPO: &str = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF";
/// README's first command (a prompt whose greedy answer has a clear margin on every token: the
/// smallest is 0.8 nats, at the final period).
const README_RUN: [&str; 5] =
    ["run", REPO, "What is the capital of France? Answer in one sentence.", "--temperature", "0"];

fn smollm2() -> PathBuf {
    fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
}

/// The SmolLM2 GGUF under its real name, as scripts/demo.sh serves it.
fn serve_smollm2(env: &TestEnv) {
    let dir = env.dir.path().join("smollm2-repo");
    fs_err::create_dir_all(&dir).unwrap();
    link_file(smollm2(), dir.join("smollm2-135m-instruct-q4_1.gguf"));
    fs_err::write(dir.join("README.md"), "# SmolLM2-135M-Instruct (GGUF)\n").unwrap();
    env.hub.add_repo(RepoSpec::new(RepoType::Model, REPO).gitattributes().dir(&dir));
}

/// A local "Hub" that accepts connections and closes them unanswered (a dead proxy), counting them.
fn dead_hub() -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            c.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (url, count)
}

/// An endpoint where nothing listens (connection refused).
fn refused_hub() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

#[test]
fn readme_first_command_answers_and_a_cached_model_starts_at_once_without_the_hub() {
    let env = TestEnv::new();
    serve_smollm2(&env);
    let answer = env.ok(&README_RUN);
    assert_eq!(answer.trim(), "The capital of France is Paris.");
    let requests = env.hub.log().len();

    // The Hub gone (a proxy that drops connections): one failed connection, one warning, the
    // cached model, the same answer. No retries (they took 24 s before).
    let (dead, connections) = dead_hub();
    let out = env.hfx().env("HF_ENDPOINT", &dead).args(README_RUN).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), answer.trim());
    assert_eq!(connections.load(Ordering::SeqCst), 1, "{err}");
    assert_eq!(err.matches("cannot reach the Hub").count(), 1, "{err}");
    assert!(err.contains(&format!("using the cached copy of {REPO}")) && !err.contains("retrying"), "{err}");
    // Connection refused: the same, and the tokenizer command too.
    let refused = refused_hub();
    let out = env.hfx().env("HF_ENDPOINT", &refused).args(README_RUN).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), answer.trim());
    let out =
        env.hfx().env("HF_ENDPOINT", &refused).args(["tokenize", REPO, "Hello, world!", "--ids"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "19556 28 905 17");
    assert_eq!(env.hub.log().len(), requests, "the real fake Hub saw nothing");

    // Nothing cached: the error says the Hub is unreachable, with a hint, at once.
    let out = env.hfx().env("HF_ENDPOINT", &dead).args(["run", "acme/never-downloaded", "hi"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error: cannot reach the Hub at http://127.0.0.1:") && err.contains("hint: check your connection"),
        "{err}"
    );
    assert!(!err.contains("retrying"), "{err}");
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

/// Split `src` into `n` files as llama.cpp's `gguf-split` does: the first keeps the metadata, each
/// gets `split.no`, `split.count` and (the first) `split.tensors.count`.
fn split_gguf(src: &Path, dir: &Path, prefix: &str, n: u16) -> Vec<PathBuf> {
    let mut f = fs_err::File::open(src).unwrap();
    let content = gguf_file::Content::read(&mut f).unwrap();
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort_by_key(|n| content.tensor_infos[*n].offset);
    let tensors: Vec<(&str, candle_core::quantized::QTensor)> =
        names.iter().map(|n| (n.as_str(), content.tensor(&mut f, n, &candle_core::Device::Cpu).unwrap())).collect();
    let per = tensors.len().div_ceil(n as usize);
    let mut paths = Vec::new();
    for (i, chunk) in tensors.chunks(per).enumerate() {
        let mut meta: Vec<(String, Value)> = Vec::new();
        if i == 0 {
            meta.extend(content.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
            meta.push(("split.tensors.count".into(), Value::I32(tensors.len() as i32)));
        }
        meta.push(("split.no".into(), Value::U16(i as u16)));
        meta.push(("split.count".into(), Value::U16(n)));
        let path = dir.join(format!("{prefix}-{:05}-of-{n:05}.gguf", i + 1));
        let mut out = fs_err::File::create(&path).unwrap();
        let meta_refs: Vec<(&str, &Value)> = meta.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let t_refs: Vec<(&str, &candle_core::quantized::QTensor)> = chunk.iter().map(|(k, t)| (*k, t)).collect();
        gguf_file::write(&mut out, &meta_refs, &t_refs).unwrap();
        out.flush().unwrap();
        paths.push(path);
    }
    paths
}

#[test]
fn a_split_gguf_is_one_model_from_a_folder_and_from_the_hub() {
    let env = TestEnv::new();
    let dir = env.dir.path().join("split");
    fs_err::create_dir_all(&dir).unwrap();
    let shards = split_gguf(&smollm2(), &dir, "SmolLM2-135M-Instruct-Q4_1", 3);
    let ask = |model: &str| {
        let args = ["run", model, "Name three primary colors.", "--temperature", "0", "--max-new-tokens", "24"];
        env.ok(&args)
    };
    let whole = ask(smollm2().to_str().unwrap());
    // Any of the files names the model; so does the folder.
    assert_eq!(ask(shards[0].to_str().unwrap()), whole);
    assert_eq!(ask(shards[2].to_str().unwrap()), whole);
    assert_eq!(ask(dir.to_str().unwrap()), whole);
    // Exported to one GGUF: no split keys, the same answer.
    let one = env.dir.path().join("one.gguf");
    env.ok(&["convert", shards[0].to_str().unwrap(), one.to_str().unwrap(), "--to", "gguf"]);
    let c = gguf_file::Content::read(&mut fs_err::File::open(&one).unwrap()).unwrap();
    assert!(!c.metadata.keys().any(|k| k.starts_with("split.")));
    assert_eq!(ask(one.to_str().unwrap()), whole);

    // On the Hub, beside a whole Q8_0 file: the tag fetches all three files, and only them.
    link_file(smollm2(), dir.join("SmolLM2-135M-Instruct-Q8_0.gguf"));
    env.hub.add_repo(RepoSpec::new(RepoType::Model, "acme/split-GGUF").gitattributes().dir(&dir));
    assert_eq!(ask("acme/split-GGUF:Q4_1"), whole);
    let snaps = env.cache_dir().join("models--acme--split-GGUF/snapshots");
    let mut got: Vec<String> = walkdir(&snaps);
    got.sort();
    assert_eq!(got, (1..=3).map(|i| format!("SmolLM2-135M-Instruct-Q4_1-{i:05}-of-00003.gguf")).collect::<Vec<_>>());
    // Tags list the split model once; `hfx download :TAG` fetches its files.
    let (code, _, err) = env.run(&["run", "acme/split-GGUF:Q6_K", "hi"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("available: Q8_0, Q4_1"), "{err}");
    let out = env.ok(&["download", "acme/split-GGUF:Q4_1", "--json"]);
    assert_eq!(out.matches("-of-00003.gguf").count(), 3, "{out}");

    // A missing file is named.
    fs_err::remove_file(&shards[1]).unwrap();
    let (code, _, err) = env.run(&["run", shards[0].to_str().unwrap(), "hi"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("file 2 of 3 of this split model is missing") && err.contains("-00002-of-00003.gguf"),
        "{err}"
    );
}

#[test]
fn a_gguf_repository_with_several_quantizations_picks_q4_k_m_or_the_tag() {
    let env = TestEnv::new();
    // Three names for the SmolLM2 file (the choice is under test, not the bytes).
    let dir = env.dir.path().join("repo");
    fs_err::create_dir_all(&dir).unwrap();
    let g = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    for q in ["Q4_1", "Q4_K_M", "Q8_0"] {
        link_file(&g, dir.join(format!("SmolLM2-135M-Instruct-{q}.gguf")));
    }
    env.hub.add_repo(RepoSpec::new(RepoType::Model, "acme/SmolLM2-GGUF").gitattributes().dir(&dir));
    let ggufs = |env: &TestEnv| -> Vec<String> {
        let snaps = env.cache_dir().join("models--acme--SmolLM2-GGUF/snapshots");
        let mut names: Vec<String> = walkdir(&snaps).into_iter().filter(|n| n.ends_with(".gguf")).collect();
        names.sort();
        names
    };
    let ask = ["hi", "--temperature", "0", "--max-new-tokens", "1"];
    let (code, _, err) = env.run(&[&["run", "acme/SmolLM2-GGUF"][..], &ask[..]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("acme/SmolLM2-GGUF has 3 GGUF files; using SmolLM2-135M-Instruct-Q4_K_M.gguf (Q4_K_M)")
            && err.contains("acme/SmolLM2-GGUF:TAG` (Q4_K_M, Q8_0, Q4_1)"),
        "{err}"
    );
    assert_eq!(ggufs(&env), ["SmolLM2-135M-Instruct-Q4_K_M.gguf"]);
    // A tag, case-insensitive, downloads that file only and says nothing.
    let (code, _, err) = env.run(&[&["run", "acme/SmolLM2-GGUF:q8_0"][..], &ask[..]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("GGUF files"), "{err}");
    assert_eq!(ggufs(&env), ["SmolLM2-135M-Instruct-Q4_K_M.gguf", "SmolLM2-135M-Instruct-Q8_0.gguf"]);
    // `hfx download` takes the tag too, and fetches that file only.
    let path = env.ok(&["download", "acme/SmolLM2-GGUF:Q4_1"]);
    assert!(path.trim().ends_with("SmolLM2-135M-Instruct-Q4_1.gguf"), "{path}");
    assert_eq!(ggufs(&env).len(), 3);
    // A tag the repo does not have names the ones it has; a tag and --gguf-file conflict.
    let (code, _, err) = env.run(&[&["run", "acme/SmolLM2-GGUF:Q6_K"][..], &ask[..]].concat());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no GGUF file of quantization `Q6_K`") && err.contains("hint: available: Q4_K_M, Q8_0, Q4_1"),
        "{err}"
    );
    let (code, _, err) = env.run(&[&["run", "acme/SmolLM2-GGUF:Q8_0", "--gguf-file", "x.gguf"][..], &ask[..]].concat());
    assert_eq!(code, 2, "{err}");
}

/// File names under `root`, recursively.
fn walkdir(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs_err::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    out
}
