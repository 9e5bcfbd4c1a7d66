//! LoRA parameters in and out of PEFT's format: a fresh adapter initialised as PEFT does, an
//! existing adapter folder to continue from, and the adapter folder PEFT's
//! `PeftModel.from_pretrained` loads as its own (`adapter_config.json`,
//! `adapter_model.safetensors` with PEFT's names, orientation and row order).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

use super::error::{Result, TrainError};
use super::model::{Adapter, LoraSet, Module, Param};
use crate::models::decoder::{Decoder, permute, unpermute};

/// How a new adapter is shaped.
#[derive(Debug, Clone)]
pub struct LoraShape {
    pub rank: usize,
    pub alpha: f64,
    pub dropout: f32,
    pub targets: Vec<Module>,
    pub rslora: bool,
}

impl LoraShape {
    pub fn scale(&self) -> f64 {
        if self.rslora { self.alpha / (self.rank as f64).sqrt() } else { self.alpha / self.rank as f64 }
    }
}

/// A new adapter as PEFT initialises one: A Kaiming-uniform (`a = sqrt(5)`, so uniform in
/// `+-1/sqrt(in)`), B zero, so training starts from the base model's function.
pub fn init(model: &Decoder, shape: &LoraShape, seed: u64) -> Result<LoraSet> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut adapters = Vec::new();
    for (li, layer) in model.layers.iter().enumerate() {
        for &m in &shape.targets {
            let (out, inp) = m.of(layer).weight.dims2().map_err(TrainError::model)?;
            let bound = 1.0 / (inp as f32).sqrt();
            let a: Vec<f32> = (0..shape.rank * inp).map(|_| rng.random_range(-bound..bound)).collect();
            adapters.push(Adapter {
                layer: li,
                module: m,
                a: Param::new(a, shape.rank, inp),
                b: Param::new(vec![0.0; out * shape.rank], out, shape.rank),
            });
        }
    }
    Ok(LoraSet::new(adapters, model.layers.len(), shape.scale(), shape.dropout))
}

/// An existing PEFT adapter as the starting point: its rank, alpha, targets and values. The
/// model's projections must match its shapes; `lora::apply` checks that and orders B's rows
/// as the model's own.
pub fn load(model: &mut Decoder, dir: &Path, dropout: f32) -> Result<(LoraSet, LoraShape)> {
    crate::models::lora::apply(model, dir)?;
    let cfg = crate::models::lora::AdapterConfig::read(dir)?;
    let mut adapters = Vec::new();
    let mut targets = Vec::new();
    for (li, layer) in model.layers.iter_mut().enumerate() {
        for m in Module::ALL {
            let Some(l) = crate::models::lora::slot(layer, m.name()).lora.take() else { continue };
            if !targets.contains(&m) {
                targets.push(m);
            }
            let param = |t: &Tensor| -> Result<Param> {
                let (r, c) = t.dims2().map_err(TrainError::model)?;
                let v = t.flatten_all().and_then(|t| t.to_vec1::<f32>()).map_err(TrainError::model)?;
                Ok(Param::new(v, r, c))
            };
            adapters.push(Adapter { layer: li, module: m, a: param(&l.a)?, b: param(&l.b)? });
        }
    }
    let shape = LoraShape { rank: cfg.r, alpha: cfg.lora_alpha, dropout, targets, rslora: cfg.use_rslora };
    Ok((LoraSet::new(adapters, model.layers.len(), shape.scale(), dropout), shape))
}

/// PEFT's key for one adapter matrix (no adapter name: what `save_pretrained` writes).
pub fn key(layer: usize, m: Module, ab: char) -> String {
    format!("base_model.model.model.layers.{layer}.{}.{}.lora_{ab}.weight", m.block(), m.name())
}

/// The adapter's tensors under PEFT's names, B's rows in transformers' order.
pub fn tensors(model: &Decoder, set: &LoraSet) -> Result<HashMap<String, Tensor>> {
    let c = &model.config;
    let mut out = HashMap::new();
    for ad in &set.adapters {
        let t = |p: &Param| Tensor::from_vec(p.value.clone(), (p.rows, p.cols), &Device::Cpu);
        let a = t(&ad.a).map_err(TrainError::model)?;
        let mut b = t(&ad.b).map_err(TrainError::model)?;
        // GGUF llama models keep q/k rows in llama.cpp's rope order.
        if c.rope_interleaved && matches!(ad.module, Module::Q | Module::K) {
            let heads = if ad.module == Module::Q { c.num_heads } else { c.num_kv_heads };
            b = unpermute(&b, heads).map_err(TrainError::model)?;
        }
        out.insert(key(ad.layer, ad.module, 'A'), a);
        out.insert(key(ad.layer, ad.module, 'B'), b);
    }
    Ok(out)
}

/// Gradients under PEFT's names, ordered as `tensors` orders the values.
pub fn grad_tensors(model: &Decoder, set: &LoraSet) -> Result<HashMap<String, Tensor>> {
    let mut g = set.clone();
    for p in g.params_mut() {
        p.value = std::mem::take(&mut p.grad);
    }
    tensors(model, &g)
}

/// What `adapter_config.json` records besides the shape.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub base_model: String,
    pub revision: Option<String>,
}

/// `adapter_config.json` as PEFT writes it for a LoRA on a causal LM.
pub fn config_json(shape: &LoraShape, prov: &Provenance) -> Value {
    let mut targets: Vec<&str> = shape.targets.iter().map(|m| m.name()).collect();
    targets.sort_unstable();
    json!({
        "alpha_pattern": {},
        "auto_mapping": null,
        "base_model_name_or_path": prov.base_model,
        "bias": "none",
        "exclude_modules": null,
        "fan_in_fan_out": false,
        "inference_mode": true,
        "init_lora_weights": true,
        "layer_replication": null,
        "layers_pattern": null,
        "layers_to_transform": null,
        "loftq_config": {},
        "lora_alpha": shape.alpha,
        "lora_bias": false,
        "lora_dropout": shape.dropout,
        "megatron_config": null,
        "megatron_core": "megatron.core",
        "modules_to_save": null,
        "peft_type": "LORA",
        "r": shape.rank,
        "rank_pattern": {},
        "revision": prov.revision,
        "target_modules": targets,
        "task_type": "CAUSAL_LM",
        "trainable_token_indices": null,
        "use_dora": false,
        "use_rslora": shape.rslora,
    })
}

/// Write `adapter_config.json` and `adapter_model.safetensors` into `dir`, each through a
/// temporary file renamed into place, so a reader never sees half a file.
pub fn save(model: &Decoder, set: &LoraSet, shape: &LoraShape, prov: &Provenance, dir: &Path) -> Result<()> {
    fs_err::create_dir_all(dir).map_err(TrainError::io)?;
    write_atomic(&dir.join("adapter_model.safetensors"), &safetensors_bytes(&tensors(model, set)?)?)?;
    let cfg = serde_json::to_string_pretty(&config_json(shape, prov)).unwrap_or_default();
    write_atomic(&dir.join("adapter_config.json"), cfg.as_bytes())
}

/// A safetensors file's bytes, with the `{"format": "pt"}` metadata PEFT writes.
pub fn safetensors_bytes(tensors: &HashMap<String, Tensor>) -> Result<Vec<u8>> {
    let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize(tensors.iter(), Some(meta)).map_err(|e| TrainError::Compute(e.to_string()))
}

/// Write a file through a temporary sibling renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial"));
    fs_err::write(&tmp, bytes).map_err(TrainError::io)?;
    fs_err::rename(&tmp, path).map_err(TrainError::io)
}

/// B's rows from transformers' order into the model's (the inverse of what `tensors` does).
pub fn to_model_order(model: &Decoder, m: Module, b: &Tensor) -> candle_core::Result<Tensor> {
    let c = &model.config;
    if c.rope_interleaved && matches!(m, Module::Q | Module::K) {
        permute(b, if m == Module::Q { c.num_heads } else { c.num_kv_heads })
    } else {
        Ok(b.clone())
    }
}
