//! Every architecture's loader on a tiny random-weight model made here, with the tensor names and
//! shapes transformers writes: hfx's decoder must compute what candle-transformers' independent
//! implementation of that architecture computes, and the same weights written as a GGUF file the
//! way llama.cpp's converter writes them (q/k permuted for llama, Gemma norms plus one, Phi-3's
//! fused projections) must give the same logits through hfx's GGUF loader.

use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::gguf_file::Value as GValue;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use hfx::models::decoder::{Decoder, KvCache, Logits, Step, WeightDtype, permute};
use serde_json::{Value, json};

mod export;
mod forward;
mod loaders;
mod training;

const H: usize = 64;
const HEADS: usize = 4;
const KV: usize = 2;
const HD: usize = 16;
const FF: usize = 96;
const VOCAB: usize = 128;
const PROMPT: [u32; 7] = [1, 17, 99, 3, 64, 127, 5];

struct Arch {
    model_type: &'static str,
    layers: usize,
    config: Value,
}

fn arch(model_type: &'static str) -> Arch {
    let mut c = json!({
        "model_type": model_type,
        "hidden_size": H,
        "intermediate_size": FF,
        "num_hidden_layers": 2,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV,
        "head_dim": HD,
        "vocab_size": VOCAB,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "max_position_embeddings": 512,
        "hidden_act": "silu",
        "tie_word_embeddings": false,
        "attention_bias": false,
        "sliding_window": null,
        "use_sliding_window": false,
        "max_window_layers": 2,
    });
    let gemma = |c: &mut Value| {
        c.as_object_mut().unwrap().remove("hidden_act");
        c["hidden_activation"] = json!("gelu_pytorch_tanh");
        c["tie_word_embeddings"] = json!(true);
        c["query_pre_attn_scalar"] = json!(HD);
    };
    let mut layers = 2;
    match model_type {
        "qwen2" => {
            c["sliding_window"] = json!(4096);
            c["attention_bias"] = json!(true);
        }
        "gemma" => gemma(&mut c),
        "gemma2" => {
            gemma(&mut c);
            c["final_logit_softcapping"] = json!(30.0);
            c["attn_logit_softcapping"] = json!(50.0);
            c["sliding_window"] = json!(4096);
        }
        "gemma3_text" => {
            gemma(&mut c);
            // Six layers: five local (rope base 10k) and one global (1M), as Gemma 3 alternates.
            layers = 6;
            c["num_hidden_layers"] = json!(6);
            c["rope_theta"] = json!(1_000_000.0);
            c["rope_local_base_freq"] = json!(10000.0);
            // A window shorter than the prompt, so local layers really drop old positions.
            c["sliding_window"] = json!(3);
            c["sliding_window_pattern"] = json!(6);
            c["final_logit_softcapping"] = json!(null);
            c["attn_logit_softcapping"] = json!(null);
        }
        _ => {}
    }
    Arch { model_type, layers, config: c }
}

/// Normal weights from a generator seeded per test thread (candle's CPU `randn` cannot be
/// seeded): each test sees the same weights on every run, so a tolerance that passes once
/// always passes.
fn randn(shape: &[usize], std: f64) -> Tensor {
    use rand::{Rng, SeedableRng};
    thread_local! {
        static RNG: std::cell::RefCell<rand::rngs::StdRng> = std::cell::RefCell::new(rand::rngs::StdRng::seed_from_u64(42));
    }
    let n: usize = shape.iter().product();
    let v: Vec<f32> = RNG.with(|r| {
        let mut r = r.borrow_mut();
        (0..n)
            .map(|_| {
                // Box-Muller: two uniforms in (0, 1] give one standard normal.
                let (u1, u2) = (1.0 - r.random::<f64>(), r.random::<f64>());
                ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos() * std) as f32
            })
            .collect()
    });
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

/// Random weights under transformers' names.
fn hf_weights(a: &Arch) -> HashMap<String, Tensor> {
    let mut w = HashMap::new();
    let gemma = a.model_type.starts_with("gemma");
    // Norm weights near 1 as applied (Gemma stores w - 1).
    let norm = |n: usize| if gemma { randn(&[n], 0.1) } else { (randn(&[n], 0.1) + 1.0).unwrap() };
    w.insert("model.embed_tokens.weight".into(), randn(&[VOCAB, H], 0.5));
    w.insert("model.norm.weight".into(), norm(H));
    if a.config["tie_word_embeddings"] != true {
        w.insert("lm_head.weight".into(), randn(&[VOCAB, H], 0.2));
    }
    for i in 0..a.layers {
        let p = |n: &str| format!("model.layers.{i}.{n}");
        w.insert(p("input_layernorm.weight"), norm(H));
        w.insert(p("post_attention_layernorm.weight"), norm(H));
        if a.model_type == "phi3" {
            w.insert(p("self_attn.qkv_proj.weight"), randn(&[(HEADS + 2 * KV) * HD, H], 0.2));
            w.insert(p("mlp.gate_up_proj.weight"), randn(&[2 * FF, H], 0.2));
        } else {
            w.insert(p("self_attn.q_proj.weight"), randn(&[HEADS * HD, H], 0.2));
            w.insert(p("self_attn.k_proj.weight"), randn(&[KV * HD, H], 0.2));
            w.insert(p("self_attn.v_proj.weight"), randn(&[KV * HD, H], 0.2));
            w.insert(p("mlp.gate_proj.weight"), randn(&[FF, H], 0.2));
            w.insert(p("mlp.up_proj.weight"), randn(&[FF, H], 0.2));
        }
        w.insert(p("self_attn.o_proj.weight"), randn(&[H, HEADS * HD], 0.2));
        w.insert(p("mlp.down_proj.weight"), randn(&[H, FF], 0.2));
        if a.model_type == "qwen2" {
            w.insert(p("self_attn.q_proj.bias"), randn(&[HEADS * HD], 0.2));
            w.insert(p("self_attn.k_proj.bias"), randn(&[KV * HD], 0.2));
            w.insert(p("self_attn.v_proj.bias"), randn(&[KV * HD], 0.2));
        }
        if matches!(a.model_type, "qwen3" | "gemma3_text") {
            w.insert(p("self_attn.q_norm.weight"), norm(HD));
            w.insert(p("self_attn.k_norm.weight"), norm(HD));
        }
        if matches!(a.model_type, "gemma2" | "gemma3_text") {
            w.insert(p("pre_feedforward_layernorm.weight"), norm(H));
            w.insert(p("post_feedforward_layernorm.weight"), norm(H));
        }
    }
    w
}

fn write_hf(dir: &Path, a: &Arch, w: &HashMap<String, Tensor>) {
    fs_err::create_dir_all(dir).unwrap();
    fs_err::write(dir.join("config.json"), serde_json::to_vec_pretty(&a.config).unwrap()).unwrap();
    candle_core::safetensors::save(w, dir.join("model.safetensors")).unwrap();
}

/// The same weights as llama.cpp's convert_hf_to_gguf writes them, as F32 tensors.
/// `a` with random weights, written as a safetensors folder (kept while the model is used)
/// and loaded.
fn tiny_model(a: &Arch) -> (tempfile::TempDir, Decoder) {
    let tmp = tempfile::tempdir().unwrap();
    write_hf(tmp.path(), a, &hf_weights(a));
    let m = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).unwrap();
    (tmp, m)
}

fn write_gguf(path: &Path, a: &Arch, w: &HashMap<String, Tensor>) {
    write_gguf_as(path, a, w, GgmlDType::F32);
}

/// `write_gguf` with the matrices whose rows fill whole blocks stored as `dtype` (as llama.cpp's
/// quantize keeps norms and biases in F32).
fn write_gguf_as(path: &Path, a: &Arch, w: &HashMap<String, Tensor>, dtype: GgmlDType) {
    let arch = match a.model_type {
        "gemma3_text" => "gemma3",
        t => t,
    };
    let gemma = arch.starts_with("gemma");
    let mut tensors: Vec<(String, Tensor)> = Vec::new();
    for (name, t) in w {
        let mut t = t.clone();
        if gemma && name.ends_with("norm.weight") {
            t = (t + 1.0).unwrap();
        }
        let g = if name == "model.embed_tokens.weight" {
            "token_embd.weight".to_string()
        } else if name == "model.norm.weight" {
            "output_norm.weight".to_string()
        } else if name == "lm_head.weight" {
            "output.weight".to_string()
        } else {
            let rest = name.strip_prefix("model.layers.").unwrap();
            let (i, n) = rest.split_once('.').unwrap();
            let (stem, kind) = n.rsplit_once('.').unwrap();
            let sandwich = matches!(arch, "gemma2" | "gemma3");
            let g = match stem {
                "input_layernorm" => "attn_norm",
                "post_attention_layernorm" if sandwich => "post_attention_norm",
                "post_attention_layernorm" => "ffn_norm",
                "pre_feedforward_layernorm" => "ffn_norm",
                "post_feedforward_layernorm" => "post_ffw_norm",
                "self_attn.q_proj" => "attn_q",
                "self_attn.k_proj" => "attn_k",
                "self_attn.v_proj" => "attn_v",
                "self_attn.o_proj" => "attn_output",
                "self_attn.qkv_proj" => "attn_qkv",
                "self_attn.q_norm" => "attn_q_norm",
                "self_attn.k_norm" => "attn_k_norm",
                "mlp.gate_proj" => "ffn_gate",
                "mlp.up_proj" | "mlp.gate_up_proj" => "ffn_up",
                "mlp.down_proj" => "ffn_down",
                other => panic!("{other}"),
            };
            if arch == "llama" && kind == "weight" && (g == "attn_q" || g == "attn_k") {
                t = permute(&t, if g == "attn_q" { HEADS } else { KV }).unwrap();
            }
            format!("blk.{i}.{g}.{kind}")
        };
        tensors.push((g, t));
    }
    let c = &a.config;
    let u = |k: &str| GValue::U32(c[k].as_u64().unwrap() as u32);
    let mut meta: Vec<(String, GValue)> = vec![
        ("general.architecture".into(), GValue::String(arch.into())),
        (format!("{arch}.embedding_length"), u("hidden_size")),
        (format!("{arch}.feed_forward_length"), u("intermediate_size")),
        (format!("{arch}.block_count"), u("num_hidden_layers")),
        (format!("{arch}.attention.head_count"), u("num_attention_heads")),
        (format!("{arch}.attention.head_count_kv"), u("num_key_value_heads")),
        (format!("{arch}.attention.key_length"), u("head_dim")),
        (format!("{arch}.context_length"), u("max_position_embeddings")),
        (format!("{arch}.attention.layer_norm_rms_epsilon"), GValue::F32(1e-6)),
        (format!("{arch}.rope.freq_base"), GValue::F32(c["rope_theta"].as_f64().unwrap() as f32)),
    ];
    for k in ["final_logit_softcapping", "attn_logit_softcapping"] {
        if let Some(v) = c.get(k).and_then(Value::as_f64) {
            meta.push((format!("{arch}.{k}"), GValue::F32(v as f32)));
        }
    }
    if let Some(v) = c.get("sliding_window").and_then(Value::as_u64)
        && gemma
    {
        meta.push((format!("{arch}.attention.sliding_window"), GValue::U32(v as u32)));
    }
    let q: Vec<(String, QTensor)> = tensors
        .into_iter()
        .map(|(n, t)| {
            let blocks = t.rank() == 2 && t.dims()[1].is_multiple_of(dtype.block_size());
            (n, QTensor::quantize(&t, if blocks { dtype } else { GgmlDType::F32 }).unwrap())
        })
        .collect();
    let meta_refs: Vec<(&str, &GValue)> = meta.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let q_refs: Vec<(&str, &QTensor)> = q.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut f = fs_err::File::create(path).unwrap();
    candle_core::quantized::gguf_file::write(&mut f, &meta_refs, &q_refs).unwrap();
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    // NaN counts as infinitely far (f32::max would skip it).
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, |m, d| if d.is_nan() { f32::INFINITY } else { m.max(d) })
}
