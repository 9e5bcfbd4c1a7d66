//! PEFT LoRA adapters applied unmerged at inference: `y = x W^T + (alpha/r) (x A^T) B^T` on the
//! targeted projections. Settings hfx does not implement are refused, never ignored.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use serde::Deserialize;

use super::decoder::{Decoder, Layer, Linear, Lora, permute};
use super::error::{ModelError, Result, candle_message};

/// The `adapter_config.json` fields that change the computation.
#[derive(Debug, Clone, Deserialize)]
pub struct AdapterConfig {
    #[serde(default)]
    pub peft_type: Option<String>,
    pub r: usize,
    pub lora_alpha: f64,
    pub target_modules: serde_json::Value,
    #[serde(default)]
    pub use_rslora: bool,
    #[serde(default)]
    pub use_dora: bool,
    #[serde(default)]
    pub bias: Option<String>,
    #[serde(default)]
    pub modules_to_save: Option<Vec<String>>,
    #[serde(default)]
    pub fan_in_fan_out: bool,
    #[serde(default)]
    pub layers_to_transform: serde_json::Value,
    #[serde(default)]
    pub rank_pattern: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub alpha_pattern: serde_json::Map<String, serde_json::Value>,
}

const MODULES: &[&str] =
    &["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "qkv_proj", "gate_up_proj"];

impl AdapterConfig {
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join("adapter_config.json");
        let raw = fs_err::read(&path)?;
        serde_json::from_slice(&raw).map_err(|e| ModelError::BadAdapter { path, reason: e.to_string() })
    }

    /// The targeted module names, or why the adapter cannot be applied.
    pub(crate) fn check(&self, path: &Path) -> Result<Vec<String>> {
        let unsupported = |what: &str| ModelError::BadAdapter {
            path: path.to_path_buf(),
            reason: format!("{what} is not supported"),
        };
        if self.peft_type.as_deref().is_some_and(|t| t != "LORA") {
            return Err(unsupported(&format!("peft_type `{}`", self.peft_type.clone().unwrap_or_default())));
        }
        if self.use_dora {
            return Err(unsupported("DoRA (`use_dora`)"));
        }
        if self.bias.as_deref().is_some_and(|b| b != "none") {
            return Err(unsupported(&format!("bias `{}`", self.bias.clone().unwrap_or_default())));
        }
        if self.modules_to_save.as_ref().is_some_and(|m| !m.is_empty()) {
            return Err(unsupported("`modules_to_save`"));
        }
        if self.fan_in_fan_out {
            return Err(unsupported("`fan_in_fan_out`"));
        }
        if !self.layers_to_transform.is_null() {
            return Err(unsupported("`layers_to_transform`"));
        }
        if !self.rank_pattern.is_empty() || !self.alpha_pattern.is_empty() {
            return Err(unsupported("`rank_pattern`/`alpha_pattern`"));
        }
        let targets: Vec<String> = match &self.target_modules {
            serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => return Err(unsupported("a regular-expression `target_modules`")),
        };
        if let Some(t) = targets.iter().find(|t| !MODULES.contains(&t.as_str())) {
            return Err(unsupported(&format!("target module `{t}`")));
        }
        Ok(targets)
    }

    pub fn scale(&self) -> f64 {
        if self.use_rslora { self.lora_alpha / (self.r as f64).sqrt() } else { self.lora_alpha / self.r as f64 }
    }
}

/// The projections a module name covers: Phi-3's fused `qkv_proj` and `gate_up_proj` are split
/// into hfx's separate projections at load, so their adapters' B rows are split the same way.
fn parts(module: &str) -> &'static [&'static str] {
    match module {
        "q_proj" => &["q_proj"],
        "k_proj" => &["k_proj"],
        "v_proj" => &["v_proj"],
        "o_proj" => &["o_proj"],
        "gate_proj" => &["gate_proj"],
        "up_proj" => &["up_proj"],
        "qkv_proj" => &["q_proj", "k_proj", "v_proj"],
        "gate_up_proj" => &["gate_proj", "up_proj"],
        _ => &["down_proj"],
    }
}

/// The projection a (split) module name denotes.
pub(crate) fn slot<'a>(layer: &'a mut Layer, module: &str) -> &'a mut Linear {
    match module {
        "q_proj" => &mut layer.q,
        "k_proj" => &mut layer.k,
        "v_proj" => &mut layer.v,
        "o_proj" => &mut layer.o,
        "gate_proj" => &mut layer.gate,
        "up_proj" => &mut layer.up,
        _ => &mut layer.down,
    }
}

/// Attach the adapter in `dir` to `model`, for every row. Returns the number of adapted
/// projections.
pub fn apply(model: &mut Decoder, dir: &Path) -> Result<usize> {
    attach(model, dir, None)
}

/// Load the adapter in `dir` into adapter slot `slot` (`Linear::adapters`): rows of a batch
/// that ask for that slot get it, the others do not. Returns the number of adapted projections.
pub fn load_slot(model: &mut Decoder, dir: &Path, slot: usize) -> Result<usize> {
    attach(model, dir, Some(slot))
}

/// An adapter's tensors under PEFT's names, its scale and the modules it targets.
struct AdapterTensors {
    path: std::path::PathBuf,
    tensors: std::collections::HashMap<String, Tensor>,
    scale: f64,
    targets: Vec<String>,
}

/// Read a PEFT adapter folder, or a llama.cpp LoRA GGUF file (`convert_lora_to_gguf.py`'s, or
/// `hfx convert --to gguf-lora`'s).
fn read(model: &Decoder, dir: &Path) -> Result<AdapterTensors> {
    if dir.is_file() && dir.extension().is_some_and(|e| e.eq_ignore_ascii_case("gguf")) {
        let g = super::export::lora_gguf::read(dir, &model.config)?;
        return Ok(AdapterTensors { path: dir.to_path_buf(), tensors: g.tensors, scale: g.scale, targets: g.targets });
    }
    let cfg = AdapterConfig::read(dir)?;
    let targets = cfg.check(&dir.join("adapter_config.json"))?;
    let path = dir.join("adapter_model.safetensors");
    if !path.is_file() {
        return Err(ModelError::NotFound { path });
    }
    let tensors = candle_core::safetensors::load(&path, &Device::Cpu)
        .map_err(|e| ModelError::BadAdapter { path: path.clone(), reason: candle_message(&e) })?;
    Ok(AdapterTensors { path, tensors, scale: cfg.scale(), targets })
}

fn attach(model: &mut Decoder, dir: &Path, slot_index: Option<usize>) -> Result<usize> {
    let AdapterTensors { path, tensors, scale, targets } = read(model, dir)?;
    let bad = |reason: String| ModelError::BadAdapter { path: path.clone(), reason };
    let find = |layer: usize, module: &str, ab: &str| {
        let part =
            if module.ends_with("_proj") && ["q", "k", "v", "o"].contains(&&module[..1]) { "self_attn" } else { "mlp" };
        let stem = format!("model.layers.{layer}.{part}.{module}.lora_{ab}");
        tensors
            .iter()
            .find(|(k, _)| k.ends_with(&format!("{stem}.weight")) || k.ends_with(&format!("{stem}.default.weight")))
            .map(|(_, t)| t.clone())
    };
    let (heads, kv_heads, interleaved) =
        (model.config.num_heads, model.config.num_kv_heads, model.config.rope_interleaved);
    let mut applied = 0;
    let model_device = model.device.clone();
    for (i, layer) in model.layers.iter_mut().enumerate() {
        for m in &targets {
            let (Some(a), Some(b)) = (find(i, m, "A"), find(i, m, "B")) else {
                return Err(bad(format!("no lora_A/lora_B for layer {i} `{m}`")));
            };
            let cerr = |e: candle_core::Error| bad(candle_message(&e));
            let on_model = |t: Tensor| t.to_dtype(DType::F32).and_then(|t| t.to_device(&model_device));
            let (a, b) = (on_model(a).map_err(cerr)?, on_model(b).map_err(cerr)?);
            let (ra, ia) = a.dims2().map_err(cerr)?;
            let (ob, rb) = b.dims2().map_err(cerr)?;
            let mut outs = Vec::new();
            for p in parts(m) {
                outs.push(slot(layer, p).weight.dims2().map_err(cerr)?);
            }
            let (out, inp) = (outs.iter().map(|d| d.0).sum::<usize>(), outs[0].1);
            if ia != inp || ob != out || ra != rb {
                return Err(ModelError::AdapterShape {
                    path: path.clone(),
                    detail: format!("layer {i} `{m}`: A {ra}x{ia}, B {ob}x{rb}, base weight {out}x{inp}"),
                });
            }
            let mut row = 0;
            for (p, (rows, _)) in parts(m).iter().zip(outs) {
                let mut b = b.narrow(0, row, rows).and_then(|b| b.contiguous()).map_err(cerr)?;
                row += rows;
                // GGUF keeps q/k rows in llama.cpp's rope order: B's rows follow the same order.
                if interleaved && (*p == "q_proj" || *p == "k_proj") {
                    b = permute(&b, if *p == "q_proj" { heads } else { kv_heads }).map_err(cerr)?;
                }
                let lora = Some(Lora { a: a.clone(), b, scale });
                let linear = slot(layer, p);
                match slot_index {
                    None => linear.lora = lora,
                    Some(i) => {
                        if linear.adapters.len() <= i {
                            linear.adapters.resize(i + 1, None);
                        }
                        linear.adapters[i] = lora;
                    }
                }
            }
            applied += 1;
        }
    }
    Ok(applied)
}
