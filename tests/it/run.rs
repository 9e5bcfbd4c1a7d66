//! `hfx run` with encoder models: all-MiniLM-L6-v2 embeddings against the sentence-transformers
//! reference (copied from `../shared/reference/minilm/`), and the errors of what is not there yet.

use serde_json::Value;

use crate::common::*;
use crate::fixtures::serve_fixtures;

fn reference() -> Value {
    let p = repo_root().join("tests/data/reference/minilm/embeddings.json");
    serde_json::from_slice(&fs_err::read(p).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / na / nb
}

#[test]
fn minilm_embeddings_match_sentence_transformers() {
    let env = TestEnv::new();
    let r = reference();
    let model = fixtures_dir().join("minilm");
    let model = model.to_str().unwrap();
    let cases = r["cases"].as_array().unwrap();
    // One at a time.
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let out: Value = serde_json::from_str(&env.ok(&["run", model, text, "--json"])).unwrap();
        assert_eq!(out["dim"], 384);
        let c = cosine(&floats(&out["embedding"]), &floats(&case["embedding"]));
        assert!(c >= 0.9999, "cosine {c} for {text:?}");
    }
    // Batched with padding (`--file`): the same vectors, and the reference cosine matrix.
    let file = env.dir.path().join("sentences.txt");
    let text: String = cases.iter().map(|c| format!("{}\n", c["text"].as_str().unwrap())).collect();
    fs_err::write(&file, text).unwrap();
    let out = env.ok(&["run", model, "--file", file.to_str().unwrap(), "--json"]);
    let vecs: Vec<Vec<f64>> =
        out.lines().map(|l| floats(&serde_json::from_str::<Value>(l).unwrap()["embedding"])).collect();
    assert_eq!(vecs.len(), 4);
    for (v, case) in vecs.iter().zip(cases) {
        assert!(cosine(v, &floats(&case["embedding"])) >= 0.9999);
        let norm: f64 = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "not L2-normalised: {norm}");
    }
    let matrix = r["cosine_similarity"].as_array().unwrap();
    for i in 0..4 {
        for j in 0..4 {
            let want = matrix[i][j].as_f64().unwrap();
            let got = cosine(&vecs[i], &vecs[j]);
            assert!((got - want).abs() < 1e-4, "cos[{i}][{j}] = {got}, reference {want}");
        }
    }
    // Human output: one line of 384 numbers.
    let human = env.ok(&["run", model, "hello"]);
    assert_eq!(human.split_whitespace().count(), 384);
}

#[test]
fn a_hub_model_downloads_what_it_runs_with_and_works_offline() {
    let env = TestEnv::new();
    serve_fixtures(&env);
    let out: Value = serde_json::from_str(&env.ok(&[
        "run",
        "sentence-transformers/all-MiniLM-L6-v2",
        "A man is playing a guitar.",
        "--json",
    ]))
    .unwrap();
    let c = cosine(&floats(&out["embedding"]), &floats(&reference()["cases"][0]["embedding"]));
    assert!(c >= 0.9999, "{c}");
    let before = env.hub.requests("").len();
    let o = env
        .hfx()
        .env("HF_HUB_OFFLINE", "1")
        .args(["run", "sentence-transformers/all-MiniLM-L6-v2", "A man is playing a guitar.", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(env.hub.requests("").len(), before);
}

#[test]
fn what_cannot_run_yet_or_ever_is_a_clear_error() {
    let env = TestEnv::new();
    // An architecture hfx does not run: named, with what is supported.
    let mamba = env.dir.path().join("mamba");
    fs_err::create_dir_all(&mamba).unwrap();
    fs_err::write(mamba.join("config.json"), r#"{"model_type": "mamba"}"#).unwrap();
    let (code, _, err) = env.run(&["run", mamba.to_str().unwrap(), "hi"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unsupported model type `mamba`") && err.contains("qwen3, gemma"), "{err}");

    let pickle = env.dir.path().join("pickle");
    fs_err::create_dir_all(&pickle).unwrap();
    fs_err::copy(fixtures_dir().join("minilm/config.json"), pickle.join("config.json")).unwrap();
    fs_err::copy(fixtures_dir().join("minilm/tokenizer.json"), pickle.join("tokenizer.json")).unwrap();
    fs_err::write(pickle.join("pytorch_model.bin"), b"\x80\x02not really a pickle").unwrap();
    let (code, _, err) = env.run(&["run", pickle.to_str().unwrap(), "hi"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no safetensors") && err.contains("never loads"), "{err}");

    let t5 = env.dir.path().join("t5");
    fs_err::create_dir_all(&t5).unwrap();
    fs_err::write(t5.join("config.json"), r#"{"model_type": "t5"}"#).unwrap();
    let (code, _, err) = env.run(&["run", t5.to_str().unwrap(), "hi"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unsupported model type `t5`") && err.contains("bert"), "{err}");

    // A truncated safetensors file: an error, not a panic.
    let trunc = env.dir.path().join("trunc");
    fs_err::create_dir_all(&trunc).unwrap();
    for f in ["config.json", "tokenizer.json", "modules.json"] {
        fs_err::copy(fixtures_dir().join("minilm").join(f), trunc.join(f)).unwrap();
    }
    let weights = fs_err::read(fixtures_dir().join("minilm/model.safetensors")).unwrap();
    fs_err::write(trunc.join("model.safetensors"), &weights[..weights.len() / 2]).unwrap();
    let (code, _, err) = env.run(&["run", trunc.to_str().unwrap(), "hi"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("model.safetensors") && err.contains("hint:"), "{err}");

    let (code, _, err) = env.run(&["run", fixtures_dir().join("minilm").to_str().unwrap(), "hi", "--device", "cuda"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--features cuda"), "{err}");
}

#[test]
fn embeddings_apply_dense_and_normalize_only_as_modules_json_lists() {
    use std::path::{Path, PathBuf};
    let env = TestEnv::new();
    let src = fixtures_dir().join("minilm");
    let files = [
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "vocab.txt",
        "model.safetensors",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
    ];
    let folder = |name: &str, modules: &str| -> PathBuf {
        let d = env.dir.path().join(name);
        fs_err::create_dir_all(d.join("1_Pooling")).unwrap();
        for f in files {
            fs_err::copy(src.join(f), d.join(f)).unwrap();
        }
        fs_err::write(d.join("modules.json"), modules).unwrap();
        d
    };
    let embed = |d: &Path| -> Vec<f64> {
        let out = env.ok(&["run", d.to_str().unwrap(), "A sentence to embed.", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
    };
    // MiniLM lists Normalize: unit vectors.
    let base = embed(&src);
    let t = r#"{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}"#;
    // Without it, the pooled vector as it is (it used to be normalised regardless).
    let u = embed(&folder("plain", &format!("[{t}]")));
    let norm = u.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!((norm - 1.0).abs() > 0.05, "norm {norm}");
    for (a, b) in u.iter().zip(&base) {
        assert!((a / norm - b).abs() < 1e-5);
    }
    // A Dense module (384 -> 8, tanh) after pooling: it used to be ignored.
    let dense = folder(
        "dense",
        &format!(
            r#"[{t}, {{"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}}]"#
        ),
    );
    fs_err::create_dir_all(dense.join("2_Dense")).unwrap();
    fs_err::write(
        dense.join("2_Dense/config.json"),
        r#"{"in_features": 384, "out_features": 8, "bias": true, "activation_function": "torch.nn.modules.activation.Tanh"}"#,
    )
    .unwrap();
    let w: Vec<f32> = (0..8 * 384).map(|i| ((i * 37 % 101) as f32 - 50.0) / 500.0).collect();
    let b: Vec<f32> = (0..8).map(|i| i as f32 / 10.0 - 0.4).collect();
    let dev = candle_core::Device::Cpu;
    let tensors = std::collections::HashMap::from([
        ("linear.weight".to_string(), candle_core::Tensor::from_vec(w.clone(), (8, 384), &dev).unwrap()),
        ("linear.bias".to_string(), candle_core::Tensor::from_vec(b.clone(), 8, &dev).unwrap()),
    ]);
    candle_core::safetensors::save(&tensors, dense.join("2_Dense/model.safetensors")).unwrap();
    let got = embed(&dense);
    assert_eq!(got.len(), 8);
    for o in 0..8 {
        let s: f64 = (0..384).map(|i| f64::from(w[o * 384 + i]) * u[i]).sum::<f64>() + f64::from(b[o]);
        assert!((got[o] - s.tanh()).abs() < 1e-4, "{o}: {} vs {}", got[o], s.tanh());
    }
    assert!(got.iter().any(|x| x.abs() < 0.99), "not saturated: {got:?}");
    // A module hfx cannot apply is refused, not skipped.
    let odd = folder(
        "odd",
        &format!(
            r#"[{t}, {{"idx": 2, "name": "2", "path": "2_X", "type": "sentence_transformers.models.LayerNorm"}}]"#
        ),
    );
    let (code, _, err) = env.run(&["run", odd.to_str().unwrap(), "hi"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("sentence_transformers.models.LayerNorm` is not supported"), "{err}");
}
