//! hfx's llama decoder on the PyPI SmolLM2 GGUF dequantized to f32, against the transformers
//! reference (`tests/data/reference/smollm2/`, copied from `../shared/reference/`).

use serde_json::Value;

use crate::common::*;
use hfx::models::decoder::{Decoder, KvCache, WeightDtype, argmax};

mod chat;
mod hf_folder;
mod logits;
mod lora;
mod quantized;
mod run_cli;

pub(crate) fn reference(name: &str) -> Value {
    let p = repo_root().join("tests/data/reference/smollm2").join(name);
    serde_json::from_slice(&fs_err::read(p).unwrap()).unwrap()
}

pub(crate) fn ids(v: &Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
}

pub(crate) fn model() -> Decoder {
    let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    Decoder::from_gguf(&gguf, &candle_core::Device::Cpu, WeightDtype::F32).unwrap()
}

pub(crate) fn logsumexp(row: &[f32]) -> f64 {
    let max = f64::from(row.iter().copied().fold(f32::NEG_INFINITY, f32::max));
    max + row.iter().map(|x| (f64::from(*x) - max).exp()).sum::<f64>().ln()
}

pub(crate) fn run_json(env: &TestEnv, args: &[&str]) -> Value {
    let out = env.ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
}

/// The SmolLM2 GGUF converted to an HF folder (540 MB of f32 safetensors), once per test
/// process. It lives in a fixed place under cargo's target tmp dir, replaced by each run: a
/// `static` TempDir is never dropped, so one per run used to pile up in /tmp.
pub(crate) fn converted() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("smollm2-converted");
        if dir.exists() {
            fs_err::remove_dir_all(&dir).unwrap();
        }
        let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
        let env = TestEnv::new();
        let out = env.ok(&["convert", gguf.to_str().unwrap(), "--to", "safetensors", dir.to_str().unwrap(), "--json"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["tensors"], 272);
        dir
    })
}

pub(crate) fn adapter_dir() -> std::path::PathBuf {
    repo_root().join("tests/data/reference/smollm2/lora-adapter")
}

/// Last-position top-5 / logsumexp and whole-sequence loss against one `lora.json` variant.
pub(crate) fn check_against(m: &Decoder, input: &[u32], want: &Value, what: &str) {
    let rows: Vec<Vec<f32>> = m.forward(input, &mut KvCache::default()).unwrap().squeeze(0).unwrap().to_vec2().unwrap();
    let last = rows.last().unwrap();
    for (id, w) in ids(&want["top5_ids"]).iter().zip(want["top5_logits"].as_array().unwrap()) {
        let got = f64::from(last[*id as usize]);
        assert!((got - w.as_f64().unwrap()).abs() < 1e-3, "{what}: logit of {id} {got} vs {w}");
    }
    let mut order: Vec<usize> = (0..last.len()).collect();
    order.sort_by(|a, b| last[*b].total_cmp(&last[*a]));
    assert_eq!(order[..5].iter().map(|i| *i as u32).collect::<Vec<_>>(), ids(&want["top5_ids"]), "{what}: top-5");
    assert!((logsumexp(last) - want["logsumexp"].as_f64().unwrap()).abs() < 1e-3, "{what}: logsumexp");
    let n = input.len();
    let loss: f64 = (0..n - 1).map(|i| logsumexp(&rows[i]) - f64::from(rows[i][input[i + 1] as usize])).sum::<f64>()
        / (n - 1) as f64;
    let wl = want["loss"].as_f64().unwrap();
    assert!(((loss - wl) / wl).abs() < 1e-4, "{what}: loss {loss} vs {wl}");
}

fn q4_1() -> Decoder {
    let gguf = fixtures_dir().join("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    Decoder::from_gguf(&gguf, &candle_core::Device::Cpu, WeightDtype::Native).unwrap()
}
