//! llama.cpp's LoRA adapter GGUF (what `convert_lora_to_gguf.py` writes and `llama-cli --lora`
//! reads): `general.type adapter`, `adapter.type lora`, `adapter.lora.alpha`, and per adapted
//! projection `blk.N.<name>.weight.lora_a` (PEFT's A, `[r, in]`) and `.lora_b` (B, `[out, r]`,
//! q/k rows in llama.cpp's rope order for the llama architecture). llama.cpp scales by
//! `alpha / r`, so an rsLoRA adapter's alpha is written as `alpha * sqrt(r)`.

use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::{DType, Device, Tensor};

use super::write::{self, Entry};
use super::{Exported, FloatType, type_counts};
use crate::models::decoder::{Arch, DecoderConfig, Role, gguf_name, permute, unpermute};
use crate::models::error::{ModelError, Result, candle_message};
use crate::models::lora::AdapterConfig;
use crate::report::Progress;

/// PEFT's module name for a GGUF projection name, and the part of the layer it sits in.
const MODULES: [(&str, Role, &str); 9] = [
    ("q_proj", Role::Q, "self_attn"),
    ("k_proj", Role::K, "self_attn"),
    ("v_proj", Role::V, "self_attn"),
    ("o_proj", Role::O, "self_attn"),
    ("qkv_proj", Role::Qkv, "self_attn"),
    ("gate_proj", Role::Gate, "mlp"),
    ("up_proj", Role::Up, "mlp"),
    ("gate_up_proj", Role::GateUp, "mlp"),
    ("down_proj", Role::Down, "mlp"),
];

/// The heads whose rows llama.cpp permutes in a llama model's q/k projections.
fn permuted_heads(c: &DecoderConfig, module: &str) -> Option<usize> {
    if c.arch.gguf_name() != "llama" {
        return None;
    }
    match module {
        "q_proj" => Some(c.num_heads),
        "k_proj" => Some(c.num_kv_heads),
        _ => None,
    }
}

/// The `(out, in)` of a projection of `c`.
fn shape(c: &DecoderConfig, module: &str) -> (usize, usize) {
    let (h, q, kv, ff) = (c.hidden_size, c.num_heads * c.head_dim, c.num_kv_heads * c.head_dim, c.intermediate_size);
    match module {
        "q_proj" => (q, h),
        "k_proj" | "v_proj" => (kv, h),
        "o_proj" => (h, q),
        "qkv_proj" => (q + 2 * kv, h),
        "gate_proj" | "up_proj" => (ff, h),
        "gate_up_proj" => (2 * ff, h),
        _ => (h, ff),
    }
}

/// Write the PEFT adapter in `dir` as a llama.cpp LoRA GGUF for a base model configured as `c`.
pub fn export(
    dir: &Path,
    c: &DecoderConfig,
    out: &Path,
    dtype: Option<FloatType>,
    progress: &dyn Progress,
) -> Result<Exported> {
    let cfg = AdapterConfig::read(dir)?;
    let targets = cfg.check(&dir.join("adapter_config.json"))?;
    let path = dir.join("adapter_model.safetensors");
    if !path.is_file() {
        return Err(ModelError::NotFound { path });
    }
    let bad = |reason: String| ModelError::BadAdapter { path: path.clone(), reason };
    let tensors = candle_core::safetensors::load(&path, &Device::Cpu).map_err(|e| bad(candle_message(&e)))?;
    let find = |stem: &str| {
        tensors
            .iter()
            .find(|(k, _)| k.ends_with(&format!("{stem}.weight")) || k.ends_with(&format!("{stem}.default.weight")))
            .map(|(_, t)| t.clone())
    };
    let dtype = dtype.unwrap_or(FloatType::F32).ggml();
    let e = |err: candle_core::Error| bad(candle_message(&err));
    let mut pairs: Vec<(Entry, Tensor)> = Vec::new();
    for i in 0..c.num_layers {
        for m in &targets {
            let Some(&(_, role, part)) = MODULES.iter().find(|(n, ..)| n == m) else { continue };
            let stem = format!("model.layers.{i}.{part}.{m}");
            let (Some(a), Some(mut b)) = (find(&format!("{stem}.lora_A")), find(&format!("{stem}.lora_B"))) else {
                return Err(bad(format!("no lora_A/lora_B for layer {i} `{m}`")));
            };
            let (ra, ia) = a.dims2().map_err(e)?;
            let (ob, rb) = b.dims2().map_err(e)?;
            let (out_dim, in_dim) = shape(c, m);
            if ia != in_dim || ob != out_dim || ra != rb {
                return Err(ModelError::AdapterShape {
                    path: path.clone(),
                    detail: format!("layer {i} `{m}`: A {ra}x{ia}, B {ob}x{rb}, base weight {out_dim}x{in_dim}"),
                });
            }
            if let Some(h) = permuted_heads(c, m) {
                b = permute(&b.to_dtype(DType::F32).map_err(e)?, h).map_err(e)?;
            }
            let name = format!("blk.{i}.{}.weight", gguf_name(role));
            pairs.push((Entry { name: format!("{name}.lora_a"), dims: vec![ra, ia], dtype }, a));
            pairs.push((Entry { name: format!("{name}.lora_b"), dims: vec![ob, rb], dtype }, b));
        }
    }
    let alpha = if cfg.use_rslora { cfg.lora_alpha * (cfg.r as f64).sqrt() } else { cfg.lora_alpha };
    let metadata = vec![
        ("general.architecture".to_string(), Value::String(c.arch.gguf_name().into())),
        ("general.type".into(), Value::String("adapter".into())),
        ("adapter.type".into(), Value::String("lora".into())),
        ("adapter.lora.alpha".into(), Value::F32(alpha as f32)),
    ];
    let entries: Vec<Entry> = pairs.iter().map(|(en, _)| en.clone()).collect();
    let bytes =
        write::gguf(out, &metadata, &entries, |i| super::encode(&pairs[i].1, entries[i].dtype).map_err(e), progress)?;
    Ok(Exported {
        path: out.to_path_buf(),
        format: "gguf-lora",
        tensors: entries.len(),
        bytes,
        merged: 0,
        types: type_counts(&entries),
        files: vec![out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()],
    })
}

/// A LoRA GGUF read back as PEFT would hold it: tensors under PEFT's names (B rows in
/// transformers' order), the scale llama.cpp applies, and the targeted modules.
pub struct GgufAdapter {
    pub tensors: HashMap<String, Tensor>,
    pub scale: f64,
    pub targets: Vec<String>,
}

/// Read a llama.cpp LoRA GGUF for a model configured as `c`.
pub fn read(path: &Path, c: &DecoderConfig) -> Result<GgufAdapter> {
    let bad = |reason: String| ModelError::BadAdapter { path: path.to_path_buf(), reason };
    let mut f = fs_err::File::open(path)?;
    let content = Content::read(&mut f).map_err(|e| bad(candle_message(&e)))?;
    let s = |k: &str| content.metadata.get(k).and_then(|v| v.to_string().ok()).cloned().unwrap_or_default();
    if s("general.type") != "adapter" || s("adapter.type") != "lora" {
        return Err(bad("not a LoRA adapter GGUF (`general.type adapter`, `adapter.type lora`)".into()));
    }
    let arch = s("general.architecture");
    if arch != c.arch.gguf_name() {
        return Err(ModelError::AdapterShape {
            path: path.to_path_buf(),
            detail: format!("adapter for `{arch}`, model is `{}`", c.arch.gguf_name()),
        });
    }
    let alpha = content.metadata.get("adapter.lora.alpha").and_then(|v| v.to_f32().ok()).unwrap_or(0.0);
    let e = |err: candle_core::Error| bad(candle_message(&err));
    let mut tensors = HashMap::new();
    let (mut rank, mut targets) = (0, Vec::new());
    let names: Vec<String> = content.tensor_infos.keys().cloned().collect();
    for name in names {
        let Some(stem) = name.strip_suffix(".weight.lora_a").or_else(|| name.strip_suffix(".weight.lora_b")) else {
            return Err(bad(format!("unexpected tensor `{name}` (hfx applies lora_a/lora_b pairs only)")));
        };
        let ab = if name.ends_with("lora_a") { "A" } else { "B" };
        let parsed = stem.strip_prefix("blk.").and_then(|r| r.split_once('.')).and_then(|(i, g)| {
            let (m, _, part) = MODULES.iter().find(|(_, role, _)| gguf_name(*role) == g)?;
            Some((i.parse::<usize>().ok()?, *m, *part))
        });
        let Some((i, mut module, part)) = parsed else {
            return Err(bad(format!("tensor `{name}` targets no projection hfx adapts")));
        };
        // `ffn_up` is Phi-3's fused gate/up in its GGUF files.
        if module == "up_proj" && c.arch == Arch::Phi3 {
            module = "gate_up_proj";
        }
        let mut t = content.tensor(&mut f, &name, &Device::Cpu).and_then(|q| q.dequantize(&Device::Cpu)).map_err(e)?;
        if ab == "A" {
            rank = t.dim(0).map_err(e)?;
        } else if let Some(h) = permuted_heads(c, module) {
            t = unpermute(&t, h).map_err(e)?;
        }
        if !targets.iter().any(|x| x == module) {
            targets.push(module.to_string());
        }
        tensors.insert(format!("base_model.model.model.layers.{i}.{part}.{module}.lora_{ab}.weight"), t);
    }
    if rank == 0 {
        return Err(bad("the adapter has no lora_a tensors".into()));
    }
    // llama.cpp: `alpha ? alpha / rank : 1`.
    let scale = if alpha == 0.0 { 1.0 } else { f64::from(alpha) / rank as f64 };
    Ok(GgufAdapter { tensors, scale, targets })
}
