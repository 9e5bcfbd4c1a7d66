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

/// candle-transformers' last-position logits for PROMPT.
fn candle_reference(dir: &Path, a: &Arch) -> Vec<f32> {
    use candle_transformers::models as m;
    let dev = Device::Cpu;
    let files = [dir.join("model.safetensors")];
    // SAFETY: the test's own file, written above and not modified while mapped.
    #[allow(unsafe_code)]
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&files, DType::F32, &dev) }.unwrap();
    let ids = Tensor::new(&PROMPT[..], &dev).unwrap().unsqueeze(0).unwrap();
    let cfg = serde_json::to_string(&a.config).unwrap();
    let logits = match a.model_type {
        "llama" => {
            let c: m::llama::LlamaConfig = serde_json::from_str(&cfg).unwrap();
            let c = c.into_config(false);
            let model = m::llama::Llama::load(vb, &c).unwrap();
            let mut cache = m::llama::Cache::new(true, DType::F32, &c, &dev).unwrap();
            model.forward(&ids, 0, &mut cache).unwrap()
        }
        "mistral" => {
            let c: m::mistral::Config = serde_json::from_str(&cfg).unwrap();
            m::mistral::Model::new(&c, vb).unwrap().forward(&ids, 0).unwrap()
        }
        "qwen2" => {
            let c: m::qwen2::Config = serde_json::from_str(&cfg).unwrap();
            m::qwen2::ModelForCausalLM::new(&c, vb).unwrap().forward(&ids, 0).unwrap()
        }
        "qwen3" => {
            let c: m::qwen3::Config = serde_json::from_str(&cfg).unwrap();
            m::qwen3::ModelForCausalLM::new(&c, vb).unwrap().forward(&ids, 0).unwrap()
        }
        "gemma" => {
            let c: m::gemma::Config = serde_json::from_str(&cfg).unwrap();
            m::gemma::Model::new(false, &c, vb).unwrap().forward(&ids, 0).unwrap()
        }
        "gemma2" => {
            let c: m::gemma2::Config = serde_json::from_str(&cfg).unwrap();
            m::gemma2::Model::new(false, &c, vb).unwrap().forward(&ids, 0).unwrap()
        }
        "gemma3_text" => {
            let c: m::gemma3::Config = serde_json::from_str(&cfg).unwrap();
            let mut model = m::gemma3::Model::new(false, &c, vb).unwrap();
            // candle's Gemma 3 cannot append a multi-token (non-contiguous) value block to its
            // cache, so the reference is fed one token at a time.
            let mut last = None;
            for (i, t) in PROMPT.iter().enumerate() {
                let one = Tensor::new(&[*t], &dev).unwrap().unsqueeze(0).unwrap();
                last = Some(model.forward(&one, i).unwrap());
            }
            last.unwrap()
        }
        "phi3" => {
            let c: m::phi3::Config = serde_json::from_str(&cfg).unwrap();
            m::phi3::Model::new(&c, vb).unwrap().forward(&ids, 0).unwrap()
        }
        other => panic!("{other}"),
    };
    logits.flatten_all().unwrap().to_vec1().unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    // NaN counts as infinitely far (f32::max would skip it).
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, |m, d| if d.is_nan() { f32::INFINITY } else { m.max(d) })
}

fn check(model_type: &'static str) {
    let a = arch(model_type);
    let tmp = tempfile::tempdir().unwrap();
    let w = hf_weights(&a);
    write_hf(tmp.path(), &a, &w);
    let want = candle_reference(tmp.path(), &a);
    let m = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).unwrap();
    assert_eq!(m.layers.len(), a.layers);
    let got = m.forward_last(&PROMPT, &mut KvCache::new(m.layers.len())).unwrap();
    let scale = want.iter().fold(0f32, |s, v| s.max(v.abs()));
    assert!(scale > 0.1, "{model_type}: degenerate logits");
    let d = max_diff(&got, &want);
    assert!(d < 1e-4 * scale.max(1.0), "{model_type}: hfx vs candle-transformers differ by {d}");

    // Decoding token by token through the cache gives the same last logits.
    let mut cache = KvCache::new(m.layers.len());
    let mut last = Vec::new();
    for t in PROMPT {
        last = m.forward_last(&[t], &mut cache).unwrap();
    }
    let d = max_diff(&last, &want);
    assert!(d < 1e-4 * scale.max(1.0), "{model_type}: incremental decode differs by {d}");

    if model_type == "mistral" {
        return; // llama.cpp writes Mistral models as `llama`.
    }
    let gguf = tmp.path().join("model.gguf");
    write_gguf(&gguf, &a, &w);
    let g = Decoder::from_gguf(&gguf, &Device::Cpu, WeightDtype::Native).unwrap();
    let got = g.forward_last(&PROMPT, &mut KvCache::new(g.layers.len())).unwrap();
    let d = max_diff(&got, &want);
    assert!(d < 1e-4 * scale.max(1.0), "{model_type}: GGUF loader differs by {d}");
    let mut cache = KvCache::new(g.layers.len());
    for t in PROMPT {
        last = g.forward_last(&[t], &mut cache).unwrap();
    }
    let d = max_diff(&last, &want);
    assert!(d < 1e-4 * scale.max(1.0), "{model_type}: GGUF incremental decode differs by {d}");
}

#[test]
fn llama_loader_matches_candle_transformers_and_its_gguf() {
    check("llama");
}

#[test]
fn llama3_rope_scaling_matches_candle_transformers() {
    let mut a = arch("llama");
    a.config["rope_scaling"] = json!({
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 64
    });
    let tmp = tempfile::tempdir().unwrap();
    let w = hf_weights(&a);
    write_hf(tmp.path(), &a, &w);
    let want = candle_reference(tmp.path(), &a);
    let m = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).unwrap();
    let got = m.forward_last(&PROMPT, &mut KvCache::new(m.layers.len())).unwrap();
    assert!(max_diff(&got, &want) < 1e-4);
    // ...and it matters: without the scaling the logits differ.
    a.config["rope_scaling"] = Value::Null;
    write_hf(tmp.path(), &a, &w);
    let plain = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).unwrap();
    let other = plain.forward_last(&PROMPT, &mut KvCache::new(2)).unwrap();
    assert!(max_diff(&got, &other) > 1e-3);
}

#[test]
fn mistral_loader_matches_candle_transformers() {
    check("mistral");
}

#[test]
fn qwen2_loader_with_qkv_biases_matches_candle_transformers_and_its_gguf() {
    check("qwen2");
}

#[test]
fn qwen3_loader_with_qk_norms_matches_candle_transformers_and_its_gguf() {
    check("qwen3");
}

#[test]
fn gemma_loader_matches_candle_transformers_and_its_gguf() {
    check("gemma");
}

#[test]
fn gemma2_loader_with_softcaps_and_sandwich_norms_matches_candle_transformers_and_its_gguf() {
    check("gemma2");
}

#[test]
fn gemma3_loader_with_local_and_global_layers_matches_candle_transformers_and_its_gguf() {
    check("gemma3_text");
}

#[test]
fn phi3_loader_with_fused_projections_matches_candle_transformers_and_its_gguf() {
    check("phi3");
}

/// Q5_0 blocks (what llama.cpp stores for Qwen2.5-0.5B's 896-wide matrices in its Q4_K_M files)
/// run through hfx's Q5_0 kernels, prompt and decode, and match the same blocks dequantized to
/// f32 up to the 8-bit rounding of the activations.
#[test]
fn qwen2_q5_0_gguf_matches_its_dequantized_weights() {
    let a = arch("qwen2");
    let tmp = tempfile::tempdir().unwrap();
    let gguf = tmp.path().join("model.gguf");
    write_gguf_as(&gguf, &a, &hf_weights(&a), GgmlDType::Q5_0);
    let q = Decoder::from_gguf(&gguf, &Device::Cpu, WeightDtype::Native).unwrap();
    let f = Decoder::from_gguf(&gguf, &Device::Cpu, WeightDtype::F32).unwrap();
    assert!(q.weight_bytes() * 4 < f.weight_bytes(), "{} vs {}", q.weight_bytes(), f.weight_bytes());
    let want = f.forward_last(&PROMPT, &mut KvCache::new(f.layers.len())).unwrap();
    let scale = want.iter().fold(0f32, |s, v| s.max(v.abs()));
    assert!(scale > 0.1, "degenerate logits");
    let got = q.forward_last(&PROMPT, &mut KvCache::new(q.layers.len())).unwrap();
    let d = max_diff(&got, &want);
    // Over 80 draws of random weights the 8-bit activation rounding put the largest difference
    // at 2.5% of the largest logit in the median and 6.2% at most; the weights are now seeded
    // (the same every run), and a broken kernel is off by the size of the logits themselves.
    assert!(d < 0.1 * scale, "prompt: {d} vs largest logit {scale}");
    let mut cache = KvCache::new(q.layers.len());
    let mut last = Vec::new();
    for t in PROMPT {
        last = q.forward_last(&[t], &mut cache).unwrap();
    }
    // Decode and prompt paths quantize the same activations the same way.
    let d = max_diff(&last, &got);
    assert!(d < 1e-4 * scale, "decode vs prompt: {d}");
}

#[test]
fn wrong_tensor_shapes_and_unknown_architectures_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let a = arch("qwen3");
    let mut w = hf_weights(&a);
    // A qwen3 checkpoint without its q/k norms is named in the error.
    w.remove("model.layers.1.self_attn.q_norm.weight");
    write_hf(tmp.path(), &a, &w);
    let err = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).err().unwrap().to_string();
    assert!(err.contains("model.layers.1.self_attn.q_norm.weight"), "{err}");
    let mut b = arch("llama");
    b.config["model_type"] = json!("mamba");
    write_hf(tmp.path(), &b, &hf_weights(&arch("llama")));
    let err = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).err().unwrap().to_string();
    assert!(err.contains("mamba"), "{err}");
}

/// Several sequences in one step, joining and leaving between steps (continuous batching), give
/// the tokens each gives alone.
#[test]
fn batched_decode_of_several_sequences_matches_each_alone() {
    let a = arch("qwen2");
    let tmp = tempfile::tempdir().unwrap();
    write_hf(tmp.path(), &a, &hf_weights(&a));
    let m = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).unwrap();
    let prompts: [&[u32]; 3] = [&[5, 9, 2, 77], &[1], &[3, 3, 8, 100, 42, 7, 11]];
    let steps = 6;
    let argmax = |v: &[f32]| hfx::models::decoder::argmax(v);
    let alone: Vec<(Vec<u32>, Vec<Vec<f32>>)> = prompts
        .iter()
        .map(|p| {
            let mut cache = KvCache::new(m.layers.len());
            let mut logits = m.forward_last(p, &mut cache).unwrap();
            let (mut toks, mut all) = (Vec::new(), vec![logits.clone()]);
            for _ in 0..steps {
                let t = argmax(&logits);
                toks.push(t);
                logits = m.forward_last(&[t], &mut cache).unwrap();
                all.push(logits.clone());
            }
            (toks, all)
        })
        .collect();
    // Sequence 2 joins one step late; sequence 1 leaves two steps early.
    let mut caches: Vec<KvCache> = (0..3).map(|_| KvCache::new(m.layers.len())).collect();
    let mut toks: Vec<Vec<u32>> = vec![Vec::new(); 3];
    let mut pending: Vec<Vec<u32>> = prompts.iter().map(|p| p.to_vec()).collect();
    for round in 0..=steps + 1 {
        let active: Vec<usize> = (0..3)
            .filter(|&i| !(i == 2 && round == 0))
            .filter(|&i| toks[i].len() < if i == 1 { steps - 2 } else { steps })
            .collect();
        if active.is_empty() {
            break;
        }
        let inputs: Vec<Vec<u32>> = active.iter().map(|&i| pending[i].clone()).collect();
        let mut batch: Vec<Step<'_>> = Vec::new();
        let mut rest: &mut [KvCache] = &mut caches;
        let mut offset = 0;
        for (&i, tokens) in active.iter().zip(&inputs) {
            let (head, tail) = rest.split_at_mut(i - offset + 1);
            batch.push(Step { tokens, cache: &mut head[i - offset], adapter: None });
            rest = tail;
            offset = i + 1;
        }
        let out = m.forward_batch(&mut batch, Logits::Last).unwrap();
        drop(batch);
        for (&i, logits) in active.iter().zip(out) {
            let v: Vec<f32> = logits.flatten_all().unwrap().to_vec1().unwrap();
            let step = toks[i].len();
            assert!(max_diff(&v, &alone[i].1[step]) < 1e-4, "sequence {i} step {step}");
            let t = argmax(&v);
            toks[i].push(t);
            pending[i] = vec![t];
        }
    }
    assert_eq!(toks[0], alone[0].0);
    assert_eq!(toks[1], alone[1].0[..steps - 2]);
    assert_eq!(toks[2], alone[2].0);
}

/// With a LoRA adapter being trained (its tensors are `Var`s) the forward pass stays on tensor
/// ops, which record a graph, instead of the fused CPU kernels (prompt attention, decode
/// steps): same logits, for the prompt and token by token. This also keeps the unfused
/// attention (the path GPUs take) tested on the CPU.
#[test]
fn a_lora_being_trained_keeps_tensor_ops_with_the_same_logits() {
    use candle_core::Var;
    // Gemma 2: soft-capping and sliding windows go through the unfused masks too.
    let mut a = arch("gemma2");
    a.config["sliding_window"] = json!(3);
    let tmp = tempfile::tempdir().unwrap();
    write_hf(tmp.path(), &a, &hf_weights(&a));
    let mut m = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).unwrap();
    let fused = m.forward(&PROMPT, &mut KvCache::new(m.layers.len())).unwrap();
    let mut cache = KvCache::new(m.layers.len());
    let fused_steps: Vec<Vec<f32>> = PROMPT.iter().map(|&t| m.forward_last(&[t], &mut cache).unwrap()).collect();

    let rank = 4;
    let lora_a = Var::from_tensor(&randn(&[rank, HEADS * HD], 0.1)).unwrap();
    let lora_b = Var::zeros((H, rank), DType::F32, &Device::Cpu).unwrap();
    m.layers[1].o.lora =
        Some(hfx::models::decoder::Lora { a: lora_a.as_tensor().clone(), b: lora_b.as_tensor().clone(), scale: 2.0 });
    let trained = m.forward(&PROMPT, &mut KvCache::new(m.layers.len())).unwrap();
    let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert!(max_diff(&flat(&trained), &flat(&fused)) < 1e-4);
    let mut cache = KvCache::new(m.layers.len());
    for (&t, want) in PROMPT.iter().zip(&fused_steps) {
        let got = m.forward_last(&[t], &mut cache).unwrap();
        assert!(max_diff(&got, want) < 1e-4);
    }
}

/// A LoRA on every projection with random A and B (B not zero, so A gets gradients too).
/// Rank 3, alpha 6, no dropout, on every projection.
fn all_linear() -> hfx::train::adapter::LoraShape {
    let targets = hfx::train::model::Module::ALL.to_vec();
    hfx::train::adapter::LoraShape { rank: 3, alpha: 6.0, dropout: 0.0, targets, rslora: false }
}

fn random_lora(m: &Decoder, seed: u64) -> hfx::train::model::LoraSet {
    let mut set = hfx::train::adapter::init(m, &all_linear(), seed).unwrap();
    for (i, ad) in set.adapters.iter_mut().enumerate() {
        let b = randn(&[ad.b.rows * ad.b.cols], 0.3);
        ad.b.value = b.to_vec1().unwrap();
        if i == 0 {
            ad.b.value[0] += 0.5;
        }
    }
    set
}

fn two_records() -> hfx::train::model::Batch {
    let mut b = hfx::train::model::Batch::default();
    b.push(&PROMPT, &[false, true, true, false, true, true, true]);
    b.push(&[9, 8, 7, 6, 5], &[true; 5]);
    b
}

/// The training pass of `model_type`: its loss equals the inference forward's with the same
/// adapter, every adapter tensor gets a gradient, the gradients agree with central finite
/// differences of the loss, and (llama) the GGUF model, with its q/k rows in llama.cpp's order,
/// gives the same gradients in transformers' order.
fn check_training(model_type: &'static str) {
    use hfx::train::model::Trainer;
    let a = arch(model_type);
    let tmp = tempfile::tempdir().unwrap();
    let w = hf_weights(&a);
    write_hf(tmp.path(), &a, &w);
    let mut m = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).unwrap();
    let mut set = random_lora(&m, 7);
    let batch = two_records();
    let denom = batch.targets.len() as f64;
    let mut t = Trainer { model: &m, lora: &mut set, dropout_seed: None, logits_chunk: 4, checkpoint: false };
    let loss = t.step(&batch, denom, true).unwrap() / denom;

    // The inference forward with the same adapter attached gives the same loss.
    let saved = tmp.path().join("adapter");
    hfx::train::adapter::save(&m, &set, &all_linear(), &Default::default(), &saved).unwrap();
    hfx::models::lora::apply(&mut m, &saved).unwrap();
    let mut want = 0f64;
    for (&(start, len), ids) in batch.spans.iter().zip([&PROMPT[..], &[9, 8, 7, 6, 5][..]]) {
        let rows: Vec<Vec<f32>> =
            m.forward(ids, &mut KvCache::default()).unwrap().squeeze(0).unwrap().to_vec2().unwrap();
        for &(row, tok) in batch.targets.iter().filter(|(r, _)| (start..start + len).contains(r)) {
            let r = &rows[row - start];
            want += crate::generate::logsumexp(r) - f64::from(r[tok as usize]);
        }
    }
    want /= denom;
    assert!((loss - want).abs() < 1e-4 * want.abs().max(1.0), "{model_type}: training loss {loss} vs inference {want}");
    for l in &mut m.layers {
        for p in [&mut l.q, &mut l.k, &mut l.v, &mut l.o, &mut l.gate, &mut l.up, &mut l.down] {
            p.lora = None;
        }
    }

    for ad in &set.adapters {
        for (p, ab) in [(&ad.a, "A"), (&ad.b, "B")] {
            assert!(
                p.grad.iter().any(|g| *g != 0.0),
                "{model_type}: no gradient for layer {} {:?} {ab}",
                ad.layer,
                ad.module
            );
        }
    }
    // Finite differences on the largest-gradient entry of a few tensors.
    let loss_at = |set: &mut hfx::train::model::LoraSet| {
        let mut t = Trainer { model: &m, lora: set, dropout_seed: None, logits_chunk: 4, checkpoint: false };
        t.step(&batch, denom, false).unwrap() / denom
    };
    let picks = [0, 3, set.adapters.len() / 2 + 1, set.adapters.len() - 1];
    for &ai in &picks {
        for which in 0..2 {
            let grad = if which == 0 { set.adapters[ai].a.grad.clone() } else { set.adapters[ai].b.grad.clone() };
            let (k, g) =
                grad.iter().enumerate().fold((0, 0f32), |b, (i, g)| if g.abs() > b.1.abs() { (i, *g) } else { b });
            let eps = 1e-2f32;
            let mut probe = set.clone();
            let base = get_value(&probe, ai, which, k);
            set_value(&mut probe, ai, which, k, base + eps);
            let up = loss_at(&mut probe);
            set_value(&mut probe, ai, which, k, base - eps);
            let down = loss_at(&mut probe);
            let num = (up - down) / (2.0 * f64::from(eps));
            let err = (num - f64::from(g)).abs();
            assert!(
                err <= 2e-2 * num.abs().max(f64::from(g.abs())) + 2e-4,
                "{model_type}: adapter {ai} {} entry {k}: analytic {g} vs finite difference {num}",
                if which == 0 { "A" } else { "B" }
            );
        }
    }

    if model_type == "llama" {
        let gguf = tmp.path().join("model.gguf");
        write_gguf(&gguf, &a, &w);
        let g = Decoder::from_gguf(&gguf, &Device::Cpu, WeightDtype::Native).unwrap();
        assert!(g.config.rope_interleaved);
        // The same adapter in the GGUF model's row order.
        let mut gset = set.clone();
        for ad in &mut gset.adapters {
            let b = Tensor::from_vec(ad.b.value.clone(), (ad.b.rows, ad.b.cols), &Device::Cpu).unwrap();
            ad.b.value = hfx::train::adapter::to_model_order(&g, ad.module, &b)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
        }
        gset.zero_grad();
        let mut t = Trainer { model: &g, lora: &mut gset, dropout_seed: None, logits_chunk: 4, checkpoint: false };
        let gl = t.step(&batch, denom, true).unwrap() / denom;
        assert!((gl - loss).abs() < 1e-4 * loss.abs().max(1.0), "gguf loss {gl} vs {loss}");
        let want = hfx::train::adapter::grad_tensors(&m, &set).unwrap();
        let got = hfx::train::adapter::grad_tensors(&g, &gset).unwrap();
        for (k, w) in &want {
            let d = max_diff(
                &got[k].flatten_all().unwrap().to_vec1().unwrap(),
                &w.flatten_all().unwrap().to_vec1().unwrap(),
            );
            assert!(d < 1e-4, "{k}: GGUF gradient differs by {d}");
        }
    }
}

fn get_value(s: &hfx::train::model::LoraSet, ai: usize, which: usize, k: usize) -> f32 {
    let ad = &s.adapters[ai];
    if which == 0 { ad.a.value[k] } else { ad.b.value[k] }
}

fn set_value(s: &mut hfx::train::model::LoraSet, ai: usize, which: usize, k: usize, v: f32) {
    let ad = &mut s.adapters[ai];
    if which == 0 {
        ad.a.value[k] = v;
    } else {
        ad.b.value[k] = v;
    }
}

#[test]
fn training_gradients_of_every_architecture_match_finite_differences() {
    for model_type in ["llama", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text"] {
        check_training(model_type);
    }
}

#[test]
fn gradient_checkpointing_gives_the_same_loss_and_gradients_with_dropout() {
    use hfx::train::model::Trainer;
    let a = arch("qwen3");
    let tmp = tempfile::tempdir().unwrap();
    write_hf(tmp.path(), &a, &hf_weights(&a));
    let m = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).unwrap();
    let mut plain = random_lora(&m, 5);
    plain.dropout = 0.2;
    let mut ckpt = plain.clone();
    let batch = two_records();
    let run = |set: &mut hfx::train::model::LoraSet, checkpoint: bool| {
        Trainer { model: &m, lora: set, dropout_seed: Some(11), logits_chunk: 3, checkpoint }
            .step(&batch, 7.0, true)
            .unwrap()
    };
    assert_eq!(run(&mut plain, false), run(&mut ckpt, true));
    for (x, y) in plain.params().zip(ckpt.params()) {
        assert_eq!(x.grad, y.grad);
    }
    // Dropout did something: another seed gives another loss.
    let mut other = plain.clone();
    let l = Trainer { model: &m, lora: &mut other, dropout_seed: Some(12), logits_chunk: 3, checkpoint: false }
        .step(&batch, 7.0, false)
        .unwrap();
    assert_ne!(l, run(&mut plain.clone(), false));
}

/// Records packed into one micro-batch give the loss and gradients they give as separate
/// micro-batches accumulated into one step: each attends only to itself, with its own positions.
#[test]
fn packed_records_give_the_loss_and_gradients_of_separate_micro_batches() {
    use hfx::train::model::{Batch, Trainer};
    let a = arch("gemma2");
    let tmp = tempfile::tempdir().unwrap();
    write_hf(tmp.path(), &a, &hf_weights(&a));
    let m = Decoder::from_safetensors(tmp.path(), &Device::Cpu, WeightDtype::Native).unwrap();
    let records: [(&[u32], &[bool]); 3] = [
        (&PROMPT, &[false, true, true, false, true, true, true]),
        (&[9, 8, 7, 6, 5], &[true; 5]),
        (&[4, 40, 44], &[false, false, true]),
    ];
    let denom = 10.0;
    let mut packed = Batch::default();
    for (ids, labels) in records {
        packed.push(ids, labels);
    }
    assert_eq!(packed.targets.len(), 10);
    let mut one = random_lora(&m, 9);
    let mut apart = one.clone();
    let step = |set: &mut hfx::train::model::LoraSet, b: &Batch| {
        Trainer { model: &m, lora: set, dropout_seed: None, logits_chunk: 4, checkpoint: false }
            .step(b, denom, true)
            .unwrap()
    };
    let together = step(&mut one, &packed);
    let mut sum = 0.0;
    for (ids, labels) in records {
        let mut b = Batch::default();
        b.push(ids, labels);
        sum += step(&mut apart, &b);
    }
    assert!((together - sum).abs() < 1e-5 * sum, "packed {together} vs apart {sum}");
    for (x, y) in one.params().zip(apart.params()) {
        let d = max_diff(&x.grad, &y.grad);
        let scale = y.grad.iter().fold(0f32, |s, v| s.max(v.abs()));
        assert!(d <= 1e-4 * scale.max(1e-3), "gradients differ by {d} (scale {scale})");
    }
}

/// A byte-level BPE tokenizer.json over the tiny vocabulary (a GGUF export writes it as
/// llama.cpp's `gpt2` vocabulary).
fn write_tokenizer(dir: &Path) {
    let mut vocab = serde_json::Map::new();
    vocab.insert("<s>".into(), json!(0));
    for i in 1..VOCAB - 1 {
        vocab.insert(format!("t{i}"), json!(i));
    }
    vocab.insert("t1t2".into(), json!(VOCAB - 1));
    let byte_level = json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true});
    let tj = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [{"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": false, "special": true}],
        "normalizer": null,
        "pre_tokenizer": byte_level,
        "post_processor": null,
        "decoder": byte_level,
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                  "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                  "vocab": vocab, "merges": [["t1", "t2"]]},
    });
    fs_err::write(dir.join("tokenizer.json"), serde_json::to_vec(&tj).unwrap()).unwrap();
}

#[test]
fn every_architecture_exports_to_gguf_and_back_to_safetensors_with_the_same_logits() {
    use hfx::models::export::{ExportOptions, FloatType, Target, export};
    use hfx::models::resolve::ModelFiles;
    for t in ["llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "phi3"] {
        let a = arch(t);
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("hf");
        write_hf(&src, &a, &hf_weights(&a));
        write_tokenizer(&src);
        let last = |m: &Decoder| m.forward_last(&PROMPT, &mut KvCache::new(m.layers.len())).unwrap();
        let want = last(&Decoder::from_safetensors(&src, &Device::Cpu, WeightDtype::Native).unwrap());
        let scale = want.iter().fold(0f32, |s, v| s.max(v.abs())).max(1.0);

        let gguf = tmp.path().join("m.gguf");
        let opts = ExportOptions::default();
        let q = &hfx::report::Quiet;
        export(&ModelFiles::Dir(src.clone()), &gguf, Target::Gguf, &opts, q).unwrap();
        let g = Decoder::from_gguf(&gguf, &Device::Cpu, WeightDtype::Native).unwrap();
        let d = max_diff(&last(&g), &want);
        assert!(d < 1e-4 * scale, "{t}: safetensors -> GGUF differs by {d}");

        let back = tmp.path().join("back");
        export(&ModelFiles::Gguf(gguf.clone()), &back, Target::Safetensors, &opts, q).unwrap();
        let b = Decoder::from_safetensors(&back, &Device::Cpu, WeightDtype::Native).unwrap();
        let d = max_diff(&last(&b), &want);
        assert!(d < 1e-4 * scale, "{t}: GGUF -> safetensors differs by {d}");
        // llama.cpp has no `mistral` architecture: Mistral models come back as llama.
        let want_type = if t == "mistral" { "llama" } else { t };
        assert_eq!(b.config.arch.hf_names().0, want_type);

        // bf16 halves the file and stays close.
        let half = tmp.path().join("bf16");
        let opts = ExportOptions { dtype: Some(FloatType::Bf16), ..Default::default() };
        export(&ModelFiles::Dir(src.clone()), &half, Target::Safetensors, &opts, q).unwrap();
        let h = Decoder::from_safetensors(&half, &Device::Cpu, WeightDtype::Native).unwrap();
        let d = max_diff(&last(&h), &want);
        assert!(d < 0.05 * scale, "{t}: bf16 export differs by {d}");
    }
}
